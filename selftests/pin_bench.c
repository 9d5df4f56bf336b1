// SPDX-License-Identifier: GPL-2.0
/*
 * pin_bench - the kernel memory one uid pins at every one of its limits,
 * at the module's default limits (SPEC section 8; jet(4), Limits).
 *
 * uid 2200 creates max_instances_per_user instances and fills each with
 * max_path_bytes of the longest paths (as logs) and max_locks range locks
 * on one database: the worst case the limits allow, short of files beyond
 * those (each further file is a small record, bounded by RLIMIT_NOFILE).
 * The figure is the growth of Slab + VmallocUsed in /proc/meminfo, against
 * the bound jet(4) computes; a BENCH line says both.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "jet_test.h"
#include "bench/bench.h"

#define UID_PIN		2200

static long kernel_kb(void)
{
	char line[128];
	long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld", &v) == 1 ||
		    sscanf(line, "VmallocUsed: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

struct shared {
	uint32_t ready, release;
	int32_t failed;
	unsigned int instances, files, locks;
};

static int fill(struct shared *sh, const char *file)
{
	unsigned int per_user, path_bytes, locks, i, j;
	struct rlimit rl = { 1 << 16, 1 << 16 };
	char path[JET_PATH_MAX + 1];
	uint64_t gen = 1;
	int fd, f;

	if (jt_param_read("max_instances_per_user", &per_user) ||
	    jt_param_read("max_path_bytes", &path_bytes) ||
	    jt_param_read("max_locks", &locks) ||
	    setrlimit(RLIMIT_NOFILE, &rl) || jt_become(UID_PIN, UID_PIN, 0))
		return 1;
	fd = jt_raw_open();
	f = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || f < 0)
		return 2;
	for (i = 0; i < per_user; i++) {
		struct jet_attach at = { .fd = f };
		uint64_t inst;

		snprintf(path, sizeof(path), "jt-pin-%d-%u", getpid(), i);
		if (jt_raw_create(fd, path, NULL, &inst) ||
		    jt_raw_init(fd, inst, 0, NULL))
			return 3;
		sh->instances++;
		snprintf(path, sizeof(path), "/db/%u", i);
		at.instance = inst;
		at.name = (uintptr_t)path;
		if (jt_ioctl(fd, JET_IOC_ATTACH_DB, &at))
			return 4;
		sh->files++;
		for (j = 0; j < locks; j++) {
			struct jet_lock_range lr = {
				.instance = inst, .name = (uintptr_t)path,
				.offset = j, .length = 1,
			};

			if (jt_ioctl(fd, JET_IOC_LOCK_RANGE, &lr))
				return 5;
			sh->locks++;
		}
		for (j = 0;; j++) {
			struct jet_add_log al = {
				.instance = inst, .generation = gen++, .fd = f,
				.name = (uintptr_t)path,
			};
			int n = snprintf(path, sizeof(path), "/log/%u/%u/", i, j);

			memset(path + n, 'p', JET_PATH_MAX - n);
			path[JET_PATH_MAX] = 0;
			if (jt_ioctl(fd, JET_IOC_ADD_LOG, &al))
				break;
			sh->files++;
		}
	}
	jt_word_set(&sh->ready, 1);
	jt_word_wait(&sh->release, 1, jt_deadline_in(600000));
	return 0;
}

int main(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int per_user = 0, path_bytes = 0, locks = 0;
	char file[64];
	long kb0, kb1;
	double bound;
	pid_t pid;

	if (sh == MAP_FAILED)
		return 1;
	jt_param_read("max_instances_per_user", &per_user);
	jt_param_read("max_path_bytes", &path_bytes);
	jt_param_read("max_locks", &locks);
	snprintf(file, sizeof(file), "/tmp/jt-pin-%d.db", getpid());
	if (jt_make_file(file, 4096, 1))
		return 1;
	kb0 = kernel_kb();
	pid = fork();
	if (!pid)
		_exit(fill(sh, file));
	if (jt_word_wait(&sh->ready, 1, jt_deadline_in(600000))) {
		printf("# the filler failed: status 0x%x\n",
		       jt_wait_child(pid, 1000));
		return 1;
	}
	kb1 = kernel_kb();
	jt_word_set(&sh->release, 1);
	jt_wait_child(pid, 60000);
	unlink(file);
	/* jet(4): per instance, its paths, its locks and about 1 KiB */
	bound = per_user * (path_bytes / 1024.0 + locks * 64 / 1024.0 + 1);
	printf("# pin_bench: uid %d with %u instances, %u files, %u locks\n",
	       UID_PIN, sh->instances, sh->files, sh->locks);
	printf("# kernel memory pinned: %ld kB (jet(4) bound %.0f kB)\n",
	       kb1 - kb0, bound);
	bench_line("pinned_by_one_uid", "default_limits", kb1 - kb0, "kB",
		   "jet4_bound", bound, "<=1.5");
	return 0;
}
