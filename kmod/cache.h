/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cache.h - cache-neutral backup reads (cache.c).
 *
 * A backup leaves the page cache as it found it: pages of the source that
 * were resident before the backup looked at them stay; pages that only the
 * backup brought in are dropped once copied. The owner may opt out per
 * instance (JET_IOC_SET_BACKUP_CACHE, JET_BACKUP_CACHE_WARM).
 */
#ifndef _JET_CACHE_H
#define _JET_CACHE_H

#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct jet_bfile;

/* pages of the window: a chunk, the pages read ahead of it, and slack */
#define JET_CACHE_WINDOW	1024

/*
 * What one backup file knows of its source's page cache: for each page of
 * [first, end), whether it was resident when the backup first looked at it
 * (bit index = page index % JET_CACHE_WINDOW). Pages before first are
 * copied and settled; pages from end on are not looked at yet.
 */
struct jet_cache {
	spinlock_t lock;		/* first, end, resident */
	pgoff_t first;
	pgoff_t end;
	DECLARE_BITMAP(resident, JET_CACHE_WINDOW);
};

void jet_cache_init(struct jet_cache *c);
/* before copying [pos, pos + len): note what is resident, read ahead */
void jet_cache_before(struct jet_bfile *bf, loff_t pos, size_t len);
/* after copying [pos, pos + n): drop the copied pages the backup brought in */
void jet_cache_after(struct jet_bfile *bf, loff_t pos, size_t n);
/* the backup file closes: drop what was read ahead and never copied */
void jet_cache_release(struct jet_bfile *bf);

#endif /* _JET_CACHE_H */
