// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - log truncation events for the owner's context.
 *
 * JetTruncateLogInstance removes logs from an instance; the owner learns
 * which generations it may delete from a FIFO on its context, which poll()
 * on /dev/jet reports as readable.
 *
 * The FIFO is bounded so that a context that never reads it cannot make the
 * kernel hold ever more memory: beyond JET_EVENTS_MAX events, a new event
 * is merged into the newest one of the same instance when the two ranges
 * touch (one range then covers both), else the oldest event is dropped. A
 * dropped event only loses a hint: the logs have left the instance either
 * way, and the owner can always compare what it keeps with its checkpoint.
 */
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "jet.h"

#define JET_EVENTS_MAX	1024

struct jet_event {
	struct list_head node;		/* ctx->events */
	u32 inst_id;
	u64 first, last;
};

/* under events_lock: true if ev was folded into a queued event */
static bool jet_event_merge(struct jet_ctx *ctx, const struct jet_event *ev)
{
	struct jet_event *e;

	list_for_each_entry_reverse(e, &ctx->events, node) {
		if (e->inst_id != ev->inst_id)
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
	unsigned int n = 0;
	struct jet_event *e;

	ev = kmalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->inst_id = inst_id;
	ev->first = first;
	ev->last = last;

	spin_lock(&owner->events_lock);
	list_for_each_entry(e, &owner->events, node)
		n++;
	if (n >= JET_EVENTS_MAX && jet_event_merge(owner, ev)) {
		drop = ev;
	} else {
		if (n >= JET_EVENTS_MAX) {
			drop = list_first_entry(&owner->events,
						struct jet_event, node);
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
	ev = list_first_entry_or_null(&ctx->events, struct jet_event, node);
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

__poll_t jet_events_poll(struct jet_ctx *ctx, struct file *file,
			 poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &ctx->events_wq, wait);
	spin_lock(&ctx->events_lock);
	if (!list_empty(&ctx->events))
		mask = EPOLLIN | EPOLLRDNORM;
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
