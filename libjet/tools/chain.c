// SPDX-License-Identifier: MIT
/*
 * chain.c - the rules of a restorable chain (chain.h). The log generations
 * are what tie backups together: an incremental holds the logs from the
 * oldest one the server still keeps to the newest, so it starts at or below
 * the previous backup's newest generation plus one; a later start is a gap
 * (logs no backup holds), and a newest generation no newer than the
 * previous one's means the list is out of order or repeats a backup. Logs
 * older than the full backup's first are left out: the databases were
 * copied after them, so the replay starts at the full backup's first log.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "jetctl.h"

static int refuse(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(const char *label, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	jetctl_msg("restore: %s: %s; nothing was restored", label, why);
	return JETCTL_EXIT_CHAIN;
}

/* "generation 5" or "generations 5 to 7" */
static const char *gens(char *buf, size_t size, uint64_t a, uint64_t b)
{
	if (a == b)
		snprintf(buf, size, "generation %" PRIu64, a);
	else
		snprintf(buf, size, "generations %" PRIu64 " to %" PRIu64, a,
			 b);
	return buf;
}

static bool is_log(const struct manifest_entry *e)
{
	return !strcmp(e->kind, "log");
}

/* the entry an earlier backup has for generation gen, or by name */
static const struct manifest_entry *earlier(const struct chain *c,
					    const struct manifest_entry *e)
{
	const struct manifest_entry *x;
	size_t i, j;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->mans[i]->count; j++) {
			x = &c->mans[i]->entries[j];
			if (!strcmp(x->name, e->name) ||
			    (is_log(x) && is_log(e) &&
			     x->generation == e->generation))
				return x;
		}
	return NULL;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the manifest's own logs: one file per generation, none skipped */
static int own_logs(const struct manifest *m, const char *label)
{
	char buf[64];
	uint64_t *g;
	size_t n = 0, i;
	int rc = 0;

	g = calloc(m->count + 1, sizeof(*g));
	if (!g)
		return JETCTL_EXIT_ERROR;
	for (i = 0; i < m->count; i++)
		if (is_log(&m->entries[i]))
			g[n++] = m->entries[i].generation;
	qsort(g, n, sizeof(*g), by_u64);
	for (i = 0; i < n && !rc; i++) {
		if (!g[i])
			rc = refuse(label, "a log has no generation");
		else if (i && g[i] == g[i - 1])
			rc = refuse(label, "generation %" PRIu64
				    " comes twice", g[i]);
		else if (i && g[i] != g[i - 1] + 1)
			rc = refuse(label, "its logs skip %s",
				    gens(buf, sizeof(buf), g[i - 1] + 1,
					 g[i] - 1));
	}
	free(g);
	return rc;
}

static int same_instance(const struct manifest *a, const struct manifest *b)
{
	if (a->instance_id && b->instance_id &&
	    a->instance_id != b->instance_id)
		return 0;
	if (!a->instance_name != !b->instance_name)
		return 0;
	return !a->instance_name ||
	       !strcmp(a->instance_name, b->instance_name);
}

int chain_add(struct chain *c, const struct manifest *m, const char *label,
	      bool *skip)
{
	const struct manifest_entry *e, *x;
	const struct manifest **mans;
	bool full = m->type && !strcmp(m->type, "full");
	uint64_t low, high;
	size_t nlogs, i, fresh = 0;
	char buf[64];
	int rc;

	if (m->version < 2)
		return refuse(label, "its MANIFEST is of version %d, without log generations; restore needs one of version 2 or later (verify still checks it)",
			      m->version);
	if (!full && (!m->type || strcmp(m->type, "incremental")))
		return refuse(label, "its MANIFEST names no backup type");
	if (!c->n && !full)
		return refuse(label, "it is an incremental backup; give the full backup it follows first");
	if (c->n && full)
		return refuse(label, "it is a full backup; only incremental backups may follow the first");
	if (c->n && !same_instance(c->mans[0], m))
		return refuse(label, "it is a backup of %s, the full backup one of %s",
			      m->instance ? m->instance : "another instance",
			      c->mans[0]->instance ? c->mans[0]->instance :
			      "another");
	rc = own_logs(m, label);
	if (rc)
		return rc;
	nlogs = manifest_generations(m, &low, &high);

	if (c->n && !nlogs)
		return refuse(label, "this incremental backup holds no logs");
	if (c->n && c->nlogs && low > c->high + 1)
		return refuse(label, "gap: it starts at log generation %" PRIu64
			      ", but the backups before it end at %" PRIu64
			      " (%s missing)", low, c->high,
			      gens(buf, sizeof(buf), c->high + 1, low - 1));
	if (c->n && c->nlogs && high <= c->high)
		return refuse(label, "out of order: its logs (generations %"
			      PRIu64 " to %" PRIu64 ") add nothing after generation %"
			      PRIu64 " of the backups before it",
			      low, high, c->high);
	for (i = 0; i < m->count; i++) {
		e = &m->entries[i];
		if (skip)
			skip[i] = false;
		if (c->n && !is_log(e))
			return refuse(label, "an incremental backup holds the database %s",
				      e->name);
		/* older than the full backup's logs: its copy needs none */
		if (c->n && c->nlogs && e->generation < c->low) {
			if (skip)
				skip[i] = true;
			continue;
		}
		x = c->n ? earlier(c, e) : NULL;
		if (!x) {
			fresh += is_log(e);
			continue;
		}
		/* the same log twice: the copies must agree */
		if (!is_log(x) || x->generation != e->generation ||
		    strcmp(x->sha256, e->sha256) || x->size != e->size)
			return refuse(label, "its %s (generation %" PRIu64
				      ") conflicts with %s of an earlier backup",
				      e->name, e->generation, x->name);
		if (skip)
			skip[i] = true;
	}
	mans = realloc(c->mans, (c->n + 1) * sizeof(*mans));
	if (!mans)
		return JETCTL_EXIT_ERROR;
	c->mans = mans;
	c->mans[c->n++] = m;
	if (nlogs) {
		if (!c->nlogs)
			c->low = low;
		if (!c->nlogs || high > c->high)
			c->high = high;
	}
	c->nlogs += c->n == 1 ? nlogs : fresh;
	return 0;
}

void chain_free(struct chain *c)
{
	free(c->mans);
	memset(c, 0, sizeof(*c));
}
