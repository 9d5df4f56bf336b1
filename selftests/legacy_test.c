// SPDX-License-Identifier: GPL-2.0
/*
 * legacy_test - ESE's one-instance backup calls (JetBeginExternalBackup ...
 * JetEndExternalBackup): each call in each run mode of the calling process,
 * and a whole backup through them alone.
 *
 * In OneInst they act as their ...Instance forms on the process's one
 * instance. In MultiInst they fail with JET_errRunningInMultiInstanceMode
 * and leave alone the process's unnamed instance (the one a call that
 * ignored the mode would have found); in NoSet, JET_errInvalidParameter.
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define DB_SIZE		(256 * 1024)
#define LOG_SIZE	(64 * 1024)

enum mode { M_NOSET, M_MULTI, M_ONE };

/*
 * The owner's roll (GetLogInfo asks it): this process is owner and agent,
 * so libjet runs this instead of waiting. It writes and registers
 * DIR/log<N>.log.
 */
static JET_ERR roll_cb(JET_INSTANCE inst, unsigned long above, void *arg)
{
	const char *dir = arg;
	char path[160];

	snprintf(path, sizeof(path), "%s/log%lu.log", dir, above + 1);
	if (jt_make_file(path, LOG_SIZE, (uint32_t)above + 1))
		return JET_errDiskIO;
	return JetAddLogFileInstance(inst, path, above + 1);
}

FIXTURE(legacy) {
	char dir[64];
	char db[128];
	char log[128];
	JET_INSTANCE inst;	/* 0 in NoSet */
	JET_SESID ses;
};

FIXTURE_VARIANT(legacy) {
	enum mode mode;
	JET_ERR want;		/* what every legacy call returns */
};

FIXTURE_VARIANT_ADD(legacy, noset) {
	.mode = M_NOSET,
	.want = JET_errInvalidParameter,
};

FIXTURE_VARIANT_ADD(legacy, multi_instance) {
	.mode = M_MULTI,
	.want = JET_errRunningInMultiInstanceMode,
};

FIXTURE_VARIANT_ADD(legacy, one_instance) {
	.mode = M_ONE,
	.want = JET_errSuccess,
};

FIXTURE_SETUP(legacy)
{
	strcpy(self->dir, "/tmp/jet-legacy-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/db.edb", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/log1.log", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, 1));
	ASSERT_EQ(0, jt_make_file(self->log, LOG_SIZE, 2));
	self->inst = 0;
	if (variant->mode == M_NOSET)
		return;
	if (variant->mode == M_MULTI)
		/* unnamed: what a mode-blind lookup of "the" instance finds */
		ASSERT_JET(0, JetCreateInstance(&self->inst, NULL));
	/* NoSet: the implicit init makes the one instance */
	ASSERT_JET(0, JetInit(&self->inst));
	ASSERT_NE(0, self->inst);
	ASSERT_JET(0, JetBeginSession(self->inst, &self->ses, NULL, NULL));
	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	ASSERT_JET(0, JetAddLogFileInstance(self->inst, self->log, 1));
	ASSERT_JET(0, JetSetLogRollCallbackInstance(self->inst, roll_cb,
						    self->dir));
}

FIXTURE_TEARDOWN(legacy)
{
	if (self->inst)
		JetTerm2(self->inst, JET_bitTermAbrupt);
	jt_rm_tree(self->dir);
}

static JET_INSTANCE_STATE state_of(struct __test_metadata *_metadata,
				   JET_INSTANCE inst)
{
	JET_INSTANCE_STATE st;

	memset(&st, 0, sizeof(st));
	if (inst)
		EXPECT_JET(0, JetGetInstanceStateInstance(inst, &st));
	return st;
}

/* The instance's backup, begun with the ...Instance form (not in NoSet). */
static void begin(struct __test_metadata *_metadata,
		  FIXTURE_DATA(legacy) *self)
{
	if (self->inst)
		ASSERT_JET(0, JetBeginExternalBackupInstance(self->inst, 0));
}

static JET_HANDLE open_db(struct __test_metadata *_metadata,
			  FIXTURE_DATA(legacy) *self)
{
	unsigned long lo, hi;
	JET_HANDLE hf = JET_handleNil;

	if (self->inst)
		EXPECT_JET(0, JetOpenFileInstance(self->inst, self->db, &hf,
						  &lo, &hi));
	return hf;
}

/* Reads a whole backup file with the ...Instance forms and closes it. */
static void copy_file(struct __test_metadata *_metadata,
		      FIXTURE_DATA(legacy) *self, const char *name)
{
	static char buf[65536];
	unsigned long lo, hi, cb;
	JET_HANDLE hf;

	ASSERT_JET(0, JetOpenFileInstance(self->inst, name, &hf, &lo, &hi));
	do {
		ASSERT_JET(0, JetReadFileInstance(self->inst, hf, buf,
						  sizeof(buf), &cb));
	} while (cb);
	ASSERT_JET(0, JetCloseFileInstance(self->inst, hf));
}

/* Up to the logs: databases copied (not in NoSet). */
static void databases_copied(struct __test_metadata *_metadata,
			     FIXTURE_DATA(legacy) *self)
{
	begin(_metadata, self);
	if (self->inst)
		copy_file(_metadata, self, self->db);
}

TEST_F(legacy, begin_external_backup_follows_the_mode)
{
	JET_INSTANCE_STATE st;

	EXPECT_JET(variant->want, JetBeginExternalBackup(0));
	st = state_of(_metadata, self->inst);
	EXPECT_EQ(variant->mode == M_ONE,
		  !!(st.flags & JET_INSTANCE_STATE_BACKUP));
}

TEST_F(legacy, begin_external_backup_checks_its_grbit_first)
{
	EXPECT_JET(variant->mode == M_ONE ? JET_errInvalidGrbit :
		   variant->want, JetBeginExternalBackup(0x80));
}

TEST_F(legacy, get_attach_info_follows_the_mode)
{
	char buf[512];
	unsigned long cb = 0;

	begin(_metadata, self);
	memset(buf, 0x55, sizeof(buf));
	EXPECT_JET(variant->want, JetGetAttachInfo(buf, sizeof(buf), &cb));
	if (variant->mode == M_ONE) {
		EXPECT_STREQ(self->db, buf);
		EXPECT_EQ(strlen(self->db) + 2, cb);
		EXPECT_EQ(0, buf[strlen(self->db) + 1]);
	} else {
		EXPECT_EQ(0, cb);
		EXPECT_EQ(0x55, (unsigned char)buf[0]);
	}
}

/* SPEC 6.2: a NULL buffer of size 0 asks for the size, as ESE's ANSI calls */
TEST_F(legacy, get_attach_info_size_probe_gives_the_size)
{
	unsigned long cb = 12345;

	begin(_metadata, self);
	EXPECT_JET(variant->want, JetGetAttachInfo(NULL, 0, &cb));
	EXPECT_EQ(variant->mode == M_ONE ? strlen(self->db) + 2 : 12345, cb);
}

/* SPEC 6.2 (ESE's ANSI form would return success, the list unterminated) */
TEST_F(legacy, get_attach_info_without_room_for_the_final_nul_is_too_small)
{
	char buf[512];
	unsigned long cb = 12345;
	size_t need = strlen(self->db) + 2;

	begin(_metadata, self);
	EXPECT_JET(variant->mode == M_ONE ? JET_errBufferTooSmall :
		   variant->want, JetGetAttachInfo(buf, need - 1, &cb));
	EXPECT_EQ(variant->mode == M_ONE ? need : 12345, cb);
}

/* SPEC 6.2 (ESE's ANSI form takes any buffer of size 0 as a probe) */
TEST_F(legacy, get_attach_info_into_a_buffer_of_size_zero_is_too_small)
{
	char buf[8];
	unsigned long cb = 12345;

	begin(_metadata, self);
	EXPECT_JET(variant->mode == M_ONE ? JET_errBufferTooSmall :
		   variant->want, JetGetAttachInfo(buf, 0, &cb));
	EXPECT_EQ(variant->mode == M_ONE ? strlen(self->db) + 2 : 12345, cb);
}

TEST_F(legacy, get_attach_info_into_no_buffer_with_a_size_is_invalid_parameter)
{
	unsigned long cb = 12345;

	begin(_metadata, self);
	EXPECT_JET(variant->mode == M_ONE ? JET_errInvalidParameter :
		   variant->want, JetGetAttachInfo(NULL, 16, &cb));
	EXPECT_EQ(12345, cb);
}

TEST_F(legacy, open_file_follows_the_mode)
{
	unsigned long lo = 0, hi = 0;
	JET_HANDLE hf = JET_handleNil;
	JET_INSTANCE_STATE st;

	begin(_metadata, self);
	EXPECT_JET(variant->want, JetOpenFile(self->db, &hf, &lo, &hi));
	st = state_of(_metadata, self->inst);
	if (variant->mode == M_ONE) {
		EXPECT_EQ(DB_SIZE, lo);
		EXPECT_EQ(0, hi);
		EXPECT_EQ(1, st.open_files);
		EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
	} else {
		EXPECT_EQ(JET_handleNil, hf);
		EXPECT_EQ(0, st.open_files);
	}
}

TEST_F(legacy, read_file_follows_the_mode)
{
	static char buf[4096], want[4096];
	unsigned long cb = 1;
	JET_HANDLE hf;
	int fd;

	begin(_metadata, self);
	hf = open_db(_metadata, self);
	fd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(want), pread(fd, want, sizeof(want), 0));
	close(fd);

	EXPECT_JET(variant->want, JetReadFile(hf, buf, sizeof(buf), &cb));
	if (variant->mode == M_ONE) {
		EXPECT_EQ(sizeof(buf), cb);
		EXPECT_EQ(0, memcmp(buf, want, sizeof(buf)));
	}
	if (variant->mode == M_MULTI) {
		/* nothing was consumed: the file still starts at byte 0 */
		EXPECT_JET(0, JetReadFileInstance(self->inst, hf, buf,
						  sizeof(buf), &cb));
		EXPECT_EQ(0, memcmp(buf, want, sizeof(buf)));
	}
	if (self->inst)
		EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
}

/* as ESE: the mode check returns before anything is written */
TEST_F(legacy, read_file_outside_one_instance_leaves_cbactual_alone)
{
	char buf[16];
	unsigned long cb = 12345;

	if (variant->mode == M_ONE)
		SKIP(return, "the call succeeds in OneInst");
	EXPECT_JET(variant->want, JetReadFile(1, buf, sizeof(buf), &cb));
	EXPECT_EQ(12345, cb);
}

TEST_F(legacy, close_file_follows_the_mode)
{
	JET_INSTANCE_STATE st;
	JET_HANDLE hf;

	begin(_metadata, self);
	hf = open_db(_metadata, self);
	EXPECT_JET(variant->want, JetCloseFile(hf));
	st = state_of(_metadata, self->inst);
	if (variant->mode == M_MULTI) {
		EXPECT_EQ(1, st.open_files);
		EXPECT_JET(0, JetCloseFileInstance(self->inst, hf));
	} else {
		EXPECT_EQ(0, st.open_files);
	}
}

/* GetLogInfo and GetTruncateLogInfo: the first one enters the Logs phase. */
static void expect_log_list(struct __test_metadata *_metadata,
			    FIXTURE_DATA(legacy) *self,
			    const FIXTURE_VARIANT(legacy) *variant,
			    JET_ERR got, const char *buf, unsigned long cb,
			    const char *first)
{
	JET_INSTANCE_STATE st = state_of(_metadata, self->inst);
	char rolled[160];

	/* the roll added log2: the copy set is log1, log2 */
	snprintf(rolled, sizeof(rolled), "%s/log2.log", self->dir);
	EXPECT_JET(variant->want, got);
	if (variant->mode == M_ONE) {
		EXPECT_EQ(JET_BACKUP_PHASE_LOGS, st.phase);
		EXPECT_STREQ(first, buf);
		if (*first) {
			EXPECT_STREQ(rolled, buf + strlen(first) + 1);
			EXPECT_EQ(strlen(first) + strlen(rolled) + 3, cb);
		} else {
			EXPECT_EQ(1, cb);	/* an empty list: a lone NUL */
		}
	} else {
		EXPECT_EQ(0, cb);
		if (self->inst)
			EXPECT_EQ(JET_BACKUP_PHASE_DATABASES, st.phase);
	}
}

TEST_F(legacy, get_log_info_follows_the_mode)
{
	char buf[512] = "";
	unsigned long cb = 0;
	JET_ERR got;

	databases_copied(_metadata, self);
	got = JetGetLogInfo(buf, sizeof(buf), &cb);
	expect_log_list(_metadata, self, variant, got, buf, cb, self->log);
}

TEST_F(legacy, get_truncate_log_info_follows_the_mode)
{
	char buf[512] = "x";
	unsigned long cb = 0;
	JET_ERR got;

	databases_copied(_metadata, self);
	/* the checkpoint is at 0: nothing is below it, a lone NUL */
	got = JetGetTruncateLogInfo(buf, sizeof(buf), &cb);
	expect_log_list(_metadata, self, variant, got, buf, cb, "");
}

TEST_F(legacy, truncate_log_follows_the_mode)
{
	char buf[512];
	unsigned long cb;
	const char *p;

	databases_copied(_metadata, self);
	if (self->inst) {
		ASSERT_JET(0, JetGetLogInfoInstance(self->inst, buf,
						    sizeof(buf), &cb));
		for (p = buf; *p; p += strlen(p) + 1)
			copy_file(_metadata, self, p);
	}
	EXPECT_JET(variant->want, JetTruncateLog());
}

TEST_F(legacy, truncate_log_keeps_the_sequence_rules)
{
	databases_copied(_metadata, self);
	/* no GetLogInfo yet: as JetTruncateLogInstance */
	EXPECT_JET(variant->mode == M_ONE ? JET_errInvalidBackupSequence :
		   variant->want, JetTruncateLog());
}

TEST_F(legacy, end_external_backup_follows_the_mode)
{
	JET_INSTANCE_STATE st;

	begin(_metadata, self);
	EXPECT_JET(variant->want, JetEndExternalBackup());
	st = state_of(_metadata, self->inst);
	EXPECT_EQ(variant->mode == M_MULTI,
		  !!(st.flags & JET_INSTANCE_STATE_BACKUP));
	if (variant->mode == M_MULTI)
		EXPECT_JET(0, JetEndExternalBackupInstance2(
				   self->inst, JET_bitBackupEndAbort));
}

/* ---- a whole backup through the legacy calls, written as for ESENT ---- */

/* Copies one backup file with the legacy calls; its digest, 0 on error. */
static uint64_t legacy_copy(struct __test_metadata *_metadata, JET_PCSTR name,
			    unsigned long want_size)
{
	static char buf[40000];	/* not a power of two: short last reads */
	unsigned long lo, hi, cb, total = 0;
	JET_HANDLE hf;
	uint64_t h = 0;

	EXPECT_JET(0, JetOpenFileA(name, &hf, &lo, &hi));
	EXPECT_EQ(want_size, lo);
	do {
		cb = 0;
		EXPECT_JET(0, JetReadFile(hf, buf, sizeof(buf), &cb));
		h = jt_digest(h, buf, cb);
		total += cb;
	} while (cb == sizeof(buf));
	EXPECT_JET(0, JetCloseFile(hf));
	EXPECT_EQ(want_size, total);
	return h;
}

TEST(whole_one_instance_backup_through_legacy_calls)
{
	char dir[] = "/tmp/jet-legacy-XXXXXX", db[128], log[128];
	char szz[1024];
	JET_PSTR p;
	JET_INSTANCE_INFO_A *info = NULL;
	JET_INSTANCE_STATE st;
	unsigned long cb = 0, n = 0, i;
	JET_SESID ses;
	int found = 0;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/whole.edb", dir);
	snprintf(log, sizeof(log), "%s/whole1.log", dir);
	ASSERT_EQ(0, jt_make_file(db, DB_SIZE + 12345, 7));
	ASSERT_EQ(0, jt_make_file(log, LOG_SIZE, 8));

	ASSERT_JET(0, JetInit(NULL));
	ASSERT_JET(0, JetBeginSession(0, &ses, NULL, NULL));
	ASSERT_JET(0, JetAttachDatabase(ses, db, 0));
	ASSERT_JET(0, JetAddLogFileInstance(0, log, 1));
	/* the callback is kept under the one instance's real handle */
	ASSERT_JET(0, JetGetInstanceStateInstance(0, &st));
	ASSERT_JET(0, JetSetLogRollCallbackInstance(st.instance, roll_cb, dir));
	ASSERT_JET(0, JetGetInstanceInfoA(&n, &info));
	for (i = 0; i < n; i++)
		if (info[i].cDatabases == 1 &&
		    !strcmp(info[i].szDatabaseFileName[0], db))
			found = 1;
	EXPECT_TRUE(found);
	JetFreeBuffer((char *)info);

	ASSERT_JET(0, JetBeginExternalBackup(0));
	ASSERT_JET(0, JetGetAttachInfoA(szz, sizeof(szz), &cb));
	for (p = szz; *p; p += strlen(p) + 1)
		EXPECT_EQ(jt_file_digest(p),
			  legacy_copy(_metadata, p, DB_SIZE + 12345));
	ASSERT_JET(0, JetGetLogInfoA(szz, sizeof(szz), &cb));
	EXPECT_STREQ(log, szz);
	for (p = szz; *p; p += strlen(p) + 1)
		EXPECT_EQ(jt_file_digest(p),
			  legacy_copy(_metadata, p, LOG_SIZE));
	EXPECT_JET(0, JetGetTruncateLogInfo(szz, sizeof(szz), &cb));
	EXPECT_JET(0, JetTruncateLog());
	EXPECT_JET(0, JetEndExternalBackup());

	ASSERT_JET(0, JetGetInstanceStateInstance(0, &st));
	EXPECT_EQ(0, st.flags & JET_INSTANCE_STATE_BACKUP);
	EXPECT_TRUE(st.flags & JET_INSTANCE_STATE_FULL_BACKUP_DONE);
	EXPECT_JET(0, JetTerm(0));
	jt_rm_tree(dir);
}

TEST_HARNESS_MAIN
