/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctl ABI of /dev/jet, shared by the jet module and libjet.
 *
 * Rules that hold for every command below:
 *  - every struct is a multiple of 8 bytes, pointers travel as __u64, and
 *    fields named "padding" or "reserved" must be zero (else -EINVAL);
 *  - fields documented as "out" only must be zero on input (else -EINVAL);
 *  - the size of the caller's struct travels in the command number (the
 *    _IOC_SIZE bits, as DRM does), so a struct can grow at its end without
 *    breaking anyone: a struct smaller than the command's first released
 *    layout gets -EINVAL; a smaller one from an older program is padded
 *    with zeros; a bigger one from a newer program is accepted when every
 *    byte beyond what the module knows is zero (else -E2BIG, as
 *    copy_struct_from_user()); results are written back only up to the
 *    caller's size. A field added later means, when zero, what the call
 *    did before it existed;
 *  - an unknown command gets -ENOTTY;
 *  - unknown bits in "flags" and "grbit" fields get -EINVAL;
 *  - a bad user pointer gets -EFAULT;
 *  - a failed command changes no state; its output fields hold nothing
 *    meaningful, except `size` where -ENOBUFS says so.
 *
 * Strings are NUL-terminated and passed by user pointer. A zero pointer, where
 * a name is optional, means "no name".
 */
#ifndef _UAPI_JET_IOCTL_H
#define _UAPI_JET_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/errno.h>

/*
 * 2: structs may grow (the rules above); output fields must be zero on
 * input. A module serves every program built for its version or an older
 * one down to 2, so libjet needs abi_version >= the JET_ABI_VERSION it was
 * built with.
 * 3: the log roll (JET_IOC_GET_ROLL_REQUEST, JET_IOC_LOG_LIST), backup file
 * ids (JET_FILE_IOC_ID).
 */
#define JET_ABI_VERSION		3

/* Longest instance or display name, in bytes without the NUL. */
#define JET_NAME_MAX		255
/* Longest database or log path, in bytes without the NUL. */
#define JET_PATH_MAX		4095

/* JET_IOC_QUERY features */
#define JET_FEATURE_INSTANCES	0x1U
#define JET_FEATURE_BACKUP	0x2U
#define JET_FEATURE_STOP	0x4U
#define JET_FEATURE_SPLICE	0x8U
#define JET_FEATURE_RANGE_LOCKS	0x10U
#define JET_FEATURE_THROTTLE	0x20U
#define JET_FEATURE_PAUSE	0x40U
#define JET_FEATURE_TRUNCATE_EVENTS 0x80U
/* JET_IOC_LIST_INSTANCES takes JET_LIST_PAGED (struct jet_list.flags) */
#define JET_FEATURE_LIST_PAGED	0x100U

/* Run modes of a client context (one per open of /dev/jet). */
#define JET_MODE_NOSET		0
#define JET_MODE_ONEINST	1
#define JET_MODE_MULTIINST	2

/* Grbits, with ESE's values. */
#define JET_TERM_COMPLETE	0x1
#define JET_TERM_ABRUPT		0x2
#define JET_TERM_STOP_BACKUP	0x4
#define JET_TERM_DIRTY		0x8
#define JET_TERM_ALL		0xf

#define JET_BACKUP_INCREMENTAL	0x1
#define JET_BACKUP_ALL		0x1

#define JET_END_NORMAL		0x1
#define JET_END_ABORT		0x2
#define JET_END_TRUNCATE_DONE	0x100
#define JET_END_ALL		0x103

#define JET_SERVICE_ALL		0x0
#define JET_SERVICE_BACKGROUND_TASKS 0x2
#define JET_SERVICE_QUIESCE_CACHES 0x4
#define JET_SERVICE_RESUME	0x80000000U
#define JET_SERVICE_MASK	0x80000006U

/* Instance state flags (struct jet_instance_state.flags). */
#define JET_STATE_INITIALIZED	0x1U
#define JET_STATE_MINE		0x2U  /* the caller's context owns it */
#define JET_STATE_BACKUP	0x4U  /* a backup is running */
#define JET_STATE_BACKUP_STOPPED 0x8U /* ... and has been stopped */
#define JET_STATE_SERVICE_STOPPED 0x10U /* StopService(All) happened */
#define JET_STATE_PAUSED	0x20U
#define JET_STATE_TERMINATING	0x40U
#define JET_STATE_FULL_BACKUP_DONE 0x80U
#define JET_STATE_BACKUP_MINE	0x100U  /* the caller's context runs the backup */
/* OS snapshots (JET_IOC_SNAPSHOT_*) */
#define JET_STATE_SNAPSHOT	0x1000U /* in a snapshot session */
#define JET_STATE_FROZEN	0x2000U /* frozen: the owner's locks wait */
/* backups keep what they read in the page cache (JET_BACKUP_CACHE_WARM) */
#define JET_STATE_CACHE_WARM	0x100000U

/* Backup phases */
#define JET_PHASE_NONE		0
#define JET_PHASE_DATABASES	1
#define JET_PHASE_LOGS		2

/* Kinds of backup file (struct jet_file_info.kind) */
#define JET_FILE_DATABASE	1
#define JET_FILE_LOG		2

/**
 * struct jet_query - JET_IOC_QUERY: what this module offers
 * @abi_version: JET_ABI_VERSION of the module
 * @features: JET_FEATURE_* bits present
 * @max_instances: the module's instance limit (all users)
 * @max_instances_per_user: the per-user instance limit
 * @name_max: JET_NAME_MAX
 * @path_max: JET_PATH_MAX
 * @mode: the caller's context run mode, JET_MODE_*
 * @padding: must be zero
 */
struct jet_query {
	__u32 abi_version;
	__u32 features;
	__u32 max_instances;
	__u32 max_instances_per_user;
	__u32 name_max;
	__u32 path_max;
	__u32 mode;
	__u32 padding;
};

/**
 * struct jet_enable_multi - JET_IOC_ENABLE_MULTI: NoSet -> MultiInst
 * @flags: must be zero
 * @padding: must be zero
 */
struct jet_enable_multi {
	__u32 flags;
	__u32 padding;
};

/**
 * struct jet_create - JET_IOC_CREATE_INSTANCE
 * @name: user pointer to the instance name, or 0 for none
 * @display_name: user pointer to the display name, or 0 for none
 * @grbit: must be zero (ESE reserves it)
 * @padding: must be zero
 * @instance: out, the new instance handle (never 0)
 */
struct jet_create {
	__u64 name;
	__u64 display_name;
	__u32 grbit;
	__u32 padding;
	__u64 instance;
};

/* struct jet_init.flags */
#define JET_INIT_NO_HANDLE	0x1	/* JetInit(NULL): no handle given */

/**
 * struct jet_init - JET_IOC_INIT
 * @instance: in, the instance to initialise (ignored in NoSet and OneInst);
 *	out, the initialised instance
 * @flags: JET_INIT_NO_HANDLE
 * @padding: must be zero
 */
struct jet_init {
	__u64 instance;
	__u32 flags;
	__u32 padding;
};

/**
 * struct jet_term - JET_IOC_TERM
 * @instance: the instance (ignored in OneInst)
 * @grbit: JET_TERM_* bits; 0 acts as JET_TERM_COMPLETE
 * @padding: must be zero
 */
struct jet_term {
	__u64 instance;
	__u32 grbit;
	__u32 padding;
};

/**
 * struct jet_instance_state - one instance as others may see it
 * @instance: its handle
 * @bytes_read: bytes read by its current (or last) backup
 * @checkpoint: its checkpoint generation
 * @newest_log: the newest registered log generation, 0 if none
 * @throttle: backup-read throttle in bytes per second, 0 for none
 * @owner_pid: the owner's process id, in the caller's pid namespace
 * @owner_uid: the owner's effective uid, in the caller's user namespace
 * @flags: JET_STATE_* bits
 * @phase: JET_PHASE_* of the running backup
 * @service_bits: JET_SERVICE_* bits stopped by StopService
 * @db_count: attached databases
 * @log_count: registered log generations
 * @open_files: backup files open on the running backup
 */
struct jet_instance_state {
	__u64 instance;
	__u64 bytes_read;
	__u64 checkpoint;
	__u64 newest_log;
	__u64 throttle;
	__u32 owner_pid;
	__u32 owner_uid;
	__u32 flags;
	__u32 phase;
	__u32 service_bits;
	__u32 db_count;
	__u32 log_count;
	__u32 open_files;
};

/**
 * struct jet_get_state - JET_IOC_GET_STATE: one instance's state
 * @instance: in, the instance (ignored in OneInst)
 * @state: out
 */
struct jet_get_state {
	__u64 instance;
	struct jet_instance_state state;
};

/**
 * struct jet_instance_record - one entry of JET_IOC_LIST_INSTANCES
 * @record_size: bytes of this record with its strings, a multiple of 8
 * @name_size: bytes of the name with its NUL (1 for no name)
 * @display_size: bytes of the display name with its NUL (1 for none)
 * @dbs_size: bytes of the database names, each with its NUL
 * @state: the instance's state
 *
 * The strings follow the struct in that order: name, display name, then
 * state.db_count database names; zero bytes pad the record to 8.
 */
struct jet_instance_record {
	__u32 record_size;
	__u32 name_size;
	__u32 display_size;
	__u32 dbs_size;
	struct jet_instance_state state;
};

/* struct jet_list.flags */
#define JET_LIST_PAGED		0x1	/* one page of records from @start */

/**
 * struct jet_list - JET_IOC_LIST_INSTANCES: the instances of the caller's
 *	IPC namespace, in id order
 * @buf: user pointer to a buffer for the records
 * @buf_size: its size in bytes
 * @count: out, the number of records
 * @size: out, the bytes the records take (also on -ENOBUFS, which a buffer
 *	that is too small gets; then nothing else is written). Paged: on
 *	-ENOBUFS, the size of the first record, which did not fit.
 * @flags: 0, every instance or -ENOBUFS; JET_LIST_PAGED, the records of
 *	the instances from id @start on that fit in @buf_size, whole
 * @start: paged: the first instance id to list (0 or 1: from the first)
 * @padding: @flags' name in the first release, which ended there
 * @next: out, paged: the id to start the next page from; 0 at the end
 */
struct jet_list {
	__u64 buf;
	__u32 buf_size;
	__u32 count;
	__u32 size;
	union {
		__u32 flags;
		__u32 padding;	/* its name in the first release */
	};
	__u64 start;
	__u64 next;
};

/**
 * struct jet_attach - JET_IOC_ATTACH_DB and JET_IOC_DETACH_DB
 * @instance: the owner's instance (ignored in OneInst)
 * @name: user pointer to the database path (the name backups use)
 * @fd: attach: a readable regular file, the database; detach: must be -1
 * @flags: must be zero
 */
struct jet_attach {
	__u64 instance;
	__u64 name;
	__s32 fd;
	__u32 flags;
};

/**
 * struct jet_add_log - JET_IOC_ADD_LOG: register one closed log generation
 * @instance: the owner's instance (ignored in OneInst)
 * @name: user pointer to the log's path
 * @generation: above every registered generation
 * @fd: a readable regular file, the log
 * @flags: must be zero
 */
struct jet_add_log {
	__u64 instance;
	__u64 name;
	__u64 generation;
	__s32 fd;
	__u32 flags;
};

/**
 * struct jet_instance_u64 - commands with an instance and one number:
 *	JET_IOC_SET_CHECKPOINT (a generation, never backwards),
 *	JET_IOC_SET_THROTTLE (bytes per second, 0 for none)
 * @instance: the owner's instance (ignored in OneInst)
 * @value: the number
 */
struct jet_instance_u64 {
	__u64 instance;
	__u64 value;
};

/**
 * struct jet_instance_op - commands with an instance and flags:
 *	JET_IOC_BEGIN_BACKUP (grbit: JET_BACKUP_*),
 *	JET_IOC_END_BACKUP (grbit: JET_END_*),
 *	JET_IOC_TRUNCATE_LOG (grbit 0),
 *	JET_IOC_STOP_BACKUP (grbit 0),
 *	JET_IOC_STOP_SERVICE (grbit: JET_SERVICE_*),
 *	JET_IOC_PAUSE_BACKUP (grbit 1 pauses, 0 resumes),
 *	JET_IOC_SET_BACKUP_CACHE (grbit: JET_BACKUP_CACHE_*)
 * @instance: the instance (ignored in OneInst, and with JET_OP_LEGACY)
 * @grbit: per command, as above
 * @flags: JET_OP_LEGACY for STOP_BACKUP and STOP_SERVICE, else 0
 */
struct jet_instance_op {
	__u64 instance;
	__u32 grbit;
	__u32 flags;
};

/*
 * JET_IOC_SET_BACKUP_CACHE grbit. 0, the default: backups are cache-neutral
 * (pages of a database or log that were resident before a backup read them
 * stay; the pages only the backup brought in are dropped once copied).
 * WARM: what backups read stays in the page cache, as a plain read leaves it.
 */
#define JET_BACKUP_CACHE_WARM	0x1
#define JET_BACKUP_CACHE_ALL	0x1

/* struct jet_instance_op.flags: JetStopBackup()/JetStopService() mode rules */
#define JET_OP_LEGACY		0x1

/* JET_IOC_GET_*_INFO: which name list */
/**
 * struct jet_name_list - JET_IOC_GET_ATTACH_INFO, JET_IOC_GET_LOG_INFO,
 *	JET_IOC_GET_TRUNCATE_LOG_INFO
 * @instance: the instance being backed up (ignored in OneInst)
 * @buf: user pointer to the buffer for the NUL-separated names, which end
 *	with an extra NUL
 * @buf_size: its size
 * @size: out, the bytes needed (also on -ENOBUFS, when nothing else changes)
 *
 * JET_IOC_GET_LOG_INFO and JET_IOC_GET_TRUNCATE_LOG_INFO are
 * JET_IOC_LOG_LIST without flags (they wait for the log roll), for
 * programs built before it.
 */
struct jet_name_list {
	__u64 instance;
	__u64 buf;
	__u32 buf_size;
	__u32 size;
};

/* struct jet_open_file.flags */
#define JET_OPEN_NONBLOCK	0x1	/* the new descriptor gets O_NONBLOCK */

/**
 * struct jet_open_file - JET_IOC_OPEN_FILE: a backup file as a descriptor
 * @instance: the instance being backed up (ignored in OneInst)
 * @name: user pointer to the database path or log path
 * @size: out, the file's size, fixed from now on
 * @fd: out, a new close-on-exec descriptor that reads the file
 * @flags: JET_OPEN_NONBLOCK
 */
struct jet_open_file {
	__u64 instance;
	__u64 name;
	__u64 size;
	__s32 fd;
	__u32 flags;
};

/**
 * struct jet_lock_range - JET_IOC_LOCK_RANGE: the owner's write-range lock
 * @instance: the owner's instance (ignored in OneInst)
 * @name: user pointer to an attached database's path
 * @offset: first byte locked
 * @length: bytes locked, not 0
 * @lock: out, the lock's handle (never 0)
 *
 * Waits for backup reads copying those bytes to finish; then backup reads of
 * them wait until JET_IOC_UNLOCK_RANGE.
 */
struct jet_lock_range {
	__u64 instance;
	__u64 name;
	__u64 offset;
	__u64 length;
	__u64 lock;
};

/**
 * struct jet_truncate_event - JET_IOC_GET_TRUNCATE_EVENT: logs the owner may
 *	delete. poll() on /dev/jet reports EPOLLIN while one is queued.
 * @instance: out, the instance, or 0 when no event is queued
 * @first_generation: out, the first generation that left the instance
 * @last_generation: out, the last one
 */
struct jet_truncate_event {
	__u64 instance;
	__u64 first_generation;
	__u64 last_generation;
};

/**
 * struct jet_file_info - JET_FILE_IOC_INFO, on a backup file descriptor
 * @instance: its instance
 * @size: its size, fixed at open
 * @generation: a log's generation, 0 for a database
 * @kind: JET_FILE_DATABASE or JET_FILE_LOG
 * @status: 0, or the negative errno its backup reads now fail with
 */
struct jet_file_info {
	__u64 instance;
	__u64 size;
	__u64 generation;
	__u32 kind;
	__s32 status;
};

/* ---- the log roll and the log lists (ABI 3) ---- */

/* struct jet_log_list.flags */
#define JET_LOGS_TRUNCATE_SET	0x1	/* the truncate set, not the copy set */
#define JET_LOGS_NO_WAIT	0x2	/* do not wait for the roll: see status */
#define JET_LOGS_FLAGS		0x3

/* struct jet_log_list.status */
#define JET_LOGS_ROLL_PENDING	0x1	/* asked the owner to roll; not done */

/**
 * struct jet_log_list - JET_IOC_LOG_LIST: GetLogInfo and GetTruncateLogInfo
 * @instance: the instance being backed up (ignored in OneInst)
 * @buf: user pointer to the buffer for the NUL-separated names, which end
 *	with an extra NUL; 0 with @buf_size 0 asks only for the size
 * @buf_size: its size
 * @size: out, the bytes the names need (also on -ENOBUFS)
 * @flags: JET_LOGS_*
 * @status: out, JET_LOGS_ROLL_PENDING when only the roll fields are set
 * @gen_low: out, the list's first generation (0 for an empty list)
 * @gen_high: out, its last
 * @roll_instance: out, with JET_LOGS_ROLL_PENDING: the instance to roll
 * @roll_above: out, with it: the owner must register a generation above this
 *
 * The first call of a backup (either list) asks the owner to roll its log
 * and waits until the owner registered a generation above every one
 * registered when the call began; then the copy set is fixed, from the
 * checkpoint at Begin (full) or the oldest registered log (incremental) to
 * the newest registered one, and the backup is in the Logs phase. With
 * JET_LOGS_NO_WAIT a call that would wait returns 0 with status
 * JET_LOGS_ROLL_PENDING instead (nothing else written); call again once the
 * owner rolled. The wait ends with the backup's error on a stop, a
 * StopService(All) or the owner's exit or term, with -ERESTARTSYS on a
 * signal (the roll stays asked), and after the module parameter
 * roll_timeout_ms with -ETIMEDOUT, the backup then failed as on a stop.
 */
struct jet_log_list {
	__u64 instance;
	__u64 buf;
	__u32 buf_size;
	__u32 size;
	__u32 flags;
	__u32 status;
	__u64 gen_low;
	__u64 gen_high;
	__u64 roll_instance;
	__u64 roll_above;
};

/**
 * struct jet_roll_request - JET_IOC_GET_ROLL_REQUEST: a backup asks the
 *	owner to close the log it writes and register it. poll() on /dev/jet
 *	reports EPOLLIN | EPOLLPRI while one is queued (truncation events are
 *	EPOLLIN only). One request per instance is queued at most; it leaves
 *	the queue when read, when the owner registers a generation above
 *	@gen_above, or when the backup that asked ends.
 * @instance: out, the instance, or 0 when no request is queued
 * @gen_above: out, register a generation above this one
 */
struct jet_roll_request {
	__u64 instance;
	__u64 gen_above;
};

/**
 * struct jet_file_id - JET_FILE_IOC_ID, on a backup file descriptor
 * @id: out, the backup file's id: never 0, never the same for two backup
 *	files opened since the module was loaded (a dup of a descriptor, or
 *	a descriptor inherited over fork, has the same id)
 */
struct jet_file_id {
	__u64 id;
};

/* ---- OS snapshots (JetOSSnapshot*), ESE's grbits and sequence ---- */

/* struct jet_snapshot_prepare.grbit */
#define JET_SNAP_INCREMENTAL		0x1	/* JET_bitIncrementalSnapshot */
#define JET_SNAP_COPY			0x2	/* JET_bitCopySnapshot */
#define JET_SNAP_CONTINUE_AFTER_THAW	0x4	/* JET_bitContinueAfterThaw */
#define JET_SNAP_EXPLICIT_PREPARE	0x8	/* JET_bitExplicitPrepare */
#define JET_SNAP_PREPARE_ALL		0xf
/* JET_IOC_SNAPSHOT_TRUNCATE_LOG grbit: JET_bitAllDatabasesSnapshot */
#define JET_SNAP_ALL_DATABASES		0x1
/* JET_IOC_SNAPSHOT_END grbit: JET_bitAbortSnapshot */
#define JET_SNAP_ABORT			0x1

/* struct jet_snapshot_info.state */
#define JET_SNAP_STATE_PREPARED		1
#define JET_SNAP_STATE_FROZEN		2
#define JET_SNAP_STATE_THAWED		3	/* logs may be truncated */
#define JET_SNAP_STATE_TRUNCATED	4
#define JET_SNAP_STATE_FAILED		5	/* timed out, or stopped */

/* Most instances in one snapshot session, and sessions per context. */
#define JET_SNAP_INSTANCES_MAX		256
#define JET_SNAP_SESSIONS_MAX		16

/**
 * struct jet_snapshot_prepare - JET_IOC_SNAPSHOT_PREPARE: a new snapshot
 *	session, owned by the caller's context (its close aborts it)
 * @snapshot: out, the session's id (never 0), valid in this context only
 * @grbit: JET_SNAP_* prepare bits. Without JET_SNAP_EXPLICIT_PREPARE the
 *	session takes every initialised instance the caller may back up that
 *	is in no other session, now
 * @padding: must be zero
 */
struct jet_snapshot_prepare {
	__u64 snapshot;
	__u32 grbit;
	__u32 padding;
};

/**
 * struct jet_snapshot_op - the other JET_IOC_SNAPSHOT_* commands
 * @snapshot: the session
 * @instance: PREPARE_INSTANCE: the instance to add (ignored in OneInst);
 *	TRUNCATE_LOG: one instance of the session, or 0 for all; else 0
 * @grbit: per command (JET_SNAP_ALL_DATABASES, JET_SNAP_ABORT), else 0
 * @timeout_ms: FREEZE: the most the freeze lasts, and the most it waits for
 *	the owners' write locks to be let go; 0: the module's
 *	snapshot_timeout_ms. Else 0
 */
struct jet_snapshot_op {
	__u64 snapshot;
	__u64 instance;
	__u32 grbit;
	__u32 timeout_ms;
};

/**
 * struct jet_snapshot_info - JET_IOC_SNAPSHOT_GET_INFO
 * @snapshot: the session
 * @ids: user pointer to an array of __u64 for the session's instances
 * @ids_max: its length in entries
 * @count: out, the session's instances (also on -ENOBUFS, when nothing is
 *	written to @ids)
 * @state: out, JET_SNAP_STATE_*
 * @padding: must be zero
 */
struct jet_snapshot_info {
	__u64 snapshot;
	__u64 ids;
	__u32 ids_max;
	__u32 count;
	__u32 state;
	__u32 padding;
};

/**
 * struct jet_snapshot_logs - JET_IOC_SNAPSHOT_GET_LOGS: while a session is
 *	frozen, the logs a snapshot of one of its instances needs, as a full
 *	backup's copy set taken at that moment: from the checkpoint recorded
 *	at the freeze (or the oldest registered log when none was set) up to
 *	the newest generation registered after the freeze's roll. Only in
 *	state JET_SNAP_STATE_FROZEN (else -EBADE); a generation missing in
 *	that range gets -ENOMEDIUM (JET_errMissingFileToBackup)
 * @snapshot: the session
 * @instance: an instance of the session (else -EINVAL)
 * @buf: user pointer to the buffer for the NUL-separated paths, which end
 *	with an extra NUL (as JET_IOC_LOG_LIST); 0 with @buf_size 0 asks only
 *	for the size
 * @buf_size: its size
 * @size: out, the bytes the paths need (also on -ENOBUFS, when nothing
 *	else is written to @buf)
 * @gen_low: out, the first generation of the list
 * @gen_high: out, its last (the list holds every generation between)
 * @flags: must be zero
 * @padding: must be zero
 */
struct jet_snapshot_logs {
	__u64 snapshot;
	__u64 instance;
	__u64 buf;
	__u32 buf_size;
	__u32 size;
	__u64 gen_low;
	__u64 gen_high;
	__u32 flags;
	__u32 padding;
};

#define JET_IOC_MAGIC		0xE7

#define JET_IOC_QUERY		_IOR(JET_IOC_MAGIC, 0x00, struct jet_query)
#define JET_IOC_ENABLE_MULTI	_IOW(JET_IOC_MAGIC, 0x01, struct jet_enable_multi)
#define JET_IOC_CREATE_INSTANCE	_IOWR(JET_IOC_MAGIC, 0x02, struct jet_create)
#define JET_IOC_INIT		_IOWR(JET_IOC_MAGIC, 0x03, struct jet_init)
#define JET_IOC_TERM		_IOW(JET_IOC_MAGIC, 0x04, struct jet_term)
#define JET_IOC_GET_STATE	_IOWR(JET_IOC_MAGIC, 0x05, struct jet_get_state)
#define JET_IOC_LIST_INSTANCES	_IOWR(JET_IOC_MAGIC, 0x06, struct jet_list)
#define JET_IOC_ATTACH_DB	_IOW(JET_IOC_MAGIC, 0x07, struct jet_attach)
#define JET_IOC_DETACH_DB	_IOW(JET_IOC_MAGIC, 0x08, struct jet_attach)
#define JET_IOC_ADD_LOG		_IOW(JET_IOC_MAGIC, 0x09, struct jet_add_log)
#define JET_IOC_SET_CHECKPOINT	_IOW(JET_IOC_MAGIC, 0x0a, struct jet_instance_u64)
#define JET_IOC_SET_THROTTLE	_IOW(JET_IOC_MAGIC, 0x0b, struct jet_instance_u64)
#define JET_IOC_LOCK_RANGE	_IOWR(JET_IOC_MAGIC, 0x0c, struct jet_lock_range)
#define JET_IOC_UNLOCK_RANGE	_IOW(JET_IOC_MAGIC, 0x0d, struct jet_instance_u64)
#define JET_IOC_PAUSE_BACKUP	_IOW(JET_IOC_MAGIC, 0x0e, struct jet_instance_op)
#define JET_IOC_GET_TRUNCATE_EVENT _IOR(JET_IOC_MAGIC, 0x0f, struct jet_truncate_event)
#define JET_IOC_BEGIN_BACKUP	_IOW(JET_IOC_MAGIC, 0x10, struct jet_instance_op)
#define JET_IOC_GET_ATTACH_INFO	_IOWR(JET_IOC_MAGIC, 0x11, struct jet_name_list)
#define JET_IOC_OPEN_FILE	_IOWR(JET_IOC_MAGIC, 0x12, struct jet_open_file)
#define JET_IOC_GET_LOG_INFO	_IOWR(JET_IOC_MAGIC, 0x13, struct jet_name_list)
#define JET_IOC_GET_TRUNCATE_LOG_INFO _IOWR(JET_IOC_MAGIC, 0x14, struct jet_name_list)
#define JET_IOC_TRUNCATE_LOG	_IOW(JET_IOC_MAGIC, 0x15, struct jet_instance_op)
#define JET_IOC_END_BACKUP	_IOW(JET_IOC_MAGIC, 0x16, struct jet_instance_op)
#define JET_IOC_STOP_BACKUP	_IOW(JET_IOC_MAGIC, 0x17, struct jet_instance_op)
#define JET_IOC_STOP_SERVICE	_IOW(JET_IOC_MAGIC, 0x18, struct jet_instance_op)
#define JET_IOC_GET_ROLL_REQUEST _IOR(JET_IOC_MAGIC, 0x19, struct jet_roll_request)
#define JET_IOC_LOG_LIST	_IOWR(JET_IOC_MAGIC, 0x1a, struct jet_log_list)
/* the owner: whether backups leave the page cache as they found it */
#define JET_IOC_SET_BACKUP_CACHE _IOW(JET_IOC_MAGIC, 0x30, struct jet_instance_op)

#define JET_IOC_SNAPSHOT_PREPARE _IOWR(JET_IOC_MAGIC, 0x28, struct jet_snapshot_prepare)
#define JET_IOC_SNAPSHOT_PREPARE_INSTANCE _IOW(JET_IOC_MAGIC, 0x29, struct jet_snapshot_op)
#define JET_IOC_SNAPSHOT_FREEZE	_IOW(JET_IOC_MAGIC, 0x2a, struct jet_snapshot_op)
#define JET_IOC_SNAPSHOT_THAW	_IOW(JET_IOC_MAGIC, 0x2b, struct jet_snapshot_op)
#define JET_IOC_SNAPSHOT_TRUNCATE_LOG _IOW(JET_IOC_MAGIC, 0x2c, struct jet_snapshot_op)
#define JET_IOC_SNAPSHOT_END	_IOW(JET_IOC_MAGIC, 0x2d, struct jet_snapshot_op)
#define JET_IOC_SNAPSHOT_GET_INFO _IOWR(JET_IOC_MAGIC, 0x2e, struct jet_snapshot_info)
#define JET_IOC_SNAPSHOT_GET_LOGS _IOWR(JET_IOC_MAGIC, 0x2f, struct jet_snapshot_logs)

/* On a backup file descriptor */
#define JET_FILE_IOC_INFO	_IOR(JET_IOC_MAGIC, 0x40, struct jet_file_info)
#define JET_FILE_IOC_ID		_IOR(JET_IOC_MAGIC, 0x41, struct jet_file_id)

/*
 * The one table of JET error <-> errno. The kernel fails with -errno; libjet
 * maps each errno back to its JET error (libjet/errno_table.h) and nowhere
 * else. Each errno stands for one JET condition.
 */
/* JET_errBackupInProgress -505 */
#define JET_ERRNO_BACKUP_IN_PROGRESS	EBUSY
/* JET_errNoBackup -520 */
#define JET_ERRNO_NO_BACKUP	ESRCH
/* JET_errInvalidBackupSequence -521 */
#define JET_ERRNO_INVALID_BACKUP_SEQUENCE	EPROTO
/* JET_errLogWriteFail -510: the owner did not roll its log in time */
#define JET_ERRNO_LOG_WRITE_FAIL	ETIMEDOUT
/* JET_errMissingFullBackup -560 */
#define JET_ERRNO_MISSING_FULL_BACKUP	ENODATA
/* JET_errMissingFileToBackup -569 */
#define JET_ERRNO_MISSING_FILE_TO_BACKUP	ENOMEDIUM
/* JET_errLogFileNotCopied -616 */
#define JET_ERRNO_LOG_FILE_NOT_COPIED	EINPROGRESS
/* JET_errBackupAbortByServer -801 */
#define JET_ERRNO_BACKUP_ABORT_BY_SERVER	ECANCELED
/* JET_errTermInProgress -1000 */
#define JET_ERRNO_TERM_IN_PROGRESS	ESHUTDOWN
/* JET_errFeatureNotAvailable -1001 */
#define JET_ERRNO_FEATURE_NOT_AVAILABLE	EOPNOTSUPP
/* JET_errInvalidName -1002 */
#define JET_ERRNO_INVALID_NAME	EILSEQ
/* JET_errInvalidParameter -1003 */
#define JET_ERRNO_INVALID_PARAMETER	EINVAL
/* JET_errOutOfMemory -1011 */
#define JET_ERRNO_OUT_OF_MEMORY	ENOMEM
/* JET_errOutOfFileHandles -1020: the files the kernel holds for the
 * caller's uid reached its RLIMIT_NOFILE, or an instance holds its most
 * databases or logs (module parameters max_databases, max_logs)
 */
#define JET_ERRNO_OUT_OF_FILE_HANDLES	EMFILE
/* JET_errDiskIO -1022 */
#define JET_ERRNO_DISK_IO	EIO
/* JET_errInvalidPath -1023 */
#define JET_ERRNO_INVALID_PATH	ENAMETOOLONG
/* JET_errNotInitialized -1029 */
#define JET_ERRNO_NOT_INITIALIZED	EUNATCH
/* JET_errAlreadyInitialized -1030 */
#define JET_ERRNO_ALREADY_INITIALIZED	EALREADY
/* JET_errFileAccessDenied -1032 */
#define JET_ERRNO_FILE_ACCESS_DENIED	EACCES
/* JET_errBufferTooSmall -1038 */
#define JET_ERRNO_BUFFER_TOO_SMALL	ENOBUFS
/* JET_errRunningInOneInstanceMode -1080 */
#define JET_ERRNO_RUNNING_IN_ONE_INSTANCE_MODE	EISCONN
/* JET_errRunningInMultiInstanceMode -1081 */
#define JET_ERRNO_RUNNING_IN_MULTI_INSTANCE_MODE	EMLINK
/* JET_errSystemParamsAlreadySet -1082 */
#define JET_ERRNO_SYSTEM_PARAMS_ALREADY_SET	EROFS
/* JET_errInstanceNameInUse -1086 */
#define JET_ERRNO_INSTANCE_NAME_IN_USE	ENOTUNIQ
/* JET_errDatabaseDuplicate -1201 */
#define JET_ERRNO_DATABASE_DUPLICATE	EEXIST
/* JET_errDatabaseNotFound -1203 */
#define JET_ERRNO_DATABASE_NOT_FOUND	ENXIO
/* JET_errTooManyInstances -1214 */
#define JET_ERRNO_TOO_MANY_INSTANCES	ENOSPC
/* JET_errClientRequestToStopJetService -1329 */
#define JET_ERRNO_CLIENT_REQUEST_TO_STOP_JET_SERVICE	ECONNABORTED
/* JET_errFileNotFound -1811 */
#define JET_ERRNO_FILE_NOT_FOUND	ENOENT
/* JET_errFileIOBeyondEOF -4001: a source shorter than its size at open */
#define JET_ERRNO_FILE_IO_BEYOND_EOF	ERANGE

/* JET_errOSSnapshotInvalidSequence -2401 */
#define JET_ERRNO_OS_SNAPSHOT_INVALID_SEQUENCE	EBADE
/* JET_errOSSnapshotTimeOut -2402 */
#define JET_ERRNO_OS_SNAPSHOT_TIME_OUT	ETIME
/* JET_errOSSnapshotNotAllowed -2403 */
#define JET_ERRNO_OS_SNAPSHOT_NOT_ALLOWED	EBADR
/* JET_errOSSnapshotInvalidSnapId -2404 */
#define JET_ERRNO_OS_SNAPSHOT_INVALID_SNAP_ID	EBADSLT

/* Second causes of a JET condition, each with an errno of its own. */
/* JET_errFileAccessDenied: a capability is missing */
#define JET_ERRNO_FILE_ACCESS_DENIED_CAP	EPERM
/* JET_errTooManyInstances: the per-user instance limit */
#define JET_ERRNO_TOO_MANY_INSTANCES_USER	EDQUOT
/* JET_errInvalidPath: a descriptor that is not a regular file */
#define JET_ERRNO_INVALID_PATH_NOT_REGULAR	EBADFD
/* JET_errInvalidPath: libjet's open() of a path */
#define JET_ERRNO_INVALID_PATH_LOOP	ELOOP
/* JET_errFileNotFound: libjet's open() of a path */
#define JET_ERRNO_FILE_NOT_FOUND_NOT_DIR	ENOTDIR
/* JET_errInvalidParameter: not a descriptor */
#define JET_ERRNO_INVALID_PARAMETER_FD	EBADF
/* JET_errInvalidParameter: a bad user pointer */
#define JET_ERRNO_INVALID_PARAMETER_FAULT	EFAULT
/* JET_errInvalidParameter: an unknown command */
#define JET_ERRNO_INVALID_PARAMETER_COMMAND	ENOTTY
/* JET_errInvalidParameter: a struct from a newer program, with fields this
 * module does not know set
 */
#define JET_ERRNO_INVALID_PARAMETER_SIZE	E2BIG

#endif /* _UAPI_JET_IOCTL_H */
