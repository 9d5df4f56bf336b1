// SPDX-License-Identifier: MIT
/*
 * errors_test - the errno <-> JET table round-trips, and every JET code has
 * a name and a text.
 */
#include <errno.h>

#include "internal.h"
#include "tests/check.h"

static const char *unknown_text;

static void row_maps_back(const char *name, long value, int eno)
{
	CHECK_ERR(libjet_err_from_errno(eno), value);
	CHECK_STR(JetErrorName(value), name);
	CHECK(strcmp(JetErrorText(value), unknown_text) != 0);
}

/* each errno of the tables stands for one JET condition */
static void errnos_unique(void)
{
	static const int errnos[] = {
#define ENO(name, value, eno) eno,
		JET_ERRNO_TABLE(ENO)
		JET_ERRNO_ALIASES(ENO)
#undef ENO
	};
	size_t n = sizeof(errnos) / sizeof(errnos[0]), i, j;
	int dups = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			dups += errnos[i] == errnos[j];
	CHECK(dups == 0);
}

/* every code of jet.h has a name and a text */
static void every_code_described(void)
{
	static const struct { long value; const char *name; } codes[] = {
#define C(x) { x, #x }
		C(JET_errSuccess), C(JET_wrnBufferTruncated),
		C(JET_errBackupInProgress), C(JET_errNoBackup),
		C(JET_errInvalidBackupSequence),
		C(JET_errBackupNotAllowedYet), C(JET_errMissingLogFile),
		C(JET_errMissingFullBackup), C(JET_errMissingFileToBackup),
		C(JET_errLogFileNotCopied), C(JET_errBackupAbortByServer),
		C(JET_errInvalidGrbit), C(JET_errTermInProgress),
		C(JET_errFeatureNotAvailable), C(JET_errInvalidName),
		C(JET_errInvalidParameter), C(JET_errOutOfMemory),
		C(JET_errDiskIO), C(JET_errInvalidPath),
		C(JET_errNotInitialized), C(JET_errAlreadyInitialized),
		C(JET_errFileAccessDenied), C(JET_errBufferTooSmall),
		C(JET_errRunningInOneInstanceMode),
		C(JET_errRunningInMultiInstanceMode),
		C(JET_errSystemParamsAlreadySet),
		C(JET_errInstanceNameInUse), C(JET_errInstanceUnavailable),
		C(JET_errInvalidInstance), C(JET_errDatabaseDuplicate),
		C(JET_errDatabaseNotFound), C(JET_errTooManyInstances),
		C(JET_errClientRequestToStopJetService),
		C(JET_errFileNotFound), C(JET_errInvalidOperation),
		C(JET_errOSSnapshotInvalidSequence),
		C(JET_errOSSnapshotTimeOut), C(JET_errOSSnapshotNotAllowed),
		C(JET_errOSSnapshotInvalidSnapId),
#undef C
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		CHECK_STR(JetErrorName(codes[i].value), codes[i].name);
		CHECK(strcmp(JetErrorText(codes[i].value), unknown_text));
		CHECK(strchr(JetErrorText(codes[i].value), '\n') == NULL);
	}
}

int main(void)
{
	unknown_text = JetErrorText(123456);

#define ROW(name, value, eno) row_maps_back(#name, value, eno);
	JET_ERRNO_TABLE(ROW)
	JET_ERRNO_ALIASES(ROW)
#undef ROW
	errnos_unique();
	every_code_described();

	/* what the tables do not list */
	CHECK_ERR(libjet_err_from_errno(0), JET_errSuccess);
	CHECK_ERR(libjet_err_from_errno(EDOM), JET_errDiskIO);
	CHECK_ERR(libjet_err_from_errno(EXDEV), JET_errDiskIO);
	CHECK_ERR(libjet_err_from_errno(99999), JET_errDiskIO);
	CHECK_ERR(libjet_err_from_errno(-1), JET_errDiskIO);

	/* the spec's stop errno */
	CHECK_ERR(libjet_err_from_errno(ECANCELED), JET_errBackupAbortByServer);
	CHECK_ERR(libjet_err_from_errno(ECONNABORTED),
		  JET_errClientRequestToStopJetService);

	CHECK_STR(JetErrorName(4242), "JET_errUnknown");
	CHECK(JetErrorText(4242) != NULL);
	return check_done("errors_test");
}
