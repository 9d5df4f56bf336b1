// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing of the kernel's memory reaches userspace (SPEC section 9, uapi
 * header rules).
 *
 * Every struct and buffer the module writes to is filled with a pattern
 * (0xA5) before the call, except the fields the ABI requires to be zero on
 * input (reserved fields and outputs, else -EINVAL). After it, each byte of the struct, and each byte
 * up to the size the call reports, must be exactly what the uapi documents:
 * a field's value, the caller's own input echoed back, or zero (padding,
 * the NUL bytes that end and pad records). The bytes the kernel has no
 * business writing (past the struct, past the reported size, the whole
 * buffer on -ENOBUFS, anything on a failed call) must still hold the
 * pattern. A 0xA5 byte that survives where the kernel should have written
 * means it wrote less than it claims; any other stray byte is a leak.
 *
 * One owner context (MultiInst) owns an instance with a name, a display
 * name, two databases and three logs, a throttle and recorded service bits;
 * an agent context backs it up; a third context is a OneInst owner of an
 * unnamed instance, so a record without strings is checked too.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "jet_test.h"

#define PAT		0xA5
#define TAIL		64		/* pattern bytes after each struct */
#define PAT64		0xA5A5A5A5A5A5A5A5ull
#define PAT32		0xA5A5A5A5u
#define DB1_SIZE	12345		/* odd sizes: short last reads */
#define DB2_SIZE	4099
#define LOG_SIZE	3001
#define NLOGS		3
#define CHECKPOINT	2
#define THROTTLE	(1ull << 40)	/* set, but never holds a read back */
#define SVC_BITS	JET_SERVICE_BACKGROUND_TASKS
#define LIST_BUF	(256 * 1024)

struct env {
	int owner;		/* MultiInst, owns inst */
	int agent;		/* runs the backups */
	int one;		/* OneInst, owns one_inst (unnamed) */
	uint64_t inst, one_inst;
	char name[64], display[64];
	char dir[64];
	char db[2][96];
	char log[NLOGS][96];
	int dbfd[2], logfd[NLOGS];
	size_t db_size[2];
	char roll_pattern[96];	/* the logs backups roll: generation 4, ... */
	char rolled[96];	/* generation 4's */
	struct jt_roller roller;	/* answers the owner's roll requests */
};

/* ---- comparing bytes ---- */

/* A struct or buffer the kernel writes into, with pattern bytes after it. */
static void *pat_buf(size_t size)
{
	unsigned char *p = malloc(size + TAIL);

	if (p)
		memset(p, PAT, size + TAIL);
	return p;
}

/*
 * got[0, len) must equal want[0, len). Logs the first difference: a
 * surviving pattern byte (the kernel wrote less than it should have) or
 * some other byte (garbage: a leak).
 */
static bool same_bytes(struct __test_metadata *_metadata, const char *what,
		       const void *got, const void *want, size_t len)
{
	const unsigned char *g = got, *w = want;
	size_t i;

	for (i = 0; i < len; i++) {
		if (g[i] == w[i])
			continue;
		TH_LOG("%s: byte %zu of %zu is 0x%02x, expected 0x%02x%s", what,
		       i, len, g[i], w[i],
		       g[i] == PAT ? " (the pattern: never written)" :
				     " (not a documented value)");
		return false;
	}
	return true;
}

/* p[0, len) must still hold the pattern. */
static bool untouched(struct __test_metadata *_metadata, const char *what,
		      const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (c[i] != PAT) {
			TH_LOG("%s: byte %zu of %zu was written (0x%02x)", what,
			       i, len, c[i]);
			return false;
		}
	}
	return true;
}

/* ---- the world ---- */

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	struct jet_enable_multi em = { 0 };
	struct jet_create c = { 0 };
	struct jet_init in = { 0 };
	struct jet_instance_u64 u = { 0 };
	struct jet_instance_op op = { 0 };
	int i;

	e->owner = e->agent = e->one = -1;
	for (i = 0; i < 2; i++)
		e->dbfd[i] = -1;
	for (i = 0; i < NLOGS; i++)
		e->logfd[i] = -1;
	/* lengths chosen so that the records need padding */
	snprintf(e->name, sizeof(e->name), "jt-leak-%d", getpid());
	snprintf(e->display, sizeof(e->display), "Leak check %d!", getpid());
	strcpy(e->dir, "/tmp/jt-leak-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(e->dir));
	e->db_size[0] = DB1_SIZE;
	e->db_size[1] = DB2_SIZE;
	for (i = 0; i < 2; i++) {
		snprintf(e->db[i], sizeof(e->db[i]), "%s/db%d.edb", e->dir, i);
		e->dbfd[i] = jt_open_new_file(e->db[i], e->db_size[i], i + 1);
		ASSERT_LE(0, e->dbfd[i]);
	}
	for (i = 0; i < NLOGS; i++) {
		snprintf(e->log[i], sizeof(e->log[i]), "%s/edb%05X.log",
			 e->dir, i + 1);
		e->logfd[i] = jt_open_new_file(e->log[i], LOG_SIZE, 10 + i);
		ASSERT_LE(0, e->logfd[i]);
	}

	e->owner = jt_raw_open();
	ASSERT_LE(0, e->owner);
	e->agent = jt_raw_open();
	ASSERT_LE(0, e->agent);
	e->one = jt_raw_open();
	ASSERT_LE(0, e->one);

	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_ENABLE_MULTI, &em));
	c.name = (uintptr_t)e->name;
	c.display_name = (uintptr_t)e->display;
	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_CREATE_INSTANCE, &c));
	e->inst = c.instance;
	in.instance = e->inst;
	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_INIT, &in));
	for (i = 0; i < 2; i++) {
		struct jet_attach at = {
			.instance = e->inst,
			.name = (uintptr_t)e->db[i],
			.fd = e->dbfd[i],
		};

		ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_ATTACH_DB, &at));
	}
	for (i = 0; i < NLOGS; i++) {
		struct jet_add_log al = {
			.instance = e->inst,
			.name = (uintptr_t)e->log[i],
			.generation = i + 1,
			.fd = e->logfd[i],
		};

		ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_ADD_LOG, &al));
	}
	u.instance = e->inst;
	u.value = CHECKPOINT;
	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_SET_CHECKPOINT, &u));
	u.value = THROTTLE;
	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_SET_THROTTLE, &u));
	op.instance = e->inst;
	op.grbit = SVC_BITS;
	ASSERT_EQ(0, jt_ioctl(e->owner, JET_IOC_STOP_SERVICE, &op));

	/* the OneInst context's unnamed instance */
	memset(&in, 0, sizeof(in));
	ASSERT_EQ(0, jt_ioctl(e->one, JET_IOC_INIT, &in));
	e->one_inst = in.instance;
}

static void env_teardown(struct env *e)
{
	int i;

	if (e->owner >= 0)
		close(e->owner);
	if (e->agent >= 0)
		close(e->agent);
	if (e->one >= 0)
		close(e->one);
	for (i = 0; i < 2; i++) {
		if (e->dbfd[i] >= 0)
			close(e->dbfd[i]);
		unlink(e->db[i]);
	}
	for (i = 0; i < NLOGS; i++) {
		if (e->logfd[i] >= 0)
			close(e->logfd[i]);
		unlink(e->log[i]);
	}
	rmdir(e->dir);
}

static int begin_backup(struct env *e)
{
	struct jet_instance_op op = { .instance = e->inst };

	return jt_ioctl(e->agent, JET_IOC_BEGIN_BACKUP, &op);
}

/* Opens a backup file in the agent; the descriptor or -errno. */
static int open_backup_file(struct env *e, const char *name)
{
	struct jet_open_file o = {
		.instance = e->inst,
		.name = (uintptr_t)name,
	};
	int ret = jt_ioctl(e->agent, JET_IOC_OPEN_FILE, &o);

	return ret ? ret : o.fd;
}

/* Reads a backup file to its end; bytes read or -errno. */
static ssize_t drain(int fd)
{
	char buf[8192];
	ssize_t n, total = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

/* A name list call into a fresh pattern buffer of buf_size bytes. */
static int name_list(struct env *e, unsigned long cmd, unsigned char *buf,
		     uint32_t buf_size, struct jet_name_list *n)
{
	memset(n, PAT, sizeof(*n));
	n->instance = e->inst;
	n->buf = (uintptr_t)buf;
	n->buf_size = buf_size;
	n->size = 0;	/* an output: zero on input */
	return jt_ioctl(e->agent, cmd, n);
}

/* "a\0b\0\0" for the given names; returns its size. */
static size_t names_of(char *out, const char *const *names, int count)
{
	size_t off = 0;
	int i;

	for (i = 0; i < count; i++) {
		strcpy(out + off, names[i]);
		off += strlen(names[i]) + 1;
	}
	out[off++] = '\0';
	return off;
}

/* What GET_STATE and the listing report for the env's instance. */
static void state_of_inst(struct env *e, struct jet_instance_state *st,
			  uint32_t flags, uint32_t phase, uint32_t open_files,
			  uint64_t bytes_read)
{
	memset(st, 0, sizeof(*st));
	st->instance = e->inst;
	st->bytes_read = bytes_read;
	st->checkpoint = CHECKPOINT;
	st->newest_log = NLOGS;
	st->throttle = THROTTLE;
	st->owner_pid = getpid();
	st->owner_uid = geteuid();
	st->flags = JET_STATE_INITIALIZED | flags;
	st->phase = phase;
	st->service_bits = SVC_BITS;
	st->db_count = 2;
	st->log_count = NLOGS;
	st->open_files = open_files;
}

FIXTURE(leak) {
	struct env e;
};

FIXTURE_SETUP(leak)
{
	env_setup(_metadata, &self->e);
	snprintf(self->e.roll_pattern, sizeof(self->e.roll_pattern),
		 "%s/roll%%05lX.log", self->e.dir);
	snprintf(self->e.rolled, sizeof(self->e.rolled), self->e.roll_pattern,
		 (unsigned long)NLOGS + 1);
	ASSERT_EQ(0, jt_roller_start(&self->e.roller, self->e.owner,
				     self->e.roll_pattern, LOG_SIZE));
}

FIXTURE_TEARDOWN(leak)
{
	jt_roller_stop(&self->e.roller);
	env_teardown(&self->e);
}

/* ---- one struct per command ---- */

TEST_F(leak, query_writes_the_whole_struct_and_nothing_after)
{
	struct jet_query *q = pat_buf(sizeof(*q)), want;

	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_QUERY, q));
	memset(&want, 0, sizeof(want));
	want.abi_version = JET_ABI_VERSION;
	/* the limits are module parameters: take them, check the rest */
	want.features = q->features;
	want.max_instances = q->max_instances;
	want.max_instances_per_user = q->max_instances_per_user;
	want.name_max = JET_NAME_MAX;
	want.path_max = JET_PATH_MAX;
	want.mode = JET_MODE_MULTIINST;
	EXPECT_NE(PAT32, q->features);
	EXPECT_NE(PAT32, q->max_instances);
	EXPECT_NE(PAT32, q->max_instances_per_user);
	EXPECT_TRUE(same_bytes(_metadata, "query", q, &want, sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after query", q + 1, TAIL));

	/* a NoSet context's mode is 0, written as such */
	memset(q, PAT, sizeof(*q) + TAIL);
	{
		int fd = jt_raw_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_QUERY, q));
		close(fd);
	}
	want.mode = JET_MODE_NOSET;
	EXPECT_TRUE(same_bytes(_metadata, "query (NoSet)", q, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after query (NoSet)", q + 1, TAIL));
	free(q);
}

TEST_F(leak, create_writes_only_the_handle)
{
	struct jet_create *c = pat_buf(sizeof(*c)), want;
	struct jet_get_state gs = { 0 };
	char name[64];
	int fd = jt_raw_open();

	ASSERT_NE(NULL, c);
	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "jt-leak-new-%d", getpid());
	c->name = (uintptr_t)name;
	c->display_name = 0;
	c->grbit = 0;
	c->padding = 0;
	c->instance = 0;	/* an output: zero on input */
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, c));
	gs.instance = c->instance;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_GET_STATE, &gs));
	want.name = (uintptr_t)name;
	want.display_name = 0;
	want.grbit = 0;
	want.padding = 0;
	want.instance = gs.state.instance;
	EXPECT_NE(0ull, want.instance);
	EXPECT_GE((uint64_t)UINT32_MAX, (uint64_t)c->instance);
	EXPECT_TRUE(same_bytes(_metadata, "create", c, &want, sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after create", c + 1, TAIL));
	close(fd);
	free(c);
}

TEST_F(leak, init_writes_only_the_handle)
{
	struct jet_create c = { 0 };
	struct jet_init *in = pat_buf(sizeof(*in)), want;
	char name[64];
	int fd = jt_raw_open(), fd2 = jt_raw_open();

	ASSERT_NE(NULL, in);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	/* MultiInst: the handle given is echoed */
	snprintf(name, sizeof(name), "jt-leak-init-%d", getpid());
	c.name = (uintptr_t)name;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_CREATE_INSTANCE, &c));
	in->instance = c.instance;
	in->flags = 0;
	in->padding = 0;
	ASSERT_EQ(0, jt_ioctl(fd, JET_IOC_INIT, in));
	memset(&want, 0, sizeof(want));
	want.instance = c.instance;
	EXPECT_TRUE(same_bytes(_metadata, "init (MultiInst)", in, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after init", in + 1, TAIL));

	/* NoSet: the handle field is ignored on input, the new one written */
	memset(in, PAT, sizeof(*in) + TAIL);
	in->flags = 0;
	in->padding = 0;
	ASSERT_EQ(0, jt_ioctl(fd2, JET_IOC_INIT, in));
	{
		struct jet_get_state gs = { .instance = 0 };

		ASSERT_EQ(0, jt_ioctl(fd2, JET_IOC_GET_STATE, &gs));
		want.instance = gs.state.instance;
	}
	EXPECT_NE(0ull, want.instance);
	EXPECT_TRUE(same_bytes(_metadata, "init (NoSet)", in, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after init (NoSet)", in + 1, TAIL));
	close(fd);
	close(fd2);
	free(in);
}

TEST_F(leak, get_state_writes_every_byte_as_documented)
{
	struct jet_get_state *g = pat_buf(sizeof(*g)), want;
	int bfd;

	ASSERT_NE(NULL, g);
	/* without a backup, from the owner; the state is output only */
	g->instance = self->e.inst;
	memset(&g->state, 0, sizeof(g->state));
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_GET_STATE, g));
	want.instance = self->e.inst;
	state_of_inst(&self->e, &want.state, JET_STATE_MINE, JET_PHASE_NONE, 0,
		      0);
	EXPECT_TRUE(same_bytes(_metadata, "get_state (owner)", g, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after get_state", g + 1, TAIL));

	/* during a backup with a file open, from the agent */
	ASSERT_EQ(0, begin_backup(&self->e));
	bfd = open_backup_file(&self->e, self->e.db[0]);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(DB1_SIZE, drain(bfd));
	memset(g, PAT, sizeof(*g) + TAIL);
	g->instance = self->e.inst;
	memset(&g->state, 0, sizeof(g->state));
	ASSERT_EQ(0, jt_ioctl(self->e.agent, JET_IOC_GET_STATE, g));
	state_of_inst(&self->e, &want.state,
		      JET_STATE_BACKUP | JET_STATE_BACKUP_MINE,
		      JET_PHASE_DATABASES, 1, DB1_SIZE);
	EXPECT_TRUE(same_bytes(_metadata, "get_state (agent)", g, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after get_state (agent)", g + 1,
			      TAIL));

	/* the OneInst context: the handle is ignored, its own is reported */
	memset(g, PAT, sizeof(*g) + TAIL);
	g->instance = self->e.inst;	/* not its own: ignored */
	memset(&g->state, 0, sizeof(g->state));
	ASSERT_EQ(0, jt_ioctl(self->e.one, JET_IOC_GET_STATE, g));
	memset(&want, 0, sizeof(want));
	want.instance = self->e.inst;	/* the input, echoed */
	want.state.instance = self->e.one_inst;
	want.state.owner_pid = getpid();
	want.state.owner_uid = geteuid();
	want.state.flags = JET_STATE_INITIALIZED | JET_STATE_MINE;
	EXPECT_TRUE(same_bytes(_metadata, "get_state (OneInst)", g, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after get_state (OneInst)", g + 1,
			      TAIL));
	close(bfd);
	free(g);
}

/*
 * Appends the record LIST_INSTANCES documents for an instance to out;
 * returns its size.
 */
static size_t record_of(unsigned char *out, const struct jet_instance_state *st,
			const char *name, const char *display,
			const char *const *dbs, int ndbs)
{
	struct jet_instance_record rec;
	size_t name_size = name ? strlen(name) + 1 : 1;
	size_t display_size = display ? strlen(display) + 1 : 1;
	size_t dbs_size = 0, size, off;
	int i;

	for (i = 0; i < ndbs; i++)
		dbs_size += strlen(dbs[i]) + 1;
	size = sizeof(rec) + name_size + display_size + dbs_size;
	size = (size + 7) & ~(size_t)7;
	memset(out, 0, size);
	memset(&rec, 0, sizeof(rec));
	rec.record_size = size;
	rec.name_size = name_size;
	rec.display_size = display_size;
	rec.dbs_size = dbs_size;
	rec.state = *st;
	memcpy(out, &rec, sizeof(rec));
	off = sizeof(rec);
	if (name)
		memcpy(out + off, name, name_size);
	off += name_size;
	if (display)
		memcpy(out + off, display, display_size);
	off += display_size;
	for (i = 0; i < ndbs; i++) {
		memcpy(out + off, dbs[i], strlen(dbs[i]) + 1);
		off += strlen(dbs[i]) + 1;
	}
	return size;
}

/* The record LIST_INSTANCES documents for one of the env's instances. */
static size_t env_record(struct env *e, uint64_t id, bool from_owner,
			 unsigned char *out)
{
	const char *const dbs[] = { e->db[0], e->db[1] };
	struct jet_instance_state st;

	if (id == e->inst) {
		state_of_inst(e, &st, from_owner ? JET_STATE_MINE : 0,
			      JET_PHASE_NONE, 0, 0);
		return record_of(out, &st, e->name, e->display, dbs, 2);
	}
	memset(&st, 0, sizeof(st));
	st.instance = e->one_inst;
	st.owner_pid = getpid();
	st.owner_uid = geteuid();
	st.flags = JET_STATE_INITIALIZED;
	return record_of(out, &st, NULL, NULL, NULL, 0);
}

/* A string field of size bytes: its bytes, then exactly one NUL. */
static bool one_string(const unsigned char *p, uint32_t size)
{
	return size >= 1 && strnlen((const char *)p, size) == size - 1;
}

/*
 * Checks every record of a listing of size bytes: sizes that add up,
 * strings that end where their sizes say, zero padding, known flags; the
 * env's own two records byte for byte. Other instances (if any) are
 * checked only for their form.
 */
static void check_listing(struct __test_metadata *_metadata, struct env *e,
			  const unsigned char *buf, uint32_t size,
			  uint32_t count, bool from_owner)
{
	const size_t hdr = sizeof(struct jet_instance_record);
	uint32_t off = 0, n = 0, ours = 0;

	while (off < size) {
		struct jet_instance_record r;
		const unsigned char *p = buf + off;
		unsigned char want[4096];
		uint32_t used, dbs = 0;
		size_t strs, i;

		ASSERT_LE(off + hdr, size) TH_LOG("record %u: cut short", n);
		memcpy(&r, p, hdr);
		strs = (size_t)r.name_size + r.display_size + r.dbs_size;
		ASSERT_EQ((hdr + strs + 7) & ~(size_t)7, r.record_size)
			TH_LOG("record %u: sizes do not add up", n);
		ASSERT_LE(off + r.record_size, size);
		EXPECT_TRUE(one_string(p + hdr, r.name_size))
			TH_LOG("record %u: name", n);
		EXPECT_TRUE(one_string(p + hdr + r.name_size, r.display_size))
			TH_LOG("record %u: display name", n);
		for (used = 0; used < r.dbs_size; dbs++) {
			const char *db = (const char *)p + hdr + r.name_size +
					 r.display_size + used;
			size_t len = strnlen(db, r.dbs_size - used);

			EXPECT_TRUE(len && len < r.dbs_size - used)
				TH_LOG("record %u: database name %u", n, dbs);
			used += len + 1;
		}
		EXPECT_EQ(r.state.db_count, dbs) TH_LOG("record %u", n);
		for (i = hdr + strs; i < r.record_size && !p[i]; i++)
			;
		EXPECT_EQ(r.record_size, i)
			TH_LOG("record %u: padding byte %zu is 0x%02x", n, i,
			       p[i]);
		EXPECT_NE(0ull, r.state.instance);
		EXPECT_EQ(0U, r.state.flags & ~0x1ffU);
		EXPECT_GE((uint32_t)JET_PHASE_LOGS, r.state.phase);
		if (r.state.instance == e->inst ||
		    r.state.instance == e->one_inst) {
			size_t len = env_record(e, r.state.instance, from_owner,
						want);

			ours++;
			EXPECT_EQ(len, r.record_size);
			EXPECT_TRUE(same_bytes(_metadata, "our record", p, want,
					       len < r.record_size ?
					       len : r.record_size));
		}
		off += r.record_size;
		n++;
	}
	EXPECT_EQ(size, off);
	EXPECT_EQ(count, n);
	EXPECT_EQ(2U, ours);
}

TEST_F(leak, list_records_are_exact_and_zero_padded)
{
	unsigned char *buf = pat_buf(LIST_BUF);
	struct jet_list *l = pat_buf(sizeof(*l)), lwant;
	uint32_t size;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, l);
	l->buf = (uintptr_t)buf;
	l->buf_size = LIST_BUF;
	l->flags = 0;
	l->start = 0;
	l->next = 0;
	l->count = 0;	/* outputs: zero on input */
	l->size = 0;
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_LIST_INSTANCES, l));
	size = l->size;
	ASSERT_LE(2U, l->count);
	ASSERT_GE((uint32_t)LIST_BUF, size);
	lwant.buf = (uintptr_t)buf;
	lwant.buf_size = LIST_BUF;
	lwant.count = l->count;
	lwant.size = size;
	lwant.flags = 0;
	lwant.start = 0;
	lwant.next = 0;
	EXPECT_TRUE(same_bytes(_metadata, "list struct", l, &lwant,
			       sizeof(lwant)));
	EXPECT_TRUE(untouched(_metadata, "after list struct", l + 1, TAIL));
	check_listing(_metadata, &self->e, buf, size, l->count, true);
	EXPECT_TRUE(untouched(_metadata, "list buffer after its size",
			      buf + size, LIST_BUF + TAIL - size));

	/* a buffer of exactly the size: all of it written, nothing after */
	memset(buf, PAT, LIST_BUF + TAIL);
	memset(l, PAT, sizeof(*l) + TAIL);
	l->buf = (uintptr_t)buf;
	l->buf_size = size;
	l->flags = 0;
	l->start = 0;
	l->next = 0;
	l->count = 0;
	l->size = 0;
	ASSERT_EQ(0, jt_ioctl(self->e.agent, JET_IOC_LIST_INSTANCES, l));
	EXPECT_EQ(size, l->size);
	check_listing(_metadata, &self->e, buf, size, l->count, false);
	EXPECT_TRUE(untouched(_metadata, "after the exact buffer", buf + size,
			      TAIL));
	free(buf);
	free(l);
}

TEST_F(leak, list_too_small_writes_only_the_size)
{
	unsigned char *buf = pat_buf(LIST_BUF);
	struct jet_list *l = pat_buf(sizeof(*l)), lwant;
	uint32_t sizes[] = { 0, 1, 8, 0 };
	struct jet_list first = { 0 };
	uint32_t size;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, l);
	/* the size needed, from a call that only reports it */
	ASSERT_EQ(-ENOBUFS, jt_ioctl(self->e.owner, JET_IOC_LIST_INSTANCES,
				     &first));
	size = first.size;
	ASSERT_LT(96U, size);
	sizes[3] = size - 1;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(l, PAT, sizeof(*l) + TAIL);
		l->buf = (uintptr_t)buf;
		l->buf_size = sizes[i];
		l->flags = 0;
		l->start = 0;
		l->next = 0;
		l->count = 0;
		l->size = 0;
		EXPECT_EQ(-ENOBUFS,
			  jt_ioctl(self->e.owner, JET_IOC_LIST_INSTANCES, l));
		lwant.buf = (uintptr_t)buf;
		lwant.buf_size = sizes[i];
		lwant.count = 0;	/* left as it was */
		lwant.size = size;
		lwant.flags = 0;
		lwant.start = 0;
		lwant.next = 0;
		EXPECT_TRUE(same_bytes(_metadata, "list struct (-ENOBUFS)", l,
				       &lwant, sizeof(lwant)))
			TH_LOG("buf_size %u", sizes[i]);
		EXPECT_TRUE(untouched(_metadata, "list buffer (-ENOBUFS)", buf,
				      LIST_BUF + TAIL));
		EXPECT_TRUE(untouched(_metadata, "after list struct", l + 1,
				      TAIL));
	}
	free(buf);
	free(l);
}

/* A paged listing call into a pattern buffer; the struct as written. */
static int list_page(int fd, unsigned char *buf, uint32_t buf_size,
		     uint64_t start, struct jet_list *l)
{
	memset(buf, PAT, buf_size + TAIL);
	memset(l, PAT, sizeof(*l));
	l->buf = (uintptr_t)buf;
	l->buf_size = buf_size;
	l->flags = JET_LIST_PAGED;
	l->start = start;
	l->count = 0;	/* outputs: zero on input */
	l->size = 0;
	l->next = 0;
	return jt_ioctl(fd, JET_IOC_LIST_INSTANCES, l);
}

/*
 * Paged: each page holds whole records and nothing after them, the pages
 * add up to the one-shot listing, and a page too small for its first
 * record writes only that record's size.
 */
TEST_F(leak, paged_list_pages_are_whole_records_and_nothing_after)
{
	unsigned char *all = pat_buf(LIST_BUF), *buf = pat_buf(LIST_BUF);
	struct jet_list one = { 0 }, l, lwant;
	uint32_t off = 0, first, pages = 0, count = 0;
	uint64_t start = 0;

	ASSERT_NE(NULL, all);
	ASSERT_NE(NULL, buf);
	one.buf = (uintptr_t)all;
	one.buf_size = LIST_BUF;
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_LIST_INSTANCES, &one));
	ASSERT_LE(2U, one.count);
	first = ((struct jet_instance_record *)all)->record_size;

	/* too small for the first record: its size, nothing else */
	EXPECT_EQ(-ENOBUFS, list_page(self->e.owner, buf, first - 1, 0, &l));
	memset(&lwant, PAT, sizeof(lwant));
	lwant.buf = (uintptr_t)buf;
	lwant.buf_size = first - 1;
	lwant.flags = JET_LIST_PAGED;
	lwant.start = 0;
	lwant.count = 0;
	lwant.size = first;
	lwant.next = 0;
	EXPECT_TRUE(same_bytes(_metadata, "page struct (-ENOBUFS)", &l, &lwant,
			       sizeof(l)));
	EXPECT_TRUE(untouched(_metadata, "page (-ENOBUFS)", buf,
			      first - 1 + TAIL));

	/* pages of one record's room (or two small ones) */
	do {
		ASSERT_EQ(0, list_page(self->e.owner, buf, first + 8, start,
				       &l));
		ASSERT_LE(1U, l.count);
		ASSERT_LE(off + l.size, one.size);
		EXPECT_TRUE(same_bytes(_metadata, "page", buf, all + off,
				       l.size)) TH_LOG("page %u", pages);
		EXPECT_TRUE(untouched(_metadata, "after the page",
				      buf + l.size, first + 8 - l.size + TAIL));
		EXPECT_TRUE(l.next == 0 || l.next > start);
		off += l.size;
		count += l.count;
		start = l.next;
		pages++;
	} while (start && pages < one.count);
	EXPECT_EQ(0ull, start);
	EXPECT_EQ(one.size, off);
	EXPECT_EQ(one.count, count);
	free(all);
	free(buf);
}

/*
 * A name list call with a roomy buffer (exact names, nothing after them),
 * one of exactly the size, and too small ones (only the size written).
 */
static void check_name_list(struct __test_metadata *_metadata, struct env *e,
			    unsigned long cmd, const char *what,
			    const char *const *names, int count)
{
	unsigned char *buf = pat_buf(8192);
	struct jet_name_list n, nwant;
	char want[4096];
	size_t size = names_of(want, names, count);
	uint32_t small[] = { 0, 1, 0 };
	unsigned int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, name_list(e, cmd, buf, 8192, &n)) TH_LOG("%s", what);
	nwant.instance = e->inst;
	nwant.buf = (uintptr_t)buf;
	nwant.buf_size = 8192;
	nwant.size = size;
	EXPECT_TRUE(same_bytes(_metadata, what, &n, &nwant, sizeof(n)));
	EXPECT_TRUE(same_bytes(_metadata, what, buf, want, size));
	EXPECT_TRUE(untouched(_metadata, what, buf + size, 8192 + TAIL - size));

	memset(buf, PAT, 8192 + TAIL);
	ASSERT_EQ(0, name_list(e, cmd, buf, size, &n)) TH_LOG("%s", what);
	EXPECT_EQ(size, n.size);
	EXPECT_TRUE(same_bytes(_metadata, what, buf, want, size));
	EXPECT_TRUE(untouched(_metadata, what, buf + size, TAIL));

	small[2] = size - 1;
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		if (small[i] >= size)
			continue;
		memset(buf, PAT, 8192 + TAIL);
		EXPECT_EQ(-ENOBUFS, name_list(e, cmd, buf, small[i], &n))
			TH_LOG("%s, buf_size %u", what, small[i]);
		nwant.buf_size = small[i];
		EXPECT_TRUE(same_bytes(_metadata, what, &n, &nwant,
				       sizeof(n)));
		EXPECT_TRUE(untouched(_metadata, what, buf, 8192 + TAIL));
	}
	free(buf);
}

TEST_F(leak, name_lists_are_exact_and_nothing_after_them)
{
	const char *const dbs[] = { self->e.db[0], self->e.db[1] };
	const char *const copy[] = { self->e.log[1], self->e.log[2],
				     self->e.rolled };
	const char *const trunc[] = { self->e.log[0] };

	ASSERT_EQ(0, begin_backup(&self->e));
	check_name_list(_metadata, &self->e, JET_IOC_GET_ATTACH_INFO,
			"attach info", dbs, 2);
	/*
	 * copy set: from the checkpoint at begin to the rolled log; truncate
	 * set: below the checkpoint
	 */
	check_name_list(_metadata, &self->e, JET_IOC_GET_LOG_INFO, "log info",
			copy, 3);
	check_name_list(_metadata, &self->e, JET_IOC_GET_TRUNCATE_LOG_INFO,
			"truncate log info", trunc, 1);
}

TEST_F(leak, empty_name_lists_are_one_nul)
{
	struct jet_attach at = { .instance = self->e.inst, .fd = -1 };
	int i;

	/* no database: nothing to list (a copy set is never empty) */
	for (i = 0; i < 2; i++) {
		at.name = (uintptr_t)self->e.db[i];
		ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_DETACH_DB, &at));
	}
	ASSERT_EQ(0, begin_backup(&self->e));
	check_name_list(_metadata, &self->e, JET_IOC_GET_ATTACH_INFO,
			"empty attach info", NULL, 0);
}

TEST_F(leak, open_file_writes_size_and_fd_and_echoes_the_rest)
{
	struct jet_open_file *o = pat_buf(sizeof(*o)), want;
	int i;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, begin_backup(&self->e));
	for (i = 0; i < 2; i++) {
		uint32_t flags = i ? JET_OPEN_NONBLOCK : 0;

		memset(o, PAT, sizeof(*o) + TAIL);
		o->instance = self->e.inst;
		o->name = (uintptr_t)self->e.db[i];
		o->flags = flags;
		o->size = 0;	/* outputs: zero on input */
		o->fd = 0;
		ASSERT_EQ(0, jt_ioctl(self->e.agent, JET_IOC_OPEN_FILE, o));
		want.instance = self->e.inst;
		want.name = (uintptr_t)self->e.db[i];
		want.size = self->e.db_size[i];
		want.fd = o->fd;
		want.flags = flags;
		EXPECT_LE(0, o->fd);
		EXPECT_EQ(0, fcntl(o->fd, F_GETFD) < 0);
		EXPECT_TRUE(same_bytes(_metadata, "open_file", o, &want,
				       sizeof(want)));
		EXPECT_TRUE(untouched(_metadata, "after open_file", o + 1,
				      TAIL));
		if (o->fd >= 0)
			close(o->fd);
	}
	free(o);
}

TEST_F(leak, lock_range_writes_only_the_handle)
{
	struct jet_lock_range *l = pat_buf(sizeof(*l)), want;
	struct jet_instance_u64 u = { .instance = self->e.inst };

	ASSERT_NE(NULL, l);
	l->instance = self->e.inst;
	l->name = (uintptr_t)self->e.db[0];
	l->offset = 4096;
	l->length = 8192;
	l->lock = 0;	/* an output: zero on input */
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_LOCK_RANGE, l));
	want.instance = self->e.inst;
	want.name = (uintptr_t)self->e.db[0];
	want.offset = 4096;
	want.length = 8192;
	want.lock = l->lock;
	EXPECT_NE(0ull, l->lock);
	EXPECT_NE(PAT64, l->lock);
	EXPECT_TRUE(same_bytes(_metadata, "lock_range", l, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after lock_range", l + 1, TAIL));
	/* it is the real handle */
	u.value = l->lock;
	EXPECT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_UNLOCK_RANGE, &u));
	free(l);
}

/* Copies the copy set (log 2 and 3) and truncates: one event, log 1. */
static void copy_and_truncate(struct __test_metadata *_metadata,
			      struct env *e)
{
	struct jet_instance_op op = { .instance = e->inst };
	unsigned char names[256];
	struct jet_name_list n;
	int i, fd;

	ASSERT_EQ(0, begin_backup(e));
	for (i = 0; i < 2; i++) {
		fd = open_backup_file(e, e->db[i]);
		ASSERT_LE(0, fd);
		ASSERT_EQ((ssize_t)e->db_size[i], drain(fd));
		close(fd);
	}
	ASSERT_EQ(0, name_list(e, JET_IOC_GET_LOG_INFO, names, sizeof(names),
			       &n));
	for (i = 1; i <= NLOGS; i++) {
		fd = open_backup_file(e, i < NLOGS ? e->log[i] : e->rolled);
		ASSERT_LE(0, fd);
		ASSERT_EQ(LOG_SIZE, drain(fd));
		close(fd);
	}
	ASSERT_EQ(0, jt_ioctl(e->agent, JET_IOC_TRUNCATE_LOG, &op));
}

TEST_F(leak, truncate_event_is_written_whole)
{
	struct jet_truncate_event *te = pat_buf(sizeof(*te)), want;

	ASSERT_NE(NULL, te);
	/* none queued: all zero */
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_GET_TRUNCATE_EVENT, te));
	memset(&want, 0, sizeof(want));
	EXPECT_TRUE(same_bytes(_metadata, "no truncate event", te, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after no event", te + 1, TAIL));

	copy_and_truncate(_metadata, &self->e);
	memset(te, PAT, sizeof(*te) + TAIL);
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_GET_TRUNCATE_EVENT, te));
	want.instance = self->e.inst;
	want.first_generation = 1;
	want.last_generation = 1;
	EXPECT_TRUE(same_bytes(_metadata, "truncate event", te, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after truncate event", te + 1,
			      TAIL));

	/* consumed: none again */
	memset(te, PAT, sizeof(*te) + TAIL);
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_GET_TRUNCATE_EVENT, te));
	memset(&want, 0, sizeof(want));
	EXPECT_TRUE(same_bytes(_metadata, "truncate event consumed", te, &want,
			       sizeof(want)));
	free(te);
}

TEST_F(leak, file_info_is_written_whole)
{
	struct jet_file_info *fi = pat_buf(sizeof(*fi)), want;
	unsigned char names[256];
	struct jet_name_list n;
	struct jet_instance_op op = { .instance = self->e.inst };
	int fd;

	ASSERT_NE(NULL, fi);
	ASSERT_EQ(0, begin_backup(&self->e));
	fd = open_backup_file(&self->e, self->e.db[1]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, jt_ioctl(fd, JET_FILE_IOC_INFO, fi));
	memset(&want, 0, sizeof(want));
	want.instance = self->e.inst;
	want.size = DB2_SIZE;
	want.kind = JET_FILE_DATABASE;
	EXPECT_TRUE(same_bytes(_metadata, "file info (database)", fi, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after file info", fi + 1, TAIL));
	close(fd);

	ASSERT_EQ(0, name_list(&self->e, JET_IOC_GET_LOG_INFO, names,
			       sizeof(names), &n));
	fd = open_backup_file(&self->e, self->e.log[2]);
	ASSERT_LE(0, fd);
	memset(fi, PAT, sizeof(*fi) + TAIL);
	ASSERT_EQ(0, jt_ioctl(fd, JET_FILE_IOC_INFO, fi));
	want.size = LOG_SIZE;
	want.generation = 3;
	want.kind = JET_FILE_LOG;
	EXPECT_TRUE(same_bytes(_metadata, "file info (log)", fi, &want,
			       sizeof(want)));
	EXPECT_TRUE(untouched(_metadata, "after file info (log)", fi + 1,
			      TAIL));

	/* stopped: the status is the error, the rest as before */
	ASSERT_EQ(0, jt_ioctl(self->e.owner, JET_IOC_STOP_BACKUP, &op));
	memset(fi, PAT, sizeof(*fi) + TAIL);
	ASSERT_EQ(0, jt_ioctl(fd, JET_FILE_IOC_INFO, fi));
	want.status = -ECANCELED;
	EXPECT_TRUE(same_bytes(_metadata, "file info (stopped)", fi, &want,
			       sizeof(want)));
	close(fd);
	free(fi);
}

/* ---- reads ---- */

TEST_F(leak, backup_reads_write_only_what_they_return)
{
	size_t size = DB1_SIZE, big = DB1_SIZE + 4096;
	unsigned char *buf = pat_buf(big), *src = malloc(size);
	struct iovec iov[2];
	ssize_t n;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	ASSERT_EQ((ssize_t)size, pread(self->e.dbfd[0], src, size, 0));
	ASSERT_EQ(0, begin_backup(&self->e));
	fd = open_backup_file(&self->e, self->e.db[0]);
	ASSERT_LE(0, fd);

	/* more asked than the file has: the file, then the pattern */
	n = pread(fd, buf, big, 0);
	ASSERT_EQ((ssize_t)size, n);
	EXPECT_TRUE(same_bytes(_metadata, "pread", buf, src, size));
	EXPECT_TRUE(untouched(_metadata, "pread past the end", buf + size,
			      big - size + TAIL));

	/* the last bytes only */
	memset(buf, PAT, big + TAIL);
	n = pread(fd, buf, 4096, size - 10);
	ASSERT_EQ(10, n);
	EXPECT_TRUE(same_bytes(_metadata, "short pread", buf, src + size - 10,
			       10));
	EXPECT_TRUE(untouched(_metadata, "short pread", buf + 10, big + TAIL - 10));

	/* at and past the end: nothing */
	memset(buf, PAT, big + TAIL);
	EXPECT_EQ(0, pread(fd, buf, 4096, size));
	EXPECT_EQ(0, pread(fd, buf, 4096, size + 100000));
	EXPECT_TRUE(untouched(_metadata, "pread at the end", buf, big + TAIL));

	/* read(2) and readv(2) split at odd places */
	memset(buf, PAT, big + TAIL);
	ASSERT_EQ(1000, read(fd, buf, 1000));
	iov[0].iov_base = buf + 1000;
	iov[0].iov_len = 333;
	iov[1].iov_base = buf + 2000;
	iov[1].iov_len = big;	/* ends past the file: short */
	n = readv(fd, iov, 2);
	ASSERT_EQ((ssize_t)size - 1000, n);
	EXPECT_TRUE(same_bytes(_metadata, "read", buf, src, 1333));
	EXPECT_TRUE(untouched(_metadata, "between iovecs", buf + 1333,
			      2000 - 1333));
	EXPECT_TRUE(same_bytes(_metadata, "readv", buf + 2000, src + 1333,
			       size - 1333));
	EXPECT_TRUE(untouched(_metadata, "readv past the end",
			      buf + 2000 + size - 1333,
			      big + TAIL - (2000 + size - 1333)));
	close(fd);
	free(src);
	free(buf);
}

/* ---- failed calls ---- */

TEST_F(leak, failed_calls_write_nothing)
{
	unsigned char *buf = pat_buf(8192);
	struct jet_get_state *g = pat_buf(sizeof(*g));
	struct jet_open_file *o = pat_buf(sizeof(*o));
	struct jet_lock_range *l = pat_buf(sizeof(*l));
	struct jet_init *in = pat_buf(sizeof(*in));
	struct jet_create *c = pat_buf(sizeof(*c));
	struct jet_name_list *n = pat_buf(sizeof(*n));
	struct jet_list *li = pat_buf(sizeof(*li));
	unsigned char before[256];
	int bfd;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, n);
	ASSERT_NE(NULL, li);

#define FAILS_UNTOUCHED(fd, cmd, p, err) do {				\
	memcpy(before, (p), sizeof(*(p)));				\
	EXPECT_EQ(-(err), jt_ioctl((fd), (cmd), (p))) TH_LOG(#cmd);	\
	EXPECT_TRUE(same_bytes(_metadata, #cmd " (failed)", (p),	\
			       before, sizeof(*(p))));			\
	EXPECT_TRUE(untouched(_metadata, "after " #cmd, (p) + 1, TAIL)); \
} while (0)

	/* an unknown handle */
	g->instance = 0xfffffff0ull;
	memset(&g->state, 0, sizeof(g->state));
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_GET_STATE, g, EINVAL);

	/* no backup yet */
	o->instance = self->e.inst;
	o->name = (uintptr_t)self->e.db[0];
	o->flags = 0;
	o->size = 0;
	o->fd = 0;
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_OPEN_FILE, o, ESRCH);
	n->instance = self->e.inst;
	n->buf = (uintptr_t)buf;
	n->buf_size = 8192;
	n->size = 0;
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_GET_ATTACH_INFO, n, ESRCH);

	/* not a database of the instance */
	l->instance = self->e.inst;
	l->name = (uintptr_t)self->e.log[0];
	l->offset = 0;
	l->length = 1;
	l->lock = 0;
	FAILS_UNTOUCHED(self->e.owner, JET_IOC_LOCK_RANGE, l, ENXIO);

	/* already initialised */
	in->instance = self->e.inst;
	in->flags = 0;
	in->padding = 0;
	FAILS_UNTOUCHED(self->e.owner, JET_IOC_INIT, in, EALREADY);
	FAILS_UNTOUCHED(self->e.one, JET_IOC_INIT, in, EALREADY);

	/* OneInst cannot create */
	c->name = 0;
	c->display_name = 0;
	c->grbit = 0;
	c->padding = 0;
	c->instance = 0;
	FAILS_UNTOUCHED(self->e.one, JET_IOC_CREATE_INSTANCE, c, EISCONN);

	/* a listing into unmapped memory */
	li->buf = (uintptr_t)MAP_FAILED;
	li->buf_size = 65536;
	li->flags = 0;
	li->start = 0;
	li->next = 0;
	li->count = 0;
	li->size = 0;
	FAILS_UNTOUCHED(self->e.owner, JET_IOC_LIST_INSTANCES, li, EFAULT);

	/* the backup's calls out of sequence */
	ASSERT_EQ(0, begin_backup(&self->e));
	o->name = (uintptr_t)self->e.log[1];
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_OPEN_FILE, o, ENXIO);
	bfd = open_backup_file(&self->e, self->e.db[0]);
	ASSERT_LE(0, bfd);
	memset(buf, PAT, 8192 + TAIL);
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_GET_LOG_INFO, n, EPROTO);
	EXPECT_TRUE(untouched(_metadata, "names of a failed call", buf,
			      8192 + TAIL));
	close(bfd);
	ASSERT_EQ(0, jt_ioctl(self->e.agent, JET_IOC_GET_LOG_INFO, n));
	n->size = 0;	/* the call above wrote it */
	memset(buf, PAT, 8192 + TAIL);
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_GET_ATTACH_INFO, n, EPROTO);
	EXPECT_TRUE(untouched(_metadata, "names of a failed call", buf,
			      8192 + TAIL));
	o->name = (uintptr_t)self->e.db[0];
	FAILS_UNTOUCHED(self->e.agent, JET_IOC_OPEN_FILE, o, EPROTO);
#undef FAILS_UNTOUCHED

	free(buf);
	free(g);
	free(o);
	free(l);
	free(in);
	free(c);
	free(n);
	free(li);
}

TEST_HARNESS_MAIN
