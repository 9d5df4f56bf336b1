// SPDX-License-Identifier: GPL-2.0
/*
 * The one door for every /dev/jet ioctl.
 *
 * One table, indexed by _IOC_NR, says for each command its full number, its
 * handler, the size of its argument today and the smallest size it was ever
 * released with, the fields that must be zero on the way in (reserved
 * padding, and fields that are only written back), where its flags are, and
 * whether the handler writes its results back itself. The generic path
 * below checks all of that, so handlers see a kernel copy of an argument of
 * today's size, with zero reserved and output fields and only known flags.
 * Adding a command is one row here and one function.
 *
 * Growing a struct (Documentation/process/botching-up-ioctls.rst): the
 * size the caller's struct has travels in the command number, as with DRM.
 * A smaller struct from an older program is padded with zeros, a bigger one
 * from a newer program is accepted when the bytes we do not know are zero
 * (copy_struct_from_user()), and results are written back only up to the
 * caller's size. A struct grows only at its end, and a new field means what
 * it meant before it existed when it is zero.
 */
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "jet.h"

/* a field of an argument, by offset and length */
struct jet_field {
	u16 off;
	u16 len;
};

#define JET_ZERO_MAX	4

struct jet_ioctl_op {
	unsigned int cmd;
	jet_ioctl_fn fn;
	u16 size;		/* today's struct */
	u16 min_size;		/* the first released layout; 0: size */
	u16 flags_off;		/* of a __u32 with only flags_mask bits */
	bool has_flags;
	bool copies_out;	/* the handler writes its results itself */
	u32 flags_mask;
	/* reserved and output-only fields: zero on input (len 0 ends it) */
	struct jet_field zero[JET_ZERO_MAX];
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
	struct jet_snapshot_prepare snapshot_prepare;
	struct jet_snapshot_op snapshot_op;
	struct jet_snapshot_info snapshot_info;
	struct jet_snapshot_logs snapshot_logs;
	struct jet_roll_request roll_request;
	struct jet_log_list log_list;
};

/* A call's argument and the size of the caller's struct. */
struct jet_ioctl_call {
	union jet_ioctl_arg arg;
	size_t usize;
};

size_t jet_ioctl_usize(const void *karg)
{
	return container_of(karg, struct jet_ioctl_call, arg)->usize;
}

/*
 * A row: the command, its handler and argument, then any of the below.
 * The smallest size is today's unless JET_MIN_SIZE says otherwise.
 */
#define JET_OP(_cmd, _fn, _type, ...)				\
	[_IOC_NR(_cmd)] = {					\
		.cmd = (_cmd),					\
		.fn = (_fn),					\
		.size = sizeof(_type),				\
		__VA_ARGS__					\
	}

/* the struct as first released ended with this field */
#define JET_MIN_SIZE(_type, _last)				\
	.min_size = offsetofend(_type, _last)

#define JET_FIELD(_type, _field)				\
	{ offsetof(_type, _field), sizeof_field(_type, _field) }

/* fields that must be zero on input: reserved ones, and outputs */
#define JET_ZERO(...)	.zero = { __VA_ARGS__ }

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
	       JET_ZERO(JET_FIELD(struct jet_enable_multi, padding)),
	       JET_FLAGS(struct jet_enable_multi, 0)),
	/* writes the handle before publishing the instance */
	JET_OP(JET_IOC_CREATE_INSTANCE, jet_ioc_create_instance,
	       struct jet_create,
	       JET_ZERO(JET_FIELD(struct jet_create, padding),
			JET_FIELD(struct jet_create, instance)),
	       JET_COPIES_OUT),
	/* instance is in and out: the handle given, the one initialised */
	JET_OP(JET_IOC_INIT, jet_ioc_init, struct jet_init,
	       JET_ZERO(JET_FIELD(struct jet_init, padding)),
	       JET_FLAGS(struct jet_init, JET_INIT_NO_HANDLE),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_TERM, jet_ioc_term, struct jet_term,
	       JET_ZERO(JET_FIELD(struct jet_term, padding))),
	JET_OP(JET_IOC_GET_STATE, jet_ioc_get_state, struct jet_get_state,
	       JET_ZERO(JET_FIELD(struct jet_get_state, state))),
	/* -ENOBUFS writes the size back */
	JET_OP(JET_IOC_LIST_INSTANCES, jet_ioc_list_instances,
	       struct jet_list,
	       JET_MIN_SIZE(struct jet_list, flags),
	       JET_ZERO(JET_FIELD(struct jet_list, count),
			JET_FIELD(struct jet_list, size),
			JET_FIELD(struct jet_list, next)),
	       JET_FLAGS(struct jet_list, JET_LIST_PAGED),
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
	       JET_ZERO(JET_FIELD(struct jet_lock_range, lock)),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_UNLOCK_RANGE, jet_ioc_unlock_range,
	       struct jet_instance_u64),
	JET_OP(JET_IOC_PAUSE_BACKUP, jet_ioc_pause_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	/* _IOR only; keeps the event queued if it cannot be written */
	JET_OP(JET_IOC_GET_TRUNCATE_EVENT, jet_ioc_get_truncate_event,
	       struct jet_truncate_event,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_BEGIN_BACKUP, jet_ioc_begin_backup,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
	/* -ENOBUFS writes the size back */
	JET_OP(JET_IOC_GET_ATTACH_INFO, jet_ioc_get_attach_info,
	       struct jet_name_list,
	       JET_ZERO(JET_FIELD(struct jet_name_list, size)),
	       JET_COPIES_OUT),
	/* installs the new fd only once the results are written */
	JET_OP(JET_IOC_OPEN_FILE, jet_ioc_open_file, struct jet_open_file,
	       JET_ZERO(JET_FIELD(struct jet_open_file, size),
			JET_FIELD(struct jet_open_file, fd)),
	       JET_FLAGS(struct jet_open_file, JET_OPEN_NONBLOCK),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_GET_LOG_INFO, jet_ioc_get_log_info,
	       struct jet_name_list,
	       JET_ZERO(JET_FIELD(struct jet_name_list, size)),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_GET_TRUNCATE_LOG_INFO, jet_ioc_get_truncate_log_info,
	       struct jet_name_list,
	       JET_ZERO(JET_FIELD(struct jet_name_list, size)),
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
	/* the log roll (logs.c, events.c); each writes its results itself */
	JET_OP(JET_IOC_GET_ROLL_REQUEST, jet_ioc_get_roll_request,
	       struct jet_roll_request,
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_LOG_LIST, jet_ioc_log_list, struct jet_log_list,
	       JET_ZERO(JET_FIELD(struct jet_log_list, size),
			JET_FIELD(struct jet_log_list, status),
			{ offsetof(struct jet_log_list, gen_low),
			  offsetofend(struct jet_log_list, roll_above) -
			  offsetof(struct jet_log_list, gen_low) }),
	       JET_FLAGS(struct jet_log_list, JET_LOGS_FLAGS),
	       JET_COPIES_OUT),
	/* OS snapshots (snapshot.c); each handler checks its grbit */
	JET_OP(JET_IOC_SNAPSHOT_PREPARE, jet_ioc_snapshot_prepare,
	       struct jet_snapshot_prepare,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_prepare, snapshot),
			JET_FIELD(struct jet_snapshot_prepare, padding)),
	       JET_COPIES_OUT),
	JET_OP(JET_IOC_SNAPSHOT_PREPARE_INSTANCE,
	       jet_ioc_snapshot_prepare_instance, struct jet_snapshot_op,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_op, timeout_ms))),
	JET_OP(JET_IOC_SNAPSHOT_FREEZE, jet_ioc_snapshot_freeze,
	       struct jet_snapshot_op,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_op, instance))),
	JET_OP(JET_IOC_SNAPSHOT_THAW, jet_ioc_snapshot_thaw,
	       struct jet_snapshot_op,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_op, instance),
			JET_FIELD(struct jet_snapshot_op, timeout_ms))),
	JET_OP(JET_IOC_SNAPSHOT_TRUNCATE_LOG, jet_ioc_snapshot_truncate_log,
	       struct jet_snapshot_op,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_op, timeout_ms))),
	JET_OP(JET_IOC_SNAPSHOT_END, jet_ioc_snapshot_end,
	       struct jet_snapshot_op,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_op, instance),
			JET_FIELD(struct jet_snapshot_op, timeout_ms))),
	/* -ENOBUFS writes the count back */
	JET_OP(JET_IOC_SNAPSHOT_GET_INFO, jet_ioc_snapshot_get_info,
	       struct jet_snapshot_info,
	       JET_ZERO(JET_FIELD(struct jet_snapshot_info, count),
			JET_FIELD(struct jet_snapshot_info, state),
			JET_FIELD(struct jet_snapshot_info, padding)),
	       JET_COPIES_OUT),
	/* -ENOBUFS writes the size back; first released as it is */
	JET_OP(JET_IOC_SNAPSHOT_GET_LOGS, jet_ioc_snapshot_get_logs,
	       struct jet_snapshot_logs,
	       JET_MIN_SIZE(struct jet_snapshot_logs, padding),
	       JET_ZERO(JET_FIELD(struct jet_snapshot_logs, size),
			{ offsetof(struct jet_snapshot_logs, gen_low),
			  offsetofend(struct jet_snapshot_logs, gen_high) -
			  offsetof(struct jet_snapshot_logs, gen_low) },
			JET_FIELD(struct jet_snapshot_logs, padding)),
	       JET_FLAGS(struct jet_snapshot_logs, 0),
	       JET_COPIES_OUT),
	/* cache.c */
	JET_OP(JET_IOC_SET_BACKUP_CACHE, jet_ioc_set_backup_cache,
	       struct jet_instance_op,
	       JET_FLAGS(struct jet_instance_op, 0)),
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

/*
 * Copy the argument in (usize bytes of the caller's, zero-padded or with a
 * zero tail beyond ours) and check its reserved fields, outputs and flags.
 */
static int jet_ioctl_arg_in(const struct jet_ioctl_op *op, void *karg,
			    void __user *uarg, size_t usize)
{
	const struct jet_field *f;
	int ret;

	if (!(_IOC_DIR(op->cmd) & _IOC_WRITE))
		return 0;
	ret = copy_struct_from_user(karg, op->size, uarg, usize);
	if (ret)
		return ret;	/* -EFAULT, or -E2BIG for unknown bytes */
	for (f = op->zero; f < op->zero + JET_ZERO_MAX && f->len; f++)
		if (memchr_inv((const char *)karg + f->off, 0, f->len))
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
	struct jet_ioctl_call call;
	size_t usize = _IOC_SIZE(cmd);
	long ret;

	op = jet_ioctl_find(cmd);
	if (!op)
		return -ENOTTY;
	if (usize < (op->min_size ?: op->size))
		return -EINVAL;

	/* handlers and copy-outs never see stale stack */
	memset(&call, 0, sizeof(call));
	call.usize = usize;
	ret = jet_ioctl_arg_in(op, &call.arg, uarg, usize);
	if (ret)
		return ret;

	ret = op->fn(ctx, &call.arg, uarg);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(op->cmd) & _IOC_READ) && !op->copies_out &&
	    copy_to_user(uarg, &call.arg, min_t(size_t, usize, op->size)))
		return -EFAULT;
	return ret;
}
