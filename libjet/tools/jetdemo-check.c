// SPDX-License-Identifier: MIT
/*
 * jetdemo-check.c - what a copy of jetdemo-server's database is worth.
 *
 * --check-db: is every page whole (a backup must never copy a torn one)?
 * --check-state: is the database exactly a state the server committed? It
 * is rebuilt from the seed alone, without the logs: a new database, then the
 * workload's writes 1..N, where N is the newest LSN in the database's pages
 * (the last write recovery applied). N must end a transaction, and be at
 * least the LSN the server had committed when the backup began.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jetdemo.h"

/* the whole file, or NULL (the message printed) */
static unsigned char *load(const char *path, uint32_t *npages)
{
	unsigned char *mem;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		demo_sys_failed("opening", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_size % DEMO_PAGE_SIZE ||
	    st.st_size / DEMO_PAGE_SIZE > UINT32_MAX) {
		printf("%s: its size is not a multiple of %u\n", path,
		       DEMO_PAGE_SIZE);
		close(fd);
		return NULL;
	}
	*npages = (uint32_t)(st.st_size / DEMO_PAGE_SIZE);
	mem = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!mem) {
		close(fd);
		demo_sys_failed("allocating", "memory");
		return NULL;
	}
	rc = demo_read_all(fd, mem, (size_t)st.st_size, 0);
	close(fd);
	if (rc) {
		demo_sys_failed("reading", path);
		free(mem);
		return NULL;
	}
	return mem;
}

int demo_check_db(const char *path)
{
	uint32_t npages, p, bad = 0;
	unsigned char *mem = load(path, &npages);

	if (!mem)
		return 1;
	for (p = 0; p < npages; p++) {
		if (demo_page_check(mem + (size_t)p * DEMO_PAGE_SIZE, p)) {
			if (bad < 10)
				printf("page %u is torn or damaged\n", p);
			bad++;
		}
	}
	free(mem);
	printf("%s: %u pages, %u torn or damaged\n", path, npages, bad);
	return bad ? 1 : 0;
}

int demo_check_state(const char *path, uint64_t seed,
		     unsigned long commit_every, uint64_t min_lsn)
{
	unsigned char *mem, *want = NULL, *page;
	uint32_t npages, p, bad = 0;
	uint64_t n = 0, lsn, i;
	struct demo_write w;
	struct demo_page_hdr h;
	int rc = 1;

	mem = load(path, &npages);
	if (!mem)
		return 1;
	if (!npages) {
		printf("%s: no pages\n", path);
		goto out;
	}
	for (p = 0; p < npages; p++) {
		page = mem + (size_t)p * DEMO_PAGE_SIZE;
		if (demo_page_check(page, p)) {
			printf("%s: page %u is torn or damaged\n", path, p);
			goto out;
		}
		lsn = demo_page_lsn(page);
		if (lsn > n)
			n = lsn;
	}
	if (n % commit_every) {
		printf("%s: at LSN %" PRIu64 ", inside a transaction of %lu writes: not a committed state\n",
		       path, n, commit_every);
		goto out;
	}
	if (n < min_lsn) {
		printf("%s: at LSN %" PRIu64 ", older than LSN %" PRIu64 " that the server had committed before the backup began\n",
		       path, n, min_lsn);
		goto out;
	}
	want = malloc((size_t)npages * DEMO_PAGE_SIZE);
	if (!want) {
		demo_sys_failed("allocating", "memory");
		goto out;
	}
	for (p = 0; p < npages; p++)
		demo_page_init(want + (size_t)p * DEMO_PAGE_SIZE, p);
	/* the writes alone; each page sealed once at the end */
	for (i = 1; i <= n; i++) {
		demo_write_make(seed, npages, i, &w);
		page = want + (size_t)w.pageno * DEMO_PAGE_SIZE;
		for (p = 0; p < w.len; p++)
			page[w.off + p] ^= w.pattern[p];
		memcpy(&h, page, sizeof(h));
		h.lsn = i;
		memcpy(page, &h, sizeof(h));
	}
	for (p = 0; p < npages; p++) {
		page = want + (size_t)p * DEMO_PAGE_SIZE;
		demo_page_seal(page);
		if (memcmp(page, mem + (size_t)p * DEMO_PAGE_SIZE,
			   DEMO_PAGE_SIZE)) {
			if (bad < 10)
				printf("%s: page %u differs from the state committed at LSN %" PRIu64 "\n",
				       path, p, n);
			bad++;
		}
	}
	if (bad) {
		printf("%s: %u of %u pages differ from the state committed at LSN %" PRIu64 " (seed %" PRIu64 ")\n",
		       path, bad, npages, n, seed);
		goto out;
	}
	printf("%s: the state committed at LSN %" PRIu64 " (seed %" PRIu64 ", %u pages): every page matches\n",
	       path, n, seed, npages);
	rc = 0;
out:
	free(want);
	free(mem);
	return rc;
}
