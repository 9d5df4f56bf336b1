// SPDX-License-Identifier: GPL-2.0
/*
 * read_bench.c - what a backup read costs next to a plain read of the file.
 *
 * A 64 MiB database is backed up by an agent process (the owner is this
 * process) with JetReadFileInstance in 64 KiB and in 1 MiB calls, and the
 * same file is read with pread(2) with the same buffer, in the same run,
 * alternating, a few rounds each; then a backup copied to a file with
 * sendfile(2) against pread+write of the source. Prints MiB/s for each (best
 * round) and the ratios. A benchmark, not a test: it always exits 0, and
 * prints why when it cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/sendfile.h>

#include "jet_test.h"

#define DB_SIZE		(64ull << 20)
#define ROUNDS		3

static char dir[64];
static char db[128];
static char out[128];
static JET_INSTANCE inst;

static double mib_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / (1 << 20) / ((double)ns / 1e9) : 0;
}

/* One backup of the database; ns spent reading it, 0 on error. */
static uint64_t jet_read(char *buf, unsigned long cb)
{
	unsigned long lo, hi, got;
	uint64_t t0, t, total = 0;
	JET_HANDLE hf;
	long err;

	err = JetBeginExternalBackupInstance(inst, 0);
	if (!err)
		err = JetOpenFileInstance(inst, db, &hf, &lo, &hi);
	if (err) {
		printf("# backup: %s\n", JetErrorName(err));
		return 0;
	}
	t0 = jt_now_ns();
	do {
		err = JetReadFileInstance(inst, hf, buf, cb, &got);
		total += got;
	} while (!err && got);
	t = jt_now_ns() - t0;
	JetCloseFileInstance(inst, hf);
	JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
	if (err || total != DB_SIZE) {
		printf("# backup read: %s, %llu bytes\n", JetErrorName(err),
		       (unsigned long long)total);
		return 0;
	}
	return t;
}

/* pread of the whole file with the same buffer; ns, 0 on error. */
static uint64_t plain_read(char *buf, unsigned long cb)
{
	uint64_t t0, t, off = 0;
	int fd = open(db, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	t0 = jt_now_ns();
	while ((n = pread(fd, buf, cb, off)) > 0)
		off += n;
	t = jt_now_ns() - t0;
	close(fd);
	return off == DB_SIZE ? t : 0;
}

/* A backup copied to a file with sendfile; ns, 0 on error. */
static uint64_t jet_sendfile(void)
{
	unsigned long lo, hi;
	uint64_t t0, t, total = 0;
	JET_HANDLE hf;
	ssize_t n;
	int ofd;

	if (JetBeginExternalBackupInstance(inst, 0) ||
	    JetOpenFileInstance(inst, db, &hf, &lo, &hi))
		return 0;
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	t0 = jt_now_ns();
	while (ofd >= 0 && (n = sendfile(ofd, (int)hf, NULL, 1 << 30)) > 0)
		total += n;
	t = jt_now_ns() - t0;
	if (ofd >= 0)
		close(ofd);
	JetCloseFileInstance(inst, hf);
	JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort);
	return total == DB_SIZE ? t : 0;
}

/* The source copied to a file with pread+write; ns, 0 on error. */
static uint64_t plain_copy(char *buf, unsigned long cb)
{
	uint64_t t0, t, off = 0;
	int fd = open(db, O_RDONLY | O_CLOEXEC);
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n = -1;

	t0 = jt_now_ns();
	while (fd >= 0 && ofd >= 0 && (n = pread(fd, buf, cb, off)) > 0) {
		if (write(ofd, buf, n) != n)
			break;
		off += n;
	}
	t = jt_now_ns() - t0;
	if (fd >= 0)
		close(fd);
	if (ofd >= 0)
		close(ofd);
	return off == DB_SIZE ? t : 0;
}

static uint64_t best(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void report(const char *what, uint64_t ns, uint64_t ref_ns)
{
	if (!ns) {
		printf("# %-34s failed\n", what);
		return;
	}
	printf("# %-34s %9.1f MiB/s", what, mib_s(DB_SIZE, ns));
	if (ref_ns)
		printf("  (%.2f of plain)", (double)ref_ns / ns);
	printf("\n");
}

/* The agent: every measurement, alternating the two sides of each pair. */
static int agent(void)
{
	const unsigned long sizes[] = { 64ul << 10, 1ul << 20 };
	char *buf = malloc(1 << 20);
	uint64_t j, p;
	unsigned int s, r;

	if (!buf)
		return 1;
	for (s = 0; s < 2; s++) {
		j = p = 0;
		for (r = 0; r < ROUNDS; r++) {
			j = best(j, jet_read(buf, sizes[s]));
			p = best(p, plain_read(buf, sizes[s]));
		}
		printf("# read, %4lu KiB buffer, best of %d:\n",
		       sizes[s] >> 10, ROUNDS);
		report("  plain pread", p, 0);
		report("  JetReadFileInstance", j, p);
	}
	j = p = 0;
	for (r = 0; r < ROUNDS; r++) {
		j = best(j, jet_sendfile());
		p = best(p, plain_copy(buf, 1 << 20));
	}
	printf("# copy to a file, best of %d:\n", ROUNDS);
	report("  plain pread+write, 1 MiB", p, 0);
	report("  sendfile from the backup fd", j, p);
	fflush(stdout);
	free(buf);
	return 0;
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
	snprintf(out, sizeof(out), "%s/copy.edb", dir);
	if (jt_make_file(db, DB_SIZE, 1)) {
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
	if (pid < 0 || !jt_child_ok(jt_wait_child(pid, 500000)))
		printf("# the agent failed\n");
	JetTerm(inst);
out:
	unlink(out);
	unlink(db);
	rmdir(dir);
	return 0;
}
