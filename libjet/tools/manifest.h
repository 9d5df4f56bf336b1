/* SPDX-License-Identifier: MIT */
/*
 * manifest.h - MANIFEST, the list of a backup's files with their SHA-256,
 * and SHA256SUMS, the same digests for sha256sum(1).
 *
 * MANIFEST is text, one line per file (version 2):
 *     SHA256 SIZE KIND GENERATION NAME SOURCE
 * KIND is "database" or "log", GENERATION a log's generation (0 for a
 * database), NAME the file in the backup, SOURCE the path the server gave
 * it (both with bytes < 0x20, space, 0x7f and '\' written as \xHH).
 * Version 1 had no GENERATION column; it is still read. Lines starting
 * with "# " carry "key value" metadata (escaped the same way, spaces
 * excepted); unknown keys are skipped. The last line,
 * "# manifest-sha256 HEX", is the SHA-256 of every byte before it, so a
 * damaged or cut manifest is noticed. jetctl(8) documents the keys.
 *
 * SHA256SUMS is written only for a complete backup, before MANIFEST, which
 * records its digest ("# sha256sums HEX"): "sha256sum -c SHA256SUMS" in the
 * backup checks every file, and MANIFEST vouches for SHA256SUMS.
 */
#ifndef JETCTL_MANIFEST_H
#define JETCTL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define MANIFEST_NAME		"MANIFEST"
#define SHA256SUMS_NAME		"SHA256SUMS"
#define MANIFEST_VERSION	2
#define MANIFEST_STATUS_COMPLETE	"complete"
#define MANIFEST_MAX_SIZE	(64u << 20)	/* sanity bound for reading */

struct manifest_entry {
	char sha256[SHA256_HEX_SIZE];
	uint64_t size;
	uint64_t generation;	/* a log's; 0 for a database */
	char *kind;		/* "database" or "log" */
	char *name;		/* file name in the backup */
	char *source;		/* the server's path for it */
};

struct manifest {
	int version;		/* as read; written as MANIFEST_VERSION */
	char *instance;		/* "demo (id 3)", for people */
	char *instance_name;	/* "demo"; NULL for an unnamed instance */
	uint64_t instance_id;	/* 3; 0 when not recorded */
	char *type;		/* "full" or "incremental" */
	/* how it was taken: "snapshot" (reflinks of a frozen instance,
	 * jetctl snapshot); NULL: streamed (jetctl backup)
	 */
	char *method;
	char *started, *finished;	/* UTC, ISO 8601 */
	char *status;		/* "complete" or "incomplete: why" */
	char *sha256sums;	/* SHA256SUMS's digest; NULL when none */
	struct manifest_entry *entries;
	size_t count, cap;
	char **truncated;	/* logs the server may delete after this backup */
	size_t ntruncated, cap_truncated;
};

/* all strings are copied; return 0, or -1 with errno ENOMEM */
int manifest_add(struct manifest *m, const char *sha256, uint64_t size,
		 const char *kind, uint64_t generation, const char *name,
		 const char *source);
int manifest_add_truncated(struct manifest *m, const char *source);
int manifest_set(char **field, const char *value);
/* set *field to the current UTC time */
int manifest_set_now(char **field);

bool manifest_complete(const struct manifest *m);
/* the logs' lowest and highest generation; returns how many logs */
size_t manifest_generations(const struct manifest *m, uint64_t *plow,
			    uint64_t *phigh);
const struct manifest_entry *manifest_find(const struct manifest *m,
					   const char *name);

/* the whole text of MANIFEST / SHA256SUMS, malloc'd: 0, or -1 ENOMEM */
int manifest_format(const struct manifest *m, char **ptext, size_t *plen);
int sha256sums_format(const struct manifest *m, char **ptext, size_t *plen);

/* NAME in DIR by a temporary file, fsync and rename, then fsync DIR:
 * 0, or -1 with errno
 */
int manifest_put_file(int dirfd, const char *name, const char *text,
		      size_t len);
/* MANIFEST into DIR (manifest_format + manifest_put_file) */
int manifest_write(int dirfd, const struct manifest *m);
/*
 * Parses a MANIFEST's text (modified in place). Returns 0; -1 with errno
 * ENOMEM; or -2 when it is damaged, with why in err.
 */
int manifest_parse(char *text, size_t len, struct manifest *m, char *err,
		   size_t errlen);
/*
 * Reads NAME (at most MANIFEST_MAX_SIZE bytes) from DIR into a malloc'd,
 * NUL-terminated buffer: 0, or -1 with errno.
 */
int manifest_slurp(int dirfd, const char *name, char **ptext, size_t *plen);
/* manifest_slurp + manifest_parse of DIR/MANIFEST: 0, -1 (errno), -2 */
int manifest_read(int dirfd, struct manifest *m, char *err, size_t errlen);
void manifest_free(struct manifest *m);

/* a NAME that stays inside the backup directory and is no file of jetctl's
 * own (MANIFEST, SHA256SUMS)
 */
int manifest_name_ok(const char *name);

/* a file's name in a backup, before ".N" makes it unique: the base name of
 * SRC with anything unusual replaced, so names are portable and never need
 * quoting; never hidden (".NAME.part" is for files being written)
 */
void manifest_stem(const char *src, char *stem, size_t size);

#endif
