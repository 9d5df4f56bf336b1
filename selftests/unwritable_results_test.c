// SPDX-License-Identifier: GPL-2.0
/*
 * unwritable_results_test - a call whose results cannot be written back
 * (its argument in read-only memory: the kernel reads it, cannot write it)
 * fails with -EFAULT (SPEC 9), and what it would have reported is still
 * there for the next call: a listing's size, the attached databases, an
 * instance's state.
 *
 * The test process is the owner (one /dev/jet context) and the agent
 * (another), on the raw ioctls.
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define DB_SIZE		(16 * 1024)

FIXTURE(unw) {
	char dir[64];
	char db[128];
	int own, agent;
	uint64_t inst;
};

FIXTURE_SETUP(unw)
{
	char name[64];

	strcpy(self->dir, "/tmp/jet-unw-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/db.edb", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, 9));
	self->own = jt_raw_open();
	self->agent = jt_raw_open();
	ASSERT_LE(0, self->own);
	ASSERT_LE(0, self->agent);
	snprintf(name, sizeof(name), "unw-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	ASSERT_EQ(0, jt_raw_attach(self->own, self->inst, self->db));
}

FIXTURE_TEARDOWN(unw)
{
	close(self->agent);
	close(self->own);
	jt_rm_tree(self->dir);
}

TEST_F(unw, listing_that_cannot_say_the_size_it_needs_faults)
{
	char small[8];
	struct jet_list l = {
		.buf = (uintptr_t)small,
		.buf_size = sizeof(small),
	}, *ro = jt_ro_copy(&l, sizeof(l));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->agent, JET_IOC_LIST_INSTANCES, ro));
	munmap(ro, 4096);
	/* the same call on writable memory says the size */
	EXPECT_EQ(-ENOBUFS, jt_ioctl(self->agent, JET_IOC_LIST_INSTANCES, &l));
	EXPECT_LT(sizeof(small), l.size);
}

TEST_F(unw, attach_info_that_cannot_say_its_size_faults_and_the_backup_goes_on)
{
	char names[256] = "";
	struct jet_name_list nl = {
		.instance = self->inst,
		.buf = (uintptr_t)names,
		.buf_size = sizeof(names),
	}, *ro;

	ASSERT_EQ(0, jt_raw_op(self->agent, JET_IOC_BEGIN_BACKUP, self->inst,
			       0));
	ro = jt_ro_copy(&nl, sizeof(nl));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->agent, JET_IOC_GET_ATTACH_INFO, ro));
	munmap(ro, 4096);
	ASSERT_EQ(0, jt_ioctl(self->agent, JET_IOC_GET_ATTACH_INFO, &nl));
	EXPECT_EQ(strlen(self->db) + 2, nl.size);
	EXPECT_STREQ(self->db, names);
}

TEST_F(unw, state_that_cannot_be_written_faults)
{
	struct jet_get_state g = { .instance = self->inst }, *ro;
	struct jet_instance_state st;

	ro = jt_ro_copy(&g, sizeof(g));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, jt_ioctl(self->own, JET_IOC_GET_STATE, ro));
	EXPECT_EQ(0, ro->state.instance);
	munmap(ro, 4096);
	ASSERT_EQ(0, jt_raw_state(self->own, self->inst, &st));
	EXPECT_EQ(self->inst, st.instance);
	EXPECT_EQ(1, st.db_count);
}

TEST_HARNESS_MAIN
