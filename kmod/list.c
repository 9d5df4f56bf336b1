// SPDX-License-Identifier: GPL-2.0
/*
 * What anyone may learn: the module's features, one instance's
 * state, and the list of every instance of the caller's IPC namespace.
 */
#include <linux/cred.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "jet.h"

#define JET_FEATURES	(JET_FEATURE_INSTANCES | JET_FEATURE_BACKUP |	\
			 JET_FEATURE_STOP | JET_FEATURE_SPLICE |	\
			 JET_FEATURE_RANGE_LOCKS | JET_FEATURE_THROTTLE | \
			 JET_FEATURE_PAUSE | JET_FEATURE_TRUNCATE_EVENTS | \
			 JET_FEATURE_LIST_PAGED)

/* The listing's kernel buffer grows in steps from this size. */
#define JET_LIST_MIN_ALLOC	4096

long jet_ioc_query(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_query *q = karg;

	memset(q, 0, sizeof(*q));
	q->abi_version = JET_ABI_VERSION;
	q->features = JET_FEATURES;
	q->max_instances = READ_ONCE(jet_max_instances);
	q->max_instances_per_user = READ_ONCE(jet_max_instances_per_user);
	q->name_max = JET_NAME_MAX;
	q->path_max = JET_PATH_MAX;
	q->mode = READ_ONCE(ctx->mode);
	return 0;
}

/* under inst->mutex */
static u32 jet_state_flags(struct jet_ctx *ctx, struct jet_instance *inst)
{
	struct jet_backup *b = inst->backup;
	u32 flags = 0;

	if (inst->initialized)
		flags |= JET_STATE_INITIALIZED;
	if (inst->owner == ctx)
		flags |= JET_STATE_MINE;
	if (inst->service_stopped)
		flags |= JET_STATE_SERVICE_STOPPED;
	if (inst->terminating)
		flags |= JET_STATE_TERMINATING;
	if (inst->full_backup_done)
		flags |= JET_STATE_FULL_BACKUP_DONE;
	if (inst->cache_warm)
		flags |= JET_STATE_CACHE_WARM;
	if (b) {
		flags |= JET_STATE_BACKUP;
		if (READ_ONCE(b->err))
			flags |= JET_STATE_BACKUP_STOPPED;
		if (b->agent == ctx)
			flags |= JET_STATE_BACKUP_MINE;
	}
	return flags;
}

/* under inst->mutex */
static void jet_fill_state(struct jet_ctx *ctx, struct jet_instance *inst,
			   struct jet_instance_state *st)
{
	struct jet_backup *b = inst->backup;

	memset(st, 0, sizeof(*st));
	st->instance = inst->id;
	st->checkpoint = inst->checkpoint;
	if (!list_empty(&inst->logs))
		st->newest_log = list_last_entry(&inst->logs,
						 struct jet_regfile,
						 node)->generation;
	st->owner_pid = pid_vnr(inst->owner_pid);
	st->owner_uid = from_kuid_munged(current_user_ns(), inst->owner_euid);
	st->flags = jet_state_flags(ctx, inst);
	st->service_bits = inst->service_bits;
	st->db_count = inst->ndbs;
	st->log_count = inst->nlogs;
	st->bytes_read = inst->last_bytes_read;
	if (b) {
		st->bytes_read = atomic64_read(&b->bytes_read);
		st->phase = b->phase;
		st->open_files = atomic_read(&b->open_files);
	}

	spin_lock(&inst->gate_lock);
	st->throttle = inst->throttle_bps;
	if (inst->paused)
		st->flags |= JET_STATE_PAUSED;
	if (inst->frozen)
		st->flags |= JET_STATE_FROZEN;
	spin_unlock(&inst->gate_lock);
	if (inst->snapshot)
		st->flags |= JET_STATE_SNAPSHOT;
}

long jet_ioc_get_state(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_get_state *arg = karg;
	struct jet_instance *inst;
	int err;

	err = jet_instance_lock(ctx, arg->instance, &inst);
	if (err)
		return err;
	jet_fill_state(ctx, inst, &arg->state);
	jet_instance_unlock(inst);
	return 0;
}

/*
 * The records of a listing, built in kernel memory so that no instance is
 * locked while userspace memory is written. Once the records outgrow the
 * caller's buffer, only their size is counted; a paged listing stops
 * there instead. Either way the kernel never holds more than the caller's
 * buf_size, whatever other users' instances hold.
 */
struct jet_list_buf {
	char *data;
	size_t cap;
	u64 size;		/* bytes of every record so far */
	u32 count;
	u32 limit;		/* the caller's buf_size */
	bool paged;
	bool full;		/* paged: the page is full */
	u64 next;		/* paged: the first id left out */
};

static size_t jet_str_size(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

static char *jet_put_str(char *p, const char *s)
{
	size_t n = jet_str_size(s);

	if (s)
		memcpy(p, s, n);
	return p + n;
}

/* room for @need bytes in all; need <= lb->limit */
static int jet_list_reserve(struct jet_list_buf *lb, size_t need)
{
	size_t cap;
	char *data;

	if (need <= lb->cap)
		return 0;
	cap = max_t(size_t, lb->cap * 2, JET_LIST_MIN_ALLOC);
	cap = clamp_t(size_t, cap, need, lb->limit);
	data = kvmalloc(cap, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!data)
		return -ENOMEM;
	if (lb->data)
		memcpy(data, lb->data, lb->size);
	kvfree(lb->data);
	lb->data = data;
	lb->cap = cap;
	return 0;
}

/* under inst->mutex */
static int jet_list_add(struct jet_ctx *ctx, struct jet_instance *inst,
			struct jet_list_buf *lb)
{
	size_t name_size = jet_str_size(inst->name);
	size_t display_size = jet_str_size(inst->display_name);
	struct jet_instance_record *rec;
	struct jet_regfile *db;
	size_t dbs_size = 0;
	u32 ndbs = 0;
	size_t rsize;
	char *p;
	int err;

	list_for_each_entry(db, &inst->dbs, node)
		dbs_size += strlen(db->path) + 1;
	rsize = ALIGN(sizeof(*rec) + name_size + display_size + dbs_size, 8);

	if (lb->paged && lb->size + rsize > lb->limit) {
		lb->full = true;
		lb->next = inst->id;
		if (!lb->count)
			lb->size = rsize;	/* what the first one needs */
		return 0;
	}
	lb->count++;
	if (lb->size + rsize > lb->limit) {
		lb->size += rsize;
		return 0;
	}
	err = jet_list_reserve(lb, lb->size + rsize);
	if (err)
		return err;

	rec = (struct jet_instance_record *)(lb->data + lb->size);
	memset(rec, 0, rsize);
	rec->record_size = rsize;
	rec->name_size = name_size;
	rec->display_size = display_size;
	rec->dbs_size = dbs_size;
	jet_fill_state(ctx, inst, &rec->state);
	p = jet_put_str((char *)(rec + 1), inst->name);
	p = jet_put_str(p, inst->display_name);
	list_for_each_entry(db, &inst->dbs, node) {
		p = jet_put_str(p, db->path);
		ndbs++;
	}
	rec->state.db_count = ndbs;
	lb->size += rsize;
	return 0;
}

static int jet_list_copy_out(struct jet_list *arg, struct jet_list __user *ul,
			     size_t usize, struct jet_list_buf *lb)
{
	if (lb->size > U32_MAX)
		return -EOVERFLOW;
	if (lb->size > arg->buf_size || (lb->full && !lb->count)) {
		if (put_user((u32)lb->size, &ul->size))
			return -EFAULT;
		return -ENOBUFS;
	}
	if (copy_to_user(u64_to_user_ptr(arg->buf), lb->data, lb->size))
		return -EFAULT;
	arg->count = lb->count;
	arg->size = lb->size;
	arg->next = lb->next;
	/* only what the caller's struct has room for (ioctl.c) */
	if (copy_to_user(ul, arg, min_t(size_t, usize, sizeof(*arg))))
		return -EFAULT;
	return 0;
}

long jet_ioc_list_instances(struct jet_ctx *ctx, void *karg,
			    void __user *uarg)
{
	struct jet_list *arg = karg;
	struct jet_list_buf lb = {
		.limit = arg->buf_size,
		.paged = arg->flags & JET_LIST_PAGED,
	};
	struct jet_instance *inst;
	unsigned long id = 0;
	int err = 0;

	/* ids are u32; start means nothing to an unpaged listing */
	if (arg->start > U32_MAX || (arg->start && !lb.paged))
		return -EINVAL;
	id = arg->start;
	while (!err && !lb.full && (inst = jet_instance_next(&id))) {
		/* short (jet.h), but another user's call may hold it */
		if (mutex_lock_killable(&inst->mutex)) {
			jet_instance_put(inst);
			err = -EINTR;
			break;
		}
		if (!inst->terminating)
			err = jet_list_add(ctx, inst, &lb);
		jet_instance_unlock(inst);
		id++;
		cond_resched();
	}
	if (!err)
		err = jet_list_copy_out(arg, uarg, jet_ioctl_usize(karg), &lb);
	kvfree(lb.data);
	return err;
}
