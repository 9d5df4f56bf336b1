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
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/futex.h>

#include "../libjet/jet.h"
#include "../uapi/jet_ioctl.h"
#include "../libjet/errno_table.h"

#define JET_DEV "/dev/jet"
#define JT_PARAM_DIR "/sys/module/jet/parameters/"

/* A JET_ERR check that logs both codes by name, not just as numbers. */
#define EXPECT_JET(want, expr) do {					\
	long __got = (expr);						\
	EXPECT_EQ((long)(want), __got)					\
		TH_LOG("%s: got %s (%ld), want %s", #expr,		\
		       JetErrorName(__got), __got, JetErrorName(want));	\
} while (0)

#define ASSERT_JET(want, expr) do {					\
	long __got = (expr);						\
	ASSERT_EQ((long)(want), __got)					\
		TH_LOG("%s: got %s (%ld), want %s", #expr,		\
		       JetErrorName(__got), __got, JetErrorName(want));	\
} while (0)

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

/* A raw /dev/jet descriptor, for tests that bypass libjet. */
static inline int jt_raw_open(void)
{
	return open(JET_DEV, O_RDWR | O_CLOEXEC);
}

/* CREATE_INSTANCE without libjet; display may be NULL, inst too. */
static inline int jt_raw_create(int fd, const char *name, const char *display,
				uint64_t *inst)
{
	struct jet_create c = {
		.name = (uintptr_t)name,
		.display_name = (uintptr_t)display,
	};
	int ret = jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c);

	if (inst)
		*inst = c.instance;
	return ret;
}

/* INIT without libjet; out (may be NULL) gets the instance the module used. */
static inline int jt_raw_init(int fd, uint64_t inst, uint32_t flags,
			      uint64_t *out)
{
	struct jet_init in = { .instance = inst, .flags = flags };
	int ret = jt_ioctl(fd, JET_IOC_INIT, &in);

	if (out)
		*out = in.instance;
	return ret;
}

/* Makes a file of size pattern bytes and opens it read-only: fd or -errno. */
static inline int jt_open_new_file(const char *path, size_t size,
				   uint32_t seed)
{
	int ret = jt_make_file(path, size, seed);

	if (ret)
		return ret;
	ret = open(path, O_RDONLY | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* Reads module parameter name as a number: 0 or -errno. */
static inline int jt_param_read(const char *name, unsigned int *v)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), JT_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	*v = (unsigned int)strtoul(buf, NULL, 10);
	return 0;
}

/* Per-test seed, so a run can be repeated with JET_SEED=n. */
static inline uint32_t jt_seed_of(unsigned int n)
{
	const char *s = getenv("JET_SEED");

	return (s ? (uint32_t)strtoul(s, NULL, 0) : 1) * 7919u + n;
}

/* nftw callback for jt_rm_tree: removes whatever it is shown. */
static inline int jt_rm_one(const char *path, const struct stat *st, int flag,
			    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes a test's scratch directory; an empty name means none was made. */
static inline void jt_rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, jt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Waits for one byte from an owner on a pipe; the byte, or -1 after ms. */
static inline int jt_wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

/*
 * Futex words in shared memory, for an owner and readers in other
 * processes: they only grow, and every store wakes all waiters.
 */
static inline uint32_t jt_word_get(uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static inline void jt_word_set(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* A jt_now_ns() deadline ms from now. */
static inline uint64_t jt_deadline_in(int ms)
{
	return jt_now_ns() + (uint64_t)ms * 1000000ull;
}

/* Waits until *w >= v; 0 or -ETIMEDOUT. Sleeps 100 ms at most per round. */
static inline int jt_word_wait(uint32_t *w, uint32_t v, uint64_t deadline)
{
	for (;;) {
		uint32_t cur = jt_word_get(w);
		uint64_t now = jt_now_ns(), left;
		struct timespec ts;

		if (cur >= v)
			return 0;
		if (now >= deadline)
			return -ETIMEDOUT;
		left = deadline - now;
		if (left > 100000000ull)
			left = 100000000ull;
		ts.tv_sec = left / 1000000000ull;
		ts.tv_nsec = left % 1000000000ull;
		syscall(SYS_futex, w, FUTEX_WAIT, cur, &ts, NULL, 0);
	}
}

/* Every instance on the system as JET_IOC_LIST_INSTANCES returns it. */
struct jt_list {
	char *buf;
	unsigned int size;
	unsigned int count;
};

/*
 * Reads the whole instance list through a context of its own (so no record
 * says "mine"), growing the buffer from cap bytes until it fits: 0 or -errno.
 */
static inline int jt_list_read(struct jt_list *l, unsigned int cap)
{
	int fd = jt_raw_open(), ret;

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return -errno;
	for (;;) {
		struct jet_list req = { 0 };

		l->buf = calloc(1, cap);
		if (!l->buf) {
			ret = -ENOMEM;
			break;
		}
		req.buf = (uintptr_t)l->buf;
		req.buf_size = cap;
		ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &req);
		if (ret == -ENOBUFS) {
			free(l->buf);
			l->buf = NULL;
			cap = req.size > cap ? req.size + 4096 : cap * 2;
			continue;
		}
		l->size = req.size;
		l->count = req.count;
		break;
	}
	close(fd);
	return ret;
}

/*
 * Checks that a refused call changed none of the instance state the owner
 * tests share; callers check their extra fields themselves.
 */
#define EXPECT_SAME_STATE(a, b) do {					\
	EXPECT_EQ((a)->flags, (b)->flags);				\
	EXPECT_EQ((a)->phase, (b)->phase);				\
	EXPECT_EQ((a)->db_count, (b)->db_count);			\
	EXPECT_EQ((a)->log_count, (b)->log_count);			\
	EXPECT_EQ((a)->newest_log, (b)->newest_log);			\
	EXPECT_EQ((a)->checkpoint, (b)->checkpoint);			\
	EXPECT_EQ((a)->open_files, (b)->open_files);			\
	EXPECT_EQ((a)->throttle, (b)->throttle);			\
} while (0)

/* ---- the owner's side of a backup: answering log roll requests ---- */

/*
 * Answers every roll request queued on an owner's context: writes the next
 * log (the path is pattern with the generation, e.g. "%s/edb%05lX.log"
 * already holding the directory: one %lX or %lu), size bytes of a pattern
 * seeded by the generation, and registers it as generation above + 1.
 * raw_fd: a raw /dev/jet descriptor (the owner's context), or -1 for this
 * process's libjet context. Returns how many it answered, or a negative
 * JET error (libjet) or -errno (raw).
 */
static inline long jt_answer_rolls(int raw_fd, const char *pattern,
				   size_t size)
{
	long n = 0;

	for (;;) {
		struct jet_roll_request rr = { 0 };
		unsigned long above = 0;
		JET_INSTANCE inst = 0;
		char path[512];
		long err;
		int fd;

		if (raw_fd >= 0) {
			err = jt_ioctl(raw_fd, JET_IOC_GET_ROLL_REQUEST, &rr);
			inst = rr.instance;
			above = rr.gen_above;
		} else {
			err = JetGetLogRollRequest(&inst, &above);
		}
		if (err)
			return err;
		if (!inst)
			return n;
		snprintf(path, sizeof(path), pattern, above + 1);
		if (jt_make_file(path, size, (uint32_t)(above + 1)))
			return raw_fd >= 0 ? -EIO : JET_errDiskIO;
		if (raw_fd >= 0) {
			struct jet_add_log l = {
				.instance = inst,
				.name = (uintptr_t)path,
				.generation = above + 1,
			};

			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			l.fd = fd;
			err = jt_ioctl(raw_fd, JET_IOC_ADD_LOG, &l);
			close(fd);
		} else {
			err = JetAddLogFileInstance(inst, path, above + 1);
		}
		if (err)
			return err;
		n++;
	}
}

/* A thread of the owner's process that answers roll requests as they come. */
struct jt_roller {
	pthread_t thread;
	int raw_fd;		/* -1: this process's libjet context */
	int stop[2];
	char pattern[256];
	size_t size;
	unsigned int rolled;	/* requests answered (atomic) */
	long err;		/* the first error */
	int running;
};

static inline void *jt_roller_main(void *arg)
{
	struct jt_roller *r = arg;
	struct pollfd p[2] = {
		{ .fd = r->raw_fd, .events = POLLPRI },
		{ .fd = r->stop[0], .events = POLLIN },
	};

	if (r->raw_fd < 0 && JetGetNotificationFd(&p[0].fd))
		return NULL;
	for (;;) {
		long n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[1].revents)
			return NULL;
		if (!(p[0].revents & POLLPRI))
			continue;
		n = jt_answer_rolls(r->raw_fd, r->pattern, r->size);
		if (n > 0)
			__atomic_add_fetch(&r->rolled, n, __ATOMIC_SEQ_CST);
		else if (n < 0 && !r->err)
			r->err = n;
	}
}

/* Starts a roller: see jt_answer_rolls() for raw_fd, pattern and size. */
static inline int jt_roller_start(struct jt_roller *r, int raw_fd,
				  const char *pattern, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->raw_fd = raw_fd;
	snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
	r->size = size;
	if (pipe2(r->stop, O_CLOEXEC))
		return -errno;
	if (pthread_create(&r->thread, NULL, jt_roller_main, r))
		return -EAGAIN;
	r->running = 1;
	return 0;
}

static inline void jt_roller_stop(struct jt_roller *r)
{
	if (!r->running)
		return;
	if (write(r->stop[1], "x", 1) != 1)
		return;
	pthread_join(r->thread, NULL);
	close(r->stop[0]);
	close(r->stop[1]);
	r->running = 0;
}

/* Sets a module parameter (a number): 0 or -errno. */
static inline int jt_param_write(const char *name, unsigned int v)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), JT_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- a raw owner and agent: calls on a test's own /dev/jet contexts ---- */

/* ATTACH_DB of path (opened here): 0 or -errno */
static inline int jt_raw_attach(int fd, uint64_t inst, const char *path)
{
	struct jet_attach a = { .instance = inst, .name = (uintptr_t)path };
	int ret;

	a.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a.fd < 0)
		return -errno;
	ret = jt_ioctl(fd, JET_IOC_ATTACH_DB, &a);
	close(a.fd);
	return ret;
}

/* ADD_LOG of generation gen, named path, reading file_fd: 0 or -errno */
static inline int jt_raw_add_log_fd(int fd, uint64_t inst, const char *path,
				    uint64_t gen, int file_fd)
{
	struct jet_add_log l = {
		.instance = inst,
		.name = (uintptr_t)path,
		.generation = gen,
		.fd = file_fd,
	};

	return jt_ioctl(fd, JET_IOC_ADD_LOG, &l);
}

/* SET_CHECKPOINT, SET_THROTTLE, UNLOCK_RANGE: 0 or -errno */
static inline int jt_raw_u64(int fd, unsigned long cmd, uint64_t inst,
			     uint64_t v)
{
	struct jet_instance_u64 a = { .instance = inst, .value = v };

	return jt_ioctl(fd, cmd, &a);
}

/* BEGIN_BACKUP, END_BACKUP, TRUNCATE_LOG, STOP_BACKUP...: 0 or -errno */
static inline int jt_raw_op(int fd, unsigned long cmd, uint64_t inst,
			    uint32_t grbit)
{
	struct jet_instance_op op = { .instance = inst, .grbit = grbit };

	return jt_ioctl(fd, cmd, &op);
}

/* GET_STATE: 0 or -errno */
static inline int jt_raw_state(int fd, uint64_t inst,
			       struct jet_instance_state *st)
{
	struct jet_get_state g = { .instance = inst };
	int ret = jt_ioctl(fd, JET_IOC_GET_STATE, &g);

	*st = g.state;
	return ret;
}

/* OPEN_FILE of a backup file: its descriptor, or -errno */
static inline int jt_raw_open_file(int fd, uint64_t inst, const char *name,
				   uint64_t *size)
{
	struct jet_open_file o = { .instance = inst, .name = (uintptr_t)name };
	int ret = jt_ioctl(fd, JET_IOC_OPEN_FILE, &o);

	if (ret)
		return ret;
	if (size)
		*size = o.size;
	return o.fd;
}

/*
 * A copy of an ioctl argument in a read-only page: the kernel can read it
 * but not write its results back. munmap(p, 4096) when done; NULL on error.
 */
static inline void *jt_ro_copy(const void *arg, size_t size)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, arg, size);
	if (mprotect(p, 4096, PROT_READ)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

#endif /* JET_TEST_H */
