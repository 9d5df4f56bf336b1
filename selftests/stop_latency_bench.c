// SPDX-License-Identifier: GPL-2.0
/*
 * How promptly a stop wakes blocked backup readers
 * (SPEC 7: "the time from the stop call's return to the last woken reader's
 * return must not grow with the file size or the number of other
 * instances").
 *
 * 1, 16 and 256 reader threads block on the owner's write-range lock; one
 * JetStopBackupInstance wakes them. Measured: from the stop call's start
 * (and from its return) to the return of the last reader, lower quartile
 * of the rounds (bench.h); with 1 and with 1000 other instances on the system, and with a
 * 1 MiB and a 1 GiB (sparse) database. The baselines, measured in the same
 * run the same way, round for round alternating with jet: the same number
 * of threads blocked in FUTEX_WAIT on one word woken by one FUTEX_WAKE, and
 * blocked in read(2) on one pipe woken by one write of as many bytes (a pipe
 * wakes its readers one after the other). The rounds run in blocks; each
 * block measures with 1 other instance, adds 999 more, measures again and
 * removes them, so a drift of the host's speed touches both alike.
 *
 * Targets (BENCH lines, bench/bench.h), from the stop call's start: at most
 * 3 times futex with 1 reader; linear or better in readers (each reader
 * from the 16th to the 256th adds at most 1.2 times what one adds to a
 * futex wake-up); 1000 other instances and a 1 GiB file change it by at
 * most 1.2 times. A woken reader records its return and parks on a futex, so
 * no reader's thread exit is counted in another's latency.
 *
 * Every thread runs on CPU 0: under qemu TCG, waking a thread on the other
 * (idle) vCPU costs whatever the host's scheduler takes to run that vCPU's
 * thread, which no kernel code controls and which swamps the figures on a
 * busy host. On one CPU the figures are the kernel's own work: the waking
 * call, the wake-ups and each reader's way out.
 *
 * This process is owner and agent at once (an owner may back up its own
 * instance); the other instances belong to child processes running as other
 * users, since one user may hold only max_instances_per_user of them.
 * Prints tables; exits 0 unless it could not run at all (then 1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/mman.h>

#include "jet_test.h"
#include "bench/bench.h"

#define WAIT_MS		20000
#define SMALL_DB	(1ull << 20)
#define BIG_DB		(1ull << 30)
#define MAX_READERS	256
#define OTHERS		1000
#define OTHERS_PER_UID	250
#define BLOCKS		6
#define ROUNDS		6	/* per block */
#define SAMPLES		(BLOCKS * ROUNDS)

static const int reader_counts[] = { 1, 16, 256 };

/* ---- waiting threads ---- */

enum kind { K_JET, K_FUTEX, K_PIPE };

struct waiter {
	pid_t tid;
	uint32_t in;		/* 1 once it is about to block */
	uint64_t t_done;
	long ret;
	int fd;
	pthread_t thread;
};

static struct {
	int kind;
	uint32_t word;		/* K_FUTEX: 0 until woken */
	int pipe[2];		/* K_PIPE */
	uint32_t ndone;
	uint32_t release;	/* 0 until join_waiters() lets them end */
	struct waiter w[MAX_READERS];
} g;

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	char buf[4096];

	w->tid = syscall(SYS_gettid);
	__atomic_store_n(&w->in, 1, __ATOMIC_SEQ_CST);
	switch (g.kind) {
	case K_JET:
		w->ret = read(w->fd, buf, sizeof(buf)) < 0 ? -errno : 0;
		break;
	case K_FUTEX:
		while (!__atomic_load_n(&g.word, __ATOMIC_SEQ_CST))
			syscall(SYS_futex, &g.word, FUTEX_WAIT, 0, NULL, NULL,
				0);
		w->ret = 0;
		break;
	case K_PIPE:
		w->ret = read(g.pipe[0], buf, 1) == 1 ? 0 : -EIO;
		break;
	}
	w->t_done = jt_now_ns();
	__atomic_add_fetch(&g.ndone, 1, __ATOMIC_SEQ_CST);
	/* parked, not exiting: no reader's exit delays the last return */
	while (!__atomic_load_n(&g.release, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &g.release, FUTEX_WAIT, 0, NULL, NULL, 0);
	return NULL;
}

/* 1 when thread tid of this process sleeps inside syscall nr */
static int sleeps_in(pid_t tid, long nr)
{
	char path[64], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	return strtol(buf, NULL, 10) == nr;
}

/* Starts n waiters of g.kind and waits until they all sleep. */
static int start_waiters(int n)
{
	long nr = g.kind == K_FUTEX ? __NR_futex : __NR_read;
	uint64_t start = jt_now_ns(), end = start + WAIT_MS * 1000000ull;
	pthread_attr_t attr;
	int i;

	g.ndone = 0;
	g.release = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	for (i = 0; i < n; i++) {
		g.w[i].in = 0;
		g.w[i].t_done = 0;
		if (pthread_create(&g.w[i].thread, &attr, waiter_main,
				   &g.w[i])) {
			fprintf(stderr, "pthread_create failed\n");
			exit(1);
		}
	}
	pthread_attr_destroy(&attr);
	for (;;) {
		int asleep = 0, s;

		for (i = 0; i < n; i++) {
			if (!__atomic_load_n(&g.w[i].in, __ATOMIC_SEQ_CST))
				continue;
			s = sleeps_in(g.w[i].tid, nr);
			if (s > 0 || (s < 0 &&
				      jt_now_ns() - start > 300000000ull))
				asleep++;
		}
		if (asleep == n)
			return 0;
		if (jt_now_ns() > end)
			return -1;
		usleep(1000);
	}
}

/* Waits for n waiters; the last one's return time, 0 on a timeout. */
static uint64_t join_waiters(int n)
{
	uint64_t end = jt_now_ns() + WAIT_MS * 1000000ull, last = 0;
	int i;

	while (__atomic_load_n(&g.ndone, __ATOMIC_SEQ_CST) < (uint32_t)n) {
		if (jt_now_ns() > end)
			return 0;
		usleep(100);
	}
	__atomic_store_n(&g.release, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &g.release, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	for (i = 0; i < n; i++) {
		pthread_join(g.w[i].thread, NULL);
		if (g.w[i].t_done > last)
			last = g.w[i].t_done;
	}
	return last;
}

/* ---- one measurement ---- */

struct sample {
	int64_t from_return;	/* ns: waking call's return -> last return */
	int64_t from_start;	/* ns: waking call's start -> last return */
};

struct bench {
	JET_INSTANCE inst;
	char dir[64];
	char db[2][128];	/* small, big */
	int problems;
};

/* One round of jet: n readers blocked on a lock of database db, one stop. */
static int jet_round(struct bench *b, int db, int n, struct sample *s)
{
	unsigned long lo, hi;
	JET_HANDLE h, lock = 0;
	uint64_t size = db ? BIG_DB : SMALL_DB, t0, t1, last;
	long err;
	int i, bad = 0;

	err = JetBeginExternalBackupInstance(b->inst, 0);
	if (!err)
		err = JetLockWriteRangeInstance(b->inst, b->db[db], 0, size,
						&lock);
	for (i = 0; !err && i < n; i++) {
		err = JetOpenFileInstance(b->inst, b->db[db], &h, &lo, &hi);
		g.w[i].fd = (int)h;
	}
	if (err) {
		printf("# setting up a round failed: %s\n", JetErrorName(err));
		return -1;
	}
	g.kind = K_JET;
	if (start_waiters(n)) {
		printf("# the readers did not all block\n");
		return -1;
	}
	t0 = jt_now_ns();
	err = JetStopBackupInstance(b->inst);
	t1 = jt_now_ns();
	last = join_waiters(n);
	if (err || !last) {
		printf("# stop: %s, readers %s\n", JetErrorName(err),
		       last ? "returned" : "still blocked");
		return -1;
	}
	for (i = 0; i < n; i++) {
		bad += g.w[i].ret != -ECANCELED;
		JetCloseFileInstance(b->inst, g.w[i].fd);
	}
	if (bad)
		printf("# %d readers did not get ECANCELED\n", bad);
	JetUnlockWriteRangeInstance(b->inst, lock);
	err = JetEndExternalBackupInstance(b->inst);
	if (err)
		printf("# End after the stop: %s\n", JetErrorName(err));
	s->from_return = (int64_t)(last - t1);
	s->from_start = (int64_t)(last - t0);
	return bad || err ? -1 : 0;
}

/* One round of a baseline: n threads in FUTEX_WAIT or pipe read, one wake. */
static int base_round(int kind, int n, struct sample *s)
{
	static char bytes[MAX_READERS];
	uint64_t t0, t1, last;

	g.kind = kind;
	g.word = 0;
	if (kind == K_PIPE && pipe(g.pipe))
		return -1;
	if (start_waiters(n))
		return -1;
	t0 = jt_now_ns();
	if (kind == K_FUTEX) {
		__atomic_store_n(&g.word, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, &g.word, FUTEX_WAKE, INT_MAX, NULL, NULL,
			0);
	} else if (write(g.pipe[1], bytes, n) != n) {
		return -1;
	}
	t1 = jt_now_ns();
	last = join_waiters(n);
	if (kind == K_PIPE) {
		close(g.pipe[0]);
		close(g.pipe[1]);
	}
	if (!last)
		return -1;
	s->from_return = (int64_t)(last - t1);
	s->from_start = (int64_t)(last - t0);
	return 0;
}

/* ---- other instances, held by children running as other users ---- */

struct others {
	int n;
	pid_t pids[8];
	int npids;
	uint32_t *created;	/* shared: per child, then a done flag */
};

static _Noreturn void other_main(uid_t uid, int count, uint32_t *created,
				 uint32_t *ready)
{
	char name[64];
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (uid && jt_become(uid, uid, 0))
		_exit(1);
	for (i = 0; i < count; i++) {
		JET_INSTANCE inst = 0;

		snprintf(name, sizeof(name), "stop_bench-%d-%d", getpid(), i);
		if (JetCreateInstance(&inst, name) || JetInit(&inst))
			break;
		__atomic_store_n(created, i + 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

/* Adds count instances in children of uids from uid0 on. */
static void others_add(struct others *o, uid_t uid0, int count)
{
	while (count > 0 && o->npids < 8) {
		int k = o->npids, c = count < OTHERS_PER_UID ? count :
				      OTHERS_PER_UID;
		uint64_t end = jt_now_ns() + WAIT_MS * 1000000ull;
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (!pid)
			other_main(uid0 + k, c, &o->created[2 * k],
				   &o->created[2 * k + 1]);
		o->pids[o->npids++] = pid;
		while (!__atomic_load_n(&o->created[2 * k + 1],
					__ATOMIC_SEQ_CST) &&
		       jt_now_ns() < end)
			usleep(1000);
		o->n += __atomic_load_n(&o->created[2 * k], __ATOMIC_SEQ_CST);
		count -= c;
	}
}

/* Ends the children from index first on, and their instances. */
static void others_end(struct others *o, int first)
{
	int i;

	for (i = first; i < o->npids; i++) {
		kill(o->pids[i], SIGKILL);
		waitpid(o->pids[i], NULL, 0);
		o->n -= __atomic_load_n(&o->created[2 * i], __ATOMIC_SEQ_CST);
		o->created[2 * i] = 0;
		o->created[2 * i + 1] = 0;
	}
	if (first < o->npids)
		o->npids = first;
}

/* ---- output ---- */

/* results[config][reader count index] */
enum { C_JET1, C_JET1000, C_JETBIG, C_FUTEX, C_PIPE, C_NR };

static const char *const config_names[C_NR] = {
	"jet, 1 other", "jet, 1000 others", "jet, 1 GiB db", "futex", "pipe",
};

/* the samples of every round, and how many */
static struct {
	double ret[2 * SAMPLES], start[2 * SAMPLES];
	int n;
} samples[C_NR][3];

/* the lower quartiles (bench.h), NAN where nothing was measured */
static double med_ret[C_NR][3], med_start[C_NR][3];

static void cell(double v)
{
	if (isnan(v))
		printf(" | %16s", "-");
	else
		printf(" | %16.1f", v / 1000.0);
}

static void cell_ratio(double v, int width)
{
	if (isnan(v))
		printf(" | %*s", width, "-");
	else
		printf(" | %*.2f", width, v);
}

static void print_table(const char *title, double med[C_NR][3], int others)
{
	unsigned int i, c;

	printf("\n%s\n(microseconds, lower quartile of %d rounds, %d for the baselines; \"1000 others\": %d other instances present)\n",
	       title, SAMPLES, 2 * SAMPLES, others);
	printf("%8s", "readers");
	for (c = 0; c < C_NR; c++)
		printf(" | %16s", config_names[c]);
	printf(" | %9s | %9s | %10s\n", "jet/futex", "jet/pipe",
	       "1000/1 inst");
	for (i = 0; i < 3; i++) {
		printf("%8d", reader_counts[i]);
		for (c = 0; c < C_NR; c++)
			cell(med[c][i]);
		cell_ratio(bench_ratio(med[C_JET1][i], med[C_FUTEX][i]), 9);
		cell_ratio(bench_ratio(med[C_JET1][i], med[C_PIPE][i]), 9);
		cell_ratio(bench_ratio(med[C_JET1000][i], med[C_JET1][i]), 10);
		printf("\n");
	}
}

/* One round of config c with reader count index i; kept if keep. */
static void sample(struct bench *b, int c, int i, int keep)
{
	int n = reader_counts[i], k;
	struct sample s;
	int err;

	if (c == C_FUTEX || c == C_PIPE)
		err = base_round(c == C_FUTEX ? K_FUTEX : K_PIPE, n, &s);
	else
		err = jet_round(b, c == C_JETBIG, n, &s);
	if (err) {
		b->problems++;
		return;
	}
	if (!keep)
		return;
	k = samples[c][i].n++;
	samples[c][i].ret[k] = (double)s.from_return;
	samples[c][i].start[k] = (double)s.from_start;
}

/* us each reader adds from reader count index i to j, from the start */
static double slope(int c, int i, int j)
{
	return (med_start[c][j] - med_start[c][i]) /
	       (reader_counts[j] - reader_counts[i]) / 1e3;
}

static void bench_lines(void)
{
	static const char *const cfg[3] = {
		"1_reader", "16_readers", "256_readers",
	};
	int i;

	for (i = 0; i < 3; i++)
		bench_line("stop_latency", cfg[i], med_start[C_JET1][i] / 1e3,
			   "us", "futex", med_start[C_FUTEX][i] / 1e3,
			   i == 0 ? "<=3" : "-");
	/*
	 * Linear or better in readers: what each reader from the 16th to
	 * the 256th adds, against the same for futex, whose wake-up walks
	 * its queue once (the scheduler's share is the same for both).
	 * Then the same slope against jet's own from 1 to 16 readers.
	 */
	bench_line("stop_scaling", "per_reader_16_to_256",
		   slope(C_JET1, 1, 2), "us", "futex", slope(C_FUTEX, 1, 2),
		   "<=1.2");
	bench_line("stop_scaling", "per_reader_16_to_256_vs_1_to_16",
		   slope(C_JET1, 1, 2), "us", "jet_per_reader_1_to_16",
		   slope(C_JET1, 0, 1), "-");
	for (i = 0; i < 3; i++)
		bench_line("stop_others", cfg[i],
			   med_start[C_JET1000][i] / 1e3, "us", "1_other",
			   med_start[C_JET1][i] / 1e3, "<=1.2");
	for (i = 0; i < 3; i++)
		bench_line("stop_filesize", cfg[i],
			   med_start[C_JETBIG][i] / 1e3, "us", "1MiB_db",
			   med_start[C_JET1][i] / 1e3, "<=1.2");
}

/* ---- set-up ---- */

static int bench_setup(struct bench *b)
{
	char name[64];
	JET_SESID ses = 0;
	long err;
	int fd, i;

	strcpy(b->dir, "/tmp/jet-bench-XXXXXX");
	if (!mkdtemp(b->dir))
		return -1;
	snprintf(b->db[0], sizeof(b->db[0]), "%s/small.edb", b->dir);
	snprintf(b->db[1], sizeof(b->db[1]), "%s/big.edb", b->dir);
	if (jt_make_file(b->db[0], SMALL_DB, 1))
		return -1;
	fd = open(b->db[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, BIG_DB))
		return -1;
	close(fd);

	snprintf(name, sizeof(name), "stop_bench-%d", getpid());
	err = JetCreateInstance(&b->inst, name);
	if (!err)
		err = JetInit(&b->inst);
	if (!err)
		err = JetBeginSession(b->inst, &ses, NULL, NULL);
	for (i = 0; !err && i < 2; i++)
		err = JetAttachDatabase(ses, b->db[i], 0);
	if (err) {
		printf("# instance set-up: %s\n", JetErrorName(err));
		return -1;
	}
	return 0;
}

static void bench_cleanup(struct bench *b)
{
	JetTerm(b->inst);
	unlink(b->db[0]);
	unlink(b->db[1]);
	rmdir(b->dir);
}

int main(void)
{
	struct others o = { 0 };
	struct bench b = { 0 };
	int blk, i, c, r, others_big = 0;
	cpu_set_t cpu0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# stop_latency_bench: %d blocks of %d rounds, readers blocked on a write-range lock\n",
	       BLOCKS, ROUNDS);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		printf("# cannot run on CPU 0 only: %s\n", strerror(errno));
	else
		printf("# every thread on CPU 0\n");
	if (bench_setup(&b)) {
		printf("# cannot set up (is jet.ko loaded?)\n");
		return 1;
	}
	o.created = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (o.created == MAP_FAILED)
		return 1;

	others_add(&o, 3000, 1);
	printf("# other instances: %d\n", o.n);
	for (blk = 0; blk < BLOCKS; blk++) {
		/*
		 * jet and its baselines, round for round; then the same with
		 * 1000 others (the 1 GiB rounds run there too, unkept, so both
		 * halves do the same work)
		 */
		for (i = 0; i < 3; i++)
			for (r = 0; r < ROUNDS; r++) {
				sample(&b, C_FUTEX, i, 1);
				sample(&b, C_PIPE, i, 1);
				sample(&b, C_JET1, i, 1);
				sample(&b, C_JETBIG, i, 1);
			}
		others_add(&o, 3001, OTHERS - o.n);
		printf("# block %d: other instances: %d\n", blk, o.n);
		if (!others_big || o.n < others_big)
			others_big = o.n;
		for (i = 0; i < 3; i++)
			for (r = 0; r < ROUNDS; r++) {
				sample(&b, C_FUTEX, i, 1);
				sample(&b, C_PIPE, i, 1);
				sample(&b, C_JET1000, i, 1);
				sample(&b, C_JETBIG, i, 0);
			}
		others_end(&o, 1);
	}
	others_end(&o, 0);
	if (others_big < OTHERS)
		printf("# could create only %d other instances (limits?)\n",
		       others_big);

	for (c = 0; c < C_NR; c++)
		for (i = 0; i < 3; i++) {
			med_ret[c][i] = bench_q1(samples[c][i].ret,
						 samples[c][i].n);
			med_start[c][i] = bench_q1(samples[c][i].start,
						   samples[c][i].n);
			if (samples[c][i].n < SAMPLES)
				printf("# %s, %d readers: %d rounds measured\n",
				       config_names[c], reader_counts[i],
				       samples[c][i].n);
		}
	print_table("From the waking call's return to the last woken thread's return",
		    med_ret, others_big);
	print_table("From the waking call's start to the last woken thread's return",
		    med_start, others_big);
	printf("\nNegative: the woken threads ran before the waker returned.\n");
	printf("# problems: %d\n", b.problems);
	bench_lines();
	bench_cleanup(&b);
	return 0;
}
