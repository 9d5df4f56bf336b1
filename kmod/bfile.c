// SPDX-License-Identifier: GPL-2.0
/*
 * bfile.c - a backup file descriptor: one database or log, streamed.
 *
 * JET_IOC_OPEN_FILE returns an anon-inode descriptor whose reads copy the
 * owner's file through the kernel's own reference to it. Its size is fixed
 * at open and nothing past it is read. read(2), pread(2), readv(2), lseek(2),
 * poll(2), splice(2) and sendfile(2) work on it; JET_FILE_IOC_INFO says
 * what it is and whether its backup still runs, JET_FILE_IOC_ID which
 * backup file it is (libjet checks a handle's number with it).
 *
 * The size is fixed at open: nothing past it is read, and a source that
 * became shorter than it (seen before a chunk, or by a chunk the source cut
 * short) fails the read with -ERANGE and the whole backup with it (ESE ends
 * a backup whose log read fails): a short copy never passes for the whole
 * file. A truncation undone by a write before any read looks is only a
 * change of content, which the owner's range locks are for.
 *
 * Every chunk a read delivers to the agent is reported to logs.c, which
 * counts a log as copied once every byte of it was delivered.
 *
 * Reads copy in chunks of at most JET_CHUNK bytes, each passing the gate
 * (gate.c) first, so a stop, a pause, a throttle or an owner's range lock
 * takes effect between two chunks. A chunk is copied while it is registered
 * at the gate, straight into the reader's buffer with page faults off (a
 * fault cannot hold up the owner's LOCK_RANGE; the buffer is faulted in
 * after the gate). splice(2) and sendfile(2) copy too: a pipe must never
 * hold page-cache pages that the owner rewrites after its lock, or a backup
 * could copy a torn page.
 */
#include <linux/anon_inodes.h>
#include <linux/bvec.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "jet.h"

#define JET_CHUNK	(256 * 1024)

/* file->private_data: the struct jet_bfile comes first */
struct jet_bfile_priv {
	struct jet_bfile bf;
	/* wakes pollers once the throttle lets a read through */
	struct timer_list poll_timer;
};

static struct jet_bfile_priv *jet_priv(struct file *file)
{
	return file->private_data;
}

/* the ids of JET_FILE_IOC_ID */
static atomic64_t jet_bfile_last_id = ATOMIC64_INIT(0);

/* The source is shorter than the size fixed at open. */
static bool jet_source_shrank(struct jet_bfile *bf)
{
	return i_size_read(file_inode(bf->src->file)) < bf->size;
}

/*
 * The source shrank: fail the backup with -ERANGE, unless it failed
 * already (a stop, an end), and say so to this read.
 */
static ssize_t jet_bfile_shrank(struct jet_bfile *bf)
{
	struct jet_backup *b = bf->backup;

	mutex_lock(&b->inst->mutex);
	if (!b->err)
		jet_backup_fail(b, -ERANGE);
	mutex_unlock(&b->inst->mutex);
	return -ERANGE;
}

#ifndef JET_HAVE_COPY_SPLICE_READ
/*
 * Before 6.5, splice hands our read_iter a pipe iterator, into which the
 * source would lend its page-cache pages. Take fresh pages from the pipe
 * instead and let the source copy into them: the pipe then holds this
 * chunk's bytes, not pages the owner may rewrite once its range lock is gone.
 */
#define jet_bfile_splice_read	generic_file_splice_read
#define jet_iter_is_pipe(i)	iov_iter_is_pipe(i)
#define JET_PIPE_PAGES		16

static ssize_t jet_source_read_pipe(struct kiocb *kiocb, size_t len,
				    struct iov_iter *to)
{
	struct page *pages[JET_PIPE_PAGES];
	struct bio_vec bv[JET_PIPE_PAGES];
	struct iov_iter kiter;
	size_t start, left;
	ssize_t got, n;
	int i, np;

	got = iov_iter_get_pages2(to, pages, len, JET_PIPE_PAGES, &start);
	/*
	 * The pipe has room for len (do_splice_to() saw to that): fewer pages
	 * mean no memory for more. Fail the chunk whole, as a read would.
	 */
	if (got == -EFAULT)
		return -ENOMEM;
	if (got <= 0)
		return got;
	if (got < min_t(size_t, len, JET_PIPE_PAGES * PAGE_SIZE - start)) {
		np = DIV_ROUND_UP(start + got, PAGE_SIZE);
		for (i = 0; i < np; i++)
			put_page(pages[i]);
		iov_iter_revert(to, got);
		return -ENOMEM;
	}
	np = DIV_ROUND_UP(start + got, PAGE_SIZE);
	for (i = 0, left = got; i < np; i++) {
		bv[i].bv_page = pages[i];
		bv[i].bv_offset = i ? 0 : start;
		bv[i].bv_len = min_t(size_t, left, PAGE_SIZE - bv[i].bv_offset);
		left -= bv[i].bv_len;
	}
	iov_iter_bvec(&kiter, ITER_DEST, bv, np, got);
	n = vfs_iocb_iter_read(kiocb->ki_filp, kiocb, &kiter);
	for (i = 0; i < np; i++)
		put_page(pages[i]);
	/* give back to the pipe what the source did not fill */
	if (n < got)
		iov_iter_revert(to, got - max_t(ssize_t, n, 0));
	return n;
}
#else
/* copy_splice_read() reads into fresh pages through our read_iter */
#define jet_bfile_splice_read	copy_splice_read
#define jet_iter_is_pipe(i)	false
static ssize_t jet_source_read_pipe(struct kiocb *kiocb, size_t len,
				    struct iov_iter *to)
{
	return -EINVAL;
}
#endif

/*
 * One chunk from the source at pos into to, while the chunk is at the gate.
 * Page faults stay off: a fault on the reader's buffer must not hold up the
 * owner's LOCK_RANGE; the caller faults the buffer in after the gate.
 */
static ssize_t jet_source_read(struct jet_bfile *bf, loff_t pos, size_t len,
			       struct iov_iter *to)
{
	struct kiocb kiocb;
	size_t count;
	ssize_t n;

	init_sync_kiocb(&kiocb, bf->src->file);
	kiocb.ki_pos = pos;
	jet_cache_before(bf, pos, len);	/* cache.c: what was resident */
	if (jet_iter_is_pipe(to))
		return jet_source_read_pipe(&kiocb, len, to);
	count = iov_iter_count(to);
	iov_iter_truncate(to, len);
	pagefault_disable();
	n = vfs_iocb_iter_read(bf->src->file, &kiocb, to);
	pagefault_enable();
	iov_iter_reexpand(to, count - (n > 0 ? n : 0));
	return n;
}

/*
 * A chunk cut short by a fault on the reader's buffer is copied again whole
 * (a part copied now and the rest after the gate could split an owner's
 * write): fault the buffer in outside the gate, then retry. -EFAULT when it
 * cannot be faulted in, or keeps faulting.
 */
static int jet_fault_in(struct iov_iter *to, size_t len, int *tries)
{
	if (++*tries > 8 || fault_in_iov_iter_writeable(to, len) == len)
		return -EFAULT;
	return 0;
}

/* a short chunk into user memory that the source could have filled */
static bool jet_chunk_faulted(struct jet_bfile *bf, struct iov_iter *to,
			      loff_t pos, size_t granted, ssize_t n)
{
	if (n == -EFAULT)
		return true;
	return n >= 0 && n < granted && user_backed_iter(to) &&
	       pos + n < i_size_read(file_inode(bf->src->file));
}

static ssize_t jet_bfile_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct jet_bfile *bf = &jet_priv(file)->bf;
	struct jet_backup *b = bf->backup;
	bool nonblock = (iocb->ki_flags & IOCB_NOWAIT) ||
			(file->f_flags & O_NONBLOCK);
	loff_t pos = iocb->ki_pos;
	size_t shorted = 0, room;
	ssize_t copied = 0, ret;
	int tries = 0;

	ret = READ_ONCE(b->err);
	if (ret)
		return ret;
	if (pos < 0)
		return -EINVAL;
	/* at the end: nothing delivered, nothing counted */
	if (pos >= bf->size || !iov_iter_count(to))
		return 0;

	room = bf->size - pos;
	if (iov_iter_count(to) > room) {
		shorted = iov_iter_count(to) - room;
		iov_iter_truncate(to, room);
	}
	while (iov_iter_count(to)) {
		size_t len = min_t(size_t, iov_iter_count(to), JET_CHUNK);
		struct jet_range rd;
		ssize_t n;
		long granted;

		/* with bytes in hand, return them rather than wait */
		granted = jet_gate_enter(bf, pos, len, nonblock || copied, &rd);
		if (granted < 0) {
			ret = granted;
			break;
		}
		if (jet_source_shrank(bf)) {
			jet_gate_leave(bf, &rd, granted, 0);
			ret = jet_bfile_shrank(bf);
			break;
		}
		n = jet_source_read(bf, pos, granted, to);
		jet_gate_leave(bf, &rd, granted, n);
		if (jet_chunk_faulted(bf, to, pos, granted, n)) {
			if (n > 0)
				iov_iter_revert(to, n);
			ret = jet_fault_in(to, granted, &tries);
			if (ret)
				break;
			continue;
		}
		tries = 0;
		if (n < 0) {
			ret = n;
			break;
		}
		if (n > 0) {
			jet_cache_after(bf, pos, n);	/* out of the gate */
			if (bf->copy_index >= 0)
				jet_log_delivered(b, bf->copy_index, pos, n);
			pos += n;
			copied += n;
			atomic64_add(n, &b->bytes_read);
		}
		if (n < granted) {
			/* the source ended before the size, or the pipe is full */
			if (jet_source_shrank(bf))
				ret = jet_bfile_shrank(bf);
			break;
		}
	}
	iov_iter_reexpand(to, iov_iter_count(to) + shorted);
	if (copied) {
		iocb->ki_pos = pos;
		return copied;
	}
	return ret;
}

/* lseek within [0, size] */
static loff_t jet_bfile_llseek(struct file *file, loff_t offset, int whence)
{
	loff_t size = jet_priv(file)->bf.size;

	return generic_file_llseek_size(file, offset, whence, size, size);
}

static void jet_bfile_poll_timer(struct timer_list *t)
{
	struct jet_bfile_priv *priv = from_timer(priv, t, poll_timer);

	wake_up_poll(&priv->bf.backup->inst->gate_wq, EPOLLIN | EPOLLRDNORM);
}

static __poll_t jet_bfile_poll(struct file *file, poll_table *wait)
{
	struct jet_bfile_priv *priv = jet_priv(file);
	struct jet_bfile *bf = &priv->bf;
	unsigned long recheck;
	__poll_t mask;

	poll_wait(file, &bf->backup->inst->gate_wq, wait);
	mask = jet_gate_poll(bf, READ_ONCE(file->f_pos), &recheck);
	if (!mask && recheck)
		timer_reduce(&priv->poll_timer, jiffies + recheck);
	return mask;
}

static long jet_bfile_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct jet_bfile *bf = &jet_priv(file)->bf;
	struct jet_file_info info;
	struct jet_file_id fid;

	/* as on /dev/jet: unknown command -ENOTTY, a wrong size -EINVAL */
	if (_IOC_TYPE(cmd) != JET_IOC_MAGIC || _IOC_DIR(cmd) != _IOC_READ)
		return -ENOTTY;
	if (_IOC_NR(cmd) == _IOC_NR(JET_FILE_IOC_ID)) {
		if (_IOC_SIZE(cmd) < sizeof(fid))
			return -EINVAL;
		fid.id = bf->id;
		if (copy_to_user((void __user *)arg, &fid, sizeof(fid)))
			return -EFAULT;
		return 0;
	}
	if (_IOC_NR(cmd) != _IOC_NR(JET_FILE_IOC_INFO))
		return -ENOTTY;
	/* the caller's size travels in cmd, as on /dev/jet (ioctl.c) */
	if (_IOC_SIZE(cmd) < sizeof(info))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.instance = bf->backup->inst_id;
	info.size = bf->size;
	info.generation = bf->kind == JET_FILE_LOG ? bf->src->generation : 0;
	info.kind = bf->kind;
	info.status = READ_ONCE(bf->backup->err);
	if (copy_to_user((void __user *)arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static void jet_bfile_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct jet_bfile *bf = &jet_priv(file)->bf;

	seq_printf(m, "jet-instance:\t%u\n", bf->backup->inst_id);
	seq_printf(m, "jet-kind:\t%s\n",
		   bf->kind == JET_FILE_LOG ? "log" : "database");
	seq_printf(m, "jet-size:\t%lld\n", (long long)bf->size);
	seq_printf(m, "jet-status:\t%d\n", READ_ONCE(bf->backup->err));
}

static int jet_bfile_release(struct inode *inode, struct file *file)
{
	struct jet_bfile_priv *priv = jet_priv(file);
	struct jet_bfile *bf = &priv->bf;

	/* the timer uses the backup's instance: stop it first */
	timer_delete_sync(&priv->poll_timer);
	jet_cache_release(bf);
	atomic_dec(&bf->backup->open_files);
	jet_regfile_put(bf->src);
	jet_backup_put(bf->backup);
	kfree(priv);
	return 0;
}

static const struct file_operations jet_bfile_fops = {
	.owner = THIS_MODULE,
	.read_iter = jet_bfile_read_iter,
	.splice_read = jet_bfile_splice_read,
	.llseek = jet_bfile_llseek,
	.poll = jet_bfile_poll,
	.unlocked_ioctl = jet_bfile_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = jet_bfile_show_fdinfo,
	.release = jet_bfile_release,
};

/*
 * A new backup file for src (not yet installed in any descriptor table).
 * Takes its own references to b and src; flags may hold O_NONBLOCK.
 */
struct file *jet_bfile_create(struct jet_backup *b, struct jet_regfile *src,
			      int kind, int copy_index, loff_t size,
			      int flags)
{
	struct jet_bfile_priv *priv;
	struct file *file;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL_ACCOUNT);
	if (!priv)
		return ERR_PTR(-ENOMEM);
	priv->bf.backup = b;
	priv->bf.src = src;
	priv->bf.size = size;
	priv->bf.kind = kind;
	priv->bf.copy_index = copy_index;
	jet_cache_init(&priv->bf.cache);
	priv->bf.id = atomic64_inc_return(&jet_bfile_last_id);
	timer_setup(&priv->poll_timer, jet_bfile_poll_timer, 0);

	file = anon_inode_getfile("[jet-backup]", &jet_bfile_fops, priv,
				  O_RDONLY | (flags & O_NONBLOCK));
	if (IS_ERR(file)) {
		kfree(priv);
		return file;
	}
	/* positional reads, and read(2) on a shared descriptor in order */
	file->f_mode |= FMODE_PREAD | FMODE_ATOMIC_POS;

	kref_get(&b->ref);
	kref_get(&src->ref);
	atomic_inc(&b->open_files);
	return file;
}
