/* SPDX-License-Identifier: MIT */
/*
 * source.h - reading a backup back, for "jetctl verify" and "jetctl
 * restore": a directory, or a tar stream (a file or standard input). Every
 * file is hashed and compared with MANIFEST, by size and SHA-256, and
 * SHA256SUMS with the digest MANIFEST records for it.
 */
#ifndef JETCTL_SOURCE_H
#define JETCTL_SOURCE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"
#include "progress.h"

#define SOURCE_BUF_SIZE	(1u << 20)

enum file_state {
	FILE_OK,
	FILE_MISSING,		/* listed, but not in the backup */
	FILE_SIZE,		/* another size */
	FILE_DIGEST,		/* same size, another SHA-256 */
	FILE_NOT_REGULAR,	/* not a regular file */
	FILE_EXTRA,		/* in the backup, not in the manifest */
	FILE_SKIPPED,		/* not read (restore: an earlier copy won) */
};

struct file_result {
	const struct manifest_entry *e;	/* NULL for an extra file */
	char *name;			/* the file's name in the backup */
	enum file_state state;
	uint64_t size;			/* what was found */
	char sha256[SHA256_HEX_SIZE];	/* "" when not hashed */
};

struct source {
	const char *path;		/* as given: DIR, FILE or "-" */
	bool stream;
	int dirfd;			/* a directory's, else -1 */
	struct manifest man;
	bool have_manifest;
	struct file_result *files;	/* the manifest's, then extras */
	size_t nfiles, cap;
	enum file_state sums;		/* SHA256SUMS, when MANIFEST has it */
	char sums_sha256[SHA256_HEX_SIZE];	/* a stream's SHA256SUMS */
	bool sums_seen;
	char why[256];			/* a damaged or cut manifest */
	struct progress *prog;
	char *buf;			/* SOURCE_BUF_SIZE */
};

/* set by restore's signal handler; the loops stop on it */
extern volatile sig_atomic_t source_interrupted;

/* path "-" or a file: a stream; a directory: a directory */
int source_init(struct source *s, const char *path, bool stream,
		struct progress *prog);
void source_free(struct source *s);

/*
 * A directory: read its MANIFEST. A stream: read it whole, each member
 * hashed and, when stage_dirfd >= 0, written there under its name; MANIFEST
 * is read at its end and every member compared with it. Returns an exit
 * code, having said why: JETCTL_EXIT_INCOMPLETE (no MANIFEST: stopped, cut
 * short, not a backup), JETCTL_EXIT_MISMATCH (damaged), JETCTL_EXIT_ERROR.
 */
int source_load(struct source *s, const char *cmd, int stage_dirfd);
/* 0, or JETCTL_EXIT_INCOMPLETE having said so in one line */
int source_check_complete(struct source *s, const char *cmd);
/*
 * A directory's files: each hashed (and copied into out_dirfd under its
 * name when out_dirfd >= 0, fsync'd), except where skip[i]. Returns 0 or
 * an exit code (an I/O error, an interrupt) having said why.
 */
int source_check_files(struct source *s, const char *cmd, int out_dirfd,
		       const bool *skip);
/* how many files (and SHA256SUMS) do not match; prints a line for each */
size_t source_report(const struct source *s, bool print);
/* "MISMATCH  NAME: ..." for one file, or NULL when it matches */
const char *file_state_word(enum file_state st);

#endif
