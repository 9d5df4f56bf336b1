// SPDX-License-Identifier: MIT
/*
 * jetdemo-recover.c - jetdemo-server --recover DIR: bring a restored
 * directory (a database and its logs) to the last state its logs commit.
 *
 * Redo only: each committed record whose LSN is newer than its page's is
 * applied, so replaying twice changes nothing the second time. Everything is
 * checked before the database is touched, and a directory that cannot be
 * recovered is refused with the reason and left as it was: a missing
 * generation, a log that is torn, damaged or not closed, LSNs with a hole,
 * a torn page, or a page newer than the end of the logs (a backup whose logs
 * stop before the changes in its pages: the log was not rolled).
 *
 * With --crashed (a server's own directory after a crash) the newest log may
 * be open and end in a torn transaction; that transaction was never
 * committed, so none of its pages was written, and it is dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jetdemo.h"

struct pending {
	struct demo_log_rec rec;
	const unsigned char *bytes;
};

struct recovery {
	const struct demo_recover_opts *o;
	char name[256];
	char db_path[PATH_MAX];
	unsigned long *gens;
	size_t ngens;
	unsigned char *mem;
	bool *dirty;
	uint32_t npages;
	struct pending *pend;
	size_t npend, cappend;
	uint64_t redone, skipped, dropped;
};

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("jetdemo-server: cannot recover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* the database: the NAME.edb given, or the only one in the directory */
static int find_db(struct recovery *r)
{
	const char *dir = r->o->dir;
	struct dirent *de;
	size_t n, found = 0;
	DIR *d;

	if (r->o->name) {
		snprintf(r->name, sizeof(r->name), "%s", r->o->name);
	} else {
		d = opendir(dir);
		if (!d)
			return demo_sys_failed("opening", dir);
		while ((de = readdir(d))) {
			n = strlen(de->d_name);
			if (n > 4 && n - 4 < sizeof(r->name) &&
			    !strcmp(de->d_name + n - 4, ".edb")) {
				snprintf(r->name, sizeof(r->name), "%.*s",
					 (int)(n - 4), de->d_name);
				found++;
			}
		}
		closedir(d);
		if (found != 1)
			return refuse("%s holds %zu databases (*.edb): name one with --name",
				      dir, found);
	}
	snprintf(r->db_path, sizeof(r->db_path), "%s/%s.edb", dir, r->name);
	return 0;
}

static int cmp_gen(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* every NAME.GGGGGGGG.log, in order */
static int find_logs(struct recovery *r)
{
	size_t len = strlen(r->name), cap = 0;
	struct dirent *de;
	unsigned long *p;
	const char *s;
	unsigned long g;
	char *end;
	DIR *d;

	d = opendir(r->o->dir);
	if (!d)
		return demo_sys_failed("opening", r->o->dir);
	while ((de = readdir(d))) {
		s = de->d_name;
		if (strncmp(s, r->name, len) || s[len] != '.' ||
		    strlen(s + len + 1) != 12 || strcmp(s + len + 9, ".log"))
			continue;
		errno = 0;
		if (s[len + 1] < '0' || s[len + 1] > '9')
			continue;
		g = strtoul(s + len + 1, &end, 10);

		if (errno || end != s + len + 9 || !g)
			continue;
		if (r->ngens == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(r->gens, cap * sizeof(*p));
			if (!p) {
				closedir(d);
				return demo_sys_failed("allocating", "memory");
			}
			r->gens = p;
		}
		r->gens[r->ngens++] = g;
	}
	closedir(d);
	if (!r->ngens)
		return refuse("no log of %s in %s: nothing to recover from",
			      r->name, r->o->dir);
	qsort(r->gens, r->ngens, sizeof(*r->gens), cmp_gen);
	return 0;
}

static int load_db(struct recovery *r)
{
	struct stat st;
	const char *why;
	uint32_t p;
	int fd, rc;

	fd = open(r->db_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return demo_sys_failed("opening", r->db_path);
	}
	if (!st.st_size || st.st_size % DEMO_PAGE_SIZE ||
	    st.st_size / DEMO_PAGE_SIZE > UINT32_MAX) {
		close(fd);
		return refuse("%s: its size (%lld) is not a whole number of pages",
			      r->db_path, (long long)st.st_size);
	}
	r->npages = (uint32_t)(st.st_size / DEMO_PAGE_SIZE);
	r->mem = malloc((size_t)st.st_size);
	r->dirty = calloc(r->npages, sizeof(*r->dirty));
	if (!r->mem || !r->dirty) {
		close(fd);
		return demo_sys_failed("allocating", "memory");
	}
	rc = demo_read_all(fd, r->mem, (size_t)st.st_size, 0);
	close(fd);
	if (rc)
		return demo_sys_failed("reading", r->db_path);
	for (p = 0; p < r->npages; p++) {
		why = demo_page_check(r->mem + (size_t)p * DEMO_PAGE_SIZE, p);
		if (why)
			return refuse("%s: page %u: %s", r->db_path, p, why);
	}
	return 0;
}

static int push(struct recovery *r, const struct demo_log_rec *rec,
		const unsigned char *bytes)
{
	struct pending *p;

	if (r->npend == r->cappend) {
		r->cappend = r->cappend ? 2 * r->cappend : 64;
		p = realloc(r->pend, r->cappend * sizeof(*p));
		if (!p)
			return demo_sys_failed("allocating", "memory");
		r->pend = p;
	}
	r->pend[r->npend].rec = *rec;
	r->pend[r->npend].bytes = bytes;
	r->npend++;
	return 0;
}

/* a committed transaction: redo what its pages do not hold yet */
static void apply_pending(struct recovery *r)
{
	struct demo_page_hdr h;
	unsigned char *page;
	size_t i;

	for (i = 0; i < r->npend; i++) {
		const struct demo_log_rec *rec = &r->pend[i].rec;

		page = r->mem + (size_t)rec->pageno * DEMO_PAGE_SIZE;
		memcpy(&h, page, sizeof(h));
		if (h.lsn >= rec->lsn) {
			r->skipped++;
			continue;
		}
		memcpy(page + rec->off, r->pend[i].bytes, rec->len);
		h.lsn = rec->lsn;
		memcpy(page, &h, sizeof(h));
		r->dirty[rec->pageno] = true;	/* sealed once, at the end */
		r->redone++;
	}
	r->npend = 0;
}

/*
 * One generation. *next_lsn: the LSN its first record must have (0: any,
 * for the first log replayed); on return, the one after its last.
 */
static int replay_log(struct recovery *r, unsigned long gen, bool newest,
		      uint64_t *next_lsn, uint64_t *committed,
		      struct demo_log_reader *lr, char *path, size_t size)
{
	const unsigned char *bytes;
	struct demo_log_rec rec;
	uint32_t records = 0;
	bool tail_ok = newest && r->o->crashed;
	int rc;

	demo_log_path(path, size, r->o->dir, r->name, gen);
	if (demo_log_open(lr, path))
		return refuse("log %s: %s", path, lr->why);
	if (lr->head.generation != gen)
		return refuse("log %s: its header says generation %" PRIu64,
			      path, lr->head.generation);
	if (*next_lsn && lr->head.first_lsn != *next_lsn)
		return refuse("log %s starts at LSN %" PRIu64 " but the one before ended at LSN %" PRIu64 ": records are missing",
			      path, lr->head.first_lsn, *next_lsn - 1);
	*next_lsn = lr->head.first_lsn;
	if (!*committed)
		*committed = *next_lsn - 1;
	while ((rc = demo_log_next(lr, &rec, &bytes)) == 1) {
		if (rec.lsn != *next_lsn)
			return refuse("log %s: record %u has LSN %" PRIu64 ", expected %" PRIu64,
				      path, records, rec.lsn, *next_lsn);
		if (rec.pageno >= r->npages)
			return refuse("log %s: LSN %" PRIu64 " writes page %u, beyond the database's %u pages",
				      path, rec.lsn, rec.pageno, r->npages);
		if (push(r, &rec, bytes))
			return 1;
		records++;
		(*next_lsn)++;
		if (rec.flags & DEMO_REC_COMMIT) {
			apply_pending(r);
			*committed = rec.lsn;
		}
	}
	if (rc < 0 && !tail_ok)
		return refuse("log %s is torn or damaged: %s", path, lr->why);
	if (rc == 0 && !lr->closed && !tail_ok)
		return refuse("log %s was never closed (no trailer): a torn copy, or a log still being written",
			      path);
	if (lr->closed) {
		if (lr->end.generation != gen || lr->end.records != records ||
		    lr->end.last_lsn != *next_lsn - 1)
			return refuse("log %s: its trailer does not match its records",
				      path);
		if (r->npend)
			return refuse("log %s ends inside a transaction", path);
		return 0;
	}
	/* --crashed, the newest log: what follows the last commit never was */
	r->dropped = r->npend;
	r->npend = 0;
	*next_lsn = *committed + 1;
	if (!r->o->quiet)
		printf("jetdemo-server: %s: open log; dropped %" PRIu64 " uncommitted record(s)%s%s\n",
		       path, r->dropped, rc < 0 ? " and a torn tail: " : "",
		       rc < 0 ? lr->why : "");
	return 0;
}

static int write_back(struct recovery *r)
{
	uint32_t p;
	int fd;

	fd = open(r->db_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return demo_sys_failed("opening", r->db_path);
	for (p = 0; p < r->npages; p++) {
		unsigned char *page = r->mem + (size_t)p * DEMO_PAGE_SIZE;

		if (!r->dirty[p])
			continue;
		demo_page_seal(page);
		if (demo_write_all(fd, page, DEMO_PAGE_SIZE,
				   (uint64_t)p * DEMO_PAGE_SIZE)) {
			close(fd);
			return demo_sys_failed("writing", r->db_path);
		}
	}
	if (fsync(fd) || close(fd))
		return demo_sys_failed("writing", r->db_path);
	return 0;
}

static int recover(struct recovery *r)
{
	const struct demo_recover_opts *o = r->o;
	unsigned long from, to, newest, g;
	uint64_t next_lsn = 0, committed = 0, lsn;
	struct demo_log_reader lr;
	char path[PATH_MAX];
	size_t i;
	uint32_t p;
	int rc;

	if (find_db(r) || find_logs(r) || load_db(r))
		return 1;
	newest = r->gens[r->ngens - 1];
	from = o->from ? o->from : r->gens[0];
	to = o->to ? o->to : newest;
	if (from > to)
		return refuse("the range %lu-%lu is empty", from, to);
	if (to > newest)
		return refuse("generation %lu is missing: the newest log of %s in %s is %lu",
			      to, r->name, o->dir, newest);
	for (i = 0; i < r->ngens && r->gens[i] < from; i++)
		;
	for (g = from; g <= newest; g++, i++) {
		if (i >= r->ngens || r->gens[i] != g)
			return refuse("generation %lu is missing (logs %lu-%lu needed): a gap in the logs",
				      g, from, newest);
	}
	for (g = from; g <= newest; g++) {
		rc = replay_log(r, g, g == newest, &next_lsn, &committed, &lr,
				path, sizeof(path));
		demo_log_free(&lr);
		if (rc)
			return rc;
	}
	/* every page's changes must be in the logs replayed */
	for (p = 0; p < r->npages; p++) {
		lsn = demo_page_lsn(r->mem + (size_t)p * DEMO_PAGE_SIZE);
		if (lsn > committed)
			return refuse("page %u holds LSN %" PRIu64 ", newer than the end of the logs (LSN %" PRIu64 "): the log that covers it is missing (was the log rolled before the backup ended?)",
				      p, lsn, committed);
	}
	if (write_back(r))
		return 1;
	if (!o->quiet)
		printf("jetdemo-server: recovered %s: logs %lu-%lu, %" PRIu64 " record(s) redone, %" PRIu64 " already in their pages; the database is at LSN %" PRIu64 "\n",
		       r->db_path, from, newest, r->redone, r->skipped,
		       committed);
	return 0;
}

int demo_recover(const struct demo_recover_opts *o)
{
	struct recovery r = { .o = o };
	int rc;

	rc = recover(&r);
	free(r.gens);
	free(r.mem);
	free(r.dirty);
	free(r.pend);
	return rc;
}
