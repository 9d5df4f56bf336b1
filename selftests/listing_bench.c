// SPDX-License-Identifier: GPL-2.0
/*
 * listing_bench - what the paged listing costs against the one-shot one,
 * at 10,000 instances (each named, with one attached database).
 *
 * Both list the same instances through the same kernel code (a killable
 * lock of each instance, its record built in kernel memory, one copy out);
 * the paged listing (JET_LIST_PAGED, 64 KiB pages, as libjet does) starts
 * over at its cursor for every page, and never holds more than a page in
 * the kernel. Rounds alternate, and the lower quartile of each is printed
 * with a BENCH line (bench/bench.h). The instance limits are raised for
 * the run and put back after.
 */
#define _GNU_SOURCE
#include <math.h>

#include "jet_test.h"
#include "bench/bench.h"

#define NINST		10000
#define ROUNDS		15
#define PAGE		(64 * 1024)
#define ONE_SHOT	(16 << 20)

static const char *const params[] = {
	"max_instances", "max_instances_per_ns", "max_instances_per_user",
};

static int param_write(const char *name, unsigned int v)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), JT_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u\n", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* One listing of everything: 0 and the records' count, or -errno. */
static int list_one_shot(int fd, char *buf, unsigned int *count)
{
	struct jet_list l = { .buf = (uintptr_t)buf, .buf_size = ONE_SHOT };
	int ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l);

	*count = l.count;
	return ret;
}

static int list_paged(int fd, char *buf, unsigned int *count)
{
	uint64_t start = 0;
	int ret;

	*count = 0;
	do {
		struct jet_list l = {
			.buf = (uintptr_t)buf, .buf_size = PAGE,
			.flags = JET_LIST_PAGED, .start = start,
		};

		ret = jt_ioctl(fd, JET_IOC_LIST_INSTANCES, &l);
		*count += l.count;
		start = l.next;
	} while (!ret && start);
	return ret;
}

int main(void)
{
	double one[ROUNDS], paged[ROUNDS], t1, tp;
	unsigned int saved[3], n1 = 0, np = 0;
	struct jet_enable_multi em = { 0 };
	char *buf = malloc(ONE_SHOT), name[64], db[64];
	int owner, lister, dbfd, i, ret = 1;
	uint64_t inst, t;

	printf("# listing_bench: %d instances, one-shot vs %d KiB pages, %d rounds\n",
	       NINST, PAGE / 1024, ROUNDS);
	for (i = 0; i < 3; i++)
		if (jt_param_read(params[i], &saved[i]) ||
		    param_write(params[i], 4 * NINST)) {
			printf("# cannot raise %s\n", params[i]);
			return 1;
		}
	snprintf(db, sizeof(db), "/tmp/jt-listing-bench-%d.edb", getpid());
	dbfd = jt_open_new_file(db, 4096, 1);
	owner = jt_raw_open();
	lister = jt_raw_open();
	if (!buf || dbfd < 0 || owner < 0 || lister < 0 ||
	    jt_ioctl(owner, JET_IOC_ENABLE_MULTI, &em)) {
		printf("# cannot set up\n");
		goto out;
	}
	for (i = 0; i < NINST; i++) {
		struct jet_attach at = { .name = (uintptr_t)db, .fd = dbfd };

		snprintf(name, sizeof(name), "bench-instance-%05d", i);
		if (jt_raw_create(owner, name, NULL, &inst) ||
		    jt_raw_init(owner, inst, 0, NULL)) {
			printf("# instance %d: cannot create\n", i);
			goto out;
		}
		at.instance = inst;
		if (jt_ioctl(owner, JET_IOC_ATTACH_DB, &at)) {
			printf("# instance %d: cannot attach\n", i);
			goto out;
		}
	}
	for (i = 0; i < ROUNDS; i++) {
		t = jt_now_ns();
		if (list_one_shot(lister, buf, &n1))
			goto out;
		one[i] = (jt_now_ns() - t) / 1e6;
		t = jt_now_ns();
		if (list_paged(lister, buf, &np))
			goto out;
		paged[i] = (jt_now_ns() - t) / 1e6;
	}
	if (n1 < NINST || np != n1) {
		printf("# listed %u one-shot, %u paged\n", n1, np);
		goto out;
	}
	t1 = bench_quantile(one, ROUNDS, 0.25);
	tp = bench_quantile(paged, ROUNDS, 0.25);
	printf("# %-22s %10s\n", "listing", "ms");
	printf("# %-22s %10.2f\n", "one-shot", t1);
	printf("# %-22s %10.2f  (%.2fx)\n", "paged, 64 KiB", tp, tp / t1);
	bench_line("list_10k_instances", "paged_64KiB", tp, "ms", "one_shot",
		   t1, "<=2");
	ret = 0;
out:
	close(owner);	/* terms every instance */
	close(lister);
	if (dbfd >= 0)
		close(dbfd);
	unlink(db);
	for (i = 0; i < 3; i++)
		param_write(params[i], saved[i]);
	free(buf);
	return ret;
}
