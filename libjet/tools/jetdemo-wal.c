// SPDX-License-Identifier: MIT
/*
 * jetdemo-wal.c - jetdemo-server's log files, written and read.
 *
 * A generation is one file: a header (its generation and the LSN of its
 * first record), records (the new bytes of one range of one page, with the
 * write's LSN; the last record of a transaction is marked commit), and, once
 * the generation is closed, a trailer. Every piece has a checksum, and LSNs
 * follow each other without a hole, within a file and from one file to the
 * next: a lost record, a lost file or a torn copy cannot go unseen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jetdemo.h"

void demo_log_path(char *buf, size_t size, const char *dir, const char *name,
		   unsigned long gen)
{
	snprintf(buf, size, "%s/%s.%08lu.log", dir, name, gen);
}

/* the checksum of a piece whose last field is its sum, plus bytes after */
static uint64_t piece_sum(const void *piece, size_t size,
			  const unsigned char *bytes, size_t len)
{
	uint64_t h = demo_hash(piece, size - sizeof(uint64_t), 0);

	return len ? demo_hash(bytes, len, h) : h;
}

static int reserve(struct demo_log_writer *lw, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (lw->fill + more <= lw->cap)
		return 0;
	cap = lw->cap ? lw->cap : 4096;
	while (cap < lw->fill + more)
		cap *= 2;
	p = realloc(lw->buf, cap);
	if (!p)
		return -1;
	lw->buf = p;
	lw->cap = cap;
	return 0;
}

int demo_log_create(struct demo_log_writer *lw, const char *path,
		    unsigned long gen, uint64_t first_lsn)
{
	struct demo_log_head h = {
		.magic = DEMO_LOG_HEAD_MAGIC, .version = DEMO_LOG_VERSION,
		.generation = gen, .first_lsn = first_lsn,
	};

	lw->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
		      O_CLOEXEC, 0644);
	if (lw->fd < 0)
		return demo_sys_failed("creating", path);
	lw->gen = gen;
	lw->first_lsn = first_lsn;
	lw->records = 0;
	lw->fill = 0;
	h.sum = piece_sum(&h, sizeof(h), NULL, 0);
	if (reserve(lw, sizeof(h)))
		return demo_sys_failed("allocating", "memory");
	memcpy(lw->buf, &h, sizeof(h));
	lw->fill = sizeof(h);
	if (demo_log_flush(lw))
		return demo_sys_failed("writing", path);
	return 0;
}

int demo_log_append(struct demo_log_writer *lw, const struct demo_write *w,
		    const unsigned char *new_bytes, uint64_t lsn, bool commit)
{
	struct demo_log_rec r = {
		.magic = DEMO_LOG_REC_MAGIC, .off = w->off, .len = w->len,
		.pageno = w->pageno, .flags = commit ? DEMO_REC_COMMIT : 0,
		.lsn = lsn,
	};

	if (reserve(lw, sizeof(r) + w->len))
		return -1;
	r.sum = piece_sum(&r, sizeof(r), new_bytes, w->len);
	memcpy(lw->buf + lw->fill, &r, sizeof(r));
	memcpy(lw->buf + lw->fill + sizeof(r), new_bytes, w->len);
	lw->fill += sizeof(r) + w->len;
	lw->records++;
	return 0;
}

static int write_buf(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int demo_log_flush(struct demo_log_writer *lw)
{
	if (write_buf(lw->fd, lw->buf, lw->fill) || fdatasync(lw->fd))
		return -1;
	lw->fill = 0;
	return 0;
}

int demo_log_flush_torn(struct demo_log_writer *lw, size_t bytes)
{
	if (bytes > lw->fill)
		bytes = lw->fill;
	if (write_buf(lw->fd, lw->buf, bytes) || fdatasync(lw->fd))
		return -1;
	return 0;
}

int demo_log_close(struct demo_log_writer *lw, uint64_t last_lsn)
{
	struct demo_log_end e = {
		.magic = DEMO_LOG_END_MAGIC, .records = lw->records,
		.generation = lw->gen, .last_lsn = last_lsn,
	};
	int rc;

	e.sum = piece_sum(&e, sizeof(e), NULL, 0);
	if (lw->fill || reserve(lw, sizeof(e)))
		return -1;	/* a transaction is still buffered */
	memcpy(lw->buf, &e, sizeof(e));
	lw->fill = sizeof(e);
	rc = demo_log_flush(lw);
	if (close(lw->fd))
		rc = -1;
	lw->fd = -1;
	return rc;
}

void demo_log_abandon(struct demo_log_writer *lw)
{
	if (lw->fd >= 0)
		close(lw->fd);
	lw->fd = -1;
	free(lw->buf);
	lw->buf = NULL;
	lw->fill = lw->cap = 0;
}

static int damaged(struct demo_log_reader *lr, const char *what)
{
	snprintf(lr->why, sizeof(lr->why), "%s at byte %zu", what, lr->pos);
	return -1;
}

int demo_log_open(struct demo_log_reader *lr, const char *path)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	memset(lr, 0, sizeof(*lr));
	lr->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(lr->why, sizeof(lr->why), "cannot open it: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	lr->size = (size_t)st.st_size;
	lr->data = malloc(lr->size ? lr->size : 1);
	if (!lr->data) {
		close(fd);
		return damaged(lr, "out of memory");
	}
	while (got < lr->size) {
		r = pread(fd, lr->data + got, lr->size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != lr->size)
		return damaged(lr, "a read error");
	if (lr->size < sizeof(lr->head))
		return damaged(lr, "no whole header");
	memcpy(&lr->head, lr->data, sizeof(lr->head));
	if (lr->head.magic != DEMO_LOG_HEAD_MAGIC ||
	    lr->head.version != DEMO_LOG_VERSION ||
	    lr->head.sum != piece_sum(&lr->head, sizeof(lr->head), NULL, 0))
		return damaged(lr, "a damaged header");
	lr->pos = sizeof(lr->head);
	return 0;
}

int demo_log_next(struct demo_log_reader *lr, struct demo_log_rec *rec,
		  const unsigned char **bytes)
{
	size_t left = lr->size - lr->pos;
	uint32_t magic;

	if (lr->closed)
		return left ? damaged(lr, "bytes after the trailer") : 0;
	if (!left)
		return 0;	/* open: no trailer (yet) */
	if (left < sizeof(magic))
		return damaged(lr, "a torn record");
	memcpy(&magic, lr->data + lr->pos, sizeof(magic));
	if (magic == DEMO_LOG_END_MAGIC) {
		if (left < sizeof(lr->end))
			return damaged(lr, "a torn trailer");
		memcpy(&lr->end, lr->data + lr->pos, sizeof(lr->end));
		if (lr->end.sum != piece_sum(&lr->end, sizeof(lr->end), NULL, 0))
			return damaged(lr, "a damaged trailer");
		lr->closed = true;
		lr->pos += sizeof(lr->end);
		return demo_log_next(lr, rec, bytes);
	}
	if (magic != DEMO_LOG_REC_MAGIC)
		return damaged(lr, "no record");
	if (left < sizeof(*rec))
		return damaged(lr, "a torn record");
	memcpy(rec, lr->data + lr->pos, sizeof(*rec));
	if (rec->len > DEMO_MAX_DELTA || left - sizeof(*rec) < rec->len)
		return damaged(lr, "a torn record");
	*bytes = lr->data + lr->pos + sizeof(*rec);
	if (rec->sum != piece_sum(rec, sizeof(*rec), *bytes, rec->len))
		return damaged(lr, "a damaged record (checksum)");
	if (rec->off < DEMO_BODY_OFF || rec->off + rec->len > DEMO_PAGE_SIZE)
		return damaged(lr, "a record outside its page");
	lr->pos += sizeof(*rec) + rec->len;
	return 1;
}

void demo_log_free(struct demo_log_reader *lr)
{
	free(lr->data);
	lr->data = NULL;
}
