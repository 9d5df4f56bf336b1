/* SPDX-License-Identifier: MIT */
/*
 * jet.h - libjet, the ESE (ESENT) streaming-backup API on Linux's /dev/jet.
 *
 * Names, types and prototypes are ESE's, so code written against ESENT's
 * backup API compiles unchanged (ANSI "char" strings only). The calls marked
 * "jet's own" below have no ESE counterpart: ESE did that work inside its
 * engine, while with jet the database server (the owner) tells the kernel.
 *
 * Threads: every call is thread-safe. A process uses one /dev/jet descriptor
 * (its "client context": run mode, instances, backups), opened at the first
 * call with close-on-exec. A child after fork() gets a context of its own at
 * its first call; the parent's context, instances and backups are untouched.
 *
 * Backup file handles (JetOpenFileInstance) are safe across threads and
 * fork(): libjet reads through a private duplicate of each handle's
 * descriptor, held while a read runs, so
 *  - JetReadFileInstance and JetCloseFileInstance of one handle may run at
 *    once in several threads: a read in progress finishes on the backup
 *    file, later calls on the closed handle get JET_errInvalidParameter;
 *  - reads of one handle from several threads are serialized, each one
 *    returning bytes that follow each other in the file;
 *  - a handle whose descriptor number the program closed itself, or reused
 *    for another file, still reads only the backup file it named, and
 *    JetCloseFileInstance closes that number only if it still names that
 *    backup file (checked by the backup file's id; a program that closes and
 *    reopens the number concurrently with that check races as with any
 *    double close);
 *  - a child after fork() closes its copies of the parent's backup files at
 *    its first libjet call (those its handle numbers still name), so the
 *    parent's backup goes on; until then the child may use the inherited
 *    descriptors with read(2) etc. (e.g. dup2 one to stdin and exec).
 *
 * Errors: calls return JET_errSuccess (0) or a negative JET_err* code. When
 * /dev/jet does not exist (the module is not loaded) every call that needs it
 * returns JET_errFeatureNotAvailable. Kernel errors are mapped by one table
 * (the uapi header's JET_ERRNO_* defines); an errno it does not list becomes
 * JET_errDiskIO. JetErrorName() and JetErrorText() describe any code.
 *
 * Not in ESE: grbits are checked before anything happens, so an unknown bit
 * gives JET_errInvalidGrbit; NULL output pointers give JET_errInvalidParameter
 * instead of a crash.
 */
#ifndef JET_H
#define JET_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#if defined(__GNUC__) || defined(__clang__)
#define JET_API __attribute__((visibility("default")))
#else
#define JET_API
#endif

typedef long JET_ERR;
typedef unsigned long JET_GRBIT;
typedef unsigned long JET_API_PTR;	/* an unsigned integer a pointer fits */
typedef JET_API_PTR JET_INSTANCE;	/* an instance, never 0 when valid */
typedef JET_API_PTR JET_SESID;		/* a libjet session, never 0 */
typedef JET_API_PTR JET_HANDLE;		/* a backup file (its fd) or a lock */

#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(JET_API_PTR) == sizeof(void *),
	      "JET_API_PTR must be pointer-sized");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(JET_API_PTR) == sizeof(void *),
	       "JET_API_PTR must be pointer-sized");
#else
typedef char JET_API_PTR_is_pointer_sized[
	sizeof(JET_API_PTR) == sizeof(void *) ? 1 : -1];
#endif

/* ESE's names for ANSI strings and for an OS snapshot session */
typedef char *JET_PSTR;
typedef const char *JET_PCSTR;
typedef JET_API_PTR JET_OSSNAPID;	/* an OS snapshot session, never 0 */

#define JET_instanceNil		(~(JET_INSTANCE)0)
#define JET_sesidNil		(~(JET_SESID)0)
#define JET_handleNil		(~(JET_HANDLE)0)

/* One running instance, as JetGetInstanceInfo() returns it. */
typedef struct {
	JET_INSTANCE hInstanceId;
	char *szInstanceName;		/* NULL when it has no name */
	JET_API_PTR cDatabases;
	char **szDatabaseFileName;	/* cDatabases paths */
	char **szDatabaseDisplayName;	/* the same strings as the paths */
	char **szDatabaseSLVFileName_Obsolete;	/* cDatabases NULLs */
} JET_INSTANCE_INFO;
/* ESE's ANSI name for it (jet has only ANSI strings) */
typedef JET_INSTANCE_INFO JET_INSTANCE_INFO_A;

/* System parameters for JetEnableMultiInstance(); jet has none to set. */
typedef struct {
	unsigned long paramid;
	JET_API_PTR lParam;
	const char *sz;
	JET_ERR err;
} JET_SETSYSPARAM;

/*
 * An instance as anyone may see it (jet's own, for JetGetInstanceState-
 * Instance()). The flags and phase values are those of the module.
 */
typedef struct {
	JET_INSTANCE instance;
	unsigned long long bytes_read;	/* by its current or last backup */
	unsigned long long checkpoint;	/* checkpoint generation */
	unsigned long long newest_log;	/* newest registered log, 0: none */
	unsigned long long throttle;	/* backup reads, bytes/s, 0: none */
	unsigned int owner_pid;		/* in the caller's pid namespace */
	unsigned int owner_uid;		/* effective uid, caller's userns */
	unsigned int flags;		/* JET_INSTANCE_STATE_* */
	unsigned int phase;		/* JET_BACKUP_PHASE_* */
	unsigned int service_bits;	/* JET_bitStopService* recorded */
	unsigned int db_count;		/* attached databases */
	unsigned int log_count;		/* registered log generations */
	unsigned int open_files;	/* files open on the running backup */
} JET_INSTANCE_STATE;

#define JET_INSTANCE_STATE_INITIALIZED		0x001
#define JET_INSTANCE_STATE_MINE			0x002	/* caller owns it */
#define JET_INSTANCE_STATE_BACKUP		0x004	/* a backup runs */
#define JET_INSTANCE_STATE_BACKUP_STOPPED	0x008
#define JET_INSTANCE_STATE_SERVICE_STOPPED	0x010
#define JET_INSTANCE_STATE_PAUSED		0x020
#define JET_INSTANCE_STATE_TERMINATING		0x040
#define JET_INSTANCE_STATE_FULL_BACKUP_DONE	0x080
#define JET_INSTANCE_STATE_BACKUP_MINE		0x100	/* caller runs it */
#define JET_INSTANCE_STATE_SNAPSHOT		0x1000	/* in an OS snapshot */
#define JET_INSTANCE_STATE_FROZEN		0x2000	/* its locks wait */

#define JET_BACKUP_PHASE_NONE		0
#define JET_BACKUP_PHASE_DATABASES	1
#define JET_BACKUP_PHASE_LOGS		2

/* ---- limits ---- */

#define JET_NAME_MAX	255	/* instance and display names, bytes */
#define JET_PATH_MAX	4095	/* database and log paths, bytes */

/* ---- grbits (ESE's names and values) ---- */

#define JET_bitBackupIncremental		0x00000001
#define JET_bitBackupEndNormal			0x00000001
#define JET_bitBackupEndAbort			0x00000002
#define JET_bitBackupTruncateDone		0x00000100
#define JET_bitTermComplete			0x00000001
#define JET_bitTermAbrupt			0x00000002
#define JET_bitTermStopBackup			0x00000004
#define JET_bitTermDirty			0x00000008
#define JET_bitStopServiceAll			0x00000000
#define JET_bitStopServiceBackgroundUserTasks	0x00000002
#define JET_bitStopServiceQuiesceCaches		0x00000004
#define JET_bitStopServiceResume		0x80000000
#define JET_bitDbReadOnly			0x00000001

/* ---- error codes (ESE's values) ---- */

#define JET_errSuccess				0
#define JET_wrnBufferTruncated			1006
#define JET_errBackupInProgress			-505
#define JET_errNoBackup				-520
#define JET_errInvalidBackupSequence		-521
#define JET_errBackupNotAllowedYet		-523
#define JET_errMissingLogFile			-528
#define JET_errMissingFullBackup		-560
#define JET_errMissingFileToBackup		-569
#define JET_errLogFileNotCopied			-616
#define JET_errBackupAbortByServer		-801
#define JET_errInvalidGrbit			-900
#define JET_errTermInProgress			-1000
#define JET_errFeatureNotAvailable		-1001
#define JET_errInvalidName			-1002
#define JET_errInvalidParameter			-1003
#define JET_errOutOfMemory			-1011
#define JET_errOutOfFileHandles			-1020
#define JET_errDiskIO				-1022
#define JET_errInvalidPath			-1023
#define JET_errNotInitialized			-1029
#define JET_errAlreadyInitialized		-1030
#define JET_errFileAccessDenied			-1032
#define JET_errBufferTooSmall			-1038
#define JET_errRunningInOneInstanceMode		-1080
#define JET_errRunningInMultiInstanceMode	-1081
#define JET_errSystemParamsAlreadySet		-1082
#define JET_errInstanceNameInUse		-1086
#define JET_errInstanceUnavailable		-1090
#define JET_errInvalidInstance			-1115
#define JET_errDatabaseDuplicate		-1201
#define JET_errDatabaseNotFound			-1203
#define JET_errTooManyInstances			-1214
#define JET_errClientRequestToStopJetService	-1329
#define JET_errFileNotFound			-1811
#define JET_errInvalidOperation			-1906
/* ESE's, for the log roll and sources that shrink (jet_backup(3)) */
#define JET_errLogWriteFail			-510
#define JET_errFileIOBeyondEOF			-4001
#define JET_errOSSnapshotInvalidSequence	-2401
#define JET_errOSSnapshotTimeOut		-2402
#define JET_errOSSnapshotNotAllowed		-2403
#define JET_errOSSnapshotInvalidSnapId		-2404

/* ---- run mode and instances ---- */

/* NoSet -> MultiInst. The parameters are accepted and ignored; on success
 * each one's err is JET_errSuccess and *pcsetSucceed = csetsysparam.
 */
JET_ERR JET_API JetEnableMultiInstance(JET_SETSYSPARAM *psetsysparam,
				       unsigned long csetsysparam,
				       unsigned long *pcsetSucceed);
JET_ERR JET_API JetCreateInstance(JET_INSTANCE *pinstance,
				  const char *szInstanceName);
/* grbit must be 0. Names: at most JET_NAME_MAX bytes, "" is no name. */
JET_ERR JET_API JetCreateInstance2(JET_INSTANCE *pinstance,
				   const char *szInstanceName,
				   const char *szDisplayName, JET_GRBIT grbit);
/* pinstance NULL: the legacy one-instance init. On success *pinstance is
 * the initialised instance.
 */
JET_ERR JET_API JetInit(JET_INSTANCE *pinstance);
JET_ERR JET_API JetInit2(JET_INSTANCE *pinstance, JET_GRBIT grbit);
/* = JetTerm2(instance, JET_bitTermAbrupt) */
JET_ERR JET_API JetTerm(JET_INSTANCE instance);
/* grbit: any of Complete, Abrupt, StopBackup, Dirty (0 is Complete) */
JET_ERR JET_API JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit);
/* Every instance on the system; one block, freed with JetFreeBuffer().
 * No instances: *pcInstanceInfo = 0, *paInstanceInfo = NULL.
 */
JET_ERR JET_API JetGetInstanceInfo(unsigned long *pcInstanceInfo,
				   JET_INSTANCE_INFO **paInstanceInfo);
JET_ERR JET_API JetFreeBuffer(char *pbBuf);

/*
 * jet's own (LIBJET_1.1): the instance named szInstanceName in the caller's
 * IPC namespace, if its owner's effective uid (in the caller's user
 * namespace) is uidOwner, or any owner for JET_uidAnyOwner. An agent that
 * resolves a name this way cannot be handed another user's impostor.
 * JET_errInvalidParameter: no instance of that name (or a NULL argument);
 * JET_errFileAccessDenied: one of that name, owned by another uid, whose
 * uid *puidActual gets when puidActual is not NULL.
 */
#define JET_uidAnyOwner		((unsigned long)-1)
JET_ERR JET_API JetGetInstanceByName(const char *szInstanceName,
				     unsigned long uidOwner,
				     JET_INSTANCE *pinstance,
				     unsigned long *puidActual);

/* ---- the owner's side ---- */

/* szUserName and szPassword are ignored, as on ESENT. The instance must be
 * the caller's (JET_errFileAccessDenied) and initialised
 * (JET_errNotInitialized).
 */
JET_ERR JET_API JetBeginSession(JET_INSTANCE instance, JET_SESID *psesid,
				const char *szUserName,
				const char *szPassword);
JET_ERR JET_API JetEndSession(JET_SESID sesid, JET_GRBIT grbit);
/* Opens szFilename read-only in this process and hands the descriptor to
 * the kernel; szFilename is the name backups see. grbit: 0 or
 * JET_bitDbReadOnly.
 */
JET_ERR JET_API JetAttachDatabase(JET_SESID sesid, const char *szFilename,
				  JET_GRBIT grbit);
/* szFilename NULL or "": detach every database of the session's instance */
JET_ERR JET_API JetDetachDatabase(JET_SESID sesid, const char *szFilename);
/* jet's own: register one closed log generation (strictly increasing) */
JET_ERR JET_API JetAddLogFileInstance(JET_INSTANCE instance,
				      const char *szPath,
				      unsigned long generation);
/* jet's own: move the checkpoint forward (never backwards) */
JET_ERR JET_API JetSetCheckpointInstance(JET_INSTANCE instance,
					 unsigned long generation);
/* jet's own: limit backup reads to bytes_per_second (0: no limit) */
JET_ERR JET_API JetSetBackupThrottleInstance(JET_INSTANCE instance,
					     unsigned long long bytes_per_second);
/* jet's own: backup reads of these bytes wait until the unlock (bracket
 * page writes with these so a backup never copies a torn page)
 */
JET_ERR JET_API JetLockWriteRangeInstance(JET_INSTANCE instance,
					  const char *szDatabase,
					  unsigned long long offset,
					  unsigned long long length,
					  JET_HANDLE *phlock);
JET_ERR JET_API JetUnlockWriteRangeInstance(JET_INSTANCE instance,
					    JET_HANDLE hlock);
/* jet's own: backup reads wait while paused (a stop still wakes them) */
JET_ERR JET_API JetPauseBackupInstance(JET_INSTANCE instance);
JET_ERR JET_API JetResumeBackupInstance(JET_INSTANCE instance);
/* jet's own: this process's /dev/jet descriptor. poll() it: POLLIN while
 * an event (a log truncation event or a roll request) is queued, POLLPRI
 * while a roll request is. Do not close it.
 */
JET_ERR JET_API JetGetNotificationFd(int *pfd);
/* jet's own: the next roll request: close the log being written and
 * register (JetAddLogFileInstance) a generation above *pgenAbove; *pinst = 0
 * when none is queued. A backup waits for the roll in its first
 * JetGetLogInfoInstance (at most the module's roll_timeout_ms).
 */
JET_ERR JET_API JetGetLogRollRequest(JET_INSTANCE *pinst,
				     unsigned long *pgenAbove);
/* jet's own: a roll callback. When this process backs up an instance it
 * owns, its own JetGetLogInfoInstance (or GetTruncateLogInfo) runs pfn
 * instead of waiting for an answer that this process would have to give:
 * pfn must close the log being written and register a generation above
 * genAbove. pfn NULL removes it. The instance must be the caller's
 * (JET_errFileAccessDenied).
 */
typedef JET_ERR (*JET_PFNLOGROLL)(JET_INSTANCE instance,
				  unsigned long genAbove, void *context);
JET_ERR JET_API JetSetLogRollCallbackInstance(JET_INSTANCE instance,
					      JET_PFNLOGROLL pfn,
					      void *context);
/* jet's own: the next truncation event (logs the owner may now delete), or
 * *pinst = 0 when none is queued.
 */
JET_ERR JET_API JetGetLogTruncationEvent(JET_INSTANCE *pinst,
					 unsigned long *pgenFirst,
					 unsigned long *pgenLast);
/* jet's own: anyone may read any instance's state */
JET_ERR JET_API JetGetInstanceStateInstance(JET_INSTANCE instance,
					    JET_INSTANCE_STATE *pstate);

/* ---- the page cache of backups (jet's own, libjet 1.1) ---- */

/* JetSetBackupCacheInstance: what backups read stays in the page cache */
#define JET_bitBackupCacheWarm			0x00000001
/* JET_INSTANCE_STATE.flags: the instance's backups warm the cache */
#define JET_INSTANCE_STATE_CACHE_WARM		0x100000
/*
 * grbit 0, the default: backups leave the page cache as they found it (the
 * pages a backup brought in are dropped once copied); JET_bitBackupCacheWarm:
 * they leave what they read cached, as a plain read does. See jet(4).
 */
JET_ERR JET_API JetSetBackupCacheInstance(JET_INSTANCE instance,
					  JET_GRBIT grbit);

/* ---- the backup agent's side ---- */

/* grbit: 0 (full) or JET_bitBackupIncremental */
JET_ERR JET_API JetBeginExternalBackupInstance(JET_INSTANCE instance,
					       JET_GRBIT grbit);
/*
 * The name lists: NUL-terminated strings followed by one more NUL. pv may
 * be NULL with cbMax 0 to learn the size: JET_errSuccess with *pcbActual
 * the bytes needed (as ESE's ANSI calls). A buffer too small:
 * JET_errBufferTooSmall with *pcbActual the bytes needed. pcbActual may be
 * NULL.
 */
JET_ERR JET_API JetGetAttachInfoInstance(JET_INSTANCE instance, void *pv,
					 unsigned long cbMax,
					 unsigned long *pcbActual);
/* *phfFile is a file descriptor (read, pread, poll and splice work on it
 * too); close it only with JetCloseFileInstance().
 */
JET_ERR JET_API JetOpenFileInstance(JET_INSTANCE instance,
				    const char *szFileName,
				    JET_HANDLE *phfFile,
				    unsigned long *pulFileSizeLow,
				    unsigned long *pulFileSizeHigh);
/* The next bytes, no alignment rule. Fewer than cb only at the end of the
 * file (0 after it), as ESE: a read that waits (range lock, throttle,
 * pause) waits until it can fill cb. A stop after some bytes returns those
 * bytes and the next call fails. A source that became shorter than its
 * size at open fails with JET_errFileIOBeyondEOF (the backup with it).
 */
JET_ERR JET_API JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile,
				    void *pv, unsigned long cb,
				    unsigned long *pcbActual);
JET_ERR JET_API JetCloseFileInstance(JET_INSTANCE instance,
				     JET_HANDLE hfFile);
/* The first of these two calls rolls the log: it asks the owner to close
 * the log it writes and waits until it registered it (jet_backup(3)). The
 * copy set: full, from the checkpoint at Begin; incremental, from the oldest
 * registered log; both up to the rolled generation.
 */
JET_ERR JET_API JetGetLogInfoInstance(JET_INSTANCE instance, void *pv,
				      unsigned long cbMax,
				      unsigned long *pcbActual);
/* ESE's JET_LOGINFO (ANSI): the copy set's first and last generations.
 * jet has no log base name (ESE's JET_paramBaseName): szBaseName is "".
 */
#define JET_BASE_NAME_LENGTH	3
typedef struct {
	unsigned long cbSize;		/* sizeof(JET_LOGINFO), set by the caller */
	unsigned long ulGenLow;
	unsigned long ulGenHigh;
	char szBaseName[JET_BASE_NAME_LENGTH + 1];
} JET_LOGINFO;
/* pLogInfo may be NULL; its cbSize not sizeof(JET_LOGINFO):
 * JET_errInvalidParameter (as ESE)
 */
JET_ERR JET_API JetGetLogInfoInstance2(JET_INSTANCE instance, void *pv,
				       unsigned long cbMax,
				       unsigned long *pcbActual,
				       JET_LOGINFO *pLogInfo);
JET_ERR JET_API JetGetTruncateLogInfoInstance(JET_INSTANCE instance,
					      void *pv, unsigned long cbMax,
					      unsigned long *pcbActual);
/* Needs every byte of every log of the copy set read through the backup's
 * descriptors (else JET_errLogFileNotCopied); truncates, as ESE, the logs
 * below min(the owner's checkpoint, the end of the copy set), after a full
 * or an incremental backup.
 */
JET_ERR JET_API JetTruncateLogInstance(JET_INSTANCE instance);
/* = JetEndExternalBackupInstance2(instance, JET_bitBackupEndNormal) */
JET_ERR JET_API JetEndExternalBackupInstance(JET_INSTANCE instance);
/* grbit: exactly one of EndNormal/EndAbort, optionally TruncateDone */
JET_ERR JET_API JetEndExternalBackupInstance2(JET_INSTANCE instance,
					      JET_GRBIT grbit);

/* ---- stop ---- */

/* The legacy calls act on the one-instance mode's instance. */
JET_ERR JET_API JetStopBackup(void);
JET_ERR JET_API JetStopBackupInstance(JET_INSTANCE instance);
JET_ERR JET_API JetStopService(void);
JET_ERR JET_API JetStopServiceInstance(JET_INSTANCE instance);
/* grbit: All (0), BackgroundUserTasks and/or QuiesceCaches, or Resume alone */
JET_ERR JET_API JetStopServiceInstance2(JET_INSTANCE instance,
					const JET_GRBIT grbit);

/* ---- the legacy one-instance calls (legacy.c) ---- */

/*
 * As their ...Instance forms, on the one instance of a process that called
 * JetInit(NULL) (OneInst mode). In MultiInst mode they fail with
 * JET_errRunningInMultiInstanceMode, before any instance (NoSet) with
 * JET_errInvalidParameter, and change nothing. JetGetTruncateLogInfo is
 * jet's own (ESE has only the ...Instance form).
 */
JET_ERR JET_API JetBeginExternalBackup(JET_GRBIT grbit);
JET_ERR JET_API JetGetAttachInfo(void *pv, unsigned long cbMax,
				 unsigned long *pcbActual);
JET_ERR JET_API JetOpenFile(const char *szFileName, JET_HANDLE *phfFile,
			    unsigned long *pulFileSizeLow,
			    unsigned long *pulFileSizeHigh);
JET_ERR JET_API JetReadFile(JET_HANDLE hfFile, void *pv, unsigned long cb,
			    unsigned long *pcbActual);
JET_ERR JET_API JetCloseFile(JET_HANDLE hfFile);
JET_ERR JET_API JetGetLogInfo(void *pv, unsigned long cbMax,
			      unsigned long *pcbActual);
JET_ERR JET_API JetGetTruncateLogInfo(void *pv, unsigned long cbMax,
				      unsigned long *pcbActual);
JET_ERR JET_API JetTruncateLog(void);
JET_ERR JET_API JetEndExternalBackup(void);

/* ESE's ANSI names: jet's strings are ANSI, so each is the call itself */
#define JetGetAttachInfoA		JetGetAttachInfo
#define JetGetAttachInfoInstanceA	JetGetAttachInfoInstance
#define JetOpenFileA			JetOpenFile
#define JetOpenFileInstanceA		JetOpenFileInstance
#define JetGetLogInfoA			JetGetLogInfo
#define JetGetLogInfoInstanceA		JetGetLogInfoInstance
#define JetGetTruncateLogInfoInstanceA	JetGetTruncateLogInfoInstance
#define JetGetInstanceInfoA		JetGetInstanceInfo
#define JetGetLogInfoInstance2A		JetGetLogInfoInstance2
typedef JET_LOGINFO JET_LOGINFO_A;

/* ---- OS snapshots (snapshot.c), ESE's calls and grbits ---- */

#define JET_bitIncrementalSnapshot	0x00000001	/* Prepare */
#define JET_bitCopySnapshot		0x00000002	/* Prepare */
#define JET_bitContinueAfterThaw	0x00000004	/* Prepare */
#define JET_bitExplicitPrepare		0x00000008	/* Prepare */
#define JET_bitAllDatabasesSnapshot	0x00000001	/* TruncateLog */
#define JET_bitAbortSnapshot		0x00000001	/* End */

/* ESE's system parameter id, for JetSetOSSnapshotTimeout()'s reader */
#define JET_paramOSSnapshotTimeout	82

/*
 * A session of this process (its exit aborts it, thawing). While frozen,
 * the owners' JetLockWriteRangeInstance waits (no page write is in flight);
 * backup reads go on. A freeze thaws by itself after its timeout, and when
 * an owner stops its instance. See jet_snapshot(3).
 */
JET_ERR JET_API JetOSSnapshotPrepare(JET_OSSNAPID *psnapId,
				     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId,
					     JET_INSTANCE instance,
					     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotFreezeA(const JET_OSSNAPID snapId,
				     unsigned long *pcInstanceInfo,
				     JET_INSTANCE_INFO_A **paInstanceInfo,
				     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotThaw(const JET_OSSNAPID snapId,
				  const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotAbort(const JET_OSSNAPID snapId,
				   const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId,
					 const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId,
						 JET_INSTANCE instance,
						 const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotGetFreezeInfoA(const JET_OSSNAPID snapId,
					    unsigned long *pcInstanceInfo,
					    JET_INSTANCE_INFO_A **paInstanceInfo,
					    const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotEnd(const JET_OSSNAPID snapId,
				 const JET_GRBIT grbit);
/*
 * jet's own, for ESE's JET_paramOSSnapshotTimeout: the longest freeze of
 * this process's later JetOSSnapshotFreeze calls, in ms (at most one hour);
 * 0: the module's snapshot_timeout_ms (ESE's default, 70 s).
 */
JET_ERR JET_API JetSetOSSnapshotTimeout(unsigned long cmsecTimeout);

#define JetOSSnapshotFreeze		JetOSSnapshotFreezeA
#define JetOSSnapshotGetFreezeInfo	JetOSSnapshotGetFreezeInfoA

/*
 * jet's own (ESE has none: its writer names the log directory and the OS
 * snapshots the volume): while snapId is frozen, the logs a snapshot of
 * instance needs, as the copy set of a full backup at the freeze, from the
 * checkpoint recorded then up to the generation the freeze rolled. Same
 * buffer rules as JetGetLogInfoInstance (a NULL pv with cbMax 0 asks for
 * the size); before the freeze or after the thaw
 * JET_errOSSnapshotInvalidSequence. See jet_snapshot(3).
 */
JET_ERR JET_API JetOSSnapshotGetLogInfoInstanceA(const JET_OSSNAPID snapId,
						 JET_INSTANCE instance,
						 void *pv, unsigned long cbMax,
						 unsigned long *pcbActual);
/* the same with the list's generations (pLogInfo may be NULL) */
JET_ERR JET_API JetOSSnapshotGetLogInfoInstance2A(const JET_OSSNAPID snapId,
						  JET_INSTANCE instance,
						  void *pv,
						  unsigned long cbMax,
						  unsigned long *pcbActual,
						  JET_LOGINFO_A *pLogInfo);
#define JetOSSnapshotGetLogInfoInstance	JetOSSnapshotGetLogInfoInstanceA
#define JetOSSnapshotGetLogInfoInstance2	JetOSSnapshotGetLogInfoInstance2A

/* ---- errors (jet's own) ---- */

/* "JET_errBackupAbortByServer" etc.; "JET_errUnknown" for a code libjet
 * does not know. Never NULL; the strings are static.
 */
const char JET_API *JetErrorName(JET_ERR err);
/* One line: what the code means and what to do. Never NULL. */
const char JET_API *JetErrorText(JET_ERR err);

#ifdef __cplusplus
}
#endif

#endif /* JET_H */
