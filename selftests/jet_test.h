/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jet_test.h - small helpers shared by the jet selftests.
 *
 * The tests run as root inside the test VM with jet.ko loaded. Each helper is
 * static inline so every test program stays one self-contained binary.
 */
#ifndef JET_TEST_H
#define JET_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* setresuid, setresgid */
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "../libjet/jet.h"
#include "../uapi/jet_ioctl.h"
#include "../libjet/errno_table.h"

#define JET_DEV "/dev/jet"

/* Monotonic time in nanoseconds. */
static inline uint64_t jt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A raw ioctl on a fresh /dev/jet descriptor's context: returns -errno or 0. */
static inline int jt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* Fills a file with size bytes of a pattern derived from seed; 0 or -errno. */
static inline int jt_make_file(const char *path, size_t size, uint32_t seed)
{
	static char buf[65536];
	uint32_t x = seed * 2654435761u + 1;
	size_t done = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		size_t i;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (char)x;
		}
		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		done += n;
	}
	return close(fd) ? -errno : 0;
}

/* 64-bit FNV-1a digest, streaming. */
static inline uint64_t jt_digest(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	if (!h)
		h = 1469598103934665603ull;
	while (n--) {
		h ^= *c++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Digest of a whole file; 0 on error. */
static inline uint64_t jt_file_digest(const char *path)
{
	static char buf[65536];
	uint64_t h = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = jt_digest(h, buf, n);
	close(fd);
	return n < 0 ? 0 : h;
}

/*
 * Waits for a child until deadline_ms; kills it (SIGKILL) and returns -1 if it
 * is still running then. Otherwise returns its wait status.
 */
static inline int jt_wait_child(pid_t pid, int deadline_ms)
{
	uint64_t end = jt_now_ns() + (uint64_t)deadline_ms * 1000000ull;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (jt_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(1000);
	}
}

/* True when a child exited normally with code 0. */
static inline int jt_child_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Becomes uid/gid (real, effective and saved) and keeps only the capabilities
 * in keep (a CAP_* bit mask of the first 32 capabilities; 0 for none).
 * Returns 0 or -errno.
 */
static inline int jt_become(uid_t uid, gid_t gid, uint32_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	data[0].effective = keep;
	data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

#endif /* JET_TEST_H */
