// SPDX-License-Identifier: MIT
/*
 * jetctl_backup.c - "jetctl backup": a streaming backup of one instance into
 * a directory, as ESE's sequence: Begin, GetAttachInfo, copy each database,
 * GetLogInfo, copy each log, optionally GetTruncateLogInfo + TruncateLog, End.
 *
 * Copying: sendfile(2) from the backup handle (a real file descriptor) into
 * the output file, so the data never crosses into this process. Where
 * sendfile does not work (EINVAL: the output filesystem cannot splice) the
 * copy falls back to JetReadFileInstance() + write(2). Any other sendfile
 * failure also falls back to JetReadFileInstance() for the rest of the file:
 * if the source failed, that call fails again and gives the JET code that
 * explains why (e.g. JET_errBackupAbortByServer after a stop); if the output
 * failed, write(2) reports it.
 *
 * Hashing: on the sendfile path each chunk is read back from the output file
 * right after sendfile wrote it, while it is still in the page cache. That
 * costs one copy into this process, the same as inline hashing would, and it
 * hashes the bytes that were really written to DIR, which are what "jetctl
 * verify" later checks, instead of bytes that passed through a buffer. On the
 * read path the data is in our buffer anyway and is hashed there.
 *
 * Files are written as DIR/.NAME.part and renamed to DIR/NAME once complete
 * and fsync'd, so a name without ".part" is always a whole file. The
 * manifest is written last (and on an abort, marked incomplete).
 *
 * Interrupts: the first SIGINT, SIGTERM or SIGHUP makes the copy stop at
 * once (sendfile returns EINTR; the handlers have no SA_RESTART), then the
 * backup is ended with JET_bitBackupEndAbort, the partial file removed and the
 * manifest marked incomplete; exit 130. A second signal removes the partial
 * file and exits at once: the kernel aborts a backup whose process ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jetctl.h"
#include "manifest.h"
#include "progress.h"

#define COPY_BUF_SIZE		(1u << 20)
#define SENDFILE_MIN_CHUNK	(64u << 10)
#define SENDFILE_MAX_CHUNK	(8u << 20)

struct backup {
	JET_INSTANCE inst;
	char *inst_name;
	const char *dir;
	int dirfd;
	bool created_dir;
	bool incremental, truncate, use_sendfile;
	bool begun;			/* Begin succeeded, End not yet */
	struct progress prog;
	struct manifest man;
	char *buf;			/* COPY_BUF_SIZE */
	size_t chunk;			/* sendfile's current chunk */
	/* the file being copied */
	JET_HANDLE hf;
	bool hf_open;
	int out;			/* -1 when none */
	char partial[NAME_MAX + 1];	/* its name in DIR, "" when none */
	/* totals for the summary */
	uint64_t bytes;
	unsigned int ndb, nlog;
};

static volatile sig_atomic_t backup_signal;
/* for the second signal's emergency cleanup */
static int sig_dirfd = -1;
static char sig_partial[NAME_MAX + 1];
static volatile sig_atomic_t sig_partial_valid;

static void backup_on_signal(int sig)
{
	if (backup_signal) {
		/* the second one: the user wants out now */
		if (sig_partial_valid && sig_dirfd >= 0)
			unlinkat(sig_dirfd, sig_partial, 0);
		_exit(JETCTL_EXIT_INTERRUPTED);
	}
	backup_signal = sig;
}

static int install_signals(void)
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
	return 0;
}

static void set_partial(struct backup *b, const char *name)
{
	sig_partial_valid = 0;
	snprintf(b->partial, sizeof(b->partial), "%s", name);
	memcpy(sig_partial, b->partial, sizeof(sig_partial));
	sig_partial_valid = *name != '\0';
}

static void discard_partial(struct backup *b)
{
	if (b->out >= 0)
		close(b->out);
	b->out = -1;
	if (b->partial[0])
		unlinkat(b->dirfd, b->partial, 0);
	set_partial(b, "");
}

static int write_manifest(struct backup *b, const char *status)
{
	if (manifest_set_now(&b->man.finished) ||
	    manifest_set(&b->man.status, status) ||
	    manifest_write(b->dirfd, &b->man))
		return jetctl_sys_error("backup: writing %s/%s", b->dir,
					MANIFEST_NAME);
	return JETCTL_EXIT_OK;
}

/*
 * Everything an abort needs, whatever the cause: the partial file goes, the
 * backup ends as aborted, and the manifest says the backup is incomplete.
 */
static int backup_abort(struct backup *b, int code, const char *why)
{
	char status[160];
	JET_ERR err;

	progress_end(&b->prog, "aborted");
	discard_partial(b);
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
	write_manifest(b, status);
	jetctl_msg("backup of %s aborted; %s/%s marks it incomplete",
		   b->inst_name, b->dir, MANIFEST_NAME);
	return code;
}

static int backup_interrupted(struct backup *b)
{
	const char *name = backup_signal == SIGINT ? "SIGINT" :
			   backup_signal == SIGTERM ? "SIGTERM" : "SIGHUP";
	char why[64];

	jetctl_msg("backup interrupted by %s", name);
	snprintf(why, sizeof(why), "interrupted by %s", name);
	return backup_abort(b, JETCTL_EXIT_INTERRUPTED, why);
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
	return backup_abort(b, code, why);
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
	return backup_abort(b, JETCTL_EXIT_ERROR, why);
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

static bool name_taken(const struct backup *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->man.count; i++)
		if (!strcmp(b->man.entries[i].name, name))
			return true;
	return false;
}

/*
 * The file's name in DIR: its base name with anything unusual replaced, so
 * names are portable and never need quoting; ".N" keeps them unique.
 */
static void choose_name(const struct backup *b, const char *src,
			char name[NAME_MAX + 1])
{
	const char *base = strrchr(src, '/');
	char stem[200];
	size_t i, n;
	int k;

	base = base && base[1] ? base + 1 : src;
	n = strlen(base);
	if (n >= sizeof(stem))
		n = sizeof(stem) - 1;
	for (i = 0; i < n; i++) {
		char c = base[i];

		stem[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			  c == '_' || c == '+' ? c : '_';
	}
	stem[n] = '\0';
	if (!n)
		snprintf(stem, sizeof(stem), "file");
	if (stem[0] == '.')
		stem[0] = '_';		/* ".NAME.part" is for partial files */
	snprintf(name, NAME_MAX + 1, "%s", stem);
	for (k = 1; name_taken(b, name) || !manifest_name_ok(name); k++)
		snprintf(name, NAME_MAX + 1, "%s.%d", stem, k);
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* hash what sendfile just wrote, reading it back from the page cache */
static int hash_back(struct backup *b, struct sha256 *s, uint64_t off,
		     size_t len)
{
	ssize_t r;

	while (len) {
		r = pread(b->out, b->buf, len < COPY_BUF_SIZE ? len :
			  COPY_BUF_SIZE, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		sha256_update(s, b->buf, (size_t)r);
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * One sendfile(2) call: the bytes copied (0 at the end); -2 when a signal
 * interrupted it; -1 when the caller should use JetReadFileInstance() from
 * here on.
 */
static ssize_t copy_sendfile(struct backup *b)
{
	double t0 = jetctl_now(), dt;
	ssize_t n;

	n = sendfile(b->out, (int)b->hf, NULL, b->chunk);
	if (n < 0) {
		if (errno == EINTR)
			return -2;
		if (errno == EINVAL || errno == EOPNOTSUPP) {
			/* it cannot work here: not for the next files either */
			if (!b->prog.quiet)
				jetctl_msg("sendfile does not work here (%s); copying through a buffer",
					   strerror(errno));
			b->use_sendfile = false;
		}
		return -1;
	}
	/* about 0.1-0.5 s a call: progress stays live under a throttle */
	dt = jetctl_now() - t0;
	if (dt < 0.05 && b->chunk < SENDFILE_MAX_CHUNK)
		b->chunk *= 2;
	else if (dt > 0.5 && b->chunk > SENDFILE_MIN_CHUNK)
		b->chunk /= 2;
	return n;
}

static int copy_file(struct backup *b, const char *src, const char *kind)
{
	unsigned long lo = 0, hi = 0, got;
	char name[NAME_MAX + 1], partial[NAME_MAX + 1];
	char hex[SHA256_HEX_SIZE];
	bool sendfile_here = b->use_sendfile;
	uint64_t size, off = 0;
	struct sha256 s;
	JET_ERR err;
	ssize_t n;

	if (backup_signal)
		return backup_interrupted(b);
	err = JetOpenFileInstance(b->inst, src, &b->hf, &lo, &hi);
	if (err)
		return backup_jet_failed(b, "opening", src, err);
	b->hf_open = true;
	/* ESE's two 32-bit halves */
	size = (uint64_t)(lo & 0xffffffffUL) | (uint64_t)(hi & 0xffffffffUL) << 32;

	choose_name(b, src, name);
	snprintf(partial, sizeof(partial), ".%.200s.part", name);
	set_partial(b, partial);
	/* O_RDWR: the sendfile path reads each chunk back to hash it */
	b->out = openat(b->dirfd, partial,
			O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b->out < 0) {
		set_partial(b, "");
		return backup_sys_failed(b, "backup: creating %s", partial);
	}

	sha256_init(&s);
	progress_begin(&b->prog, "copying", src, size);
	for (;;) {
		if (backup_signal)
			return backup_interrupted(b);
		if (sendfile_here) {
			n = copy_sendfile(b);
			if (n == -2)
				continue;	/* EINTR: look at the signal */
			if (n < 0) {
				sendfile_here = false;
				continue;
			}
			if (n && hash_back(b, &s, off, (size_t)n))
				return backup_sys_failed(b,
					"backup: reading back %s", partial);
		} else {
			err = JetReadFileInstance(b->inst, b->hf, b->buf,
						  COPY_BUF_SIZE, &got);
			if (err)
				return backup_jet_failed(b, "reading", src,
							 err);
			n = (ssize_t)got;
			if (write_all(b->out, b->buf, got))
				return backup_sys_failed(b, "backup: writing %s",
							 partial);
			sha256_update(&s, b->buf, got);
		}
		if (!n)
			break;
		off += (uint64_t)n;
		progress_update(&b->prog, off);
	}
	if (off != size) {
		errno = EIO;
		return backup_sys_failed(b, "backup: %s ended before its size",
					 src);
	}
	if (fsync(b->out) || close(b->out)) {
		b->out = -1;
		return backup_sys_failed(b, "backup: writing %s", partial);
	}
	b->out = -1;
	if (renameat(b->dirfd, partial, b->dirfd, name))
		return backup_sys_failed(b, "backup: renaming %s", partial);
	set_partial(b, "");

	b->hf_open = false;
	err = JetCloseFileInstance(b->inst, b->hf);
	if (err)
		return backup_jet_failed(b, "closing", src, err);

	sha256_final_hex(&s, hex);
	if (manifest_add(&b->man, hex, size, kind, name, src))
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

static int run_backup(struct backup *b)
{
	JET_INSTANCE_STATE st;
	double start = jetctl_now();
	char size[16], took[16];
	JET_ERR err;
	int rc;

	if (manifest_set(&b->man.instance, b->inst_name) ||
	    manifest_set(&b->man.type, b->incremental ? "incremental" : "full") ||
	    manifest_set_now(&b->man.started))
		return jetctl_sys_error("backup");

	err = JetBeginExternalBackupInstance(b->inst, b->incremental ?
					     JET_bitBackupIncremental : 0);
	if (err) {
		if (b->created_dir)
			rmdir(b->dir);	/* nothing was written yet */
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
	if (write_manifest(b, "complete"))
		return JETCTL_EXIT_ERROR;
	printf("backup of %s complete: %u database%s, %u log%s, %s in %s into %s\n",
	       b->inst_name, b->ndb, b->ndb == 1 ? "" : "s", b->nlog,
	       b->nlog == 1 ? "" : "s",
	       jetctl_fmt_bytes(b->bytes, size, sizeof(size)),
	       jetctl_fmt_duration(jetctl_now() - start, took, sizeof(took)),
	       b->dir);
	if (b->truncate)
		printf("the server may now delete %zu log%s\n",
		       b->man.ntruncated, b->man.ntruncated == 1 ? "" : "s");
	return JETCTL_EXIT_OK;
}

/* DIR must be new or empty: a backup never mixes with other files */
static int open_dir(struct backup *b)
{
	struct dirent *de;
	DIR *d;

	if (mkdir(b->dir, 0700) == 0)
		b->created_dir = true;
	else if (errno != EEXIST)
		return jetctl_sys_error("backup: creating %s", b->dir);
	b->dirfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dirfd < 0)
		return jetctl_sys_error("backup: opening %s", b->dir);
	d = fdopendir(dup(b->dirfd));
	if (!d)
		return jetctl_sys_error("backup: reading %s", b->dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return jetctl_usage_error("backup: %s is not empty; give a new or empty directory",
						  b->dir);
		}
	closedir(d);
	sig_dirfd = b->dirfd;
	return JETCTL_EXIT_OK;
}

int jetctl_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "incremental", no_argument, NULL, 'i' },
		{ "truncate", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "copy", required_argument, NULL, 'c' },
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup b = { .dirfd = -1, .out = -1, .use_sendfile = true,
			    .chunk = SENDFILE_MIN_CHUNK * 16 };
	const char *owner = NULL;	/* --owner: see resolve.c */
	bool quiet = false;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "itq", opts, NULL)) != -1) {
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
		case 'o':
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
			return jetctl_usage_error("backup: unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return jetctl_usage_error(argc - optind < 2 ?
					  "backup: give INSTANCE and DIR" :
					  "backup: too many arguments");
	b.dir = argv[optind + 1];
	progress_init(&b.prog, quiet);

	rc = jetctl_resolve_owned(argv[optind], owner, &b.inst, &b.inst_name);
	if (rc)
		return rc;
	b.buf = malloc(COPY_BUF_SIZE);
	if (!b.buf || install_signals()) {
		free(b.inst_name);
		return jetctl_sys_error("backup");
	}
	rc = open_dir(&b);
	if (!rc)
		rc = run_backup(&b);
	if (b.dirfd >= 0)
		close(b.dirfd);
	manifest_free(&b.man);
	free(b.buf);
	free(b.inst_name);
	return rc;
}
