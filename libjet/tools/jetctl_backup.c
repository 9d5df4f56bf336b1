// SPDX-License-Identifier: MIT
/*
 * jetctl_backup.c - "jetctl backup": a streaming backup of one instance, as
 * ESE's sequence: Begin, GetAttachInfo, copy each database, GetLogInfo,
 * copy each log, optionally GetTruncateLogInfo + TruncateLog, End. The
 * bytes go to a sink: a directory (backup_dir.c) or a tar stream
 * (backup_tar.c).
 *
 * Every file is hashed (SHA-256) as it is copied, and each log's generation
 * is asked of its backup descriptor, for the manifest. A complete backup
 * ends with SHA256SUMS and then MANIFEST; one that fails for any reason
 * ends with a MANIFEST marked incomplete, and never with a partial file
 * that looks whole.
 *
 * Interrupts: the first SIGINT, SIGTERM or SIGHUP makes the copy stop at
 * once (sendfile returns EINTR; the handlers have no SA_RESTART), then the
 * backup is ended with JET_bitBackupEndAbort, the partial file removed and the
 * manifest marked incomplete; exit 130. A second signal removes the partial
 * file and exits at once: the kernel aborts a backup whose process ends.
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

#include "backup.h"

volatile sig_atomic_t backup_signal;

static void backup_on_signal(int sig)
{
	if (backup_signal) {
		/* the second one: the user wants out now */
		backup_dir_emergency();
		_exit(JETCTL_EXIT_INTERRUPTED);
	}
	backup_signal = sig;
}

static int install_signals(bool stream)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = backup_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked copy must return */
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	/* a reader that went away is a write error (EPIPE), handled as one */
	if (stream)
		signal(SIGPIPE, SIG_IGN);
	return 0;
}

ssize_t backup_read_chunk(struct backup *b)
{
	unsigned long got = 0;

	b->read_err = JetReadFileInstance(b->inst, b->hf, b->buf,
					  COPY_BUF_SIZE, &got);
	if (b->read_err)
		return BACKUP_EJET;
	return (ssize_t)got;
}

/* where the summary goes: stdout, unless the stream itself is there */
static FILE *summary_file(const struct backup *b)
{
	return b->sink == &backup_tar_sink && b->tar_to_stdout ? stderr : stdout;
}

static void print_json_summary(struct backup *b, const char *result,
			       JET_ERR err, const char *why)
{
	uint64_t low, high;
	json_t *o, *t;
	size_t i;

	if (!b->json)
		return;
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:f}",
		      "instance", b->inst_name,
		      "type", b->incremental ? "incremental" : "full",
		      "result", result,
		      "output", b->out,
		      "databases", (json_int_t)b->ndb,
		      "logs", (json_int_t)b->nlog,
		      "bytes", (json_int_t)b->bytes,
		      "seconds", jetctl_now() - b->start);
	if (!o)
		return;
	if (manifest_generations(&b->man, &low, &high))
		json_object_set_new(o, "generations",
				    json_pack("{s:I, s:I}", "low",
					      (json_int_t)low, "high",
					      (json_int_t)high));
	if (err)
		json_object_set_new(o, "error",
				    json_pack("{s:I, s:s}", "code",
					      (json_int_t)err, "name",
					      JetErrorName(err)));
	if (why)
		json_object_set_new(o, "reason", json_string(why));
	if (b->truncate && !strcmp(result, "complete")) {
		t = json_array();
		for (i = 0; t && i < b->man.ntruncated; i++)
			json_array_append_new(t,
					      json_string(b->man.truncated[i]));
		json_object_set_new(o, "truncated", t);
	}
	jetctl_json_print(o, summary_file(b));
}

/*
 * Everything an abort needs, whatever the cause: the partial file goes, the
 * backup ends as aborted, and the manifest says the backup is incomplete.
 */
static int backup_abort(struct backup *b, int code, const char *why,
			JET_ERR jerr)
{
	char status[160], *text = NULL;
	size_t len = 0;
	JET_ERR err;
	bool marked = false;

	progress_end(&b->prog, "aborted");
	b->sink->file_discard(b);
	if (b->hf_open)
		JetCloseFileInstance(b->inst, b->hf);
	b->hf_open = false;
	if (b->begun) {
		/* after StopService(All) this fails too; our exit ends it */
		err = JetEndExternalBackupInstance2(b->inst,
						    JET_bitBackupEndAbort);
		if (err && !jetctl_is_server_stop(err))
			jetctl_jet_error("backup: ending the aborted backup",
					 err);
		b->begun = false;
	}
	snprintf(status, sizeof(status), "incomplete: %s", why);
	if (!manifest_set_now(&b->man.finished) &&
	    !manifest_set(&b->man.status, status) &&
	    !manifest_format(&b->man, &text, &len) &&
	    !b->sink->put(b, MANIFEST_NAME, text, len))
		marked = true;
	free(text);
	if (b->sink->finish(b))
		marked = false;
	if (marked && b->sink == &backup_dir_sink)
		jetctl_msg("backup of %s aborted; %s/%s marks it incomplete",
			   b->inst_name, b->out, MANIFEST_NAME);
	else if (marked)
		jetctl_msg("backup of %s aborted; the stream ends with a %s that marks it incomplete",
			   b->inst_name, MANIFEST_NAME);
	else
		jetctl_msg("backup of %s aborted; it has no complete %s, so restore refuses it",
			   b->inst_name, MANIFEST_NAME);
	print_json_summary(b, code == JETCTL_EXIT_INTERRUPTED ? "interrupted" :
			   code == JETCTL_EXIT_STOPPED ? "stopped" : "failed",
			   jerr, why);
	return code;
}

static int backup_interrupted(struct backup *b)
{
	const char *name = backup_signal == SIGINT ? "SIGINT" :
			   backup_signal == SIGTERM ? "SIGTERM" : "SIGHUP";
	char why[64];

	jetctl_msg("backup interrupted by %s", name);
	snprintf(why, sizeof(why), "interrupted by %s", name);
	return backup_abort(b, JETCTL_EXIT_INTERRUPTED, why, 0);
}

/* a JET call of the backup failed: say which and what to do, then abort */
static int backup_jet_failed(struct backup *b, const char *step,
			     const char *file, JET_ERR err)
{
	char what[PATH_MAX + 64], why[96];
	int code;

	progress_end(&b->prog, "aborted");
	if (jetctl_is_server_stop(err))
		snprintf(what, sizeof(what), "backup stopped");
	else if (file)
		snprintf(what, sizeof(what), "backup: %s %s", step, file);
	else
		snprintf(what, sizeof(what), "backup: %s", step);
	code = jetctl_jet_error(what, err);
	snprintf(why, sizeof(why), "%s (%ld)", JetErrorName(err), (long)err);
	return backup_abort(b, code, why, err);
}

static int backup_sys_failed(struct backup *b, const char *fmt,
			     const char *arg)
{
	int err = errno;
	char why[96];

	progress_end(&b->prog, "aborted");
	errno = err;
	jetctl_sys_error(fmt, arg);
	snprintf(why, sizeof(why), "%s", strerror(err));
	return backup_abort(b, JETCTL_EXIT_ERROR, why, 0);
}

typedef JET_ERR (*list_call)(JET_INSTANCE, void *, unsigned long,
			     unsigned long *);

/* one of the name lists, in a buffer that surely ends with two NULs */
static JET_ERR get_list(JET_INSTANCE inst, list_call call, char **plist)
{
	unsigned long size = 4096, need;
	JET_ERR err;
	char *buf;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		buf = calloc(1, size + 2);
		if (!buf)
			return JET_errOutOfMemory;
		need = 0;
		err = call(inst, buf, size, &need);
		if (err == JET_errSuccess) {
			*plist = buf;
			return JET_errSuccess;
		}
		free(buf);
		if (err != JET_errBufferTooSmall &&
		    err != JET_wrnBufferTruncated)
			return err;
		/* the list may grow between the calls: a new log */
		size = need > size ? need + 4096 : 2 * size;
	}
	return JET_errBufferTooSmall;
}

/* The file's name in the backup (manifest_stem); ".N" keeps it unique. */
static void choose_name(const struct backup *b, const char *src,
			char name[NAME_MAX + 1])
{
	char stem[200];
	int k;

	manifest_stem(src, stem, sizeof(stem));
	snprintf(name, NAME_MAX + 1, "%s", stem);
	for (k = 1; manifest_find(&b->man, name) || !manifest_name_ok(name);
	     k++)
		snprintf(name, NAME_MAX + 1, "%s.%d", stem, k);
}

static int copy_file(struct backup *b, const char *src, const char *kind)
{
	unsigned long lo = 0, hi = 0;
	char name[NAME_MAX + 1], hex[SHA256_HEX_SIZE];
	uint64_t size, off = 0, gen = 0;
	struct sha256 s;
	JET_ERR err;
	ssize_t n;
	int rc;

	if (backup_signal)
		return backup_interrupted(b);
	err = JetOpenFileInstance(b->inst, src, &b->hf, &lo, &hi);
	if (err)
		return backup_jet_failed(b, "opening", src, err);
	b->hf_open = true;
	/* ESE's two 32-bit halves */
	size = (uint64_t)(lo & 0xffffffffUL) | (uint64_t)(hi & 0xffffffffUL) << 32;
	/* restore checks a chain of backups by the logs' generations */
	if (!strcmp(kind, "log") && jetctl_file_generation(b->hf, &gen))
		return backup_sys_failed(b, "backup: the generation of %s",
					 src);

	choose_name(b, src, name);
	if (b->sink->file_begin(b, name, size))
		return backup_sys_failed(b, "backup: starting %s", name);
	if (sha256_init(&s))
		return backup_sys_failed(b, "backup: hashing %s", name);
	progress_begin(&b->prog, "copying", src, size);
	for (;;) {
		if (backup_signal) {
			sha256_free(&s);
			return backup_interrupted(b);
		}
		n = b->sink->copy(b, &s);
		if (n == BACKUP_EINTR)
			continue;	/* look at the signal */
		if (n == BACKUP_EJET) {
			sha256_free(&s);
			return backup_jet_failed(b, "reading", src,
						 b->read_err);
		}
		if (n < 0) {
			sha256_free(&s);
			return backup_sys_failed(b, "backup: writing %s", name);
		}
		if (!n)
			break;
		off += (uint64_t)n;
		progress_update(&b->prog, off);
	}
	if (off != size) {
		sha256_free(&s);
		errno = EIO;
		return backup_sys_failed(b, "backup: %s ended before its size",
					 src);
	}
	if (sha256_final_hex(&s, hex))
		return backup_sys_failed(b, "backup: hashing %s", name);
	if (b->sink->file_end(b))
		return backup_sys_failed(b, "backup: finishing %s", name);

	b->hf_open = false;
	err = JetCloseFileInstance(b->inst, b->hf);
	if (err)
		return backup_jet_failed(b, "closing", src, err);

	rc = manifest_add(&b->man, hex, size, kind, gen, name, src);
	if (rc)
		return backup_sys_failed(b, "backup: %s", "manifest");
	progress_end(&b->prog, "copied");
	b->bytes += size;
	return JETCTL_EXIT_OK;
}

static int copy_list(struct backup *b, list_call call, const char *step,
		     const char *kind, unsigned int *pcount)
{
	char *list = NULL, *p;
	JET_ERR err;
	int rc = JETCTL_EXIT_OK;

	if (backup_signal)
		return backup_interrupted(b);
	err = get_list(b->inst, call, &list);
	if (err)
		return backup_jet_failed(b, step, NULL, err);
	for (p = list; *p && !rc; p += strlen(p) + 1) {
		rc = copy_file(b, p, kind);
		if (!rc)
			(*pcount)++;
	}
	free(list);
	return rc;
}

static int truncate_logs(struct backup *b)
{
	char *list = NULL, *p;
	JET_ERR err;

	if (backup_signal)
		return backup_interrupted(b);
	err = get_list(b->inst, JetGetTruncateLogInfoInstance, &list);
	if (err)
		return backup_jet_failed(b, "listing the logs to truncate",
					 NULL, err);
	for (p = list; *p; p += strlen(p) + 1)
		if (manifest_add_truncated(&b->man, p)) {
			free(list);
			return backup_sys_failed(b, "backup: %s", "manifest");
		}
	free(list);
	err = JetTruncateLogInstance(b->inst);
	if (err)
		return backup_jet_failed(b, "truncating the logs", NULL, err);
	return JETCTL_EXIT_OK;
}

/* SHA256SUMS, then MANIFEST (which vouches for it) last: the commit point */
static int write_complete(struct backup *b)
{
	char hex[SHA256_HEX_SIZE], *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (manifest_set_now(&b->man.finished) ||
	    manifest_set(&b->man.status, MANIFEST_STATUS_COMPLETE) ||
	    sha256sums_format(&b->man, &text, &len) ||
	    sha256_hex(text, len, hex) ||
	    manifest_set(&b->man.sha256sums, hex) ||
	    b->sink->put(b, SHA256SUMS_NAME, text, len))
		goto out;
	free(text);
	text = NULL;
	if (manifest_format(&b->man, &text, &len) ||
	    b->sink->put(b, MANIFEST_NAME, text, len))
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

static void print_text_summary(struct backup *b)
{
	char size[16], took[16], gens[64] = "";
	uint64_t low, high;
	FILE *f = summary_file(b);

	if (b->json)
		return;
	if (manifest_generations(&b->man, &low, &high) && low == high)
		snprintf(gens, sizeof(gens), " (generation %" PRIu64 ")", low);
	else if (low != high)
		snprintf(gens, sizeof(gens), " (generations %" PRIu64
			 " to %" PRIu64 ")", low, high);
	fprintf(f, "backup of %s complete: %u database%s, %u log%s%s, %s in %s into %s\n",
		b->inst_name, b->ndb, b->ndb == 1 ? "" : "s", b->nlog,
		b->nlog == 1 ? "" : "s", gens,
		jetctl_fmt_bytes(b->bytes, size, sizeof(size)),
		jetctl_fmt_duration(jetctl_now() - b->start, took,
				    sizeof(took)),
		b->sink == &backup_tar_sink && b->tar_to_stdout ?
		"standard output" : b->out);
	if (b->truncate)
		fprintf(f, "the server may now delete %zu log%s\n",
			b->man.ntruncated, b->man.ntruncated == 1 ? "" : "s");
}

static int run_backup(struct backup *b)
{
	JET_INSTANCE_STATE st;
	JET_ERR err;
	int rc;

	b->start = jetctl_now();
	if (manifest_set(&b->man.type, b->incremental ? "incremental" : "full") ||
	    manifest_set_now(&b->man.started))
		return jetctl_sys_error("backup");

	err = JetBeginExternalBackupInstance(b->inst, b->incremental ?
					     JET_bitBackupIncremental : 0);
	if (err) {
		b->sink->unstart(b);
		return jetctl_jet_error(jetctl_is_server_stop(err) ?
					"backup stopped" : "backup: beginning",
					err);
	}
	b->begun = true;

	if (!b->incremental) {
		rc = copy_list(b, JetGetAttachInfoInstance,
			       "listing the databases", "database", &b->ndb);
		if (rc)
			return rc;
	}
	rc = copy_list(b, JetGetLogInfoInstance, "listing the logs", "log",
		       &b->nlog);
	if (rc)
		return rc;
	if (b->truncate) {
		rc = truncate_logs(b);
		if (rc)
			return rc;
	}
	if (backup_signal)
		return backup_interrupted(b);

	/*
	 * A stop that lands after the last read still makes End succeed,
	 * as an abort: look first, so such a backup is not called complete.
	 */
	if (!JetGetInstanceStateInstance(b->inst, &st) &&
	    (st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED))
		return backup_jet_failed(b, "ending", NULL,
					 JET_errBackupAbortByServer);
	err = JetEndExternalBackupInstance2(b->inst, JET_bitBackupEndNormal |
					    (b->truncate ?
					     JET_bitBackupTruncateDone : 0));
	if (err)
		return backup_jet_failed(b, "ending", NULL, err);
	b->begun = false;

	/* the files are whole, but without a manifest it is no backup */
	if (write_complete(b))
		return backup_sys_failed(b, "backup: writing %s",
					 MANIFEST_NAME);
	if (b->sink->finish(b)) {
		print_json_summary(b, "failed", 0, "the output failed");
		return JETCTL_EXIT_ERROR;
	}
	print_text_summary(b);
	print_json_summary(b, "complete", 0, NULL);
	return JETCTL_EXIT_OK;
}

/* the instance's own name and id, for the manifest (restore compares them) */
static int record_instance(struct backup *b)
{
	b->man.instance_id = b->inst;
	b->man.instance_name = jetctl_instance_name(b->inst);
	return manifest_set(&b->man.instance, b->inst_name);
}

const char jetctl_backup_help[] =
"Usage: jetctl backup INSTANCE DIR [OPTIONS]\n"
"       jetctl backup INSTANCE -o -|FILE [OPTIONS]\n"
"Stream a backup of INSTANCE (a name or a numeric id) into DIR (new or\n"
"empty), or as a tar stream to standard output (-o -) or a new FILE. Every\n"
"file's SHA-256 goes into MANIFEST and SHA256SUMS.\n"
"\n"
"Options:\n"
"  -o, --output=-|FILE  a tar (pax) stream instead of a directory; the\n"
"                       summary then goes to standard error\n"
"  -i, --incremental    only the logs since the last backup\n"
"  -t, --truncate       then let the server delete the logs it no longer\n"
"                       needs\n"
"  -q, --quiet          no progress output\n"
"  -c, --copy=read      copy through a buffer instead of sendfile(2)\n"
"      --owner=USER     only if USER (a name or uid) owns INSTANCE; when run\n"
"                       privileged, jetctl takes only root's without it\n"
"  -j, --json           the summary as JSON (no progress output)\n"
"  -h, --help           this text\n"
"\n"
"Exit: 0 complete, 1 usage, 2 error, 3 the server stopped it, 130\n"
"interrupted. Every backup that does not complete is marked incomplete.\n";

enum { OPT_OWNER = 256 };	/* --owner has no short form */

int jetctl_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "incremental", no_argument, NULL, 'i' },
		{ "truncate", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "copy", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ NULL, 0, NULL, 0 },
	};
	struct backup b = { .dirfd = -1, .out_fd = -1, .tar_fd = -1,
			    .use_sendfile = true, .sink = &backup_dir_sink,
			    .json = jetctl_json };
	const char *output = NULL;
	const char *owner = NULL;	/* --owner: see resolve.c */
	bool quiet = false;
	int c, rc, want;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "itqc:o:j", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			b.incremental = true;
			break;
		case 't':
			b.truncate = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			b.json = true;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_OWNER:
			owner = optarg;
			break;
		case 'c':
			if (!strcmp(optarg, "read"))
				b.use_sendfile = false;
			else if (strcmp(optarg, "sendfile"))
				return jetctl_usage_error("backup: --copy is 'sendfile' or 'read', not '%s'",
							  optarg);
			break;
		default:
			return jetctl_bad_option("backup", argv[optind - 1]);
		}
	}
	want = output ? 1 : 2;
	if (argc - optind != want)
		return jetctl_usage_error(argc - optind < want ?
					  (output ? "backup: give INSTANCE" :
					   "backup: give INSTANCE and DIR (or -o -)") :
					  "backup: too many arguments");
	if (output && !*output)
		return jetctl_usage_error("backup: -o needs - or a file name");
	if (output) {
		b.sink = &backup_tar_sink;
		b.out = output;
		b.tar_to_stdout = !strcmp(output, "-");
	} else {
		b.out = argv[optind + 1];
	}
	progress_init(&b.prog, quiet || b.json);

	rc = jetctl_resolve_owned(argv[optind], owner, &b.inst, &b.inst_name);
	if (rc)
		return rc;
	b.buf = malloc(COPY_BUF_SIZE);
	if (!b.buf || record_instance(&b) || install_signals(output != NULL)) {
		free(b.buf);
		free(b.inst_name);
		manifest_free(&b.man);
		return jetctl_sys_error("backup");
	}
	rc = b.sink->start(&b);
	if (!rc)
		rc = run_backup(&b);
	if (b.dirfd >= 0)
		close(b.dirfd);
	manifest_free(&b.man);
	free(b.buf);
	free(b.inst_name);
	return rc;
}
