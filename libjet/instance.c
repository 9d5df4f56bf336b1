// SPDX-License-Identifier: MIT
/*
 * instance.c - run mode and instances: enable multi-instance, create, init,
 * term, and an instance's state.
 */
#include "internal.h"

_Static_assert(JET_bitTermComplete == JET_TERM_COMPLETE &&
	       JET_bitTermAbrupt == JET_TERM_ABRUPT &&
	       JET_bitTermStopBackup == JET_TERM_STOP_BACKUP &&
	       JET_bitTermDirty == JET_TERM_DIRTY, "term grbits");
_Static_assert(JET_NAME_MAX == 255 && JET_PATH_MAX == 4095, "limits");
_Static_assert(JET_INSTANCE_STATE_INITIALIZED == JET_STATE_INITIALIZED &&
	       JET_INSTANCE_STATE_MINE == JET_STATE_MINE &&
	       JET_INSTANCE_STATE_BACKUP == JET_STATE_BACKUP &&
	       JET_INSTANCE_STATE_BACKUP_STOPPED == JET_STATE_BACKUP_STOPPED &&
	       JET_INSTANCE_STATE_SERVICE_STOPPED ==
			JET_STATE_SERVICE_STOPPED &&
	       JET_INSTANCE_STATE_PAUSED == JET_STATE_PAUSED &&
	       JET_INSTANCE_STATE_TERMINATING == JET_STATE_TERMINATING &&
	       JET_INSTANCE_STATE_FULL_BACKUP_DONE ==
			JET_STATE_FULL_BACKUP_DONE &&
	       JET_INSTANCE_STATE_BACKUP_MINE == JET_STATE_BACKUP_MINE,
	       "state flags");
_Static_assert(JET_BACKUP_PHASE_NONE == JET_PHASE_NONE &&
	       JET_BACKUP_PHASE_DATABASES == JET_PHASE_DATABASES &&
	       JET_BACKUP_PHASE_LOGS == JET_PHASE_LOGS, "phases");

JET_ERR JetEnableMultiInstance(JET_SETSYSPARAM *psetsysparam,
			       unsigned long csetsysparam,
			       unsigned long *pcsetSucceed)
{
	struct jet_enable_multi em = { 0 };
	unsigned long i;
	JET_ERR err;

	if (pcsetSucceed)
		*pcsetSucceed = 0;
	if (csetsysparam && !psetsysparam)
		return JET_errInvalidParameter;
	err = libjet_ioctl(JET_IOC_ENABLE_MULTI, &em);
	if (err)
		return err;
	/* jet has no engine parameters: each one is "set" */
	for (i = 0; i < csetsysparam; i++)
		psetsysparam[i].err = JET_errSuccess;
	if (pcsetSucceed)
		*pcsetSucceed = csetsysparam;
	return JET_errSuccess;
}

JET_ERR JetCreateInstance(JET_INSTANCE *pinstance, const char *szInstanceName)
{
	return JetCreateInstance2(pinstance, szInstanceName, NULL, 0);
}

JET_ERR JetCreateInstance2(JET_INSTANCE *pinstance, const char *szInstanceName,
			   const char *szDisplayName, JET_GRBIT grbit)
{
	struct jet_create c = {
		.name = libjet_uptr(szInstanceName),
		.display_name = libjet_uptr(szDisplayName),
	};
	JET_ERR err;

	if (!pinstance)
		return JET_errInvalidParameter;
	if (grbit)
		return JET_errInvalidGrbit;
	err = libjet_check_name(szInstanceName);
	if (!err)
		err = libjet_check_name(szDisplayName);
	if (!err)
		err = libjet_ioctl(JET_IOC_CREATE_INSTANCE, &c);
	if (!err)
		*pinstance = (JET_INSTANCE)c.instance;
	return err;
}

JET_ERR JetInit(JET_INSTANCE *pinstance)
{
	return JetInit2(pinstance, 0);
}

JET_ERR JetInit2(JET_INSTANCE *pinstance, JET_GRBIT grbit)
{
	struct jet_init in = { 0 };
	JET_ERR err;

	if (grbit)
		return JET_errInvalidGrbit;
	if (pinstance)
		in.instance = *pinstance;
	else
		in.flags = JET_INIT_NO_HANDLE;
	err = libjet_ioctl(JET_IOC_INIT, &in);
	if (!err && pinstance)
		*pinstance = (JET_INSTANCE)in.instance;
	return err;
}

JET_ERR JetTerm(JET_INSTANCE instance)
{
	return JetTerm2(instance, JET_bitTermAbrupt);
}

JET_ERR JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit)
{
	struct jet_term t = { .instance = instance, .grbit = (__u32)grbit };
	struct jet_instance_state s;
	JET_ERR err;

	if (grbit & ~(JET_GRBIT)JET_TERM_ALL)
		return JET_errInvalidGrbit;
	/* in OneInst the kernel ignores the handle: learn the real one */
	if (libjet_get_state(instance, &s))
		s.instance = instance;
	err = libjet_ioctl(JET_IOC_TERM, &t);
	if (!err) {
		libjet_sessions_forget_instance((JET_INSTANCE)s.instance);
		/* a server that makes and terms instances all day must not
		 * keep a callback for each one it ever had */
		libjet_roll_forget_instance((JET_INSTANCE)s.instance);
	}
	return err;
}

JET_ERR JetGetInstanceStateInstance(JET_INSTANCE instance,
				    JET_INSTANCE_STATE *pstate)
{
	struct jet_instance_state s;
	JET_ERR err;

	if (!pstate)
		return JET_errInvalidParameter;
	err = libjet_get_state(instance, &s);
	if (err)
		return err;
	pstate->instance = (JET_INSTANCE)s.instance;
	pstate->bytes_read = s.bytes_read;
	pstate->checkpoint = s.checkpoint;
	pstate->newest_log = s.newest_log;
	pstate->throttle = s.throttle;
	pstate->owner_pid = s.owner_pid;
	pstate->owner_uid = s.owner_uid;
	pstate->flags = s.flags;
	pstate->phase = s.phase;
	pstate->service_bits = s.service_bits;
	pstate->db_count = s.db_count;
	pstate->log_count = s.log_count;
	pstate->open_files = s.open_files;
	return JET_errSuccess;
}
