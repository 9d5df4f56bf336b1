// SPDX-License-Identifier: GPL-2.0
/*
 * jetfds.so: hands trinity the backup descriptors of /dev/jet.
 *
 * Trinity fuzzes the files it opens from its victim path (-V DIR); a backup
 * descriptor cannot be opened by path (it is an anonymous inode). So,
 * loaded with LD_PRELOAD into trinity, this library begins a real backup
 * before trinity's main() (an instance with two databases and a log, the
 * backup begun, its databases opened) and answers trinity's opens of the
 * placeholder files DIR/bf0 ... DIR/bf2 with a duplicate of one of those
 * backup descriptors, and DIR/bf3 with the context that owns it all.
 * Everything else opens as usual.
 *
 * env: JETFZ_DIR  the victim directory (nothing happens without it)
 *      JETFZ_UID  become this uid and gid first (the unprivileged run:
 *                 the instance is then that user's own)
 * Set-up failures are printed and leave trinity with /dev/jet alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uapi/jet_ioctl.h"

#define NBFD	4

static int bfd[NBFD] = { -1, -1, -1, -1 };
static char prefix[256];

static int jet(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	fprintf(stderr, "jetfds: %s: %s\n", what, strerror(errno));
	return -1;
}

static int make_file(const char *path, size_t size)
{
	static char buf[65536];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t i;

	if (fd < 0)
		return -1;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + size);
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		size -= n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int open_backup_file(int ctx, __u64 inst, const char *path, int flags)
{
	struct jet_open_file o = {
		.instance = inst,
		.name = (uintptr_t)path,
		.flags = flags,
	};

	if (jet(ctx, JET_IOC_OPEN_FILE, &o, path))
		return -1;
	return o.fd;
}

static void setup(const char *dir)
{
	static const size_t sizes[3] = { 1 << 20, 65536 + 123, 40000 };
	char path[3][300], name[64];
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_instance_u64 cp = { 0 };
	struct jet_instance_op op = { 0 };
	int ctx, fds[3], i;

	ctx = open("/dev/jet", O_RDWR | O_CLOEXEC);
	if (ctx < 0) {
		fprintf(stderr, "jetfds: /dev/jet: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < 3; i++) {
		snprintf(path[i], sizeof(path[i]), "%s.src/%s", dir,
			 i < 2 ? (i ? "db1.edb" : "db0.edb") : "edb00001.log");
		fds[i] = make_file(path[i], sizes[i]);
		if (fds[i] < 0) {
			fprintf(stderr, "jetfds: %s: %s\n", path[i],
				strerror(errno));
			return;
		}
	}
	snprintf(name, sizeof(name), "jet-trinity-%d", getpid());
	c.name = (uintptr_t)name;
	if (jet(ctx, JET_IOC_CREATE_INSTANCE, &c, "create"))
		return;
	in.instance = c.instance;
	if (jet(ctx, JET_IOC_INIT, &in, "init"))
		return;
	for (i = 0; i < 2; i++) {
		struct jet_attach a = {
			.instance = c.instance,
			.name = (uintptr_t)path[i],
			.fd = fds[i],
		};

		if (jet(ctx, JET_IOC_ATTACH_DB, &a, "attach"))
			return;
	}
	{
		struct jet_add_log l = {
			.instance = c.instance,
			.name = (uintptr_t)path[2],
			.generation = 1,
			.fd = fds[2],
		};

		if (jet(ctx, JET_IOC_ADD_LOG, &l, "add log"))
			return;
	}
	cp.instance = c.instance;
	cp.value = 1;
	op.instance = c.instance;
	if (jet(ctx, JET_IOC_SET_CHECKPOINT, &cp, "checkpoint") ||
	    jet(ctx, JET_IOC_BEGIN_BACKUP, &op, "begin"))
		return;
	/* two on the big database (one nonblocking), one on the small one */
	bfd[0] = open_backup_file(ctx, c.instance, path[0], 0);
	bfd[1] = open_backup_file(ctx, c.instance, path[0], JET_OPEN_NONBLOCK);
	bfd[2] = open_backup_file(ctx, c.instance, path[1], 0);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	fprintf(stderr, "jetfds: instance %llu, backup descriptors %d %d %d\n",
		(unsigned long long)c.instance, bfd[0], bfd[1], bfd[2]);
	/*
	 * The context stays open (trinity may close its copy in a child; the
	 * backup lives while the parent holds it). bf3 is /dev/jet itself.
	 */
	bfd[3] = ctx;
}

__attribute__((constructor)) static void jetfds_init(void)
{
	const char *dir = getenv("JETFZ_DIR");
	const char *uid = getenv("JETFZ_UID");

	if (!dir)
		return;
	if (uid) {
		uid_t u = (uid_t)atoi(uid);

		if (setgroups(0, NULL) || setresgid(u, u, u) ||
		    setresuid(u, u, u)) {
			fprintf(stderr, "jetfds: cannot become uid %u: %s\n", u,
				strerror(errno));
			_exit(1);
		}
	}
	snprintf(prefix, sizeof(prefix), "%s/bf", dir);
	setup(dir);
}

/* The backup descriptor a path names, or -1. */
static int placeholder(const char *path)
{
	size_t n = strlen(prefix);
	int i;

	if (!path || !n || strncmp(path, prefix, n))
		return -1;
	i = path[n] - '0';
	if (i < 0 || i >= NBFD || path[n + 1] || bfd[i] < 0)
		return -1;
	return fcntl(bfd[i], F_DUPFD_CLOEXEC, 3);
}

static int real_open(const char *name, const char *path, int flags,
		     mode_t mode)
{
	int (*fn)(const char *, int, ...) = dlsym(RTLD_NEXT, name);

	return fn(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd = placeholder(path);

	if (fd >= 0)
		return fd;
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return real_open("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd = placeholder(path);

	if (fd >= 0)
		return fd;
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return real_open("open64", path, flags, mode);
}

static FILE *placeholder_fopen(const char *name, const char *path,
			       const char *how)
{
	FILE *(*fn)(const char *, const char *) = dlsym(RTLD_NEXT, name);
	int fd = placeholder(path);
	FILE *f;

	if (fd < 0)
		return fn(path, how);
	/* the descriptor is read-only whatever trinity asks for */
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

FILE *fopen(const char *path, const char *how)
{
	return placeholder_fopen("fopen", path, how);
}

FILE *fopen64(const char *path, const char *how)
{
	return placeholder_fopen("fopen64", path, how);
}
