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
 *
 * Lock order (outermost first):
 *  ctx->lock  ->  inst->mutex  ->  jet_global_lock  ->  inst->gate_lock
 *  ctx->events_lock and the XArray's own lock are innermost.
 * No lock is held across copy_to_user/copy_from_user except inst->mutex and
 * ctx->lock (both sleeping locks); never hold gate_lock across a user copy.
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
#include <linux/poll.h>

#include "../uapi/jet_ioctl.h"
#include "cache.h"

/* ---- client context (ctx.c) ---- */

struct jet_ctx {
	struct mutex lock;		/* mode, instances, backups */
	/* JET_MODE_*: WRITE_ONCE under lock, READ_ONCE without it */
	int mode;
	struct list_head instances;	/* owned, by jet_instance.ctx_node */
	unsigned int ninstances;
	struct list_head backups;	/* begun here, by jet_backup.ctx_node */

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

	struct mutex mutex;		/* everything below up to gate_lock */
	/* NULL once terminating; written under mutex and jet_global_lock */
	struct jet_ctx *owner;
	bool initialized;
	bool terminating;
	struct list_head dbs;		/* jet_regfile, attach order */
	unsigned int ndbs;
	struct list_head logs;		/* jet_regfile, generation order */
	unsigned int nlogs;
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

	/* The read gate (gate.c); see stop.c for the stop protocol. */
	spinlock_t gate_lock;
	wait_queue_head_t gate_wq;	/* blocked backup reads and lockers */
	bool paused;
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
};

/* ---- backup (backup.c, bfile.c, stop.c) ---- */

struct jet_copy_entry {
	struct jet_regfile *log;	/* holds a ref */
	bool copied;			/* read to its end */
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
	struct jet_copy_entry *copy_set;	/* NULL until computed */
	unsigned int copy_count;
	atomic_t open_files;
	atomic64_t bytes_read;

	/*
	 * 0 while running; else the negative errno every backup read and call
	 * now fails with: -ECANCELED (stopped), -ECONNABORTED (service
	 * stopped), -ESRCH (ended). Written under inst->mutex and
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
	struct jet_cache cache;		/* what the source's cache held */
};

/* ---- shared helpers ---- */

/* guards the name hash, the per-user counts and the instance total */
extern struct mutex jet_global_lock;
extern unsigned int jet_max_instances;
extern unsigned int jet_max_instances_per_user;

/* util.c: copy a NUL-terminated user string of at most max bytes (no NUL).
 * 0 with *out = NULL for a zero pointer; -EFAULT; -ENAMETOOLONG; -ENOMEM.
 */
int jet_strndup_user(u64 uptr, size_t max, char **out);

/* ctx.c */
struct jet_ctx *jet_ctx_alloc(void);
void jet_ctx_free(struct jet_ctx *ctx);

/* ioctl.c: the one door for every /dev/jet ioctl */
long jet_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* instance.c */
struct jet_instance *jet_instance_get(u32 id);	/* with a ref, or NULL */
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

/* backup.c */
void jet_backup_put(struct jet_backup *b);
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

/* events.c */
int jet_event_queue(struct jet_ctx *owner, u32 inst_id, u64 first, u64 last);
__poll_t jet_events_poll(struct jet_ctx *ctx, struct file *file,
			 poll_table *wait);
void jet_events_release(struct jet_ctx *ctx);

/* bfile.c: a new backup file descriptor (not yet installed) */
struct file *jet_bfile_create(struct jet_backup *b, struct jet_regfile *src,
			      int kind, int copy_index, int flags);

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
/* backup.c */
long jet_ioc_begin_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_attach_info(struct jet_ctx *ctx, void *karg,
			     void __user *uarg);
long jet_ioc_open_file(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_log_info(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_get_truncate_log_info(struct jet_ctx *ctx, void *karg,
				   void __user *uarg);
long jet_ioc_truncate_log(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_end_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
/* cache.c */
long jet_ioc_set_backup_cache(struct jet_ctx *ctx, void *karg,
			      void __user *uarg);
/* stop.c */
long jet_ioc_stop_backup(struct jet_ctx *ctx, void *karg, void __user *uarg);
long jet_ioc_stop_service(struct jet_ctx *ctx, void *karg, void __user *uarg);

#endif /* _JET_H */
