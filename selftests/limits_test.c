// SPDX-License-Identifier: GPL-2.0
/*
 * Everything a user can make the kernel keep is bounded, and one user at
 * its limits leaves room for others (SPEC section 8). The tests use the
 * module's default limits, as loaded.
 *
 * The memory the limits let one user pin is printed (from /proc/meminfo's
 * Slab and VmallocUsed) for the record; it is not a pass/fail figure.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define CHILD_MS	60000
#define UID_BASE	2000

struct limits {
	unsigned int max, per_ns, per_user, dbs, logs, path_bytes, locks;
};

static int limits_read(struct limits *l)
{
	return jt_param_read("max_instances", &l->max) ?:
	       jt_param_read("max_instances_per_ns", &l->per_ns) ?:
	       jt_param_read("max_instances_per_user", &l->per_user) ?:
	       jt_param_read("max_databases", &l->dbs) ?:
	       jt_param_read("max_logs", &l->logs) ?:
	       jt_param_read("max_path_bytes", &l->path_bytes) ?:
	       jt_param_read("max_locks", &l->locks);
}

/* A child's word to the test, in shared memory. */
struct word {
	uint32_t ready;		/* the child reached its limits */
	uint32_t release;	/* the test is done with it */
	int32_t failed_line;
	int64_t kb_pinned;
};

static struct word *words_new(int n)
{
	void *p = mmap(NULL, n * sizeof(struct word), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* in a child: note the failing line and leave */
#define CHILD_CHECK(w, cond) do {					\
	if (!(cond)) {							\
		(w)->failed_line = __LINE__;				\
		jt_word_set(&(w)->ready, 1);				\
		_exit(1);						\
	}								\
} while (0)

/* A named MultiInst instance of this context: 0 or -errno. */
static int create(int fd, const char *tag, int i, uint64_t *inst)
{
	char name[64];

	snprintf(name, sizeof(name), "jt-lim-%s-%d-%d", tag, getpid(), i);
	return jt_raw_create(fd, name, NULL, inst);
}

/* kB of Slab + VmallocUsed, from /proc/meminfo */
static long kernel_kb(void)
{
	char line[128];
	long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld", &v) == 1 ||
		    sscanf(line, "VmallocUsed: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

/* Fills uid's instance quota, then waits for the test. */
static void fill_instances(struct word *w, uid_t uid, unsigned int n)
{
	unsigned int i;
	uint64_t inst;
	int fd;

	CHILD_CHECK(w, !jt_become(uid, uid, 0));
	fd = jt_raw_open();
	CHILD_CHECK(w, fd >= 0);
	for (i = 0; i < n; i++)
		CHILD_CHECK(w, !create(fd, "u", i, &inst));
	CHILD_CHECK(w, create(fd, "u", i, &inst) ==
		       -JET_ERRNO_TOO_MANY_INSTANCES_USER);
	jt_word_set(&w->ready, 1);
	jt_word_wait(&w->release, 1, jt_deadline_in(CHILD_MS));
	_exit(0);
}

TEST(eight_uids_at_their_per_user_limit_leave_a_ninth_able_to_create)
{
	struct word *w = words_new(8);
	struct limits l;
	pid_t pid[8];
	uint64_t inst;
	int fd, i;

	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, limits_read(&l));
	for (i = 0; i < 8; i++) {
		pid[i] = fork();
		if (!pid[i])
			fill_instances(&w[i], UID_BASE + i, l.per_user);
	}
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(0, jt_word_wait(&w[i].ready, 1,
					  jt_deadline_in(CHILD_MS)));
		EXPECT_EQ(0, w[i].failed_line) TH_LOG("uid %d", UID_BASE + i);
	}
	/* a ninth uid */
	pid_t ninth = fork();

	if (!ninth) {
		if (jt_become(UID_BASE + 8, UID_BASE + 8, 0))
			_exit(1);
		fd = jt_raw_open();
		_exit(fd < 0 || create(fd, "ninth", 0, &inst) ? 2 : 0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(ninth, CHILD_MS)))
		TH_LOG("a ninth uid could not create an instance");
	for (i = 0; i < 8; i++)
		jt_word_set(&w[i].release, 1);
	for (i = 0; i < 8; i++)
		EXPECT_TRUE(jt_child_ok(jt_wait_child(pid[i], CHILD_MS)));
}

/* ---- one user at every limit ---- */

#define UID_HOG		2100
#define UID_OTHER	2101
#define HOG_NOFILE	1200

/* a path of len bytes, distinct by i */
static const char *long_path(char *buf, size_t len, const char *tag, int i)
{
	int n = snprintf(buf, len + 1, "/jt/%s/%d/", tag, i);

	memset(buf + n, 'p', len - n);
	buf[len] = 0;
	return buf;
}

static int attach(int fd, uint64_t inst, const char *path, int file)
{
	struct jet_attach a = {
		.instance = inst, .name = (uintptr_t)path, .fd = file,
	};

	return jt_ioctl(fd, JET_IOC_ATTACH_DB, &a);
}

static int add_log(int fd, uint64_t inst, const char *path, uint64_t gen,
		   int file)
{
	struct jet_add_log a = {
		.instance = inst, .name = (uintptr_t)path,
		.generation = gen, .fd = file,
	};

	return jt_ioctl(fd, JET_IOC_ADD_LOG, &a);
}

/*
 * uid 2100 reaches, in turn: its instances, an instance's databases, its
 * logs and its range locks, another's path bytes, and the files the kernel
 * may hold for it (RLIMIT_NOFILE). Each limit's error is checked as it is
 * reached.
 */
static void hog(struct word *w, const struct limits *l, const char *file)
{
	struct rlimit rl = { HOG_NOFILE, HOG_NOFILE };
	uint64_t inst[3], x, gen = 1;
	char path[JET_PATH_MAX + 1];
	long kb0 = kernel_kb();
	unsigned int i, held = 0;
	int fd, f, ret;

	CHILD_CHECK(w, !setrlimit(RLIMIT_NOFILE, &rl));
	CHILD_CHECK(w, !jt_become(UID_HOG, UID_HOG, 0));
	fd = jt_raw_open();
	f = open(file, O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(w, fd >= 0 && f >= 0);
	for (i = 0; i < l->per_user; i++) {
		uint64_t id;

		CHILD_CHECK(w, !create(fd, "hog", i, &id));
		CHILD_CHECK(w, !jt_raw_init(fd, id, 0, NULL));
		if (i < 3)
			inst[i] = id;
	}
	CHILD_CHECK(w, create(fd, "hog", i, &x) ==
		       -JET_ERRNO_TOO_MANY_INSTANCES_USER);

	/* instance 0: its databases, logs and locks */
	for (i = 0; i < l->dbs; i++, held++)
		CHILD_CHECK(w, !attach(fd, inst[0], long_path(path, 16, "d", i),
				       f));
	CHILD_CHECK(w, attach(fd, inst[0], long_path(path, 16, "d", i), f) ==
		       -JET_ERRNO_OUT_OF_FILE_HANDLES);
	for (i = 0; i < l->logs; i++, held++)
		CHILD_CHECK(w, !add_log(fd, inst[0],
					long_path(path, 16, "l", i), gen++, f));
	CHILD_CHECK(w, add_log(fd, inst[0], long_path(path, 16, "l", i),
			       gen++, f) == -JET_ERRNO_OUT_OF_FILE_HANDLES);
	for (i = 0; i <= l->locks; i++) {
		struct jet_lock_range lr = {
			.instance = inst[0], .offset = i, .length = 1,
			.name = (uintptr_t)long_path(path, 16, "d", 0),
		};

		ret = jt_ioctl(fd, JET_IOC_LOCK_RANGE, &lr);
		CHILD_CHECK(w, i < l->locks ? !ret : ret == -ENOMEM);
	}

	/* instance 1: its path bytes, in the longest paths */
	for (i = 0, ret = 0; !ret; i++) {
		ret = add_log(fd, inst[1], long_path(path, JET_PATH_MAX, "p", i),
			      gen++, f);
		held += !ret;
		CHILD_CHECK(w, i < l->logs);
	}
	CHILD_CHECK(w, ret == -ENOMEM);

	/* instance 2: the files the kernel holds for uid 2100 */
	for (i = 0, ret = 0; !ret; i++) {
		ret = add_log(fd, inst[2], long_path(path, 16, "f", i), gen++,
			      f);
		held += !ret;
		CHILD_CHECK(w, held <= HOG_NOFILE);
	}
	CHILD_CHECK(w, ret == -JET_ERRNO_OUT_OF_FILE_HANDLES);
	CHILD_CHECK(w, held == HOG_NOFILE);

	w->kb_pinned = kernel_kb() - kb0;
	jt_word_set(&w->ready, 1);
	jt_word_wait(&w->release, 1, jt_deadline_in(CHILD_MS));
	_exit(0);
}

/* uid 2101 with the hog at its limits: create, attach, back up, stop. */
static int other_user_works(const char *file)
{
	struct jet_enable_multi em = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_open_file o = { 0 };
	uint64_t inst;
	char buf[4096];
	int fd, agent, f;

	if (jt_become(UID_OTHER, UID_OTHER, 0))
		return 1;
	fd = jt_raw_open();
	agent = jt_raw_open();
	f = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || agent < 0 || f < 0 || jt_ioctl(fd, JET_IOC_ENABLE_MULTI, &em))
		return 2;
	if (create(fd, "other", 0, &inst) || jt_raw_init(fd, inst, 0, NULL))
		return 3;
	if (attach(fd, inst, file, f))
		return 4;
	op.instance = inst;
	if (jt_ioctl(agent, JET_IOC_BEGIN_BACKUP, &op))
		return 5;
	o.instance = inst;
	o.name = (uintptr_t)file;
	if (jt_ioctl(agent, JET_IOC_OPEN_FILE, &o) ||
	    read(o.fd, buf, sizeof(buf)) != sizeof(buf))
		return 6;
	if (jt_ioctl(fd, JET_IOC_STOP_BACKUP, &op))
		return 7;
	if (read(o.fd, buf, sizeof(buf)) != -1 || errno != ECANCELED)
		return 8;
	op.grbit = JET_END_ABORT;
	return jt_ioctl(agent, JET_IOC_END_BACKUP, &op) ? 9 : 0;
}

TEST(user_at_every_limit_leaves_another_able_to_create_attach_back_up_and_stop)
{
	struct word *w = words_new(1);
	char file[64];
	struct limits l;
	pid_t hog_pid, other;
	int status;

	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, limits_read(&l));
	snprintf(file, sizeof(file), "/tmp/jt-lim-%d.db", getpid());
	ASSERT_EQ(0, jt_make_file(file, 65536, 3));
	hog_pid = fork();
	if (!hog_pid)
		hog(w, &l, file);
	ASSERT_EQ(0, jt_word_wait(&w->ready, 1, jt_deadline_in(CHILD_MS)));
	EXPECT_EQ(0, w->failed_line) TH_LOG("the hog failed at its line %d",
					    w->failed_line);
	TH_LOG("uid %d at every limit pins about %lld kB of kernel memory",
	       UID_HOG, (long long)w->kb_pinned);

	other = fork();
	if (!other)
		_exit(other_user_works(file));
	status = jt_wait_child(other, CHILD_MS);
	EXPECT_TRUE(jt_child_ok(status))
		TH_LOG("uid %d: step %d failed", UID_OTHER,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	jt_word_set(&w->release, 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(hog_pid, CHILD_MS)));
	unlink(file);
}

/* fs/file-nr's first number: the struct files allocated */
static long files_allocated(void)
{
	long n = -1;
	FILE *f = fopen("/proc/sys/fs/file-nr", "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

TEST(files_held_for_a_user_count_against_its_rlimit_nofile)
{
	struct rlimit rl = { 32, 32 };
	char file[64];
	pid_t pid;
	struct word *w = words_new(1);

	ASSERT_NE(NULL, w);
	snprintf(file, sizeof(file), "/tmp/jt-nofile-%d.log", getpid());
	ASSERT_EQ(0, jt_make_file(file, 4096, 5));
	pid = fork();
	if (!pid) {
		char path[64];
		long before = files_allocated();
		unsigned int i, held = 0, refused = 0;
		uint64_t inst[8];
		int fd, f, k;

		CHILD_CHECK(w, !setrlimit(RLIMIT_NOFILE, &rl));
		CHILD_CHECK(w, !jt_become(1000, 1000, 0));
		fd = jt_raw_open();
		CHILD_CHECK(w, fd >= 0);
		for (k = 0; k < 8; k++) {
			CHILD_CHECK(w, !create(fd, "nofile", k, &inst[k]));
			CHILD_CHECK(w, !jt_raw_init(fd, inst[k], 0, NULL));
		}
		/* 5,000 logs, each from a fresh open, as libjet does */
		for (i = 0; i < 5000; i++) {
			f = open(file, O_RDONLY | O_CLOEXEC);
			CHILD_CHECK(w, f >= 0);
			snprintf(path, sizeof(path), "/jt/log/%u", i);
			k = add_log(fd, inst[i % 8], path, i / 8 + 1, f);
			close(f);
			if (!k)
				held++;
			else if (k == -JET_ERRNO_OUT_OF_FILE_HANDLES)
				refused++;
			else
				CHILD_CHECK(w, 0);
		}
		CHILD_CHECK(w, held <= 32 && held + refused == 5000);
		/*
		 * The struct files still allocated: what the kernel holds,
		 * give or take the counter's per-CPU slack and files that
		 * RCU has yet to free (a breach would be thousands).
		 */
		usleep(500 * 1000);
		w->kb_pinned = files_allocated() - before;
		CHILD_CHECK(w, before < 0 || w->kb_pinned <= 32 + 256);
		jt_word_set(&w->ready, 1);
		_exit(0);
	}
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)))
		TH_LOG("failed at line %d; file-nr rose by %lld",
		       w->failed_line, (long long)w->kb_pinned);
	unlink(file);
}

/* ---- each limit on its own, lowered for the test ---- */

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

FIXTURE(one) {
	struct limits saved;
	int fd, file;
	uint64_t inst;
	char path[64];
};

FIXTURE_SETUP(one)
{
	ASSERT_EQ(0, limits_read(&self->saved));
	snprintf(self->path, sizeof(self->path), "/tmp/jt-one-%d", getpid());
	ASSERT_EQ(0, jt_make_file(self->path, 8192, 9));
	self->file = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->file);
	self->fd = jt_raw_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, create(self->fd, "one", 0, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->fd, self->inst, 0, NULL));
}

FIXTURE_TEARDOWN(one)
{
	const struct limits *l = &self->saved;

	close(self->fd);
	close(self->file);
	unlink(self->path);
	EXPECT_EQ(0, param_write("max_instances_per_ns", l->per_ns));
	EXPECT_EQ(0, param_write("max_databases", l->dbs));
	EXPECT_EQ(0, param_write("max_logs", l->logs));
	EXPECT_EQ(0, param_write("max_path_bytes", l->path_bytes));
	EXPECT_EQ(0, param_write("max_locks", l->locks));
}

static struct jet_instance_state state_of(int fd, uint64_t inst)
{
	struct jet_get_state g = { .instance = inst };

	jt_ioctl(fd, JET_IOC_GET_STATE, &g);
	return g.state;
}

TEST_F(one, a_database_beyond_max_databases_is_out_of_file_handles)
{
	ASSERT_EQ(0, param_write("max_databases", 2));
	ASSERT_EQ(0, attach(self->fd, self->inst, "/d/1", self->file));
	ASSERT_EQ(0, attach(self->fd, self->inst, "/d/2", self->file));
	EXPECT_EQ(-JET_ERRNO_OUT_OF_FILE_HANDLES,
		  attach(self->fd, self->inst, "/d/3", self->file));
	EXPECT_EQ(2U, state_of(self->fd, self->inst).db_count);
}

TEST_F(one, a_log_beyond_max_logs_is_out_of_file_handles)
{
	ASSERT_EQ(0, param_write("max_logs", 2));
	ASSERT_EQ(0, add_log(self->fd, self->inst, "/l/1", 1, self->file));
	ASSERT_EQ(0, add_log(self->fd, self->inst, "/l/2", 2, self->file));
	EXPECT_EQ(-JET_ERRNO_OUT_OF_FILE_HANDLES,
		  add_log(self->fd, self->inst, "/l/3", 3, self->file));
	EXPECT_EQ(2U, state_of(self->fd, self->inst).log_count);
	EXPECT_EQ(2ull, state_of(self->fd, self->inst).newest_log);
}

TEST_F(one, paths_beyond_max_path_bytes_are_out_of_memory)
{
	/* "/p/1" and "/p/2" with their NULs: 10 bytes */
	ASSERT_EQ(0, param_write("max_path_bytes", 10));
	ASSERT_EQ(0, attach(self->fd, self->inst, "/p/1", self->file));
	ASSERT_EQ(0, add_log(self->fd, self->inst, "/p/2", 1, self->file));
	EXPECT_EQ(-ENOMEM, add_log(self->fd, self->inst, "/p/3", 2,
				   self->file));
	EXPECT_EQ(-ENOMEM, attach(self->fd, self->inst, "/p/4", self->file));
	EXPECT_EQ(1U, state_of(self->fd, self->inst).log_count);
	EXPECT_EQ(1U, state_of(self->fd, self->inst).db_count);
}

TEST_F(one, a_lock_beyond_max_locks_is_out_of_memory)
{
	struct jet_lock_range lr = {
		.instance = self->inst, .name = (uintptr_t)"/k", .length = 1,
	};
	struct jet_instance_u64 u = { .instance = self->inst };

	ASSERT_EQ(0, param_write("max_locks", 2));
	ASSERT_EQ(0, attach(self->fd, self->inst, "/k", self->file));
	ASSERT_EQ(0, jt_ioctl(self->fd, JET_IOC_LOCK_RANGE, &lr));
	u.value = lr.lock;
	lr.lock = 0;
	lr.offset = 1;
	ASSERT_EQ(0, jt_ioctl(self->fd, JET_IOC_LOCK_RANGE, &lr));
	lr.lock = 0;
	lr.offset = 2;
	EXPECT_EQ(-ENOMEM, jt_ioctl(self->fd, JET_IOC_LOCK_RANGE, &lr));
	/* one unlocked: room again */
	ASSERT_EQ(0, jt_ioctl(self->fd, JET_IOC_UNLOCK_RANGE, &u));
	lr.lock = 0;
	EXPECT_EQ(0, jt_ioctl(self->fd, JET_IOC_LOCK_RANGE, &lr));
}

/* in a new IPC namespace: create until refused */
static int fill_namespace(unsigned int *made)
{
	uint64_t inst;
	int fd, ret;

	if (unshare(CLONE_NEWIPC))
		return 4;
	fd = jt_raw_open();
	if (fd < 0)
		return 1;
	for (*made = 0; !(ret = create(fd, "ns", *made, &inst)); ++*made)
		if (*made > 100)
			return 2;
	return ret == -JET_ERRNO_TOO_MANY_INSTANCES ? 0 : 3;
}

TEST_F(one, an_instance_beyond_max_instances_per_ns_is_too_many_instances)
{
	unsigned int *made = (void *)words_new(1);
	uint64_t inst;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, made);
	ASSERT_EQ(0, param_write("max_instances_per_ns", 3));
	pid = fork();
	if (!pid)
		_exit(fill_namespace(made));
	status = jt_wait_child(pid, CHILD_MS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		SKIP(return, "unshare(CLONE_NEWIPC) failed");
	EXPECT_TRUE(jt_child_ok(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(3U, *made);
	/* the host namespace has its own count */
	EXPECT_EQ(0, create(self->fd, "host", 1, &inst));
}

TEST_HARNESS_MAIN
