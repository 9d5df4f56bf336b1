/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jet_owner.h - an owner in a child process, for tests whose agent is the
 * test process: a command server on two pipes that creates an instance with
 * a database and logs, and runs owner calls when the test asks. It answers
 * the log roll requests of backups by itself unless told not to
 * (JO_ROLLS_OFF), so a test can also leave a roll unanswered.
 */
#ifndef JET_OWNER_H
#define JET_OWNER_H

#include "jet_test.h"

#define JO_MS		20000	/* longest an owner command may take */
#define JO_LOG_SIZE	20000	/* each log, rolled ones too */

enum jo_op {
	JO_SETUP = 1,	/* path: dir; a: db size; b: logs -> v: instance */
	JO_ADD_LOG,	/* a: generation (its file is made) */
	JO_CHECKPOINT,	/* a: generation */
	JO_THROTTLE,	/* a: bytes per second */
	JO_LOCK,	/* a: offset, b: length -> v: lock */
	JO_UNLOCK,	/* a: lock */
	JO_PAUSE,
	JO_RESUME,
	JO_STOP,
	JO_STOP_SERVICE,
	JO_TERM,	/* JetTerm2(abrupt) */
	JO_TRUNCATE,	/* path: file; a: size (ftruncate) */
	JO_WRITE,	/* path: file; a: offset, b: length, under a lock if db */
	JO_ROLLS_OFF,	/* stop answering roll requests */
	JO_ROLLS_ON,
	JO_ROLL_PENDING,	/* -> v: 1 while a roll request is queued */
	JO_EXIT,
};

struct jo_req {
	int op;
	int pad;
	unsigned long long a, b;
	char path[256];
};

struct jo_rsp {
	long err;
	unsigned long long v;
};

struct jo {
	pid_t pid;
	int req, rsp;
	JET_INSTANCE inst;
	char dir[64];
	char db[128];
	char pattern[128];	/* logs: "<dir>/edb%05lX.log" */
};

/* the path of log generation g */
static inline void jo_log(const struct jo *o, unsigned long g, char *buf,
			  size_t size)
{
	snprintf(buf, size, o->pattern, g);
}

struct jo_state {
	JET_INSTANCE inst;
	JET_SESID ses;
	int rolls_off;
};

static inline long jo_setup(struct jo *o, const struct jo_req *q,
			    struct jo_state *s)
{
	char path[256];
	long err;
	unsigned long g;

	err = JetCreateInstance(&s->inst, NULL);
	if (!err)
		err = JetInit(&s->inst);
	if (!err && q->a) {
		if (jt_make_file(o->db, q->a, 1))
			return JET_errDiskIO;
		err = JetBeginSession(s->inst, &s->ses, NULL, NULL);
		if (!err)
			err = JetAttachDatabase(s->ses, o->db, 0);
	}
	for (g = 1; !err && g <= q->b; g++) {
		jo_log(o, g, path, sizeof(path));
		if (jt_make_file(path, JO_LOG_SIZE, (uint32_t)g))
			return JET_errDiskIO;
		err = JetAddLogFileInstance(s->inst, path, g);
	}
	if (!err && q->b)
		err = JetSetCheckpointInstance(s->inst, 1);
	return err;
}

static inline long jo_write(const struct jo_req *q, struct jo *o,
			    struct jo_state *s)
{
	static char buf[65536];
	JET_HANDLE h = 0;
	long err = 0;
	int fd;

	fd = open(q->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || q->b > sizeof(buf))
		return JET_errDiskIO;
	memset(buf, 0xa5, q->b);
	if (!strcmp(q->path, o->db))
		err = JetLockWriteRangeInstance(s->inst, o->db, q->a, q->b, &h);
	if (!err && pwrite(fd, buf, q->b, q->a) != (ssize_t)q->b)
		err = JET_errDiskIO;
	if (h)
		JetUnlockWriteRangeInstance(s->inst, h);
	close(fd);
	return err;
}

static inline long jo_serve(struct jo *o, const struct jo_req *q,
			    struct jo_rsp *r, struct jo_state *s)
{
	char path[256];
	JET_HANDLE h = 0;
	long err;
	int fd;

	switch (q->op) {
	case JO_SETUP:
		err = jo_setup(o, q, s);
		r->v = s->inst;
		return err;
	case JO_ADD_LOG:
		jo_log(o, q->a, path, sizeof(path));
		if (jt_make_file(path, JO_LOG_SIZE, (uint32_t)q->a))
			return JET_errDiskIO;
		return JetAddLogFileInstance(s->inst, path, q->a);
	case JO_CHECKPOINT:
		return JetSetCheckpointInstance(s->inst, q->a);
	case JO_THROTTLE:
		return JetSetBackupThrottleInstance(s->inst, q->a);
	case JO_LOCK:
		err = JetLockWriteRangeInstance(s->inst, o->db, q->a, q->b, &h);
		r->v = h;
		return err;
	case JO_UNLOCK:
		return JetUnlockWriteRangeInstance(s->inst, q->a);
	case JO_PAUSE:
		return JetPauseBackupInstance(s->inst);
	case JO_RESUME:
		return JetResumeBackupInstance(s->inst);
	case JO_STOP:
		return JetStopBackupInstance(s->inst);
	case JO_STOP_SERVICE:
		return JetStopServiceInstance(s->inst);
	case JO_TERM:
		return JetTerm2(s->inst, JET_bitTermAbrupt);
	case JO_TRUNCATE:
		fd = open(q->path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return JET_errDiskIO;
		err = ftruncate(fd, (off_t)q->a) ? JET_errDiskIO : 0;
		close(fd);
		return err;
	case JO_WRITE:
		return jo_write(q, o, s);
	case JO_ROLLS_OFF:
	case JO_ROLLS_ON:
		s->rolls_off = q->op == JO_ROLLS_OFF;
		return 0;
	case JO_ROLL_PENDING: {
		struct pollfd p = { .events = POLLPRI };

		err = JetGetNotificationFd(&p.fd);
		r->v = !err && poll(&p, 1, 0) == 1;
		return err;
	}
	}
	return JET_errInvalidOperation;
}

static inline void jo_main(struct jo *o, int req, int rsp)
{
	struct pollfd p[2] = {
		{ .fd = req, .events = POLLIN },
		{ .fd = -1, .events = POLLPRI },
	};
	struct jo_state s = { 0 };
	struct jo_req q;
	struct jo_rsp r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (p[1].fd < 0 && s.inst)
			JetGetNotificationFd(&p[1].fd);
		p[1].events = s.rolls_off ? 0 : POLLPRI;
		if (poll(p, 2, -1) < 0)
			continue;
		if (!s.rolls_off && (p[1].revents & POLLPRI))
			jt_answer_rolls(-1, o->pattern, JO_LOG_SIZE);
		if (!p[0].revents)
			continue;
		if (read(req, &q, sizeof(q)) != sizeof(q) || q.op == JO_EXIT)
			break;
		memset(&r, 0, sizeof(r));
		r.err = jo_serve(o, &q, &r, &s);
		if (write(rsp, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

/* One command; the owner's JET error, or 1 when it did not answer. */
static inline long jo_call(struct jo *o, int op, const char *path,
			   unsigned long long a, unsigned long long b,
			   unsigned long long *v)
{
	struct pollfd p = { .fd = o->rsp, .events = POLLIN };
	struct jo_req q = { .op = op, .a = a, .b = b };
	struct jo_rsp r;

	if (path)
		snprintf(q.path, sizeof(q.path), "%s", path);
	if (write(o->req, &q, sizeof(q)) != sizeof(q))
		return 1;
	if (poll(&p, 1, JO_MS) != 1 || read(o->rsp, &r, sizeof(r)) != sizeof(r))
		return 1;
	if (v)
		*v = r.v;
	return r.err;
}

/*
 * Starts an owner with a database of db_size bytes (none if 0) and logs
 * 1..nlogs (checkpoint 1): 0, or -1.
 */
static inline int jo_start(struct jo *o, size_t db_size, unsigned int nlogs)
{
	unsigned long long v = 0;
	int req[2], rsp[2];

	memset(o, 0, sizeof(*o));
	snprintf(o->dir, sizeof(o->dir), "/tmp/jet-jo.XXXXXX");
	if (!mkdtemp(o->dir))
		return -1;
	snprintf(o->db, sizeof(o->db), "%s/main.edb", o->dir);
	snprintf(o->pattern, sizeof(o->pattern), "%s/edb%%05lX.log", o->dir);
	if (pipe2(req, O_CLOEXEC) || pipe2(rsp, O_CLOEXEC))
		return -1;
	fflush(NULL);
	o->pid = fork();
	if (o->pid < 0)
		return -1;
	if (!o->pid) {
		close(req[1]);
		close(rsp[0]);
		jo_main(o, req[0], rsp[1]);
	}
	close(req[0]);
	close(rsp[1]);
	o->req = req[1];
	o->rsp = rsp[0];
	if (jo_call(o, JO_SETUP, NULL, db_size, nlogs, &v))
		return -1;
	o->inst = v;
	return 0;
}

/* Ends the owner (its context's close terms the instance). */
static inline void jo_end(struct jo *o)
{
	if (o->pid > 0) {
		close(o->req);
		close(o->rsp);
		jt_wait_child(o->pid, 5000);
		o->pid = 0;
	}
	jt_rm_tree(o->dir);
}

/* Kills the owner at once, leaving its files. */
static inline void jo_kill(struct jo *o)
{
	if (o->pid <= 0)
		return;
	kill(o->pid, SIGKILL);
	waitpid(o->pid, NULL, 0);
	o->pid = 0;
	close(o->req);
	close(o->rsp);
}

#endif /* JET_OWNER_H */
