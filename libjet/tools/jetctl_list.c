// SPDX-License-Identifier: MIT
/*
 * jetctl_list.c - "jetctl list": a table of the system's instances.
 *
 * JetGetInstanceInfo() gives ids, names and databases; the rest of a row
 * comes from JetGetInstanceStateInstance(). An instance that ends between the
 * two calls is left out, as if the listing had been taken a moment later.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jetctl.h"

const char jetctl_list_help[] =
"Usage: jetctl list [OPTIONS]\n"
"Show every instance: id, name, owner pid and uid, state, backup phase,\n"
"bytes read by its backup, attached databases.\n"
"\n"
"Options:\n"
"  -H, --no-header  no title line (and nothing when there are no instances)\n"
"  -b, --bytes      READ as a plain number of bytes\n"
"  -j, --json       a JSON array of objects, one per instance\n"
"  -h, --help       this text\n";

enum {
	COL_ID, COL_NAME, COL_PID, COL_UID, COL_STATE, COL_BACKUP, COL_READ,
	COL_DBS, NCOLS
};

static const char *const col_title[NCOLS] = {
	"ID", "NAME", "PID", "UID", "STATE", "BACKUP", "READ", "DATABASES",
};

struct row {
	char *col[NCOLS];
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		perror("jetctl: list");
		exit(JETCTL_EXIT_ERROR);
	}
	return p;
}

static char *fmt_u64(unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	return xstrdup(buf);
}

static char *state_text(const JET_INSTANCE_STATE *st)
{
	char buf[128];

	if (st->flags & JET_INSTANCE_STATE_TERMINATING)
		snprintf(buf, sizeof(buf), "terminating");
	else if (st->flags & JET_INSTANCE_STATE_INITIALIZED)
		snprintf(buf, sizeof(buf), "running");
	else
		snprintf(buf, sizeof(buf), "created");
	if (st->flags & JET_INSTANCE_STATE_SERVICE_STOPPED)
		strcat(buf, ",service-stopped");
	if (st->service_bits & JET_bitStopServiceBackgroundUserTasks)
		strcat(buf, ",tasks-stopped");
	if (st->service_bits & JET_bitStopServiceQuiesceCaches)
		strcat(buf, ",quiesced");
	if (st->flags & JET_INSTANCE_STATE_PAUSED)
		strcat(buf, ",paused");
	if (st->flags & JET_INSTANCE_STATE_FROZEN)
		strcat(buf, ",frozen");		/* an OS snapshot */
	return xstrdup(buf);
}

static char *backup_text(const JET_INSTANCE_STATE *st)
{
	if (!(st->flags & JET_INSTANCE_STATE_BACKUP))
		return xstrdup("-");
	if (st->flags & JET_INSTANCE_STATE_BACKUP_STOPPED)
		return xstrdup("stopped");
	switch (st->phase) {
	case JET_BACKUP_PHASE_DATABASES:
		return xstrdup("databases");
	case JET_BACKUP_PHASE_LOGS:
		return xstrdup("logs");
	default:
		return xstrdup("begun");
	}
}

static char *dbs_text(const JET_INSTANCE_INFO *in)
{
	size_t len = 1, i;
	char *s;

	if (!in->cDatabases)
		return xstrdup("-");
	for (i = 0; i < in->cDatabases; i++)
		len += strlen(in->szDatabaseFileName[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return xstrdup("?");
	for (i = 0; i < in->cDatabases; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, in->szDatabaseFileName[i]);
	}
	return s;
}

static void fill_row(struct row *r, const JET_INSTANCE_INFO *in,
		     const JET_INSTANCE_STATE *st, bool raw_bytes)
{
	char buf[32];

	r->col[COL_ID] = fmt_u64(in->hInstanceId);
	r->col[COL_NAME] = xstrdup(in->szInstanceName && *in->szInstanceName ?
				   in->szInstanceName : "-");
	/* 0: the owner is outside our pid namespace */
	r->col[COL_PID] = st->owner_pid ? fmt_u64(st->owner_pid) : xstrdup("-");
	r->col[COL_UID] = fmt_u64(st->owner_uid);
	r->col[COL_STATE] = state_text(st);
	r->col[COL_BACKUP] = backup_text(st);
	r->col[COL_READ] = raw_bytes ? fmt_u64(st->bytes_read) :
		xstrdup(jetctl_fmt_bytes(st->bytes_read, buf, sizeof(buf)));
	r->col[COL_DBS] = dbs_text(in);
}

/* the JSON of one instance: the same facts, as numbers and lists */
static json_t *json_row(const JET_INSTANCE_INFO *in,
			const JET_INSTANCE_STATE *st)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} flags[] = {
		{ JET_INSTANCE_STATE_SERVICE_STOPPED, "service-stopped" },
		{ JET_INSTANCE_STATE_PAUSED, "paused" },
	};
	char *state = state_text(st), *backup = backup_text(st), *comma;
	json_t *o, *dbs, *fl;
	size_t i;

	comma = strchr(state, ',');
	if (comma)
		*comma = '\0';
	dbs = json_array();
	for (i = 0; dbs && i < in->cDatabases; i++)
		json_array_append_new(dbs,
				      json_string(in->szDatabaseFileName[i]));
	fl = json_array();
	for (i = 0; fl && i < ARRAY_SIZE(flags); i++)
		if (st->flags & flags[i].flag)
			json_array_append_new(fl, json_string(flags[i].name));
	if (fl && (st->service_bits & JET_bitStopServiceBackgroundUserTasks))
		json_array_append_new(fl, json_string("tasks-stopped"));
	if (fl && (st->service_bits & JET_bitStopServiceQuiesceCaches))
		json_array_append_new(fl, json_string("quiesced"));
	/* owner_pid is null when the owner is outside our pid namespace */
	o = json_pack("{s:I, s:s?, s:o, s:I, s:s, s:o, s:s?, s:I, s:o}",
		      "id", (json_int_t)in->hInstanceId,
		      "name", in->szInstanceName && *in->szInstanceName ?
			      in->szInstanceName : NULL,
		      "owner_pid", st->owner_pid ?
				   json_integer((json_int_t)st->owner_pid) :
				   json_null(),
		      "owner_uid", (json_int_t)st->owner_uid,
		      "state", state,
		      "flags", fl,
		      "backup", strcmp(backup, "-") ? backup : NULL,
		      "bytes_read", (json_int_t)st->bytes_read,
		      "databases", dbs);
	free(state);
	free(backup);
	return o;
}

static void print_rows(struct row *rows, size_t n, bool header)
{
	size_t width[NCOLS] = { 0 }, i;
	int c;

	for (c = 0; c < NCOLS; c++) {
		width[c] = header ? strlen(col_title[c]) : 0;
		for (i = 0; i < n; i++)
			if (strlen(rows[i].col[c]) > width[c])
				width[c] = strlen(rows[i].col[c]);
	}
	if (header) {
		for (c = 0; c < NCOLS - 1; c++)
			printf("%-*s  ", (int)width[c], col_title[c]);
		printf("%s\n", col_title[NCOLS - 1]);
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < NCOLS - 1; c++)
			printf(c == COL_ID || c == COL_PID || c == COL_UID ||
			       c == COL_READ ? "%*s  " : "%-*s  ",
			       (int)width[c], rows[i].col[c]);
		printf("%s\n", rows[i].col[NCOLS - 1]);
	}
}

int jetctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-header", no_argument, NULL, 'H' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool header = true, raw_bytes = false, json = jetctl_json;
	json_t *array = NULL;
	JET_INSTANCE_INFO *info = NULL;
	unsigned long count = 0, i;
	struct row *rows;
	size_t n = 0;
	JET_ERR err;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "Hbj", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			header = false;
			break;
		case 'b':
			raw_bytes = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return jetctl_bad_option("list", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return jetctl_usage_error("list: unexpected argument '%s'",
					  argv[optind]);

	err = JetGetInstanceInfo(&count, &info);
	if (err)
		return jetctl_jet_error("list", err);
	rows = calloc(count ? count : 1, sizeof(*rows));
	if (json)
		array = json_array();
	if (!rows || (json && !array)) {
		free(rows);
		JetFreeBuffer((char *)info);
		return jetctl_sys_error("list");
	}
	for (i = 0; i < count; i++) {
		JET_INSTANCE_STATE st;

		err = JetGetInstanceStateInstance(info[i].hInstanceId, &st);
		if (err == JET_errInvalidParameter ||
		    err == JET_errTermInProgress)
			continue;	/* it ended meanwhile */
		if (err) {
			JetFreeBuffer((char *)info);
			json_decref(array);
			for (i = 0; i < n; i++)
				for (c = 0; c < NCOLS; c++)
					free(rows[i].col[c]);
			free(rows);
			return jetctl_jet_error("list: reading an instance's state",
						err);
		}
		if (json)
			json_array_append_new(array, json_row(&info[i], &st));
		else
			fill_row(&rows[n++], &info[i], &st, raw_bytes);
	}
	JetFreeBuffer((char *)info);

	if (json) {
		free(rows);
		if (jetctl_json_print(array, stdout))
			return jetctl_sys_error("list: writing the JSON");
		return JETCTL_EXIT_OK;
	}
	if (!n && header)
		printf("no instances\n");
	else
		print_rows(rows, n, header);
	for (i = 0; i < n; i++)
		for (c = 0; c < NCOLS; c++)
			free(rows[i].col[c]);
	free(rows);
	if (fflush(stdout) == EOF)
		return jetctl_sys_error("list: writing the table");
	return JETCTL_EXIT_OK;
}
