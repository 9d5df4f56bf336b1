/* SPDX-License-Identifier: MIT */
/*
 * manifest.h - DIR/MANIFEST, the list of a backup's files with their SHA-256.
 *
 * Text, one line per file: "SHA256 SIZE KIND NAME SOURCE", where NAME is the
 * file in DIR and SOURCE the path the server gave it (both with bytes < 0x20,
 * space, 0x7f and '\' written as \xHH). Lines starting with "# " carry
 * "key value" metadata (the value escaped the same way, spaces excepted).
 * The last line, "# manifest-sha256 HEX", is the SHA-256 of every byte
 * before it, so a damaged or cut manifest is noticed.
 */
#ifndef JETCTL_MANIFEST_H
#define JETCTL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define MANIFEST_NAME		"MANIFEST"
#define MANIFEST_VERSION	1

struct manifest_entry {
	char sha256[SHA256_HEX_SIZE];
	uint64_t size;
	char *kind;		/* "database" or "log" */
	char *name;		/* file name in the backup directory */
	char *source;		/* the server's path for it */
};

struct manifest {
	char *instance;		/* "demo (id 3)" */
	char *type;		/* "full" or "incremental" */
	char *started, *finished;	/* UTC, ISO 8601 */
	char *status;		/* "complete" or "incomplete: why" */
	struct manifest_entry *entries;
	size_t count, cap;
	char **truncated;	/* logs the server may delete after this backup */
	size_t ntruncated, cap_truncated;
};

/* all strings are copied; return 0, or -1 with errno ENOMEM */
int manifest_add(struct manifest *m, const char *sha256, uint64_t size,
		 const char *kind, const char *name, const char *source);
int manifest_add_truncated(struct manifest *m, const char *source);
int manifest_set(char **field, const char *value);
/* set *field to the current UTC time */
int manifest_set_now(char **field);

/* MANIFEST.tmp, fsync, rename to MANIFEST, fsync DIR: -1 with errno */
int manifest_write(int dirfd, const struct manifest *m);
/*
 * Reads DIR/MANIFEST. Returns 0; -1 with errno when it cannot be read; or -2
 * when it is damaged, with why in err.
 */
int manifest_read(int dirfd, struct manifest *m, char *err, size_t errlen);
void manifest_free(struct manifest *m);

/* a NAME that stays inside the backup directory */
int manifest_name_ok(const char *name);

#endif
