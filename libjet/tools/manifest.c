// SPDX-License-Identifier: MIT
/*
 * manifest.c - writing and reading MANIFEST and SHA256SUMS (formats in
 * manifest.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"

#define MANIFEST_SUM_KEY	"# manifest-sha256 "
#define MANIFEST_MAGIC		"# jet backup manifest "

int manifest_set(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -1;
	free(*field);
	*field = s;
	return 0;
}

int manifest_set_now(char **field)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return manifest_set(field, buf);
}

int manifest_add(struct manifest *m, const char *sha256, uint64_t size,
		 const char *kind, uint64_t generation, const char *name,
		 const char *source)
{
	struct manifest_entry *e;

	if (m->count == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;

		e = realloc(m->entries, cap * sizeof(*e));
		if (!e)
			return -1;
		m->entries = e;
		m->cap = cap;
	}
	e = &m->entries[m->count];
	memset(e, 0, sizeof(*e));
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha256);
	e->size = size;
	e->generation = generation;
	e->kind = strdup(kind);
	e->name = strdup(name);
	e->source = strdup(source);
	if (!e->kind || !e->name || !e->source) {
		free(e->kind);
		free(e->name);
		free(e->source);
		errno = ENOMEM;
		return -1;
	}
	m->count++;
	return 0;
}

int manifest_add_truncated(struct manifest *m, const char *source)
{
	char **t, *s;

	if (m->ntruncated == m->cap_truncated) {
		size_t cap = m->cap_truncated ? 2 * m->cap_truncated : 16;

		t = realloc(m->truncated, cap * sizeof(*t));
		if (!t)
			return -1;
		m->truncated = t;
		m->cap_truncated = cap;
	}
	s = strdup(source);
	if (!s)
		return -1;
	m->truncated[m->ntruncated++] = s;
	return 0;
}

void manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		free(m->entries[i].kind);
		free(m->entries[i].name);
		free(m->entries[i].source);
	}
	for (i = 0; i < m->ntruncated; i++)
		free(m->truncated[i]);
	free(m->entries);
	free(m->truncated);
	free(m->instance);
	free(m->instance_name);
	free(m->sha256sums);
	free(m->type);
	free(m->method);
	free(m->started);
	free(m->finished);
	free(m->status);
	memset(m, 0, sizeof(*m));
}

int manifest_name_ok(const char *name)
{
	/* a plain name in DIR: no path, nothing hidden, not jetctl's own */
	return *name && name[0] != '.' && !strchr(name, '/') &&
	       strcmp(name, MANIFEST_NAME) != 0 &&
	       strcmp(name, SHA256SUMS_NAME) != 0;
}

void manifest_stem(const char *src, char *stem, size_t size)
{
	const char *base = strrchr(src, '/');
	size_t i, n;

	base = base && base[1] ? base + 1 : src;
	n = strlen(base);
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++) {
		char c = base[i];

		stem[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			  c == '_' || c == '+' ? c : '_';
	}
	stem[n] = '\0';
	if (!n)
		snprintf(stem, size, "file");
	if (stem[0] == '.')
		stem[0] = '_';
}

bool manifest_complete(const struct manifest *m)
{
	return m->status && !strcmp(m->status, MANIFEST_STATUS_COMPLETE);
}

size_t manifest_generations(const struct manifest *m, uint64_t *plow,
			    uint64_t *phigh)
{
	uint64_t low = 0, high = 0;
	size_t i, n = 0;

	for (i = 0; i < m->count; i++) {
		const struct manifest_entry *e = &m->entries[i];

		if (strcmp(e->kind, "log"))
			continue;
		if (!n || e->generation < low)
			low = e->generation;
		if (!n || e->generation > high)
			high = e->generation;
		n++;
	}
	*plow = low;
	*phigh = high;
	return n;
}

const struct manifest_entry *manifest_find(const struct manifest *m,
					   const char *name)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (!strcmp(m->entries[i].name, name))
			return &m->entries[i];
	return NULL;
}

/* fields are separated by spaces; a metadata value runs to the line's end */
static int must_escape(unsigned char c, bool field)
{
	return c < 0x20 || (c == ' ' && field) || c == 0x7f || c == '\\';
}

static void put_escaped(FILE *f, const char *s, bool field)
{
	for (; *s; s++) {
		if (must_escape((unsigned char)*s, field))
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

/* in place; returns -1 on a bad escape or an escaped NUL */
static int unescape(char *s)
{
	char *w = s;
	unsigned int v;

	for (; *s; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		if (s[1] != 'x' || sscanf(s + 2, "%2x", &v) != 1 || !v ||
		    !s[2] || !s[3])
			return -1;
		*w++ = (char)v;
		s += 3;
	}
	*w = '\0';
	return 0;
}

static void put_meta(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "# %s ", key);
	put_escaped(f, value, false);
	fputc('\n', f);
}

int manifest_format(const struct manifest *m, char **ptext, size_t *plen)
{
	char hex[SHA256_HEX_SIZE], id[24];
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return -1;
	fprintf(f, "%s%d\n", MANIFEST_MAGIC, MANIFEST_VERSION);
	put_meta(f, "instance", m->instance);
	put_meta(f, "instance-name", m->instance_name);
	if (m->instance_id) {
		snprintf(id, sizeof(id), "%" PRIu64, m->instance_id);
		put_meta(f, "instance-id", id);
	}
	put_meta(f, "type", m->type);
	put_meta(f, "method", m->method);
	put_meta(f, "started", m->started);
	fputs("# format SHA256 SIZE KIND GENERATION NAME SOURCE\n", f);
	for (i = 0; i < m->count; i++) {
		const struct manifest_entry *e = &m->entries[i];

		fprintf(f, "%s %" PRIu64 " %s %" PRIu64 " ", e->sha256,
			e->size, e->kind, e->generation);
		put_escaped(f, e->name, true);
		fputc(' ', f);
		put_escaped(f, e->source, true);
		fputc('\n', f);
	}
	for (i = 0; i < m->ntruncated; i++)
		put_meta(f, "truncated", m->truncated[i]);
	put_meta(f, "finished", m->finished);
	put_meta(f, "sha256sums", m->sha256sums);
	put_meta(f, "status", m->status);
	if (fclose(f) == EOF) {
		free(text);
		return -1;
	}
	/* the last line vouches for every byte before it */
	if (sha256_hex(text, len, hex)) {
		free(text);
		return -1;
	}
	f = open_memstream(ptext, plen);
	if (!f) {
		free(text);
		return -1;
	}
	fwrite(text, 1, len, f);
	fprintf(f, "%s%s\n", MANIFEST_SUM_KEY, hex);
	free(text);
	return fclose(f) == EOF ? -1 : 0;
}

/*
 * sha256sum(1)'s own format: "HEX  NAME". A name with a backslash or a
 * newline is escaped as sha256sum does it (a leading '\' on the line);
 * jetctl's own names never need that.
 */
int sha256sums_format(const struct manifest *m, char **ptext, size_t *plen)
{
	const char *p;
	size_t i;
	FILE *f;

	f = open_memstream(ptext, plen);
	if (!f)
		return -1;
	for (i = 0; i < m->count; i++) {
		const struct manifest_entry *e = &m->entries[i];
		bool esc = strpbrk(e->name, "\\\n") != NULL;

		fprintf(f, "%s%s  ", esc ? "\\" : "", e->sha256);
		for (p = e->name; *p; p++) {
			if (esc && *p == '\\')
				fputs("\\\\", f);
			else if (esc && *p == '\n')
				fputs("\\n", f);
			else
				fputc(*p, f);
		}
		fputc('\n', f);
	}
	return fclose(f) == EOF ? -1 : 0;
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

int manifest_put_file(int dirfd, const char *name, const char *text,
		      size_t len)
{
	char tmp[NAME_MAX + 1];
	int fd, err;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, text, len) || fsync(fd)) {
		err = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = err;
		return -1;
	}
	if (close(fd) || renameat(dirfd, tmp, dirfd, name)) {
		err = errno;
		unlinkat(dirfd, tmp, 0);
		errno = err;
		return -1;
	}
	/* the rename itself must survive a crash */
	return fsync(dirfd);
}

int manifest_write(int dirfd, const struct manifest *m)
{
	char *text = NULL;
	size_t len = 0;
	int rc, err;

	if (manifest_format(m, &text, &len))
		return -1;
	rc = manifest_put_file(dirfd, MANIFEST_NAME, text, len);
	err = errno;
	free(text);
	errno = err;
	return rc;
}

int manifest_slurp(int dirfd, const char *name, char **ptext, size_t *plen)
{
	struct stat st;
	size_t len = 0;
	ssize_t r;
	char *text;
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX_SIZE) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, text + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	err = errno;
	close(fd);
	if (len != (size_t)st.st_size) {
		free(text);
		errno = err ? err : EIO;
		return -1;
	}
	text[len] = '\0';
	*ptext = text;
	*plen = len;
	return 0;
}

static int damaged(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int damaged(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -2;
}

static int parse_u64(const char *s, uint64_t *pv)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*pv = v;
	return 0;
}

/* "# key value" lines; unknown keys are for later versions */
static int parse_meta(struct manifest *m, char *line)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "instance", offsetof(struct manifest, instance) },
		{ "instance-name", offsetof(struct manifest, instance_name) },
		{ "type", offsetof(struct manifest, type) },
		{ "method", offsetof(struct manifest, method) },
		{ "started", offsetof(struct manifest, started) },
		{ "finished", offsetof(struct manifest, finished) },
		{ "status", offsetof(struct manifest, status) },
		{ "sha256sums", offsetof(struct manifest, sha256sums) },
	};
	char *value = strchr(line + 2, ' ');
	size_t i;

	if (!value)
		return 0;
	*value++ = '\0';
	if (unescape(value))
		return -1;
	if (!strcmp(line + 2, "truncated"))
		return manifest_add_truncated(m, value) ? -3 : 0;
	if (!strcmp(line + 2, "instance-id"))
		return parse_u64(value, &m->instance_id);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(line + 2, keys[i].key))
			return manifest_set((char **)((char *)m + keys[i].off),
					    value) ? -3 : 0;
	return 0;
}

/* version 1: SHA256 SIZE KIND NAME SOURCE; 2 adds GENERATION after KIND */
static int parse_entry(struct manifest *m, char *line)
{
	int nf = m->version >= 2 ? 6 : 5, i;
	char *f[6], *save = NULL, *name, *source;
	uint64_t size, gen = 0;

	for (i = 0; i < nf; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -1;
	}
	if (strtok_r(NULL, " ", &save))
		return -1;
	if (strlen(f[0]) != 2 * SHA256_DIGEST_SIZE ||
	    strspn(f[0], "0123456789abcdef") != 2 * SHA256_DIGEST_SIZE)
		return -1;
	if (parse_u64(f[1], &size))
		return -1;
	if (strcmp(f[2], "database") && strcmp(f[2], "log"))
		return -1;
	if (nf == 6 && parse_u64(f[3], &gen))
		return -1;
	name = f[nf - 2];
	source = f[nf - 1];
	if (unescape(name) || unescape(source) || !manifest_name_ok(name))
		return -1;
	if (manifest_find(m, name))
		return -1;	/* one name, one file */
	return manifest_add(m, f[0], size, f[2], gen, name, source) ? -3 : 0;
}

int manifest_parse(char *text, size_t len, struct manifest *m, char *err,
		   size_t errlen)
{
	char hex[SHA256_HEX_SIZE], *line, *next, *sum, *end;
	unsigned int lineno = 0;
	size_t hexlen;
	int rc;

	memset(m, 0, sizeof(*m));
	if (strlen(text) != len)
		return damaged(err, errlen, "it contains a NUL byte");
	/* the checksum is the last line, and covers every byte before it */
	for (sum = text + len; sum > text && sum[-1] == '\n'; sum--)
		;
	while (sum > text && sum[-1] != '\n')
		sum--;
	if (strncmp(sum, MANIFEST_SUM_KEY, strlen(MANIFEST_SUM_KEY)))
		return damaged(err, errlen,
			       "its last line is not its checksum (cut short?)");
	if (sha256_hex(text, (size_t)(sum - text), hex))
		return -1;
	hexlen = strlen(hex);
	end = sum + strlen(MANIFEST_SUM_KEY) + hexlen;
	if (strncmp(sum + strlen(MANIFEST_SUM_KEY), hex, hexlen) ||
	    (*end != '\n' && *end != '\0'))
		return damaged(err, errlen,
			       "its checksum does not match its contents");
	*sum = '\0';

	if (strncmp(text, MANIFEST_MAGIC, strlen(MANIFEST_MAGIC)))
		return damaged(err, errlen, "it is not a jet backup manifest");
	m->version = atoi(text + strlen(MANIFEST_MAGIC));
	if (m->version < 1 || m->version > MANIFEST_VERSION)
		return damaged(err, errlen,
			       "it is of version %d; this jetctl reads versions 1 to %d",
			       m->version, MANIFEST_VERSION);
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		lineno++;
		if (!*line || lineno == 1)
			continue;
		rc = !strncmp(line, "# ", 2) ? parse_meta(m, line) :
					       parse_entry(m, line);
		if (rc == -3) {
			manifest_free(m);
			errno = ENOMEM;
			return -1;
		}
		if (rc) {
			manifest_free(m);
			return damaged(err, errlen, "line %u is malformed",
				       lineno);
		}
	}
	return 0;
}

int manifest_read(int dirfd, struct manifest *m, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc, e;

	memset(m, 0, sizeof(*m));
	if (manifest_slurp(dirfd, MANIFEST_NAME, &text, &len))
		return -1;
	rc = manifest_parse(text, len, m, err, errlen);
	e = errno;
	free(text);
	errno = e;
	return rc;
}
