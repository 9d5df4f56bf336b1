// SPDX-License-Identifier: MIT
/*
 * jetctl_restore.c - "jetctl restore BACKUP... DIR": a full backup and the
 * incrementals that follow it, each checked against its MANIFEST, put
 * together into DIR for the owner to recover from (SPEC section 10).
 *
 * Nothing half-done ever looks complete: DIR must be new or empty, and
 * everything is written into a hidden directory beside it
 * (".DIR.restore-XXXXXX", same filesystem), fsync'd, and renamed to DIR
 * only when every file matched and the chain held. On any failure or
 * interrupt the hidden directory is removed and DIR is untouched.
 *
 * A directory backup is checked from its MANIFEST before any file is
 * copied (a stopped backup, a gap in the chain cost nothing); a stream is
 * read in one pass into a staging directory, and judged by the MANIFEST at
 * its end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "chain.h"
#include "jetctl.h"
#include "source.h"

const char jetctl_restore_help[] =
"Usage: jetctl restore [OPTIONS] BACKUP [INCREMENTAL...] DIR\n"
"       jetctl restore [OPTIONS] -i -|FILE [-i FILE...] DIR\n"
"Check a full backup and the incremental backups that follow it against\n"
"their manifests, put their databases and logs into DIR (new or empty),\n"
"and print the log generations the server must replay. Each BACKUP is a\n"
"backup directory or a tar stream file; -i - reads a stream from standard\n"
"input. Give them in order: the full backup first, then each incremental.\n"
"DIR appears only once everything matched; nothing is left otherwise.\n"
"\n"
"Options:\n"
"  -i, --input=-|FILE  a tar stream of jetctl backup -o (in command-line\n"
"                      order with the other backups)\n"
"  -q, --quiet         no progress output\n"
"  -j, --json          the result as JSON\n"
"  -h, --help          this text\n"
"\n"
"Exit: 0 restored; 1 usage (DIR not empty); 2 error; 4 a file differs\n"
"from its manifest or the manifest is damaged; 5 a backup did not\n"
"complete (stopped, interrupted, cut short); 6 the backups do not form a\n"
"chain (not full first, a gap or a repeat in the log generations, another\n"
"instance); 130 interrupted.\n";

struct restore {
	const char **paths;		/* the backups, in order */
	bool *is_stream;
	size_t n;
	const char *dir;
	char *parent, *tmpname;		/* DIR's parent; ".DIR.restore-X" */
	int parentfd, tmpfd;
	bool dir_existed;
	struct source *src;
	bool **skip;			/* per backup, per manifest entry */
	struct chain chain;
	struct progress prog;
	bool json;
	/* totals */
	unsigned int ndb, nlog;
	uint64_t bytes;
};

static void restore_on_signal(int sig)
{
	(void)sig;
	if (source_interrupted)
		_exit(JETCTL_EXIT_INTERRUPTED);	/* the hidden dir stays */
	source_interrupted = 1;
}

static int install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* DIR: new, or an empty directory (restore never mixes with other files) */
static int check_dir(struct restore *r)
{
	struct dirent *de;
	struct stat st;
	char *copy;
	DIR *d;

	if (lstat(r->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return jetctl_usage_error("restore: %s exists and is not a directory",
						  r->dir);
		d = opendir(r->dir);
		if (!d)
			return jetctl_sys_error("restore: reading %s", r->dir);
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") &&
			    strcmp(de->d_name, "..")) {
				closedir(d);
				return jetctl_usage_error("restore: %s is not empty; give a new or empty directory",
							  r->dir);
			}
		closedir(d);
		r->dir_existed = true;
	} else if (errno != ENOENT) {
		return jetctl_sys_error("restore: %s", r->dir);
	}
	copy = strdup(r->dir);
	if (!copy)
		return jetctl_sys_error("restore");
	r->parent = strdup(dirname(copy));
	free(copy);
	if (!r->parent)
		return jetctl_sys_error("restore");
	r->parentfd = open(r->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->parentfd < 0)
		return jetctl_sys_error("restore: opening %s", r->parent);
	return JETCTL_EXIT_OK;
}

static int make_tmp(struct restore *r)
{
	char *copy = strdup(r->dir), *base, *path;
	int n;

	if (!copy)
		return jetctl_sys_error("restore");
	base = basename(copy);
	n = asprintf(&path, "%s/.%.100s.restore-XXXXXX", r->parent, base);
	free(copy);
	if (n < 0)
		return jetctl_sys_error("restore");
	if (!mkdtemp(path)) {
		free(path);
		return jetctl_sys_error("restore: creating a directory beside %s",
					r->dir);
	}
	r->tmpname = strdup(strrchr(path, '/') + 1);
	free(path);
	if (!r->tmpname)
		return jetctl_sys_error("restore");
	r->tmpfd = openat(r->parentfd, r->tmpname,
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->tmpfd < 0)
		return jetctl_sys_error("restore: opening %s", r->tmpname);
	return JETCTL_EXIT_OK;
}

/* everything in dirfd/name, two levels deep at most (the stage dirs) */
static void remove_tree(int dirfd, const char *name, int depth)
{
	struct dirent *de;
	int fd;
	DIR *d;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(fd, de->d_name, 0) && errno == EISDIR &&
			    depth > 0)
				remove_tree(fd, de->d_name, depth - 1);
		}
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* a stream's checked files, from its stage into the restore */
static int take_from_stage(struct restore *r, struct source *s, int stagefd,
			   const bool *skip)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		const struct file_result *f = &s->files[i];
		size_t k = (size_t)(f->e - s->man.entries);

		if (!f->e || skip[k])
			continue;
		if (renameat(stagefd, f->name, r->tmpfd, f->name))
			return jetctl_sys_error("restore: moving %s", f->name);
	}
	return JETCTL_EXIT_OK;
}

static void count(struct restore *r, const struct source *s, const bool *skip)
{
	size_t i;

	for (i = 0; i < s->man.count; i++) {
		if (skip[i])
			continue;
		if (!strcmp(s->man.entries[i].kind, "log"))
			r->nlog++;
		else
			r->ndb++;
		r->bytes += s->man.entries[i].size;
	}
}

static int restore_one(struct restore *r, size_t i)
{
	struct source *s = &r->src[i];
	char stage[32];
	int stagefd = -1, rc;
	bool *skip;

	if (source_init(s, r->paths[i], r->is_stream[i], &r->prog))
		return jetctl_sys_error("restore");
	if (s->stream) {
		snprintf(stage, sizeof(stage), ".stream-%zu", i);
		if (mkdirat(r->tmpfd, stage, 0700))
			return jetctl_sys_error("restore: staging %s",
						r->paths[i]);
		stagefd = openat(r->tmpfd, stage, O_RDONLY | O_DIRECTORY |
				 O_CLOEXEC);
		if (stagefd < 0)
			return jetctl_sys_error("restore: staging %s",
						r->paths[i]);
	}
	rc = source_load(s, "restore", stagefd);
	if (!rc)
		rc = source_check_complete(s, "restore");
	if (!rc) {
		skip = r->skip[i] = calloc(s->man.count + 1, sizeof(*skip));
		rc = skip ? chain_add(&r->chain, &s->man, r->paths[i], skip) :
			    jetctl_sys_error("restore");
	}
	if (!rc)
		rc = source_check_files(s, "restore", r->tmpfd, skip);
	if (!rc && source_report(s, true)) {
		jetctl_msg("restore: %s does not match its %s; nothing was restored",
			   strcmp(r->paths[i], "-") ? r->paths[i] :
			   "the stream on standard input", MANIFEST_NAME);
		rc = JETCTL_EXIT_MISMATCH;
	}
	if (!rc && s->stream)
		rc = take_from_stage(r, s, stagefd, skip);
	if (!rc)
		count(r, s, skip);
	if (stagefd >= 0) {
		close(stagefd);
		remove_tree(r->tmpfd, stage, 0);
	}
	return rc;
}

/* the hidden directory becomes DIR, durably */
static int commit(struct restore *r)
{
	char *copy = strdup(r->dir), *base;
	int rc = 0;

	if (!copy)
		return jetctl_sys_error("restore");
	base = basename(copy);
	if (fsync(r->tmpfd))
		rc = jetctl_sys_error("restore: writing %s", r->tmpname);
	/* over an empty DIR (rename allows that), never over a new one */
	else if (r->dir_existed ?
		 renameat(r->parentfd, r->tmpname, r->parentfd, base) :
		 renameat2(r->parentfd, r->tmpname, r->parentfd, base,
			   RENAME_NOREPLACE))
		rc = errno == ENOTEMPTY || errno == EEXIST ?
		     jetctl_usage_error("restore: %s was created or filled meanwhile; nothing was restored",
					r->dir) :
		     jetctl_sys_error("restore: renaming to %s", r->dir);
	else if (fsync(r->parentfd))
		rc = jetctl_sys_error("restore: writing %s", r->parent);
	free(copy);
	return rc;
}

static json_t *json_result(const struct restore *r)
{
	json_t *o, *backups = json_array(), *files = json_array();
	const struct manifest *full = r->chain.mans[0];
	size_t i, j;

	for (i = 0; backups && i < r->n; i++)
		json_array_append_new(backups, json_string(r->paths[i]));
	for (i = 0; files && i < r->chain.n; i++)
		for (j = 0; j < r->chain.mans[i]->count; j++) {
			const struct manifest_entry *e =
				&r->chain.mans[i]->entries[j];

			if (r->skip[i][j])
				continue;
			json_array_append_new(files,
				json_pack("{s:s, s:s, s:I, s:I, s:s}",
					  "name", e->name, "kind", e->kind,
					  "generation", (json_int_t)e->generation,
					  "size", (json_int_t)e->size,
					  "sha256", e->sha256));
		}
	o = json_pack("{s:s, s:s?, s:s?, s:o, s:I, s:I, s:I}",
		      "dir", r->dir, "instance", full->instance_name,
		      "type", full->type, "backups", backups,
		      "databases", (json_int_t)r->ndb,
		      "logs", (json_int_t)r->nlog,
		      "bytes", (json_int_t)r->bytes);
	if (!o) {
		json_decref(files);
		return NULL;
	}
	json_object_set_new(o, "generations", r->chain.nlogs ?
			    json_pack("{s:I, s:I}",
				      "low", (json_int_t)r->chain.low,
				      "high", (json_int_t)r->chain.high) :
			    json_null());
	json_object_set_new(o, "files", files);
	return o;
}

static void print_result(const struct restore *r)
{
	const struct manifest *full = r->chain.mans[0];
	char size[16];

	if (r->json) {
		jetctl_json_print(json_result(r), stdout);
		return;
	}
	printf("restored %s into %s: %u database%s, %u log%s, %s (%" PRIu64
	       " bytes) from %zu backup%s\n",
	       full->instance ? full->instance : "a backup", r->dir, r->ndb,
	       r->ndb == 1 ? "" : "s", r->nlog, r->nlog == 1 ? "" : "s",
	       jetctl_fmt_bytes(r->bytes, size, sizeof(size)), r->bytes, r->n,
	       r->n == 1 ? "" : "s");
	if (r->chain.nlogs)
		printf("replay log generations %" PRIu64 " to %" PRIu64
		       " (JET_LOGINFO ulGenLow %" PRIu64 ", ulGenHigh %" PRIu64
		       ")\n", r->chain.low, r->chain.high, r->chain.low,
		       r->chain.high);
	else
		printf("no logs were restored: nothing to replay\n");
}

/* the backups in command-line order, whether given with -i or not */
static int parse_args(struct restore *r, int argc, char **argv, bool *quiet)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	size_t stdin_uses = 0;
	int c;

	r->paths = calloc((size_t)argc, sizeof(*r->paths));
	r->is_stream = calloc((size_t)argc, sizeof(*r->is_stream));
	if (!r->paths || !r->is_stream)
		return jetctl_sys_error("restore");
	opterr = 0;
	/* "-": each operand comes back as option 1, in order */
	while ((c = getopt_long(argc, argv, "-i:qj", opts, NULL)) != -1) {
		switch (c) {
		case 1:
		case 'i':
			r->is_stream[r->n] = c == 'i';
			stdin_uses += !strcmp(optarg, "-");
			r->paths[r->n++] = optarg;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'j':
			r->json = true;
			break;
		default:
			return jetctl_bad_option("restore", argv[optind - 1]);
		}
	}
	/* the last operand is DIR */
	if (r->n < 2 || r->is_stream[r->n - 1])
		return jetctl_usage_error("restore: give the backups, then DIR");
	r->dir = r->paths[--r->n];
	if (stdin_uses > 1)
		return jetctl_usage_error("restore: standard input (-) can be read once");
	if (!strcmp(r->dir, "-"))
		return jetctl_usage_error("restore: DIR is a directory, not -");
	return JETCTL_EXIT_OK;
}

int jetctl_restore(int argc, char **argv)
{
	struct restore r = { .parentfd = -1, .tmpfd = -1,
			     .json = jetctl_json };
	bool quiet = false;
	size_t i;
	int rc;

	rc = parse_args(&r, argc, argv, &quiet);
	if (!rc)
		rc = check_dir(&r);
	if (!rc) {
		progress_init(&r.prog, quiet || r.json);
		r.src = calloc(r.n, sizeof(*r.src));
		r.skip = calloc(r.n, sizeof(*r.skip));
		if (!r.src || !r.skip || install_signals())
			rc = jetctl_sys_error("restore");
	}
	if (!rc)
		rc = make_tmp(&r);
	for (i = 0; !rc && i < r.n; i++)
		rc = restore_one(&r, i);
	if (!rc && source_interrupted)
		rc = JETCTL_EXIT_INTERRUPTED;
	if (!rc)
		rc = commit(&r);
	if (rc && r.tmpname) {
		if (rc == JETCTL_EXIT_INTERRUPTED)
			jetctl_msg("restore interrupted; nothing was restored");
		if (r.tmpfd >= 0)
			close(r.tmpfd);
		r.tmpfd = -1;
		remove_tree(r.parentfd, r.tmpname, 1);
	}
	if (!rc)
		print_result(&r);
	for (i = 0; r.src && i < r.n; i++)
		source_free(&r.src[i]);
	for (i = 0; r.skip && i < r.n; i++)
		free(r.skip[i]);
	free(r.skip);
	chain_free(&r.chain);
	free(r.src);
	if (r.tmpfd >= 0)
		close(r.tmpfd);
	if (r.parentfd >= 0)
		close(r.parentfd);
	free(r.tmpname);
	free(r.parent);
	free(r.paths);
	free(r.is_stream);
	return rc;
}
