/* SPDX-License-Identifier: MIT */
/*
 * snapshot.h - "jetctl snapshot": the OS snapshot sequence
 * (jetctl_snapshot.c) and the files it makes in DIR (snapshot_files.c):
 * reflink clones (FICLONE) taken while the instance is frozen, hashed and
 * made durable after the thaw.
 */
#ifndef JETCTL_SNAPSHOT_H
#define JETCTL_SNAPSHOT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "jetctl.h"
#include "manifest.h"

/* one database or log of the snapshot */
struct snap_file {
	char *src;			/* the server's path */
	const char *kind;		/* "database" or "log" */
	uint64_t generation;		/* a log's; 0 for a database */
	uint64_t size;			/* of the clone */
	char name[NAME_MAX + 1];	/* its name in DIR */
	char sha256[SHA256_HEX_SIZE];
	/* its file in DIR, for the cleanup (a signal handler reads it) */
	char cur[NAME_MAX + 1];
	volatile sig_atomic_t present;
};

struct snap {
	JET_INSTANCE inst;
	char *inst_name;		/* "demo (id 3)" */
	const char *dir;
	int dirfd;
	bool created_dir;
	bool copy, json;
	unsigned long timeout_ms;	/* 0: the module's */
	/* sources not of this uid are refused (see jetctl_snapshot.c) */
	bool check_owner;
	unsigned int owner_uid;
	JET_OSSNAPID id;		/* 0: no session */
	struct snap_file *files;
	size_t nfiles;
	unsigned int ndb, nlog;
	uint64_t gen_low, gen_high, bytes;
	struct manifest man;
	double start, held;		/* held: freeze to thaw, seconds */
	char *buf;
};

/* the first SIGINT/SIGTERM/SIGHUP; the second exits at once */
extern volatile sig_atomic_t snap_signal;

/* snapshot_files.c; each returns an exit code and has said why */
/* DIR new or empty, opened (refuses a non-empty one: usage error) */
int snap_dir_start(struct snap *s);
/* can DIR hold a reflink of src? 0, or an exit code (said why) */
int snap_probe_reflink(struct snap *s, const char *src);
/* clone f->src into DIR/.NAME.part (while frozen: nothing else) */
int snap_clone(struct snap *s, struct snap_file *f);
/* after the thaw: hash, fsync and name the clone; BACKUP-style
 * interrupts: JETCTL_EXIT_INTERRUPTED when snap_signal came
 */
int snap_finish_file(struct snap *s, struct snap_file *f);
/* jetctl's own files (manifest_put_file: fsync'd, DIR too): 0, or -1 */
int snap_put(struct snap *s, const char *name, const char *text,
	     size_t len);
/* the snapshot is complete (its MANIFEST durable): a signal removes
 * nothing from now on
 */
void snap_disarm(void);
/* a portable, unique name for src in DIR */
void snap_choose_name(struct snap *s, struct snap_file *f);
/* remove every file this snapshot made in DIR, and DIR if it made it */
void snap_remove_all(struct snap *s);
/* the files a signal handler may remove: set once they are known */
void snap_publish_files(struct snap *s);
/* async-signal-safe: the same as snap_remove_all() */
void snap_emergency_remove(void);

#endif
