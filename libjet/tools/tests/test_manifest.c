// SPDX-License-Identifier: MIT
/*
 * test_manifest.c - MANIFEST round trips, and damage is noticed.
 * One "ok"/"not ok" line per check; exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../manifest.h"

static int failed;

#define CHECK(cond, what)						\
	do {								\
		if (cond) {						\
			printf("ok %s\n", what);			\
		} else {						\
			printf("not ok %s (line %d)\n", what, __LINE__); \
			failed++;					\
		}							\
	} while (0)

static const char *sha_a =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char *sha_e =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int dirfd_for(char *tmpl)
{
	if (!mkdtemp(tmpl))
		return -1;
	return open(tmpl, O_RDONLY | O_DIRECTORY);
}

/* rewrite byte at off of DIR/MANIFEST (off < 0: from the end) */
static void poke(int dirfd, long off, char c)
{
	int fd = openat(dirfd, MANIFEST_NAME, O_RDWR);
	struct stat st;

	fstat(fd, &st);
	if (off < 0)
		off += st.st_size;
	if (pwrite(fd, &c, 1, off) != 1)
		perror("pwrite");
	close(fd);
}

static void cut(int dirfd, long bytes)
{
	int fd = openat(dirfd, MANIFEST_NAME, O_RDWR);
	struct stat st;

	fstat(fd, &st);
	if (ftruncate(fd, st.st_size - bytes))
		perror("ftruncate");
	close(fd);
}

static void build(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	manifest_set(&m->instance, "demo (id 3)");
	manifest_set(&m->type, "full");
	manifest_set_now(&m->started);
	manifest_add(m, sha_a, 3, "database", "demo.edb",
		     "/var/lib/demo/demo.edb");
	manifest_add(m, sha_e, 0, "log", "a b\\c",
		     "/odd path/with\ttab\nnewline\\back");
	manifest_add_truncated(m, "/var/lib/demo/old 1.log");
	manifest_set_now(&m->finished);
	manifest_set(&m->status, "complete");
}

int main(void)
{
	char tmpl[] = "/tmp/jetctl-manifest-XXXXXX", why[128];
	struct manifest m, r;
	int dirfd, rc;

	dirfd = dirfd_for(tmpl);
	if (dirfd < 0) {
		perror("mkdtemp");
		return 1;
	}

	build(&m);
	CHECK(manifest_write(dirfd, &m) == 0, "manifest write");
	rc = manifest_read(dirfd, &r, why, sizeof(why));
	CHECK(rc == 0, "manifest read back");
	if (!rc) {
		CHECK(r.count == 2 && r.ntruncated == 1, "manifest counts");
		CHECK(!strcmp(r.entries[1].name, "a b\\c") &&
		      !strcmp(r.entries[1].source,
			      "/odd path/with\ttab\nnewline\\back"),
		      "manifest escapes names and sources");
		CHECK(r.entries[0].size == 3 &&
		      !strcmp(r.entries[0].sha256, sha_a) &&
		      !strcmp(r.entries[0].kind, "database"),
		      "manifest entry fields");
		CHECK(!strcmp(r.status, "complete") &&
		      !strcmp(r.instance, "demo (id 3)") &&
		      !strcmp(r.truncated[0], "/var/lib/demo/old 1.log"),
		      "manifest metadata");
		manifest_free(&r);
	}

	poke(dirfd, 60, 'X');
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest with a changed byte is damaged");

	manifest_write(dirfd, &m);
	cut(dirfd, 10);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest cut short is damaged");

	manifest_write(dirfd, &m);
	cut(dirfd, 0);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == 0 &&
	      (manifest_free(&r), 1), "manifest rewritten reads again");

	/* a valid checksum over a name that leaves DIR: still refused */
	manifest_add(&m, sha_a, 3, "database", "../etc/passwd", "/x");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest name with a slash is refused");
	manifest_free(&m);

	build(&m);
	manifest_add(&m, sha_a, 3, "database", MANIFEST_NAME, "/x");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest listing itself is refused");
	manifest_free(&m);

	unlinkat(dirfd, MANIFEST_NAME, 0);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -1 &&
	      errno == ENOENT, "missing manifest is ENOENT");

	CHECK(manifest_name_ok("demo.edb") && !manifest_name_ok(".x.part") &&
	      !manifest_name_ok("a/b") && !manifest_name_ok(""),
	      "manifest_name_ok");

	close(dirfd);
	rmdir(tmpl);
	return failed ? 1 : 0;
}
