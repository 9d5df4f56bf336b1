// SPDX-License-Identifier: GPL-2.0
/*
 * No user can wedge another, and containers do not see each other (SPEC
 * section 8).
 *
 * A stalled owner: userfaultfd write-protects the page that holds the
 * owner's JET_IOC_INIT argument, so the kernel's write of the handle
 * stalls for as long as the owner likes, as a FUSE-backed buffer would.
 * Meanwhile another uid lists and reads the instance's state, and root
 * stops it; each must return before the owner is let go.
 *
 * Namespaces: instances live in their creator's IPC namespace; names are
 * unique per namespace, and handles and listings see only the caller's.
 * Capabilities count in the user namespace that owns the instance's IPC
 * namespace, never in one the caller made for itself.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define UID_LISTER	1001
#define UID_OWNER	1000
#define STALL_MS	4000	/* how long the owner is kept stalled at most */
#define CHILD_MS	20000

/* Shared between the test and its children. */
struct shared {
	uint32_t step;		/* owner: 1 instance made, 2 stalled */
	uint32_t release;	/* test: 1 let the owner go */
	uint32_t done;		/* a child finished its call */
	uint64_t inst;
	int64_t result;
	uint64_t elapsed_ns;
};

static struct shared *shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Is the instance id in the caller's listing? 1, 0, or -errno. */
static int listed(int fd, uint64_t id, const char *name)
{
	struct jet_list l = { 0 };
	unsigned int off = 0;
	char *buf;
	int ret, found = 0;

	buf = malloc(1 << 20);
	if (!buf)
		return -ENOMEM;
	l.buf = (uintptr_t)buf;
	l.buf_size = 1 << 20;
	ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l);
	while (!ret && off < l.size) {
		struct jet_instance_record *r = (void *)(buf + off);
		const char *n = (const char *)(r + 1);

		if ((id && r->state.instance == id) ||
		    (name && r->name_size > 1 && !strcmp(n, name)))
			found++;
		off += r->record_size;
	}
	free(buf);
	return ret ? ret : found;
}

/* ---- a stalled owner ---- */

struct stall {
	int uffd;
	void *page;
	size_t len;
	struct shared *sh;
};

/* The owner's second thread: reports the fault, then resolves it. */
static void *stall_watch(void *arg)
{
	struct stall *st = arg;
	struct pollfd p = { .fd = st->uffd, .events = POLLIN };
	struct uffdio_writeprotect wp = {
		.range = { (uintptr_t)st->page, st->len },
		.mode = 0,
	};
	struct uffd_msg msg;

	if (poll(&p, 1, CHILD_MS) == 1 &&
	    read(st->uffd, &msg, sizeof(msg)) == sizeof(msg))
		jt_word_set(&st->sh->step, 2);
	jt_word_wait(&st->sh->release, 1, jt_deadline_in(CHILD_MS));
	ioctl(st->uffd, UFFDIO_WRITEPROTECT, &wp);
	return NULL;
}

/* Exit codes: 0 ok, 4 userfaultfd write-protect unavailable, else failure */
static int stalled_owner(struct shared *sh)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	struct jet_enable_multi em = { 0 };
	struct stall st = { .sh = sh };
	struct jet_init *in;
	char name[64];
	pthread_t t;
	uint64_t inst;
	int fd;

	st.len = sysconf(_SC_PAGESIZE);
	st.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st.uffd < 0 || ioctl(st.uffd, UFFDIO_API, &api))
		return 4;
	st.page = mmap(NULL, st.len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st.page == MAP_FAILED)
		return 1;
	memset(st.page, 0, st.len);
	/* an ordinary user from here on; the uffd keeps what root made */
	if (jt_become(UID_OWNER, UID_OWNER, 0))
		return 1;
	fd = jt_raw_open();
	snprintf(name, sizeof(name), "jt-stall-%d", getpid());
	if (fd < 0 || jt_ioctl(fd, JET_IOC_ENABLE_MULTI, &em) ||
	    jt_raw_create(fd, name, NULL, &inst))
		return 1;

	in = st.page;
	in->instance = inst;
	reg.range.start = (uintptr_t)st.page;
	reg.range.len = st.len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(st.uffd, UFFDIO_REGISTER, &reg) ||
	    ioctl(st.uffd, UFFDIO_WRITEPROTECT, &wp))
		return 4;
	if (pthread_create(&t, NULL, stall_watch, &st))
		return 1;
	sh->inst = inst;
	jt_word_set(&sh->step, 1);
	/* reads the argument, then stalls writing the handle back */
	sh->result = jt_ioctl(fd, JET_IOC_INIT, in);
	pthread_join(t, NULL);
	return sh->result ? 2 : 0;
}

/* Another uid: the listing and the instance's state, timed. */
static int other_user_lists(struct shared *sh)
{
	struct jet_get_state gs = { .instance = sh->inst };
	uint64_t t0;
	int fd, n;

	if (jt_become(UID_LISTER, UID_LISTER, 0))
		return 1;
	fd = jt_raw_open();
	if (fd < 0)
		return 1;
	t0 = jt_now_ns();
	n = listed(fd, sh->inst, NULL);
	sh->result = n == 1 ? jt_ioctl(fd, JET_IOC_GET_STATE, &gs) : -100 + n;
	sh->elapsed_ns = jt_now_ns() - t0;
	jt_word_set(&sh->done, 1);
	return 0;
}

/* Root, in a process of its own: stop the stalled owner's instance. */
static int root_stops(struct shared *sh)
{
	struct jet_instance_op op = { .instance = sh->inst };
	uint64_t t0;
	int fd = jt_raw_open();

	if (fd < 0)
		return 1;
	t0 = jt_now_ns();
	sh->result = jt_ioctl(fd, JET_IOC_STOP_BACKUP, &op);
	sh->elapsed_ns = jt_now_ns() - t0;
	jt_word_set(&sh->done, 1);
	return 0;
}

typedef int (*child_fn)(struct shared *sh);

static pid_t spawn(child_fn fn, struct shared *sh)
{
	pid_t pid = fork();

	if (!pid)
		_exit(fn(sh));
	return pid;
}

/*
 * Runs fn in a child while the owner is stalled: 0 if it finished before
 * the stall ended (its result in sh), -ETIMEDOUT if it had to wait.
 */
static int while_stalled(struct __test_metadata *_metadata, child_fn fn,
			 const char *what)
{
	struct shared *sh = shared_new(), *call = shared_new();
	pid_t owner, pid;
	int status, ret;

	if (!sh || !call)
		return -ENOMEM;
	owner = spawn(stalled_owner, sh);
	if (jt_word_wait(&sh->step, 2, jt_deadline_in(CHILD_MS))) {
		jt_word_set(&sh->release, 1);
		status = jt_wait_child(owner, CHILD_MS);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
			return -EOPNOTSUPP;
		TH_LOG("the owner never stalled (status 0x%x)", status);
		return -EIO;
	}
	call->inst = sh->inst;
	pid = spawn(fn, call);
	ret = jt_word_wait(&call->done, 1, jt_deadline_in(STALL_MS));
	/* the owner is let go either way, so nothing stays blocked */
	jt_word_set(&sh->release, 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS))) TH_LOG("%s", what);
	status = jt_wait_child(owner, CHILD_MS);
	EXPECT_TRUE(jt_child_ok(status))
		TH_LOG("the owner's init failed once let go: %lld",
		       (long long)sh->result);
	if (!ret) {
		TH_LOG("%s returned %lld in %.1f ms while the owner stalled",
		       what, (long long)call->result,
		       call->elapsed_ns / 1e6);
		EXPECT_EQ(0, call->result) TH_LOG("%s", what);
	}
	munmap(sh, sizeof(*sh));
	munmap(call, sizeof(*call));
	return ret;
}

TEST(stalled_owner_does_not_delay_another_users_listing)
{
	int ret = while_stalled(_metadata, other_user_lists,
				"uid 1001's listing and GET_STATE");

	if (ret == -EOPNOTSUPP)
		SKIP(return, "userfaultfd write-protect is not available");
	EXPECT_EQ(0, ret) TH_LOG("the listing waited for the stalled owner");
}

TEST(stalled_owner_does_not_delay_roots_stop)
{
	int ret = while_stalled(_metadata, root_stops, "root's stop");

	if (ret == -EOPNOTSUPP)
		SKIP(return, "userfaultfd write-protect is not available");
	EXPECT_EQ(0, ret) TH_LOG("root's stop waited for the stalled owner");
}

/* ---- IPC namespaces ---- */

/*
 * In a new IPC namespace (and a user namespace first, if userns): create
 * "prod", report its handle, wait for the test, then check what it sees.
 */
struct ns_child {
	struct shared *sh;
	int flags;
	uint64_t other;		/* a handle of another namespace */
};

static int in_namespace(struct ns_child *c)
{
	struct jet_get_state gs = { 0 };
	uint64_t inst;
	int fd;

	if (unshare(c->flags))
		return 4;
	fd = jt_raw_open();
	if (fd < 0)
		return 1;
	if (jt_raw_create(fd, "prod", NULL, &inst))
		return 2;
	c->sh->inst = inst;
	jt_word_set(&c->sh->step, 1);
	if (jt_word_wait(&c->sh->release, 1, jt_deadline_in(CHILD_MS)))
		return 1;
	/* its own prod, once; nothing of the other namespace */
	if (listed(fd, 0, "prod") != 1 || listed(fd, inst, NULL) != 1)
		return 5;
	if (c->other && listed(fd, c->other, NULL) != 0)
		return 6;
	gs.instance = c->other;
	if (c->other && jt_ioctl(fd, JET_IOC_GET_STATE, &gs) != -EINVAL)
		return 7;
	jt_word_set(&c->sh->done, 1);
	return 0;
}

/* Can this kernel make IPC namespaces (CONFIG_IPC_NS)? */
static bool ipc_ns_available(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(unshare(CLONE_NEWIPC) ? 4 : 0);
	return pid > 0 && jt_child_ok(jt_wait_child(pid, CHILD_MS));
}

static pid_t spawn_ns(struct ns_child *c)
{
	pid_t pid = fork();

	if (!pid)
		_exit(in_namespace(c));
	return pid;
}

TEST(two_ipc_namespaces_each_have_their_own_prod)
{
	struct shared *a = shared_new(), *b = shared_new();
	struct ns_child ca = { .sh = a, .flags = CLONE_NEWIPC };
	struct ns_child cb = { .sh = b, .flags = CLONE_NEWIPC };
	int fd = jt_raw_open(), sa, sb;
	pid_t pa, pb;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_LE(0, fd);
	if (!ipc_ns_available())
		SKIP(return, "unshare(CLONE_NEWIPC) fails: no CONFIG_IPC_NS");
	pa = spawn_ns(&ca);
	ASSERT_EQ(0, jt_word_wait(&a->step, 1, jt_deadline_in(CHILD_MS)));
	/* b knows a's handle, to try it */
	cb.other = a->inst;
	pb = spawn_ns(&cb);
	ASSERT_EQ(0, jt_word_wait(&b->step, 1, jt_deadline_in(CHILD_MS)))
		TH_LOG("the second prod was refused");
	EXPECT_NE(a->inst, b->inst);
	/* the host's namespace sees neither */
	EXPECT_EQ(0, listed(fd, a->inst, NULL));
	EXPECT_EQ(0, listed(fd, b->inst, NULL));
	EXPECT_EQ(0, listed(fd, 0, "prod"));
	jt_word_set(&a->release, 1);
	jt_word_set(&b->release, 1);
	sa = jt_wait_child(pa, CHILD_MS);
	sb = jt_wait_child(pb, CHILD_MS);
	if (WIFEXITED(sa) && WEXITSTATUS(sa) == 4)
		SKIP(return, "unshare(CLONE_NEWIPC) failed");
	EXPECT_TRUE(jt_child_ok(sa)) TH_LOG("namespace a: status 0x%x", sa);
	EXPECT_TRUE(jt_child_ok(sb)) TH_LOG("namespace b: status 0x%x", sb);
	close(fd);
}

/* A host instance owned by root, initialised, with one database. */
static uint64_t host_instance(struct __test_metadata *_metadata, int fd,
			      const char *name, const char *db)
{
	struct jet_attach at = { 0 };
	uint64_t inst = 0;
	int dbfd;

	EXPECT_EQ(0, jt_raw_create(fd, name, NULL, &inst));
	EXPECT_EQ(0, jt_raw_init(fd, inst, 0, NULL));
	dbfd = jt_open_new_file(db, 8192, 1);
	EXPECT_LE(0, dbfd);
	at.instance = inst;
	at.name = (uintptr_t)db;
	at.fd = dbfd;
	EXPECT_EQ(0, jt_ioctl(fd, JET_IOC_ATTACH_DB, &at));
	close(dbfd);
	return inst;
}

/* uid 1000 as root of a user namespace of its own: stop and back up. */
static int userns_root_tries(struct shared *sh)
{
	struct jet_instance_op op = { .instance = sh->inst };
	int fd;

	if (jt_become(UID_OWNER, UID_OWNER, 0))
		return 1;
	if (unshare(CLONE_NEWUSER))
		return 4;
	fd = jt_raw_open();
	if (fd < 0)
		return 1;
	sh->result = jt_ioctl(fd, JET_IOC_STOP_BACKUP, &op);
	sh->elapsed_ns = (uint64_t)jt_ioctl(fd, JET_IOC_BEGIN_BACKUP, &op);
	return 0;
}

TEST(user_namespace_root_cannot_stop_or_back_up_host_instances)
{
	struct shared *sh = shared_new();
	char name[64], db[64];
	int fd = jt_raw_open(), status;
	struct jet_get_state gs = { 0 };

	ASSERT_NE(NULL, sh);
	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "jt-host-%d", getpid());
	snprintf(db, sizeof(db), "/tmp/jt-host-%d.db", getpid());
	sh->inst = host_instance(_metadata, fd, name, db);
	status = jt_wait_child(spawn(userns_root_tries, sh), CHILD_MS);
	unlink(db);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		SKIP(return, "unshare(CLONE_NEWUSER) is not allowed here");
	ASSERT_TRUE(jt_child_ok(status));
	EXPECT_EQ(-EPERM, (int)sh->result) TH_LOG("stop");
	EXPECT_EQ(-EACCES, (int)(int64_t)sh->elapsed_ns) TH_LOG("begin");
	gs.instance = sh->inst;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_GET_STATE, &gs));
	EXPECT_EQ(0U, gs.state.flags & JET_STATE_BACKUP);
	close(fd);
}

/*
 * The other side: root of a user namespace that owns the IPC namespace
 * too administers the instances there, even another context's.
 */
static int userns_root_in_own_ipc_ns(struct shared *sh)
{
	struct jet_instance_op op = { 0 };
	uint64_t inst;
	int owner, admin;

	(void)sh;
	if (jt_become(UID_OWNER, UID_OWNER, 0))
		return 1;
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return 4;
	owner = jt_raw_open();
	admin = jt_raw_open();
	if (owner < 0 || admin < 0 || jt_raw_create(owner, "prod", NULL, &inst))
		return 1;
	op.instance = inst;
	return jt_ioctl(admin, JET_IOC_STOP_BACKUP, &op) ? 2 : 0;
}

TEST(user_namespace_root_administers_its_own_ipc_namespace)
{
	int status = jt_wait_child(spawn(userns_root_in_own_ipc_ns, NULL),
				   CHILD_MS);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		SKIP(return, "unshare(CLONE_NEWUSER) is not allowed here");
	EXPECT_TRUE(jt_child_ok(status)) TH_LOG("status 0x%x", status);
}

/* ---- owner pinning: a lookup by name and owner ---- */

static int hold_named(struct shared *sh)
{
	char name[64];
	int fd;

	if (jt_become(UID_OWNER, UID_OWNER, 0))
		return 1;
	fd = jt_raw_open();
	snprintf(name, sizeof(name), "jt-byname-%d", getppid());
	if (fd < 0 || jt_raw_create(fd, name, NULL, &sh->inst))
		return 2;
	jt_word_set(&sh->step, 1);
	jt_word_wait(&sh->release, 1, jt_deadline_in(CHILD_MS));
	return 0;
}

TEST(lookup_by_name_takes_only_the_expected_owner)
{
	struct shared *sh = shared_new();
	unsigned long uid = 12345;
	JET_INSTANCE inst = 99;
	char name[64];
	pid_t pid;

	ASSERT_NE(NULL, sh);
	snprintf(name, sizeof(name), "jt-byname-%d", getpid());
	pid = spawn(hold_named, sh);
	ASSERT_EQ(0, jt_word_wait(&sh->step, 1, jt_deadline_in(CHILD_MS)));
	/* root expected: refused, and told whose it is */
	EXPECT_JET(JET_errFileAccessDenied,
		   JetGetInstanceByName(name, 0, &inst, &uid));
	EXPECT_EQ(0u, inst);
	EXPECT_EQ((unsigned long)UID_OWNER, uid);
	EXPECT_JET(JET_errSuccess,
		   JetGetInstanceByName(name, UID_OWNER, &inst, NULL));
	EXPECT_EQ(sh->inst, inst);
	EXPECT_JET(JET_errSuccess,
		   JetGetInstanceByName(name, JET_uidAnyOwner, &inst, NULL));
	EXPECT_JET(JET_errInvalidParameter,
		   JetGetInstanceByName("jt-byname-none", JET_uidAnyOwner,
					&inst, NULL));
	jt_word_set(&sh->release, 1);
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, CHILD_MS)));
}

/*
 * An instance whose IPC namespace has no process left (its owner moved to
 * another namespace, keeping its /dev/jet file) still holds that namespace,
 * so no new namespace can take its address and see the instance. Without
 * that reference the freed namespace's memory is soon reused by the next
 * unshare(), and the old instance would show up in a stranger's listing.
 * Exit status: 0 never seen, 1 seen, 4 unshare failed, 5 set-up failed.
 */
#define GHOST_ROUNDS	64

static int ghost_child(void)
{
	struct jet_enable_multi em = { 0 };
	struct jet_create c = { 0 };
	char name[64];
	int fd, i, seen;

	snprintf(name, sizeof(name), "jt-ghost-%d", getpid());
	if (unshare(CLONE_NEWIPC))
		return 4;
	fd = jt_raw_open();
	if (fd < 0 || jt_ioctl(fd, JET_IOC_ENABLE_MULTI, &em))
		return 5;
	c.name = (uintptr_t)name;
	if (jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c))
		return 5;
	for (i = 0; i < GHOST_ROUNDS; i++) {
		/* the old namespace loses its last process */
		if (unshare(CLONE_NEWIPC))
			return 4;
		usleep(5000);	/* namespaces are freed by a work item */
		seen = listed(fd, c.instance, name);
		if (seen)
			return seen > 0 ? 1 : 5;
	}
	close(fd);
	return 0;
}

TEST(instance_outliving_its_namespace_is_never_seen_by_a_new_one)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(ghost_child());
	status = jt_wait_child(pid, CHILD_MS);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "unshare(CLONE_NEWIPC) failed");
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("1: a new namespace listed the old one's instance");
}

TEST_HARNESS_MAIN
