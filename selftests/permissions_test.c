// SPDX-License-Identifier: GPL-2.0
/*
 * permissions_test.c - who may do what (SPEC section 8).
 *
 * The owner is a child process (root, or an ordinary uid) that sets up one
 * instance and keeps it until the test ends. Agents and other callers are
 * children too, each with the uid and capabilities the test gives it, so
 * every caller has a /dev/jet context of its own. A refusal must change
 * nothing: the test reads the instance's state before and after.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <grp.h>
#include <poll.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define DB_SIZE		((192u << 10) + 11)
#define UID_OWNER	1000		/* an ordinary owner */
#define UID_OTHER	65534		/* nobody */
#define RUN_SKIP	4		/* the child could not open /dev/jet */
#define CHILD_MS	60000

/* What every process of a test knows about it. */
struct world {
	char dir[64];
	char db[128];
	char db2[128];
	char log[4][128];	/* log[g]: generation g; 3 is not registered */
	char name[64];
	JET_INSTANCE inst;
};

/* Drops to uid (gid the same) keeping the capabilities in keep. */
static int become(uid_t uid, uint32_t keep)
{
	if (!uid)
		return 0;
	if (setgroups(0, NULL))
		return -errno;
	return jt_become(uid, uid, keep);
}

/* ---- the owner ---- */

struct owner {
	pid_t pid;
	int hold;	/* closing it ends the owner */
};

/* Sets up the instance; answers {instance, JET error}; waits for the end. */
static void owner_main(const struct world *w, uid_t uid, int tell, int hold)
{
	long r[2] = { 0, 0 };
	JET_INSTANCE inst = 0;
	JET_SESID ses;

	if (become(uid, 0))
		_exit(3);
	if (access(JET_DEV, R_OK | W_OK))
		_exit(RUN_SKIP);
	r[1] = JetCreateInstance(&inst, w->name);
	if (!r[1])
		r[1] = JetInit(&inst);
	if (!r[1])
		r[1] = JetBeginSession(inst, &ses, NULL, NULL);
	if (!r[1])
		r[1] = JetAttachDatabase(ses, w->db, 0);
	if (!r[1])
		r[1] = JetAddLogFileInstance(inst, w->log[1], 1);
	if (!r[1])
		r[1] = JetAddLogFileInstance(inst, w->log[2], 2);
	if (!r[1])
		r[1] = JetSetCheckpointInstance(inst, 1);
	/* backups roll the log: answer in a thread (where uid may write) */
	if (!r[1]) {
		static struct jt_roller roller;
		char pattern[160];

		snprintf(pattern, sizeof(pattern), "/tmp/%s.%%05lX.log",
			 w->name);
		if (jt_roller_start(&roller, -1, pattern, 5000))
			r[1] = JET_errOutOfMemory;
	}
	r[0] = (long)inst;
	if (write(tell, r, sizeof(r)) != sizeof(r))
		_exit(2);
	jt_wait_byte(hold, CHILD_MS * 2);
	_exit(0);
}

/* 0, RUN_SKIP, or -1 */
static int start_owner(struct owner *o, struct world *w, uid_t uid)
{
	struct pollfd p = { .events = POLLIN };
	int tell[2], hold[2], status;
	long r[2];

	if (pipe2(tell, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
		return -1;
	fflush(NULL);
	o->pid = fork();
	if (o->pid < 0)
		return -1;
	if (!o->pid) {
		/* only the parent may hold the write end, or EOF never comes */
		close(hold[1]);
		owner_main(w, uid, tell[1], hold[0]);
	}
	close(tell[1]);
	close(hold[0]);
	o->hold = hold[1];
	p.fd = tell[0];
	if (poll(&p, 1, CHILD_MS) != 1 || read(tell[0], r, sizeof(r)) !=
	    sizeof(r)) {
		close(tell[0]);
		status = jt_wait_child(o->pid, 1000);
		o->pid = 0;
		if (status >= 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == RUN_SKIP)
			return RUN_SKIP;
		return -1;
	}
	close(tell[0]);
	if (r[1]) {
		fprintf(stderr, "# owner setup: %s\n", JetErrorName(r[1]));
		return -1;
	}
	w->inst = (JET_INSTANCE)r[0];
	return 0;
}

static void stop_owner(struct owner *o)
{
	if (o->pid <= 0)
		return;
	close(o->hold);
	jt_wait_child(o->pid, 5000);
	o->pid = 0;
}

/* Makes the files, readable by every uid the tests use. */
static int make_world(struct world *w, const char *tag)
{
	int g;

	snprintf(w->dir, sizeof(w->dir), "/tmp/jet-pt.XXXXXX");
	if (!mkdtemp(w->dir) || chmod(w->dir, 0755))
		return -1;
	snprintf(w->db, sizeof(w->db), "%s/main.edb", w->dir);
	snprintf(w->db2, sizeof(w->db2), "%s/second.edb", w->dir);
	snprintf(w->name, sizeof(w->name), "jet-pt-%s-%d", tag, (int)getpid());
	if (jt_make_file(w->db, DB_SIZE, jt_seed_of(0)) ||
	    jt_make_file(w->db2, 4096, jt_seed_of(99)) ||
	    chmod(w->db, 0644) || chmod(w->db2, 0644))
		return -1;
	for (g = 1; g < 4; g++) {
		snprintf(w->log[g], sizeof(w->log[g]), "%s/edb%05X.log",
			 w->dir, g);
		if (jt_make_file(w->log[g], 5000 + g, jt_seed_of(g)) ||
		    chmod(w->log[g], 0644))
			return -1;
	}
	return 0;
}

static void unmake_world(struct world *w)
{
	if (w->dir[0])
		nftw(w->dir, jt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- callers in child processes ---- */

typedef long (*caller_fn)(const struct world *w);

/*
 * Runs fn in a child as uid with the capabilities keep (root as it is when
 * uid is 0); *result is what fn returned. 0, RUN_SKIP, or -1.
 */
static int run_as(uid_t uid, uint32_t keep, caller_fn fn,
		  const struct world *w, long *result)
{
	struct pollfd p = { .events = POLLIN };
	int pp[2], status;
	pid_t pid;
	long r;

	if (pipe2(pp, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(pp[0]);
		if (become(uid, keep))
			_exit(3);
		if (access(JET_DEV, R_OK | W_OK))
			_exit(RUN_SKIP);
		r = fn(w);
		_exit(write(pp[1], &r, sizeof(r)) == sizeof(r) ? 0 : 2);
	}
	close(pp[1]);
	p.fd = pp[0];
	status = poll(&p, 1, CHILD_MS) == 1 &&
		 read(pp[0], result, sizeof(*result)) == sizeof(*result);
	close(pp[0]);
	r = jt_wait_child(pid, status ? 5000 : 0);
	if (r >= 0 && WIFEXITED(r) && WEXITSTATUS(r) == RUN_SKIP)
		return RUN_SKIP;
	return status && jt_child_ok(r) ? 0 : -1;
}

/* run_as() inside a test: skips it when the child cannot open /dev/jet. */
#define RUN_AS(uid, keep, fn, w, result) do {				\
	int __r = run_as(uid, keep, fn, w, result);			\
	if (__r == RUN_SKIP)						\
		SKIP(return, "uid %d cannot open %s", (int)(uid),	\
		     JET_DEV);						\
	ASSERT_EQ(0, __r) TH_LOG("the child %s failed", #fn);		\
} while (0)

#define ACHECK(call) do {						\
	long __err = (call);						\
	if (__err) {							\
		fprintf(stderr, "# %s:%d: %s: %s\n", __FILE__,		\
			__LINE__, #call, JetErrorName(__err));		\
		return __err;						\
	}								\
} while (0)

/* Copies every file of a name list; 1 when one differs from its source. */
static long copy_list(JET_INSTANCE inst, const char *list, unsigned long cb)
{
	static char buf[65536];
	const char *name = list;
	unsigned long lo, hi, got;
	uint64_t h, n;
	JET_HANDLE hf;

	for (; name < list + cb && *name; name += strlen(name) + 1) {
		ACHECK(JetOpenFileInstance(inst, name, &hf, &lo, &hi));
		h = n = 0;
		do {
			ACHECK(JetReadFileInstance(inst, hf, buf, sizeof(buf),
						   &got));
			h = jt_digest(h, buf, got);
			n += got;
		} while (got);
		ACHECK(JetCloseFileInstance(inst, hf));
		if (n != lo || h != jt_file_digest(name)) {
			fprintf(stderr, "# copy of %s differs\n", name);
			return 1;
		}
	}
	return 0;
}

/* A whole full backup, checked against the sources. */
static long full_backup(const struct world *w)
{
	static char list[8192];
	unsigned long cb;
	long err;

	ACHECK(JetBeginExternalBackupInstance(w->inst, 0));
	ACHECK(JetGetAttachInfoInstance(w->inst, list, sizeof(list), &cb));
	err = copy_list(w->inst, list, cb);
	if (err)
		return err;
	ACHECK(JetGetLogInfoInstance(w->inst, list, sizeof(list), &cb));
	err = copy_list(w->inst, list, cb);
	if (err)
		return err;
	ACHECK(JetTruncateLogInstance(w->inst));
	ACHECK(JetEndExternalBackupInstance(w->inst));
	return 0;
}

static long begin_backup(const struct world *w)
{
	return JetBeginExternalBackupInstance(w->inst, 0);
}

static void get_state(struct __test_metadata *_metadata, JET_INSTANCE inst,
		      JET_INSTANCE_STATE *st)
{
	memset(st, 0, sizeof(*st));
	ASSERT_JET(0, JetGetInstanceStateInstance(inst, st));
}

static void expect_same_state(struct __test_metadata *_metadata,
			      const JET_INSTANCE_STATE *a,
			      const JET_INSTANCE_STATE *b)
{
	EXPECT_SAME_STATE(a, b);
	EXPECT_EQ(a->service_bits, b->service_bits);
	EXPECT_EQ(a->owner_pid, b->owner_pid);
}

#define EXPECT_UNCHANGED(inst, before) do {				\
	JET_INSTANCE_STATE __now;					\
	get_state(_metadata, inst, &__now);				\
	expect_same_state(_metadata, before, &__now);			\
} while (0)

/* ---- beginning a backup ---- */

FIXTURE(perm) {
	struct world w;
	struct owner own;
};

FIXTURE_SETUP(perm)
{
	ASSERT_EQ(0, make_world(&self->w, "p"));
}

FIXTURE_TEARDOWN(perm)
{
	stop_owner(&self->own);
	unmake_world(&self->w);
}

/* The owner, as uid; skips the test when uid cannot open /dev/jet. */
#define START_OWNER(uid) do {						\
	int __r = start_owner(&self->own, &self->w, uid);		\
	if (__r == RUN_SKIP)						\
		SKIP(return, "uid %d cannot open %s", (int)(uid),	\
		     JET_DEV);						\
	ASSERT_EQ(0, __r);						\
} while (0)

TEST_F(perm, begin_by_other_uid_without_capability_is_access_denied)
{
	JET_INSTANCE_STATE before;
	long r = 1;

	START_OWNER(0);
	get_state(_metadata, self->w.inst, &before);
	RUN_AS(UID_OTHER, 0, begin_backup, &self->w, &r);
	EXPECT_JET(JET_errFileAccessDenied, r);
	EXPECT_UNCHANGED(self->w.inst, &before);
	/* the refusal left nothing behind: the owner's uid backs up */
	RUN_AS(0, 0, full_backup, &self->w, &r);
	EXPECT_JET(0, r);
}

TEST_F(perm, begin_by_owner_uid_is_allowed)
{
	long r = 1;

	START_OWNER(UID_OWNER);
	RUN_AS(UID_OWNER, 0, full_backup, &self->w, &r);
	EXPECT_JET(0, r);
}

TEST_F(perm, begin_by_another_ordinary_uid_is_access_denied)
{
	JET_INSTANCE_STATE before;
	long r = 1;

	START_OWNER(UID_OWNER);
	get_state(_metadata, self->w.inst, &before);
	RUN_AS(UID_OWNER + 1, 0, begin_backup, &self->w, &r);
	EXPECT_JET(JET_errFileAccessDenied, r);
	EXPECT_UNCHANGED(self->w.inst, &before);
}

TEST_F(perm, begin_with_cap_dac_read_search_is_allowed)
{
	long r = 1;

	START_OWNER(0);
	RUN_AS(UID_OTHER, 1u << CAP_DAC_READ_SEARCH, full_backup, &self->w,
	       &r);
	EXPECT_JET(0, r);
}

/* ---- stopping another's backup ---- */

/* A root agent in a child that begins a backup and holds it. */
static pid_t hold_backup(const struct world *w, int *hold)
{
	int tell[2], h[2];
	pid_t pid;
	char c = 'b';

	if (pipe2(tell, O_CLOEXEC) || pipe2(h, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		close(h[1]);
		if (JetBeginExternalBackupInstance(w->inst, 0))
			c = 'f';
		if (write(tell[1], &c, 1) != 1)
			_exit(2);
		jt_wait_byte(h[0], CHILD_MS);
		JetEndExternalBackupInstance2(w->inst, JET_bitBackupEndAbort);
		_exit(0);
	}
	close(tell[1]);
	close(h[0]);
	*hold = h[1];
	if (pid < 0 || jt_wait_byte(tell[0], 10000) != 'b') {
		if (pid > 0)
			jt_wait_child(pid, 0);
		pid = -1;
	}
	close(tell[0]);
	return pid;
}

static long stop_backup(const struct world *w)
{
	return JetStopBackupInstance(w->inst);
}

static long stop_backup_ioctl(const struct world *w)
{
	struct jet_instance_op op = { .instance = w->inst };
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	r = jt_ioctl(fd, JET_IOC_STOP_BACKUP, &op);
	close(fd);
	return r;
}

static long quiesce(const struct world *w)
{
	return JetStopServiceInstance2(w->inst,
				       JET_bitStopServiceQuiesceCaches);
}

static long stop_service(const struct world *w)
{
	return JetStopServiceInstance(w->inst);
}

TEST_F(perm, stop_backup_without_cap_sys_admin_is_access_denied)
{
	JET_INSTANCE_STATE before;
	int hold;
	pid_t agent;
	long r = 1;

	START_OWNER(0);
	agent = hold_backup(&self->w, &hold);
	ASSERT_LT(0, agent);
	get_state(_metadata, self->w.inst, &before);
	ASSERT_TRUE(before.flags & JET_INSTANCE_STATE_BACKUP);
	RUN_AS(UID_OTHER, 0, stop_backup, &self->w, &r);
	EXPECT_JET(JET_errFileAccessDenied, r);
	/* a capability is missing: EPERM, not the owner's EACCES */
	RUN_AS(UID_OTHER, 0, stop_backup_ioctl, &self->w, &r);
	EXPECT_EQ(-EPERM, r);
	RUN_AS(UID_OTHER, 0, stop_service, &self->w, &r);
	EXPECT_JET(JET_errFileAccessDenied, r);
	RUN_AS(UID_OTHER, 0, quiesce, &self->w, &r);
	EXPECT_JET(JET_errFileAccessDenied, r);
	EXPECT_UNCHANGED(self->w.inst, &before);
	close(hold);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(agent, 10000)));
}

TEST_F(perm, stop_backup_with_cap_sys_admin_is_allowed)
{
	JET_INSTANCE_STATE st;
	int hold;
	pid_t agent;
	long r = 1;

	START_OWNER(0);
	agent = hold_backup(&self->w, &hold);
	ASSERT_LT(0, agent);
	RUN_AS(UID_OTHER, 1u << CAP_SYS_ADMIN, stop_backup, &self->w, &r);
	EXPECT_JET(0, r);
	get_state(_metadata, self->w.inst, &st);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
	close(hold);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(agent, 10000)));
}

TEST_F(perm, stop_service_with_cap_sys_admin_is_allowed)
{
	JET_INSTANCE_STATE st;
	long r = 1;

	START_OWNER(0);
	RUN_AS(UID_OTHER, 1u << CAP_SYS_ADMIN, quiesce, &self->w, &r);
	EXPECT_JET(0, r);
	get_state(_metadata, self->w.inst, &st);
	EXPECT_EQ(JET_bitStopServiceQuiesceCaches, st.service_bits);
}

/* ---- listing ---- */

static long find_in_list(const struct world *w)
{
	JET_INSTANCE_INFO *infos = NULL;
	JET_INSTANCE_STATE st;
	unsigned long n = 0, i;
	long found = 2;

	ACHECK(JetGetInstanceInfo(&n, &infos));
	for (i = 0; i < n; i++) {
		if (infos[i].hInstanceId != w->inst)
			continue;
		found = infos[i].szInstanceName &&
			!strcmp(infos[i].szInstanceName, w->name) &&
			infos[i].cDatabases == 1 &&
			!strcmp(infos[i].szDatabaseFileName[0], w->db) ? 0 : 3;
	}
	JetFreeBuffer((char *)infos);
	if (found)
		return found;
	/* and its state, which is not the caller's */
	ACHECK(JetGetInstanceStateInstance(w->inst, &st));
	if (st.flags & JET_INSTANCE_STATE_MINE || st.owner_uid != 0 ||
	    st.db_count != 1)
		return 4;
	return 0;
}

TEST_F(perm, listing_works_for_anyone)
{
	long r = 1;

	START_OWNER(0);
	RUN_AS(UID_OTHER, 0, find_in_list, &self->w, &r);
	EXPECT_EQ(0, r) TH_LOG("2: not listed, 3: wrong entry, 4: state");
}

/* ---- the owner's own calls, by anyone else ---- */

static long op_attach(const struct world *w)
{
	struct jet_attach a = {
		.instance = w->inst,
		.name = (uintptr_t)w->db2,
	};
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	a.fd = open(w->db2, O_RDONLY | O_CLOEXEC);
	r = a.fd < 0 ? -errno : jt_ioctl(fd, JET_IOC_ATTACH_DB, &a);
	close(a.fd);
	close(fd);
	return r;
}

static long op_detach(const struct world *w)
{
	struct jet_attach a = {
		.instance = w->inst,
		.name = (uintptr_t)w->db,
		.fd = -1,
	};
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	r = jt_ioctl(fd, JET_IOC_DETACH_DB, &a);
	close(fd);
	return r;
}

static long op_session(const struct world *w)
{
	JET_SESID ses;

	return JetBeginSession(w->inst, &ses, NULL, NULL);
}

static long op_add_log(const struct world *w)
{
	return JetAddLogFileInstance(w->inst, w->log[3], 3);
}

static long op_checkpoint(const struct world *w)
{
	return JetSetCheckpointInstance(w->inst, 2);
}

static long op_throttle(const struct world *w)
{
	return JetSetBackupThrottleInstance(w->inst, 4096);
}

static long op_lock(const struct world *w)
{
	JET_HANDLE h;

	return JetLockWriteRangeInstance(w->inst, w->db, 0, 4096, &h);
}

static long op_pause(const struct world *w)
{
	return JetPauseBackupInstance(w->inst);
}

static long op_term(const struct world *w)
{
	return JetTerm2(w->inst, JET_bitTermAbrupt);
}

FIXTURE(nonowner) {
	struct world w;
	struct owner own;
};

FIXTURE_VARIANT(nonowner) {
	caller_fn op;
	long want;	/* a JET error, or -errno for a raw ioctl */
};

FIXTURE_VARIANT_ADD(nonowner, attach) {
	.op = op_attach, .want = -EACCES,
};

FIXTURE_VARIANT_ADD(nonowner, detach) {
	.op = op_detach, .want = -EACCES,
};

FIXTURE_VARIANT_ADD(nonowner, session) {
	.op = op_session, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, add_log) {
	.op = op_add_log, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, checkpoint) {
	.op = op_checkpoint, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, throttle) {
	.op = op_throttle, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, lock) {
	.op = op_lock, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, pause) {
	.op = op_pause, .want = JET_errFileAccessDenied,
};

FIXTURE_VARIANT_ADD(nonowner, term) {
	.op = op_term, .want = JET_errFileAccessDenied,
};

FIXTURE_SETUP(nonowner)
{
	int r;

	ASSERT_EQ(0, make_world(&self->w, "n"));
	r = start_owner(&self->own, &self->w, 0);
	ASSERT_EQ(0, r);
}

FIXTURE_TEARDOWN(nonowner)
{
	stop_owner(&self->own);
	unmake_world(&self->w);
}

/*
 * The call is refused and changed nothing: the state is the same and a
 * backup still runs to its end unhindered (no lock, pause or throttle).
 */
static void refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(nonowner) *self,
		    const FIXTURE_VARIANT(nonowner) *variant, uid_t uid)
{
	JET_INSTANCE_STATE before;
	uint64_t start;
	long r = 1;

	get_state(_metadata, self->w.inst, &before);
	RUN_AS(uid, 0, variant->op, &self->w, &r);
	EXPECT_EQ(variant->want, r)
		TH_LOG("got %ld (%s)", r, JetErrorName(r));
	EXPECT_UNCHANGED(self->w.inst, &before);
	start = jt_now_ns();
	RUN_AS(0, 0, full_backup, &self->w, &r);
	EXPECT_JET(0, r);
	EXPECT_GT(10000000000ull, jt_now_ns() - start);
}

TEST_F(nonowner, refused_to_root_in_another_context)
{
	refused(_metadata, self, variant, 0);
}

TEST_F(nonowner, refused_to_an_ordinary_user)
{
	refused(_metadata, self, variant, UID_OTHER);
}

TEST_HARNESS_MAIN
