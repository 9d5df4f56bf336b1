// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - OS snapshot sessions (JetOSSnapshot*): ESE's way to let the
 * file system take a consistent snapshot of running instances.
 *
 * A session belongs to the context that prepared it; its id means nothing
 * in any other context, and the context's close aborts it (thawing).
 * States, as ESE's: PREPARED -> FROZEN -> THAWED (-> TRUNCATED) -> end;
 * a freeze that times out or is stopped goes to FAILED, which only an
 * abort ends. As ESE, a failed freeze and FAILED let the instances go (they
 * may join another session at once). An ended session is gone: its id is
 * unknown from then on.
 *
 * The freeze: each instance of the session gets inst->frozen (set under
 * inst->mutex and gate_lock), so the owner's LOCK_RANGE waits before it
 * publishes a lock (gate.c), then the freeze waits, at most its timeout,
 * for the locks already held to be let go. From then on no page write of
 * the owner is in flight. Then it asks the owner to roll its log, as a
 * backup's GetLogInfo does (logs.c), and waits until the owner registered
 * a newer generation: the registered logs now cover every page in the
 * databases, so a snapshot of them and of those logs can be recovered.
 * Backup reads are not touched. A thaw clears the
 * flag and wakes gate_wq. A delayed work thaws by itself when the timeout
 * expires, and a stop of one of the instances (stop.c) queues that work at
 * once, so a crashed or stuck snapshot tool never leaves an owner frozen.
 *
 * While frozen, GET_LOGS (jet's own) names the logs a snapshot of an
 * instance needs, for a tool that copies files itself: a full backup's
 * copy set at the freeze, from the checkpoint recorded then to the
 * newest generation registered after the roll.
 *
 * inst->snapshot says which session an instance is in (under inst->mutex),
 * so an instance is in one session at most and cannot be frozen twice. A
 * session clears it for each of its instances before it goes away, and
 * only then cancels its work, so the stop hook never sees a dead session.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "jet.h"

/* ESE's default JET_paramOSSnapshotTimeout */
static unsigned int jet_snapshot_timeout_ms = 70000;
module_param_named(snapshot_timeout_ms, jet_snapshot_timeout_ms, uint, 0644);
MODULE_PARM_DESC(snapshot_timeout_ms,
		 "Longest OS snapshot freeze, in ms, unless the tool asks for another (default 70000)");

/* the longest freeze a tool may ask for: one hour */
#define JET_SNAP_TIMEOUT_MAX_MS	(3600U * 1000U)

struct jet_snap_member {
	struct jet_instance *inst;	/* holds a ref */
	u64 checkpoint;			/* at the freeze: truncate below */
	u64 roll_above;			/* the freeze's roll: register above */
	u64 newest_log;			/* after the freeze's roll */
};

struct jet_snapshot {
	struct kref ref;
	u32 id;
	struct list_head ctx_node;	/* ctx->snapshots, under ctx->lock */

	struct mutex lock;		/* all below */
	int state;			/* JET_SNAP_STATE_* */
	u32 grbit;			/* JET_SNAP_* prepare bits */
	bool ended;
	int err;			/* FAILED: -ETIME or -ECANCELED */
	unsigned int count;
	struct jet_snap_member *members;
	/* a stop's error, set without the lock (stop.c, under inst->mutex) */
	int stop_err;
	struct delayed_work timeout;
};

static void jet_snap_release(struct kref *ref)
{
	struct jet_snapshot *s = container_of(ref, struct jet_snapshot, ref);

	WARN_ON(s->count);
	mutex_destroy(&s->lock);
	kfree(s->members);
	kfree(s);
}

static void jet_snap_put(struct jet_snapshot *s)
{
	kref_put(&s->ref, jet_snap_release);
}

/* The caller's session id, with a ref; NULL if it has none of that id. */
static struct jet_snapshot *jet_snap_find(struct jet_ctx *ctx, u64 id)
{
	struct jet_snapshot *s;

	lockdep_assert_held(&ctx->lock);
	list_for_each_entry(s, &ctx->snapshots, ctx_node) {
		if (s->id == id) {
			kref_get(&s->ref);
			return s;
		}
	}
	return NULL;
}

static struct jet_snapshot *jet_snap_get(struct jet_ctx *ctx, u64 id)
{
	struct jet_snapshot *s;

	mutex_lock(&ctx->lock);
	s = jet_snap_find(ctx, id);
	mutex_unlock(&ctx->lock);
	return s;
}

/* Who may snapshot an instance: whoever may back it up (SPEC section 8). */
static bool jet_snap_may(struct jet_instance *inst)
{
	return uid_eq(current_euid(), inst->owner_euid) ||
	       jet_instance_capable(inst, CAP_DAC_READ_SEARCH);
}

/* under inst->mutex: thaw inst; true if it was frozen */
static bool jet_snap_thaw_inst(struct jet_instance *inst)
{
	bool was;

	lockdep_assert_held(&inst->mutex);
	spin_lock(&inst->gate_lock);
	was = inst->frozen;
	inst->frozen = false;
	spin_unlock(&inst->gate_lock);
	if (was)
		wake_up_all(&inst->gate_wq);
	return was;
}

/* under s->lock */
static void jet_snap_thaw_all(struct jet_snapshot *s)
{
	unsigned int i;

	for (i = 0; i < s->count; i++) {
		struct jet_instance *inst = s->members[i].inst;

		mutex_lock(&inst->mutex);
		jet_snap_thaw_inst(inst);
		mutex_unlock(&inst->mutex);
	}
}

/*
 * Under s->lock: thaw the members and let them go, recording nothing, as
 * ESE's failed freeze and timeout do (its ResetBackupInProgress): they may
 * join another session at once, and this one has no instance left.
 */
static void jet_snap_release_members(struct jet_snapshot *s)
{
	unsigned int i;

	for (i = 0; i < s->count; i++) {
		struct jet_instance *inst = s->members[i].inst;

		mutex_lock(&inst->mutex);
		jet_snap_thaw_inst(inst);
		inst->snapshot = NULL;
		mutex_unlock(&inst->mutex);
		jet_instance_put(inst);
	}
	s->count = 0;
}

/* under s->lock: FROZEN -> FAILED (timeout or stop), members released */
static void jet_snap_fail(struct jet_snapshot *s, int err)
{
	jet_snap_release_members(s);
	s->state = JET_SNAP_STATE_FAILED;
	s->err = err;
}

/* under s->lock: a stop that came meanwhile turns FROZEN into FAILED */
static void jet_snap_sync(struct jet_snapshot *s)
{
	int err = READ_ONCE(s->stop_err);

	if (s->state == JET_SNAP_STATE_FROZEN && err)
		jet_snap_fail(s, err);
}

static void jet_snap_timeout_work(struct work_struct *work)
{
	struct jet_snapshot *s = container_of(to_delayed_work(work),
					      struct jet_snapshot, timeout);

	mutex_lock(&s->lock);
	if (!s->ended && s->state == JET_SNAP_STATE_FROZEN)
		jet_snap_fail(s, READ_ONCE(s->stop_err) ?: -ETIME);
	mutex_unlock(&s->lock);
}

/* under s->lock, and inst->mutex: make inst a member */
static void jet_snap_add(struct jet_snapshot *s, struct jet_instance *inst)
{
	kref_get(&inst->ref);
	inst->snapshot = s;
	s->members[s->count].inst = inst;
	s->members[s->count].checkpoint = 0;
	s->members[s->count].newest_log = 0;
	s->count++;
}

/* Without EXPLICIT_PREPARE: every instance the caller may snapshot. */
static void jet_snap_take_all(struct jet_snapshot *s)
{
	struct jet_instance *inst;
	unsigned long index = 0;

	while (s->count < JET_SNAP_INSTANCES_MAX &&
	       (inst = jet_instance_next(&index))) {
		index++;
		/* owner_euid never changes: no lock of others' instances */
		if (jet_instance_visible(inst) && jet_snap_may(inst) &&
		    !mutex_lock_killable(&inst->mutex)) {
			if (!inst->terminating && inst->initialized &&
			    !inst->snapshot)
				jet_snap_add(s, inst);
			mutex_unlock(&inst->mutex);
		}
		jet_instance_put(inst);
	}
}

/*
 * Under ctx->lock and s->lock: end s (abort: without recording anything).
 * The caller then cancels the work without s->lock and drops the list's
 * reference (jet_snap_unlist()).
 */
static void jet_snap_finish(struct jet_snapshot *s, bool abort)
{
	bool full = !(s->grbit & (JET_SNAP_INCREMENTAL | JET_SNAP_COPY));
	bool record = !abort && (s->state == JET_SNAP_STATE_THAWED ||
				 s->state == JET_SNAP_STATE_TRUNCATED);
	unsigned int i;

	for (i = 0; i < s->count; i++) {
		struct jet_snap_member *m = &s->members[i];
		struct jet_instance *inst = m->inst;

		mutex_lock(&inst->mutex);
		jet_snap_thaw_inst(inst);
		inst->snapshot = NULL;
		/* as ESE stamps its headers: the snapshot counts as a backup */
		if (record && !inst->terminating &&
		    !(s->grbit & JET_SNAP_COPY)) {
			if (full)
				inst->full_backup_done = true;
			if (m->newest_log)
				inst->last_backup_generation = m->newest_log;
		}
		mutex_unlock(&inst->mutex);
		jet_instance_put(inst);
	}
	s->count = 0;
	s->ended = true;
	list_del_init(&s->ctx_node);
}

/* After jet_snap_finish(), with ctx->lock only: the list's ref goes. */
static void jet_snap_unlist(struct jet_ctx *ctx, struct jet_snapshot *s)
{
	/* nobody can queue it now: no instance points to s any more */
	cancel_delayed_work_sync(&s->timeout);
	ctx->nsnapshots--;
	jet_snap_put(s);
}

long jet_ioc_snapshot_prepare(struct jet_ctx *ctx, void *karg,
			      void __user *uarg)
{
	struct jet_snapshot_prepare *arg = karg;
	struct jet_snapshot_prepare __user *up = uarg;
	struct jet_snapshot *s;
	long ret = 0;

	if (arg->grbit & ~JET_SNAP_PREPARE_ALL)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->members = kcalloc(JET_SNAP_INSTANCES_MAX, sizeof(*s->members),
			     GFP_KERNEL_ACCOUNT);
	if (!s->members) {
		kfree(s);
		return -ENOMEM;
	}
	kref_init(&s->ref);
	mutex_init(&s->lock);
	INIT_LIST_HEAD(&s->ctx_node);
	INIT_DELAYED_WORK(&s->timeout, jet_snap_timeout_work);
	s->state = JET_SNAP_STATE_PREPARED;
	s->grbit = arg->grbit;

	mutex_lock(&ctx->lock);
	if (ctx->nsnapshots >= JET_SNAP_SESSIONS_MAX) {
		ret = -ENOMEM;
		goto out;
	}
	if (!++ctx->next_snapshot_id)
		++ctx->next_snapshot_id;
	s->id = ctx->next_snapshot_id;
	if (put_user((u64)s->id, &up->snapshot)) {
		ret = -EFAULT;
		goto out;
	}
	/* published now: ESE marks its instances at prepare as well */
	list_add_tail(&s->ctx_node, &ctx->snapshots);
	ctx->nsnapshots++;
	if (!(arg->grbit & JET_SNAP_EXPLICIT_PREPARE)) {
		mutex_lock(&s->lock);
		jet_snap_take_all(s);
		mutex_unlock(&s->lock);
	}
	s = NULL;
out:
	mutex_unlock(&ctx->lock);
	if (s)
		jet_snap_put(s);
	return ret;
}

/*
 * The session of a call, locked: 0, or -EBADSLT (not this context's, or
 * ended). Unlock with jet_snap_unlock().
 */
static int jet_snap_lock(struct jet_ctx *ctx, u64 id, struct jet_snapshot **out)
{
	struct jet_snapshot *s = jet_snap_get(ctx, id);

	if (!s)
		return -EBADSLT;
	mutex_lock(&s->lock);
	if (s->ended) {
		mutex_unlock(&s->lock);
		jet_snap_put(s);
		return -EBADSLT;
	}
	jet_snap_sync(s);
	*out = s;
	return 0;
}

static void jet_snap_unlock(struct jet_snapshot *s)
{
	mutex_unlock(&s->lock);
	jet_snap_put(s);
}

long jet_ioc_snapshot_prepare_instance(struct jet_ctx *ctx, void *karg,
				       void __user *uarg)
{
	struct jet_snapshot_op *op = karg;
	struct jet_instance *inst;
	struct jet_snapshot *s;
	long ret;

	if (op->grbit)
		return -EINVAL;
	ret = jet_snap_lock(ctx, op->snapshot, &s);
	if (ret)
		return ret;
	if (s->state != JET_SNAP_STATE_PREPARED) {
		ret = -EBADE;
		goto out;
	}
	ret = jet_instance_lock(ctx, op->instance, &inst);
	if (ret)
		goto out;
	if (!jet_snap_may(inst))
		ret = -EACCES;
	else if (!inst->initialized)
		ret = -EUNATCH;
	else if (inst->snapshot)
		ret = -EBADR;
	else if (s->count >= JET_SNAP_INSTANCES_MAX)
		ret = -ENOMEM;
	else
		jet_snap_add(s, inst);
	jet_instance_unlock(inst);
out:
	jet_snap_unlock(s);
	return ret;
}

/* the freeze's wait: no owner lock held any more (or the instance ended) */
static bool jet_snap_quiet(struct jet_instance *inst)
{
	bool quiet;

	spin_lock(&inst->gate_lock);
	quiet = list_empty(&inst->locks);
	spin_unlock(&inst->gate_lock);
	return quiet || READ_ONCE(inst->terminating);
}

/* the freeze's roll is done: a newer log is registered (or inst ended) */
static bool jet_snap_rolled(struct jet_instance *inst, u64 above)
{
	return READ_ONCE(inst->log_generation) > above ||
	       READ_ONCE(inst->terminating);
}

/* under s->lock, all frozen and quiet: ask every owner to roll */
static int jet_snap_roll(struct jet_snapshot *s, unsigned long deadline)
{
	struct jet_snap_member *m;
	struct jet_instance *inst;
	unsigned int i;
	long left;
	int ret = 0;

	for (i = 0; i < s->count && !ret; i++) {
		m = &s->members[i];
		inst = m->inst;
		mutex_lock(&inst->mutex);
		m->roll_above = inst->log_generation;
		if (!inst->terminating && inst->owner)
			ret = jet_roll_request_queue(inst->owner, inst->id,
						     m->roll_above);
		mutex_unlock(&inst->mutex);
	}
	for (i = 0; i < s->count && !ret; i++) {
		m = &s->members[i];
		left = (long)(deadline - jiffies);
		left = wait_event_interruptible_timeout(m->inst->gate_wq,
							jet_snap_rolled(m->inst,
									m->roll_above),
							max(left, 1L));
		if (left < 0)
			ret = left;
		else if (!left)
			ret = -ETIME;
	}
	for (i = 0; i < s->count && !ret; i++) {
		m = &s->members[i];
		inst = m->inst;
		mutex_lock(&inst->mutex);
		m->newest_log = list_empty(&inst->logs) ? 0 :
			list_last_entry(&inst->logs, struct jet_regfile,
					node)->generation;
		mutex_unlock(&inst->mutex);
	}
	return ret;
}

/* under s->lock: freeze every member; on failure, thaw and release them */
static int jet_snap_freeze(struct jet_snapshot *s, unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;
	struct jet_snap_member *m;
	unsigned int i;
	long left;
	int ret = 0;

	WRITE_ONCE(s->stop_err, 0);
	for (i = 0; i < s->count && !ret; i++) {
		m = &s->members[i];
		mutex_lock(&m->inst->mutex);
		/*
		 * Beyond ESE, which refuses: a streaming backup may run, as
		 * the freeze only holds the owner's writes back.
		 */
		if (!m->inst->terminating) {
			spin_lock(&m->inst->gate_lock);
			m->inst->frozen = true;
			spin_unlock(&m->inst->gate_lock);
			m->checkpoint = m->inst->checkpoint;
		}
		mutex_unlock(&m->inst->mutex);
	}

	/* the writes already under way finish; new ones wait */
	for (i = 0; i < s->count && !ret; i++) {
		m = &s->members[i];
		left = (long)(deadline - jiffies);
		left = wait_event_interruptible_timeout(m->inst->gate_wq,
							jet_snap_quiet(m->inst),
							max(left, 1L));
		if (left < 0)
			ret = left;
		else if (!left)
			ret = -ETIME;
	}
	if (!ret)
		ret = jet_snap_roll(s, deadline);
	if (!ret)
		ret = READ_ONCE(s->stop_err);	/* a stop meanwhile */
	/*
	 * A signal is not a failure of the freeze: the members stay, so
	 * that a restarted call freezes them again (ESE has no signals).
	 */
	if (ret == -ERESTARTSYS || ret == -EINTR)
		jet_snap_thaw_all(s);
	else if (ret)
		jet_snap_release_members(s);
	return ret;
}

long jet_ioc_snapshot_freeze(struct jet_ctx *ctx, void *karg,
			     void __user *uarg)
{
	struct jet_snapshot_op *op = karg;
	struct jet_snapshot *s;
	unsigned int ms;
	unsigned long timeout;
	long ret;

	if (op->grbit)
		return -EINVAL;
	ms = op->timeout_ms ?: READ_ONCE(jet_snapshot_timeout_ms);
	timeout = msecs_to_jiffies(min(ms, JET_SNAP_TIMEOUT_MAX_MS));
	ret = jet_snap_lock(ctx, op->snapshot, &s);
	if (ret)
		return ret;
	if (s->state != JET_SNAP_STATE_PREPARED) {
		ret = -EBADE;
		goto out;
	}
	/* the wait for held locks counts against the freeze's time too */
	ret = jet_snap_freeze(s, timeout);
	if (!ret) {
		s->state = JET_SNAP_STATE_FROZEN;
		mod_delayed_work(system_wq, &s->timeout, max(timeout, 1UL));
	}
out:
	jet_snap_unlock(s);
	return ret;
}

/* ESE: without CONTINUE_AFTER_THAW a thaw ends the session as well */
long jet_ioc_snapshot_thaw(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_snapshot_op *op = karg;
	struct jet_snapshot *s;
	bool end = false;
	long ret;

	if (op->grbit)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	s = jet_snap_find(ctx, op->snapshot);
	if (!s) {
		mutex_unlock(&ctx->lock);
		return -EBADSLT;
	}
	mutex_lock(&s->lock);
	if (s->ended) {
		ret = -EBADSLT;
		goto out;
	}
	jet_snap_sync(s);
	switch (s->state) {
	case JET_SNAP_STATE_FROZEN:
		jet_snap_thaw_all(s);
		s->state = JET_SNAP_STATE_THAWED;
		ret = 0;
		break;
	case JET_SNAP_STATE_FAILED:
		ret = s->err;
		break;
	default:
		ret = -EBADE;
		goto out;
	}
	if (!(s->grbit & JET_SNAP_CONTINUE_AFTER_THAW)) {
		jet_snap_finish(s, ret != 0);
		end = true;
	}
out:
	mutex_unlock(&s->lock);
	if (end)
		jet_snap_unlist(ctx, s);
	mutex_unlock(&ctx->lock);
	jet_snap_put(s);
	return ret;
}

long jet_ioc_snapshot_truncate_log(struct jet_ctx *ctx, void *karg,
				   void __user *uarg)
{
	struct jet_snapshot_op *op = karg;
	struct jet_instance *only = NULL;
	struct jet_snapshot *s;
	unsigned int i, done = 0;
	long ret;

	if (op->grbit & ~JET_SNAP_ALL_DATABASES)
		return -EINVAL;
	ret = jet_snap_lock(ctx, op->snapshot, &s);
	if (ret)
		return ret;
	if ((s->state != JET_SNAP_STATE_THAWED &&
	     s->state != JET_SNAP_STATE_TRUNCATED) ||
	    (s->grbit & JET_SNAP_COPY)) {
		ret = -EBADE;
		goto out;
	}
	if (op->instance) {
		ret = jet_instance_lock(ctx, op->instance, &only);
		if (ret)
			goto out;
		kref_get(&only->ref);
		jet_instance_unlock(only);
	}
	for (i = 0; i < s->count && !ret; i++) {
		struct jet_snap_member *m = &s->members[i];

		if (only && m->inst != only)
			continue;
		done++;
		/*
		 * Once at most, as ESE: any truncation call, even one without
		 * AllDatabases (which truncates nothing), uses it up.
		 */
		if (!m->checkpoint)
			continue;
		if (op->grbit & JET_SNAP_ALL_DATABASES) {
			mutex_lock(&m->inst->mutex);
			ret = jet_logs_truncate(m->inst, m->checkpoint);
			mutex_unlock(&m->inst->mutex);
		}
		if (!ret)
			m->checkpoint = 0;
	}
	if (only && !done)
		ret = -EINVAL;		/* not an instance of the session */
	if (!ret)
		s->state = JET_SNAP_STATE_TRUNCATED;
out:
	jet_snap_unlock(s);
	if (only)
		jet_instance_put(only);
	return ret;
}

long jet_ioc_snapshot_end(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_snapshot_op *op = karg;
	bool abort = op->grbit & JET_SNAP_ABORT;
	struct jet_snapshot *s;
	long ret = 0;

	if (op->grbit & ~JET_SNAP_ABORT)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	s = jet_snap_find(ctx, op->snapshot);
	if (!s) {
		mutex_unlock(&ctx->lock);
		return -EBADSLT;
	}
	mutex_lock(&s->lock);
	if (s->ended) {
		ret = -EBADSLT;
		goto out;
	}
	jet_snap_sync(s);
	/* ESE: a normal end after a thaw, or before any freeze; else abort */
	if (!abort && s->state != JET_SNAP_STATE_PREPARED &&
	    s->state != JET_SNAP_STATE_THAWED &&
	    s->state != JET_SNAP_STATE_TRUNCATED) {
		ret = -EBADE;
		goto out;
	}
	jet_snap_finish(s, abort);
out:
	mutex_unlock(&s->lock);
	if (!ret)
		jet_snap_unlist(ctx, s);
	mutex_unlock(&ctx->lock);
	jet_snap_put(s);
	return ret;
}

long jet_ioc_snapshot_get_info(struct jet_ctx *ctx, void *karg,
			       void __user *uarg)
{
	struct jet_snapshot_info *arg = karg;
	struct jet_snapshot_info __user *ui = uarg;
	struct jet_snapshot *s;
	unsigned int i, count;
	u64 *ids;
	long ret;

	ids = kcalloc(JET_SNAP_INSTANCES_MAX, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	ret = jet_snap_lock(ctx, arg->snapshot, &s);
	if (ret)
		goto out_free;
	count = s->count;
	for (i = 0; i < count; i++)
		ids[i] = s->members[i].inst->id;
	arg->state = s->state;
	jet_snap_unlock(s);

	/* no lock held: the ids go out, then the count and state */
	arg->count = count;
	if (count > arg->ids_max)
		ret = -ENOBUFS;
	else if (count && copy_to_user(u64_to_user_ptr(arg->ids), ids,
				       count * sizeof(*ids)))
		ret = -EFAULT;
	if ((!ret || ret == -ENOBUFS) &&
	    copy_to_user(ui, arg, sizeof(*arg)))
		ret = -EFAULT;
out_free:
	kfree(ids);
	return ret;
}

/*
 * Under inst->mutex: the logs a snapshot of m's instance needs (a full
 * backup's copy set at the freeze), their names into nm (sized only when
 * nm->buf is NULL); 0, or -ENOMEDIUM for a generation missing.
 */
static int jet_snap_log_names(struct jet_snap_member *m,
			      struct jet_names *nm,
			      struct jet_snapshot_logs *out)
{
	struct jet_instance *inst = m->inst;
	struct jet_regfile *rf;
	u64 first, want;

	lockdep_assert_held(&inst->mutex);
	if (list_empty(&inst->logs) || !m->newest_log)
		return -ENOMEDIUM;
	first = m->checkpoint ?: list_first_entry(&inst->logs,
						  struct jet_regfile,
						  node)->generation;
	if (first > m->newest_log)
		return -ENOMEDIUM;
	nm->size = 0;
	want = first;
	list_for_each_entry(rf, &inst->logs, node) {
		if (rf->generation < first)
			continue;
		if (rf->generation > m->newest_log)
			break;
		/* truncated meanwhile (a streaming backup's TruncateLog) */
		if (rf->generation != want)
			return -ENOMEDIUM;
		jet_names_add(nm, rf->path);
		want++;
	}
	if (want != m->newest_log + 1)
		return -ENOMEDIUM;
	jet_names_end(nm);
	out->gen_low = first;
	out->gen_high = m->newest_log;
	return 0;
}

/*
 * jet's own, for a snapshot tool that copies files itself (ESE's writer
 * names its log directory instead): the paths, gathered into a kernel
 * buffer under the locks and written to the caller after them, so that
 * a fault on the caller's memory holds back neither the owner's calls nor
 * the session's timeout thaw.
 */
long jet_ioc_snapshot_get_logs(struct jet_ctx *ctx, void *karg,
			       void __user *uarg)
{
	struct jet_snapshot_logs *arg = karg;
	bool probe = !arg->buf && !arg->buf_size;
	struct jet_names nm = { .buf = NULL };
	struct jet_snap_member *m = NULL;
	struct jet_instance *inst;
	struct jet_snapshot *s;
	unsigned int i;
	long ret;

	ret = jet_snap_lock(ctx, arg->snapshot, &s);
	if (ret)
		return ret;
	if (s->state != JET_SNAP_STATE_FROZEN) {
		ret = -EBADE;
		goto out;
	}
	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		goto out;
	for (i = 0; i < s->count && !m; i++)
		if (s->members[i].inst == inst)
			m = &s->members[i];
	if (!m)
		ret = -EINVAL;		/* not an instance of the session */
	else
		ret = jet_snap_log_names(m, &nm, arg);
	if (!ret && nm.size > U32_MAX)
		ret = -EOVERFLOW;
	if (!ret && !probe && nm.size > arg->buf_size)
		ret = -ENOBUFS;
	if (!ret && !probe) {
		nm.buf = kvmalloc(nm.size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (nm.buf)
			ret = jet_snap_log_names(m, &nm, arg);
		else
			ret = -ENOMEM;
	}
	jet_instance_unlock(inst);
out:
	jet_snap_unlock(s);
	if (ret && ret != -ENOBUFS)
		goto free;

	/* no lock held: the names, then the struct */
	arg->size = nm.size;
	if (!ret && !probe && copy_to_user(u64_to_user_ptr(arg->buf), nm.buf,
					   nm.size)) {
		ret = -EFAULT;
		goto free;
	}
	if (copy_to_user(uarg, arg, sizeof(*arg)))
		ret = -EFAULT;
free:
	kvfree(nm.buf);
	return ret;
}

int jet_snapshot_wait_thawed(struct jet_instance *inst)
{
	int ret;

	lockdep_assert_held(&inst->mutex);
	while (READ_ONCE(inst->frozen)) {
		mutex_unlock(&inst->mutex);
		ret = wait_event_interruptible(inst->gate_wq,
					       !READ_ONCE(inst->frozen) ||
					       READ_ONCE(inst->terminating));
		mutex_lock(&inst->mutex);
		if (ret)
			return ret;
		if (inst->terminating)
			return -ESHUTDOWN;
	}
	return 0;
}

void jet_snapshot_stop(struct jet_instance *inst)
{
	struct jet_snapshot *s = inst->snapshot;

	lockdep_assert_held(&inst->mutex);
	/* s lives while inst points to it; its work thaws the others */
	if (s && jet_snap_thaw_inst(inst)) {
		WRITE_ONCE(s->stop_err, -ECANCELED);
		mod_delayed_work(system_wq, &s->timeout, 0);
	}
}

void jet_snapshots_release_ctx(struct jet_ctx *ctx)
{
	struct jet_snapshot *s;

	mutex_lock(&ctx->lock);
	while ((s = list_first_entry_or_null(&ctx->snapshots,
					     struct jet_snapshot, ctx_node))) {
		mutex_lock(&s->lock);
		jet_snap_finish(s, true);
		mutex_unlock(&s->lock);
		jet_snap_unlist(ctx, s);
	}
	mutex_unlock(&ctx->lock);
}
