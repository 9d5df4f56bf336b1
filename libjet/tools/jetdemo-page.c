// SPDX-License-Identifier: MIT
/*
 * jetdemo-page.c - the pages of jetdemo-server's database and the seeded
 * workload that writes them.
 *
 * A page carries its number, the LSN of the last write applied to it and a
 * checksum, so a torn copy is seen. A write changes a small range of one
 * page by XORing a pattern into it: the result depends on every earlier
 * write to that range, so a replay that skips, repeats or reorders a record
 * gives a different database, which the state checker sees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jetdemo.h"

/* splitmix64: good enough to spread seeds, cheap */
static uint64_t next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a 64-bit checksum, eight bytes at a time (it finds tears, not attacks) */
uint64_t demo_hash(const void *buf, size_t len, uint64_t h)
{
	const unsigned char *p = buf;
	uint64_t v;

	h ^= 0xcbf29ce484222325ULL ^ len;
	while (len >= 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return next(&h);
}

uint64_t demo_page_sum(const unsigned char *page)
{
	const size_t at = offsetof(struct demo_page_hdr, sum);
	uint64_t h;

	h = demo_hash(page, at, 0);
	return demo_hash(page + at + 8, DEMO_PAGE_SIZE - at - 8, h);
}

void demo_page_seal(unsigned char *page)
{
	uint64_t sum = demo_page_sum(page);

	memcpy(page + offsetof(struct demo_page_hdr, sum), &sum, sizeof(sum));
}

uint64_t demo_page_lsn(const unsigned char *page)
{
	struct demo_page_hdr h;

	memcpy(&h, page, sizeof(h));
	return h.lsn;
}

/* a new database's page: a payload that follows from its number */
void demo_page_init(unsigned char *page, uint32_t pageno)
{
	struct demo_page_hdr h = { .magic = DEMO_PAGE_MAGIC, .pageno = pageno };
	uint64_t x = pageno, v;
	size_t off;

	memcpy(page, &h, sizeof(h));
	for (off = sizeof(h); off < DEMO_PAGE_SIZE; off += sizeof(v)) {
		v = next(&x);
		memcpy(page + off, &v, sizeof(v));
	}
	demo_page_seal(page);
}

const char *demo_page_check(const unsigned char *page, uint32_t pageno)
{
	struct demo_page_hdr h;

	memcpy(&h, page, sizeof(h));
	if (h.magic != DEMO_PAGE_MAGIC)
		return "no page header";
	if (h.pageno != pageno)
		return "the header names another page";
	if (h.sum != demo_page_sum(page))
		return "torn or damaged (checksum)";
	return NULL;
}

void demo_write_make(uint64_t seed, uint32_t npages, uint64_t lsn,
		     struct demo_write *w)
{
	uint64_t x = seed * 0x2545f4914f6cdd1dULL ^ lsn, v;
	const uint32_t body = DEMO_PAGE_SIZE - DEMO_BODY_OFF;
	uint32_t i;

	w->pageno = (uint32_t)(next(&x) % npages);
	w->len = (uint16_t)(8 * (1 + next(&x) % (DEMO_MAX_DELTA / 8)));
	w->off = (uint16_t)(DEMO_BODY_OFF +
			    8 * (next(&x) % ((body - w->len) / 8 + 1)));
	for (i = 0; i < w->len; i += 8) {
		v = next(&x);
		memcpy(w->pattern + i, &v, 8);
	}
}

void demo_write_apply(unsigned char *page, const struct demo_write *w,
		      uint64_t lsn)
{
	struct demo_page_hdr h;
	uint32_t i;

	for (i = 0; i < w->len; i++)
		page[w->off + i] ^= w->pattern[i];
	memcpy(&h, page, sizeof(h));
	h.lsn = lsn;
	memcpy(page, &h, sizeof(h));
	demo_page_seal(page);
}

int demo_sys_failed(const char *what, const char *arg)
{
	fprintf(stderr, "jetdemo-server: %s %s: %s\n", what, arg,
		strerror(errno));
	return 1;
}

int demo_write_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* -1 with errno 0 when the file ends first */
int demo_read_all(int fd, void *buf, size_t n, uint64_t off)
{
	char *p = buf;
	ssize_t r;

	while (n) {
		r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}
