/* SPDX-License-Identifier: MIT */
/*
 * progress.h - progress of one file: a redrawn bar on a terminal, a plain
 * line now and then otherwise (logs and pipes should not fill with \r).
 */
#ifndef JETCTL_PROGRESS_H
#define JETCTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool tty;		/* stderr is a terminal: draw a bar */
	bool quiet;		/* print nothing */
	bool active;		/* between begin and end */
	const char *verb;	/* "copying", "checking" */
	const char *label;	/* the file */
	uint64_t total, done;
	double start, last;	/* monotonic seconds */
};

/* quiet: no output at all; else a bar when stderr is a terminal */
void progress_init(struct progress *p, bool quiet);
void progress_begin(struct progress *p, const char *verb, const char *label,
		    uint64_t total);
void progress_update(struct progress *p, uint64_t done);
/* the file's last line: "what" is e.g. "copied" or "aborted"; nothing when
 * no file is in progress
 */
void progress_end(struct progress *p, const char *what);

#endif
