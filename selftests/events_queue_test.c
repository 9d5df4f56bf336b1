// SPDX-License-Identifier: GPL-2.0
/*
 * events_queue_test - the owner's event queue (kmod/events.c): bounded at
 * 1024 truncation events; past that a new event is merged into the newest
 * one of its instance when the two ranges touch, else the oldest event goes.
 * An event or a roll request that cannot be written to the caller stays
 * queued. An instance has one roll request at most: a second ask (an OS
 * snapshot's freeze while a backup's roll waits) raises the queued one.
 *
 * The test process is both the owner (one /dev/jet context) and the agent
 * (another). Each backup cycle moves the checkpoint up one generation,
 * answers the roll itself (JET_LOGS_NO_WAIT), opens the copy set's logs
 * (empty files: copied at open) and truncates, so the owner gets one
 * truncation event of one generation per cycle, quickly.
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define EVENTS_MAX	1024	/* kmod/events.c JET_EVENTS_MAX */

FIXTURE(evq) {
	char dir[64];
	char empty[128];
	int own, agent, empty_fd;
	uint64_t inst[2];
	uint64_t top[2];	/* newest generation registered */
};

static void log_name(FIXTURE_DATA(evq) *self, int i, uint64_t g, char *buf,
		     size_t size)
{
	snprintf(buf, size, "%s/i%d-%llu.log", self->dir, i,
		 (unsigned long long)g);
}

static void new_instance(struct __test_metadata *_metadata,
			 FIXTURE_DATA(evq) *self, int i)
{
	char name[64], path[160];

	snprintf(name, sizeof(name), "evq-%d-%d", getpid(), i);
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst[i]));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst[i], 0, NULL));
	log_name(self, i, 1, path, sizeof(path));
	ASSERT_EQ(0, jt_raw_add_log_fd(self->own, self->inst[i], path, 1,
				       self->empty_fd));
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT,
				self->inst[i], 1));
	self->top[i] = 1;
}

FIXTURE_SETUP(evq)
{
	strcpy(self->dir, "/tmp/jet-evq-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->empty, sizeof(self->empty), "%s/empty", self->dir);
	self->empty_fd = jt_open_new_file(self->empty, 0, 1);
	ASSERT_LE(0, self->empty_fd);
	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	new_instance(_metadata, self, 0);
	new_instance(_metadata, self, 1);
}

FIXTURE_TEARDOWN(evq)
{
	close(self->agent);
	close(self->own);
	close(self->empty_fd);
	jt_rm_tree(self->dir);
}

/* the agent asks for the log list without waiting: the roll is pending */
static int ask_roll(FIXTURE_DATA(evq) *self, int i)
{
	struct jet_log_list ll = {
		.instance = self->inst[i],
		.flags = JET_LOGS_NO_WAIT,
	};
	int ret = jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll);

	if (ret)
		return ret;
	return ll.status == JET_LOGS_ROLL_PENDING ? 0 : -EPROTO;
}

/*
 * One full backup of instance i with the checkpoint at its newest log: the
 * truncation that ends it removes the generation below, one event.
 */
static int cycle(FIXTURE_DATA(evq) *self, int i)
{
	struct jet_roll_request rr = { 0 };
	struct jet_log_list ll = { .instance = self->inst[i] };
	uint64_t g, top = self->top[i];
	char path[160];
	int ret, fd;

	ret = jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst[i], top);
	if (!ret)
		ret = jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP,
				self->inst[i], 0);
	if (!ret)
		ret = ask_roll(self, i);
	if (!ret)
		ret = jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, &rr);
	if (!ret && (rr.instance != self->inst[i] || rr.gen_above != top))
		ret = -EPROTO;
	log_name(self, i, top + 1, path, sizeof(path));
	if (!ret)
		ret = jt_raw_add_log_fd(self->own, self->inst[i], path, top + 1,
					self->empty_fd);
	if (!ret)
		ret = jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll);
	if (!ret && (ll.gen_low != top || ll.gen_high != top + 1))
		ret = -EPROTO;
	for (g = top; !ret && g <= top + 1; g++) {
		log_name(self, i, g, path, sizeof(path));
		fd = jt_raw_open_file(self->agent, self->inst[i], path, NULL);
		if (fd < 0)
			ret = fd;
		else
			close(fd);
	}
	if (!ret)
		ret = jt_raw_op(self->agent, JET_IOC_TRUNCATE_LOG,
				self->inst[i], 0);
	if (!ret)
		ret = jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst[i],
				JET_END_NORMAL);
	if (!ret)
		self->top[i] = top + 1;
	return ret;
}

/* n cycles of instance i: the events [top - 1 .. top - 1] of each */
static void cycles(struct __test_metadata *_metadata, FIXTURE_DATA(evq) *self,
		   int i, int n)
{
	int k;

	for (k = 0; k < n; k++)
		ASSERT_EQ(0, cycle(self, i)) TH_LOG("cycle %d", k);
}

struct drained {
	unsigned int count;
	struct jet_truncate_event first, last;
};

static void drain(struct __test_metadata *_metadata, FIXTURE_DATA(evq) *self,
		  struct drained *d)
{
	struct jet_truncate_event te;

	memset(d, 0, sizeof(*d));
	for (;;) {
		memset(&te, 0, sizeof(te));
		ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_TRUNCATE_EVENT,
				      &te));
		if (!te.instance)
			break;
		if (!d->count)
			d->first = te;
		d->last = te;
		d->count++;
		ASSERT_GE(EVENTS_MAX + 1, d->count);
	}
}

TEST_F(evq, full_queue_merges_an_event_that_touches_the_newest)
{
	struct drained d;

	/* events [1..1] .. [1024..1024]; then [1025..1025] touches the last */
	cycles(_metadata, self, 0, EVENTS_MAX + 2);
	drain(_metadata, self, &d);
	EXPECT_EQ(EVENTS_MAX, d.count);
	EXPECT_EQ(self->inst[0], d.first.instance);
	EXPECT_EQ(1, d.first.first_generation);
	EXPECT_EQ(1, d.first.last_generation);
	EXPECT_EQ(self->inst[0], d.last.instance);
	EXPECT_EQ(EVENTS_MAX, d.last.first_generation);
	EXPECT_EQ(EVENTS_MAX + 1, d.last.last_generation);
}

TEST_F(evq, below_the_limit_touching_events_stay_apart)
{
	struct drained d;

	cycles(_metadata, self, 0, 4);
	drain(_metadata, self, &d);
	EXPECT_EQ(3, d.count);
	EXPECT_EQ(1, d.first.first_generation);
	EXPECT_EQ(1, d.first.last_generation);
	EXPECT_EQ(3, d.last.first_generation);
	EXPECT_EQ(3, d.last.last_generation);
}

TEST_F(evq, full_queue_drops_the_oldest_for_an_event_that_does_not_touch)
{
	struct drained d;

	cycles(_metadata, self, 0, EVENTS_MAX + 1);
	/* another instance's event touches nothing queued */
	cycles(_metadata, self, 1, 2);
	drain(_metadata, self, &d);
	EXPECT_EQ(EVENTS_MAX, d.count);
	EXPECT_EQ(self->inst[0], d.first.instance);
	EXPECT_EQ(2, d.first.first_generation);
	EXPECT_EQ(self->inst[1], d.last.instance);
	EXPECT_EQ(1, d.last.first_generation);
	EXPECT_EQ(1, d.last.last_generation);
}

TEST_F(evq, truncate_event_read_into_read_only_memory_stays_queued)
{
	struct jet_truncate_event te = { 0 }, *ro;

	cycles(_metadata, self, 0, 2);
	ro = jt_ro_copy(&te, sizeof(te));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->own, JET_IOC_GET_TRUNCATE_EVENT, ro));
	munmap(ro, 4096);
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_TRUNCATE_EVENT, &te));
	EXPECT_EQ(self->inst[0], te.instance);
	EXPECT_EQ(1, te.first_generation);
	EXPECT_EQ(1, te.last_generation);
}

TEST_F(evq, roll_request_read_into_read_only_memory_stays_queued)
{
	struct jet_roll_request rr = { 0 }, *ro;
	struct pollfd p = { .fd = self->own, .events = POLLPRI };

	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP,
			       self->inst[0], 0));
	ASSERT_EQ(0, ask_roll(self, 0));
	ro = jt_ro_copy(&rr, sizeof(rr));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, ro));
	munmap(ro, 4096);
	/* still there, still pollable */
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLPRI);
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(self->inst[0], rr.instance);
	EXPECT_EQ(1, rr.gen_above);
	/* read once: gone */
	memset(&rr, 0, sizeof(rr));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(0, rr.instance);
}

/* a snapshot freeze of instance 0, on a thread (it waits for the roll) */
struct freezer {
	pthread_t thread;
	int fd;
	uint64_t snap;
	int ret;
	uint32_t done;
};

static void *freezer_run(void *p)
{
	struct freezer *f = p;
	struct jet_snapshot_op op = { .snapshot = f->snap, .timeout_ms = 20000 };

	f->ret = jt_ioctl(f->fd, JET_IOC_SNAPSHOT_FREEZE, &op);
	jt_word_set(&f->done, 1);
	return NULL;
}

TEST_F(evq, second_roll_ask_of_an_instance_raises_the_queued_request)
{
	struct jet_snapshot_prepare sp = { .grbit = JET_SNAP_EXPLICIT_PREPARE };
	struct jet_snapshot_op op = { 0 };
	struct jet_log_list ll = { .instance = self->inst[0] };
	struct jet_roll_request rr = { 0 };
	struct freezer f = { 0 };
	char path[160];

	/* a backup's roll, unanswered */
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP,
			       self->inst[0], 0));
	ASSERT_EQ(0, ask_roll(self, 0));
	/* a freeze asks the same owner for the same instance's roll */
	f.fd = jt_raw_open();
	ASSERT_LE(0, f.fd);
	ASSERT_EQ(0, jt_ioctl(f.fd, JET_IOC_SNAPSHOT_PREPARE, &sp));
	op.snapshot = sp.snapshot;
	op.instance = self->inst[0];
	ASSERT_EQ(0, jt_ioctl(f.fd, JET_IOC_SNAPSHOT_PREPARE_INSTANCE, &op));
	f.snap = sp.snapshot;
	ASSERT_EQ(0, pthread_create(&f.thread, NULL, freezer_run, &f));
	ASSERT_NE(0, jt_word_wait(&f.done, 1, jt_deadline_in(300)));

	/* one request, above the newest generation; then none */
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(self->inst[0], rr.instance);
	EXPECT_EQ(1, rr.gen_above);
	memset(&rr, 0, sizeof(rr));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_GET_ROLL_REQUEST, &rr));
	EXPECT_EQ(0, rr.instance);

	/* one answer serves both */
	log_name(self, 0, 2, path, sizeof(path));
	ASSERT_EQ(0, jt_raw_add_log_fd(self->own, self->inst[0], path, 2,
				       self->empty_fd));
	EXPECT_EQ(0, jt_word_wait(&f.done, 1, jt_deadline_in(5000)));
	pthread_join(f.thread, NULL);
	EXPECT_EQ(0, f.ret);
	memset(&op, 0, sizeof(op));
	op.snapshot = sp.snapshot;
	EXPECT_EQ(0, jt_ioctl(f.fd, JET_IOC_SNAPSHOT_THAW, &op));
	close(f.fd);
	/* the backup's roll is done as well */
	EXPECT_EQ(0, jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll));
	EXPECT_EQ(2, ll.gen_high);
}

TEST_HARNESS_MAIN
