// SPDX-License-Identifier: GPL-2.0
/*
 * What instances and backup files cost, and whether that grows with the
 * number of instances on the system.
 *
 * A holder process keeps 100, then 10,000 initialized instances live (the
 * module's max_instances, max_instances_per_user and max_instances_per_ns
 * are raised for the run
 * and restored after). Measured, in a few blocks that alternate the two
 * sizes (times: the lower quartile of all rounds, bench.h):
 *  - one JetCreateInstance + JetInit + JetTerm cycle of this process, with
 *    100 and with 10,000 other instances live (target: at most 1.2 times);
 *  - JetGetInstanceInfo with 10,000 instances, against 100 times its time
 *    with 100 (that is, linear);
 *  - kernel memory per instance: /proc/meminfo Slab (and SUnreclaim) before
 *    and after the holder grows from 100 to 10,000 (target: at most 1 KiB);
 *  - kernel memory per open backup file: the same around opening 1,000
 *    backup descriptors of one database in a fresh process.
 * The VM is otherwise idle, and /proc/sys/vm/stat_refresh folds the
 * per-CPU counters before each reading. Prints a table and BENCH lines
 * (bench/bench.h); exits 0 unless it could not run at all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/resource.h>

#include "jet_test.h"
#include "bench/bench.h"

#define SMALL		100
#define BIG		10000
#define LIMIT		20000		/* the module limits, for the run */
#define BLOCKS		6
#define CYCLES		50		/* create+init+term, per block and size */
#define LISTS		3		/* JetGetInstanceInfo, per block and size */
#define FILES		1000
#define PARAMS		"/sys/module/jet/parameters/"

/* ---- module parameters ---- */

#define NPARAMS		3

static const char *const param_names[NPARAMS] = {
	"max_instances", "max_instances_per_user", "max_instances_per_ns",
};

static char param_saved[NPARAMS][32];
static int params_changed;

static int param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static void params_restore(void)
{
	int i;

	if (!params_changed)
		return;
	for (i = 0; i < NPARAMS; i++)
		if (param_write(param_names[i], param_saved[i]))
			printf("# could not restore %s to %s\n",
			       param_names[i], param_saved[i]);
	params_changed = 0;
}

/* Raise the instance limits to LIMIT, remembering the old values; 0 or -errno. */
static int params_raise(void)
{
	char path[128], val[32];
	ssize_t n;
	int fd, i, err;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", param_names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, param_saved[i], sizeof(param_saved[i]) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		param_saved[i][n] = 0;
		param_saved[i][strcspn(param_saved[i], "\n")] = 0;
	}
	params_changed = 1;
	atexit(params_restore);
	snprintf(val, sizeof(val), "%d", LIMIT);
	for (i = 0; i < NPARAMS; i++) {
		err = param_write(param_names[i], val);
		if (err)
			return err;
	}
	return 0;
}

/* ---- kernel memory ---- */

struct slab_kb {
	long slab;
	long sunreclaim;
};

static int slab_read(struct slab_kb *s)
{
	char line[128];
	FILE *f;
	int fd;

	/* fold the per-CPU counter deltas into the totals first */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			(void)0;	/* best effort: the totals are close */
		close(fd);
	}
	s->slab = -1;
	s->sunreclaim = -1;
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long kb;

		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			s->slab = kb;
		else if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			s->sunreclaim = kb;
	}
	fclose(f);
	return s->slab < 0 || s->sunreclaim < 0 ? -1 : 0;
}

/* ---- the holder: keeps a number of instances live ---- */

struct holder {
	pid_t pid;
	int cmd;		/* write: the count wanted */
	int reply;		/* read: the count held */
};

static void holder_main(int cmd, int reply)
{
	static JET_INSTANCE inst[BIG];
	int want, held = 0, next = 0;
	char name[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (read(cmd, &want, sizeof(want)) == sizeof(want)) {
		if (want > BIG)
			want = BIG;
		while (held < want) {
			JET_INSTANCE i = 0;

			snprintf(name, sizeof(name), "ib-held-%d", next++);
			if (JetCreateInstance(&i, name))
				break;
			if (JetInit(&i)) {
				JetTerm(i);
				break;
			}
			inst[held++] = i;
		}
		while (held > want)
			JetTerm(inst[--held]);
		if (write(reply, &held, sizeof(held)) != sizeof(held))
			break;
	}
	_exit(0);
}

static int holder_start(struct holder *h)
{
	int c[2], r[2];

	if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC))
		return -1;
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (!h->pid) {
		close(c[1]);
		close(r[0]);
		holder_main(c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	h->cmd = c[1];
	h->reply = r[0];
	return 0;
}

/* The holder's count after asking for want; -1 if it is gone. */
static int holder_set(struct holder *h, int want)
{
	int held;

	if (write(h->cmd, &want, sizeof(want)) != sizeof(want) ||
	    read(h->reply, &held, sizeof(held)) != sizeof(held))
		return -1;
	return held;
}

static void holder_stop(struct holder *h)
{
	close(h->cmd);
	close(h->reply);
	waitpid(h->pid, NULL, 0);
}

/* ---- the measurements ---- */

/* one create + init + term of an instance of ours, in us; NAN on error */
static double create_init_term(int n)
{
	JET_INSTANCE inst = 0;
	char name[64];
	uint64_t t0, t;
	long err;

	snprintf(name, sizeof(name), "ib-cycle-%d", n);
	t0 = jt_now_ns();
	err = JetCreateInstance(&inst, name);
	if (!err)
		err = JetInit(&inst);
	if (!err)
		err = JetTerm(inst);
	t = jt_now_ns() - t0;
	if (err) {
		printf("# create, init, term: %s\n", JetErrorName(err));
		return NAN;
	}
	return t / 1e3;
}

/* one JetGetInstanceInfo, in ms; NAN on error or too few instances */
static double list_all(unsigned long at_least)
{
	JET_INSTANCE_INFO *info = NULL;
	unsigned long count = 0;
	uint64_t t0, t;
	long err;

	t0 = jt_now_ns();
	err = JetGetInstanceInfo(&count, &info);
	t = jt_now_ns() - t0;
	JetFreeBuffer((char *)info);
	if (err || count < at_least) {
		printf("# JetGetInstanceInfo: %s, %lu instances\n",
		       JetErrorName(err), count);
		return NAN;
	}
	return t / 1e6;
}

/*
 * In a fresh process (its descriptor table grows as an agent's would):
 * bytes of Slab and SUnreclaim per backup file over FILES open ones.
 */
static int files_memory(JET_INSTANCE inst, const char *db, double *out)
{
	struct rlimit rl;
	double *shared;
	pid_t pid;
	int status;

	out[0] = NAN;
	out[1] = NAN;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		munmap(shared, 4096);
		return -1;
	}
	if (!pid) {
		static int fds[FILES];
		struct slab_kb a, b;
		unsigned long lo, hi;
		JET_HANDLE hf;
		long err;
		int i, n = 0;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		err = JetBeginExternalBackupInstance(inst, 0);
		if (err || slab_read(&a))
			_exit(1);
		for (i = 0; i < FILES; i++) {
			if (JetOpenFileInstance(inst, db, &hf, &lo, &hi))
				break;
			fds[n++] = (int)hf;
		}
		if (n < FILES || slab_read(&b))
			_exit(2);
		shared[0] = (b.slab - a.slab) * 1024.0 / FILES;
		shared[1] = (b.sunreclaim - a.sunreclaim) * 1024.0 / FILES;
		for (i = 0; i < n; i++)
			JetCloseFileInstance(inst, fds[i]);
		JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("# the backup-file process failed (%d)\n", status);
		munmap(shared, 4096);
		return -1;
	}
	out[0] = shared[0];
	out[1] = shared[1];
	munmap(shared, 4096);
	return 0;
}

static double cycles_at[2][BLOCKS * CYCLES];
static double lists_at[2][BLOCKS * LISTS];
static int ncycles[2], nlists[2];
static double block_cycles[2][BLOCKS];	/* each block's median */

static void measure_at(int big, int live, int blk)
{
	double v, mine[CYCLES];
	int i, n = 0;

	for (i = 0; i < CYCLES; i++) {
		v = create_init_term(i);
		if (!isnan(v)) {
			cycles_at[big][ncycles[big]++] = v;
			mine[n++] = v;
		}
	}
	block_cycles[big][blk] = bench_median(mine, n);
	for (i = 0; i < LISTS; i++) {
		v = list_all(live);
		if (!isnan(v))
			lists_at[big][nlists[big]++] = v;
	}
}

int main(void)
{
	double inst_mem[BLOCKS][2], file_mem[BLOCKS][2];
	double cyc[2], lst[2];
	char dir[] = "/tmp/jet-inb.XXXXXX", db[64];
	struct holder h = { 0 };
	JET_INSTANCE binst = 0;
	struct slab_kb a, b;
	JET_SESID ses;
	int blk, held, nmem = 0, nfile = 0, err;
	long jerr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# instance_bench: %d blocks; %d and %d instances live\n",
	       BLOCKS, SMALL, BIG);
	err = params_raise();
	if (err) {
		printf("# cannot raise the module's limits: %s\n",
		       strerror(-err));
		return 1;
	}
	if (!mkdtemp(dir)) {
		printf("# no temporary directory\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/files.edb", dir);
	jerr = jt_make_file(db, 1 << 20, 5) ? JET_errDiskIO : 0;
	if (!jerr)
		jerr = JetCreateInstance(&binst, "ib-files");
	if (!jerr)
		jerr = JetInit(&binst);
	if (!jerr)
		jerr = JetBeginSession(binst, &ses, NULL, NULL);
	if (!jerr)
		jerr = JetAttachDatabase(ses, db, 0);
	if (jerr || holder_start(&h)) {
		printf("# cannot set up: %s\n", JetErrorName(jerr));
		return 1;
	}

	for (blk = 0; blk < BLOCKS; blk++) {
		block_cycles[0][blk] = NAN;
		block_cycles[1][blk] = NAN;
	}
	for (blk = 0; blk < BLOCKS; blk++) {
		held = holder_set(&h, SMALL);
		if (held != SMALL) {
			printf("# the holder has %d instances, not %d\n",
			       held, SMALL);
			break;
		}
		measure_at(0, SMALL, blk);
		if (!files_memory(binst, db, file_mem[nfile]))
			nfile++;

		if (slab_read(&a))
			break;
		held = holder_set(&h, BIG);
		if (held != BIG || slab_read(&b)) {
			printf("# the holder has %d instances, not %d\n",
			       held, BIG);
			break;
		}
		inst_mem[nmem][0] = (b.slab - a.slab) * 1024.0 / (BIG - SMALL);
		inst_mem[nmem][1] = (b.sunreclaim - a.sunreclaim) * 1024.0 /
				    (BIG - SMALL);
		nmem++;
		measure_at(1, BIG, blk);
	}
	holder_set(&h, 0);
	holder_stop(&h);
	JetTerm(binst);
	unlink(db);
	rmdir(dir);
	params_restore();

	for (blk = 0; blk < 2; blk++) {
		cyc[blk] = bench_q1(cycles_at[blk], ncycles[blk]);
		lst[blk] = bench_q1(lists_at[blk], nlists[blk]);
	}
	printf("# %-44s %12s %12s\n", "", "100 live", "10000 live");
	printf("# %-44s %12.1f %12.1f\n",
	       "create+init+term, us (lower quartile)", cyc[0], cyc[1]);
	printf("# %-44s %12.2f %12.2f\n", "JetGetInstanceInfo, ms (lower q.)",
	       lst[0], lst[1]);
	for (blk = 0; blk < BLOCKS; blk++)
		printf("# block %d: create+init+term %.1f us with %d live, %.1f us with %d\n",
		       blk, block_cycles[0][blk], SMALL, block_cycles[1][blk],
		       BIG);
	for (blk = 0; blk < nmem; blk++)
		printf("# block %d: per instance %.0f B Slab, %.0f B SUnreclaim\n",
		       blk, inst_mem[blk][0], inst_mem[blk][1]);
	for (blk = 0; blk < nfile; blk++)
		printf("# block %d: per backup file %.0f B Slab, %.0f B SUnreclaim\n",
		       blk, file_mem[blk][0], file_mem[blk][1]);

	bench_line("instance_cycle", "10000_live", cyc[1], "us",
		   "100_live", cyc[0], "<=1.2");
	bench_line("instance_list", "10000_instances", lst[1], "ms",
		   "100_instances_x100", lst[0] * 100, "-");
	/* the first block: every page the kernel had to get, none reused */
	bench_line("memory", "per_instance", nmem ? inst_mem[0][0] : NAN, "B",
		   "budget_1KiB", 1024, "<=1");
	bench_line("memory", "per_backup_file", nfile ? file_mem[0][0] : NAN,
		   "B", "budget_1KiB", 1024, "-");
	return 0;
}
