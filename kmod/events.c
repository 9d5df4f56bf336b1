// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - what the owner's context learns: log truncation events and
 * log roll requests.
 *
 * JetTruncateLogInstance removes logs from an instance; the owner learns
 * which generations it may delete from a FIFO on its context, which poll()
 * on /dev/jet reports as readable (EPOLLIN).
 *
 * A backup's first log list asks the owner to roll its log (logs.c): a roll
 * request on the same FIFO, at most one per instance (a second raises the
 * first's generation), reported as EPOLLIN | EPOLLPRI so that an owner can
 * wait for requests alone. A request leaves the FIFO when it is read, when
 * the owner registers a generation above it, or when the backup that asked
 * ends; one for an instance that is gone by then is dropped unread.
 *
 * The FIFO is bounded so that a context that never reads it cannot make the
 * kernel hold ever more memory: beyond JET_EVENTS_MAX events, a new event
 * is merged into the newest one of the same instance when the two ranges
 * touch (one range then covers both), else the oldest event is dropped. A
 * dropped event only loses a hint: the logs have left the instance either
 * way, and the owner can always compare what it keeps with its checkpoint.
 */
#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "jet.h"

#define JET_EVENTS_MAX	1024

enum jet_event_kind {
	JET_EVENT_TRUNCATE,	/* first..last left the instance */
	JET_EVENT_ROLL,		/* register a generation above first */
};

struct jet_event {
	struct list_head node;		/* ctx->events */
	enum jet_event_kind kind;
	u32 inst_id;
	u64 first, last;
};

/* under events_lock: the queued events of one kind */
static unsigned int jet_events_count(struct jet_ctx *ctx,
				     enum jet_event_kind kind)
{
	struct jet_event *e;
	unsigned int n = 0;

	list_for_each_entry(e, &ctx->events, node)
		n += e->kind == kind;
	return n;
}

/* under events_lock: the oldest event of a kind, or of kind and instance */
static struct jet_event *jet_event_find(struct jet_ctx *ctx,
					enum jet_event_kind kind, u32 inst_id)
{
	struct jet_event *e;

	list_for_each_entry(e, &ctx->events, node)
		if (e->kind == kind && (!inst_id || e->inst_id == inst_id))
			return e;
	return NULL;
}

/* under events_lock: true if ev was folded into a queued event */
static bool jet_event_merge(struct jet_ctx *ctx, const struct jet_event *ev)
{
	struct jet_event *e;

	list_for_each_entry_reverse(e, &ctx->events, node) {
		if (e->kind != JET_EVENT_TRUNCATE || e->inst_id != ev->inst_id)
			continue;
		if (e->last + 1 != ev->first)
			return false;
		e->last = ev->last;
		return true;
	}
	return false;
}

int jet_event_queue(struct jet_ctx *owner, u32 inst_id, u64 first, u64 last)
{
	struct jet_event *ev, *drop = NULL;
	unsigned int n;

	ev = kmalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->kind = JET_EVENT_TRUNCATE;
	ev->inst_id = inst_id;
	ev->first = first;
	ev->last = last;

	spin_lock(&owner->events_lock);
	n = jet_events_count(owner, JET_EVENT_TRUNCATE);
	if (n >= JET_EVENTS_MAX && jet_event_merge(owner, ev)) {
		drop = ev;
	} else {
		if (n >= JET_EVENTS_MAX) {
			drop = jet_event_find(owner, JET_EVENT_TRUNCATE, 0);
			list_del(&drop->node);
		}
		list_add_tail(&ev->node, &owner->events);
	}
	spin_unlock(&owner->events_lock);

	kfree(drop);
	wake_up_interruptible_poll(&owner->events_wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

long jet_ioc_get_truncate_event(struct jet_ctx *ctx, void *karg,
				void __user *uarg)
{
	struct jet_truncate_event *te = karg;
	struct jet_event *ev;

	spin_lock(&ctx->events_lock);
	ev = jet_event_find(ctx, JET_EVENT_TRUNCATE, 0);
	if (ev)
		list_del(&ev->node);
	spin_unlock(&ctx->events_lock);

	/* instance 0: none queued */
	memset(te, 0, sizeof(*te));
	if (ev) {
		te->instance = ev->inst_id;
		te->first_generation = ev->first;
		te->last_generation = ev->last;
	}
	/* written here so that a bad pointer does not lose the event */
	if (copy_to_user(uarg, te, sizeof(*te))) {
		if (ev) {
			spin_lock(&ctx->events_lock);
			list_add(&ev->node, &ctx->events);
			spin_unlock(&ctx->events_lock);
		}
		return -EFAULT;
	}
	kfree(ev);
	return 0;
}

int jet_roll_request_queue(struct jet_ctx *owner, u32 inst_id, u64 above)
{
	struct jet_event *ev, *e, *drop = NULL;

	ev = kmalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->kind = JET_EVENT_ROLL;
	ev->inst_id = inst_id;
	ev->first = above;
	ev->last = 0;

	spin_lock(&owner->events_lock);
	e = jet_event_find(owner, JET_EVENT_ROLL, inst_id);
	if (e) {
		e->first = max(e->first, above);
		drop = ev;
	} else {
		/* requests of instances gone unread: the oldest goes */
		if (jet_events_count(owner, JET_EVENT_ROLL) >= JET_EVENTS_MAX) {
			drop = jet_event_find(owner, JET_EVENT_ROLL, 0);
			list_del(&drop->node);
		}
		list_add_tail(&ev->node, &owner->events);
	}
	spin_unlock(&owner->events_lock);

	kfree(drop);
	wake_up_interruptible_poll(&owner->events_wq,
				   EPOLLIN | EPOLLRDNORM | EPOLLPRI);
	return 0;
}

void jet_roll_request_remove(struct jet_ctx *owner, u32 inst_id, u64 below)
{
	struct jet_event *e;

	spin_lock(&owner->events_lock);
	e = jet_event_find(owner, JET_EVENT_ROLL, inst_id);
	if (e && e->first < below)
		list_del(&e->node);
	else
		e = NULL;
	spin_unlock(&owner->events_lock);
	kfree(e);
}

/* a request read but not delivered goes back, merged with a newer one */
static void jet_roll_request_requeue(struct jet_ctx *ctx, struct jet_event *ev)
{
	struct jet_event *e, *drop = ev;

	spin_lock(&ctx->events_lock);
	e = jet_event_find(ctx, JET_EVENT_ROLL, ev->inst_id);
	if (e) {
		e->first = max(e->first, ev->first);
	} else {
		list_add(&ev->node, &ctx->events);
		drop = NULL;
	}
	spin_unlock(&ctx->events_lock);
	kfree(drop);
}

long jet_ioc_get_roll_request(struct jet_ctx *ctx, void *karg,
			      void __user *uarg)
{
	struct jet_roll_request *rr = karg;
	struct jet_instance *inst;
	struct jet_event *ev;

	for (;;) {
		spin_lock(&ctx->events_lock);
		ev = jet_event_find(ctx, JET_EVENT_ROLL, 0);
		if (ev)
			list_del(&ev->node);
		spin_unlock(&ctx->events_lock);
		if (!ev)
			break;
		/* its instance was terminated meanwhile: nothing to roll */
		inst = jet_instance_get(ev->inst_id);
		if (inst) {
			jet_instance_put(inst);
			break;
		}
		kfree(ev);
	}

	/* instance 0: none queued */
	memset(rr, 0, sizeof(*rr));
	if (ev) {
		rr->instance = ev->inst_id;
		rr->gen_above = ev->first;
	}
	if (copy_to_user(uarg, rr, sizeof(*rr))) {
		if (ev)
			jet_roll_request_requeue(ctx, ev);
		return -EFAULT;
	}
	kfree(ev);
	return 0;
}

__poll_t jet_events_poll(struct jet_ctx *ctx, struct file *file,
			 poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &ctx->events_wq, wait);
	spin_lock(&ctx->events_lock);
	if (!list_empty(&ctx->events))
		mask = EPOLLIN | EPOLLRDNORM;
	if (jet_event_find(ctx, JET_EVENT_ROLL, 0))
		mask |= EPOLLPRI;
	spin_unlock(&ctx->events_lock);
	return mask;
}

void jet_events_release(struct jet_ctx *ctx)
{
	struct jet_event *ev, *tmp;
	LIST_HEAD(dead);

	spin_lock(&ctx->events_lock);
	list_splice_init(&ctx->events, &dead);
	spin_unlock(&ctx->events_lock);

	list_for_each_entry_safe(ev, tmp, &dead, node)
		kfree(ev);
}
