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
	manifest_set(&m->instance_name, "demo");
	m->instance_id = 3;
	manifest_add(m, sha_a, 3, "database", 0, "demo.edb",
		     "/var/lib/demo/demo.edb");
	manifest_add(m, sha_e, 0, "log", 7, "a b\\c",
		     "/odd path/with\ttab\nnewline\\back");
	manifest_set(&m->sha256sums, sha_e);
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
		CHECK(r.version == MANIFEST_VERSION &&
		      !strcmp(r.instance_name, "demo") && r.instance_id == 3 &&
		      !strcmp(r.sha256sums, sha_e),
		      "manifest version 2 metadata");
		CHECK(r.entries[0].generation == 0 &&
		      r.entries[1].generation == 7,
		      "manifest keeps each log's generation");
		CHECK(!r.method, "manifest of a streamed backup has no method");
		manifest_free(&r);
	}
	/* a snapshot's manifest says so (a reader without the key skips it) */
	CHECK(manifest_set(&m.method, "snapshot") == 0 &&
	      manifest_write(dirfd, &m) == 0, "manifest write with a method");
	rc = manifest_read(dirfd, &r, why, sizeof(why));
	CHECK(rc == 0 && r.method && !strcmp(r.method, "snapshot") &&
	      !strcmp(r.type, "full"), "manifest keeps the method");
	if (!rc)
		manifest_free(&r);

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
	manifest_add(&m, sha_a, 3, "database", 0, "../etc/passwd", "/x");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest name with a slash is refused");
	manifest_free(&m);

	build(&m);
	manifest_add(&m, sha_a, 3, "database", 0, MANIFEST_NAME, "/x");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest listing itself is refused");
	manifest_free(&m);

	build(&m);
	manifest_add(&m, sha_a, 3, "database", 0, SHA256SUMS_NAME, "/x");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest listing SHA256SUMS is refused");
	manifest_free(&m);

	build(&m);
	manifest_add(&m, sha_a, 3, "database", 0, "demo.edb", "/y");
	manifest_write(dirfd, &m);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -2,
	      "manifest listing one name twice is refused");
	manifest_free(&m);

	/* version 1 (no GENERATION column) still reads, generations 0 */
	{
		char v1[1024], hex[SHA256_HEX_SIZE];
		int n = snprintf(v1, sizeof(v1),
				 "# jet backup manifest 1\n# type full\n"
				 "%s 3 database demo.edb /d/demo.edb\n"
				 "%s 0 log demo.1.log /d/demo.1.log\n"
				 "# status complete\n", sha_a, sha_e);

		sha256_hex(v1, (size_t)n, hex);
		snprintf(v1 + n, sizeof(v1) - (size_t)n,
			 "# manifest-sha256 %s\n", hex);
		rc = manifest_parse(v1, strlen(v1), &r, why, sizeof(why));
		CHECK(rc == 0 && r.version == 1 && r.count == 2 &&
		      r.entries[1].generation == 0 &&
		      !strcmp(r.entries[1].name, "demo.1.log"),
		      "manifest of version 1 reads");
		if (!rc)
			manifest_free(&r);
	}

	/* SHA256SUMS as sha256sum(1) writes it */
	{
		char *text = NULL, want[512];
		size_t len = 0;

		build(&m);
		CHECK(sha256sums_format(&m, &text, &len) == 0, "sha256sums format");
		snprintf(want, sizeof(want), "%s  demo.edb\n\\%s  a b\\\\c\n",
			 sha_a, sha_e);
		CHECK(text && !strcmp(text, want),
		      "sha256sums lines are sha256sum's, a backslash escaped");
		free(text);
		manifest_free(&m);
	}

	unlinkat(dirfd, MANIFEST_NAME, 0);
	CHECK(manifest_read(dirfd, &r, why, sizeof(why)) == -1 &&
	      errno == ENOENT, "missing manifest is ENOENT");

	CHECK(manifest_name_ok("demo.edb") && !manifest_name_ok(".x.part") &&
	      !manifest_name_ok("a/b") && !manifest_name_ok("") &&
	      !manifest_name_ok(SHA256SUMS_NAME),
	      "manifest_name_ok");

	close(dirfd);
	rmdir(tmpl);
	return failed ? 1 : 0;
}
