// SPDX-License-Identifier: MIT
/*
 * manifest.c - writing and reading DIR/MANIFEST (format in manifest.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"

#define MANIFEST_TMP		".MANIFEST.tmp"
#define MANIFEST_SUM_KEY	"# manifest-sha256 "
#define MANIFEST_MAX_SIZE	(64u << 20)	/* sanity bound for reading */

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
		 const char *kind, const char *name, const char *source)
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
	free(m->type);
	free(m->started);
	free(m->finished);
	free(m->status);
	memset(m, 0, sizeof(*m));
}

int manifest_name_ok(const char *name)
{
	/* a plain name in DIR: no path, nothing hidden, not the manifest */
	return *name && name[0] != '.' && !strchr(name, '/') &&
	       strcmp(name, MANIFEST_NAME) != 0;
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

int manifest_write(int dirfd, const struct manifest *m)
{
	char hex[SHA256_HEX_SIZE];
	struct sha256 sum;
	char *text = NULL;
	size_t len = 0, i;
	int fd, err;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return -1;
	fprintf(f, "# jet backup manifest %d\n", MANIFEST_VERSION);
	put_meta(f, "instance", m->instance);
	put_meta(f, "type", m->type);
	put_meta(f, "started", m->started);
	fputs("# format SHA256 SIZE KIND NAME SOURCE\n", f);
	for (i = 0; i < m->count; i++) {
		const struct manifest_entry *e = &m->entries[i];

		fprintf(f, "%s %llu %s ", e->sha256,
			(unsigned long long)e->size, e->kind);
		put_escaped(f, e->name, true);
		fputc(' ', f);
		put_escaped(f, e->source, true);
		fputc('\n', f);
	}
	for (i = 0; i < m->ntruncated; i++)
		put_meta(f, "truncated", m->truncated[i]);
	put_meta(f, "finished", m->finished);
	put_meta(f, "status", m->status);
	if (fclose(f) == EOF) {
		free(text);
		return -1;
	}
	sha256_init(&sum);
	sha256_update(&sum, text, len);
	sha256_final_hex(&sum, hex);

	fd = openat(dirfd, MANIFEST_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
	if (fd < 0)
		goto fail;
	if (write_all(fd, text, len) || write_all(fd, MANIFEST_SUM_KEY,
						  strlen(MANIFEST_SUM_KEY)) ||
	    write_all(fd, hex, strlen(hex)) || write_all(fd, "\n", 1) ||
	    fsync(fd)) {
		err = errno;
		close(fd);
		unlinkat(dirfd, MANIFEST_TMP, 0);
		errno = err;
		goto fail;
	}
	if (close(fd) || renameat(dirfd, MANIFEST_TMP, dirfd, MANIFEST_NAME))
		goto fail;
	free(text);
	/* the rename itself must survive a crash */
	return fsync(dirfd);
fail:
	err = errno;
	free(text);
	errno = err;
	return -1;
}

static int read_whole(int dirfd, char **ptext, size_t *plen)
{
	struct stat st;
	size_t len = 0;
	ssize_t r;
	char *text;
	int fd, err;

	fd = openat(dirfd, MANIFEST_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > MANIFEST_MAX_SIZE) {
		err = errno;
		close(fd);
		errno = !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX_SIZE ?
			EINVAL : err;
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

/* "# key value" lines; unknown keys are for later versions */
static int parse_meta(struct manifest *m, char *line)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "instance", offsetof(struct manifest, instance) },
		{ "type", offsetof(struct manifest, type) },
		{ "started", offsetof(struct manifest, started) },
		{ "finished", offsetof(struct manifest, finished) },
		{ "status", offsetof(struct manifest, status) },
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
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(line + 2, keys[i].key))
			return manifest_set((char **)((char *)m + keys[i].off),
					    value) ? -3 : 0;
	return 0;
}

static int parse_entry(struct manifest *m, char *line)
{
	char *f[5], *end, *save = NULL;
	unsigned long long size;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -1;
	}
	if (strtok_r(NULL, " ", &save))
		return -1;
	if (strlen(f[0]) != 2 * SHA256_DIGEST_SIZE ||
	    strspn(f[0], "0123456789abcdef") != 2 * SHA256_DIGEST_SIZE)
		return -1;
	errno = 0;
	size = strtoull(f[1], &end, 10);
	if (errno || *end || f[1][0] < '0' || f[1][0] > '9')
		return -1;
	if (unescape(f[3]) || unescape(f[4]) || !manifest_name_ok(f[3]))
		return -1;
	if (strcmp(f[2], "database") && strcmp(f[2], "log"))
		return -1;
	return manifest_add(m, f[0], size, f[2], f[3], f[4]) ? -3 : 0;
}

int manifest_read(int dirfd, struct manifest *m, char *err, size_t errlen)
{
	char hex[SHA256_HEX_SIZE], *text, *line, *next, *sum;
	struct sha256 s;
	unsigned int lineno = 0;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	if (read_whole(dirfd, &text, &len))
		return -1;
	if (strlen(text) != len) {
		free(text);
		return damaged(err, errlen, "it contains a NUL byte");
	}
	/* the checksum is the last line, and covers every byte before it */
	for (sum = text + len; sum > text && sum[-1] == '\n'; sum--)
		;
	while (sum > text && sum[-1] != '\n')
		sum--;
	if (strncmp(sum, MANIFEST_SUM_KEY, strlen(MANIFEST_SUM_KEY))) {
		free(text);
		return damaged(err, errlen,
			       "its last line is not its checksum (cut short?)");
	}
	sha256_init(&s);
	sha256_update(&s, text, (size_t)(sum - text));
	sha256_final_hex(&s, hex);
	if (strncmp(sum + strlen(MANIFEST_SUM_KEY), hex, strlen(hex)) ||
	    (sum[strlen(MANIFEST_SUM_KEY) + strlen(hex)] != '\n' &&
	     sum[strlen(MANIFEST_SUM_KEY) + strlen(hex)] != '\0')) {
		free(text);
		return damaged(err, errlen,
			       "its checksum does not match its contents");
	}
	*sum = '\0';

	if (strncmp(text, "# jet backup manifest ", 22) ||
	    atoi(text + 22) != MANIFEST_VERSION) {
		free(text);
		return damaged(err, errlen,
			       "it is not a jet backup manifest of version %d",
			       MANIFEST_VERSION);
	}
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		lineno++;
		if (!*line)
			continue;
		rc = !strncmp(line, "# ", 2) ? parse_meta(m, line) :
					       parse_entry(m, line);
		if (rc == -3) {
			free(text);
			manifest_free(m);
			return -1;
		}
		if (rc) {
			free(text);
			manifest_free(m);
			return damaged(err, errlen, "line %u is malformed",
				       lineno);
		}
	}
	free(text);
	return 0;
}
