// SPDX-License-Identifier: GPL-2.0
/*
 * shrink_test.c - sources that change size under a backup (issue 15.4).
 *
 * A database or log that becomes shorter than its size at open fails the
 * read with JET_errFileIOBeyondEOF (-ERANGE on the descriptor), not with an
 * early end of file; the backup fails with it (as ESE ends a backup whose
 * log read fails), so the log never counts as copied and the backup cannot
 * end as a full one. A file that grows is copied to its size at open.
 */
#include "kselftest_harness.h"
#include "jet_owner.h"

#define DB_SIZE		(256u << 10)
#define LIST_MAX	8192

FIXTURE(sh) {
	struct jo o;
	char list[LIST_MAX];
	char path[160];		/* the file the test shrinks */
	JET_HANDLE hf;
	unsigned long size;
};

enum how { TO_ZERO, MIDWAY, THEN_EXTEND };

FIXTURE_VARIANT(sh) {
	int log;		/* a log (else the database) */
	int how;
};

FIXTURE_VARIANT_ADD(sh, db_to_zero) { .log = 0, .how = TO_ZERO };
FIXTURE_VARIANT_ADD(sh, db_midway) { .log = 0, .how = MIDWAY };
FIXTURE_VARIANT_ADD(sh, db_then_extended) { .log = 0, .how = THEN_EXTEND };
FIXTURE_VARIANT_ADD(sh, log_to_zero) { .log = 1, .how = TO_ZERO };
FIXTURE_VARIANT_ADD(sh, log_midway) { .log = 1, .how = MIDWAY };
FIXTURE_VARIANT_ADD(sh, log_then_extended) { .log = 1, .how = THEN_EXTEND };

FIXTURE_SETUP(sh)
{
	unsigned long cb, hi;

	ASSERT_EQ(0, jo_start(&self->o, DB_SIZE, 2));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	if (variant->log) {
		ASSERT_JET(0, JetGetLogInfoInstance(self->o.inst, self->list,
						    LIST_MAX, &cb));
		jo_log(&self->o, 1, self->path, sizeof(self->path));
	} else {
		snprintf(self->path, sizeof(self->path), "%s", self->o.db);
	}
	ASSERT_JET(0, JetOpenFileInstance(self->o.inst, self->path,
					  &self->hf, &self->size, &hi));
}

FIXTURE_TEARDOWN(sh)
{
	jo_end(&self->o);
}

TEST_F(sh, source_shorter_than_its_size_at_open_fails_read_and_backup)
{
	JET_INSTANCE_STATE st;
	static char buf[8192];
	unsigned long got = 99;

	ASSERT_JET(0, JetReadFileInstance(self->o.inst, self->hf, buf, 4096,
					  &got));
	ASSERT_EQ(4096, got);
	/* the owner cuts its file under the backup */
	ASSERT_JET(0, jo_call(&self->o, JO_TRUNCATE, self->path,
			      variant->how == MIDWAY ? self->size / 2 : 0, 0,
			      NULL));
	/* not an early end of file: a failed read */
	EXPECT_JET(JET_errFileIOBeyondEOF,
		   JetReadFileInstance(self->o.inst, self->hf, buf,
				       sizeof(buf), &got));
	EXPECT_EQ(0, got);
	if (variant->how == THEN_EXTEND)
		/* the file is long again: the backup stays failed */
		ASSERT_JET(0, jo_call(&self->o, JO_TRUNCATE, self->path,
				      self->size * 2, 0, NULL));
	errno = 0;
	EXPECT_EQ(-1, pread((int)self->hf, buf, sizeof(buf), 0));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_JET(JET_errFileIOBeyondEOF,
		   JetReadFileInstance(self->o.inst, self->hf, buf,
				       sizeof(buf), &got));
	EXPECT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
	/* the log never counts as copied; the end is an abort */
	EXPECT_JET(JET_errFileIOBeyondEOF,
		   JetTruncateLogInstance(self->o.inst));
	EXPECT_JET(0, JetEndExternalBackupInstance(self->o.inst));
	ASSERT_JET(0, JetGetInstanceStateInstance(self->o.inst, &st));
	EXPECT_FALSE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	EXPECT_EQ(3 - !variant->log, st.log_count)
		TH_LOG("a log truncated by a failed backup");
}

TEST_F(sh, source_that_grows_is_copied_to_its_size_at_open)
{
	uint64_t total = 0;
	static char buf[65536];
	unsigned long got;

	ASSERT_JET(0, jo_call(&self->o, JO_TRUNCATE, self->path,
			      self->size + 100000, 0, NULL));
	do {
		ASSERT_JET(0, JetReadFileInstance(self->o.inst, self->hf, buf,
						  sizeof(buf), &got));
		total += got;
	} while (got == sizeof(buf));
	EXPECT_EQ(self->size, total);
	EXPECT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
}

TEST_HARNESS_MAIN
