// SPDX-License-Identifier: MIT
/*
 * jetctl_snapshot.c - "jetctl snapshot INSTANCE DIR": ESE's OS snapshot
 * sequence, the file system's part done with a reflink (FICLONE) per file:
 *
 *   Prepare (explicit: this one instance) -> Freeze -> the databases
 *   (GetFreezeInfo) and the logs a full backup would copy now (jet's
 *   JetOSSnapshotGetLogInfoInstance2A) -> one FICLONE each into DIR ->
 *   Thaw -> hash, fsync and name each clone -> SHA256SUMS, MANIFEST (the
 *   same as "jetctl backup" writes, type full, method snapshot) -> only
 *   then TruncateLogInstance(AllDatabases), as ESE's snapshot truncates
 *   (not with --copy: JET_bitCopySnapshot) -> End.
 *
 * The server's page writes wait only while the clones are made: the
 * freeze holds the owner's JetLockWriteRangeInstance back and rolls its
 * log, so the clones of the databases and of those logs recover.
 *
 * Any failure before MANIFEST is durable aborts the session (which thaws)
 * and removes every file made in DIR; a snapshot is complete only when its
 * MANIFEST says so. Signals: the first SIGINT, SIGTERM or SIGHUP is looked
 * at between steps (and while hashing), then the session is aborted and
 * DIR cleaned (exit 130); a second one cleans DIR and exits at once, and
 * the kernel aborts the session, thawing, when this process's /dev/jet
 * closes. A freeze under way is not cut short by a signal (libjet restarts
 * it); it ends by itself within its timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "snapshot.h"

volatile sig_atomic_t snap_signal;

static void snap_on_signal(int sig)
{
	if (snap_signal) {
		snap_emergency_remove();
		_exit(JETCTL_EXIT_INTERRUPTED);
	}
	snap_signal = sig;
}

static int install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = snap_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

static const char *signal_name(void)
{
	return snap_signal == SIGINT ? "SIGINT" :
	       snap_signal == SIGTERM ? "SIGTERM" : "SIGHUP";
}

static void print_json(struct snap *s, const char *result, JET_ERR err,
		       const char *why)
{
	json_t *o;

	if (!s->json)
		return;
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:f, s:f}",
		      "instance", s->inst_name, "type", "full",
		      "method", "snapshot", "result", result,
		      "copy", s->copy,
		      "databases", (json_int_t)s->ndb,
		      "logs", (json_int_t)s->nlog,
		      "bytes", (json_int_t)s->bytes,
		      "seconds", jetctl_now() - s->start,
		      "frozen_seconds", s->held);
	if (!o)
		return;
	json_object_set_new(o, "output", json_string(s->dir));
	if (s->nlog)
		json_object_set_new(o, "generations",
				    json_pack("{s:I, s:I}",
					      "low", (json_int_t)s->gen_low,
					      "high", (json_int_t)s->gen_high));
	if (err)
		json_object_set_new(o, "error",
				    json_pack("{s:I, s:s}", "code",
					      (json_int_t)err, "name",
					      JetErrorName(err)));
	if (why)
		json_object_set_new(o, "reason", json_string(why));
	jetctl_json_print(o, stdout);
}

/*
 * Before MANIFEST: end the session as an abort (it thaws, if frozen) and
 * leave DIR as it was found. The caller has said why.
 */
static int snap_abort(struct snap *s, int code, JET_ERR jerr, const char *why)
{
	JET_ERR err;

	if (s->id) {
		err = JetOSSnapshotAbort(s->id, 0);
		if (err)
			jetctl_jet_error("snapshot: aborting the session", err);
		s->id = 0;
	}
	snap_remove_all(s);
	jetctl_msg("snapshot of %s aborted; nothing of it is left in %s",
		   s->inst_name, s->dir);
	print_json(s, code == JETCTL_EXIT_INTERRUPTED ? "interrupted" :
		   code == JETCTL_EXIT_STOPPED ? "stopped" : "failed",
		   jerr, why);
	return code;
}

static int snap_interrupted(struct snap *s)
{
	char why[64];

	jetctl_msg("snapshot interrupted by %s", signal_name());
	snprintf(why, sizeof(why), "interrupted by %s", signal_name());
	return snap_abort(s, JETCTL_EXIT_INTERRUPTED, 0, why);
}

static int snap_jet_failed(struct snap *s, const char *step, JET_ERR err)
{
	char what[128], why[96];
	int code;

	snprintf(what, sizeof(what), "snapshot: %s", step);
	code = jetctl_jet_error(what, err);
	snprintf(why, sizeof(why), "%s (%ld)", JetErrorName(err), (long)err);
	return snap_abort(s, code, err, why);
}

/* a step of snapshot_files.c failed (it said why) */
static int snap_failed(struct snap *s, int code)
{
	if (code == JETCTL_EXIT_INTERRUPTED)
		return snap_interrupted(s);
	return snap_abort(s, code, 0, "see the messages above");
}

static int add_file(struct snap *s, const char *src, const char *kind,
		    uint64_t gen)
{
	struct snap_file *f = &s->files[s->nfiles];

	memset(f, 0, sizeof(*f));
	f->src = strdup(src);
	if (!f->src)
		return -1;
	f->kind = kind;
	f->generation = gen;
	s->nfiles++;
	snap_choose_name(s, f);
	return 0;
}

/* the logs the snapshot needs, in a buffer that surely ends with 2 NULs */
static JET_ERR get_logs(struct snap *s, char **plist, JET_LOGINFO_A *li)
{
	unsigned long need = 0;
	JET_ERR err;
	char *buf;

	/* the list is fixed while frozen: the probe's size is the size */
	err = JetOSSnapshotGetLogInfoInstance2A(s->id, s->inst, NULL, 0,
						&need, NULL);
	if (err)
		return err;
	buf = calloc(1, need + 2);
	if (!buf)
		return JET_errOutOfMemory;
	err = JetOSSnapshotGetLogInfoInstance2A(s->id, s->inst, buf, need,
						&need, li);
	if (err) {
		free(buf);
		return err;
	}
	*plist = buf;
	return JET_errSuccess;
}

/* While frozen: which files, as the kernel says now. */
static int list_files(struct snap *s, const JET_INSTANCE_INFO_A *info)
{
	JET_LOGINFO_A li = { .cbSize = sizeof(li) };
	char *logs = NULL, *p;
	size_t nlogs = 0, i;
	JET_ERR err;

	err = get_logs(s, &logs, &li);
	if (err)
		return snap_jet_failed(s, "listing the logs", err);
	for (p = logs; *p; p += strlen(p) + 1)
		nlogs++;
	if (nlogs != li.ulGenHigh - li.ulGenLow + 1) {
		free(logs);
		jetctl_msg("snapshot: the module listed %zu logs for generations %lu to %lu",
			   nlogs, li.ulGenLow, li.ulGenHigh);
		return snap_abort(s, JETCTL_EXIT_ERROR, 0,
				  "the log list does not match its generations");
	}
	s->files = calloc(info->cDatabases + nlogs, sizeof(*s->files));
	if (!s->files) {
		free(logs);
		return snap_abort(s, jetctl_sys_error("snapshot"), 0,
				  "out of memory");
	}
	for (i = 0; i < info->cDatabases; i++)
		if (add_file(s, info->szDatabaseFileName[i], "database", 0))
			goto nomem;
	for (p = logs, i = 0; *p; p += strlen(p) + 1, i++)
		if (add_file(s, p, "log", li.ulGenLow + i))
			goto nomem;
	free(logs);
	s->ndb = (unsigned int)info->cDatabases;
	s->nlog = (unsigned int)nlogs;
	s->gen_low = li.ulGenLow;
	s->gen_high = li.ulGenHigh;
	snap_publish_files(s);
	return JETCTL_EXIT_OK;
nomem:
	free(logs);
	return snap_abort(s, jetctl_sys_error("snapshot"), 0, "out of memory");
}

/* Freeze, clone everything, thaw: the only time the server waits. */
static int frozen_part(struct snap *s)
{
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long n = 0, i;
	double t0;
	JET_ERR err;
	int rc = JETCTL_EXIT_OK;

	t0 = jetctl_now();
	err = JetOSSnapshotFreezeA(s->id, &n, &info, 0);
	if (err && snap_signal)
		return snap_interrupted(s);
	if (err)
		return snap_jet_failed(s, "freezing", err);
	for (i = 0; i < n && info[i].hInstanceId != s->inst; i++)
		;
	if (i == n) {
		JetFreeBuffer((char *)info);
		return snap_jet_failed(s, "the frozen instances",
				       JET_errInvalidInstance);
	}
	rc = list_files(s, &info[i]);
	JetFreeBuffer((char *)info);
	if (rc)
		return rc;
	for (i = 0; i < s->nfiles && !rc; i++) {
		if (snap_signal)
			return snap_interrupted(s);
		rc = snap_clone(s, &s->files[i]);
	}
	if (rc)
		return snap_failed(s, rc);
	err = JetOSSnapshotThaw(s->id, 0);
	s->held = jetctl_now() - t0;
	if (err == JET_errOSSnapshotTimeOut)
		jetctl_msg("snapshot: the freeze ended by its timeout before the thaw (%.1fs frozen); try a longer --timeout",
			   s->held);
	if (err)
		return snap_jet_failed(s, "thawing", err);
	return JETCTL_EXIT_OK;
}

/* SHA256SUMS, then MANIFEST, which vouches for it: the commit point */
static int write_manifest(struct snap *s)
{
	char hex[SHA256_HEX_SIZE], *text = NULL;
	size_t len = 0, i;
	int rc = -1;

	for (i = 0; i < s->nfiles; i++) {
		struct snap_file *f = &s->files[i];

		if (manifest_add(&s->man, f->sha256, f->size, f->kind,
				 f->generation, f->name, f->src))
			return -1;
	}
	if (manifest_set_now(&s->man.finished) ||
	    manifest_set(&s->man.status, MANIFEST_STATUS_COMPLETE) ||
	    sha256sums_format(&s->man, &text, &len) ||
	    sha256_hex(text, len, hex) ||
	    manifest_set(&s->man.sha256sums, hex) ||
	    snap_put(s, SHA256SUMS_NAME, text, len))
		goto out;
	free(text);
	text = NULL;
	if (manifest_format(&s->man, &text, &len) ||
	    snap_put(s, MANIFEST_NAME, text, len))
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

static void print_summary(struct snap *s)
{
	char size[16], took[16], gens[64] = "";

	if (s->json)
		return;
	if (s->nlog && s->gen_low == s->gen_high)
		snprintf(gens, sizeof(gens), " (generation %" PRIu64 ")",
			 s->gen_low);
	else if (s->nlog)
		snprintf(gens, sizeof(gens), " (generations %" PRIu64
			 " to %" PRIu64 ")", s->gen_low, s->gen_high);
	printf("snapshot of %s complete: %u database%s, %u log%s%s, %s in %s into %s; the server's writes waited %.3fs\n",
	       s->inst_name, s->ndb, s->ndb == 1 ? "" : "s", s->nlog,
	       s->nlog == 1 ? "" : "s", gens,
	       jetctl_fmt_bytes(s->bytes, size, sizeof(size)),
	       jetctl_fmt_duration(jetctl_now() - s->start, took,
				   sizeof(took)),
	       s->dir, s->held);
}

/* After MANIFEST: the snapshot stands, whatever the end says. */
static int truncate_and_end(struct snap *s)
{
	int rc = JETCTL_EXIT_OK;
	JET_ERR err;

	if (!s->copy) {
		/* as ESE: below the checkpoint at the freeze */
		err = JetOSSnapshotTruncateLogInstance(s->id, s->inst,
						       JET_bitAllDatabasesSnapshot);
		if (err)
			rc = jetctl_jet_error("snapshot: truncating the logs (the snapshot itself is complete)",
					      err);
	}
	/* a normal end either way: the snapshot is a full backup */
	err = JetOSSnapshotEnd(s->id, 0);
	s->id = 0;
	if (err && !rc)
		rc = jetctl_jet_error("snapshot: ending the session (the snapshot itself is complete)",
				      err);
	return rc;
}

static int run_snapshot(struct snap *s, const char *first_db)
{
	JET_GRBIT grbit = JET_bitExplicitPrepare | JET_bitContinueAfterThaw;
	JET_ERR err;
	size_t i;
	int rc;

	/* a file system without reflinks fails here, before any freeze */
	if (first_db) {
		rc = snap_probe_reflink(s, first_db);
		if (rc)
			return snap_failed(s, rc);
	}
	if (s->copy)
		grbit |= JET_bitCopySnapshot;
	err = JetSetOSSnapshotTimeout(s->timeout_ms);
	if (err)
		return snap_jet_failed(s, "setting the timeout", err);
	err = JetOSSnapshotPrepare(&s->id, grbit);
	if (err) {
		s->id = 0;
		return snap_jet_failed(s, "preparing", err);
	}
	err = JetOSSnapshotPrepareInstance(s->id, s->inst, 0);
	if (err)
		return snap_jet_failed(s, "preparing the instance", err);
	if (snap_signal)
		return snap_interrupted(s);
	if (manifest_set_now(&s->man.started))
		return snap_abort(s, jetctl_sys_error("snapshot"), 0,
				  "out of memory");

	rc = frozen_part(s);
	if (rc)
		return rc;

	for (i = 0; i < s->nfiles; i++) {
		rc = snap_finish_file(s, &s->files[i]);
		if (rc)
			return snap_failed(s, rc);
	}
	if (snap_signal)
		return snap_interrupted(s);
	if (write_manifest(s))
		return snap_abort(s, jetctl_sys_error("snapshot: writing %s",
						      MANIFEST_NAME),
				  0, "the manifest could not be written");
	snap_disarm();

	rc = truncate_and_end(s);
	print_summary(s);
	print_json(s, "complete", 0, rc ? "the logs were not truncated, or the session did not end normally" : NULL);
	return rc;
}

/* the instance's first database, the owner's uid, and the manifest's
 * idea of the instance
 */
static int describe_instance(struct snap *s, char **pfirst_db)
{
	JET_INSTANCE_INFO *info = NULL;
	JET_INSTANCE_STATE st;
	unsigned long n = 0, i;
	JET_ERR err;

	memset(&st, 0, sizeof(st));
	err = JetGetInstanceStateInstance(s->inst, &st);
	if (err)
		return jetctl_jet_error("snapshot: the instance's state", err);
	/* not the owner's uid: take only the owner's files (see open_source) */
	s->owner_uid = st.owner_uid;
	s->check_owner = geteuid() != st.owner_uid;
	err = JetGetInstanceInfo(&n, &info);
	if (err)
		return jetctl_jet_error("snapshot: listing instances", err);
	*pfirst_db = NULL;
	for (i = 0; i < n; i++)
		if (info[i].hInstanceId == s->inst && info[i].cDatabases) {
			*pfirst_db = strdup(info[i].szDatabaseFileName[0]);
			if (!*pfirst_db) {
				JetFreeBuffer((char *)info);
				return jetctl_sys_error("snapshot");
			}
		}
	JetFreeBuffer((char *)info);
	s->man.instance_id = s->inst;
	s->man.instance_name = jetctl_instance_name(s->inst);
	if (manifest_set(&s->man.instance, s->inst_name) ||
	    manifest_set(&s->man.type, "full") ||
	    manifest_set(&s->man.method, "snapshot"))
		return jetctl_sys_error("snapshot");
	return JETCTL_EXIT_OK;
}

const char jetctl_snapshot_help[] =
"Usage: jetctl snapshot [OPTIONS] INSTANCE DIR\n"
"Take an OS snapshot of INSTANCE (a name or a numeric id) into DIR (new or\n"
"empty): freeze the instance (its server's page writes wait and its log is\n"
"rolled), reflink each database and the logs a full backup would copy into\n"
"DIR, thaw, then write the same MANIFEST and SHA256SUMS as 'jetctl backup'\n"
"(a full backup, method snapshot), so 'jetctl verify' and 'jetctl restore'\n"
"take it, and truncate the logs as ESE's snapshot does.\n"
"\n"
"DIR must be on the file system of the instance's files, and that one must\n"
"have reflinks (FICLONE): btrfs, or XFS with reflink=1. Elsewhere use\n"
"'jetctl backup'.\n"
"\n"
"Options:\n"
"      --copy           a copy snapshot (JET_bitCopySnapshot): truncate no\n"
"                       logs and record no backup\n"
"      --timeout=MS     the longest freeze, in ms; it thaws by itself then\n"
"                       and the snapshot fails (default: the module's\n"
"                       snapshot_timeout_ms, 70000)\n"
"      --owner=USER     only if USER (a name or uid) owns INSTANCE; when run\n"
"                       privileged, jetctl takes only root's without it\n"
"  -j, --json           the summary as JSON\n"
"  -h, --help           this text\n"
"\n"
"Exit: 0 complete, 1 usage, 2 error, 3 the server stopped it, 130\n"
"interrupted. A snapshot that does not complete leaves nothing in DIR.\n";

enum { OPT_COPY = 256, OPT_TIMEOUT, OPT_OWNER };

static int parse_timeout(const char *arg, unsigned long *pms)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' ||
	    v > 3600UL * 1000UL)
		return jetctl_usage_error("snapshot: --timeout takes milliseconds, 0 to 3600000, not '%s'",
					  arg);
	*pms = v;
	return JETCTL_EXIT_OK;
}

int jetctl_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "copy", no_argument, NULL, OPT_COPY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct snap s = { .dirfd = -1, .json = jetctl_json };
	const char *owner = NULL;
	char *first_db = NULL;
	size_t i;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case OPT_COPY:
			s.copy = true;
			break;
		case OPT_TIMEOUT:
			rc = parse_timeout(optarg, &s.timeout_ms);
			if (rc)
				return rc;
			break;
		case OPT_OWNER:
			owner = optarg;
			break;
		case 'j':
			s.json = true;
			break;
		default:
			return jetctl_bad_option("snapshot", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return jetctl_usage_error(argc - optind < 2 ?
					  "snapshot: give INSTANCE and DIR" :
					  "snapshot: too many arguments");
	s.dir = argv[optind + 1];
	s.start = jetctl_now();

	rc = jetctl_resolve_owned(argv[optind], owner, &s.inst, &s.inst_name);
	if (rc)
		return rc;
	rc = describe_instance(&s, &first_db);
	if (!rc) {
		s.buf = malloc(1u << 20);
		if (!s.buf || install_signals())
			rc = jetctl_sys_error("snapshot");
	}
	if (!rc)
		rc = snap_dir_start(&s);
	if (!rc)
		rc = run_snapshot(&s, first_db);
	if (s.dirfd >= 0)
		close(s.dirfd);
	for (i = 0; i < s.nfiles; i++)
		free(s.files[i].src);
	free(s.files);
	manifest_free(&s.man);
	free(first_db);
	free(s.buf);
	free(s.inst_name);
	return rc;
}
