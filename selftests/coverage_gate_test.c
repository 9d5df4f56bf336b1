// SPDX-License-Identifier: GPL-2.0
/*
 * The read gate as poll() and nonblocking reads see it (kmod/gate.c): what
 * holds a backup read back (a pause, an owner's range lock, the throttle)
 * shows in poll() as "not readable" and in a nonblocking read as EAGAIN,
 * and goes away by itself when its cause does: a resume, an unlock, or the
 * throttle's tokens coming back with time (poll() is woken then, with no
 * other event). A lock further on in the file only shortens a read.
 *
 * A lock is the owner's only once its handle reached the owner: a lock
 * whose handle cannot be written back is dropped again.
 *
 * Each test makes its own instance (owner and agent in one context) with
 * one database of DB_SIZE bytes and opens it for the backup.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define DB_SIZE		(256 * 1024)
#define BPS		65536		/* the throttle: its burst is 64 KiB */

FIXTURE(gate) {
	char dir[32], db[64];
	uint64_t inst;
	int ctx, src, bfd;
	char buf[DB_SIZE];
};

/* Opens the database for the backup again, with flags (JET_OPEN_*). */
static int open_db(FIXTURE_DATA(gate) *self, uint32_t flags)
{
	struct jet_open_file o = {
		.instance = self->inst,
		.name = (uintptr_t)self->db,
		.flags = flags,
	};
	int ret = jt_ioctl(self->ctx, JET_IOC_OPEN_FILE, &o);

	return ret ? ret : o.fd;
}

static int u64_op(FIXTURE_DATA(gate) *self, unsigned long cmd, uint64_t v)
{
	struct jet_instance_u64 u = { .instance = self->inst, .value = v };

	return jt_ioctl(self->ctx, cmd, &u);
}

static int pause_op(FIXTURE_DATA(gate) *self, uint32_t pause)
{
	struct jet_instance_op op = { .instance = self->inst, .grbit = pause };

	return jt_ioctl(self->ctx, JET_IOC_PAUSE_BACKUP, &op);
}

/* LOCK_RANGE on the database: the lock's handle, or 0 on failure. */
static uint64_t lock_range(FIXTURE_DATA(gate) *self, uint64_t off,
			   uint64_t len)
{
	struct jet_lock_range l = {
		.instance = self->inst,
		.name = (uintptr_t)self->db,
		.offset = off,
		.length = len,
	};

	return jt_ioctl(self->ctx, JET_IOC_LOCK_RANGE, &l) ? 0 : l.lock;
}

/* poll() for reading: 1 readable, 0 not within ms, -1 error or hang-up. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n < 0 || (n && (p.revents & (POLLERR | POLLHUP | POLLNVAL))))
		return -1;
	return n && (p.revents & POLLIN);
}

FIXTURE_SETUP(gate)
{
	struct jet_attach a = { 0 };
	struct jet_instance_op op = { 0 };

	self->ctx = self->src = self->bfd = -1;
	strcpy(self->dir, "/tmp/jt-gate-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/db.edb", self->dir);
	self->src = jt_open_new_file(self->db, DB_SIZE, 7);
	ASSERT_LE(0, self->src);
	self->ctx = jt_raw_open();
	ASSERT_LE(0, self->ctx);
	ASSERT_EQ(0, jt_raw_create(self->ctx, NULL, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->ctx, self->inst, 0, NULL));
	a.instance = self->inst;
	a.name = (uintptr_t)self->db;
	a.fd = self->src;
	ASSERT_EQ(0, jt_ioctl(self->ctx, JET_IOC_ATTACH_DB, &a));
	ASSERT_EQ(0, u64_op(self, JET_IOC_SET_CHECKPOINT, 1));
	op.instance = self->inst;
	ASSERT_EQ(0, jt_ioctl(self->ctx, JET_IOC_BEGIN_BACKUP, &op));
	self->bfd = open_db(self, JET_OPEN_NONBLOCK);
	ASSERT_LE(0, self->bfd);
}

FIXTURE_TEARDOWN(gate)
{
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->ctx >= 0)
		close(self->ctx);
	if (self->src >= 0)
		close(self->src);
	jt_rm_tree(self->dir);
}

TEST_F(gate, paused_backup_is_not_readable_until_resumed)
{
	ASSERT_EQ(1, readable(self->bfd, 0));
	ASSERT_EQ(0, pause_op(self, 1));
	EXPECT_EQ(0, readable(self->bfd, 0));
	EXPECT_EQ(-1, read(self->bfd, self->buf, 4096));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, pause_op(self, 0));
	EXPECT_EQ(1, readable(self->bfd, 1000));
	EXPECT_EQ(4096, read(self->bfd, self->buf, 4096));
}

TEST_F(gate, position_at_end_is_readable_even_when_paused)
{
	ASSERT_EQ(DB_SIZE, lseek(self->bfd, 0, SEEK_END));
	ASSERT_EQ(0, pause_op(self, 1));
	EXPECT_EQ(1, readable(self->bfd, 0));
	EXPECT_EQ(0, read(self->bfd, self->buf, 4096));
}

TEST_F(gate, lock_on_read_position_holds_reads_until_unlocked)
{
	uint64_t lock = lock_range(self, 0, 4096);

	ASSERT_NE(0, lock);
	EXPECT_EQ(0, readable(self->bfd, 0));
	EXPECT_EQ(-1, read(self->bfd, self->buf, 4096));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, u64_op(self, JET_IOC_UNLOCK_RANGE, lock));
	EXPECT_EQ(1, readable(self->bfd, 1000));
	EXPECT_EQ(4096, read(self->bfd, self->buf, 4096));
}

TEST_F(gate, lock_further_on_shortens_the_read_to_its_start)
{
	uint64_t lock = lock_range(self, 8192, 4096);

	ASSERT_NE(0, lock);
	EXPECT_EQ(1, readable(self->bfd, 0));
	EXPECT_EQ(8192, read(self->bfd, self->buf, 65536));
	/* now at the lock: held back */
	EXPECT_EQ(0, readable(self->bfd, 0));
	EXPECT_EQ(-1, read(self->bfd, self->buf, 65536));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, u64_op(self, JET_IOC_UNLOCK_RANGE, lock));
	EXPECT_EQ(65536, read(self->bfd, self->buf, 65536));
}

TEST_F(gate, lock_past_the_end_does_not_hold_reads)
{
	uint64_t lock = lock_range(self, DB_SIZE, 4096);

	/* past the end of the file: no byte of a read is under it */
	ASSERT_NE(0, lock);
	EXPECT_EQ(1, readable(self->bfd, 0));
	EXPECT_EQ(65536, read(self->bfd, self->buf, 65536));
}

TEST_F(gate, throttle_holds_reads_past_the_burst_until_tokens_return)
{
	ssize_t n, total = 0;

	ASSERT_EQ(0, u64_op(self, JET_IOC_SET_THROTTLE, BPS));
	/* the burst (one second's worth, at least 64 KiB) goes at once */
	while ((n = read(self->bfd, self->buf, 65536)) > 0)
		total += n;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	/* (a slow machine may have earned a page more meanwhile) */
	EXPECT_LE(BPS, total);
	EXPECT_GT(DB_SIZE, total);
	EXPECT_EQ(0, readable(self->bfd, 0));
	/* no event but time: poll() is woken when a page's worth is back */
	EXPECT_EQ(1, readable(self->bfd, 5000));
	EXPECT_LT(0, read(self->bfd, self->buf, 65536));
}

TEST_F(gate, throttle_zero_lifts_the_limit)
{
	ssize_t n, total = 0;

	ASSERT_EQ(0, u64_op(self, JET_IOC_SET_THROTTLE, BPS));
	while ((n = read(self->bfd, self->buf, 65536)) > 0)
		total += n;
	ASSERT_LE(BPS, total);
	ASSERT_GT(DB_SIZE, total);
	ASSERT_EQ(0, u64_op(self, JET_IOC_SET_THROTTLE, 0));
	EXPECT_EQ(1, readable(self->bfd, 0));
	EXPECT_EQ(DB_SIZE - total, read(self->bfd, self->buf, DB_SIZE));
}

TEST_F(gate, blocking_read_waits_for_the_throttle_and_gets_its_bytes)
{
	int fd = open_db(self, 0);
	ssize_t n, total = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, u64_op(self, JET_IOC_SET_THROTTLE, 2 * BPS));
	/* one second's burst, then a wait for the rest (about a second) */
	while ((n = read(fd, self->buf, DB_SIZE)) > 0)
		total += n;
	EXPECT_EQ(0, n);
	EXPECT_EQ(DB_SIZE, total);
	close(fd);
}

TEST_F(gate, lock_range_of_unattached_database_is_enxio)
{
	struct jet_lock_range l = {
		.instance = self->inst,
		.name = (uintptr_t)"/tmp/jt-gate-not-attached.edb",
		.offset = 0,
		.length = 4096,
	};

	EXPECT_EQ(-ENXIO, jt_ioctl(self->ctx, JET_IOC_LOCK_RANGE, &l));
	EXPECT_EQ(0ULL, l.lock);
	EXPECT_EQ(1, readable(self->bfd, 0));
}

TEST_F(gate, lock_whose_handle_cannot_be_written_is_efault_and_dropped)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct jet_lock_range *l = mmap(NULL, pg, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, l);
	l->instance = self->inst;
	l->name = (uintptr_t)self->db;
	l->offset = 0;
	l->length = 4096;
	/* readable, so the call gets its argument; not writable for the handle */
	ASSERT_EQ(0, mprotect(l, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, jt_ioctl(self->ctx, JET_IOC_LOCK_RANGE, l));
	/* no lock holds the range: reads go on */
	EXPECT_EQ(1, readable(self->bfd, 0));
	EXPECT_EQ(4096, read(self->bfd, self->buf, 4096));
	munmap(l, pg);
}

TEST_HARNESS_MAIN
