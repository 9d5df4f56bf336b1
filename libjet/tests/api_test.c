// SPDX-License-Identifier: MIT
/*
 * api_test - what libjet decides without the kernel: grbits, NULL pointers,
 * over-long names and paths, unknown sessions and handles; and, where
 * /dev/jet does not exist, that every call says JET_errFeatureNotAvailable.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jet.h"
#include "tests/check.h"

static char long_name[JET_NAME_MAX + 2];
static char long_path[JET_PATH_MAX + 2];

static void grbits_checked_first(void)
{
	JET_INSTANCE inst = 1;

	CHECK_ERR(JetCreateInstance2(&inst, "x", NULL, 1), JET_errInvalidGrbit);
	CHECK_ERR(JetInit2(&inst, 1), JET_errInvalidGrbit);
	CHECK_ERR(JetInit2(NULL, 0x100), JET_errInvalidGrbit);
	CHECK_ERR(JetTerm2(1, 0x10), JET_errInvalidGrbit);
	CHECK_ERR(JetTerm2(1, 0x80000000), JET_errInvalidGrbit);
	CHECK_ERR(JetBeginExternalBackupInstance(1, 2), JET_errInvalidGrbit);
	CHECK_ERR(JetBeginExternalBackupInstance(1, 0x100),
		  JET_errInvalidGrbit);
	CHECK_ERR(JetEndExternalBackupInstance2(1, 0x4), JET_errInvalidGrbit);
	CHECK_ERR(JetEndExternalBackupInstance2(1, 0x1 | 0x200),
		  JET_errInvalidGrbit);
	/* not exactly one of Normal/Abort: the spec's InvalidParameter */
	CHECK_ERR(JetEndExternalBackupInstance2(1, 0), JET_errInvalidParameter);
	CHECK_ERR(JetEndExternalBackupInstance2(1, JET_bitBackupEndNormal |
						   JET_bitBackupEndAbort),
		  JET_errInvalidParameter);
	CHECK_ERR(JetEndExternalBackupInstance2(1, JET_bitBackupTruncateDone),
		  JET_errInvalidParameter);
	CHECK_ERR(JetStopServiceInstance2(1, 1), JET_errInvalidGrbit);
	CHECK_ERR(JetStopServiceInstance2(1, 0x8), JET_errInvalidGrbit);
	CHECK_ERR(JetStopServiceInstance2(1, JET_bitStopServiceResume |
					     JET_bitStopServiceQuiesceCaches),
		  JET_errInvalidGrbit);
	CHECK_ERR(JetStopServiceInstance2(1, JET_bitStopServiceResume |
					     JET_bitStopServiceBackgroundUserTasks),
		  JET_errInvalidGrbit);
	CHECK_ERR(JetEndSession(1, 1), JET_errInvalidGrbit);
	CHECK_ERR(JetAttachDatabase(1, "/etc/hostname", 2),
		  JET_errInvalidGrbit);
	CHECK(inst == 1);	/* nothing written on failure */
}

static void bad_arguments(void)
{
	JET_INSTANCE inst;
	JET_HANDLE h;
	unsigned long lo, hi, n, first, last;
	char buf[16];

	CHECK_ERR(JetCreateInstance(NULL, "x"), JET_errInvalidParameter);
	CHECK_ERR(JetCreateInstance2(NULL, "x", "y", 0),
		  JET_errInvalidParameter);
	CHECK_ERR(JetCreateInstance(&inst, long_name), JET_errInvalidName);
	CHECK_ERR(JetCreateInstance2(&inst, "x", long_name, 0),
		  JET_errInvalidName);
	CHECK_ERR(JetGetInstanceInfo(NULL, NULL), JET_errInvalidParameter);
	CHECK_ERR(JetGetInstanceInfo(&n, NULL), JET_errInvalidParameter);
	CHECK_ERR(JetEnableMultiInstance(NULL, 2, &n), JET_errInvalidParameter);
	CHECK(n == 0);
	CHECK_ERR(JetBeginSession(1, NULL, NULL, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetOpenFileInstance(1, "x", NULL, &lo, &hi),
		  JET_errInvalidParameter);
	CHECK_ERR(JetOpenFileInstance(1, "x", &h, NULL, &hi),
		  JET_errInvalidParameter);
	CHECK_ERR(JetOpenFileInstance(1, "x", &h, &lo, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetOpenFileInstance(1, NULL, &h, &lo, &hi),
		  JET_errInvalidParameter);
	CHECK_ERR(JetOpenFileInstance(1, long_path, &h, &lo, &hi),
		  JET_errInvalidPath);
	CHECK_ERR(JetAddLogFileInstance(1, long_path, 1), JET_errInvalidPath);
	CHECK_ERR(JetAddLogFileInstance(1, "", 1), JET_errInvalidParameter);
	CHECK_ERR(JetAddLogFileInstance(1, NULL, 1), JET_errInvalidParameter);
	CHECK_ERR(JetLockWriteRangeInstance(1, "db", 0, 1, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetLockWriteRangeInstance(1, long_path, 0, 1, &h),
		  JET_errInvalidPath);
	CHECK_ERR(JetGetAttachInfoInstance(1, NULL, 5, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetLogInfoInstance(1, NULL, 5, &n),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetTruncateLogInfoInstance(1, NULL, 1, &n),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetLogTruncationEvent(NULL, &first, &last),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetLogTruncationEvent(&inst, NULL, &last),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetInstanceStateInstance(1, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetGetNotificationFd(NULL), JET_errInvalidParameter);
	CHECK_ERR(JetFreeBuffer(NULL), JET_errSuccess);

	/* sessions and backup handles libjet never gave out */
	CHECK_ERR(JetEndSession(0, 0), JET_errInvalidParameter);
	CHECK_ERR(JetEndSession(12345, 0), JET_errInvalidParameter);
	CHECK_ERR(JetAttachDatabase(7, "/etc/hostname", 0),
		  JET_errInvalidParameter);
	CHECK_ERR(JetDetachDatabase(7, "x"), JET_errInvalidParameter);
	CHECK_ERR(JetDetachDatabase(7, NULL), JET_errInvalidParameter);
	CHECK_ERR(JetReadFileInstance(1, 0, buf, sizeof(buf), &n),
		  JET_errInvalidParameter);
	CHECK(n == 0);
	CHECK_ERR(JetReadFileInstance(1, 1, buf, sizeof(buf), NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetReadFileInstance(1, JET_handleNil, buf, 1, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetReadFileInstance(1, 3, NULL, 1, NULL),
		  JET_errInvalidParameter);
	CHECK_ERR(JetCloseFileInstance(1, 2), JET_errInvalidParameter);
	CHECK(fcntl(2, F_GETFD) != -1);	/* not closed by mistake */
}

/* this host has no module: every call that needs it says so */
static void without_module(void)
{
	JET_INSTANCE_INFO *info = (JET_INSTANCE_INFO *)&info;
	JET_INSTANCE inst = 0;
	unsigned long n = 77;
	JET_SESID ses;
	int fd, status;
	pid_t pid;

	CHECK_ERR(JetGetInstanceInfo(&n, &info), JET_errFeatureNotAvailable);
	CHECK(n == 0 && info == NULL);
	CHECK_ERR(JetCreateInstance(&inst, "x"), JET_errFeatureNotAvailable);
	CHECK(inst == 0);
	CHECK_ERR(JetEnableMultiInstance(NULL, 0, NULL),
		  JET_errFeatureNotAvailable);
	CHECK_ERR(JetInit(NULL), JET_errFeatureNotAvailable);
	CHECK_ERR(JetInit(&inst), JET_errFeatureNotAvailable);
	CHECK_ERR(JetTerm(1), JET_errFeatureNotAvailable);
	CHECK_ERR(JetBeginSession(1, &ses, "u", "p"),
		  JET_errFeatureNotAvailable);
	CHECK_ERR(JetBeginExternalBackupInstance(1, 0),
		  JET_errFeatureNotAvailable);
	CHECK_ERR(JetStopBackup(), JET_errFeatureNotAvailable);
	CHECK_ERR(JetStopService(), JET_errFeatureNotAvailable);
	CHECK_ERR(JetStopServiceInstance(1), JET_errFeatureNotAvailable);
	CHECK_ERR(JetGetNotificationFd(&fd), JET_errFeatureNotAvailable);
	/* a file to attach is checked before the kernel is asked */
	CHECK_ERR(JetAddLogFileInstance(1, "/nonexistent/jet/log", 1),
		  JET_errFileNotFound);
	CHECK_ERR(JetAddLogFileInstance(1, "/", 1), JET_errInvalidPath);
	CHECK_ERR(JetAddLogFileInstance(1, "/dev/null", 1), JET_errInvalidPath);

	/* and in a child after fork */
	pid = fork();
	if (pid == 0)
		_exit(JetCreateInstance(&inst, NULL) ==
		      JET_errFeatureNotAvailable ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(long_path, 'p', sizeof(long_path) - 1);

	grbits_checked_first();
	bad_arguments();
	if (access("/dev/jet", F_OK) == 0)
		printf("api_test: /dev/jet exists, skipping the no-module checks\n");
	else
		without_module();
	return check_done("api_test");
}
