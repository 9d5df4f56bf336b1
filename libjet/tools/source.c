// SPDX-License-Identifier: MIT
/*
 * source.c - a backup read back (see source.h): a directory file by file,
 * or a tar stream member by member in one pass, since a pipe cannot be read
 * twice. A stream's MANIFEST comes last, so its members are hashed (and,
 * for restore, written to a staging directory) before anything is known
 * about them; nothing is trusted until the MANIFEST at the end vouches for
 * every one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "jetctl.h"
#include "source.h"

volatile sig_atomic_t source_interrupted;

int source_init(struct source *s, const char *path, bool stream,
		struct progress *prog)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->dirfd = -1;
	s->prog = prog;
	s->sums = FILE_OK;
	s->stream = stream || !strcmp(path, "-") ||
		    (stat(path, &st) == 0 && !S_ISDIR(st.st_mode));
	s->buf = malloc(SOURCE_BUF_SIZE);
	return s->buf ? 0 : -1;
}

void source_free(struct source *s)
{
	size_t i;

	if (!s->path)
		return;		/* never initialized */
	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].name);
	free(s->files);
	free(s->buf);
	if (s->dirfd >= 0)
		close(s->dirfd);
	manifest_free(&s->man);
	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
}

static const char *label(const struct source *s)
{
	return strcmp(s->path, "-") ? s->path : "the stream on standard input";
}

static struct file_result *add_file(struct source *s, const char *name,
				    const struct manifest_entry *e)
{
	struct file_result *f;

	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		f = realloc(s->files, cap * sizeof(*f));
		if (!f)
			return NULL;
		s->files = f;
		s->cap = cap;
	}
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return NULL;
	f->e = e;
	f->state = e ? FILE_MISSING : FILE_EXTRA;
	s->nfiles++;
	return f;
}

static struct file_result *find_file(struct source *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].name, name))
			return &s->files[i];
	return NULL;
}

/* one result per manifest entry, in the manifest's order */
static int files_from_manifest(struct source *s)
{
	size_t i;

	for (i = 0; i < s->man.count; i++)
		if (!add_file(s, s->man.entries[i].name, &s->man.entries[i]))
			return -1;
	return 0;
}

static int damaged(struct source *s, const char *cmd, const char *fmt,
		   const char *arg)
{
	char why[200];

	snprintf(why, sizeof(why), fmt, arg);
	jetctl_msg("%s: %s is damaged: %s", cmd, label(s), why);
	return JETCTL_EXIT_MISMATCH;
}

static int load_dir(struct source *s, const char *cmd)
{
	int rc;

	s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return jetctl_sys_error("%s: opening %s", cmd, s->path);
	rc = manifest_read(s->dirfd, &s->man, s->why, sizeof(s->why));
	if (rc == -1 && errno == ENOENT) {
		jetctl_msg("%s: %s has no %s: not a backup, or one that never finished; it cannot be restored",
			   cmd, s->path, MANIFEST_NAME);
		return JETCTL_EXIT_INCOMPLETE;
	}
	if (rc == -1)
		return jetctl_sys_error("%s: reading %s/%s", cmd, s->path,
					MANIFEST_NAME);
	if (rc == -2) {
		jetctl_msg("%s: %s/%s is damaged: %s", cmd, s->path,
			   MANIFEST_NAME, s->why);
		return JETCTL_EXIT_MISMATCH;
	}
	s->have_manifest = true;
	if (files_from_manifest(s))
		return jetctl_sys_error("%s", cmd);
	return JETCTL_EXIT_OK;
}

/* a member into memory (MANIFEST): 0, or -1 (libarchive said why) */
static int member_text(struct archive *a, int64_t size, char **ptext,
		       size_t *plen)
{
	char *text = malloc((size_t)size + 1);
	la_ssize_t r;
	size_t len = 0;

	if (!text)
		return -1;
	while ((r = archive_read_data(a, text + len, (size_t)size - len)) > 0)
		len += (size_t)r;
	if (r < 0 || len != (size_t)size) {
		free(text);
		return -1;
	}
	text[len] = '\0';
	*ptext = text;
	*plen = len;
	return 0;
}

/*
 * A member's data, hashed, and written to out when out >= 0: 0; -1 when
 * the stream failed (cut short); -2 when writing failed (errno); -3 on an
 * interrupt.
 */
static int member_data(struct source *s, struct archive *a, int out,
		       const char *name, uint64_t size, uint64_t *pgot,
		       char hex[SHA256_HEX_SIZE])
{
	struct sha256 h;
	uint64_t got = 0;
	la_ssize_t r;

	if (sha256_init(&h))
		return -2;
	progress_begin(s->prog, "reading", name, size);
	while ((r = archive_read_data(a, s->buf, SOURCE_BUF_SIZE)) > 0) {
		if (source_interrupted) {
			sha256_free(&h);
			progress_end(s->prog, "interrupted");
			return -3;
		}
		sha256_update(&h, s->buf, (size_t)r);
		if (out >= 0 &&
		    jetctl_write_all(out, s->buf, (size_t)r)) {
			sha256_free(&h);
			progress_end(s->prog, "failed");
			return -2;
		}
		got += (uint64_t)r;
		progress_update(s->prog, got);
	}
	progress_end(s->prog, r < 0 ? "cut short" : "read");
	*pgot = got;
	if (r < 0) {
		sha256_free(&h);
		return -1;
	}
	return sha256_final_hex(&h, hex) ? -2 : 0;
}

/* a stream member that is one of the backup's files */
static int stream_file(struct source *s, const char *cmd, struct archive *a,
		       int stage, const char *name, uint64_t size)
{
	struct file_result *f;
	int out = -1, rc, err;

	if (find_file(s, name))
		return damaged(s, cmd, "the member %s comes twice", name);
	f = add_file(s, name, NULL);
	if (!f)
		return jetctl_sys_error("%s", cmd);
	if (stage >= 0) {
		out = openat(stage, name, O_WRONLY | O_CREAT | O_EXCL |
			     O_CLOEXEC, 0600);
		if (out < 0)
			return jetctl_sys_error("%s: writing %s", cmd, name);
	}
	rc = member_data(s, a, out, name, size, &f->size, f->sha256);
	err = errno;
	if (out >= 0 && !rc && fsync(out)) {
		rc = -2;
		err = errno;
	}
	if (out >= 0 && close(out) && !rc) {
		rc = -2;
		err = errno;
	}
	errno = err;
	if (rc == -2)
		return jetctl_sys_error("%s: writing %s", cmd, name);
	if (rc == -3)
		return JETCTL_EXIT_INTERRUPTED;
	if (rc == -1) {
		jetctl_msg("%s: %s ends in the middle of %s (%s): the backup was stopped or cut short; it cannot be restored",
			   cmd, label(s), name, archive_error_string(a) ?
			   archive_error_string(a) : "no more data");
		return JETCTL_EXIT_INCOMPLETE;
	}
	return JETCTL_EXIT_OK;
}

/* after the last member: the MANIFEST vouches for what came before */
static int stream_match(struct source *s, const char *cmd, char *text,
			size_t len)
{
	struct file_result *f;
	size_t i;
	int rc;

	rc = manifest_parse(text, len, &s->man, s->why, sizeof(s->why));
	if (rc == -1)
		return jetctl_sys_error("%s: reading %s", cmd, MANIFEST_NAME);
	if (rc == -2) {
		jetctl_msg("%s: the %s of %s is damaged: %s", cmd,
			   MANIFEST_NAME, label(s), s->why);
		return JETCTL_EXIT_MISMATCH;
	}
	s->have_manifest = true;
	/* the members so far are "extra"; each listed one takes its result */
	for (i = 0; i < s->man.count; i++) {
		const struct manifest_entry *e = &s->man.entries[i];

		f = find_file(s, e->name);
		if (!f) {
			f = add_file(s, e->name, e);
			if (!f)
				return jetctl_sys_error("%s", cmd);
			continue;
		}
		f->e = e;
		if (f->size != e->size)
			f->state = FILE_SIZE;
		else if (strcmp(f->sha256, e->sha256))
			f->state = FILE_DIGEST;
		else
			f->state = FILE_OK;
	}
	if (s->man.sha256sums)
		s->sums = !s->sums_seen ? FILE_MISSING :
			  strcmp(s->sums_sha256, s->man.sha256sums) ?
			  FILE_DIGEST : FILE_OK;
	return JETCTL_EXIT_OK;
}

static int load_stream(struct source *s, const char *cmd, int stage)
{
	struct archive_entry *ae;
	struct archive *a;
	char *text = NULL;
	size_t len = 0;
	const char *name;
	int fd, r, rc = JETCTL_EXIT_OK;
	int64_t size;

	fd = strcmp(s->path, "-") ? open(s->path, O_RDONLY | O_CLOEXEC) :
				    STDIN_FILENO;
	if (fd < 0)
		return jetctl_sys_error("%s: opening %s", cmd, s->path);
	a = archive_read_new();
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, 64 << 10) != ARCHIVE_OK) {
		rc = a ? JETCTL_EXIT_INCOMPLETE : JETCTL_EXIT_ERROR;
		if (a)
			jetctl_msg("%s: %s is not a tar stream (%s); it cannot be restored",
				   cmd, label(s), archive_error_string(a));
		else
			jetctl_sys_error("%s", cmd);
		goto out;
	}
	while (!rc) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			jetctl_msg("%s: %s %s (%s): the backup was stopped or cut short; it cannot be restored",
				   cmd, label(s), s->nfiles || text ?
				   "ends early" : "is not a tar stream",
				   archive_error_string(a));
			rc = JETCTL_EXIT_INCOMPLETE;
			break;
		}
		if (source_interrupted) {
			rc = JETCTL_EXIT_INTERRUPTED;
			break;
		}
		name = archive_entry_pathname(ae);
		size = archive_entry_size(ae);
		if (!name) {
			rc = damaged(s, cmd, "a member has no name%s", "");
		} else if (text) {
			rc = damaged(s, cmd, "the member %s follows MANIFEST, which must come last",
				     name);
		} else if (archive_entry_filetype(ae) != AE_IFREG ||
			   size < 0) {
			rc = damaged(s, cmd, "the member %s is not a regular file",
				     name);
		} else if (!strcmp(name, MANIFEST_NAME)) {
			if (size > MANIFEST_MAX_SIZE)
				rc = damaged(s, cmd, "its %s is too big",
					     MANIFEST_NAME);
			else if (member_text(a, size, &text, &len)) {
				jetctl_msg("%s: %s ends in its %s: it was cut short; it cannot be restored",
					   cmd, label(s), MANIFEST_NAME);
				rc = JETCTL_EXIT_INCOMPLETE;
			}
		} else if (!strcmp(name, SHA256SUMS_NAME)) {
			uint64_t got;

			s->sums_seen = true;
			r = member_data(s, a, -1, name, (uint64_t)size, &got,
					s->sums_sha256);
			if (r) {
				jetctl_msg("%s: %s ends in its %s: it was cut short; it cannot be restored",
					   cmd, label(s), SHA256SUMS_NAME);
				rc = r == -3 ? JETCTL_EXIT_INTERRUPTED :
					       JETCTL_EXIT_INCOMPLETE;
			}
		} else if (!manifest_name_ok(name)) {
			rc = damaged(s, cmd, "the member %s is not a plain file name",
				     name);
		} else {
			rc = stream_file(s, cmd, a, stage, name,
					 (uint64_t)size);
		}
	}
	if (!rc && !text) {
		jetctl_msg("%s: %s ends without a %s: the backup was stopped or cut short, or this is no jet backup; it cannot be restored",
			   cmd, label(s), MANIFEST_NAME);
		rc = JETCTL_EXIT_INCOMPLETE;
	}
	if (!rc)
		rc = stream_match(s, cmd, text, len);
out:
	free(text);
	if (a)
		archive_read_free(a);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int source_load(struct source *s, const char *cmd, int stage_dirfd)
{
	return s->stream ? load_stream(s, cmd, stage_dirfd) :
			   load_dir(s, cmd);
}

int source_check_complete(struct source *s, const char *cmd)
{
	if (manifest_complete(&s->man))
		return JETCTL_EXIT_OK;
	jetctl_msg("%s: %s is not a complete backup (%s): it cannot be restored",
		   cmd, label(s), s->man.status ? s->man.status :
		   "its MANIFEST records no status");
	return JETCTL_EXIT_INCOMPLETE;
}

/* one file of a directory: hashed, copied to out when out >= 0 */
static int check_dir_file(struct source *s, const char *cmd,
			  struct file_result *f, int out_dirfd)
{
	uint64_t done = 0;
	struct sha256 h;
	struct stat st;
	int fd, out = -1, err;
	ssize_t r;

	fd = openat(s->dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return JETCTL_EXIT_OK;	/* FILE_MISSING */
		return jetctl_sys_error("%s: opening %s", cmd, f->name);
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		f->state = FILE_NOT_REGULAR;
		return JETCTL_EXIT_OK;
	}
	f->size = (uint64_t)st.st_size;
	if (f->size != f->e->size) {
		close(fd);
		f->state = FILE_SIZE;
		return JETCTL_EXIT_OK;
	}
	if (out_dirfd >= 0) {
		out = openat(out_dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL |
			     O_CLOEXEC, 0600);
		if (out < 0) {
			err = errno;
			close(fd);
			errno = err;
			return jetctl_sys_error("%s: writing %s", cmd, f->name);
		}
	}
	if (sha256_init(&h)) {
		close(fd);
		if (out >= 0)
			close(out);
		return jetctl_sys_error("%s", cmd);
	}
	progress_begin(s->prog, out >= 0 ? "restoring" : "checking", f->name,
		       f->size);
	for (;;) {
		if (source_interrupted) {
			r = -1;
			errno = EINTR;
			break;
		}
		r = read(fd, s->buf, SOURCE_BUF_SIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sha256_update(&h, s->buf, (size_t)r);
		if (out >= 0 && jetctl_write_all(out, s->buf, (size_t)r)) {
			r = -2;
			break;
		}
		done += (uint64_t)r;
		progress_update(s->prog, done);
	}
	err = errno;
	close(fd);
	if (out >= 0 && r == 0 && fsync(out)) {
		r = -2;
		err = errno;
	}
	if (out >= 0 && close(out) && r == 0) {
		r = -2;
		err = errno;
	}
	progress_end(s->prog, r ? "failed" : out >= 0 ? "restored" :
		     "checked");
	if (r) {
		sha256_free(&h);
		errno = err;
		if (source_interrupted)
			return JETCTL_EXIT_INTERRUPTED;
		return jetctl_sys_error(r == -2 ? "%s: writing %s" :
					"%s: reading %s", cmd, f->name);
	}
	if (sha256_final_hex(&h, f->sha256))
		return jetctl_sys_error("%s: hashing %s", cmd, f->name);
	f->size = done;
	f->state = done != f->e->size ? FILE_SIZE :
		   strcmp(f->sha256, f->e->sha256) ? FILE_DIGEST : FILE_OK;
	return JETCTL_EXIT_OK;
}

/* files in DIR that the manifest does not list: worth a note */
static int note_extra(struct source *s)
{
	struct dirent *de;
	int fd = dup(s->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, MANIFEST_NAME) ||
		    !strcmp(de->d_name, SHA256SUMS_NAME) ||
		    find_file(s, de->d_name))
			continue;
		if (!add_file(s, de->d_name, NULL)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static void check_sums(struct source *s)
{
	char hex[SHA256_HEX_SIZE], *text;
	size_t len;

	if (!s->man.sha256sums)
		return;
	if (manifest_slurp(s->dirfd, SHA256SUMS_NAME, &text, &len)) {
		s->sums = FILE_MISSING;
		return;
	}
	s->sums = sha256_hex(text, len, hex) ||
		  strcmp(hex, s->man.sha256sums) ? FILE_DIGEST : FILE_OK;
	if (s->sums == FILE_OK)
		memcpy(s->sums_sha256, hex, sizeof(hex));
	free(text);
}

int source_check_files(struct source *s, const char *cmd, int out_dirfd,
		       const bool *skip)
{
	size_t i, n = s->nfiles;
	int rc;

	if (s->stream)
		return JETCTL_EXIT_OK;	/* read whole by source_load */
	for (i = 0; i < n; i++) {
		if (!s->files[i].e)
			continue;
		if (skip && skip[i]) {
			s->files[i].state = FILE_SKIPPED;
			continue;
		}
		rc = check_dir_file(s, cmd, &s->files[i], out_dirfd);
		if (rc)
			return rc;
	}
	check_sums(s);
	if (note_extra(s))
		return jetctl_sys_error("%s", cmd);
	return JETCTL_EXIT_OK;
}

const char *file_state_word(enum file_state st)
{
	switch (st) {
	case FILE_OK:
		return "ok";
	case FILE_MISSING:
		return "missing";
	case FILE_SIZE:
	case FILE_DIGEST:
	case FILE_NOT_REGULAR:
		return "mismatch";
	case FILE_EXTRA:
		return "extra";
	case FILE_SKIPPED:
		return "skipped";
	}
	return "?";
}

static void print_file(const struct file_result *f)
{
	uint64_t want = f->e ? f->e->size : 0;

	switch (f->state) {
	case FILE_MISSING:
		printf("MISSING   %s: the manifest lists %" PRIu64 " bytes\n",
		       f->name, want);
		break;
	case FILE_SIZE: {
		uint64_t d = f->size > want ? f->size - want : want - f->size;

		printf("MISMATCH  %s: %" PRIu64 " bytes, the manifest says %"
		       PRIu64 " (%" PRIu64 " byte%s %s)\n", f->name, f->size,
		       want, d, d == 1 ? "" : "s",
		       f->size > want ? "more" : "fewer");
		break;
	}
	case FILE_DIGEST:
		printf("MISMATCH  %s: sha256 %s, the manifest says %s (both %"
		       PRIu64 " bytes)\n", f->name, f->sha256, f->e->sha256,
		       want);
		break;
	case FILE_NOT_REGULAR:
		printf("MISMATCH  %s: not a regular file\n", f->name);
		break;
	case FILE_EXTRA:
		printf("EXTRA     %s: not in the manifest\n", f->name);
		break;
	case FILE_OK:
	case FILE_SKIPPED:
		break;
	}
}

size_t source_report(const struct source *s, bool print)
{
	size_t i, bad = 0;

	for (i = 0; i < s->nfiles; i++) {
		const struct file_result *f = &s->files[i];

		if (f->state == FILE_OK || f->state == FILE_SKIPPED ||
		    f->state == FILE_EXTRA) {
			if (print && f->state == FILE_EXTRA)
				print_file(f);
			continue;
		}
		bad++;
		if (print)
			print_file(f);
	}
	if (s->sums != FILE_OK) {
		bad++;
		if (print && s->sums == FILE_MISSING)
			printf("MISSING   %s: the manifest records its sha256 %s\n",
			       SHA256SUMS_NAME, s->man.sha256sums);
		else if (print)
			printf("MISMATCH  %s: its sha256 differs from the one the manifest records (%s)\n",
			       SHA256SUMS_NAME, s->man.sha256sums);
	}
	return bad;
}
