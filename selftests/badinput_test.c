// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC section 9 with raw ioctls on /dev/jet: unknown
 * commands, wrong sizes, non-zero padding, unknown flags and grbits, bad user
 * pointers; and that every such failure leaves all state as it was.
 *
 * Each test gets a setup with some state to disturb: an owner context in
 * MultiInst with one initialised instance that has a database attached and a
 * log registered, plus a fresh (NoSet) context.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define FILE_SIZE	65536

/* ---- helpers ---- */

struct env {
	int fd;			/* owner context: MultiInst, owns inst */
	int fresh;		/* a NoSet context */
	uint64_t inst;
	char name[64];		/* inst's name */
	char newname[64];	/* a name no instance has */
	char db[96], db2[96], log[96], log2[96];
	int dbfd, db2fd, logfd, log2fd;
	char list[65536];	/* a buffer for LIST_INSTANCES */
	char names[8192];	/* a buffer for the name lists */
};

static int ctx_mode(int fd)
{
	struct jet_query q = { 0 };

	return ioctl(fd, JET_IOC_QUERY, &q) ? -errno : (int)q.mode;
}

/* Every instance on the system with its state, and both contexts' modes. */
struct snap {
	int mode, fresh_mode;
	unsigned int count, size;
	char *buf;
};

static int snap_take(struct env *e, struct snap *s)
{
	struct jt_list l;
	int ret;

	memset(s, 0, sizeof(*s));
	s->mode = ctx_mode(e->fd);
	s->fresh_mode = ctx_mode(e->fresh);
	ret = jt_list_read(&l, 65536);
	s->count = l.count;
	s->size = l.size;
	s->buf = l.buf;
	return ret;
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
	return a->mode == b->mode && a->fresh_mode == b->fresh_mode &&
	       a->count == b->count && a->size == b->size &&
	       !memcmp(a->buf, b->buf, a->size);
}

#define EXPECT_UNCHANGED(e, before) do {				\
	struct snap __after;						\
	ASSERT_EQ(0, snap_take((e), &__after));				\
	EXPECT_TRUE(snap_same(&(before), &__after))			\
		TH_LOG("a failed call changed state: modes %d/%d -> %d/%d, " \
		       "%u -> %u instances", (before).mode,		\
		       (before).fresh_mode, __after.mode,		\
		       __after.fresh_mode, (before).count, __after.count); \
	free(__after.buf);						\
	free((before).buf);						\
} while (0)

#define EXPECT_ERRNO(err, ret) do {					\
	int __r = (ret);						\
	EXPECT_EQ(-(err), __r) TH_LOG("got %d (%s), expected -%s",	\
				      __r, strerror(-__r), #err);	\
} while (0)

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	struct jet_enable_multi em = { 0 };
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_attach at = { 0 };
	struct jet_add_log al = { 0 };
	int pid = getpid();

	e->fd = e->fresh = -1;
	e->dbfd = e->db2fd = e->logfd = e->log2fd = -1;
	snprintf(e->name, sizeof(e->name), "jt-bad-%d", pid);
	snprintf(e->newname, sizeof(e->newname), "jt-bad-new-%d", pid);
	snprintf(e->db, sizeof(e->db), "/tmp/jt-bad-%d.db", pid);
	snprintf(e->db2, sizeof(e->db2), "/tmp/jt-bad-%d-2.db", pid);
	snprintf(e->log, sizeof(e->log), "/tmp/jt-bad-%d-1.log", pid);
	snprintf(e->log2, sizeof(e->log2), "/tmp/jt-bad-%d-2.log", pid);
	e->dbfd = jt_open_new_file(e->db, FILE_SIZE, 1);
	ASSERT_LE(0, e->dbfd);
	e->db2fd = jt_open_new_file(e->db2, FILE_SIZE, 2);
	ASSERT_LE(0, e->db2fd);
	e->logfd = jt_open_new_file(e->log, 4096, 3);
	ASSERT_LE(0, e->logfd);
	e->log2fd = jt_open_new_file(e->log2, 4096, 4);
	ASSERT_LE(0, e->log2fd);

	e->fd = jt_raw_open();
	ASSERT_LE(0, e->fd);
	e->fresh = jt_raw_open();
	ASSERT_LE(0, e->fresh);
	ASSERT_EQ(0, jt_ioctl(e->fd, JET_IOC_ENABLE_MULTI, &em));
	c.name = (uintptr_t)e->name;
	ASSERT_EQ(0, jt_ioctl(e->fd, JET_IOC_CREATE_INSTANCE, &c));
	e->inst = c.instance;
	in.instance = e->inst;
	ASSERT_EQ(0, jt_ioctl(e->fd, JET_IOC_INIT, &in));
	at.instance = e->inst;
	at.name = (uintptr_t)e->db;
	at.fd = e->dbfd;
	ASSERT_EQ(0, jt_ioctl(e->fd, JET_IOC_ATTACH_DB, &at));
	al.instance = e->inst;
	al.name = (uintptr_t)e->log;
	al.generation = 1;
	al.fd = e->logfd;
	ASSERT_EQ(0, jt_ioctl(e->fd, JET_IOC_ADD_LOG, &al));
}

static void env_teardown(struct env *e)
{
	int *fds[] = { &e->fd, &e->fresh, &e->dbfd, &e->db2fd, &e->logfd,
		       &e->log2fd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	unlink(e->db);
	unlink(e->db2);
	unlink(e->log);
	unlink(e->log2);
}

/* begin a full backup of the env's instance in its owner context */
static int env_begin_backup(struct env *e)
{
	struct jet_instance_op op = { .instance = e->inst };

	return jt_ioctl(e->fd, JET_IOC_BEGIN_BACKUP, &op);
}

/*
 * A valid argument for cmd in e (what it does then is up to the command:
 * variants say what the call with it must return).
 */
static void build_arg(struct env *e, unsigned long cmd, void *arg)
{
	memset(arg, 0, _IOC_SIZE(cmd));
	switch (cmd) {
	case JET_IOC_CREATE_INSTANCE: {
		struct jet_create *c = arg;

		c->name = (uintptr_t)e->newname;
		break;
	}
	case JET_IOC_INIT:
		/* used on the fresh context: an implicit OneInst init */
		break;
	case JET_IOC_TERM: {
		struct jet_term *t = arg;

		t->instance = e->inst;
		t->grbit = JET_TERM_ABRUPT;
		break;
	}
	case JET_IOC_GET_STATE: {
		struct jet_get_state *g = arg;

		g->instance = e->inst;
		break;
	}
	case JET_IOC_LIST_INSTANCES: {
		struct jet_list *l = arg;

		l->buf = (uintptr_t)e->list;
		l->buf_size = sizeof(e->list);
		break;
	}
	case JET_IOC_ATTACH_DB: {
		struct jet_attach *a = arg;

		a->instance = e->inst;
		a->name = (uintptr_t)e->db2;
		a->fd = e->db2fd;
		break;
	}
	case JET_IOC_DETACH_DB: {
		struct jet_attach *a = arg;

		a->instance = e->inst;
		a->name = (uintptr_t)e->db;
		a->fd = -1;
		break;
	}
	case JET_IOC_ADD_LOG: {
		struct jet_add_log *l = arg;

		l->instance = e->inst;
		l->name = (uintptr_t)e->log2;
		l->generation = 2;
		l->fd = e->log2fd;
		break;
	}
	case JET_IOC_SET_CHECKPOINT:
	case JET_IOC_SET_THROTTLE: {
		struct jet_instance_u64 *u = arg;

		u->instance = e->inst;
		u->value = 1;
		break;
	}
	case JET_IOC_LOCK_RANGE: {
		struct jet_lock_range *l = arg;

		l->instance = e->inst;
		l->name = (uintptr_t)e->db;
		l->offset = 0;
		l->length = 4096;
		break;
	}
	case JET_IOC_UNLOCK_RANGE: {
		struct jet_instance_u64 *u = arg;

		u->instance = e->inst;
		u->value = 1;
		break;
	}
	case JET_IOC_GET_ATTACH_INFO:
	case JET_IOC_GET_LOG_INFO:
	case JET_IOC_GET_TRUNCATE_LOG_INFO: {
		struct jet_name_list *n = arg;

		n->instance = e->inst;
		n->buf = (uintptr_t)e->names;
		n->buf_size = sizeof(e->names);
		break;
	}
	case JET_IOC_LOG_LIST: {
		struct jet_log_list *ll = arg;

		ll->instance = e->inst;
		ll->buf = (uintptr_t)e->names;
		ll->buf_size = sizeof(e->names);
		break;
	}
	case JET_IOC_OPEN_FILE: {
		struct jet_open_file *o = arg;

		o->instance = e->inst;
		o->name = (uintptr_t)e->db;
		break;
	}
	case JET_IOC_BEGIN_BACKUP:
	case JET_IOC_TRUNCATE_LOG:
	case JET_IOC_STOP_BACKUP: {
		struct jet_instance_op *op = arg;

		op->instance = e->inst;
		break;
	}
	case JET_IOC_END_BACKUP: {
		struct jet_instance_op *op = arg;

		op->instance = e->inst;
		op->grbit = JET_END_NORMAL;
		break;
	}
	case JET_IOC_STOP_SERVICE: {
		struct jet_instance_op *op = arg;

		op->instance = e->inst;
		op->grbit = JET_SERVICE_BACKGROUND_TASKS;
		break;
	}
	case JET_IOC_PAUSE_BACKUP: {
		struct jet_instance_op *op = arg;

		op->instance = e->inst;
		op->grbit = 1;
		break;
	}
	default:
		break;
	}
}

/* Two pages with the second unmapped; returns the end of the first. */
static char *guarded_page_end(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (munmap(p + pg, pg))
		return NULL;
	memset(p, 0, pg);
	return p + pg;
}

/* ---- every command: size, pointer and magic ---- */

FIXTURE(cmd) {
	struct env e;
};

FIXTURE_VARIANT(cmd) {
	unsigned long cmd;
};

FIXTURE_VARIANT_ADD(cmd, query) { .cmd = JET_IOC_QUERY };
FIXTURE_VARIANT_ADD(cmd, enable_multi) { .cmd = JET_IOC_ENABLE_MULTI };
FIXTURE_VARIANT_ADD(cmd, create_instance) { .cmd = JET_IOC_CREATE_INSTANCE };
FIXTURE_VARIANT_ADD(cmd, init) { .cmd = JET_IOC_INIT };
FIXTURE_VARIANT_ADD(cmd, term) { .cmd = JET_IOC_TERM };
FIXTURE_VARIANT_ADD(cmd, get_state) { .cmd = JET_IOC_GET_STATE };
FIXTURE_VARIANT_ADD(cmd, list_instances) { .cmd = JET_IOC_LIST_INSTANCES };
FIXTURE_VARIANT_ADD(cmd, attach_db) { .cmd = JET_IOC_ATTACH_DB };
FIXTURE_VARIANT_ADD(cmd, detach_db) { .cmd = JET_IOC_DETACH_DB };
FIXTURE_VARIANT_ADD(cmd, add_log) { .cmd = JET_IOC_ADD_LOG };
FIXTURE_VARIANT_ADD(cmd, set_checkpoint) { .cmd = JET_IOC_SET_CHECKPOINT };
FIXTURE_VARIANT_ADD(cmd, set_throttle) { .cmd = JET_IOC_SET_THROTTLE };
FIXTURE_VARIANT_ADD(cmd, lock_range) { .cmd = JET_IOC_LOCK_RANGE };
FIXTURE_VARIANT_ADD(cmd, unlock_range) { .cmd = JET_IOC_UNLOCK_RANGE };
FIXTURE_VARIANT_ADD(cmd, pause_backup) { .cmd = JET_IOC_PAUSE_BACKUP };
FIXTURE_VARIANT_ADD(cmd, get_truncate_event) { .cmd = JET_IOC_GET_TRUNCATE_EVENT };
FIXTURE_VARIANT_ADD(cmd, begin_backup) { .cmd = JET_IOC_BEGIN_BACKUP };
FIXTURE_VARIANT_ADD(cmd, get_attach_info) { .cmd = JET_IOC_GET_ATTACH_INFO };
FIXTURE_VARIANT_ADD(cmd, open_file) { .cmd = JET_IOC_OPEN_FILE };
FIXTURE_VARIANT_ADD(cmd, get_log_info) { .cmd = JET_IOC_GET_LOG_INFO };
FIXTURE_VARIANT_ADD(cmd, get_truncate_log_info) { .cmd = JET_IOC_GET_TRUNCATE_LOG_INFO };
FIXTURE_VARIANT_ADD(cmd, truncate_log) { .cmd = JET_IOC_TRUNCATE_LOG };
FIXTURE_VARIANT_ADD(cmd, end_backup) { .cmd = JET_IOC_END_BACKUP };
FIXTURE_VARIANT_ADD(cmd, stop_backup) { .cmd = JET_IOC_STOP_BACKUP };
FIXTURE_VARIANT_ADD(cmd, stop_service) { .cmd = JET_IOC_STOP_SERVICE };
FIXTURE_VARIANT_ADD(cmd, get_roll_request) { .cmd = JET_IOC_GET_ROLL_REQUEST };
FIXTURE_VARIANT_ADD(cmd, log_list) { .cmd = JET_IOC_LOG_LIST };

FIXTURE_SETUP(cmd)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(cmd)
{
	env_teardown(&self->e);
}

/*
 * cmd with another encoded size; the argument is valid for the real size,
 * and the bytes after it (when size is bigger) are all tail_byte.
 */
static int call_with_tail(struct env *e, unsigned long cmd, size_t size,
			  char tail_byte)
{
	static char arg[4096];
	unsigned long c = _IOC(_IOC_DIR(cmd), JET_IOC_MAGIC, _IOC_NR(cmd),
			       size);

	memset(arg, tail_byte, sizeof(arg));
	build_arg(e, cmd, arg);
	return jt_ioctl(e->fd, c, arg);
}

static int call_with_size(struct env *e, unsigned long cmd, size_t size)
{
	return call_with_tail(e, cmd, size, 0);
}

/* The size of a command's struct as first released (uapi comments). */
static size_t first_size(unsigned long cmd)
{
	if (cmd == JET_IOC_LIST_INSTANCES)
		return offsetof(struct jet_list, start);
	return _IOC_SIZE(cmd);
}

TEST_F(cmd, size_one_byte_short_is_einval)
{
	struct snap before;

	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EINVAL, call_with_size(&self->e, variant->cmd,
					    first_size(variant->cmd) - 1));
	EXPECT_UNCHANGED(&self->e, before);
}

/*
 * An older program's struct of the first released size does what the
 * struct of today's size does, and gets nothing written beyond its size.
 */
TEST_F(cmd, first_released_size_acts_as_todays)
{
	size_t size = first_size(variant->cmd);
	static char arg[4096];
	unsigned long c = _IOC(_IOC_DIR(variant->cmd), JET_IOC_MAGIC,
			       _IOC_NR(variant->cmd), size);
	int old, now;

	memset(arg, 0, sizeof(arg));
	build_arg(&self->e, variant->cmd, arg);
	/* the bytes past the old struct are the caller's, never written */
	memset(arg + size, 0x5a, sizeof(arg) - size);
	old = jt_ioctl(self->e.fd, c, arg);
	EXPECT_EQ(0x5a, arg[size]);
	EXPECT_EQ(0x5a, arg[_IOC_SIZE(variant->cmd) + 7]);
	if (!old && variant->cmd == JET_IOC_OPEN_FILE)
		close(((struct jet_open_file *)arg)->fd);
	env_teardown(&self->e);
	env_setup(_metadata, &self->e);
	now = call_with_size(&self->e, variant->cmd, _IOC_SIZE(variant->cmd));
	EXPECT_EQ(now, old) TH_LOG("size %zu: %d, size %zu: %d", size, old,
				    (size_t)_IOC_SIZE(variant->cmd), now);
}

/*
 * A newer program's bigger struct whose extra bytes are zero does what the
 * struct of today's size does: the same call, in a second environment just
 * like the first, returns the same.
 */
TEST_F(cmd, bigger_struct_with_zero_tail_acts_as_todays)
{
	size_t size = _IOC_SIZE(variant->cmd);
	int big, exact;

	big = call_with_size(&self->e, variant->cmd, size + 64);
	EXPECT_NE(-E2BIG, big);
	env_teardown(&self->e);
	env_setup(_metadata, &self->e);
	exact = call_with_size(&self->e, variant->cmd, size);
	EXPECT_EQ(exact, big) TH_LOG("size %zu: %d, size %zu: %d", size + 64,
				      big, size, exact);
}

/*
 * Bytes this module does not know, not zero: refused with -E2BIG and
 * nothing changes (commands that read nothing in ignore them).
 */
TEST_F(cmd, bigger_struct_with_unknown_bytes_set_is_e2big)
{
	size_t size = _IOC_SIZE(variant->cmd);
	struct snap before;

	ASSERT_EQ(0, snap_take(&self->e, &before));
	if (!(_IOC_DIR(variant->cmd) & _IOC_WRITE)) {
		EXPECT_EQ(0, call_with_tail(&self->e, variant->cmd, size + 8,
					    0x5a));
		free(before.buf);
		return;
	}
	EXPECT_ERRNO(E2BIG, call_with_tail(&self->e, variant->cmd, size + 8,
					   0x5a));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(cmd, size_zero_is_einval)
{
	struct snap before;

	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EINVAL, call_with_size(&self->e, variant->cmd, 0));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(cmd, wrong_magic_is_enotty)
{
	static const unsigned int magics[] = {
		JET_IOC_MAGIC - 1, JET_IOC_MAGIC + 1, 0x42,
	};
	struct snap before;
	char arg[4096];
	unsigned int i;

	ASSERT_EQ(0, snap_take(&self->e, &before));
	for (i = 0; i < ARRAY_SIZE(magics); i++) {
		unsigned long c = _IOC(_IOC_DIR(variant->cmd), magics[i],
				       _IOC_NR(variant->cmd),
				       _IOC_SIZE(variant->cmd));

		build_arg(&self->e, variant->cmd, arg);
		EXPECT_ERRNO(ENOTTY, jt_ioctl(self->e.fd, c, arg));
	}
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(cmd, argument_pointer_one_is_efault)
{
	struct snap before;

	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EFAULT, jt_ioctl(self->e.fd, variant->cmd, (void *)1));
	EXPECT_ERRNO(EFAULT, jt_ioctl(self->e.fresh, variant->cmd, (void *)1));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(cmd, argument_in_unmapped_page_is_efault)
{
	struct snap before;
	char *end = guarded_page_end();

	ASSERT_NE(NULL, end);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EFAULT, jt_ioctl(self->e.fd, variant->cmd, end));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(cmd, argument_running_into_unmapped_page_is_efault)
{
	size_t size = _IOC_SIZE(variant->cmd);
	char *end = guarded_page_end(), arg[4096];
	struct snap before;

	ASSERT_NE(NULL, end);
	/* a valid argument whose last 4 bytes lie past the mapping */
	build_arg(&self->e, variant->cmd, arg);
	memcpy(end - (size - 4), arg, size - 4);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EFAULT,
		     jt_ioctl(self->e.fd, variant->cmd, end - (size - 4)));
	EXPECT_UNCHANGED(&self->e, before);
}

/* ---- commands that do not exist ---- */

FIXTURE(dev) {
	struct env e;
};

FIXTURE_SETUP(dev)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(dev)
{
	env_teardown(&self->e);
}

TEST_F(dev, unknown_command_number_is_enotty)
{
	/* 0x1b.. are unused; 0x40 is the backup files' own command */
	static const unsigned int nrs[] = { 0x1b, 0x20, 0x3f, 0x40, 0x80, 0xff };
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	static const unsigned int sizes[] = { 8, 16, 32, 64 };
	unsigned int i, j, k;
	struct snap before;
	char arg[4096];

	ASSERT_EQ(0, snap_take(&self->e, &before));
	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		for (j = 0; j < ARRAY_SIZE(dirs); j++)
			for (k = 0; k < ARRAY_SIZE(sizes); k++) {
				unsigned long c = _IOC(dirs[j], JET_IOC_MAGIC,
						       nrs[i], sizes[k]);

				memset(arg, 0, sizeof(arg));
				EXPECT_EQ(-ENOTTY,
					  jt_ioctl(self->e.fd, c, arg))
					TH_LOG("nr %#x dir %u size %u",
					       nrs[i], dirs[j], sizes[k]);
			}
	EXPECT_ERRNO(ENOTTY, jt_ioctl(self->e.fd, JET_FILE_IOC_INFO, arg));
	EXPECT_UNCHANGED(&self->e, before);
}

/* Names and buffers ending exactly at a mapping's end are fine. */
TEST_F(dev, list_buffer_ending_at_unmapped_page)
{
	struct jet_list l = { 0 };
	struct snap before;
	char *end = guarded_page_end();
	unsigned int need;

	ASSERT_NE(NULL, end);
	/* learn the size; a too-small buffer gets -ENOBUFS and the size */
	EXPECT_ERRNO(ENOBUFS,
		     jt_ioctl(self->e.fresh, JET_IOC_LIST_INSTANCES, &l));
	need = l.size;
	ASSERT_LT(0U, need);
	ASSERT_GE(4096U, need);

	ASSERT_EQ(0, snap_take(&self->e, &before));
	/* a buffer claiming more room than is mapped */
	l.buf = (uintptr_t)(end - need + 8);
	l.buf_size = need;
	l.count = l.size = 0;
	EXPECT_ERRNO(EFAULT,
		     jt_ioctl(self->e.fresh, JET_IOC_LIST_INSTANCES, &l));
	l.buf = (uintptr_t)end;
	EXPECT_ERRNO(EFAULT,
		     jt_ioctl(self->e.fresh, JET_IOC_LIST_INSTANCES, &l));
	EXPECT_UNCHANGED(&self->e, before);

	/* exactly the right bytes, ending at the unmapped page */
	l.buf = (uintptr_t)(end - need);
	l.buf_size = need;
	EXPECT_EQ(0, jt_ioctl(self->e.fresh, JET_IOC_LIST_INSTANCES, &l));
	EXPECT_EQ(need, l.size);
	EXPECT_LE(1U, l.count);
}

TEST_F(dev, attach_info_buffer_in_unmapped_page_is_efault)
{
	struct jet_name_list n = { .instance = self->e.inst };
	struct jet_get_state gs = { .instance = self->e.inst };
	char *end = guarded_page_end();
	struct snap before;

	ASSERT_NE(NULL, end);
	ASSERT_EQ(0, env_begin_backup(&self->e));
	ASSERT_EQ(0, snap_take(&self->e, &before));
	n.buf = (uintptr_t)end;
	n.buf_size = 4096;
	EXPECT_ERRNO(EFAULT, jt_ioctl(self->e.fd, JET_IOC_GET_ATTACH_INFO, &n));
	/* the size needed was written back: an output, zero on input */
	n.size = 0;
	n.buf = (uintptr_t)(end - 4);
	EXPECT_ERRNO(EFAULT, jt_ioctl(self->e.fd, JET_IOC_GET_ATTACH_INFO, &n));
	EXPECT_UNCHANGED(&self->e, before);
	ASSERT_EQ(0, jt_ioctl(self->e.fd, JET_IOC_GET_STATE, &gs));
	EXPECT_EQ((__u32)JET_PHASE_DATABASES, gs.state.phase);

	/* the names ending at the page end: "path\0\0" */
	n.size = 0;
	n.buf = (uintptr_t)(end - (strlen(self->e.db) + 2));
	n.buf_size = strlen(self->e.db) + 2;
	EXPECT_EQ(0, jt_ioctl(self->e.fd, JET_IOC_GET_ATTACH_INFO, &n));
	EXPECT_STREQ(self->e.db, (char *)(uintptr_t)n.buf);
}

/* The backup file descriptor's own ioctl gets the same checks. */
TEST_F(dev, backup_file_ioctl_checks_size_pointer_and_command)
{
	struct jet_open_file o = { .instance = self->e.inst };
	struct jet_file_info fi;
	unsigned long c;
	char arg[4096];
	int bfd;

	ASSERT_EQ(0, env_begin_backup(&self->e));
	o.name = (uintptr_t)self->e.db;
	ASSERT_EQ(0, jt_ioctl(self->e.fd, JET_IOC_OPEN_FILE, &o));
	bfd = o.fd;
	ASSERT_LE(0, bfd);
	EXPECT_EQ((__u64)FILE_SIZE, o.size);

	memset(arg, 0, sizeof(arg));
	c = _IOC(_IOC_READ, JET_IOC_MAGIC, _IOC_NR(JET_FILE_IOC_INFO),
		 sizeof(fi) - 1);
	EXPECT_ERRNO(EINVAL, jt_ioctl(bfd, c, arg));
	/* a newer program's bigger struct: what the module knows, no more */
	memset(arg, 0x5a, sizeof(arg));
	c = _IOC(_IOC_READ, JET_IOC_MAGIC, _IOC_NR(JET_FILE_IOC_INFO),
		 sizeof(fi) + 8);
	EXPECT_EQ(0, jt_ioctl(bfd, c, arg));
	memcpy(&fi, arg, sizeof(fi));
	EXPECT_EQ(self->e.inst, fi.instance);
	EXPECT_EQ(0x5a, (unsigned char)arg[sizeof(fi)]);
	EXPECT_EQ(0x5a, (unsigned char)arg[sizeof(fi) + 7]);
	memset(arg, 0, sizeof(arg));
	c = _IOC(_IOC_READ, JET_IOC_MAGIC + 1, _IOC_NR(JET_FILE_IOC_INFO),
		 sizeof(fi));
	EXPECT_ERRNO(ENOTTY, jt_ioctl(bfd, c, arg));
	/* 0x41 is JET_FILE_IOC_ID; 0x42 is unused */
	c = _IOC(_IOC_READ, JET_IOC_MAGIC, 0x42, sizeof(fi));
	EXPECT_ERRNO(ENOTTY, jt_ioctl(bfd, c, arg));
	/* /dev/jet's commands are not the file's */
	EXPECT_ERRNO(ENOTTY, jt_ioctl(bfd, JET_IOC_QUERY, arg));
	EXPECT_ERRNO(ENOTTY, jt_ioctl(bfd, JET_IOC_GET_STATE, arg));
	EXPECT_ERRNO(EFAULT, jt_ioctl(bfd, JET_FILE_IOC_INFO, (void *)1));

	memset(&fi, 0xff, sizeof(fi));
	ASSERT_EQ(0, jt_ioctl(bfd, JET_FILE_IOC_INFO, &fi));
	EXPECT_EQ(self->e.inst, fi.instance);
	EXPECT_EQ((__u64)FILE_SIZE, fi.size);
	EXPECT_EQ(0U, fi.generation);
	EXPECT_EQ((__u32)JET_FILE_DATABASE, fi.kind);
	EXPECT_EQ(0, fi.status);
	close(bfd);
}

/* ---- non-zero padding, unknown flags and grbits ---- */

enum { PREP_NONE, PREP_BACKUP };

FIXTURE(field) {
	struct env e;
};

FIXTURE_VARIANT(field) {
	unsigned long cmd;
	bool fresh;		/* call on the NoSet context */
	int prep;
	size_t off, len;	/* the field spoiled */
	uint64_t bad;		/* with this value */
	int fixed;		/* the call's result with the field right */
};

#define FIELD(s, m) .off = offsetof(struct s, m), \
		    .len = sizeof(((struct s *)0)->m)

FIXTURE_VARIANT_ADD(field, enable_multi_padding) {
	.cmd = JET_IOC_ENABLE_MULTI, .fresh = true,
	FIELD(jet_enable_multi, padding), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, enable_multi_flags) {
	.cmd = JET_IOC_ENABLE_MULTI, .fresh = true,
	FIELD(jet_enable_multi, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, enable_multi_high_flag) {
	.cmd = JET_IOC_ENABLE_MULTI, .fresh = true,
	FIELD(jet_enable_multi, flags), .bad = 0x80000000, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, create_padding) {
	.cmd = JET_IOC_CREATE_INSTANCE, .fresh = true,
	FIELD(jet_create, padding), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, create_grbit) {
	.cmd = JET_IOC_CREATE_INSTANCE, .fresh = true,
	FIELD(jet_create, grbit), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, init_padding) {
	.cmd = JET_IOC_INIT, .fresh = true,
	FIELD(jet_init, padding), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, init_flags) {
	.cmd = JET_IOC_INIT, .fresh = true,
	FIELD(jet_init, flags), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, term_padding) {
	.cmd = JET_IOC_TERM,
	FIELD(jet_term, padding), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, term_grbit) {
	.cmd = JET_IOC_TERM,
	FIELD(jet_term, grbit), .bad = JET_TERM_ABRUPT | 0x10, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, list_flags) {
	.cmd = JET_IOC_LIST_INSTANCES,
	FIELD(jet_list, flags), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, list_start_unpaged) {
	.cmd = JET_IOC_LIST_INSTANCES,
	FIELD(jet_list, start), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, list_next) {
	.cmd = JET_IOC_LIST_INSTANCES,
	FIELD(jet_list, next), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, attach_flags) {
	.cmd = JET_IOC_ATTACH_DB,
	FIELD(jet_attach, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, detach_flags) {
	.cmd = JET_IOC_DETACH_DB,
	FIELD(jet_attach, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, detach_fd_not_minus_one) {
	.cmd = JET_IOC_DETACH_DB,
	FIELD(jet_attach, fd), .bad = 0, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, add_log_flags) {
	.cmd = JET_IOC_ADD_LOG,
	FIELD(jet_add_log, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, pause_flags) {
	.cmd = JET_IOC_PAUSE_BACKUP,
	FIELD(jet_instance_op, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, pause_grbit) {
	.cmd = JET_IOC_PAUSE_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, begin_flags) {
	.cmd = JET_IOC_BEGIN_BACKUP,
	FIELD(jet_instance_op, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, begin_grbit) {
	.cmd = JET_IOC_BEGIN_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, open_file_flags) {
	.cmd = JET_IOC_OPEN_FILE, .prep = PREP_BACKUP,
	FIELD(jet_open_file, flags), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, truncate_flags) {
	.cmd = JET_IOC_TRUNCATE_LOG, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, flags), .bad = 1, .fixed = -EPROTO,
};
FIXTURE_VARIANT_ADD(field, truncate_grbit) {
	.cmd = JET_IOC_TRUNCATE_LOG, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = 1, .fixed = -EPROTO,
};
FIXTURE_VARIANT_ADD(field, end_flags) {
	.cmd = JET_IOC_END_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, flags), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, end_grbit_unknown) {
	.cmd = JET_IOC_END_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = JET_END_NORMAL | 0x4,
	.fixed = 0,
};
FIXTURE_VARIANT_ADD(field, end_grbit_normal_and_abort) {
	.cmd = JET_IOC_END_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = JET_END_NORMAL | JET_END_ABORT,
	.fixed = 0,
};
FIXTURE_VARIANT_ADD(field, end_grbit_neither_normal_nor_abort) {
	.cmd = JET_IOC_END_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = JET_END_TRUNCATE_DONE,
	.fixed = 0,
};
FIXTURE_VARIANT_ADD(field, stop_backup_flags) {
	.cmd = JET_IOC_STOP_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, flags), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, stop_backup_grbit) {
	.cmd = JET_IOC_STOP_BACKUP, .prep = PREP_BACKUP,
	FIELD(jet_instance_op, grbit), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, stop_service_flags) {
	.cmd = JET_IOC_STOP_SERVICE,
	FIELD(jet_instance_op, flags), .bad = 2, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, stop_service_grbit) {
	.cmd = JET_IOC_STOP_SERVICE,
	FIELD(jet_instance_op, grbit), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, stop_service_resume_with_bits) {
	.cmd = JET_IOC_STOP_SERVICE,
	FIELD(jet_instance_op, grbit),
	.bad = JET_SERVICE_RESUME | JET_SERVICE_BACKGROUND_TASKS, .fixed = 0,
};
/* output fields, which must be zero on the way in */
FIXTURE_VARIANT_ADD(field, create_out_instance) {
	.cmd = JET_IOC_CREATE_INSTANCE, .fresh = true,
	FIELD(jet_create, instance), .bad = 7, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, get_state_out_state) {
	.cmd = JET_IOC_GET_STATE,
	FIELD(jet_get_state, state.open_files), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, list_out_count) {
	.cmd = JET_IOC_LIST_INSTANCES,
	FIELD(jet_list, count), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, list_out_size) {
	.cmd = JET_IOC_LIST_INSTANCES,
	FIELD(jet_list, size), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, attach_info_out_size) {
	.cmd = JET_IOC_GET_ATTACH_INFO, .prep = PREP_BACKUP,
	FIELD(jet_name_list, size), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, open_file_out_size) {
	.cmd = JET_IOC_OPEN_FILE, .prep = PREP_BACKUP,
	FIELD(jet_open_file, size), .bad = 1, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, open_file_out_fd) {
	.cmd = JET_IOC_OPEN_FILE, .prep = PREP_BACKUP,
	FIELD(jet_open_file, fd), .bad = 3, .fixed = 0,
};
FIXTURE_VARIANT_ADD(field, lock_range_out_lock) {
	.cmd = JET_IOC_LOCK_RANGE,
	FIELD(jet_lock_range, lock), .bad = 1, .fixed = 0,
};

FIXTURE_SETUP(field)
{
	env_setup(_metadata, &self->e);
	if (variant->prep == PREP_BACKUP)
		ASSERT_EQ(0, env_begin_backup(&self->e));
}

FIXTURE_TEARDOWN(field)
{
	env_teardown(&self->e);
}

TEST_F(field, spoiled_field_is_einval_and_changes_nothing)
{
	int fd = variant->fresh ? self->e.fresh : self->e.fd;
	char arg[256];
	struct snap before;
	int ret;

	build_arg(&self->e, variant->cmd, arg);
	memcpy(arg + variant->off, &variant->bad, variant->len);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EINVAL, jt_ioctl(fd, variant->cmd, arg));
	EXPECT_UNCHANGED(&self->e, before);

	/* that field was the only thing wrong */
	build_arg(&self->e, variant->cmd, arg);
	ret = jt_ioctl(fd, variant->cmd, arg);
	EXPECT_EQ(variant->fixed, ret)
		TH_LOG("with the field right: %d (%s)", ret, strerror(-ret));
	if (!ret && variant->cmd == JET_IOC_OPEN_FILE)
		close(((struct jet_open_file *)arg)->fd);
}

/* ---- user pointers to names ---- */

FIXTURE(nameptr) {
	struct env e;
};

FIXTURE_VARIANT(nameptr) {
	unsigned long cmd;
	bool fresh;
	int prep;
	size_t off;		/* the __u64 name pointer */
	int fixed;		/* result with the name in place */
};

FIXTURE_VARIANT_ADD(nameptr, create_name) {
	.cmd = JET_IOC_CREATE_INSTANCE, .fresh = true,
	.off = offsetof(struct jet_create, name),
};
FIXTURE_VARIANT_ADD(nameptr, create_display_name) {
	.cmd = JET_IOC_CREATE_INSTANCE, .fresh = true,
	.off = offsetof(struct jet_create, display_name),
};
FIXTURE_VARIANT_ADD(nameptr, attach_name) {
	.cmd = JET_IOC_ATTACH_DB,
	.off = offsetof(struct jet_attach, name),
};
FIXTURE_VARIANT_ADD(nameptr, detach_name) {
	.cmd = JET_IOC_DETACH_DB,
	.off = offsetof(struct jet_attach, name),
};
FIXTURE_VARIANT_ADD(nameptr, add_log_name) {
	.cmd = JET_IOC_ADD_LOG,
	.off = offsetof(struct jet_add_log, name),
};
FIXTURE_VARIANT_ADD(nameptr, lock_range_name) {
	.cmd = JET_IOC_LOCK_RANGE,
	.off = offsetof(struct jet_lock_range, name),
};
FIXTURE_VARIANT_ADD(nameptr, open_file_name) {
	.cmd = JET_IOC_OPEN_FILE, .prep = PREP_BACKUP,
	.off = offsetof(struct jet_open_file, name),
};

FIXTURE_SETUP(nameptr)
{
	env_setup(_metadata, &self->e);
	if (variant->prep == PREP_BACKUP)
		ASSERT_EQ(0, env_begin_backup(&self->e));
}

FIXTURE_TEARDOWN(nameptr)
{
	env_teardown(&self->e);
}

static void set_ptr(char *arg, size_t off, const void *p)
{
	uint64_t v = (uintptr_t)p;

	memcpy(arg + off, &v, sizeof(v));
}

static const char *ptr_at(const char *arg, size_t off)
{
	uint64_t v;

	memcpy(&v, arg + off, sizeof(v));
	return (const char *)(uintptr_t)v;
}

TEST_F(nameptr, name_in_unmapped_page_is_efault)
{
	int fd = variant->fresh ? self->e.fresh : self->e.fd;
	char *end = guarded_page_end(), arg[256];
	struct snap before;

	ASSERT_NE(NULL, end);
	build_arg(&self->e, variant->cmd, arg);
	set_ptr(arg, variant->off, end);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EFAULT, jt_ioctl(fd, variant->cmd, arg));
	set_ptr(arg, variant->off, (void *)1);
	EXPECT_ERRNO(EFAULT, jt_ioctl(fd, variant->cmd, arg));
	/* a kernel address is no better */
	set_ptr(arg, variant->off, (void *)0xffffffff81000000UL);
	EXPECT_ERRNO(EFAULT, jt_ioctl(fd, variant->cmd, arg));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(nameptr, name_running_into_unmapped_page_is_efault)
{
	int fd = variant->fresh ? self->e.fresh : self->e.fd;
	char *end = guarded_page_end(), arg[256];
	struct snap before;
	const char *name;
	size_t len;

	ASSERT_NE(NULL, end);
	build_arg(&self->e, variant->cmd, arg);
	name = ptr_at(arg, variant->off);
	if (!name)
		name = "display";
	/* the name's bytes up to the page end, with no NUL after them */
	len = strlen(name);
	memcpy(end - len, name, len);
	set_ptr(arg, variant->off, end - len);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	EXPECT_ERRNO(EFAULT, jt_ioctl(fd, variant->cmd, arg));
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_F(nameptr, name_ending_at_unmapped_page_is_accepted)
{
	int fd = variant->fresh ? self->e.fresh : self->e.fd;
	char *end = guarded_page_end(), arg[256];
	const char *name;
	size_t len;
	int ret;

	ASSERT_NE(NULL, end);
	build_arg(&self->e, variant->cmd, arg);
	name = ptr_at(arg, variant->off);
	if (!name)
		name = "display";
	/* the NUL is the mapping's last byte */
	len = strlen(name) + 1;
	memcpy(end - len, name, len);
	set_ptr(arg, variant->off, end - len);
	ret = jt_ioctl(fd, variant->cmd, arg);
	EXPECT_EQ(variant->fixed, ret)
		TH_LOG("got %d (%s)", ret, strerror(-ret));
	if (!ret && variant->cmd == JET_IOC_OPEN_FILE)
		close(((struct jet_open_file *)arg)->fd);
}

/* ---- what the failures above must never do: leave instances ---- */

TEST_F(dev, failed_creates_and_inits_leave_no_instance)
{
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct snap before;
	char *end = guarded_page_end();
	int fd, i;

	ASSERT_NE(NULL, end);
	ASSERT_EQ(0, snap_take(&self->e, &before));
	/* many contexts, each failing in another way, then closed */
	for (i = 0; i < 16; i++) {
		fd = jt_raw_open();
		ASSERT_LE(0, fd);
		/* a failed create may have written it: output, zero on input */
		c.instance = 0;
		c.name = (uintptr_t)end;
		EXPECT_ERRNO(EFAULT,
			     jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
		c.name = (uintptr_t)self->e.newname;
		c.padding = 1;
		EXPECT_ERRNO(EINVAL,
			     jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
		c.padding = 0;
		c.grbit = 0x1;
		EXPECT_ERRNO(EINVAL,
			     jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
		c.grbit = 0;
		in.flags = 0x80;
		EXPECT_ERRNO(EINVAL, jt_ioctl(fd, JET_IOC_INIT, &in));
		in.flags = 0;
		EXPECT_ERRNO(EFAULT, jt_ioctl(fd, JET_IOC_INIT, end - 4));
		c.name = (uintptr_t)self->e.name;	/* in use */
		EXPECT_ERRNO(ENOTUNIQ,
			     jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
		EXPECT_EQ(JET_MODE_NOSET, ctx_mode(fd));
		close(fd);
	}
	EXPECT_UNCHANGED(&self->e, before);
}

TEST_HARNESS_MAIN
