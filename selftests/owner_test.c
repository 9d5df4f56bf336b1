// SPDX-License-Identifier: GPL-2.0
/*
 * owner_test.c - the owner's files (SPEC section 5): attaching databases and
 * registering logs by descriptor, the checkpoint, and what is refused.
 *
 * The test process is the owner, through libjet. Where the kernel's own checks
 * must be reached past libjet's (descriptors libjet would never pass, names
 * libjet would reject first), a raw /dev/jet context of its own owns a second
 * instance. A backup agent, where one is needed, is a child process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define DB_SIZE		((64u << 10) + 5)
#define LOG_SIZE	8000
#define LIST_MAX	65536

static void get_state(struct __test_metadata *_metadata, JET_INSTANCE inst,
		      JET_INSTANCE_STATE *st)
{
	memset(st, 0, sizeof(*st));
	ASSERT_JET(0, JetGetInstanceStateInstance(inst, st));
}

#define EXPECT_UNCHANGED(inst, before) do {				\
	JET_INSTANCE_STATE __now;					\
	get_state(_metadata, inst, &__now);				\
	EXPECT_SAME_STATE(before, &__now);				\
} while (0)

/* ---- raw /dev/jet contexts ---- */

static int raw_attach(int fd, uint64_t id, const char *name, int dfd)
{
	struct jet_attach a = {
		.instance = id,
		.name = (uintptr_t)name,
		.fd = dfd,
	};

	return jt_ioctl(fd, JET_IOC_ATTACH_DB, &a);
}

static int raw_detach(int fd, uint64_t id, const char *name, int dfd)
{
	struct jet_attach a = {
		.instance = id,
		.name = (uintptr_t)name,
		.fd = dfd,
	};

	return jt_ioctl(fd, JET_IOC_DETACH_DB, &a);
}

static int raw_add_log(int fd, uint64_t id, const char *name, uint64_t gen,
		       int dfd)
{
	struct jet_add_log l = {
		.instance = id,
		.name = (uintptr_t)name,
		.generation = gen,
		.fd = dfd,
	};

	return jt_ioctl(fd, JET_IOC_ADD_LOG, &l);
}

/* A raw context owning one instance, initialised if init. */
static void raw_instance(struct __test_metadata *_metadata, const char *name,
			 int init, int *fd, uint64_t *id)
{
	*fd = open(JET_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *fd) TH_LOG("open %s: %s", JET_DEV, strerror(errno));
	ASSERT_EQ(0, jt_raw_create(*fd, name, NULL, id));
	if (init)
		ASSERT_EQ(0, jt_raw_init(*fd, *id, 0, NULL));
}

/* ---- a backup agent in a child process ---- */

struct agent {
	pid_t pid;
	int hold;	/* closing it lets the agent end its backup */
};

static int holder_main(JET_INSTANCE inst, int tell, int hold)
{
	char c = 'b';

	if (JetBeginExternalBackupInstance(inst, 0))
		c = 'f';
	if (write(tell, &c, 1) != 1)
		return 2;
	jt_wait_byte(hold, 30000);
	return JetEndExternalBackupInstance2(inst, JET_bitBackupEndAbort) ?
		3 : 0;
}

/* Starts an agent that begins a full backup of inst and holds it. */
static void start_holder(struct __test_metadata *_metadata,
			 struct agent *a, JET_INSTANCE inst)
{
	int tell[2], hold[2];

	ASSERT_EQ(0, pipe2(tell, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	fflush(NULL);
	a->pid = fork();
	ASSERT_LE(0, a->pid);
	if (!a->pid) {
		/* only the parent may hold the write end, or EOF never comes */
		close(hold[1]);
		_exit(holder_main(inst, tell[1], hold[0]));
	}
	close(tell[1]);
	close(hold[0]);
	a->hold = hold[1];
	ASSERT_EQ('b', jt_wait_byte(tell[0], 10000))
		TH_LOG("the agent could not begin its backup");
	close(tell[0]);
}

static int stop_holder(struct agent *a)
{
	close(a->hold);
	return jt_child_ok(jt_wait_child(a->pid, 10000));
}

/*
 * An agent that backs up one database and answers with the digest of what it
 * read (0 on any error).
 */
static uint64_t backup_digest(JET_INSTANCE inst, const char *db)
{
	static char buf[65536];
	unsigned long lo, hi, got;
	uint64_t h = 0;
	JET_HANDLE hf;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return 0;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		if (JetBeginExternalBackupInstance(inst, 0) ||
		    JetOpenFileInstance(inst, db, &hf, &lo, &hi))
			_exit(1);
		do {
			if (JetReadFileInstance(inst, hf, buf, sizeof(buf),
						&got))
				_exit(1);
			h = jt_digest(h, buf, got);
		} while (got);
		if (write(p[1], &h, sizeof(h)) != sizeof(h))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || !jt_child_ok(jt_wait_child(pid, 20000)) ||
	    read(p[0], &h, sizeof(h)) != sizeof(h))
		h = 0;
	close(p[0]);
	return h;
}

/* ---- the owner, with an initialised instance ---- */

FIXTURE(owner) {
	char dir[64];
	char db[128];
	char db2[128];
	char log[5][128];	/* log[g]: a file for generation g */
	char name[64];
	JET_INSTANCE inst;
	JET_SESID ses;
};

FIXTURE_SETUP(owner)
{
	int g;

	snprintf(self->dir, sizeof(self->dir), "/tmp/jet-ot.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/main.edb", self->dir);
	snprintf(self->db2, sizeof(self->db2), "%s/second.edb", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, jt_seed_of(0)));
	ASSERT_EQ(0, jt_make_file(self->db2, DB_SIZE / 2, jt_seed_of(100)));
	for (g = 1; g < 5; g++) {
		snprintf(self->log[g], sizeof(self->log[g]), "%s/edb%05X.log",
			 self->dir, g);
		ASSERT_EQ(0, jt_make_file(self->log[g], LOG_SIZE,
					  jt_seed_of(g)));
	}
	snprintf(self->name, sizeof(self->name), "jet-ot-%d", (int)getpid());
	ASSERT_JET(0, JetCreateInstance(&self->inst, self->name));
	ASSERT_JET(0, JetInit(&self->inst));
	ASSERT_JET(0, JetBeginSession(self->inst, &self->ses, NULL, NULL));
}

FIXTURE_TEARDOWN(owner)
{
	jt_rm_tree(self->dir);
}

TEST_F(owner, attach_missing_file_is_file_not_found)
{
	JET_INSTANCE_STATE before;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.edb", self->dir);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errFileNotFound, JetAttachDatabase(self->ses, path, 0));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(0, before.db_count);
}

TEST_F(owner, attach_same_path_twice_is_database_duplicate)
{
	JET_INSTANCE_STATE before;

	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_EQ(1, before.db_count);
	EXPECT_JET(JET_errDatabaseDuplicate,
		   JetAttachDatabase(self->ses, self->db, 0));
	EXPECT_JET(JET_errDatabaseDuplicate,
		   JetAttachDatabase(self->ses, self->db, JET_bitDbReadOnly));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(owner, attach_with_unknown_grbit_is_invalid_grbit)
{
	JET_INSTANCE_STATE before, st;

	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidGrbit,
		   JetAttachDatabase(self->ses, self->db, 0x2));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_JET(0, JetAttachDatabase(self->ses, self->db,
					JET_bitDbReadOnly));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(1, st.db_count);
}

TEST_F(owner, attach_before_init_is_not_initialized)
{
	JET_INSTANCE_STATE before;
	JET_INSTANCE other;
	JET_SESID ses = 0;
	char name[80];
	uint64_t id;
	int fd, dfd;

	/* through libjet: no session on an instance not yet initialised */
	snprintf(name, sizeof(name), "%s-uninit", self->name);
	ASSERT_JET(0, JetCreateInstance(&other, name));
	get_state(_metadata, other, &before);
	EXPECT_JET(JET_errNotInitialized,
		   JetBeginSession(other, &ses, NULL, NULL));
	EXPECT_UNCHANGED(other, &before);

	/* and the kernel's own check */
	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 0, &fd, &id);
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(-EUNATCH, raw_attach(fd, id, self->db, dfd));
	get_state(_metadata, id, &before);
	EXPECT_EQ(0, before.db_count);
	close(dfd);
	close(fd);
}

TEST_F(owner, attach_during_backup_is_backup_in_progress)
{
	JET_INSTANCE_STATE before, st;
	struct agent a;

	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	start_holder(_metadata, &a, self->inst);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errBackupInProgress,
		   JetAttachDatabase(self->ses, self->db2, 0));
	EXPECT_UNCHANGED(self->inst, &before);
	ASSERT_TRUE(stop_holder(&a));
	EXPECT_JET(0, JetAttachDatabase(self->ses, self->db2, 0));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(2, st.db_count);
}

TEST_F(owner, detach_during_backup_is_backup_in_progress)
{
	JET_INSTANCE_STATE before, st;
	struct agent a;

	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	start_holder(_metadata, &a, self->inst);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errBackupInProgress,
		   JetDetachDatabase(self->ses, self->db));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(1, before.db_count);
	ASSERT_TRUE(stop_holder(&a));
	EXPECT_JET(0, JetDetachDatabase(self->ses, self->db));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(0, st.db_count);
}

TEST_F(owner, detach_unattached_is_database_not_found)
{
	JET_INSTANCE_STATE before;

	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errDatabaseNotFound,
		   JetDetachDatabase(self->ses, self->db2));
	EXPECT_UNCHANGED(self->inst, &before);
}

/* The instance's entry in JetGetInstanceInfo, or NULL. */
static const JET_INSTANCE_INFO *find_info(const JET_INSTANCE_INFO *infos,
					  unsigned long n, JET_INSTANCE inst)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (infos[i].hInstanceId == inst)
			return &infos[i];
	return NULL;
}

TEST_F(owner, detach_then_attach_again_lists_the_path)
{
	const JET_INSTANCE_INFO *me;
	JET_INSTANCE_INFO *infos = NULL;
	unsigned long n = 0;

	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db2, 0));
	ASSERT_JET(0, JetDetachDatabase(self->ses, self->db));
	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));

	ASSERT_JET(0, JetGetInstanceInfo(&n, &infos));
	me = find_info(infos, n, self->inst);
	ASSERT_NE(NULL, me);
	ASSERT_EQ(2, me->cDatabases);
	/* in attach order: the path is the name */
	EXPECT_STREQ(self->db2, me->szDatabaseFileName[0]);
	EXPECT_STREQ(self->db, me->szDatabaseFileName[1]);
	EXPECT_STREQ(self->name, me->szInstanceName);
	JetFreeBuffer((char *)infos);
}

TEST_F(owner, attached_database_is_backed_up_after_owner_closes_and_unlinks)
{
	uint64_t want = jt_file_digest(self->db);

	/* libjet closes its descriptor once the kernel holds the file */
	ASSERT_JET(0, JetAttachDatabase(self->ses, self->db, 0));
	ASSERT_EQ(0, unlink(self->db));
	EXPECT_EQ(want, backup_digest(self->inst, self->db));
}

/* ---- logs and the checkpoint ---- */

TEST_F(owner, add_log_during_backup_is_allowed)
{
	JET_INSTANCE_STATE st;
	struct agent a;

	ASSERT_JET(0, JetAddLogFileInstance(self->inst, self->log[1], 1));
	start_holder(_metadata, &a, self->inst);
	EXPECT_JET(0, JetAddLogFileInstance(self->inst, self->log[2], 2));
	EXPECT_JET(0, JetSetCheckpointInstance(self->inst, 2));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(2, st.log_count);
	EXPECT_EQ(2, st.newest_log);
	EXPECT_EQ(2, st.checkpoint);
	EXPECT_TRUE(stop_holder(&a));
}

TEST_F(owner, add_log_generation_not_increasing_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;

	ASSERT_JET(0, JetAddLogFileInstance(self->inst, self->log[3], 3));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetAddLogFileInstance(self->inst, self->log[4], 3));
	EXPECT_JET(JET_errInvalidParameter,
		   JetAddLogFileInstance(self->inst, self->log[2], 2));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(1, before.log_count);
	EXPECT_EQ(3, before.newest_log);
	/* gaps are the owner's business: 4 was skipped */
	EXPECT_JET(0, JetAddLogFileInstance(self->inst, self->log[4], 5));
}

TEST_F(owner, add_log_generation_zero_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;

	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetAddLogFileInstance(self->inst, self->log[1], 0));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(owner, add_log_same_path_twice_is_database_duplicate)
{
	JET_INSTANCE_STATE before;

	ASSERT_JET(0, JetAddLogFileInstance(self->inst, self->log[1], 1));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errDatabaseDuplicate,
		   JetAddLogFileInstance(self->inst, self->log[1], 2));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(owner, add_log_missing_file_is_file_not_found)
{
	JET_INSTANCE_STATE before;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.log", self->dir);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errFileNotFound,
		   JetAddLogFileInstance(self->inst, path, 1));
	EXPECT_UNCHANGED(self->inst, &before);
}

TEST_F(owner, checkpoint_backwards_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;

	ASSERT_JET(0, JetSetCheckpointInstance(self->inst, 5));
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidParameter,
		   JetSetCheckpointInstance(self->inst, 4));
	EXPECT_JET(JET_errInvalidParameter,
		   JetSetCheckpointInstance(self->inst, 0));
	EXPECT_UNCHANGED(self->inst, &before);
	EXPECT_EQ(5, before.checkpoint);
}

TEST_F(owner, checkpoint_forward_or_equal_is_accepted)
{
	JET_INSTANCE_STATE st;

	EXPECT_JET(0, JetSetCheckpointInstance(self->inst, 2));
	EXPECT_JET(0, JetSetCheckpointInstance(self->inst, 2));
	EXPECT_JET(0, JetSetCheckpointInstance(self->inst, 7));
	get_state(_metadata, self->inst, &st);
	EXPECT_EQ(7, st.checkpoint);
}

/* ---- names ---- */

/* A path of len bytes: the directory, then "/" and 'a's. */
static char *long_path(const char *dir, size_t len)
{
	char *p = malloc(len + 1);
	size_t n = strlen(dir);

	if (!p)
		return NULL;
	memcpy(p, dir, n);
	p[n] = '/';
	memset(p + n + 1, 'a', len - n - 1);
	p[len] = '\0';
	return p;
}

TEST_F(owner, attach_path_over_path_max_is_invalid_path)
{
	char *path = long_path(self->dir, JET_PATH_MAX + 1);
	JET_INSTANCE_STATE before;
	char name[80];
	uint64_t id;
	int fd, dfd;

	ASSERT_NE(NULL, path);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidPath, JetAttachDatabase(self->ses, path, 0));
	EXPECT_UNCHANGED(self->inst, &before);

	/* the kernel's check, with a good descriptor and the long name */
	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 1, &fd, &id);
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(-ENAMETOOLONG, raw_attach(fd, id, path, dfd));
	get_state(_metadata, id, &before);
	EXPECT_EQ(0, before.db_count);
	close(dfd);
	close(fd);
	free(path);
}

TEST_F(owner, add_log_path_over_path_max_is_invalid_path)
{
	char *path = long_path(self->dir, JET_PATH_MAX + 1);
	JET_INSTANCE_STATE before;
	char name[80];
	uint64_t id;
	int fd, dfd;

	ASSERT_NE(NULL, path);
	get_state(_metadata, self->inst, &before);
	EXPECT_JET(JET_errInvalidPath,
		   JetAddLogFileInstance(self->inst, path, 1));
	EXPECT_UNCHANGED(self->inst, &before);

	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 1, &fd, &id);
	dfd = open(self->log[1], O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(-ENAMETOOLONG, raw_add_log(fd, id, path, 1, dfd));
	get_state(_metadata, id, &before);
	EXPECT_EQ(0, before.log_count);
	close(dfd);
	close(fd);
	free(path);
}

TEST_F(owner, attach_path_of_path_max_is_accepted)
{
	char *path = long_path(self->dir, JET_PATH_MAX);
	JET_INSTANCE_STATE st;
	char name[80];
	uint64_t id;
	int fd, dfd;

	ASSERT_NE(NULL, path);
	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 1, &fd, &id);
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	/* the name is only a name: no file needs to have it */
	EXPECT_EQ(0, raw_attach(fd, id, path, dfd));
	get_state(_metadata, id, &st);
	EXPECT_EQ(1, st.db_count);
	close(dfd);
	close(fd);
	free(path);
}

TEST_F(owner, attach_empty_path_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;
	char name[80];
	uint64_t id;
	int fd, dfd;

	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 1, &fd, &id);
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	get_state(_metadata, id, &before);
	EXPECT_EQ(-EINVAL, raw_attach(fd, id, "", dfd));
	EXPECT_EQ(-EINVAL, raw_add_log(fd, id, "", 1, dfd));
	EXPECT_UNCHANGED(id, &before);
	close(dfd);
	close(fd);
}

TEST_F(owner, detach_with_a_descriptor_is_invalid_parameter)
{
	JET_INSTANCE_STATE before;
	char name[80];
	uint64_t id;
	int fd, dfd;

	snprintf(name, sizeof(name), "%s-raw", self->name);
	raw_instance(_metadata, name, 1, &fd, &id);
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, raw_attach(fd, id, self->db, dfd));
	get_state(_metadata, id, &before);
	EXPECT_EQ(-EINVAL, raw_detach(fd, id, self->db, dfd));
	EXPECT_UNCHANGED(id, &before);
	EXPECT_EQ(0, raw_detach(fd, id, self->db, -1));
	close(dfd);
	close(fd);
}

/* ---- what a descriptor handed to the kernel must be ---- */

enum fd_kind {
	FD_REGULAR, FD_MEMFD, FD_DIRECTORY, FD_PIPE, FD_SOCKET, FD_DEV_JET,
	FD_EVENTFD, FD_BACKUP, FD_WRITE_ONLY, FD_CLOSED,
};

FIXTURE(rawfd) {
	char dir[64];
	char db[128];
	char name[64];
	int ctx;	/* a raw /dev/jet context */
	uint64_t inst;	/* its initialised instance, the target */
	uint64_t src;	/* another of its instances, under backup */
	int fd;		/* the descriptor under test */
	int extra;	/* the other end of a pipe or socket pair */
};

FIXTURE_VARIANT(rawfd) {
	enum fd_kind kind;
	int want;	/* 0 or -errno */
};

FIXTURE_VARIANT_ADD(rawfd, regular_file) {
	.kind = FD_REGULAR, .want = 0,
};

FIXTURE_VARIANT_ADD(rawfd, memfd) {
	.kind = FD_MEMFD, .want = 0,
};

FIXTURE_VARIANT_ADD(rawfd, directory) {
	.kind = FD_DIRECTORY, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, pipe) {
	.kind = FD_PIPE, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, socket) {
	.kind = FD_SOCKET, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, dev_jet_itself) {
	.kind = FD_DEV_JET, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, eventfd) {
	.kind = FD_EVENTFD, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, backup_file) {
	.kind = FD_BACKUP, .want = -EBADFD,
};

FIXTURE_VARIANT_ADD(rawfd, write_only) {
	.kind = FD_WRITE_ONLY, .want = -EACCES,
};

FIXTURE_VARIANT_ADD(rawfd, not_a_descriptor) {
	.kind = FD_CLOSED, .want = -EBADF,
};

/* A backup file of another instance: an anon-inode descriptor. */
static int backup_file(FIXTURE_DATA(rawfd) *self)
{
	struct jet_instance_op op = { 0 };
	struct jet_open_file of = { .name = (uintptr_t)self->db };
	char name[80];
	int dfd;

	snprintf(name, sizeof(name), "%s-src", self->name);
	if (jt_raw_create(self->ctx, name, NULL, &self->src) ||
	    jt_raw_init(self->ctx, self->src, 0, NULL))
		return -1;
	dfd = open(self->db, O_RDONLY | O_CLOEXEC);
	if (dfd < 0 || raw_attach(self->ctx, self->src, self->db, dfd))
		return -1;
	close(dfd);
	op.instance = self->src;
	of.instance = self->src;
	if (jt_ioctl(self->ctx, JET_IOC_BEGIN_BACKUP, &op) ||
	    jt_ioctl(self->ctx, JET_IOC_OPEN_FILE, &of))
		return -1;
	return of.fd;
}

FIXTURE_SETUP(rawfd)
{
	int p[2];

	self->fd = -1;
	self->extra = -1;
	snprintf(self->dir, sizeof(self->dir), "/tmp/jet-of.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/main.edb", self->dir);
	ASSERT_EQ(0, jt_make_file(self->db, DB_SIZE, jt_seed_of(0)));
	snprintf(self->name, sizeof(self->name), "jet-of-%d", (int)getpid());
	raw_instance(_metadata, self->name, 1, &self->ctx, &self->inst);

	switch (variant->kind) {
	case FD_REGULAR:
		self->fd = open(self->db, O_RDONLY | O_CLOEXEC);
		break;
	case FD_MEMFD:
		self->fd = memfd_create("jet-db", MFD_CLOEXEC);
		ASSERT_EQ(0, ftruncate(self->fd, 4096));
		break;
	case FD_DIRECTORY:
		self->fd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	case FD_PIPE:
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
		self->fd = p[0];	/* the end that reads */
		self->extra = p[1];
		break;
	case FD_SOCKET:
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					p));
		self->fd = p[0];
		self->extra = p[1];
		break;
	case FD_DEV_JET:
		self->fd = dup(self->ctx);	/* the very context */
		break;
	case FD_EVENTFD:
		self->fd = eventfd(0, EFD_CLOEXEC);
		break;
	case FD_BACKUP:
		self->fd = backup_file(self);
		break;
	case FD_WRITE_ONLY:
		self->fd = open(self->db, O_WRONLY | O_CLOEXEC);
		break;
	case FD_CLOSED:
		/* above RLIMIT_NOFILE: never a descriptor of this process */
		self->fd = 1 << 20;
		return;
	}
	ASSERT_LE(0, self->fd) TH_LOG("the descriptor: %s", strerror(errno));
}

FIXTURE_TEARDOWN(rawfd)
{
	if (variant->kind != FD_CLOSED && self->fd >= 0)
		close(self->fd);
	if (self->extra >= 0)
		close(self->extra);
	close(self->ctx);
	jt_rm_tree(self->dir);
}

TEST_F(rawfd, attach_takes_only_a_readable_regular_file)
{
	JET_INSTANCE_STATE before, st;

	get_state(_metadata, self->inst, &before);
	EXPECT_EQ(variant->want, raw_attach(self->ctx, self->inst, self->db,
					    self->fd));
	get_state(_metadata, self->inst, &st);
	if (variant->want) {
		EXPECT_SAME_STATE(&before, &st);
		return;
	}
	EXPECT_EQ(1, st.db_count);
}

TEST_F(rawfd, add_log_takes_only_a_readable_regular_file)
{
	JET_INSTANCE_STATE before, st;

	get_state(_metadata, self->inst, &before);
	EXPECT_EQ(variant->want, raw_add_log(self->ctx, self->inst, self->db,
					     1, self->fd));
	get_state(_metadata, self->inst, &st);
	if (variant->want) {
		EXPECT_SAME_STATE(&before, &st);
		return;
	}
	EXPECT_EQ(1, st.newest_log);
}

TEST_HARNESS_MAIN
