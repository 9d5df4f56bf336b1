// SPDX-License-Identifier: MIT
/*
 * legacy.c - ESE's one-instance backup calls: the ...Instance calls on the
 * instance of a process that called JetInit(NULL), with ESE's mode rules
 * (NoSet: JET_errInvalidParameter; MultiInst:
 * JET_errRunningInMultiInstanceMode; nothing changes).
 *
 * Races with this process's own JetInit/JetTerm/JetCreateInstance on other
 * threads: the mode is read, then the one instance's handle; both come from
 * the kernel, which finds a OneInst context's instance only if it was made
 * by JetInit(NULL) (never an unnamed MultiInst instance). The ...Instance
 * call then passes that handle. If the mode changed meanwhile, either the
 * context is OneInst again (the kernel ignores the handle and uses the one
 * instance, as a call made after the change would) or the handle names an
 * instance that has ended (handles are not reused soon), which fails with
 * JET_errInvalidParameter. So a legacy call never acts on an instance other
 * than the one instance; the one inexact outcome is JET_errInvalidParameter
 * where a term and a create both raced the call (MultiInst by its end).
 */
#include "internal.h"

static JET_ERR jet_one_instance(JET_INSTANCE *pinst)
{
	struct jet_query q = { 0 };
	struct jet_instance_state s;
	JET_ERR err;

	err = libjet_ioctl(JET_IOC_QUERY, &q);
	if (err)
		return err;
	if (q.mode == JET_MODE_MULTIINST)
		return JET_errRunningInMultiInstanceMode;
	if (q.mode != JET_MODE_ONEINST)
		return JET_errInvalidParameter;
	/* in OneInst the kernel ignores the handle: learn the real one */
	err = libjet_get_state(0, &s);
	if (err)
		return err;
	*pinst = (JET_INSTANCE)s.instance;
	return JET_errSuccess;
}

JET_ERR JetBeginExternalBackup(JET_GRBIT grbit)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetBeginExternalBackupInstance(inst, grbit);
}

JET_ERR JetGetAttachInfo(void *pv, unsigned long cbMax,
			 unsigned long *pcbActual)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetGetAttachInfoInstance(inst, pv, cbMax, pcbActual);
}

JET_ERR JetOpenFile(const char *szFileName, JET_HANDLE *phfFile,
		    unsigned long *pulFileSizeLow,
		    unsigned long *pulFileSizeHigh)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetOpenFileInstance(inst, szFileName, phfFile,
					       pulFileSizeLow,
					       pulFileSizeHigh);
}

JET_ERR JetReadFile(JET_HANDLE hfFile, void *pv, unsigned long cb,
		    unsigned long *pcbActual)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	/* as ESE: a mode error leaves *pcbActual as it was */
	return err ? err : JetReadFileInstance(inst, hfFile, pv, cb,
					       pcbActual);
}

JET_ERR JetCloseFile(JET_HANDLE hfFile)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetCloseFileInstance(inst, hfFile);
}

JET_ERR JetGetLogInfo(void *pv, unsigned long cbMax, unsigned long *pcbActual)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetGetLogInfoInstance(inst, pv, cbMax, pcbActual);
}

JET_ERR JetGetTruncateLogInfo(void *pv, unsigned long cbMax,
			      unsigned long *pcbActual)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetGetTruncateLogInfoInstance(inst, pv, cbMax,
							 pcbActual);
}

JET_ERR JetTruncateLog(void)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetTruncateLogInstance(inst);
}

JET_ERR JetEndExternalBackup(void)
{
	JET_INSTANCE inst;
	JET_ERR err = jet_one_instance(&inst);

	return err ? err : JetEndExternalBackupInstance(inst);
}
