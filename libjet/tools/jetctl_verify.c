// SPDX-License-Identifier: MIT
/*
 * jetctl_verify.c - "jetctl verify": does DIR still hold what the backup
 * wrote? Every file of DIR/MANIFEST is hashed again and compared by size and
 * SHA-256. Needs no /dev/jet: a backup can be checked anywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jetctl.h"
#include "manifest.h"
#include "progress.h"

#define VERIFY_BUF_SIZE	(1u << 20)

enum verdict { V_OK, V_MISMATCH, V_IOERR };

static enum verdict check_file(int dirfd, const struct manifest_entry *e,
			       struct progress *prog, char *buf)
{
	char hex[SHA256_HEX_SIZE], want[16], got[16];
	uint64_t done = 0;
	struct sha256 s;
	struct stat st;
	ssize_t r;
	int fd;

	fd = openat(dirfd, e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP) {
			printf("MISSING   %s\n", e->name);
			return V_MISMATCH;
		}
		jetctl_sys_error("verify: opening %s", e->name);
		return V_IOERR;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		printf("MISMATCH  %s: not a regular file\n", e->name);
		return V_MISMATCH;
	}
	if ((uint64_t)st.st_size != e->size) {
		close(fd);
		printf("MISMATCH  %s: size %s, the manifest says %s\n", e->name,
		       jetctl_fmt_bytes((uint64_t)st.st_size, got, sizeof(got)),
		       jetctl_fmt_bytes(e->size, want, sizeof(want)));
		return V_MISMATCH;
	}
	sha256_init(&s);
	progress_begin(prog, "checking", e->name, e->size);
	for (;;) {
		r = read(fd, buf, VERIFY_BUF_SIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sha256_update(&s, buf, (size_t)r);
		done += (uint64_t)r;
		progress_update(prog, done);
	}
	if (r < 0) {
		progress_end(prog, "failed");
		jetctl_sys_error("verify: reading %s", e->name);
		close(fd);
		return V_IOERR;
	}
	close(fd);
	progress_end(prog, "checked");
	sha256_final_hex(&s, hex);
	if (done != e->size || strcmp(hex, e->sha256)) {
		printf("MISMATCH  %s: sha256 %s, the manifest says %s\n",
		       e->name, hex, e->sha256);
		return V_MISMATCH;
	}
	return V_OK;
}

/* files in DIR that the manifest does not list: worth a note, no failure */
static void note_extra(int dirfd, const struct manifest *m)
{
	struct dirent *de;
	size_t i;
	DIR *d;

	d = fdopendir(dup(dirfd));
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, MANIFEST_NAME))
			continue;
		for (i = 0; i < m->count; i++)
			if (!strcmp(de->d_name, m->entries[i].name))
				break;
		if (i == m->count)
			printf("EXTRA     %s: not in the manifest\n",
			       de->d_name);
	}
	closedir(d);
}

int jetctl_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int bad = 0, ioerr = 0;
	struct manifest m;
	struct progress prog;
	bool quiet = false, complete;
	char why[128], total[16];
	uint64_t bytes = 0;
	const char *dir;
	char *buf;
	size_t i;
	int c, dirfd, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		if (c != 'q')
			return jetctl_usage_error("verify: unknown option '%s'",
						  argv[optind - 1]);
		quiet = true;
	}
	if (argc - optind != 1)
		return jetctl_usage_error(argc - optind < 1 ?
					  "verify: which directory?" :
					  "verify: too many arguments");
	dir = argv[optind];
	/* a bar on a terminal; in a log, the verdict lines are enough */
	progress_init(&prog, quiet || !isatty(STDERR_FILENO));

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return jetctl_sys_error("verify: opening %s", dir);
	rc = manifest_read(dirfd, &m, why, sizeof(why));
	if (rc == -1 && errno == ENOENT) {
		close(dirfd);
		jetctl_msg("verify: %s has no %s: not a backup, or one that never finished",
			   dir, MANIFEST_NAME);
		return JETCTL_EXIT_MISMATCH;
	}
	if (rc == -1) {
		close(dirfd);
		return jetctl_sys_error("verify: reading %s/%s", dir,
					MANIFEST_NAME);
	}
	if (rc == -2) {
		close(dirfd);
		jetctl_msg("verify: %s/%s is damaged: %s", dir, MANIFEST_NAME,
			   why);
		return JETCTL_EXIT_MISMATCH;
	}

	buf = malloc(VERIFY_BUF_SIZE);
	if (!buf) {
		close(dirfd);
		manifest_free(&m);
		return jetctl_sys_error("verify");
	}
	for (i = 0; i < m.count; i++) {
		switch (check_file(dirfd, &m.entries[i], &prog, buf)) {
		case V_OK:
			bytes += m.entries[i].size;
			break;
		case V_MISMATCH:
			bad++;
			break;
		case V_IOERR:
			ioerr++;
			break;
		}
	}
	free(buf);
	note_extra(dirfd, &m);
	close(dirfd);

	complete = m.status && !strcmp(m.status, "complete");
	if (!complete)
		printf("INCOMPLETE the backup did not finish: %s\n",
		       m.status ? m.status : "no status recorded");
	if (!bad && !ioerr)
		printf("%s: %zu file%s, %s: all match%s\n", dir, m.count,
		       m.count == 1 ? "" : "s",
		       jetctl_fmt_bytes(bytes, total, sizeof(total)),
		       complete ? "" : ", but the backup is incomplete");
	else
		printf("%s: %u of %zu file%s do not match%s\n", dir,
		       bad + ioerr, m.count, m.count == 1 ? "" : "s",
		       ioerr ? " (some could not be read)" : "");
	manifest_free(&m);
	if (bad || !complete)
		return JETCTL_EXIT_MISMATCH;
	return ioerr ? JETCTL_EXIT_ERROR : JETCTL_EXIT_OK;
}
