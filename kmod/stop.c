// SPDX-License-Identifier: GPL-2.0
/*
 * stop.c - stopping backups: JetStopBackup*, JetStopService*.
 *
 * The stop protocol, the one way a backup is failed:
 *
 *  - b->err is the flag. It is written only by jet_backup_fail(), with both
 *    inst->mutex (so writers are serialised and callers can decide on the
 *    value they see) and inst->gate_lock held; readers of the data path read
 *    it under gate_lock or with READ_ONCE.
 *  - Order: set b->err under gate_lock, drop the lock, then one
 *    wake_up_poll(&inst->gate_wq, EPOLLHUP | EPOLLERR). That wakes every
 *    reader blocked in the gate, every poller of the backup's descriptors
 *    and every LOCK_RANGE waiter of this one instance. There is nothing to
 *    drain: each reader holds its own references to the backup, its file
 *    and the instance, and drops them itself on its way out.
 *  - No reader misses the wake-up: a reader puts itself on gate_wq
 *    (prepare_to_wait() or poll_wait()) before it looks at b->err under
 *    gate_lock. Either it sees the new value, or its look came first, in
 *    which case it is already on the queue when the wake-up runs.
 *  - A read that is copying finishes its chunk (at most 256 KiB) and sees
 *    b->err at its next pass through the gate: it returns what it copied
 *    and the next read fails.
 *
 * So a stop costs one lock, one store and one wake of one queue: its latency
 * depends neither on the file sizes nor on the other instances.
 */
#include <linux/capability.h>
#include <linux/poll.h>
#include <linux/wait.h>

#include "jet.h"

/*
 * Fail b with err and wake everything waiting on its instance. An ended
 * backup (-ESRCH) stays ended; otherwise err replaces what was there, so
 * callers that must not override an earlier failure look at b->err first
 * (they hold inst->mutex, so it cannot change under them).
 */
void jet_backup_fail(struct jet_backup *b, int err)
{
	struct jet_instance *inst = b->inst;
	bool changed = false;

	lockdep_assert_held(&inst->mutex);

	spin_lock(&inst->gate_lock);
	if (b->err != -ESRCH && b->err != err) {
		WRITE_ONCE(b->err, err);
		changed = true;
	}
	spin_unlock(&inst->gate_lock);

	if (changed)
		wake_up_poll(&inst->gate_wq, EPOLLHUP | EPOLLERR);
}

/*
 * The instance a stop is for, locked: JET_OP_LEGACY follows the rules of
 * JetStopBackup()/JetStopService() in the caller's run mode.
 */
static int jet_stop_lock(struct jet_ctx *ctx, struct jet_instance_op *op,
			 struct jet_instance **out)
{
	if (!(op->flags & JET_OP_LEGACY))
		return jet_instance_lock(ctx, op->instance, out);

	switch (READ_ONCE(ctx->mode)) {
	case JET_MODE_MULTIINST:
		return -EMLINK;
	case JET_MODE_NOSET:
		return -EINVAL;
	default:
		/* OneInst: the handle is ignored, the context's one is used */
		return jet_instance_lock(ctx, 0, out);
	}
}

/*
 * The owner's context, or an administrator of the instance's namespace
 * (never one of a user namespace the caller made for itself).
 */
static int jet_stop_allowed(struct jet_ctx *ctx, struct jet_instance *inst)
{
	if (!jet_check_owner(ctx, inst))
		return 0;
	return jet_instance_capable(inst, CAP_SYS_ADMIN) ? 0 : -EPERM;
}

long jet_ioc_stop_backup(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	struct jet_backup *b;
	long ret;

	if (op->grbit)
		return -EINVAL;
	ret = jet_stop_lock(ctx, op, &inst);
	if (ret)
		return ret;

	ret = jet_stop_allowed(ctx, inst);
	b = inst->backup;
	/* an earlier stop, or StopService(All), stands */
	if (!ret && b && !b->err)
		jet_backup_fail(b, -ECANCELED);
	if (!ret)
		jet_snapshot_stop(inst);	/* a stop thaws too */

	jet_instance_unlock(inst);
	return ret;
}

long jet_ioc_stop_service(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	long ret;

	if (op->grbit & ~JET_SERVICE_MASK)
		return -EINVAL;
	if ((op->grbit & JET_SERVICE_RESUME) && op->grbit != JET_SERVICE_RESUME)
		return -EINVAL;
	ret = jet_stop_lock(ctx, op, &inst);
	if (ret)
		return ret;

	ret = jet_stop_allowed(ctx, inst);
	if (ret)
		goto out;

	if (op->grbit == JET_SERVICE_RESUME) {
		if (inst->service_stopped)
			ret = -ECONNABORTED;	/* All is never resumed */
		else
			inst->service_bits = 0;
	} else if (op->grbit == JET_SERVICE_ALL) {
		/* sticky until term; the running backup fails with it */
		inst->service_stopped = true;
		if (inst->backup)
			jet_backup_fail(inst->backup, -ECONNABORTED);
		jet_snapshot_stop(inst);
	} else {
		/* recorded only: these do not stop backups */
		inst->service_bits |= op->grbit;
	}
out:
	jet_instance_unlock(inst);
	return ret;
}
