// SPDX-License-Identifier: MIT
/*
 * jetdemo-server.c - a sample owner of a jet instance: what a database server
 * does with libjet. This file is the libjet side and the command line; the
 * write-ahead logging is jetdemo-engine.c, recovery jetdemo-recover.c.
 *
 * It creates a named instance, initializes it, attaches a database it
 * generates, and then runs transactions of the seeded workload: each write
 * is logged and the log made durable before the page is written under
 * JetLockWriteRangeInstance/JetUnlockWriteRangeInstance. A generation is
 * closed and registered (JetAddLogFileInstance) when it is full, when it is
 * older than --roll-interval, and when a backup asks for a roll
 * (JetGetLogRollRequest); the
 * checkpoint (JetSetCheckpointInstance) follows the closed generations,
 * whose pages are all on disk. It polls JetGetNotificationFd and deletes the
 * logs that a backup truncated (JetGetLogTruncationEvent).
 *
 * Signals: SIGUSR1 stops the running backup (JetStopBackupInstance), SIGUSR2
 * pauses or resumes backup reads, SIGTERM and SIGINT end it (JetTerm2 with
 * JET_bitTermAbrupt).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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
#include "jetdemo.h"

struct demo {
	const char *name;
	const char *dir;
	const char *ready_file;
	unsigned long db_mib;
	unsigned long interval_ms;
	unsigned long roll_ms;
	unsigned long long throttle;

	struct demo_engine e;
	JET_INSTANCE inst;
	JET_SESID sesid;
	struct timespec gen_started;
	bool paused;
	bool quiet;

	/*
	 * The roll thread. An OS snapshot's freeze holds the page writer in
	 * JetLockWriteRangeInstance and waits for a roll: this thread answers
	 * it meanwhile. engine_mx is the engine's: the main thread holds it
	 * except while it waits for a write lock.
	 */
	pthread_mutex_t engine_mx;
	pthread_t roller;
	bool roller_started;
	int notify_fd;
	int roller_stop;	/* atomic */
	int roller_failed;	/* atomic */
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

static unsigned long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long)((t.tv_sec - t0->tv_sec) * 1000 +
			       (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* --- the engine's hooks: libjet ------------------------------------------ */

static int hook_lock(void *ctx, uint64_t off, uint64_t len, uint64_t *handle)
{
	struct demo *d = ctx;
	JET_HANDLE h;
	JET_ERR err;

	/*
	 * Waits while a backup read copies these bytes, or while an OS
	 * snapshot is frozen: the roll thread may roll meanwhile.
	 */
	pthread_mutex_unlock(&d->engine_mx);
	err = JetLockWriteRangeInstance(d->inst, d->e.db_path, off, len, &h);
	pthread_mutex_lock(&d->engine_mx);
	if (err)
		return jet_failed("JetLockWriteRangeInstance", err);
	*handle = h;
	return 0;
}

static int hook_unlock(void *ctx, uint64_t handle)
{
	struct demo *d = ctx;
	JET_ERR err = JetUnlockWriteRangeInstance(d->inst, (JET_HANDLE)handle);

	return err ? jet_failed("JetUnlockWriteRangeInstance", err) : 0;
}

static int hook_log_closed(void *ctx, const char *path, unsigned long gen)
{
	struct demo *d = ctx;
	JET_ERR err = JetAddLogFileInstance(d->inst, path, gen);

	return err ? jet_failed("JetAddLogFileInstance", err) : 0;
}

static int hook_checkpoint(void *ctx, unsigned long gen)
{
	struct demo *d = ctx;
	JET_ERR err = JetSetCheckpointInstance(d->inst, gen);

	return err ? jet_failed("JetSetCheckpointInstance", err) : 0;
}

static int roll(struct demo *d)
{
	clock_gettime(CLOCK_MONOTONIC, &d->gen_started);
	return demo_engine_roll(&d->e);
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
		/* the kernel never truncates at or after the checkpoint */
		if (last >= d->e.checkpoint) {
			fprintf(stderr, "jetdemo-server: a truncation of logs %lu-%lu reaches the checkpoint %lu: kept\n",
				first, last, d->e.checkpoint);
			continue;
		}
		for (g = first; g <= last; g++) {
			demo_log_path(path, sizeof(path), d->e.dir, d->name, g);
			if (unlink(path) && errno != ENOENT)
				return demo_sys_failed("deleting", path);
		}
		say("deleted logs %lu-%lu (truncated by a backup)", first,
		    last);
	}
}

/*
 * A backup asks for a roll (its first GetLogInfo waits for it): close the
 * generation being written, whose records cover every page it copied, and
 * register it. The open generation is always above every registered one,
 * so closing it answers any request.
 */
static int answer_rolls(struct demo *d)
{
	unsigned long above, gen;
	JET_INSTANCE inst;
	JET_ERR err;

	for (;;) {
		err = JetGetLogRollRequest(&inst, &above);
		if (err)
			return jet_failed("JetGetLogRollRequest", err);
		if (!inst)
			return 0;
		if (inst != d->inst)
			continue;
		gen = d->e.log.gen;
		if (roll(d))
			return 1;
		if (!d->quiet)
			say("rolled log %lu for a backup (asked for one above %lu)",
			    gen, above);
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
		return demo_sys_failed("creating", tmp);
	fprintf(f, "pid %d\ninstance %lu\nname %s\ndatabase %s\nseed %" PRIu64 "\ncommit-every %lu\n",
		(int)getpid(), (unsigned long)d->inst, d->name, d->e.db_path,
		d->e.seed, d->e.commit_every);
	if (fclose(f) || rename(tmp, d->ready_file))
		return demo_sys_failed("writing", d->ready_file);
	return 0;
}

static int setup(struct demo *d)
{
	char dir[PATH_MAX];
	JET_ERR err;

	if (mkdir(d->dir, 0755) && errno != EEXIST)
		return demo_sys_failed("creating", d->dir);
	/* absolute names: they are what a backup sees and restores */
	if (!realpath(d->dir, dir))
		return demo_sys_failed("resolving", d->dir);
	d->dir = strdup(dir);
	if (!d->dir)
		return demo_sys_failed("allocating", "memory");
	d->e.dir = d->dir;
	d->e.name = d->name;
	d->e.npages = (uint32_t)(d->db_mib * (1024 * 1024 / DEMO_PAGE_SIZE));
	if (demo_engine_create(&d->e))
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
	err = JetAttachDatabase(d->sesid, d->e.db_path, 0);
	if (err)
		return jet_failed("JetAttachDatabase", err);
	if (d->throttle) {
		err = JetSetBackupThrottleInstance(d->inst, d->throttle);
		if (err)
			return jet_failed("JetSetBackupThrottleInstance", err);
	}
	d->e.hooks = (struct demo_hooks){
		.ctx = d, .lock = hook_lock, .unlock = hook_unlock,
		.log_closed = hook_log_closed, .checkpoint = hook_checkpoint,
	};
	clock_gettime(CLOCK_MONOTONIC, &d->gen_started);
	if (demo_engine_start_log(&d->e))
		return 1;
	if (d->ready_file && write_ready_file(d))
		return 1;
	say("instance %s (id %lu) ready: database %s (%lu MiB), a log every %lu writes, %lu write(s) a transaction, seed %" PRIu64 ", pid %d",
	    d->name, (unsigned long)d->inst, d->e.db_path, d->db_mib,
	    d->e.log_every, d->e.commit_every, d->e.seed, (int)getpid());
	return 0;
}

/* roll requests (EPOLLPRI) while the main thread waits for a write lock */
static void *roller_main(void *arg)
{
	struct demo *d = arg;
	struct pollfd pfd = { .fd = d->notify_fd, .events = POLLPRI };

	while (!__atomic_load_n(&d->roller_stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 100) <= 0 || !(pfd.revents & POLLPRI))
			continue;
		/* free only while the main thread waits for a lock */
		pthread_mutex_lock(&d->engine_mx);
		if (!__atomic_load_n(&d->roller_stop, __ATOMIC_ACQUIRE) &&
		    answer_rolls(d)) {
			__atomic_store_n(&d->roller_failed, 1,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&d->roller_stop, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&d->engine_mx);
	}
	return NULL;
}

static int roller_start(struct demo *d)
{
	sigset_t all, old;
	int rc;

	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&d->roller, NULL, roller_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		return demo_sys_failed("starting", "the roll thread");
	}
	d->roller_started = true;
	return 0;
}

/* with engine_mx held: it is let go for the roll thread to end */
static void roller_stop(struct demo *d)
{
	if (!d->roller_started)
		return;
	__atomic_store_n(&d->roller_stop, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->engine_mx);
	pthread_join(d->roller, NULL);
	pthread_mutex_lock(&d->engine_mx);
	d->roller_started = false;
}

static int serve(struct demo *d, struct pollfd *ppfd)
{
	struct pollfd pfd = *ppfd;

	while (!sig_term &&
	       !__atomic_load_n(&d->roller_failed, __ATOMIC_ACQUIRE)) {
		handle_signals(d);
		/* the wait between transactions doubles as the event wait */
		if (poll(&pfd, 1, (int)d->interval_ms) > 0 &&
		    (pfd.revents & POLLIN) &&
		    (answer_rolls(d) || drain_truncations(d)))
			return 1;
		if (sig_term)
			break;
		if (demo_engine_commit(&d->e))
			return 1;
		if ((demo_engine_log_full(&d->e) ||
		     (d->roll_ms && ms_since(&d->gen_started) >= d->roll_ms)) &&
		    roll(d))
			return 1;
	}
	if (__atomic_load_n(&d->roller_failed, __ATOMIC_ACQUIRE))
		return 1;	/* the roll thread said why */
	say("%s: ending instance %s (JetTerm2 abrupt) after %" PRIu64 " writes",
	    sig_term == SIGINT ? "SIGINT" : "SIGTERM", d->name, d->e.lsn);
	return 0;
}

static int run(struct demo *d)
{
	struct pollfd pfd = { .events = POLLIN };
	JET_ERR err;
	int rc;

	err = JetGetNotificationFd(&pfd.fd);
	if (err)
		return jet_failed("JetGetNotificationFd", err);
	d->notify_fd = pfd.fd;
	pthread_mutex_lock(&d->engine_mx);
	rc = roller_start(d);
	if (!rc)
		rc = serve(d, &pfd);
	roller_stop(d);
	pthread_mutex_unlock(&d->engine_mx);
	if (__atomic_load_n(&d->roller_failed, __ATOMIC_ACQUIRE))
		rc = 1;
	return rc;
}

static void cleanup(struct demo *d)
{
	if (d->inst) {
		JET_ERR err = JetTerm2(d->inst, JET_bitTermAbrupt);

		if (err)
			jet_failed("JetTerm2", err);
	}
	demo_engine_free(&d->e);
	if (d->ready_file)
		unlink(d->ready_file);
}

static const char usage_text[] =
"Usage: jetdemo-server [OPTIONS]\n"
"       jetdemo-server --recover DIR [--name NAME] [--from GEN] [--to GEN] [--crashed]\n"
"       jetdemo-server --check-db FILE\n"
"       jetdemo-server --check-state FILE --seed N [--commit-every N] [--min-lsn LSN]\n"
"A sample jet instance owner: a small write-ahead-logging database server\n"
"that writes while it is backed up, and recovers a restored backup.\n"
"\n"
"  --name NAME            instance name (default demo)\n"
"  --dir DIR              where the database and logs go (default ./jetdemo)\n"
"  --db-size MIB          database size in MiB (default 64)\n"
"  --log-every N          close the log after N page writes (default 100)\n"
"  --roll-interval MS     close a log older than MS ms (default 2000; 0 never)\n"
"  --commit-every N       page writes per transaction (default 1)\n"
"  --interval MS          milliseconds between transactions (default 5)\n"
"  --checkpoint-lag N     logs kept before the checkpoint (default 2)\n"
"  --throttle BYTES/S     limit backup reads (K, M, G suffixes; default none)\n"
"  --ready-file PATH      written once the instance is ready, removed at exit\n"
"  --commit-file PATH     holds the last committed LSN, rewritten at each commit\n"
"  --seed N               seed of the workload (default: the time)\n"
"  --quiet                no line per roll answered or recovery\n"
"\n"
"  --recover DIR          replay the logs in DIR into its database and exit\n"
"                         (0: recovered, 1: refused, with the reason)\n"
"  --from GEN, --to GEN   the generations to replay at least (default: all)\n"
"  --crashed              the newest log may be open, with a torn tail\n"
"  --check-db FILE        check a copy of the database for torn pages and exit\n"
"                         (0: every page whole, 1: some page torn)\n"
"  --check-state FILE     0 when FILE is exactly a state committed by the\n"
"                         workload of --seed, at --min-lsn or later\n"
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

enum mode { SERVE, RECOVER, CHECK_DB, CHECK_STATE };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "db-size", required_argument, NULL, 's' },
		{ "log-every", required_argument, NULL, 'l' },
		{ "roll-interval", required_argument, NULL, 'R' },
		{ "commit-every", required_argument, NULL, 'k' },
		{ "interval", required_argument, NULL, 'i' },
		{ "checkpoint-lag", required_argument, NULL, 'c' },
		{ "throttle", required_argument, NULL, 't' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "commit-file", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "recover", required_argument, NULL, 'V' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "crashed", no_argument, NULL, 'X' },
		{ "check-db", required_argument, NULL, 'C' },
		{ "check-state", required_argument, NULL, 'Z' },
		{ "min-lsn", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = {
		.name = "demo", .dir = "jetdemo", .db_mib = 64,
		.interval_ms = 5, .roll_ms = 2000,
		.engine_mx = PTHREAD_MUTEX_INITIALIZER,
		.e = { .log_every = 100, .commit_every = 1,
		       .checkpoint_lag = 2, .seed = (uint64_t)time(NULL),
		       .db_fd = -1, .commit_fd = -1, .log = { .fd = -1 } },
	};
	struct demo_recover_opts ro = { 0 };
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	unsigned long long v, min_lsn = 0;
	enum mode mode = SERVE;
	const char *file = NULL;
	bool seeded = false, named = false;
	struct sigaction sa;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			d.name = optarg;
			named = true;
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
			d.e.log_every = (unsigned long)v;
			break;
		case 'R':
			if (parse_ulong("--roll-interval", optarg, 3600000,
					false, &v))
				return 2;
			d.roll_ms = (unsigned long)v;
			break;
		case 'k':
			if (parse_ulong("--commit-every", optarg, 1u << 16,
					false, &v) || !v)
				return 2;
			d.e.commit_every = (unsigned long)v;
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
			d.e.checkpoint_lag = (unsigned long)v;
			break;
		case 't':
			if (parse_ulong("--throttle", optarg, ~0ULL, true,
					&d.throttle))
				return 2;
			break;
		case 'r':
			d.ready_file = optarg;
			break;
		case 'f':
			d.e.commit_file = optarg;
			break;
		case 'S':
			if (parse_ulong("--seed", optarg, ~0ULL, false, &v))
				return 2;
			d.e.seed = v;
			seeded = true;
			break;
		case 'F':
		case 'T':
			if (parse_ulong(c == 'F' ? "--from" : "--to", optarg,
					ULONG_MAX, false, &v) || !v)
				return 2;
			if (c == 'F')
				ro.from = (unsigned long)v;
			else
				ro.to = (unsigned long)v;
			break;
		case 'X':
			ro.crashed = true;
			break;
		case 'q':
			d.quiet = true;
			ro.quiet = true;
			break;
		case 'm':
			if (parse_ulong("--min-lsn", optarg, ~0ULL, false,
					&min_lsn))
				return 2;
			break;
		case 'V':
		case 'C':
		case 'Z':
			if (mode != SERVE) {
				fprintf(stderr, "jetdemo-server: --recover, --check-db and --check-state exclude each other\n");
				return 2;
			}
			mode = c == 'V' ? RECOVER : c == 'C' ? CHECK_DB :
			       CHECK_STATE;
			file = optarg;
			break;
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
	switch (mode) {
	case RECOVER:
		ro.dir = file;
		ro.name = named ? d.name : NULL;
		return demo_recover(&ro);
	case CHECK_DB:
		return demo_check_db(file);
	case CHECK_STATE:
		if (!seeded) {
			fprintf(stderr, "jetdemo-server: --check-state needs the server's --seed\n");
			return 2;
		}
		return demo_check_state(file, d.e.seed, d.e.commit_every,
					min_lsn);
	case SERVE:
		break;
	}
	/* the pages are addressed with 32 bits */
	if (d.db_mib > (UINT32_MAX / (1024 * 1024 / DEMO_PAGE_SIZE))) {
		fprintf(stderr, "jetdemo-server: --db-size: too large\n");
		return 2;
	}

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
