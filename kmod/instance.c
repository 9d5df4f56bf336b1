// SPDX-License-Identifier: GPL-2.0
/*
 * Instances: ids, names, limits, owners; create, init, term.
 *
 * A live instance is published in four places at once, under
 * jet_global_lock: the XArray (by id), the name hash, the per-user counts
 * and the per-namespace counts. The name hash holds a named instance under
 * its IPC namespace and name, and an unnamed one under its owner context, so
 * both "names are unique in a namespace" and "at most one unnamed instance
 * per context" are one lookup, and so is finding a OneInst context's
 * instance. The XArray holds the reference that term drops.
 *
 * Namespaces (SPEC section 8): an instance lives in the IPC namespace of the
 * process that created it, and only callers in that namespace find it, by
 * handle, by name or in a listing. The instance holds a reference on the
 * user namespace that owns its IPC namespace, in which capabilities over
 * the instance are checked, and one on the IPC namespace itself, so that
 * the namespace (whose address is the instance's identity) cannot be freed
 * and its address reused by a new namespace while the instance lives, even
 * when the owner's /dev/jet file outlives every process of the namespace.
 *
 * inst->owner is written under both inst->mutex and jet_global_lock (at
 * publish and at term), so the name hash may read it under the latter.
 */
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "jet.h"

#define JET_NAME_HASH_BITS	11
/* term grbits that stop a running backup instead of failing with -EBUSY */
#define JET_TERM_FORCE	(JET_TERM_ABRUPT | JET_TERM_STOP_BACKUP | JET_TERM_DIRTY)

static DEFINE_XARRAY_ALLOC1(jet_instances);
static u32 jet_next_id;				/* under the XArray's lock */

/* under jet_global_lock */
static DEFINE_HASHTABLE(jet_names, JET_NAME_HASH_BITS);
static DEFINE_XARRAY(jet_user_counts);		/* euid -> xa_mk_value(n) */
static DEFINE_XARRAY(jet_ns_counts);		/* ns inum -> xa_mk_value(n) */
static unsigned int jet_ninstances;

/* The caller's IPC namespace: valid while the caller runs. */
static struct ipc_namespace *jet_current_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * Drop an instance's reference on its IPC namespace. 6.1 does not export
 * put_ipc_ns(); the namespace's own operations (what setns() and
 * /proc/PID/ns/ipc use) do the same put.
 */
static void jet_ipc_ns_put(struct ipc_namespace *ns)
{
#if defined(JET_HAVE_PUT_IPC_NS)
	put_ipc_ns(ns);
#elif IS_ENABLED(CONFIG_IPC_NS)
	ns->ns.ops->put(&ns->ns);
#endif
}

bool jet_instance_visible(const struct jet_instance *inst)
{
	return inst->ipc_ns == jet_current_ns();
}

/* cap over inst: in the user namespace owning its IPC namespace */
bool jet_instance_capable(const struct jet_instance *inst, int cap)
{
	return ns_capable(inst->user_ns, cap);
}

static void jet_instance_release(struct kref *ref)
{
	struct jet_instance *inst = container_of(ref, struct jet_instance, ref);

	WARN_ON(inst->backup);
	WARN_ON(!list_empty(&inst->dbs) || !list_empty(&inst->logs));
	mutex_destroy(&inst->mutex);
	put_pid(inst->owner_pid);
	put_user_ns(inst->user_ns);
	jet_ipc_ns_put(inst->ipc_ns);
	kfree(inst->display_name);
	kfree(inst->name);
	kfree(inst);
}

void jet_instance_put(struct jet_instance *inst)
{
	kref_put(&inst->ref, jet_instance_release);
}

/* The instance id of the caller's namespace, with a ref; or NULL. */
struct jet_instance *jet_instance_get(u32 id)
{
	struct jet_instance *inst;

	/* The XArray's reference keeps what it holds alive under its lock. */
	xa_lock(&jet_instances);
	inst = xa_load(&jet_instances, id);
	if (inst && (!jet_instance_visible(inst) ||
		     !kref_get_unless_zero(&inst->ref)))
		inst = NULL;
	xa_unlock(&jet_instances);
	return inst;
}

/*
 * The first live instance of the caller's namespace with an id >= *index,
 * with a ref; or NULL.
 */
struct jet_instance *jet_instance_next(unsigned long *index)
{
	struct jet_instance *inst;

	xa_lock(&jet_instances);
	xa_for_each_start(&jet_instances, *index, inst, *index) {
		if (jet_instance_visible(inst)) {
			kref_get(&inst->ref);
			break;
		}
	}
	xa_unlock(&jet_instances);
	return inst;
}

static u32 jet_name_key(const struct jet_ctx *ctx,
			const struct ipc_namespace *ns, const char *name)
{
	if (name)
		return full_name_hash(ns, name, strlen(name));
	return hash_ptr(ctx, 32);
}

/* under jet_global_lock */
static struct jet_instance *jet_name_find(const struct jet_ctx *ctx,
					  const struct ipc_namespace *ns,
					  const char *name)
{
	struct jet_instance *inst;

	hash_for_each_possible(jet_names, inst, name_node,
			       jet_name_key(ctx, ns, name)) {
		if (!name && !inst->name && inst->owner == ctx)
			return inst;
		if (name && inst->name && inst->ipc_ns == ns &&
		    !strcmp(inst->name, name))
			return inst;
	}
	return NULL;
}

/* The context's unnamed instance (in OneInst: its only one), with a ref. */
static struct jet_instance *jet_instance_get_unnamed(struct jet_ctx *ctx)
{
	struct jet_instance *inst;

	mutex_lock(&jet_global_lock);
	inst = jet_name_find(ctx, NULL, NULL);
	if (inst)
		kref_get(&inst->ref);
	mutex_unlock(&jet_global_lock);
	return inst;
}

/*
 * the per-namespace counts' key; a kernel without SysV IPC and POSIX
 * message queues has no IPC namespace (NULL): one key for all
 */
static unsigned long jet_ns_key(const struct ipc_namespace *ns)
{
	return ns ? ns->ns.inum : 0;
}

/* Check the name and the limits, then make inst findable by all. */
static int jet_instance_publish(struct jet_ctx *ctx, struct jet_instance *inst)
{
	unsigned long users, in_ns, ns_key = jet_ns_key(inst->ipc_ns);
	unsigned long uid = __kuid_val(inst->owner_euid);
	void *old;
	int err;

	mutex_lock(&jet_global_lock);
	users = jet_count_get(&jet_user_counts, uid);
	in_ns = jet_count_get(&jet_ns_counts, ns_key);
	if (jet_name_find(ctx, inst->ipc_ns, inst->name))
		err = -ENOTUNIQ;
	else if (jet_ninstances >= READ_ONCE(jet_max_instances) ||
		 in_ns >= READ_ONCE(jet_max_instances_per_ns))
		err = -ENOSPC;
	else if (users >= READ_ONCE(jet_max_instances_per_user))
		err = -EDQUOT;
	else
		err = jet_count_set(&jet_user_counts, uid, users + 1);
	if (!err) {
		err = jet_count_set(&jet_ns_counts, ns_key, in_ns + 1);
		if (err)
			jet_count_set(&jet_user_counts, uid, users);
	}
	if (err)
		goto out;

	/* replaces the entry jet_instance_add() reserved: no allocation */
	old = xa_store(&jet_instances, inst->id, inst, GFP_KERNEL);
	if (xa_is_err(old)) {
		jet_count_set(&jet_user_counts, uid, users);
		jet_count_set(&jet_ns_counts, ns_key, in_ns);
		err = xa_err(old);
		goto out;
	}
	hash_add(jet_names, &inst->name_node,
		 jet_name_key(ctx, inst->ipc_ns, inst->name));
	jet_ninstances++;
out:
	mutex_unlock(&jet_global_lock);
	return err;
}

/* under inst->mutex: nobody finds inst any more */
static void jet_instance_unpublish(struct jet_instance *inst)
{
	unsigned long uid = __kuid_val(inst->owner_euid);
	unsigned long ns_key = jet_ns_key(inst->ipc_ns);

	mutex_lock(&jet_global_lock);
	hash_del(&inst->name_node);
	xa_erase(&jet_instances, inst->id);
	jet_count_set(&jet_user_counts, uid,
		      jet_count_get(&jet_user_counts, uid) - 1);
	jet_count_set(&jet_ns_counts, ns_key,
		      jet_count_get(&jet_ns_counts, ns_key) - 1);
	jet_ninstances--;
	inst->owner = NULL;
	mutex_unlock(&jet_global_lock);
}

static struct jet_instance *jet_instance_alloc(struct jet_ctx *ctx)
{
	struct jet_instance *inst;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return NULL;

	kref_init(&inst->ref);
	INIT_HLIST_NODE(&inst->name_node);
	INIT_LIST_HEAD(&inst->ctx_node);
	inst->owner_euid = current_euid();
	inst->owner_pid = get_task_pid(current, PIDTYPE_TGID);
	inst->ipc_ns = get_ipc_ns(jet_current_ns());
	inst->user_ns = get_user_ns(inst->ipc_ns ? inst->ipc_ns->user_ns :
					    &init_user_ns);
	mutex_init(&inst->mutex);
	inst->owner = ctx;
	INIT_LIST_HEAD(&inst->dbs);
	INIT_LIST_HEAD(&inst->logs);
	INIT_LIST_HEAD(&inst->locks);
	jet_gate_init(inst);
	return inst;
}

/*
 * Under ctx->lock: give inst an id, tell userspace, and only then publish
 * it, so a failed copy leaves nothing behind that anyone could have seen.
 * A reserved id reads as NULL to lookups and listings.
 */
static int jet_instance_add(struct jet_ctx *ctx, struct jet_instance *inst,
			    u64 __user *uid, int mode)
{
	int err;

	err = xa_alloc_cyclic(&jet_instances, &inst->id, NULL,
			      XA_LIMIT(1, U32_MAX), &jet_next_id, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOSPC : err;

	err = put_user((u64)inst->id, uid);
	if (!err)
		err = jet_instance_publish(ctx, inst);
	if (err) {
		xa_erase(&jet_instances, inst->id);
		return err;
	}

	list_add_tail(&inst->ctx_node, &ctx->instances);
	ctx->ninstances++;
	/* lockless readers: jet_instance_lock() */
	WRITE_ONCE(ctx->mode, mode);
	return 0;
}

/*
 * Under ctx->lock and inst->mutex, with the caller's reference: term inst,
 * then unlock it and drop both the caller's and the XArray's references.
 */
static void jet_instance_term(struct jet_ctx *ctx, struct jet_instance *inst)
{
	inst->terminating = true;
	jet_instance_unpublish(inst);
	list_del_init(&inst->ctx_node);
	if (!--ctx->ninstances)
		WRITE_ONCE(ctx->mode, JET_MODE_NOSET);

	if (inst->backup)
		jet_backup_detach(inst);
	jet_files_release(inst);
	/*
	 * Whoever waits on the instance for terminating wakes now, not at the
	 * next unrelated wake-up: an owner's LOCK_RANGE held back by a freeze,
	 * a freeze waiting for this owner's locks or roll (snapshot.c).
	 */
	wake_up_all(&inst->gate_wq);

	jet_instance_unlock(inst);
	jet_instance_put(inst);
}

int jet_instance_lock(struct jet_ctx *ctx, u64 handle,
		      struct jet_instance **out)
{
	struct jet_instance *inst = NULL;
	bool oneinst = READ_ONCE(ctx->mode) == JET_MODE_ONEINST;
	int ret = 0;

	/*
	 * Callers may or may not hold ctx->lock, so the mode is read without
	 * it: a call racing with the context's init or term acts on one side
	 * of it, and the instance it finds is live or says -ESHUTDOWN.
	 */
	if (oneinst)
		inst = jet_instance_get_unnamed(ctx);
	else if (handle && handle <= U32_MAX)
		inst = jet_instance_get(handle);
	if (!inst)
		return -EINVAL;

	/*
	 * Nobody sleeps at a user's discretion under inst->mutex (jet.h), so
	 * this wait is short; killable all the same, as another user's call
	 * may hold it.
	 */
	if (mutex_lock_killable(&inst->mutex)) {
		jet_instance_put(inst);
		return -EINTR;
	}
	/*
	 * A stale OneInst look (a term and a MultiInst create since) must not
	 * resolve to the unnamed MultiInst instance the handle did not name.
	 */
	if (oneinst && !inst->oneinst)
		ret = -EINVAL;
	else if (inst->terminating)
		ret = -ESHUTDOWN;
	if (ret) {
		mutex_unlock(&inst->mutex);
		jet_instance_put(inst);
		return ret;
	}
	*out = inst;
	return 0;
}

void jet_instance_unlock(struct jet_instance *inst)
{
	mutex_unlock(&inst->mutex);
	jet_instance_put(inst);
}

int jet_check_owner(struct jet_ctx *ctx, struct jet_instance *inst)
{
	return inst->owner == ctx ? 0 : -EACCES;
}

/* An instance or display name: "" is none; too long or control chars. */
static int jet_name_dup(u64 uptr, char **out)
{
	const unsigned char *p;
	char *name;
	int err;

	err = jet_strndup_user(uptr, JET_NAME_MAX, &name);
	if (err)
		return err == -ENAMETOOLONG ? -EILSEQ : err;
	if (name && !*name) {
		kfree(name);
		name = NULL;
	}
	for (p = name; p && *p; p++) {
		if (*p < 0x20) {
			kfree(name);
			return -EILSEQ;
		}
	}
	*out = name;
	return 0;
}

long jet_ioc_create_instance(struct jet_ctx *ctx, void *karg,
			     void __user *uarg)
{
	struct jet_create *arg = karg;
	struct jet_create __user *uc = uarg;
	struct jet_instance *inst;
	char *name, *display;
	long err;

	if (arg->grbit)
		return -EINVAL;
	err = jet_name_dup(arg->name, &name);
	if (err)
		return err;
	err = jet_name_dup(arg->display_name, &display);
	if (err) {
		kfree(name);
		return err;
	}
	inst = jet_instance_alloc(ctx);
	if (!inst) {
		kfree(display);
		kfree(name);
		return -ENOMEM;
	}
	inst->name = name;
	inst->display_name = display;

	mutex_lock(&ctx->lock);
	if (ctx->mode == JET_MODE_ONEINST)
		err = -EISCONN;
	else
		err = jet_instance_add(ctx, inst, &uc->instance,
				       JET_MODE_MULTIINST);
	mutex_unlock(&ctx->lock);

	if (err)
		jet_instance_put(inst);
	return err;
}

/* NoSet: JetInit creates the context's one instance. */
static long jet_init_oneinst(struct jet_ctx *ctx, u64 __user *uid)
{
	struct jet_instance *inst;
	long err;

	inst = jet_instance_alloc(ctx);
	if (!inst)
		return -ENOMEM;
	inst->initialized = true;
	inst->oneinst = true;
	err = jet_instance_add(ctx, inst, uid, JET_MODE_ONEINST);
	if (err)
		jet_instance_put(inst);
	return err;
}

static long jet_init_multiinst(struct jet_ctx *ctx, struct jet_init *arg,
			       u64 __user *uid)
{
	struct jet_instance *inst;
	u64 id;
	long err;

	if (arg->flags & JET_INIT_NO_HANDLE)
		return -EMLINK;
	err = jet_instance_lock(ctx, arg->instance, &inst);
	if (err)
		return err;

	err = jet_check_owner(ctx, inst);
	if (!err && inst->initialized)
		err = -EALREADY;
	id = inst->id;
	jet_instance_unlock(inst);
	if (err)
		return err;

	/*
	 * The handle is written with inst->mutex dropped (a fault there may
	 * last as long as the caller likes, and listings and stops need the
	 * mutex); ctx->lock, the caller's own, keeps a second init out.
	 */
	err = put_user(id, uid);
	if (err)
		return err;
	err = jet_instance_lock(ctx, id, &inst);
	if (err)
		return err;
	inst->initialized = true;
	jet_instance_unlock(inst);
	return 0;
}

long jet_ioc_init(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_init __user *ui = uarg;
	long err;

	mutex_lock(&ctx->lock);
	switch (ctx->mode) {
	case JET_MODE_NOSET:
		err = jet_init_oneinst(ctx, &ui->instance);
		break;
	case JET_MODE_ONEINST:
		err = -EALREADY;
		break;
	default:
		err = jet_init_multiinst(ctx, karg, &ui->instance);
		break;
	}
	mutex_unlock(&ctx->lock);
	return err;
}

long jet_ioc_term(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_term *arg = karg;
	struct jet_instance *inst;
	long err;

	if (arg->grbit & ~JET_TERM_ALL)
		return -EINVAL;

	mutex_lock(&ctx->lock);
	err = jet_instance_lock(ctx, arg->instance, &inst);
	if (err)
		goto out;
	err = jet_check_owner(ctx, inst);
	if (!err && !(arg->grbit & JET_TERM_FORCE) && inst->backup)
		err = -EBUSY;
	if (err)
		jet_instance_unlock(inst);
	else
		jet_instance_term(ctx, inst);
out:
	mutex_unlock(&ctx->lock);
	return err;
}

/* Context close: term every instance it owns, abruptly. */
void jet_instances_release_ctx(struct jet_ctx *ctx)
{
	struct jet_instance *inst;

	mutex_lock(&ctx->lock);
	while ((inst = list_first_entry_or_null(&ctx->instances,
						struct jet_instance,
						ctx_node))) {
		kref_get(&inst->ref);
		mutex_lock(&inst->mutex);
		jet_instance_term(ctx, inst);
	}
	mutex_unlock(&ctx->lock);
}

/* Module exit: every context is closed, so every instance is gone. */
void jet_instances_exit(void)
{
	WARN_ON(!xa_empty(&jet_instances));
	WARN_ON(!xa_empty(&jet_user_counts));
	WARN_ON(!xa_empty(&jet_ns_counts));
	xa_destroy(&jet_instances);
	xa_destroy(&jet_user_counts);
	xa_destroy(&jet_ns_counts);
}
