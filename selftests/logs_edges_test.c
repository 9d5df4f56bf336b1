// SPDX-License-Identifier: GPL-2.0
/*
 * logs_edges_test - the log phase's edges (kmod/logs.c, SPEC 6.6 and 6.7):
 * a log counts as copied only once every byte of it was delivered, however
 * scattered the reads and however many pieces they make; a copied log
 * stays copied; an incremental after an aborted backup that truncated the
 * logs finds the gap; a log list that cannot be written fails and the next
 * call gets the same copy set.
 *
 * The test process is the owner (one /dev/jet context, a roller thread
 * answering its roll requests) and the agent (another context), on the raw
 * ioctls.
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define LOG_SIZE	4096	/* > 2 * 1024 one-byte pieces */
#define NLOGS		3

FIXTURE(lgx) {
	char dir[64];
	char pattern[128];
	int own, agent;
	uint64_t inst;
	struct jt_roller roller;
};

static void log_path(FIXTURE_DATA(lgx) *self, uint64_t g, char *buf,
		     size_t size)
{
	snprintf(buf, size, self->pattern, (unsigned long)g);
}

FIXTURE_SETUP(lgx)
{
	char name[64], path[160];
	int fd;
	uint64_t g;

	strcpy(self->dir, "/tmp/jet-lgx-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->pattern, sizeof(self->pattern), "%s/edb%%05lX.log",
		 self->dir);
	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	snprintf(name, sizeof(name), "lgx-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	for (g = 1; g <= NLOGS; g++) {
		log_path(self, g, path, sizeof(path));
		fd = jt_open_new_file(path, LOG_SIZE, g);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, jt_raw_add_log_fd(self->own, self->inst, path, g,
					       fd));
		close(fd);
	}
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				1));
	ASSERT_EQ(0, jt_roller_start(&self->roller, self->own, self->pattern,
				     LOG_SIZE));
}

FIXTURE_TEARDOWN(lgx)
{
	jt_roller_stop(&self->roller);
	close(self->agent);
	close(self->own);
	jt_rm_tree(self->dir);
}

/* The copy set of the agent's backup (the roll answered): 0 or -errno. */
static int log_list(FIXTURE_DATA(lgx) *self, uint64_t *low, uint64_t *high)
{
	static char names[65536];
	struct jet_log_list ll = {
		.instance = self->inst,
		.buf = (uintptr_t)names,
		.buf_size = sizeof(names),
	};
	int ret = jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll);

	*low = ll.gen_low;
	*high = ll.gen_high;
	return ret;
}

/* Opens log g of the backup and reads it whole: 0 or -errno. */
static int copy_log(FIXTURE_DATA(lgx) *self, uint64_t g)
{
	char path[160], buf[LOG_SIZE];
	int fd, ret = 0;
	ssize_t n;

	log_path(self, g, path, sizeof(path));
	fd = jt_raw_open_file(self->agent, self->inst, path, NULL);
	if (fd < 0)
		return fd;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A full backup to its copy set: its range in *low..*high. */
static void begin_to_logs(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lgx) *self, uint64_t *low,
			  uint64_t *high)
{
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	ASSERT_EQ(0, log_list(self, low, high));
	ASSERT_LE(*low, *high);
}

static void copy_logs(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lgx) *self, uint64_t low, uint64_t high)
{
	uint64_t g;

	for (g = low; g <= high; g++)
		ASSERT_EQ(0, copy_log(self, g)) TH_LOG("log %lu",
						       (unsigned long)g);
}

TEST_F(lgx, scattered_reads_beyond_the_range_limit_never_count_a_missing_byte)
{
	uint64_t low, high;
	char path[160], c;
	off_t off;
	int fd;

	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				NLOGS));
	begin_to_logs(_metadata, self, &low, &high);
	ASSERT_EQ(NLOGS, low);
	copy_logs(_metadata, self, low + 1, high);

	log_path(self, low, path, sizeof(path));
	fd = jt_raw_open_file(self->agent, self->inst, path, NULL);
	ASSERT_LE(0, fd);
	/* 2048 one-byte pieces apart, then every gap but the first byte's */
	for (off = 1; off < LOG_SIZE; off += 2)
		ASSERT_EQ(1, pread(fd, &c, 1, off));
	for (off = 2; off < LOG_SIZE; off += 2)
		ASSERT_EQ(1, pread(fd, &c, 1, off));
	close(fd);
	EXPECT_EQ(-EINPROGRESS, jt_raw_op(self->agent, JET_IOC_TRUNCATE_LOG,
					  self->inst, 0));

	/* one whole pass delivers it, whatever was recorded before */
	ASSERT_EQ(0, copy_log(self, low));
	EXPECT_EQ(0, jt_raw_op(self->agent, JET_IOC_TRUNCATE_LOG, self->inst,
			       0));
	EXPECT_EQ(0, jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst,
			       JET_END_NORMAL));
}

TEST_F(lgx, rereading_a_copied_log_keeps_it_copied)
{
	uint64_t low, high;
	char path[160], buf[64];
	int fd;

	begin_to_logs(_metadata, self, &low, &high);
	copy_logs(_metadata, self, low, high);
	log_path(self, low, path, sizeof(path));
	fd = jt_raw_open_file(self->agent, self->inst, path, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), 100));
	EXPECT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), 0));
	close(fd);
	EXPECT_EQ(0, jt_raw_op(self->agent, JET_IOC_TRUNCATE_LOG, self->inst,
			       0));
}

TEST_F(lgx, incremental_after_an_aborted_backup_truncated_the_logs_has_a_gap)
{
	struct jet_log_list ll = { .flags = JET_LOGS_NO_WAIT };
	struct jet_instance_state st;
	uint64_t low, high;

	/* a full backup: the next incremental starts after its logs */
	begin_to_logs(_metadata, self, &low, &high);
	copy_logs(_metadata, self, low, high);
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst,
			       JET_END_NORMAL));

	/* another one truncates every log, then aborts: no record of it */
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				high + 1));
	begin_to_logs(_metadata, self, &low, &high);
	copy_logs(_metadata, self, low, high);
	ASSERT_EQ(0, jt_raw_u64(self->own, JET_IOC_SET_CHECKPOINT, self->inst,
				high + 1));
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_TRUNCATE_LOG, self->inst,
			       0));
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_END_BACKUP, self->inst,
			       JET_END_ABORT));
	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	ASSERT_EQ(0, st.log_count);

	/* the logs after the full backup are gone: a gap, nothing changes */
	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       JET_BACKUP_INCREMENTAL));
	ll.instance = self->inst;
	EXPECT_EQ(-ENOMEDIUM, jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll));
	EXPECT_EQ(0, ll.status);
	memset(&ll, 0, sizeof(ll));
	ll.instance = self->inst;
	ll.flags = JET_LOGS_NO_WAIT;
	EXPECT_EQ(-ENOMEDIUM, jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll));
}

/* the owner registered one generation since the setup, the roll's */
static void expect_one_roll(struct __test_metadata *_metadata,
			    FIXTURE_DATA(lgx) *self)
{
	struct jet_instance_state st;

	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	EXPECT_EQ(NLOGS + 1, st.newest_log);
	EXPECT_EQ(NLOGS + 1, st.log_count);
}

TEST_F(lgx, log_info_whose_size_cannot_be_written_faults_and_keeps_the_set)
{
	static char names[4096];
	struct jet_name_list nl = {
		.buf = (uintptr_t)names,
		.buf_size = sizeof(names),
	}, *ro;
	uint64_t low, high;

	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	nl.instance = self->inst;
	ro = jt_ro_copy(&nl, sizeof(nl));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->agent, JET_IOC_GET_LOG_INFO, ro));
	munmap(ro, 4096);
	/* the roll was done once: the copy set stands */
	ASSERT_EQ(0, log_list(self, &low, &high));
	EXPECT_EQ(1, low);
	EXPECT_EQ(NLOGS + 1, high);
	/* one roll only: a second would have moved the set's end */
	expect_one_roll(_metadata, self);
}

TEST_F(lgx, log_list_into_a_bad_buffer_faults_and_keeps_the_set)
{
	struct jet_log_list ll = { .buf = 16, .buf_size = 4096 };
	uint64_t low, high;

	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	ll.instance = self->inst;
	EXPECT_EQ(-EFAULT, jt_ioctl(self->agent, JET_IOC_LOG_LIST, &ll));
	ASSERT_EQ(0, log_list(self, &low, &high));
	EXPECT_EQ(1, low);
	EXPECT_EQ(NLOGS + 1, high);
	/* one roll only: a second would have moved the set's end */
	expect_one_roll(_metadata, self);
}

TEST_HARNESS_MAIN
