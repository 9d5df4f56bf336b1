// SPDX-License-Identifier: GPL-2.0
/*
 * nofile_caps_test - the files the kernel holds for a user count against
 * that user's RLIMIT_NOFILE (jet(4); limits_test checks the refusal), but
 * as for descriptors in flight, CAP_SYS_RESOURCE or CAP_SYS_ADMIN lifts
 * that limit: such a user registers more logs than its limit.
 *
 * Each case runs in a child as uid 1000 with one capability kept and a
 * small RLIMIT_NOFILE; the log is one small root-owned file registered
 * under many generations.
 */
#include <sys/resource.h>

#include "jet_test.h"
#include "kselftest_harness.h"

#define NOFILE		16
#define NLOGS		(2 * NOFILE)

FIXTURE(nofile) {
	char dir[64];
	char log[128];
};

FIXTURE_SETUP(nofile)
{
	strcpy(self->dir, "/tmp/jet-nofile-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(self->log, sizeof(self->log), "%s/edb.log", self->dir);
	ASSERT_EQ(0, jt_make_file(self->log, 512, 1));
}

FIXTURE_TEARDOWN(nofile)
{
	jt_rm_tree(self->dir);
}

/*
 * As uid 1000 keeping caps, with RLIMIT_NOFILE at NOFILE: how many of
 * NLOGS registrations succeeded (exit code), or 200 + a step that failed.
 */
static int register_logs(const char *log, uint32_t caps)
{
	struct rlimit rl = { NOFILE, NOFILE };
	char name[160];
	uint64_t inst = 0;
	int fd, lfd, g, ok = 0;

	if (jt_become(1000, 1000, caps))
		return 201;
	fd = jt_raw_open();
	lfd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || lfd < 0)
		return 202;
	if (jt_raw_create(fd, NULL, NULL, &inst) ||
	    jt_raw_init(fd, inst, 0, NULL))
		return 203;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 204;
	for (g = 1; g <= NLOGS; g++) {
		snprintf(name, sizeof(name), "%s.%d", log, g);
		if (jt_raw_add_log_fd(fd, inst, name, g, lfd))
			break;
		ok++;
	}
	return ok;
}

static int run_as_user(const char *log, uint32_t caps)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(register_logs(log, caps));
	status = jt_wait_child(pid, 20000);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(nofile, without_a_capability_the_user_stops_at_its_limit)
{
	/* nothing else of uid 1000's is held: exactly its limit */
	EXPECT_EQ(NOFILE, run_as_user(self->log, 0));
}

TEST_F(nofile, cap_sys_resource_registers_beyond_the_limit)
{
	EXPECT_EQ(NLOGS, run_as_user(self->log, 1u << CAP_SYS_RESOURCE));
}

TEST_F(nofile, cap_sys_admin_registers_beyond_the_limit)
{
	EXPECT_EQ(NLOGS, run_as_user(self->log, 1u << CAP_SYS_ADMIN));
}

TEST_HARNESS_MAIN
