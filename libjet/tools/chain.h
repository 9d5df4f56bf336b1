/* SPDX-License-Identifier: MIT */
/*
 * chain.h - does a list of backups form a chain that restore can apply: a
 * full backup, then incrementals in order, of one instance, with no gap in
 * the log generations? Decided from the manifests alone, before any file
 * is copied (for a directory) or trusted (for a stream).
 */
#ifndef JETCTL_CHAIN_H
#define JETCTL_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

struct chain {
	const struct manifest **mans;	/* the backups so far */
	size_t n;
	uint64_t low, high;		/* generations so far */
	size_t nlogs;			/* distinct generations so far */
};

/*
 * m (named label in messages) as the next backup of the chain. skip[i]
 * is set for each entry of m that an earlier backup already holds (the
 * same generation, the same SHA-256): restore copies it once. Returns 0,
 * or JETCTL_EXIT_CHAIN having said why, or JETCTL_EXIT_ERROR (memory).
 * m must stay alive as long as the chain.
 */
int chain_add(struct chain *c, const struct manifest *m, const char *label,
	      bool *skip);
void chain_free(struct chain *c);

#endif
