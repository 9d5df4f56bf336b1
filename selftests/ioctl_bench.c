// SPDX-License-Identifier: GPL-2.0
/*
 * What one round trip through jet's ioctl door costs.
 *
 * Three cheap jet queries, each against the same kernel round trip with no
 * jet in it, ioctl(FIONREAD) on a pipe:
 *  - JET_IOC_QUERY on /dev/jet (the generic path only);
 *  - JET_IOC_GET_STATE of an instance (lookup, its mutex, the state);
 *  - JET_FILE_IOC_INFO on a backup file descriptor.
 * Batches of calls of each kind alternate; the figure is the time per
 * call, lower quartile over the batches (bench.h). Target: at most 1.5 times the pipe's.
 * Prints a table and BENCH lines (bench/bench.h); exits 0 unless it could
 * not run at all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "jet_test.h"
#include "bench/bench.h"

#define CALLS		5000	/* per batch */
#define BATCHES		21

enum { K_PIPE, K_QUERY, K_STATE, K_FILE, K_NR };

static const char *const kind_names[K_NR] = {
	"FIONREAD_pipe", "QUERY", "GET_STATE", "FILE_INFO",
};

struct fds {
	int pipe[2];
	int dev;
	int bfile;
	JET_INSTANCE inst;
};

/* ns per call of one batch of kind k; NAN if a call failed */
static double batch(struct fds *f, int k)
{
	struct jet_get_state gs = { .instance = f->inst };
	struct jet_file_info fi;
	struct jet_query q;
	uint64_t t0, t;
	int i, n, bad = 0;

	t0 = jt_now_ns();
	for (i = 0; i < CALLS; i++) {
		switch (k) {
		case K_PIPE:
			bad |= ioctl(f->pipe[0], FIONREAD, &n);
			break;
		case K_QUERY:
			bad |= ioctl(f->dev, JET_IOC_QUERY, &q);
			break;
		case K_STATE:
			/* ABI v2: the output must be zero on the way in */
			gs = (struct jet_get_state){ .instance = f->inst };
			bad |= ioctl(f->dev, JET_IOC_GET_STATE, &gs);
			break;
		case K_FILE:
			bad |= ioctl(f->bfile, JET_FILE_IOC_INFO, &fi);
			break;
		}
	}
	t = jt_now_ns() - t0;
	return bad ? NAN : (double)t / CALLS;
}

int main(void)
{
	static double v[K_NR][BATCHES];
	double med[K_NR];
	struct fds f = { .dev = -1, .bfile = -1 };
	char dir[] = "/tmp/jet-ib.XXXXXX", db[64];
	unsigned long lo, hi;
	JET_HANDLE hf;
	JET_SESID ses;
	long err;
	int b, k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# ioctl_bench: %d batches of %d calls each, alternating\n",
	       BATCHES, CALLS);
	if (!mkdtemp(dir) || pipe(f.pipe)) {
		printf("# no temporary directory or pipe\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/small.edb", dir);
	f.dev = open(JET_DEV, O_RDWR | O_CLOEXEC);
	err = f.dev < 0 ? JET_errFeatureNotAvailable : 0;
	if (!err)
		err = jt_make_file(db, 1 << 20, 3) ? JET_errDiskIO : 0;
	if (!err)
		err = JetCreateInstance(&f.inst, "jet-ioctl-bench");
	if (!err)
		err = JetInit(&f.inst);
	if (!err)
		err = JetBeginSession(f.inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, db, 0);
	if (!err)
		err = JetBeginExternalBackupInstance(f.inst, 0);
	if (!err)
		err = JetOpenFileInstance(f.inst, db, &hf, &lo, &hi);
	if (err) {
		printf("# cannot set up: %s\n", JetErrorName(err));
		return 1;
	}
	f.bfile = (int)hf;

	for (k = 0; k < K_NR; k++)
		batch(&f, k);	/* warm up */
	for (b = 0; b < BATCHES; b++)
		for (k = 0; k < K_NR; k++)
			v[k][b] = batch(&f, k);
	for (k = 0; k < K_NR; k++)
		med[k] = bench_q1(v[k], BATCHES);

	printf("# %-16s %10s %10s\n", "call", "ns/call", "/ pipe");
	for (k = 0; k < K_NR; k++)
		printf("# %-16s %10.0f %10.2f\n", kind_names[k], med[k],
		       bench_ratio(med[k], med[K_PIPE]));
	/*
	 * The target is for a cheap query; GET_STATE looks up and locks an
	 * instance, so its figure is reported without one.
	 */
	for (k = K_QUERY; k < K_NR; k++)
		bench_line("ioctl", kind_names[k], med[k], "ns",
			   kind_names[K_PIPE], med[K_PIPE],
			   k == K_STATE ? NULL : "<=1.5");

	JetCloseFileInstance(f.inst, hf);
	JetEndExternalBackupInstance2(f.inst, JET_bitBackupEndAbort);
	JetTerm(f.inst);
	close(f.dev);
	unlink(db);
	rmdir(dir);
	return 0;
}
