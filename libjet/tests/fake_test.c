// SPDX-License-Identifier: MIT
/*
 * fake_test - libjet against a fake /dev/jet, to prove what libjet itself
 * does with the kernel's answers: handles written back, the descriptors it
 * hands over and closes, the JetGetInstanceInfo block, the list retry, the
 * session and backup-handle tables, 64-bit file sizes, EINTR retries, the
 * Close rule after StopService, fork and threads.
 *
 * Linked with -Wl,--wrap=open,--wrap=ioctl: open("/dev/jet") gives a
 * descriptor of /dev/null, and ioctls on it (and on the fake backup files,
 * memfds) are answered here. This is not the module's behaviour; the
 * selftests check that against the real module.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "tests/check.h"

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long cmd, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_ioctl(int fd, unsigned long cmd, ...);

/* ---- the fake kernel ---- */

#define MAX_INST	8
#define MAX_DBS		4
#define MAX_FDS		1024

struct fake_inst {
	__u64 id;
	char name[64];			/* "" for none */
	bool initialized;
	int ndbs;
	char dbs[MAX_DBS][64];
};

static pthread_mutex_t fk_lock = PTHREAD_MUTEX_INITIALIZER;
static bool fk_missing;			/* open("/dev/jet") fails ENOENT */
static __u32 fk_abi = JET_ABI_VERSION;
static int fk_opens;			/* successful opens of /dev/jet */
static bool fk_dev[MAX_FDS];		/* fds that are "/dev/jet" */
static int fk_bfile_status[MAX_FDS];	/* fake backup files: their status */
static bool fk_bfile[MAX_FDS];
static ino_t fk_bfile_ino[MAX_FDS];	/* their memfd: dups share it */
static struct fake_inst fk_inst[MAX_INST];
static int fk_ninst;
static __u64 fk_next_id = 100;
static int fk_eintr;			/* fail this many ioctls with EINTR */
static int fk_grow_list;		/* add an instance after a size query */
static __u32 fk_last_init_flags;
static int fk_attach_fd = -1;		/* the fd ATTACH_DB got */
static bool fk_attach_fd_regular;
static struct jet_truncate_event fk_event;
static unsigned long fk_calls;		/* ioctls on /dev/jet */

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, "/dev/jet"))
		return __real_open(path, flags, mode);
	if (fk_missing) {
		errno = ENOENT;
		return -1;
	}
	fd = __real_open("/dev/null", flags);
	if (fd >= 0 && fd < MAX_FDS) {
		pthread_mutex_lock(&fk_lock);
		fk_dev[fd] = true;
		fk_opens++;
		pthread_mutex_unlock(&fk_lock);
	}
	return fd;
}

static ino_t fk_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* the fake backup file fd is (or is a dup of): its first fd, or -1 */
static int fk_bfile_of(int fd)
{
	ino_t ino = fk_ino(fd);
	int i;

	for (i = 0; ino && i < MAX_FDS; i++)
		if (fk_bfile[i] && fk_bfile_ino[i] == ino)
			return i;
	return -1;
}

static struct fake_inst *fk_find(__u64 id)
{
	int i;

	for (i = 0; i < fk_ninst; i++)
		if (fk_inst[i].id == id)
			return &fk_inst[i];
	return NULL;
}

static struct fake_inst *fk_add(const char *name)
{
	struct fake_inst *fi = &fk_inst[fk_ninst++];

	memset(fi, 0, sizeof(*fi));
	fi->id = fk_next_id++;
	snprintf(fi->name, sizeof(fi->name), "%s", name ? name : "");
	return fi;
}

static void fk_remove(struct fake_inst *fi)
{
	*fi = fk_inst[--fk_ninst];
}

static size_t fk_list(char *buf, size_t cap, __u32 *count)
{
	size_t off = 0;
	int i, j;

	*count = 0;
	for (i = 0; i < fk_ninst; i++) {
		struct fake_inst *fi = &fk_inst[i];
		struct jet_instance_record r = { 0 };
		char *p;

		r.name_size = strlen(fi->name) + 1;
		r.display_size = 1;
		for (j = 0; j < fi->ndbs; j++)
			r.dbs_size += strlen(fi->dbs[j]) + 1;
		r.record_size = (sizeof(r) + r.name_size + r.display_size +
				 r.dbs_size + 7) & ~7U;
		r.state.instance = fi->id;
		r.state.db_count = fi->ndbs;
		r.state.flags = JET_STATE_MINE |
				(fi->initialized ? JET_STATE_INITIALIZED : 0);
		if (buf && off + r.record_size <= cap) {
			memset(buf + off, 0, r.record_size);
			memcpy(buf + off, &r, sizeof(r));
			p = buf + off + sizeof(r);
			memcpy(p, fi->name, r.name_size);
			p += r.name_size + 1;
			for (j = 0; j < fi->ndbs; j++) {
				strcpy(p, fi->dbs[j]);
				p += strlen(p) + 1;
			}
		}
		off += r.record_size;
		(*count)++;
	}
	return off;
}

static int fk_names(struct jet_name_list *nl, struct fake_inst *fi)
{
	char tmp[MAX_DBS * 64 + 1];
	size_t n = 0;
	int j;

	for (j = 0; j < fi->ndbs; j++) {
		strcpy(tmp + n, fi->dbs[j]);
		n += strlen(fi->dbs[j]) + 1;
	}
	tmp[n++] = 0;
	nl->size = n;
	if (nl->buf_size < n)
		return -ENOBUFS;
	memcpy((void *)(uintptr_t)nl->buf, tmp, n);
	return 0;
}

/* one command on the fake /dev/jet: 0 or -errno */
static int fk_dev_ioctl(unsigned long cmd, void *arg)
{
	struct fake_inst *fi;

	fk_calls++;
	if (fk_eintr > 0) {
		fk_eintr--;
		return -EINTR;
	}
	switch (cmd) {
	case JET_IOC_QUERY: {
		struct jet_query *q = arg;

		memset(q, 0, sizeof(*q));
		q->abi_version = fk_abi;
		return 0;
	}
	case JET_IOC_ENABLE_MULTI:
		return 0;
	case JET_IOC_CREATE_INSTANCE: {
		struct jet_create *c = arg;
		const char *name = (const char *)(uintptr_t)c->name;
		int i;

		if (c->grbit || fk_ninst == MAX_INST)
			return c->grbit ? -EINVAL : -ENOSPC;
		for (i = 0; name && *name && i < fk_ninst; i++)
			if (!strcmp(fk_inst[i].name, name))
				return -ENOTUNIQ;
		c->instance = fk_add(name)->id;
		return 0;
	}
	case JET_IOC_INIT: {
		struct jet_init *in = arg;

		fk_last_init_flags = in->flags;
		if (in->flags & JET_INIT_NO_HANDLE) {
			fi = fk_add(NULL);
		} else {
			fi = fk_find(in->instance);
			if (!fi)
				return -EINVAL;
		}
		if (fi->initialized)
			return -EALREADY;
		fi->initialized = true;
		in->instance = fi->id;
		return 0;
	}
	case JET_IOC_TERM: {
		struct jet_term *t = arg;

		if (t->instance == 4242)
			return -ESHUTDOWN;
		fi = fk_find(t->instance);
		if (!fi)
			return -EINVAL;
		fk_remove(fi);
		return 0;
	}
	case JET_IOC_GET_STATE: {
		struct jet_get_state *gs = arg;

		fi = fk_find(gs->instance);
		if (!fi)
			return -EINVAL;
		memset(&gs->state, 0, sizeof(gs->state));
		gs->state.instance = fi->id;
		gs->state.flags = JET_STATE_MINE |
				  (fi->initialized ? JET_STATE_INITIALIZED : 0);
		gs->state.db_count = fi->ndbs;
		gs->state.bytes_read = 1ULL << 40;
		gs->state.owner_pid = 1234;
		return 0;
	}
	case JET_IOC_LIST_INSTANCES: {
		struct jet_list *l = arg;
		__u32 count;
		size_t need = fk_list(NULL, 0, &count);

		l->size = need;
		if (need > l->buf_size)
			return -ENOBUFS;
		/* it fits, but grows beyond the buffer before the copy */
		if (fk_grow_list > 0) {
			fk_grow_list--;
			fk_add("grown");
			l->size = l->buf_size + 1;
			return -ENOBUFS;
		}
		fk_list((char *)(uintptr_t)l->buf, l->buf_size, &count);
		l->count = count;
		return 0;
	}
	case JET_IOC_ATTACH_DB: {
		struct jet_attach *a = arg;
		const char *name = (const char *)(uintptr_t)a->name;
		struct stat st;

		fi = fk_find(a->instance);
		if (!fi || a->fd < 0)
			return -EINVAL;
		fk_attach_fd = a->fd;
		fk_attach_fd_regular = fstat(a->fd, &st) == 0 &&
				       S_ISREG(st.st_mode) &&
				       !(fcntl(a->fd, F_GETFL) & O_NONBLOCK);
		if (fi->ndbs == MAX_DBS)
			return -ENOSPC;
		snprintf(fi->dbs[fi->ndbs++], 64, "%s", name);
		return 0;
	}
	case JET_IOC_DETACH_DB: {
		struct jet_attach *a = arg;
		const char *name = (const char *)(uintptr_t)a->name;
		int j;

		fi = fk_find(a->instance);
		if (!fi || a->fd != -1)
			return -EINVAL;
		for (j = 0; j < fi->ndbs; j++) {
			if (!strcmp(fi->dbs[j], name)) {
				memmove(fi->dbs[j], fi->dbs[j + 1],
					(fi->ndbs - j - 1) * 64);
				fi->ndbs--;
				return 0;
			}
		}
		return -ENXIO;
	}
	case JET_IOC_GET_ATTACH_INFO:
	case JET_IOC_GET_LOG_INFO: {
		struct jet_name_list *nl = arg;

		fi = fk_find(nl->instance);
		return fi ? fk_names(nl, fi) : -EINVAL;
	}
	case JET_IOC_OPEN_FILE: {
		struct jet_open_file *of = arg;
		int fd;

		if (!fk_find(of->instance))
			return -EINVAL;
		fd = memfd_create("jet-bfile", MFD_CLOEXEC);
		if (fd < 0 || fd >= MAX_FDS)
			return -EMFILE;
		/* a sparse 5 GiB + 3 file that starts with "jet" */
		if (pwrite(fd, "jet", 3, 0) != 3 ||
		    ftruncate(fd, (5LL << 30) + 3) < 0)
			return -EIO;
		fk_bfile[fd] = true;
		fk_bfile_status[fd] = 0;
		fk_bfile_ino[fd] = fk_ino(fd);
		of->fd = fd;
		of->size = (5ULL << 30) + 3;
		return 0;
	}
	case JET_IOC_STOP_SERVICE: {
		struct jet_instance_op *op = arg;
		int i;

		if (op->flags == JET_OP_LEGACY)
			return -EMLINK;
		for (i = 0; i < MAX_FDS; i++)
			if (fk_bfile[i])
				fk_bfile_status[i] = -ECONNABORTED;
		return 0;
	}
	case JET_IOC_GET_TRUNCATE_EVENT:
		memcpy(arg, &fk_event, sizeof(fk_event));
		memset(&fk_event, 0, sizeof(fk_event));
		return 0;
	default:
		return -ENOTTY;
	}
}

int __wrap_ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;
	int ret, bf;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd >= MAX_FDS)
		return __real_ioctl(fd, cmd, arg);
	pthread_mutex_lock(&fk_lock);
	bf = fk_dev[fd] ? -1 : fk_bfile_of(fd);
	if (!fk_dev[fd] && bf < 0) {
		pthread_mutex_unlock(&fk_lock);
		return __real_ioctl(fd, cmd, arg);
	}
	if (fk_dev[fd]) {
		ret = fk_dev_ioctl(cmd, arg);
	} else if (cmd == JET_FILE_IOC_INFO) {
		struct jet_file_info *info = arg;

		memset(info, 0, sizeof(*info));
		info->status = fk_bfile_status[bf];
		ret = 0;
	} else if (cmd == JET_FILE_IOC_ID) {
		struct jet_file_id *fid = arg;

		fid->id = fk_bfile_ino[bf];
		ret = 0;
	} else {
		ret = -ENOTTY;
	}
	pthread_mutex_unlock(&fk_lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/* ---- the tests ---- */

static char dbpath[] = "/tmp/jet-fake-db-XXXXXX";

static void device_open_rules(void)
{
	JET_INSTANCE inst;
	int fd, fd2;

	fk_missing = true;
	CHECK_ERR(JetCreateInstance(&inst, "m"), JET_errFeatureNotAvailable);
	fk_missing = false;
	/* an older module lacks what this libjet needs */
	fk_abi = JET_ABI_VERSION - 1;
	CHECK_ERR(JetGetNotificationFd(&fd), JET_errFeatureNotAvailable);
	/* and says so, with both versions, where a user will read it */
	CHECK(strstr(JetErrorText(JET_errFeatureNotAvailable),
		     "the jet module and libjet do not match") != NULL);
	/* a failed open is not remembered; a newer module serves us */
	fk_abi = JET_ABI_VERSION + 1;
	fk_opens = 0;
	CHECK_ERR(JetGetNotificationFd(&fd), JET_errSuccess);
	CHECK(fd >= 0 && fk_dev[fd]);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* a module that matches: the usual text again */
	CHECK(strstr(JetErrorText(JET_errFeatureNotAvailable),
		     "do not match") == NULL);
	CHECK_ERR(JetGetNotificationFd(&fd2), JET_errSuccess);
	CHECK(fd2 == fd && fk_opens == 1);
}

static void instances(void)
{
	JET_SETSYSPARAM params[2] = { { 1, 2, NULL, -1 }, { 3, 4, "x", -1 } };
	JET_INSTANCE a = 0, b = 0, c = 0;
	JET_INSTANCE_STATE st;
	unsigned long n = 0;

	CHECK_ERR(JetEnableMultiInstance(params, 2, &n), JET_errSuccess);
	CHECK(n == 2 && params[0].err == 0 && params[1].err == 0);
	CHECK_ERR(JetCreateInstance(&a, "alpha"), JET_errSuccess);
	CHECK(a >= 100);
	CHECK_ERR(JetCreateInstance(&b, "alpha"), JET_errInstanceNameInUse);
	CHECK(b == 0);
	CHECK_ERR(JetCreateInstance2(&b, "", "display", 0), JET_errSuccess);
	CHECK(b != 0 && b != a);
	fk_eintr = 2;		/* retried, not returned */
	CHECK_ERR(JetInit(&a), JET_errSuccess);
	CHECK(fk_last_init_flags == 0);
	CHECK_ERR(JetInit(&a), JET_errAlreadyInitialized);
	CHECK_ERR(JetInit(NULL), JET_errSuccess);
	CHECK(fk_last_init_flags == JET_INIT_NO_HANDLE);
	/* the handle is written back */
	CHECK_ERR(JetInit(&c), JET_errInvalidParameter);
	c = b;
	CHECK_ERR(JetInit2(&c, 0), JET_errSuccess);
	CHECK(c == b);
	CHECK_ERR(JetTerm(4242), JET_errTermInProgress);
	CHECK_ERR(JetTerm2(9999, JET_bitTermComplete), JET_errInvalidParameter);

	CHECK_ERR(JetGetInstanceStateInstance(a, &st), JET_errSuccess);
	CHECK(st.instance == a && st.bytes_read == 1ULL << 40 &&
	      st.owner_pid == 1234 &&
	      (st.flags & JET_INSTANCE_STATE_INITIALIZED) &&
	      (st.flags & JET_INSTANCE_STATE_MINE));
}

static void sessions_and_databases(void)
{
	JET_INSTANCE a = fk_inst[0].id, un;
	JET_SESID s1 = 0, s2 = 0;
	int fd;

	/* not initialised yet */
	CHECK_ERR(JetCreateInstance(&un, "uninit"), JET_errSuccess);
	CHECK_ERR(JetBeginSession(un, &s1, NULL, NULL), JET_errNotInitialized);
	CHECK_ERR(JetTerm(un), JET_errSuccess);

	CHECK_ERR(JetBeginSession(a, &s1, "user", "pw"), JET_errSuccess);
	CHECK_ERR(JetBeginSession(a, &s2, NULL, NULL), JET_errSuccess);
	CHECK(s1 && s2 && s1 != s2);
	CHECK_ERR(JetBeginSession(777, &s2, NULL, NULL),
		  JET_errInvalidParameter);

	fd = mkstemp(dbpath);
	CHECK(fd >= 0 && write(fd, "db", 2) == 2);
	close(fd);
	CHECK_ERR(JetAttachDatabase(s1, dbpath, JET_bitDbReadOnly),
		  JET_errSuccess);
	/* a regular, blocking, read-only file; closed again after */
	CHECK(fk_attach_fd_regular);
	CHECK(fcntl(fk_attach_fd, F_GETFD) == -1 && errno == EBADF);
	CHECK_ERR(JetAttachDatabase(s1, "/nonexistent/jet.edb", 0),
		  JET_errFileNotFound);
	CHECK_ERR(JetAttachDatabase(s1, "/tmp", 0), JET_errInvalidPath);
	CHECK_ERR(JetAttachDatabase(s2, "/etc/passwd", 0), JET_errSuccess);
	CHECK(fk_inst[0].ndbs == 2);
	CHECK_ERR(JetDetachDatabase(s1, "/not/attached"),
		  JET_errDatabaseNotFound);
	CHECK_ERR(JetDetachDatabase(s1, "/etc/passwd"), JET_errSuccess);
	CHECK(fk_inst[0].ndbs == 1);
	CHECK_ERR(JetAttachDatabase(s1, "/etc/passwd", 0), JET_errSuccess);
	/* NULL or "": all of them */
	CHECK_ERR(JetDetachDatabase(s1, ""), JET_errSuccess);
	CHECK(fk_inst[0].ndbs == 0);
	CHECK_ERR(JetAttachDatabase(s1, dbpath, 0), JET_errSuccess);

	CHECK_ERR(JetEndSession(s2, 0), JET_errSuccess);
	CHECK_ERR(JetEndSession(s2, 0), JET_errInvalidParameter);
	CHECK_ERR(JetAttachDatabase(s2, dbpath, 0), JET_errInvalidParameter);
	CHECK_ERR(JetEndSession(s1, 0), JET_errSuccess);
}

static void term_ends_sessions(void)
{
	JET_INSTANCE t = 0;
	JET_SESID s;

	CHECK_ERR(JetCreateInstance(&t, "short-lived"), JET_errSuccess);
	CHECK_ERR(JetInit(&t), JET_errSuccess);
	CHECK_ERR(JetBeginSession(t, &s, NULL, NULL), JET_errSuccess);
	CHECK_ERR(JetTerm2(t, JET_bitTermComplete), JET_errSuccess);
	CHECK_ERR(JetEndSession(s, 0), JET_errInvalidParameter);
}

static JET_ERR roll_cb(JET_INSTANCE inst, unsigned long above, void *ctx)
{
	(void)inst;
	(void)above;
	(void)ctx;
	return JET_errSuccess;
}

/* JetTerm drops the instance's roll callback: none is left behind */
static void term_drops_roll_callback(void)
{
	JET_INSTANCE t = 0;

	CHECK(!libjet_roll_callbacks());
	CHECK_ERR(JetCreateInstance(&t, "rolling"), JET_errSuccess);
	CHECK_ERR(JetInit(&t), JET_errSuccess);
	CHECK_ERR(JetSetLogRollCallbackInstance(t, roll_cb, NULL),
		  JET_errSuccess);
	CHECK(libjet_roll_callbacks());
	CHECK_ERR(JetTerm(t), JET_errSuccess);
	CHECK(!libjet_roll_callbacks());
}

static void instance_info(void)
{
	JET_INSTANCE_INFO *info = NULL;
	unsigned long n = 0, i;
	int seen = 0;

	fk_grow_list = 2;	/* the list grows while libjet sizes it */
	CHECK_ERR(JetGetInstanceInfo(&n, &info), JET_errSuccess);
	CHECK(n == (unsigned long)fk_ninst && info != NULL);
	for (i = 0; info && i < n; i++) {
		JET_INSTANCE_INFO *ii = &info[i];

		if (ii->hInstanceId == fk_inst[0].id) {
			seen++;
			CHECK_STR(ii->szInstanceName, "alpha");
			CHECK(ii->cDatabases == 1);
			CHECK_STR(ii->szDatabaseFileName[0], dbpath);
			CHECK_STR(ii->szDatabaseDisplayName[0], dbpath);
			CHECK(ii->szDatabaseSLVFileName_Obsolete[0] == NULL);
		} else if (ii->szInstanceName == NULL) {
			seen += 10;
			CHECK(ii->cDatabases == 0 &&
			      ii->szDatabaseFileName == NULL);
		} else if (!strcmp(ii->szInstanceName, "grown")) {
			seen += 100;
		}
	}
	CHECK(seen == 1 + 2 * 10 + 2 * 100);
	CHECK_ERR(JetFreeBuffer((char *)info), JET_errSuccess);
}

static void no_instances(void)
{
	JET_INSTANCE_INFO *info = (JET_INSTANCE_INFO *)&info;
	int saved = fk_ninst;
	unsigned long n = 5;

	fk_ninst = 0;
	CHECK_ERR(JetGetInstanceInfo(&n, &info), JET_errSuccess);
	CHECK(n == 0 && info == NULL);
	fk_ninst = saved;
}

static void backup_files(void)
{
	JET_INSTANCE a = fk_inst[0].id;
	unsigned long lo = 0, hi = 0, got = 99, need = 0;
	JET_HANDLE h, h2;
	char buf[64];

	/* the size probe succeeds, as ESE's ANSI calls */
	CHECK_ERR(JetGetAttachInfoInstance(a, NULL, 0, &need),
		  JET_errSuccess);
	CHECK(need == strlen(dbpath) + 2);
	CHECK_ERR(JetGetAttachInfoInstance(a, buf, need - 1, NULL),
		  JET_errBufferTooSmall);
	CHECK_ERR(JetGetAttachInfoInstance(a, buf, need, &got),
		  JET_errSuccess);
	CHECK(got == need && !strcmp(buf, dbpath) && buf[need - 1] == 0);

	CHECK_ERR(JetOpenFileInstance(a, dbpath, &h, &lo, &hi),
		  JET_errSuccess);
	CHECK(lo == 3 + ((5UL << 30) & 0xffffffffUL) && hi == 1);
	CHECK_ERR(JetReadFileInstance(a + 1, h, buf, 3, &got),
		  JET_errInvalidParameter);
	CHECK_ERR(JetReadFileInstance(a, h, buf, 3, &got), JET_errSuccess);
	CHECK(got == 3 && !memcmp(buf, "jet", 3));
	CHECK_ERR(JetReadFileInstance(a, h, buf, 0, NULL), JET_errSuccess);
	CHECK_ERR(JetCloseFileInstance(a + 1, h), JET_errInvalidParameter);

	/* after StopService(All) Close fails and the file stays open */
	CHECK_ERR(JetOpenFileInstance(a, dbpath, &h2, &lo, &hi),
		  JET_errSuccess);
	CHECK_ERR(JetStopServiceInstance(a), JET_errSuccess);
	CHECK_ERR(JetCloseFileInstance(a, h2),
		  JET_errClientRequestToStopJetService);
	CHECK(fcntl((int)h2, F_GETFD) != -1);
	fk_bfile_status[h] = fk_bfile_status[h2] = -ECANCELED;
	CHECK_ERR(JetCloseFileInstance(a, h), JET_errSuccess);
	CHECK(fcntl((int)h, F_GETFD) == -1);
	fk_bfile[h] = false;
	CHECK_ERR(JetCloseFileInstance(a, h), JET_errInvalidParameter);
	CHECK_ERR(JetCloseFileInstance(a, h2), JET_errSuccess);
	fk_bfile[h2] = false;
	CHECK_ERR(JetStopService(), JET_errRunningInMultiInstanceMode);
}

static void truncation_events(void)
{
	unsigned long first = 9, last = 9;
	JET_INSTANCE inst = 9;

	CHECK_ERR(JetGetLogTruncationEvent(&inst, &first, &last),
		  JET_errSuccess);
	CHECK(inst == 0);
	fk_event.instance = 101;
	fk_event.first_generation = 3;
	fk_event.last_generation = 7;
	CHECK_ERR(JetGetLogTruncationEvent(&inst, &first, &last),
		  JET_errSuccess);
	CHECK(inst == 101 && first == 3 && last == 7);
}

/* the child neither keeps nor uses the parent's /dev/jet descriptor */
static void fork_gets_own_context(void)
{
	int pfd, cfd, status;
	pid_t pid;

	CHECK_ERR(JetGetNotificationFd(&pfd), JET_errSuccess);
	pid = fork();
	if (pid == 0) {
		int ok = fcntl(pfd, F_GETFD) == -1 &&
			 JetGetNotificationFd(&cfd) == JET_errSuccess &&
			 fk_opens == 2;

		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_ERR(JetGetNotificationFd(&cfd), JET_errSuccess);
	CHECK(cfd == pfd && fk_opens == 1);
}

/* many threads on the session and handle tables */
static void *hammer(void *arg)
{
	JET_INSTANCE a = *(JET_INSTANCE *)arg;
	unsigned long lo, hi, got;
	long bad = 0;
	JET_HANDLE h;
	JET_SESID s;
	char c[3];
	int i;

	for (i = 0; i < 300; i++) {
		bad += JetBeginSession(a, &s, NULL, NULL) != 0;
		bad += JetOpenFileInstance(a, dbpath, &h, &lo, &hi) != 0;
		bad += JetReadFileInstance(a, h, c, 3, &got) != 0 || got != 3;
		bad += JetCloseFileInstance(a, h) != 0;
		bad += JetEndSession(s, 0) != 0;
	}
	return (void *)bad;
}

static void threads(void)
{
	JET_INSTANCE a = fk_inst[0].id;
	pthread_t t[8];
	void *bad;
	long total = 0;
	int i;

	for (i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, hammer, &a) == 0);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], &bad);
		total += (long)bad;
	}
	CHECK(total == 0);
}

int main(void)
{
	device_open_rules();
	instances();
	sessions_and_databases();
	term_ends_sessions();
	term_drops_roll_callback();
	instance_info();
	no_instances();
	backup_files();
	truncation_events();
	fork_gets_own_context();
	threads();
	unlink(dbpath);
	return check_done("fake_test");
}
