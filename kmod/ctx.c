// SPDX-License-Identifier: GPL-2.0
/*
 * Client contexts: one per open of /dev/jet, with ESE's run mode.
 */
#include <linux/slab.h>

#include "jet.h"

struct jet_ctx *jet_ctx_alloc(void)
{
	struct jet_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;

	mutex_init(&ctx->lock);
	ctx->mode = JET_MODE_NOSET;
	INIT_LIST_HEAD(&ctx->instances);
	INIT_LIST_HEAD(&ctx->backups);
	INIT_LIST_HEAD(&ctx->snapshots);
	spin_lock_init(&ctx->events_lock);
	INIT_LIST_HEAD(&ctx->events);
	init_waitqueue_head(&ctx->events_wq);
	return ctx;
}

/* The context's instances, backups and events are gone by now. */
void jet_ctx_free(struct jet_ctx *ctx)
{
	WARN_ON(!list_empty(&ctx->instances));
	WARN_ON(!list_empty(&ctx->backups));
	WARN_ON(!list_empty(&ctx->snapshots));
	WARN_ON(!list_empty(&ctx->events));
	mutex_destroy(&ctx->lock);
	kfree(ctx);
}

long jet_ioc_enable_multi(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	long ret = 0;

	mutex_lock(&ctx->lock);
	switch (ctx->mode) {
	case JET_MODE_NOSET:
		/* lockless readers: see jet_instance_lock() */
		WRITE_ONCE(ctx->mode, JET_MODE_MULTIINST);
		break;
	case JET_MODE_ONEINST:
		ret = -EISCONN;
		break;
	default:
		ret = -EROFS;
		break;
	}
	mutex_unlock(&ctx->lock);
	return ret;
}
