// SPDX-License-Identifier: GPL-2.0
/*
 * cache_jump_test - a backup that reads its database out of order (pread
 * jumping back and forth, as a parallel or restarted copy does) still
 * leaves the page cache as it found it (kmod/cache.c): the pages that
 * were resident stay, the pages it copied that were not are dropped.
 * cache_test covers the reads in order. (Pages read ahead past a chunk
 * whose read is still in flight when the reader jumps may stay: the jump
 * does not wait for them, see cache.c. So only copied pages are counted.)
 *
 * The page cache can only be seen on a disk (tmpfs pages are always
 * resident): the VM's ext4 disk (jet_disk.h); the test skips without one.
 */
#include "jet_test.h"
#include "jet_disk.h"
#include "kselftest_harness.h"

#define FILE_SIZE	(8u << 20)
#define PAGE		4096u
#define NPAGES		(FILE_SIZE / PAGE)
#define CHUNK		(256u << 10)

/* pages the owner keeps hot: at the start, inside a jump target, the end */
static const unsigned int hot[] = { 3, 1600, 1601, NPAGES - 1 };

FIXTURE(jump) {
	char path[128];
	int own, agent, no_disk;
	uint64_t inst;
	unsigned char before[NPAGES], after[NPAGES];
};

FIXTURE_SETUP(jump)
{
	char name[64], buf[PAGE];
	unsigned int i;
	int ret = jt_disk_mount(), fd;

	self->own = self->agent = -1;
	if (ret == -ENODEV) {
		self->no_disk = 1;
		SKIP(return, "the VM has no virtio disk (%s)", JT_DISK_SERIAL);
	}
	ASSERT_EQ(0, ret) TH_LOG("mount %s: %s", JT_DISK_MNT, strerror(-ret));
	snprintf(self->path, sizeof(self->path), "%s/cache_jump_test-%d.edb",
		 JT_DISK_MNT, (int)getpid());
	ASSERT_EQ(0, jt_make_file(self->path, FILE_SIZE, jt_seed_of(11)));
	ASSERT_EQ(0, jt_uncache(self->path));
	ASSERT_EQ(0, jt_resident_path(self->path, FILE_SIZE, NULL));
	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	for (i = 0; i < sizeof(hot) / sizeof(hot[0]); i++)
		ASSERT_EQ(PAGE, pread(fd, buf, PAGE, (off_t)hot[i] * PAGE));
	close(fd);
	ASSERT_LT(0, jt_resident_path(self->path, FILE_SIZE, self->before));

	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	snprintf(name, sizeof(name), "jump-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	ASSERT_EQ(0, jt_raw_attach(self->own, self->inst, self->path));
}

FIXTURE_TEARDOWN(jump)
{
	if (self->agent >= 0)
		close(self->agent);
	if (self->own >= 0)
		close(self->own);
	if (!self->no_disk)
		unlink(self->path);
}

TEST_F(jump, reads_out_of_order_leave_the_cache_as_found)
{
	/* forward, far back, forward again, and over the hot pages */
	static const unsigned int at[] = { 5u << 20, 1u << 20, 0,
					   6u << 20, 1600 * PAGE };
	static char buf[CHUNK];
	long kept = 0, brought = 0, had = 0;
	unsigned int i, p;
	int fd;

	if (self->no_disk)
		SKIP(return, "no disk");
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	fd = jt_raw_open_file(self->agent, self->inst, self->path, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		ASSERT_EQ(CHUNK, pread(fd, buf, CHUNK, at[i]));
	close(fd);
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst,
			       JET_END_ABORT));

	ASSERT_LE(0, jt_resident_path(self->path, FILE_SIZE, self->after));
	for (i = 0; i < NPAGES; i++) {
		had += self->before[i] & 1;
		if (self->before[i] & 1)
			kept += self->after[i] & 1;
	}
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		for (p = at[i] / PAGE; p < (at[i] + CHUNK) / PAGE; p++) {
			if ((self->before[p] & 1) || !(self->after[p] & 1))
				continue;
			if (!brought++)
				TH_LOG("page %u was copied and left", p);
		}
	}
	for (i = 0; i < sizeof(hot) / sizeof(hot[0]); i++)
		EXPECT_TRUE(self->after[hot[i]] & 1) TH_LOG("page %u", hot[i]);
	EXPECT_EQ(had, kept);
	EXPECT_EQ(0, brought);
}

TEST_HARNESS_MAIN
