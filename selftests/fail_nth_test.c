// SPDX-License-Identifier: GPL-2.0
/*
 * Systematic fault injection, in the manner of the kernel's
 * tools/testing/selftests/iommu/iommufd_fail_nth.c: every failure path of
 * every call must leave jet as it was (SPEC section 9; uapi: "a failed
 * command changes no state").
 *
 * For each call a program makes on jet (every ioctl of uapi/jet_ioctl.h,
 * read/pread/splice/sendfile on a backup file, open/close of /dev/jet and
 * close of a backup file), in a state where it succeeds: for N = 1, 2, ...
 * write N to /proc/thread-self/fail-nth, make the call, and read fail-nth
 * back to learn whether the Nth fault site (a slab or page allocation, or a
 * user copy) was reached and failed. Then:
 *  - fault fired, call failed: the error is a clean -ENOMEM or -EFAULT; the
 *    state (every instance's listing record, the instance's state from the
 *    owner's and the agent's view, the contexts' modes and events, the
 *    backup file's info and position, the process's descriptors) is the
 *    state before the call; and the same call without a fault then succeeds
 *    with the result and the state of a clean run;
 *  - fault fired, call succeeded (the kernel coped, say kvmalloc fell back
 *    to vmalloc): result and state are those of a clean run, nothing half
 *    made;
 *  - fault not fired: the call had fewer than N fault sites, and must give
 *    the clean run's result and state; three of these in a row end the
 *    sweep (the number of sites varies a little: a slab may need a page).
 * Each N runs on a freshly built state, so every failure is judged alone.
 *
 * fail-nth takes precedence over the fault attributes' probability,
 * interval and times (Documentation/fault-injection): it fails exactly the
 * Nth site of this thread. The attributes are still set so that the sites
 * count at all: failslab and fail_page_alloc ignore sleeping allocations
 * (ignore-gfp-wait, by default) and fail_page_alloc order-0 pages (min-order),
 * verbose 0 keeps a stack dump per fault out of the log, and task-filter Y
 * confines their own random mode (probability, times: left as they are) to
 * make-it-fail tasks. This thread's make-it-fail is 0: with it and a
 * probability, every site after the Nth would fail too, the read-back of
 * fail-nth included. The values found are restored at the end.
 *
 * It needs a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB,
 * CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_USERCOPY and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel of `make check-debug`);
 * elsewhere every test is skipped, saying what is missing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

#define NTH_PROC	"/proc/thread-self/fail-nth"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
#define DEBUGFS		"/sys/kernel/debug"
#define NTH_MAX		2000	/* more fault sites than this: a loop */
#define NTH_MISSES	3	/* N not reached so many times: done */
#define DB_SIZE		(96 * 1024)	/* a read's bounce buffer is kvmalloc'd */
#define DB2_SIZE	8192
#define LOG_SIZE	6000
#define NLOGS		3
#define ROLL_SIZE	LOG_SIZE	/* the log a roll closes */
#define PIPE_BYTES	65536	/* what a new pipe holds */
#define SNAP_MAX	16384

/* ---- the fault attributes ---- */

struct knob {
	const char *attr, *file, *value;
	bool required;		/* skip when missing */
};

static const struct knob knobs[] = {
	{ "failslab", "ignore-gfp-wait", "N", true },
	{ "failslab", "verbose", "0", true },
	{ "failslab", "task-filter", "Y", true },
	{ "failslab", "space", "0", false },
	{ "fail_page_alloc", "ignore-gfp-wait", "N", false },
	{ "fail_page_alloc", "min-order", "0", false },
	{ "fail_page_alloc", "verbose", "0", false },
	{ "fail_page_alloc", "task-filter", "Y", false },
	{ "fail_page_alloc", "space", "0", false },
	{ "fail_usercopy", "verbose", "0", false },
	{ "fail_usercopy", "task-filter", "Y", false },
	{ "fail_usercopy", "space", "0", false },
};

#define NKNOBS	ARRAY_SIZE(knobs)

struct knob_save {
	char old[64];
	bool saved;
};

static int knob_path(char *buf, size_t len, const struct knob *k)
{
	return snprintf(buf, len, DEBUGFS "/%s/%s", k->attr, k->file);
}

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/*
 * Sets the knobs. why: "" or why fault injection cannot run here; notes:
 * the optional knobs that could not be set (a fault type missing).
 */
static void knobs_set(struct knob_save *save, char *why, size_t why_len,
		      char *notes, size_t notes_len)
{
	size_t used = 0;
	char path[128];
	unsigned int i;

	for (i = 0; i < NKNOBS; i++) {
		knob_path(path, sizeof(path), &knobs[i]);
		if (!read_text(path, save[i].old, sizeof(save[i].old))) {
			save[i].saved = true;
			if (!write_text(path, knobs[i].value))
				continue;
		}
		if (knobs[i].required) {
			snprintf(why, why_len,
				 "no %s: kernel without CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS",
				 path);
			return;
		}
		if (used < notes_len)
			used += snprintf(notes + used, notes_len - used, " %s",
					 path);
	}
}

static void knobs_restore(struct knob_save *save)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < NKNOBS; i++) {
		if (!save[i].saved)
			continue;
		knob_path(path, sizeof(path), &knobs[i]);
		write_text(path, save[i].old);
		save[i].saved = false;
	}
}

/* ---- fail-nth ---- */

/* Fail the Nth fault site of this thread from now on. */
static int nth_arm(int nth_fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Whether the armed fault fired, leaving fail-nth disarmed: 1, 0, or
 * -errno. Reading it is a user copy, so it can be the Nth site itself: that
 * read fails with -EFAULT, and the call before it had fewer sites. So can
 * the write that disarms it, which then is disarmed by that very fault.
 */
static int nth_fired(int nth_fd)
{
	char buf[32];
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	int fired;

	if (n < 0) {
		if (errno != EFAULT)
			return -errno;
		fired = 0;
	} else {
		buf[n] = '\0';
		fired = strtoul(buf, NULL, 10) == 0;
	}
	if (pwrite(nth_fd, "0", 1, 0) != 1 && pwrite(nth_fd, "0", 1, 0) != 1)
		return -errno;
	return fired;
}

/* ---- totals over every test (each runs in its own process) ---- */

struct totals {
	unsigned int calls, points, failed, coped;
};

static struct totals *totals;

static void __attribute__((constructor)) totals_map(void)
{
	void *p = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	totals = p == MAP_FAILED ? NULL : p;
}

/* ---- the world a call runs in ---- */

enum level {
	L_NONE,		/* a fresh (NoSet) context only */
	L_CREATED,	/* + the owner's context, its instance created */
	L_READY,	/* + initialised, db1, logs 1-2, checkpoint 2, agent */
	L_LOCKED,	/* + a range lock on db1 */
	L_BACKUP,	/* READY + the agent began a full backup */
	L_DBOPEN,	/* + db1 open in the agent (bfd) */
	L_ROLLED,	/* BACKUP + the log roll asked and answered (log 3) */
	L_LOGS,		/* + GetLogInfo: copy set logs 2-3, truncate log 1 */
	L_LOGOPEN,	/* + log 2 open (bfd) */
	L_COPIED,	/* LOGS + logs 2 and 3 read to their end, closed */
	L_EVENT,	/* + truncated: an event for the owner */
};

struct files {
	char dir[64];
	char db[2][96];
	char log[NLOGS][96];
	char roll_pattern[96];	/* the logs rolls close: 3 */
};

struct world {
	const struct files *fl;
	char name[96];
	int owner, agent, fresh, extra;	/* contexts; extra: made by the call */
	int src[2 + NLOGS];		/* db1, db2, log1..3, read-only */
	int bfd;
	int devnull, pipe_r, pipe_w;
	uint64_t inst, lock;
};

static unsigned char rbuf[DB_SIZE];	/* what reads read */

static int dev_open(void)
{
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void world_init(struct world *w, const struct files *fl,
		       const char *name)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->fl = fl;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->owner = w->agent = w->fresh = w->extra = w->bfd = -1;
	w->devnull = w->pipe_r = w->pipe_w = -1;
	for (i = 0; i < ARRAY_SIZE(w->src); i++)
		w->src[i] = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void world_teardown(struct world *w)
{
	unsigned int i;

	close_fd(&w->extra);
	close_fd(&w->bfd);
	close_fd(&w->agent);
	close_fd(&w->owner);
	close_fd(&w->fresh);
	for (i = 0; i < ARRAY_SIZE(w->src); i++)
		close_fd(&w->src[i]);
	close_fd(&w->devnull);
	close_fd(&w->pipe_r);
	close_fd(&w->pipe_w);
}

static int open_in_agent(struct world *w, const char *name)
{
	struct jet_open_file o = {
		.instance = w->inst,
		.name = (uintptr_t)name,
	};
	int ret = jt_ioctl(w->agent, JET_IOC_OPEN_FILE, &o);

	return ret ? ret : o.fd;
}

/* A descriptor, or -errno. */
static int fd_or_errno(int fd)
{
	return fd < 0 ? -errno : fd;
}

/* Notes which setup step ran: true if it went well (ret >= 0). */
static bool step_ok(const char **step, const char *what, int ret)
{
	*step = what;
	return ret >= 0;
}

static int setup_owner(struct world *w, int level, const char **step)
{
	const struct files *fl = w->fl;
	struct jet_enable_multi em = { 0 };
	struct jet_create c = {
		.name = (uintptr_t)w->name,
		.display_name = (uintptr_t)"fail-nth display",
	};
	struct jet_init in = { 0 };
	struct jet_attach a = { 0 };
	struct jet_instance_u64 u = { 0 };
	int ret, i;

	ret = w->owner = dev_open();
	if (!step_ok(step, "open the owner's context", ret))
		return ret;
	ret = jt_ioctl(w->owner, JET_IOC_ENABLE_MULTI, &em);
	if (!step_ok(step, "enable multi", ret))
		return ret;
	/* ENOTUNIQ here: an earlier world left its instance */
	ret = jt_ioctl(w->owner, JET_IOC_CREATE_INSTANCE, &c);
	if (!step_ok(step, "create", ret))
		return ret;
	w->inst = c.instance;
	if (level == L_CREATED)
		return 0;

	in.instance = w->inst;
	ret = jt_ioctl(w->owner, JET_IOC_INIT, &in);
	if (!step_ok(step, "init", ret))
		return ret;
	for (i = 0; i < 2 + NLOGS; i++) {
		const char *path = i < 2 ? fl->db[i] : fl->log[i - 2];

		ret = w->src[i] = fd_or_errno(open(path, O_RDONLY | O_CLOEXEC));
		if (!step_ok(step, "open a database or log", ret))
			return ret;
	}
	a.instance = w->inst;
	a.name = (uintptr_t)fl->db[0];
	a.fd = w->src[0];
	ret = jt_ioctl(w->owner, JET_IOC_ATTACH_DB, &a);
	if (!step_ok(step, "attach", ret))
		return ret;
	for (i = 0; i < 2; i++) {
		struct jet_add_log l = {
			.instance = w->inst,
			.name = (uintptr_t)fl->log[i],
			.generation = i + 1,
			.fd = w->src[2 + i],
		};

		ret = jt_ioctl(w->owner, JET_IOC_ADD_LOG, &l);
		if (!step_ok(step, "add log", ret))
			return ret;
	}
	u.instance = w->inst;
	u.value = 2;
	ret = jt_ioctl(w->owner, JET_IOC_SET_CHECKPOINT, &u);
	if (!step_ok(step, "checkpoint", ret))
		return ret;
	if (level == L_LOCKED) {
		struct jet_lock_range l = {
			.instance = w->inst,
			.name = (uintptr_t)fl->db[0],
			.offset = 0,
			.length = 4096,
		};

		ret = jt_ioctl(w->owner, JET_IOC_LOCK_RANGE, &l);
		if (!step_ok(step, "lock", ret))
			return ret;
		w->lock = l.lock;
	}
	ret = w->agent = dev_open();
	return step_ok(step, "open the agent's context", ret) ? 0 : ret;
}

static int setup_backup(struct world *w, int level, const char **step)
{
	const struct files *fl = w->fl;
	struct jet_instance_op op = { .instance = w->inst };
	struct jet_name_list n = { .instance = w->inst };
	struct jet_log_list ll = {
		.instance = w->inst,
		.flags = JET_LOGS_NO_WAIT,
	};
	char names[4096], rolled[96];
	int ret, fd, i;

	ret = jt_ioctl(w->agent, JET_IOC_BEGIN_BACKUP, &op);
	if (!step_ok(step, "begin", ret))
		return ret;
	if (level == L_DBOPEN) {
		ret = w->bfd = open_in_agent(w, fl->db[0]);
		return step_ok(step, "open db1", ret) ? 0 : ret;
	}
	if (level < L_ROLLED)
		return 0;
	/*
	 * The roll, answered here rather than by a thread, so that every
	 * world is the same: ask without waiting, answer as the owner.
	 */
	ret = jt_ioctl(w->agent, JET_IOC_LOG_LIST, &ll);
	if (!step_ok(step, "ask the roll", ret))
		return ret;
	ret = jt_answer_rolls(w->owner, fl->roll_pattern, ROLL_SIZE) == 1 ?
	      0 : -EIO;
	if (!step_ok(step, "answer the roll", ret) || level == L_ROLLED)
		return ret;

	n.buf = (uintptr_t)names;
	n.buf_size = sizeof(names);
	ret = jt_ioctl(w->agent, JET_IOC_GET_LOG_INFO, &n);
	if (!step_ok(step, "log info", ret))
		return ret;
	if (level == L_LOGOPEN) {
		ret = w->bfd = open_in_agent(w, fl->log[1]);
		return step_ok(step, "open log 2", ret) ? 0 : ret;
	}
	if (level < L_COPIED)
		return 0;

	snprintf(rolled, sizeof(rolled), fl->roll_pattern, 3UL);
	for (i = 0; i < 2; i++) {
		fd = open_in_agent(w, i ? rolled : fl->log[1]);
		if (!step_ok(step, "open log 2 or 3", fd))
			return fd;
		while ((ret = read(fd, rbuf, sizeof(rbuf))) > 0)
			;
		ret = ret < 0 ? -errno : 0;
		close(fd);
		if (!step_ok(step, "read log 2 or 3", ret))
			return ret;
	}
	if (level == L_EVENT) {
		ret = jt_ioctl(w->agent, JET_IOC_TRUNCATE_LOG, &op);
		if (!step_ok(step, "truncate", ret))
			return ret;
	}
	return 0;
}

/*
 * Builds the world of a level; 0, or -errno with the step that failed in
 * *step. Every call here is made without fault injection.
 */
static int world_setup(struct world *w, int level, const char **step)
{
	int pfd[2], ret;

	ret = w->devnull = fd_or_errno(open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (!step_ok(step, "/dev/null", ret))
		return ret;
	ret = pipe2(pfd, O_CLOEXEC) ? -errno : 0;
	if (!step_ok(step, "pipe", ret))
		return ret;
	w->pipe_r = pfd[0];
	w->pipe_w = pfd[1];
	ret = w->fresh = dev_open();
	if (!step_ok(step, "open the fresh context", ret))
		return ret;
	if (level == L_NONE)
		return 0;
	ret = setup_owner(w, level, step);
	if (ret || level < L_BACKUP)
		return ret;
	return setup_backup(w, level, step);
}

/* ---- what "the state" is ---- */

struct snap {
	char text[SNAP_MAX];
	size_t len;
};

static void say(struct snap *s, const char *fmt, ...) __printf(2, 3);

static void say(struct snap *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len >= sizeof(s->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->text + s->len, sizeof(s->text) - s->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += n;
	if (s->len > sizeof(s->text) - 1)
		s->len = sizeof(s->text) - 1;
}

/* An instance's handle as a snapshot shows it: which one, not its number. */
static const char *who(struct world *w, uint64_t id)
{
	return id == w->inst ? "self" : id ? "other" : "none";
}

static void say_state(struct snap *s, struct world *w,
		      const struct jet_instance_state *st)
{
	say(s, "inst=%s bytes=%llu ckpt=%llu newest=%llu thr=%llu pid=%s uid=%u flags=%#x phase=%u svc=%#x dbs=%u logs=%u open=%u\n",
	    who(w, st->instance), (unsigned long long)st->bytes_read,
	    (unsigned long long)st->checkpoint,
	    (unsigned long long)st->newest_log,
	    (unsigned long long)st->throttle,
	    st->owner_pid == (uint32_t)getpid() ? "me" : "other",
	    st->owner_uid, st->flags, st->phase, st->service_bits,
	    st->db_count, st->log_count, st->open_files);
}

static void snap_ctx(struct snap *s, const char *name, int fd)
{
	struct jet_query q = { 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	if (fd < 0) {
		say(s, "%s: closed\n", name);
		return;
	}
	ret = jt_ioctl(fd, JET_IOC_QUERY, &q);
	say(s, "%s: query=%d mode=%u", name, ret, q.mode);
	/* a queued truncate event makes it readable */
	ret = poll(&p, 1, 0);
	say(s, " poll=%d/%#x\n", ret, p.revents);
}

static void snap_get_state(struct snap *s, struct world *w, const char *name,
			   int fd)
{
	struct jet_get_state g = { .instance = w->inst };
	int ret;

	if (fd < 0 || !w->inst)
		return;
	ret = jt_ioctl(fd, JET_IOC_GET_STATE, &g);
	say(s, "state@%s: %d ", name, ret);
	if (!ret)
		say_state(s, w, &g.state);
	else
		say(s, "\n");
}

static void snap_list(struct snap *s, struct world *w)
{
	static char buf[65536];
	struct jet_list l = { .buf = (uintptr_t)buf, .buf_size = sizeof(buf) };
	int fd = dev_open(), ret;
	uint32_t off = 0, i;

	if (fd < 0) {
		say(s, "list: open %d\n", fd);
		return;
	}
	ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l);
	close(fd);
	say(s, "list: %d count=%u size=%u\n", ret, l.count, l.size);
	for (i = 0; !ret && i < l.count && off < l.size; i++) {
		struct jet_instance_record *r = (void *)(buf + off);
		const char *p = (const char *)(r + 1);
		uint32_t used = 0;

		say(s, "  record size=%u name=\"%s\"", r->record_size, p);
		say(s, " display=\"%s\" dbs=", p + r->name_size);
		p += r->name_size + r->display_size;
		while (used < r->dbs_size) {
			say(s, "%s,", p + used);
			used += strlen(p + used) + 1;
		}
		say(s, "\n    ");
		say_state(s, w, &r->state);
		if (!r->record_size)
			break;
		off += r->record_size;
	}
}

static void snap_bfd(struct snap *s, struct world *w)
{
	struct jet_file_info fi = { 0 };
	int ret;

	if (w->bfd < 0) {
		say(s, "bfd: none\n");
		return;
	}
	ret = jt_ioctl(w->bfd, JET_FILE_IOC_INFO, &fi);
	say(s, "bfd: %d inst=%s size=%llu gen=%llu kind=%u status=%d pos=%lld\n",
	    ret, who(w, fi.instance), (unsigned long long)fi.size,
	    (unsigned long long)fi.generation, fi.kind, fi.status,
	    (long long)lseek(w->bfd, 0, SEEK_CUR));
}

/* This process's descriptors and what they are. */
static void snap_fds(struct snap *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self_fd;

	if (!d) {
		say(s, "fds: %d\n", -errno);
		return;
	}
	self_fd = dirfd(d);
	say(s, "fds:");
	while ((de = readdir(d))) {
		char path[300], target[256];
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] == '.' || fd == self_fd)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		/* a pipe's inode number differs from world to world */
		if (!strncmp(target, "pipe:", 5))
			target[4] = '\0';
		say(s, " %d=%s", fd, target);
	}
	closedir(d);
	say(s, "\n");
}

static void snap_take(struct world *w, struct snap *s)
{
	int queued = 0;

	s->len = 0;
	s->text[0] = '\0';
	snap_ctx(s, "owner", w->owner);
	snap_ctx(s, "agent", w->agent);
	snap_ctx(s, "fresh", w->fresh);
	snap_get_state(s, w, "owner", w->owner);
	snap_get_state(s, w, "agent", w->agent);
	snap_list(s, w);
	snap_bfd(s, w);
	if (w->pipe_r >= 0)
		ioctl(w->pipe_r, FIONREAD, &queued);
	say(s, "pipe: %d bytes\n", queued);
	snap_fds(s);
}

/* Logs the lines where two snapshots differ. */
static void snap_diff(struct __test_metadata *_metadata, const char *a_name,
		      const struct snap *a, const char *b_name,
		      const struct snap *b)
{
	const char *pa = a->text, *pb = b->text;
	int shown = 0;

	while ((*pa || *pb) && shown < 12) {
		const char *ea = strchrnul(pa, '\n'), *eb = strchrnul(pb, '\n');

		if (ea - pa != eb - pb || memcmp(pa, pb, ea - pa)) {
			TH_LOG("  %s: %.*s", a_name, (int)(ea - pa), pa);
			TH_LOG("  %s: %.*s", b_name, (int)(eb - pb), pb);
			shown++;
		}
		pa = *ea ? ea + 1 : ea;
		pb = *eb ? eb + 1 : eb;
	}
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
	return a->len == b->len && !memcmp(a->text, b->text, a->len);
}

/* ---- the calls ---- */

/*
 * One call each, between arming fail-nth and reading it back: exactly one
 * system call, and nothing else that could reach a fault site. Returns
 * -errno or the call's result; *out sums up what it returned, world
 * independent.
 */
typedef long (*call_fn)(struct world *w, uint64_t *out);

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static long sys(long ret)
{
	return ret < 0 ? -errno : ret;
}

static long call_open_dev(struct world *w, uint64_t *out)
{
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	w->extra = fd;
	*out = 1;
	return 0;
}

static long call_close_owner(struct world *w, uint64_t *out)
{
	int fd = w->owner;

	(void)out;
	w->owner = -1;
	return sys(close(fd));
}

static long call_close_agent(struct world *w, uint64_t *out)
{
	int fd = w->agent;

	(void)out;
	w->agent = -1;
	return sys(close(fd));
}

static long call_close_bfd(struct world *w, uint64_t *out)
{
	int fd = w->bfd;

	(void)out;
	w->bfd = -1;
	return sys(close(fd));
}

static long call_query(struct world *w, uint64_t *out)
{
	struct jet_query q;
	long ret = ioc(w->owner, JET_IOC_QUERY, &q);

	*out = jt_digest(0, &q, sizeof(q));
	return ret;
}

static long call_enable_multi(struct world *w, uint64_t *out)
{
	struct jet_enable_multi em = { 0 };

	(void)out;
	return ioc(w->fresh, JET_IOC_ENABLE_MULTI, &em);
}

static long call_create(struct world *w, uint64_t *out)
{
	struct jet_create c = {
		.name = (uintptr_t)w->name,
		.display_name = (uintptr_t)"made by the call",
	};
	long ret = ioc(w->fresh, JET_IOC_CREATE_INSTANCE, &c);

	*out = c.instance != 0;
	return ret;
}

static long call_init_noset(struct world *w, uint64_t *out)
{
	struct jet_init in = { 0 };
	long ret = ioc(w->fresh, JET_IOC_INIT, &in);

	*out = in.instance != 0;
	return ret;
}

static long call_init_multi(struct world *w, uint64_t *out)
{
	struct jet_init in = { .instance = w->inst };
	long ret = ioc(w->owner, JET_IOC_INIT, &in);

	*out = in.instance == w->inst;
	return ret;
}

static long call_term(struct world *w, uint64_t *out)
{
	struct jet_term t = { .instance = w->inst };

	(void)out;
	return ioc(w->owner, JET_IOC_TERM, &t);
}

static long call_term_abrupt(struct world *w, uint64_t *out)
{
	struct jet_term t = { .instance = w->inst, .grbit = JET_TERM_ABRUPT };

	(void)out;
	return ioc(w->owner, JET_IOC_TERM, &t);
}

static long call_get_state(struct world *w, uint64_t *out)
{
	struct jet_get_state g = { .instance = w->inst };
	long ret = ioc(w->agent, JET_IOC_GET_STATE, &g);

	g.state.instance = g.state.instance == w->inst;
	*out = jt_digest(0, &g.state, sizeof(g.state));
	return ret;
}

static long call_list(struct world *w, uint64_t *out)
{
	static char buf[65536];
	struct jet_list l = { .buf = (uintptr_t)buf, .buf_size = sizeof(buf) };
	long ret = ioc(w->fresh, JET_IOC_LIST_INSTANCES, &l);

	*out = (uint64_t)l.count << 32 | l.size;
	return ret;
}

/* a paged listing: a page with room for one record at a time */
static long call_list_paged(struct world *w, uint64_t *out)
{
	static char buf[65536];
	struct jet_list l = {
		.buf = (uintptr_t)buf, .buf_size = 256,
		.flags = JET_LIST_PAGED,
	};
	long ret = ioc(w->fresh, JET_IOC_LIST_INSTANCES, &l);

	if (ret == -ENOBUFS) {
		l.buf_size = l.size;
		l.count = l.size = 0;
		ret = ioc(w->fresh, JET_IOC_LIST_INSTANCES, &l);
	}
	*out = (uint64_t)l.count << 32 | l.size;
	return ret;
}

static long call_attach_db(struct world *w, uint64_t *out)
{
	struct jet_attach a = {
		.instance = w->inst,
		.name = (uintptr_t)w->fl->db[1],
		.fd = w->src[1],
	};

	(void)out;
	return ioc(w->owner, JET_IOC_ATTACH_DB, &a);
}

static long call_detach_db(struct world *w, uint64_t *out)
{
	struct jet_attach a = {
		.instance = w->inst,
		.name = (uintptr_t)w->fl->db[0],
		.fd = -1,
	};

	(void)out;
	return ioc(w->owner, JET_IOC_DETACH_DB, &a);
}

static long call_add_log(struct world *w, uint64_t *out)
{
	struct jet_add_log l = {
		.instance = w->inst,
		.name = (uintptr_t)w->fl->log[2],
		.generation = 3,
		.fd = w->src[4],
	};

	(void)out;
	return ioc(w->owner, JET_IOC_ADD_LOG, &l);
}

static long call_set_checkpoint(struct world *w, uint64_t *out)
{
	struct jet_instance_u64 u = { .instance = w->inst, .value = 3 };

	(void)out;
	return ioc(w->owner, JET_IOC_SET_CHECKPOINT, &u);
}

static long call_set_throttle(struct world *w, uint64_t *out)
{
	struct jet_instance_u64 u = { .instance = w->inst, .value = 1 << 20 };

	(void)out;
	return ioc(w->owner, JET_IOC_SET_THROTTLE, &u);
}

static long call_lock_range(struct world *w, uint64_t *out)
{
	struct jet_lock_range l = {
		.instance = w->inst,
		.name = (uintptr_t)w->fl->db[0],
		.offset = 4096,
		.length = 8192,
	};
	long ret = ioc(w->owner, JET_IOC_LOCK_RANGE, &l);

	*out = l.lock != 0;
	return ret;
}

static long call_unlock_range(struct world *w, uint64_t *out)
{
	struct jet_instance_u64 u = { .instance = w->inst, .value = w->lock };

	(void)out;
	return ioc(w->owner, JET_IOC_UNLOCK_RANGE, &u);
}

static long call_pause(struct world *w, uint64_t *out)
{
	struct jet_instance_op op = { .instance = w->inst, .grbit = 1 };

	(void)out;
	return ioc(w->owner, JET_IOC_PAUSE_BACKUP, &op);
}

static long call_get_truncate_event(struct world *w, uint64_t *out)
{
	struct jet_truncate_event te = { 0 };
	long ret = ioc(w->owner, JET_IOC_GET_TRUNCATE_EVENT, &te);

	te.instance = te.instance == w->inst;
	*out = jt_digest(0, &te, sizeof(te));
	return ret;
}

static long call_begin(struct world *w, uint64_t *out)
{
	struct jet_instance_op op = { .instance = w->inst };

	(void)out;
	return ioc(w->agent, JET_IOC_BEGIN_BACKUP, &op);
}

static long name_list(struct world *w, unsigned long cmd, uint64_t *out)
{
	static char names[4096];
	struct jet_name_list n = {
		.instance = w->inst,
		.buf = (uintptr_t)names,
		.buf_size = sizeof(names),
	};
	long ret = ioc(w->agent, cmd, &n);

	*out = ret ? 0 : jt_digest(0, names, n.size < sizeof(names) ?
						   n.size : sizeof(names));
	return ret;
}

static long call_get_attach_info(struct world *w, uint64_t *out)
{
	return name_list(w, JET_IOC_GET_ATTACH_INFO, out);
}

static long call_get_log_info(struct world *w, uint64_t *out)
{
	return name_list(w, JET_IOC_GET_LOG_INFO, out);
}

/* the first log list, not waiting: it asks the owner to roll */
static long call_log_roll_ask(struct world *w, uint64_t *out)
{
	struct jet_log_list ll = {
		.instance = w->inst,
		.flags = JET_LOGS_NO_WAIT,
	};
	long ret = ioc(w->agent, JET_IOC_LOG_LIST, &ll);

	/* not roll_instance: each world's instance has another id */
	*out = ret ? 0 : ll.status * 1000 + ll.roll_above;
	return ret;
}

static long call_get_truncate_log_info(struct world *w, uint64_t *out)
{
	return name_list(w, JET_IOC_GET_TRUNCATE_LOG_INFO, out);
}

static long open_file(struct world *w, const char *name, uint64_t *out)
{
	struct jet_open_file o = {
		.instance = w->inst,
		.name = (uintptr_t)name,
	};
	long ret = ioc(w->agent, JET_IOC_OPEN_FILE, &o);

	if (!ret)
		w->bfd = o.fd;
	*out = o.size;
	return ret;
}

static long call_open_db(struct world *w, uint64_t *out)
{
	return open_file(w, w->fl->db[0], out);
}

static long call_open_log(struct world *w, uint64_t *out)
{
	return open_file(w, w->fl->log[1], out);
}

static long instance_op(struct world *w, int fd, unsigned long cmd,
			uint32_t grbit)
{
	struct jet_instance_op op = { .instance = w->inst, .grbit = grbit };

	return ioc(fd, cmd, &op);
}

static long call_truncate_log(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->agent, JET_IOC_TRUNCATE_LOG, 0);
}

static long call_end_normal(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->agent, JET_IOC_END_BACKUP, JET_END_NORMAL);
}

static long call_end_abort(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->agent, JET_IOC_END_BACKUP, JET_END_ABORT);
}

static long call_stop_backup(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->owner, JET_IOC_STOP_BACKUP, 0);
}

static long call_stop_service_all(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->owner, JET_IOC_STOP_SERVICE, JET_SERVICE_ALL);
}

static long call_stop_service_bits(struct world *w, uint64_t *out)
{
	(void)out;
	return instance_op(w, w->owner, JET_IOC_STOP_SERVICE,
			   JET_SERVICE_BACKGROUND_TASKS |
			   JET_SERVICE_QUIESCE_CACHES);
}

static long call_file_info(struct world *w, uint64_t *out)
{
	struct jet_file_info fi = { 0 };
	long ret = ioc(w->bfd, JET_FILE_IOC_INFO, &fi);

	fi.instance = fi.instance == w->inst;
	*out = jt_digest(0, &fi, sizeof(fi));
	return ret;
}

static long read_digest(long ret, uint64_t *out)
{
	*out = ret > 0 ? jt_digest(0, rbuf, ret) : 0;
	return ret;
}

static long call_read_page(struct world *w, uint64_t *out)
{
	return read_digest(sys(read(w->bfd, rbuf, 4096)), out);
}

static long call_read_all(struct world *w, uint64_t *out)
{
	return read_digest(sys(read(w->bfd, rbuf, DB_SIZE)), out);
}

static long call_pread(struct world *w, uint64_t *out)
{
	return read_digest(sys(pread(w->bfd, rbuf, 8192, 4096)), out);
}

static long call_splice(struct world *w, uint64_t *out)
{
	(void)out;
	return sys(splice(w->bfd, NULL, w->pipe_w, NULL, PIPE_BYTES, 0));
}

static long call_sendfile_null(struct world *w, uint64_t *out)
{
	(void)out;
	return sys(sendfile(w->devnull, w->bfd, NULL, DB_SIZE));
}

static long call_sendfile_pipe(struct world *w, uint64_t *out)
{
	(void)out;
	return sys(sendfile(w->pipe_w, w->bfd, NULL, PIPE_BYTES));
}

/* ---- the sweep ---- */

FIXTURE(nth) {
	char why[256];			/* not empty: skip, and why */
	char notes[512];		/* optional knobs not set */
	struct knob_save save[NKNOBS];
	struct files fl;
	int nth_fd;			/* -1: a dry run, no faults */
};

FIXTURE_VARIANT(nth) {
	const char *name;
	int level;
	call_fn call;
	/*
	 * sendfile(2) loops over splices in the VFS and returns the bytes it
	 * moved when a later one fails: a shorter transfer is that call's
	 * clean outcome of a fault, not a half-done state.
	 */
	bool short_ok;
};

FIXTURE_VARIANT_ADD(nth, open_dev_jet) {
	.name = "open_dev_jet", .level = L_NONE, .call = call_open_dev,
};

FIXTURE_VARIANT_ADD(nth, close_owner_context) {
	.name = "close_owner_context", .level = L_DBOPEN, .call = call_close_owner,
};

FIXTURE_VARIANT_ADD(nth, close_agent_context) {
	.name = "close_agent_context", .level = L_DBOPEN, .call = call_close_agent,
};

FIXTURE_VARIANT_ADD(nth, close_backup_file) {
	.name = "close_backup_file", .level = L_DBOPEN, .call = call_close_bfd,
};

FIXTURE_VARIANT_ADD(nth, query) {
	.name = "query", .level = L_READY, .call = call_query,
};

FIXTURE_VARIANT_ADD(nth, enable_multi) {
	.name = "enable_multi", .level = L_NONE, .call = call_enable_multi,
};

FIXTURE_VARIANT_ADD(nth, create_instance) {
	.name = "create_instance", .level = L_NONE, .call = call_create,
};

FIXTURE_VARIANT_ADD(nth, init_noset) {
	.name = "init_noset", .level = L_NONE, .call = call_init_noset,
};

FIXTURE_VARIANT_ADD(nth, init_multiinst) {
	.name = "init_multiinst", .level = L_CREATED, .call = call_init_multi,
};

FIXTURE_VARIANT_ADD(nth, term) {
	.name = "term", .level = L_READY, .call = call_term,
};

FIXTURE_VARIANT_ADD(nth, term_abrupt_with_backup) {
	.name = "term_abrupt_with_backup", .level = L_DBOPEN, .call = call_term_abrupt,
};

FIXTURE_VARIANT_ADD(nth, get_state) {
	.name = "get_state", .level = L_DBOPEN, .call = call_get_state,
};

FIXTURE_VARIANT_ADD(nth, list_instances) {
	.name = "list_instances", .level = L_DBOPEN, .call = call_list,
};

FIXTURE_VARIANT_ADD(nth, list_instances_paged) {
	.name = "list_instances_paged", .level = L_DBOPEN,
	.call = call_list_paged,
};

FIXTURE_VARIANT_ADD(nth, attach_db) {
	.name = "attach_db", .level = L_READY, .call = call_attach_db,
};

FIXTURE_VARIANT_ADD(nth, detach_db_with_lock) {
	.name = "detach_db_with_lock", .level = L_LOCKED, .call = call_detach_db,
};

FIXTURE_VARIANT_ADD(nth, add_log) {
	.name = "add_log", .level = L_READY, .call = call_add_log,
};

FIXTURE_VARIANT_ADD(nth, set_checkpoint) {
	.name = "set_checkpoint", .level = L_READY, .call = call_set_checkpoint,
};

FIXTURE_VARIANT_ADD(nth, set_throttle) {
	.name = "set_throttle", .level = L_READY, .call = call_set_throttle,
};

FIXTURE_VARIANT_ADD(nth, lock_range) {
	.name = "lock_range", .level = L_READY, .call = call_lock_range,
};

FIXTURE_VARIANT_ADD(nth, unlock_range) {
	.name = "unlock_range", .level = L_LOCKED, .call = call_unlock_range,
};

FIXTURE_VARIANT_ADD(nth, pause_backup) {
	.name = "pause_backup", .level = L_DBOPEN, .call = call_pause,
};

FIXTURE_VARIANT_ADD(nth, get_truncate_event) {
	.name = "get_truncate_event", .level = L_EVENT, .call = call_get_truncate_event,
};

FIXTURE_VARIANT_ADD(nth, get_truncate_event_none) {
	.name = "get_truncate_event_none", .level = L_READY, .call = call_get_truncate_event,
};

FIXTURE_VARIANT_ADD(nth, begin_backup) {
	.name = "begin_backup", .level = L_READY, .call = call_begin,
};

FIXTURE_VARIANT_ADD(nth, get_attach_info) {
	.name = "get_attach_info", .level = L_BACKUP, .call = call_get_attach_info,
};

FIXTURE_VARIANT_ADD(nth, open_file_db) {
	.name = "open_file_db", .level = L_BACKUP, .call = call_open_db,
};

FIXTURE_VARIANT_ADD(nth, open_file_log) {
	.name = "open_file_log", .level = L_LOGS, .call = call_open_log,
};

FIXTURE_VARIANT_ADD(nth, log_roll_ask) {
	.name = "log_roll_ask", .level = L_BACKUP, .call = call_log_roll_ask,
};

FIXTURE_VARIANT_ADD(nth, get_log_info_first) {
	.name = "get_log_info_first", .level = L_ROLLED, .call = call_get_log_info,
};

FIXTURE_VARIANT_ADD(nth, get_log_info_again) {
	.name = "get_log_info_again", .level = L_LOGS, .call = call_get_log_info,
};

FIXTURE_VARIANT_ADD(nth, get_truncate_log_info) {
	.name = "get_truncate_log_info", .level = L_LOGS, .call = call_get_truncate_log_info,
};

FIXTURE_VARIANT_ADD(nth, truncate_log) {
	.name = "truncate_log", .level = L_COPIED, .call = call_truncate_log,
};

FIXTURE_VARIANT_ADD(nth, end_backup_normal) {
	.name = "end_backup_normal", .level = L_LOGS, .call = call_end_normal,
};

FIXTURE_VARIANT_ADD(nth, end_backup_abort_with_open_file) {
	.name = "end_backup_abort_with_open_file", .level = L_DBOPEN, .call = call_end_abort,
};

FIXTURE_VARIANT_ADD(nth, stop_backup) {
	.name = "stop_backup", .level = L_DBOPEN, .call = call_stop_backup,
};

FIXTURE_VARIANT_ADD(nth, stop_service_all) {
	.name = "stop_service_all", .level = L_DBOPEN, .call = call_stop_service_all,
};

FIXTURE_VARIANT_ADD(nth, stop_service_bits) {
	.name = "stop_service_bits", .level = L_READY, .call = call_stop_service_bits,
};

FIXTURE_VARIANT_ADD(nth, file_info) {
	.name = "file_info", .level = L_DBOPEN, .call = call_file_info,
};

FIXTURE_VARIANT_ADD(nth, read_a_page) {
	.name = "read_a_page", .level = L_DBOPEN, .call = call_read_page,
};

FIXTURE_VARIANT_ADD(nth, read_whole_db) {
	.name = "read_whole_db", .level = L_DBOPEN, .call = call_read_all,
};

FIXTURE_VARIANT_ADD(nth, read_log_to_end) {
	.name = "read_log_to_end", .level = L_LOGOPEN, .call = call_read_all,
};

FIXTURE_VARIANT_ADD(nth, pread) {
	.name = "pread", .level = L_DBOPEN, .call = call_pread,
};

FIXTURE_VARIANT_ADD(nth, splice_to_pipe) {
	.name = "splice_to_pipe", .level = L_DBOPEN, .call = call_splice,
};

FIXTURE_VARIANT_ADD(nth, sendfile_to_dev_null) {
	.name = "sendfile_to_dev_null", .level = L_DBOPEN, .call = call_sendfile_null,
	.short_ok = true,
};

FIXTURE_VARIANT_ADD(nth, sendfile_to_pipe) {
	.name = "sendfile_to_pipe", .level = L_DBOPEN, .call = call_sendfile_pipe,
	.short_ok = true,
};

static int make_files(struct files *fl)
{
	static const size_t db_sizes[2] = { DB_SIZE, DB2_SIZE };
	int i, ret;

	strcpy(fl->dir, "/tmp/jt-nth-XXXXXX");
	if (!mkdtemp(fl->dir))
		return -errno;
	for (i = 0; i < 2; i++) {
		snprintf(fl->db[i], sizeof(fl->db[i]), "%s/db%d.edb", fl->dir,
			 i + 1);
		ret = jt_make_file(fl->db[i], db_sizes[i], i + 1);
		if (ret)
			return ret;
	}
	for (i = 0; i < NLOGS; i++) {
		snprintf(fl->log[i], sizeof(fl->log[i]), "%s/edb%05X.log",
			 fl->dir, i + 1);
		ret = jt_make_file(fl->log[i], LOG_SIZE, 10 + i);
		if (ret)
			return ret;
	}
	snprintf(fl->roll_pattern, sizeof(fl->roll_pattern),
		 "%s/roll%%05lX.log", fl->dir);
	return 0;
}

static void remove_files(struct files *fl)
{
	char rolled[96];
	int i;

	for (i = 0; i < 2; i++)
		unlink(fl->db[i]);

	for (i = 0; i < NLOGS; i++)
		unlink(fl->log[i]);
	snprintf(rolled, sizeof(rolled), fl->roll_pattern, 3UL);
	unlink(rolled);
	rmdir(fl->dir);
}

/* Faults the pages of some stack now, so no call faults them in later. */
static void touch_stack(void)
{
	char pad[256 * 1024];

	memset(pad, 0, sizeof(pad));
	/* the compiler must not drop the memset */
	__asm__ __volatile__("" : : "r" (pad) : "memory");
}

FIXTURE_SETUP(nth)
{
	self->nth_fd = -1;
	if (geteuid()) {
		snprintf(self->why, sizeof(self->why), "needs root");
		return;
	}
	if (access(NTH_PROC, F_OK)) {
		const char *dry = getenv("JET_FAIL_NTH_DRY");

		/*
		 * JET_FAIL_NTH_DRY=1: without fault injection, still check
		 * that each call's world is built the same every time and
		 * that a clean call gives the clean result.
		 */
		if (dry && *dry == '1') {
			ASSERT_EQ(0, make_files(&self->fl));
			return;
		}
		snprintf(self->why, sizeof(self->why),
			 "no %s: kernel without CONFIG_FAULT_INJECTION",
			 NTH_PROC);
		return;
	}
	ASSERT_EQ(0, make_files(&self->fl));
	/* only fail-nth injects faults into this thread */
	ASSERT_EQ(0, write_text(MAKE_IT_FAIL, "0"));
	self->nth_fd = open(NTH_PROC, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	ASSERT_EQ(0, nth_arm(self->nth_fd, 0));
	/*
	 * A page fault of ours between arming and reading fail-nth back
	 * could take the fault meant for the call: none may happen.
	 */
	memset(rbuf, 0, sizeof(rbuf));
	touch_stack();
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	/* last: nothing fails after it, so the teardown restores them */
	knobs_set(self->save, self->why, sizeof(self->why), self->notes,
		  sizeof(self->notes));
}

FIXTURE_TEARDOWN(nth)
{
	if (self->nth_fd >= 0) {
		nth_arm(self->nth_fd, 0);
		close(self->nth_fd);
	}
	knobs_restore(self->save);
	if (self->fl.dir[0])
		remove_files(&self->fl);
}

/* Builds the world, or fails the test saying why. */
static bool setup(struct __test_metadata *_metadata, struct world *w,
		  int level, unsigned int n)
{
	const char *step = "";
	int ret = world_setup(w, level, &step);

	if (ret) {
		TH_LOG("N=%u: setting up failed at \"%s\": %d (%s)", n, step,
		       ret, strerror(-ret));
		return false;
	}
	return true;
}

/* One sweep: the clean run, and what the runs with a fault gave. */
struct sweep {
	const struct files *fl;
	const char *inst_name;
	int level;
	call_fn call;
	bool short_ok;
	struct snap ref_pre, ref_post, pre, post;
	long ref_ret;
	uint64_t ref_out;
	unsigned int points, failed, coped;
	char trace[1024];	/* what each N gave: errno name or "ok" */
	size_t trace_len;
};

static void trace(struct sweep *sw, unsigned int n, long ret)
{
	const char *what = ret >= 0 ? "ok" : strerrorname_np(-ret);

	if (sw->trace_len < sizeof(sw->trace))
		sw->trace_len += snprintf(sw->trace + sw->trace_len,
					  sizeof(sw->trace) - sw->trace_len,
					  " %u:%s", n, what ?: "?");
}

/* The call left the clean run's result and state (ret, out, post)? */
static bool as_clean(struct __test_metadata *_metadata, struct sweep *sw,
		     unsigned int n, const char *what, long ret, uint64_t out)
{
	if (ret == sw->ref_ret && out == sw->ref_out &&
	    snap_same(&sw->post, &sw->ref_post))
		return true;
	TH_LOG("N=%u: %s: returned %ld (clean run: %ld)%s%s", n, what, ret,
	       sw->ref_ret, out != sw->ref_out ? ", another output" : "",
	       snap_same(&sw->post, &sw->ref_post) ? "" :
	       ", another state:");
	snap_diff(_metadata, "clean", &sw->ref_post, "got", &sw->post);
	return false;
}

/*
 * Runs the call with its Nth fault site failing, in a fresh world.
 * Returns 1 when the fault fired and the call failed, 2 when it fired and
 * the call coped, 0 when it did not fire (fewer sites), -1 on a finding
 * (already logged).
 */
static int sweep_one(struct __test_metadata *_metadata, struct sweep *sw,
		     int nth_fd, unsigned int n)
{
	uint64_t out = 0;
	struct world w;
	int fired, verdict = 1;
	long ret;

	world_init(&w, sw->fl, sw->inst_name);
	if (!setup(_metadata, &w, sw->level, n)) {
		world_teardown(&w);
		return -1;
	}
	snap_take(&w, &sw->pre);
	if (!snap_same(&sw->pre, &sw->ref_pre)) {
		/* not the clean run's world: what an earlier N left? */
		TH_LOG("N=%u: before the call, the world is not the clean run's",
		       n);
		snap_diff(_metadata, "clean", &sw->ref_pre, "now", &sw->pre);
		world_teardown(&w);
		return -1;
	}

	if (nth_fd < 0) {
		/* dry: no fault injection */
		ret = sw->call(&w, &out);
		fired = 0;
	} else {
		if (nth_arm(nth_fd, n)) {
			TH_LOG("N=%u: cannot arm fail-nth: %s", n,
			       strerror(errno));
			world_teardown(&w);
			return -1;
		}
		ret = sw->call(&w, &out);
		fired = nth_fired(nth_fd);
	}
	snap_take(&w, &sw->post);

	if (fired < 0) {
		TH_LOG("N=%u: reading fail-nth back: %s", n, strerror(-fired));
		verdict = -1;
	} else if (!fired) {
		/* fewer than N fault sites: the clean run again */
		verdict = as_clean(_metadata, sw, n, "no fault", ret, out) ?
			  0 : -1;
	} else if (ret > 0 && ret < sw->ref_ret && sw->short_ok) {
		/* a shorter transfer: what it moved, it reports */
		trace(sw, n, ret);
		sw->coped++;
		verdict = 2;
	} else if (ret >= 0) {
		/* the kernel coped with the fault: all done, nothing half */
		trace(sw, n, ret);
		sw->coped++;
		verdict = 2;
		if (!as_clean(_metadata, sw, n, "success after a fault", ret,
			      out))
			verdict = -1;
	} else {
		trace(sw, n, ret);
		sw->failed++;
		if (ret != -ENOMEM && ret != -EFAULT) {
			TH_LOG("N=%u: the fault made it fail with %ld (%s), not -ENOMEM or -EFAULT",
			       n, ret, strerror(-ret));
			verdict = -1;
		}
		if (!snap_same(&sw->pre, &sw->post)) {
			TH_LOG("N=%u: it failed with %ld (%s) but changed the state:",
			       n, ret, strerror(-ret));
			snap_diff(_metadata, "before", &sw->pre, "after",
				  &sw->post);
			verdict = -1;
		}
		/* nothing left behind: the same call now works as clean */
		out = 0;
		ret = sw->call(&w, &out);
		snap_take(&w, &sw->post);
		if (!as_clean(_metadata, sw, n, "the call again, no fault",
			      ret, out))
			verdict = -1;
	}
	world_teardown(&w);
	return verdict;
}

TEST_F_TIMEOUT(nth, every_fault_fails_cleanly_and_leaves_nothing, 1800)
{
	struct sweep *sw = calloc(1, sizeof(*sw));
	uint64_t t0 = jt_now_ns();
	char inst_name[96];
	struct world w;
	unsigned int n, misses;
	int verdict = 0;
	bool again;

	if (self->why[0])
		SKIP(return, "%s", self->why);
	if (self->notes[0])
		TH_LOG("not set (those faults are not injected):%s",
		       self->notes);
	ASSERT_NE(NULL, sw);
	/* one name per call swept: a leaked instance stays in its test */
	snprintf(inst_name, sizeof(inst_name), "jt-nth-%d", getpid());
	sw->fl = &self->fl;
	sw->inst_name = inst_name;
	sw->level = variant->level;
	sw->short_ok = variant->short_ok;
	sw->call = variant->call;

	/* the clean run every other is compared with */
	world_init(&w, sw->fl, inst_name);
	ASSERT_TRUE(setup(_metadata, &w, sw->level, 0));
	snap_take(&w, &sw->ref_pre);
	sw->ref_ret = sw->call(&w, &sw->ref_out);
	snap_take(&w, &sw->ref_post);
	world_teardown(&w);
	ASSERT_LE(0, sw->ref_ret)
		TH_LOG("without a fault the call fails: %ld (%s)",
		       sw->ref_ret, strerror(-sw->ref_ret));

	/*
	 * The sites of a call vary a little from run to run (a slab that
	 * needs a new page, KASAN saving a stack): only a few misses in a row
	 * end the sweep, and an N the call coped with runs once more, in
	 * case another site took the place of the one after it.
	 */
	for (n = 1, misses = 0, again = false;
	     n < NTH_MAX && misses < NTH_MISSES; n++) {
		verdict = sweep_one(_metadata, sw, self->nth_fd, n);
		if (verdict && !again)
			sw->points++;
		if (verdict < 0 || self->nth_fd < 0)
			break;	/* a finding; or dry: nothing fires */
		misses = verdict ? 0 : misses + 1;
		again = verdict == 2 && !again;
		if (again)
			n--;
	}
	TH_LOG("%s: %u fault points; with a fault %u runs failed, %u coped (%.1f s)",
	       variant->name, sw->points, sw->failed, sw->coped,
	       (jt_now_ns() - t0) / 1e9);
	if (sw->trace_len)
		TH_LOG("  N:result%s", sw->trace);
	EXPECT_GT(NTH_MAX, n) TH_LOG("still faulting after %u fault sites", n);
	EXPECT_LE(0, verdict);
	if (totals) {
		__atomic_add_fetch(&totals->calls, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&totals->points, sw->points,
				   __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&totals->failed, sw->failed,
				   __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&totals->coped, sw->coped, __ATOMIC_SEQ_CST);
	}
	free(sw);
}

/* Declared after nth, so it runs after every sweep. */
FIXTURE(summary) {
	int unused;
};

FIXTURE_SETUP(summary)
{
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, total_fault_points)
{
	if (!totals || !totals->calls)
		SKIP(return, "no call was swept (no fault injection here)");
	TH_LOG("total: %u calls swept, %u fault points; with a fault %u runs failed cleanly, %u coped",
	       totals->calls, totals->points, totals->failed, totals->coped);
}

TEST_HARNESS_MAIN
