// SPDX-License-Identifier: MIT
/*
 * fakejet.c - the libjet calls jetctl makes, over plain files, so jetctl's
 * backup, verify and abort paths run on a host without the module.
 *
 * Instances: "fake" (id 7) whose databases are $FAKEJET_DIR/ *.edb and whose
 * logs are $FAKEJET_DIR/ *.log, "42" (id 8) and an unnamed one (id 42), to
 * test resolving names and ids. Handles are real descriptors of the files,
 * so sendfile(2) works on them as on jet's.
 *
 * Knobs (environment):
 *   FAKEJET_DIR       the files of instance "fake"
 *   FAKEJET_CALLS     a file that gets one line per backup call made
 *   FAKEJET_STOP_AT   N: the server stops the backup when the Nth file is
 *                     opened: its handle cannot be read by sendfile, and
 *                     JetReadFileInstance fails with JET_errBackupAbortByServer
 *   FAKEJET_STOP_ERR  the error of that stop (default -801)
 *   FAKEJET_SLOW_MS   each JetReadFileInstance sleeps this long and returns
 *                     at most 64 KiB (for interrupt tests)
 *   FAKEJET_NO_DEVICE every call fails as without /dev/jet
 */
#include <dirent.h>
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

#include "jet.h"

#define FAKE_ID		7

static struct {
	bool begun, stopped, incremental, log_phase, truncated;
	unsigned int opened;
	unsigned long long bytes_read;
	JET_HANDLE stopped_fd;
} fk;

static void call_log(const char *fmt, ...)
{
	const char *path = getenv("FAKEJET_CALLS");
	va_list ap;
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static JET_ERR no_device(void)
{
	return getenv("FAKEJET_NO_DEVICE") ? JET_errFeatureNotAvailable : 0;
}

static JET_ERR stop_err(void)
{
	const char *s = getenv("FAKEJET_STOP_ERR");

	return s ? strtol(s, NULL, 10) : JET_errBackupAbortByServer;
}

static const char *dir(void)
{
	const char *d = getenv("FAKEJET_DIR");

	return d ? d : ".";
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static const char *suffix;

static int has_suffix(const struct dirent *de)
{
	size_t n = strlen(de->d_name), s = strlen(suffix);

	return n > s && !strcmp(de->d_name + n - s, suffix);
}

/* the full paths of DIR/ *SUFFIX as a NUL-separated list with a final NUL */
static size_t file_list(const char *suf, char *buf, size_t size)
{
	struct dirent **de;
	size_t need = 1, len;
	int n, i;

	suffix = suf;
	n = scandir(dir(), &de, has_suffix, by_name);
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		len = strlen(dir()) + 1 + strlen(de[i]->d_name) + 1;
		if (buf && need - 1 + len + 1 <= size)
			snprintf(buf + need - 1, len, "%s/%s", dir(),
				 de[i]->d_name);
		need += len;
		free(de[i]);
	}
	free(de);
	if (buf && need <= size)
		buf[need - 1] = '\0';
	return need;
}

static bool in_list(const char *suf, const char *name)
{
	char buf[65536], *p;

	file_list(suf, buf, sizeof(buf));
	for (p = buf; *p; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return true;
	return false;
}

JET_ERR JetGetInstanceInfo(unsigned long *pc, JET_INSTANCE_INFO **pinfo)
{
	size_t dbs_size, ndb = 0, off;
	char *block, *dbs, *p, **names;
	JET_INSTANCE_INFO *in;
	JET_ERR err = no_device();

	if (err)
		return err;
	dbs_size = file_list(".edb", NULL, 0);
	dbs = calloc(1, dbs_size);
	file_list(".edb", dbs, dbs_size);
	for (p = dbs; *p; p += strlen(p) + 1)
		ndb++;
	/* one block: 3 infos, 2 * ndb pointers, names, strings */
	block = calloc(1, 3 * sizeof(*in) + 3 * (ndb + 1) * sizeof(char *) +
			  dbs_size + 16);
	in = (JET_INSTANCE_INFO *)block;
	names = (char **)(block + 3 * sizeof(*in));
	off = 3 * sizeof(*in) + 3 * (ndb + 1) * sizeof(char *);
	memcpy(block + off, dbs, dbs_size);
	p = block + off;
	for (size_t i = 0; i < ndb; i++, p += strlen(p) + 1)
		names[i] = p;
	strcpy(block + off + dbs_size, "fake");
	strcpy(block + off + dbs_size + 5, "42");
	in[0] = (JET_INSTANCE_INFO){ FAKE_ID, block + off + dbs_size, ndb,
				     names, names, names + ndb + 1 };
	in[1] = (JET_INSTANCE_INFO){ 8, block + off + dbs_size + 5, 0, NULL,
				     NULL, NULL };
	in[2] = (JET_INSTANCE_INFO){ 42, NULL, 0, NULL, NULL, NULL };
	free(dbs);
	*pc = 3;
	*pinfo = in;
	return 0;
}

JET_ERR JetFreeBuffer(char *p)
{
	free(p);
	return 0;
}

JET_ERR JetGetInstanceStateInstance(JET_INSTANCE inst, JET_INSTANCE_STATE *st)
{
	JET_ERR err = no_device();

	if (err)
		return err;
	if (inst != FAKE_ID && inst != 8 && inst != 42)
		return JET_errInvalidParameter;
	memset(st, 0, sizeof(*st));
	st->instance = inst;
	st->owner_pid = 4242;
	/* run.sh sets it; 1000 by default */
	st->owner_uid = getenv("FAKEJET_OWNER_UID") ?
			strtoul(getenv("FAKEJET_OWNER_UID"), NULL, 10) : 1000;
	st->flags = JET_INSTANCE_STATE_INITIALIZED;
	if (inst == FAKE_ID && fk.begun) {
		st->flags |= JET_INSTANCE_STATE_BACKUP;
		if (fk.stopped)
			st->flags |= JET_INSTANCE_STATE_BACKUP_STOPPED;
		st->phase = fk.log_phase ? JET_BACKUP_PHASE_LOGS :
					   JET_BACKUP_PHASE_DATABASES;
	}
	if (inst == 8)
		st->flags |= JET_INSTANCE_STATE_PAUSED;
	st->bytes_read = inst == FAKE_ID ? fk.bytes_read : 0;
	return 0;
}

static JET_ERR check(JET_INSTANCE inst)
{
	if (inst != FAKE_ID)
		return JET_errInvalidParameter;
	if (!fk.begun)
		return JET_errNoBackup;
	if (fk.stopped)
		return stop_err();
	return 0;
}

JET_ERR JetBeginExternalBackupInstance(JET_INSTANCE inst, JET_GRBIT grbit)
{
	call_log("begin %lu", (unsigned long)grbit);
	if (inst != FAKE_ID)
		return JET_errInvalidParameter;
	if (grbit & ~(JET_GRBIT)JET_bitBackupIncremental)
		return JET_errInvalidGrbit;
	memset(&fk, 0, sizeof(fk));
	fk.begun = true;
	fk.incremental = grbit;
	fk.log_phase = fk.incremental;
	return 0;
}

static JET_ERR names(const char *suf, void *pv, unsigned long cb,
		     unsigned long *pcb)
{
	size_t need = file_list(suf, pv, cb);

	if (pcb)
		*pcb = need;
	return need > cb ? JET_errBufferTooSmall : 0;
}

JET_ERR JetGetAttachInfoInstance(JET_INSTANCE inst, void *pv,
				 unsigned long cb, unsigned long *pcb)
{
	JET_ERR err = check(inst);

	call_log("attachinfo %lu", cb);
	if (!err && fk.incremental)
		err = JET_errInvalidBackupSequence;
	return err ? err : names(".edb", pv, cb, pcb);
}

JET_ERR JetGetLogInfoInstance(JET_INSTANCE inst, void *pv, unsigned long cb,
			      unsigned long *pcb)
{
	JET_ERR err = check(inst);

	call_log("loginfo %lu", cb);
	fk.log_phase = true;
	return err ? err : names(".log", pv, cb, pcb);
}

JET_ERR JetGetTruncateLogInfoInstance(JET_INSTANCE inst, void *pv,
				      unsigned long cb, unsigned long *pcb)
{
	JET_ERR err = check(inst);

	call_log("truncateinfo %lu", cb);
	return err ? err : names(".old", pv, cb, pcb);
}

JET_ERR JetTruncateLogInstance(JET_INSTANCE inst)
{
	call_log("truncate");
	fk.truncated = true;
	return check(inst);
}

JET_ERR JetOpenFileInstance(JET_INSTANCE inst, const char *name,
			    JET_HANDLE *phf, unsigned long *plo,
			    unsigned long *phi)
{
	const char *at = getenv("FAKEJET_STOP_AT");
	JET_ERR err = check(inst);
	struct stat st;
	int fd;

	call_log("open %s", name);
	if (err)
		return err;
	if (!in_list(fk.log_phase ? ".log" : ".edb", name))
		return fk.log_phase ? JET_errMissingFileToBackup :
				      JET_errDatabaseNotFound;
	fk.opened++;
	if (at && (unsigned int)atoi(at) == fk.opened) {
		/* the stop lands: sendfile cannot read this one */
		fd = open(name, O_WRONLY | O_CLOEXEC);
		fk.stopped = true;
		fk.stopped_fd = (JET_HANDLE)fd;
	} else {
		fd = open(name, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &st))
		return JET_errFileNotFound;
	*phf = (JET_HANDLE)fd;
	*plo = (unsigned long)(st.st_size & 0xffffffff);
	*phi = (unsigned long)((unsigned long long)st.st_size >> 32);
	return 0;
}

JET_ERR JetReadFileInstance(JET_INSTANCE inst, JET_HANDLE hf, void *pv,
			    unsigned long cb, unsigned long *pcb)
{
	const char *slow = getenv("FAKEJET_SLOW_MS");
	JET_ERR err = check(inst);
	ssize_t n;

	if (err)
		return err;
	if (slow) {
		struct timespec ts = { 0, atol(slow) * 1000000L };

		nanosleep(&ts, NULL);
		if (cb > 65536)
			cb = 65536;
	}
	n = read((int)hf, pv, cb);
	if (n < 0)
		return JET_errDiskIO;
	fk.bytes_read += (unsigned long long)n;
	*pcb = (unsigned long)n;
	return 0;
}

JET_ERR JetCloseFileInstance(JET_INSTANCE inst, JET_HANDLE hf)
{
	(void)inst;
	call_log("close");
	close((int)hf);
	return 0;
}

JET_ERR JetEndExternalBackupInstance2(JET_INSTANCE inst, JET_GRBIT grbit)
{
	call_log("end %#lx", (unsigned long)grbit);
	if (inst != FAKE_ID)
		return JET_errInvalidParameter;
	if (!fk.begun)
		return JET_errNoBackup;
	fk.begun = false;
	return 0;
}

JET_ERR JetStopBackupInstance(JET_INSTANCE inst)
{
	call_log("stopbackup %lu", (unsigned long)inst);
	return inst == FAKE_ID || inst == 8 || inst == 42 ? 0 :
	       JET_errInvalidParameter;
}

JET_ERR JetStopServiceInstance2(JET_INSTANCE inst, const JET_GRBIT grbit)
{
	call_log("stopservice %lu %#lx", (unsigned long)inst,
		 (unsigned long)grbit);
	if (inst == 8 && grbit == JET_bitStopServiceResume)
		return JET_errClientRequestToStopJetService;
	return inst == FAKE_ID || inst == 8 || inst == 42 ? 0 :
	       JET_errInvalidParameter;
}

/* OS snapshots: the fake has none ("jetctl snapshot" stops at Prepare) */
JET_ERR JetSetOSSnapshotTimeout(unsigned long ms)
{
	(void)ms;
	return 0;
}

JET_ERR JetOSSnapshotPrepare(JET_OSSNAPID *psnap, const JET_GRBIT grbit)
{
	(void)psnap;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotPrepareInstance(JET_OSSNAPID snap, JET_INSTANCE inst,
				     const JET_GRBIT grbit)
{
	(void)snap;
	(void)inst;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotFreezeA(const JET_OSSNAPID snap, unsigned long *pc,
			     JET_INSTANCE_INFO_A **pinfo,
			     const JET_GRBIT grbit)
{
	(void)snap;
	(void)pc;
	(void)pinfo;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotGetLogInfoInstance2A(const JET_OSSNAPID snap,
					  JET_INSTANCE inst, void *pv,
					  unsigned long cb, unsigned long *pcb,
					  JET_LOGINFO_A *li)
{
	(void)snap;
	(void)inst;
	(void)pv;
	(void)cb;
	(void)pcb;
	(void)li;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotThaw(const JET_OSSNAPID snap, const JET_GRBIT grbit)
{
	(void)snap;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotAbort(const JET_OSSNAPID snap, const JET_GRBIT grbit)
{
	(void)snap;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snap,
					 JET_INSTANCE inst,
					 const JET_GRBIT grbit)
{
	(void)snap;
	(void)inst;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

JET_ERR JetOSSnapshotEnd(const JET_OSSNAPID snap, const JET_GRBIT grbit)
{
	(void)snap;
	(void)grbit;
	return JET_errFeatureNotAvailable;
}

const char *JetErrorName(JET_ERR err)
{
	switch (err) {
	case JET_errBackupAbortByServer:
		return "JET_errBackupAbortByServer";
	case JET_errClientRequestToStopJetService:
		return "JET_errClientRequestToStopJetService";
	case JET_errFeatureNotAvailable:
		return "JET_errFeatureNotAvailable";
	case JET_errInvalidParameter:
		return "JET_errInvalidParameter";
	case JET_errDiskIO:
		return "JET_errDiskIO";
	default:
		return "JET_errUnknown";
	}
}

const char *JetErrorText(JET_ERR err)
{
	(void)err;
	return "fake text";
}
