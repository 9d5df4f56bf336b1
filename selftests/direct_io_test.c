// SPDX-License-Identifier: GPL-2.0
/*
 * direct_io_test - a database the owner opened with O_DIRECT (as servers
 * that bypass the page cache do) is attached all the same, and its backup
 * reads it with any alignment: the kernel holds a buffered open of the same
 * file (kmod/files.c), since an O_DIRECT read of an unaligned chunk fails.
 *
 * O_DIRECT needs a file system with it: the VM's ext4 disk (jet_disk.h);
 * the test skips, saying so, without one.
 */
#include "jet_test.h"
#include "jet_disk.h"
#include "kselftest_harness.h"

#define DB_SIZE		(256 * 1024 + 123)
#define CHUNK		1000	/* no multiple of any block size */

FIXTURE(dio) {
	char path[128];
	int own, agent, no_disk;
	uint64_t inst;
};

FIXTURE_SETUP(dio)
{
	char name[64];
	int ret = jt_disk_mount();

	self->own = self->agent = -1;
	if (ret == -ENODEV) {
		self->no_disk = 1;
		SKIP(return, "the VM has no virtio disk (%s)", JT_DISK_SERIAL);
	}
	ASSERT_EQ(0, ret) TH_LOG("mount %s: %s", JT_DISK_MNT, strerror(-ret));
	snprintf(self->path, sizeof(self->path), "%s/direct_io_test-%d.edb",
		 JT_DISK_MNT, (int)getpid());
	ASSERT_EQ(0, jt_make_file(self->path, DB_SIZE, jt_seed_of(3)));
	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	snprintf(name, sizeof(name), "dio-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
}

FIXTURE_TEARDOWN(dio)
{
	if (self->agent >= 0)
		close(self->agent);
	if (self->own >= 0)
		close(self->own);
	if (!self->no_disk)
		unlink(self->path);
}

TEST_F(dio, database_opened_with_o_direct_is_copied_whole_at_any_alignment)
{
	static char buf[CHUNK + 1];
	struct jet_attach a = {
		.instance = self->inst,
		.name = (uintptr_t)self->path,
	};
	uint64_t size = 0, h = 0, total = 0;
	ssize_t n;
	int fd;

	if (self->no_disk)
		SKIP(return, "no disk");
	a.fd = open(self->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, a.fd) TH_LOG("O_DIRECT open: %s", strerror(errno));
	ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_ATTACH_DB, &a));
	close(a.fd);

	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	fd = jt_raw_open_file(self->agent, self->inst, self->path, &size);
	ASSERT_LE(0, fd);
	EXPECT_EQ(DB_SIZE, size);
	/* odd buffer address, odd length: O_DIRECT would refuse both */
	while ((n = read(fd, buf + 1, CHUNK)) > 0) {
		h = jt_digest(h, buf + 1, n);
		total += n;
	}
	EXPECT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
	close(fd);
	EXPECT_EQ(DB_SIZE, total);
	EXPECT_EQ(jt_file_digest(self->path), h);
	EXPECT_EQ(0, jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst,
			       JET_END_ABORT));
}

TEST_HARNESS_MAIN
