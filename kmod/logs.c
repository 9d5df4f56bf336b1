// SPDX-License-Identifier: GPL-2.0
/*
 * logs.c - the log phase of a backup: the roll, the copy set, what was
 * delivered, GetLogInfo, GetTruncateLogInfo and TruncateLog (SPEC 6.6, 6.7).
 *
 * The roll. A database page copied by a backup may carry changes whose log
 * records are still in the log the owner is writing. So the backup's first
 * log list asks the owner to close that log (a request on the owner's
 * context, events.c) and waits until the owner registers a generation above
 * every one registered when the call began; every page copied before is then
 * covered by the registered logs. From the moment the roll is asked the
 * backup is in the Logs phase: no database opens any more, since a page
 * copied after the roll could need the next log. Once the owner has rolled,
 * the copy set is fixed: from the checkpoint at Begin (full) or the oldest
 * registered log (incremental) up to the newest registered generation.
 *
 * The wait holds no lock (see jet.h) and ends when:
 *  - the owner registers the generation (ADD_LOG calls jet_log_registered);
 *  - the backup fails: a stop, StopService(All), the owner's term or exit,
 *    which set b->err and wake inst->gate_wq (stop.c);
 *  - a signal: -ERESTARTSYS, the roll stays asked with the same deadline, so
 *    a restarted call waits on for the rest of it;
 *  - roll_timeout_ms after the roll was asked: the call fails with
 *    -ETIMEDOUT (JET_errLogWriteFail) and the backup as on a stop.
 * With JET_LOGS_NO_WAIT the call returns at once with the roll pending,
 * which lets a context that is both owner and agent roll between two calls
 * (libjet runs its roll callback there) without a second thread.
 *
 * Copied means delivered. A log of the copy set counts as copied once every
 * byte of it, up to its size at its first open in this backup, went to the
 * agent through its backup descriptors (read, pread, readv, splice,
 * sendfile; in any order, from any number of threads). Each log keeps the
 * byte ranges delivered so far, merged as they touch, until they cover it.
 * They are bounded: at most JET_RANGES_MAX disjoint ranges per log (16 KiB,
 * charged to the agent's memory cgroup), allocated as they are needed and
 * freed once the log is copied. A read that would need one range more is
 * not recorded, so a log read in a pathological order may need a second
 * pass; a byte is never counted that was not delivered.
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "jet.h"

/*
 * An owner rolls by closing a log and registering it: a flush and a system
 * call, milliseconds even on a slow disk. A minute leaves room for an owner
 * under heavy I/O and still fails, rather than hangs, the backups of an
 * owner that does not answer roll requests (one built before them).
 */
unsigned int jet_roll_timeout_ms = 60000;
module_param_named(roll_timeout_ms, jet_roll_timeout_ms, uint, 0644);
MODULE_PARM_DESC(roll_timeout_ms,
		 "How long a backup waits for its owner to roll the log, in ms (default 60000)");

#define JET_RANGES_MIN	8
#define JET_RANGES_MAX	1024

struct jet_range_u64 {
	u64 start, end;		/* [start, end) */
};

/* sorted, disjoint and not touching */
struct jet_ranges {
	unsigned int count, cap;
	struct jet_range_u64 r[];
};

/* ---- delivered ranges ---- */

/* Under copy_mutex: room for one more range, or false (not recorded). */
static bool jet_ranges_room(struct jet_ranges **prs)
{
	struct jet_ranges *rs = *prs, *n;
	unsigned int cap;

	if (rs && rs->count < rs->cap)
		return true;
	cap = rs ? rs->cap * 2 : JET_RANGES_MIN;
	if (cap > JET_RANGES_MAX)
		return false;
	n = krealloc(rs, struct_size(n, r, cap), GFP_KERNEL_ACCOUNT);
	if (!n)
		return false;
	if (!rs)
		n->count = 0;
	n->cap = cap;
	*prs = n;
	return true;
}

/* Under copy_mutex: add [start, end) to *prs, merging what it touches. */
static void jet_ranges_add(struct jet_ranges **prs, u64 start, u64 end)
{
	struct jet_ranges *rs = *prs;
	unsigned int i, j, n = rs ? rs->count : 0;

	/* the first range that ends at or after start */
	for (i = 0; i < n && rs->r[i].end < start; i++)
		;
	/* and those it touches: i..j-1 */
	for (j = i; j < n && rs->r[j].start <= end; j++)
		;
	if (j > i) {
		rs->r[i].start = min(rs->r[i].start, start);
		rs->r[i].end = max(rs->r[j - 1].end, end);
		memmove(&rs->r[i + 1], &rs->r[j],
			(n - j) * sizeof(rs->r[0]));
		rs->count = n - (j - i - 1);
		return;
	}
	if (!jet_ranges_room(prs))
		return;
	rs = *prs;
	memmove(&rs->r[i + 1], &rs->r[i], (n - i) * sizeof(rs->r[0]));
	rs->r[i].start = start;
	rs->r[i].end = end;
	rs->count = n + 1;
}

int jet_log_open(struct jet_backup *b, int index, loff_t *size)
{
	struct jet_copy_entry *e = &b->copy_set[index];

	lockdep_assert_held(&b->inst->mutex);
	mutex_lock(&b->copy_mutex);
	if (e->size < 0) {
		e->size = i_size_read(file_inode(e->log->file));
		/* nothing to deliver: every byte of it was */
		e->copied = !e->size;
	}
	*size = e->size;
	mutex_unlock(&b->copy_mutex);
	return 0;
}

void jet_log_delivered(struct jet_backup *b, int index, loff_t pos,
		       size_t len)
{
	struct jet_copy_entry *e = &b->copy_set[index];
	u64 end;

	if (!len || pos < 0)
		return;
	mutex_lock(&b->copy_mutex);
	end = min_t(u64, (u64)pos + len, e->size);
	if (e->copied || (u64)pos >= end)
		goto out;
	jet_ranges_add(&e->delivered, pos, end);
	if (e->delivered && e->delivered->count == 1 &&
	    !e->delivered->r[0].start && e->delivered->r[0].end >= e->size) {
		e->copied = true;
		kfree(e->delivered);
		e->delivered = NULL;
	}
out:
	mutex_unlock(&b->copy_mutex);
}

void jet_copy_set_free(struct jet_backup *b)
{
	unsigned int i;

	for (i = 0; i < b->copy_count; i++) {
		jet_regfile_put(b->copy_set[i].log);
		kfree(b->copy_set[i].delivered);
	}
	kfree(b->copy_set);
	b->copy_set = NULL;
	b->copy_count = 0;
}

/* ---- the copy set ---- */

/* under inst->mutex: the oldest and newest registered generations */
static bool jet_logs_span(struct jet_instance *inst, u64 *oldest, u64 *newest)
{
	if (list_empty(&inst->logs))
		return false;
	*oldest = list_first_entry(&inst->logs, struct jet_regfile,
				   node)->generation;
	*newest = list_last_entry(&inst->logs, struct jet_regfile,
				  node)->generation;
	return true;
}

/* under inst->mutex: the first generation b's copy set needs */
static u64 jet_copy_first(struct jet_backup *b, u64 oldest)
{
	if (!b->incremental && b->checkpoint_at_begin)
		return b->checkpoint_at_begin;
	return oldest;
}

/*
 * Under inst->mutex: are first..last all registered? The count, or
 * -ENOMEDIUM (a gap: JET_errMissingFileToBackup, as ESE).
 */
static int jet_copy_count(struct jet_instance *inst, u64 first, u64 last)
{
	struct jet_regfile *rf;
	u64 want = first;

	list_for_each_entry(rf, &inst->logs, node) {
		if (rf->generation < first)
			continue;
		if (rf->generation > last || rf->generation != want)
			break;
		want++;
	}
	if (want != last + 1 || last - first >= INT_MAX)
		return -ENOMEDIUM;
	return last - first + 1;
}

/*
 * Under inst->mutex: the gaps no roll can fill, found before one is asked
 * so that such a call changes nothing. An incremental must start right
 * after what the last backup copied.
 */
static int jet_copy_precheck(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;
	u64 oldest, newest, first;
	int ret;

	if (!jet_logs_span(inst, &oldest, &newest)) {
		/* only the log being written is left: it follows on? */
		if (b->incremental &&
		    inst->log_generation > inst->last_backup_generation)
			return -ENOMEDIUM;
		return 0;
	}
	first = jet_copy_first(b, oldest);
	if (b->incremental && first > inst->last_backup_generation + 1)
		return -ENOMEDIUM;
	/* newest + 1 is the log being written: the roll registers it */
	if (first > newest + 1)
		return -ENOMEDIUM;
	if (first > newest)
		return 0;
	ret = jet_copy_count(inst, first, newest);
	return ret < 0 ? ret : 0;
}

/* Under inst->mutex, the roll done: fix the copy set; 0 or -errno. */
static int jet_copy_set_fix(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;
	struct jet_copy_entry *set;
	struct jet_regfile *rf;
	u64 oldest, newest, first;
	int count, i = 0;

	if (!jet_logs_span(inst, &oldest, &newest))
		return -ENOMEDIUM;
	first = jet_copy_first(b, oldest);
	if (b->incremental && first > inst->last_backup_generation + 1)
		return -ENOMEDIUM;
	count = first <= newest ? jet_copy_count(inst, first, newest) :
		-ENOMEDIUM;
	if (count < 0)
		return count;
	set = kcalloc(count, sizeof(*set), GFP_KERNEL_ACCOUNT);
	if (!set)
		return -ENOMEM;
	list_for_each_entry(rf, &inst->logs, node) {
		if (rf->generation < first)
			continue;
		if (i == count)
			break;
		kref_get(&rf->ref);
		set[i].log = rf;
		set[i].size = -1;
		i++;
	}
	b->copy_set = set;
	b->copy_count = count;
	b->log_info_done = true;
	return 0;
}

/* ---- the roll ---- */

void jet_roll_withdraw(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;

	lockdep_assert_held(&inst->mutex);
	if (b->roll_queued && inst->owner)
		jet_roll_request_remove(inst->owner, inst->id, U64_MAX);
	b->roll_queued = false;
}

/*
 * Under inst->mutex: the roll could not end in a copy set (a gap). Forget
 * it, so the next call asks again: the databases phase of a full backup
 * resumes, and pages copied from now on are covered by that next roll.
 */
static void jet_roll_reset(struct jet_backup *b)
{
	jet_roll_withdraw(b);
	b->roll_asked = false;
	if (!b->incremental)
		b->phase = JET_PHASE_DATABASES;
}

/* Under inst->mutex: ask the owner for the roll (nothing changes on error). */
static int jet_roll_ask(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;
	int ret;

	if (!inst->owner)
		return -ESHUTDOWN;	/* not reached: a term fails b first */
	ret = jet_copy_precheck(b);
	if (ret)
		return ret;
	ret = jet_roll_request_queue(inst->owner, inst->id,
				     inst->log_generation);
	if (ret)
		return ret;
	b->roll_queued = true;
	b->roll_above = inst->log_generation;
	b->roll_deadline = jiffies +
			   msecs_to_jiffies(READ_ONCE(jet_roll_timeout_ms));
	b->roll_asked = true;
	b->phase = JET_PHASE_LOGS;
	return 0;
}

/*
 * A roll this call asked, whose answer could not reach the caller (-EFAULT):
 * back to before the ask, so the failed call changed nothing, unless the
 * backup moved on meanwhile (the owner rolled, a stop, an end).
 */
static void jet_roll_undo(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;

	if (mutex_lock_killable(&inst->mutex))
		return;		/* dying: its context's close ends b */
	if (!b->ended && !b->err && b->roll_asked && !b->log_info_done &&
	    inst->log_generation <= b->roll_above)
		jet_roll_reset(b);
	mutex_unlock(&inst->mutex);
}

static bool jet_roll_wait_over(struct jet_backup *b, u64 above)
{
	return READ_ONCE(b->err) ||
	       READ_ONCE(b->inst->log_generation) > above;
}

/*
 * Under inst->mutex, which it drops while it waits: the roll of b's first
 * log list. 0 once the owner rolled, 1 when it is pending and nowait (out
 * says what to roll), else the error.
 */
static int jet_roll(struct jet_backup *b, bool nowait, struct jet_log_list *out)
{
	struct jet_instance *inst = b->inst;
	unsigned long deadline;
	long left;
	u64 above;
	int ret;

	for (;;) {
		ret = b->err;
		if (ret || b->log_info_done)
			return ret;
		if (!b->roll_asked) {
			ret = jet_roll_ask(b);
			if (ret)
				return ret;
		}
		above = b->roll_above;
		if (inst->log_generation > above)
			return 0;
		deadline = b->roll_deadline;
		if (time_after_eq(jiffies, deadline)) {
			jet_roll_withdraw(b);
			jet_backup_fail(b, -ECANCELED);
			return -ETIMEDOUT;
		}
		if (nowait) {
			out->status = JET_LOGS_ROLL_PENDING;
			out->roll_instance = inst->id;
			out->roll_above = above;
			return 1;
		}

		/* no lock while waiting: see jet.h; b keeps inst alive */
		left = max_t(long, (long)(deadline - jiffies), 1);
		mutex_unlock(&inst->mutex);
		left = wait_event_interruptible_timeout(inst->gate_wq,
							jet_roll_wait_over(b, above),
							left);
		mutex_lock(&inst->mutex);
		if (left < 0)
			return -ERESTARTSYS;
	}
}

void jet_log_registered(struct jet_instance *inst, u64 generation)
{
	struct jet_backup *b = inst->backup;

	lockdep_assert_held(&inst->mutex);
	WRITE_ONCE(inst->log_generation, generation);
	/* an OS snapshot's freeze waits for a roll as well (snapshot.c) */
	if (inst->frozen) {
		if (inst->owner)
			jet_roll_request_remove(inst->owner, inst->id,
						generation);
		wake_up(&inst->gate_wq);
	}
	if (!b || !b->roll_asked || b->log_info_done)
		return;
	/* the request is answered: it leaves the owner's queue */
	if (inst->owner && generation > b->roll_above)
		jet_roll_request_remove(inst->owner, inst->id, generation);
	wake_up(&inst->gate_wq);
}

/* ---- the log lists ---- */

/* under inst->mutex: the logs TruncateLog removes are below this */
static u64 jet_truncate_limit(struct jet_backup *b)
{
	u64 end = b->copy_set[b->copy_count - 1].log->generation;

	/* as ESE: below min(checkpoint, the end of the copy set) */
	return min(b->inst->checkpoint, end + 1);
}

/* Under inst->mutex: one list's names (or their size) and generations. */
static void jet_log_names(struct jet_backup *b, bool truncate,
			  struct jet_names *nm, struct jet_log_list *out)
{
	struct jet_regfile *rf;
	unsigned int i;
	u64 limit;

	nm->size = 0;
	out->gen_low = 0;
	out->gen_high = 0;
	if (!truncate) {
		for (i = 0; i < b->copy_count; i++)
			jet_names_add(nm, b->copy_set[i].log->path);
		out->gen_low = b->copy_set[0].log->generation;
		out->gen_high = b->copy_set[b->copy_count - 1].log->generation;
	} else {
		limit = jet_truncate_limit(b);
		list_for_each_entry(rf, &b->inst->logs, node) {
			if (rf->generation >= limit)
				break;
			jet_names_add(nm, rf->path);
			if (!out->gen_low)
				out->gen_low = rf->generation;
			out->gen_high = rf->generation;
		}
	}
	jet_names_end(nm);
}

/*
 * GetLogInfo and GetTruncateLogInfo: the roll first, then the names. A
 * legacy call (JET_IOC_GET_*_INFO) writes back only its size, and a NULL
 * buffer gets -ENOBUFS as it always did; JET_IOC_LOG_LIST writes back its
 * whole struct, and answers a NULL buffer of size 0 with the size.
 */
static long jet_log_list(struct jet_ctx *ctx, struct jet_log_list *arg,
			 void __user *uarg, bool legacy)
{
	bool truncate = arg->flags & JET_LOGS_TRUNCATE_SET;
	bool probe = !legacy && !arg->buf && !arg->buf_size;
	struct jet_names nm = { .buf = NULL };
	struct jet_backup *b, *asked = NULL;
	long ret;

	ret = jet_backup_get(ctx, arg->instance, &b);
	if (ret)
		return ret;
	ret = b->err;
	if (!ret && atomic_read(&b->open_files))
		ret = -EPROTO;
	if (!ret && !b->log_info_done) {
		bool was_asked = b->roll_asked;

		ret = jet_roll(b, arg->flags & JET_LOGS_NO_WAIT, arg);
		/* a pending roll this call asked: undone if we cannot say so */
		if (ret == 1 && !was_asked) {
			kref_get(&b->ref);
			asked = b;
		}
		if (!ret && !b->log_info_done) {
			ret = jet_copy_set_fix(b);
			/*
			 * A gap: back to before the roll was asked. No memory:
			 * the roll stands (no database opens since), the next
			 * call fixes the set.
			 */
			if (ret == -ENOMEDIUM)
				jet_roll_reset(b);
			else if (!ret)
				jet_roll_withdraw(b);
		}
	}
	if (ret)
		goto unlock;	/* 1: the roll is pending */

	jet_log_names(b, truncate, &nm, arg);
	if (nm.size > U32_MAX) {
		ret = -EOVERFLOW;
	} else if (probe) {
		ret = 0;
	} else if (nm.size > arg->buf_size) {
		ret = -ENOBUFS;
	} else {
		nm.buf = kvmalloc(nm.size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (nm.buf)
			jet_log_names(b, truncate, &nm, arg);
		else
			ret = -ENOMEM;
	}
unlock:
	jet_backup_unget(b);
	if (ret < 0 && ret != -ENOBUFS)
		goto out;

	if (ret == 1) {
		ret = 0;
	} else {
		arg->size = nm.size;
		if (!ret && !probe &&
		    copy_to_user(u64_to_user_ptr(arg->buf), nm.buf, nm.size)) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (legacy) {
		struct jet_name_list __user *ua = uarg;

		if (put_user(arg->size, &ua->size))
			ret = -EFAULT;
	} else if (copy_to_user(uarg, arg, sizeof(*arg))) {
		ret = -EFAULT;
	}
out:
	if (asked) {
		if (ret == -EFAULT)
			jet_roll_undo(asked);
		jet_backup_put(asked);
	}
	kvfree(nm.buf);
	return ret;
}

static long jet_log_list_legacy(struct jet_ctx *ctx, void *karg,
				void __user *uarg, bool truncate)
{
	struct jet_name_list *nl = karg;
	struct jet_log_list arg = {
		.instance = nl->instance,
		.buf = nl->buf,
		.buf_size = nl->buf_size,
		.flags = truncate ? JET_LOGS_TRUNCATE_SET : 0,
	};

	return jet_log_list(ctx, &arg, uarg, true);
}

long jet_ioc_get_log_info(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	return jet_log_list_legacy(ctx, karg, uarg, false);
}

long jet_ioc_get_truncate_log_info(struct jet_ctx *ctx, void *karg,
				   void __user *uarg)
{
	return jet_log_list_legacy(ctx, karg, uarg, true);
}

long jet_ioc_log_list(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	return jet_log_list(ctx, karg, uarg, false);
}

/* ---- TruncateLog ---- */

/* under inst->mutex: every log of the copy set delivered whole? */
static bool jet_copy_set_delivered(struct jet_backup *b)
{
	bool all = true;
	unsigned int i;

	mutex_lock(&b->copy_mutex);
	for (i = 0; all && i < b->copy_count; i++)
		all = b->copy_set[i].copied;
	mutex_unlock(&b->copy_mutex);
	return all;
}

int jet_logs_truncate(struct jet_instance *inst, u64 limit)
{
	struct jet_regfile *rf, *tmp;
	u64 first = 0, last = 0;
	int ret;

	lockdep_assert_held(&inst->mutex);
	list_for_each_entry(rf, &inst->logs, node) {
		if (rf->generation >= limit)
			break;
		if (!first)
			first = rf->generation;
		last = rf->generation;
	}
	if (!first || inst->terminating)
		return 0;	/* nothing to truncate */
	/* the event first: if it cannot be queued, nothing changes */
	if (inst->owner) {
		ret = jet_event_queue(inst->owner, inst->id, first, last);
		if (ret)
			return ret;
	}
	list_for_each_entry_safe(rf, tmp, &inst->logs, node) {
		if (rf->generation >= limit)
			break;
		list_del(&rf->node);
		inst->nlogs--;
		jet_regfile_put(rf);
	}
	return 0;
}

long jet_ioc_truncate_log(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	struct jet_backup *b;
	long ret;

	if (op->grbit)
		return -EINVAL;
	ret = jet_backup_get(ctx, op->instance, &b);
	if (ret)
		return ret;
	inst = b->inst;

	ret = b->err;
	if (!ret && (!b->log_info_done || atomic_read(&b->open_files)))
		ret = -EPROTO;
	if (!ret && !jet_copy_set_delivered(b))
		ret = -EINPROGRESS;
	if (ret)
		goto unlock;

	ret = jet_logs_truncate(inst, jet_truncate_limit(b));
unlock:
	jet_backup_unget(b);
	return ret;
}
