// SPDX-License-Identifier: GPL-2.0
/*
 * How long an OS snapshot holds the owner's writes back (issue 17):
 * `jetctl snapshot` (reflink clones, taken while the instance is frozen) of
 * an instance with a 1 GiB database on the VM's reflink disk, beside
 * `jetctl backup` of the same database (streamed through jet) to the same
 * disk. This process is the owner: a writer thread writes 8 KiB pages at
 * random under JetLockWriteRangeInstance, as a database server does, and
 * times every lock; a roller thread answers the roll requests that a
 * backup and the freeze make. Held: the longest lock wait of the writer
 * while a snapshot ran, as the owner measured it. Baseline: the time of a
 * whole `jetctl backup`, measured in the same run (cold page cache for
 * both; the median of ROUNDS). Target: writes held at most a tenth of the
 * streaming backup's time.
 *
 * Round 1 snapshots the database as the host made it (a few extents);
 * later rounds snapshot it after the owner's writes since the first
 * snapshot, each of which the file system copied on write into extents of
 * their own: a clone costs per extent, so each snapshot is a figure of its
 * own, with the database's extent count. The snapshot's own time (it
 * hashes the clones after the thaw), what jetctl says it held the writes
 * (freeze to thaw) and the longest wait during a backup are printed too.
 *
 * check.sh (make bench) gives the VM the reflink disk (XFS, serial
 * jet-reflink) with the database already on it (snap.edb, made on the host)
 * and puts jetctl beside this program.
 * A benchmark: exits 0, and says why when it cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <libgen.h>
#include <math.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/mount.h>

#include "jet_test.h"
#include "jet_disk.h"
#include "bench/bench.h"

#define SERIAL		"jet-reflink"
#define MNT		"/mnt/jet-reflink"
#define DB		MNT "/snap.edb"
#define WORK		MNT "/snapshot-bench"
#define OUT_SNAP	MNT "/snapshot-bench.snap"
#define OUT_BACKUP	MNT "/snapshot-bench.backup"
#define SNAP_LOG	"/tmp/snapbench-snapshot.out"
#define BACKUP_LOG	"/tmp/snapbench-backup.out"
#define PAGE		8192
#define LOG_SIZE	(1u << 20)
#define ROUNDS		2

static JET_INSTANCE inst;
static int db_fd = -1;
static uint64_t db_pages;

/* the writer's, read by the main thread */
static int writer_run = 1;
static int measuring;
static uint64_t writes, longest_ns;

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void *writer_main(void *arg)
{
	static char page[PAGE];
	uint64_t x = 88172645463325252ull, t0, wait, off;
	struct timespec pause = { 0, 1000000 };	/* 1 ms between writes */
	JET_HANDLE h;

	(void)arg;
	memset(page, 0x5a, sizeof(page));
	while (__atomic_load_n(&writer_run, __ATOMIC_RELAXED)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = (x % db_pages) * PAGE;
		t0 = jt_now_ns();
		if (JetLockWriteRangeInstance(inst, DB, off, PAGE, &h)) {
			printf("# the writer's lock failed\n");
			break;
		}
		wait = jt_now_ns() - t0;
		if (pwrite(db_fd, page, PAGE, (off_t)off) != PAGE)
			printf("# the writer's pwrite failed: %s\n",
			       strerror(errno));
		JetUnlockWriteRangeInstance(inst, h);
		if (__atomic_load_n(&measuring, __ATOMIC_SEQ_CST) &&
		    wait > __atomic_load_n(&longest_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&longest_ns, wait, __ATOMIC_RELAXED);
		__atomic_add_fetch(&writes, 1, __ATOMIC_SEQ_CST);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* the longest write wait from now on */
static void measure_begin(void)
{
	__atomic_store_n(&longest_ns, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&measuring, 1, __ATOMIC_SEQ_CST);
}

/* ... until the writer finished two more writes (a write held until the
 * thaw ends after the tool's last call), in ms; NAN when it did not
 */
static double measure_end(void)
{
	uint64_t w = __atomic_load_n(&writes, __ATOMIC_SEQ_CST) + 2;
	uint64_t end = jt_deadline_in(10000);

	while (__atomic_load_n(&writes, __ATOMIC_SEQ_CST) < w &&
	       jt_now_ns() < end)
		usleep(1000);
	__atomic_store_n(&measuring, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&writes, __ATOMIC_SEQ_CST) < w)
		return NAN;
	return ms(__atomic_load_n(&longest_ns, __ATOMIC_SEQ_CST));
}

/* The reflink disk, mounted on MNT (the driver probes it in the
 * background: waits up to 20 s). 0, or -ENODEV without it, or -errno.
 */
static int mount_reflink_disk(void)
{
	static const char *const types[] = { "xfs", "btrfs" };
	char name[32] = "", dev[64];
	unsigned int i;

	if (jt_disk_mounted(MNT))
		return 0;
	for (i = 0; i < 200 && !name[0]; i++) {
		jt_disk_find(SERIAL, name, sizeof(name));
		if (!name[0]) {
			if (access("/sys/module/virtio_blk", F_OK))
				return -ENODEV;
			usleep(100000);
		}
	}
	if (!name[0])
		return -ENODEV;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	mkdir("/mnt", 0755);
	mkdir(MNT, 0755);
	for (i = 0; i < 2; i++)
		if (!mount(dev, MNT, types[i], 0, NULL))
			return 0;
	return -errno;
}

/* the database's extents on disk (FIEMAP, no sync: that would take
 * work out of the freeze), or -1
 */
static long extents(void)
{
	struct fiemap fm;

	memset(&fm, 0, sizeof(fm));
	fm.fm_length = FIEMAP_MAX_OFFSET;
	if (ioctl(db_fd, FS_IOC_FIEMAP, &fm))
		return -1;
	return (long)fm.fm_mapped_extents;
}

/* the median, or NAN when a round was not measured */
static double median_of_all(double *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (isnan(v[i]))
			return NAN;
	return bench_median(v, n);
}

/*
 * Runs "jetctl CMD [OPT] snapbench DIR" with its output in LOG; the
 * milliseconds it took, or NAN (and its output shown) when it failed.
 */
static double run_jetctl(const char *jetctl, const char *log,
			 const char *cmd, const char *opt, const char *dir)
{
	uint64_t t0 = jt_now_ns();
	int status = -1, fd;
	char line[512];
	pid_t pid;
	FILE *f;

	pid = fork();
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (opt)
			execl(jetctl, "jetctl", cmd, opt, "snapbench", dir,
			      (char *)NULL);
		else
			execl(jetctl, "jetctl", cmd, "snapbench", dir,
			      (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return ms(jt_now_ns() - t0);
	printf("# jetctl %s failed (status %#x):\n", cmd, status);
	f = fopen(log, "re");
	while (f && fgets(line, sizeof(line), f))
		printf("#   %s", line);
	if (f)
		fclose(f);
	return NAN;
}

/* the freeze-to-thaw time jetctl snapshot says it held the writes, ms */
static double tool_held(const char *log)
{
	char line[1024], *p;
	double v = NAN;
	FILE *f = fopen(log, "re");

	while (f && fgets(line, sizeof(line), f)) {
		p = strstr(line, "writes waited ");
		if (p)
			v = strtod(p + strlen("writes waited "), NULL) * 1000;
	}
	if (f)
		fclose(f);
	return v;
}

static int setup_owner(struct jt_roller *roller)
{
	char path[256];
	JET_SESID ses;
	unsigned long g;
	long err;

	if (mkdir(WORK, 0755) && errno != EEXIST)
		return -errno;
	err = JetCreateInstance(&inst, "snapbench");
	if (!err)
		err = JetInit(&inst);
	if (!err)
		err = JetBeginSession(inst, &ses, NULL, NULL);
	if (!err)
		err = JetAttachDatabase(ses, DB, 0);
	/* two closed logs and a checkpoint: what a backup copies */
	for (g = 1; !err && g <= 2; g++) {
		snprintf(path, sizeof(path), WORK "/edb%05lX.log", g);
		if (jt_make_file(path, LOG_SIZE, (uint32_t)g))
			return -EIO;
		err = JetAddLogFileInstance(inst, path, g);
	}
	if (!err)
		err = JetSetCheckpointInstance(inst, 1);
	if (err) {
		printf("# owner set-up: %s\n", JetErrorName(err));
		return -EINVAL;
	}
	return jt_roller_start(roller, -1, WORK "/edb%05lX.log", LOG_SIZE);
}

int main(int argc, char **argv)
{
	double snap[ROUNDS], held[ROUNDS], backup[ROUNDS], bheld[ROUNDS];
	double tool[ROUNDS];
	long ext[ROUNDS];
	char config[64];
	double m_backup;
	char jetctl[PATH_MAX], here[PATH_MAX];
	struct jt_roller roller;
	pthread_t writer;
	struct stat st;
	int r, k, ret;

	(void)argc;
	snprintf(here, sizeof(here), "%s", argv[0]);
	snprintf(jetctl, sizeof(jetctl), "%s/jetctl", dirname(here));
	printf("# snapshot_bench: jetctl snapshot (reflink) against jetctl backup of a 1 GiB database\n");
	ret = mount_reflink_disk();
	if (ret) {
		printf("# no reflink disk (%s): %s; make bench gives one where the kernel has XFS\n",
		       SERIAL, strerror(-ret));
		return 0;
	}
	if (stat(DB, &st) || access(jetctl, X_OK)) {
		printf("# no %s or no %s: run it with make bench\n", DB,
		       jetctl);
		return 0;
	}
	db_pages = (uint64_t)st.st_size / PAGE;
	db_fd = open(DB, O_WRONLY | O_CLOEXEC);
	if (db_fd < 0 || !db_pages) {
		printf("# %s: cannot write it\n", DB);
		return 0;
	}
	if (setup_owner(&roller)) {
		printf("# the owner's set-up failed\n");
		return 0;
	}
	if (pthread_create(&writer, NULL, writer_main, NULL)) {
		printf("# no writer thread\n");
		return 0;
	}
	printf("# %s: %llu MiB; the owner writes 8 KiB pages, one a millisecond\n",
	       DB, (unsigned long long)(st.st_size >> 20));
	printf("# round  db extents  snapshot ms  writes held ms (jetctl says)  backup ms  longest wait in backup ms\n");
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < 2; k++) {
			jt_rm_tree(OUT_SNAP);
			jt_rm_tree(OUT_BACKUP);
			jt_drop_caches();
			measure_begin();
			if ((k + r) % 2 == 0) {
				ext[r] = extents();
				snap[r] = run_jetctl(jetctl, SNAP_LOG, "snapshot",
						     NULL, OUT_SNAP);
				held[r] = measure_end();
				if (isnan(snap[r]))
					held[r] = NAN;
				tool[r] = tool_held(SNAP_LOG);
			} else {
				backup[r] = run_jetctl(jetctl, BACKUP_LOG,
						       "backup", "-q", OUT_BACKUP);
				bheld[r] = measure_end();
			}
		}
		printf("  %5d  %10ld  %11.1f  %14.2f (%9.1f)  %9.1f  %25.2f\n",
		       r + 1, ext[r], snap[r], held[r], tool[r], backup[r],
		       bheld[r]);
	}
	__atomic_store_n(&writer_run, 0, __ATOMIC_SEQ_CST);
	pthread_join(writer, NULL);
	jt_roller_stop(&roller);
	JetTerm2(inst, JET_bitTermAbrupt);
	jt_rm_tree(OUT_SNAP);
	jt_rm_tree(OUT_BACKUP);
	jt_rm_tree(WORK);

	m_backup = median_of_all(backup, ROUNDS);
	for (r = 0; r < ROUNDS; r++) {
		printf("# snapshot %d (%ld extents): writes held %.2f ms, the snapshot %.1f ms; a streaming backup %.1f ms (median)\n",
		       r + 1, ext[r], held[r], snap[r], m_backup);
		/* fixed names, so runs compare; the extents are above */
		snprintf(config, sizeof(config), "1GiB_db_%s",
			 r ? "rewritten" : "as_made");
		if (r > 1)
			snprintf(config, sizeof(config),
				 "1GiB_db_rewritten_%d", r);
		bench_line("snapshot_hold", config, held[r], "ms",
			   "jetctl_backup", m_backup, "<=0.1");
		bench_line("snapshot_time", config, snap[r], "ms",
			   "jetctl_backup", m_backup, "-");
	}
	return 0;
}
