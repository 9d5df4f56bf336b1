// SPDX-License-Identifier: GPL-2.0
/*
 * backup.c - streaming backups, the agent's side (SPEC section 6).
 *
 * A backup belongs to the context that began it: it is on that context's
 * backups list until it ends, and every backup call looks there first, by
 * instance id. So the agent still finds its backup, and can end it, after
 * the owner terminated the instance. A backup that ends leaves the list
 * and the instance in one step, under ctx->lock and inst->mutex.
 *
 * References to a backup: the instance's (while inst->backup points to it),
 * the agent's list's (until it ends), one per open backup file, and one for
 * each call that is using it. The backup holds one on its instance, and its
 * copy set holds one on each of its logs.
 *
 * The log phase (the roll, the copy set, GetLogInfo, GetTruncateLogInfo and
 * TruncateLog) is in logs.c.
 *
 * No user memory is touched with a lock held: name lists are built in a
 * kernel buffer and copied out after unlocking.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "jet.h"

static void jet_backup_release(struct kref *ref)
{
	struct jet_backup *b = container_of(ref, struct jet_backup, ref);

	jet_copy_set_free(b);
	mutex_destroy(&b->copy_mutex);
	jet_instance_put(b->inst);
	kfree(b);
}

void jet_backup_put(struct jet_backup *b)
{
	kref_put(&b->ref, jet_backup_release);
}

/*
 * The caller's own backup of handle: with ctx->lock and its instance's mutex
 * held, and a reference, released by jet_backup_unlock(). Not the caller's:
 * -EINVAL/-ESHUTDOWN for a bad handle, -EBUSY if another context's backup
 * runs, -ESRCH if none.
 */
static int jet_backup_lock(struct jet_ctx *ctx, u64 handle,
			   struct jet_backup **out)
{
	struct jet_instance *inst;
	struct jet_backup *b;
	u64 id = handle;
	int ret;

	mutex_lock(&ctx->lock);
	if (READ_ONCE(ctx->mode) == JET_MODE_ONEINST) {
		/* the handle is ignored: the context's one instance */
		inst = list_first_entry_or_null(&ctx->instances,
						struct jet_instance, ctx_node);
		id = inst ? inst->id : 0;
	}
	list_for_each_entry(b, &ctx->backups, ctx_node) {
		if (id && b->inst_id == id) {
			kref_get(&b->ref);
			mutex_lock(&b->inst->mutex);
			*out = b;
			return 0;
		}
	}

	ret = jet_instance_lock(ctx, handle, &inst);
	if (!ret) {
		ret = inst->backup ? -EBUSY : -ESRCH;
		jet_instance_unlock(inst);
	}
	mutex_unlock(&ctx->lock);
	return ret;
}

static void jet_backup_unlock(struct jet_ctx *ctx, struct jet_backup *b)
{
	mutex_unlock(&b->inst->mutex);
	mutex_unlock(&ctx->lock);
	jet_backup_put(b);
}

int jet_backup_get(struct jet_ctx *ctx, u64 handle, struct jet_backup **out)
{
	int ret = jet_backup_lock(ctx, handle, out);

	/* b stays findable: it leaves the list only under inst->mutex too */
	if (!ret)
		mutex_unlock(&ctx->lock);
	return ret;
}

void jet_backup_unget(struct jet_backup *b)
{
	mutex_unlock(&b->inst->mutex);
	jet_backup_put(b);
}

/*
 * End b, under the agent's ctx->lock and inst->mutex, the caller holding a
 * reference of its own: later reads and calls fail with -ESRCH, and b
 * leaves its instance and the agent's list.
 */
static void jet_backup_finish(struct jet_backup *b)
{
	struct jet_instance *inst = b->inst;

	b->ended = true;
	jet_backup_fail(b, -ESRCH);
	if (inst->backup == b) {
		jet_roll_withdraw(b);
		inst->last_bytes_read = atomic64_read(&b->bytes_read);
		inst->backup = NULL;
		jet_backup_put(b);
	}
	b->agent = NULL;
	list_del_init(&b->ctx_node);
	jet_backup_put(b);
}

long jet_ioc_begin_backup(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	struct jet_backup *b;
	bool incremental;
	long ret;

	if (op->grbit & ~JET_BACKUP_ALL)
		return -EINVAL;
	incremental = op->grbit & JET_BACKUP_INCREMENTAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;

	/* ctx->lock first: b is on the list as soon as it is on inst */
	mutex_lock(&ctx->lock);
	ret = jet_instance_lock(ctx, op->instance, &inst);
	if (ret)
		goto out;

	/* ESE's order: the API's init check comes before the backup's */
	if (!uid_eq(current_euid(), inst->owner_euid) &&
	    !jet_instance_capable(inst, CAP_DAC_READ_SEARCH))
		ret = -EACCES;
	else if (!inst->initialized)
		ret = -EUNATCH;
	else if (inst->backup)
		ret = -EBUSY;
	else if (inst->service_stopped)
		ret = -ECONNABORTED;
	else if (incremental && !inst->full_backup_done)
		ret = -ENODATA;
	if (ret) {
		jet_instance_unlock(inst);
		goto out;
	}

	/* one reference for inst->backup, one for the agent's list */
	kref_init(&b->ref);
	kref_get(&b->ref);
	kref_get(&inst->ref);
	b->inst = inst;
	b->inst_id = inst->id;
	b->agent = ctx;
	b->phase = incremental ? JET_PHASE_LOGS : JET_PHASE_DATABASES;
	b->incremental = incremental;
	b->checkpoint_at_begin = inst->checkpoint;
	mutex_init(&b->copy_mutex);
	atomic_set(&b->open_files, 0);
	atomic64_set(&b->bytes_read, 0);
	list_add_tail(&b->ctx_node, &ctx->backups);
	inst->backup = b;
	b = NULL;
	jet_instance_unlock(inst);
out:
	mutex_unlock(&ctx->lock);
	kfree(b);
	return ret;
}

void jet_names_add(struct jet_names *nm, const char *name)
{
	size_t n = strlen(name) + 1;

	if (nm->buf)
		memcpy(nm->buf + nm->size, name, n);
	nm->size += n;
}

void jet_names_end(struct jet_names *nm)
{
	if (nm->buf)
		nm->buf[nm->size] = '\0';
	nm->size++;
}

/* under inst->mutex: the attached databases' names, or their size */
static void jet_attach_names(struct jet_names *nm, struct jet_instance *inst)
{
	struct jet_regfile *rf;

	nm->size = 0;
	list_for_each_entry(rf, &inst->dbs, node)
		jet_names_add(nm, rf->path);
	jet_names_end(nm);
}

/*
 * GetAttachInfo: the NUL-separated names, ending with an extra NUL, written
 * to the caller's buffer with their size; only the size (-ENOBUFS) when the
 * buffer is too small.
 */
long jet_ioc_get_attach_info(struct jet_ctx *ctx, void *karg,
			     void __user *uarg)
{
	struct jet_name_list *arg = karg;
	struct jet_name_list __user *ua = uarg;
	struct jet_names nm = { .buf = NULL };
	struct jet_backup *b;
	long ret;

	ret = jet_backup_get(ctx, arg->instance, &b);
	if (ret)
		return ret;
	ret = b->err;
	if (!ret && b->phase != JET_PHASE_DATABASES)
		ret = -EPROTO;
	if (!ret) {
		jet_attach_names(&nm, b->inst);
		if (nm.size > U32_MAX) {
			ret = -EOVERFLOW;
		} else if (nm.size > arg->buf_size) {
			ret = -ENOBUFS;
		} else {
			nm.buf = kvmalloc(nm.size,
					  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
			if (nm.buf)
				jet_attach_names(&nm, b->inst);
			else
				ret = -ENOMEM;
		}
	}
	jet_backup_unget(b);
	if (ret && ret != -ENOBUFS)
		goto out;

	arg->size = nm.size;
	if (put_user(arg->size, &ua->size))
		ret = -EFAULT;
	else if (!ret &&
		 copy_to_user(u64_to_user_ptr(arg->buf), nm.buf, nm.size))
		ret = -EFAULT;
out:
	kvfree(nm.buf);
	return ret;
}

/*
 * Under inst->mutex: the file name opens in b's phase, with its kind and
 * copy-set index, or why not.
 */
static int jet_open_target(struct jet_backup *b, const char *name,
			   struct jet_regfile **rf, int *kind, int *index)
{
	struct jet_instance *inst = b->inst;
	unsigned int i;

	if (b->phase == JET_PHASE_DATABASES) {
		*rf = jet_find_db(inst, name);
		*kind = JET_FILE_DATABASE;
		*index = -1;
		return *rf ? 0 : -ENXIO;
	}
	for (i = 0; i < b->copy_count; i++) {
		if (!strcmp(b->copy_set[i].log->path, name)) {
			*rf = b->copy_set[i].log;
			*kind = JET_FILE_LOG;
			*index = i;
			return 0;
		}
	}
	return jet_find_db(inst, name) ? -EPROTO : -ENOMEDIUM;
}

long jet_ioc_open_file(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_open_file *arg = karg;
	struct file *file = NULL;
	struct jet_regfile *rf = NULL;
	int fd, kind = 0, index = -1;
	struct jet_backup *b;
	loff_t size = 0;
	char *name;
	long ret;

	ret = jet_strndup_user(arg->name, JET_PATH_MAX, &name);
	if (ret)
		return ret;
	if (!name || !*name) {
		ret = -EINVAL;
		goto out_name;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_name;
	}

	ret = jet_backup_lock(ctx, arg->instance, &b);
	if (ret)
		goto out_fd;
	ret = b->err;
	if (!ret)
		ret = jet_open_target(b, name, &rf, &kind, &index);
	/* a log's size is fixed at its first open in this backup */
	if (!ret && kind == JET_FILE_LOG)
		ret = jet_log_open(b, index, &size);
	else if (!ret)
		size = i_size_read(file_inode(rf->file));
	if (!ret) {
		file = jet_bfile_create(b, rf, kind, index, size,
					(arg->flags & JET_OPEN_NONBLOCK) ?
					O_NONBLOCK : 0);
		if (IS_ERR(file))
			ret = PTR_ERR(file);
	}
	jet_backup_unlock(ctx, b);
	if (ret)
		goto out_fd;

	arg->size = ((struct jet_bfile *)file->private_data)->size;
	arg->fd = fd;
	/* the descriptor appears only once the caller knows it */
	if (copy_to_user(uarg, arg, sizeof(*arg))) {
		fput(file);
		ret = -EFAULT;
		goto out_fd;
	}
	fd_install(fd, file);
	kfree(name);
	return 0;

out_fd:
	put_unused_fd(fd);
out_name:
	kfree(name);
	return ret;
}

/* under inst->mutex: what a normal end of b tells later incrementals */
static void jet_backup_record(struct jet_instance *inst, struct jet_backup *b)
{
	if (!b->incremental)
		inst->full_backup_done = true;
	/* a fixed copy set is never empty: it ends at the rolled generation */
	if (b->copy_count)
		inst->last_backup_generation =
			b->copy_set[b->copy_count - 1].log->generation;
}

long jet_ioc_end_backup(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	u32 how = op->grbit & (JET_END_NORMAL | JET_END_ABORT);
	struct jet_backup *b;
	long ret;

	if ((op->grbit & ~JET_END_ALL) ||
	    (how != JET_END_NORMAL && how != JET_END_ABORT))
		return -EINVAL;
	ret = jet_backup_lock(ctx, op->instance, &b);
	if (ret)
		return ret;

	/* StopService(All) holds the backup until the instance's term */
	if (b->err == -ECONNABORTED) {
		ret = -ECONNABORTED;
		goto unlock;
	}
	/*
	 * A failed backup, or one whose copy set was never fixed (still
	 * copying databases, or waiting for the roll), ends as an abort.
	 */
	if (how == JET_END_NORMAL && !b->err && b->log_info_done &&
	    b->inst->backup == b)
		jet_backup_record(b->inst, b);
	jet_backup_finish(b);
unlock:
	jet_backup_unlock(ctx, b);
	return ret;
}

/* Context close: every backup it began ends, as an abort. */
void jet_backups_release_ctx(struct jet_ctx *ctx)
{
	struct jet_instance *inst;
	struct jet_backup *b;

	mutex_lock(&ctx->lock);
	while ((b = list_first_entry_or_null(&ctx->backups, struct jet_backup,
					     ctx_node))) {
		inst = b->inst;
		kref_get(&b->ref);
		mutex_lock(&inst->mutex);
		jet_backup_finish(b);
		mutex_unlock(&inst->mutex);
		jet_backup_put(b);
	}
	mutex_unlock(&ctx->lock);
}

/*
 * Term, under inst->mutex: the running backup fails as on a stop and leaves
 * the instance. It stays on its agent's list until the agent ends it (End
 * then succeeds, as an abort) or closes. A StopService(All) error gives way
 * to -ECANCELED here: it held the backup only until the term.
 */
void jet_backup_detach(struct jet_instance *inst)
{
	struct jet_backup *b = inst->backup;

	if (!b)
		return;
	if (b->err != -ECANCELED)
		jet_backup_fail(b, -ECANCELED);
	jet_roll_withdraw(b);
	inst->last_bytes_read = atomic64_read(&b->bytes_read);
	inst->backup = NULL;
	jet_backup_put(b);
}
