// SPDX-License-Identifier: MIT
/*
 * errors.c - jetctl's messages: every JET error names its code and says what
 * the person at the terminal can do about it.
 *
 * libjet's JetErrorText() speaks to programmers ("call JetInit first"); the
 * table below speaks to whoever runs jetctl, for the codes that jetctl's own
 * calls can meet. Other codes fall back to JetErrorText().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jetctl.h"

static const struct {
	JET_ERR err;
	const char *advice;
} jetctl_advice[] = {
	{ JET_errBackupAbortByServer,
	  "the server stopped this backup; run it again when the server allows" },
	{ JET_errClientRequestToStopJetService,
	  "the server has stopped its service; back up again after the server restarted" },
	{ JET_errBackupInProgress,
	  "another backup of this instance is running; wait for it to end, or stop it with 'jetctl stop'" },
	{ JET_errBackupNotAllowedYet,
	  "the instance is not initialized yet; wait until its server has started" },
	{ JET_errMissingFullBackup,
	  "no full backup of this instance exists yet; take a full backup first (without --incremental)" },
	{ JET_errMissingLogFile,
	  "a log generation is missing, so an incremental backup cannot follow on; take a full backup" },
	{ JET_errMissingFileToBackup,
	  "a file left the instance while the backup ran; run the backup again" },
	{ JET_errDatabaseNotFound,
	  "a database was detached while the backup ran; run the backup again" },
	{ JET_errLogFileNotCopied,
	  "not every log was copied, so the logs were not truncated; run the backup again" },
	{ JET_errFileAccessDenied,
	  "permission denied: run as the instance owner's user or as root (backups need CAP_DAC_READ_SEARCH, stops CAP_SYS_ADMIN)" },
	{ JET_errInvalidParameter,
	  "no such instance (it may have just ended); see 'jetctl list'" },
	{ JET_errInvalidInstance,
	  "no such instance (it may have just ended); see 'jetctl list'" },
	{ JET_errTermInProgress,
	  "the instance is shutting down; nothing can be done with it any more" },
	{ JET_errNoBackup,
	  "no backup is running on this instance any more (its server may have ended it)" },
	{ JET_errInvalidBackupSequence,
	  "the server changed the backup under jetctl's feet; run the backup again" },
	{ JET_errInvalidGrbit,
	  "the module refused this combination of flags; see 'jetctl --help'" },
	{ JET_errOutOfMemory,
	  "out of memory; free some memory and try again" },
	{ JET_errDiskIO,
	  "an I/O or unexpected system error; check the kernel log (dmesg)" },
	/* jetctl snapshot */
	{ JET_errOSSnapshotTimeOut,
	  "the freeze ran into its timeout (the server did not pause its writes or roll its log in time); run the snapshot again, perhaps with a longer --timeout" },
	{ JET_errOSSnapshotNotAllowed,
	  "the instance is in another snapshot session (another snapshot runs); wait for it to end" },
	{ JET_errOSSnapshotInvalidSequence,
	  "the snapshot session ended under jetctl's feet (its freeze ended by itself); run the snapshot again" },
};

bool jetctl_is_server_stop(JET_ERR err)
{
	return err == JET_errBackupAbortByServer ||
	       err == JET_errClientRequestToStopJetService;
}

static const char *jetctl_advice_for(JET_ERR err)
{
	size_t i;

	/* the usual cause of "not available": the module is not loaded */
	if (err == JET_errFeatureNotAvailable) {
		if (access("/dev/jet", F_OK) != 0)
			return "/dev/jet does not exist: load the jet module (modprobe jet) and try again";
		return "/dev/jet is not a jet device of this version; load the jet module that matches this jetctl";
	}
	for (i = 0; i < ARRAY_SIZE(jetctl_advice); i++)
		if (jetctl_advice[i].err == err)
			return jetctl_advice[i].advice;
	return JetErrorText(err);
}

int jetctl_jet_error(const char *what, JET_ERR err)
{
	fprintf(stderr, "jetctl: %s: %s (%ld): %s\n", what, JetErrorName(err),
		(long)err, jetctl_advice_for(err));
	return jetctl_is_server_stop(err) ? JETCTL_EXIT_STOPPED :
					     JETCTL_EXIT_ERROR;
}

int jetctl_sys_error(const char *what, ...)
{
	int err = errno;
	va_list ap;

	fputs("jetctl: ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return JETCTL_EXIT_ERROR;
}

int jetctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jetctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jetctl --help'.\n", stderr);
	return JETCTL_EXIT_USAGE;
}

int jetctl_bad_option(const char *cmd, const char *arg)
{
	fprintf(stderr, "jetctl: %s: unknown option '%s'\nTry 'jetctl %s --help'.\n",
		cmd, arg, cmd);
	return JETCTL_EXIT_USAGE;
}

void jetctl_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("jetctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
