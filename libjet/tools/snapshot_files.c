// SPDX-License-Identifier: MIT
/*
 * snapshot_files.c - the files of "jetctl snapshot" in DIR.
 *
 * While the instance is frozen only the clones are made: one FICLONE
 * ioctl per file, into DIR/.NAME.part, which shares the source's extents
 * and costs no copy (btrfs, XFS with reflink=1). The file system writes
 * the source's dirty pages back before it clones, so a clone holds what
 * the server wrote. Hashing, fsync and the final names wait until after
 * the thaw: the server is held back only for the clones.
 *
 * Cleanup: every name made in DIR is remembered (in the files themselves,
 * for a signal handler too), so a failure or an interrupt leaves DIR as it
 * was: gone if jetctl made it, empty if it was given empty.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "snapshot.h"

#define SNAP_BUF_SIZE		(1u << 20)
#define SNAP_PROBE_NAME		".snapshot-probe.part"

/* for snap_emergency_remove(), from a signal handler */
static int sig_dirfd = -1;
static const char *sig_dir;
static volatile sig_atomic_t sig_created_dir, sig_probe, sig_nfiles;

/* jetctl's own files, and their temporary names (manifest_put_file) */
static const char *const own_files[] = {
	SHA256SUMS_NAME, "." SHA256SUMS_NAME ".tmp",
	MANIFEST_NAME, "." MANIFEST_NAME ".tmp",
};
static struct snap_file *sig_files;

int snap_dir_start(struct snap *s)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (mkdir(s->dir, 0700) == 0)
		s->created_dir = true;
	else if (errno != EEXIST)
		return jetctl_sys_error("snapshot: creating %s", s->dir);
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		int err = errno;

		if (s->created_dir)
			rmdir(s->dir);
		errno = err;
		return jetctl_sys_error("snapshot: opening %s", s->dir);
	}
	fd = dup(s->dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		if (s->created_dir)
			rmdir(s->dir);
		errno = err;
		return jetctl_sys_error("snapshot: reading %s", s->dir);
	}
	/* (one this run made is empty) */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return jetctl_usage_error("snapshot: %s is not empty; give a new or empty directory",
						  s->dir);
		}
	closedir(d);
	sig_dir = s->dir;
	sig_dirfd = s->dirfd;
	sig_created_dir = s->created_dir;
	return JETCTL_EXIT_OK;
}

static const char *fs_name(int fd, char *buf, size_t size)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} fs[] = {
		{ BTRFS_SUPER_MAGIC, "btrfs" },
		{ XFS_SUPER_MAGIC, "XFS" },
		{ EXT4_SUPER_MAGIC, "ext4" },	/* also ext2 and ext3 */
		{ TMPFS_MAGIC, "tmpfs" },
		{ OVERLAYFS_SUPER_MAGIC, "overlayfs" },
		{ NFS_SUPER_MAGIC, "NFS" },
		{ 0x65735546, "FUSE" },
		{ 0x2fc12fc1, "ZFS" },
		{ 0xf2f52010, "F2FS" },
	};
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf))
		return "an unknown file system";
	for (i = 0; i < ARRAY_SIZE(fs); i++)
		if ((unsigned long)sf.f_type == fs[i].magic)
			return fs[i].name;
	snprintf(buf, size, "a file system of type %#lx",
		 (unsigned long)sf.f_type);
	return buf;
}

/* FICLONE's answers for "not here": no reflinks, or not across these two */
static bool no_reflink(int err)
{
	return err == EOPNOTSUPP || err == EXDEV || err == EINVAL ||
	       err == ENOTTY || err == ENOSYS;
}

static int reflink_error(struct snap *s, const char *src, int srcfd,
			 int err)
{
	char a[48], b[48];

	jetctl_msg("snapshot: cannot reflink %s into %s (FICLONE: %s): %s is on %s, %s on %s",
		   src, s->dir, strerror(err), s->dir,
		   fs_name(s->dirfd, a, sizeof(a)), src,
		   fs_name(srcfd, b, sizeof(b)));
	jetctl_msg("a snapshot needs DIR on the same file system (and mount) as the instance's files, one with reflinks: btrfs, or XFS made with reflink=1 (mkfs.xfs -m reflink=1, the default of xfsprogs 5.1 and later)");
	jetctl_msg("on other file systems use 'jetctl backup INSTANCE DIR', which copies the files through the kernel");
	return JETCTL_EXIT_ERROR;
}

/*
 * A source by its path, as a regular file of the instance's owner: the
 * kernel holds the owner's own descriptors, but jetctl must open the path,
 * and a privileged jetctl must not be made to clone a file of someone else
 * that the owner put at that path.
 */
static int open_source(struct snap *s, const char *src, int *pfd)
{
	struct stat st;
	int fd;

	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return jetctl_sys_error("snapshot: opening %s", src);
	if (fstat(fd, &st)) {
		close(fd);
		return jetctl_sys_error("snapshot: %s", src);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		jetctl_msg("snapshot: %s is not a regular file any more", src);
		return JETCTL_EXIT_ERROR;
	}
	if (s->check_owner && st.st_uid != s->owner_uid) {
		close(fd);
		jetctl_msg("snapshot: %s belongs to uid %u, not to the instance's owner (uid %u); refusing to copy it",
			   src, (unsigned int)st.st_uid, s->owner_uid);
		return JETCTL_EXIT_ERROR;
	}
	*pfd = fd;
	return JETCTL_EXIT_OK;
}

int snap_probe_reflink(struct snap *s, const char *src)
{
	int srcfd, fd, rc, err = 0;

	rc = open_source(s, src, &srcfd);
	if (rc)
		return rc;
	fd = openat(s->dirfd, SNAP_PROBE_NAME,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(srcfd);
		return jetctl_sys_error("snapshot: creating a file in %s",
					s->dir);
	}
	sig_probe = 1;
	if (ioctl(fd, FICLONE, srcfd))
		err = errno;
	close(fd);
	unlinkat(s->dirfd, SNAP_PROBE_NAME, 0);
	sig_probe = 0;
	if (err && no_reflink(err))
		rc = reflink_error(s, src, srcfd, err);
	else if (err) {
		errno = err;
		rc = jetctl_sys_error("snapshot: reflinking %s", src);
	}
	close(srcfd);
	return rc;
}

void snap_choose_name(struct snap *s, struct snap_file *f)
{
	char stem[200];
	size_t k;
	bool taken;
	int j;

	manifest_stem(f->src, stem, sizeof(stem));
	snprintf(f->name, sizeof(f->name), "%s", stem);
	for (j = 1;; j++) {
		taken = !manifest_name_ok(f->name);
		for (k = 0; k < s->nfiles && !taken; k++)
			taken = &s->files[k] != f &&
				!strcmp(s->files[k].name, f->name);
		if (!taken)
			break;
		snprintf(f->name, sizeof(f->name), "%s.%d", stem, j);
	}
}

static void set_cur(struct snap_file *f, const char *name)
{
	f->present = 0;
	snprintf(f->cur, sizeof(f->cur), "%s", name);
	f->present = *name != '\0';
}

int snap_clone(struct snap *s, struct snap_file *f)
{
	char part[NAME_MAX + 1];
	struct stat st;
	int srcfd, fd, rc, err;

	rc = open_source(s, f->src, &srcfd);
	if (rc)
		return rc;
	snprintf(part, sizeof(part), ".%.200s.part", f->name);
	fd = openat(s->dirfd, part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		close(srcfd);
		return jetctl_sys_error("snapshot: creating %s/%s", s->dir,
					part);
	}
	set_cur(f, part);
	if (ioctl(fd, FICLONE, srcfd)) {
		err = errno;
		close(fd);
		rc = no_reflink(err) ? reflink_error(s, f->src, srcfd, err) :
			(errno = err,
			 jetctl_sys_error("snapshot: reflinking %s", f->src));
		close(srcfd);
		return rc;
	}
	close(srcfd);
	if (fstat(fd, &st)) {
		close(fd);
		return jetctl_sys_error("snapshot: %s/%s", s->dir, part);
	}
	f->size = (uint64_t)st.st_size;
	if (close(fd))
		return jetctl_sys_error("snapshot: %s/%s", s->dir, part);
	return JETCTL_EXIT_OK;
}

int snap_finish_file(struct snap *s, struct snap_file *f)
{
	struct sha256 h;
	uint64_t off = 0;
	ssize_t n;
	int fd;

	fd = openat(s->dirfd, f->cur, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return jetctl_sys_error("snapshot: opening %s/%s", s->dir,
					f->cur);
	if (sha256_init(&h)) {
		close(fd);
		return jetctl_sys_error("snapshot: hashing %s", f->name);
	}
	for (;;) {
		if (snap_signal) {
			sha256_free(&h);
			close(fd);
			return JETCTL_EXIT_INTERRUPTED;
		}
		n = read(fd, s->buf, SNAP_BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sha256_update(&h, s->buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0 || off != f->size) {
		if (!n)
			errno = EIO;	/* the clone changed under us */
		sha256_free(&h);
		close(fd);
		return jetctl_sys_error("snapshot: reading %s/%s", s->dir,
					f->cur);
	}
	if (sha256_final_hex(&h, f->sha256)) {
		close(fd);
		return jetctl_sys_error("snapshot: hashing %s", f->name);
	}
	/* the clone's data and metadata, before a name says it is whole */
	if (fsync(fd)) {
		close(fd);
		return jetctl_sys_error("snapshot: writing %s/%s", s->dir,
					f->cur);
	}
	close(fd);
	if (renameat(s->dirfd, f->cur, s->dirfd, f->name))
		return jetctl_sys_error("snapshot: naming %s/%s", s->dir,
					f->name);
	set_cur(f, f->name);
	s->bytes += f->size;
	return JETCTL_EXIT_OK;
}

void snap_publish_files(struct snap *s)
{
	sig_nfiles = 0;
	sig_files = s->files;
	sig_nfiles = (sig_atomic_t)s->nfiles;
}

void snap_emergency_remove(void)
{
	sig_atomic_t i, n = sig_nfiles;

	if (sig_dirfd < 0)
		return;
	for (i = 0; i < n; i++)
		if (sig_files[i].present)
			unlinkat(sig_dirfd, sig_files[i].cur, 0);
	if (sig_probe)
		unlinkat(sig_dirfd, SNAP_PROBE_NAME, 0);
	/* DIR was empty: these are this snapshot's, and not complete */
	for (i = 0; i < (sig_atomic_t)ARRAY_SIZE(own_files); i++)
		unlinkat(sig_dirfd, own_files[i], 0);
	if (sig_created_dir)
		rmdir(sig_dir);
}

void snap_remove_all(struct snap *s)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].present) {
			unlinkat(s->dirfd, s->files[i].cur, 0);
			set_cur(&s->files[i], "");
		}
	for (i = 0; i < ARRAY_SIZE(own_files); i++)
		unlinkat(s->dirfd, own_files[i], 0);
	fsync(s->dirfd);
	if (s->created_dir && !rmdir(s->dir))
		s->created_dir = false;
	/* nothing is left for a signal to remove */
	sig_nfiles = 0;
	sig_created_dir = 0;
}

int snap_put(struct snap *s, const char *name, const char *text, size_t len)
{
	return manifest_put_file(s->dirfd, name, text, len);
}

void snap_disarm(void)
{
	sig_dirfd = -1;
}
