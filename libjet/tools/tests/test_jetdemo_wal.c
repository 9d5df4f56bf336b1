// SPDX-License-Identifier: MIT
/*
 * test_jetdemo_wal.c - jetdemo-server's write-ahead logging and recovery on
 * the host, without a module: the engine runs with no libjet hooks, a
 * "backup" is a copy of its files made while it writes, and a crash is the
 * engine's process exiting at a chosen point. Every recovered database is
 * compared with the state the seeded workload commits, rebuilt without the
 * logs. Prints one "ok"/"not ok" line per check; exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../jetdemo.h"

#define SEED		0x5eedULL
#define NPAGES		16u
#define PER_TXN		3ul
#define LOG_EVERY	30ul	/* writes: ten transactions a generation */

static int passed, failed;
static char top[] = "/tmp/jetdemo-wal.XXXXXX";

static void check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passed++;
	else
		failed++;
}

static void path_of(char *buf, const char *dir, const char *file)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, file);
}

static char *new_dir(const char *name)
{
	static char dirs[16][PATH_MAX];
	static int n;
	char *d = dirs[n++ % 16];

	snprintf(d, PATH_MAX, "%s/%s", top, name);
	if (mkdir(d, 0755)) {
		perror(d);
		exit(1);
	}
	return d;
}

static void copy_range(const char *src, const char *dst, uint64_t off,
		       uint64_t len)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT, 0644);
	char *buf = malloc(len ? len : 1);
	ssize_t r;

	if (in < 0 || out < 0 || !buf) {
		perror(src);
		exit(1);
	}
	r = pread(in, buf, len, (off_t)off);
	if (r < 0 || pwrite(out, buf, (size_t)r, (off_t)off) != r) {
		perror(dst);
		exit(1);
	}
	free(buf);
	close(in);
	close(out);
}

static void copy_file(const char *src, const char *dst)
{
	struct stat st;

	if (stat(src, &st)) {
		perror(src);
		exit(1);
	}
	unlink(dst);
	copy_range(src, dst, 0, (uint64_t)st.st_size);
}

static void copy_log(const char *from, const char *to, unsigned long gen)
{
	char s[PATH_MAX], d[PATH_MAX];

	demo_log_path(s, sizeof(s), from, "db", gen);
	demo_log_path(d, sizeof(d), to, "db", gen);
	copy_file(s, d);
}

static void engine_start(struct demo_engine *e, const char *dir)
{
	memset(e, 0, sizeof(*e));
	e->dir = dir;
	e->name = "db";
	e->seed = SEED;
	e->npages = NPAGES;
	e->commit_every = PER_TXN;
	e->log_every = LOG_EVERY;
	e->checkpoint_lag = 2;
	if (demo_engine_create(e) || demo_engine_start_log(e))
		exit(1);
}

static void engine_run(struct demo_engine *e, int txns)
{
	while (txns--) {
		if (demo_engine_commit(e) ||
		    (demo_engine_log_full(e) && demo_engine_roll(e)))
			exit(1);
	}
}

/* the newest LSN in a database's pages: the state it is in */
static uint64_t db_lsn(const char *path)
{
	unsigned char page[DEMO_PAGE_SIZE];
	uint64_t n = 0, l;
	int fd = open(path, O_RDONLY);

	while (fd >= 0 && read(fd, page, sizeof(page)) == sizeof(page)) {
		l = demo_page_lsn(page);
		if (l > n)
			n = l;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static bool same_file(const char *a, const char *b)
{
	char cmd[2 * PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static int recover(const char *dir, bool crashed)
{
	struct demo_recover_opts o = { .dir = dir, .crashed = crashed,
				       .quiet = true };
	int rc;

	fflush(stdout);
	rc = demo_recover(&o);
	fflush(stderr);
	return rc;
}

static bool state_ok(const char *db, uint64_t lsn)
{
	fflush(stdout);
	return demo_check_state(db, SEED, PER_TXN, lsn) == 0 &&
	       db_lsn(db) == lsn;
}

/*
 * A backup as jet takes it while the engine writes: the database copied in
 * two halves at different moments (a fuzzy copy), then the logs from the
 * checkpoint at its start up to a generation closed after the copy (the
 * roll). Returns the backup's directory.
 */
static const char *fuzzy_backup(struct demo_engine *e, const char *name,
				unsigned long *cp, uint64_t *lsn_at_begin)
{
	const char *b = new_dir(name);
	const uint64_t half = (uint64_t)NPAGES / 2 * DEMO_PAGE_SIZE;
	char dst[PATH_MAX];
	unsigned long g;

	*cp = e->checkpoint ? e->checkpoint : 1;
	*lsn_at_begin = e->lsn;
	path_of(dst, b, "db.edb");
	copy_range(e->db_path, dst, 0, half);
	engine_run(e, 7);
	copy_range(e->db_path, dst, half, half);
	engine_run(e, 4);
	if (demo_engine_roll(e))
		exit(1);
	for (g = *cp; g < e->log.gen; g++)
		copy_log(e->dir, b, g);
	return b;
}

static void test_backup_recovers(void)
{
	struct demo_engine e;
	const char *b;
	char db[PATH_MAX], again[PATH_MAX];
	unsigned long cp;
	uint64_t begin, end;

	engine_start(&e, new_dir("server"));
	engine_run(&e, 35);
	b = fuzzy_backup(&e, "backup", &cp, &begin);
	end = e.lsn;
	engine_run(&e, 20);
	path_of(db, b, "db.edb");
	check(cp > 1, "the checkpoint moved before the backup began");
	check(demo_check_db(db) == 0, "a fuzzy copy has no torn page");
	check(demo_check_state(db, SEED, PER_TXN, 0) != 0,
	      "a fuzzy copy is not a committed state before recovery");
	check(recover(b, false) == 0, "a fuzzy backup with its rolled logs recovers");
	check(state_ok(db, end),
	      "it is the state committed at the roll, page for page");
	check(end > begin, "which is newer than the state at its start");
	path_of(again, b, "db.first");
	copy_file(db, again);
	check(recover(b, false) == 0, "recovering it again succeeds");
	check(same_file(db, again), "and changes nothing (replay is idempotent)");
	demo_engine_free(&e);
}

static void test_refusals(void)
{
	struct demo_engine e;
	const char *b, *c;
	char db[PATH_MAX], before[PATH_MAX], log[PATH_MAX], dst[PATH_MAX];
	unsigned long cp, g;
	uint64_t begin;
	struct stat st;
	int fd;

	engine_start(&e, new_dir("server2"));
	engine_run(&e, 30);
	b = fuzzy_backup(&e, "gap", &cp, &begin);
	path_of(db, b, "db.edb");
	path_of(before, b, "db.before");
	copy_file(db, before);

	/* a generation missing in the middle */
	check(e.log.gen - cp >= 3, "the backup holds three logs or more");
	demo_log_path(log, sizeof(log), b, "db", cp + 1);
	unlink(log);
	check(recover(b, false) == 1, "a gap in the generations is refused");
	check(same_file(db, before), "a refused recovery leaves the database");
	copy_log(e.dir, b, cp + 1);

	/* the newest log cut short: a torn copy */
	demo_log_path(log, sizeof(log), b, "db", e.log.gen - 1);
	stat(log, &st);
	if (truncate(log, st.st_size - 5))
		perror(log);
	check(recover(b, false) == 1, "a torn log (no trailer) is refused");
	check(same_file(db, before), "and the database is left as it was");
	copy_log(e.dir, b, e.log.gen - 1);

	/* one byte changed inside a record */
	demo_log_path(log, sizeof(log), b, "db", cp + 1);
	fd = open(log, O_RDWR);
	if (fd < 0 || pwrite(fd, "X", 1, 100) != 1)
		perror(log);
	close(fd);
	check(recover(b, false) == 1, "a damaged record is refused");
	copy_log(e.dir, b, cp + 1);

	/* a torn page: redo records cannot mend it */
	fd = open(db, O_RDWR);
	if (fd < 0 || pwrite(fd, "X", 1, DEMO_PAGE_SIZE + 2000) != 1)
		perror(db);
	close(fd);
	check(recover(b, false) == 1, "a torn page in the database is refused");
	copy_file(before, db);

	/* the JET_LOGINFO range names a generation that is not there */
	{
		struct demo_recover_opts o = { .dir = b, .from = cp,
					       .to = e.log.gen, .quiet = true };

		check(demo_recover(&o) == 1,
		      "a range beyond the newest log present is refused");
		o.to = e.log.gen - 1;
		check(demo_recover(&o) == 0,
		      "the repaired backup recovers over its range");
	}

	/* logs that end before the changes in the copied pages (no roll) */
	c = new_dir("noroll");
	path_of(dst, c, "db.edb");
	copy_file(e.db_path, dst);
	for (g = e.checkpoint; g < e.log.gen; g++)
		copy_log(e.dir, c, g);
	engine_run(&e, 2);	/* into the open generation */
	copy_file(e.db_path, dst);
	check(db_lsn(dst) > e.log.first_lsn - 1,
	      "the copied pages hold writes of the open generation");
	check(recover(c, false) == 1,
	      "pages newer than the end of the logs are refused");

	/* an LSN hole between two generations */
	c = new_dir("hole");
	path_of(dst, c, "db.edb");
	copy_file(before, dst);
	for (g = cp; g < cp + 2; g++)
		copy_log(e.dir, c, g);
	{
		struct demo_log_writer lw = { .fd = -1 };
		struct demo_log_reader lr;

		demo_log_path(log, sizeof(log), e.dir, "db", cp + 1);
		const unsigned char *bytes;
		struct demo_log_rec rec;

		demo_log_open(&lr, log);
		while (demo_log_next(&lr, &rec, &bytes) == 1)
			;
		demo_log_free(&lr);
		demo_log_path(log, sizeof(log), c, "db", cp + 2);
		if (demo_log_create(&lw, log, cp + 2, lr.end.last_lsn + 2) ||
		    demo_log_close(&lw, lr.end.last_lsn + 1))
			perror(log);
		demo_log_abandon(&lw);
	}
	check(recover(c, false) == 1, "an LSN hole between logs is refused");

	/* no log at all */
	c = new_dir("nolog");
	path_of(dst, c, "db.edb");
	copy_file(before, dst);
	check(recover(c, false) == 1, "a database without logs is refused");
	demo_engine_free(&e);
}

struct crash {
	struct demo_engine *e;
	enum demo_crash_point at;
	int countdown;
};

static void crash_hook(void *ctx, enum demo_crash_point where)
{
	struct crash *c = ctx;

	if (where != c->at || --c->countdown)
		return;
	if (where == DEMO_CRASH_TORN_RECORDS)
		demo_log_flush_torn(&c->e->log, c->e->log.fill / 2 + 3);
	_exit(0);
}

static uint64_t read_commit_file(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (!f || fscanf(f, "%llu", &v) != 1)
		v = ~0ULL;
	if (f)
		fclose(f);
	return v;
}

static void test_crash(enum demo_crash_point at, int nth, const char *what)
{
	char name[32], cf[PATH_MAX], db[PATH_MAX], msg[256];
	struct demo_engine e;
	struct crash c;
	uint64_t want;
	const char *d;
	pid_t pid;
	int st;

	snprintf(name, sizeof(name), "crash%d", (int)at);
	d = new_dir(name);
	path_of(cf, top, name);
	strcat(cf, ".committed");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		memset(&e, 0, sizeof(e));
		c = (struct crash){ .e = &e, .at = at, .countdown = nth };
		engine_start(&e, d);
		/* engine_start cleared the hooks: set them now */
		e.hooks = (struct demo_hooks){ .ctx = &c, .crash = crash_hook };
		e.commit_file = NULL;
		e.commit_fd = open(cf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		engine_run(&e, 1000);
		_exit(3);	/* never crashed */
	}
	waitpid(pid, &st, 0);
	snprintf(msg, sizeof(msg), "%s: the engine stopped there", what);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, msg);
	want = read_commit_file(cf);
	/* committed (durable) before the crash, but not yet published */
	if (at == DEMO_CRASH_LOGGED)
		want += PER_TXN;
	path_of(db, d, "db.edb");
	if (at == DEMO_CRASH_ROLL_CLOSED) {
		snprintf(msg, sizeof(msg), "%s: every log closed, recovers as it is",
			 what);
		check(recover(d, false) == 0, msg);
	} else {
		snprintf(msg, sizeof(msg), "%s: refused without --crashed",
			 what);
		check(recover(d, false) == 1, msg);
	}
	snprintf(msg, sizeof(msg), "%s: recovers with --crashed", what);
	check(recover(d, true) == 0, msg);
	snprintf(msg, sizeof(msg), "%s: to the last commit (LSN %" PRIu64 ")",
		 what, want);
	check(state_ok(db, want), msg);
}

int main(void)
{
	if (!mkdtemp(top)) {
		perror(top);
		return 1;
	}
	test_backup_recovers();
	test_refusals();
	test_crash(DEMO_CRASH_TORN_RECORDS, 17,
		   "crash with a transaction's records half written");
	test_crash(DEMO_CRASH_LOGGED, 23,
		   "crash after the commit, before its pages");
	test_crash(DEMO_CRASH_PAGE_WRITTEN, 40,
		   "crash between two page writes");
	test_crash(DEMO_CRASH_ROLL_CLOSED, 2,
		   "crash after closing a log");
	if (!failed) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", top);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
