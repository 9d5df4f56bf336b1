// SPDX-License-Identifier: GPL-2.0
/*
 * backup_fd_test - what a backup file descriptor says about itself
 * (kmod/bfile.c, jet(4)): /proc/PID/fdinfo shows its instance, kind, size
 * and status; JET_FILE_IOC_ID gives an id of its own, the same for a dup,
 * and refuses a struct too small or a pointer it cannot write.
 *
 * The test process is the owner (one /dev/jet context, a roller thread
 * answering its roll requests) and the agent (another context).
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define DB_SIZE		(96 * 1024 + 5)
#define LOG_SIZE	8192

FIXTURE(bfd) {
	char dir[64];
	char db[128];
	char pattern[128];
	int own, agent;
	uint64_t inst;
	struct jt_roller roller;
};

FIXTURE_SETUP(bfd)
{
	char name[64], path[160];
	int fd;

	strcpy(self->dir, "/tmp/jet-bfd-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/db.edb", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, 7));
	snprintf(self->pattern, sizeof(self->pattern), "%s/edb%%05lX.log",
		 self->dir);
	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	snprintf(name, sizeof(name), "bfd-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	ASSERT_EQ(0, jt_raw_attach(self->own, self->inst, self->db));
	snprintf(path, sizeof(path), self->pattern, 1UL);
	fd = jt_open_new_file(path, LOG_SIZE, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, jt_raw_add_log_fd(self->own, self->inst, path, 1, fd));
	close(fd);
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				1));
	ASSERT_EQ(0, jt_roller_start(&self->roller, self->own, self->pattern,
				     LOG_SIZE));
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
}

FIXTURE_TEARDOWN(bfd)
{
	jt_roller_stop(&self->roller);
	close(self->agent);
	close(self->own);
	jt_rm_tree(self->dir);
}

/* The value of key in fd's fdinfo, or -1 if it is not there. */
static int fdinfo_of(int fd, const char *key, char *val, size_t size)
{
	char path[64], line[256];
	size_t n = strlen(key);
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, n) || line[n] != ':')
			continue;
		snprintf(val, size, "%s", line + n + 1 + strspn(line + n + 1,
								 " \t"));
		val[strcspn(val, "\n")] = 0;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static long fdinfo_num(int fd, const char *key)
{
	char val[64];

	if (fdinfo_of(fd, key, val, sizeof(val)))
		return -99999;
	return strtol(val, NULL, 10);
}

TEST_F(bfd, fdinfo_describes_a_database_file)
{
	char kind[32] = "";
	uint64_t size = 0;
	int fd = jt_raw_open_file(self->agent, self->inst, self->db, &size);

	ASSERT_LE(0, fd);
	EXPECT_EQ((long)self->inst, fdinfo_num(fd, "jet-instance"));
	ASSERT_EQ(0, fdinfo_of(fd, "jet-kind", kind, sizeof(kind)));
	EXPECT_STREQ("database", kind);
	EXPECT_EQ(DB_SIZE, fdinfo_num(fd, "jet-size"));
	EXPECT_EQ(DB_SIZE, size);
	EXPECT_EQ(0, fdinfo_num(fd, "jet-status"));
	close(fd);
}

TEST_F(bfd, fdinfo_describes_a_log_file_and_a_stop)
{
	static char names[4096];
	struct jet_log_list ll = {
		.instance = self->inst,
		.buf = (uintptr_t)names,
		.buf_size = sizeof(names),
	};
	char kind[32] = "";
	int fd;

	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll));
	fd = jt_raw_open_file(self->agent, self->inst, names, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fdinfo_of(fd, "jet-kind", kind, sizeof(kind)));
	EXPECT_STREQ("log", kind);
	EXPECT_EQ(LOG_SIZE, fdinfo_num(fd, "jet-size"));
	EXPECT_EQ(0, fdinfo_num(fd, "jet-status"));
	ASSERT_EQ(0, jt_raw_op(self->own, JET_IOC_STOP_BACKUP, self->inst, 0));
	EXPECT_EQ(-ECANCELED, fdinfo_num(fd, "jet-status"));
	close(fd);
}

TEST_F(bfd, file_id_is_its_own_and_shared_by_a_dup)
{
	struct jet_file_id a = { 0 }, b = { 0 }, d = { 0 };
	int fa = jt_raw_open_file(self->agent, self->inst, self->db, NULL);
	int fb = jt_raw_open_file(self->agent, self->inst, self->db, NULL);
	int fd = dup(fa);

	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, jt_ioctl(fa, JET_FILE_IOC_ID, &a));
	ASSERT_EQ(0, jt_ioctl(fb, JET_FILE_IOC_ID, &b));
	ASSERT_EQ(0, jt_ioctl(fd, JET_FILE_IOC_ID, &d));
	EXPECT_NE(0, a.id);
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(a.id, d.id);
	close(fd);
	close(fb);
	close(fa);
}

TEST_F(bfd, file_id_refuses_a_struct_too_small)
{
	unsigned char small[sizeof(struct jet_file_id)];
	unsigned long cmd = _IOC(_IOC_READ, JET_IOC_MAGIC,
				 _IOC_NR(JET_FILE_IOC_ID),
				 sizeof(struct jet_file_id) - 1);
	int fd = jt_raw_open_file(self->agent, self->inst, self->db, NULL);

	ASSERT_LE(0, fd);
	memset(small, 0x5a, sizeof(small));
	EXPECT_EQ(-EINVAL, jt_ioctl(fd, cmd, small));
	EXPECT_EQ(0x5a, small[0]);
	close(fd);
}

TEST_F(bfd, file_id_into_read_only_memory_faults)
{
	struct jet_file_id id = { 0 }, *ro = jt_ro_copy(&id, sizeof(id));
	int fd = jt_raw_open_file(self->agent, self->inst, self->db, NULL);

	ASSERT_NE(NULL, ro);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, jt_ioctl(fd, JET_FILE_IOC_ID, ro));
	EXPECT_EQ(0, ro->id);
	munmap(ro, 4096);
	close(fd);
}

TEST_HARNESS_MAIN
