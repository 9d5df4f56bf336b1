// SPDX-License-Identifier: GPL-2.0
/*
 * The one door for every /dev/jet ioctl.
 *
 * One table, indexed by _IOC_NR, says for each command its full number, its
 * handler, the size of its argument, where its zero-only padding and its
 * flags are, and whether the handler writes its results back itself. The
 * generic path below checks all of that, so handlers see a kernel copy of an
 * argument that has the right size, zero padding and only known flags.
 * Adding a command is one row here and one function.
 */
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "jet.h"

struct jet_ioctl_op {
	unsigned int cmd;
	jet_ioctl_fn fn;
	u16 size;
	u16 padding_off;	/* of a __u32 that must be zero */
	u16 flags_off;		/* of a __u32 with only flags_mask bits */
	bool has_padding;
	bool has_flags;
	bool copies_out;	/* the handler writes its results itself */
	u32 flags_mask;
};

/* Every argument fits in this, on the stack. */
union jet_ioctl_arg {
	struct jet_query query;
	struct jet_enable_multi enable_multi;
	struct jet_create create;
	struct jet_init init;
	struct jet_term term;
	struct jet_get_state get_state;
	struct jet_list list;
	struct jet_attach attach;
	struct jet_add_log add_log;
	struct jet_instance_u64 instance_u64;
	struct jet_instance_op instance_op;
	struct jet_name_list name_list;
	struct jet_open_file open_file;
	struct jet_lock_range lock_range;
	struct jet_truncate_event truncate_event;
};

/* A row: the command, its handler and argument, then any of the below. */
#define JET_OP(_cmd, _fn, _type, ...)				\
	[_IOC_NR(_cmd)] = {					\
		.cmd = (_cmd),					\
		.fn = (_fn),					\
		.size = sizeof(_type),				\
		__VA_ARGS__					\
	}

#define JET_PADDING(_type)					\
	.has_padding = true,					\
	.padding_off = offsetof(_type, padding)

#define JET_FLAGS(_type, _mask)					\
	.has_flags = true,					\
	.flags_off = offsetof(_type, flags),			\
	.flags_mask = (_mask)

#define JET_COPIES_OUT	.copies_out = true

static const struct jet_ioctl_op jet_ioctl_ops[] = {
	/* _IOR only: nothing is read in, so nothing to check */
	JET_OP(JET_IOC_QUERY, jet_ioc_query, struct jet_query),
	JET_OP(JET_IOC_ENABLE_MULTI, jet_ioc_enable_multi,
	       struct jet_enable_multi,
	       JET_PADDING(struct jet_enable_multi),
	       JET_FLAGS(struct jet_enable_multi, 0)),
	/* writes the handle before publishing the instance */
	JET_OP(JET_IOC_CREATE_INSTANCE, jet_ioc_create_instance,
	       struct jet_create,
	       JET_PADDING(struct jet_create),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_INIT, jet_ioc_init, struct jet_init,
	       JET_PADDING(struct jet_init),
	       JET_FLAGS(struct jet_init, JET_INIT_NO_HANDLE),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_TERM, jet_ioc_term, struct jet_term,
	       JET_PADDING(struct jet_term)),
	JET_OP(JET_IOC_GET_STATE, jet_ioc_get_state, struct jet_get_state),
	/* -ENOBUFS writes the size back */
	JET_OP(JET_IOC_LIST_INSTANCES, jet_ioc_list_instances,
	       struct jet_list,
	       JET_PADDING(struct jet_list),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_ATTACH_DB, jet_ioc_attach_db, struct jet_attach,
	       JET_FLAGS(struct jet_attach, 0)),
	JET_OP(JET_IOC_DETACH_DB, jet_ioc_detach_db, struct jet_attach,
	       JET_FLAGS(struct jet_attach, 0)),
	JET_OP(JET_IOC_ADD_LOG, jet_ioc_add_log, struct jet_add_log,
	       JET_FLAGS(struct jet_add_log, 0)),
	JET_OP(JET_IOC_SET_CHECKPOINT, jet_ioc_set_checkpoint,
	       struct jet_instance_u64),
	JET_OP(JET_IOC_SET_THROTTLE, jet_ioc_set_throttle,
	       struct jet_instance_u64),
	/* writes the lock's handle, dropping the lock if it cannot */
	JET_OP(JET_IOC_LOCK_RANGE, jet_ioc_lock_range, struct jet_lock_range,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_UNLOCK_RANGE, jet_ioc_unlock_range,
	       struct jet_instance_u64),
	JET_OP(JET_IOC_PAUSE_BACKUP, jet_ioc_pause_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	JET_OP(JET_IOC_GET_TRUNCATE_EVENT, jet_ioc_get_truncate_event,
	       struct jet_truncate_event,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_BEGIN_BACKUP, jet_ioc_begin_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	/* -ENOBUFS writes the size back */
	JET_OP(JET_IOC_GET_ATTACH_INFO, jet_ioc_get_attach_info,
	       struct jet_name_list,
	       JET_COPIES_OUT),
	/* installs the new fd only once the results are written */
	JET_OP(JET_IOC_OPEN_FILE, jet_ioc_open_file, struct jet_open_file,
	       JET_FLAGS(struct jet_open_file, JET_OPEN_NONBLOCK),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_GET_LOG_INFO, jet_ioc_get_log_info,
	       struct jet_name_list,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_GET_TRUNCATE_LOG_INFO, jet_ioc_get_truncate_log_info,
	       struct jet_name_list,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_TRUNCATE_LOG, jet_ioc_truncate_log,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	JET_OP(JET_IOC_END_BACKUP, jet_ioc_end_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	JET_OP(JET_IOC_STOP_BACKUP, jet_ioc_stop_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, JET_OP_LEGACY)),
	JET_OP(JET_IOC_STOP_SERVICE, jet_ioc_stop_service,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, JET_OP_LEGACY)),
};

static u32 jet_arg_u32(const void *karg, u16 off)
{
	u32 v;

	memcpy(&v, (const char *)karg + off, sizeof(v));
	return v;
}

/* The command's row, or NULL: wrong type, unknown number or direction. */
static const struct jet_ioctl_op *jet_ioctl_find(unsigned int cmd)
{
	const struct jet_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != JET_IOC_MAGIC || nr >= ARRAY_SIZE(jet_ioctl_ops))
		return NULL;
	op = &jet_ioctl_ops[array_index_nospec(nr, ARRAY_SIZE(jet_ioctl_ops))];
	if (!op->fn || _IOC_DIR(cmd) != _IOC_DIR(op->cmd))
		return NULL;
	return op;
}

/* Copy the argument in and check its reserved fields. */
static int jet_ioctl_arg_in(const struct jet_ioctl_op *op, void *karg,
			    void __user *uarg)
{
	if (!(_IOC_DIR(op->cmd) & _IOC_WRITE))
		return 0;
	if (copy_from_user(karg, uarg, op->size))
		return -EFAULT;
	if (op->has_padding && jet_arg_u32(karg, op->padding_off))
		return -EINVAL;
	if (op->has_flags && (jet_arg_u32(karg, op->flags_off) &
			      ~op->flags_mask))
		return -EINVAL;
	return 0;
}

long jet_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct jet_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct jet_ioctl_op *op;
	union jet_ioctl_arg karg;
	long ret;

	op = jet_ioctl_find(cmd);
	if (!op)
		return -ENOTTY;
	if (_IOC_SIZE(cmd) != op->size)
		return -EINVAL;

	/* handlers and copy-outs never see stale stack */
	memset(&karg, 0, sizeof(karg));
	ret = jet_ioctl_arg_in(op, &karg, uarg);
	if (ret)
		return ret;

	ret = op->fn(ctx, &karg, uarg);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(op->cmd) & _IOC_READ) && !op->copies_out &&
	    copy_to_user(uarg, &karg, op->size))
		return -EFAULT;
	return ret;
}
