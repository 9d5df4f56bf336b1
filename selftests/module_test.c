// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life cycle: what JET_IOC_QUERY reports, that
 * the module cannot be removed while anything of it is in use (an open
 * /dev/jet, a backup file descriptor) and can be once it is not, with nothing
 * left behind by contexts that exited or were killed; and re-insertion.
 *
 * Removing the module needs JET_KO (its path) to put it back for the tests
 * that follow; the module is re-inserted with the parameter values it had.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define DEFAULT_MAX_INSTANCES	1024U
#define CHILD_MS	20000

static bool module_loaded(void)
{
	return access("/sys/module/jet", F_OK) == 0;
}

/* delete_module(2) as rmmod does it, without waiting: 0 or -errno */
static int do_rmmod(void)
{
	return syscall(SYS_delete_module, "jet", O_NONBLOCK) ? -errno : 0;
}

/* finit_module(2) of the module at path with params: 0 or -errno */
static int do_insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* Waits until /dev/jet exists (want) or is gone (!want); true on time. */
static bool wait_dev(bool want, int ms)
{
	uint64_t end = jt_now_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		if ((access(JET_DEV, F_OK) == 0) == want)
			return true;
		if (jt_now_ns() > end)
			return false;
		usleep(10000);
	}
}

static int query(int fd, struct jet_query *q)
{
	memset(q, 0xa5, sizeof(*q));
	return jt_ioctl(fd, JET_IOC_QUERY, q);
}

/*
 * The rmmod refusal: EWOULDBLOCK (EAGAIN) with O_NONBLOCK while references
 * are held, EBUSY on kernels that say it that way.
 */
static bool refused(int ret)
{
	return ret == -EWOULDBLOCK || ret == -EBUSY;
}

/* ---- what QUERY says (needs no JET_KO) ---- */

TEST(query_reports_abi_version_limits_and_mode)
{
	unsigned int max, per_user;
	struct jet_query q;
	int fd;

	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, query(fd, &q));
	EXPECT_EQ((__u32)JET_ABI_VERSION, q.abi_version);
	EXPECT_EQ((__u32)JET_NAME_MAX, q.name_max);
	EXPECT_EQ((__u32)JET_PATH_MAX, q.path_max);
	EXPECT_EQ((__u32)JET_MODE_NOSET, q.mode);
	EXPECT_EQ(0U, q.padding);
	/* what every jet module has */
	EXPECT_EQ(JET_FEATURE_INSTANCES | JET_FEATURE_BACKUP |
		  JET_FEATURE_STOP,
		  q.features & (JET_FEATURE_INSTANCES | JET_FEATURE_BACKUP |
				JET_FEATURE_STOP));
	/* the limits are the module parameters */
	ASSERT_EQ(0, jt_param_read("max_instances", &max));
	ASSERT_EQ(0, jt_param_read("max_instances_per_user", &per_user));
	EXPECT_EQ(max, q.max_instances);
	EXPECT_EQ(per_user, q.max_instances_per_user);
	TH_LOG("abi %u features %#x max_instances %u per user %u",
	       q.abi_version, q.features, q.max_instances,
	       q.max_instances_per_user);

	/* the mode is the caller's context's */
	{
		struct jet_enable_multi em = { 0 };
		int other = open(JET_DEV, O_RDWR | O_CLOEXEC);

		ASSERT_LE(0, other);
		ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_ENABLE_MULTI, &em));
		ASSERT_EQ(0, query(fd, &q));
		EXPECT_EQ((__u32)JET_MODE_MULTIINST, q.mode);
		ASSERT_EQ(0, query(other, &q));
		EXPECT_EQ((__u32)JET_MODE_NOSET, q.mode);
		close(other);
	}
	close(fd);
}

TEST(libjet_sees_the_module_abi)
{
	struct jet_query q;
	int fd;

	/* libjet opens /dev/jet only when the ABI version matches */
	ASSERT_EQ(JET_errSuccess, JetGetNotificationFd(&fd));
	ASSERT_EQ(0, query(fd, &q));
	EXPECT_EQ((__u32)JET_ABI_VERSION, q.abi_version);
}

/* ---- removal and re-insertion ---- */

struct modctx {
	const char *ko;
	char params[128];	/* the parameters to re-insert with */
};

static void mod_setup(struct __test_metadata *_metadata, struct modctx *m)
{
	unsigned int max, per_user;

	m->ko = getenv("JET_KO");
	if (m->ko && !*m->ko)
		m->ko = NULL;
	if (m->ko)
		ASSERT_EQ(0, access(m->ko, R_OK))
			TH_LOG("JET_KO=%s: %s", m->ko, strerror(errno));
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, jt_param_read("max_instances", &max));
	ASSERT_EQ(0, jt_param_read("max_instances_per_user", &per_user));
	snprintf(m->params, sizeof(m->params),
		 "max_instances=%u max_instances_per_user=%u", max, per_user);
}

static void mod_teardown(struct __test_metadata *_metadata, struct modctx *m)
{
	/* whatever happened, later tests need the module */
	if (m->ko && !module_loaded()) {
		EXPECT_EQ(0, do_insmod(m->ko, m->params));
		EXPECT_TRUE(wait_dev(true, 5000));
	}
}

FIXTURE(module) {
	struct modctx m;
};

FIXTURE_SETUP(module)
{
	mod_setup(_metadata, &self->m);
}

FIXTURE_TEARDOWN(module)
{
	mod_teardown(_metadata, &self->m);
}

#define NO_JET_KO "JET_KO is not set: the module could not be put back"

/* Removes the module, checks it and its device are gone, puts it back. */
static void remove_and_reinsert(struct __test_metadata *_metadata,
				const char *ko, const char *params)
{
	struct jet_query q;
	int fd;

	ASSERT_EQ(0, do_rmmod());
	EXPECT_FALSE(module_loaded());
	EXPECT_TRUE(wait_dev(false, 5000));
	ASSERT_EQ(0, do_insmod(ko, params));
	EXPECT_TRUE(module_loaded());
	ASSERT_TRUE(wait_dev(true, 5000));
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, query(fd, &q));
	EXPECT_EQ((__u32)JET_ABI_VERSION, q.abi_version);
	close(fd);
}

TEST_F(module, rmmod_is_refused_while_device_is_open)
{
	struct jet_query q;
	int fd, fd2;

	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* a second reference through dup, and a second open */
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	EXPECT_TRUE(refused(do_rmmod()));
	EXPECT_TRUE(module_loaded());
	close(fd);
	EXPECT_TRUE(refused(do_rmmod()));
	/* the open file still works */
	EXPECT_EQ(0, query(fd2, &q));
	EXPECT_EQ((__u32)JET_ABI_VERSION, q.abi_version);
	close(fd2);

	remove_and_reinsert(_metadata, self->m.ko, self->m.params);
}

TEST_F(module, rmmod_is_refused_while_owner_has_instances)
{
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	char name[64];
	int fd;

	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	snprintf(name, sizeof(name), "jt-mod-%d", getpid());
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	c.name = (uintptr_t)name;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
	in.instance = c.instance;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_INIT, &in));
	EXPECT_TRUE(refused(do_rmmod()));
	EXPECT_TRUE(module_loaded());
	/* closing the owner's context terms the instance and frees it all */
	close(fd);
	remove_and_reinsert(_metadata, self->m.ko, self->m.params);
}

/*
 * A child sets up as much as it can (instances with a database and logs,
 * a running backup with an open file), then dies as `how` says.
 */
static int busy_child(const char *db, const char *log, int wfd, bool kill_self)
{
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_attach at = { 0 };
	struct jet_add_log al = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_open_file of = { 0 };
	char name[64];
	int fd, dbfd, logfd;

	snprintf(name, sizeof(name), "jt-busy-%d", getpid());
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	dbfd = open(db, O_RDONLY | O_CLOEXEC);
	logfd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dbfd < 0 || logfd < 0)
		return 2;
	c.name = (uintptr_t)name;
	if (jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c))
		return 3;
	in.instance = c.instance;
	if (jt_ioctl(fd, JET_IOC_INIT, &in))
		return 4;
	at.instance = c.instance;
	at.name = (uintptr_t)db;
	at.fd = dbfd;
	if (jt_ioctl(fd, JET_IOC_ATTACH_DB, &at))
		return 5;
	al.instance = c.instance;
	al.name = (uintptr_t)log;
	al.generation = 1;
	al.fd = logfd;
	if (jt_ioctl(fd, JET_IOC_ADD_LOG, &al))
		return 6;
	op.instance = c.instance;
	if (jt_ioctl(fd, JET_IOC_BEGIN_BACKUP, &op))
		return 7;
	of.instance = c.instance;
	of.name = (uintptr_t)db;
	if (jt_ioctl(fd, JET_IOC_OPEN_FILE, &of))
		return 8;
	/* an unnamed second instance in another context of this process */
	{
		struct jet_create c2 = { 0 };
		int fd2 = open(JET_DEV, O_RDWR | O_CLOEXEC);

		if (fd2 < 0 || jt_ioctl(fd2, JET_IOC_CREATE_INSTANCE, &c2))
			return 9;
	}
	if (write(wfd, "r", 1) != 1)
		return 10;
	if (kill_self)
		raise(SIGKILL);
	return 0;	/* exit with everything still open */
}

FIXTURE(busy) {
	struct modctx m;
};

FIXTURE_VARIANT(busy) {
	bool kill_child;
};

FIXTURE_VARIANT_ADD(busy, child_exits) { .kill_child = false };
FIXTURE_VARIANT_ADD(busy, child_killed) { .kill_child = true };

FIXTURE_SETUP(busy)
{
	mod_setup(_metadata, &self->m);
}

FIXTURE_TEARDOWN(busy)
{
	mod_teardown(_metadata, &self->m);
}

TEST_F(busy, rmmod_works_after_busy_process_dies)
{
	char db[64], log[64], c;
	int p[2], status;
	pid_t pid;

	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	snprintf(db, sizeof(db), "/tmp/jt-mod-%d.db", getpid());
	snprintf(log, sizeof(log), "/tmp/jt-mod-%d-1.log", getpid());
	ASSERT_EQ(0, jt_make_file(db, 1 << 20, 1));
	ASSERT_EQ(0, jt_make_file(log, 65536, 2));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(busy_child(db, log, p[1], variant->kill_child));
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("the child could not set up");
	close(p[0]);
	status = jt_wait_child(pid, CHILD_MS);
	EXPECT_TRUE(variant->kill_child ?
		    WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL :
		    jt_child_ok(status));

	/* the dead process's files are all closed: nothing holds the module */
	remove_and_reinsert(_metadata, self->m.ko, self->m.params);
	unlink(db);
	unlink(log);
}

TEST_F(module, rmmod_is_refused_while_backup_file_is_open)
{
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_attach at = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_open_file of = { 0 };
	struct jet_file_info fi;
	char db[64], buf[16];
	int owner, agent, dbfd, err;
	ssize_t n;

	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	snprintf(db, sizeof(db), "/tmp/jt-mod-bf-%d.db", getpid());
	ASSERT_EQ(0, jt_make_file(db, 65536, 3));
	dbfd = open(db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dbfd);
	owner = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, owner);
	agent = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, agent);
	ASSERT_EQ(0, jt_ioctl(owner, JET_IOC_CREATE_INSTANCE, &c));
	in.instance = c.instance;
	ASSERT_EQ(0, jt_ioctl(owner, JET_IOC_INIT, &in));
	at.instance = c.instance;
	at.name = (uintptr_t)db;
	at.fd = dbfd;
	ASSERT_EQ(0, jt_ioctl(owner, JET_IOC_ATTACH_DB, &at));
	close(dbfd);
	op.instance = c.instance;
	ASSERT_EQ(0, jt_ioctl(agent, JET_IOC_BEGIN_BACKUP, &op));
	of.instance = c.instance;
	of.name = (uintptr_t)db;
	ASSERT_EQ(0, jt_ioctl(agent, JET_IOC_OPEN_FILE, &of));
	ASSERT_LE(0, of.fd);

	/* the owner's context closes: its instance is termed abruptly ... */
	close(owner);
	/* ... so the backup fails as on a stop */
	ASSERT_EQ(0, jt_ioctl(of.fd, JET_FILE_IOC_INFO, &fi));
	EXPECT_EQ(-ECANCELED, fi.status);
	n = read(of.fd, buf, sizeof(buf));
	err = errno;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ECANCELED, err) TH_LOG("read: %s", strerror(err));

	/* with both contexts closed, the backup file still uses the module */
	close(agent);
	EXPECT_TRUE(refused(do_rmmod()));
	ASSERT_TRUE(module_loaded());
	EXPECT_EQ(0, jt_ioctl(of.fd, JET_FILE_IOC_INFO, &fi));
	EXPECT_NE(0, fi.status);
	EXPECT_EQ(-1, read(of.fd, buf, sizeof(buf)));
	close(of.fd);

	remove_and_reinsert(_metadata, self->m.ko, self->m.params);
	unlink(db);
}

TEST_F(module, insert_when_loaded_is_eexist)
{
	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	EXPECT_EQ(-EEXIST, do_insmod(self->m.ko, ""));
	EXPECT_TRUE(module_loaded());
}

TEST_F(module, parameters_given_at_insert_are_reported)
{
	unsigned int v = 0;
	struct jet_query q;
	int fd;

	if (!self->m.ko)
		SKIP(return, NO_JET_KO);
	ASSERT_EQ(0, do_rmmod());
	ASSERT_TRUE(wait_dev(false, 5000));
	ASSERT_EQ(0, do_insmod(self->m.ko,
			       "max_instances=7 max_instances_per_user=3"));
	ASSERT_TRUE(wait_dev(true, 5000));
	EXPECT_EQ(0, jt_param_read("max_instances", &v));
	EXPECT_EQ(7U, v);
	EXPECT_EQ(0, jt_param_read("max_instances_per_user", &v));
	EXPECT_EQ(3U, v);
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, query(fd, &q));
	EXPECT_EQ(7U, q.max_instances);
	EXPECT_EQ(3U, q.max_instances_per_user);
	close(fd);

	/* without parameters: the documented default */
	ASSERT_EQ(0, do_rmmod());
	ASSERT_TRUE(wait_dev(false, 5000));
	ASSERT_EQ(0, do_insmod(self->m.ko, ""));
	ASSERT_TRUE(wait_dev(true, 5000));
	fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, query(fd, &q));
	EXPECT_EQ(DEFAULT_MAX_INSTANCES, q.max_instances);
	TH_LOG("default max_instances_per_user %u", q.max_instances_per_user);
	close(fd);

	/* and back to what the run was started with */
	ASSERT_EQ(0, do_rmmod());
	ASSERT_TRUE(wait_dev(false, 5000));
	ASSERT_EQ(0, do_insmod(self->m.ko, self->m.params));
	ASSERT_TRUE(wait_dev(true, 5000));
}

TEST_HARNESS_MAIN
