// SPDX-License-Identifier: MIT
/*
 * backup.c - the backup agent's calls.
 *
 * A backup file handle is the descriptor JET_IOC_OPEN_FILE returned. libjet
 * remembers which instance each handle it opened was opened for, so Read and
 * Close refuse a handle that is not a backup file of that instance (an fd
 * the application owns must never be read or closed by mistake).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(JET_bitBackupIncremental == JET_BACKUP_INCREMENTAL &&
	       JET_bitBackupEndNormal == JET_END_NORMAL &&
	       JET_bitBackupEndAbort == JET_END_ABORT &&
	       JET_bitBackupTruncateDone == JET_END_TRUNCATE_DONE,
	       "backup grbits");

/* ---- the handle table, indexed by fd ---- */

struct jet_bfile_slot {
	JET_INSTANCE instance;
	bool used;
};

static pthread_mutex_t jet_bf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jet_bfile_slot *jet_bf;	/* under jet_bf_lock */
static size_t jet_bf_count;

static JET_ERR jet_bf_add(int fd, JET_INSTANCE instance)
{
	JET_ERR err = JET_errSuccess;
	struct jet_bfile_slot *n;
	size_t count, i;

	pthread_mutex_lock(&jet_bf_lock);
	if ((size_t)fd >= jet_bf_count) {
		count = jet_bf_count ? jet_bf_count : 64;
		while (count <= (size_t)fd)
			count *= 2;
		n = realloc(jet_bf, count * sizeof(*n));
		if (!n) {
			err = JET_errOutOfMemory;
			goto out;
		}
		for (i = jet_bf_count; i < count; i++)
			n[i] = (struct jet_bfile_slot){ 0, false };
		jet_bf = n;
		jet_bf_count = count;
	}
	jet_bf[fd].instance = instance;
	jet_bf[fd].used = true;
out:
	pthread_mutex_unlock(&jet_bf_lock);
	return err;
}

/* the handle as an fd, if libjet opened it for this instance */
static JET_ERR jet_bf_check(JET_INSTANCE instance, JET_HANDLE hf, int *pfd)
{
	bool ok;

	if (hf > INT_MAX)
		return JET_errInvalidParameter;
	pthread_mutex_lock(&jet_bf_lock);
	ok = hf < jet_bf_count && jet_bf[hf].used &&
	     jet_bf[hf].instance == instance;
	pthread_mutex_unlock(&jet_bf_lock);
	*pfd = (int)hf;
	return ok ? JET_errSuccess : JET_errInvalidParameter;
}

/* forget it, unless another thread closed it first: false then */
static bool jet_bf_remove(int fd, JET_INSTANCE instance)
{
	bool ok;

	pthread_mutex_lock(&jet_bf_lock);
	ok = (size_t)fd < jet_bf_count && jet_bf[fd].used &&
	     jet_bf[fd].instance == instance;
	if (ok)
		jet_bf[fd].used = false;
	pthread_mutex_unlock(&jet_bf_lock);
	return ok;
}

/* ---- the calls ---- */

JET_ERR JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit)
{
	struct jet_instance_op op = {
		.instance = instance,
		.grbit = (__u32)grbit,
	};

	if (grbit & ~(JET_GRBIT)JET_BACKUP_ALL)
		return JET_errInvalidGrbit;
	return libjet_ioctl(JET_IOC_BEGIN_BACKUP, &op);
}

/* GetAttachInfo, GetLogInfo, GetTruncateLogInfo */
static JET_ERR jet_name_list(unsigned long cmd, JET_INSTANCE instance,
			     void *pv, unsigned long cbMax,
			     unsigned long *pcbActual)
{
	struct jet_name_list nl = {
		.instance = instance,
		.buf = libjet_uptr(pv),
		/* more than __u32 can say is never needed */
		.buf_size = cbMax > UINT32_MAX ? UINT32_MAX : (__u32)cbMax,
	};
	JET_ERR err;

	if (!pv && cbMax)
		return JET_errInvalidParameter;
	if (!pv)
		nl.buf_size = 0;
	err = libjet_ioctl(cmd, &nl);
	if (pcbActual && (!err || err == JET_errBufferTooSmall))
		*pcbActual = nl.size;
	return err;
}

JET_ERR JetGetAttachInfoInstance(JET_INSTANCE instance, void *pv,
				 unsigned long cbMax, unsigned long *pcbActual)
{
	return jet_name_list(JET_IOC_GET_ATTACH_INFO, instance, pv, cbMax,
			     pcbActual);
}

JET_ERR JetGetLogInfoInstance(JET_INSTANCE instance, void *pv,
			      unsigned long cbMax, unsigned long *pcbActual)
{
	return jet_name_list(JET_IOC_GET_LOG_INFO, instance, pv, cbMax,
			     pcbActual);
}

JET_ERR JetGetTruncateLogInfoInstance(JET_INSTANCE instance, void *pv,
				      unsigned long cbMax,
				      unsigned long *pcbActual)
{
	return jet_name_list(JET_IOC_GET_TRUNCATE_LOG_INFO, instance, pv,
			     cbMax, pcbActual);
}

JET_ERR JetOpenFileInstance(JET_INSTANCE instance, const char *szFileName,
			    JET_HANDLE *phfFile, unsigned long *pulFileSizeLow,
			    unsigned long *pulFileSizeHigh)
{
	struct jet_open_file of = {
		.instance = instance,
		.name = libjet_uptr(szFileName),
	};
	JET_ERR err;

	if (!phfFile || !pulFileSizeLow || !pulFileSizeHigh)
		return JET_errInvalidParameter;
	err = libjet_check_path(szFileName);
	if (err)
		return err;
	err = libjet_ioctl(JET_IOC_OPEN_FILE, &of);
	if (err)
		return err;
	if (of.fd < 0)		/* the kernel broke its word */
		return JET_errDiskIO;
	err = jet_bf_add(of.fd, instance);
	if (err) {
		close(of.fd);
		return err;
	}
	*phfFile = (JET_HANDLE)of.fd;
	*pulFileSizeLow = (unsigned long)(of.size & 0xffffffffUL);
	*pulFileSizeHigh = (unsigned long)(of.size >> 32);
	return JET_errSuccess;
}

JET_ERR JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile,
			    void *pv, unsigned long cb,
			    unsigned long *pcbActual)
{
	JET_ERR err;
	ssize_t n;
	int fd;

	if (pcbActual)
		*pcbActual = 0;
	if (!pv && cb)
		return JET_errInvalidParameter;
	err = jet_bf_check(instance, hfFile, &fd);
	if (err)
		return err;
	if (cb > SSIZE_MAX)
		cb = SSIZE_MAX;
	do {
		n = read(fd, pv, cb);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return libjet_err_from_errno(errno);
	if (pcbActual)
		*pcbActual = (unsigned long)n;
	return JET_errSuccess;
}

JET_ERR JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile)
{
	struct jet_file_info fi = { 0 };
	JET_ERR err;
	int fd, ret;

	err = jet_bf_check(instance, hfFile, &fd);
	if (err)
		return err;
	do {
		ret = ioctl(fd, JET_FILE_IOC_INFO, &fi);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 && (errno == EBADF || errno == ENOTTY)) {
		/* closed behind libjet's back: the number is not ours now */
		jet_bf_remove(fd, instance);
		return JET_errInvalidParameter;
	}
	if (ret < 0)
		return libjet_err_from_errno(errno);
	/* after StopService(All) even Close fails, and the file stays open */
	if (fi.status == -ECONNABORTED)
		return JET_errClientRequestToStopJetService;
	if (!jet_bf_remove(fd, instance))
		return JET_errInvalidParameter;
	close(fd);
	return JET_errSuccess;
}

JET_ERR JetTruncateLogInstance(JET_INSTANCE instance)
{
	struct jet_instance_op op = { .instance = instance };

	return libjet_ioctl(JET_IOC_TRUNCATE_LOG, &op);
}

JET_ERR JetEndExternalBackupInstance(JET_INSTANCE instance)
{
	return JetEndExternalBackupInstance2(instance, JET_bitBackupEndNormal);
}

JET_ERR JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit)
{
	struct jet_instance_op op = {
		.instance = instance,
		.grbit = (__u32)grbit,
	};
	JET_GRBIT how = grbit & (JET_END_NORMAL | JET_END_ABORT);

	if (grbit & ~(JET_GRBIT)JET_END_ALL)
		return JET_errInvalidGrbit;
	if (how != JET_END_NORMAL && how != JET_END_ABORT)
		return JET_errInvalidParameter;
	return libjet_ioctl(JET_IOC_END_BACKUP, &op);
}
