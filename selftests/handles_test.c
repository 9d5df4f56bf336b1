// SPDX-License-Identifier: GPL-2.0
/*
 * handles_test.c - libjet's backup file handles (SPEC 9): a handle another
 * thread closed, or a descriptor number the program reused, never reads or
 * closes anything but the backup file it named; a reader and a closer racing
 * on one handle are both safe; a child after fork() drops its parent's
 * backup files at its first libjet call, and the parent's backup goes on.
 */
#include "kselftest_harness.h"
#include "jet_owner.h"

#define DB_SIZE		(512u << 10)
#define LIST_MAX	8192

FIXTURE(hd) {
	struct jo o;
	char list[LIST_MAX];
	JET_HANDLE hf;
};

FIXTURE_SETUP(hd)
{
	unsigned long lo, hi;

	ASSERT_EQ(0, jo_start(&self->o, DB_SIZE, 1));
	ASSERT_JET(0, JetBeginExternalBackupInstance(self->o.inst, 0));
	ASSERT_JET(0, JetOpenFileInstance(self->o.inst, self->o.db, &self->hf,
					  &lo, &hi));
}

FIXTURE_TEARDOWN(hd)
{
	jo_end(&self->o);
}

/* the open files of the running backup */
static unsigned int open_files(struct __test_metadata *_metadata,
			       JET_INSTANCE inst)
{
	JET_INSTANCE_STATE st;

	ASSERT_JET(0, JetGetInstanceStateInstance(inst, &st));
	return st.open_files;
}

struct reader {
	JET_INSTANCE inst;
	JET_HANDLE hf;
	char *buf;
	unsigned long got;
	long err;
	uint32_t started;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	jt_word_set(&r->started, 1);
	r->err = JetReadFileInstance(r->inst, r->hf, r->buf, DB_SIZE, &r->got);
	return NULL;
}

TEST_F_TIMEOUT(hd, handle_closed_while_another_thread_reads_it, 60)
{
	struct reader r = { .inst = self->o.inst, .hf = self->hf };
	char small[16];
	unsigned long got;
	pthread_t th;

	r.buf = malloc(DB_SIZE);
	ASSERT_NE(NULL, r.buf);
	/* about half a second for the whole read */
	ASSERT_JET(0, jo_call(&self->o, JO_THROTTLE, NULL, 1u << 20, 0, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, reader_main, &r));
	ASSERT_EQ(0, jt_word_wait(&r.started, 1, jt_deadline_in(5000)));
	usleep(100000);
	EXPECT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
	/* the handle is gone for new calls; the read in progress goes on */
	EXPECT_JET(JET_errInvalidParameter,
		   JetReadFileInstance(self->o.inst, self->hf, small,
				       sizeof(small), &got));
	EXPECT_EQ(-1, fcntl((int)self->hf, F_GETFD));
	pthread_join(th, NULL);
	EXPECT_JET(0, r.err);
	EXPECT_EQ(DB_SIZE, r.got);
	EXPECT_EQ(jt_file_digest(self->o.db), jt_digest(0, r.buf, r.got));
	/* and then the file is closed for good */
	EXPECT_EQ(0, open_files(_metadata, self->o.inst));
	free(r.buf);
}

TEST_F(hd, reused_descriptor_number_reads_only_the_backup_file)
{
	char *buf = malloc(DB_SIZE), other[16];
	unsigned long got = 0;
	int pfd[2];

	ASSERT_NE(NULL, buf);
	/* the program closes the number and a pipe takes it */
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	ASSERT_EQ(9, write(pfd[1], "not a db", 9));
	ASSERT_EQ(0, close((int)self->hf));
	ASSERT_EQ((int)self->hf, dup2(pfd[0], (int)self->hf));
	/* libjet still reads the database, not the pipe */
	ASSERT_JET(0, JetReadFileInstance(self->o.inst, self->hf, buf, DB_SIZE,
					  &got));
	EXPECT_EQ(DB_SIZE, got);
	EXPECT_EQ(jt_file_digest(self->o.db), jt_digest(0, buf, got));
	/* Close lets the backup file go and leaves the pipe alone */
	EXPECT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
	EXPECT_EQ(0, open_files(_metadata, self->o.inst));
	EXPECT_EQ(9, read((int)self->hf, other, sizeof(other)));
	close((int)self->hf);
	close(pfd[0]);
	close(pfd[1]);
	free(buf);
}

TEST_F(hd, handle_of_another_instance_is_invalid_parameter)
{
	unsigned long got;
	char buf[16];

	EXPECT_JET(JET_errInvalidParameter,
		   JetReadFileInstance(self->o.inst + 1, self->hf, buf,
				       sizeof(buf), &got));
	EXPECT_JET(JET_errInvalidParameter,
		   JetCloseFileInstance(self->o.inst + 1, self->hf));
	EXPECT_LE(0, fcntl((int)self->hf, F_GETFD));
	EXPECT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
}

TEST_F(hd, child_after_fork_drops_parent_backup_files_and_parent_goes_on)
{
	int tell[2], go[2], status;
	char *buf = malloc(DB_SIZE);
	unsigned long got = 0;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe2(tell, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		JET_INSTANCE_STATE st;
		int kept = fcntl((int)self->hf, F_GETFD) != -1;

		/* the first libjet call of the child */
		JetGetInstanceStateInstance(self->o.inst, &st);
		kept |= (fcntl((int)self->hf, F_GETFD) != -1) << 1;
		if (write(tell[1], &kept, sizeof(kept)) != sizeof(kept))
			_exit(2);
		jt_wait_byte(go[0], 20000);
		_exit(0);
	}
	ASSERT_EQ(sizeof(status), read(tell[0], &status, sizeof(status)));
	/* inherited until its first call, gone after it */
	EXPECT_EQ(1, status);
	/* the parent reads, closes, and goes on to the logs */
	ASSERT_JET(0, JetReadFileInstance(self->o.inst, self->hf, buf, DB_SIZE,
					  &got));
	EXPECT_EQ(DB_SIZE, got);
	ASSERT_JET(0, JetCloseFileInstance(self->o.inst, self->hf));
	EXPECT_EQ(0, open_files(_metadata, self->o.inst));
	EXPECT_JET(0, JetGetLogInfoInstance(self->o.inst, self->list, LIST_MAX,
					    &got));
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_TRUE(jt_child_ok(jt_wait_child(pid, 10000)));
	free(buf);
}

TEST_HARNESS_MAIN
