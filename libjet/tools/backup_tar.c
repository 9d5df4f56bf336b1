// SPDX-License-Identifier: MIT
/*
 * backup_tar.c - "jetctl backup INSTANCE -o -" (or "-o FILE"): the backup
 * as a tar stream (POSIX pax, written by libarchive), for pipes to zstd,
 * ssh, restic or borg without scratch space.
 *
 * Members, in order: each database and log under its plain name, then
 * SHA256SUMS (complete backups only), then MANIFEST, always last. A tar
 * header carries the size before the data, so a file that a stop cuts
 * short is padded with zeros to its size by libarchive; the MANIFEST after
 * it says "incomplete" and does not list that file. A stream killed
 * outright simply ends without a MANIFEST. "jetctl restore" refuses both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "backup.h"

static int tar_failed(struct backup *b)
{
	struct archive *a = b->archive;
	int err = archive_errno(a);

	b->output_broken = true;
	jetctl_msg("backup: writing the stream to %s: %s",
		   b->tar_to_stdout ? "standard output" : b->out,
		   archive_error_string(a) ? archive_error_string(a) :
		   strerror(err ? err : EIO));
	errno = err ? err : EIO;
	return -1;
}

static int tar_start(struct backup *b)
{

	b->tar_to_stdout = !strcmp(b->out, "-");
	if (b->tar_to_stdout) {
		if (isatty(STDOUT_FILENO))
			return jetctl_usage_error("backup: standard output is a terminal; redirect it to a file or a pipe");
		b->tar_fd = STDOUT_FILENO;
	} else {
		b->tar_fd = open(b->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				 0600);
		if (b->tar_fd < 0)
			return errno == EEXIST ?
			       jetctl_usage_error("backup: %s exists; give a new file",
						  b->out) :
			       jetctl_sys_error("backup: creating %s", b->out);
		b->tar_created = true;
	}
	return JETCTL_EXIT_OK;
}

/* the writer comes with the first member: a failed Begin writes nothing */
static int tar_open(struct backup *b)
{
	struct archive *a = archive_write_new();

	if (!a)
		return -1;
	b->archive = a;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, b->tar_fd) != ARCHIVE_OK)
		return tar_failed(b);
	return 0;
}

static void tar_unstart(struct backup *b)
{
	if (b->tar_created) {
		close(b->tar_fd);
		unlink(b->out);
	}
}

static int tar_header(struct backup *b, const char *name, uint64_t size)
{
	struct archive_entry *e;
	int rc;

	if (b->output_broken) {
		errno = EPIPE;
		return -1;
	}
	if (!b->archive && tar_open(b))
		return -1;
	e = archive_entry_new();
	if (!e)
		return -1;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_mtime(e, time(NULL), 0);
	rc = archive_write_header(b->archive, e);
	archive_entry_free(e);
	if (rc < ARCHIVE_WARN)
		return tar_failed(b);
	b->entry_open = true;
	return 0;
}

static int tar_file_begin(struct backup *b, const char *name, uint64_t size)
{
	return tar_header(b, name, size);
}

static ssize_t tar_copy(struct backup *b, struct sha256 *s)
{
	ssize_t n = backup_read_chunk(b);

	if (n <= 0)
		return n;
	sha256_update(s, b->buf, (size_t)n);
	if (archive_write_data(b->archive, b->buf, (size_t)n) != n)
		return tar_failed(b);
	return n;
}

static int tar_file_end(struct backup *b)
{
	b->entry_open = false;
	if (archive_write_finish_entry(b->archive) != ARCHIVE_OK)
		return tar_failed(b);
	return 0;
}

static void tar_file_discard(struct backup *b)
{
	/* libarchive pads the member with zeros to the size in its header */
	if (b->entry_open && !b->output_broken)
		tar_file_end(b);
	b->entry_open = false;
}

static int tar_put(struct backup *b, const char *name, const char *text,
		   size_t len)
{
	if (tar_header(b, name, len))
		return -1;
	if (archive_write_data(b->archive, text, len) != (ssize_t)len)
		return tar_failed(b);
	return tar_file_end(b);
}

static int tar_finish(struct backup *b)
{
	int rc = 0;

	if (!b->archive)
		return 0;
	/* the end-of-archive blocks, unless the output is gone anyway */
	if (!b->output_broken && archive_write_close(b->archive) != ARCHIVE_OK)
		rc = tar_failed(b);
	archive_write_free(b->archive);
	b->archive = NULL;
	if (b->tar_created) {
		if (!rc && fsync(b->tar_fd)) {
			rc = -1;
			jetctl_sys_error("backup: writing %s", b->out);
		}
		if (close(b->tar_fd) && !rc) {
			rc = -1;
			jetctl_sys_error("backup: writing %s", b->out);
		}
	}
	return rc;
}

const struct backup_sink backup_tar_sink = {
	.start = tar_start,
	.unstart = tar_unstart,
	.file_begin = tar_file_begin,
	.copy = tar_copy,
	.file_end = tar_file_end,
	.file_discard = tar_file_discard,
	.put = tar_put,
	.finish = tar_finish,
	.what = "stream",
};
