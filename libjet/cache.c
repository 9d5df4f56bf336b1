// SPDX-License-Identifier: MIT
/*
 * cache.c - jet's own: whether an instance's backups leave the page cache
 * as they found it (the default) or warm it as a plain read does.
 */
#include "internal.h"

JET_ERR JetSetBackupCacheInstance(JET_INSTANCE instance, JET_GRBIT grbit)
{
	struct jet_instance_op op = { .instance = instance };

	if (grbit & ~(JET_GRBIT)JET_bitBackupCacheWarm)
		return JET_errInvalidGrbit;
	if (grbit & JET_bitBackupCacheWarm)
		op.grbit = JET_BACKUP_CACHE_WARM;
	return libjet_ioctl(JET_IOC_SET_BACKUP_CACHE, &op);
}
