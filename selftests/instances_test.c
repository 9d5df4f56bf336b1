// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC section 4: run modes, instances and their handles,
 * names and limits, JetInit/JetTerm, JetGetInstanceInfo, what closing a
 * context does; and the errno of each section 3 row these calls produce.
 *
 * The harness runs every test in a process of its own, so every test starts
 * with a fresh libjet context (run mode NoSet). Tests that need a second
 * context fork a child that reports through its exit code; a child never uses
 * the harness's ASSERT/EXPECT (they would run the parent's teardown in it).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "jet_test.h"

/* a uid and gid no real user has, for the per-user limit */
#define OTHER_UID	4242U
#define OTHER_GID	4242U

#define CHILD_MS	20000

/* ---- helpers ---- */

/* In a forked child: report the failed check and exit 1. */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: failed: %s\n",	\
			getpid(), __FILE__, __LINE__, #cond);		\
		_exit(1);						\
	}								\
} while (0)

#define CHILD_JET(expected, call) do {					\
	JET_ERR __got = (call);						\
	if (__got != (JET_ERR)(expected)) {				\
		fprintf(stderr, "# child %d: %s:%d: %s -> %s, expected %s\n", \
			getpid(), __FILE__, __LINE__, #call,		\
			JetErrorName(__got), JetErrorName(expected));	\
		_exit(1);						\
	}								\
} while (0)

/* A row of the uapi errno table: the JET code an errno stands for. */
#define JT_ROW(jet, value, e) { .err = (e), .code = (value) },
static const struct {
	int err;
	JET_ERR code;
} errno_rows[] = {
	JET_ERRNO_TABLE(JT_ROW)
	JET_ERRNO_ALIASES(JT_ROW)
};

#undef JT_ROW

static JET_ERR jet_of_errno(int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errno_rows); i++)
		if (errno_rows[i].err == err)
			return errno_rows[i].code;
	return JET_errDiskIO;
}

/* raw ioctl result (0 or -errno) is the documented errno of a JET row */
#define EXPECT_ROW(err, jet, ret) do {					\
	EXPECT_EQ(-(err), (ret)) TH_LOG("got errno %d (%s), expected %s", \
					 -(ret), strerror(-(ret)), #err); \
	EXPECT_EQ((JET_ERR)(jet), jet_of_errno(err))			\
		TH_LOG("uapi table maps %s to %s, expected %s", #err,	\
		       JetErrorName(jet_of_errno(err)), #jet);		\
} while (0)

/* The run mode of this process's libjet context, or -1. */
static int ctx_mode(void)
{
	struct jet_query q = { 0 };
	int fd;

	if (JetGetNotificationFd(&fd) || ioctl(fd, JET_IOC_QUERY, &q))
		return -1;
	return (int)q.mode;
}

static void ilist_free(struct jt_list *l)
{
	free(l->buf);
	l->buf = NULL;
}

static const struct jet_instance_record *
ilist_next(const struct jt_list *l, unsigned int *off)
{
	const struct jet_instance_record *r;

	if (*off + sizeof(*r) > l->size)
		return NULL;
	r = (const void *)(l->buf + *off);
	if (r->record_size < sizeof(*r) || r->record_size % 8 ||
	    *off + r->record_size > l->size)
		return NULL;
	*off += r->record_size;
	return r;
}

static const struct jet_instance_record *
ilist_find(const struct jt_list *l, uint64_t id)
{
	const struct jet_instance_record *r;
	unsigned int off = 0;

	while ((r = ilist_next(l, &off)))
		if (r->state.instance == id)
			return r;
	return NULL;
}

static const char *rec_name(const struct jet_instance_record *r)
{
	return (const char *)(r + 1);
}

/* Is id listed right now? 1, 0, or -errno. */
static int listed(uint64_t id)
{
	struct jt_list l;
	int ret = jt_list_read(&l, 4096);

	if (!ret)
		ret = ilist_find(&l, id) != NULL;
	ilist_free(&l);
	return ret;
}

/* Live instances right now, or -errno. */
static int live_count(void)
{
	struct jt_list l;
	int ret = jt_list_read(&l, 4096);

	if (!ret)
		ret = (int)l.count;
	ilist_free(&l);
	return ret;
}

/* A handle no live instance has, far above the ids handed out so far. */
static uint64_t unknown_handle(void)
{
	const struct jet_instance_record *r;
	uint64_t max = 0;
	unsigned int off = 0;
	struct jt_list l;

	if (!jt_list_read(&l, 4096))
		while ((r = ilist_next(&l, &off)))
			if (r->state.instance > max)
				max = r->state.instance;
	ilist_free(&l);
	return max + 100000;
}

/*
 * What a failed call must leave alone: this context's run mode and every
 * instance on the system with its state.
 */
struct snap {
	int mode;
	struct jt_list list;
};

static int snap_take(struct snap *s)
{
	s->mode = ctx_mode();
	return jt_list_read(&s->list, 4096);
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
	return a->mode == b->mode && a->list.count == b->list.count &&
	       a->list.size == b->list.size &&
	       !memcmp(a->list.buf, b->list.buf, a->list.size);
}

#define EXPECT_UNCHANGED(before) do {					\
	struct snap __after;						\
	ASSERT_EQ(0, snap_take(&__after));				\
	EXPECT_TRUE(snap_same(&(before), &__after))			\
		TH_LOG("a failed call changed state: mode %d -> %d, "	\
		       "%u -> %u instances", (before).mode, __after.mode, \
		       (before).list.count, __after.list.count);	\
	ilist_free(&__after.list);					\
} while (0)

/* Sets a module parameter: 0 or -errno. */
static int param_write(const char *name, unsigned int v)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), JT_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u\n", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* A pipe pair between a test and its child; the child writes "up". */
struct chan {
	int up[2];
	int down[2];
};

static int chan_open(struct chan *c)
{
	if (pipe2(c->up, O_CLOEXEC) || pipe2(c->down, O_CLOEXEC))
		return -errno;
	return 0;
}

static void chan_close(struct chan *c)
{
	close(c->up[0]);
	close(c->up[1]);
	close(c->down[0]);
	close(c->down[1]);
}

static int chan_send(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -EIO;
}

/* 0, -ETIMEDOUT, or -EIO when the other end went away */
static int chan_recv(int fd, uint64_t *v, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -EIO;
}

static pid_t spawn(void)
{
	fflush(NULL);
	return fork();
}

static void make_name(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "jt-%s-%d", what, getpid());
}

/* ---- EnableMultiInstance, Create, Init and handles in each run mode ---- */

enum { SETUP_NOSET, SETUP_ONEINST, SETUP_MULTI_ENABLED, SETUP_MULTI_CREATED };

FIXTURE(mode) {
	JET_INSTANCE inst;	/* OneInst / created: the context's instance */
	char name[64];
};

FIXTURE_VARIANT(mode) {
	int setup;
	int mode;
	JET_ERR enable;		/* JetEnableMultiInstance() */
	JET_ERR create;		/* JetCreateInstance() with a new name */
	JET_ERR init_null;	/* JetInit(NULL) */
	JET_ERR bad_handle;	/* a zero or unknown handle */
};

FIXTURE_VARIANT_ADD(mode, noset) {
	.setup = SETUP_NOSET,
	.mode = JET_MODE_NOSET,
	.enable = JET_errSuccess,
	.create = JET_errSuccess,
	.init_null = JET_errSuccess,
	.bad_handle = JET_errInvalidParameter,
};

FIXTURE_VARIANT_ADD(mode, oneinst) {
	.setup = SETUP_ONEINST,
	.mode = JET_MODE_ONEINST,
	.enable = JET_errRunningInOneInstanceMode,
	.create = JET_errRunningInOneInstanceMode,
	.init_null = JET_errAlreadyInitialized,
	.bad_handle = JET_errSuccess,	/* ignored: the context's instance */
};

FIXTURE_VARIANT_ADD(mode, multiinst_enabled) {
	.setup = SETUP_MULTI_ENABLED,
	.mode = JET_MODE_MULTIINST,
	.enable = JET_errSystemParamsAlreadySet,
	.create = JET_errSuccess,
	.init_null = JET_errRunningInMultiInstanceMode,
	.bad_handle = JET_errInvalidParameter,
};

FIXTURE_VARIANT_ADD(mode, multiinst_created) {
	.setup = SETUP_MULTI_CREATED,
	.mode = JET_MODE_MULTIINST,
	.enable = JET_errSystemParamsAlreadySet,
	.create = JET_errSuccess,
	.init_null = JET_errRunningInMultiInstanceMode,
	.bad_handle = JET_errInvalidParameter,
};

FIXTURE_SETUP(mode)
{
	unsigned long n;

	make_name(self->name, sizeof(self->name), "mode");
	switch (variant->setup) {
	case SETUP_ONEINST:
		ASSERT_JET(JET_errSuccess, JetInit(&self->inst));
		ASSERT_NE(0U, self->inst);
		break;
	case SETUP_MULTI_ENABLED:
		ASSERT_JET(JET_errSuccess, JetEnableMultiInstance(NULL, 0, &n));
		break;
	case SETUP_MULTI_CREATED:
		ASSERT_JET(JET_errSuccess,
			   JetCreateInstance(&self->inst, self->name));
		ASSERT_NE(0U, self->inst);
		break;
	}
	ASSERT_EQ(variant->mode, ctx_mode());
}

FIXTURE_TEARDOWN(mode)
{
	/* the test process exits: its context terms what is left */
}

TEST_F(mode, enable_multi_instance_follows_run_mode)
{
	unsigned long n = 99;
	struct snap before;

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(variant->enable, JetEnableMultiInstance(NULL, 0, &n));
	if (variant->enable == JET_errSuccess) {
		EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
		EXPECT_EQ(0U, n);
	} else {
		EXPECT_UNCHANGED(before);
	}
}

TEST_F(mode, enable_multi_instance_with_params_follows_run_mode)
{
	JET_SETSYSPARAM p[2] = {
		{ .paramid = 1, .lParam = 2, .err = -1 },
		{ .paramid = 3, .sz = "x", .err = -1 },
	};
	unsigned long n = 99;
	struct snap before;

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(variant->enable, JetEnableMultiInstance(p, 2, &n));
	if (variant->enable == JET_errSuccess) {
		EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
		EXPECT_EQ(2U, n);
		EXPECT_EQ(JET_errSuccess, p[0].err);
		EXPECT_EQ(JET_errSuccess, p[1].err);
	} else {
		EXPECT_UNCHANGED(before);
	}
}

TEST_F(mode, create_instance_follows_run_mode)
{
	JET_INSTANCE_STATE st;
	JET_INSTANCE inst = 0;
	struct snap before;
	char name[64];

	make_name(name, sizeof(name), "mode-create");
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(variant->create, JetCreateInstance(&inst, name));
	if (variant->create != JET_errSuccess) {
		EXPECT_UNCHANGED(before);
		return;
	}
	/* NoSet switches to MultiInst; the instance is ours, not initialised */
	EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
	ASSERT_NE(0U, inst);
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_EQ(inst, st.instance);
	EXPECT_EQ(JET_STATE_MINE, st.flags);
	EXPECT_EQ((unsigned int)getpid(), st.owner_pid);
	EXPECT_EQ(1, listed(inst));
}

TEST_F(mode, init_without_handle_follows_run_mode)
{
	struct snap before;
	int count;

	ASSERT_EQ(0, snap_take(&before));
	count = live_count();
	EXPECT_JET(variant->init_null, JetInit(NULL));
	if (variant->init_null != JET_errSuccess) {
		EXPECT_UNCHANGED(before);
		return;
	}
	/* NoSet: an implicit init makes one instance and OneInst */
	EXPECT_EQ(JET_MODE_ONEINST, ctx_mode());
	EXPECT_EQ(count + 1, live_count());
}

TEST_F(mode, zero_handle_follows_run_mode)
{
	JET_INSTANCE_STATE st = { 0 };
	struct snap before;

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(variant->bad_handle, JetGetInstanceStateInstance(0, &st));
	EXPECT_JET(variant->bad_handle, JetTerm(0));
	if (variant->bad_handle != JET_errSuccess) {
		EXPECT_UNCHANGED(before);
		return;
	}
	/* OneInst: both calls acted on the context's own instance */
	EXPECT_EQ(self->inst, st.instance);
	EXPECT_EQ(0, listed(self->inst));
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
}

TEST_F(mode, unknown_handle_follows_run_mode)
{
	JET_INSTANCE bogus = unknown_handle();
	JET_INSTANCE_STATE st = { 0 };
	struct snap before;

	ASSERT_EQ(0, listed(bogus));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(variant->bad_handle,
		   JetGetInstanceStateInstance(bogus, &st));
	EXPECT_JET(variant->bad_handle, JetTerm2(bogus, JET_bitTermAbrupt));
	if (variant->bad_handle != JET_errSuccess) {
		EXPECT_UNCHANGED(before);
		return;
	}
	EXPECT_EQ(self->inst, st.instance);
	EXPECT_EQ(0, listed(self->inst));
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
}

/* ---- CreateInstance ---- */

TEST(create_with_null_pinstance_is_invalid_parameter)
{
	struct snap before;
	char name[64];

	make_name(name, sizeof(name), "null");
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidParameter, JetCreateInstance(NULL, name));
	EXPECT_JET(JET_errInvalidParameter, JetCreateInstance(NULL, NULL));
	EXPECT_JET(JET_errInvalidParameter,
		   JetCreateInstance2(NULL, name, "display", 0));
	/* in particular the context stays NoSet */
	EXPECT_UNCHANGED(before);
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
}

TEST(create_with_grbit_is_invalid_grbit)
{
	JET_INSTANCE inst = 0;
	struct snap before;

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidGrbit, JetCreateInstance2(&inst, NULL, NULL, 1));
	EXPECT_UNCHANGED(before);
}

TEST(instance_name_is_unique_across_processes)
{
	JET_INSTANCE inst, again;
	char name[64], other[80];
	struct snap before;
	pid_t pid;

	make_name(name, sizeof(name), "unique");
	snprintf(other, sizeof(other), "%s-child", name);
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, name));
	ASSERT_EQ(0, snap_take(&before));

	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE mine = 0, child;
		struct jt_list a, b;

		CHILD_CHECK(jt_list_read(&a, 4096) == 0);
		CHILD_JET(JET_errInstanceNameInUse,
			  JetCreateInstance(&mine, name));
		CHILD_JET(JET_errInstanceNameInUse,
			  JetCreateInstance2(&mine, name, "display", 0));
		CHILD_CHECK(mine == 0);
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		CHILD_CHECK(jt_list_read(&b, 4096) == 0);
		CHILD_CHECK(a.size == b.size &&
			    !memcmp(a.buf, b.buf, a.size));
		/* a different name is fine */
		CHILD_JET(JET_errSuccess, JetCreateInstance(&child, other));
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	/* the child's instance went with it; ours is untouched */
	EXPECT_UNCHANGED(before);

	/* and the name is free again once its instance is gone */
	ASSERT_JET(JET_errSuccess, JetTerm(inst));
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&again, name));
}

TEST(instance_name_is_unique_within_a_context)
{
	JET_INSTANCE a, b = 0;
	struct snap before;
	char name[64];

	make_name(name, sizeof(name), "twice");
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, name));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInstanceNameInUse, JetCreateInstance(&b, name));
	EXPECT_EQ(0U, b);
	EXPECT_UNCHANGED(before);
}

TEST(two_unnamed_instances_in_one_context_collide)
{
	JET_INSTANCE a, b = 0;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInstanceNameInUse, JetCreateInstance(&b, NULL));
	/* "" is no name too */
	EXPECT_JET(JET_errInstanceNameInUse, JetCreateInstance(&b, ""));
	EXPECT_JET(JET_errInstanceNameInUse,
		   JetCreateInstance2(&b, NULL, "display", 0));
	EXPECT_EQ(0U, b);
	EXPECT_UNCHANGED(before);

	/* after the unnamed one is gone, a new unnamed one is fine */
	ASSERT_JET(JET_errSuccess, JetTerm(a));
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&b, NULL));
}

TEST(unnamed_instances_of_two_contexts_coexist)
{
	JET_INSTANCE a;
	pid_t pid;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE b;

		CHILD_JET(JET_errSuccess, JetCreateInstance(&b, NULL));
		CHILD_CHECK(b != a);
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	EXPECT_EQ(1, listed(a));
}

/* the longest name allowed, unique to this process */
static void long_name(char *buf, size_t len, char fill)
{
	int n = snprintf(buf, len + 1, "jt-%d-", getpid());

	memset(buf + n, fill, len - n);
	buf[len] = 0;
}

TEST(names_of_name_max_bytes_are_accepted)
{
	char name[JET_NAME_MAX + 1], display[JET_NAME_MAX + 1];
	const struct jet_instance_record *r;
	JET_INSTANCE inst;
	struct jt_list l;

	long_name(name, JET_NAME_MAX, 'n');
	long_name(display, JET_NAME_MAX, 'd');
	ASSERT_JET(JET_errSuccess,
		   JetCreateInstance2(&inst, name, display, 0));
	ASSERT_EQ(0, jt_list_read(&l, 4096));
	r = ilist_find(&l, inst);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(JET_NAME_MAX + 1U, r->name_size);
	EXPECT_EQ(JET_NAME_MAX + 1U, r->display_size);
	EXPECT_STREQ(name, rec_name(r));
	EXPECT_STREQ(display, rec_name(r) + r->name_size);
	ilist_free(&l);
}

TEST(names_over_name_max_are_invalid_name)
{
	char name[JET_NAME_MAX + 2], ok[64];
	JET_INSTANCE inst = 0;
	struct snap before;

	long_name(name, JET_NAME_MAX + 1, 'x');
	make_name(ok, sizeof(ok), "ok");
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidName, JetCreateInstance(&inst, name));
	EXPECT_JET(JET_errInvalidName,
		   JetCreateInstance2(&inst, ok, name, 0));
	EXPECT_EQ(0U, inst);
	EXPECT_UNCHANGED(before);
}

TEST(names_with_control_characters_are_invalid_name)
{
	static const char *const bad[] = {
		"tab\there", "new\nline", "\x01start", "end\x1f", "esc\x1b[1m",
	};
	JET_INSTANCE inst = 0;
	struct snap before;
	char name[64], ok[64];
	unsigned int i;

	make_name(ok, sizeof(ok), "ok");
	ASSERT_EQ(0, snap_take(&before));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(name, sizeof(name), "%s-%d", bad[i], getpid());
		EXPECT_JET(JET_errInvalidName, JetCreateInstance(&inst, name));
		EXPECT_JET(JET_errInvalidName,
			   JetCreateInstance2(&inst, ok, name, 0));
	}
	EXPECT_EQ(0U, inst);
	EXPECT_UNCHANGED(before);
}

TEST(handles_are_nonzero_and_not_reused_after_term)
{
	JET_INSTANCE seen[64];
	unsigned int i, j;

	for (i = 0; i < 64; i++) {
		JET_INSTANCE h = 0;

		/* alternate the two ways an instance comes to be */
		if (i % 2)
			ASSERT_JET(JET_errSuccess, JetCreateInstance(&h, NULL));
		else
			ASSERT_JET(JET_errSuccess, JetInit(&h));
		ASSERT_NE(0U, h);
		for (j = 0; j < i; j++)
			ASSERT_NE(seen[j], h)
				TH_LOG("handle %lu reused after %u terms", h, i);
		seen[i] = h;
		ASSERT_JET(JET_errSuccess, JetTerm(h));
		ASSERT_EQ(JET_MODE_NOSET, ctx_mode());
	}
}

TEST(handle_above_32_bits_names_no_instance)
{
	JET_INSTANCE inst, wide;
	JET_INSTANCE_STATE st;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	/* the kernel must not cut the handle down to a live 32-bit id */
	wide = inst | ((JET_INSTANCE)1 << 32);
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceStateInstance(wide, &st));
	EXPECT_JET(JET_errInvalidParameter, JetTerm(wide));
	EXPECT_JET(JET_errInvalidParameter, JetInit(&wide));
	EXPECT_UNCHANGED(before);
	EXPECT_EQ(1, listed(inst));
}

/* ---- instance limits (module parameters) ---- */

FIXTURE(limit) {
	unsigned int max;
	unsigned int per_user;
	bool saved;
};

FIXTURE_SETUP(limit)
{
	ASSERT_EQ(0, jt_param_read("max_instances", &self->max));
	ASSERT_EQ(0, jt_param_read("max_instances_per_user", &self->per_user));
	self->saved = true;
}

FIXTURE_TEARDOWN(limit)
{
	if (!self->saved)
		return;
	EXPECT_EQ(0, param_write("max_instances", self->max));
	EXPECT_EQ(0, param_write("max_instances_per_user", self->per_user));
}

TEST_F(limit, module_instance_limit_gives_too_many_instances)
{
	struct jet_create c = { 0 };
	struct jet_query q = { 0 };
	JET_INSTANCE a, b, x = 0;
	unsigned int v = 0;
	struct snap before;
	int live, fd;

	live = live_count();
	ASSERT_LE(0, live);
	ASSERT_EQ(0, param_write("max_instances", live + 2));
	ASSERT_EQ(0, jt_param_read("max_instances", &v));
	ASSERT_EQ((unsigned int)live + 2, v);

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&b, "jt-limit-b"));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errTooManyInstances,
		   JetCreateInstance(&x, "jt-limit-c"));
	EXPECT_EQ(0U, x);
	EXPECT_UNCHANGED(before);

	/* the kernel's own answer, and QUERY reports the limit */
	fd = jt_raw_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_QUERY, &q));
	EXPECT_EQ((unsigned int)live + 2, q.max_instances);
	EXPECT_ROW(ENOSPC, JET_errTooManyInstances,
		   jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
	q.mode = 99;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_QUERY, &q));
	EXPECT_EQ((__u32)JET_MODE_NOSET, q.mode);
	close(fd);
	EXPECT_UNCHANGED(before);

	/* the limit counts live instances: a term makes room */
	ASSERT_JET(JET_errSuccess, JetTerm(a));
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&x, "jt-limit-c"));
}

TEST_F(limit, implicit_init_counts_against_instance_limit)
{
	struct snap before;
	JET_INSTANCE a;
	int live;
	pid_t pid;

	live = live_count();
	ASSERT_LE(0, live);
	ASSERT_EQ(0, param_write("max_instances", live + 1));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	ASSERT_EQ(0, snap_take(&before));

	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE inst = 0;

		CHILD_JET(JET_errTooManyInstances, JetInit(&inst));
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		CHILD_JET(JET_errTooManyInstances, JetInit(NULL));
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	EXPECT_UNCHANGED(before);
}

/*
 * Child of the per-user test: becomes OTHER_UID, creates `create` instances
 * (all must succeed), then, if `over`, checks one more is refused both
 * through libjet and raw; reports ready and waits for the parent's word.
 */
static int user_child(struct chan *c, int create, bool over)
{
	JET_INSTANCE inst = 0, x = 0;
	struct jet_create cr = { 0 };
	struct jt_list a, b;
	uint64_t word;
	int i, fd;

	CHILD_CHECK(jt_become(OTHER_UID, OTHER_GID, 0) == 0);
	for (i = 0; i < create; i++) {
		char name[64];

		snprintf(name, sizeof(name), "jt-user-%d-%d", getpid(), i);
		CHILD_JET(JET_errSuccess, JetCreateInstance(&inst, name));
	}
	if (over) {
		CHILD_CHECK(jt_list_read(&a, 4096) == 0);
		CHILD_JET(JET_errTooManyInstances,
			  JetCreateInstance(&x, "jt-user-over"));
		CHILD_CHECK(x == 0);
		fd = jt_raw_open();
		CHILD_CHECK(fd >= 0);
		i = jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &cr);
		if (i != -EDQUOT)
			fprintf(stderr, "# child: raw create: %d, expected %d\n",
				i, -EDQUOT);
		CHILD_CHECK(i == -EDQUOT);
		close(fd);
		CHILD_CHECK(jt_list_read(&b, 4096) == 0);
		CHILD_CHECK(a.size == b.size &&
			    !memcmp(a.buf, b.buf, a.size));
	}
	CHILD_CHECK(chan_send(c->up[1], inst) == 0);
	CHILD_CHECK(chan_recv(c->down[0], &word, CHILD_MS) == 0);
	return 0;
}

TEST_F(limit, per_user_limit_gives_too_many_instances)
{
	JET_INSTANCE_STATE st;
	struct chan ca, cb;
	uint64_t ia, ib;
	JET_INSTANCE mine;
	pid_t pa, pb;

	ASSERT_EQ(0, param_write("max_instances_per_user", 2));
	ASSERT_EQ(0, chan_open(&ca));
	ASSERT_EQ(0, chan_open(&cb));

	/* two processes of one user share its limit */
	pa = spawn();
	ASSERT_LE(0, pa);
	if (pa == 0)
		_exit(user_child(&ca, 1, false));
	ASSERT_EQ(0, chan_recv(ca.up[0], &ia, CHILD_MS));
	pb = spawn();
	ASSERT_LE(0, pb);
	if (pb == 0)
		_exit(user_child(&cb, 1, true));
	EXPECT_EQ(0, chan_recv(cb.up[0], &ib, CHILD_MS));

	/* the instances are the user's */
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(ia, &st));
	EXPECT_EQ(OTHER_UID, st.owner_uid);

	/* another user (root) is not held back by that user's count */
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&mine, NULL));

	chan_send(ca.down[1], 1);
	chan_send(cb.down[1], 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pa, CHILD_MS)));
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pb, CHILD_MS)));
	chan_close(&ca);
	chan_close(&cb);
	EXPECT_EQ(0, listed(ia));
	EXPECT_EQ(0, listed(ib));
}

/* ---- JetInit ---- */

TEST(implicit_init_in_noset_makes_one_instance_mode)
{
	JET_INSTANCE inst = 0;
	JET_INSTANCE_STATE st;
	int count = live_count();

	ASSERT_JET(JET_errSuccess, JetInit(&inst));
	EXPECT_NE(0U, inst);
	EXPECT_EQ(JET_MODE_ONEINST, ctx_mode());
	EXPECT_EQ(count + 1, live_count());
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_EQ(inst, st.instance);
	EXPECT_EQ(JET_STATE_INITIALIZED | JET_STATE_MINE, st.flags);
}

TEST(second_init_in_one_instance_mode_is_already_initialized)
{
	JET_INSTANCE inst = 0, again = 0;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetInit(&inst));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errAlreadyInitialized, JetInit(&again));
	EXPECT_JET(JET_errAlreadyInitialized, JetInit(NULL));
	again = inst;
	EXPECT_JET(JET_errAlreadyInitialized, JetInit(&again));
	EXPECT_UNCHANGED(before);
}

TEST(init_twice_in_multi_instance_mode_is_already_initialized)
{
	JET_INSTANCE inst, copy;
	JET_INSTANCE_STATE st;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_EQ(0U, st.flags & JET_STATE_INITIALIZED);
	copy = inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	EXPECT_EQ(inst, copy);
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_EQ(JET_STATE_INITIALIZED | JET_STATE_MINE, st.flags);

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errAlreadyInitialized, JetInit(&copy));
	EXPECT_UNCHANGED(before);
}

TEST(init_with_null_pinstance_in_multi_instance_mode_is_refused)
{
	JET_INSTANCE inst;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errRunningInMultiInstanceMode, JetInit(NULL));
	EXPECT_JET(JET_errRunningInMultiInstanceMode, JetInit2(NULL, 0));
	EXPECT_UNCHANGED(before);
}

TEST(init_of_zero_or_unknown_handle_in_multi_instance_mode_is_invalid)
{
	JET_INSTANCE inst, h;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	ASSERT_EQ(0, snap_take(&before));
	h = 0;
	EXPECT_JET(JET_errInvalidParameter, JetInit(&h));
	h = unknown_handle();
	EXPECT_JET(JET_errInvalidParameter, JetInit(&h));
	EXPECT_UNCHANGED(before);
}

TEST(init_with_grbit_is_invalid_grbit)
{
	JET_INSTANCE inst = 0;
	struct snap before;

	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidGrbit, JetInit2(&inst, 1));
	EXPECT_UNCHANGED(before);
}

TEST(init_of_another_contexts_instance_is_denied)
{
	JET_INSTANCE inst;
	pid_t pid;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE mine, h = inst;
		JET_INSTANCE_STATE st;

		/* MultiInst: the handle names the parent's instance */
		CHILD_JET(JET_errSuccess, JetCreateInstance(&mine, NULL));
		CHILD_JET(JET_errFileAccessDenied, JetInit(&h));
		CHILD_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
		CHILD_CHECK(!(st.flags & JET_STATE_INITIALIZED));
		CHILD_CHECK(!(st.flags & JET_STATE_MINE));
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
}

/* ---- JetTerm ---- */

FIXTURE(term) {
	JET_INSTANCE inst;
	char name[64];
};

FIXTURE_VARIANT(term) {
	bool plain;		/* JetTerm() rather than JetTerm2() */
	JET_GRBIT grbit;
	bool init;
};

FIXTURE_VARIANT_ADD(term, jetterm) { .plain = true, .init = true };
FIXTURE_VARIANT_ADD(term, zero) { .grbit = 0, .init = true };
FIXTURE_VARIANT_ADD(term, complete) { .grbit = JET_bitTermComplete, .init = true };
FIXTURE_VARIANT_ADD(term, abrupt) { .grbit = JET_bitTermAbrupt, .init = true };
FIXTURE_VARIANT_ADD(term, stop_backup) { .grbit = JET_bitTermStopBackup, .init = true };
FIXTURE_VARIANT_ADD(term, dirty) { .grbit = JET_bitTermDirty, .init = true };
FIXTURE_VARIANT_ADD(term, all_bits) { .grbit = 0xf, .init = true };
FIXTURE_VARIANT_ADD(term, complete_uninitialized) { .grbit = JET_bitTermComplete };
FIXTURE_VARIANT_ADD(term, abrupt_uninitialized) { .grbit = JET_bitTermAbrupt };

FIXTURE_SETUP(term)
{
	JET_INSTANCE copy;

	make_name(self->name, sizeof(self->name), "term");
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&self->inst, self->name));
	if (variant->init) {
		copy = self->inst;
		ASSERT_JET(JET_errSuccess, JetInit(&copy));
	}
}

FIXTURE_TEARDOWN(term)
{
}

TEST_F(term, term_removes_instance_and_invalidates_handle)
{
	JET_INSTANCE_STATE st;
	JET_INSTANCE again;

	if (variant->plain)
		EXPECT_JET(JET_errSuccess, JetTerm(self->inst));
	else
		EXPECT_JET(JET_errSuccess, JetTerm2(self->inst, variant->grbit));
	EXPECT_EQ(0, listed(self->inst));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceStateInstance(self->inst, &st));
	EXPECT_JET(JET_errInvalidParameter, JetTerm(self->inst));
	/* the last instance is gone: NoSet again */
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
	/* and its name is free */
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&again, self->name));
	EXPECT_NE(self->inst, again);
}

TEST_F(term, term_with_unknown_grbit_is_invalid_grbit)
{
	static const JET_GRBIT bad[] = {
		0x10, 0x100, JET_bitTermAbrupt | 0x20, 0x80000000UL, ~0UL,
	};
	struct snap before;
	unsigned int i;

	ASSERT_EQ(0, snap_take(&before));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_JET(JET_errInvalidGrbit, JetTerm2(self->inst, bad[i]));
	EXPECT_UNCHANGED(before);
}

TEST(handle_is_invalid_after_term)
{
	JET_INSTANCE a, b, stale;
	JET_INSTANCE_STATE st;
	struct snap before;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, "jt-stale-a"));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&b, NULL));
	ASSERT_JET(JET_errSuccess, JetTerm(a));
	/* b keeps the context MultiInst, where handles are looked up */
	ASSERT_EQ(JET_MODE_MULTIINST, ctx_mode());
	ASSERT_EQ(0, snap_take(&before));
	EXPECT_JET(JET_errInvalidParameter, JetTerm(a));
	EXPECT_JET(JET_errInvalidParameter,
		   JetTerm2(a, JET_bitTermComplete));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceStateInstance(a, &st));
	stale = a;
	EXPECT_JET(JET_errInvalidParameter, JetInit(&stale));
	EXPECT_UNCHANGED(before);
	EXPECT_EQ(1, listed(b));
}

TEST(last_term_returns_multi_instance_context_to_noset)
{
	JET_INSTANCE a, b;
	unsigned long n;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&b, "jt-noset-b"));
	ASSERT_JET(JET_errSuccess, JetTerm(a));
	EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
	ASSERT_JET(JET_errSuccess, JetTerm(b));
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
	/* by behaviour too: NoSet is the only mode that allows these */
	EXPECT_JET(JET_errSuccess, JetEnableMultiInstance(NULL, 0, &n));
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&a, NULL));
	ASSERT_JET(JET_errSuccess, JetTerm(a));
	EXPECT_JET(JET_errSuccess, JetInit(NULL));
	EXPECT_EQ(JET_MODE_ONEINST, ctx_mode());
}

TEST(last_term_returns_one_instance_context_to_noset)
{
	JET_INSTANCE inst = 0, m;

	ASSERT_JET(JET_errSuccess, JetInit(&inst));
	ASSERT_EQ(JET_MODE_ONEINST, ctx_mode());
	ASSERT_JET(JET_errSuccess, JetTerm(inst));
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
	EXPECT_EQ(0, listed(inst));
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&m, NULL));
	EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
}

TEST(one_instance_mode_ignores_handle_argument)
{
	JET_INSTANCE inst = 0, other = unknown_handle();
	JET_INSTANCE_STATE st;

	ASSERT_JET(JET_errSuccess, JetInit(&inst));
	ASSERT_EQ(0, listed(other));
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(other, &st));
	EXPECT_EQ(inst, st.instance);
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(0, &st));
	EXPECT_EQ(inst, st.instance);
	EXPECT_JET(JET_errSuccess, JetTerm2(other, JET_bitTermAbrupt));
	EXPECT_EQ(0, listed(inst));
	EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
}

TEST(one_instance_mode_acts_on_own_instance_not_the_named_one)
{
	JET_INSTANCE mine = 0, theirs = 0;
	JET_INSTANCE_STATE st;
	struct chan c;
	uint64_t v;
	pid_t pid;

	ASSERT_EQ(0, chan_open(&c));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE i;

		CHILD_JET(JET_errSuccess, JetCreateInstance(&i, NULL));
		CHILD_CHECK(chan_send(c.up[1], i) == 0);
		CHILD_CHECK(chan_recv(c.down[0], &v, CHILD_MS) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, chan_recv(c.up[0], &v, CHILD_MS));
	theirs = v;
	ASSERT_JET(JET_errSuccess, JetInit(&mine));
	ASSERT_NE(theirs, mine);

	/* naming the child's instance reaches our own */
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(theirs, &st));
	EXPECT_EQ(mine, st.instance);
	EXPECT_JET(JET_errSuccess, JetTerm(theirs));
	EXPECT_EQ(0, listed(mine));
	EXPECT_EQ(1, listed(theirs));

	chan_send(c.down[1], 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	chan_close(&c);
}

TEST(term_by_non_owner_is_file_access_denied)
{
	JET_INSTANCE inst, copy;
	struct snap before;
	pid_t pid;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, "jt-nonowner"));
	copy = inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	ASSERT_EQ(0, snap_take(&before));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static const JET_GRBIT grbits[] = {
			0, JET_bitTermComplete, JET_bitTermAbrupt,
			JET_bitTermStopBackup, JET_bitTermDirty,
		};
		JET_INSTANCE mine;
		struct jt_list a, b;
		unsigned int i;

		/* in NoSet, and in MultiInst, handles name any instance */
		CHILD_CHECK(jt_list_read(&a, 4096) == 0);
		CHILD_JET(JET_errFileAccessDenied, JetTerm(inst));
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		CHILD_CHECK(jt_list_read(&b, 4096) == 0);
		CHILD_CHECK(a.size == b.size && !memcmp(a.buf, b.buf, a.size));
		CHILD_JET(JET_errSuccess, JetCreateInstance(&mine, NULL));
		for (i = 0; i < ARRAY_SIZE(grbits); i++)
			CHILD_JET(JET_errFileAccessDenied,
				  JetTerm2(inst, grbits[i]));
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	EXPECT_UNCHANGED(before);
}

/*
 * Term against threads calling GET_STATE on the same handle. Each call must
 * see the instance whole (success), being terminated (TermInProgress) or
 * gone (InvalidParameter); nothing else.
 */
#define RACE_THREADS	3
#define RACE_ROUNDS	150

struct race {
	pthread_barrier_t go, done;
	JET_INSTANCE inst;
	bool stop;
	unsigned long ok, in_progress, gone, wrong;
	JET_ERR wrong_err;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	JET_INSTANCE_STATE st;

	for (;;) {
		unsigned long i;

		pthread_barrier_wait(&r->go);
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return NULL;
		for (i = 0; i < 200000; i++) {
			JET_ERR e = JetGetInstanceStateInstance(r->inst, &st);

			if (e == JET_errSuccess && st.instance == r->inst) {
				__atomic_add_fetch(&r->ok, 1, __ATOMIC_RELAXED);
				continue;
			}
			if (e == JET_errTermInProgress) {
				__atomic_add_fetch(&r->in_progress, 1,
						   __ATOMIC_RELAXED);
				continue;
			}
			if (e == JET_errInvalidParameter) {
				__atomic_add_fetch(&r->gone, 1,
						   __ATOMIC_RELAXED);
			} else {
				r->wrong_err = e;
				__atomic_add_fetch(&r->wrong, 1,
						   __ATOMIC_RELAXED);
			}
			break;
		}
		pthread_barrier_wait(&r->done);
	}
}

static unsigned int test_seed(void)
{
	const char *s = getenv("JET_SEED");

	return s ? (unsigned int)strtoul(s, NULL, 0) : (unsigned int)time(NULL);
}

FIXTURE(race) {
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, term_racing_state_calls_sees_only_valid_results, 120)
{
	pthread_t th[RACE_THREADS];
	struct race r = { 0 };
	unsigned int seed = test_seed(), round, i;

	TH_LOG("JET_SEED=%u", seed);
	srand(seed);
	ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, RACE_THREADS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, RACE_THREADS + 1));
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_reader, &r));

	for (round = 0; round < RACE_ROUNDS; round++) {
		JET_INSTANCE inst, copy;
		JET_INSTANCE_STATE copy_state;
		uint64_t until;

		ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
		copy = inst;
		ASSERT_JET(JET_errSuccess, JetInit(&copy));
		r.inst = inst;
		pthread_barrier_wait(&r.go);
		/* let the readers get going: 0 to 50 us */
		until = jt_now_ns() + rand() % 50000;
		while (jt_now_ns() < until)
			;
		EXPECT_JET(JET_errSuccess, JetTerm(inst));
		pthread_barrier_wait(&r.done);
		/* once the term returned, the handle is gone for everyone */
		EXPECT_JET(JET_errInvalidParameter,
			   JetGetInstanceStateInstance(inst, &copy_state));
		if (r.wrong)
			break;
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	pthread_barrier_wait(&r.go);
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);

	TH_LOG("%u terms raced by %d threads: %lu TermInProgress, %lu success, %lu InvalidParameter",
	       round, RACE_THREADS, r.in_progress, r.ok, r.gone);
	EXPECT_EQ(0U, r.wrong)
		TH_LOG("a state call during term returned %s",
		       JetErrorName(r.wrong_err));
}

/* ---- term with a backup running; backups need an initialised instance ---- */

FIXTURE(term_backup) {
	JET_INSTANCE inst;
	char db[96];
};

FIXTURE_VARIANT(term_backup) {
	bool plain;		/* JetTerm() rather than JetTerm2() */
	JET_GRBIT grbit;
	JET_ERR term;		/* what the term returns */
	JET_ERR read_after;	/* the agent's next read */
};

FIXTURE_VARIANT_ADD(term_backup, complete) {
	.grbit = JET_bitTermComplete,
	.term = JET_errBackupInProgress, .read_after = JET_errSuccess,
};
FIXTURE_VARIANT_ADD(term_backup, zero_is_complete) {
	.grbit = 0,
	.term = JET_errBackupInProgress, .read_after = JET_errSuccess,
};
FIXTURE_VARIANT_ADD(term_backup, jetterm_is_abrupt) {
	.plain = true,
	.term = JET_errSuccess, .read_after = JET_errBackupAbortByServer,
};
FIXTURE_VARIANT_ADD(term_backup, abrupt) {
	.grbit = JET_bitTermAbrupt,
	.term = JET_errSuccess, .read_after = JET_errBackupAbortByServer,
};
FIXTURE_VARIANT_ADD(term_backup, stop_backup) {
	.grbit = JET_bitTermStopBackup,
	.term = JET_errSuccess, .read_after = JET_errBackupAbortByServer,
};
FIXTURE_VARIANT_ADD(term_backup, dirty) {
	.grbit = JET_bitTermDirty,
	.term = JET_errSuccess, .read_after = JET_errBackupAbortByServer,
};
FIXTURE_VARIANT_ADD(term_backup, complete_and_abrupt) {
	.grbit = JET_bitTermComplete | JET_bitTermAbrupt,
	.term = JET_errSuccess, .read_after = JET_errBackupAbortByServer,
};

FIXTURE_SETUP(term_backup)
{
	JET_INSTANCE copy;
	JET_SESID ses;
	char name[64];

	make_name(name, sizeof(name), "termbk");
	snprintf(self->db, sizeof(self->db), "/tmp/%s.db", name);
	ASSERT_EQ(0, jt_make_file(self->db, 1 << 20, 5));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&self->inst, name));
	copy = self->inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	ASSERT_JET(JET_errSuccess,
		   JetBeginSession(self->inst, &ses, NULL, NULL));
	ASSERT_JET(JET_errSuccess, JetAttachDatabase(ses, self->db, 0));
}

FIXTURE_TEARDOWN(term_backup)
{
	unlink(self->db);
}

TEST_F(term_backup, term_with_backup_running_follows_grbit)
{
	JET_INSTANCE inst = self->inst;
	JET_INSTANCE_STATE st;
	struct snap before;
	struct chan c;
	uint64_t v;
	JET_ERR err;
	pid_t pid;

	ASSERT_EQ(0, chan_open(&c));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long lo, hi, got;
		static char buf[4096];
		JET_HANDLE hf;

		/* the backup agent: another context */
		CHILD_JET(JET_errSuccess, JetBeginExternalBackupInstance(inst, 0));
		CHILD_JET(JET_errSuccess,
			  JetOpenFileInstance(inst, self->db, &hf, &lo, &hi));
		CHILD_CHECK(lo == 1 << 20 && hi == 0);
		CHILD_JET(JET_errSuccess,
			  JetReadFileInstance(inst, hf, buf, sizeof(buf), &got));
		CHILD_CHECK(got == sizeof(buf));
		CHILD_CHECK(chan_send(c.up[1], 1) == 0);
		CHILD_CHECK(chan_recv(c.down[0], &v, CHILD_MS) == 0);
		CHILD_JET(variant->read_after,
			  JetReadFileInstance(inst, hf, buf, sizeof(buf), &got));
		CHILD_JET(JET_errSuccess, JetCloseFileInstance(inst, hf));
		CHILD_JET(JET_errSuccess,
			  JetEndExternalBackupInstance2(inst,
							JET_bitBackupEndAbort));
		_exit(0);
	}
	ASSERT_EQ(0, chan_recv(c.up[0], &v, CHILD_MS));
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_TRUE(st.flags & JET_STATE_BACKUP);

	ASSERT_EQ(0, snap_take(&before));
	if (variant->plain)
		err = JetTerm(inst);
	else
		err = JetTerm2(inst, variant->grbit);
	EXPECT_JET(variant->term, err);
	if (err) {
		struct jet_term t = { .instance = inst,
				      .grbit = JET_TERM_COMPLETE };
		int fd;

		/* refused: the instance and its backup run on */
		EXPECT_UNCHANGED(before);
		ASSERT_JET(JET_errSuccess, JetGetNotificationFd(&fd));
		EXPECT_ROW(EBUSY, JET_errBackupInProgress,
			   jt_ioctl(fd, JET_IOC_TERM, &t));
		EXPECT_UNCHANGED(before);
	} else {
		EXPECT_EQ(0, listed(inst));
		EXPECT_EQ(JET_MODE_NOSET, ctx_mode());
	}
	chan_send(c.down[1], 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	chan_close(&c);
}

TEST(backup_needs_an_initialized_instance)
{
	struct jet_instance_op op = { 0 };
	JET_INSTANCE inst, copy;
	struct snap before;
	int fd;

	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, NULL));
	ASSERT_EQ(0, snap_take(&before));
	/* as ESE's API entry check */
	EXPECT_JET(JET_errNotInitialized,
		   JetBeginExternalBackupInstance(inst, 0));
	EXPECT_JET(JET_errNotInitialized,
		   JetBeginExternalBackupInstance(inst,
						  JET_bitBackupIncremental));
	ASSERT_JET(JET_errSuccess, JetGetNotificationFd(&fd));
	op.instance = inst;
	EXPECT_ROW(EUNATCH, JET_errNotInitialized,
		   jt_ioctl(fd, JET_IOC_BEGIN_BACKUP, &op));
	EXPECT_UNCHANGED(before);

	copy = inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	EXPECT_JET(JET_errSuccess, JetBeginExternalBackupInstance(inst, 0));
	EXPECT_JET(JET_errSuccess,
		   JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort));
}

/* ---- JetGetInstanceInfo ---- */

TEST(instance_info_with_no_instances_is_empty)
{
	JET_INSTANCE_INFO *info = (void *)1;
	unsigned long count = 99;
	int live = live_count();

	ASSERT_LE(0, live);
	if (live)
		SKIP(return, "%d instances of other processes are live", live);
	EXPECT_JET(JET_errSuccess, JetGetInstanceInfo(&count, &info));
	EXPECT_EQ(0U, count);
	EXPECT_EQ(NULL, info);
	EXPECT_JET(JET_errSuccess, JetFreeBuffer((char *)info));
}

TEST(instance_info_with_null_pointers_is_invalid_parameter)
{
	JET_INSTANCE_INFO *info;
	unsigned long count;

	EXPECT_JET(JET_errInvalidParameter, JetGetInstanceInfo(NULL, &info));
	EXPECT_JET(JET_errInvalidParameter, JetGetInstanceInfo(&count, NULL));
}

TEST(free_buffer_accepts_null)
{
	EXPECT_JET(JET_errSuccess, JetFreeBuffer(NULL));
}

/* find inst in a JetGetInstanceInfo answer */
static const JET_INSTANCE_INFO *info_find(const JET_INSTANCE_INFO *info,
					  unsigned long count,
					  JET_INSTANCE inst)
{
	unsigned long i;

	for (i = 0; i < count; i++)
		if (info[i].hInstanceId == inst)
			return &info[i];
	return NULL;
}

TEST(instance_of_one_process_is_listed_by_another)
{
	JET_INSTANCE named, unnamed;
	char name[64];
	pid_t pid;

	make_name(name, sizeof(name), "listed");
	ASSERT_JET(JET_errSuccess,
		   JetCreateInstance2(&named, name, "Listed Display", 0));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE_INFO *info = NULL;
		const JET_INSTANCE_INFO *ii;
		unsigned long count = 0;

		/* the parent's context is MultiInst with one instance */
		CHILD_JET(JET_errSuccess, JetGetInstanceInfo(&count, &info));
		CHILD_CHECK(count >= 1 && info);
		ii = info_find(info, count, named);
		CHILD_CHECK(ii);
		CHILD_CHECK(ii->szInstanceName &&
			    !strcmp(ii->szInstanceName, name));
		CHILD_CHECK(ii->cDatabases == 0);
		CHILD_JET(JET_errSuccess, JetFreeBuffer((char *)info));
		/* listing made the child no context state */
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));

	/* an unnamed one is listed with a NULL name */
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE_INFO *info = NULL;
		const JET_INSTANCE_INFO *ii;
		unsigned long count = 0;

		CHILD_JET(JET_errSuccess, JetCreateInstance(&unnamed, NULL));
		CHILD_JET(JET_errSuccess, JetGetInstanceInfo(&count, &info));
		ii = info_find(info, count, unnamed);
		CHILD_CHECK(ii && !ii->szInstanceName);
		CHILD_CHECK(info_find(info, count, named));
		CHILD_JET(JET_errSuccess, JetFreeBuffer((char *)info));
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
}

TEST(instance_info_lists_attached_database_names)
{
	char name[64], db1[96], db2[96];
	JET_INSTANCE inst, copy;
	JET_SESID ses;
	pid_t pid;

	make_name(name, sizeof(name), "dbs");
	snprintf(db1, sizeof(db1), "/tmp/%s-1.db", name);
	snprintf(db2, sizeof(db2), "/tmp/%s-2.db", name);
	ASSERT_EQ(0, jt_make_file(db1, 8192, 1));
	ASSERT_EQ(0, jt_make_file(db2, 4096, 2));
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, name));
	copy = inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	ASSERT_JET(JET_errSuccess, JetBeginSession(inst, &ses, NULL, NULL));
	ASSERT_JET(JET_errSuccess, JetAttachDatabase(ses, db1, 0));
	ASSERT_JET(JET_errSuccess, JetAttachDatabase(ses, db2, 0));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE_INFO *info = NULL;
		const JET_INSTANCE_INFO *ii;
		unsigned long count = 0;

		CHILD_JET(JET_errSuccess, JetGetInstanceInfo(&count, &info));
		ii = info_find(info, count, inst);
		CHILD_CHECK(ii);
		CHILD_CHECK(ii->szInstanceName &&
			    !strcmp(ii->szInstanceName, name));
		CHILD_CHECK(ii->cDatabases == 2);
		/* in attach order */
		CHILD_CHECK(!strcmp(ii->szDatabaseFileName[0], db1));
		CHILD_CHECK(!strcmp(ii->szDatabaseFileName[1], db2));
		CHILD_CHECK(!strcmp(ii->szDatabaseDisplayName[0], db1));
		CHILD_CHECK(!strcmp(ii->szDatabaseDisplayName[1], db2));
		CHILD_CHECK(!ii->szDatabaseSLVFileName_Obsolete[0]);
		CHILD_CHECK(!ii->szDatabaseSLVFileName_Obsolete[1]);
		CHILD_JET(JET_errSuccess, JetFreeBuffer((char *)info));
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	unlink(db1);
	unlink(db2);
}

/* ---- closing a context ---- */

enum { END_EXIT, END_SIGKILL, END_CRASH };

FIXTURE(ctx_close) {
	char db[96];
};

FIXTURE_VARIANT(ctx_close) {
	int end;
};

FIXTURE_VARIANT_ADD(ctx_close, exit) { .end = END_EXIT };
FIXTURE_VARIANT_ADD(ctx_close, sigkill) { .end = END_SIGKILL };
FIXTURE_VARIANT_ADD(ctx_close, crash) { .end = END_CRASH };

FIXTURE_SETUP(ctx_close)
{
	snprintf(self->db, sizeof(self->db), "/tmp/jt-close-%d.db", getpid());
	ASSERT_EQ(0, jt_make_file(self->db, 16384, 3));
}

FIXTURE_TEARDOWN(ctx_close)
{
	unlink(self->db);
}

TEST_F(ctx_close, closed_context_leaves_no_instance)
{
	JET_INSTANCE_STATE st;
	struct snap before;
	uint64_t a, b, v;
	char name[64];
	struct chan c;
	JET_INSTANCE again;
	int status;
	pid_t pid;

	make_name(name, sizeof(name), "close");
	ASSERT_EQ(0, snap_take(&before));
	ASSERT_EQ(0, chan_open(&c));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		JET_INSTANCE i1, i2, copy;
		JET_SESID ses;

		CHILD_JET(JET_errSuccess, JetCreateInstance(&i1, name));
		copy = i1;
		CHILD_JET(JET_errSuccess, JetInit(&copy));
		CHILD_JET(JET_errSuccess, JetBeginSession(i1, &ses, NULL, NULL));
		CHILD_JET(JET_errSuccess, JetAttachDatabase(ses, self->db, 0));
		CHILD_JET(JET_errSuccess, JetCreateInstance(&i2, NULL));
		CHILD_CHECK(chan_send(c.up[1], i1) == 0);
		CHILD_CHECK(chan_send(c.up[1], i2) == 0);
		CHILD_CHECK(chan_recv(c.down[0], &v, CHILD_MS) == 0);
		switch (variant->end) {
		case END_EXIT:
			_exit(0);
		case END_CRASH:
			setrlimit(RLIMIT_CORE, &nocore);
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
			_exit(1);
		default:
			pause();
			_exit(1);
		}
	}
	ASSERT_EQ(0, chan_recv(c.up[0], &a, CHILD_MS));
	ASSERT_EQ(0, chan_recv(c.up[0], &b, CHILD_MS));
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(a, &st));
	EXPECT_EQ(1U, st.db_count);
	EXPECT_EQ(1, listed(b));

	chan_send(c.down[1], 1);
	if (variant->end == END_SIGKILL)
		kill(pid, SIGKILL);
	status = jt_wait_child(pid, CHILD_MS);
	switch (variant->end) {
	case END_EXIT:
		EXPECT_TRUE(jt_child_ok(status));
		break;
	case END_SIGKILL:
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		break;
	case END_CRASH:
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
		break;
	}
	chan_close(&c);

	EXPECT_EQ(0, listed(a));
	EXPECT_EQ(0, listed(b));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceStateInstance(a, &st));
	EXPECT_UNCHANGED(before);
	/* its name went with it */
	EXPECT_JET(JET_errSuccess, JetCreateInstance(&again, name));
}

TEST(fork_child_gets_its_own_context)
{
	JET_INSTANCE inst, copy;
	JET_INSTANCE_STATE st;
	char name[64];
	uint64_t v;
	struct chan c;
	pid_t pid;

	make_name(name, sizeof(name), "forked");
	ASSERT_JET(JET_errSuccess, JetCreateInstance(&inst, name));
	copy = inst;
	ASSERT_JET(JET_errSuccess, JetInit(&copy));
	ASSERT_EQ(0, chan_open(&c));
	pid = spawn();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		JET_INSTANCE_STATE cs;
		JET_INSTANCE mine = 0;

		/* a fresh context: NoSet, owning nothing */
		CHILD_CHECK(ctx_mode() == JET_MODE_NOSET);
		CHILD_JET(JET_errSuccess,
			  JetGetInstanceStateInstance(inst, &cs));
		CHILD_CHECK(!(cs.flags & JET_STATE_MINE));
		CHILD_CHECK(cs.owner_pid == (unsigned int)getppid());
		CHILD_JET(JET_errFileAccessDenied, JetTerm(inst));
		/* NoSet allows what the parent's MultiInst context does not */
		CHILD_JET(JET_errSuccess, JetInit(&mine));
		CHILD_CHECK(mine != inst);
		CHILD_CHECK(ctx_mode() == JET_MODE_ONEINST);
		CHILD_CHECK(chan_send(c.up[1], mine) == 0);
		CHILD_CHECK(chan_recv(c.down[0], &v, CHILD_MS) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, chan_recv(c.up[0], &v, CHILD_MS));
	/* while the child lives, both contexts are what they were made */
	EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(v, &st));
	EXPECT_EQ(JET_STATE_INITIALIZED, st.flags);
	EXPECT_EQ((unsigned int)pid, st.owner_pid);
	chan_send(c.down[1], 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
	chan_close(&c);

	EXPECT_EQ(0, listed(v));
	EXPECT_EQ(JET_MODE_MULTIINST, ctx_mode());
	ASSERT_JET(JET_errSuccess, JetGetInstanceStateInstance(inst, &st));
	EXPECT_EQ(JET_STATE_INITIALIZED | JET_STATE_MINE, st.flags);
	EXPECT_EQ((unsigned int)getpid(), st.owner_pid);
}

/* ---- the kernel's errno for each section 4 condition (raw ioctls) ---- */

FIXTURE(raw) {
	int fd;		/* a context of its own */
	int fd2;	/* and another */
	char name[64];
};

FIXTURE_SETUP(raw)
{
	self->fd = jt_raw_open();
	ASSERT_LE(0, self->fd);
	self->fd2 = jt_raw_open();
	ASSERT_LE(0, self->fd2);
	make_name(self->name, sizeof(self->name), "raw");
}

FIXTURE_TEARDOWN(raw)
{
	close(self->fd);
	close(self->fd2);
}

static int raw_mode(int fd)
{
	struct jet_query q = { 0 };

	return ioctl(fd, JET_IOC_QUERY, &q) ? -errno : (int)q.mode;
}

static int raw_term(int fd, uint64_t inst, uint32_t grbit)
{
	struct jet_term t = { .instance = inst, .grbit = grbit };

	return jt_ioctl(fd, JET_IOC_TERM, &t);
}

static int raw_enable(int fd)
{
	struct jet_enable_multi em = { 0 };

	return jt_ioctl(fd, JET_IOC_ENABLE_MULTI, &em);
}

TEST_F(raw, enable_multi_in_one_instance_mode_is_eisconn)
{
	ASSERT_EQ(0, jt_raw_init(self->fd, 0, 0, NULL));
	EXPECT_ROW(EISCONN, JET_errRunningInOneInstanceMode,
		   raw_enable(self->fd));
	EXPECT_EQ(JET_MODE_ONEINST, raw_mode(self->fd));
}

TEST_F(raw, create_in_one_instance_mode_is_eisconn)
{
	uint64_t inst = 0;
	int count;

	ASSERT_EQ(0, jt_raw_init(self->fd, 0, JET_INIT_NO_HANDLE, NULL));
	count = live_count();
	EXPECT_ROW(EISCONN, JET_errRunningInOneInstanceMode,
		   jt_raw_create(self->fd, self->name, NULL, &inst));
	EXPECT_EQ(count, live_count());
}

TEST_F(raw, enable_multi_twice_is_erofs)
{
	ASSERT_EQ(0, raw_enable(self->fd));
	EXPECT_ROW(EROFS, JET_errSystemParamsAlreadySet, raw_enable(self->fd));
	EXPECT_EQ(JET_MODE_MULTIINST, raw_mode(self->fd));
}

TEST_F(raw, init_without_handle_in_multi_instance_mode_is_emlink)
{
	int count;

	ASSERT_EQ(0, raw_enable(self->fd));
	count = live_count();
	EXPECT_ROW(EMLINK, JET_errRunningInMultiInstanceMode,
		   jt_raw_init(self->fd, 0, JET_INIT_NO_HANDLE, NULL));
	EXPECT_EQ(count, live_count());
}

TEST_F(raw, duplicate_name_is_enotuniq)
{
	uint64_t a, b = 0;
	int count;

	ASSERT_EQ(0, jt_raw_create(self->fd, self->name, NULL, &a));
	count = live_count();
	EXPECT_ROW(ENOTUNIQ, JET_errInstanceNameInUse,
		   jt_raw_create(self->fd2, self->name, NULL, &b));
	EXPECT_EQ(JET_MODE_NOSET, raw_mode(self->fd2));
	EXPECT_EQ(count, live_count());
}

TEST_F(raw, second_unnamed_instance_is_enotuniq)
{
	uint64_t a, b = 0;
	int count;

	ASSERT_EQ(0, jt_raw_create(self->fd, NULL, NULL, &a));
	count = live_count();
	EXPECT_ROW(ENOTUNIQ, JET_errInstanceNameInUse,
		   jt_raw_create(self->fd, NULL, NULL, &b));
	EXPECT_ROW(ENOTUNIQ, JET_errInstanceNameInUse,
		   jt_raw_create(self->fd, "", NULL, &b));
	EXPECT_EQ(count, live_count());
}

TEST_F(raw, bad_names_are_eilseq)
{
	static char huge[3 * 4096];
	char name[JET_NAME_MAX + 2], ok[JET_NAME_MAX + 1];
	uint64_t inst = 0;
	int count = live_count();

	long_name(name, JET_NAME_MAX + 1, 'r');
	long_name(ok, JET_NAME_MAX, 'r');
	memset(huge, 'h', sizeof(huge) - 1);

	/* over-long instance or display names: not a path error */
	EXPECT_ROW(EILSEQ, JET_errInvalidName,
		   jt_raw_create(self->fd, name, NULL, &inst));
	EXPECT_ROW(EILSEQ, JET_errInvalidName,
		   jt_raw_create(self->fd, huge, NULL, &inst));
	EXPECT_ROW(EILSEQ, JET_errInvalidName,
		   jt_raw_create(self->fd, self->name, name, &inst));
	EXPECT_ROW(EILSEQ, JET_errInvalidName,
		   jt_raw_create(self->fd, "ctl\x01", NULL, &inst));
	EXPECT_ROW(EILSEQ, JET_errInvalidName,
		   jt_raw_create(self->fd, self->name, "ctl\x1f", &inst));
	EXPECT_EQ(JET_MODE_NOSET, raw_mode(self->fd));
	EXPECT_EQ(count, live_count());
	/* the boundary itself is fine */
	EXPECT_EQ(0, jt_raw_create(self->fd, ok, ok, &inst));
	EXPECT_NE(0U, inst);
}

TEST_F(raw, second_init_is_ealready)
{
	uint64_t one, multi;

	/* OneInst */
	ASSERT_EQ(0, jt_raw_init(self->fd, 0, 0, &one));
	EXPECT_ROW(EALREADY, JET_errAlreadyInitialized,
		   jt_raw_init(self->fd, 0, 0, NULL));
	EXPECT_ROW(EALREADY, JET_errAlreadyInitialized,
		   jt_raw_init(self->fd, one, JET_INIT_NO_HANDLE, NULL));
	/* MultiInst */
	ASSERT_EQ(0, jt_raw_create(self->fd2, NULL, NULL, &multi));
	ASSERT_EQ(0, jt_raw_init(self->fd2, multi, 0, NULL));
	EXPECT_ROW(EALREADY, JET_errAlreadyInitialized,
		   jt_raw_init(self->fd2, multi, 0, NULL));
}

TEST_F(raw, zero_or_unknown_handle_is_einval)
{
	struct jet_get_state gs = { 0 };
	uint64_t inst, bogus = unknown_handle();
	int count;

	ASSERT_EQ(0, jt_raw_create(self->fd, NULL, NULL, &inst));
	count = live_count();
	EXPECT_ROW(EINVAL, JET_errInvalidParameter, raw_term(self->fd, 0, 0));
	EXPECT_ROW(EINVAL, JET_errInvalidParameter,
		   raw_term(self->fd, bogus, JET_TERM_ABRUPT));
	EXPECT_ROW(EINVAL, JET_errInvalidParameter,
		   jt_raw_init(self->fd, 0, 0, NULL));
	EXPECT_ROW(EINVAL, JET_errInvalidParameter,
		   jt_raw_init(self->fd, bogus, 0, NULL));
	EXPECT_ROW(EINVAL, JET_errInvalidParameter,
		   jt_ioctl(self->fd, JET_IOC_GET_STATE, &gs));
	gs.instance = bogus;
	EXPECT_ROW(EINVAL, JET_errInvalidParameter,
		   jt_ioctl(self->fd2, JET_IOC_GET_STATE, &gs));
	EXPECT_EQ(count, live_count());
	EXPECT_EQ(1, listed(inst));
}

TEST_F(raw, non_owner_term_and_init_are_eacces)
{
	uint64_t inst, mine;

	ASSERT_EQ(0, jt_raw_create(self->fd, self->name, NULL, &inst));
	EXPECT_ROW(EACCES, JET_errFileAccessDenied,
		   raw_term(self->fd2, inst, JET_TERM_ABRUPT));
	EXPECT_EQ(JET_MODE_NOSET, raw_mode(self->fd2));
	ASSERT_EQ(0, jt_raw_create(self->fd2, NULL, NULL, &mine));
	EXPECT_ROW(EACCES, JET_errFileAccessDenied,
		   jt_raw_init(self->fd2, inst, 0, NULL));
	EXPECT_ROW(EACCES, JET_errFileAccessDenied,
		   raw_term(self->fd2, inst, JET_TERM_COMPLETE));
	EXPECT_EQ(1, listed(inst));
}

TEST_F(raw, get_state_of_any_instance_is_allowed)
{
	struct jet_get_state gs = { 0 };
	uint64_t inst;

	ASSERT_EQ(0, jt_raw_create(self->fd, self->name, NULL, &inst));
	gs.instance = inst;
	ASSERT_EQ(0, jt_ioctl(self->fd2, JET_IOC_GET_STATE, &gs));
	EXPECT_EQ(inst, gs.state.instance);
	EXPECT_EQ(0U, gs.state.flags & JET_STATE_MINE);
	EXPECT_EQ((unsigned int)getpid(), gs.state.owner_pid);
	EXPECT_EQ(geteuid(), gs.state.owner_uid);
	/* the state is output only: zero on input */
	memset(&gs.state, 0, sizeof(gs.state));
	ASSERT_EQ(0, jt_ioctl(self->fd, JET_IOC_GET_STATE, &gs));
	EXPECT_EQ(JET_STATE_MINE, gs.state.flags);
}

TEST_HARNESS_MAIN
