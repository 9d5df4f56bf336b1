/* SPDX-License-Identifier: MIT */
/*
 * backup.h - "jetctl backup": the ESE sequence (jetctl_backup.c) writes
 * through one of two sinks, a directory (backup_dir.c) or a tar stream
 * (backup_tar.c).
 */
#ifndef JETCTL_BACKUP_H
#define JETCTL_BACKUP_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jetctl.h"
#include "manifest.h"
#include "progress.h"

#define COPY_BUF_SIZE		(1u << 20)

struct backup;

/*
 * Calls return 0, or -1 with errno (the output failed). copy returns the
 * bytes it copied and hashed (0 at the end of the file), -1 with errno
 * when the output failed, BACKUP_EINTR when a signal came, BACKUP_EJET
 * when reading the backup failed (b->read_err says why).
 */
#define BACKUP_EINTR	(-2)
#define BACKUP_EJET	(-3)

struct backup_sink {
	/* prepare the output (prints why and returns an exit code) */
	int (*start)(struct backup *b);
	/* Begin failed: undo start (nothing was written) */
	void (*unstart)(struct backup *b);
	int (*file_begin)(struct backup *b, const char *name, uint64_t size);
	ssize_t (*copy)(struct backup *b, struct sha256 *s);
	int (*file_end)(struct backup *b);
	/* the file will not be finished: leave nothing that looks whole */
	void (*file_discard)(struct backup *b);
	/* jetctl's own files: SHA256SUMS, then MANIFEST last */
	int (*put)(struct backup *b, const char *name, const char *text,
		   size_t len);
	/* the end of the output, after the manifest; 0 or -1 with errno */
	int (*finish)(struct backup *b);
	const char *what;	/* "directory" or "stream", for messages */
};

extern const struct backup_sink backup_dir_sink, backup_tar_sink;

struct backup {
	JET_INSTANCE inst;
	char *inst_name;		/* "demo (id 3)" */
	const char *out;		/* DIR, "-" or a tar file's path */
	const struct backup_sink *sink;
	bool incremental, truncate, use_sendfile, json;
	bool begun;			/* Begin succeeded, End not yet */
	struct progress prog;
	struct manifest man;
	char *buf;			/* COPY_BUF_SIZE */
	/* the file being copied */
	JET_HANDLE hf;
	bool hf_open;
	uint64_t file_size;
	const char *file_src;
	JET_ERR read_err;		/* after BACKUP_EJET */
	/* the directory sink */
	int dirfd;
	bool created_dir;
	int out_fd;			/* -1 when none */
	char partial[NAME_MAX + 1];	/* its name in DIR, "" when none */
	size_t chunk;			/* sendfile's current chunk */
	bool file_sendfile;		/* this file still by sendfile */
	uint64_t file_off;		/* bytes of it written */
	/* the tar sink */
	void *archive;			/* struct archive * */
	int tar_fd;
	bool tar_to_stdout, tar_created, entry_open, output_broken;
	/* totals for the summary */
	uint64_t bytes;
	unsigned int ndb, nlog;
	double start;
};

/* the first signal asks the copy to stop (jetctl_backup.c) */
extern volatile sig_atomic_t backup_signal;

/* read the next chunk into b->buf by JetReadFileInstance: bytes, 0 at the
 * end, or BACKUP_EJET
 */
ssize_t backup_read_chunk(struct backup *b);
/* the second signal: remove the partial file (async-signal-safe) */
void backup_dir_emergency(void);

#endif
