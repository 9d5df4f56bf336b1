// SPDX-License-Identifier: MIT
/*
 * errtext.c - JetErrorText(): one line per JET code, what it means for a jet
 * user and what to do about it.
 */
#include <stddef.h>

#include "internal.h"

struct jet_err_text {
	JET_ERR value;
	const char *text;
};

static const struct jet_err_text jet_err_texts[] = {
	{ JET_errSuccess, "success" },
	{ JET_wrnBufferTruncated,
	  "the buffer was too small and the result was cut short; call again with a larger buffer" },
	{ JET_errBackupInProgress,
	  "a backup of this instance is running; end or stop it first" },
	{ JET_errNoBackup,
	  "no backup is running on this instance; begin one first" },
	{ JET_errInvalidBackupSequence,
	  "this backup call is out of order (e.g. a file is still open, or the phase is wrong); follow the ESE backup sequence" },
	{ JET_errLogWriteFail,
	  "the owner did not roll its log in time (roll_timeout_ms): the backup failed; make the owner answer roll requests, then back up again" },
	{ JET_errBackupNotAllowedYet,
	  "the instance is not ready for a backup yet; wait and retry" },
	{ JET_errMissingLogFile,
	  "a log generation needed by this backup is not registered; take a full backup" },
	{ JET_errMissingFullBackup,
	  "an incremental backup needs an earlier full backup; take a full backup first" },
	{ JET_errMissingFileToBackup,
	  "that file is not part of this backup, or a log generation the backup needs is missing; open only the names the backup lists, or take a full backup" },
	{ JET_errLogFileNotCopied,
	  "not every byte of every log of the backup was read; read each log whole before truncating" },
	{ JET_errBackupAbortByServer,
	  "the backup was stopped by the owner or an administrator; end it (it counts as aborted) and begin again later" },
	{ JET_errInvalidGrbit,
	  "a grbit argument has a bit this call does not accept; check the grbit" },
	{ JET_errTermInProgress,
	  "the instance is being terminated; use another instance" },
	{ JET_errFeatureNotAvailable,
	  "jet is not available: /dev/jet is missing (load the jet module) or speaks another ABI version" },
	{ JET_errInvalidName,
	  "the instance or display name is too long (over 255 bytes) or has control characters; use a shorter, printable name" },
	{ JET_errInvalidParameter,
	  "an argument is invalid (unknown or zero handle, NULL pointer, bad value); check the arguments" },
	{ JET_errOutOfMemory,
	  "out of memory; free memory and retry" },
	{ JET_errOutOfFileHandles,
	  "too many files held: the kernel holds as many files for this user as its open-file limit (RLIMIT_NOFILE) allows, or the instance has its most databases or logs; detach or truncate some, or raise the limit" },
	{ JET_errDiskIO,
	  "an I/O or unexpected system error; check the system log" },
	{ JET_errInvalidPath,
	  "the path is too long (over 4095 bytes) or not a regular file; give a regular file's path" },
	{ JET_errNotInitialized,
	  "the instance is not initialised; call JetInit first" },
	{ JET_errAlreadyInitialized,
	  "the instance is already initialised; nothing to do" },
	{ JET_errFileAccessDenied,
	  "permission denied: not the instance's owner or missing a capability; run as the owner or with the needed capability" },
	{ JET_errBufferTooSmall,
	  "the buffer is too small; call again with the size returned" },
	{ JET_errRunningInOneInstanceMode,
	  "this process runs in one-instance mode (JetInit without an instance); terminate it to switch modes" },
	{ JET_errRunningInMultiInstanceMode,
	  "this process runs in multi-instance mode; name an instance with the *Instance call" },
	{ JET_errSystemParamsAlreadySet,
	  "multi-instance mode is already enabled in this process; nothing to do" },
	{ JET_errInstanceNameInUse,
	  "an instance of that name already exists; choose another name" },
	{ JET_errInstanceUnavailable,
	  "the instance is unavailable; terminate it and create it again" },
	{ JET_errInvalidInstance,
	  "the instance handle is invalid; use a handle from JetCreateInstance or JetGetInstanceInfo" },
	{ JET_errDatabaseDuplicate,
	  "that database or log path is already registered with the instance; nothing changed" },
	{ JET_errDatabaseNotFound,
	  "no database of that name is attached to the instance; use a name from JetGetAttachInfoInstance" },
	{ JET_errTooManyInstances,
	  "too many instances (system or per-user limit); terminate unused instances" },
	{ JET_errClientRequestToStopJetService,
	  "the owner stopped the service of this instance; no backup is possible until it is terminated and created again" },
	{ JET_errFileNotFound,
	  "the file does not exist; check the path" },
	{ JET_errInvalidOperation,
	  "the operation is not valid now; check the call sequence" },
	{ JET_errFileIOBeyondEOF,
	  "a database or log became shorter than its size at open while it was backed up: the backup failed; back up again once the owner stopped shrinking it" },
	{ JET_errOSSnapshotInvalidSequence,
	  "that snapshot call is not valid in the session's state; see jet_snapshot(3) for the order" },
	{ JET_errOSSnapshotTimeOut,
	  "the freeze timed out (or the owners' writes did not pause in time) and the instances were thawed; the snapshot is not consistent, abort it" },
	{ JET_errOSSnapshotNotAllowed,
	  "the instance is in a snapshot session already; end that session first" },
	{ JET_errOSSnapshotInvalidSnapId,
	  "no snapshot session of this process has that id (it ended, or was never prepared)" },
};

const char *JetErrorText(JET_ERR err)
{
	const char *abi = libjet_abi_mismatch_text();
	size_t i;

	/* the module is there but too old: say so, with both versions */
	if (err == JET_errFeatureNotAvailable && abi)
		return abi;
	for (i = 0; i < sizeof(jet_err_texts) / sizeof(jet_err_texts[0]); i++)
		if (jet_err_texts[i].value == err)
			return jet_err_texts[i].text;
	return "unknown JET error code";
}
