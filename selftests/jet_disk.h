/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jet_disk.h - the VM's virtio disk and the page cache, for the tests and
 * benchmarks that need a file system with one (tmpfs pages are always
 * resident, so the cache-neutral backup can only be seen on a disk).
 *
 * check.sh gives the VM an ext4 image as a virtio disk with the serial
 * "jet-disk" (selftests/vm/mkdisk.sh, run-vm.sh); the first program that
 * needs it mounts it on JT_DISK_MNT. For make bench the image already
 * holds the files the disk benchmarks read (JT_DISK_BIG and the others).
 */
#ifndef JET_DISK_H
#define JET_DISK_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define JT_DISK_SERIAL	"jet-disk"
#define JT_DISK_MNT	"/mnt/jet-disk"
/* made by check.sh for make bench: twice the guest's memory, and 64 MiB */
#define JT_DISK_BIG	JT_DISK_MNT "/big.db"
#define JT_DISK_HOT	JT_DISK_MNT "/hot.db"

/* 1 when path is a mount point listed in /proc/mounts */
static inline int jt_disk_mounted(const char *path)
{
	char line[512], dev[256], dir[256];
	FILE *f = fopen("/proc/mounts", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255s %255s", dev, dir) == 2 &&
			!strcmp(dir, path);
	fclose(f);
	return found;
}

/* The /sys/block name (vda, ...) of the disk with this serial, or "". */
static inline void jt_disk_find(const char *serial, char *name, size_t len)
{
	char path[300], buf[64];
	struct dirent *de;
	DIR *d;

	name[0] = 0;
	d = opendir("/sys/block");
	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;

		if (strncmp(de->d_name, "vd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial",
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, serial))
				snprintf(name, len, "%.31s", de->d_name);
		}
		fclose(f);
		if (name[0])
			break;
	}
	closedir(d);
}

/*
 * Mounts the VM's disk on JT_DISK_MNT unless it is mounted already. The
 * driver probes it in the background after its insmod: waits up to 20 s.
 * 0, or -ENODEV when the VM has no such disk (tests skip then), or -errno.
 */
static inline int jt_disk_mount(void)
{
	char name[32] = "", dev[64], path[300], buf[32];
	unsigned int maj, min;
	int i, fd;
	ssize_t n;

	if (jt_disk_mounted(JT_DISK_MNT))
		return 0;
	for (i = 0; i < 200 && !name[0]; i++) {
		jt_disk_find(JT_DISK_SERIAL, name, sizeof(name));
		if (!name[0]) {
			if (access("/sys/module/virtio_blk", F_OK))
				return -ENODEV;	/* no driver: no disk */
			usleep(100000);
		}
	}
	if (!name[0])
		return -ENODEV;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (access(dev, F_OK)) {
		/* no devtmpfs node yet: make one from the disk's numbers */
		snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = 0;
		if (sscanf(buf, "%u:%u", &maj, &min) != 2 ||
		    mknod(dev, S_IFBLK | 0600, makedev(maj, min)))
			return -EIO;
	}
	if (mkdir("/mnt", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(JT_DISK_MNT, 0755) && errno != EEXIST)
		return -errno;
	if (mount(dev, JT_DISK_MNT, "ext4", 0, NULL))
		return -errno;
	return 0;
}

/*
 * Which pages of fd's first size bytes are in the page cache: mincore(2)
 * over a mapping that is never touched, so looking changes nothing. vec
 * gets one byte per page (bit 0: resident) when not NULL. Returns the
 * number of resident pages, or -errno.
 */
static inline long jt_resident(int fd, uint64_t size, unsigned char *vec)
{
	long psz = sysconf(_SC_PAGESIZE), n, i, count = 0;
	unsigned char *v = vec;
	void *map;

	if (!size)
		return 0;
	n = (long)((size + psz - 1) / psz);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	if (!v)
		v = malloc(n);
	if (!v || mincore(map, size, v)) {
		count = -(v ? errno : ENOMEM);
	} else {
		for (i = 0; i < n; i++)
			count += v[i] & 1;
	}
	munmap(map, size);
	if (v != vec)
		free(v);
	return count;
}

/* The same by path. */
static inline long jt_resident_path(const char *path, uint64_t size,
				    unsigned char *vec)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	r = jt_resident(fd, size, vec);
	close(fd);
	return r;
}

/* Drops every clean cached page of path (written back first); 0 or -errno. */
static inline int jt_uncache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = fdatasync(fd) ? -errno : 0;
	if (!ret)
		ret = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return ret;
}

/* Drops the whole page cache (clean pages); 0 or -errno. */
static inline int jt_drop_caches(void)
{
	int fd, ret = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

#endif /* JET_DISK_H */
