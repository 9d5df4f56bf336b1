// SPDX-License-Identifier: GPL-2.0
/*
 * Stop latency while the owner is busy: the owner (a process of its own)
 * keeps writing 4 KiB pages of its database on the VM's ext4 disk, each
 * under a write-range lock (lock, pwrite, unlock, as a database server
 * does), and holds one lock over the first 256 KiB, on which 16 backup
 * readers in 4 processes (4 threads each) are blocked. The owner's
 * JetStopBackupInstance wakes them all with -ECANCELED. Measured: from the
 * stop call's start to the last reader's return, the lower quartile of the
 * rounds (bench.h). Baseline, round for round in the same set-up, the
 * writer still writing: 16 threads in 4 processes in FUTEX_WAIT on a
 * shared word, woken by one FUTEX_WAKE from the owner process.
 * Target: at most 2 times the futex wake-up.
 *
 * Every thread runs on CPU 0, as in stop_latency_bench (under TCG, waking
 * the other vCPU costs what the host's scheduler takes). Without the disk
 * (not run by make bench) it uses /tmp and says so.
 * A benchmark: exits 0, and says why when it cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include "jet_test.h"
#include "jet_disk.h"
#include "bench/bench.h"

#define PROCS		4
#define THREADS		4
#define READERS		(PROCS * THREADS)
#define DB_SIZE		(16u << 20)
#define LOCKED		(256u << 10)	/* the readers' bytes */
#define ROUNDS		16
#define WAIT_MS		20000

enum { CMD_NONE, CMD_LOCK, CMD_UNLOCK, CMD_STOP, CMD_WAKE, CMD_EXIT };

/* shared by the owner, the agent and the readers */
struct shm {
	uint32_t cmd;		/* agent -> owner; 0 once done */
	int32_t cmd_ret;
	uint32_t ready;		/* the owner has its instance */
	uint32_t word;		/* the futex baseline's word */
	uint32_t ndone;
	uint32_t go_exit;	/* readers may exit */
	uint64_t inst;
	uint64_t t0;		/* the waking call's start */
	uint64_t writes;
	int32_t tid[READERS];
	int32_t ret[READERS];
	uint64_t t_done[READERS];
};

static struct shm *g;
static char db[160];

static void futex_wait(uint32_t *w, uint32_t v)
{
	syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- the owner ---- */

static volatile int writer_run = 1;

static void *writer_main(void *arg)
{
	JET_INSTANCE inst = *(JET_INSTANCE *)arg;
	char page[4096];
	uint64_t n = 0, off;
	JET_HANDLE h;
	int fd = open(db, O_WRONLY | O_CLOEXEC);

	memset(page, 0x5a, sizeof(page));
	while (fd >= 0 && writer_run) {
		off = LOCKED + (n * 4096) % (DB_SIZE - LOCKED);
		if (JetLockWriteRangeInstance(inst, db, off, 4096, &h))
			break;
		if (pwrite(fd, page, sizeof(page), off) != sizeof(page))
			break;
		JetUnlockWriteRangeInstance(inst, h);
		__atomic_store_n(&g->writes, ++n, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static _Noreturn void owner_main(void)
{
	JET_INSTANCE inst = 0;
	JET_HANDLE lock = 0;
	JET_SESID ses;
	pthread_t writer;
	uint32_t cmd;
	long err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	err = JetCreateInstance(&inst, "jet-stop-writer-bench");
	if (!err)
		err = JetInit(&inst);
	if (!err)
		err = JetBeginSession(inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, db, 0);
	if (err || pthread_create(&writer, NULL, writer_main, &inst)) {
		printf("# owner set-up: %s\n", JetErrorName(err));
		_exit(1);
	}
	g->inst = inst;
	__atomic_store_n(&g->ready, 1, __ATOMIC_SEQ_CST);
	futex_wake(&g->ready);
	for (;;) {
		while (!(cmd = __atomic_load_n(&g->cmd, __ATOMIC_SEQ_CST)))
			futex_wait(&g->cmd, 0);
		err = 0;
		switch (cmd) {
		case CMD_LOCK:
			err = JetLockWriteRangeInstance(inst, db, 0, LOCKED,
							&lock);
			break;
		case CMD_UNLOCK:
			err = JetUnlockWriteRangeInstance(inst, lock);
			break;
		case CMD_STOP:
			g->t0 = jt_now_ns();
			err = JetStopBackupInstance(inst);
			break;
		case CMD_WAKE:
			g->t0 = jt_now_ns();
			__atomic_store_n(&g->word, 1, __ATOMIC_SEQ_CST);
			futex_wake(&g->word);
			break;
		case CMD_EXIT:
			writer_run = 0;
			pthread_join(writer, NULL);
			JetTerm(inst);
			_exit(0);
		}
		g->cmd_ret = (int32_t)err;
		__atomic_store_n(&g->cmd, 0, __ATOMIC_SEQ_CST);
		futex_wake(&g->cmd);
	}
}

/* the agent asks the owner; its JET_ERR */
static long owner_do(uint32_t cmd)
{
	uint32_t c;

	__atomic_store_n(&g->cmd, cmd, __ATOMIC_SEQ_CST);
	futex_wake(&g->cmd);
	while ((c = __atomic_load_n(&g->cmd, __ATOMIC_SEQ_CST)))
		futex_wait(&g->cmd, c);
	return g->cmd_ret;
}

/* ---- the readers ---- */

struct reader {
	int k;			/* index in g's arrays */
	int fd;			/* -1: the futex baseline */
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char buf[4096];
	long ret = 0;

	__atomic_store_n(&g->tid[r->k], (int32_t)syscall(SYS_gettid),
			 __ATOMIC_SEQ_CST);
	if (r->fd >= 0) {
		ret = read(r->fd, buf, sizeof(buf)) < 0 ? -errno : 0;
	} else {
		while (!__atomic_load_n(&g->word, __ATOMIC_SEQ_CST))
			futex_wait(&g->word, 0);
	}
	g->t_done[r->k] = jt_now_ns();
	g->ret[r->k] = (int32_t)ret;
	__atomic_add_fetch(&g->ndone, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* one reader process: THREADS readers from index first; fds or -1 */
static _Noreturn void readers_main(int first, const int *fds)
{
	struct reader r[THREADS];
	pthread_t t[THREADS];
	pthread_attr_t attr;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	for (i = 0; i < THREADS; i++) {
		r[i].k = first + i;
		r[i].fd = fds ? fds[first + i] : -1;
		if (pthread_create(&t[i], &attr, reader_main, &r[i]))
			_exit(1);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* 1 when thread tid sleeps in syscall nr */
static int sleeps_in(pid_t tid, long nr)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return buf[0] >= '0' && buf[0] <= '9' && strtol(buf, NULL, 10) == nr;
}

/*
 * One round: READERS readers in PROCS processes blocked (on the backup
 * files fds, or on the futex when fds is NULL), then woken by the owner.
 * The microseconds from the waking call's start to the last return, or
 * NAN.
 */
static double round_once(const int *fds, int *bad)
{
	uint64_t end = jt_now_ns() + WAIT_MS * 1000000ull, last = 0;
	long nr = fds ? __NR_read : __NR_futex;
	pid_t pids[PROCS];
	int i, asleep;

	memset(g->tid, 0, sizeof(g->tid));
	g->ndone = 0;
	g->word = 0;
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (!pids[i])
			readers_main(i * THREADS, fds);
	}
	do {
		usleep(1000);
		for (i = 0, asleep = 0; i < READERS; i++)
			asleep += g->tid[i] && sleeps_in(g->tid[i], nr);
	} while (asleep < READERS && jt_now_ns() < end);
	if (asleep == READERS && !owner_do(fds ? CMD_STOP : CMD_WAKE)) {
		while (__atomic_load_n(&g->ndone, __ATOMIC_SEQ_CST) < READERS &&
		       jt_now_ns() < end)
			usleep(200);
	}
	for (i = 0; i < PROCS; i++) {
		if (__atomic_load_n(&g->ndone, __ATOMIC_SEQ_CST) < READERS)
			kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	if (g->ndone < READERS) {
		printf("# a round failed: %d of %d readers asleep, %u returned\n",
		       asleep, READERS, g->ndone);
		++*bad;
		return NAN;
	}
	for (i = 0; i < READERS; i++) {
		if (g->t_done[i] > last)
			last = g->t_done[i];
		if (fds && g->ret[i] != -ECANCELED)
			++*bad;
	}
	return (double)(int64_t)(last - g->t0) / 1e3;
}

static double jet_round(JET_INSTANCE inst, int *bad)
{
	unsigned long lo, hi;
	int fds[READERS], i, n = 0;
	JET_HANDLE h;
	double us = NAN;
	long err;

	err = JetBeginExternalBackupInstance(inst, 0);
	if (!err)
		err = owner_do(CMD_LOCK);
	for (; !err && n < READERS; n++) {
		err = JetOpenFileInstance(inst, db, &h, &lo, &hi);
		fds[n] = (int)h;
	}
	if (err) {
		printf("# round set-up: %s\n", JetErrorName(err));
		++*bad;
	} else {
		us = round_once(fds, bad);
	}
	for (i = 0; i < n; i++)
		JetCloseFileInstance(inst, fds[i]);
	owner_do(CMD_UNLOCK);
	JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
	return us;
}

int main(void)
{
	double jet[ROUNDS], futex[ROUNDS], q_jet, q_futex;
	int r, nj = 0, nf = 0, bad = 0;
	uint64_t w0, t0;
	cpu_set_t cpu0;
	pid_t owner;
	double d;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# stop_writer_bench: %d readers in %d processes, the owner writing pages under range locks\n",
	       READERS, PROCS);
	if (!jt_disk_mount()) {
		snprintf(db, sizeof(db), "%s/stop-writer.edb", JT_DISK_MNT);
	} else {
		snprintf(db, sizeof(db), "/tmp/stop-writer.edb");
		printf("# no virtio disk: the database is on tmpfs\n");
	}
	if (jt_make_file(db, DB_SIZE, 7)) {
		printf("# cannot write %s\n", db);
		return 0;
	}
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		printf("# cannot run on CPU 0 only: %s\n", strerror(errno));
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED)
		return 0;
	memset(g, 0, sizeof(*g));
	fflush(NULL);
	owner = fork();
	if (!owner)
		owner_main();
	while (!__atomic_load_n(&g->ready, __ATOMIC_SEQ_CST)) {
		if (waitpid(owner, NULL, WNOHANG) == owner) {
			printf("# the owner failed\n");
			unlink(db);
			return 0;
		}
		usleep(1000);
	}

	w0 = g->writes;
	t0 = jt_now_ns();
	for (r = 0; r < ROUNDS; r++) {
		d = jet_round(g->inst, &bad);
		if (!isnan(d))
			jet[nj++] = d;
		d = round_once(NULL, &bad);
		if (!isnan(d))
			futex[nf++] = d;
	}
	printf("# the owner wrote %.0f pages/s meanwhile\n",
	       (double)(g->writes - w0) / ((double)(jt_now_ns() - t0) / 1e9));
	/* the owner exits rather than answer */
	__atomic_store_n(&g->cmd, CMD_EXIT, __ATOMIC_SEQ_CST);
	futex_wake(&g->cmd);
	waitpid(owner, NULL, 0);
	unlink(db);

	q_jet = bench_q1(jet, nj);
	q_futex = bench_q1(futex, nf);
	printf("# microseconds, lower quartile of %d and %d rounds: jet stop %.1f, futex wake %.1f, ratio %.2f; problems %d\n",
	       nj, nf, q_jet, q_futex, bench_ratio(q_jet, q_futex), bad);
	bench_line("stop_writer", "16_readers_4_procs", q_jet, "us",
		   "futex_wake", q_futex, "<=2");
	return 0;
}
