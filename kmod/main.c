// SPDX-License-Identifier: GPL-2.0
/*
 * The jet module: /dev/jet, one client context per open.
 *
 * jet brokers streaming backups between a database server that owns
 * instances and the backup agents that read their files; see SPEC.md.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "jet.h"

/* names, per-user counts and the instance total; see jet.h for its place */
DEFINE_MUTEX(jet_global_lock);

/*
 * Limits (SPEC section 8; jet(4) says why each default). A user at all of
 * them leaves room for others: 16 users fill one namespace, and one
 * namespace (a container) fills half the system, whose total is the
 * SPEC's 1024.
 */
unsigned int jet_max_instances = 1024;
module_param_named(max_instances, jet_max_instances, uint, 0644);
MODULE_PARM_DESC(max_instances, "Most instances on the system (default 1024)");

unsigned int jet_max_instances_per_ns = 512;
module_param_named(max_instances_per_ns, jet_max_instances_per_ns, uint, 0644);
MODULE_PARM_DESC(max_instances_per_ns,
		 "Most instances in one IPC namespace (default 512)");

unsigned int jet_max_instances_per_user = 32;
module_param_named(max_instances_per_user, jet_max_instances_per_user, uint,
		   0644);
MODULE_PARM_DESC(max_instances_per_user,
		 "Most instances one effective uid may own (default 32)");

unsigned int jet_max_databases = 64;
module_param_named(max_databases, jet_max_databases, uint, 0644);
MODULE_PARM_DESC(max_databases,
		 "Most databases attached to one instance (default 64)");

unsigned int jet_max_logs = 1024;
module_param_named(max_logs, jet_max_logs, uint, 0644);
MODULE_PARM_DESC(max_logs,
		 "Most log generations registered with one instance (default 1024)");

unsigned int jet_max_path_bytes = 256 * 1024;
module_param_named(max_path_bytes, jet_max_path_bytes, uint, 0644);
MODULE_PARM_DESC(max_path_bytes,
		 "Most bytes of database and log paths per instance (default 262144)");

unsigned int jet_max_locks = 1024;
module_param_named(max_locks, jet_max_locks, uint, 0644);
MODULE_PARM_DESC(max_locks,
		 "Most write-range locks one instance holds (default 1024)");

static int jet_open(struct inode *inode, struct file *file)
{
	struct jet_ctx *ctx;
	int err;

	err = nonseekable_open(inode, file);
	if (err)
		return err;
	ctx = jet_ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	/* replaces the miscdevice that misc_open() left here */
	file->private_data = ctx;
	return 0;
}

/* The last reference to the open file: undo everything the context did. */
static int jet_release(struct inode *inode, struct file *file)
{
	struct jet_ctx *ctx = file->private_data;

	jet_snapshots_release_ctx(ctx);	/* thaws first */
	jet_backups_release_ctx(ctx);
	jet_instances_release_ctx(ctx);
	jet_events_release(ctx);
	jet_ctx_free(ctx);
	return 0;
}

static __poll_t jet_poll(struct file *file, poll_table *wait)
{
	return jet_events_poll(file->private_data, file, wait);
}

static const struct file_operations jet_fops = {
	.owner = THIS_MODULE,
	.open = jet_open,
	.release = jet_release,
	.unlocked_ioctl = jet_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = jet_poll,
	/* no .llseek: seeking /dev/jet gets -ESPIPE on every kernel */
};

static struct miscdevice jet_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "jet",
	.fops = &jet_fops,
	/* the ioctls check who may do what; see SPEC section 8 */
	.mode = 0666,
};

static int __init jet_init(void)
{
	return misc_register(&jet_misc);
}

/* No open file of ours is left (each holds the module), so no instance. */
static void __exit jet_exit(void)
{
	misc_deregister(&jet_misc);
	jet_instances_exit();
	jet_files_exit();
}

module_init(jet_init);
module_exit(jet_exit);

MODULE_DESCRIPTION("jet: ESE-style streaming backups of database files");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0.0");
