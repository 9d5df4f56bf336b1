// SPDX-License-Identifier: GPL-2.0
/*
 * What can keep jet.ko loaded after every process let go of it.
 *
 * rmmod fails with EAGAIN ("Resource temporarily unavailable") while the
 * module's use count is not 0, and every open file of /dev/jet and every
 * backup file holds one. Once, after minutes of fuzzing, rmmod failed so
 * with no process left holding a descriptor. A file can outlive all its
 * descriptors: sent over a unix socket and never received, with that
 * socket's own file in flight in its own queue (a cycle, which fuzzers
 * that pass descriptors around make by chance), it is freed only by the
 * kernel's unix garbage collector, and that runs when some unix socket is
 * released later (or descriptors are sent again), not by itself.
 *
 * These tests prove that such a file holds the module (rmmod then fails
 * with EAGAIN, as it did) until the collector runs, and no longer: the
 * module can then go. init.sh releases a unix socket before it unloads the
 * module, for that reason.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define REFCNT	"/sys/module/jet/refcnt"

/* The module's use count, or -errno. */
static int refcnt(void)
{
	char buf[32];
	int fd = open(REFCNT, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

/* The use count once it settles at want (within ms), or the last seen. */
static int refcnt_wait(int want, int ms)
{
	uint64_t end = jt_deadline_in(ms);
	int n;

	while ((n = refcnt()) != want && jt_now_ns() < end)
		usleep(10000);
	return n;
}

/* Sends fds over sock, unread by anyone. */
static int send_fds(int sock, const int *fds, int n)
{
	char byte = 'j';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u = { 0 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* What init.sh does before rmmod: release a unix socket. */
static void run_unix_gc(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s >= 0)
		close(s);
}

FIXTURE(unload) {
	int base;	/* the use count before the test */
};

FIXTURE_SETUP(unload)
{
	self->base = refcnt();
	if (self->base < 0)
		SKIP(return, "no %s: %s", REFCNT, strerror(-self->base));
}

FIXTURE_TEARDOWN(unload)
{
	run_unix_gc();
}

/* A plain close gives the module back at once: nothing is deferred. */
TEST_F(unload, closed_context_releases_module)
{
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(self->base + 1, refcnt());
	close(fd);
	EXPECT_EQ(self->base, refcnt_wait(self->base, 2000));
}

/*
 * A context in flight in a unix socket cycle holds the module after its
 * last descriptor is closed, and the unix collector frees it.
 */
TEST_F(unload, context_in_flight_holds_module_until_unix_gc)
{
	int sv[2], fds[2], held;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	fds[0] = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	fds[1] = sv[1];
	/* sv[1] queues its own file and the context: a cycle */
	ASSERT_EQ(0, send_fds(sv[0], fds, 2));
	close(fds[0]);
	close(sv[0]);	/* the collector runs now, while sv[1] is still ours */
	close(sv[1]);
	held = refcnt();
	TH_LOG("use count %d after every descriptor is closed (%d before)",
	       held, self->base);
	EXPECT_EQ(self->base + 1, held)
		TH_LOG("the cycle did not hold the context (another collector?)");
	/* what rmmod (busybox's and kmod's: O_NONBLOCK) gets meanwhile */
	if (held > 0) {
		errno = 0;
		EXPECT_EQ(-1, syscall(SYS_delete_module, "jet", O_NONBLOCK));
		EXPECT_EQ(EWOULDBLOCK, errno);
	}
	run_unix_gc();
	EXPECT_EQ(self->base, refcnt_wait(self->base, 2000));
}

/* The same for a backup file, whose backup holds the instance too. */
TEST_F(unload, backup_file_in_flight_holds_module_until_unix_gc)
{
	char dir[] = "/tmp/jt-unload-XXXXXX", db[64];
	struct jet_attach a = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_instance_u64 cp = { 0 };
	struct jet_open_file o = { 0 };
	uint64_t inst;
	int sv[2], fds[2], ctx, src;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/db.edb", dir);
	src = jt_open_new_file(db, 65536, 1);
	ASSERT_LE(0, src);
	ctx = jt_raw_open();
	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, jt_raw_create(ctx, NULL, NULL, &inst));
	ASSERT_EQ(0, jt_raw_init(ctx, inst, 0, NULL));
	a.instance = inst;
	a.name = (uintptr_t)db;
	a.fd = src;
	ASSERT_EQ(0, jt_ioctl(ctx, JET_IOC_ATTACH_DB, &a));
	cp.instance = inst;
	cp.value = 1;
	ASSERT_EQ(0, jt_ioctl(ctx, JET_IOC_SET_CHECKPOINT, &cp));
	op.instance = inst;
	ASSERT_EQ(0, jt_ioctl(ctx, JET_IOC_BEGIN_BACKUP, &op));
	o.instance = inst;
	o.name = (uintptr_t)db;
	ASSERT_EQ(0, jt_ioctl(ctx, JET_IOC_OPEN_FILE, &o));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	fds[0] = o.fd;
	fds[1] = sv[1];
	ASSERT_EQ(0, send_fds(sv[0], fds, 2));
	close(o.fd);
	close(ctx);	/* the backup ends; its file stays in flight */
	close(src);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(self->base + 1, refcnt());
	run_unix_gc();
	EXPECT_EQ(self->base, refcnt_wait(self->base, 2000));
	jt_rm_tree(dir);
}

TEST_HARNESS_MAIN
