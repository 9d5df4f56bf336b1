// SPDX-License-Identifier: MIT
/*
 * jetdemo-server.c - a sample owner of a jet instance: what a database server
 * does with libjet, in one file.
 *
 * It creates a named instance, initializes it, attaches a database file it
 * generates, and then keeps writing 4 KiB pages at random offsets, each
 * bracketed by JetLockWriteRangeInstance/JetUnlockWriteRangeInstance so that
 * a backup never copies a torn page. Every write is also appended to a log;
 * every --log-every writes the log is closed, registered with
 * JetAddLogFileInstance and the checkpoint moved with
 * JetSetCheckpointInstance. It polls JetGetNotificationFd and deletes the logs
 * that a backup truncated (JetGetLogTruncationEvent).
 *
 * Signals: SIGUSR1 stops the running backup (JetStopBackupInstance), SIGUSR2
 * pauses or resumes backup reads, SIGTERM and SIGINT end it (JetTerm2 with
 * JET_bitTermAbrupt).
 *
 * Every page carries its number, a sequence number and a payload derived from
 * both, so "jetdemo-server --check-db FILE" can tell whether a copy of the
 * database holds any torn page.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jet.h"

#define PAGE_SIZE_DEMO	4096u
#define PAGE_MAGIC	0x4a455444u	/* "JETD" */

struct page_header {
	uint32_t magic;
	uint32_t pageno;
	uint64_t seq;		/* 0: as generated */
};

struct log_record {
	uint64_t seq;
	uint64_t pageno;
};

struct demo {
	const char *name;
	const char *dir;
	const char *ready_file;
	unsigned long db_mib;
	unsigned long log_every;
	unsigned long interval_ms;
	unsigned long checkpoint_lag;
	unsigned long long throttle;
	unsigned int seed;
	bool quiet;

	char db_path[PATH_MAX];
	int db_fd;
	uint32_t npages;
	JET_INSTANCE inst;
	JET_SESID sesid;
	unsigned long gen;	/* the log being written */
	int log_fd;
	uint64_t seq;
	bool paused;
};

static volatile sig_atomic_t sig_term, sig_usr1, sig_usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_usr1 = 1;
	else if (sig == SIGUSR2)
		sig_usr2 = 1;
	else
		sig_term = sig;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("jetdemo-server: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int jet_failed(const char *call, JET_ERR err)
{
	fprintf(stderr, "jetdemo-server: %s: %s (%ld): %s\n", call,
		JetErrorName(err), (long)err, JetErrorText(err));
	return 1;
}

static int sys_failed(const char *what, const char *arg)
{
	fprintf(stderr, "jetdemo-server: %s %s: %s\n", what, arg,
		strerror(errno));
	return 1;
}

/* xorshift64*: the payload of a page follows from (pageno, seq) */
static uint64_t mix(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

static void fill_page(unsigned char *page, uint32_t pageno, uint64_t seq)
{
	struct page_header h = { PAGE_MAGIC, pageno, seq };
	uint64_t x = ((uint64_t)pageno << 32 ^ seq) | 1, v;
	size_t off;

	memcpy(page, &h, sizeof(h));
	for (off = sizeof(h); off < PAGE_SIZE_DEMO; off += sizeof(v)) {
		v = mix(&x);
		memcpy(page + off, &v, sizeof(v));
	}
}

static bool page_ok(const unsigned char *page, uint32_t pageno)
{
	static unsigned char want[PAGE_SIZE_DEMO];
	struct page_header h;

	memcpy(&h, page, sizeof(h));
	if (h.magic != PAGE_MAGIC || h.pageno != pageno)
		return false;
	fill_page(want, pageno, h.seq);
	return !memcmp(page, want, PAGE_SIZE_DEMO);
}

/* --check-db FILE: 0 when every page is whole, 1 when one is torn */
static int check_db(const char *path)
{
	unsigned char page[PAGE_SIZE_DEMO];
	uint32_t pageno = 0, bad = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_failed("opening", path);
	while ((r = read(fd, page, sizeof(page))) == (ssize_t)sizeof(page)) {
		if (!page_ok(page, pageno)) {
			if (bad < 10)
				printf("page %u is torn or damaged\n", pageno);
			bad++;
		}
		pageno++;
	}
	close(fd);
	if (r != 0) {
		printf("%s: its size is not a multiple of %u\n", path,
		       PAGE_SIZE_DEMO);
		return 1;
	}
	printf("%s: %u pages, %u torn or damaged\n", path, pageno, bad);
	return bad ? 1 : 0;
}

static int write_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int make_db(struct demo *d)
{
	unsigned char *chunk;
	const uint32_t per_chunk = 256;	/* pages per write: 1 MiB */
	uint32_t p, i;

	snprintf(d->db_path, sizeof(d->db_path), "%s/%s.edb", d->dir, d->name);
	d->npages = (uint32_t)(d->db_mib * (1024 * 1024 / PAGE_SIZE_DEMO));
	d->db_fd = open(d->db_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
	if (d->db_fd < 0)
		return sys_failed("creating", d->db_path);
	chunk = malloc((size_t)per_chunk * PAGE_SIZE_DEMO);
	if (!chunk)
		return sys_failed("allocating", "memory");
	for (p = 0; p < d->npages; p += per_chunk) {
		uint32_t n = d->npages - p < per_chunk ? d->npages - p :
							 per_chunk;

		for (i = 0; i < n; i++)
			fill_page(chunk + (size_t)i * PAGE_SIZE_DEMO, p + i, 0);
		if (write_all(d->db_fd, chunk, (size_t)n * PAGE_SIZE_DEMO,
			      (off_t)p * PAGE_SIZE_DEMO)) {
			free(chunk);
			return sys_failed("writing", d->db_path);
		}
	}
	free(chunk);
	if (fsync(d->db_fd))
		return sys_failed("writing", d->db_path);
	return 0;
}

static void log_path(const struct demo *d, unsigned long gen, char *buf,
		     size_t size)
{
	snprintf(buf, size, "%s/%s.%08lu.log", d->dir, d->name, gen);
}

static int open_log(struct demo *d)
{
	char path[PATH_MAX];

	log_path(d, d->gen, path, sizeof(path));
	d->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
			 O_CLOEXEC, 0644);
	if (d->log_fd < 0)
		return sys_failed("creating", path);
	return 0;
}

/* close the log, hand it to the instance, move the checkpoint, start anew */
static int roll_log(struct demo *d)
{
	char path[PATH_MAX];
	JET_ERR err;

	log_path(d, d->gen, path, sizeof(path));
	if (fdatasync(d->log_fd) || close(d->log_fd))
		return sys_failed("writing", path);
	d->log_fd = -1;
	err = JetAddLogFileInstance(d->inst, path, d->gen);
	if (err)
		return jet_failed("JetAddLogFileInstance", err);
	/* the logs a restore still needs: the last checkpoint_lag ones */
	if (d->gen + 1 > d->checkpoint_lag) {
		err = JetSetCheckpointInstance(d->inst,
					       d->gen + 1 - d->checkpoint_lag);
		if (err)
			return jet_failed("JetSetCheckpointInstance", err);
	}
	d->gen++;
	return open_log(d);
}

static int write_page(struct demo *d)
{
	static unsigned char page[PAGE_SIZE_DEMO];
	uint32_t pageno = (uint32_t)(rand() % (int)d->npages);
	struct log_record rec;
	off_t off = (off_t)pageno * PAGE_SIZE_DEMO;
	JET_HANDLE lock;
	JET_ERR err;
	int rc;

	d->seq++;
	fill_page(page, pageno, d->seq);
	/* waits while a backup read copies these bytes */
	err = JetLockWriteRangeInstance(d->inst, d->db_path, (uint64_t)off,
					PAGE_SIZE_DEMO, &lock);
	if (err)
		return jet_failed("JetLockWriteRangeInstance", err);
	rc = write_all(d->db_fd, page, sizeof(page), off);
	err = JetUnlockWriteRangeInstance(d->inst, lock);
	if (rc)
		return sys_failed("writing", d->db_path);
	if (err)
		return jet_failed("JetUnlockWriteRangeInstance", err);

	rec.seq = d->seq;
	rec.pageno = pageno;
	if (write(d->log_fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		return sys_failed("writing the log of", d->name);
	if (d->seq % d->log_every == 0)
		return roll_log(d);
	return 0;
}

/* a backup truncated logs: they are ours to delete now */
static int drain_truncations(struct demo *d)
{
	unsigned long first, last, g;
	char path[PATH_MAX];
	JET_INSTANCE inst;
	JET_ERR err;

	for (;;) {
		err = JetGetLogTruncationEvent(&inst, &first, &last);
		if (err)
			return jet_failed("JetGetLogTruncationEvent", err);
		if (!inst)
			return 0;
		if (inst != d->inst)
			continue;
		for (g = first; g <= last; g++) {
			log_path(d, g, path, sizeof(path));
			if (unlink(path) && errno != ENOENT)
				return sys_failed("deleting", path);
		}
		say("deleted logs %lu-%lu (truncated by a backup)", first,
		    last);
	}
}

/* a backup asks for the log roll: close the log we write and register it */
static int drain_rolls(struct demo *d)
{
	unsigned long above;
	JET_INSTANCE inst;
	JET_ERR err;

	for (;;) {
		err = JetGetLogRollRequest(&inst, &above);
		if (err)
			return jet_failed("JetGetLogRollRequest", err);
		if (!inst)
			return 0;
		if (inst != d->inst || d->gen <= above)
			continue;
		say("rolling log %lu for a backup", d->gen);
		if (roll_log(d))
			return 1;
	}
}

static void handle_signals(struct demo *d)
{
	JET_ERR err;

	if (sig_usr1) {
		sig_usr1 = 0;
		err = JetStopBackupInstance(d->inst);
		if (err)
			jet_failed("SIGUSR1: JetStopBackupInstance", err);
		else
			say("SIGUSR1: stopped the backup of instance %s (JetStopBackupInstance)",
			    d->name);
	}
	if (sig_usr2) {
		sig_usr2 = 0;
		err = d->paused ? JetResumeBackupInstance(d->inst) :
				  JetPauseBackupInstance(d->inst);
		if (err) {
			jet_failed(d->paused ? "JetResumeBackupInstance" :
				   "JetPauseBackupInstance", err);
		} else {
			d->paused = !d->paused;
			say("SIGUSR2: backup reads of instance %s %s",
			    d->name, d->paused ? "paused" : "resumed");
		}
	}
}

static int write_ready_file(const struct demo *d)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", d->ready_file);
	f = fopen(tmp, "we");
	if (!f)
		return sys_failed("creating", tmp);
	fprintf(f, "pid %d\ninstance %lu\nname %s\ndatabase %s\n",
		(int)getpid(), (unsigned long)d->inst, d->name, d->db_path);
	if (fclose(f) || rename(tmp, d->ready_file))
		return sys_failed("writing", d->ready_file);
	return 0;
}

static int setup(struct demo *d)
{
	char dir[PATH_MAX];
	JET_ERR err;

	if (mkdir(d->dir, 0755) && errno != EEXIST)
		return sys_failed("creating", d->dir);
	/* absolute names: they are what a backup sees and restores */
	if (!realpath(d->dir, dir))
		return sys_failed("resolving", d->dir);
	d->dir = strdup(dir);
	if (!d->dir || make_db(d))
		return 1;

	err = JetCreateInstance(&d->inst, d->name);
	if (err)
		return jet_failed("JetCreateInstance", err);
	err = JetInit(&d->inst);
	if (err)
		return jet_failed("JetInit", err);
	err = JetBeginSession(d->inst, &d->sesid, NULL, NULL);
	if (err)
		return jet_failed("JetBeginSession", err);
	err = JetAttachDatabase(d->sesid, d->db_path, 0);
	if (err)
		return jet_failed("JetAttachDatabase", err);
	if (d->throttle) {
		err = JetSetBackupThrottleInstance(d->inst, d->throttle);
		if (err)
			return jet_failed("JetSetBackupThrottleInstance", err);
	}
	d->gen = 1;
	if (open_log(d))
		return 1;
	if (d->ready_file && write_ready_file(d))
		return 1;
	say("instance %s (id %lu) ready: database %s (%lu MiB), a log every %lu writes, pid %d",
	    d->name, (unsigned long)d->inst, d->db_path, d->db_mib,
	    d->log_every, (int)getpid());
	return 0;
}

static int run(struct demo *d)
{
	struct pollfd pfd = { .events = POLLIN | POLLPRI };
	JET_ERR err;

	err = JetGetNotificationFd(&pfd.fd);
	if (err)
		return jet_failed("JetGetNotificationFd", err);
	while (!sig_term) {
		handle_signals(d);
		/* the wait between writes doubles as the event wait */
		if (poll(&pfd, 1, (int)d->interval_ms) > 0 &&
		    (pfd.revents & POLLPRI) && drain_rolls(d))
			return 1;
		if ((pfd.revents & POLLIN) && drain_truncations(d))
			return 1;
		if (sig_term)
			break;
		if (write_page(d))
			return 1;
	}
	say("%s: ending instance %s (JetTerm2 abrupt) after %llu writes",
	    sig_term == SIGINT ? "SIGINT" : "SIGTERM", d->name,
	    (unsigned long long)d->seq);
	return 0;
}

static void cleanup(struct demo *d)
{
	if (d->inst) {
		JET_ERR err = JetTerm2(d->inst, JET_bitTermAbrupt);

		if (err)
			jet_failed("JetTerm2", err);
	}
	if (d->log_fd >= 0)
		close(d->log_fd);
	if (d->db_fd >= 0)
		close(d->db_fd);
	if (d->ready_file)
		unlink(d->ready_file);
}

static const char usage_text[] =
"Usage: jetdemo-server [OPTIONS]\n"
"       jetdemo-server --check-db FILE\n"
"A sample jet instance owner: writes pages to a database while backups run.\n"
"\n"
"  --name NAME            instance name (default demo)\n"
"  --dir DIR              where the database and logs go (default ./jetdemo)\n"
"  --db-size MIB          database size in MiB (default 64)\n"
"  --log-every N          roll the log every N page writes (default 100)\n"
"  --interval MS          milliseconds between page writes (default 5)\n"
"  --checkpoint-lag N     logs kept before the checkpoint (default 2)\n"
"  --throttle BYTES/S     limit backup reads (K, M, G suffixes; default none)\n"
"  --ready-file PATH      written once the instance is ready, removed at exit\n"
"  --seed N               random seed for page offsets\n"
"  --check-db FILE        check a copy of the database for torn pages and exit\n"
"                         (0: every page whole, 1: some page torn)\n"
"\n"
"Signals: SIGUSR1 stops the running backup, SIGUSR2 pauses or resumes backup\n"
"reads, SIGTERM or SIGINT terminate the instance and exit 0.\n";

static int parse_ulong(const char *opt, const char *s, unsigned long long max,
		       bool suffix, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (suffix && *end && !end[1]) {
		switch (*end) {
		case 'k': case 'K':
			mul = 1ULL << 10;
			end++;
			break;
		case 'm': case 'M':
			mul = 1ULL << 20;
			end++;
			break;
		case 'g': case 'G':
			mul = 1ULL << 30;
			end++;
			break;
		}
	}
	if (errno || end == s || *end || *s == '-' || v > max / mul) {
		fprintf(stderr, "jetdemo-server: %s: '%s' is not a number up to %llu\n",
			opt, s, max);
		return -1;
	}
	*out = v * mul;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "db-size", required_argument, NULL, 's' },
		{ "log-every", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "checkpoint-lag", required_argument, NULL, 'c' },
		{ "throttle", required_argument, NULL, 't' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "check-db", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = {
		.name = "demo", .dir = "jetdemo", .db_mib = 64,
		.log_every = 100, .interval_ms = 5, .checkpoint_lag = 2,
		.seed = (unsigned int)time(NULL), .db_fd = -1, .log_fd = -1,
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	unsigned long long v;
	struct sigaction sa;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			d.name = optarg;
			break;
		case 'd':
			d.dir = optarg;
			break;
		case 's':
			if (parse_ulong("--db-size", optarg, 1u << 20, false,
					&v) || !v)
				return 2;
			d.db_mib = (unsigned long)v;
			break;
		case 'l':
			if (parse_ulong("--log-every", optarg, 1u << 30, false,
					&v) || !v)
				return 2;
			d.log_every = (unsigned long)v;
			break;
		case 'i':
			if (parse_ulong("--interval", optarg, 60000, false, &v))
				return 2;
			d.interval_ms = (unsigned long)v;
			break;
		case 'c':
			if (parse_ulong("--checkpoint-lag", optarg, 1u << 30,
					false, &v) || !v)
				return 2;
			d.checkpoint_lag = (unsigned long)v;
			break;
		case 't':
			if (parse_ulong("--throttle", optarg, ~0ULL, true,
					&d.throttle))
				return 2;
			break;
		case 'r':
			d.ready_file = optarg;
			break;
		case 'S':
			if (parse_ulong("--seed", optarg, ~0U, false, &v))
				return 2;
			d.seed = (unsigned int)v;
			break;
		case 'C':
			return check_db(optarg);
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jetdemo-server: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	/* the pages are addressed with 32 bits */
	if (d.db_mib > (UINT32_MAX / (1024 * 1024 / PAGE_SIZE_DEMO))) {
		fprintf(stderr, "jetdemo-server: --db-size: too large\n");
		return 2;
	}
	srand(d.seed);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	rc = setup(&d);
	if (!rc)
		rc = run(&d);
	cleanup(&d);
	return rc;
}
