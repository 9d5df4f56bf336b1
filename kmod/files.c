// SPDX-License-Identifier: GPL-2.0
/*
 * files.c - the owner's files: databases and logs handed over by descriptor.
 *
 * The kernel keeps its own reference to each file (struct jet_regfile), so
 * a backup keeps working after the owner closes its descriptor. A regfile
 * is on inst->dbs or inst->logs under inst->mutex; backup files and copy
 * sets hold references of their own, so one may outlive its instance.
 *
 * Bounds (SPEC section 8): an instance holds at most max_databases
 * databases, max_logs logs and max_path_bytes bytes of their paths. Each
 * file the kernel holds counts against the user who handed it over, like
 * descriptors in flight in unix sockets: a user may not make the kernel
 * hold more files than its RLIMIT_NOFILE, unless it has CAP_SYS_RESOURCE
 * or CAP_SYS_ADMIN (-EMFILE).
 *
 * The owner's descriptor is resolved, and an O_DIRECT one re-opened,
 * before inst->mutex is taken: an open on a file system the owner serves
 * (FUSE) may take as long as the owner likes (jet.h).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "jet.h"

/* under jet_global_lock: files the kernel holds, per euid */
static DEFINE_XARRAY(jet_user_files);

/* Count one more file against the caller: 0, -EMFILE or -ENOMEM. */
static int jet_files_charge(kuid_t uid)
{
	unsigned long n;
	int ret = 0;

	mutex_lock(&jet_global_lock);
	n = jet_count_get(&jet_user_files, __kuid_val(uid));
	if (n >= rlimit(RLIMIT_NOFILE) && !capable(CAP_SYS_RESOURCE) &&
	    !capable(CAP_SYS_ADMIN))
		ret = -EMFILE;
	else
		ret = jet_count_set(&jet_user_files, __kuid_val(uid), n + 1);
	mutex_unlock(&jet_global_lock);
	return ret;
}

static void jet_files_uncharge(kuid_t uid)
{
	unsigned long n;

	mutex_lock(&jet_global_lock);
	n = jet_count_get(&jet_user_files, __kuid_val(uid));
	if (!WARN_ON(!n))
		jet_count_set(&jet_user_files, __kuid_val(uid), n - 1);
	mutex_unlock(&jet_global_lock);
}

/* Module exit: every file the kernel held is let go by now. */
void jet_files_exit(void)
{
	WARN_ON(!xa_empty(&jet_user_files));
	xa_destroy(&jet_user_files);
}

static void jet_regfile_release(struct kref *ref)
{
	struct jet_regfile *rf = container_of(ref, struct jet_regfile, ref);

	/* NULL when a failed attach or add_log drops it */
	if (rf->file) {
		fput(rf->file);
		jet_files_uncharge(rf->charged);
	}
	kfree(rf->path);
	kfree(rf);
}

void jet_regfile_put(struct jet_regfile *rf)
{
	kref_put(&rf->ref, jet_regfile_release);
}

/* A database or log path: required, not empty, at most JET_PATH_MAX. */
static int jet_path_dup(u64 uptr, char **out)
{
	int ret;

	ret = jet_strndup_user(uptr, JET_PATH_MAX, out);
	if (ret)
		return ret;
	if (!*out || !**out) {
		kfree(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* A database or log named by the user string at uptr, with no file yet. */
static int jet_regfile_new(u64 uptr, struct jet_regfile **out)
{
	struct jet_regfile *rf;
	int ret;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return -ENOMEM;
	ret = jet_path_dup(uptr, &rf->path);
	if (ret) {
		kfree(rf);
		return ret;
	}
	kref_init(&rf->ref);
	*out = rf;
	return 0;
}

/*
 * The kernel's own reference to the owner's descriptor: a file open for
 * reading (-EACCES) that is a regular file we can stream (-EBADFD), which
 * rules out directories, pipes, sockets, devices, /dev/jet and backup fds.
 *
 * An O_DIRECT descriptor is opened again, buffered, with the credentials
 * it was opened with: backup reads and splices come at any offset and
 * length, which only the page cache serves.
 */
static int jet_source_open(int fd, struct file **out)
{
	struct file *f, *buffered;

	f = fget(fd);
	if (!f)
		return -EBADF;
	if (!(f->f_mode & FMODE_READ)) {
		fput(f);
		return -EACCES;
	}
	if (!S_ISREG(file_inode(f)->i_mode) || !f->f_op->read_iter) {
		fput(f);
		return -EBADFD;
	}
	if (f->f_flags & O_DIRECT) {
		buffered = dentry_open(&f->f_path, O_RDONLY | O_LARGEFILE |
				       (f->f_flags & O_NOATIME), f->f_cred);
		fput(f);
		if (IS_ERR(buffered))
			return PTR_ERR(buffered);
		f = buffered;
	}
	*out = f;
	return 0;
}

/*
 * Without inst->mutex: the owner's file for rf, counted against the caller.
 * On failure rf has no file and nothing is counted.
 */
static int jet_source_get(int fd, struct jet_regfile *rf)
{
	struct file *f;
	int ret;

	ret = jet_source_open(fd, &f);
	if (ret)
		return ret;
	rf->charged = current_euid();
	ret = jet_files_charge(rf->charged);
	if (ret) {
		fput(f);
		return ret;
	}
	rf->file = f;
	return 0;
}

/* under inst->mutex: room for one more file of this kind and its path? */
static int jet_files_room(struct jet_instance *inst, struct jet_regfile *rf,
			  bool db)
{
	size_t bytes = strlen(rf->path) + 1;
	struct jet_regfile *f;

	if (db ? inst->ndbs >= READ_ONCE(jet_max_databases) :
		 inst->nlogs >= READ_ONCE(jet_max_logs))
		return -EMFILE;
	list_for_each_entry(f, &inst->dbs, node)
		bytes += strlen(f->path) + 1;
	list_for_each_entry(f, &inst->logs, node)
		bytes += strlen(f->path) + 1;
	return bytes > READ_ONCE(jet_max_path_bytes) ? -ENOMEM : 0;
}

/* under inst->mutex: the owner's files may change only once initialized */
static int jet_files_check(struct jet_ctx *ctx, struct jet_instance *inst)
{
	int ret;

	ret = jet_check_owner(ctx, inst);
	if (ret)
		return ret;
	return inst->initialized ? 0 : -EUNATCH;
}

static struct jet_regfile *jet_regfile_find(struct list_head *list,
					    const char *path)
{
	struct jet_regfile *rf;

	list_for_each_entry(rf, list, node)
		if (!strcmp(rf->path, path))
			return rf;
	return NULL;
}

struct jet_regfile *jet_find_db(struct jet_instance *inst, const char *path)
{
	return jet_regfile_find(&inst->dbs, path);
}

struct jet_regfile *jet_find_log(struct jet_instance *inst, const char *path)
{
	return jet_regfile_find(&inst->logs, path);
}

/*
 * Under inst->mutex: drop the owner's range locks on db (NULL: all of
 * them) and wake the reads they held back and any LOCK_RANGE still waiting
 * on one (it finds its lock gone). The lock list changes under both
 * inst->mutex and gate_lock; the read gate reads it under gate_lock.
 */
static void jet_locks_drop(struct jet_instance *inst, struct jet_regfile *db)
{
	struct jet_range *r, *tmp;
	LIST_HEAD(dead);

	spin_lock(&inst->gate_lock);
	list_for_each_entry_safe(r, tmp, &inst->locks, node)
		if (!db || r->db == db)
			list_move(&r->node, &dead);
	spin_unlock(&inst->gate_lock);

	if (list_empty(&dead))
		return;
	wake_up(&inst->gate_wq);
	list_for_each_entry_safe(r, tmp, &dead, node)
		kfree(r);
}

long jet_ioc_attach_db(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_attach *arg = karg;
	struct jet_instance *inst;
	struct jet_regfile *rf;
	long ret, src_err;

	ret = jet_regfile_new(arg->name, &rf);
	if (ret)
		return ret;
	/* its error comes after the instance's own (order of checks) */
	src_err = jet_source_get(arg->fd, rf);

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		goto out_free;
	ret = jet_files_check(ctx, inst);
	if (!ret)
		ret = src_err;
	if (ret)
		goto out_unlock;
	if (inst->backup)
		ret = -EBUSY;
	else if (jet_find_db(inst, rf->path))
		ret = -EEXIST;
	else
		ret = jet_files_room(inst, rf, true);
	if (ret)
		goto out_unlock;

	list_add_tail(&rf->node, &inst->dbs);
	inst->ndbs++;
	rf = NULL;
out_unlock:
	jet_instance_unlock(inst);
out_free:
	if (rf)
		jet_regfile_put(rf);
	return ret;
}

long jet_ioc_detach_db(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_attach *arg = karg;
	struct jet_regfile *rf = NULL;
	struct jet_instance *inst;
	char *path;
	long ret;

	if (arg->fd != -1)
		return -EINVAL;
	ret = jet_path_dup(arg->name, &path);
	if (ret)
		return ret;

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		goto out;
	ret = jet_files_check(ctx, inst);
	if (!ret && inst->backup)
		ret = -EBUSY;
	if (!ret) {
		rf = jet_find_db(inst, path);
		if (!rf)
			ret = -ENXIO;
	}
	if (rf) {
		jet_locks_drop(inst, rf);
		list_del(&rf->node);
		inst->ndbs--;
	}
	jet_instance_unlock(inst);
	if (rf)
		jet_regfile_put(rf);
out:
	kfree(path);
	return ret;
}

long jet_ioc_add_log(struct jet_ctx *ctx, void *karg, void __user *uarg)
{
	struct jet_add_log *arg = karg;
	struct jet_instance *inst;
	struct jet_regfile *rf;
	long ret, src_err;

	if (!arg->generation)
		return -EINVAL;
	ret = jet_regfile_new(arg->name, &rf);
	if (ret)
		return ret;
	rf->generation = arg->generation;
	src_err = jet_source_get(arg->fd, rf);

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		goto out_free;
	ret = jet_files_check(ctx, inst);
	if (ret)
		goto out_unlock;
	/* strictly increasing, above even truncated ones (logs.c) */
	if (arg->generation <= inst->log_generation)
		ret = -EINVAL;
	if (!ret)
		ret = src_err;
	if (!ret && jet_find_log(inst, rf->path))
		ret = -EEXIST;
	if (!ret)
		ret = jet_files_room(inst, rf, false);
	if (ret)
		goto out_unlock;

	list_add_tail(&rf->node, &inst->logs);
	inst->nlogs++;
	jet_log_registered(inst, rf->generation);
	rf = NULL;
out_unlock:
	jet_instance_unlock(inst);
out_free:
	if (rf)
		jet_regfile_put(rf);
	return ret;
}

long jet_ioc_set_checkpoint(struct jet_ctx *ctx, void *karg,
			    void __user *uarg)
{
	struct jet_instance_u64 *arg = karg;
	struct jet_instance *inst;
	long ret;

	ret = jet_instance_lock(ctx, arg->instance, &inst);
	if (ret)
		return ret;
	ret = jet_files_check(ctx, inst);
	if (!ret && arg->value < inst->checkpoint)
		ret = -EINVAL;		/* never backwards */
	if (!ret)
		inst->checkpoint = arg->value;
	jet_instance_unlock(inst);
	return ret;
}

/*
 * Term, under inst->mutex and after jet_backup_detach(): the instance lets
 * go of its files and locks. Backup files still open keep their own
 * references and fail their reads with the backup's error.
 */
void jet_files_release(struct jet_instance *inst)
{
	struct jet_regfile *rf, *tmp;

	jet_locks_drop(inst, NULL);

	list_for_each_entry_safe(rf, tmp, &inst->dbs, node) {
		list_del(&rf->node);
		jet_regfile_put(rf);
	}
	inst->ndbs = 0;

	list_for_each_entry_safe(rf, tmp, &inst->logs, node) {
		list_del(&rf->node);
		jet_regfile_put(rf);
	}
	inst->nlogs = 0;
}
