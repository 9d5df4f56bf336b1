// SPDX-License-Identifier: MIT
/*
 * stop.c - stop a backup, stop the service. The kernel does the work (it
 * wakes every blocked backup read at once); libjet checks the grbits.
 */
#include "internal.h"

_Static_assert(JET_bitStopServiceAll == JET_SERVICE_ALL &&
	       JET_bitStopServiceBackgroundUserTasks ==
			JET_SERVICE_BACKGROUND_TASKS &&
	       JET_bitStopServiceQuiesceCaches == JET_SERVICE_QUIESCE_CACHES &&
	       JET_bitStopServiceResume == JET_SERVICE_RESUME,
	       "stop service grbits");

static JET_ERR jet_stop(unsigned long cmd, JET_INSTANCE instance,
			JET_GRBIT grbit, __u32 flags)
{
	struct jet_instance_op op = {
		.instance = instance,
		.grbit = (__u32)grbit,
		.flags = flags,
	};

	return libjet_ioctl(cmd, &op);
}

JET_ERR JetStopBackup(void)
{
	return jet_stop(JET_IOC_STOP_BACKUP, 0, 0, JET_OP_LEGACY);
}

JET_ERR JetStopBackupInstance(JET_INSTANCE instance)
{
	return jet_stop(JET_IOC_STOP_BACKUP, instance, 0, 0);
}

JET_ERR JetStopService(void)
{
	return jet_stop(JET_IOC_STOP_SERVICE, 0, JET_bitStopServiceAll,
			JET_OP_LEGACY);
}

JET_ERR JetStopServiceInstance(JET_INSTANCE instance)
{
	return JetStopServiceInstance2(instance, JET_bitStopServiceAll);
}

JET_ERR JetStopServiceInstance2(JET_INSTANCE instance, const JET_GRBIT grbit)
{
	if (grbit & ~(JET_GRBIT)JET_SERVICE_MASK)
		return JET_errInvalidGrbit;
	/* Resume undoes earlier stops; it cannot be mixed with a new one */
	if ((grbit & JET_SERVICE_RESUME) && grbit != JET_SERVICE_RESUME)
		return JET_errInvalidGrbit;
	return jet_stop(JET_IOC_STOP_SERVICE, instance, grbit, 0);
}
