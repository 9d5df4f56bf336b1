// SPDX-License-Identifier: MIT
/*
 * backup.c - the backup agent's calls.
 *
 * A backup file handle is the descriptor JET_IOC_OPEN_FILE returned;
 * handles.c keeps what libjet knows of each (its instance, its own
 * duplicate, the kernel's id), so Read and Close never touch a descriptor
 * that is not that backup file. The log lists go through JET_IOC_LOG_LIST,
 * which rolls the log; a process that owns the instance it backs up rolls
 * it with its roll callback (roll.c) between two calls.
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

/* GetAttachInfo */
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
	err = libjet_ioctl(cmd, &nl);
	if (pcbActual && (!err || err == JET_errBufferTooSmall))
		*pcbActual = nl.size;
	/* a NULL buffer of size 0 asks for the size: ESE's ANSI calls */
	if (!pv && err == JET_errBufferTooSmall)
		err = JET_errSuccess;
	return err;
}

JET_ERR JetGetAttachInfoInstance(JET_INSTANCE instance, void *pv,
				 unsigned long cbMax, unsigned long *pcbActual)
{
	return jet_name_list(JET_IOC_GET_ATTACH_INFO, instance, pv, cbMax,
			     pcbActual);
}

/*
 * GetLogInfo, GetTruncateLogInfo: the first one rolls the log. When this
 * process has roll callbacks, it asks not to wait, so that a roll it must
 * answer itself runs its callback here; then it calls again, waiting for
 * anyone else's answer.
 */
static JET_ERR jet_log_list(JET_INSTANCE instance, __u32 flags, void *pv,
			    unsigned long cbMax, unsigned long *pcbActual,
			    struct jet_log_list *out)
{
	struct jet_log_list ll;
	bool ran = false;
	JET_ERR err;

	if (!pv && cbMax)
		return JET_errInvalidParameter;
	if (libjet_roll_callbacks())
		flags |= JET_LOGS_NO_WAIT;
	for (;;) {
		ll = (struct jet_log_list){
			.instance = instance,
			.buf = libjet_uptr(pv),
			.buf_size = cbMax > UINT32_MAX ? UINT32_MAX :
				    (__u32)cbMax,
			.flags = flags,
		};
		err = libjet_ioctl(JET_IOC_LOG_LIST, &ll);
		if (err || !(ll.status & JET_LOGS_ROLL_PENDING))
			break;
		err = libjet_roll_run((JET_INSTANCE)ll.roll_instance,
				      (unsigned long)ll.roll_above, &ran);
		if (err)
			return err;
		flags &= ~JET_LOGS_NO_WAIT;
	}
	if (pcbActual && (!err || err == JET_errBufferTooSmall))
		*pcbActual = ll.size;
	if (out)
		*out = ll;
	return err;
}

JET_ERR JetGetLogInfoInstance(JET_INSTANCE instance, void *pv,
			      unsigned long cbMax, unsigned long *pcbActual)
{
	return jet_log_list(instance, 0, pv, cbMax, pcbActual, NULL);
}

JET_ERR JetGetLogInfoInstance2(JET_INSTANCE instance, void *pv,
			       unsigned long cbMax, unsigned long *pcbActual,
			       JET_LOGINFO *pLogInfo)
{
	struct jet_log_list ll;
	JET_ERR err;

	if (pLogInfo && pLogInfo->cbSize != sizeof(*pLogInfo))
		return JET_errInvalidParameter;
	err = jet_log_list(instance, 0, pv, cbMax, pcbActual, &ll);
	if (!err && pLogInfo) {
		pLogInfo->ulGenLow = (unsigned long)ll.gen_low;
		pLogInfo->ulGenHigh = (unsigned long)ll.gen_high;
		/* jet has no log base name (ESE's JET_paramBaseName) */
		pLogInfo->szBaseName[0] = '\0';
	}
	return err;
}

JET_ERR JetGetTruncateLogInfoInstance(JET_INSTANCE instance, void *pv,
				      unsigned long cbMax,
				      unsigned long *pcbActual)
{
	return jet_log_list(instance, JET_LOGS_TRUNCATE_SET, pv, cbMax,
			    pcbActual, NULL);
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
	err = libjet_handle_add(of.fd, instance);
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
	size_t got = 0;
	JET_ERR err;

	if (pcbActual)
		*pcbActual = 0;
	if (!pv && cb)
		return JET_errInvalidParameter;
	err = libjet_handle_read(instance, hfFile, pv, cb, &got);
	if (!err && pcbActual)
		*pcbActual = (unsigned long)got;
	return err;
}

JET_ERR JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile)
{
	int status = 0;
	JET_ERR err;

	err = libjet_handle_status(instance, hfFile, &status);
	if (err)
		return err;
	/* after StopService(All) even Close fails, and the file stays open */
	if (status == -ECONNABORTED)
		return JET_errClientRequestToStopJetService;
	return libjet_handle_close(instance, hfFile);
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
