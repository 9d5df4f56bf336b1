/* SPDX-License-Identifier: MIT */
/*
 * The one errno <-> JET error table, as X(JET name, JET value,
 * errno) rows over the uapi header's JET_ERRNO_* values. libjet maps with it;
 * tests iterate it.
 */
#ifndef LIBJET_ERRNO_TABLE_H
#define LIBJET_ERRNO_TABLE_H

#include "../uapi/jet_ioctl.h"

#define JET_ERRNO_TABLE(X)						\
	X(JET_errBackupInProgress, -505, JET_ERRNO_BACKUP_IN_PROGRESS) \
	X(JET_errNoBackup, -520, JET_ERRNO_NO_BACKUP) \
	X(JET_errInvalidBackupSequence, -521, JET_ERRNO_INVALID_BACKUP_SEQUENCE) \
	X(JET_errLogWriteFail, -510, JET_ERRNO_LOG_WRITE_FAIL) \
	X(JET_errMissingFullBackup, -560, JET_ERRNO_MISSING_FULL_BACKUP) \
	X(JET_errMissingFileToBackup, -569, JET_ERRNO_MISSING_FILE_TO_BACKUP) \
	X(JET_errLogFileNotCopied, -616, JET_ERRNO_LOG_FILE_NOT_COPIED) \
	X(JET_errBackupAbortByServer, -801, JET_ERRNO_BACKUP_ABORT_BY_SERVER) \
	X(JET_errTermInProgress, -1000, JET_ERRNO_TERM_IN_PROGRESS) \
	X(JET_errFeatureNotAvailable, -1001, JET_ERRNO_FEATURE_NOT_AVAILABLE) \
	X(JET_errInvalidName, -1002, JET_ERRNO_INVALID_NAME) \
	X(JET_errInvalidParameter, -1003, JET_ERRNO_INVALID_PARAMETER) \
	X(JET_errOutOfMemory, -1011, JET_ERRNO_OUT_OF_MEMORY) \
	X(JET_errOutOfFileHandles, -1020, JET_ERRNO_OUT_OF_FILE_HANDLES) \
	X(JET_errDiskIO, -1022, JET_ERRNO_DISK_IO) \
	X(JET_errInvalidPath, -1023, JET_ERRNO_INVALID_PATH) \
	X(JET_errNotInitialized, -1029, JET_ERRNO_NOT_INITIALIZED) \
	X(JET_errAlreadyInitialized, -1030, JET_ERRNO_ALREADY_INITIALIZED) \
	X(JET_errFileAccessDenied, -1032, JET_ERRNO_FILE_ACCESS_DENIED) \
	X(JET_errBufferTooSmall, -1038, JET_ERRNO_BUFFER_TOO_SMALL) \
	X(JET_errRunningInOneInstanceMode, -1080, JET_ERRNO_RUNNING_IN_ONE_INSTANCE_MODE) \
	X(JET_errRunningInMultiInstanceMode, -1081, JET_ERRNO_RUNNING_IN_MULTI_INSTANCE_MODE) \
	X(JET_errSystemParamsAlreadySet, -1082, JET_ERRNO_SYSTEM_PARAMS_ALREADY_SET) \
	X(JET_errInstanceNameInUse, -1086, JET_ERRNO_INSTANCE_NAME_IN_USE) \
	X(JET_errDatabaseDuplicate, -1201, JET_ERRNO_DATABASE_DUPLICATE) \
	X(JET_errDatabaseNotFound, -1203, JET_ERRNO_DATABASE_NOT_FOUND) \
	X(JET_errTooManyInstances, -1214, JET_ERRNO_TOO_MANY_INSTANCES) \
	X(JET_errClientRequestToStopJetService, -1329, JET_ERRNO_CLIENT_REQUEST_TO_STOP_JET_SERVICE) \
	X(JET_errFileNotFound, -1811, JET_ERRNO_FILE_NOT_FOUND) \
	X(JET_errFileIOBeyondEOF, -4001, JET_ERRNO_FILE_IO_BEYOND_EOF) \
	X(JET_errOSSnapshotInvalidSequence, -2401, JET_ERRNO_OS_SNAPSHOT_INVALID_SEQUENCE) \
	X(JET_errOSSnapshotTimeOut, -2402, JET_ERRNO_OS_SNAPSHOT_TIME_OUT) \
	X(JET_errOSSnapshotNotAllowed, -2403, JET_ERRNO_OS_SNAPSHOT_NOT_ALLOWED) \
	X(JET_errOSSnapshotInvalidSnapId, -2404, JET_ERRNO_OS_SNAPSHOT_INVALID_SNAP_ID)

#define JET_ERRNO_ALIASES(X)						\
	X(JET_errFileAccessDenied, -1032, JET_ERRNO_FILE_ACCESS_DENIED_CAP) \
	X(JET_errTooManyInstances, -1214, JET_ERRNO_TOO_MANY_INSTANCES_USER) \
	X(JET_errInvalidPath, -1023, JET_ERRNO_INVALID_PATH_NOT_REGULAR) \
	X(JET_errInvalidPath, -1023, JET_ERRNO_INVALID_PATH_LOOP) \
	X(JET_errFileNotFound, -1811, JET_ERRNO_FILE_NOT_FOUND_NOT_DIR) \
	X(JET_errInvalidParameter, -1003, JET_ERRNO_INVALID_PARAMETER_FD) \
	X(JET_errInvalidParameter, -1003, JET_ERRNO_INVALID_PARAMETER_FAULT) \
	X(JET_errInvalidParameter, -1003, JET_ERRNO_INVALID_PARAMETER_COMMAND) \
	X(JET_errInvalidParameter, -1003, JET_ERRNO_INVALID_PARAMETER_SIZE)

#endif
