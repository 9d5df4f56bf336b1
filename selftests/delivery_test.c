// SPDX-License-Identifier: GPL-2.0
/*
 * delivery_test.c - what counts as copied (SPEC 6.7) and whole reads
 * (SPEC 6.4).
 *
 * A log counts as copied only when every byte of it went to the agent
 * through its backup descriptors, in any order and from any thread; seeking
 * to the end or a pread at the end copies nothing. JetReadFileInstance
 * returns fewer than cb bytes only at the end of the file, so ESE's loop
 * "while (got == cb)" copies whole files under a throttle and while the
 * owner writes under range locks.
 */
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "jet_owner.h"

#define DB_SIZE		(2u << 20)
#define NLOGS		2
#define LIST_MAX	8192
#define PIECE		1000
#define THREADS		4

FIXTURE(dl) {
	struct jo o;
	char list[LIST_MAX];
	unsigned long cb;
};

FIXTURE_SETUP(dl)
{
	ASSERT_EQ(0, jo_start(&self->o, DB_SIZE, NLOGS));
}

FIXTURE_TEARDOWN(dl)
{
	jo_end(&self->o);
}

/* Begins a full backup and lists its logs (the roll: NLOGS + 1 of them). */
static void to_logs(struct __test_metadata *_metadata, FIXTURE_DATA(dl) *self)
{
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, JetGetLogInfoInstance(self->o.inst, self->list,
					    LIST_MAX, &self->cb));
}

/* Reads a log of the copy set whole with ESE's loop, cb bytes at a time. */
static long read_whole(JET_INSTANCE inst, const char *name, unsigned long cb,
		       uint64_t *total, uint64_t *digest)
{
	unsigned long lo, hi, got;
	JET_HANDLE hf;
	char *buf = malloc(cb);
	long err;

	*total = 0;
	*digest = 0;
	if (!buf)
		return JET_errOutOfMemory;
	err = JetOpenFileInstance(inst, name, &hf, &lo, &hi);
	if (err) {
		free(buf);
		return err;
	}
	do {
		err = JetReadFileInstance(inst, hf, buf, cb, &got);
		if (err)
			break;
		*total += got;
		*digest = jt_digest(*digest, buf, got);
	} while (got == cb);
	free(buf);
	if (err) {
		JetCloseFileInstance(inst, hf);
		return err;
	}
	return JetCloseFileInstance(inst, hf);
}

static long read_all_logs(FIXTURE_DATA(dl) *self)
{
	uint64_t total, digest;
	const char *p;
	long err;

	for (p = self->list; *p; p += strlen(p) + 1) {
		err = read_whole(self->o.inst, p, 4096, &total, &digest);
		if (err)
			return err;
	}
	return 0;
}

TEST_F(dl, pread_and_seek_at_log_end_copy_nothing)
{
	JET_INSTANCE_STATE before, after;
	unsigned long lo, hi;
	JET_HANDLE hf;
	const char *p;
	char buf[64];
	int fd;

	to_logs(_metadata, self);
	for (p = self->list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, JetOpenFileInstance(self->o.inst, p, &hf, &lo,
						  &hi));
		fd = (int)hf;
		EXPECT_EQ(0, pread(fd, buf, sizeof(buf), lo));
		EXPECT_EQ((off_t)lo, lseek(fd, 0, SEEK_END));
		EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
		ASSERT_JET(0, JetCloseFileInstance(self->o.inst, hf));
	}
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &before));
	EXPECT_JET(JET_errLogFileNotCopied,
		   JetTruncateLogInstance(self->o.inst));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &after));
	EXPECT_SAME_STATE(&before, &after);
	/* read for real, and the truncation goes through */
	ASSERT_JET(0, read_all_logs(self));
	EXPECT_JET(0, JetTruncateLogInstance(self->o.inst));
}

TEST_F(dl, log_missing_one_byte_is_not_copied)
{
	unsigned long lo, hi;
	char buf[JO_LOG_SIZE];
	JET_HANDLE hf;
	const char *p;

	to_logs(_metadata, self);
	for (p = self->list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, JetOpenFileInstance(self->o.inst, p, &hf, &lo,
						  &hi));
		ASSERT_EQ(JO_LOG_SIZE, lo);
		/* every byte but one in the middle */
		ASSERT_EQ(5000, pread((int)hf, buf, 5000, 0));
		ASSERT_EQ(JO_LOG_SIZE - 5001,
			  pread((int)hf, buf, JO_LOG_SIZE - 5001, 5001));
		ASSERT_JET(0, JetCloseFileInstance(self->o.inst, hf));
	}
	EXPECT_JET(JET_errLogFileNotCopied,
		   JetTruncateLogInstance(self->o.inst));
	for (p = self->list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, JetOpenFileInstance(self->o.inst, p, &hf, &lo,
						  &hi));
		ASSERT_EQ(1, pread((int)hf, buf, 1, 5000));
		ASSERT_JET(0, JetCloseFileInstance(self->o.inst, hf));
	}
	EXPECT_JET(0, JetTruncateLogInstance(self->o.inst));
}

struct piece_reader {
	int fd, t;
	unsigned long size;
	long bad;
};

/* Thread t delivers pieces t, t + THREADS, ... backwards, by pread/readv. */
static void *piece_main(void *arg)
{
	struct piece_reader *r = arg;
	unsigned long n = (r->size + PIECE - 1) / PIECE, i;
	char buf[PIECE];

	for (i = n; i-- > 0;) {
		off_t off = (off_t)i * PIECE;
		size_t len = r->size - off < PIECE ? r->size - off : PIECE;
		struct iovec iov[2] = {
			{ buf, len / 2 }, { buf + len / 2, len - len / 2 },
		};

		if (i % THREADS != (unsigned long)r->t)
			continue;
		if ((i & 1 ? preadv(r->fd, iov, 2, off) :
			     pread(r->fd, buf, len, off)) != (ssize_t)len)
			r->bad++;
	}
	return NULL;
}

TEST_F(dl, logs_delivered_in_pieces_out_of_order_by_threads_count)
{
	struct piece_reader r[THREADS];
	pthread_t th[THREADS];
	unsigned long lo, hi;
	JET_HANDLE hf;
	const char *p;
	int t;

	to_logs(_metadata, self);
	for (p = self->list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, JetOpenFileInstance(self->o.inst, p, &hf, &lo,
						  &hi));
		for (t = 0; t < THREADS; t++) {
			r[t] = (struct piece_reader){ (int)hf, t, lo, 0 };
			ASSERT_EQ(0, pthread_create(&th[t], NULL, piece_main,
						    &r[t]));
		}
		for (t = 0; t < THREADS; t++) {
			pthread_join(th[t], NULL);
			EXPECT_EQ(0, r[t].bad);
		}
		ASSERT_JET(0, JetCloseFileInstance(self->o.inst, hf));
	}
	EXPECT_JET(0, JetTruncateLogInstance(self->o.inst));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
}

TEST_F(dl, logs_sent_by_splice_count)
{
	unsigned long lo, hi;
	JET_HANDLE hf;
	const char *p;
	char buf[65536];
	int pfd[2];
	ssize_t n;

	to_logs(_metadata, self);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	for (p = self->list; *p; p += strlen(p) + 1) {
		ASSERT_JET(0, JetOpenFileInstance(self->o.inst, p, &hf, &lo,
						  &hi));
		while ((n = splice((int)hf, NULL, pfd[1], NULL, 4096, 0)) > 0)
			ASSERT_EQ(n, read(pfd[0], buf, n));
		EXPECT_EQ(0, n);
		ASSERT_JET(0, JetCloseFileInstance(self->o.inst, hf));
	}
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_JET(0, JetTruncateLogInstance(self->o.inst));
}

/* ---- whole reads: ESE's loop ---- */

TEST_F_TIMEOUT(dl, ese_loop_copies_whole_database_under_throttle, 120)
{
	uint64_t total, digest;

	/* about a quarter of a second of throttled reads of 1 MiB calls */
	ASSERT_JET(0, jo_call(&self->o, JO_THROTTLE, NULL, 8u << 20, 0, NULL));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, read_whole(self->o.inst, self->o.db, 1 << 20, &total,
				 &digest));
	EXPECT_EQ(DB_SIZE, total);
	EXPECT_EQ(jt_file_digest(self->o.db), digest);
}

struct writer {
	struct jo *o;
	uint32_t stop;
	unsigned int writes;
	long err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int x = 12345;

	while (!jt_word_get(&w->stop) && !w->err) {
		x = x * 1103515245 + 12345;
		w->err = jo_call(w->o, JO_WRITE, w->o->db,
				 (x >> 8) % (DB_SIZE / 4096) * 4096ull, 4096,
				 NULL);
		w->writes++;
	}
	return NULL;
}

TEST_F_TIMEOUT(dl, ese_loop_copies_whole_database_under_writing_owner, 120)
{
	struct writer w = { .o = &self->o };
	uint64_t total, digest;
	pthread_t th;

	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_main, &w));
	/* an odd cb: the range locks cut chunks anywhere */
	ASSERT_JET(0, read_whole(self->o.inst, self->o.db, 300001, &total,
				 &digest));
	jt_word_set(&w.stop, 1);
	pthread_join(th, NULL);
	EXPECT_JET(0, w.err);
	EXPECT_EQ(DB_SIZE, total);
	TH_LOG("%u page writes during the copy", w.writes);
}

TEST_HARNESS_MAIN
