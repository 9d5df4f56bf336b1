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

enum jet_list_kind {
	JET_LIST_ATTACH,
	JET_LIST_LOG,
	JET_LIST_TRUNCATE,
};

static void jet_copy_set_free(struct jet_copy_entry *set, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		jet_regfile_put(set[i].log);
	kfree(set);
}

static void jet_backup_release(struct kref *ref)
{
	struct jet_backup *b = container_of(ref, struct jet_backup, ref);

	jet_copy_set_free(b->copy_set, b->copy_count);
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

	if (!uid_eq(current_euid(), inst->owner_euid) &&
	    !jet_instance_capable(inst, CAP_DAC_READ_SEARCH))
		ret = -EACCES;
	else if (!inst->initialized)
		ret = -ENOTCONN;
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

/* under inst->mutex: the names of a list of regfiles, or their size */
struct jet_names {
	char *buf;		/* NULL while sizing */
	size_t size;
};

static void jet_names_add(struct jet_names *nm, const char *name)
{
	size_t n = strlen(name) + 1;

	if (nm->buf)
		memcpy(nm->buf + nm->size, name, n);
	nm->size += n;
}

/* the logs that TruncateLog would remove: below this generation */
static u64 jet_truncate_limit(struct jet_instance *inst,
			      struct jet_copy_entry *set, unsigned int count)
{
	u64 limit = inst->checkpoint;

	if (count && set[0].log->generation < limit)
		limit = set[0].log->generation;
	return limit;
}

/* Fill nm (size only if nm->buf is NULL) with one list's names. */
static void jet_names_fill(struct jet_names *nm, struct jet_instance *inst,
			   enum jet_list_kind kind, struct jet_copy_entry *set,
			   unsigned int count)
{
	struct jet_regfile *rf;
	unsigned int i;
	u64 limit;

	nm->size = 0;
	switch (kind) {
	case JET_LIST_ATTACH:
		list_for_each_entry(rf, &inst->dbs, node)
			jet_names_add(nm, rf->path);
		break;
	case JET_LIST_LOG:
		for (i = 0; i < count; i++)
			jet_names_add(nm, set[i].log->path);
		break;
	case JET_LIST_TRUNCATE:
		limit = jet_truncate_limit(inst, set, count);
		list_for_each_entry(rf, &inst->logs, node) {
			if (rf->generation >= limit)
				break;
			jet_names_add(nm, rf->path);
		}
		break;
	}
	/* the list ends with an extra NUL */
	if (nm->buf)
		nm->buf[nm->size] = '\0';
	nm->size++;
}

/*
 * Under inst->mutex: the copy set the first GetLogInfo fixes (full: the
 * logs from the checkpoint at Begin on; incremental: every registered log),
 * without committing it. A gap in generations, or an incremental that does
 * not follow on from the last backup, is -ENOLINK.
 */
static int jet_copy_set_build(struct jet_backup *b, struct jet_copy_entry **out,
			      unsigned int *out_count)
{
	struct jet_instance *inst = b->inst;
	struct jet_copy_entry *set;
	unsigned int count = 0, i = 0;
	struct jet_regfile *rf;
	u64 prev = 0;

	list_for_each_entry(rf, &inst->logs, node) {
		if (!b->incremental && rf->generation < b->checkpoint_at_begin)
			continue;
		if (count && rf->generation != prev + 1)
			return -ENOLINK;
		if (!count && b->incremental &&
		    rf->generation > inst->last_backup_generation + 1)
			return -ENOLINK;
		prev = rf->generation;
		count++;
	}

	*out = NULL;
	*out_count = 0;
	if (!count)
		return 0;
	set = kcalloc(count, sizeof(*set), GFP_KERNEL_ACCOUNT);
	if (!set)
		return -ENOMEM;
	list_for_each_entry(rf, &inst->logs, node) {
		if (!b->incremental && rf->generation < b->checkpoint_at_begin)
			continue;
		kref_get(&rf->ref);
		set[i++].log = rf;
	}
	*out = set;
	*out_count = count;
	return 0;
}

static bool jet_copy_set_same(struct jet_backup *b, struct jet_copy_entry *set,
			      unsigned int count)
{
	unsigned int i;

	if (b->copy_count != count)
		return false;
	for (i = 0; i < count; i++)
		if (b->copy_set[i].log != set[i].log)
			return false;
	return true;
}

/*
 * Commit a copy set built by an earlier look, now that its names reached
 * the caller: the backup moves to the Logs phase. Re-checks what may have
 * changed while unlocked.
 */
static long jet_copy_set_commit(struct jet_backup *b,
				struct jet_copy_entry **set,
				unsigned int count)
{
	struct jet_instance *inst = b->inst;
	long ret = 0;

	mutex_lock(&inst->mutex);
	if (b->ended)
		ret = -ESRCH;
	else if (b->err)
		ret = b->err;
	else if (b->log_info_done)
		/* another thread of the agent was first: same answer? */
		ret = jet_copy_set_same(b, *set, count) ? 0 : -EPROTO;
	else if (atomic_read(&b->open_files))
		ret = -EPROTO;
	if (!ret && !b->log_info_done) {
		b->copy_set = *set;
		b->copy_count = count;
		b->phase = JET_PHASE_LOGS;
		b->log_info_done = true;
		*set = NULL;
	}
	mutex_unlock(&inst->mutex);
	return ret;
}

/*
 * GetAttachInfo, GetLogInfo and GetTruncateLogInfo: the NUL-separated names,
 * ending with an extra NUL, written to the caller's buffer with their size;
 * only the size (-ENOBUFS) when the buffer is too small.
 */
static long jet_name_list(struct jet_ctx *ctx, void *karg, void __user *uarg,
			  enum jet_list_kind kind)
{
	struct jet_name_list *arg = karg;
	struct jet_name_list __user *ua = uarg;
	struct jet_copy_entry *set = NULL, *fresh = NULL;
	struct jet_names nm = { .buf = NULL };
	unsigned int count = 0;
	struct jet_instance *inst;
	struct jet_backup *b;
	long ret;

	ret = jet_backup_lock(ctx, arg->instance, &b);
	if (ret)
		return ret;
	inst = b->inst;
	/* b stays referenced for the commit below */
	kref_get(&b->ref);

	ret = b->err;
	if (ret)
		goto unlock;
	if (kind == JET_LIST_ATTACH) {
		if (b->phase != JET_PHASE_DATABASES)
			ret = -EPROTO;
	} else if (atomic_read(&b->open_files)) {
		ret = -EPROTO;
	} else if (b->log_info_done) {
		set = b->copy_set;
		count = b->copy_count;
	} else {
		ret = jet_copy_set_build(b, &fresh, &count);
		set = fresh;
	}
	if (ret)
		goto unlock;

	jet_names_fill(&nm, inst, kind, set, count);
	if (nm.size > U32_MAX) {
		ret = -EOVERFLOW;
	} else if (nm.size > arg->buf_size) {
		ret = -ENOBUFS;
	} else {
		nm.buf = kvmalloc(nm.size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (nm.buf)
			jet_names_fill(&nm, inst, kind, set, count);
		else
			ret = -ENOMEM;
	}
unlock:
	jet_backup_unlock(ctx, b);
	if (ret && ret != -ENOBUFS)
		goto out;

	arg->size = nm.size;
	if (put_user(arg->size, &ua->size)) {
		ret = -EFAULT;
	} else if (!ret &&
		   copy_to_user(u64_to_user_ptr(arg->buf), nm.buf, nm.size)) {
		ret = -EFAULT;
	}
	if (!ret && fresh)
		ret = jet_copy_set_commit(b, &fresh, count);
out:
	jet_backup_put(b);
	if (fresh)
		jet_copy_set_free(fresh, count);
	kvfree(nm.buf);
	return ret;
}

long jet_ioc_get_attach_info(struct jet_ctx *ctx, void *karg,
			     void __user *uarg)
{
	return jet_name_list(ctx, karg, uarg, JET_LIST_ATTACH);
}

long jet_ioc_get_log_info(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	return jet_name_list(ctx, karg, uarg, JET_LIST_LOG);
}

long jet_ioc_get_truncate_log_info(struct jet_ctx *ctx, void *karg,
				   void __user *uarg)
{
	return jet_name_list(ctx, karg, uarg, JET_LIST_TRUNCATE);
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
	if (!ret) {
		file = jet_bfile_create(b, rf, kind, index,
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

long jet_ioc_truncate_log(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_regfile *rf, *tmp;
	struct jet_instance *inst;
	struct jet_backup *b;
	u64 limit, first = 0, last = 0;
	unsigned int i;
	long ret;

	if (op->grbit)
		return -EINVAL;
	ret = jet_backup_lock(ctx, op->instance, &b);
	if (ret)
		return ret;
	inst = b->inst;

	ret = b->err;
	if (!ret && (!b->log_info_done || atomic_read(&b->open_files)))
		ret = -EPROTO;
	for (i = 0; !ret && i < b->copy_count; i++)
		if (!READ_ONCE(b->copy_set[i].copied))
			ret = -EINPROGRESS;
	if (ret)
		goto unlock;

	limit = jet_truncate_limit(inst, b->copy_set, b->copy_count);
	list_for_each_entry(rf, &inst->logs, node) {
		if (rf->generation >= limit)
			break;
		if (!first)
			first = rf->generation;
		last = rf->generation;
	}
	if (!first)
		goto unlock;	/* nothing to truncate */

	/* the event first: if it cannot be queued, nothing changes */
	if (inst->owner) {
		ret = jet_event_queue(inst->owner, inst->id, first, last);
		if (ret)
			goto unlock;
	}
	list_for_each_entry_safe(rf, tmp, &inst->logs, node) {
		if (rf->generation >= limit)
			break;
		list_del(&rf->node);
		inst->nlogs--;
		jet_regfile_put(rf);
	}
unlock:
	jet_backup_unlock(ctx, b);
	return ret;
}

/* under inst->mutex: what a normal end of b tells later incrementals */
static void jet_backup_record(struct jet_instance *inst, struct jet_backup *b)
{
	if (!b->incremental)
		inst->full_backup_done = true;
	if (b->copy_count)
		inst->last_backup_generation =
			b->copy_set[b->copy_count - 1].log->generation;
	else if (!b->incremental && b->checkpoint_at_begin)
		/* no log to copy: the databases hold all before the checkpoint */
		inst->last_backup_generation = b->checkpoint_at_begin - 1;
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
	/* a stopped backup, or one still copying databases, ends as abort */
	if (how == JET_END_NORMAL && !b->err &&
	    b->phase != JET_PHASE_DATABASES && b->inst->backup == b)
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
	inst->last_bytes_read = atomic64_read(&b->bytes_read);
	inst->backup = NULL;
	jet_backup_put(b);
}
