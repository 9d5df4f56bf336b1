// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded, seeded fuzzer for /dev/jet (SPEC section 9: no input, in any
 * order, from any number of processes, may crash, hang, leak or corrupt the
 * kernel).
 *
 * FUZZ_WORKERS processes (one of them an unprivileged user) each run random
 * sequences of every ioctl, with sensible arguments most of the time (so
 * backups get deep: begin, open, read, log info, truncate, end) and with
 * boundary and garbage ones otherwise: zero, -1 and huge handles and sizes,
 * random flags and grbits, stale handles and descriptors, NULL, unmapped
 * and kernel pointers, strings running into an unmapped page. Between them
 * come read, pread, readv, poll, splice, sendfile, lseek and close on the
 * backup descriptors, stops, service stops and terms, and agents forked off
 * (sharing the parent's contexts) that exit or are killed mid-way. The
 * workers share instance names and handles, so they collide on purpose;
 * a "backup flow" operation runs a whole backup with valid arguments, so
 * the deep states are reached often, and stops at a random step.
 *
 * The sequence mode (the second test) goes deeper: each worker runs whole
 * backups in the order a real owner and agent call them (create, init,
 * attach, add logs, checkpoint, begin, attach info, open, read, log info,
 * open and read the logs, truncate info, truncate, end, term), an owner
 * context and an agent context apart, with an owner thread that answers the
 * owner's log roll requests and reads its truncation events; now and then one call gets a bad argument (a flipped
 * byte, a bad pointer, the wrong context), an injected allocation failure
 * (fail-nth, on kernels with fault injection) or a disruption before it (a
 * stop, a service stop, pause, throttle, a range lock, a closed file, a
 * term). So most calls get past the first checks; the opens and reads that
 * succeeded are counted and printed.
 *
 * Every blocking call is bounded: an interval timer interrupts it. The test
 * passes when no process died unexpectedly, no ioctl returned an errno
 * outside the uapi's tables (a kernel-internal one, say), every process
 * finished before the watchdog's deadline, and once all of them are gone no
 * instance is left.
 *
 * env: JET_SEED (the run's seed, printed), JET_FUZZ_SECONDS (default 20,
 * each mode).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ucontext.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif
#ifndef __noreturn
#define __noreturn	__attribute__((noreturn))
#endif

#define FUZZ_WORKERS	4
#define UNPRIV_UID	65534	/* the last worker runs as nobody */
#define DEFAULT_SECONDS	20
#define MAX_CTX		4
#define MAX_BFD		12
#define MAX_HANDLES	32
#define MAX_LOCKS	8
#define MAX_KIDS	2
#define SHARED_HANDLES	64
#define NNAMES		6
#define NDBS		4
#define NLOGS		4
#define SCRATCH		(1u << 20)
#define TICK_US		20000	/* the interval timer: bounds blocking calls */
#define MSGS		16

enum op {
	OP_OPEN_CTX, OP_CLOSE_CTX, OP_DUP_CTX, OP_QUERY, OP_ENABLE_MULTI,
	OP_CREATE, OP_INIT, OP_TERM, OP_GET_STATE, OP_LIST, OP_ATTACH,
	OP_DETACH, OP_ADD_LOG, OP_SET_CHECKPOINT, OP_SET_THROTTLE, OP_LOCK,
	OP_UNLOCK, OP_PAUSE, OP_GET_EVENT, OP_BEGIN, OP_ATTACH_INFO,
	OP_OPEN_FILE, OP_LOG_INFO, OP_TRUNC_INFO, OP_TRUNCATE, OP_END,
	OP_STOP, OP_STOP_SERVICE, OP_RAW_IOCTL, OP_FILE_INFO, OP_READ,
	OP_PREAD, OP_READV, OP_POLL, OP_SPLICE, OP_SENDFILE, OP_LSEEK,
	OP_CLOSE_BFD, OP_FORK_AGENT, OP_REAP_AGENT, OP_FLOW,
	NOPS
};

static const struct {
	const char *name;
	unsigned int weight;
} ops[NOPS] = {
	[OP_OPEN_CTX] = { "open", 2 },
	[OP_CLOSE_CTX] = { "close", 1 },
	[OP_DUP_CTX] = { "dup", 1 },
	[OP_QUERY] = { "query", 2 },
	[OP_ENABLE_MULTI] = { "enable_multi", 3 },
	[OP_CREATE] = { "create", 8 },
	[OP_INIT] = { "init", 8 },
	[OP_TERM] = { "term", 3 },
	[OP_GET_STATE] = { "get_state", 4 },
	[OP_LIST] = { "list", 3 },
	[OP_ATTACH] = { "attach", 8 },
	[OP_DETACH] = { "detach", 3 },
	[OP_ADD_LOG] = { "add_log", 6 },
	[OP_SET_CHECKPOINT] = { "set_checkpoint", 3 },
	[OP_SET_THROTTLE] = { "set_throttle", 2 },
	[OP_LOCK] = { "lock_range", 4 },
	[OP_UNLOCK] = { "unlock_range", 4 },
	[OP_PAUSE] = { "pause", 3 },
	[OP_GET_EVENT] = { "get_truncate_event", 3 },
	[OP_BEGIN] = { "begin", 10 },
	[OP_ATTACH_INFO] = { "attach_info", 6 },
	[OP_OPEN_FILE] = { "open_file", 12 },
	[OP_LOG_INFO] = { "log_info", 6 },
	[OP_TRUNC_INFO] = { "truncate_info", 3 },
	[OP_TRUNCATE] = { "truncate", 4 },
	[OP_END] = { "end", 5 },
	[OP_STOP] = { "stop", 3 },
	[OP_STOP_SERVICE] = { "stop_service", 2 },
	[OP_RAW_IOCTL] = { "raw_ioctl", 6 },
	[OP_FILE_INFO] = { "file_info", 3 },
	[OP_READ] = { "read", 12 },
	[OP_PREAD] = { "pread", 6 },
	[OP_READV] = { "readv", 3 },
	[OP_POLL] = { "poll", 4 },
	[OP_SPLICE] = { "splice", 4 },
	[OP_SENDFILE] = { "sendfile", 4 },
	[OP_LSEEK] = { "lseek", 2 },
	[OP_CLOSE_BFD] = { "close_file", 6 },
	[OP_FORK_AGENT] = { "fork", 1 },
	[OP_REAP_AGENT] = { "reap", 2 },
	[OP_FLOW] = { "backup_flow", 4 },
};

/* The steps of the sequence mode, in the order a backup makes them. */
enum seq_step {
	SQ_CREATE, SQ_INIT, SQ_ATTACH, SQ_ADD_LOG, SQ_CHECKPOINT, SQ_BEGIN,
	SQ_ATTACH_INFO, SQ_OPEN_DB, SQ_READ_DB, SQ_LOG_INFO, SQ_OPEN_LOG,
	SQ_READ_LOG, SQ_TRUNC_INFO, SQ_TRUNCATE, SQ_END, SQ_TERM,
	NSTEPS
};

static const char *const seq_names[NSTEPS] = {
	"create", "init", "attach", "add_log", "checkpoint", "begin",
	"attach_info", "open_db", "read_db", "log_info", "open_log",
	"read_log", "truncate_info", "truncate", "end", "term",
};

/* Shared by every process of the run (MAP_SHARED). */
struct shared {
	uint64_t handles[SHARED_HANDLES];	/* instances anyone created */
	uint32_t next_handle;
	uint64_t calls[NOPS], oks[NOPS];
	uint32_t errs[NOPS][134];		/* failures by errno */
	uint64_t agents, agents_killed;
	uint32_t bad;				/* problems found */
	uint32_t nmsgs;
	char msgs[MSGS][200];
	char dir[64];
	char names[NNAMES][64];
	char dbs[NDBS][96];
	char logs[NLOGS][96];
	/* the sequence mode */
	uint64_t seq_calls[NSTEPS], seq_oks[NSTEPS];
	uint64_t seqs, seqs_ended, opens_ok, reads_ok, read_bytes;
	uint64_t bad_args, faults, disruptions, log_info_waits, events, rolls;
};

/* One process's own view. */
struct fz {
	struct shared *sh;
	uint64_t rng;
	uint64_t deadline;
	bool agent;		/* a forked agent: forks no further */
	int worker;
	int ctx[MAX_CTX];
	int nctx;
	struct href {
		uint64_t h;
		int ctx;	/* where it came from (the fd may be reused) */
	} handles[MAX_HANDLES];
	int nhandles;
	int bfd[MAX_BFD];
	int nbfd;
	uint64_t locks[MAX_LOCKS];
	int nlocks;
	pid_t kids[MAX_KIDS];
	bool killed[MAX_KIDS];	/* we sent it SIGKILL */
	int nkids;
	int src[NDBS + NLOGS];	/* the pool files, open for reading */
	int bad_src[4];		/* a directory, a pipe, write-only, /dev/jet */
	int pipe_r, pipe_w, devnull;
	char *scratch;		/* SCRATCH bytes, then an unmapped page */
	char *guard;
	char *long_name, *long_path;
	int nth_fd;		/* /proc/thread-self/fail-nth, or -1 */
};

/* The timer's signal only interrupts what blocks. */
static void on_tick(int sig)
{
	(void)sig;
}

/*
 * A worker that crashes says where (the address, and the instruction
 * pointer to look up with addr2line in the unstripped binary), then dies
 * of the same signal.
 */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char line[96];
	int len;

	len = snprintf(line, sizeof(line),
		       "# worker %d: signal %d at %p, ip %#llx\n",
		       (int)getpid(), sig, si->si_addr,
		       (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
	(void)!write(2, line, len);
	raise(sig);
}

/* ---- randomness ---- */

static uint64_t rnd(struct fz *f)
{
	uint64_t x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(struct fz *f, uint32_t n)
{
	return n ? (uint32_t)(rnd(f) % n) : 0;
}

/* true with probability pct percent */
static bool chance(struct fz *f, unsigned int pct)
{
	return below(f, 100) < pct;
}

static uint64_t mix_seed(uint64_t seed, uint64_t salt)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull;

	x ^= x >> 31;
	return x ? x : 0x1234567;
}

/* ---- reporting from any process ---- */

static void note(struct fz *f, const char *fmt, ...) __printf(2, 3);

static void note(struct fz *f, const char *fmt, ...)
{
	char msg[sizeof(f->sh->msgs[0])];
	uint32_t i, n;
	va_list ap;

	__atomic_add_fetch(&f->sh->bad, 1, __ATOMIC_SEQ_CST);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the first few different ones are enough */
	n = __atomic_load_n(&f->sh->nmsgs, __ATOMIC_SEQ_CST);
	for (i = 0; i < n && i < MSGS; i++)
		if (!strcmp(f->sh->msgs[i], msg))
			return;
	i = __atomic_fetch_add(&f->sh->nmsgs, 1, __ATOMIC_SEQ_CST);
	if (i < MSGS)
		memcpy(f->sh->msgs[i], msg, sizeof(msg));
}

/* ---- errnos ---- */

/* What an ioctl may fail with: the uapi's tables, a signal, EAGAIN. */
static const int jet_errnos[] = {
#define JET_ERRNO_OF(name, value, err) err,
	JET_ERRNO_TABLE(JET_ERRNO_OF)
	JET_ERRNO_ALIASES(JET_ERRNO_OF)
#undef JET_ERRNO_OF
	EINTR, EAGAIN, EOVERFLOW,
};

static bool jet_errno_ok[512];

static void errnos_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(jet_errnos); i++)
		jet_errno_ok[jet_errnos[i]] = true;
}

/* The bookkeeping of an ioctl's result ret (0 or -errno). */
static long jet_result(struct fz *f, int op, unsigned long cmd, long ret)
{
	if (!ret && cmd == JET_IOC_OPEN_FILE)
		__atomic_add_fetch(&f->sh->opens_ok, 1, __ATOMIC_RELAXED);
	if (ret < 0 && (-ret >= 512 || !jet_errno_ok[-ret]))
		note(f, "%s: cmd %#lx failed with errno %ld (%s): not in the uapi tables",
		     ops[op].name, cmd, -ret, strerror(-ret));
	return ret;
}

/* An ioctl on a descriptor known to be /dev/jet or a backup file. */
static long jet_call(struct fz *f, int op, int fd, unsigned long cmd,
		     void *arg)
{
	return jet_result(f, op, cmd, ioctl(fd, cmd, arg) < 0 ? -errno : 0);
}

/* A system call on a backup file: no kernel-internal errno may show. */
static long sys_check(struct fz *f, int op, long ret)
{
	if (ret > 0 && op != OP_POLL && op != OP_LSEEK) {
		/* a read, pread, readv, splice or sendfile that copied */
		__atomic_add_fetch(&f->sh->reads_ok, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&f->sh->read_bytes, ret, __ATOMIC_RELAXED);
	}
	if (ret < 0) {
		ret = -errno;
		if (-ret >= 512)
			note(f, "%s: kernel-internal errno %ld", ops[op].name,
			     -ret);
	}
	return ret;
}

/* ---- picking things ---- */

static int pick_ctx(struct fz *f)
{
	int fd;

	if (f->nctx && !chance(f, 3))
		return f->ctx[below(f, f->nctx)];
	if (f->nctx < MAX_CTX && chance(f, 70)) {
		fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			f->ctx[f->nctx++] = fd;
			return fd;
		}
	}
	/* something that is no context */
	switch (below(f, 3)) {
	case 0:
		return f->nbfd ? f->bfd[below(f, f->nbfd)] : -1;
	case 1:
		return f->src[below(f, NDBS + NLOGS)];
	default:
		return -1;
	}
}

static bool is_ctx(struct fz *f, int fd)
{
	int i;

	for (i = 0; i < f->nctx; i++)
		if (f->ctx[i] == fd)
			return true;
	return false;
}

static bool is_bfd(struct fz *f, int fd)
{
	int i;

	for (i = 0; i < f->nbfd; i++)
		if (f->bfd[i] == fd)
			return true;
	return false;
}

static void add_handle(struct fz *f, uint64_t h, int ctx)
{
	struct href r = { .h = h, .ctx = ctx };
	uint32_t slot;
	int i;

	for (i = 0; i < f->nhandles; i++)
		if (f->handles[i].h == h)
			return;

	if (f->nhandles < MAX_HANDLES)
		f->handles[f->nhandles++] = r;
	else
		f->handles[below(f, MAX_HANDLES)] = r;
	slot = __atomic_fetch_add(&f->sh->next_handle, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&f->sh->handles[slot % SHARED_HANDLES], h,
			 __ATOMIC_SEQ_CST);
}

/* Forgets the instances of a closed context (or, with h, one instance). */
static void drop_handles(struct fz *f, int ctx, uint64_t h)
{
	int i;

	for (i = 0; i < f->nhandles; i++) {
		if (h ? f->handles[i].h != h : f->handles[i].ctx != ctx)
			continue;
		f->handles[i--] = f->handles[--f->nhandles];
	}
}

static uint64_t pick_handle(struct fz *f)
{
	uint64_t h;

	switch (below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return ~0ull;
	case 2:
		return UINT32_MAX;
	case 3:
		return (uint64_t)UINT32_MAX + 1 + below(f, 4);
	case 4:
		return rnd(f);
	case 5:
	case 6:
		return 1 + below(f, 4000);
	case 7:
	case 8:
	case 9:
		h = __atomic_load_n(&f->sh->handles[below(f, SHARED_HANDLES)],
				    __ATOMIC_SEQ_CST);
		if (h)
			return h;
		/* fall through */
	default:
		if (!f->nhandles)
			return 1 + below(f, 64);
		/* the newest ones most */
		if (chance(f, 50))
			return f->handles[f->nhandles - 1].h;
		return f->handles[below(f, f->nhandles)].h;
	}
}

/*
 * The context and instance of a call: mostly an instance this process made
 * with the context that made it, so that backups get somewhere.
 */
static int pick_target(struct fz *f, __u64 *h)
{
	struct href *r;

	if (!f->nhandles || chance(f, 25)) {
		*h = pick_handle(f);
		return pick_ctx(f);
	}
	r = chance(f, 50) ? &f->handles[f->nhandles - 1] :
			    &f->handles[below(f, f->nhandles)];
	*h = r->h;
	if (is_ctx(f, r->ctx) && chance(f, 85))
		return r->ctx;
	return pick_ctx(f);
}

static int pick_db(struct fz *f)
{
	return chance(f, 70) ? below(f, 2) : below(f, NDBS);
}

static uint32_t pick_bits(struct fz *f, uint32_t valid)
{
	switch (below(f, 10)) {
	case 0:
		return (uint32_t)rnd(f);
	case 1:
		return 1u << below(f, 32);
	case 2:
	case 3:
		return 0;
	default:
		return (uint32_t)rnd(f) & valid;
	}
}

static uint64_t pick_u64(struct fz *f)
{
	static const uint64_t edges[] = {
		0, 1, 2, 3, 7, 8, 4095, 4096, 65536, 262144, 1ull << 20,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, INT64_MAX,
		(uint64_t)INT64_MAX + 1, ~0ull, ~0ull - 1,
	};

	if (chance(f, 60))
		return edges[below(f, ARRAY_SIZE(edges))];
	if (chance(f, 50))
		return below(f, 1u << 20);
	return rnd(f);
}

/* A pointer the kernel must reject: NULL, low, unmapped, kernel. */
static void *bad_ptr(struct fz *f)
{
	switch (below(f, 5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)(1 + below(f, 4095));
	case 2:
		return f->guard;
	case 3:
		return (void *)0xffffffff81000000ul;
	default:
		return (void *)(uintptr_t)(rnd(f) | (1ull << 63));
	}
}

/* A string without its NUL before the unmapped page. */
static char *unterminated(struct fz *f, const char *s)
{
	size_t n = strlen(s);

	memcpy(f->guard - n, s, n);
	return f->guard - n;
}

static uint64_t pick_name(struct fz *f)
{
	struct shared *sh = f->sh;
	char *p;

	switch (below(f, 16)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)"";
	case 2:
		return (uintptr_t)f->long_name;
	case 3:
		return (uintptr_t)"bad\tname";
	case 4:
		return (uintptr_t)bad_ptr(f);
	case 5:
		return (uintptr_t)unterminated(f, sh->names[0]);
	case 6:
		/* a fresh name now and then */
		p = f->scratch + below(f, 64) * 32;
		snprintf(p, 32, "jt-fuzz-r%08x", (uint32_t)rnd(f));
		return (uintptr_t)p;
	default:
		return (uintptr_t)sh->names[below(f, NNAMES)];
	}
}

static uint64_t pick_path(struct fz *f, bool db)
{
	struct shared *sh = f->sh;

	switch (below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)"";
	case 2:
		return (uintptr_t)f->long_path;
	case 3:
		return (uintptr_t)bad_ptr(f);
	case 4:
		return (uintptr_t)unterminated(f, sh->dbs[0]);
	case 5:
		return (uintptr_t)"/nonexistent/jet";
	case 6:
	case 7:
		/* the other kind */
		return db ? (uintptr_t)sh->logs[below(f, NLOGS)] :
			    (uintptr_t)sh->dbs[below(f, NDBS)];
	default:
		return db ? (uintptr_t)sh->dbs[below(f, NDBS)] :
			    (uintptr_t)sh->logs[below(f, NLOGS)];
	}
}

/* A descriptor to hand over as a database or log. */
static int pick_src(struct fz *f, bool db, int index)
{
	switch (below(f, 12)) {
	case 0:
		return f->bad_src[below(f, 4)];
	case 1:
		return -1;
	case 2:
		return 1000 + below(f, 100);	/* not open */
	case 3:
		return f->nbfd ? f->bfd[below(f, f->nbfd)] : -1;
	case 4:
		return f->src[below(f, NDBS + NLOGS)];
	default:
		return f->src[db ? index : NDBS + index];
	}
}

/*
 * An output buffer of size bytes: whatever the kernel writes there stays
 * inside the scratch area or runs into the unmapped page after it.
 */
static void *pick_out(struct fz *f, uint64_t size)
{
	if (chance(f, 8))
		return bad_ptr(f);
	if (size >= SCRATCH)
		return f->scratch;
	if (chance(f, 50))
		return f->guard - size;
	return f->scratch + below(f, SCRATCH - size + 1);
}

static uint32_t pick_size(struct fz *f)
{
	static const uint32_t edges[] = {
		0, 1, 2, 7, 8, 100, 4095, 4096, 4097, 65536, 262144,
		262145, SCRATCH, UINT32_MAX,
	};

	if (chance(f, 50))
		return edges[below(f, ARRAY_SIZE(edges))];
	return below(f, 400000);
}

/* The argument's address: mostly arg itself, else a bad one. */
static void *arg_ptr(struct fz *f, void *arg, size_t size)
{
	if (!chance(f, 6))
		return arg;
	if (chance(f, 50)) {
		/* the struct's last bytes in the unmapped page */
		char *p = f->guard - size + 1 + below(f, size - 1);

		memcpy(p, arg, f->guard - p);
		return p;
	}
	return bad_ptr(f);
}

static int pick_bfd(struct fz *f)
{
	if (f->nbfd && !chance(f, 5))
		return f->bfd[below(f, f->nbfd)];
	switch (below(f, 3)) {
	case 0:
		return f->nctx ? f->ctx[0] : -1;
	case 1:
		return 999;
	default:
		return -1;
	}
}

static void forget_fd(int *tab, int *n, int fd)
{
	int i;

	for (i = 0; i < *n; i++) {
		if (tab[i] == fd) {
			tab[i] = tab[--*n];
			return;
		}
	}
}

static void drain_pipe(struct fz *f)
{
	while (read(f->pipe_r, f->scratch, 65536) > 0)
		;
}

/* ---- the operations ---- */

static long do_open_ctx(struct fz *f)
{
	int flags = chance(f, 80) ? O_RDWR : (chance(f, 50) ? O_RDONLY :
					       O_WRONLY);
	int fd;

	if (f->nctx >= MAX_CTX) {
		fd = f->ctx[0];
		forget_fd(f->ctx, &f->nctx, fd);
		drop_handles(f, fd, 0);
		close(fd);
	}
	fd = open(JET_DEV, flags | O_CLOEXEC | (chance(f, 20) ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	f->ctx[f->nctx++] = fd;
	return 0;
}

static long do_close_ctx(struct fz *f)
{
	int fd;

	if (!f->nctx)
		return -EBADF;
	fd = f->ctx[below(f, f->nctx)];
	forget_fd(f->ctx, &f->nctx, fd);
	drop_handles(f, fd, 0);
	return close(fd) ? -errno : 0;
}

/* A second descriptor of the same context; one of the two goes later. */
static long do_dup_ctx(struct fz *f)
{
	int fd;

	if (!f->nctx || f->nctx >= MAX_CTX)
		return -EBADF;
	fd = fcntl(f->ctx[below(f, f->nctx)], F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	f->ctx[f->nctx++] = fd;
	return 0;
}

static long do_query(struct fz *f)
{
	struct jet_query q;
	int fd = pick_ctx(f);

	return jet_call(f, OP_QUERY, fd, JET_IOC_QUERY,
			arg_ptr(f, &q, sizeof(q)));
}

static long do_enable_multi(struct fz *f)
{
	struct jet_enable_multi em = { 0 };
	int fd = pick_ctx(f);

	if (chance(f, 10))
		em.flags = pick_bits(f, 0);
	if (chance(f, 5))
		em.padding = 1;
	return jet_call(f, OP_ENABLE_MULTI, fd, JET_IOC_ENABLE_MULTI,
			arg_ptr(f, &em, sizeof(em)));
}

static long do_create(struct fz *f)
{
	struct jet_create c = { 0 };
	int fd = pick_ctx(f);
	void *p;
	long ret;

	c.name = pick_name(f);
	c.display_name = chance(f, 50) ? pick_name(f) : 0;
	if (chance(f, 5))
		c.grbit = pick_bits(f, 0);
	if (chance(f, 3))
		c.padding = 1;
	p = arg_ptr(f, &c, sizeof(c));
	ret = jet_call(f, OP_CREATE, fd, JET_IOC_CREATE_INSTANCE, p);
	if (!ret && p == &c)
		add_handle(f, c.instance, fd);
	return ret;
}

static long do_init(struct fz *f)
{
	struct jet_init in = { 0 };
	int fd = pick_target(f, &in.instance);
	void *p;
	long ret;

	in.flags = pick_bits(f, JET_INIT_NO_HANDLE);
	if (chance(f, 3))
		in.padding = (uint32_t)rnd(f);
	p = arg_ptr(f, &in, sizeof(in));
	ret = jet_call(f, OP_INIT, fd, JET_IOC_INIT, p);
	if (!ret && p == &in)
		add_handle(f, in.instance, fd);
	return ret;
}

static long do_term(struct fz *f)
{
	struct jet_term t = { 0 };
	int fd = pick_target(f, &t.instance);
	long ret;

	t.grbit = pick_bits(f, JET_TERM_ALL);
	if (chance(f, 3))
		t.padding = 1;
	ret = jet_call(f, OP_TERM, fd, JET_IOC_TERM, arg_ptr(f, &t, sizeof(t)));
	if (!ret)
		drop_handles(f, -1, t.instance);
	return ret;
}

static long do_get_state(struct fz *f)
{
	struct jet_get_state g = { 0 };
	int fd = pick_target(f, &g.instance);

	return jet_call(f, OP_GET_STATE, fd, JET_IOC_GET_STATE,
			arg_ptr(f, &g, sizeof(g)));
}

static long do_list(struct fz *f)
{
	struct jet_list l = { 0 };
	int fd = pick_ctx(f);

	l.buf_size = pick_size(f);
	l.buf = (uintptr_t)pick_out(f, l.buf_size);
	if (chance(f, 3))
		l.padding = 1;
	return jet_call(f, OP_LIST, fd, JET_IOC_LIST_INSTANCES,
			arg_ptr(f, &l, sizeof(l)));
}

static long do_attach(struct fz *f, bool detach)
{
	struct jet_attach a = { 0 };
	int fd = pick_target(f, &a.instance), i = pick_db(f);

	a.name = chance(f, 90) ? (uintptr_t)f->sh->dbs[i] : pick_path(f, true);
	a.fd = detach ? (chance(f, 95) ? -1 : pick_src(f, true, i)) :
			pick_src(f, true, i);
	if (chance(f, 4))
		a.flags = pick_bits(f, 0);
	return jet_call(f, detach ? OP_DETACH : OP_ATTACH, fd,
			detach ? JET_IOC_DETACH_DB : JET_IOC_ATTACH_DB,
			arg_ptr(f, &a, sizeof(a)));
}

static long do_add_log(struct fz *f)
{
	struct jet_add_log l = { 0 };
	int fd = pick_target(f, &l.instance), i = below(f, NLOGS);

	l.name = chance(f, 90) ? (uintptr_t)f->sh->logs[i] :
				 pick_path(f, false);
	l.generation = chance(f, 80) ? (uint64_t)i + 1 + below(f, 2) :
				       pick_u64(f);
	l.fd = pick_src(f, false, i);
	if (chance(f, 4))
		l.flags = pick_bits(f, 0);
	return jet_call(f, OP_ADD_LOG, fd, JET_IOC_ADD_LOG,
			arg_ptr(f, &l, sizeof(l)));
}

static long do_instance_u64(struct fz *f, int op, unsigned long cmd,
			    uint64_t value)
{
	struct jet_instance_u64 u = { 0 };
	int fd = pick_target(f, &u.instance);

	u.value = value;
	return jet_call(f, op, fd, cmd, arg_ptr(f, &u, sizeof(u)));
}

static long do_lock(struct fz *f)
{
	struct jet_lock_range l = { 0 };
	int fd = pick_target(f, &l.instance);
	void *p;
	long ret;

	l.name = chance(f, 90) ? (uintptr_t)f->sh->dbs[pick_db(f)] :
				 pick_path(f, true);
	l.offset = chance(f, 70) ? below(f, 400000) : pick_u64(f);
	l.length = chance(f, 70) ? 1 + below(f, 300000) : pick_u64(f);
	p = arg_ptr(f, &l, sizeof(l));
	ret = jet_call(f, OP_LOCK, fd, JET_IOC_LOCK_RANGE, p);
	if (!ret && p == &l) {
		if (f->nlocks < MAX_LOCKS)
			f->locks[f->nlocks++] = l.lock;
		else
			f->locks[below(f, MAX_LOCKS)] = l.lock;
	}
	return ret;
}

static long do_unlock(struct fz *f)
{
	uint64_t lock;
	int i;

	if (f->nlocks && chance(f, 85)) {
		i = below(f, f->nlocks);
		lock = f->locks[i];
		f->locks[i] = f->locks[--f->nlocks];
	} else {
		lock = pick_u64(f);
	}
	return do_instance_u64(f, OP_UNLOCK, JET_IOC_UNLOCK_RANGE, lock);
}

static long do_instance_op(struct fz *f, int op, unsigned long cmd,
			   uint32_t grbit, uint32_t flags)
{
	struct jet_instance_op o = { 0 };
	int fd = pick_target(f, &o.instance);

	o.grbit = grbit;
	o.flags = flags;
	return jet_call(f, op, fd, cmd, arg_ptr(f, &o, sizeof(o)));
}

static long do_get_event(struct fz *f)
{
	struct jet_truncate_event te;
	int fd = pick_ctx(f);

	return jet_call(f, OP_GET_EVENT, fd, JET_IOC_GET_TRUNCATE_EVENT,
			arg_ptr(f, &te, sizeof(te)));
}

static long do_name_list(struct fz *f, int op, unsigned long cmd)
{
	struct jet_name_list n = { 0 };
	int fd = pick_target(f, &n.instance);

	n.buf_size = chance(f, 70) ? 4096 : pick_size(f);
	n.buf = (uintptr_t)pick_out(f, n.buf_size);
	return jet_call(f, op, fd, cmd, arg_ptr(f, &n, sizeof(n)));
}

static long do_open_file(struct fz *f)
{
	struct jet_open_file o = { 0 };
	int fd = pick_target(f, &o.instance);
	void *p;
	long ret;

	if (chance(f, 50))
		o.name = (uintptr_t)f->sh->dbs[pick_db(f)];
	else if (chance(f, 80))
		o.name = (uintptr_t)f->sh->logs[below(f, NLOGS)];
	else
		o.name = pick_path(f, chance(f, 50));
	o.flags = chance(f, 70) ? pick_bits(f, JET_OPEN_NONBLOCK) :
				  JET_OPEN_NONBLOCK;
	if (f->nbfd >= MAX_BFD) {
		int old = f->bfd[below(f, f->nbfd)];

		forget_fd(f->bfd, &f->nbfd, old);
		close(old);
	}
	p = arg_ptr(f, &o, sizeof(o));
	ret = jet_call(f, OP_OPEN_FILE, fd, JET_IOC_OPEN_FILE, p);
	if (!ret && p == &o)
		f->bfd[f->nbfd++] = o.fd;
	return ret;
}

/*
 * Any command number, direction and size, with a garbage argument, on a
 * context or a backup file. Only jet's magic number and its neighbours: the
 * VFS's own commands (freezing a filesystem, setting file flags) are not
 * ours to fuzz.
 */
static long do_raw_ioctl(struct fz *f)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned int nr = below(f, 0x48), size, i, type = JET_IOC_MAGIC;
	int fd = chance(f, 80) ? pick_ctx(f) : pick_bfd(f);
	unsigned long cmd;
	uint64_t *w;
	char *arg;

	if (!is_ctx(f, fd) && !is_bfd(f, fd))
		fd = -1;
	if (chance(f, 5))
		type += chance(f, 50) ? 1 : -1;
	size = chance(f, 50) ? 8 * below(f, 6) : below(f, 1u << 14);
	cmd = _IOC(dirs[below(f, 4)], type, nr, size);
	arg = f->guard - ((size + 7) & ~7u);
	/* no word may point at mapped memory: small numbers or kernel space */
	for (w = (uint64_t *)arg, i = 0; i < (size + 7) / 8; i++)
		w[i] = chance(f, 60) ? below(f, 256) : (rnd(f) | (1ull << 63));
	if (chance(f, 5))
		arg = bad_ptr(f);
	return jet_call(f, OP_RAW_IOCTL, fd, cmd, arg);
}

static long do_file_info(struct fz *f)
{
	struct jet_file_info fi;
	int fd = pick_bfd(f);

	if (!is_bfd(f, fd) && !is_ctx(f, fd))
		return -EBADF;
	return jet_call(f, OP_FILE_INFO, fd, JET_FILE_IOC_INFO,
			arg_ptr(f, &fi, sizeof(fi)));
}

static off_t pick_off(struct fz *f)
{
	if (chance(f, 60))
		return below(f, 300001);
	if (chance(f, 50))
		return -(off_t)below(f, 3) - 1;
	return (off_t)(pick_u64(f) & INT64_MAX);
}

static long do_read(struct fz *f, int op)
{
	int fd = pick_bfd(f);
	size_t len = pick_size(f);
	void *buf = pick_out(f, len);
	struct iovec iov[3];
	size_t each;
	int i, n;

	switch (op) {
	case OP_READ:
		return sys_check(f, op, read(fd, buf, len));
	case OP_PREAD:
		return sys_check(f, op, pread(fd, buf, len, pick_off(f)));
	default:
		n = 1 + below(f, 3);
		each = len / n;
		for (i = 0; i < n; i++) {
			iov[i].iov_len = each;
			iov[i].iov_base = pick_out(f, each);
		}
		return sys_check(f, op, readv(fd, iov, n));
	}
}

static long do_poll(struct fz *f)
{
	struct pollfd p[4];
	int i, n = 1 + below(f, 4);

	for (i = 0; i < n; i++) {
		p[i].fd = chance(f, 70) ? pick_bfd(f) : pick_ctx(f);
		p[i].events = chance(f, 80) ? POLLIN : (short)rnd(f);
		p[i].revents = 0;
	}
	return sys_check(f, OP_POLL, poll(p, n, below(f, 6)));
}

static long do_splice(struct fz *f)
{
	loff_t off = pick_off(f);
	loff_t *poff = chance(f, 50) ? NULL :
		       (chance(f, 90) ? &off : bad_ptr(f));
	unsigned int flags = chance(f, 50) ? SPLICE_F_NONBLOCK : 0;
	long ret;

	ret = sys_check(f, OP_SPLICE, splice(pick_bfd(f), poff, f->pipe_w,
					     NULL, pick_size(f), flags));
	drain_pipe(f);
	return ret;
}

static long do_sendfile(struct fz *f)
{
	off_t off = pick_off(f);
	off_t *poff = chance(f, 50) ? NULL : (chance(f, 90) ? &off :
					       bad_ptr(f));
	int out = chance(f, 50) ? f->devnull : f->pipe_w;
	long ret;

	ret = sys_check(f, OP_SENDFILE, sendfile(out, pick_bfd(f), poff,
						 pick_size(f)));
	drain_pipe(f);
	return ret;
}

static long do_lseek(struct fz *f)
{
	static const int whence[] = {
		SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 42,
	};

	return sys_check(f, OP_LSEEK, lseek(pick_bfd(f), pick_off(f),
					    whence[below(f, 6)]));
}

static long do_close_bfd(struct fz *f)
{
	int fd;

	if (!f->nbfd)
		return -EBADF;
	fd = f->bfd[below(f, f->nbfd)];
	forget_fd(f->bfd, &f->nbfd, fd);
	return close(fd) ? -errno : 0;
}

static void run(struct fz *f, uint64_t max_ops);

static void start_ticks(void)
{
	struct itimerval it = {
		.it_interval = { 0, TICK_US },
		.it_value = { 0, TICK_US },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * An agent sharing this process's contexts and files: it runs a while and
 * exits, cleanly or not, unless it is killed first.
 */
static long do_fork_agent(struct fz *f)
{
	pid_t pid;

	if (f->agent || f->nkids >= MAX_KIDS)
		return -EAGAIN;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		f->agent = true;
		f->nkids = 0;
		f->rng = mix_seed(f->rng, 0xa6e47);
		start_ticks();
		run(f, 1 + below(f, 300));
		if (chance(f, 50))
			_exit(0);	/* the kernel closes everything */
		while (f->nbfd)
			do_close_bfd(f);
		while (f->nctx)
			do_close_ctx(f);
		_exit(0);
	}
	f->killed[f->nkids] = false;
	f->kids[f->nkids++] = pid;
	__atomic_add_fetch(&f->sh->agents, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* An agent ended with status: only an exit(0) or our SIGKILL are fine. */
static void agent_ended(struct fz *f, int i, int status)
{
	pid_t pid = f->kids[i];
	bool killed = f->killed[i];

	f->kids[i] = f->kids[--f->nkids];
	f->killed[i] = f->killed[f->nkids];
	if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		__atomic_add_fetch(&f->sh->agents_killed, 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		note(f, "worker %d: agent %d ended with status %#x", f->worker,
		     pid, status);
}

/* Waits for agent i (the timer's signals interrupt waitpid). */
static void reap(struct fz *f, int i, bool kill_it)
{
	int status;

	if (kill_it) {
		kill(f->kids[i], SIGKILL);
		f->killed[i] = true;
	}
	while (waitpid(f->kids[i], &status, 0) < 0)
		if (errno != EINTR)
			return;
	agent_ended(f, i, status);
}

static long do_reap_agent(struct fz *f)
{
	int i, status;

	if (!f->nkids)
		return -ECHILD;
	i = below(f, f->nkids);
	if (chance(f, 50))
		reap(f, i, true);
	else if (waitpid(f->kids[i], &status, WNOHANG) == f->kids[i])
		agent_ended(f, i, status);
	return 0;
}

/* Keeps a backup file for the random calls; 0 or -errno. */
static int keep_bfd(struct fz *f, int fd)
{
	if (f->nbfd >= MAX_BFD) {
		close(fd);
		return -EMFILE;
	}
	f->bfd[f->nbfd++] = fd;
	return 0;
}

/*
 * A step of a backup flow: false (stop here) when it failed, or now and
 * then, to leave what was made so far to the random calls.
 */
static bool flow_goes_on(struct fz *f, long ret, int *steps)
{
	if (ret < 0 || chance(f, 7))
		return false;
	++*steps;
	return true;
}

/*
 * The calls of a whole backup with valid arguments, from creating the
 * instance to ending the backup, in one context; it stops at a random step
 * and leaves what it made to the random calls (and the other processes).
 * Returns the steps done, or the error of the step that failed.
 */
static long do_flow(struct fz *f)
{
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_instance_u64 u = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_name_list n = { 0 };
	struct jet_log_list ll = { .flags = JET_LOGS_NO_WAIT };
	struct jet_truncate_event te;
	int ctx, i, fd, steps = 0;
	char name[32], roll_pattern[64], rolled[64];
	uint64_t inst;
	long ret;

	if (f->nctx >= MAX_CTX || chance(f, 30)) {
		if (!f->nctx)
			return -EBADF;
		ctx = f->ctx[below(f, f->nctx)];
	} else {
		ret = do_open_ctx(f);
		if (ret)
			return ret;
		ctx = f->ctx[f->nctx - 1];
	}
	if (chance(f, 40)) {
		snprintf(name, sizeof(name), "jt-fuzz-f%08x", (uint32_t)rnd(f));
		c.name = (uintptr_t)name;
	} else if (chance(f, 50)) {
		c.name = (uintptr_t)f->sh->names[below(f, NNAMES)];
	}
	if (chance(f, 20)) {
		/* JetInit in NoSet: the context's one instance */
		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_INIT, &in);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
		inst = in.instance;
	} else {
		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_CREATE_INSTANCE, &c);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
		inst = c.instance;
		add_handle(f, inst, ctx);
		in.instance = inst;
		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_INIT, &in);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
	}
	add_handle(f, inst, ctx);
	for (i = 0; i < 2; i++) {
		struct jet_attach a = {
			.instance = inst,
			.name = (uintptr_t)f->sh->dbs[i + 1],
			.fd = f->src[i + 1],
		};

		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_ATTACH_DB, &a);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
	}
	for (i = 0; i < 2; i++) {
		struct jet_add_log l = {
			.instance = inst,
			.name = (uintptr_t)f->sh->logs[i],
			.generation = i + 1,
			.fd = f->src[NDBS + i],
		};

		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_ADD_LOG, &l);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
	}
	u.instance = inst;
	u.value = 1;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_SET_CHECKPOINT, &u);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	op.instance = inst;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_BEGIN_BACKUP, &op);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	n.instance = inst;
	n.buf = (uintptr_t)f->scratch;
	n.buf_size = 4096;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_GET_ATTACH_INFO, &n);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	for (i = 0; i < 2; i++) {
		struct jet_open_file o = {
			.instance = inst,
			.name = (uintptr_t)f->sh->dbs[i + 1],
			.flags = chance(f, 50) ? JET_OPEN_NONBLOCK : 0,
		};

		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_OPEN_FILE, &o);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
		fd = o.fd;
		ret = sys_check(f, OP_FLOW, read(fd, f->scratch, 65536));
		/* now and then left open: then log info fails */
		if (ret < 0 || chance(f, 40)) {
			keep_bfd(f, fd);
			goto out;
		}
		close(fd);
	}
	/* the roll: asked without waiting, answered by this owner context */
	ll.instance = inst;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_LOG_LIST, &ll);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	snprintf(roll_pattern, sizeof(roll_pattern),
		 "/tmp/jt-fuzz-roll-%d.%%05lX.log", (int)getpid());
	ret = (int)jt_answer_rolls(ctx, roll_pattern, 4096);
	if (!flow_goes_on(f, ret < 0 ? ret : 0, &steps))
		goto out;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_GET_LOG_INFO, &n);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	snprintf(rolled, sizeof(rolled), roll_pattern, 3UL);
	for (i = 0; i < 3; i++) {
		struct jet_open_file o = {
			.instance = inst,
			.name = i < 2 ? (uintptr_t)f->sh->logs[i] :
				(uintptr_t)rolled,
		};

		ret = jet_call(f, OP_FLOW, ctx, JET_IOC_OPEN_FILE, &o);
		if (!flow_goes_on(f, ret, &steps))
			goto out;
		fd = o.fd;
		do {
			ret = sys_check(f, OP_FLOW,
					read(fd, f->scratch, SCRATCH));
		} while (ret > 0 || ret == -EINTR);
		if (chance(f, 20)) {
			keep_bfd(f, fd);
			goto out;
		}
		close(fd);
	}
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_GET_TRUNCATE_LOG_INFO, &n);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_TRUNCATE_LOG, &op);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	op.grbit = JET_END_NORMAL | (chance(f, 50) ? JET_END_TRUNCATE_DONE : 0);
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_END_BACKUP, &op);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_GET_TRUNCATE_EVENT, &te);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	/* an incremental after the full one */
	op.grbit = JET_BACKUP_INCREMENTAL;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_BEGIN_BACKUP, &op);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_LOG_LIST, &ll);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	ret = (int)jt_answer_rolls(ctx, roll_pattern, 4096);
	if (!flow_goes_on(f, ret < 0 ? ret : 0, &steps))
		goto out;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_GET_LOG_INFO, &n);
	if (!flow_goes_on(f, ret, &steps))
		goto out;
	op.grbit = JET_END_ABORT;
	ret = jet_call(f, OP_FLOW, ctx, JET_IOC_END_BACKUP, &op);
	flow_goes_on(f, ret, &steps);
out:
	return ret < 0 ? ret : steps;
}

static long do_op(struct fz *f, int op)
{
	switch (op) {
	case OP_OPEN_CTX:
		return do_open_ctx(f);
	case OP_CLOSE_CTX:
		return do_close_ctx(f);
	case OP_DUP_CTX:
		return do_dup_ctx(f);
	case OP_QUERY:
		return do_query(f);
	case OP_ENABLE_MULTI:
		return do_enable_multi(f);
	case OP_CREATE:
		return do_create(f);
	case OP_INIT:
		return do_init(f);
	case OP_TERM:
		return do_term(f);
	case OP_GET_STATE:
		return do_get_state(f);
	case OP_LIST:
		return do_list(f);
	case OP_ATTACH:
		return do_attach(f, false);
	case OP_DETACH:
		return do_attach(f, true);
	case OP_ADD_LOG:
		return do_add_log(f);
	case OP_SET_CHECKPOINT:
		return do_instance_u64(f, op, JET_IOC_SET_CHECKPOINT,
				       chance(f, 80) ? below(f, 6) :
						       pick_u64(f));
	case OP_SET_THROTTLE:
		/* mostly none or fast: slow rates only block (and get cut) */
		return do_instance_u64(f, op, JET_IOC_SET_THROTTLE,
				       chance(f, 60) ? 0 :
				       chance(f, 70) ? 1u << 20 : pick_u64(f));
	case OP_LOCK:
		return do_lock(f);
	case OP_UNLOCK:
		return do_unlock(f);
	case OP_PAUSE:
		return do_instance_op(f, op, JET_IOC_PAUSE_BACKUP,
				      chance(f, 60) ? 0 : pick_bits(f, 1),
				      pick_bits(f, 0));
	case OP_GET_EVENT:
		return do_get_event(f);
	case OP_BEGIN:
		return do_instance_op(f, op, JET_IOC_BEGIN_BACKUP,
				      pick_bits(f, JET_BACKUP_ALL),
				      chance(f, 95) ? 0 : pick_bits(f, 0));
	case OP_ATTACH_INFO:
		return do_name_list(f, op, JET_IOC_GET_ATTACH_INFO);
	case OP_OPEN_FILE:
		return do_open_file(f);
	case OP_LOG_INFO:
		return do_name_list(f, op, JET_IOC_GET_LOG_INFO);
	case OP_TRUNC_INFO:
		return do_name_list(f, op, JET_IOC_GET_TRUNCATE_LOG_INFO);
	case OP_TRUNCATE:
		return do_instance_op(f, op, JET_IOC_TRUNCATE_LOG,
				      chance(f, 95) ? 0 : pick_bits(f, 0),
				      chance(f, 95) ? 0 : pick_bits(f, 0));
	case OP_END:
		return do_instance_op(f, op, JET_IOC_END_BACKUP,
				      chance(f, 80) ?
				      (chance(f, 70) ? JET_END_NORMAL :
						       JET_END_ABORT) |
				      (chance(f, 30) ? JET_END_TRUNCATE_DONE : 0) :
				      pick_bits(f, JET_END_ALL), 0);
	case OP_STOP:
		return do_instance_op(f, op, JET_IOC_STOP_BACKUP,
				      chance(f, 95) ? 0 : pick_bits(f, 0),
				      pick_bits(f, JET_OP_LEGACY));
	case OP_STOP_SERVICE:
		return do_instance_op(f, op, JET_IOC_STOP_SERVICE,
				      chance(f, 60) ?
				      pick_bits(f, JET_SERVICE_MASK & ~JET_SERVICE_RESUME) :
				      chance(f, 50) ? JET_SERVICE_RESUME :
						      pick_bits(f, JET_SERVICE_MASK),
				      pick_bits(f, JET_OP_LEGACY));
	case OP_RAW_IOCTL:
		return do_raw_ioctl(f);
	case OP_FILE_INFO:
		return do_file_info(f);
	case OP_READ:
	case OP_PREAD:
	case OP_READV:
		return do_read(f, op);
	case OP_POLL:
		return do_poll(f);
	case OP_SPLICE:
		return do_splice(f);
	case OP_SENDFILE:
		return do_sendfile(f);
	case OP_LSEEK:
		return do_lseek(f);
	case OP_CLOSE_BFD:
		return do_close_bfd(f);
	case OP_FORK_AGENT:
		return do_fork_agent(f);
	case OP_REAP_AGENT:
		return do_reap_agent(f);
	case OP_FLOW:
		return do_flow(f);
	}
	return -EINVAL;
}

static bool on_backup_file(int op)
{
	switch (op) {
	case OP_FILE_INFO: case OP_READ: case OP_PREAD: case OP_READV:
	case OP_SPLICE: case OP_SENDFILE: case OP_LSEEK: case OP_CLOSE_BFD:
		return true;
	}
	return false;
}

static int pick_op(struct fz *f)
{
	static unsigned int total;
	unsigned int w, i, tries;

	if (!total)
		for (i = 0; i < NOPS; i++)
			total += ops[i].weight;
	for (tries = 0; tries < 3; tries++) {
		w = below(f, total);
		for (i = 0; i < NOPS; i++) {
			if (w < ops[i].weight)
				break;
			w -= ops[i].weight;
		}
		/* without backup files, their calls are mostly moot */
		if (f->nbfd || !on_backup_file(i) || chance(f, 30))
			return i;
	}
	return OP_FLOW;
}

static void run(struct fz *f, uint64_t max_ops)
{
	uint64_t n;

	for (n = 0; n < max_ops && jt_now_ns() < f->deadline; n++) {
		int op = pick_op(f);
		long ret = do_op(f, op);

		__atomic_add_fetch(&f->sh->calls[op], 1, __ATOMIC_RELAXED);
		if (ret >= 0)
			__atomic_add_fetch(&f->sh->oks[op], 1,
					   __ATOMIC_RELAXED);
		else if (-ret < 134)
			__atomic_add_fetch(&f->sh->errs[op][-ret], 1,
					   __ATOMIC_RELAXED);
	}
}

/* ---- the sequence mode ---- */

/* One backup's way through its steps, an owner and an agent apart. */
struct seq {
	struct fz *f;
	int owner, agent;	/* contexts */
	uint64_t inst;
	int bfd[2];		/* the open databases', then logs' files */
	volatile bool quit;	/* tells the owner thread to go */
};

/*
 * A roll request answered as a database server does: the log it writes
 * closed as the next generation (a fresh file, unlinked once registered:
 * the instance holds it) and registered on the owner's context.
 */
static void seq_answer_rolls(struct seq *s)
{
	struct fz *f = s->f;
	struct jet_roll_request rr;
	char path[160];

	for (;;) {
		struct jet_add_log l = { 0 };
		int fd;

		memset(&rr, 0, sizeof(rr));
		if (ioctl(s->owner, JET_IOC_GET_ROLL_REQUEST, &rr) || !rr.instance)
			return;
		snprintf(path, sizeof(path), "%s/roll-%d-%llu-%llu.log",
			 f->sh->dir, getpid(), (unsigned long long)rr.instance,
			 (unsigned long long)rr.gen_above + 1);
		if (jt_make_file(path, 8192, (uint32_t)rr.gen_above))
			return;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		unlink(path);
		if (fd < 0)
			return;
		l.instance = rr.instance;
		l.name = (uintptr_t)path;
		l.generation = rr.gen_above + 1;
		l.fd = fd;
		if (!ioctl(s->owner, JET_IOC_ADD_LOG, &l))
			__atomic_add_fetch(&f->sh->rolls, 1, __ATOMIC_RELAXED);
		close(fd);
	}
}

/*
 * The owner's side while the agent works: its context's roll requests
 * (GetLogInfo waits for them) and truncation events.
 */
static void *seq_owner_thread(void *arg)
{
	struct seq *s = arg;
	struct fz *f = s->f;
	struct jet_truncate_event te;
	struct pollfd p = { .fd = s->owner, .events = POLLIN | POLLPRI };
	sigset_t set;

	/* the interval timer's signals are the agent's */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!s->quit) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		if (p.revents & POLLPRI)
			seq_answer_rolls(s);
		if ((p.revents & POLLIN) &&
		    !ioctl(s->owner, JET_IOC_GET_TRUNCATE_EVENT, &te) &&
		    te.instance)
			__atomic_add_fetch(&f->sh->events, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * The ioctl with an injected failure of the Nth fault site of this thread
 * (fail-nth, where the kernel has it): 0 or -errno, or 1 when no fault
 * could be armed. Nothing but the ioctl runs while it is armed: the
 * worker's memory is locked (no page fault of ours can take the fault) and
 * the timer's signal waits (its frame must not fail); none of the calls
 * made so waits for anything.
 */
static long seq_faulted_ioctl(struct fz *f, int fd, unsigned long cmd,
			      void *arg)
{
	sigset_t alrm, old;
	char buf[8];
	long ret;
	int len;

	if (f->nth_fd < 0)
		return 1;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	len = snprintf(buf, sizeof(buf), "%u", 1 + below(f, 6));
	if (pwrite(f->nth_fd, buf, len, 0) != len) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	ret = ioctl(fd, cmd, arg) < 0 ? -errno : 0;
	/* the fault may be the disarming write's own: then it is disarmed */
	if (pwrite(f->nth_fd, "0", 1, 0) != 1)
		(void)!pwrite(f->nth_fd, "0", 1, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * A disruption before a step, by the owner or the agent: what a real
 * owner does to a running backup, or an agent that gives up on a file.
 */
static void seq_disrupt(struct seq *s)
{
	struct fz *f = s->f;
	struct jet_instance_op op = { .instance = s->inst };
	struct jet_instance_u64 u = { .instance = s->inst };
	struct jet_lock_range l = {
		.instance = s->inst, .name = (uintptr_t)f->sh->dbs[1],
		.offset = below(f, 8192), .length = 1 + below(f, 8192),
	};
	int i;

	__atomic_add_fetch(&f->sh->disruptions, 1, __ATOMIC_RELAXED);
	switch (below(f, 8)) {
	case 0:
		jet_call(f, OP_STOP, s->owner, JET_IOC_STOP_BACKUP, &op);
		break;
	case 1:
		op.grbit = chance(f, 70) ? 1u << below(f, 4) : JET_SERVICE_ALL;
		op.grbit &= JET_SERVICE_MASK;
		jet_call(f, OP_STOP_SERVICE, s->owner, JET_IOC_STOP_SERVICE,
			 &op);
		break;
	case 2:
		op.grbit = 1;
		jet_call(f, OP_PAUSE, s->owner, JET_IOC_PAUSE_BACKUP, &op);
		op.grbit = 0;
		jet_call(f, OP_PAUSE, s->owner, JET_IOC_PAUSE_BACKUP, &op);
		break;
	case 3:
		u.value = chance(f, 50) ? 0 : (1u << 20) + below(f, 1u << 20);
		jet_call(f, OP_SET_THROTTLE, s->owner, JET_IOC_SET_THROTTLE,
			 &u);
		break;
	case 4:
		/* held across the agent's next step, then dropped */
		if (!jet_call(f, OP_LOCK, s->owner, JET_IOC_LOCK_RANGE, &l)) {
			u.value = l.lock;
			jet_call(f, OP_UNLOCK, s->owner, JET_IOC_UNLOCK_RANGE,
				 &u);
		}
		break;
	case 5:
		for (i = 0; i < 2; i++) {
			if (s->bfd[i] >= 0 && chance(f, 50)) {
				close(s->bfd[i]);
				s->bfd[i] = -1;
			}
		}
		break;
	case 6:
		/* the owner terminates its instance under the backup */
		jet_call(f, OP_TERM, s->owner, JET_IOC_TERM,
			 &(struct jet_term){ .instance = s->inst });
		break;
	default:
		u.value = below(f, 4);
		jet_call(f, OP_SET_CHECKPOINT, s->owner,
			 JET_IOC_SET_CHECKPOINT, &u);
		break;
	}
}

/* The steps whose call may wait for the owner (a log roll). */
static bool seq_may_wait(int step)
{
	return step == SQ_ATTACH_INFO || step == SQ_LOG_INFO ||
	       step == SQ_TRUNC_INFO;
}

/*
 * One step's ioctl: mostly as given; now and then with one fault in it
 * (a flipped byte of the argument, a bad pointer, the other context, or an
 * injected allocation failure). The argument's out fields come back in
 * arg either way.
 */
/*
 * A byte of cmd's argument to spoil: any but those of a pointer the kernel
 * writes through (a name list's buffer). A spoiled pointer there may land
 * on this process's own stack or heap, which the kernel then rightly
 * overwrites: the fuzzer would crash itself, not find a bug.
 */
static size_t seq_spoil_at(struct fz *f, unsigned long cmd, size_t size)
{
	size_t off = offsetof(struct jet_name_list, buf), len = 8, i;

	if (cmd != JET_IOC_GET_ATTACH_INFO && cmd != JET_IOC_GET_LOG_INFO &&
	    cmd != JET_IOC_GET_TRUNCATE_LOG_INFO)
		return below(f, size);
	i = below(f, size - len);
	return i < off ? i : i + len;
}

static long seq_call(struct seq *s, int step, int fd, unsigned long cmd,
		     void *arg, size_t size)
{
	struct fz *f = s->f;
	unsigned char copy[64];
	void *p = arg;
	long ret = 1;

	if (chance(f, 4))
		seq_disrupt(s);
	if (chance(f, 8)) {
		__atomic_add_fetch(&f->sh->bad_args, 1, __ATOMIC_RELAXED);
		switch (below(f, 4)) {
		case 0:
			memcpy(copy, arg, size);
			copy[seq_spoil_at(f, cmd, size)] ^= 1u << below(f, 8);
			p = copy;
			break;
		case 1:
			p = bad_ptr(f);
			break;
		case 2:
			fd = fd == s->owner ? s->agent : s->owner;
			break;
		default:
			memcpy(copy, arg, size);
			memset(copy + seq_spoil_at(f, cmd, size), 0xff, 1);
			p = copy;
			break;
		}
	} else if (chance(f, 5) && !seq_may_wait(step)) {
		ret = seq_faulted_ioctl(f, fd, cmd, p);
		if (ret != 1) {
			__atomic_add_fetch(&f->sh->faults, 1, __ATOMIC_RELAXED);
			ret = jet_result(f, OP_FLOW, cmd, ret);
		}
	}
	if (ret == 1)
		ret = jet_call(f, OP_FLOW, fd, cmd, p);
	if (p == copy)
		memcpy(arg, copy, size);
	__atomic_add_fetch(&f->sh->seq_calls[step], 1, __ATOMIC_RELAXED);
	if (!ret)
		__atomic_add_fetch(&f->sh->seq_oks[step], 1, __ATOMIC_RELAXED);
	return ret;
}

/* Reads a backup file to its end (or its failure); the bytes read. */
static long seq_read_all(struct seq *s, int step, int fd)
{
	struct fz *f = s->f;
	long total = 0, n;

	for (;;) {
		n = read(fd, f->scratch, chance(f, 80) ? 65536 : SCRATCH);
		if (n < 0 && errno == EINTR)
			continue;
		__atomic_add_fetch(&f->sh->seq_calls[step], 1, __ATOMIC_RELAXED);
		if (n <= 0)
			break;
		__atomic_add_fetch(&f->sh->seq_oks[step], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&f->sh->reads_ok, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&f->sh->read_bytes, n, __ATOMIC_RELAXED);
		total += n;
	}
	return n < 0 ? -errno : total;
}

/* Opens name for the backup and reads it whole: 0 or -errno. */
static long seq_copy(struct seq *s, int open_step, const char *name)
{
	struct fz *f = s->f;
	struct jet_open_file o = {
		.instance = s->inst,
		.name = (uintptr_t)name,
		.flags = chance(f, 20) ? JET_OPEN_NONBLOCK : 0,
	};
	int slot = open_step == SQ_OPEN_DB ? 0 : 1;
	long ret;

	ret = seq_call(s, open_step, s->agent, JET_IOC_OPEN_FILE, &o,
		       sizeof(o));
	if (ret)
		return ret;
	s->bfd[slot] = o.fd;
	ret = seq_read_all(s, open_step + 1, o.fd);
	if (s->bfd[slot] >= 0) {
		close(s->bfd[slot]);
		s->bfd[slot] = -1;
	}
	return ret < 0 ? ret : 0;
}

/*
 * GetLogInfo: it waits for the owner's thread to answer the log roll; the
 * interval timer cuts the wait, and it is tried again for up to a second.
 */
static long seq_log_info(struct seq *s, int step, unsigned long cmd)
{
	struct jet_name_list n = {
		.instance = s->inst,
		.buf = (uintptr_t)s->f->scratch,
		.buf_size = 4096,
	};
	uint64_t end = jt_now_ns() + 1000000000ull;
	long ret;

	do {
		ret = seq_call(s, step, s->agent, cmd, &n, sizeof(n));
		if (ret == -EINTR)
			__atomic_add_fetch(&s->f->sh->log_info_waits, 1,
					   __ATOMIC_RELAXED);
	} while (ret == -EINTR && jt_now_ns() < end);
	return ret;
}

/* One whole backup; stops at the first step that failed. */
static void seq_once(struct seq *s)
{
	struct fz *f = s->f;
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_instance_u64 u = { 0 };
	struct jet_instance_op op = { 0 };
	struct jet_term t = { 0 };
	char name[32], logs[4096], *p;
	int i;

	snprintf(name, sizeof(name), "jt-seq-%d-%08x", getpid(),
		 (uint32_t)rnd(f));
	c.name = (uintptr_t)name;
	if (seq_call(s, SQ_CREATE, s->owner, JET_IOC_CREATE_INSTANCE, &c,
		     sizeof(c)))
		return;
	s->inst = c.instance;
	in.instance = s->inst;
	if (seq_call(s, SQ_INIT, s->owner, JET_IOC_INIT, &in, sizeof(in)))
		goto term;
	for (i = 0; i < 2; i++) {
		struct jet_attach a = {
			.instance = s->inst,
			.name = (uintptr_t)f->sh->dbs[i + 1],
			.fd = f->src[i + 1],
		};

		if (seq_call(s, SQ_ATTACH, s->owner, JET_IOC_ATTACH_DB, &a,
			     sizeof(a)))
			goto term;
	}
	for (i = 0; i < NLOGS; i++) {
		struct jet_add_log l = {
			.instance = s->inst,
			.name = (uintptr_t)f->sh->logs[i],
			.generation = i + 1,
			.fd = f->src[NDBS + i],
		};

		if (seq_call(s, SQ_ADD_LOG, s->owner, JET_IOC_ADD_LOG, &l,
			     sizeof(l)))
			goto term;
	}
	u.instance = s->inst;
	u.value = 1 + below(f, 2);
	if (seq_call(s, SQ_CHECKPOINT, s->owner, JET_IOC_SET_CHECKPOINT, &u,
		     sizeof(u)))
		goto term;
	op.instance = s->inst;
	if (seq_call(s, SQ_BEGIN, s->agent, JET_IOC_BEGIN_BACKUP, &op,
		     sizeof(op)))
		goto term;
	if (seq_log_info(s, SQ_ATTACH_INFO, JET_IOC_GET_ATTACH_INFO))
		goto end;
	for (i = 0; i < 2; i++)
		if (seq_copy(s, SQ_OPEN_DB, f->sh->dbs[i + 1]))
			goto end;
	if (seq_log_info(s, SQ_LOG_INFO, JET_IOC_GET_LOG_INFO))
		goto end;
	/* every log the list names (the rolled one too), in its order */
	memcpy(logs, f->scratch, sizeof(logs));
	logs[sizeof(logs) - 1] = '\0';
	for (p = logs; *p; p += strlen(p) + 1)
		if (seq_copy(s, SQ_OPEN_LOG, p))
			goto end;
	if (seq_log_info(s, SQ_TRUNC_INFO, JET_IOC_GET_TRUNCATE_LOG_INFO))
		goto end;
	if (seq_call(s, SQ_TRUNCATE, s->agent, JET_IOC_TRUNCATE_LOG, &op,
		     sizeof(op)))
		goto end;
	op.grbit = JET_END_NORMAL;
	if (!seq_call(s, SQ_END, s->agent, JET_IOC_END_BACKUP, &op,
		      sizeof(op))) {
		__atomic_add_fetch(&f->sh->seqs_ended, 1, __ATOMIC_RELAXED);
		goto term;
	}
end:
	op.grbit = JET_END_ABORT;
	seq_call(s, SQ_END, s->agent, JET_IOC_END_BACKUP, &op, sizeof(op));
term:
	for (i = 0; i < 2; i++) {
		if (s->bfd[i] >= 0)
			close(s->bfd[i]);
		s->bfd[i] = -1;
	}
	t.instance = s->inst;
	seq_call(s, SQ_TERM, s->owner, JET_IOC_TERM, &t, sizeof(t));
}

/* A worker of the sequence mode: whole backups until the deadline. */
static void seq_run(struct fz *f)
{
	struct seq s = { .f = f, .bfd = { -1, -1 } };
	pthread_attr_t attr;
	pthread_t owner;

	/* no page fault of ours may take an injected fault */
	if (f->nth_fd >= 0 && mlockall(MCL_CURRENT | MCL_FUTURE)) {
		close(f->nth_fd);
		f->nth_fd = -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);

	while (jt_now_ns() < f->deadline) {
		s.owner = open(JET_DEV, O_RDWR | O_CLOEXEC);
		s.agent = open(JET_DEV, O_RDWR | O_CLOEXEC);
		if (s.owner < 0 || s.agent < 0) {
			note(f, "worker %d: cannot open %s: %s", f->worker,
			     JET_DEV, strerror(errno));
			return;
		}
		s.quit = false;
		if (pthread_create(&owner, &attr, seq_owner_thread, &s)) {
			note(f, "worker %d: no owner thread", f->worker);
			return;
		}
		/* a few backups per pair of contexts, then fresh ones */
		do {
			seq_once(&s);
			__atomic_add_fetch(&f->sh->seqs, 1, __ATOMIC_RELAXED);
		} while (chance(f, 80) && jt_now_ns() < f->deadline);
		s.quit = true;
		pthread_join(owner, NULL);
		/* now and then the contexts go first, the instance with them */
		close(s.agent);
		close(s.owner);
	}
}

/* ---- a worker process ---- */

static char *map_scratch(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, SCRATCH + pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + SCRATCH, pg, PROT_NONE))
		return NULL;
	return p;
}

static void __noreturn worker_main(struct shared *sh, int worker,
				   uint64_t seed, uint64_t deadline,
				   bool sequences)
{
	struct sigaction sa = { .sa_handler = on_tick };
	struct sigaction crash = {
		.sa_sigaction = on_crash,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	struct fz f = { 0 };
	int pfd[2], i;

	sigaction(SIGSEGV, &crash, NULL);
	sigaction(SIGBUS, &crash, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	f.sh = sh;
	f.worker = worker;
	f.rng = mix_seed(seed, worker + 1);
	f.deadline = deadline;
	f.scratch = map_scratch();
	if (!f.scratch)
		_exit(3);
	f.guard = f.scratch + SCRATCH;
	f.long_name = malloc(JET_NAME_MAX + 2);
	f.long_path = malloc(JET_PATH_MAX + 2);
	if (!f.long_name || !f.long_path)
		_exit(3);
	memset(f.long_name, 'n', JET_NAME_MAX + 1);
	f.long_name[JET_NAME_MAX + 1] = '\0';
	memset(f.long_path, 'p', JET_PATH_MAX + 1);
	f.long_path[JET_PATH_MAX + 1] = '\0';
	for (i = 0; i < NDBS; i++)
		f.src[i] = open(sh->dbs[i], O_RDONLY | O_CLOEXEC);
	for (i = 0; i < NLOGS; i++)
		f.src[NDBS + i] = open(sh->logs[i], O_RDONLY | O_CLOEXEC);
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
		_exit(3);
	f.pipe_r = pfd[0];
	f.pipe_w = pfd[1];
	f.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	f.bad_src[0] = open(sh->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f.bad_src[1] = f.pipe_r;
	f.bad_src[2] = open(sh->dbs[0], O_WRONLY | O_CLOEXEC);
	f.bad_src[3] = open(JET_DEV, O_RDWR | O_CLOEXEC);

	/* the last worker is an ordinary user: refusals get their turn */
	if (worker == FUZZ_WORKERS - 1) {
		if (jt_become(UNPRIV_UID, UNPRIV_UID, 0))
			_exit(4);
		/* a change of credentials clears it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: calls get EINTR */
	start_ticks();
	if (sequences) {
		f.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		seq_run(&f);
	} else {
		run(&f, UINT64_MAX);
	}

	/* the agents go, some by force */
	while (f.nkids)
		reap(&f, 0, chance(&f, 50));
	_exit(0);
}

/* ---- the test ---- */

static int list_count(void)
{
	struct jet_list l = { 0 };
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l);
	close(fd);
	if (ret && ret != -ENOBUFS)
		return ret;
	return l.count;
}

/* The instances left, one line each. */
static void log_instances(struct __test_metadata *_metadata)
{
	static char buf[1 << 20];
	struct jet_list l = { .buf = (uintptr_t)buf, .buf_size = sizeof(buf) };
	int fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	uint32_t off = 0, i;

	if (fd < 0 || jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	for (i = 0; i < l.count && i < 20 && off < l.size; i++) {
		struct jet_instance_record *r = (void *)(buf + off);

		TH_LOG("left: instance %llu \"%s\" owner pid %u flags %#x",
		       (unsigned long long)r->state.instance, (char *)(r + 1),
		       r->state.owner_pid, r->state.flags);
		off += r->record_size;
	}
}

/* Where a process that does not finish is stuck. */
static void log_stuck(struct __test_metadata *_metadata, pid_t pid)
{
	char path[64], line[256];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "r");
	if (fp) {
		if (fgets(line, sizeof(line), fp))
			TH_LOG("stuck: %s", line);
		fclose(fp);
	}
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		TH_LOG("  %d: %s", pid, line);
	fclose(fp);
}

/* Every process whose parent is ppid (the agents of a worker). */
static void log_stuck_children(struct __test_metadata *_metadata, pid_t ppid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], line[512], *p;
		pid_t pid = atoi(de->d_name);
		FILE *fp;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		p = fgets(line, sizeof(line), fp) ? strrchr(line, ')') : NULL;
		fclose(fp);
		if (p && atoi(p + 4) == ppid)
			log_stuck(_metadata, pid);
	}
	closedir(d);
}

/* One operation's counts, with its three most frequent errors. */
static void log_op(struct __test_metadata *_metadata, struct shared *sh,
		   int op)
{
	char top[160] = "";
	uint32_t done[3] = { 0 };
	size_t len = 0;
	int k, e, best;

	for (k = 0; k < 3; k++) {
		best = 0;
		for (e = 1; e < 134; e++)
			if (sh->errs[op][e] > sh->errs[op][best] &&
			    e != (int)done[0] && e != (int)done[1])
				best = e;
		if (!best || !sh->errs[op][best])
			break;
		done[k] = best;
		len += snprintf(top + len, sizeof(top) - len, " %s %u",
				strerrorname_np(best) ?: "?",
				sh->errs[op][best]);
	}
	TH_LOG("  %-18s %7llu calls %7llu ok;%s", ops[op].name,
	       (unsigned long long)sh->calls[op],
	       (unsigned long long)sh->oks[op], top);
}

static struct shared *shared_new(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return sh == MAP_FAILED ? NULL : sh;
}

static int make_pool(struct shared *sh)
{
	static const size_t sizes[NDBS] = { 0, 4096, 300000, 70001 };
	int i, ret;

	strcpy(sh->dir, "/tmp/jt-fuzz-XXXXXX");
	if (!mkdtemp(sh->dir))
		return -errno;
	chmod(sh->dir, 0755);
	for (i = 0; i < NNAMES; i++)
		snprintf(sh->names[i], sizeof(sh->names[i]), "jt-fuzz-%d-%d",
			 getpid(), i);
	for (i = 0; i < NDBS; i++) {
		snprintf(sh->dbs[i], sizeof(sh->dbs[i]), "%s/db%d.edb",
			 sh->dir, i);
		ret = jt_make_file(sh->dbs[i], sizes[i], i + 1);
		if (ret)
			return ret;
	}
	for (i = 0; i < NLOGS; i++) {
		snprintf(sh->logs[i], sizeof(sh->logs[i]), "%s/edb%05X.log",
			 sh->dir, i + 1);
		ret = jt_make_file(sh->logs[i], 8192 + 1000 * i, 100 + i);
		if (ret)
			return ret;
	}
	return 0;
}

static void remove_pool(struct shared *sh)
{
	int i;

	for (i = 0; i < NDBS; i++)
		unlink(sh->dbs[i]);
	for (i = 0; i < NLOGS; i++)
		unlink(sh->logs[i]);
	rmdir(sh->dir);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	v = strtoull(s, &end, 0);
	return *end ? def : v;
}

FIXTURE(fuzz) {
	struct shared *sh;
	unsigned int roll_timeout_ms;
};

FIXTURE_SETUP(fuzz)
{
	self->sh = shared_new();
	ASSERT_NE(NULL, self->sh);
	ASSERT_EQ(0, make_pool(self->sh));
	/*
	 * A random log list whose roll nobody answers waits roll_timeout_ms:
	 * short, so that the workers keep calling (the flow answers its own)
	 */
	ASSERT_EQ(0, jt_param_read("roll_timeout_ms", &self->roll_timeout_ms));
	jt_param_write("roll_timeout_ms", 100);
}

FIXTURE_TEARDOWN(fuzz)
{
	jt_param_write("roll_timeout_ms", self->roll_timeout_ms);
	remove_pool(self->sh);
	munmap(self->sh, sizeof(*self->sh));
}

/*
 * The fault attributes that let fail-nth fail the module's GFP_KERNEL
 * allocations (the sequence mode's injected faults), and their old values.
 */
static const char *const fault_knobs[] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
};
static char fault_knobs_old[2][16];

static void fault_knobs_set(bool on)
{
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(fault_knobs); i++) {
		fd = open(fault_knobs[i], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (on) {
			if (read(fd, fault_knobs_old[i],
				 sizeof(fault_knobs_old[i]) - 1) <= 0 ||
			    pwrite(fd, "N", 1, 0) != 1)
				fault_knobs_old[i][0] = '\0';
		} else if (fault_knobs_old[i][0]) {
			(void)!pwrite(fd, fault_knobs_old[i], 1, 0);
		}
		close(fd);
	}
}

static uint64_t seq_total(const struct shared *sh)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < NSTEPS; i++)
		n += sh->seq_calls[i];
	return n;
}

/* Both modes: the workers, the watchdog, the checks and the counts. */
static void fuzz_body(struct __test_metadata *_metadata, struct shared *sh,
		      bool sequences)
{
	uint64_t seed = env_u64("JET_SEED", 0);
	uint64_t secs = env_u64("JET_FUZZ_SECONDS", DEFAULT_SECONDS);
	uint64_t t0, deadline, watchdog, total = 0;
	pid_t pids[FUZZ_WORKERS];
	int status[FUZZ_WORKERS];
	int i, left, start, end;
	bool hung = false;

	if (geteuid())
		SKIP(return, "the fuzzer runs as root (one worker drops it)");
	if (!seed)
		seed = jt_now_ns() ^ getpid();
	TH_LOG("%s: seed %llu (JET_SEED), %llu s (JET_FUZZ_SECONDS), %d processes",
	       sequences ? "sequences" : "random calls",
	       (unsigned long long)seed, (unsigned long long)secs,
	       FUZZ_WORKERS);
	errnos_init();
	start = list_count();
	ASSERT_LE(0, start);
	if (start)
		TH_LOG("%d instances exist before the run", start);
	/* orphaned agents come back to us, to be reaped */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));

	t0 = jt_now_ns();
	deadline = t0 + secs * 1000000000ull;
	/* time for the last calls and the agents' ends, on a slow VM */
	watchdog = deadline + (30 + secs / 4) * 1000000000ull;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < FUZZ_WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			worker_main(sh, i, seed, deadline, sequences);
		status[i] = -1;
	}

	left = FUZZ_WORKERS;
	while (left && jt_now_ns() < watchdog) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);

		if (r <= 0) {
			usleep(10000);
			continue;
		}
		for (i = 0; i < FUZZ_WORKERS; i++) {
			if (pids[i] == r) {
				status[i] = st;
				left--;
			}
		}
	}
	if (left) {
		hung = true;
		for (i = 0; i < FUZZ_WORKERS; i++) {
			if (status[i] != -1)
				continue;
			TH_LOG("worker %d (pid %d) still runs %llu s after the end",
			       i, pids[i],
			       (unsigned long long)((jt_now_ns() - deadline) /
						    1000000000ull));
			log_stuck(_metadata, pids[i]);
			log_stuck_children(_metadata, pids[i]);
			kill(-pids[i], SIGKILL);
			kill(pids[i], SIGKILL);
		}
	}
	/* every worker and orphaned agent; killed ones may take a moment */
	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, 0);

		if (r < 0 && errno == ECHILD)
			break;
		for (i = 0; i < FUZZ_WORKERS; i++)
			if (pids[i] == r)
				status[i] = st;
	}

	EXPECT_FALSE(hung) TH_LOG("a process hung: see its stack above");
	for (i = 0; i < FUZZ_WORKERS; i++) {
		EXPECT_TRUE(WIFEXITED(status[i]) && !WEXITSTATUS(status[i]))
			TH_LOG("worker %d ended with status %#x%s", i,
			       status[i],
			       WIFSIGNALED(status[i]) ? " (a signal)" : "");
	}
	for (i = 0; i < (int)sh->nmsgs && i < MSGS; i++)
		TH_LOG("%s", sh->msgs[i]);
	EXPECT_EQ(0U, sh->bad);

	for (i = 0; i < NOPS; i++)
		total += sh->calls[i];
	if (sequences)
		total = seq_total(sh);
	TH_LOG("%llu operations in %.1f s; %llu agents forked, %llu killed",
	       (unsigned long long)total, (jt_now_ns() - t0) / 1e9,
	       (unsigned long long)sh->agents,
	       (unsigned long long)sh->agents_killed);
	if (sequences) {
		for (i = 0; i < NSTEPS; i++)
			TH_LOG("  %-18s %7llu calls %7llu ok", seq_names[i],
			       (unsigned long long)sh->seq_calls[i],
			       (unsigned long long)sh->seq_oks[i]);
		TH_LOG("%llu backups, %llu ended normally; %llu bad arguments, %llu injected faults, %llu disruptions, %llu log info waits cut, %llu rolls answered, %llu owner events",
		       (unsigned long long)sh->seqs,
		       (unsigned long long)sh->seqs_ended,
		       (unsigned long long)sh->bad_args,
		       (unsigned long long)sh->faults,
		       (unsigned long long)sh->disruptions,
		       (unsigned long long)sh->log_info_waits,
		       (unsigned long long)sh->rolls,
		       (unsigned long long)sh->events);
	} else {
		for (i = 0; i < NOPS; i++)
			log_op(_metadata, sh, i);
	}
	/* one line for the CI summary */
	printf("# fuzz %s: %llu operations, %llu opens ok, %llu reads ok (%llu bytes)\n",
	       sequences ? "sequences" : "random", (unsigned long long)
	       total,
	       (unsigned long long)sh->opens_ok,
	       (unsigned long long)sh->reads_ok,
	       (unsigned long long)sh->read_bytes);

	/* all processes are gone: so are their instances */
	for (i = 0; i < 100; i++) {
		end = list_count();
		if (end == start)
			break;
		usleep(50000);
	}
	EXPECT_EQ(start, end)
		TH_LOG("instances left after every process ended");
	if (end != start)
		log_instances(_metadata);
}

/* The harness's own limit is generous: the watchdog is the real one. */
TEST_F_TIMEOUT(fuzz, random_calls_neither_crash_nor_hang_nor_leak, 7200)
{
	fuzz_body(_metadata, self->sh, false);
}

TEST_F_TIMEOUT(fuzz, valid_sequences_with_faults_neither_crash_nor_hang_nor_leak,
	       7200)
{
	if (geteuid())
		SKIP(return, "the fuzzer runs as root (one worker drops it)");
	fault_knobs_set(true);
	fuzz_body(_metadata, self->sh, true);
	fault_knobs_set(false);
}

TEST_HARNESS_MAIN
