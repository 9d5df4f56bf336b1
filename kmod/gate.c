// SPDX-License-Identifier: GPL-2.0
/*
 * gate.c - what makes a backup read wait, and the owner's controls of it.
 *
 * Every chunk a backup read copies first passes the gate of its instance,
 * which holds it back while:
 *  - the owner paused backups (JET_IOC_PAUSE_BACKUP);
 *  - the owner holds a write-range lock on the chunk's first byte (a lock
 *    further on only shortens the chunk to the lock's start);
 *  - the throttle's token bucket (bytes per second, burst one second's
 *    worth but at least 64 KiB) has too few tokens.
 * A read that is let through puts its byte range on inst->active_reads
 * until its copy is done, and JET_IOC_LOCK_RANGE waits for the reads of
 * its range to leave, so a read never copies bytes under a lock.
 *
 * gate_lock guards all of it; it is a spinlock and nothing under it sleeps
 * or touches user memory. Waiters sleep on gate_wq, which every change that
 * may let one through wakes; a stop (stop.c) wakes it too, and the gate
 * fails the read with b->err.
 */
#include <linux/bits.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "jet.h"

#define JET_BURST_MIN		(64 * 1024)
/* a bucket idle this long is full whatever the rate */
#define JET_REFILL_MAX_NS	(64 * NSEC_PER_SEC)
/* the rate the arithmetic uses: keeps every product within 2^128/2^64 */
#define JET_BPS_MATH_MAX	BIT_ULL(50)

void jet_gate_init(struct jet_instance *inst)
{
	spin_lock_init(&inst->gate_lock);
	init_waitqueue_head(&inst->gate_wq);
	inst->paused = false;
	inst->throttle_bps = 0;
	inst->throttle_tokens = 0;
	inst->throttle_stamp = 0;
	INIT_LIST_HEAD(&inst->active_reads);
}

static u64 jet_burst(u64 bps)
{
	return max_t(u64, bps, JET_BURST_MIN);
}

/* under gate_lock, with a throttle set: add the tokens earned since stamp */
static void jet_throttle_refill(struct jet_instance *inst)
{
	u64 bps = min_t(u64, inst->throttle_bps, JET_BPS_MATH_MAX);
	u64 burst = jet_burst(inst->throttle_bps);
	ktime_t now = ktime_get();
	u64 elapsed, add;

	if (inst->throttle_tokens >= burst ||
	    !ktime_after(now, inst->throttle_stamp)) {
		if (inst->throttle_tokens >= burst)
			inst->throttle_stamp = now;
		return;
	}
	elapsed = ktime_to_ns(ktime_sub(now, inst->throttle_stamp));
	if (elapsed >= JET_REFILL_MAX_NS) {
		inst->throttle_tokens = burst;
		inst->throttle_stamp = now;
		return;
	}
	add = mul_u64_u64_div_u64(elapsed, bps, NSEC_PER_SEC);
	if (!add)
		return;		/* keep the fraction for later */
	if (add >= burst - inst->throttle_tokens) {
		inst->throttle_tokens = burst;
		inst->throttle_stamp = now;
		return;
	}
	inst->throttle_tokens += add;
	/* advance by exactly the time those tokens took */
	inst->throttle_stamp = ktime_add_ns(inst->throttle_stamp,
					    mul_u64_u64_div_u64(add,
								NSEC_PER_SEC,
								bps));
}

/*
 * under gate_lock, with a throttle set: 0 if a chunk of len may start now,
 * else the jiffies until it may. Slow rates wait for a page (or one
 * second's worth, if less) rather than trickle byte by byte.
 */
static unsigned long jet_throttle_delay(struct jet_instance *inst, u64 len)
{
	u64 bps = min_t(u64, inst->throttle_bps, JET_BPS_MATH_MAX);
	u64 want = min3(len, (u64)PAGE_SIZE, bps);
	u64 ns;

	jet_throttle_refill(inst);
	if (inst->throttle_tokens >= want)
		return 0;
	ns = mul_u64_u64_div_u64(want - inst->throttle_tokens, NSEC_PER_SEC,
				 bps);
	return nsecs_to_jiffies(ns) + 1;
}

static bool jet_overlaps(const struct jet_range *r,
			 const struct jet_regfile *db, u64 start, u64 end)
{
	return r->db == db && r->start < end && start < r->end;
}

/* under gate_lock: does an owner lock cover any of [start, end) of db? */
static bool jet_range_locked(struct jet_instance *inst,
			     const struct jet_regfile *db, u64 start, u64 end)
{
	struct jet_range *r;

	list_for_each_entry(r, &inst->locks, node)
		if (jet_overlaps(r, db, start, end))
			return true;
	return false;
}

/*
 * under gate_lock: for a read of db at pos, 0 if no lock holds pos back,
 * shortening *len to stop before the next lock; else -EAGAIN.
 */
static int jet_locks_clip(struct jet_instance *inst,
			  const struct jet_regfile *db, u64 pos, u64 *len)
{
	struct jet_range *r;

	list_for_each_entry(r, &inst->locks, node) {
		if (r->db != db || r->end <= pos || r->start >= pos + *len)
			continue;
		if (r->start <= pos)
			return -EAGAIN;
		*len = r->start - pos;
	}
	return 0;
}

/*
 * One look at the gate: > 0, the bytes (at most len) the read may copy now,
 * its range registered in rd for a database; < 0, the error to fail with;
 * 0, it must wait up to *timeout.
 */
static long jet_gate_try(struct jet_bfile *bf, loff_t pos, size_t len,
			 struct jet_range *rd, long *timeout)
{
	struct jet_instance *inst = bf->backup->inst;
	bool db = bf->kind == JET_FILE_DATABASE;
	unsigned long delay;
	u64 n = len;
	long ret = 0;

	*timeout = MAX_SCHEDULE_TIMEOUT;
	spin_lock(&inst->gate_lock);
	if (bf->backup->err) {
		ret = bf->backup->err;
		goto out;
	}
	if (inst->paused)
		goto out;
	if (db && jet_locks_clip(inst, bf->src, pos, &n))
		goto out;
	if (inst->throttle_bps) {
		delay = jet_throttle_delay(inst, n);
		if (delay) {
			*timeout = min_t(unsigned long, delay,
					 MAX_SCHEDULE_TIMEOUT - 1);
			goto out;
		}
		n = min(n, inst->throttle_tokens);
		inst->throttle_tokens -= n;
	}
	if (db) {
		rd->db = bf->src;
		rd->start = pos;
		rd->end = pos + n;
		list_add(&rd->node, &inst->active_reads);
	}
	ret = n;
out:
	spin_unlock(&inst->gate_lock);
	return ret;
}

/*
 * Wait at the gate for a chunk of [pos, pos + len) of bf (len > 0). Returns
 * the bytes the caller may copy now, or an error: b->err, -EAGAIN for a
 * nonblocking caller, -ERESTARTSYS on a signal. On success the caller
 * copies, then calls jet_gate_leave() with the same rd.
 */
long jet_gate_enter(struct jet_bfile *bf, loff_t pos, size_t len,
		    bool nonblock, struct jet_range *rd)
{
	struct jet_instance *inst = bf->backup->inst;
	DEFINE_WAIT(wait);
	long ret, timeout;

	INIT_LIST_HEAD(&rd->node);
	rd->db = NULL;
	rd->id = 0;

	ret = jet_gate_try(bf, pos, len, rd, &timeout);
	if (ret || nonblock)
		return ret ?: -EAGAIN;

	for (;;) {
		/* on the queue before the look: see stop.c */
		prepare_to_wait(&inst->gate_wq, &wait, TASK_INTERRUPTIBLE);
		ret = jet_gate_try(bf, pos, len, rd, &timeout);
		if (ret)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule_timeout(timeout);
	}
	finish_wait(&inst->gate_wq, &wait);
	return ret;
}

/*
 * After the copy of a chunk the gate let through (granted bytes, of which
 * done were copied, or an error): unregister it, give back the tokens it
 * did not use, and wake a LOCK_RANGE that waits for it.
 */
void jet_gate_leave(struct jet_bfile *bf, struct jet_range *rd, size_t granted,
		    ssize_t done)
{
	struct jet_instance *inst = bf->backup->inst;
	size_t used = done > 0 ? min_t(size_t, done, granted) : 0;
	bool wake = false;

	spin_lock(&inst->gate_lock);
	if (!list_empty(&rd->node)) {
		list_del_init(&rd->node);
		wake = jet_range_locked(inst, rd->db, rd->start, rd->end);
	}
	if (inst->throttle_bps && used < granted)
		inst->throttle_tokens = min(inst->throttle_tokens +
					    (granted - used),
					    jet_burst(inst->throttle_bps));
	spin_unlock(&inst->gate_lock);

	if (wake)
		wake_up(&inst->gate_wq);
}

/*
 * poll() on a backup file at pos: EPOLLERR|EPOLLHUP once the backup failed,
 * EPOLLIN|EPOLLRDNORM when a read would not wait, else 0 and, when only
 * time will let it through (the throttle), *recheck the jiffies to wait.
 */
__poll_t jet_gate_poll(struct jet_bfile *bf, loff_t pos,
		       unsigned long *recheck)
{
	struct jet_instance *inst = bf->backup->inst;
	__poll_t mask = 0;
	u64 n;

	*recheck = 0;
	spin_lock(&inst->gate_lock);
	if (bf->backup->err) {
		mask = EPOLLERR | EPOLLHUP;
		goto out;
	}
	if (pos < 0 || pos >= bf->size) {
		mask = EPOLLIN | EPOLLRDNORM;	/* reads return at once */
		goto out;
	}
	if (inst->paused)
		goto out;
	n = bf->size - pos;
	if (bf->kind == JET_FILE_DATABASE &&
	    jet_locks_clip(inst, bf->src, pos, &n))
		goto out;
	if (inst->throttle_bps) {
		*recheck = jet_throttle_delay(inst, n);
		if (*recheck)
			goto out;
	}
	mask = EPOLLIN | EPOLLRDNORM;
out:
	spin_unlock(&inst->gate_lock);
	return mask;
}

long jet_ioc_set_throttle(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_u64 *arg = karg;
	struct jet_instance *inst;
	long ret;

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		return ret;
	ret = jet_check_owner(ctx, inst);
	if (!ret) {
		spin_lock(&inst->gate_lock);
		inst->throttle_bps = arg->value;
		inst->throttle_tokens = jet_burst(arg->value);
		inst->throttle_stamp = ktime_get();
		spin_unlock(&inst->gate_lock);
		/* waits were computed for the old rate */
		wake_up(&inst->gate_wq);
	}
	jet_instance_unlock(inst);
	return ret;
}

long jet_ioc_pause_backup(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	long ret;

	if (op->grbit > 1)
		return -EINVAL;
	ret = jet_instance_lock(ctx, op->instance, &inst);
	if (ret)
		return ret;
	ret = jet_check_owner(ctx, inst);
	if (!ret) {
		spin_lock(&inst->gate_lock);
		inst->paused = op->grbit;
		spin_unlock(&inst->gate_lock);
		if (!op->grbit)
			wake_up(&inst->gate_wq);
	}
	jet_instance_unlock(inst);
	return ret;
}

/* under gate_lock */
static struct jet_range *jet_lock_find(struct jet_instance *inst, u64 id)
{
	struct jet_range *r;

	list_for_each_entry(r, &inst->locks, node)
		if (r->id == id)
			return r;
	return NULL;
}

/*
 * The LOCK_RANGE wait condition, under gate_lock: 1 once no read copies
 * bytes of the lock, 0 while one does, -ENOENT if the lock went away
 * meanwhile (detach, term, or an UNLOCK_RANGE that guessed its id).
 */
static int jet_lock_settled(struct jet_instance *inst, u64 id,
			    const struct jet_regfile *db, u64 start, u64 end)
{
	struct jet_range *r;
	int ret = 1;

	spin_lock(&inst->gate_lock);
	if (!jet_lock_find(inst, id)) {
		ret = -ENOENT;
		goto out;
	}
	list_for_each_entry(r, &inst->active_reads, node) {
		if (jet_overlaps(r, db, start, end)) {
			ret = 0;
			break;
		}
	}
out:
	spin_unlock(&inst->gate_lock);
	return ret;
}

/* Take lock id away again (a failed LOCK_RANGE), if it is still there. */
static void jet_lock_remove(struct jet_instance *inst, u64 id)
{
	struct jet_range *r;

	mutex_lock(&inst->mutex);
	spin_lock(&inst->gate_lock);
	r = jet_lock_find(inst, id);
	if (r)
		list_del(&r->node);
	spin_unlock(&inst->gate_lock);
	mutex_unlock(&inst->mutex);

	if (r) {
		wake_up(&inst->gate_wq);
		kfree(r);
	}
}

long jet_ioc_lock_range(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_lock_range *arg = karg;
	struct jet_lock_range __user *ua = uarg;
	struct jet_instance *inst;
	const struct jet_regfile *db;
	struct jet_range *lock, *r;
	unsigned int nlocks = 0;
	u64 start, end, id;
	char *path;
	int state = 0;
	long ret;

	start = arg->offset;
	if (!arg->length || check_add_overflow(start, arg->length, &end))
		return -EINVAL;
	ret = jet_strndup_user(arg->name, JET_PATH_MAX, &path);
	if (ret)
		return ret;
	if (!path || !*path) {
		kfree(path);
		return -EINVAL;
	}
	lock = kzalloc(sizeof(*lock), GFP_KERNEL_ACCOUNT);
	if (!lock) {
		kfree(path);
		return -ENOMEM;
	}

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		goto out_free;
	ret = jet_check_owner(ctx, inst);
	/* an OS snapshot's freeze holds new write locks back (snapshot.c) */
	if (!ret)
		ret = jet_snapshot_wait_thawed(inst);
	if (!ret) {
		lock->db = jet_find_db(inst, path);
		if (!lock->db)
			ret = -ENXIO;
	}
	if (ret) {
		jet_instance_unlock(inst);
		goto out_free;
	}

	/* published at once, so no new read starts on these bytes */
	spin_lock(&inst->gate_lock);
	list_for_each_entry(r, &inst->locks, node)
		nlocks++;
	if (nlocks < READ_ONCE(jet_max_locks)) {
		id = ++inst->next_lock_id;
		lock->id = id;
		lock->start = start;
		lock->end = end;
		list_add_tail(&lock->node, &inst->locks);
	} else {
		ret = -ENOMEM;
	}
	db = lock->db;
	spin_unlock(&inst->gate_lock);
	if (ret) {
		jet_instance_unlock(inst);
		goto out_free;
	}

	/*
	 * Wait without inst->mutex (a stop must not wait behind us), keeping
	 * our reference; after this only the id names the lock, as it may be
	 * freed by whoever drops it.
	 */
	mutex_unlock(&inst->mutex);
	ret = wait_event_interruptible(inst->gate_wq,
				       (state = jet_lock_settled(inst, id, db,
								 start,
								 end)) != 0);
	if (ret) {
		jet_lock_remove(inst, id);
	} else if (state < 0) {
		ret = READ_ONCE(inst->terminating) ? -ESHUTDOWN : -ENXIO;
	} else {
		arg->lock = id;
		if (put_user(id, &ua->lock)) {
			jet_lock_remove(inst, id);
			ret = -EFAULT;
		}
	}
	jet_instance_put(inst);
	kfree(path);
	return ret;

out_free:
	kfree(lock);
	kfree(path);
	return ret;
}

long jet_ioc_unlock_range(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_u64 *arg = karg;
	struct jet_range *lock = NULL;
	struct jet_instance *inst;
	long ret;

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		return ret;
	ret = jet_check_owner(ctx, inst);
	if (!ret) {
		spin_lock(&inst->gate_lock);
		lock = arg->value ? jet_lock_find(inst, arg->value) : NULL;
		if (lock)
			list_del(&lock->node);
		spin_unlock(&inst->gate_lock);
		if (!lock)
			ret = -EINVAL;
	}
	if (lock)
		wake_up(&inst->gate_wq);
	jet_instance_unlock(inst);
	kfree(lock);
	return ret;
}
