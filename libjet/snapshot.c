// SPDX-License-Identifier: MIT
/*
 * snapshot.c - ESE's OS snapshot calls (JetOSSnapshot*) on the module's
 * snapshot sessions. The kernel keeps the session and its state machine;
 * libjet checks grbits first (JET_errInvalidGrbit) and builds the
 * JET_INSTANCE_INFO lists of the frozen instances.
 */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

_Static_assert(JET_bitIncrementalSnapshot == JET_SNAP_INCREMENTAL &&
	       JET_bitCopySnapshot == JET_SNAP_COPY &&
	       JET_bitContinueAfterThaw == JET_SNAP_CONTINUE_AFTER_THAW &&
	       JET_bitExplicitPrepare == JET_SNAP_EXPLICIT_PREPARE &&
	       JET_bitAllDatabasesSnapshot == JET_SNAP_ALL_DATABASES &&
	       JET_bitAbortSnapshot == JET_SNAP_ABORT, "snapshot grbits");
_Static_assert(JET_INSTANCE_STATE_SNAPSHOT == JET_STATE_SNAPSHOT &&
	       JET_INSTANCE_STATE_FROZEN == JET_STATE_FROZEN,
	       "snapshot state flags");

#define JET_SNAP_TIMEOUT_MAX_MS	(3600UL * 1000UL)

/* JetSetOSSnapshotTimeout(); read by each freeze */
static unsigned long jet_snap_timeout_ms;

static JET_ERR jet_snap_op(unsigned long cmd, JET_OSSNAPID snapId,
			   JET_INSTANCE instance, JET_GRBIT grbit,
			   unsigned long timeout_ms)
{
	struct jet_snapshot_op op = {
		.snapshot = snapId,
		.instance = instance,
		.grbit = (__u32)grbit,
		.timeout_ms = (__u32)timeout_ms,
	};

	/* 0 is never a session; the kernel would say the same */
	if (!snapId)
		return JET_errOSSnapshotInvalidSnapId;
	return libjet_ioctl(cmd, &op);
}

JET_ERR JetSetOSSnapshotTimeout(unsigned long cmsecTimeout)
{
	if (cmsecTimeout > JET_SNAP_TIMEOUT_MAX_MS)
		return JET_errInvalidParameter;
	__atomic_store_n(&jet_snap_timeout_ms, cmsecTimeout, __ATOMIC_RELAXED);
	return JET_errSuccess;
}

JET_ERR JetOSSnapshotPrepare(JET_OSSNAPID *psnapId, const JET_GRBIT grbit)
{
	struct jet_snapshot_prepare p = { .grbit = (__u32)grbit };
	JET_ERR err;

	if (grbit & ~(JET_GRBIT)JET_SNAP_PREPARE_ALL)
		return JET_errInvalidGrbit;
	if (!psnapId)
		return JET_errInvalidParameter;
	err = libjet_ioctl(JET_IOC_SNAPSHOT_PREPARE, &p);
	if (!err)
		*psnapId = (JET_OSSNAPID)p.snapshot;
	return err;
}

/*
 * The instance argument as ESE's API entry takes it, before the grbit and
 * the session are looked at: in OneInst the one instance whatever the
 * handle, else a zero or unknown handle is JET_errInvalidParameter; an
 * instance not initialised, JET_errNotInitialized.
 */
static JET_ERR jet_snap_instance(JET_INSTANCE instance, JET_INSTANCE *pinst)
{
	struct jet_instance_state s;
	JET_ERR err;

	err = libjet_get_state(instance, &s);
	if (err)
		return err;
	if (!(s.flags & JET_STATE_INITIALIZED))
		return JET_errNotInitialized;
	*pinst = (JET_INSTANCE)s.instance;
	return JET_errSuccess;
}

JET_ERR JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId,
				     JET_INSTANCE instance,
				     const JET_GRBIT grbit)
{
	JET_INSTANCE inst;
	JET_ERR err;

	err = jet_snap_instance(instance, &inst);
	if (err)
		return err;
	if (grbit)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_PREPARE_INSTANCE, snapId,
			   inst, 0, 0);
}

static int jet_id_in(JET_INSTANCE id, const __u64 *ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/*
 * The session's instances as JetGetInstanceInfo() gives them: the whole
 * list, its entries of the session moved to the front (each entry's
 * pointers point into the same block, so moving entries is enough).
 */
static JET_ERR jet_snap_info(JET_OSSNAPID snapId, unsigned long *pc,
			     JET_INSTANCE_INFO_A **pa)
{
	__u64 ids[JET_SNAP_INSTANCES_MAX];
	struct jet_snapshot_info si = {
		.snapshot = snapId,
		.ids = libjet_uptr(ids),
		.ids_max = JET_SNAP_INSTANCES_MAX,
	};
	JET_INSTANCE_INFO *all;
	unsigned long n, i, kept = 0;
	JET_ERR err;

	if (!snapId)
		return JET_errOSSnapshotInvalidSnapId;
	err = libjet_ioctl(JET_IOC_SNAPSHOT_GET_INFO, &si);
	if (err)
		return err;
	if (!si.count)
		return JET_errSuccess;
	err = JetGetInstanceInfo(&n, &all);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (jet_id_in(all[i].hInstanceId, ids, si.count))
			all[kept++] = all[i];
	if (!kept) {
		JetFreeBuffer((char *)all);
		return JET_errSuccess;
	}
	*pc = kept;
	*pa = all;
	return JET_errSuccess;
}

JET_ERR JetOSSnapshotFreezeA(const JET_OSSNAPID snapId,
			     unsigned long *pcInstanceInfo,
			     JET_INSTANCE_INFO_A **paInstanceInfo,
			     const JET_GRBIT grbit)
{
	JET_INSTANCE_INFO_A *a = NULL;
	unsigned long c = 0;
	JET_ERR err;

	/* as ESE's ANSI form: the pointers first, then the grbit */
	if (!pcInstanceInfo || !paInstanceInfo)
		return JET_errInvalidParameter;
	if (grbit)
		return JET_errInvalidGrbit;
	err = jet_snap_op(JET_IOC_SNAPSHOT_FREEZE, snapId, 0, 0,
			  __atomic_load_n(&jet_snap_timeout_ms,
					  __ATOMIC_RELAXED));
	if (err)
		return err;
	err = jet_snap_info(snapId, &c, &a);
	if (err) {	/* as ESE: no list, no freeze */
		JetOSSnapshotThaw(snapId, 0);
		return err;
	}
	/* as ESE's ANSI form: the outputs change only on success */
	*pcInstanceInfo = c;
	*paInstanceInfo = a;
	return JET_errSuccess;
}

JET_ERR JetOSSnapshotThaw(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
	if (grbit)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_THAW, snapId, 0, 0, 0);
}

JET_ERR JetOSSnapshotAbort(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
	if (grbit)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_END, snapId, 0,
			   JET_SNAP_ABORT, 0);
}

JET_ERR JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId,
				 const JET_GRBIT grbit)
{
	if (grbit & ~(JET_GRBIT)JET_SNAP_ALL_DATABASES)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_TRUNCATE_LOG, snapId, 0, grbit,
			   0);
}

JET_ERR JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId,
					 JET_INSTANCE instance,
					 const JET_GRBIT grbit)
{
	JET_INSTANCE inst;
	JET_ERR err;

	/* never 0 after this, which would mean "every instance" */
	err = jet_snap_instance(instance, &inst);
	if (err)
		return err;
	if (grbit & ~(JET_GRBIT)JET_SNAP_ALL_DATABASES)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_TRUNCATE_LOG, snapId, inst,
			   grbit, 0);
}

JET_ERR JetOSSnapshotGetFreezeInfoA(const JET_OSSNAPID snapId,
				    unsigned long *pcInstanceInfo,
				    JET_INSTANCE_INFO_A **paInstanceInfo,
				    const JET_GRBIT grbit)
{
	JET_INSTANCE_INFO_A *a = NULL;
	unsigned long c = 0;
	JET_ERR err;

	if (grbit)
		return JET_errInvalidGrbit;
	/*
	 * As ESE's ANSI form: the session is looked up before the output
	 * pointers are, and the outputs change only on success.
	 */
	err = jet_snap_info(snapId, &c, &a);
	if (err)
		return err;
	if (!pcInstanceInfo || !paInstanceInfo) {
		JetFreeBuffer((char *)a);
		return JET_errInvalidParameter;
	}
	*pcInstanceInfo = c;
	*paInstanceInfo = a;
	return JET_errSuccess;
}

JET_ERR JetOSSnapshotEnd(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
	if (grbit & ~(JET_GRBIT)JET_SNAP_ABORT)
		return JET_errInvalidGrbit;
	return jet_snap_op(JET_IOC_SNAPSHOT_END, snapId, 0, grbit, 0);
}

/*
 * jet's own: ESE has no such call, since its snapshot writer reports the
 * log directory and the OS snapshot takes the whole volume. A tool that
 * copies (reflinks) files one by one must know which logs the snapshot
 * needs: the copy set of a full backup at the freeze.
 */
static JET_ERR jet_snap_logs(JET_OSSNAPID snapId, JET_INSTANCE instance,
			     void *pv, unsigned long cbMax,
			     unsigned long *pcbActual, JET_LOGINFO_A *pLogInfo)
{
	struct jet_snapshot_logs sl = {
		.snapshot = snapId,
		.instance = instance,
		.buf = libjet_uptr(pv),
		/* more than __u32 can say is never needed */
		.buf_size = cbMax > UINT32_MAX ? UINT32_MAX : (__u32)cbMax,
	};
	JET_ERR err;

	if (!pv && cbMax)
		return JET_errInvalidParameter;
	if (pLogInfo && pLogInfo->cbSize != sizeof(*pLogInfo))
		return JET_errInvalidParameter;
	if (!snapId)
		return JET_errOSSnapshotInvalidSnapId;
	err = libjet_ioctl(JET_IOC_SNAPSHOT_GET_LOGS, &sl);
	if (pcbActual && (!err || err == JET_errBufferTooSmall))
		*pcbActual = sl.size;
	if (!err && pLogInfo) {
		pLogInfo->ulGenLow = (unsigned long)sl.gen_low;
		pLogInfo->ulGenHigh = (unsigned long)sl.gen_high;
		pLogInfo->szBaseName[0] = '\0';
	}
	return err;
}

JET_ERR JetOSSnapshotGetLogInfoInstanceA(const JET_OSSNAPID snapId,
					 JET_INSTANCE instance, void *pv,
					 unsigned long cbMax,
					 unsigned long *pcbActual)
{
	return jet_snap_logs(snapId, instance, pv, cbMax, pcbActual, NULL);
}

JET_ERR JetOSSnapshotGetLogInfoInstance2A(const JET_OSSNAPID snapId,
					  JET_INSTANCE instance, void *pv,
					  unsigned long cbMax,
					  unsigned long *pcbActual,
					  JET_LOGINFO_A *pLogInfo)
{
	return jet_snap_logs(snapId, instance, pv, cbMax, pcbActual,
			     pLogInfo);
}
