// SPDX-License-Identifier: GPL-2.0
/*
 * A stop racing everything else a backup does (SPEC 7 and
 * 9): reads, Begin, End, closing a backup file, the owner's exit, another
 * stop. Each race is looped for a bounded time with random timing from a
 * fixed seed (JET_SEED, printed), and checked for what must hold whatever
 * the order: every reader started before the stop returns data or
 * ECANCELED within a deadline, the data it got is the file's, every call's
 * result is one the order allows, and at the end no instance and no file
 * descriptor is left over.
 *
 * The owner is a child process that runs owner calls on request through
 * shared memory, each at an absolute time, so the two sides of a race can be
 * lined up; the test process is the backup agent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sys/mman.h>

#include "jet_test.h"
#include "kselftest_harness.h"

#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif

#define WAIT_MS		10000	/* any wait; TCG is slow */
#define DB_SIZE		((2u << 20) + 4321)
#define LOG_SIZE	(16u << 10)
#define NLOGS		2
#define MAX_READERS	4
#define OWNER_GONE	424242L
#define READ_EOF	1L
#define RACE_MS		5000	/* default time for one race loop */
#define MIN_ROUNDS	20	/* a race loop does at least this many */

/* ---- random timing from a fixed seed ---- */

static uint64_t rng_state;

static void rng_seed(struct __test_metadata *_metadata)
{
	const char *env = getenv("JET_SEED");
	unsigned long seed = env && *env ? strtoul(env, NULL, 0) : 1;
	const char *c;

	/* each test its own stream, whatever ran before it */
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	for (c = _metadata->name; *c; c++)
		rng_state = (rng_state ^ (unsigned char)*c) *
			    0x100000001b3ull;
	TH_LOG("JET_SEED=%lu", seed);
}

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)((rng_state >> 11) % n) : 0;
}

static void spin_until(uint64_t t)
{
	while (jt_now_ns() < t)
		;
}

/* How long each race loop runs: JET_RACE_MS, else RACE_MS. */
static uint64_t race_end(void)
{
	const char *env = getenv("JET_RACE_MS");
	int ms = env && *env ? atoi(env) : RACE_MS;

	return jt_deadline_in(ms > 0 ? ms : RACE_MS);
}

/* ---- futex words in shared memory ---- */

/* ---- the owner ---- */

enum owner_op {
	OP_STOP = 1,	/* JetStopBackupInstance at t_at */
	OP_STOP_EXIT,	/* a thread stops at t_at, the process exits at arg */
	OP_LOCK,	/* lock [arg, end of the database) */
	OP_UNLOCK,	/* arg: the lock */
	OP_PAUSE,
	OP_RESUME,
	OP_EXIT,
};

struct owner {
	pid_t pid;
	int alive;
	uint32_t ready;
	uint32_t req;
	uint32_t done;
	int op;
	uint64_t arg;
	uint64_t t_at;		/* run the call at this time (spinning) */
	long setup_err;
	long ret;
	uint64_t out;
	JET_INSTANCE inst;
};

struct reader {
	struct world *w;
	int fd;
	size_t chunk;		/* read(2) size */
	uint32_t state;		/* 0, 1: in, 2: done */
	long ret;		/* -errno or READ_EOF */
	uint64_t bytes;
	int bad_data;
	pthread_t thread;
};

struct world {
	struct owner o;		/* in the shared mapping */
	pid_t agent;
	JET_INSTANCE inst;
	unsigned int owners;	/* owners started, for unique names */
	char name[64];
	char dir[64];
	char db[128];
	char logs[NLOGS][128];
	unsigned char *content;	/* the database's bytes (agent only) */
	uint32_t ndone;
	struct reader r[MAX_READERS];
	int nreaders;
};

static long owner_setup(struct world *w)
{
	JET_INSTANCE inst = 0;
	JET_SESID ses = 0;
	long err;
	int i;

	err = JetCreateInstance(&inst, w->name);
	if (!err)
		err = JetInit(&inst);
	if (err)
		return err;
	w->o.inst = inst;
	err = JetBeginSession(inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, w->db, 0);
	for (i = 0; !err && i < NLOGS; i++)
		err = JetAddLogFileInstance(inst, w->logs[i], i + 1);
	if (!err)
		err = JetSetCheckpointInstance(inst, 1);
	return err;
}

static void *owner_stop_thread(void *arg)
{
	struct world *w = arg;

	spin_until(w->o.t_at);
	w->o.ret = JetStopBackupInstance(w->o.inst);
	return NULL;
}

static void __noreturn owner_main(struct world *w)
{
	uint32_t seq = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != w->agent)
		_exit(1);
	w->o.setup_err = owner_setup(w);
	/* backups roll the log: the owner answers in a thread of its own */
	if (!w->o.setup_err) {
		static struct jt_roller roller;
		char pattern[160];

		snprintf(pattern, sizeof(pattern), "%s.roll%%05lX.log",
			 w->logs[0]);
		if (jt_roller_start(&roller, -1, pattern, 4096))
			w->o.setup_err = JET_errOutOfMemory;
	}
	jt_word_set(&w->o.ready, 1);
	for (;;) {
		JET_HANDLE h = 0;
		pthread_t t;
		long ret = JET_errInvalidOperation;

		if (jt_word_wait(&w->o.req, seq + 1,
				 jt_deadline_in(3600 * 1000)))
			continue;
		seq++;
		/* OP_STOP_EXIT: t_at is for its stopping thread */
		if (w->o.t_at && w->o.op != OP_STOP_EXIT)
			spin_until(w->o.t_at);
		switch (w->o.op) {
		case OP_EXIT:
			_exit(0);
		case OP_STOP:
			ret = JetStopBackupInstance(w->o.inst);
			break;
		case OP_STOP_EXIT:
			/* whichever comes first: the stop or the exit */
			w->o.ret = OWNER_GONE;
			if (pthread_create(&t, NULL, owner_stop_thread, w))
				_exit(2);
			spin_until(w->o.arg);
			_exit(0);
		case OP_LOCK:
			ret = JetLockWriteRangeInstance(w->o.inst, w->db,
							w->o.arg,
							DB_SIZE - w->o.arg, &h);
			break;
		case OP_UNLOCK:
			ret = JetUnlockWriteRangeInstance(w->o.inst, w->o.arg);
			break;
		case OP_PAUSE:
			ret = JetPauseBackupInstance(w->o.inst);
			break;
		case OP_RESUME:
			ret = JetResumeBackupInstance(w->o.inst);
			break;
		}
		w->o.ret = ret;
		w->o.out = h;
		jt_word_set(&w->o.done, seq);
	}
}

/* Posts a request (run at t_at, 0: now); returns its sequence number. */
static uint32_t owner_post(struct world *w, int op, uint64_t arg,
			   uint64_t t_at)
{
	uint32_t seq = w->o.req + 1;

	w->o.op = op;
	w->o.arg = arg;
	w->o.t_at = t_at;
	jt_word_set(&w->o.req, seq);
	return seq;
}

static long owner_wait(struct world *w, uint32_t seq, uint64_t *out)
{
	if (jt_word_wait(&w->o.done, seq, jt_deadline_in(WAIT_MS)))
		return OWNER_GONE;
	if (out)
		*out = w->o.out;
	return w->o.ret;
}

static long owner_call(struct world *w, int op, uint64_t arg, uint64_t *out)
{
	if (!w->o.alive)
		return OWNER_GONE;
	return owner_wait(w, owner_post(w, op, arg, 0), out);
}

/* Starts an owner with a new instance (the world's files attached). */
static void owner_start(struct __test_metadata *_metadata, struct world *w)
{
	pid_t pid;

	memset(&w->o, 0, sizeof(w->o));
	snprintf(w->name, sizeof(w->name), "stop_race-%d-%u", getpid(),
		 w->owners++);
	/* not "w->o.pid = fork()": the child would store 0 there too */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		owner_main(w);
	w->o.pid = pid;
	w->o.alive = 1;
	ASSERT_EQ(0, jt_word_wait(&w->o.ready, 1, jt_deadline_in(WAIT_MS)));
	ASSERT_JET(JET_errSuccess, w->o.setup_err);
	w->inst = w->o.inst;
}

/* Waits for the owner to end (after asking it to, if ask). */
static int owner_reap(struct world *w, int ask)
{
	int status;

	if (!w->o.alive)
		return -1;
	if (ask)
		owner_post(w, OP_EXIT, 0, 0);
	status = jt_wait_child(w->o.pid, WAIT_MS);
	w->o.alive = 0;
	return status;
}

static struct world *world_new(struct __test_metadata *_metadata)
{
	struct world *w;
	int i, fd;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	w->agent = getpid();
	strcpy(w->dir, "/tmp/jet-race-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(w->dir));
	snprintf(w->db, sizeof(w->db), "%s/db.edb", w->dir);
	ASSERT_EQ(0, jt_make_file(w->db, DB_SIZE, 7));
	for (i = 0; i < NLOGS; i++) {
		snprintf(w->logs[i], sizeof(w->logs[i]), "%s/edb%05X.log",
			 w->dir, i + 1);
		ASSERT_EQ(0, jt_make_file(w->logs[i], LOG_SIZE, 8 + i));
	}
	w->content = malloc(DB_SIZE);
	ASSERT_NE(NULL, w->content);
	fd = open(w->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)DB_SIZE, read(fd, w->content, DB_SIZE));
	close(fd);
	return w;
}

/* Ends the owner and removes the files; 0, or -1 if a reader is stuck. */
static int world_free(struct world *w)
{
	int i, stuck = 0;

	JetEndExternalBackupInstance2(w->inst, JET_bitBackupEndAbort);
	owner_reap(w, 1);
	for (i = 0; i < w->nreaders; i++) {
		struct reader *r = &w->r[i];

		if (!r->thread)
			continue;
		if (jt_word_wait(&r->state, 2, jt_deadline_in(WAIT_MS)))
			stuck = 1;
		else
			pthread_join(r->thread, NULL);
	}
	unlink(w->db);
	for (i = 0; i < NLOGS; i++)
		unlink(w->logs[i]);
	rmdir(w->dir);
	free(w->content);
	if (!stuck)
		munmap(w, sizeof(*w));
	return stuck ? -1 : 0;
}

/* ---- leaks: instances and descriptors ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/* Instances on the system, and how many carry this process's prefix. */
static long count_instances(unsigned long *all, unsigned long *ours)
{
	JET_INSTANCE_INFO *info = NULL;
	unsigned long n = 0, i;
	char prefix[32];
	long err;

	snprintf(prefix, sizeof(prefix), "stop_race-%d-", getpid());
	err = JetGetInstanceInfo(&n, &info);
	if (err)
		return err;
	*all = n;
	*ours = 0;
	for (i = 0; i < n; i++)
		if (info[i].szInstanceName &&
		    !strncmp(info[i].szInstanceName, prefix, strlen(prefix)))
			(*ours)++;
	if (info)
		JetFreeBuffer((char *)info);
	return 0;
}

struct baseline {
	int fds;
	unsigned long instances;
};

static void leak_baseline(struct __test_metadata *_metadata,
			  struct baseline *b)
{
	unsigned long ours = 0;

	/* opens this process's /dev/jet first, so it is in the count */
	ASSERT_JET(JET_errSuccess, count_instances(&b->instances, &ours));
	ASSERT_EQ(0, ours);
	b->fds = count_fds();
	ASSERT_LT(0, b->fds);
}

static void leak_check(struct __test_metadata *_metadata, struct baseline *b)
{
	unsigned long all = 0, ours = 0;

	EXPECT_JET(JET_errSuccess, count_instances(&all, &ours));
	EXPECT_EQ(0, ours) TH_LOG("instances of this test left over");
	EXPECT_EQ(b->instances, all) TH_LOG("instances before the test");
	EXPECT_EQ(b->fds, count_fds()) TH_LOG("file descriptors before");
}

/* ---- readers ---- */

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned char *buf = malloc(r->chunk);
	long ret;

	jt_word_set(&r->state, 1);
	for (;;) {
		ssize_t n;

		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		n = read(r->fd, buf, r->chunk);
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n) {
			ret = READ_EOF;
			break;
		}
		if (r->bytes + n > DB_SIZE ||
		    memcmp(buf, r->w->content + r->bytes, n))
			r->bad_data = 1;
		r->bytes += n;
	}
	free(buf);
	r->ret = ret;
	jt_word_set(&r->state, 2);
	__atomic_add_fetch(&r->w->ndone, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &r->w->ndone, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return NULL;
}

static const size_t chunks[] = {
	4096, 65536, 300000, 1u << 20, 4u << 20,
};

/* Starts n readers, each on a new descriptor of the database. */
static void start_readers(struct __test_metadata *_metadata, struct world *w,
			  int n)
{
	int i;

	w->ndone = 0;
	w->nreaders = n;
	for (i = 0; i < n; i++) {
		struct reader *r = &w->r[i];
		unsigned long lo = 0, hi = 0;
		JET_HANDLE h = 0;

		memset(r, 0, sizeof(*r));
		r->w = w;
		r->chunk = chunks[rnd(ARRAY_SIZE(chunks))];
		ASSERT_JET(JET_errSuccess,
			   JetOpenFileInstance(w->inst, w->db, &h, &lo, &hi));
		r->fd = (int)h;
		ASSERT_EQ(0, pthread_create(&r->thread, NULL, reader_main, r));
	}
}

/*
 * Waits for every reader; each must have returned within the deadline with
 * an allowed result (ECANCELED always; the end of the file or EBADF when
 * allowed) and the file's true bytes. Joins them. Returns failures.
 */
static int readers_finish(struct __test_metadata *_metadata, struct world *w,
			  int eof_ok, int ebadf_ok, unsigned int *stats)
{
	int i, bad = 0;

	if (jt_word_wait(&w->ndone, w->nreaders, jt_deadline_in(WAIT_MS))) {
		TH_LOG("%u of %d readers still in the kernel %d ms after the stop",
		       w->nreaders - jt_word_get(&w->ndone), w->nreaders,
		       WAIT_MS);
		/* they hold the mapping: do not free it */
		return -1;
	}
	for (i = 0; i < w->nreaders; i++) {
		struct reader *r = &w->r[i];
		int ok = r->ret == -ECANCELED ||
			 (eof_ok && r->ret == READ_EOF &&
			  r->bytes == DB_SIZE) ||
			 (ebadf_ok && r->ret == -EBADF);

		pthread_join(r->thread, NULL);
		r->thread = 0;
		if (r->bad_data) {
			TH_LOG("reader %d read wrong bytes", i);
			bad++;
		}
		if (!ok) {
			TH_LOG("reader %d: %ld (%s) after %llu bytes", i,
			       r->ret, r->ret == READ_EOF ? "EOF" :
			       strerror((int)-r->ret),
			       (unsigned long long)r->bytes);
			bad++;
		}
		if (stats)
			stats[r->ret == -ECANCELED ? 0 : 1]++;
	}
	return bad;
}

static void close_readers(struct __test_metadata *_metadata, struct world *w)
{
	int i;

	for (i = 0; i < w->nreaders; i++)
		EXPECT_JET(JET_errSuccess,
			   JetCloseFileInstance(w->inst, w->r[i].fd));
	w->nreaders = 0;
}

/* What may block the readers this round: 0 none, 1 a lock, 2 a pause. */
static int block_some(struct __test_metadata *_metadata, struct world *w,
		      uint64_t *lock)
{
	int what = rnd(4);

	*lock = 0;
	if (what == 1) {
		/* from a random offset on: reads copy up to it, then wait */
		ASSERT_JET(JET_errSuccess,
			   owner_call(w, OP_LOCK, rnd(DB_SIZE), lock));
		return 1;
	}
	if (what == 2) {
		ASSERT_JET(JET_errSuccess, owner_call(w, OP_PAUSE, 0, NULL));
		return 2;
	}
	return 0;
}

static void unblock(struct __test_metadata *_metadata, struct world *w,
		    int what, uint64_t lock)
{
	if (what == 1)
		EXPECT_JET(JET_errSuccess, owner_call(w, OP_UNLOCK, lock, NULL));
	else if (what == 2)
		EXPECT_JET(JET_errSuccess, owner_call(w, OP_RESUME, 0, NULL));
}

/* One read(2): bytes, or -errno. */
static long raw_read(int fd)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	return n < 0 ? -errno : n;
}

/* Copies every file of the running full backup; ends in the Logs phase. */
static long copy_everything(struct world *w)
{
	static char buf[1 << 20];
	/* every round rolls a log, and the copy set keeps them all */
	static char list[1 << 20];
	char *p;
	unsigned long cb = 0, lo, hi;
	JET_HANDLE h;
	long err;
	const char *names[1 + NLOGS];
	int i, n = 0;

	/* the database first; its log list comes after it is closed */
	names[n++] = w->db;
	for (i = 0; i < n; i++) {
		err = JetOpenFileInstance(w->inst, names[i], &h, &lo, &hi);
		if (err)
			return err;
		do {
			err = JetReadFileInstance(w->inst, h, buf,
						  sizeof(buf), &cb);
		} while (!err && cb);
		if (err)
			return err;
		err = JetCloseFileInstance(w->inst, h);
		if (err)
			return err;
		if (i)
			continue;
		err = JetGetLogInfoInstance(w->inst, list, sizeof(list), &cb);
		if (err)
			return err;
		for (p = list; *p && n < 1 + NLOGS; p += strlen(p) + 1)
			names[n++] = p;
	}
	return JET_errSuccess;
}

/* ---- the races ---- */

FIXTURE(race) {
	struct world *w;
	struct baseline base;
};

FIXTURE_SETUP(race)
{
	rng_seed(_metadata);
	leak_baseline(_metadata, &self->base);
	self->w = world_new(_metadata);
}

FIXTURE_TEARDOWN(race)
{
	if (self->w && world_free(self->w))
		TH_LOG("a reader never returned");
	else
		leak_check(_metadata, &self->base);
}

/* A stop lands at a random moment of one to four readers' copying. */
TEST_F_TIMEOUT(race, stop_vs_read, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, stats[2] = { 0 }, blocked = 0;
	uint64_t end = race_end();

	owner_start(_metadata, w);
	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		int what, i, n = 1 + rnd(MAX_READERS);
		uint64_t lock, t_go;
		uint32_t seq;

		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		what = block_some(_metadata, w, &lock);
		blocked += !!what;
		start_readers(_metadata, w, n);
		/* mostly mid-copy; sometimes after the readers are done */
		t_go = jt_now_ns() + (rnd(4) ? rnd(8000) : rnd(60000)) * 1000ull;
		seq = owner_post(w, OP_STOP, 0, t_go);
		ASSERT_EQ(0, readers_finish(_metadata, w, !what, 0, stats))
			TH_LOG("round %u, blocker %d", rounds, what);
		ASSERT_JET(JET_errSuccess, owner_wait(w, seq, NULL));
		for (i = 0; i < n; i++)
			EXPECT_EQ(-ECANCELED, raw_read(w->r[i].fd));
		unblock(_metadata, w, what, lock);
		close_readers(_metadata, w);
		ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
		rounds++;
	}
	TH_LOG("%u rounds (%u blocked), %u readers stopped, %u read to the end",
	       rounds, blocked, stats[0], stats[1]);
}

/* A stop and a Begin at once: the backup is either stopped or whole. */
TEST_F_TIMEOUT(race, stop_vs_begin, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, stopped = 0;
	uint64_t end = race_end();
	static char buf[1 << 20];

	owner_start(_metadata, w);
	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		uint64_t t_go = jt_now_ns() + 300000, d = 0;
		JET_INSTANCE_STATE st;
		unsigned long lo, hi, cb;
		JET_HANDLE h = 0;
		uint32_t seq;
		long err;

		seq = owner_post(w, OP_STOP, 0, t_go + rnd(400) * 1000ull);
		spin_until(t_go + rnd(400) * 1000ull);
		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		ASSERT_JET(JET_errSuccess, owner_wait(w, seq, NULL));
		ASSERT_JET(JET_errSuccess,
			   JetGetInstanceStateInstance(w->inst, &st));
		ASSERT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP);
		err = JetOpenFileInstance(w->inst, w->db, &h, &lo, &hi);
		if (st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED) {
			stopped++;
			EXPECT_JET(JET_errBackupAbortByServer, err);
		} else {
			/* the stop came first and found nothing to stop */
			ASSERT_JET(JET_errSuccess, err);
			do {
				err = JetReadFileInstance(w->inst, h, buf,
							  sizeof(buf), &cb);
				d += cb;
			} while (!err && cb);
			EXPECT_JET(JET_errSuccess, err);
			EXPECT_EQ(DB_SIZE, d);
			EXPECT_JET(JET_errSuccess,
				   JetCloseFileInstance(w->inst, h));
		}
		ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
		rounds++;
	}
	TH_LOG("%u rounds, %u backups stopped, %u whole", rounds, stopped,
	       rounds - stopped);
}

/* A stop and a normal End at once: both succeed; no backup is left. */
TEST_F_TIMEOUT(race, stop_vs_end, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, logs_phase = 0;
	uint64_t end = race_end();

	owner_start(_metadata, w);
	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		uint64_t t_go = jt_now_ns() + 300000;
		JET_INSTANCE_STATE st;
		uint32_t seq;

		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		if (rnd(2)) {
			ASSERT_JET(JET_errSuccess, copy_everything(w));
			logs_phase++;
		}
		seq = owner_post(w, OP_STOP, 0, t_go + rnd(300) * 1000ull);
		spin_until(t_go + rnd(300) * 1000ull);
		EXPECT_JET(JET_errSuccess,
			   JetEndExternalBackupInstance(w->inst));
		ASSERT_JET(JET_errSuccess, owner_wait(w, seq, NULL));
		ASSERT_JET(JET_errSuccess,
			   JetGetInstanceStateInstance(w->inst, &st));
		ASSERT_EQ(0, st.flags & (JET_INSTANCE_STATE_BACKUP |
					 JET_INSTANCE_STATE_BACKUP_STOPPED));
		EXPECT_JET(JET_errNoBackup,
			   JetEndExternalBackupInstance(w->inst));
		rounds++;
	}
	TH_LOG("%u rounds, %u of them in the Logs phase", rounds, logs_phase);
}

/* A stop while the agent closes the descriptors readers are using. */
TEST_F_TIMEOUT(race, stop_vs_close, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, stats[2] = { 0 };
	uint64_t end = race_end();

	owner_start(_metadata, w);
	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		uint64_t lock, t_go = jt_now_ns() + 300000;
		int what, i, libjet = rnd(2);
		JET_INSTANCE_STATE st;
		uint32_t seq;

		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		what = block_some(_metadata, w, &lock);
		start_readers(_metadata, w, 1 + rnd(MAX_READERS));
		seq = owner_post(w, OP_STOP, 0, t_go + rnd(500) * 1000ull);
		spin_until(t_go + rnd(500) * 1000ull);
		/* a read in progress keeps its file; later ones get EBADF */
		for (i = 0; i < w->nreaders; i++) {
			if (libjet)
				EXPECT_JET(JET_errSuccess,
					   JetCloseFileInstance(w->inst,
								w->r[i].fd));
			else
				EXPECT_EQ(0, close(w->r[i].fd));
		}
		ASSERT_JET(JET_errSuccess, owner_wait(w, seq, NULL));
		ASSERT_EQ(0, readers_finish(_metadata, w, !what, 1, stats))
			TH_LOG("round %u, blocker %d", rounds, what);
		/*
		 * A number closed behind libjet's back: libjet still holds
		 * its own duplicate, which its Close lets go of (the number
		 * itself, no longer the backup file's, it leaves alone).
		 */
		for (i = 0; !libjet && i < w->nreaders; i++)
			EXPECT_JET(JET_errSuccess,
				   JetCloseFileInstance(w->inst, w->r[i].fd));
		w->nreaders = 0;
		ASSERT_JET(JET_errSuccess,
			   JetGetInstanceStateInstance(w->inst, &st));
		EXPECT_EQ(0, st.open_files);
		unblock(_metadata, w, what, lock);
		ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
		rounds++;
	}
	TH_LOG("%u rounds, %u readers stopped, %u ended otherwise", rounds,
	       stats[0], stats[1]);
}

/* The owner stops and exits (or is killed) at random moments. */
TEST_F_TIMEOUT(race, stop_vs_owner_exit, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, killed = 0, stats[2] = { 0 };
	uint64_t end = race_end();

	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		uint64_t lock, t_go;
		JET_INSTANCE_STATE st;
		int what, status, kill9 = rnd(2);

		owner_start(_metadata, w);
		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		what = block_some(_metadata, w, &lock);
		start_readers(_metadata, w, 1 + rnd(MAX_READERS));
		t_go = jt_now_ns() + 300000;
		if (kill9) {
			owner_post(w, OP_STOP, 0, t_go + rnd(500) * 1000ull);
			spin_until(t_go + rnd(500) * 1000ull);
			kill(w->o.pid, SIGKILL);
			killed++;
		} else {
			owner_post(w, OP_STOP_EXIT, t_go + rnd(500) * 1000ull,
				   t_go + rnd(500) * 1000ull);
		}
		status = owner_reap(w, 0);
		ASSERT_NE(-1, status) TH_LOG("the owner did not exit");
		ASSERT_EQ(0, readers_finish(_metadata, w, !what, 0, stats))
			TH_LOG("round %u, blocker %d, kill %d", rounds, what,
			       kill9);
		/* the instance is gone; the agent's backup ends as stopped */
		EXPECT_EQ(-ECANCELED, raw_read(w->r[0].fd));
		close_readers(_metadata, w);
		EXPECT_JET(JET_errSuccess,
			   JetEndExternalBackupInstance(w->inst));
		EXPECT_JET(JET_errInvalidParameter,
			   JetGetInstanceStateInstance(w->inst, &st));
		rounds++;
	}
	TH_LOG("%u rounds (%u killed), %u readers stopped, %u read to the end",
	       rounds, killed, stats[0], stats[1]);
}

/* The owner and an administrator (this process, root) stop at once. */
TEST_F_TIMEOUT(race, two_stops_at_once, 120)
{
	struct world *w = self->w;
	unsigned int rounds = 0, stats[2] = { 0 };
	uint64_t end = race_end();

	owner_start(_metadata, w);
	while (rounds < MIN_ROUNDS || jt_now_ns() < end) {
		uint64_t lock, t_go = jt_now_ns() + 300000;
		JET_INSTANCE_STATE st;
		int what;
		uint32_t seq;

		ASSERT_JET(JET_errSuccess,
			   JetBeginExternalBackupInstance(w->inst, 0));
		what = block_some(_metadata, w, &lock);
		start_readers(_metadata, w, 1 + rnd(MAX_READERS));
		seq = owner_post(w, OP_STOP, 0, t_go + rnd(300) * 1000ull);
		spin_until(t_go + rnd(300) * 1000ull);
		EXPECT_JET(JET_errSuccess, JetStopBackupInstance(w->inst));
		ASSERT_JET(JET_errSuccess, owner_wait(w, seq, NULL));
		ASSERT_EQ(0, readers_finish(_metadata, w, !what, 0, stats))
			TH_LOG("round %u, blocker %d", rounds, what);
		ASSERT_JET(JET_errSuccess,
			   JetGetInstanceStateInstance(w->inst, &st));
		EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
		unblock(_metadata, w, what, lock);
		close_readers(_metadata, w);
		ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
		rounds++;
	}
	TH_LOG("%u rounds, %u readers stopped, %u read to the end", rounds,
	       stats[0], stats[1]);
}

TEST_HARNESS_MAIN
