// SPDX-License-Identifier: GPL-2.0
/*
 * roll_test.c - the log roll (SPEC 6.6): a backup's first log list asks the
 * owner to close the log it writes and waits for it; the copy set ends at
 * the rolled generation. The owner answers from another process, or, when
 * it backs itself up, from its roll callback; an owner that never answers,
 * a stop, a StopService, the owner's exit and a signal all end the wait.
 */
#include "kselftest_harness.h"
#include "jet_owner.h"

#define DB_SIZE		(256u << 10)
#define LIST_MAX	8192
#define SHORT_MS	300	/* roll_timeout_ms for the timeout tests */

/* copies one file of the running backup with JetReadFileInstance */
static long copy_file(JET_INSTANCE inst, const char *name, uint64_t *total)
{
	static char buf[65536];
	unsigned long lo, hi, got;
	JET_HANDLE hf;
	long err;

	*total = 0;
	err = JetOpenFileInstance(inst, name, &hf, &lo, &hi);
	if (err)
		return err;
	do {
		err = JetReadFileInstance(inst, hf, buf, sizeof(buf), &got);
		*total += got;
	} while (!err && got == sizeof(buf));
	if (!err)
		err = JetCloseFileInstance(inst, hf);
	else
		JetCloseFileInstance(inst, hf);
	return err;
}

/* the names of a list, counted */
static int count_names(const char *list)
{
	int n = 0;

	for (; *list; list += strlen(list) + 1)
		n++;
	return n;
}

FIXTURE(roll) {
	struct jo o;
	char list[LIST_MAX];
	unsigned int timeout_ms;
};

FIXTURE_SETUP(roll)
{
	ASSERT_EQ(0, jt_param_read("roll_timeout_ms", &self->timeout_ms));
	ASSERT_EQ(0, jo_start(&self->o, DB_SIZE, 3));
}

FIXTURE_TEARDOWN(roll)
{
	jt_param_write("roll_timeout_ms", self->timeout_ms);
	jo_end(&self->o);
}

TEST_F(roll, log_info_rolls_and_copy_set_ends_at_rolled_generation)
{
	JET_LOGINFO li = { .cbSize = sizeof(li) };
	JET_INSTANCE_STATE st;
	unsigned long cb = 0;
	uint64_t total;
	char name[160];

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, copy_file(self->o.inst, self->o.db, &total));
	EXPECT_EQ(DB_SIZE, total);
	memset(li.szBaseName, 'x', sizeof(li.szBaseName));
	ASSERT_JET(0, JetGetLogInfoInstance2(self->o.inst, self->list,
					     LIST_MAX, &cb, &li));
	/* 1..3 were closed; the owner closed 4 on the backup's request */
	EXPECT_EQ(1, li.ulGenLow);
	EXPECT_EQ(4, li.ulGenHigh);
	EXPECT_STREQ("", li.szBaseName);
	EXPECT_EQ(4, count_names(self->list));
	jo_log(&self->o, 4, name, sizeof(name));
	EXPECT_STREQ(name, self->list + cb - strlen(name) - 2);
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_EQ(4, st.newest_log);
	EXPECT_EQ(JET_BACKUP_PHASE_LOGS, st.phase);
	/* one roll per backup: a second list does not ask again */
	ASSERT_JET(0, JetGetLogInfoInstance(self->o.inst, self->list, LIST_MAX,
					    &cb));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_EQ(4, st.newest_log);
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->o.inst,
						    JET_bitBackupEndAbort));
}

TEST_F(roll, log_info_size_probe_succeeds_with_the_size)
{
	unsigned long need = 0, cb = 0;

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->o.inst, NULL, 0, &need));
	ASSERT_LT(1, need);
	EXPECT_JET(JET_errBufferTooSmall,
		   JetGetLogInfoInstance(self->o.inst, self->list, need - 1,
					 &cb));
	EXPECT_JET(0, JetGetLogInfoInstance(self->o.inst, self->list, need,
					    &cb));
	EXPECT_EQ(need, cb);
	need = 0;
	EXPECT_JET(0, JetGetTruncateLogInfoInstance(self->o.inst, NULL, 0,
						    &need));
	EXPECT_EQ(1, need);	/* checkpoint 1: nothing below it */
}

TEST_F(roll, loginfo_of_wrong_size_is_invalid_parameter)
{
	JET_LOGINFO li = { .cbSize = sizeof(li) - 1 };
	JET_INSTANCE_STATE before, after;
	unsigned long cb = 0;

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &before));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetLogInfoInstance2(self->o.inst, self->list, LIST_MAX,
					  &cb, &li));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &after));
	EXPECT_SAME_STATE(&before, &after);
}

TEST_F(roll, owner_that_never_answers_fails_backup_with_log_write_fail)
{
	JET_INSTANCE_STATE st;
	unsigned long cb = 0;
	uint64_t t0;

	ASSERT_EQ(0, jt_param_write("roll_timeout_ms", SHORT_MS));
	ASSERT_JET(0, jo_call(&self->o, JO_ROLLS_OFF, NULL, 0, 0, NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	t0 = jt_now_ns();
	EXPECT_JET(JET_errLogWriteFail,
		   JetGetLogInfoInstance(self->o.inst, self->list, LIST_MAX,
					 &cb));
	EXPECT_LE(SHORT_MS * 1000000ull, jt_now_ns() - t0);
	/* the backup failed as on a stop */
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
	EXPECT_JET(JET_errBackupAbortByServer,
		   JetGetLogInfoInstance(self->o.inst, self->list, LIST_MAX,
					 &cb));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_FALSE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	/* no request is left behind for the owner */
	ASSERT_JET(0, jo_call(&self->o, JO_ROLL_PENDING, NULL, 0, 0,
			      (unsigned long long *)&t0));
	EXPECT_EQ(0, t0);
}

/* ---- ending the wait ---- */

struct waiter {
	JET_INSTANCE inst;
	char list[LIST_MAX];
	long err;
	pthread_t thread;
	pid_t tid;
	uint32_t done;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	unsigned long cb = 0;

	w->tid = gettid();
	w->err = JetGetLogInfoInstance(w->inst, w->list, LIST_MAX, &cb);
	jt_word_set(&w->done, 1);
	return NULL;
}

/* starts a thread in GetLogInfo and waits until the owner has a request */
static void start_waiter(struct __test_metadata *_metadata,
			 FIXTURE_DATA(roll) *self, struct waiter *w)
{
	unsigned long long pending = 0;
	uint64_t end = jt_deadline_in(10000);

	memset(w, 0, sizeof(*w));
	w->inst = self->o.inst;
	ASSERT_JET(0, jo_call(&self->o, JO_ROLLS_OFF, NULL, 0, 0, NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_EQ(0, pthread_create(&w->thread, NULL, waiter_main, w));
	while (!pending && jt_now_ns() < end) {
		usleep(10000);
		ASSERT_JET(0, jo_call(&self->o, JO_ROLL_PENDING, NULL, 0, 0,
				      &pending));
	}
	ASSERT_TRUE(pending) TH_LOG("no roll request reached the owner");
	usleep(50000);
	EXPECT_EQ(0, jt_word_get(&w->done)) TH_LOG("GetLogInfo did not wait");
}

static long join_waiter(struct waiter *w)
{
	if (jt_word_wait(&w->done, 1, jt_deadline_in(10000)))
		return 424242;	/* still waiting: the test fails */
	pthread_join(w->thread, NULL);
	return w->err;
}

TEST_F(roll, stop_ends_roll_wait_with_abort_by_server)
{
	struct waiter w;

	start_waiter(_metadata, self, &w);
	ASSERT_JET(0, jo_call(&self->o, JO_STOP, NULL, 0, 0, NULL));
	EXPECT_JET(JET_errBackupAbortByServer, join_waiter(&w));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
}

TEST_F(roll, stop_service_ends_roll_wait)
{
	struct waiter w;

	start_waiter(_metadata, self, &w);
	ASSERT_JET(0, jo_call(&self->o, JO_STOP_SERVICE, NULL, 0, 0, NULL));
	EXPECT_JET(JET_errClientRequestToStopJetService, join_waiter(&w));
}

TEST_F(roll, owner_exit_ends_roll_wait_with_abort_by_server)
{
	struct waiter w;

	start_waiter(_metadata, self, &w);
	jo_kill(&self->o);
	EXPECT_JET(JET_errBackupAbortByServer, join_waiter(&w));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
}

TEST_F(roll, owner_term_ends_roll_wait_with_abort_by_server)
{
	struct waiter w;

	start_waiter(_metadata, self, &w);
	ASSERT_JET(0, jo_call(&self->o, JO_TERM, NULL, 0, 0, NULL));
	EXPECT_JET(JET_errBackupAbortByServer, join_waiter(&w));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
}

static unsigned int signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_add_fetch(&signals_seen, 1, __ATOMIC_SEQ_CST);
}

TEST_F(roll, signal_during_roll_wait_keeps_the_roll_asked)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long pending = 0;
	struct waiter w;

	/* no SA_RESTART: the kernel call returns EINTR, libjet calls again */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	start_waiter(_metadata, self, &w);
	ASSERT_EQ(0, syscall(SYS_tgkill, getpid(), w.tid, SIGUSR1));
	usleep(100000);
	EXPECT_EQ(1, __atomic_load_n(&signals_seen, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0, jt_word_get(&w.done)) TH_LOG("the signal ended the wait");
	/* still asked once, still waiting: now the owner answers */
	ASSERT_JET(0, jo_call(&self->o, JO_ROLL_PENDING, NULL, 0, 0,
			      &pending));
	EXPECT_EQ(1, pending);
	ASSERT_JET(0, jo_call(&self->o, JO_ROLLS_ON, NULL, 0, 0, NULL));
	EXPECT_JET(0, join_waiter(&w));
	EXPECT_EQ(4, count_names(w.list));
	signal(SIGUSR1, SIG_DFL);
}

TEST_F(roll, roll_asked_refuses_database_open)
{
	struct jet_log_list ll = { .flags = JET_LOGS_NO_WAIT };
	struct jet_open_file of = { .name = 0 };
	unsigned long lo, hi;
	JET_HANDLE hf;
	int fd;

	ASSERT_JET(0, jo_call(&self->o, JO_ROLLS_OFF, NULL, 0, 0, NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, JetGetNotificationFd(&fd));
	ll.instance = self->o.inst;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_LOG_LIST, &ll));
	EXPECT_EQ(JET_LOGS_ROLL_PENDING, ll.status);
	EXPECT_EQ(self->o.inst, ll.roll_instance);
	EXPECT_EQ(3, ll.roll_above);
	/* a page copied after the roll may need the next log: no database */
	EXPECT_JET(JET_errInvalidBackupSequence,
		   JetOpenFileInstance(self->o.inst, self->o.db, &hf, &lo,
				       &hi));
	of.instance = self->o.inst;
	of.name = (uintptr_t)self->o.db;
	EXPECT_EQ(-EPROTO, jt_ioctl(fd, JET_IOC_OPEN_FILE, &of));
	EXPECT_JET(0, JetEndExternalBackupInstance2(self->o.inst,
						    JET_bitBackupEndAbort));
}

TEST_F(roll, other_owners_instance_gets_no_roll_callback)
{
	EXPECT_JET(JET_errFileAccessDenied,
		   JetSetLogRollCallbackInstance(self->o.inst, NULL, NULL));
}

/* ---- the owner's side, raw: the request on /dev/jet ---- */

FIXTURE(raw) {
	int owner, agent;
	uint64_t inst;
	char dir[64], pattern[128];
};

FIXTURE_SETUP(raw)
{
	struct jet_enable_multi em = { 0 };
	char path[160];
	int g, fd;

	snprintf(self->dir, sizeof(self->dir), "/tmp/jet-roll.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->pattern, sizeof(self->pattern), "%s/edb%%05lX.log",
		 self->dir);
	self->owner = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->owner);
	ASSERT_LE(0, self->agent);
	ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_ENABLE_MULTI, &em));
	ASSERT_EQ(0, jt_raw_create(self->owner, NULL, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->owner, self->inst, 0, NULL));
	for (g = 1; g <= 2; g++) {
		struct jet_add_log l = {
			.instance = self->inst,
			.name = (uintptr_t)path,
			.generation = g,
		};

		snprintf(path, sizeof(path), self->pattern, (unsigned long)g);
		fd = jt_open_new_file(path, 5000, g);
		ASSERT_LE(0, fd);
		l.fd = fd;
		ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_ADD_LOG, &l));
		close(fd);
	}
}

FIXTURE_TEARDOWN(raw)
{
	close(self->agent);
	close(self->owner);
	jt_rm_tree(self->dir);
}

static int raw_log_list(int fd, uint64_t inst, uint32_t flags,
			struct jet_log_list *ll, char *buf, uint32_t size)
{
	memset(ll, 0, sizeof(*ll));
	ll->instance = inst;
	ll->flags = flags;
	ll->buf = (uintptr_t)buf;
	ll->buf_size = size;
	return jt_ioctl(fd, JET_IOC_LOG_LIST, ll);
}

TEST_F(raw, roll_request_polls_pri_and_is_read_once)
{
	struct jet_instance_op op = { .instance = self->inst };
	struct pollfd p = { .fd = self->owner, .events = POLLIN | POLLPRI };
	struct jet_roll_request rr;
	struct jet_log_list ll;
	char buf[1024];

	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_BEGIN_BACKUP, &op));
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, raw_log_list(self->agent, self->inst, JET_LOGS_NO_WAIT,
				  &ll, buf, sizeof(buf)));
	EXPECT_EQ(JET_LOGS_ROLL_PENDING, ll.status);
	EXPECT_EQ(0, ll.size);
	EXPECT_EQ(2, ll.roll_above);
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLPRI, p.revents);
	/* asking again queues nothing more */
	ASSERT_EQ(0, raw_log_list(self->agent, self->inst, JET_LOGS_NO_WAIT,
				  &ll, buf, sizeof(buf)));
	ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(self->inst, rr.instance);
	EXPECT_EQ(2, rr.gen_above);
	ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(0, rr.instance);
	EXPECT_EQ(0, poll(&p, 1, 0));
	/* the owner answers; the next list has the copy set to 3 */
	{
		char path[160];
		struct jet_add_log l = { .instance = self->inst,
					 .name = (uintptr_t)path,
					 .generation = 3 };

		snprintf(path, sizeof(path), self->pattern, 3UL);
		l.fd = jt_open_new_file(path, 777, 3);
		ASSERT_LE(0, l.fd);
		ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_ADD_LOG, &l));
		close(l.fd);
	}
	ASSERT_EQ(0, raw_log_list(self->agent, self->inst, JET_LOGS_NO_WAIT,
				  &ll, buf, sizeof(buf)));
	EXPECT_EQ(0, ll.status);
	EXPECT_EQ(1, ll.gen_low);
	EXPECT_EQ(3, ll.gen_high);
}

TEST_F(raw, roll_request_leaves_queue_when_owner_answers_or_backup_ends)
{
	struct jet_instance_op op = { .instance = self->inst };
	struct jet_roll_request rr;
	struct jet_log_list ll;
	char buf[1024];

	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_BEGIN_BACKUP, &op));
	ASSERT_EQ(0, raw_log_list(self->agent, self->inst, JET_LOGS_NO_WAIT,
				  &ll, buf, sizeof(buf)));
	ASSERT_EQ(JET_LOGS_ROLL_PENDING, ll.status);
	op.grbit = JET_END_ABORT;
	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_END_BACKUP, &op));
	ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(0, rr.instance) TH_LOG("a request of an ended backup");

	/* answered before it was read: gone too */
	op.grbit = 0;
	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_BEGIN_BACKUP, &op));
	ASSERT_EQ(0, raw_log_list(self->agent, self->inst, JET_LOGS_NO_WAIT,
				  &ll, buf, sizeof(buf)));
	ASSERT_EQ(JET_LOGS_ROLL_PENDING, ll.status);
	{
		char path[160];
		struct jet_add_log l = { .instance = self->inst,
					 .name = (uintptr_t)path,
					 .generation = 3 };

		snprintf(path, sizeof(path), self->pattern, 3UL);
		l.fd = jt_open_new_file(path, 777, 3);
		ASSERT_LE(0, l.fd);
		ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_ADD_LOG, &l));
		close(l.fd);
	}
	ASSERT_EQ(0, jt_ioctl(self->owner, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(0, rr.instance) TH_LOG("a request already answered");
}

/* ---- an owner that backs itself up: the roll callback ---- */

struct cb_ctx {
	char pattern[128];
	unsigned int calls;
	unsigned long above;
};

static JET_ERR roll_cb(JET_INSTANCE inst, unsigned long above, void *arg)
{
	struct cb_ctx *c = arg;
	char path[160];

	c->calls++;
	c->above = above;
	snprintf(path, sizeof(path), c->pattern, above + 1);
	if (jt_make_file(path, 3000, (uint32_t)above + 1))
		return JET_errDiskIO;
	return JetAddLogFileInstance(inst, path, above + 1);
}

TEST(roll_callback_answers_own_backup_in_one_process)
{
	char dir[64] = "/tmp/jet-rcb.XXXXXX", db[96], path[160], list[4096];
	struct cb_ctx c = { .calls = 0 };
	JET_LOGINFO li = { .cbSize = sizeof(li) };
	JET_INSTANCE inst = 0;
	unsigned long cb = 0;
	JET_SESID ses;
	uint64_t total;
	const char *p;
	int n = 0;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/self.edb", dir);
	snprintf(c.pattern, sizeof(c.pattern), "%s/edb%%05lX.log", dir);
	ASSERT_EQ(0, jt_make_file(db, 100000, 5));
	ASSERT_JET(0, JetCreateInstance(&inst, NULL));
	ASSERT_JET(0, JetInit(&inst));
	ASSERT_JET(0, JetBeginSession(inst, &ses, NULL, NULL));
	ASSERT_JET(0, JetAttachDatabase(ses, db, 0));
	snprintf(path, sizeof(path), c.pattern, 1UL);
	ASSERT_EQ(0, jt_make_file(path, 3000, 1));
	ASSERT_JET(0, JetAddLogFileInstance(inst, path, 1));
	ASSERT_JET(0, JetSetLogRollCallbackInstance(inst, roll_cb, &c));

	/* one process, one thread: owner and agent */
	ASSERT_JET(0, JetBeginExternalBackupInstance(inst, 0));
	ASSERT_JET(0, copy_file(inst, db, &total));
	EXPECT_EQ(100000, total);
	ASSERT_JET(0, JetGetLogInfoInstance2(inst, list, sizeof(list), &cb,
					     &li));
	EXPECT_EQ(1, c.calls);
	EXPECT_EQ(1, c.above);
	EXPECT_EQ(1, li.ulGenLow);
	EXPECT_EQ(2, li.ulGenHigh);
	for (p = list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, copy_file(inst, p, &total));
		EXPECT_EQ(3000, total);
		n++;
	}
	EXPECT_EQ(2, n);
	EXPECT_JET(0, JetTruncateLogInstance(inst));
	EXPECT_JET(0, JetEndExternalBackupInstance(inst));
	EXPECT_EQ(1, c.calls);
	ASSERT_JET(0, JetSetLogRollCallbackInstance(inst, NULL, NULL));
	EXPECT_JET(0, JetTerm(inst));
	jt_rm_tree(dir);
}

TEST_HARNESS_MAIN
