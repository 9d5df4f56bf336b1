// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC section 7: one stop fails every backup read, blocked or
 * not, and leaves the backup in a well-defined state.
 *
 * Each test has two processes. The owner is a child the fixture forks: it
 * creates the instance, attaches a database and two logs, and then runs owner
 * calls (lock, pause, throttle, stop, term, ...) when the test asks through
 * shared memory. The test process itself is the backup agent. Readers are
 * threads of the agent, or processes it forks that inherit its backup file
 * descriptors. A reader counts as blocked once /proc shows it asleep inside
 * its system call. Every wait has a deadline: a reader still inside the
 * kernel after it fails the test.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

#include "jet_test.h"
#include "kselftest_harness.h"

#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif

#define WAIT_MS		10000	/* any wait; TCG is slow */
#define DB_SIZE		(1u << 20)
#define LOG_SIZE	(64u << 10)
#define NLOGS		2
#define MAX_READERS	256
#define OWNER_GONE	424242L	/* owner_call(): no answer in time */
#define READ_EOF	1L	/* a reader's result: end of file */

/* the StopService grbits, shorter */
#define SVC_ALL		JET_bitStopServiceAll
#define SVC_TASKS	JET_bitStopServiceBackgroundUserTasks
#define SVC_QUIESCE	JET_bitStopServiceQuiesceCaches
#define SVC_RESUME	JET_bitStopServiceResume

/* ---- futex words in shared memory ---- */

static void word_add(uint32_t *w, uint32_t v)
{
	__atomic_add_fetch(w, v, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- the shared world: owner, files, readers ---- */

enum owner_op {
	OP_STOP = 1,		/* JetStopBackupInstance */
	OP_STOP_LEGACY,		/* JetStopBackup */
	OP_SERVICE,		/* JetStopServiceInstance2(arg0) */
	OP_SERVICE_INST,	/* JetStopServiceInstance */
	OP_SERVICE_LEGACY,	/* JetStopService */
	OP_TERM,		/* JetTerm2(arg0) */
	OP_TERM_DEFAULT,	/* JetTerm */
	OP_LOCK,		/* JetLockWriteRangeInstance(db, arg0, arg1) */
	OP_UNLOCK,		/* JetUnlockWriteRangeInstance(arg0) */
	OP_THROTTLE,		/* JetSetBackupThrottleInstance(arg0) */
	OP_PAUSE,
	OP_RESUME,
	OP_EXIT,		/* _exit(0): the context's close terms it */
};

enum reader_kind { K_READ, K_JET, K_PREAD, K_SENDFILE, K_SPLICE };
enum reader_state { R_IDLE, R_IN, R_DONE };

struct reader {
	struct world *w;
	int kind;
	int fd;
	int out_fd;		/* sendfile: a file; splice: a pipe */
	int drain_fd;		/* splice: the pipe's read end */
	pid_t pid, tid;		/* where it runs, for /proc */
	uint32_t state;		/* R_* */
	long ret;		/* JET_ERR (K_JET), -errno, or READ_EOF */
	uint64_t bytes;
	uint64_t t_done;
	pthread_t thread;
	int is_proc;
};

struct owner {
	pid_t pid;
	int oneinst;
	int alive;
	uint32_t ready;
	uint32_t req;		/* last request */
	uint32_t done;		/* last request answered */
	int op;
	uint64_t arg[2];
	long setup_err;
	long ret;
	uint64_t out;
	uint64_t t_return;	/* when the owner's last call returned */
	JET_INSTANCE inst;
	struct jt_roller roller;	/* in the owner's process */
};

struct world {
	struct owner o;
	pid_t agent;
	JET_INSTANCE inst;
	char name[64];
	char dir[64];
	char db[128];
	char logs[NLOGS][128];
	char out[128];
	uint32_t ndone;		/* readers finished */
	uint32_t nstarted;	/* readers started */
	int nreaders;
	int stuck;		/* a reader never came back: keep the mapping */
	uint32_t sig_count;
	struct reader r[MAX_READERS];
};

static unsigned int world_counter;

static long owner_setup(struct world *w)
{
	JET_INSTANCE inst = 0;
	JET_SESID ses = 0;
	long err;
	int i;

	if (w->o.oneinst) {
		err = JetInit(&inst);	/* NoSet: the implicit one instance */
	} else {
		err = JetCreateInstance(&inst, w->name);
		if (!err)
			err = JetInit(&inst);
	}
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

static long owner_exec(struct world *w, int op, uint64_t a0, uint64_t a1,
		       uint64_t *out)
{
	JET_INSTANCE inst = w->o.inst;
	JET_HANDLE h = 0;
	long err;

	switch (op) {
	case OP_STOP:
		return JetStopBackupInstance(inst);
	case OP_STOP_LEGACY:
		return JetStopBackup();
	case OP_SERVICE:
		return JetStopServiceInstance2(inst, a0);
	case OP_SERVICE_INST:
		return JetStopServiceInstance(inst);
	case OP_SERVICE_LEGACY:
		return JetStopService();
	case OP_TERM:
		return JetTerm2(inst, a0);
	case OP_TERM_DEFAULT:
		return JetTerm(inst);
	case OP_LOCK:
		err = JetLockWriteRangeInstance(inst, w->db, a0, a1, &h);
		*out = h;
		return err;
	case OP_UNLOCK:
		return JetUnlockWriteRangeInstance(inst, a0);
	case OP_THROTTLE:
		return JetSetBackupThrottleInstance(inst, a0);
	case OP_PAUSE:
		return JetPauseBackupInstance(inst);
	case OP_RESUME:
		return JetResumeBackupInstance(inst);
	}
	return JET_errInvalidOperation;
}

static void __noreturn owner_main(struct world *w)
{
	uint32_t seq = 0;

	/* never outlive the test, whatever happens to it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != w->agent)
		_exit(1);
	w->o.setup_err = owner_setup(w);
	/* backups roll the log: the owner answers in a thread of its own */
	if (!w->o.setup_err) {
		char pattern[160];

		snprintf(pattern, sizeof(pattern), "%s/roll%%05lX.log", w->dir);
		if (jt_roller_start(&w->o.roller, -1, pattern, LOG_SIZE))
			w->o.setup_err = JET_errOutOfMemory;
	}
	jt_word_set(&w->o.ready, 1);
	for (;;) {
		uint64_t out = 0;
		long ret;

		if (jt_word_wait(&w->o.req, seq + 1,
				 jt_deadline_in(3600 * 1000)))
			continue;
		seq++;
		if (w->o.op == OP_EXIT)
			_exit(0);
		ret = owner_exec(w, w->o.op, w->o.arg[0], w->o.arg[1], &out);
		w->o.t_return = jt_now_ns();
		w->o.ret = ret;
		w->o.out = out;
		jt_word_set(&w->o.done, seq);
	}
}

/* Runs one owner call; OWNER_GONE when the owner does not answer in time. */
static long owner_call2(struct world *w, int op, uint64_t a0, uint64_t a1,
			uint64_t *out)
{
	uint32_t seq = w->o.req + 1;

	if (!w->o.alive)
		return OWNER_GONE;
	w->o.op = op;
	w->o.arg[0] = a0;
	w->o.arg[1] = a1;
	jt_word_set(&w->o.req, seq);
	if (jt_word_wait(&w->o.done, seq, jt_deadline_in(WAIT_MS)))
		return OWNER_GONE;
	if (out)
		*out = w->o.out;
	return w->o.ret;
}

static long owner_call(struct world *w, int op, uint64_t a0)
{
	return owner_call2(w, op, a0, 0, NULL);
}

/* Ends the owner: asks it to exit, or kills it with sig; waits for it. */
static int owner_end(struct world *w, int sig)
{
	int status;

	if (!w->o.alive)
		return -1;
	if (sig) {
		kill(w->o.pid, sig);
	} else {
		w->o.op = OP_EXIT;
		jt_word_set(&w->o.req, w->o.req + 1);
	}
	status = jt_wait_child(w->o.pid, WAIT_MS);
	w->o.alive = 0;
	return status;
}

static struct world *world_new(struct __test_metadata *_metadata, int oneinst)
{
	struct world *w;
	pid_t pid;
	int i;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	w->agent = getpid();
	w->o.oneinst = oneinst;
	snprintf(w->name, sizeof(w->name), "stop_test-%d-%u", getpid(),
		 world_counter++);
	strcpy(w->dir, "/tmp/jet-stop-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(w->dir));
	snprintf(w->db, sizeof(w->db), "%s/db.edb", w->dir);
	snprintf(w->out, sizeof(w->out), "%s/out", w->dir);
	ASSERT_EQ(0, jt_make_file(w->db, DB_SIZE, 1));
	for (i = 0; i < NLOGS; i++) {
		snprintf(w->logs[i], sizeof(w->logs[i]), "%s/edb%05X.log",
			 w->dir, i + 1);
		ASSERT_EQ(0, jt_make_file(w->logs[i], LOG_SIZE, 2 + i));
	}
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
	return w;
}

/* ---- backup helpers (agent side) ---- */

static int open_file(struct __test_metadata *_metadata, struct world *w,
		     const char *name)
{
	unsigned long lo = 0, hi = 0;
	JET_HANDLE h = 0;

	ASSERT_JET(JET_errSuccess,
		   JetOpenFileInstance(w->inst, name, &h, &lo, &hi));
	return (int)h;
}

/* Begins a full backup and opens its database: most tests start so. */
static int begin_open_db(struct __test_metadata *_metadata, struct world *w)
{
	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	return open_file(_metadata, w, w->db);
}

/* Reads h to its end; the digest of what it read goes to *digest. */
static long read_to_end(JET_INSTANCE inst, JET_HANDLE h, uint64_t *digest,
			uint64_t *total)
{
	static char buf[65536];
	uint64_t d = 0, n = 0;

	for (;;) {
		unsigned long cb = 0;
		long err = JetReadFileInstance(inst, h, buf, sizeof(buf), &cb);

		if (err)
			return err;
		if (!cb)
			break;
		d = jt_digest(d, buf, cb);
		n += cb;
	}
	if (digest)
		*digest = d;
	if (total)
		*total = n;
	return JET_errSuccess;
}

/* Copies every file of a full backup: afterwards it is in the Logs phase,
 * every copy-set log read to its end and no file open, so Truncate and a
 * normal End would both succeed.
 */
static void copy_everything(struct __test_metadata *_metadata,
			    struct world *w)
{
	char list[4096], *p;
	unsigned long cb = 0;
	uint64_t d = 0, n = 0;
	int fd, nlogs = 0;

	fd = open_file(_metadata, w, w->db);
	ASSERT_JET(JET_errSuccess, read_to_end(w->inst, fd, &d, &n));
	ASSERT_EQ(DB_SIZE, n);
	ASSERT_EQ(jt_file_digest(w->db), d);
	ASSERT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	ASSERT_JET(JET_errSuccess,
		   JetGetLogInfoInstance(w->inst, list, sizeof(list), &cb));
	for (p = list; *p; p += strlen(p) + 1) {
		fd = open_file(_metadata, w, p);
		ASSERT_JET(JET_errSuccess, read_to_end(w->inst, fd, NULL, &n));
		ASSERT_EQ(LOG_SIZE, n);
		ASSERT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
		nlogs++;
	}
	/* and those rolls closed (one per backup so far) */
	ASSERT_LE(NLOGS + 1, nlogs);
}

static JET_INSTANCE_STATE get_state(struct __test_metadata *_metadata,
				    struct world *w)
{
	JET_INSTANCE_STATE st;

	memset(&st, 0, sizeof(st));
	EXPECT_JET(JET_errSuccess, JetGetInstanceStateInstance(w->inst, &st));
	return st;
}

/* One read(2) of the backup file descriptor: bytes, or -errno. */
static long raw_read(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	return n < 0 ? -errno : n;
}

/* ---- readers ---- */

static long reader_syscall(const struct reader *r)
{
	switch (r->kind) {
	case K_PREAD:
		return __NR_pread64;
	case K_SENDFILE:
		return __NR_sendfile;
	case K_SPLICE:
		return __NR_splice;
	}
	return __NR_read;
}

/* Reads until an error or the end; data only makes it read again. */
static void reader_body(struct reader *r)
{
	char buf[16384];
	long ret;

	r->pid = getpid();
	r->tid = syscall(SYS_gettid);
	jt_word_set(&r->state, R_IN);
	for (;;) {
		unsigned long cb = 0;
		ssize_t n;

		switch (r->kind) {
		case K_JET:
			ret = JetReadFileInstance(r->w->inst, r->fd, buf,
						  sizeof(buf), &cb);
			if (ret)
				goto out;
			n = cb;
			break;
		case K_PREAD:
			n = pread(r->fd, buf, sizeof(buf), r->bytes);
			break;
		case K_SENDFILE:
			n = sendfile(r->out_fd, r->fd, NULL, 65536);
			break;
		case K_SPLICE:
			n = splice(r->fd, NULL, r->out_fd, NULL, 4096, 0);
			if (n > 0)	/* keep the pipe from filling up */
				n = read(r->drain_fd, buf, n);
			break;
		default:
			n = read(r->fd, buf, sizeof(buf));
			break;
		}
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n) {
			ret = READ_EOF;
			goto out;
		}
		r->bytes += n;
	}
out:
	r->ret = ret;
	r->t_done = jt_now_ns();
	jt_word_set(&r->state, R_DONE);
	word_add(&r->w->ndone, 1);
}

static void *reader_thread(void *arg)
{
	reader_body(arg);
	return NULL;
}

/* Starts readers first..n-1 (threads, or forked processes). */
static void start_readers(struct __test_metadata *_metadata, struct world *w,
			  int first, int n, int procs)
{
	pthread_attr_t attr;
	int i;

	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 256 << 10));
	for (i = first; i < n; i++) {
		struct reader *r = &w->r[i];

		r->w = w;
		r->is_proc = procs;
		if (procs) {
			pid_t pid = fork();

			ASSERT_LE(0, pid);
			if (!pid) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				reader_body(r);
				_exit(0);
			}
			r->pid = pid;
		} else {
			ASSERT_EQ(0, pthread_create(&r->thread, &attr,
						    reader_thread, r));
		}
		w->nstarted++;
	}
	pthread_attr_destroy(&attr);
	if (n > w->nreaders)
		w->nreaders = n;
}

/* 1: task sleeps inside syscall nr; 0: it does not; -1: /proc cannot say */
static int task_sleeps_in(pid_t pid, pid_t tid, long nr)
{
	char path[64], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* "running", "-1 ..." (not in a syscall) or "<nr> <args>..." */
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	return strtol(buf, NULL, 10) == nr;
}

/*
 * Waits until readers first..n-1 all sleep in their system call at once.
 * Fails (with why filled in) when one returned or the deadline passed.
 */
static int readers_blocked(struct world *w, int first, int n, char *why,
			   size_t len)
{
	uint64_t start = jt_now_ns(), end = jt_deadline_in(WAIT_MS);

	for (;;) {
		int i, blocked = 0;

		for (i = first; i < n; i++) {
			struct reader *r = &w->r[i];
			uint32_t st = jt_word_get(&r->state);
			int in;

			if (st == R_DONE) {
				snprintf(why, len,
					 "reader %d returned %ld (%s) after %llu bytes, before the stop",
					 i, r->ret, r->kind == K_JET ?
					 JetErrorName(r->ret) :
					 strerror((int)-r->ret),
					 (unsigned long long)r->bytes);
				return 0;
			}
			if (st != R_IN)
				continue;
			in = task_sleeps_in(r->pid, r->tid, reader_syscall(r));
			/* no /proc answer: trust a reader that waited 300 ms */
			if (in > 0 || (in < 0 &&
				       jt_now_ns() - start > 300000000ull))
				blocked++;
		}
		if (blocked == n - first)
			return 1;
		if (jt_now_ns() > end) {
			snprintf(why, len, "only %d of %d readers blocked after %d ms",
				 blocked, n - first, WAIT_MS);
			return 0;
		}
		usleep(2000);
	}
}

/* Waits for ndone readers to have returned. */
static int readers_done(struct world *w, uint32_t ndone)
{
	return jt_word_wait(&w->ndone, ndone, jt_deadline_in(WAIT_MS));
}

/* Joins or reaps every reader that returned; marks the world stuck if one
 * did not (its thread still uses the shared mapping).
 */
static void reap_readers(struct world *w)
{
	int i;

	for (i = 0; i < w->nreaders; i++) {
		struct reader *r = &w->r[i];

		if (r->is_proc && r->pid > 0) {
			jt_wait_child(r->pid, WAIT_MS);
			r->pid = 0;
		} else if (!r->is_proc && r->thread) {
			if (jt_word_get(&r->state) == R_DONE)
				pthread_join(r->thread, NULL);
			else
				w->stuck = 1;
			r->thread = 0;
		}
	}
}

static void world_free(struct world *w)
{
	int i;

	if (!w)
		return;
	/* an agent's leftover backup; the owner's exit terms the instance */
	JetEndExternalBackupInstance2(w->inst, JET_bitBackupEndAbort);
	owner_end(w, 0);
	/* a failed test may leave readers: the term above wakes them */
	readers_done(w, w->nstarted);
	reap_readers(w);
	unlink(w->db);
	unlink(w->out);
	for (i = 0; i < NLOGS; i++)
		unlink(w->logs[i]);
	rmdir(w->dir);
	if (!w->stuck)
		munmap(w, sizeof(*w));
}

/*
 * Counts readers first..n-1 whose result is not the expected one: jet_err
 * for libjet readers, -err for the others. Logs the first few.
 */
static int readers_check(struct __test_metadata *_metadata, struct world *w,
			 int first, int n, long jet_err, int err)
{
	int i, bad = 0;

	for (i = first; i < n; i++) {
		struct reader *r = &w->r[i];
		long want = r->kind == K_JET ? jet_err : -err;

		if (jt_word_get(&r->state) != R_DONE) {
			if (bad++ < 4)
				TH_LOG("reader %d still blocked %d ms after the stop",
				       i, WAIT_MS);
		} else if (r->ret != want) {
			if (bad++ < 4)
				TH_LOG("reader %d (kind %d) returned %ld (%s), want %ld (%s)",
				       i, r->kind, r->ret,
				       r->kind == K_JET ? JetErrorName(r->ret) :
				       strerror((int)-r->ret), want,
				       r->kind == K_JET ? JetErrorName(want) :
				       strerror(err));
		}
	}
	return bad;
}

/* Time from the owner's stop return to the last reader's return, in us. */
static long long wake_latency_us(struct world *w, int first, int n)
{
	uint64_t last = 0;
	int i;

	for (i = first; i < n; i++)
		if (w->r[i].t_done > last)
			last = w->r[i].t_done;
	return ((long long)last - (long long)w->o.t_return) / 1000;
}

/* ---- what blocks a read ---- */

enum blocker { B_LOCK, B_THROTTLE, B_PAUSE };

/*
 * Throttled reads pass until the burst allowance is used up: read it away
 * with O_NONBLOCK (EAGAIN tells when it is gone).
 */
static void drain_throttle(struct __test_metadata *_metadata, struct world *w)
{
	static char buf[65536];
	uint64_t total = 0;
	int fd = open_file(_metadata, w, w->db);
	ssize_t n;

	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	ASSERT_EQ(-1, n)
		TH_LOG("throttled reads reached the end (%llu bytes)",
		       (unsigned long long)total);
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_GT(DB_SIZE, total);
	ASSERT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
}

/* Makes every later backup read of the database block (backup running). */
static void block_reads(struct __test_metadata *_metadata, struct world *w,
			int blocker)
{
	uint64_t h = 0;

	switch (blocker) {
	case B_LOCK:
		ASSERT_JET(JET_errSuccess,
			   owner_call2(w, OP_LOCK, 0, DB_SIZE, &h));
		ASSERT_NE(0, h);
		break;
	case B_THROTTLE:
		ASSERT_JET(JET_errSuccess, owner_call(w, OP_THROTTLE, 1));
		drain_throttle(_metadata, w);
		break;
	case B_PAUSE:
		ASSERT_JET(JET_errSuccess, owner_call(w, OP_PAUSE, 0));
		break;
	}
}

/*
 * Begins a full backup, blocks database reads, opens one descriptor per
 * reader and starts n readers of kind (K_READ and K_JET alternate when
 * mixed), then waits until all sleep in the kernel.
 */
static void blocked_readers(struct __test_metadata *_metadata,
			    struct world *w, int blocker, int n, int procs,
			    int mixed)
{
	char why[256];
	int i;

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	block_reads(_metadata, w, blocker);
	for (i = 0; i < n; i++) {
		w->r[i].fd = open_file(_metadata, w, w->db);
		w->r[i].kind = mixed && !procs && (i & 1) ? K_JET : K_READ;
	}
	start_readers(_metadata, w, 0, n, procs);
	ASSERT_TRUE(readers_blocked(w, 0, n, why, sizeof(why)))
		TH_LOG("%s", why);
}

/* After a stop: the readers all failed with it, promptly. */
static void expect_stopped_readers(struct __test_metadata *_metadata,
				   struct world *w, int n, long jet_err,
				   int err)
{
	int done = readers_done(w, n) == 0;

	EXPECT_TRUE(done) TH_LOG("%u of %d readers returned within %d ms",
				 jt_word_get(&w->ndone), n, WAIT_MS);
	EXPECT_EQ(0, readers_check(_metadata, w, 0, n, jet_err, err));
	if (done)
		TH_LOG("%d readers: stop return -> last reader return %lld us",
		       n, wake_latency_us(w, 0, n));
	reap_readers(w);
}

static void close_readers(struct __test_metadata *_metadata, struct world *w,
			  int n)
{
	int i;

	for (i = 0; i < n; i++)
		EXPECT_JET(JET_errSuccess,
			   JetCloseFileInstance(w->inst, w->r[i].fd));
}

/* ==== one stop, many blocked readers ==== */

FIXTURE(readers) {
	struct world *w;
};

FIXTURE_VARIANT(readers) {
	int blocker;
	int n;
	int procs;
};

FIXTURE_VARIANT_ADD(readers, lock_1_thread) { B_LOCK, 1, 0 };
FIXTURE_VARIANT_ADD(readers, lock_16_threads) { B_LOCK, 16, 0 };
FIXTURE_VARIANT_ADD(readers, lock_256_threads) { B_LOCK, 256, 0 };
FIXTURE_VARIANT_ADD(readers, lock_1_process) { B_LOCK, 1, 1 };
FIXTURE_VARIANT_ADD(readers, lock_16_processes) { B_LOCK, 16, 1 };
FIXTURE_VARIANT_ADD(readers, lock_256_processes) { B_LOCK, 256, 1 };
FIXTURE_VARIANT_ADD(readers, throttle_1_thread) { B_THROTTLE, 1, 0 };
FIXTURE_VARIANT_ADD(readers, throttle_16_threads) { B_THROTTLE, 16, 0 };
FIXTURE_VARIANT_ADD(readers, throttle_256_threads) { B_THROTTLE, 256, 0 };
FIXTURE_VARIANT_ADD(readers, throttle_1_process) { B_THROTTLE, 1, 1 };
FIXTURE_VARIANT_ADD(readers, throttle_16_processes) { B_THROTTLE, 16, 1 };
FIXTURE_VARIANT_ADD(readers, throttle_256_processes) { B_THROTTLE, 256, 1 };
FIXTURE_VARIANT_ADD(readers, pause_1_thread) { B_PAUSE, 1, 0 };
FIXTURE_VARIANT_ADD(readers, pause_16_threads) { B_PAUSE, 16, 0 };
FIXTURE_VARIANT_ADD(readers, pause_256_threads) { B_PAUSE, 256, 0 };
FIXTURE_VARIANT_ADD(readers, pause_1_process) { B_PAUSE, 1, 1 };
FIXTURE_VARIANT_ADD(readers, pause_16_processes) { B_PAUSE, 16, 1 };
FIXTURE_VARIANT_ADD(readers, pause_256_processes) { B_PAUSE, 256, 1 };

FIXTURE_SETUP(readers)
{
	self->w = world_new(_metadata, 0);
}

FIXTURE_TEARDOWN(readers)
{
	world_free(self->w);
}

TEST_F_TIMEOUT(readers, one_stop_fails_every_blocked_read, 120)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	int i, n = variant->n;

	blocked_readers(_metadata, w, variant->blocker, n, variant->procs, 1);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	expect_stopped_readers(_metadata, w, n, JET_errBackupAbortByServer,
			       ECANCELED);

	st = get_state(_metadata, w);
	EXPECT_EQ(JET_INSTANCE_STATE_BACKUP | JET_INSTANCE_STATE_BACKUP_STOPPED,
		  st.flags & (JET_INSTANCE_STATE_BACKUP |
			      JET_INSTANCE_STATE_BACKUP_STOPPED));
	/* later reads fail at once, whatever still blocks them */
	for (i = 0; i < n; i++)
		EXPECT_EQ(-ECANCELED, raw_read(w->r[i].fd));
	close_readers(_metadata, w, n);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

/* ==== a single blocked reader, for each blocker ==== */

FIXTURE(blocked) {
	struct world *w;
};

FIXTURE_VARIANT(blocked) {
	int blocker;
};

FIXTURE_VARIANT_ADD(blocked, lock) { B_LOCK };
FIXTURE_VARIANT_ADD(blocked, throttle) { B_THROTTLE };
FIXTURE_VARIANT_ADD(blocked, pause) { B_PAUSE };

FIXTURE_SETUP(blocked)
{
	self->w = world_new(_metadata, 0);
}

FIXTURE_TEARDOWN(blocked)
{
	world_free(self->w);
}

static struct world *sig_world;

static void count_signal(int sig)
{
	(void)sig;
	__atomic_add_fetch(&sig_world->sig_count, 1, __ATOMIC_SEQ_CST);
}

static void catch_sigusr1(struct __test_metadata *_metadata, struct world *w,
			  int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sig_world = w;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

TEST_F(blocked, signal_interrupts_blocked_read)
{
	struct world *w = self->w;

	catch_sigusr1(_metadata, w, 0);		/* no SA_RESTART */
	blocked_readers(_metadata, w, variant->blocker, 1, 0, 0);
	ASSERT_EQ(0, pthread_kill(w->r[0].thread, SIGUSR1));
	EXPECT_EQ(0, readers_done(w, 1));
	EXPECT_EQ(0, readers_check(_metadata, w, 0, 1, 0, EINTR));
	EXPECT_EQ(1, jt_word_get(&w->sig_count));
	reap_readers(w);
	/* the signal stopped nothing: the stop still does */
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_EQ(-ECANCELED, raw_read(w->r[0].fd));
}

TEST_F(blocked, restarted_read_is_still_woken_by_stop)
{
	struct world *w = self->w;
	char why[256];

	catch_sigusr1(_metadata, w, SA_RESTART);
	blocked_readers(_metadata, w, variant->blocker, 1, 0, 0);
	ASSERT_EQ(0, pthread_kill(w->r[0].thread, SIGUSR1));
	ASSERT_EQ(0, jt_word_wait(&w->sig_count, 1, jt_deadline_in(WAIT_MS)));
	/* the read restarts and blocks again */
	usleep(50000);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	expect_stopped_readers(_metadata, w, 1, 0, ECANCELED);
}

TEST_F(blocked, nonblocking_read_gets_eagain_then_ecanceled)
{
	struct world *w = self->w;
	int fd, i;

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	block_reads(_metadata, w, variant->blocker);
	fd = open_file(_metadata, w, w->db);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-EAGAIN, raw_read(fd));
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_EQ(-ECANCELED, raw_read(fd));
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(blocked, service_all_fails_blocked_reads)
{
	struct world *w = self->w;

	blocked_readers(_metadata, w, variant->blocker, 4, 0, 1);
	ASSERT_JET(JET_errSuccess,
		   owner_call(w, OP_SERVICE, SVC_ALL));
	expect_stopped_readers(_metadata, w, 4,
			       JET_errClientRequestToStopJetService,
			       ECONNABORTED);
	EXPECT_EQ(-ECONNABORTED, raw_read(w->r[0].fd));
}

TEST_F(blocked, owner_exit_fails_blocked_reads)
{
	struct world *w = self->w;

	blocked_readers(_metadata, w, variant->blocker, 4, 0, 1);
	owner_end(w, 0);
	expect_stopped_readers(_metadata, w, 4, JET_errBackupAbortByServer,
			       ECANCELED);
	close_readers(_metadata, w, 4);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

/* ==== post-stop rules ==== */

FIXTURE(stop) {
	struct world *w;
};

FIXTURE_SETUP(stop)
{
	self->w = world_new(_metadata, 0);
}

FIXTURE_TEARDOWN(stop)
{
	world_free(self->w);
}

/* A full backup, everything copied, then stopped: only the stop can make a
 * later call fail.
 */
static void copied_then_stopped(struct __test_metadata *_metadata,
				struct world *w)
{
	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	copy_everything(_metadata, w);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
}

TEST_F(stop, after_stop_get_attach_info_fails)
{
	char buf[4096];
	unsigned long cb = 0;

	ASSERT_JET(JET_errSuccess,
		   JetBeginExternalBackupInstance(self->w->inst, 0));
	ASSERT_JET(JET_errSuccess, owner_call(self->w, OP_STOP, 0));
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetGetAttachInfoInstance(self->w->inst, buf, sizeof(buf),
					    &cb));
}

TEST_F(stop, after_stop_open_fails)
{
	unsigned long lo = 0, hi = 0;
	JET_HANDLE h = 0;

	ASSERT_JET(JET_errSuccess,
		   JetBeginExternalBackupInstance(self->w->inst, 0));
	ASSERT_JET(JET_errSuccess, owner_call(self->w, OP_STOP, 0));
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetOpenFileInstance(self->w->inst, self->w->db, &h, &lo,
				       &hi));
}

TEST_F(stop, after_stop_open_of_log_fails)
{
	unsigned long lo = 0, hi = 0;
	JET_HANDLE h = 0;

	copied_then_stopped(_metadata, self->w);
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetOpenFileInstance(self->w->inst, self->w->logs[0], &h,
				       &lo, &hi));
}

TEST_F(stop, after_stop_read_fails)
{
	struct world *w = self->w;
	char buf[4096];
	unsigned long cb = 12345;
	int fd;

	fd = begin_open_db(_metadata, w);
	ASSERT_LT(0, raw_read(fd));
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetReadFileInstance(w->inst, fd, buf, sizeof(buf), &cb));
	EXPECT_EQ(-ECANCELED, raw_read(fd));
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ECANCELED, errno);
}

TEST_F(stop, after_stop_get_log_info_fails)
{
	char buf[4096];
	unsigned long cb = 0;

	copied_then_stopped(_metadata, self->w);
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetGetLogInfoInstance(self->w->inst, buf, sizeof(buf),
					 &cb));
}

TEST_F(stop, after_stop_get_truncate_log_info_fails)
{
	char buf[4096];
	unsigned long cb = 0;

	copied_then_stopped(_metadata, self->w);
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetGetTruncateLogInfoInstance(self->w->inst, buf,
						 sizeof(buf), &cb));
}

TEST_F(stop, after_stop_truncate_fails)
{
	copied_then_stopped(_metadata, self->w);
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetTruncateLogInstance(self->w->inst));
}

TEST_F(stop, after_stop_close_succeeds)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	int fd;

	fd = begin_open_db(_metadata, w);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));	/* really closed */
	st = get_state(_metadata, w);
	EXPECT_EQ(0, st.open_files);
}

TEST_F(stop, after_stop_end_succeeds_and_counts_as_abort)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;

	copied_then_stopped(_metadata, w);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	st = get_state(_metadata, w);
	EXPECT_EQ(0, st.flags & (JET_INSTANCE_STATE_BACKUP |
				 JET_INSTANCE_STATE_FULL_BACKUP_DONE));
	EXPECT_JET(JET_errMissingFullBackup,
		   JetBeginExternalBackupInstance(w->inst,
						  JET_bitBackupIncremental));

	/* the same backup without the stop does count */
	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	copy_everything(_metadata, w);
	ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	st = get_state(_metadata, w);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	EXPECT_JET(JET_errSuccess,
		   JetBeginExternalBackupInstance(w->inst,
						  JET_bitBackupIncremental));
	EXPECT_JET(JET_errSuccess,
		   JetEndExternalBackupInstance2(w->inst,
						 JET_bitBackupEndAbort));
}

TEST_F(stop, after_stop_end_abort_succeeds)
{
	copied_then_stopped(_metadata, self->w);
	EXPECT_JET(JET_errSuccess,
		   JetEndExternalBackupInstance2(self->w->inst,
						 JET_bitBackupEndAbort));
	EXPECT_JET(JET_errNoBackup,
		   JetEndExternalBackupInstance(self->w->inst));
}

TEST_F(stop, after_stop_poll_reports_err_and_hup)
{
	struct world *w = self->w;
	struct pollfd pfd;
	int fd;

	fd = begin_open_db(_metadata, w);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents & (POLLERR | POLLHUP));
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLERR | POLLHUP, pfd.revents & (POLLERR | POLLHUP));
}

TEST_F(stop, stop_wakes_blocked_poll)
{
	struct world *w = self->w;
	struct pollfd pfd;
	uint64_t t0;
	int fd, ret;
	pid_t pid;

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_PAUSE, 0));
	fd = open_file(_metadata, w, w->db);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 0)
		SKIP(return, "a paused backup file polls readable (%#x)",
		     pfd.revents);
	/* the owner stops 200 ms from now, while poll() waits */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		usleep(200000);
		_exit(owner_call(w, OP_STOP, 0) == JET_errSuccess ? 0 : 1);
	}
	t0 = jt_now_ns();
	ret = poll(&pfd, 1, WAIT_MS);
	EXPECT_EQ(1, ret);
	EXPECT_EQ(POLLERR | POLLHUP, pfd.revents & (POLLERR | POLLHUP));
	EXPECT_GT(WAIT_MS * 1000000ull / 2, jt_now_ns() - t0);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, WAIT_MS)));
}

TEST_F(stop, begin_after_stopped_end_reads_whole_file)
{
	struct world *w = self->w;
	uint64_t d = 0, n = 0;
	int fd;

	copied_then_stopped(_metadata, w);
	ASSERT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errSuccess, read_to_end(w->inst, fd, &d, &n));
	EXPECT_EQ(DB_SIZE, n);
	EXPECT_EQ(jt_file_digest(w->db), d);
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, stop_without_backup_changes_nothing)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE a, b;
	uint64_t d = 0, n = 0;
	int fd;

	a = get_state(_metadata, w);
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	b = get_state(_metadata, w);
	EXPECT_EQ(a.flags, b.flags);
	EXPECT_EQ(a.phase, b.phase);
	EXPECT_EQ(a.service_bits, b.service_bits);
	EXPECT_EQ(a.db_count, b.db_count);
	EXPECT_EQ(a.log_count, b.log_count);
	EXPECT_EQ(a.checkpoint, b.checkpoint);
	EXPECT_EQ(0, b.flags & (JET_INSTANCE_STATE_BACKUP |
				JET_INSTANCE_STATE_BACKUP_STOPPED));

	/* the next backup starts clean */
	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	b = get_state(_metadata, w);
	EXPECT_EQ(0, b.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
	fd = open_file(_metadata, w, w->db);
	EXPECT_JET(JET_errSuccess, read_to_end(w->inst, fd, &d, &n));
	EXPECT_EQ(DB_SIZE, n);
	EXPECT_EQ(jt_file_digest(w->db), d);
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, read_copying_returns_copied_bytes_then_fails)
{
	struct world *w = self->w;
	const size_t lock_at = (64 << 10) + 123;
	static char buf[256 << 10], want[256 << 10];
	uint64_t h = 0;
	char why[256];
	ssize_t n;
	int fd, dbfd;

	dbfd = open(w->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dbfd);
	ASSERT_EQ((ssize_t)lock_at, pread(dbfd, want, lock_at, 0));
	close(dbfd);

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	ASSERT_JET(JET_errSuccess, owner_call2(w, OP_LOCK, lock_at,
					       DB_SIZE - lock_at, &h));
	fd = open_file(_metadata, w, w->db);
	/* one read spanning the lock: the bytes before it come back */
	n = read(fd, buf, sizeof(buf));
	ASSERT_EQ((ssize_t)lock_at, n);
	EXPECT_EQ(0, memcmp(buf, want, lock_at));
	/* the next read blocks on the lock; the stop fails it */
	w->r[0].fd = fd;
	w->r[0].kind = K_READ;
	start_readers(_metadata, w, 0, 1, 0);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	expect_stopped_readers(_metadata, w, 1, 0, ECANCELED);
	EXPECT_EQ(0, w->r[0].bytes);
	EXPECT_EQ(-ECANCELED, raw_read(fd));
}

/* sendfile(2) and splice(2) from a backup file block like read(2). */
static void zero_copy_stopped(struct __test_metadata *_metadata,
			      struct world *w, int kind)
{
	int p[2] = { -1, -1 }, fd;
	char why[256];

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	block_reads(_metadata, w, B_LOCK);
	fd = open_file(_metadata, w, w->db);
	if (kind == K_SPLICE) {
		ASSERT_EQ(0, pipe(p));
		w->r[0].out_fd = p[1];
		w->r[0].drain_fd = p[0];
	} else {
		w->r[0].out_fd = open(w->out, O_WRONLY | O_CREAT | O_TRUNC |
				      O_CLOEXEC, 0600);
		ASSERT_LE(0, w->r[0].out_fd);
	}
	w->r[0].fd = fd;
	w->r[0].kind = kind;
	start_readers(_metadata, w, 0, 1, 0);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	expect_stopped_readers(_metadata, w, 1, 0, ECANCELED);
	EXPECT_EQ(0, w->r[0].bytes);
	close(w->r[0].out_fd);
	if (p[0] >= 0)
		close(p[0]);
}

TEST_F(stop, stop_fails_blocked_sendfile)
{
	zero_copy_stopped(_metadata, self->w, K_SENDFILE);
}

TEST_F(stop, stop_fails_blocked_splice)
{
	zero_copy_stopped(_metadata, self->w, K_SPLICE);
}

TEST_F(stop, stop_fails_blocked_pread)
{
	struct world *w = self->w;
	char why[256];

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	block_reads(_metadata, w, B_LOCK);
	w->r[0].fd = open_file(_metadata, w, w->db);
	w->r[0].kind = K_PREAD;
	start_readers(_metadata, w, 0, 1, 0);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	expect_stopped_readers(_metadata, w, 1, 0, ECANCELED);
}

/* ---- term and the owner's end ---- */

/* A term (or the owner's end) with blocked readers: as a stop. */
static void end_fails_readers(struct __test_metadata *_metadata,
			      struct world *w, int op, JET_GRBIT grbit,
			      int sig)
{
	JET_INSTANCE_STATE st;

	blocked_readers(_metadata, w, B_LOCK, 4, 0, 1);
	if (op)
		ASSERT_JET(JET_errSuccess, owner_call(w, op, grbit));
	else
		owner_end(w, sig);
	expect_stopped_readers(_metadata, w, 4, JET_errBackupAbortByServer,
			       ECANCELED);
	EXPECT_EQ(-ECANCELED, raw_read(w->r[0].fd));
	close_readers(_metadata, w, 4);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	/* the instance is gone */
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceStateInstance(w->inst, &st));
}

TEST_F(stop, term_stop_backup_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, OP_TERM, JET_bitTermStopBackup,
			  0);
}

TEST_F(stop, term_abrupt_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, OP_TERM, JET_bitTermAbrupt, 0);
}

TEST_F(stop, term_dirty_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, OP_TERM, JET_bitTermDirty, 0);
}

TEST_F(stop, jetterm_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, OP_TERM_DEFAULT, 0, 0);
}

TEST_F(stop, owner_exit_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, 0, 0, 0);
}

TEST_F(stop, owner_sigkill_fails_blocked_reads)
{
	end_fails_readers(_metadata, self->w, 0, 0, SIGKILL);
}

TEST_F(stop, term_complete_with_backup_is_refused)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	int fd;

	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errBackupInProgress,
		   owner_call(w, OP_TERM, JET_bitTermComplete));
	EXPECT_JET(JET_errBackupInProgress, owner_call(w, OP_TERM, 0));
	st = get_state(_metadata, w);
	EXPECT_EQ(JET_INSTANCE_STATE_BACKUP,
		  st.flags & (JET_INSTANCE_STATE_BACKUP |
			      JET_INSTANCE_STATE_BACKUP_STOPPED |
			      JET_INSTANCE_STATE_TERMINATING));
	EXPECT_LT(0, raw_read(fd));
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	/* without the backup, Complete works */
	EXPECT_JET(JET_errSuccess,
		   owner_call(w, OP_TERM, JET_bitTermComplete));
}

/* ---- legacy calls and run modes ---- */

/* A backup reads on: nothing was stopped. */
static void expect_backup_reads(struct __test_metadata *_metadata,
				struct world *w, int fd)
{
	JET_INSTANCE_STATE st = get_state(_metadata, w);

	EXPECT_EQ(JET_INSTANCE_STATE_BACKUP,
		  st.flags & (JET_INSTANCE_STATE_BACKUP |
			      JET_INSTANCE_STATE_BACKUP_STOPPED |
			      JET_INSTANCE_STATE_SERVICE_STOPPED));
	EXPECT_EQ(0, st.service_bits);
	EXPECT_LT(0, raw_read(fd));
}

/* The backup was left alone: it reads on, closes and ends normally. */
static void expect_reads_then_end(struct __test_metadata *_metadata,
				  struct world *w, int fd)
{
	expect_backup_reads(_metadata, w, fd);
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, legacy_stop_backup_in_multi_instance_mode_changes_nothing)
{
	struct world *w = self->w;
	int fd;

	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errRunningInMultiInstanceMode,
		   owner_call(w, OP_STOP_LEGACY, 0));
	expect_reads_then_end(_metadata, w, fd);
}

TEST_F(stop, legacy_stop_backup_in_noset_mode_is_invalid)
{
	struct world *w = self->w;
	int fd;

	/* this process (the agent) never created an instance: NoSet */
	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errInvalidParameter, JetStopBackup());
	expect_reads_then_end(_metadata, w, fd);
}

TEST_F(stop, legacy_stop_service_in_multi_instance_mode_changes_nothing)
{
	struct world *w = self->w;
	int fd;

	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errRunningInMultiInstanceMode,
		   owner_call(w, OP_SERVICE_LEGACY, 0));
	expect_reads_then_end(_metadata, w, fd);
}

TEST_F(stop, legacy_stop_service_in_noset_mode_is_invalid)
{
	struct world *w = self->w;
	int fd;

	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errInvalidParameter, JetStopService());
	expect_reads_then_end(_metadata, w, fd);
}

/* ---- stop service ---- */

TEST_F(stop, service_all_fails_read_and_close)
{
	struct world *w = self->w;
	char buf[4096];
	unsigned long cb = 0;
	int fd;

	fd = begin_open_db(_metadata, w);
	ASSERT_JET(JET_errSuccess,
		   owner_call(w, OP_SERVICE, SVC_ALL));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetReadFileInstance(w->inst, fd, buf, sizeof(buf), &cb));
	EXPECT_EQ(-ECONNABORTED, raw_read(fd));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance(w->inst));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance2(w->inst,
						 JET_bitBackupEndAbort));
	close(fd);
}

TEST_F(stop, service_all_fails_every_backup_call)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	unsigned long lo, hi, cb;
	JET_HANDLE h = 0;
	char buf[4096];

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	copy_everything(_metadata, w);
	ASSERT_JET(JET_errSuccess,
		   owner_call(w, OP_SERVICE, SVC_ALL));
	st = get_state(_metadata, w);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_SERVICE_STOPPED);
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetGetAttachInfoInstance(w->inst, buf, sizeof(buf), &cb));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetOpenFileInstance(w->inst, w->logs[0], &h, &lo, &hi));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetGetLogInfoInstance(w->inst, buf, sizeof(buf), &cb));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetGetTruncateLogInfoInstance(w->inst, buf, sizeof(buf),
						 &cb));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetTruncateLogInstance(w->inst));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance(w->inst));
	/* a stop after it changes nothing: the service error stays */
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, service_all_refuses_begin_and_is_sticky)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;

	ASSERT_JET(JET_errSuccess,
		   owner_call(w, OP_SERVICE, SVC_ALL));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetBeginExternalBackupInstance(w->inst, 0));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   owner_call(w, OP_SERVICE, SVC_RESUME));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetBeginExternalBackupInstance(w->inst, 0));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetBeginExternalBackupInstance(w->inst,
						  JET_bitBackupIncremental));
	st = get_state(_metadata, w);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_SERVICE_STOPPED);
	EXPECT_EQ(0, st.flags & JET_INSTANCE_STATE_BACKUP);
}

TEST_F(stop, service_all_refuses_begin_after_the_agent_exits)
{
	struct world *w = self->w;
	pid_t pid;

	/* another agent's backup, stopped by the service stop, then gone */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (JetBeginExternalBackupInstance(w->inst, 0))
			_exit(1);
		if (owner_call(w, OP_SERVICE, SVC_ALL))
			_exit(2);
		_exit(0);
	}
	ASSERT_TRUE(jt_child_ok(jt_wait_child(pid, WAIT_MS)));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetBeginExternalBackupInstance(w->inst, 0));
}

TEST_F(stop, stop_service_instance_is_all)
{
	struct world *w = self->w;

	blocked_readers(_metadata, w, B_LOCK, 2, 0, 1);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_SERVICE_INST, 0));
	expect_stopped_readers(_metadata, w, 2,
			       JET_errClientRequestToStopJetService,
			       ECONNABORTED);
	/* the backup stays until the term: End cannot end it */
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance(w->inst));
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   owner_call(w, OP_SERVICE, SVC_RESUME));
}

/* BackgroundUserTasks and QuiesceCaches: recorded, backups go on. */
TEST_F(stop, service_bits_are_recorded_and_do_not_stop_backups)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	uint64_t h = 0;
	char why[256];

	ASSERT_JET(JET_errSuccess, JetBeginExternalBackupInstance(w->inst, 0));
	ASSERT_JET(JET_errSuccess, owner_call2(w, OP_LOCK, 0, DB_SIZE, &h));
	w->r[0].fd = open_file(_metadata, w, w->db);
	w->r[0].kind = K_JET;
	start_readers(_metadata, w, 0, 1, 0);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);

	EXPECT_JET(JET_errSuccess, owner_call(w, OP_SERVICE, SVC_TASKS));
	st = get_state(_metadata, w);
	EXPECT_EQ(SVC_TASKS, st.service_bits);
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_SERVICE, SVC_QUIESCE));
	st = get_state(_metadata, w);
	EXPECT_EQ(SVC_TASKS | SVC_QUIESCE, st.service_bits);
	EXPECT_EQ(0, st.flags & (JET_INSTANCE_STATE_SERVICE_STOPPED |
				 JET_INSTANCE_STATE_BACKUP_STOPPED));

	/* the reader was not woken by either */
	usleep(100000);
	ASSERT_TRUE(readers_blocked(w, 0, 1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_UNLOCK, h));
	EXPECT_EQ(0, readers_done(w, 1));
	EXPECT_EQ(READ_EOF, w->r[0].ret)
		TH_LOG("reader: %s", JetErrorName(w->r[0].ret));
	EXPECT_EQ(DB_SIZE, w->r[0].bytes);
	reap_readers(w);
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, w->r[0].fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, resume_alone_clears_service_bits)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	int fd;

	fd = begin_open_db(_metadata, w);
	EXPECT_JET(JET_errSuccess,
		   owner_call(w, OP_SERVICE, SVC_TASKS | SVC_QUIESCE));
	st = get_state(_metadata, w);
	EXPECT_EQ(SVC_TASKS | SVC_QUIESCE, st.service_bits);
	EXPECT_LT(0, raw_read(fd));
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_SERVICE, SVC_RESUME));
	st = get_state(_metadata, w);
	EXPECT_EQ(0, st.service_bits);
	expect_backup_reads(_metadata, w, fd);
	/* resuming with nothing stopped is fine too */
	EXPECT_JET(JET_errSuccess, owner_call(w, OP_SERVICE, SVC_RESUME));
	EXPECT_JET(JET_errSuccess, JetCloseFileInstance(w->inst, fd));
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(stop, resume_with_another_bit_is_invalid)
{
	static const JET_GRBIT bad[] = {
		SVC_RESUME | SVC_TASKS,
		SVC_RESUME | SVC_QUIESCE,
		SVC_RESUME | SVC_TASKS | SVC_QUIESCE,
	};
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	unsigned int i;
	int fd;

	fd = begin_open_db(_metadata, w);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_SERVICE, SVC_TASKS));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_JET(JET_errInvalidGrbit,
			   owner_call(w, OP_SERVICE, bad[i]));
	st = get_state(_metadata, w);
	EXPECT_EQ(SVC_TASKS, st.service_bits);
	EXPECT_LT(0, raw_read(fd));
}

TEST_F(stop, unknown_service_bits_are_invalid)
{
	struct world *w = self->w;
	JET_INSTANCE_STATE st;
	unsigned int i;
	int fd;

	fd = begin_open_db(_metadata, w);
	for (i = 0; i < 8 * sizeof(JET_GRBIT); i++) {
		JET_GRBIT bit = (JET_GRBIT)1 << i;

		if (bit == SVC_TASKS || bit == SVC_QUIESCE || bit == SVC_RESUME)
			continue;
		EXPECT_JET(JET_errInvalidGrbit, owner_call(w, OP_SERVICE, bit));
		EXPECT_JET(JET_errInvalidGrbit,
			   owner_call(w, OP_SERVICE, bit | SVC_QUIESCE));
	}
	expect_backup_reads(_metadata, w, fd);
	st = get_state(_metadata, w);
	EXPECT_EQ(0, st.service_bits);
}

/* ---- who may stop ---- */

struct child_results {
	long r[4];
	int dev_errno;
};

/* In a child: becomes uid 1000 with caps, then tries every stop. */
static void __noreturn
try_stops_as(struct world *w, struct child_results *res, uint32_t caps,
	     int stop_only)
{
	int fd;

	if (jt_become(1000, 1000, caps))
		_exit(3);
	/* the node must be open to everyone (SPEC 8) for this to mean much */
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		res->dev_errno = errno;
		_exit(4);
	}
	close(fd);
	res->r[0] = JetStopBackupInstance(w->inst);
	if (!stop_only) {
		res->r[1] = JetStopServiceInstance2(w->inst, SVC_TASKS);
		res->r[2] = JetStopServiceInstance2(w->inst, SVC_ALL);
		res->r[3] = JetStopServiceInstance(w->inst);
	}
	_exit(0);
}

static void run_as_child(struct __test_metadata *_metadata, struct world *w,
			 uint32_t caps, int stop_only, struct child_results *res)
{
	int status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		try_stops_as(w, res, caps, stop_only);
	status = jt_wait_child(pid, WAIT_MS);
	ASSERT_NE(4, WIFEXITED(status) ? WEXITSTATUS(status) : 0)
		TH_LOG("uid 1000 cannot open %s: %s", JET_DEV,
		       strerror(res->dev_errno));
	ASSERT_TRUE(jt_child_ok(status)) TH_LOG("child status %#x", status);
}

TEST_F(stop, non_owner_without_cap_cannot_stop)
{
	struct world *w = self->w;
	struct child_results *res;
	int fd, i;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	fd = begin_open_db(_metadata, w);
	run_as_child(_metadata, w, 0, 0, res);
	for (i = 0; i < 4; i++)
		EXPECT_JET(JET_errFileAccessDenied, res->r[i]);
	expect_reads_then_end(_metadata, w, fd);
	munmap(res, sizeof(*res));
}

TEST_F(stop, non_owner_with_cap_sys_admin_can_stop)
{
	struct world *w = self->w;
	struct child_results *res;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	blocked_readers(_metadata, w, B_LOCK, 2, 0, 1);
	run_as_child(_metadata, w, 1u << CAP_SYS_ADMIN, 1, res);
	EXPECT_JET(JET_errSuccess, res->r[0]);
	expect_stopped_readers(_metadata, w, 2, JET_errBackupAbortByServer,
			       ECANCELED);
	close_readers(_metadata, w, 2);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
	munmap(res, sizeof(*res));
}

TEST_F(stop, agent_with_cap_sys_admin_can_stop_its_own_backup)
{
	struct world *w = self->w;

	/* root, not the owner: CAP_SYS_ADMIN is what allows it */
	blocked_readers(_metadata, w, B_LOCK, 2, 0, 1);
	w->o.t_return = jt_now_ns();
	ASSERT_JET(JET_errSuccess, JetStopBackupInstance(w->inst));
	w->o.t_return = jt_now_ns();
	expect_stopped_readers(_metadata, w, 2, JET_errBackupAbortByServer,
			       ECANCELED);
	close_readers(_metadata, w, 2);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

/* ==== the one-instance mode ==== */

FIXTURE(oneinst) {
	struct world *w;
};

FIXTURE_SETUP(oneinst)
{
	self->w = world_new(_metadata, 1);
}

FIXTURE_TEARDOWN(oneinst)
{
	world_free(self->w);
}

TEST_F(oneinst, legacy_stop_backup_stops_the_instance)
{
	struct world *w = self->w;

	blocked_readers(_metadata, w, B_LOCK, 2, 0, 1);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP_LEGACY, 0));
	expect_stopped_readers(_metadata, w, 2, JET_errBackupAbortByServer,
			       ECANCELED);
	close_readers(_metadata, w, 2);
	EXPECT_JET(JET_errSuccess, JetEndExternalBackupInstance(w->inst));
}

TEST_F(oneinst, legacy_stop_service_stops_the_instance)
{
	struct world *w = self->w;

	blocked_readers(_metadata, w, B_LOCK, 2, 0, 1);
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_SERVICE_LEGACY, 0));
	expect_stopped_readers(_metadata, w, 2,
			       JET_errClientRequestToStopJetService,
			       ECONNABORTED);
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetEndExternalBackupInstance(w->inst));
}

TEST_F(oneinst, stop_backup_instance_ignores_the_handle)
{
	struct world *w = self->w;

	/* in OneInst the handle argument is ignored: even a bogus one */
	blocked_readers(_metadata, w, B_LOCK, 1, 0, 0);
	w->o.inst = w->inst + 0x10000;
	ASSERT_JET(JET_errSuccess, owner_call(w, OP_STOP, 0));
	w->o.inst = w->inst;
	expect_stopped_readers(_metadata, w, 1, 0, ECANCELED);
}

TEST_HARNESS_MAIN
