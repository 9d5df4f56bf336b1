// SPDX-License-Identifier: MIT
/*
 * proto_check - compiled, never run: every call has ESE's exact type, so
 * code written for ESENT's backup API compiles against jet.h unchanged.
 */
#include "jet.h"

#define SAME(fn, type)							\
	_Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), \
		       #fn " differs from ESE")

SAME(JetEnableMultiInstance,
     JET_ERR (*)(JET_SETSYSPARAM *, unsigned long, unsigned long *));
SAME(JetCreateInstance, JET_ERR (*)(JET_INSTANCE *, const char *));
SAME(JetCreateInstance2, JET_ERR (*)(JET_INSTANCE *, const char *,
				     const char *, JET_GRBIT));
SAME(JetInit, JET_ERR (*)(JET_INSTANCE *));
SAME(JetInit2, JET_ERR (*)(JET_INSTANCE *, JET_GRBIT));
SAME(JetTerm, JET_ERR (*)(JET_INSTANCE));
SAME(JetTerm2, JET_ERR (*)(JET_INSTANCE, JET_GRBIT));
SAME(JetGetInstanceInfo, JET_ERR (*)(unsigned long *, JET_INSTANCE_INFO **));
SAME(JetFreeBuffer, JET_ERR (*)(char *));
SAME(JetBeginSession, JET_ERR (*)(JET_INSTANCE, JET_SESID *, const char *,
				  const char *));
SAME(JetEndSession, JET_ERR (*)(JET_SESID, JET_GRBIT));
SAME(JetAttachDatabase, JET_ERR (*)(JET_SESID, const char *, JET_GRBIT));
SAME(JetDetachDatabase, JET_ERR (*)(JET_SESID, const char *));
SAME(JetAddLogFileInstance, JET_ERR (*)(JET_INSTANCE, const char *,
					unsigned long));
SAME(JetSetCheckpointInstance, JET_ERR (*)(JET_INSTANCE, unsigned long));
SAME(JetSetBackupThrottleInstance,
     JET_ERR (*)(JET_INSTANCE, unsigned long long));
SAME(JetLockWriteRangeInstance,
     JET_ERR (*)(JET_INSTANCE, const char *, unsigned long long,
		 unsigned long long, JET_HANDLE *));
SAME(JetUnlockWriteRangeInstance, JET_ERR (*)(JET_INSTANCE, JET_HANDLE));
SAME(JetPauseBackupInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetResumeBackupInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetGetNotificationFd, JET_ERR (*)(int *));
SAME(JetGetLogTruncationEvent, JET_ERR (*)(JET_INSTANCE *, unsigned long *,
					   unsigned long *));
SAME(JetGetInstanceStateInstance,
     JET_ERR (*)(JET_INSTANCE, JET_INSTANCE_STATE *));
SAME(JetBeginExternalBackupInstance, JET_ERR (*)(JET_INSTANCE, JET_GRBIT));
SAME(JetGetAttachInfoInstance, JET_ERR (*)(JET_INSTANCE, void *,
					   unsigned long, unsigned long *));
SAME(JetOpenFileInstance, JET_ERR (*)(JET_INSTANCE, const char *,
				      JET_HANDLE *, unsigned long *,
				      unsigned long *));
SAME(JetReadFileInstance, JET_ERR (*)(JET_INSTANCE, JET_HANDLE, void *,
				      unsigned long, unsigned long *));
SAME(JetCloseFileInstance, JET_ERR (*)(JET_INSTANCE, JET_HANDLE));
SAME(JetGetLogInfoInstance, JET_ERR (*)(JET_INSTANCE, void *, unsigned long,
					unsigned long *));
SAME(JetGetTruncateLogInfoInstance,
     JET_ERR (*)(JET_INSTANCE, void *, unsigned long, unsigned long *));
SAME(JetTruncateLogInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetEndExternalBackupInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetEndExternalBackupInstance2, JET_ERR (*)(JET_INSTANCE, JET_GRBIT));
SAME(JetStopBackup, JET_ERR (*)(void));
SAME(JetStopBackupInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetStopService, JET_ERR (*)(void));
SAME(JetStopServiceInstance, JET_ERR (*)(JET_INSTANCE));
SAME(JetStopServiceInstance2, JET_ERR (*)(JET_INSTANCE, JET_GRBIT));
/* the legacy one-instance calls (ESE's ANSI prototypes) */
SAME(JetBeginExternalBackup, JET_ERR (*)(JET_GRBIT));
SAME(JetGetAttachInfoA, JET_ERR (*)(void *, unsigned long, unsigned long *));
SAME(JetOpenFileA, JET_ERR (*)(JET_PCSTR, JET_HANDLE *, unsigned long *,
			       unsigned long *));
SAME(JetReadFile, JET_ERR (*)(JET_HANDLE, void *, unsigned long,
			      unsigned long *));
SAME(JetCloseFile, JET_ERR (*)(JET_HANDLE));
SAME(JetGetLogInfoA, JET_ERR (*)(void *, unsigned long, unsigned long *));
SAME(JetGetTruncateLogInfo, JET_ERR (*)(void *, unsigned long,
					unsigned long *));
SAME(JetTruncateLog, JET_ERR (*)(void));
SAME(JetEndExternalBackup, JET_ERR (*)(void));
SAME(JetGetInstanceInfoA, JET_ERR (*)(unsigned long *,
				      JET_INSTANCE_INFO_A **));
SAME(JetGetLogInfoInstance2A,
     JET_ERR (*)(JET_INSTANCE, void *, unsigned long, unsigned long *,
		 JET_LOGINFO_A *));
SAME(JetOpenFileInstanceA, JET_ERR (*)(JET_INSTANCE, JET_PCSTR, JET_HANDLE *,
				       unsigned long *, unsigned long *));
/* OS snapshots */
SAME(JetOSSnapshotPrepare, JET_ERR (*)(JET_OSSNAPID *, const JET_GRBIT));
SAME(JetOSSnapshotPrepareInstance, JET_ERR (*)(JET_OSSNAPID, JET_INSTANCE,
					       const JET_GRBIT));
SAME(JetOSSnapshotFreeze, JET_ERR (*)(const JET_OSSNAPID, unsigned long *,
				      JET_INSTANCE_INFO_A **,
				      const JET_GRBIT));
SAME(JetOSSnapshotThaw, JET_ERR (*)(const JET_OSSNAPID, const JET_GRBIT));
SAME(JetOSSnapshotAbort, JET_ERR (*)(const JET_OSSNAPID, const JET_GRBIT));
SAME(JetOSSnapshotTruncateLog, JET_ERR (*)(const JET_OSSNAPID,
					   const JET_GRBIT));
SAME(JetOSSnapshotTruncateLogInstance,
     JET_ERR (*)(const JET_OSSNAPID, JET_INSTANCE, const JET_GRBIT));
SAME(JetOSSnapshotGetFreezeInfoA,
     JET_ERR (*)(const JET_OSSNAPID, unsigned long *, JET_INSTANCE_INFO_A **,
		 const JET_GRBIT));
SAME(JetOSSnapshotEnd, JET_ERR (*)(const JET_OSSNAPID, const JET_GRBIT));
SAME(JetErrorName, const char *(*)(JET_ERR));
SAME(JetErrorText, const char *(*)(JET_ERR));

/* ESE's types */
_Static_assert(sizeof(JET_ERR) == sizeof(long) && (JET_ERR)-1 < 0, "JET_ERR");
_Static_assert(sizeof(JET_GRBIT) == sizeof(unsigned long) &&
	       (JET_GRBIT)-1 > 0, "JET_GRBIT");
_Static_assert(sizeof(JET_INSTANCE) == sizeof(void *) &&
	       (JET_INSTANCE)-1 > 0 && (JET_HANDLE)-1 > 0 &&
	       (JET_SESID)-1 > 0, "JET_API_PTR");
_Static_assert(__builtin_types_compatible_p(JET_PSTR, char *) &&
	       __builtin_types_compatible_p(JET_PCSTR, const char *) &&
	       sizeof(JET_OSSNAPID) == sizeof(void *), "ESE's string types");
