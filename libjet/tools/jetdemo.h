/* SPDX-License-Identifier: MIT */
/*
 * jetdemo.h - the parts of jetdemo-server: the page and log formats, the
 * seeded workload, the write-ahead-logging engine, recovery and the
 * checkers. Only jetdemo-server.c talks to libjet; the rest runs without a
 * module, which is what the host tests rely on.
 */
#ifndef JETDEMO_H
#define JETDEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEMO_PAGE_SIZE		4096u
#define DEMO_PAGE_MAGIC		0x4a455444u	/* "JETD" */

/* every page starts with this; the rest is its body */
struct demo_page_hdr {
	uint32_t magic;
	uint32_t pageno;
	uint64_t lsn;		/* the last logged write applied; 0: as made */
	uint64_t sum;		/* demo_page_sum() of the page */
	uint64_t reserved;
};

#define DEMO_BODY_OFF		((uint32_t)sizeof(struct demo_page_hdr))
#define DEMO_MAX_DELTA		256u	/* bytes a write changes, at most */

/* jetdemo-page.c: pages and the seeded workload */
uint64_t demo_hash(const void *buf, size_t len, uint64_t h);
uint64_t demo_page_sum(const unsigned char *page);
void demo_page_seal(unsigned char *page);
void demo_page_init(unsigned char *page, uint32_t pageno);
/* 0: whole; else a reason (static text) */
const char *demo_page_check(const unsigned char *page, uint32_t pageno);
uint64_t demo_page_lsn(const unsigned char *page);

/*
 * Write number lsn of the workload of seed: which page, where, and the
 * pattern XORed into those bytes. The new bytes (old XOR pattern) are what
 * the log carries, so recovery never needs the seed; the checker does.
 */
struct demo_write {
	uint32_t pageno;
	uint16_t off;		/* in the page, at or after the header */
	uint16_t len;		/* a multiple of 8, at most DEMO_MAX_DELTA */
	unsigned char pattern[DEMO_MAX_DELTA];
};
void demo_write_make(uint64_t seed, uint32_t npages, uint64_t lsn,
		     struct demo_write *w);
/* applies w (as write lsn) to page, in memory */
void demo_write_apply(unsigned char *page, const struct demo_write *w,
		      uint64_t lsn);

/* jetdemo-wal.c: log files NAME.GGGGGGGG.log */
#define DEMO_LOG_HEAD_MAGIC	0x484c444au	/* "JDLH" */
#define DEMO_LOG_REC_MAGIC	0x524c444au	/* "JDLR" */
#define DEMO_LOG_END_MAGIC	0x454c444au	/* "JDLE" */
#define DEMO_LOG_VERSION	1u
#define DEMO_REC_COMMIT		0x1u	/* the last record of a transaction */

struct demo_log_head {
	uint32_t magic;
	uint32_t version;
	uint64_t generation;
	uint64_t first_lsn;	/* of its first record: the last one's + 1 */
	uint64_t sum;
};

/* a record: the new bytes of one range of one page */
struct demo_log_rec {
	uint32_t magic;
	uint16_t off;
	uint16_t len;		/* bytes that follow */
	uint32_t pageno;
	uint32_t flags;
	uint64_t lsn;
	uint64_t sum;		/* of this header and the bytes */
};

/* written when the generation is closed: a log without it is open */
struct demo_log_end {
	uint32_t magic;
	uint32_t records;
	uint64_t generation;
	uint64_t last_lsn;
	uint64_t sum;
};

void demo_log_path(char *buf, size_t size, const char *dir, const char *name,
		   unsigned long gen);

struct demo_log_writer {
	int fd;
	unsigned long gen;
	uint64_t first_lsn;
	uint32_t records;
	unsigned char *buf;	/* a transaction's records, not yet written */
	size_t fill, cap;
};

int demo_log_create(struct demo_log_writer *lw, const char *path,
		    unsigned long gen, uint64_t first_lsn);
int demo_log_append(struct demo_log_writer *lw, const struct demo_write *w,
		    const unsigned char *new_bytes, uint64_t lsn, bool commit);
/* write the buffered records and make them durable (the commit) */
int demo_log_flush(struct demo_log_writer *lw);
/* writes a torn piece of the buffered records, for the crash tests */
int demo_log_flush_torn(struct demo_log_writer *lw, size_t bytes);
/* the trailer, durable; the descriptor is closed */
int demo_log_close(struct demo_log_writer *lw, uint64_t last_lsn);
void demo_log_abandon(struct demo_log_writer *lw);

/* reading: one generation, record by record */
struct demo_log_reader {
	const char *path;
	unsigned char *data;
	size_t size, pos;
	struct demo_log_head head;
	bool closed;		/* its trailer was read */
	struct demo_log_end end;
	char why[160];		/* what was wrong, when a call fails */
};

int demo_log_open(struct demo_log_reader *lr, const char *path);
/* 1: a record (bytes point into the reader); 0: the end; -1: damage */
int demo_log_next(struct demo_log_reader *lr, struct demo_log_rec *rec,
		  const unsigned char **bytes);
void demo_log_free(struct demo_log_reader *lr);

/* jetdemo-engine.c: the write-ahead-logging owner, minus libjet */
enum demo_crash_point {
	DEMO_CRASH_NONE,
	DEMO_CRASH_TORN_RECORDS,	/* part of a transaction's records */
	DEMO_CRASH_LOGGED,		/* records durable, no page written */
	DEMO_CRASH_PAGE_WRITTEN,	/* records durable, one page written */
	DEMO_CRASH_ROLL_CLOSED,		/* log closed, not registered */
};

/* what the owner does around the engine; jetdemo-server.c gives libjet */
struct demo_hooks {
	void *ctx;
	int (*lock)(void *ctx, uint64_t off, uint64_t len, uint64_t *handle);
	int (*unlock)(void *ctx, uint64_t handle);
	int (*log_closed)(void *ctx, const char *path, unsigned long gen);
	int (*checkpoint)(void *ctx, unsigned long gen);
	/* host tests: called at each crash point; may _exit() */
	void (*crash)(void *ctx, enum demo_crash_point where);
};

struct demo_engine {
	const char *dir, *name;
	uint64_t seed;
	uint32_t npages;
	unsigned long commit_every;	/* writes per transaction */
	unsigned long log_every;	/* writes per generation, at least */
	unsigned long checkpoint_lag;
	const char *commit_file;	/* the last committed LSN, or NULL */
	struct demo_hooks hooks;

	char db_path[4096];
	int db_fd;
	int commit_fd;
	unsigned char *mem;	/* the database as written */
	uint64_t lsn;		/* the last write logged and committed */
	unsigned long checkpoint;
	unsigned long gen_writes;	/* writes in the open generation */
	struct demo_log_writer log;
	uint32_t *touched;	/* pages of the transaction */
	/* its pages are being written: a roll now (from the owner's roll
	 * thread, during an OS snapshot's freeze) moves no checkpoint
	 */
	bool writing_pages;
};

int demo_engine_create(struct demo_engine *e);
int demo_engine_start_log(struct demo_engine *e);
/* one transaction of commit_every writes */
int demo_engine_commit(struct demo_engine *e);
bool demo_engine_log_full(const struct demo_engine *e);
/* close the open generation, register it, move the checkpoint, start the
 * next one
 */
int demo_engine_roll(struct demo_engine *e);
void demo_engine_free(struct demo_engine *e);

/* jetdemo-recover.c */
struct demo_recover_opts {
	const char *dir;
	const char *name;	/* NULL: the only NAME.edb in dir */
	unsigned long from, to;	/* 0: the oldest / newest log present */
	bool crashed;		/* the newest log may be open, its tail torn */
	bool quiet;
};
/* 0: recovered; 1: refused (the message says why) */
int demo_recover(const struct demo_recover_opts *o);

/* jetdemo-check.c */
int demo_check_db(const char *path);
int demo_check_state(const char *path, uint64_t seed,
		     unsigned long commit_every, uint64_t min_lsn);

/* small helpers (jetdemo-page.c) */
int demo_sys_failed(const char *what, const char *arg);
int demo_write_all(int fd, const void *buf, size_t n, uint64_t off);
int demo_read_all(int fd, void *buf, size_t n, uint64_t off);

#endif
