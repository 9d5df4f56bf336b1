// SPDX-License-Identifier: GPL-2.0
/*
 * Backups from a block device: what they leave in the page cache, and how
 * fast they stream, each beside its baseline measured in the same run.
 *
 * The files are on the VM's ext4 virtio disk (jet_disk.h; make bench boots
 * the VM with little memory and puts them there from the host).
 *
 * Hot-set residency: the owner reads its hot set (JT_DISK_HOT, 64 MiB)
 * with cat; then JT_DISK_BIG, twice the guest's memory, is read once by a
 * jet backup (JetReadFileInstance, 1 MiB calls), by `cat FILE >/dev/null`
 * and by `dd iflag=direct bs=1M` (busybox's). Before and after each, the
 * hot set's resident share (mincore(2)); the figure is after / before.
 * Target for jet: >= 0.9 (the baselines are far lower: cat evicts the hot
 * set, dd does not touch the cache at all, but neither reads through jet).
 * Also printed: how much of the big file each pass left cached, and its
 * speed.
 *
 * Streaming: the first 256 MiB of JT_DISK_BIG, cold (the page cache is
 * dropped before each pass), by a jet backup in 1 MiB calls (cache-neutral,
 * the default; and warm, JET_bitBackupCacheWarm), by pread(2) in 1 MiB
 * calls and by O_DIRECT preads of 1 MiB; three rounds, the methods taking
 * turns. Target: jet >= 0.95 of pread.
 *
 * A benchmark: exits 0, and says why when it cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/stat.h>

#include "jet_test.h"
#include "jet_disk.h"
#include "bench/bench.h"

#define BUF		(1u << 20)
#define SEGMENT		(256ull << 20)
#define ROUNDS		3

static JET_INSTANCE inst;
static char *buf;

static double secs(uint64_t t0)
{
	return (double)(jt_now_ns() - t0) / 1e9;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

/* jet: the first len bytes of path through a backup; seconds, or NAN */
static double jet_pass(const char *path, uint64_t len, int warm)
{
	unsigned long lo, hi, got;
	uint64_t done = 0, t0;
	JET_HANDLE hf;
	long err;

	err = JetSetBackupCacheInstance(inst, warm ? JET_bitBackupCacheWarm : 0);
	if (!err)
		err = JetBeginExternalBackupInstance(inst, 0);
	if (!err)
		err = JetOpenFileInstance(inst, path, &hf, &lo, &hi);
	if (err) {
		printf("# backup: %s\n", JetErrorName(err));
		JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
		return NAN;
	}
	t0 = jt_now_ns();
	while (!err && done < len) {
		unsigned long want = len - done < BUF ? len - done : BUF;

		err = JetReadFileInstance(inst, hf, buf, want, &got);
		if (!err && !got)
			break;
		done += got;
	}
	JetCloseFileInstance(inst, hf);
	t0 = jt_now_ns() - t0;
	JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
	if (err || done != len) {
		printf("# backup read: %s at %llu\n", JetErrorName(err),
		       (unsigned long long)done);
		return NAN;
	}
	return (double)t0 / 1e9;
}

/* pread in 1 MiB calls, buffered or O_DIRECT; seconds, or NAN */
static double plain_pass(const char *path, uint64_t len, int direct)
{
	uint64_t off = 0, t0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	ssize_t n = 0;

	if (fd < 0)
		return NAN;
	t0 = jt_now_ns();
	while (off < len && (n = pread(fd, buf, BUF, off)) > 0)
		off += n;
	t0 = jt_now_ns() - t0;
	close(fd);
	return off >= len ? (double)t0 / 1e9 : NAN;
}

/* a shell command; seconds, or NAN when it failed */
static double sh_pass(const char *cmd)
{
	uint64_t t0 = jt_now_ns();
	int st = system(cmd);

	return st == 0 ? secs(t0) : NAN;
}

static double resident_share(const char *path, uint64_t size)
{
	long r = jt_resident_path(path, size, NULL);

	return r < 0 ? NAN : (double)r / (double)((size + 4095) / 4096);
}

/* ---- hot-set residency ---- */

static void residency(void)
{
	static const char *const names[] = { "jet", "cat", "dd_iflag_direct" };
	uint64_t big = file_size(JT_DISK_BIG), hot = file_size(JT_DISK_HOT);
	char cmd[256];
	int m;

	printf("# hot set %llu MiB, big file %llu MiB\n",
	       (unsigned long long)(hot >> 20), (unsigned long long)(big >> 20));
	printf("# %-16s %8s %8s %7s %12s %10s\n", "read big by", "before",
	       "after", "ratio", "big cached", "MiB/s");
	for (m = 0; m < 3; m++) {
		double before, after, left, t;

		jt_drop_caches();
		snprintf(cmd, sizeof(cmd), "cat %s >/dev/null", JT_DISK_HOT);
		if (system(cmd))
			printf("# reading the hot set failed\n");
		before = resident_share(JT_DISK_HOT, hot);
		if (m == 0) {
			t = jet_pass(JT_DISK_BIG, big, 0);
		} else if (m == 1) {
			snprintf(cmd, sizeof(cmd), "cat %s >/dev/null",
				 JT_DISK_BIG);
			t = sh_pass(cmd);
		} else {
			snprintf(cmd, sizeof(cmd),
				 "dd if=%s of=/dev/null bs=1M iflag=direct 2>/dev/null",
				 JT_DISK_BIG);
			t = sh_pass(cmd);
		}
		after = resident_share(JT_DISK_HOT, hot);
		left = resident_share(JT_DISK_BIG, big);
		printf("# %-16s %8.3f %8.3f %7.3f %11.1f%% %10.1f\n",
		       names[m], before, after, bench_ratio(after, before),
		       100 * left, (double)big / (1 << 20) / t);
		bench_line("hot_set", names[m], after, "resident", "before",
			   before, m == 0 ? ">=0.9" : "-");
		bench_line("big_file_left_cached", names[m], left, "share",
			   "all", 1.0, "-");
	}
}

/* ---- streaming from the disk ---- */

static void streaming(void)
{
	static const char *const names[] = {
		"jet", "jet_warm", "pread", "o_direct",
	};
	double t[4] = { 0, 0, 0, 0 }, r;
	int round, k, m, bad = 0;

	for (round = 0; round < ROUNDS; round++) {
		for (k = 0; k < 4; k++) {
			m = (k + round) % 4;
			jt_drop_caches();
			if (m < 2)
				r = jet_pass(JT_DISK_BIG, SEGMENT, m == 1);
			else
				r = plain_pass(JT_DISK_BIG, SEGMENT, m == 3);
			if (isnan(r))
				bad++;
			t[m] += r;
		}
	}
	printf("# streaming %llu MiB cold, %d rounds:", SEGMENT >> 20,
	       ROUNDS);
	for (m = 0; m < 4; m++) {
		t[m] = bad ? NAN : (double)(ROUNDS * SEGMENT) / (1 << 20) / t[m];
		printf(" %s %.1f MiB/s", names[m], t[m]);
	}
	printf("\n");
	bench_line("disk_read", "jet_1MiB", t[0], "MiB/s", "pread_1MiB", t[2],
		   ">=0.95");
	bench_line("disk_read", "jet_1MiB_vs_direct", t[0], "MiB/s",
		   "o_direct_1MiB", t[3], "-");
	bench_line("disk_read", "jet_warm_1MiB", t[1], "MiB/s", "pread_1MiB",
		   t[2], "-");
}

int main(void)
{
	JET_SESID ses;
	long err;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# disk_bench: backups from an ext4 virtio disk\n");
	ret = jt_disk_mount();
	if (ret || access(JT_DISK_BIG, R_OK) || access(JT_DISK_HOT, R_OK)) {
		printf("# no disk with %s and %s (%s): run it with make bench\n",
		       JT_DISK_BIG, JT_DISK_HOT, strerror(-ret));
		return 0;
	}
	if (posix_memalign((void **)&buf, 4096, BUF))
		return 0;
	memset(buf, 0, BUF);
	err = JetCreateInstance(&inst, "jet-disk-bench");
	if (!err)
		err = JetInit(&inst);
	if (!err)
		err = JetBeginSession(inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, JT_DISK_BIG, 0);
	if (err) {
		printf("# cannot set up the instance: %s\n", JetErrorName(err));
		return 0;
	}
	residency();
	streaming();
	JetTerm(inst);
	return 0;
}
