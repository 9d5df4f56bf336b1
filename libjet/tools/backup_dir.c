// SPDX-License-Identifier: MIT
/*
 * backup_dir.c - "jetctl backup INSTANCE DIR": the backup as files in a
 * new or empty directory.
 *
 * Copying: sendfile(2) from the backup descriptor into the output file, so
 * the data never crosses into this process. Where sendfile does not work
 * (EINVAL: the output filesystem cannot splice) the copy falls back to
 * JetReadFileInstance() + write(2). Any other sendfile failure also falls
 * back to JetReadFileInstance() for the rest of the file: if the source
 * failed, that call fails again and gives the JET code that explains why
 * (e.g. JET_errBackupAbortByServer after a stop); if the output failed,
 * write(2) reports it.
 *
 * Hashing: on the sendfile path each chunk is read back from the output file
 * right after sendfile wrote it, while it is still in the page cache. That
 * costs one copy into this process, the same as inline hashing would, and it
 * hashes the bytes that were really written to DIR, which are what "jetctl
 * verify" later checks. On the read path the data is in our buffer anyway.
 *
 * Files are written as DIR/.NAME.part and renamed to DIR/NAME once complete
 * and fsync'd, so a name without ".part" is always a whole file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"

#define SENDFILE_MIN_CHUNK	(64u << 10)
#define SENDFILE_MAX_CHUNK	(8u << 20)

/* for the second signal's emergency cleanup (backup_dir_emergency) */
static int sig_dirfd = -1;
static char sig_partial[NAME_MAX + 1];
static volatile sig_atomic_t sig_partial_valid;

void backup_dir_emergency(void)
{
	if (sig_partial_valid && sig_dirfd >= 0)
		unlinkat(sig_dirfd, sig_partial, 0);
}

static void set_partial(struct backup *b, const char *name)
{
	sig_partial_valid = 0;
	snprintf(b->partial, sizeof(b->partial), "%s", name);
	memcpy(sig_partial, b->partial, sizeof(sig_partial));
	sig_partial_valid = *name != '\0';
}

/* DIR must be new or empty: a backup never mixes with other files */
static int dir_start(struct backup *b)
{
	struct dirent *de;
	DIR *d;
	int fd;

	b->out_fd = -1;
	b->chunk = SENDFILE_MIN_CHUNK * 16;
	if (mkdir(b->out, 0700) == 0)
		b->created_dir = true;
	else if (errno != EEXIST)
		return jetctl_sys_error("backup: creating %s", b->out);
	b->dirfd = open(b->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dirfd < 0)
		return jetctl_sys_error("backup: opening %s", b->out);
	fd = dup(b->dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return jetctl_sys_error("backup: reading %s", b->out);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return jetctl_usage_error("backup: %s is not empty; give a new or empty directory",
						  b->out);
		}
	closedir(d);
	sig_dirfd = b->dirfd;
	return JETCTL_EXIT_OK;
}

static void dir_unstart(struct backup *b)
{
	if (b->created_dir)
		rmdir(b->out);	/* nothing was written yet */
}

static int dir_file_begin(struct backup *b, const char *name, uint64_t size)
{
	char partial[NAME_MAX + 1];

	(void)size;
	b->file_off = 0;
	b->file_sendfile = b->use_sendfile;
	snprintf(partial, sizeof(partial), ".%.200s.part", name);
	set_partial(b, partial);
	/* O_RDWR: the sendfile path reads each chunk back to hash it */
	b->out_fd = openat(b->dirfd, partial,
			   O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b->out_fd < 0) {
		set_partial(b, "");
		return -1;
	}
	return 0;
}

/* hash what sendfile just wrote, reading it back from the page cache */
static int hash_back(struct backup *b, struct sha256 *s, uint64_t off,
		     size_t len)
{
	ssize_t r;

	while (len) {
		r = pread(b->out_fd, b->buf, len < COPY_BUF_SIZE ? len :
			  COPY_BUF_SIZE, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		sha256_update(s, b->buf, (size_t)r);
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * One sendfile(2) call: the bytes copied (0 at the end); BACKUP_EINTR when
 * a signal interrupted it; -1 when the caller should read through
 * JetReadFileInstance() from here on.
 */
static ssize_t copy_sendfile(struct backup *b)
{
	double t0 = jetctl_now(), dt;
	ssize_t n;

	n = sendfile(b->out_fd, jetctl_handle_fd(b->hf), NULL, b->chunk);
	if (n < 0) {
		if (errno == EINTR)
			return BACKUP_EINTR;
		if (errno == EINVAL || errno == EOPNOTSUPP) {
			/* it cannot work here: not for the next files either */
			if (!b->prog.quiet)
				jetctl_msg("sendfile does not work here (%s); copying through a buffer",
					   strerror(errno));
			b->use_sendfile = false;
		}
		return -1;
	}
	/* about 0.1-0.5 s a call: progress stays live under a throttle */
	dt = jetctl_now() - t0;
	if (dt < 0.05 && b->chunk < SENDFILE_MAX_CHUNK)
		b->chunk *= 2;
	else if (dt > 0.5 && b->chunk > SENDFILE_MIN_CHUNK)
		b->chunk /= 2;
	return n;
}

static ssize_t dir_copy(struct backup *b, struct sha256 *s)
{
	ssize_t n;

	if (b->file_sendfile) {
		n = copy_sendfile(b);
		if (n == BACKUP_EINTR)
			return n;
		if (n >= 0) {
			if (n && hash_back(b, s, b->file_off, (size_t)n))
				return -1;
			b->file_off += (uint64_t)n;
			return n;
		}
		/* the rest of this file through a buffer */
		b->file_sendfile = false;
	}
	n = backup_read_chunk(b);
	if (n <= 0)
		return n;
	if (jetctl_write_all(b->out_fd, b->buf, (size_t)n))
		return -1;
	sha256_update(s, b->buf, (size_t)n);
	b->file_off += (uint64_t)n;
	return n;
}

static int dir_file_end(struct backup *b)
{
	const char *name = b->partial + 1;
	char final[NAME_MAX + 1];
	int fd = b->out_fd;

	b->out_fd = -1;
	if (fsync(fd)) {
		close(fd);
		return -1;
	}
	if (close(fd))
		return -1;
	/* ".NAME.part" -> "NAME" */
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(name) - 5), name);
	if (renameat(b->dirfd, b->partial, b->dirfd, final))
		return -1;
	set_partial(b, "");
	return 0;
}

static void dir_file_discard(struct backup *b)
{
	if (b->out_fd >= 0)
		close(b->out_fd);
	b->out_fd = -1;
	if (b->partial[0])
		unlinkat(b->dirfd, b->partial, 0);
	set_partial(b, "");
}

static int dir_put(struct backup *b, const char *name, const char *text,
		   size_t len)
{
	return manifest_put_file(b->dirfd, name, text, len);
}

static int dir_finish(struct backup *b)
{
	(void)b;
	return 0;
}

const struct backup_sink backup_dir_sink = {
	.start = dir_start,
	.unstart = dir_unstart,
	.file_begin = dir_file_begin,
	.copy = dir_copy,
	.file_end = dir_file_end,
	.file_discard = dir_file_discard,
	.put = dir_put,
	.finish = dir_finish,
	.what = "directory",
};
