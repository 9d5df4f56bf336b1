// SPDX-License-Identifier: GPL-2.0
/*
 * What a backup read costs next to a plain read of the file.
 *
 * A 256 MiB database on the VM's tmpfs is backed up by an agent process (the
 * owner is this process) with JetReadFileInstance in 64 KiB and in 1 MiB
 * calls, against pread(2) of the same file into the same buffer; then
 * copied to a file with sendfile(2) from the backup descriptor, against
 * pread+write of the source. The two sides of a pair take turns every 8 MiB
 * and each side's time is summed over a few passes, so a host whose speed
 * changes (qemu TCG on a shared machine) slows both alike. Prints MiB/s for
 * each, the ratios (also per pass), and BENCH lines (bench/bench.h).
 * Targets: reads at least 0.95 of pread, sendfile at least pread+write.
 * A benchmark, not a test: it exits 0, and prints why when it cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/sendfile.h>
#include <sys/statvfs.h>

#include "jet_test.h"
#include "bench/bench.h"

#define DB_SIZE		(256ull << 20)
#define SEGMENT		(8ull << 20)
#define ROUNDS		3
#define NMEASURES	3

static char dir[64];
static char db[128];
static char out[2][128];
static JET_INSTANCE inst;

static double mib_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / (1 << 20) / ((double)ns / 1e9) : NAN;
}

/*
 * The database: 1 MiB of pseudo-random bytes written over and over, each
 * 4 KiB block stamped with its number, so no two pages are alike. (Filling
 * 256 MiB byte by byte takes too long under TCG.)
 */
static int make_db(const char *path, uint64_t size)
{
	const size_t blk = 1 << 20;
	char *buf = malloc(blk);
	uint32_t x = 2463534242u;
	uint64_t done;
	size_t i;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < blk; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (char)x;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (done = 0; !err && done < size; done += blk) {
		for (i = 0; i < blk; i += 4096) {
			uint64_t n = (done + i) / 4096;

			memcpy(buf + i, &n, sizeof(n));
		}
		if (write(fd, buf, blk) != (ssize_t)blk)
			err = -EIO;
	}
	if (close(fd) && !err)
		err = -errno;
	free(buf);
	return err;
}

/* Reads len bytes at the file position of hf in cb calls; 0 or -1. */
static int jet_segment(JET_HANDLE hf, char *buf, unsigned long cb,
		       uint64_t len)
{
	unsigned long got;
	uint64_t done = 0;
	long err = 0;

	while (!err && done < len) {
		err = JetReadFileInstance(inst, hf, buf, cb, &got);
		if (!err && !got)
			break;
		done += got;
	}
	if (err || done != len) {
		printf("# backup read: %s, %llu of %llu bytes\n",
		       JetErrorName(err), (unsigned long long)done,
		       (unsigned long long)len);
		return -1;
	}
	return 0;
}

/* Reads [off, off + len) of fd with pread in cb calls; 0 or -1. */
static int plain_segment(int fd, char *buf, unsigned long cb, uint64_t off,
			 uint64_t len)
{
	uint64_t end = off + len;
	ssize_t n;

	while (off < end) {
		n = pread(fd, buf, cb, off);
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

/* sendfile of len bytes of hf (at its position) to ofd; 0 or -1. */
static int sendfile_segment(int ofd, JET_HANDLE hf, uint64_t len)
{
	ssize_t n;

	while (len) {
		n = sendfile(ofd, (int)hf, NULL, len);
		if (n <= 0)
			return -1;
		len -= n;
	}
	return 0;
}

/* pread+write of [off, off + len) of fd to ofd in cb calls; 0 or -1. */
static int copy_segment(int fd, int ofd, char *buf, unsigned long cb,
			uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	ssize_t n;

	while (off < end) {
		n = pread(fd, buf, cb, off);
		if (n <= 0 || write(ofd, buf, n) != n)
			return -1;
		off += n;
	}
	return 0;
}

/* an output file emptied again, so the copies never fill the VM's tmpfs */
static void rewind_out(int ofd)
{
	if (ftruncate(ofd, 0) || lseek(ofd, 0, SEEK_SET))
		printf("# cannot empty an output file: %s\n", strerror(errno));
}

/*
 * One pass over the database by each side, segment by segment, the two
 * sides alternating (and which goes first alternating too), so that a
 * change of the host's speed slows both alike. copy: sendfile against
 * pread+write, else JetReadFileInstance against pread, in cb calls. Adds
 * the ns each side spent to t[0] (jet) and t[1] (plain); 0 or -1.
 */
static int pair_pass(int copy, char *buf, unsigned long cb, uint64_t t[2])
{
	unsigned long lo, hi;
	uint64_t off = 0, t0;
	int fd = -1, ofd[2] = { -1, -1 }, i, side, ret = -1;
	JET_HANDLE hf;
	long err;

	err = JetBeginExternalBackupInstance(inst, 0);
	if (!err)
		err = JetOpenFileInstance(inst, db, &hf, &lo, &hi);
	if (err) {
		printf("# backup: %s\n", JetErrorName(err));
		if (err != JET_errBackupInProgress)
			JetEndExternalBackupInstance2(inst,
						      JET_bitBackupEndAbort);
		return -1;
	}
	fd = open(db, O_RDONLY | O_CLOEXEC);
	for (i = 0; copy && i < 2; i++)
		ofd[i] = open(out[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
	if (fd < 0 || (copy && (ofd[0] < 0 || ofd[1] < 0)))
		goto out;

	for (off = 0, i = 0; off < DB_SIZE; off += SEGMENT, i++) {
		for (side = i & 1; side < (i & 1) + 2; side++) {
			int jet = side % 2 == 0, r;

			t0 = jt_now_ns();
			if (copy && jet)
				r = sendfile_segment(ofd[0], hf, SEGMENT);
			else if (copy)
				r = copy_segment(fd, ofd[1], buf, cb, off,
						 SEGMENT);
			else if (jet)
				r = jet_segment(hf, buf, cb, SEGMENT);
			else
				r = plain_segment(fd, buf, cb, off, SEGMENT);
			t[!jet] += jt_now_ns() - t0;
			if (r)
				goto out;
		}
		if (copy) {
			rewind_out(ofd[0]);
			rewind_out(ofd[1]);
		}
	}
	ret = 0;
out:
	if (ret)
		printf("# a pass failed at %llu MiB\n",
		       (unsigned long long)(off >> 20));
	for (i = 0; i < 2; i++) {
		if (ofd[i] >= 0) {
			close(ofd[i]);
			unlink(out[i]);
		}
	}
	if (fd >= 0)
		close(fd);
	JetCloseFileInstance(inst, hf);
	JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
	return ret;
}

/* The agent: every measurement, the two sides of each pair interleaved. */
static int agent(void)
{
	static const struct {
		int copy;
		unsigned long cb;
		const char *what, *figure, *config, *baseline, *target;
	} m[NMEASURES] = {
		{ 0, 64ul << 10, "read, 64 KiB calls", "read", "64KiB",
		  "pread", ">=0.95" },
		{ 0, 1ul << 20, "read, 1 MiB calls", "read", "1MiB",
		  "pread", ">=0.95" },
		{ 1, 1ul << 20, "copy to a file", "copy", "sendfile",
		  "pread+write_1MiB", ">=1.0" },
	};
	char *buf = malloc(1 << 20);
	unsigned int k, r;

	if (!buf)
		return 1;
	memset(buf, 0, 1 << 20);	/* no page faults inside the timing */
	printf("# %-22s %12s %12s %7s   per pass\n", "", "jet MiB/s",
	       "plain MiB/s", "ratio");
	for (k = 0; k < NMEASURES; k++) {
		uint64_t t[2] = { 0, 0 }, prev[2];
		char passes[128] = "";
		double j = NAN, p = NAN;
		int ok = 1;

		for (r = 0; ok && r < ROUNDS; r++) {
			size_t len = strlen(passes);

			prev[0] = t[0];
			prev[1] = t[1];
			ok = !pair_pass(m[k].copy, buf, m[k].cb, t);
			if (ok)
				snprintf(passes + len, sizeof(passes) - len,
					 " %.2f", (double)(t[1] - prev[1]) /
					 (double)(t[0] - prev[0]));
		}
		if (ok) {
			j = mib_s(ROUNDS * DB_SIZE, t[0]);
			p = mib_s(ROUNDS * DB_SIZE, t[1]);
		}
		printf("# %-22s %12.1f %12.1f %7.2f  %s\n", m[k].what, j, p,
		       bench_ratio(j, p), passes);
		bench_line(m[k].figure, m[k].config, j, "MiB/s",
			   m[k].baseline, p, m[k].target);
	}
	free(buf);
	return 0;
}

/*
 * The database must fit in the temporary directory, with a segment of each
 * copy (they are emptied after each segment).
 */
static int room_ok(const char *path)
{
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(path, &sv))
		return 1;	/* find out by trying */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	printf("# %s: %llu MiB free, %llu MiB needed\n", path,
	       (unsigned long long)(avail >> 20),
	       (unsigned long long)((DB_SIZE + 2 * SEGMENT) >> 20));
	return avail >= DB_SIZE + 2 * SEGMENT;
}

int main(void)
{
	JET_SESID ses;
	pid_t pid;
	long err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# read_bench: backup reads against plain reads, %llu MiB\n",
	       DB_SIZE >> 20);
	snprintf(dir, sizeof(dir), "/tmp/jet-rb.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("# no temporary directory: %s\n", strerror(errno));
		return 0;
	}
	snprintf(db, sizeof(db), "%s/bench.edb", dir);
	snprintf(out[0], sizeof(out[0]), "%s/sendfile.out", dir);
	snprintf(out[1], sizeof(out[1]), "%s/write.out", dir);
	if (!room_ok(dir)) {
		printf("# the database does not fit in %s\n", dir);
		goto out;
	}
	if (make_db(db, DB_SIZE)) {
		printf("# cannot write %s\n", db);
		goto out;
	}
	err = JetCreateInstance(&inst, "jet-read-bench");
	if (!err)
		err = JetInit(&inst);
	if (!err)
		err = JetBeginSession(inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, db, 0);
	if (err) {
		printf("# cannot set up the instance: %s\n",
		       JetErrorName(err));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (!pid)
		_exit(agent());
	if (pid < 0 || !jt_child_ok(jt_wait_child(pid, 800000)))
		printf("# the agent failed\n");
	JetTerm(inst);
out:
	unlink(out[0]);
	unlink(out[1]);
	unlink(db);
	rmdir(dir);
	return 0;
}
