/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's internal objects and the calls between its files.
 *
 * Objects:
 *  jet_ctx       one per open of /dev/jet: run mode, owned instances, the
 *                backups it began, truncate events for its instances.
 *  jet_instance  an ESE instance; found by id in an XArray; kref-counted.
 *  jet_regfile   a database or log the owner registered (holds a file ref).
 *  jet_backup    one streaming backup of an instance, owned by the agent's
 *                context; kref-counted (instance, agent and files hold refs).
 *  jet_bfile     private data of one backup file descriptor (anon inode).
 *  jet_snapshot  an OS snapshot session, owned by the context that
 *                prepared it (snapshot.c).
 *
 * Lock order (outermost first):
 *  ctx->lock  ->  inst->mutex  ->  jet_global_lock  ->  inst->gate_lock
 *  ctx->lock  ->  snapshot->lock  ->  inst->mutex
 *  ctx->events_lock and the XArray's own lock are innermost.
 *  b->copy_mutex (delivered ranges, logs.c) is taken alone by readers and
 *  under inst->mutex by TruncateLog; nothing is taken under it.
 *
 * The rule (SPEC section 8): nothing that sleeps for as long as a user
 * decides runs under a lock that another user's call, a listing or a stop
 * needs. That is: no copy_to_user/copy_from_user/put_user/get_user/
 * strncpy_from_user, no fget/dentry_open/read of a user's file, under
 * inst->mutex, jet_global_lock, b->copy_mutex or gate_lock. Copies go
 * through a kernel buffer before the lock or after it. Only ctx->lock,
 * which only the context's own calls take, may be held across a user copy.
 * Waits for inst->mutex are killable (jet_instance_lock()), since another
 * user's call may hold it.
 *
 * The log roll's wait (logs.c) holds no lock at all: the agent's call
 * drops ctx->lock and inst->mutex, keeps its reference to the backup, and
 * sleeps on inst->gate_wq until inst->log_generation passes the generation
 * it asked above or b->err is set, so a stop, a listing, a term and the
 * owner's ADD_LOG all run while it waits; it takes inst->mutex again to
 * look at the result.
 */
#ifndef _JET_H
#define _JET_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/uidgid.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/poll.h>

#include "../uapi/jet_ioctl.h"

/* ---- client context (ctx.c) ---- */

struct jet_ctx {
	struct mutex lock;		/* mode, instances, backups */
	/* JET_MODE_*: WRITE_ONCE under lock, READ_ONCE without it */
	int mode;
	struct list_head instances;	/* owned, by jet_instance.ctx_node */
	unsigned int ninstances;
	struct list_head backups;	/* begun here, by jet_backup.ctx_node */

	/* OS snapshot sessions prepared here (snapshot.c), under lock */
	struct list_head snapshots;
	unsigned int nsnapshots;
	u32 next_snapshot_id;

	spinlock_t events_lock;		/* events; taken in poll() */
	struct list_head events;	/* struct jet_event, FIFO */
	wait_queue_head_t events_wq;	/* poll() on /dev/jet */
};

/* ---- instance (instance.c) ---- */

struct jet_instance {
	struct kref ref;
	u32 id;
	char *name;			/* NULL for none */
	char *display_name;		/* NULL for none */
	/* in jet_names: by name, or by owner ctx when unnamed */
	struct hlist_node name_node;
	struct list_head ctx_node;	/* owner->instances */
	kuid_t owner_euid;		/* effective uid of the creator */
	struct pid *owner_pid;		/* tgid of the creator */
	/* the creator's IPC namespace (a reference where the kernel allows) */
	struct ipc_namespace *ipc_ns;
	struct user_namespace *user_ns;	/* owns ipc_ns; holds a ref */

	struct mutex mutex;		/* everything below up to gate_lock */
	/* NULL once terminating; written under mutex and jet_global_lock */
	struct jet_ctx *owner;
	bool initialized;
	bool terminating;
	bool oneinst;			/* made by JetInit(NULL); set once */
	struct list_head dbs;		/* jet_regfile, attach order */
	unsigned int ndbs;
	struct list_head logs;		/* jet_regfile, generation order */
	unsigned int nlogs;
	size_t path_bytes;		/* of its databases and logs */
	/*
	 * The newest generation ever registered (logs.c): WRITE_ONCE under
	 * mutex, READ_ONCE by the roll's wait. Registrations must go above it.
	 */
	u64 log_generation;
	u64 checkpoint;
	bool full_backup_done;		/* a normal end of a full backup */
	u64 last_backup_generation;	/* newest log copied by a backup */
	u32 service_bits;		/* JET_SERVICE_* recorded */
	bool service_stopped;		/* StopService(All): sticky to term */
	struct jet_backup *backup;	/* running (maybe stopped) backup */
	u64 last_bytes_read;		/* of the backup that ended last */
	/* JET_BACKUP_CACHE_WARM (cache.c): WRITE_ONCE under mutex */
	bool cache_warm;
	struct list_head locks;		/* owner's write-range locks */
	u64 next_lock_id;
	/* the OS snapshot session it is in (snapshot.c), or NULL */
	struct jet_snapshot *snapshot;

	/* The read gate (gate.c); see stop.c for the stop protocol. */
	spinlock_t gate_lock;
	wait_queue_head_t gate_wq;	/* blocked backup reads and lockers */
	bool paused;
	/* an OS snapshot froze it: LOCK_RANGE waits (also under mutex) */
	bool frozen;
	u64 throttle_bps;		/* 0: none */
	u64 throttle_tokens;
	ktime_t throttle_stamp;
	struct list_head active_reads;	/* struct jet_range being copied */
};

/* A byte range of one database: an owner's lock or a read being copied. */
struct jet_range {
	struct list_head node;
	struct jet_regfile *db;
	u64 start, end;			/* [start, end) */
	u64 id;				/* lock handle; 0 for reads */
};

/* A database or a log the owner registered. */
struct jet_regfile {
	struct kref ref;
	struct list_head node;		/* inst->dbs or inst->logs */
	char *path;
	struct file *file;		/* the kernel's own reference */
	u64 generation;			/* logs only */
	/* the user the file counts against while file is set (files.c) */
	kuid_t charged;
};

/* ---- cache-neutral backup reads (cache.c) ---- */

struct jet_bfile;

/*
 * A backup leaves the page cache as it found it: pages of the source that
 * were resident before the backup looked at them stay; pages that only the
 * backup brought in are dropped once copied. The owner may opt out per
 * instance (JET_IOC_SET_BACKUP_CACHE, JET_BACKUP_CACHE_WARM).
 *
 * Pages of the window: a chunk, the pages looked at ahead of it, and slack.
 */
#define JET_CACHE_WINDOW	1024

/*
 * What one backup file knows of its source's page cache: for each page of
 * [first, end), whether it was resident when the backup first looked at it
 * (bit index = page index % JET_CACHE_WINDOW). Pages before first are
 * copied and settled; pages from end on are not looked at yet.
 */
struct jet_cache {
	spinlock_t lock;		/* first, end, resident */
	pgoff_t first;
	pgoff_t end;
	DECLARE_BITMAP(resident, JET_CACHE_WINDOW);
};

void jet_cache_init(struct jet_cache *c);
/* before copying [pos, pos + len): note what is resident there and ahead */
void jet_cache_before(struct jet_bfile *bf, loff_t pos, size_t len);
/* after copying [pos, pos + n): drop the copied pages the backup brought in */
void jet_cache_after(struct jet_bfile *bf, loff_t pos, size_t n);
/* the backup file closes: drop what was read ahead and never copied */
void jet_cache_release(struct jet_bfile *bf);

/* ---- backup (backup.c, bfile.c, stop.c) ---- */

struct jet_ranges;			/* logs.c: delivered byte ranges */

struct jet_copy_entry {
	struct jet_regfile *log;	/* holds a ref */
	/* under the backup's copy_mutex */
	loff_t size;			/* fixed at its first open; -1 before */
	bool copied;			/* every byte of [0, size) delivered */
	struct jet_ranges *delivered;	/* what was, until copied */
};

struct jet_backup {
	struct kref ref;
	struct jet_instance *inst;	/* holds a ref */
	u32 inst_id;
	struct jet_ctx *agent;		/* the context that began it */
	struct list_head ctx_node;	/* agent->backups, under agent->lock */

	/* under inst->mutex */
	int phase;			/* JET_PHASE_* */
	bool incremental;
	bool log_info_done;		/* GetLogInfo was called */
	bool ended;
	u64 checkpoint_at_begin;
	/* the log roll (logs.c) */
	bool roll_asked;		/* roll_above and roll_deadline are set */
	bool roll_queued;		/* a request went to the owner */
	u64 roll_above;			/* newest generation when it was asked */
	unsigned long roll_deadline;	/* jiffies */
	/* the copy set, fixed with log_info_done once the roll is done */
	struct jet_copy_entry *copy_set;
	unsigned int copy_count;
	struct mutex copy_mutex;	/* the entries' delivery state */
	atomic_t open_files;
	atomic64_t bytes_read;

	/*
	 * 0 while running; else the negative errno every backup read and call
	 * now fails with: -ECANCELED (stopped, or the roll timed out),
	 * -ECONNABORTED (service stopped), -ERANGE (a source shrank below its
	 * size at open), -ESRCH (ended). Written under inst->mutex and
	 * inst->gate_lock, followed by a wake-up of inst->gate_wq; read with
	 * READ_ONCE.
	 */
	int err;
};

struct jet_bfile {
	struct jet_backup *backup;	/* holds a ref */
	struct jet_regfile *src;	/* holds a ref */
	loff_t size;			/* fixed at open */
	int kind;			/* JET_FILE_* */
	int copy_index;			/* logs: index in copy_set; else -1 */
	u64 id;				/* JET_FILE_IOC_ID: unique, never 0 */
	struct jet_cache cache;		/* what the source's cache held */
};

/* ---- shared helpers ---- */

/* guards the name hash, the per-user counts and the instance total */
extern struct mutex jet_global_lock;
extern unsigned int jet_max_instances;
extern unsigned int jet_max_instances_per_user;
/* ---- limits (main.c; SPEC section 8) ---- */
extern unsigned int jet_max_instances_per_ns;
extern unsigned int jet_max_databases;		/* per instance */
extern unsigned int jet_max_logs;		/* per instance */
extern unsigned int jet_max_path_bytes;		/* per instance */
extern unsigned int jet_max_locks;		/* per instance */

/* util.c: counts in an XArray, under the caller's lock */
unsigned long jet_count_get(struct xarray *xa, unsigned long index);
int jet_count_set(struct xarray *xa, unsigned long index, unsigned long count);

/* util.c: copy a NUL-terminated user string of at most max bytes (no NUL).
 * 0 with *out = NULL for a zero pointer; -EFAULT; -ENAMETOOLONG; -ENOMEM.
 */
int jet_strndup_user(u64 uptr, size_t max, char **out);

/* ctx.c */
struct jet_ctx *jet_ctx_alloc(void);
void jet_ctx_free(struct jet_ctx *ctx);

/* ioctl.c: the one door for every /dev/jet ioctl */
long jet_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
/*
 * In a handler: the size of the caller's struct, which a handler that
 * writes its results itself must not write beyond (older programs).
 */
size_t jet_ioctl_usize(const void *karg);

/* instance.c */
/* in the caller's IPC namespace, with a ref, or NULL */
struct jet_instance *jet_instance_get(u32 id);
/* is inst in the caller's IPC namespace? */
bool jet_instance_visible(const struct jet_instance *inst);
/* has the caller cap in the user namespace owning inst's namespace? */
bool jet_instance_capable(const struct jet_instance *inst, int cap);
/* the next instance at or after *index, with a ref; NULL at the end */
struct jet_instance *jet_instance_next(unsigned long *index);
/* module exit: every context is closed by now */
void jet_instances_exit(void);
void jet_instance_put(struct jet_instance *inst);
/*
 * Resolve a handle for ctx (OneInst: the context's instance), take a ref and
 * inst->mutex, and check it is live: 0, -EINVAL (zero, unknown or ended),
 * -ESHUTDOWN (being terminated). On success unlock and put when done.
 */
int jet_instance_lock(struct jet_ctx *ctx, u64 handle,
		      struct jet_instance **out);
void jet_instance_unlock(struct jet_instance *inst);
/* under inst->mutex: 0 if ctx owns inst, else -EACCES */
int jet_check_owner(struct jet_ctx *ctx, struct jet_instance *inst);
/* terminate every instance ctx owns (context close) */
void jet_instances_release_ctx(struct jet_ctx *ctx);

/* files.c, under inst->mutex */
struct jet_regfile *jet_find_db(struct jet_instance *inst, const char *path);
struct jet_regfile *jet_find_log(struct jet_instance *inst, const char *path);
void jet_regfile_put(struct jet_regfile *rf);
/* term: drop databases, logs and range locks, waking lock waiters */
void jet_files_release(struct jet_instance *inst);
/* module exit */
void jet_files_exit(void);

/* backup.c */
void jet_backup_put(struct jet_backup *b);
/*
 * The caller's own backup of handle, with a reference and its instance's
 * mutex held (ctx->lock is not kept): 0, or -EINVAL/-ESHUTDOWN for a bad
 * handle, -EBUSY if another context's backup runs, -ESRCH if none.
 * jet_backup_unget() unlocks and puts.
 */
int jet_backup_get(struct jet_ctx *ctx, u64 handle, struct jet_backup **out);
void jet_backup_unget(struct jet_backup *b);
/* the name lists' kernel buffer: sized first (buf NULL), then filled */
struct jet_names {
	char *buf;
	size_t size;
};

void jet_names_add(struct jet_names *nm, const char *name);
/* under inst->mutex: end the list (its extra NUL) */
void jet_names_end(struct jet_names *nm);
/* context close: end every backup ctx began as an abort */
void jet_backups_release_ctx(struct jet_ctx *ctx);
/* term, under inst->mutex: stop the running backup and detach it */
void jet_backup_detach(struct jet_instance *inst);

/*
 * stop.c, under inst->mutex: set b->err (an ended backup's -ESRCH stays;
 * callers check b->err first when an earlier failure must stand) and wake
 * the instance's gate
 */
void jet_backup_fail(struct jet_backup *b, int err);

/* gate.c: a read's way through the gate (waits, then marks it copying) */
void jet_gate_init(struct jet_instance *inst);
long jet_gate_enter(struct jet_bfile *bf, loff_t pos, size_t len,
		    bool nonblock, struct jet_range *rd);
void jet_gate_leave(struct jet_bfile *bf, struct jet_range *rd,
		    size_t granted, ssize_t done);
__poll_t jet_gate_poll(struct jet_bfile *bf, loff_t pos,
		       unsigned long *recheck);

/* logs.c: the log phase (the roll, the copy set, truncation) */
extern unsigned int jet_roll_timeout_ms;
/* under inst->mutex, after ADD_LOG registered generation: wake the roll */
void jet_log_registered(struct jet_instance *inst, u64 generation);
/* under inst->mutex, as b ends or leaves its instance: drop its request */
void jet_roll_withdraw(struct jet_backup *b);
void jet_copy_set_free(struct jet_backup *b);
/* under inst->mutex: a backup file opens log index; its size at open */
int jet_log_open(struct jet_backup *b, int index, loff_t *size);
/* a backup read delivered [pos, pos + len) of log index to the agent */
void jet_log_delivered(struct jet_backup *b, int index, loff_t pos,
		       size_t len);

/* events.c */
int jet_event_queue(struct jet_ctx *owner, u32 inst_id, u64 first, u64 last);
/* queue (or raise) instance inst_id's roll request: 0 or -ENOMEM */
int jet_roll_request_queue(struct jet_ctx *owner, u32 inst_id, u64 above);
/* drop inst_id's queued roll request if its gen_above is < below */
void jet_roll_request_remove(struct jet_ctx *owner, u32 inst_id, u64 below);
__poll_t jet_events_poll(struct jet_ctx *ctx, struct file *file,
			 poll_table *wait);
void jet_events_release(struct jet_ctx *ctx);

/*
 * snapshot.c. Under inst->mutex: wait until no snapshot freezes inst (it
 * drops and retakes the mutex): 0, -ESHUTDOWN (term meanwhile), or
 * -ERESTARTSYS.
 */
int jet_snapshot_wait_thawed(struct jet_instance *inst);
/* under inst->mutex: a stop of inst thaws its snapshot session */
void jet_snapshot_stop(struct jet_instance *inst);
/* context close: abort every session it prepared, thawing */
void jet_snapshots_release_ctx(struct jet_ctx *ctx);

/* bfile.c: a new backup file descriptor of size bytes (not yet installed) */
struct file *jet_bfile_create(struct jet_backup *b, struct jet_regfile *src,
			      int kind, int copy_index, loff_t size,
			      int flags);

/*
 * ioctl handlers. karg is the kernel copy of the argument, already checked
 * for size, padding and unknown flags by ioctl.c; the generic path copies it
 * back for _IOC_READ commands unless the row says the handler does it.
 */
typedef long (*jet_ioctl_fn)(struct jet_ctx *ctx, void *karg,
			     void __user *uarg);

/* instance.c / list.c / ctx.c */
long jet_ioc_query(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_enable_multi(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_create_instance(struct jet_ctx *ctx, void *karg,
			     void __user *uarg);
long jet_ioc_init(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_term(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_state(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_list_instances(struct jet_ctx *ctx, void *karg,
			    void __user *uarg);
/* files.c */
long jet_ioc_attach_db(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_detach_db(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_add_log(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_set_checkpoint(struct jet_ctx *ctx, void *karg,
			    void __user *uarg);
/* gate.c */
long jet_ioc_set_throttle(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_lock_range(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_unlock_range(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_pause_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
/* events.c */
long jet_ioc_get_truncate_event(struct jet_ctx *ctx, void *karg,
				void __user *uarg);
long jet_ioc_get_roll_request(struct jet_ctx *ctx, void *karg,
			      void __user *uarg);
/* backup.c */
long jet_ioc_begin_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_attach_info(struct jet_ctx *ctx, void *karg,
			     void __user *uarg);
long jet_ioc_open_file(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_end_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
/* logs.c */
long jet_ioc_get_log_info(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_truncate_log_info(struct jet_ctx *ctx, void *karg,
				   void __user *uarg);
long jet_ioc_log_list(struct jet_ctx *ctx, void *karg, void __user *uarg);
/*
 * logs.c, under inst->mutex: the logs below limit leave the instance and its
 * owner is told which it may delete (nothing changes if it cannot be)
 */
int jet_logs_truncate(struct jet_instance *inst, u64 limit);
long jet_ioc_truncate_log(struct jet_ctx *ctx, void *karg, void __user *uarg);
/* snapshot.c */
long jet_ioc_snapshot_prepare(struct jet_ctx *ctx, void *karg,
			      void __user *uarg);
long jet_ioc_snapshot_prepare_instance(struct jet_ctx *ctx, void *karg,
				       void __user *uarg);
long jet_ioc_snapshot_freeze(struct jet_ctx *ctx, void *karg,
			     void __user *uarg);
long jet_ioc_snapshot_thaw(struct jet_ctx *ctx, void *karg,
			   void __user *uarg);
long jet_ioc_snapshot_truncate_log(struct jet_ctx *ctx, void *karg,
				   void __user *uarg);
long jet_ioc_snapshot_end(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_snapshot_get_info(struct jet_ctx *ctx, void *karg,
			       void __user *uarg);
long jet_ioc_snapshot_get_logs(struct jet_ctx *ctx, void *karg,
			       void __user *uarg);
/* cache.c */
long jet_ioc_set_backup_cache(struct jet_ctx *ctx, void *karg,
			      void __user *uarg);
/* stop.c */
long jet_ioc_stop_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_stop_service(struct jet_ctx *ctx, void *karg, void __user *uarg);

#endif /* _JET_H */
