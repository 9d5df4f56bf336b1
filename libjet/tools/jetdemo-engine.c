// SPDX-License-Identifier: MIT
/*
 * jetdemo-engine.c - jetdemo-server's write-ahead logging, without libjet
 * (the owner's calls come through hooks, so the host tests can run it and
 * crash it at chosen points).
 *
 * A transaction is commit_every writes of the seeded workload: their
 * records are appended to the open generation and made durable (the
 * commit), and only then are the pages written, each under a write-range
 * lock so that a backup never copies half of one. A generation is closed
 * between transactions, so every closed log ends at a commit. Closing it
 * makes the database durable too: every page its records touched is then
 * on disk, which is what lets the checkpoint move past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jetdemo.h"

static void crash_point(struct demo_engine *e, enum demo_crash_point where)
{
	if (e->hooks.crash)
		e->hooks.crash(e->hooks.ctx, where);
}

int demo_engine_create(struct demo_engine *e)
{
	uint32_t p;

	e->db_fd = e->commit_fd = -1;
	e->log.fd = -1;
	snprintf(e->db_path, sizeof(e->db_path), "%s/%s.edb", e->dir, e->name);
	e->mem = malloc((size_t)e->npages * DEMO_PAGE_SIZE);
	e->touched = calloc(e->commit_every, sizeof(*e->touched));
	if (!e->mem || !e->touched)
		return demo_sys_failed("allocating", "memory");
	for (p = 0; p < e->npages; p++)
		demo_page_init(e->mem + (size_t)p * DEMO_PAGE_SIZE, p);
	e->db_fd = open(e->db_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
	if (e->db_fd < 0)
		return demo_sys_failed("creating", e->db_path);
	if (demo_write_all(e->db_fd, e->mem, (size_t)e->npages * DEMO_PAGE_SIZE,
			   0) || fsync(e->db_fd))
		return demo_sys_failed("writing", e->db_path);
	if (e->commit_file) {
		e->commit_fd = open(e->commit_file, O_WRONLY | O_CREAT |
				    O_TRUNC | O_CLOEXEC, 0644);
		if (e->commit_fd < 0)
			return demo_sys_failed("creating", e->commit_file);
	}
	return 0;
}

/* the next generation, starting after the last committed write */
int demo_engine_start_log(struct demo_engine *e)
{
	char path[PATH_MAX];
	unsigned long gen = e->log.gen + 1;

	demo_log_path(path, sizeof(path), e->dir, e->name, gen);
	e->gen_writes = 0;
	return demo_log_create(&e->log, path, gen, e->lsn + 1);
}

/* the last committed LSN, where a checker can read it (fixed width, so
 * one pwrite replaces it whole)
 */
static int publish_commit(struct demo_engine *e)
{
	char line[32];
	int n;

	if (e->commit_fd < 0)
		return 0;
	n = snprintf(line, sizeof(line), "%020" PRIu64 "\n", e->lsn);
	if (demo_write_all(e->commit_fd, line, (size_t)n, 0))
		return demo_sys_failed("writing", e->commit_file);
	return 0;
}

static int write_page(struct demo_engine *e, uint32_t pageno)
{
	const uint64_t off = (uint64_t)pageno * DEMO_PAGE_SIZE;
	uint64_t lock;
	int rc;

	/* a backup read of these bytes waits until the page is whole */
	if (e->hooks.lock && e->hooks.lock(e->hooks.ctx, off, DEMO_PAGE_SIZE,
					   &lock))
		return 1;
	rc = demo_write_all(e->db_fd, e->mem + off, DEMO_PAGE_SIZE, off);
	if (rc)
		demo_sys_failed("writing", e->db_path);
	if (e->hooks.unlock && e->hooks.unlock(e->hooks.ctx, lock))
		return 1;
	return rc ? 1 : 0;
}

int demo_engine_commit(struct demo_engine *e)
{
	struct demo_write w;
	unsigned long i, j;
	unsigned char *page;
	uint64_t lsn;

	for (i = 0; i < e->commit_every; i++) {
		lsn = e->lsn + 1 + i;
		demo_write_make(e->seed, e->npages, lsn, &w);
		page = e->mem + (size_t)w.pageno * DEMO_PAGE_SIZE;
		demo_write_apply(page, &w, lsn);
		if (demo_log_append(&e->log, &w, page + w.off, lsn,
				    i + 1 == e->commit_every))
			return demo_sys_failed("allocating", "memory");
		e->touched[i] = w.pageno;
	}
	crash_point(e, DEMO_CRASH_TORN_RECORDS);
	/* the commit: no page is written before its record is durable */
	if (demo_log_flush(&e->log))
		return demo_sys_failed("writing the log of", e->name);
	e->lsn += e->commit_every;
	e->gen_writes += e->commit_every;
	crash_point(e, DEMO_CRASH_LOGGED);
	if (publish_commit(e))
		return 1;
	e->writing_pages = true;
	for (i = 0; i < e->commit_every; i++) {
		for (j = 0; j < i && e->touched[j] != e->touched[i]; j++)
			;
		if (j < i)
			continue;	/* written already */
		if (write_page(e, e->touched[i]))
			return 1;
		crash_point(e, DEMO_CRASH_PAGE_WRITTEN);
	}
	e->writing_pages = false;
	return 0;
}

bool demo_engine_log_full(const struct demo_engine *e)
{
	return e->gen_writes >= e->log_every;
}

int demo_engine_roll(struct demo_engine *e)
{
	char path[PATH_MAX];
	unsigned long gen = e->log.gen, cp;

	demo_log_path(path, sizeof(path), e->dir, e->name, gen);
	if (demo_log_close(&e->log, e->lsn))
		return demo_sys_failed("closing", path);
	crash_point(e, DEMO_CRASH_ROLL_CLOSED);
	/* every page this generation's records touched is now on disk */
	if (fdatasync(e->db_fd))
		return demo_sys_failed("writing", e->db_path);
	if (e->hooks.log_closed && e->hooks.log_closed(e->hooks.ctx, path, gen))
		return 1;
	/*
	 * Keep the last checkpoint_lag closed logs at or after it; not in the
	 * middle of a transaction's page writes, whose records are in gen but
	 * whose pages are not all on disk yet.
	 */
	if (!e->writing_pages && gen + 1 > e->checkpoint_lag) {
		cp = gen + 1 - e->checkpoint_lag;
		if (cp > e->checkpoint) {
			if (e->hooks.checkpoint &&
			    e->hooks.checkpoint(e->hooks.ctx, cp))
				return 1;
			e->checkpoint = cp;
		}
	}
	return demo_engine_start_log(e);
}

void demo_engine_free(struct demo_engine *e)
{
	demo_log_abandon(&e->log);
	if (e->db_fd >= 0)
		close(e->db_fd);
	if (e->commit_fd >= 0)
		close(e->commit_fd);
	e->db_fd = e->commit_fd = -1;
	free(e->mem);
	free(e->touched);
	e->mem = NULL;
	e->touched = NULL;
}
