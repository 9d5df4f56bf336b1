// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_edges_test - the OS snapshot calls' edges, on the raw ioctls
 * (kmod/snapshot.c): each refusal of the kernel (grbits, handles, another
 * user's or namespace's instances, the session limit, results that cannot
 * be written), what a session records and truncates, and how signals, a
 * stop and a term meet a freeze. snapshot_test covers the main paths
 * through libjet.
 *
 * The test process is the owner of instance A (one /dev/jet context, with
 * a roller thread answering its roll requests) and the snapshot tool
 * (another context).
 */
#include <sched.h>

#include "jet_test.h"
#include "kselftest_harness.h"

#define DB_SIZE		(64 * 1024)
#define LOG_SIZE	4096
#define NLOGS		3
/* a freeze's timeout that a test must never reach */
#define LONG_MS		20000
#define PROMPT_MS	5000

FIXTURE(snx) {
	char dir[64];
	char db[128];
	int own, tool;
	uint64_t inst;
	struct jt_roller roller;
};

FIXTURE_SETUP(snx)
{
	char name[64], path[160];
	int i, fd;

	strcpy(self->dir, "/tmp/jet-snx-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/db.edb", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, 5));
	self->own = jt_raw_open();
	self->tool = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->tool);
	snprintf(name, sizeof(name), "snx-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	ASSERT_EQ(0, jt_raw_attach(self->own, self->inst, self->db));
	for (i = 1; i <= NLOGS; i++) {
		snprintf(path, sizeof(path), "%s/edb%05X.log", self->dir, i);
		fd = jt_open_new_file(path, LOG_SIZE, i);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, jt_raw_add_log_fd(self->own, self->inst, path, i,
					       fd));
		close(fd);
	}
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				1));
	snprintf(path, sizeof(path), "%s/edb%%05lX.log", self->dir);
	ASSERT_EQ(0, jt_roller_start(&self->roller, self->own, path,
				     LOG_SIZE));
}

FIXTURE_TEARDOWN(snx)
{
	jt_roller_stop(&self->roller);
	close(self->tool);
	close(self->own);
	jt_rm_tree(self->dir);
}

/* ---- the raw calls ---- */

static int snap_prepare(int fd, uint32_t grbit, uint64_t *id)
{
	struct jet_snapshot_prepare p = { .grbit = grbit };
	int ret = jt_ioctl(fd, JET_IOC_SNAPSHOT_PREPARE, &p);

	*id = p.snapshot;
	return ret;
}

static int snap_op(int fd, unsigned long cmd, uint64_t id, uint64_t inst,
		   uint32_t grbit, uint32_t timeout_ms)
{
	struct jet_snapshot_op op = {
		.snapshot = id,
		.instance = inst,
		.grbit = grbit,
		.timeout_ms = timeout_ms,
	};

	return jt_ioctl(fd, cmd, &op);
}

static int snap_info(int fd, uint64_t id, uint64_t *ids, uint32_t max,
		     uint32_t *count, uint32_t *state)
{
	struct jet_snapshot_info si = {
		.snapshot = id,
		.ids = (uintptr_t)ids,
		.ids_max = max,
	};
	int ret = jt_ioctl(fd, JET_IOC_SNAPSHOT_GET_INFO, &si);

	if (count)
		*count = si.count;
	if (state)
		*state = si.state;
	return ret;
}

/* a session's state, or 0 */
static uint32_t state_of(int fd, uint64_t id)
{
	uint64_t ids[JET_SNAP_INSTANCES_MAX];
	uint32_t state = 0;

	if (snap_info(fd, id, ids, JET_SNAP_INSTANCES_MAX, NULL, &state))
		return 0;
	return state;
}

/* A session of A on the tool's context, prepared explicitly. */
static uint64_t prepare_a(struct __test_metadata *_metadata,
			  FIXTURE_DATA(snx) *self, uint32_t grbit)
{
	uint64_t id = 0;

	EXPECT_EQ(0, snap_prepare(self->tool, grbit | JET_SNAP_EXPLICIT_PREPARE,
				  &id));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id,
			     self->inst, 0, 0));
	return id;
}

static uint32_t flags_of(struct __test_metadata *_metadata, int fd,
			 uint64_t inst)
{
	struct jet_instance_state st;

	EXPECT_EQ(0, jt_raw_state(fd, inst, &st));
	return st.flags;
}

/* ---- a call on a thread, and signals to interrupt it ---- */

struct call {
	pthread_t thread;
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	uint32_t done;
};

static void *call_run(void *p)
{
	struct call *c = p;

	c->ret = jt_ioctl(c->fd, c->cmd, c->arg);
	jt_word_set(&c->done, 1);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static int call_start(struct call *c, int fd, unsigned long cmd, void *arg)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: an interrupted wait returns -EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->cmd = cmd;
	c->arg = arg;
	return pthread_create(&c->thread, NULL, call_run, c);
}

/* 1 if the call is still waiting after ms */
static int call_waits(struct call *c, int ms)
{
	return jt_word_wait(&c->done, 1, jt_deadline_in(ms)) != 0;
}

/*
 * Signals the call until it returns (one that comes before it sleeps is
 * lost); its result, or 1 if it never returned.
 */
static int call_interrupt(struct call *c)
{
	uint64_t end = jt_deadline_in(PROMPT_MS);

	while (jt_word_get(&c->done) == 0 && jt_now_ns() < end) {
		pthread_kill(c->thread, SIGUSR1);
		jt_word_wait(&c->done, 1, jt_deadline_in(50));
	}
	if (!jt_word_get(&c->done))
		return 1;
	pthread_join(c->thread, NULL);
	return c->ret;
}

/* the call returned by itself within PROMPT_MS: its result, else 1 */
static int call_finish(struct call *c)
{
	if (jt_word_wait(&c->done, 1, jt_deadline_in(PROMPT_MS)))
		return 1;
	pthread_join(c->thread, NULL);
	return c->ret;
}

/* ---- the kernel's own checks of each call ---- */

TEST_F(snx, freeze_refuses_a_grbit)
{
	uint64_t id = prepare_a(_metadata, self, 0);

	EXPECT_EQ(-EINVAL, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0,
				   1, 0));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_FROZEN);
}

TEST_F(snx, thaw_refuses_a_grbit)
{
	uint64_t id = prepare_a(_metadata, self, 0);

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	EXPECT_EQ(-EINVAL, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 1,
				   0));
	EXPECT_TRUE(flags_of(_metadata, self->own, self->inst) &
		    JET_STATE_FROZEN);
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
}

TEST_F(snx, truncate_log_refuses_an_unknown_grbit)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_CONTINUE_AFTER_THAW);
	struct jet_instance_state st;

	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				3));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	EXPECT_EQ(-EINVAL, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG,
				   id, 0, JET_SNAP_ALL_DATABASES | 2, 0));
	/* nothing truncated: the three logs and the freeze's roll */
	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	EXPECT_EQ(NLOGS + 1, st.log_count);
}

TEST_F(snx, end_refuses_an_unknown_grbit)
{
	uint64_t id = prepare_a(_metadata, self, 0);

	EXPECT_EQ(-EINVAL, snap_op(self->tool, JET_IOC_SNAPSHOT_END, id, 0, 2,
				   0));
	/* the session goes on */
	EXPECT_EQ(JET_SNAP_STATE_PREPARED, state_of(self->tool, id));
}

TEST_F(snx, prepare_instance_refuses_a_grbit)
{
	uint64_t id = 0;

	ASSERT_EQ(0, snap_prepare(self->tool, JET_SNAP_EXPLICIT_PREPARE, &id));
	EXPECT_EQ(-EINVAL, snap_op(self->tool,
				   JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id,
				   self->inst, 1, 0));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_SNAPSHOT);
}

TEST_F(snx, truncate_log_of_an_unknown_session_is_an_invalid_snap_id)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_CONTINUE_AFTER_THAW);

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	/* ids mean something only in the context that prepared them */
	EXPECT_EQ(-EBADSLT, snap_op(self->own, JET_IOC_SNAPSHOT_TRUNCATE_LOG,
				    id, 0, JET_SNAP_ALL_DATABASES, 0));
	EXPECT_EQ(-EBADSLT, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG,
				    id + 100, 0, JET_SNAP_ALL_DATABASES, 0));
	EXPECT_EQ(JET_SNAP_STATE_THAWED, state_of(self->tool, id));
}

TEST_F(snx, prepare_instance_refuses_an_unknown_handle)
{
	uint64_t id = 0;
	uint32_t count = 1;

	ASSERT_EQ(0, snap_prepare(self->tool, JET_SNAP_EXPLICIT_PREPARE, &id));
	EXPECT_EQ(-EINVAL, snap_op(self->tool,
				   JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id,
				   0xfffffff0u, 0, 0));
	EXPECT_EQ(0, snap_info(self->tool, id, NULL, 0, &count, NULL));
	EXPECT_EQ(0, count);
}

TEST_F(snx, prepare_instance_refuses_an_uninitialized_instance)
{
	uint64_t id = 0, raw = 0;
	char name[64];

	snprintf(name, sizeof(name), "snx-raw-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &raw));
	ASSERT_EQ(0, snap_prepare(self->tool, JET_SNAP_EXPLICIT_PREPARE, &id));
	EXPECT_EQ(-EUNATCH, snap_op(self->tool,
				    JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id, raw,
				    0, 0));
	EXPECT_FALSE(flags_of(_metadata, self->own, raw) & JET_STATE_SNAPSHOT);
}

TEST_F(snx, seventeenth_session_of_a_context_is_refused)
{
	uint64_t ids[JET_SNAP_SESSIONS_MAX], id = 0;
	int i;

	for (i = 0; i < JET_SNAP_SESSIONS_MAX; i++)
		ASSERT_EQ(0, snap_prepare(self->tool,
					  JET_SNAP_EXPLICIT_PREPARE, &ids[i]));
	EXPECT_EQ(-ENOMEM, snap_prepare(self->tool, JET_SNAP_EXPLICIT_PREPARE,
					&id));
	/* one ends: room for one more */
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_END, ids[0], 0, 0,
			     0));
	EXPECT_EQ(0, snap_prepare(self->tool, JET_SNAP_EXPLICIT_PREPARE, &id));
	EXPECT_NE(0, id);
}

TEST_F(snx, prepare_that_cannot_write_its_id_leaves_no_session)
{
	struct jet_snapshot_prepare p = { 0 }, *ro = jt_ro_copy(&p, sizeof(p));

	ASSERT_NE(NULL, ro);
	/* without EXPLICIT_PREPARE it would take A */
	EXPECT_EQ(-EFAULT, jt_ioctl(self->tool, JET_IOC_SNAPSHOT_PREPARE, ro));
	munmap(ro, 4096);
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_SNAPSHOT);
	prepare_a(_metadata, self, 0);
	EXPECT_TRUE(flags_of(_metadata, self->own, self->inst) &
		    JET_STATE_SNAPSHOT);
}

TEST_F(snx, get_info_with_too_few_ids_says_how_many)
{
	uint64_t id = prepare_a(_metadata, self, 0), one = 0;
	uint32_t count = 0, state = 0;

	EXPECT_EQ(-ENOBUFS, snap_info(self->tool, id, &one, 0, &count,
				      &state));
	EXPECT_EQ(1, count);
	EXPECT_EQ(JET_SNAP_STATE_PREPARED, state);
	EXPECT_EQ(0, one);
	EXPECT_EQ(0, snap_info(self->tool, id, &one, 1, &count, NULL));
	EXPECT_EQ(self->inst, one);
}

TEST_F(snx, get_info_into_a_bad_ids_pointer_faults)
{
	uint64_t id = prepare_a(_metadata, self, 0);

	EXPECT_EQ(-EFAULT, snap_info(self->tool, id, (uint64_t *)16, 4, NULL,
				     NULL));
}

TEST_F(snx, get_info_that_cannot_write_its_result_faults)
{
	uint64_t id = prepare_a(_metadata, self, 0), one = 0;
	struct jet_snapshot_info si = {
		.snapshot = id,
		.ids = (uintptr_t)&one,
		.ids_max = 1,
	}, *ro = jt_ro_copy(&si, sizeof(si));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->tool, JET_IOC_SNAPSHOT_GET_INFO, ro));
	munmap(ro, 4096);
}

TEST_F(snx, truncate_log_of_an_unknown_handle_is_invalid)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_CONTINUE_AFTER_THAW);

	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				3));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	EXPECT_EQ(-EINVAL, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG,
				   id, 0xfffffff0u, JET_SNAP_ALL_DATABASES, 0));
	EXPECT_EQ(JET_SNAP_STATE_THAWED, state_of(self->tool, id));
}

/* ---- who and what a session takes ---- */

TEST_F(snx, prepare_takes_no_instance_that_is_uninitialized_or_taken)
{
	uint64_t raw = 0, free_inst = 0, id = 0, ids[8] = { 0 };
	uint32_t count = 0, i;
	char name[64];

	prepare_a(_metadata, self, 0);	/* A is in a session */
	snprintf(name, sizeof(name), "snx-raw-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &raw));
	snprintf(name, sizeof(name), "snx-free-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &free_inst));
	ASSERT_EQ(0, jt_raw_init(self->own, free_inst, 0, NULL));

	ASSERT_EQ(0, snap_prepare(self->tool, 0, &id));
	ASSERT_EQ(0, snap_info(self->tool, id, ids, 8, &count, NULL));
	EXPECT_EQ(1, count);
	for (i = 0; i < count && i < 8; i++) {
		EXPECT_NE(self->inst, ids[i]);
		EXPECT_NE(raw, ids[i]);
	}
	EXPECT_EQ(free_inst, ids[0]);
}

/* in a child as uid 1000 without capabilities: 0, or what went wrong */
static int other_user_tries(uint64_t inst)
{
	uint64_t id = 0, ids[4];
	uint32_t count = 1;
	int fd;

	if (jt_become(1000, 1000, 0))
		return 2;
	fd = jt_raw_open();
	if (fd < 0)
		return 3;
	if (snap_prepare(fd, JET_SNAP_EXPLICIT_PREPARE, &id))
		return 4;
	if (snap_op(fd, JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id, inst, 0, 0) !=
	    -EACCES)
		return 5;
	if (snap_prepare(fd, 0, &id) ||
	    snap_info(fd, id, ids, 4, &count, NULL))
		return 6;
	return count == 0 ? 0 : 7;
}

TEST_F(snx, another_users_instance_cannot_be_snapshot)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user_tries(self->inst));
	EXPECT_EQ(0, WEXITSTATUS(jt_wait_child(pid, PROMPT_MS)));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_SNAPSHOT);
}

/* in a child in an IPC namespace of its own: 0, 10 (no namespaces), or why */
static int other_namespace_tries(void)
{
	uint64_t id = 0, ids[4];
	uint32_t count = 1;
	int fd;

	if (unshare(CLONE_NEWIPC))
		return 10;
	fd = jt_raw_open();
	if (fd < 0)
		return 3;
	if (snap_prepare(fd, 0, &id) ||
	    snap_info(fd, id, ids, 4, &count, NULL))
		return 6;
	return count == 0 ? 0 : 7;
}

TEST_F(snx, prepare_takes_no_instance_of_another_ipc_namespace)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_namespace_tries());
	status = jt_wait_child(pid, PROMPT_MS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
		SKIP(return, "this kernel has no IPC namespaces");
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_SNAPSHOT);
}

/* ---- what a session records and truncates ---- */

TEST_F(snx, copy_snapshot_records_no_backup)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_COPY);

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_FULL_BACKUP_DONE);
	EXPECT_EQ(-ENODATA, jt_raw_op(self->tool, JET_IOC_BEGIN_BACKUP,
				      self->inst, JET_BACKUP_INCREMENTAL));
}

TEST_F(snx, incremental_snapshot_records_no_full_backup)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_INCREMENTAL);

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_FULL_BACKUP_DONE);
	EXPECT_EQ(-ENODATA, jt_raw_op(self->tool, JET_IOC_BEGIN_BACKUP,
				      self->inst, JET_BACKUP_INCREMENTAL));
}

TEST_F(snx, thawed_session_outlives_its_freeze_timeout)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_CONTINUE_AFTER_THAW);

	/* short, yet long enough for the thaw to come first on a slow VM */
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     1500));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	usleep(2000 * 1000);
	EXPECT_EQ(JET_SNAP_STATE_THAWED, state_of(self->tool, id));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG, id, 0,
			     JET_SNAP_ALL_DATABASES, 0));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_END, id, 0, 0, 0));
	EXPECT_TRUE(flags_of(_metadata, self->own, self->inst) &
		    JET_STATE_FULL_BACKUP_DONE);
}

TEST_F(snx, second_truncate_log_truncates_nothing_more)
{
	uint64_t id = prepare_a(_metadata, self, JET_SNAP_CONTINUE_AFTER_THAW);
	struct jet_truncate_event te = { 0 };
	struct jet_instance_state st;

	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				3));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG, id, 0,
			     JET_SNAP_ALL_DATABASES, 0));
	/* below the freeze's checkpoint: 1 and 2 went, 3 and the roll's stay */
	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	EXPECT_EQ(2, st.log_count);
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_TRUNCATE_EVENT, &te));
	EXPECT_EQ(self->inst, te.instance);
	EXPECT_EQ(1, te.first_generation);
	EXPECT_EQ(2, te.last_generation);

	/* a newer checkpoint changes nothing: the freeze's one was used */
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				4));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_TRUNCATE_LOG, id, 0,
			     JET_SNAP_ALL_DATABASES, 0));
	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	EXPECT_EQ(2, st.log_count);
	memset(&te, 0, sizeof(te));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_TRUNCATE_EVENT, &te));
	EXPECT_EQ(0, te.instance);
}

/* ---- stops, terms and signals against a freeze ---- */

TEST_F(snx, stop_before_the_freeze_leaves_the_session_usable)
{
	uint64_t id = prepare_a(_metadata, self, 0);

	EXPECT_EQ(0, jt_raw_op(self->own, JET_IOC_STOP_BACKUP, self->inst, 0));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	EXPECT_TRUE(flags_of(_metadata, self->own, self->inst) &
		    JET_STATE_FROZEN);
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
}

TEST_F(snx, instance_termed_after_prepare_does_not_hold_the_freeze)
{
	uint64_t id = prepare_a(_metadata, self, 0), gone = 0;
	struct jet_term t = { .grbit = JET_TERM_ABRUPT };
	struct jet_snapshot_op op = { .snapshot = id, .timeout_ms = LONG_MS };
	struct call c;
	char name[64];

	snprintf(name, sizeof(name), "snx-gone-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &gone));
	ASSERT_EQ(0, jt_raw_init(self->own, gone, 0, NULL));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_PREPARE_INSTANCE, id,
			     gone, 0, 0));
	t.instance = gone;
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_TERM, &t));

	/* nobody will roll the log of the instance gone: it must not wait */
	ASSERT_EQ(0, call_start(&c, self->tool, JET_IOC_SNAPSHOT_FREEZE, &op));
	EXPECT_EQ(0, call_finish(&c));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	EXPECT_TRUE(flags_of(_metadata, self->own, self->inst) &
		    JET_STATE_FULL_BACKUP_DONE);
}

TEST_F(snx, signal_interrupts_the_freezes_wait_for_the_roll_and_thaws)
{
	uint64_t id = prepare_a(_metadata, self, 0);
	struct jet_snapshot_op op = { .snapshot = id, .timeout_ms = LONG_MS };
	struct call c;

	jt_roller_stop(&self->roller);		/* the roll never comes */
	ASSERT_EQ(0, call_start(&c, self->tool, JET_IOC_SNAPSHOT_FREEZE, &op));
	ASSERT_TRUE(call_waits(&c, 200));
	EXPECT_EQ(-EINTR, call_interrupt(&c));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_FROZEN);
	EXPECT_EQ(JET_SNAP_STATE_PREPARED, state_of(self->tool, id));
}

TEST_F(snx, term_ends_the_freezes_wait_for_the_owners_roll)
{
	uint64_t id = prepare_a(_metadata, self, 0);
	struct jet_snapshot_op op = { .snapshot = id, .timeout_ms = LONG_MS };
	struct jet_term t = { .instance = self->inst, .grbit = JET_TERM_ABRUPT };
	struct call c;

	jt_roller_stop(&self->roller);		/* the roll never comes */
	ASSERT_EQ(0, call_start(&c, self->tool, JET_IOC_SNAPSHOT_FREEZE, &op));
	ASSERT_TRUE(call_waits(&c, 200));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_TERM, &t));
	/* an instance gone has no write in flight: nothing left to wait for */
	EXPECT_EQ(0, call_finish(&c));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_END, id, 0,
			     JET_SNAP_ABORT, 0));
}

TEST_F(snx, signal_interrupts_the_freezes_wait_for_a_held_lock_and_thaws)
{
	uint64_t id = prepare_a(_metadata, self, 0);
	struct jet_snapshot_op op = { .snapshot = id, .timeout_ms = LONG_MS };
	struct jet_lock_range lr = {
		.instance = self->inst,
		.name = (uintptr_t)self->db,
		.offset = 0,
		.length = 4096,
	};
	struct call c;

	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_LOCK_RANGE, &lr));
	ASSERT_EQ(0, call_start(&c, self->tool, JET_IOC_SNAPSHOT_FREEZE, &op));
	ASSERT_TRUE(call_waits(&c, 200));
	EXPECT_EQ(-EINTR, call_interrupt(&c));
	EXPECT_FALSE(flags_of(_metadata, self->own, self->inst) &
		     JET_STATE_FROZEN);
	EXPECT_EQ(0, jt_raw_u64(self->own, JET_IOC_UNLOCK_RANGE, self->inst,
				lr.lock));
}

static struct jet_lock_range lock_of(FIXTURE_DATA(snx) *self)
{
	struct jet_lock_range lr = {
		.instance = self->inst,
		.name = (uintptr_t)self->db,
		.offset = 8192,
		.length = 4096,
	};

	return lr;
}

TEST_F(snx, signal_interrupts_an_owners_lock_held_back_by_a_freeze)
{
	uint64_t id = prepare_a(_metadata, self, 0);
	struct jet_lock_range lr = lock_of(self);
	struct call c;

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, call_start(&c, self->own, JET_IOC_LOCK_RANGE, &lr));
	ASSERT_TRUE(call_waits(&c, 200));
	EXPECT_EQ(-EINTR, call_interrupt(&c));
	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
	/* the interrupted lock was never taken: a new freeze finds none */
	id = prepare_a(_metadata, self, 0);
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     PROMPT_MS));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_THAW, id, 0, 0, 0));
}

TEST_F(snx, term_fails_an_owners_lock_held_back_by_a_freeze)
{
	uint64_t id = prepare_a(_metadata, self, 0);
	struct jet_lock_range lr = lock_of(self);
	struct jet_term t = { .instance = self->inst, .grbit = JET_TERM_ABRUPT };
	struct call c;

	ASSERT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_FREEZE, id, 0, 0,
			     LONG_MS));
	ASSERT_EQ(0, call_start(&c, self->own, JET_IOC_LOCK_RANGE, &lr));
	ASSERT_TRUE(call_waits(&c, 200));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_TERM, &t));
	EXPECT_EQ(-ESHUTDOWN, call_finish(&c));
	EXPECT_EQ(0, snap_op(self->tool, JET_IOC_SNAPSHOT_END, id, 0,
			     JET_SNAP_ABORT, 0));
}

TEST_HARNESS_MAIN
