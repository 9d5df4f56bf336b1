// SPDX-License-Identifier: GPL-2.0
/*
 * cache.c - cache-neutral backup reads.
 *
 * Reading a database bigger than memory through the page cache pushes the
 * owner's working set out of it, and the server is slow for minutes after
 * every backup. So a backup leaves the cache as it found it: the pages of
 * the source that were resident when the backup first looked at them stay;
 * the pages that only the backup brought in are dropped once copied.
 *
 * Each backup file keeps a window over its source (struct jet_cache).
 * Before a chunk is copied, every page from the chunk to JET_CACHE_AHEAD
 * pages past it that the window does not cover yet is looked at once, and
 * whether it is resident is recorded. The look-ahead reaches past any page
 * the copy's own readahead can bring in (at most twice the readahead window
 * past the chunk), so nothing the backup reads is seen before it was
 * looked at. The copy itself is untouched: it reads through the page cache
 * with the kernel's readahead, at the gate, exactly as before. After the
 * chunk is copied (and has left the gate), the pages of it that were not
 * resident when looked at are dropped with POSIX_FADV_DONTNEED, which takes
 * only clean, unmapped, unlocked pages that nobody else holds: a page the
 * owner maps, dirtied or is reading stays.
 *
 * Only the cache's contents can be wrong, never the bytes: a page the owner
 * first reads between the backup's look and its copy is dropped with the
 * backup's (the owner reads it again); a source read ahead further than
 * the window (a readahead window above JET_CACHE_AHEAD_MAX / 2 pages)
 * keeps some of the backup's pages. A reader that jumps starts a new
 * window, after dropping the old one's uncopied pages.
 *
 * Without a page cache to protect (tmpfs, DAX) nothing is done, and an
 * owner who wants the cache warmed by its backups says so per instance:
 * JET_IOC_SET_BACKUP_CACHE with JET_BACKUP_CACHE_WARM.
 */
#include <linux/backing-dev.h>
#include <linux/bitops.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

#include "jet.h"

/* look at least this many pages ahead of a chunk (1 MiB) */
#define JET_CACHE_AHEAD_MIN	256
/* and leave room in the window for the chunk itself */
#define JET_CACHE_AHEAD_MAX	(JET_CACHE_WINDOW - 128)
/* the largest readahead request a chunk makes, in pages (bfile.c) */
#define JET_CACHE_CHUNK_PAGES	((256 * 1024) >> PAGE_SHIFT)

void jet_cache_init(struct jet_cache *c)
{
	spin_lock_init(&c->lock);
	c->first = 0;
	c->end = 0;
}

static unsigned int jet_slot(pgoff_t index)
{
	return index & (JET_CACHE_WINDOW - 1);
}

/* nothing to do: the owner wants the cache warmed, or there is no cache */
static bool jet_cache_off(struct jet_bfile *bf, struct inode *inode)
{
	if (READ_ONCE(bf->backup->inst->cache_warm))
		return true;
	return IS_DAX(inode) || inode_to_bdi(inode) == &noop_backing_dev_info;
}

/*
 * How far ahead of a chunk to look: past the farthest page the copy's
 * readahead may read, which is twice its window (the next window starts
 * at most one window past the page that triggers it).
 */
static pgoff_t jet_cache_ahead(struct file *file)
{
	unsigned long ra = max_t(unsigned long, READ_ONCE(file->f_ra.ra_pages),
				 JET_CACHE_CHUNK_PAGES);

	return clamp_t(unsigned long, 2 * ra, JET_CACHE_AHEAD_MIN,
		       JET_CACHE_AHEAD_MAX);
}

/* pages of the source a backup may copy: up to the smaller of both sizes */
static pgoff_t jet_cache_last(struct jet_bfile *bf, struct inode *inode)
{
	loff_t size = min_t(loff_t, i_size_read(inode), bf->size);

	return DIV_ROUND_UP(size, PAGE_SIZE);
}

/* under c->lock: record which pages of [a, b) are resident now */
static void jet_cache_note(struct jet_cache *c, struct address_space *mapping,
			   pgoff_t a, pgoff_t b)
{
	XA_STATE(xas, &mapping->i_pages, a);
	struct folio *folio;
	pgoff_t i, s, e;

	for (i = a; i < b; i++)
		__clear_bit(jet_slot(i), c->resident);
	rcu_read_lock();
	xas_for_each(&xas, folio, b - 1) {
		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;	/* a shadow entry: evicted */
		/* a stale folio only makes us keep a page, never drop one */
		s = max_t(pgoff_t, folio->index, a);
		e = min_t(pgoff_t, folio->index + folio_nr_pages(folio), b);
		for (i = s; i < e; i++)
			__set_bit(jet_slot(i), c->resident);
	}
	rcu_read_unlock();
}

/* under c->lock: the bits of [a, b) into out, bit 0 for page a */
static void jet_cache_copy(const struct jet_cache *c, pgoff_t a, pgoff_t b,
			   unsigned long *out)
{
	pgoff_t i;

	bitmap_zero(out, JET_CACHE_WINDOW);
	for (i = a; i < b; i++)
		if (test_bit(jet_slot(i), c->resident))
			__set_bit(i - a, out);
}

/*
 * Drop each run of pages of [a, b) that was not resident (bit clear).
 * Straight away when every page of the run goes; else (a page still in a
 * CPU's LRU batch, or written meanwhile) as POSIX_FADV_DONTNEED does it,
 * which first drains those batches on every CPU, and costs more.
 */
static void jet_cache_drop(struct file *file, pgoff_t a, pgoff_t b,
			   const unsigned long *resident)
{
	unsigned long n = b - a, s, e;

	for (s = find_first_zero_bit(resident, n); s < n;
	     s = find_next_zero_bit(resident, n, e)) {
		e = find_next_bit(resident, n, s);
		if (invalidate_mapping_pages(file->f_mapping, a + s,
					     a + e - 1) == e - s)
			continue;
		vfs_fadvise(file, (loff_t)(a + s) << PAGE_SHIFT,
			    (loff_t)(e - s) << PAGE_SHIFT, POSIX_FADV_DONTNEED);
	}
}

/*
 * Wait for the reads in flight on [a, b): pages read ahead and not copied
 * are still locked while their I/O runs, and a locked page is not dropped.
 */
static void jet_cache_settle(struct address_space *mapping, pgoff_t a,
			     pgoff_t b)
{
	struct folio_batch fbatch;
	unsigned int i;
	int ret = 0;

	folio_batch_init(&fbatch);
	while (!ret && a < b && filemap_get_folios(mapping, &a, b - 1, &fbatch)) {
		for (i = 0; !ret && i < folio_batch_count(&fbatch); i++)
			ret = folio_wait_locked_killable(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/*
 * Empty the window, dropping the pages it read ahead and never copied
 * (at close, once their reads are done; a reader that jumps does not wait).
 */
static void jet_cache_forget(struct jet_cache *c, struct file *file,
			     pgoff_t next, bool settle)
{
	DECLARE_BITMAP(resident, JET_CACHE_WINDOW);
	pgoff_t a, b;

	spin_lock(&c->lock);
	a = c->first;
	b = c->end;
	jet_cache_copy(c, a, b, resident);
	c->first = next;
	c->end = next;
	spin_unlock(&c->lock);
	if (b <= a)
		return;
	if (settle)
		jet_cache_settle(file->f_mapping, a, b);
	jet_cache_drop(file, a, b, resident);
}

void jet_cache_before(struct jet_bfile *bf, loff_t pos, size_t len)
{
	struct jet_cache *c = &bf->cache;
	struct file *file = bf->src->file;
	struct inode *inode = file_inode(file);
	pgoff_t p0, want, last;
	bool jumped;

	if (!len || jet_cache_off(bf, inode))
		return;
	last = jet_cache_last(bf, inode);
	p0 = pos >> PAGE_SHIFT;
	if (p0 >= last)
		return;

	spin_lock(&c->lock);
	jumped = p0 != c->first;
	spin_unlock(&c->lock);
	if (jumped)
		jet_cache_forget(c, file, p0, false);

	want = DIV_ROUND_UP(pos + len, PAGE_SIZE) + jet_cache_ahead(file);
	want = min(want, last);
	spin_lock(&c->lock);
	/* another reader of this file may have moved the window meanwhile */
	want = min_t(pgoff_t, want, c->first + JET_CACHE_WINDOW);
	if (want > c->end) {
		jet_cache_note(c, file->f_mapping, c->end, want);
		c->end = want;
	}
	spin_unlock(&c->lock);
}

void jet_cache_after(struct jet_bfile *bf, loff_t pos, size_t n)
{
	DECLARE_BITMAP(resident, JET_CACHE_WINDOW);
	struct jet_cache *c = &bf->cache;
	struct file *file = bf->src->file;
	struct inode *inode = file_inode(file);
	pgoff_t p0, p1, b = 0;

	if (!n || jet_cache_off(bf, inode))
		return;
	p0 = pos >> PAGE_SHIFT;
	/* whole pages copied; the last page of the file counts when reached */
	p1 = (pos + n) >> PAGE_SHIFT;
	if (DIV_ROUND_UP(pos + n, PAGE_SIZE) >= jet_cache_last(bf, inode))
		p1 = DIV_ROUND_UP(pos + n, PAGE_SIZE);

	spin_lock(&c->lock);
	/* only from the window's start: else another reader moved it */
	if (p0 == c->first && p1 > p0 && c->end > p0) {
		b = min(p1, c->end);
		jet_cache_copy(c, p0, b, resident);
		c->first = b;
	}
	spin_unlock(&c->lock);
	if (b > p0)
		jet_cache_drop(file, p0, b, resident);
}

void jet_cache_release(struct jet_bfile *bf)
{
	struct file *file = bf->src->file;

	if (!jet_cache_off(bf, file_inode(file)))
		jet_cache_forget(&bf->cache, file, 0, true);
}

long jet_ioc_set_backup_cache(struct jet_ctx *ctx, void *karg,
			      void __user *uarg)
{
	struct jet_instance_op *op = karg;
	struct jet_instance *inst;
	long ret;

	if (op->grbit & ~JET_BACKUP_CACHE_ALL)
		return -EINVAL;
	ret = jet_instance_lock(ctx, op->instance, &inst);
	if (ret)
		return ret;
	ret = jet_check_owner(ctx, inst);
	/* read by each chunk; a backup running follows from its next chunk */
	if (!ret)
		WRITE_ONCE(inst->cache_warm, op->grbit & JET_BACKUP_CACHE_WARM);
	jet_instance_unlock(inst);
	return ret;
}
