// SPDX-License-Identifier: GPL-2.0
/*
 * backup_test.c - streaming backup as the agent sees it (SPEC section 6), and
 * who a backup belongs to when a process dies.
 *
 * Each test runs the owner in a child process: a small command server on a
 * pair of pipes that creates the instance, writes and attaches its files,
 * registers logs and moves the checkpoint when the test asks, and answers
 * the log roll requests of backups on its own (the next generation's log,
 * named as the others, ROLL_SIZE bytes). The test process itself is the
 * backup agent, so owner and agent have separate /dev/jet contexts, as a
 * database server and a backup program do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <ftw.h>
#include <poll.h>
#include <sys/sendfile.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define DB_BIG		(6u << 20)	/* the database of the full backups */
#define DB_SMALL	((256u << 10) + 333)
#define MAX_GEN		16
#define ROLL_SIZE	12345	/* a log the owner closes on a roll request */
#define LIST_MAX	65536
#define OWNER_MS	30000		/* longest an owner command may take */

/* ---- the owner, a command server in a child process ---- */

enum own_op {
	OWN_CREATE = 1,	/* path: instance name -> v[0]: instance */
	OWN_INIT,
	OWN_MKFILE,	/* path, a: size, b: seed */
	OWN_MKSPARSE,	/* path, a: size (a hole) */
	OWN_APPEND,	/* path, a: bytes */
	OWN_ATTACH,	/* path */
	OWN_DETACH,	/* path */
	OWN_ADD_LOG,	/* path, a: generation */
	OWN_CHECKPOINT,	/* a: generation */
	OWN_THROTTLE,	/* a: bytes per second */
	OWN_LOCK,	/* path, a: offset, b: length -> v[0]: lock */
	OWN_UNLOCK,	/* a: lock */
	OWN_PAUSE,
	OWN_RESUME,
	OWN_STOP,
	OWN_STOP_SERVICE,
	OWN_EVENT,	/* a: ms to wait for POLLIN -> v[0..2] event, v[3] revents */
};

struct own_req {
	int op;
	int pad;
	unsigned long long a, b;
	char path[1024];
};

struct own_rsp {
	long err;
	unsigned long long v[4];
};

struct owner {
	pid_t pid;
	int req;		/* commands to the owner */
	int rsp;		/* its answers */
};

static long own_file(const struct own_req *q)
{
	static char zeros[65536];
	unsigned long long left = q->a;
	int fd, ret = 0;

	switch (q->op) {
	case OWN_MKFILE:
		return jt_make_file(q->path, q->a, (uint32_t)q->b) ?
			JET_errDiskIO : 0;
	case OWN_MKSPARSE:
		fd = open(q->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return JET_errDiskIO;
		ret = ftruncate(fd, (off_t)q->a);
		break;
	default:	/* OWN_APPEND */
		fd = open(q->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0)
			return JET_errDiskIO;
		memset(zeros, 0x5a, sizeof(zeros));
		while (left && !ret) {
			size_t n = left < sizeof(zeros) ? left : sizeof(zeros);

			ret = write(fd, zeros, n) == (ssize_t)n ? 0 : -1;
			left -= n;
		}
	}
	close(fd);
	return ret ? JET_errDiskIO : 0;
}

static long own_event(const struct own_req *q, struct own_rsp *r)
{
	struct pollfd p = { .events = POLLIN };
	JET_INSTANCE inst;
	unsigned long first, last;
	long err;

	err = JetGetNotificationFd(&p.fd);
	if (err)
		return err;
	if (poll(&p, 1, (int)q->a) < 0)
		return JET_errDiskIO;
	r->v[3] = p.revents;
	err = JetGetLogTruncationEvent(&inst, &first, &last);
	r->v[0] = inst;
	r->v[1] = first;
	r->v[2] = last;
	return err;
}

static long own_serve(const struct own_req *q, struct own_rsp *r,
		      JET_INSTANCE *inst, JET_SESID *ses)
{
	JET_HANDLE h;
	long err;

	if ((q->op == OWN_ATTACH || q->op == OWN_DETACH) && !*ses) {
		err = JetBeginSession(*inst, ses, NULL, NULL);
		if (err)
			return err;
	}
	switch (q->op) {
	case OWN_CREATE:
		err = JetCreateInstance(inst, q->path);
		r->v[0] = *inst;
		return err;
	case OWN_INIT:
		return JetInit(inst);
	case OWN_MKFILE:
	case OWN_MKSPARSE:
	case OWN_APPEND:
		return own_file(q);
	case OWN_ATTACH:
		return JetAttachDatabase(*ses, q->path, 0);
	case OWN_DETACH:
		return JetDetachDatabase(*ses, q->path);
	case OWN_ADD_LOG:
		return JetAddLogFileInstance(*inst, q->path, q->a);
	case OWN_CHECKPOINT:
		return JetSetCheckpointInstance(*inst, q->a);
	case OWN_THROTTLE:
		return JetSetBackupThrottleInstance(*inst, q->a);
	case OWN_LOCK:
		err = JetLockWriteRangeInstance(*inst, q->path, q->a, q->b, &h);
		r->v[0] = h;
		return err;
	case OWN_UNLOCK:
		return JetUnlockWriteRangeInstance(*inst, q->a);
	case OWN_PAUSE:
		return JetPauseBackupInstance(*inst);
	case OWN_RESUME:
		return JetResumeBackupInstance(*inst);
	case OWN_STOP:
		return JetStopBackupInstance(*inst);
	case OWN_STOP_SERVICE:
		return JetStopServiceInstance(*inst);
	case OWN_EVENT:
		return own_event(q, r);
	}
	return JET_errInvalidOperation;
}

/*
 * The owner's life: serve until the test closes the command pipe, and
 * answer roll requests (POLLPRI on its /dev/jet) as they come.
 */
static void own_main(int req, int rsp, const char *roll_pattern)
{
	struct pollfd p[2] = {
		{ .fd = req, .events = POLLIN },
		{ .fd = -1, .events = POLLPRI },
	};
	JET_INSTANCE inst = 0;
	JET_SESID ses = 0;
	struct own_req q;
	struct own_rsp r;

	for (;;) {
		if (p[1].fd < 0 && inst)
			JetGetNotificationFd(&p[1].fd);
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLPRI)
			jt_answer_rolls(-1, roll_pattern, ROLL_SIZE);
		if (!p[0].revents)
			continue;
		if (read(req, &q, sizeof(q)) != sizeof(q))
			break;
		memset(&r, 0, sizeof(r));
		r.err = own_serve(&q, &r, &inst, &ses);
		if (write(rsp, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

static int own_start(struct owner *o, const char *roll_pattern)
{
	int req[2], rsp[2];

	if (pipe2(req, O_CLOEXEC) || pipe2(rsp, O_CLOEXEC))
		return -1;
	fflush(NULL);
	o->pid = fork();
	if (o->pid < 0)
		return -1;
	if (!o->pid) {
		close(req[1]);
		close(rsp[0]);
		own_main(req[0], rsp[1], roll_pattern);
	}
	close(req[0]);
	close(rsp[1]);
	o->req = req[1];
	o->rsp = rsp[0];
	return 0;
}

/* One command; the owner's JET error, or 1 when it did not answer. */
static long own_call(struct owner *o, int op, const char *path,
		     unsigned long long a, unsigned long long b,
		     unsigned long long *v)
{
	struct pollfd p = { .fd = o->rsp, .events = POLLIN };
	struct own_req q = { .op = op, .a = a, .b = b };
	struct own_rsp r;
	int ms = OWNER_MS + (op == OWN_EVENT ? (int)a : 0);

	if (path)
		snprintf(q.path, sizeof(q.path), "%s", path);
	if (write(o->req, &q, sizeof(q)) != sizeof(q))
		return 1;
	if (poll(&p, 1, ms) != 1 || read(o->rsp, &r, sizeof(r)) != sizeof(r))
		return 1;
	if (v)
		memcpy(v, r.v, sizeof(r.v));
	return r.err;
}

static void own_stop(struct owner *o)
{
	if (o->pid <= 0)
		return;
	close(o->req);
	close(o->rsp);
	jt_wait_child(o->pid, 5000);
	o->pid = 0;
}

/* ---- small helpers ---- */

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? ~0ull : (uint64_t)st.st_size;
}

/* True when buf[0, cb) holds exactly these names, then the extra NUL. */
static int names_are(const char *buf, unsigned long cb,
		     const char *const *want, int n)
{
	unsigned long off = 0;
	int i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(want[i]) + 1;

		if (off + len > cb || memcmp(buf + off, want[i], len))
			return 0;
		off += len;
	}
	return off + 1 == cb && buf[off] == '\0';
}

/* A name list for a log message: NULs shown as '|'. */
static const char *show(const char *buf, unsigned long cb)
{
	static char out[2048];
	unsigned long i;

	for (i = 0; i < cb && i < sizeof(out) - 1; i++)
		out[i] = buf[i] ? buf[i] : '|';
	out[i] = '\0';
	return out;
}

/* How a backup file came through. */
struct copied {
	uint64_t size;		/* as JetOpenFileInstance reported it */
	uint64_t bytes;		/* read */
	uint64_t digest;
};

/*
 * Opens name in the running backup and reads it to its end with
 * JetReadFileInstance in cb-byte calls from a misaligned buffer, writing the
 * copy to out (unless NULL). Returns the first JET error.
 */
static long backup_copy(JET_INSTANCE inst, const char *name, unsigned long cb,
			const char *out, struct copied *c)
{
	unsigned long lo = 0, hi = 0, got;
	JET_HANDLE hf;
	char *mem, *buf;
	long err, cerr;
	int ofd = -1;

	memset(c, 0, sizeof(*c));
	err = JetOpenFileInstance(inst, name, &hf, &lo, &hi);
	if (err)
		return err;
	c->size = (uint64_t)hi << 32 | lo;
	mem = malloc(cb + 1);
	buf = mem + 1;	/* no alignment rule: prove it */
	if (out)
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!mem || (out && ofd < 0))
		err = JET_errOutOfMemory;
	while (!err) {
		err = JetReadFileInstance(inst, hf, buf, cb, &got);
		if (err || !got)
			break;
		if (got > cb) {
			err = JET_errInvalidOperation;
			break;
		}
		c->digest = jt_digest(c->digest, buf, got);
		c->bytes += got;
		if (ofd >= 0 && write(ofd, buf, got) != (ssize_t)got)
			err = JET_errDiskIO;
	}
	if (ofd >= 0)
		close(ofd);
	free(mem);
	cerr = JetCloseFileInstance(inst, hf);
	return err ? err : cerr;
}

/* Compares a backup copy with its source file. */
#define EXPECT_COPY_OF(src, c) do {					\
	EXPECT_EQ(file_size(src), (c).size) TH_LOG("size of %s", src);	\
	EXPECT_EQ(file_size(src), (c).bytes) TH_LOG("bytes of %s", src);\
	EXPECT_EQ(jt_file_digest(src), (c).digest)			\
		TH_LOG("digest of %s", src);				\
} while (0)

static void get_state(struct __test_metadata *_metadata, JET_INSTANCE inst,
		      JET_INSTANCE_STATE *st)
{
	memset(st, 0, sizeof(*st));
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, st));
}

/* The newest generation the owner registered (a roll's, after one). */
static int newest_gen(struct __test_metadata *_metadata, JET_INSTANCE inst)
{
	JET_INSTANCE_STATE st;

	get_state(_metadata, inst, &st);
	return (int)st.newest_log;
}

/* The failed call changed nothing the state shows. */
static void expect_same_state(struct __test_metadata *_metadata,
			      const JET_INSTANCE_STATE *a,
			      const JET_INSTANCE_STATE *b)
{
	EXPECT_SAME_STATE(a, b);
	EXPECT_EQ(a->bytes_read, b->bytes_read);
}

#define EXPECT_UNCHANGED(inst, before) do {				\
	JET_INSTANCE_STATE __now;					\
	get_state(_metadata, inst, &__now);				\
	expect_same_state(_metadata, before, &__now);			\
} while (0)

/* ---- the fixture: an owner with one instance, not yet initialised ---- */

FIXTURE(backup) {
	char dir[64];
	char db[128];		/* the main database */
	char db2[128];		/* a second one, made when needed */
	char log[MAX_GEN + 1][128];	/* log[g]: generation g */
	struct owner own;
	JET_INSTANCE inst;
	char list[LIST_MAX];
};

FIXTURE_SETUP(backup)
{
	char name[64], pattern[128];
	unsigned long long v[4];
	int g;

	snprintf(self->dir, sizeof(self->dir), "/tmp/jet-bt.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/main.edb", self->dir);
	snprintf(self->db2, sizeof(self->db2), "%s/second.edb", self->dir);
	for (g = 1; g <= MAX_GEN; g++)
		snprintf(self->log[g], sizeof(self->log[g]), "%s/edb%05X.log",
			 self->dir, g);
	snprintf(pattern, sizeof(pattern), "%s/edb%%05lX.log", self->dir);
	ASSERT_EQ(0, own_start(&self->own, pattern));
	snprintf(name, sizeof(name), "jet-bt-%d", (int)getpid());
	ASSERT_JET(0, own_call(&self->own, OWN_CREATE, name, 0, 0, v));
	self->inst = v[0];
	ASSERT_NE(0, self->inst);
}

FIXTURE_TEARDOWN(backup)
{
	own_stop(&self->own);
	jt_rm_tree(self->dir);
}

/* Size of log generation g: not a multiple of anything. */
static uint64_t log_size(int g)
{
	return 4096 * (g % 5 + 1) + 37 * g;
}

/*
 * The owner initialises its instance, writes and attaches the main database
 * (db_size bytes, none if 0), writes and registers logs first..last and sets
 * the checkpoint.
 */
static void setup_owner(struct __test_metadata *_metadata,
			FIXTURE_DATA(backup) *self, uint64_t db_size,
			int first, int last, int checkpoint)
{
	struct owner *o = &self->own;
	int g;

	ASSERT_JET(0, own_call(o, OWN_INIT, NULL, 0, 0, NULL));
	if (db_size) {
		ASSERT_JET(0, own_call(o, OWN_MKFILE, self->db, db_size,
				       jt_seed_of(0), NULL));
		ASSERT_JET(0, own_call(o, OWN_ATTACH, self->db, 0, 0, NULL));
	}
	for (g = first; g && g <= last; g++) {
		ASSERT_JET(0, own_call(o, OWN_MKFILE, self->log[g],
				       log_size(g), jt_seed_of(g), NULL));
		ASSERT_JET(0, own_call(o, OWN_ADD_LOG, self->log[g], g, 0,
				       NULL));
	}
	if (checkpoint)
		ASSERT_JET(0, own_call(o, OWN_CHECKPOINT, NULL, checkpoint, 0,
				       NULL));
}

/* The owner writes and registers one more log. */
static void add_log(struct __test_metadata *_metadata,
		    FIXTURE_DATA(backup) *self, int g)
{
	ASSERT_JET(0, own_call(&self->own, OWN_MKFILE, self->log[g],
			       log_size(g), jt_seed_of(g), NULL));
	ASSERT_JET(0, own_call(&self->own, OWN_ADD_LOG, self->log[g], g, 0,
			       NULL));
}

/* Copies every name of a list and checks each against its source. */
static void copy_list(struct __test_metadata *_metadata, JET_INSTANCE inst,
		      const char *list, unsigned long cb, unsigned long rd)
{
	const char *name = list;
	struct copied c;

	while (name < list + cb && *name) {
		ASSERT_JET(0, backup_copy(inst, name, rd, NULL, &c));
		EXPECT_COPY_OF(name, c);
		name += strlen(name) + 1;
	}
}

/*
 * A whole backup: full (every database) or incremental, every log of the
 * copy set, a truncation if asked, then the end with end_grbit.
 */
static void run_backup(struct __test_metadata *_metadata,
		       FIXTURE_DATA(backup) *self, JET_GRBIT kind, int truncate,
		       JET_GRBIT end_grbit)
{
	unsigned long cb = 0;

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, kind));
	if (!kind) {
		ASSERT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
						       LIST_MAX, &cb));
		copy_list(_metadata, self->inst, self->list, cb, 65536);
	}
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	if (truncate)
		ASSERT_JET(0, JetTruncateLogInstance(self->inst));
	ASSERT_JET(0, JetEndExternalBackupInstance2(self->inst, end_grbit));
}

/* ---- full backups, and the descriptor a backup file is ---- */

TEST_F_TIMEOUT(backup, full_backup_copies_database_and_logs_identically, 180)
{
	/* 4: the log the owner was writing, closed by the roll */
	const char *logs[] = { self->log[1], self->log[2], self->log[3],
			       self->log[4] };
	char out[160];
	unsigned long cb = 0;
	struct copied c;
	JET_INSTANCE_STATE st;
	int g;

	setup_owner(_metadata, self, DB_BIG, 1, 3, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));

	ASSERT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
					       LIST_MAX, &cb));
	ASSERT_TRUE(names_are(self->list, cb, (const char *[]){ self->db }, 1))
		TH_LOG("attach info: %s", show(self->list, cb));
	snprintf(out, sizeof(out), "%s/copy-main.edb", self->dir);
	ASSERT_JET(0, backup_copy(self->inst, self->db, 65536, out, &c));
	EXPECT_EQ(DB_BIG, c.size);
	EXPECT_EQ(DB_BIG, file_size(out));
	EXPECT_EQ(jt_file_digest(self->db), jt_file_digest(out));

	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	ASSERT_TRUE(names_are(self->list, cb, logs, 4))
		TH_LOG("log info: %s", show(self->list, cb));
	for (g = 1; g <= 4; g++) {
		snprintf(out, sizeof(out), "%s/copy-%d.log", self->dir, g);
		/* an odd count: no alignment rule on cb either */
		ASSERT_JET(0, backup_copy(self->inst, self->log[g], 12345, out,
					  &c));
		EXPECT_EQ(file_size(self->log[g]), c.size);
		EXPECT_EQ(file_size(self->log[g]), file_size(out));
		EXPECT_EQ(jt_file_digest(self->log[g]), jt_file_digest(out));
	}
	ASSERT_JET(0, JetTruncateLogInstance(self->inst));
	ASSERT_JET(0, JetEndExternalBackupInstance(self->inst));

	get_state(_metadata, self->inst, &st);
	EXPECT_FALSE(st.flags & JET_INSTANCE_STATE_BACKUP);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	EXPECT_EQ(4, st.log_count);	/* nothing was below the checkpoint */
}

/* sendfile() from a backup descriptor to a file; the total it moved. */
static long send_all(int in, const char *out, uint64_t *total)
{
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	*total = 0;
	if (ofd < 0)
		return -errno;
	while ((n = sendfile(ofd, in, NULL, 1 << 20)) > 0)
		*total += n;
	n = n < 0 ? -errno : 0;
	close(ofd);
	return n;
}

TEST_F_TIMEOUT(backup, full_backup_through_sendfile_is_identical, 180)
{
	const char *names[] = { self->db, self->log[1], self->log[2],
				self->log[3], self->log[4] };
	unsigned long lo, hi, cb;
	uint64_t total;
	JET_HANDLE hf;
	char out[160];
	int i;

	setup_owner(_metadata, self, DB_BIG, 1, 3, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	for (i = 0; i < 5; i++) {
		if (i == 1)
			ASSERT_JET(0, JetGetLogInfoInstance(self->inst,
					self->list, LIST_MAX, &cb));
		ASSERT_JET(0, JetOpenFileInstance(self->inst, names[i], &hf,
						  &lo, &hi));
		snprintf(out, sizeof(out), "%s/copy-%d", self->dir, i);
		EXPECT_EQ(0, send_all((int)hf, out, &total));
		EXPECT_EQ(file_size(names[i]), total);
		EXPECT_EQ(jt_file_digest(names[i]), jt_file_digest(out))
			TH_LOG("sendfile copy of %s differs", names[i]);
		ASSERT_JET(0, JetCloseFileInstance(self->inst, hf));
	}
	/* sendfile to the end counts as reading the logs to their end */
	EXPECT_JET(0, JetTruncateLogInstance(self->inst));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
}

/* Begins a full backup of the main database and opens it. */
static void open_db(struct __test_metadata *_metadata,
		    FIXTURE_DATA(backup) *self, uint64_t size, JET_HANDLE *hf)
{
	unsigned long lo = 0, hi = 0;

	setup_owner(_metadata, self, size, 0, 0, 0);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->db, hf, &lo, &hi));
	ASSERT_EQ(size, (uint64_t)hi << 32 | lo);
}

TEST_F(backup, backup_fd_read_returns_the_file)
{
	static char buf[65536];
	uint64_t h = 0, total = 0;
	JET_HANDLE hf;
	ssize_t n;

	open_db(_metadata, self, DB_SMALL, &hf);
	while ((n = read((int)hf, buf, sizeof(buf))) > 0) {
		h = jt_digest(h, buf, n);
		total += n;
	}
	EXPECT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(DB_SMALL, total);
	EXPECT_EQ(jt_file_digest(self->db), h);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

TEST_F(backup, backup_fd_pread_reads_any_offset)
{
	const off_t offs[] = { 0, 1, 4095, 65536, 100000, DB_SMALL - 7000,
			       DB_SMALL - 1 };
	static char want[8192], got[8192];
	uint64_t h = 0, total = 0;
	JET_HANDLE hf;
	ssize_t n, m;
	unsigned int i;
	int src;

	open_db(_metadata, self, DB_SMALL, &hf);
	src = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, src);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		m = pread(src, want, sizeof(want), offs[i]);
		n = pread((int)hf, got, sizeof(got), offs[i]);
		EXPECT_EQ(m, n) TH_LOG("pread at %lld", (long long)offs[i]);
		if (n == m && n > 0)
			EXPECT_EQ(0, memcmp(want, got, n))
				TH_LOG("bytes at %lld", (long long)offs[i]);
	}
	EXPECT_EQ(0, pread((int)hf, got, sizeof(got), DB_SMALL));
	EXPECT_EQ(0, pread((int)hf, got, sizeof(got), (off_t)1 << 40));
	close(src);

	/* pread moved nothing: read() still starts at the first byte */
	while ((n = read((int)hf, got, sizeof(got))) > 0) {
		h = jt_digest(h, got, n);
		total += n;
	}
	EXPECT_EQ(DB_SMALL, total);
	EXPECT_EQ(jt_file_digest(self->db), h);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

TEST_F(backup, backup_fd_splices_into_a_pipe)
{
	static char buf[65536];
	uint64_t h = 0, total = 0;
	JET_HANDLE hf;
	ssize_t n, m;
	int p[2];

	open_db(_metadata, self, DB_SMALL, &hf);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	for (;;) {
		n = splice((int)hf, NULL, p[1], NULL, sizeof(buf), 0);
		if (n <= 0)
			break;
		while (n > 0) {
			m = read(p[0], buf, n);
			if (m <= 0)
				break;
			h = jt_digest(h, buf, m);
			total += m;
			n -= m;
		}
	}
	EXPECT_EQ(0, n) TH_LOG("splice: %s", strerror(errno));
	EXPECT_EQ(DB_SMALL, total);
	EXPECT_EQ(jt_file_digest(self->db), h);
	close(p[0]);
	close(p[1]);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

TEST_F(backup, backup_fd_polls_readable)
{
	struct pollfd p = { .events = POLLIN };
	JET_HANDLE hf;

	open_db(_metadata, self, DB_SMALL, &hf);
	p.fd = (int)hf;
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_FALSE(p.revents & (POLLERR | POLLHUP | POLLNVAL));
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

TEST_F(backup, open_size_is_fixed_at_open)
{
	static char buf[65536];
	uint64_t old_digest, h = 0, total = 0;
	unsigned long lo, hi, got;
	struct copied c;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 0, 0, 0);
	old_digest = jt_file_digest(self->db);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->db, &hf, &lo,
					  &hi));
	EXPECT_EQ(DB_SMALL, lo);
	EXPECT_EQ(0, hi);
	/* the owner grows its database after the open */
	ASSERT_JET(0, own_call(&self->own, OWN_APPEND, self->db, 100000, 0,
			       NULL));
	ASSERT_EQ(DB_SMALL + 100000, file_size(self->db));
	for (;;) {
		ASSERT_JET(0, JetReadFileInstance(self->inst, hf, buf,
						  sizeof(buf), &got));
		if (!got)
			break;
		h = jt_digest(h, buf, got);
		total += got;
	}
	EXPECT_EQ(DB_SMALL, total);
	EXPECT_EQ(old_digest, h);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));

	/* a new open sees the new size */
	ASSERT_JET(0, backup_copy(self->inst, self->db, 65536, NULL, &c));
	EXPECT_COPY_OF(self->db, c);
}

TEST_F(backup, open_reports_size_over_4gib_in_high_word)
{
	const uint64_t size = (5ull << 30) + 4097;
	static char buf[8192], zero[8192];
	unsigned long lo, hi;
	JET_HANDLE hf;

	ASSERT_JET(0, own_call(&self->own, OWN_INIT, NULL, 0, 0, NULL));
	ASSERT_JET(0, own_call(&self->own, OWN_MKSPARSE, self->db, size, 0,
			       NULL));
	ASSERT_JET(0, own_call(&self->own, OWN_ATTACH, self->db, 0, 0, NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->db, &hf, &lo,
					  &hi));
	EXPECT_EQ(size & 0xffffffffull, lo);
	EXPECT_EQ(size >> 32, hi);
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(4097, pread((int)hf, buf, sizeof(buf), size - 4097));
	EXPECT_EQ(0, memcmp(buf, zero, 4097));
	EXPECT_EQ(0, pread((int)hf, buf, sizeof(buf), size));
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->inst,
						    JET_bitBackupEndAbort));
}

/* ---- incremental backups ---- */

TEST_F_TIMEOUT(backup, incremental_after_full_copies_only_the_logs, 60)
{
	const char *copy[] = { self->log[3], self->log[4], self->log[5],
			       self->log[6], self->log[7] };
	JET_INSTANCE_STATE st;
	unsigned long cb = 0;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 3);
	/* full: copies 3 and the rolled 4, truncates 1 and 2 */
	run_backup(_metadata, self, 0, 1, JET_bitBackupEndNormal);
	ASSERT_EQ(4, newest_gen(_metadata, self->inst));
	add_log(_metadata, self, 5);
	add_log(_metadata, self, 6);
	ASSERT_JET(0, own_call(&self->own, OWN_CHECKPOINT, NULL, 6, 0, NULL));

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst,
						     JET_bitBackupIncremental));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(JET_BACKUP_PHASE_LOGS, st.phase);
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	/* from the oldest registered to the rolled 7 */
	EXPECT_TRUE(names_are(self->list, cb, copy, 5))
		TH_LOG("log info: %s", show(self->list, cb));
	copy_list(_metadata, self->inst, self->list, cb, 4096);
	/* an incremental truncates too: below min(checkpoint 6, 8) */
	EXPECT_JET(0, JetTruncateLogInstance(self->inst));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(2, st.log_count);
	EXPECT_EQ(7, st.newest_log);
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
}

/* A completed full backup, then an incremental begun. */
static void begin_incremental(struct __test_metadata *_metadata,
			      FIXTURE_DATA(backup) *self)
{
	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	run_backup(_metadata, self, 0, 0, JET_bitBackupEndNormal);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst,
						     JET_bitBackupIncremental));
}

TEST_F(backup, incremental_refuses_attach_info)
{
	JET_INSTANCE_STATE before;
	unsigned long cb = 777;

	begin_incremental(_metadata, self);
	get_state(_metadata, self->inst, &before);
	memset(self->list, 0x5a, 64);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetGetAttachInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	EXPECT_EQ(777, cb);
	EXPECT_EQ(0x5a, self->list[0]);
	EXPECT_UNCHANGED(self->inst, &before);
	/* the backup goes on */
	EXPECT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
}

TEST_F(backup, incremental_refuses_database_open)
{
	JET_INSTANCE_STATE before;
	unsigned long lo, hi;
	JET_HANDLE hf = 12345;

	begin_incremental(_metadata, self);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetOpenFileInstance(self->inst, self->db, &hf, &lo, &hi));
	EXPECT_EQ(12345, hf);
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, incremental_without_full_is_missing_full_backup)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errMissingFullBackup,
		   JetBeginExternalBackupInstance(self->inst,
						  JET_bitBackupIncremental));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
}

TEST_F(backup, incremental_after_stopped_full_is_missing_full_backup)
{
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
					       LIST_MAX, &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	ASSERT_JET(0, own_call(&self->own, OWN_STOP, NULL, 0, 0, NULL));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
	EXPECT_JET(JET_errMissingFullBackup,
		   JetBeginExternalBackupInstance(self->inst,
						  JET_bitBackupIncremental));
}

TEST_F(backup, incremental_after_aborted_full_is_missing_full_backup)
{
	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	run_backup(_metadata, self, 0, 0, JET_bitBackupEndAbort);
	EXPECT_JET(JET_errMissingFullBackup,
		   JetBeginExternalBackupInstance(self->inst,
						  JET_bitBackupIncremental));
}

TEST_F(backup, normal_end_in_databases_phase_counts_as_abort)
{
	JET_INSTANCE_STATE st;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
					       LIST_MAX, &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
	get_state(_metadata, self->inst, &st);
	EXPECT_FALSE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	EXPECT_JET(JET_errMissingFullBackup,
		   JetBeginExternalBackupInstance(self->inst,
						  JET_bitBackupIncremental));
}

TEST_F(backup, incremental_after_logs_truncated_past_last_backup_is_missing_file_to_backup)
{
	JET_INSTANCE_STATE before;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 1);
	/* the last normal end copied up to generation 4 (the rolled one) */
	run_backup(_metadata, self, 0, 0, JET_bitBackupEndNormal);
	add_log(_metadata, self, 5);
	add_log(_metadata, self, 6);
	ASSERT_JET(0, own_call(&self->own, OWN_CHECKPOINT, NULL, 6, 0, NULL));
	/* a full that truncates 1..5 but is aborted: 5 was never backed up */
	run_backup(_metadata, self, 0, 1, JET_bitBackupEndAbort);

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst,
						     JET_bitBackupIncremental));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errMissingFileToBackup,
		   JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					 &cb));
	/* nothing changed: not even a roll was asked */
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, log_info_with_generation_gap_is_missing_file_to_backup)
{
	JET_INSTANCE_STATE before;
	unsigned long cb = 777;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	add_log(_metadata, self, 4);	/* 3 is missing */
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errMissingFileToBackup,
		   JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					 &cb));
	EXPECT_EQ(777, cb);
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->inst,
						    JET_bitBackupEndAbort));
}

/* ---- Begin and End ---- */

TEST_F(backup, begin_with_unknown_grbit_is_invalid_grbit)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidGrbit,
		   JetBeginExternalBackupInstance(self->inst, 0x2));
	EXPECT_JET(JET_errInvalidGrbit,
		   JetBeginExternalBackupInstance(self->inst, 0x80000000ul));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
}

TEST_F(backup, begin_ioctl_with_unknown_grbit_is_invalid_parameter)
{
	struct jet_instance_op op = { .instance = self->inst, .grbit = 0x2 };
	JET_INSTANCE_STATE before;
	int fd;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	get_state(_metadata, self->inst, &before);
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, jt_ioctl(fd, JET_IOC_BEGIN_BACKUP, &op));
	EXPECT_UNCHANGED(self->inst, &before);
	close(fd);
}

TEST_F(backup, begin_before_init_is_not_initialized)
{
	JET_INSTANCE_STATE before;

	get_state(_metadata, self->inst, &before);
	EXPECT_FALSE(before.flags & JET_INSTANCE_STATE_INITIALIZED);
	EXPECT_JET(JET_errNotInitialized,
		   JetBeginExternalBackupInstance(self->inst, 0));
	EXPECT_UNCHANGED(self->inst, &before);
	ASSERT_JET(0, own_call(&self->own, OWN_INIT, NULL, 0, 0, NULL));
	EXPECT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
}

TEST_F(backup, begin_after_stop_service_is_client_request_to_stop)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, own_call(&self->own, OWN_STOP_SERVICE, NULL, 0, 0, NULL));
	get_state(_metadata, self->inst, &before);
	EXPECT_TRUE(before.flags & JET_INSTANCE_STATE_SERVICE_STOPPED);
	EXPECT_JET(JET_errClientRequestToStopJetService,
		   JetBeginExternalBackupInstance(self->inst, 0));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, second_begin_is_backup_in_progress)
{
	JET_INSTANCE_STATE before;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errBackupInProgress,
		   JetBeginExternalBackupInstance(self->inst, 0));
	EXPECT_JET(JET_errBackupInProgress,
		   JetBeginExternalBackupInstance(self->inst,
						  JET_bitBackupIncremental));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
					       LIST_MAX, &cb));
}

/* A second agent process: begins, tells, waits for the word, ends. */
static int other_agent(JET_INSTANCE inst, int tell, int hold)
{
	char c = 'b';

	if (JetBeginExternalBackupInstance(inst, 0))
		c = 'f';
	if (write(tell, &c, 1) != 1)
		return 2;
	if (jt_wait_byte(hold, 20000) < 0)
		return 3;
	return JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort) ?
		4 : 0;
}

TEST_F(backup, backup_of_another_agent_is_backup_in_progress)
{
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi;
	JET_HANDLE hf;
	int tell[2], hold[2];
	pid_t pid;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_EQ(0, pipe2(tell, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_agent(self->inst, tell[1], hold[0]));
	ASSERT_EQ('b', jt_wait_byte(tell[0], 10000));

	get_state(_metadata, self->inst, &before);
	EXPECT_TRUE(before.flags & JET_INSTANCE_STATE_BACKUP);
	EXPECT_FALSE(before.flags & JET_INSTANCE_STATE_BACKUP_MINE);
	EXPECT_JET(JET_errBackupInProgress,
		   JetBeginExternalBackupInstance(self->inst, 0));
	EXPECT_JET(JET_errBackupInProgress,
		   JetGetAttachInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	EXPECT_JET(JET_errBackupInProgress,
		   JetOpenFileInstance(self->inst, self->db, &hf, &lo, &hi));
	EXPECT_JET(JET_errBackupInProgress,
		   JetEndExternalBackupInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);

	ASSERT_EQ(1, write(hold[1], "e", 1));
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, 10000)));
	EXPECT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
}

TEST_F(backup, end_without_backup_is_no_backup)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errNoBackup, JetEndExternalBackupInstance(self->inst));
	EXPECT_JET(JET_errNoBackup,
		   JetEndExternalBackupInstance2(self->inst,
						 JET_bitBackupEndAbort));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, backup_calls_without_backup_are_no_backup)
{
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errNoBackup,
		   JetGetAttachInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	EXPECT_JET(JET_errNoBackup,
		   JetOpenFileInstance(self->inst, self->db, &hf, &lo, &hi));
	EXPECT_JET(JET_errNoBackup,
		   JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					 &cb));
	EXPECT_JET(JET_errNoBackup,
		   JetGetTruncateLogInfoInstance(self->inst, self->list,
						 LIST_MAX, &cb));
	EXPECT_JET(JET_errNoBackup, JetTruncateLogInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, end_with_normal_and_abort_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetEndExternalBackupInstance2(self->inst,
			JET_bitBackupEndNormal | JET_bitBackupEndAbort));
	EXPECT_JET(JET_errInvalidParameter,
		   JetEndExternalBackupInstance2(self->inst,
			JET_bitBackupEndNormal | JET_bitBackupEndAbort |
			JET_bitBackupTruncateDone));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->inst,
			JET_bitBackupEndAbort | JET_bitBackupTruncateDone));
}

TEST_F(backup, end_with_neither_normal_nor_abort_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetEndExternalBackupInstance2(self->inst, 0));
	EXPECT_JET(JET_errInvalidParameter,
		   JetEndExternalBackupInstance2(self->inst,
						 JET_bitBackupTruncateDone));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
}

/* ---- GetAttachInfo and Open ---- */

TEST_F(backup, attach_info_too_small_is_buffer_too_small_with_size)
{
	const char *dbs[] = { self->db, self->db2 };
	unsigned long need, cb = 0;
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, own_call(&self->own, OWN_MKFILE, self->db2, 4096, 9,
			       NULL));
	ASSERT_JET(0, own_call(&self->own, OWN_ATTACH, self->db2, 0, 0, NULL));
	need = strlen(self->db) + strlen(self->db2) + 3;
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);

	memset(self->list, 0x5a, need);
	EXPECT_JET(JET_errBufferTooSmall,
		   JetGetAttachInfoInstance(self->inst, self->list, need - 1,
					    &cb));
	EXPECT_EQ(need, cb);
	EXPECT_EQ(0x5a, self->list[0]);
	EXPECT_EQ(0x5a, self->list[need - 2]);
	cb = 0;
	/* the size probe succeeds, as ESE's ANSI calls */
	EXPECT_JET(JET_errSuccess,
		   JetGetAttachInfoInstance(self->inst, NULL, 0, &cb));
	EXPECT_EQ(need, cb);
	EXPECT_UNCHANGED(self->inst, &before);

	EXPECT_JET(0, JetGetAttachInfoInstance(self->inst, self->list, need,
					       &cb));
	EXPECT_TRUE(names_are(self->list, cb, dbs, 2))
		TH_LOG("attach info: %s", show(self->list, cb));
}

TEST_F(backup, attach_info_without_databases_is_a_lone_nul)
{
	unsigned long cb = 0;

	setup_owner(_metadata, self, 0, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	memset(self->list, 0x5a, 16);
	EXPECT_JET(0, JetGetAttachInfoInstance(self->inst, self->list,
					       LIST_MAX, &cb));
	EXPECT_EQ(1, cb);
	EXPECT_EQ(0, self->list[0]);
}

TEST_F(backup, open_unattached_database_is_database_not_found_and_backup_continues)
{
	JET_INSTANCE_STATE before;
	unsigned long lo = 1, hi = 1;
	JET_HANDLE hf = 12345;
	struct copied c;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, own_call(&self->own, OWN_MKFILE, self->db2, 4096, 9,
			       NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	/* exists, but was never attached */
	EXPECT_JET(JET_errDatabaseNotFound,
		   JetOpenFileInstance(self->inst, self->db2, &hf, &lo, &hi));
	EXPECT_EQ(12345, hf);
	EXPECT_EQ(1, lo);
	EXPECT_JET(JET_errDatabaseNotFound,
		   JetOpenFileInstance(self->inst, "/tmp/no/such.edb", &hf, &lo,
				       &hi));
	EXPECT_UNCHANGED(self->inst, &before);
	ASSERT_JET(0, backup_copy(self->inst, self->db, 65536, NULL, &c));
	EXPECT_COPY_OF(self->db, c);
}

TEST_F(backup, open_log_outside_copy_set_is_missing_file_to_backup)
{
	const char *copy[] = { self->log[2], self->log[3], self->log[4] };
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi;
	JET_HANDLE hf = 12345;
	char other[160];
	struct copied c;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 2);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	ASSERT_TRUE(names_are(self->list, cb, copy, 3))
		TH_LOG("log info: %s", show(self->list, cb));
	get_state(_metadata, self->inst, &before);
	/* registered, but below the checkpoint */
	EXPECT_JET(JET_errMissingFileToBackup,
		   JetOpenFileInstance(self->inst, self->log[1], &hf, &lo, &hi));
	/* a file that exists, but was never registered */
	snprintf(other, sizeof(other), "%s/unregistered.log", self->dir);
	ASSERT_EQ(0, jt_make_file(other, 100, 1));
	EXPECT_JET(JET_errMissingFileToBackup,
		   JetOpenFileInstance(self->inst, other, &hf, &lo, &hi));
	EXPECT_EQ(12345, hf);
	EXPECT_UNCHANGED(self->inst, &before);
	ASSERT_JET(0, backup_copy(self->inst, self->log[2], 4096, NULL, &c));
	EXPECT_COPY_OF(self->log[2], c);
}

TEST_F(backup, open_database_in_logs_phase_is_invalid_backup_sequence)
{
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi;
	JET_HANDLE hf = 12345;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	get_state(_metadata, self->inst, &before);
	EXPECT_EQ(JET_BACKUP_PHASE_LOGS, before.phase);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetOpenFileInstance(self->inst, self->db, &hf, &lo, &hi));
	EXPECT_EQ(12345, hf);
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, open_with_null_outputs_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;
	unsigned long lo, hi;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetOpenFileInstance(self->inst, self->db, NULL, &lo, &hi));
	EXPECT_JET(JET_errInvalidParameter,
		   JetOpenFileInstance(self->inst, self->db, &hf, NULL, &hi));
	EXPECT_JET(JET_errInvalidParameter,
		   JetOpenFileInstance(self->inst, self->db, &hf, &lo, NULL));
	EXPECT_JET(JET_errInvalidParameter,
		   JetOpenFileInstance(self->inst, NULL, &hf, &lo, &hi));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(backup, read_with_a_foreign_handle_is_invalid_parameter)
{
	unsigned long got = 99;
	JET_HANDLE hf;
	char buf[16];
	int fd;

	open_db(_metadata, self, DB_SMALL, &hf);
	fd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* an fd the application opened itself is not a backup file */
	EXPECT_JET(JET_errInvalidParameter,
		   JetReadFileInstance(self->inst, (JET_HANDLE)fd, buf,
				       sizeof(buf), &got));
	EXPECT_JET(JET_errInvalidParameter,
		   JetCloseFileInstance(self->inst, (JET_HANDLE)fd));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	/* the backup's handle with another instance's number */
	EXPECT_JET(JET_errInvalidParameter,
		   JetReadFileInstance(self->inst + 1, hf, buf, sizeof(buf),
				       &got));
	close(fd);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

/* ---- GetLogInfo, GetTruncateLogInfo, Truncate ---- */

TEST_F(backup, log_info_with_open_file_is_invalid_backup_sequence)
{
	JET_INSTANCE_STATE before;
	unsigned long cb = 777, lo, hi;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 2, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->db, &hf, &lo,
					  &hi));
	get_state(_metadata, self->inst, &before);
	EXPECT_EQ(1, before.open_files);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					 &cb));
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetGetTruncateLogInfoInstance(self->inst, self->list,
						 LIST_MAX, &cb));
	EXPECT_EQ(777, cb);
	EXPECT_UNCHANGED(self->inst, &before);	/* still Databases phase */
	ASSERT_JET(0, JetCloseFileInstance(self->inst, hf));
	EXPECT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
}

TEST_F(backup, full_copy_set_starts_at_checkpoint_at_begin)
{
	const char *copy[] = { self->log[2], self->log[3], self->log[4],
			       self->log[5], self->log[6] };
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 4, 2);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	/* after Begin the checkpoint moves on and one more log is closed */
	ASSERT_JET(0, own_call(&self->own, OWN_CHECKPOINT, NULL, 4, 0, NULL));
	add_log(_metadata, self, 5);
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	/* up to 6, which the roll closed */
	EXPECT_TRUE(names_are(self->list, cb, copy, 5))
		TH_LOG("log info: %s", show(self->list, cb));
}

TEST_F(backup, incremental_copy_set_starts_at_oldest_registered)
{
	const char *copy[] = { self->log[1], self->log[2], self->log[3],
			       self->log[4], self->log[5], self->log[6] };
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 4, 3);
	/* a full that copies 3, 4 and the rolled 5 and truncates nothing */
	run_backup(_metadata, self, 0, 0, JET_bitBackupEndNormal);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst,
						     JET_bitBackupIncremental));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	EXPECT_TRUE(names_are(self->list, cb, copy, 6))
		TH_LOG("log info: %s", show(self->list, cb));
}

TEST_F(backup, truncate_set_is_below_checkpoint_and_copy_set)
{
	const char *trunc[] = { self->log[1], self->log[2], self->log[3],
				self->log[4] };
	const char *copy[] = { self->log[3], self->log[4], self->log[5],
			       self->log[6] };
	JET_INSTANCE_STATE st;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 5, 3);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	/* the current checkpoint is 5; the copy set is 3 to the rolled 6 */
	ASSERT_JET(0, own_call(&self->own, OWN_CHECKPOINT, NULL, 5, 0, NULL));
	ASSERT_JET(0, JetGetTruncateLogInfoInstance(self->inst, self->list,
						    LIST_MAX, &cb));
	EXPECT_TRUE(names_are(self->list, cb, trunc, 4))
		TH_LOG("truncate info: %s", show(self->list, cb));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(JET_BACKUP_PHASE_LOGS, st.phase);
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	EXPECT_TRUE(names_are(self->list, cb, copy, 4))
		TH_LOG("log info: %s", show(self->list, cb));
}

TEST_F(backup, incremental_truncate_set_is_below_checkpoint_and_copy_set)
{
	const char *trunc[] = { self->log[1], self->log[2] };
	unsigned long long ev[4];
	JET_INSTANCE_STATE st;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 3);
	run_backup(_metadata, self, 0, 0, JET_bitBackupEndNormal);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst,
						     JET_bitBackupIncremental));
	/* the first list rolls (5): below min(checkpoint 3, 6) */
	ASSERT_JET(0, JetGetTruncateLogInfoInstance(self->inst, self->list,
						    LIST_MAX, &cb));
	EXPECT_TRUE(names_are(self->list, cb, trunc, 2))
		TH_LOG("truncate info: %s", show(self->list, cb));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	ASSERT_JET(0, JetTruncateLogInstance(self->inst));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(3, st.log_count);
	ASSERT_JET(0, own_call(&self->own, OWN_EVENT, NULL, 10000, 0, ev));
	EXPECT_EQ(self->inst, ev[0]);
	EXPECT_EQ(1, ev[1]);
	EXPECT_EQ(2, ev[2]);
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
}

TEST_F(backup, log_info_too_small_is_buffer_too_small_with_size)
{
	unsigned long need, cb = 0;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 1);
	/* 1..3 and the rolled 4 */
	need = strlen(self->log[1]) + strlen(self->log[2]) +
	       strlen(self->log[3]) + strlen(self->log[4]) + 5;
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	memset(self->list, 0x5a, need);
	EXPECT_JET(JET_errBufferTooSmall,
		   JetGetLogInfoInstance(self->inst, self->list, need - 1,
					 &cb));
	EXPECT_EQ(need, cb);
	EXPECT_EQ(0x5a, self->list[0]);
	EXPECT_JET(0, JetGetLogInfoInstance(self->inst, self->list, need,
					    &cb));
	EXPECT_EQ(need, cb);
}

TEST_F(backup, truncate_before_log_info_is_invalid_backup_sequence)
{
	JET_INSTANCE_STATE before;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 3);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetTruncateLogInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(3, before.log_count);
}

TEST_F(backup, truncate_with_open_file_is_invalid_backup_sequence)
{
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi, got;
	static char buf[65536];
	struct copied c;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 3);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->log[3], &hf, &lo,
					  &hi));
	do {
		ASSERT_JET(0, JetReadFileInstance(self->inst, hf, buf,
						  sizeof(buf), &got));
	} while (got);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetTruncateLogInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);
	ASSERT_JET(0, JetCloseFileInstance(self->inst, hf));
	/* and the rolled log */
	ASSERT_JET(0, backup_copy(self->inst, self->log[4], 65536, NULL, &c));
	EXPECT_JET(0, JetTruncateLogInstance(self->inst));
}

TEST_F(backup, truncate_with_log_not_read_to_end_is_log_file_not_copied)
{
	unsigned long long ev[4];
	JET_INSTANCE_STATE before;
	unsigned long cb, lo, hi, got, want;
	static char buf[65536];
	struct copied c;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 3, 2);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	get_state(_metadata, self->inst, &before);
	/* nothing read yet */
	EXPECT_JET(JET_errLogFileNotCopied, JetTruncateLogInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);

	/* log 2 whole, log 3 but for its last byte */
	ASSERT_JET(0, backup_copy(self->inst, self->log[2], 4096, NULL, &c));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->log[3], &hf, &lo,
					  &hi));
	for (want = lo - 1; want; want -= got) {
		ASSERT_JET(0, JetReadFileInstance(self->inst, hf, buf,
			want < sizeof(buf) ? want : sizeof(buf), &got));
		ASSERT_NE(0, got);
	}
	ASSERT_JET(0, JetCloseFileInstance(self->inst, hf));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errLogFileNotCopied, JetTruncateLogInstance(self->inst));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(4, before.log_count);
	ASSERT_JET(0, own_call(&self->own, OWN_EVENT, NULL, 0, 0, ev));
	EXPECT_EQ(0, ev[0]) TH_LOG("an event for a failed truncation");

	/* read again, to the end this time, and the rolled 4 */
	ASSERT_JET(0, backup_copy(self->inst, self->log[3], 4096, NULL, &c));
	EXPECT_JET(JET_errLogFileNotCopied, JetTruncateLogInstance(self->inst));
	ASSERT_JET(0, backup_copy(self->inst, self->log[4], 4096, NULL, &c));
	EXPECT_JET(0, JetTruncateLogInstance(self->inst));
}

TEST_F(backup, truncate_removes_truncate_set_and_notifies_owner)
{
	unsigned long long ev[4];
	JET_INSTANCE_STATE st;
	unsigned long cb;

	setup_owner(_metadata, self, DB_SMALL, 1, 4, 3);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->inst, self->list, LIST_MAX,
					    &cb));
	copy_list(_metadata, self->inst, self->list, cb, 65536);
	ASSERT_JET(0, own_call(&self->own, OWN_EVENT, NULL, 0, 0, ev));
	ASSERT_EQ(0, ev[0]) TH_LOG("an event before the truncation");
	EXPECT_FALSE(ev[3] & POLLIN);

	ASSERT_JET(0, JetTruncateLogInstance(self->inst));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(3, st.log_count);	/* 3, 4 and the rolled 5 */
	EXPECT_EQ(5, st.newest_log);

	/* the owner's /dev/jet polls readable and the event names 1..2 */
	ASSERT_JET(0, own_call(&self->own, OWN_EVENT, NULL, 10000, 0, ev));
	EXPECT_TRUE(ev[3] & POLLIN);
	EXPECT_EQ(self->inst, ev[0]);
	EXPECT_EQ(1, ev[1]);
	EXPECT_EQ(2, ev[2]);
	/* one event only, and the kernel deleted nothing */
	ASSERT_JET(0, own_call(&self->own, OWN_EVENT, NULL, 0, 0, ev));
	EXPECT_EQ(0, ev[0]);
	EXPECT_FALSE(ev[3] & POLLIN);
	EXPECT_EQ(log_size(1), file_size(self->log[1]));
	EXPECT_EQ(log_size(2), file_size(self->log[2]));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
}

/* ---- whose backup it is when a process dies ---- */

enum { BLOCK_LOCK = 1, BLOCK_THROTTLE, BLOCK_PAUSE };

/*
 * An agent that begins, opens the database, says so, waits for the word and
 * reads until the end: the owner blocks it first, so it is still reading
 * when it is killed.
 */
static int blocked_agent(JET_INSTANCE inst, const char *db, int tell, int go)
{
	static char buf[65536];
	unsigned long lo, hi, got;
	JET_HANDLE hf;

	if (JetBeginExternalBackupInstance(inst, 0))
		return 10;
	if (JetOpenFileInstance(inst, db, &hf, &lo, &hi))
		return 11;
	if (write(tell, "o", 1) != 1 || jt_wait_byte(go, 20000) != 'g')
		return 12;
	do {
		if (JetReadFileInstance(inst, hf, buf, sizeof(buf), &got))
			return 13;
	} while (got);
	return 14;	/* it was never blocked */
}

/* The owner blocks backup reads of the main database as asked. */
static void block_reads(struct __test_metadata *_metadata,
			FIXTURE_DATA(backup) *self, int how,
			unsigned long long *lock)
{
	switch (how) {
	case BLOCK_LOCK:
		ASSERT_JET(0, own_call(&self->own, OWN_LOCK, self->db, 0, 4096,
				       lock));
		break;
	case BLOCK_THROTTLE:
		ASSERT_JET(0, own_call(&self->own, OWN_THROTTLE, NULL, 65536, 0,
				       NULL));
		break;
	case BLOCK_PAUSE:
		ASSERT_JET(0, own_call(&self->own, OWN_PAUSE, NULL, 0, 0, NULL));
		break;
	}
}

static void unblock_reads(struct __test_metadata *_metadata,
			  FIXTURE_DATA(backup) *self, int how,
			  unsigned long long lock)
{
	switch (how) {
	case BLOCK_LOCK:
		ASSERT_JET(0, own_call(&self->own, OWN_UNLOCK, NULL, lock, 0,
				       NULL));
		break;
	case BLOCK_THROTTLE:
		ASSERT_JET(0, own_call(&self->own, OWN_THROTTLE, NULL, 0, 0,
				       NULL));
		break;
	case BLOCK_PAUSE:
		ASSERT_JET(0, own_call(&self->own, OWN_RESUME, NULL, 0, 0,
				       NULL));
		break;
	}
}

/* Starts blocked_agent in a child and blocks its reads; its pid. */
static pid_t start_blocked_agent(struct __test_metadata *_metadata,
				 FIXTURE_DATA(backup) *self, int how,
				 unsigned long long *lock)
{
	int tell[2], go[2];
	pid_t pid;

	if (pipe2(tell, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (!pid)
		_exit(blocked_agent(self->inst, self->db, tell[1], go[0]));
	close(tell[1]);
	close(go[0]);
	if (pid < 0 || jt_wait_byte(tell[0], 10000) != 'o') {
		if (pid > 0)
			jt_wait_child(pid, 0);
		return -1;
	}
	block_reads(_metadata, self, how, lock);
	if (write(go[1], "g", 1) != 1)
		return -1;
	/* give it time to get into the read and block there */
	usleep(300 * 1000);
	close(tell[0]);
	close(go[1]);
	return pid;
}

/*
 * An agent killed while the owner keeps its read waiting: its context goes,
 * and with it the backup, so the next agent's Begin succeeds.
 */
static void kill_blocked_agent(struct __test_metadata *_metadata,
			       FIXTURE_DATA(backup) *self, int how)
{
	unsigned long long lock = 0;
	JET_INSTANCE_STATE st;
	struct copied c;
	pid_t pid;

	setup_owner(_metadata, self, 4u << 20, 1, 1, 1);
	pid = start_blocked_agent(_metadata, self, how, &lock);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("the agent's read did not block");
	get_state(_metadata, self->inst, &st);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP);
	EXPECT_EQ(1, st.open_files);
	EXPECT_GT(4u << 20, st.bytes_read);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	get_state(_metadata, self->inst, &st);
	EXPECT_FALSE(st.flags & JET_INSTANCE_STATE_BACKUP)
		TH_LOG("the dead agent's backup is still there");
	EXPECT_EQ(0, st.open_files);

	/* the next agent backs up, once the owner lets reads go */
	unblock_reads(_metadata, self, how, lock);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, backup_copy(self->inst, self->db, 1 << 20, NULL, &c));
	EXPECT_COPY_OF(self->db, c);
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->inst,
						    JET_bitBackupEndAbort));
}

TEST_F_TIMEOUT(backup, agent_killed_in_locked_read_leaves_instance_free, 60)
{
	kill_blocked_agent(_metadata, self, BLOCK_LOCK);
}

TEST_F_TIMEOUT(backup, agent_killed_in_throttled_read_leaves_instance_free, 60)
{
	kill_blocked_agent(_metadata, self, BLOCK_THROTTLE);
}

TEST_F_TIMEOUT(backup, agent_killed_in_paused_read_leaves_instance_free, 60)
{
	kill_blocked_agent(_metadata, self, BLOCK_PAUSE);
}

TEST_F(backup, owner_killed_mid_backup_fails_read_and_end_succeeds)
{
	static char buf[65536];
	unsigned long lo, hi, got;
	JET_HANDLE hf;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->inst, self->db, &hf, &lo,
					  &hi));
	ASSERT_JET(0, JetReadFileInstance(self->inst, hf, buf, sizeof(buf),
					  &got));
	ASSERT_EQ(sizeof(buf), got);

	ASSERT_EQ(0, kill(self->own.pid, SIGKILL));
	ASSERT_EQ(self->own.pid, waitpid(self->own.pid, NULL, 0));
	self->own.pid = 0;
	close(self->own.req);
	close(self->own.rsp);

	EXPECT_JET(JET_errBackupAbortByServer,
		   JetReadFileInstance(self->inst, hf, buf, sizeof(buf), &got));
	EXPECT_EQ(0, got);
	errno = 0;
	EXPECT_EQ(-1, read((int)hf, buf, sizeof(buf)));
	EXPECT_EQ(ECANCELED, errno);
	EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->inst));
	/* the instance went with its owner */
	EXPECT_JET(JET_errInvalidParameter,
		   JetBeginExternalBackupInstance(self->inst, 0));
}

/* An agent blocked in a read: it must see the owner's death at once. */
static int agent_sees_owner_die(JET_INSTANCE inst, const char *db, int tell)
{
	static char buf[65536];
	unsigned long lo, hi, got;
	JET_HANDLE hf;
	long err;

	if (JetBeginExternalBackupInstance(inst, 0))
		return 10;
	if (JetOpenFileInstance(inst, db, &hf, &lo, &hi))
		return 11;
	if (write(tell, "o", 1) != 1)
		return 12;
	do {
		err = JetReadFileInstance(inst, hf, buf, sizeof(buf), &got);
	} while (!err && got);
	if (err != JET_errBackupAbortByServer) {
		fprintf(stderr, "# agent: read: %s\n", JetErrorName(err));
		return 13;
	}
	if (JetCloseFileInstance(inst, hf))
		return 14;
	return JetEndExternalBackupInstance(inst) ? 15 : 0;
}

TEST_F(backup, owner_killed_wakes_agent_blocked_in_read)
{
	unsigned long long lock;
	int tell[2], status;
	pid_t pid;

	setup_owner(_metadata, self, DB_SMALL, 1, 1, 1);
	ASSERT_JET(0, own_call(&self->own, OWN_LOCK, self->db, 0, 4096, &lock));
	ASSERT_EQ(0, pipe2(tell, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(agent_sees_owner_die(self->inst, self->db, tell[1]));
	ASSERT_EQ('o', jt_wait_byte(tell[0], 10000));
	usleep(300 * 1000);
	ASSERT_EQ(0, waitpid(pid, NULL, WNOHANG)) TH_LOG("not blocked");

	ASSERT_EQ(0, kill(self->own.pid, SIGKILL));
	ASSERT_EQ(self->own.pid, waitpid(self->own.pid, NULL, 0));
	self->own.pid = 0;
	close(self->own.req);
	close(self->own.rsp);
	status = jt_wait_child(pid, 10000);
	EXPECT_TRUE(jt_child_ok(status))
		TH_LOG("agent status %#x", status);
}

TEST_HARNESS_MAIN
