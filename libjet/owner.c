// SPDX-License-Identifier: MIT
/*
 * owner.c - the owner's calls: databases and logs handed over by descriptor,
 * checkpoint, throttle, write-range locks, pause, truncation events.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

JET_ERR JetAttachDatabase(JET_SESID sesid, const char *szFilename,
			  JET_GRBIT grbit)
{
	struct jet_attach a = { .name = libjet_uptr(szFilename) };
	JET_INSTANCE inst;
	JET_ERR err;
	int fd;

	if (grbit & ~(JET_GRBIT)JET_bitDbReadOnly)
		return JET_errInvalidGrbit;
	err = libjet_session_instance(sesid, &inst);
	if (err)
		return err;
	err = libjet_open_regular(szFilename, &fd);
	if (err)
		return err;
	a.instance = inst;
	a.fd = fd;
	err = libjet_ioctl(JET_IOC_ATTACH_DB, &a);
	/* the kernel holds its own reference now */
	close(fd);
	return err;
}

static JET_ERR jet_detach_one(JET_INSTANCE inst, const char *name)
{
	struct jet_attach a = {
		.instance = inst,
		.name = libjet_uptr(name),
		.fd = -1,
	};

	return libjet_ioctl(JET_IOC_DETACH_DB, &a);
}

/* ESE: a NULL or empty name detaches every database of the instance */
static JET_ERR jet_detach_all(JET_INSTANCE inst)
{
	const struct jet_instance_record *r;
	const char *name, *dbs;
	size_t size, off = 0;
	unsigned int count, i;
	JET_ERR err, first = JET_errSuccess;
	void *buf;

	err = libjet_list_records(&buf, &size, &count);
	if (err)
		return err;
	while ((r = libjet_next_record(buf, size, &off, &name, &dbs))) {
		if (r->state.instance != inst)
			continue;
		for (i = 0; i < r->state.db_count; i++) {
			err = jet_detach_one(inst, dbs);
			if (err && !first)
				first = err;
			dbs += strlen(dbs) + 1;
		}
		break;
	}
	free(buf);
	return first;
}

JET_ERR JetDetachDatabase(JET_SESID sesid, const char *szFilename)
{
	JET_INSTANCE inst;
	JET_ERR err;

	err = libjet_session_instance(sesid, &inst);
	if (err)
		return err;
	if (!szFilename || !*szFilename)
		return jet_detach_all(inst);
	err = libjet_check_path(szFilename);
	if (err)
		return err;
	return jet_detach_one(inst, szFilename);
}

JET_ERR JetAddLogFileInstance(JET_INSTANCE instance, const char *szPath,
			      unsigned long generation)
{
	struct jet_add_log l = {
		.instance = instance,
		.name = libjet_uptr(szPath),
		.generation = generation,
	};
	JET_ERR err;
	int fd;

	err = libjet_open_regular(szPath, &fd);
	if (err)
		return err;
	l.fd = fd;
	err = libjet_ioctl(JET_IOC_ADD_LOG, &l);
	close(fd);
	return err;
}

JET_ERR JetSetCheckpointInstance(JET_INSTANCE instance,
				 unsigned long generation)
{
	struct jet_instance_u64 v = { .instance = instance, .value = generation };

	return libjet_ioctl(JET_IOC_SET_CHECKPOINT, &v);
}

JET_ERR JetSetBackupThrottleInstance(JET_INSTANCE instance,
				     unsigned long long bytes_per_second)
{
	struct jet_instance_u64 v = {
		.instance = instance,
		.value = bytes_per_second,
	};

	return libjet_ioctl(JET_IOC_SET_THROTTLE, &v);
}

JET_ERR JetLockWriteRangeInstance(JET_INSTANCE instance,
				  const char *szDatabase,
				  unsigned long long offset,
				  unsigned long long length, JET_HANDLE *phlock)
{
	struct jet_lock_range lr = {
		.instance = instance,
		.name = libjet_uptr(szDatabase),
		.offset = offset,
		.length = length,
	};
	JET_ERR err;

	if (!phlock)
		return JET_errInvalidParameter;
	err = libjet_check_path(szDatabase);
	if (!err)
		err = libjet_ioctl(JET_IOC_LOCK_RANGE, &lr);
	if (!err)
		*phlock = (JET_HANDLE)lr.lock;
	return err;
}

JET_ERR JetUnlockWriteRangeInstance(JET_INSTANCE instance, JET_HANDLE hlock)
{
	struct jet_instance_u64 v = { .instance = instance, .value = hlock };

	return libjet_ioctl(JET_IOC_UNLOCK_RANGE, &v);
}

static JET_ERR jet_pause(JET_INSTANCE instance, __u32 pause)
{
	struct jet_instance_op op = { .instance = instance, .grbit = pause };

	return libjet_ioctl(JET_IOC_PAUSE_BACKUP, &op);
}

JET_ERR JetPauseBackupInstance(JET_INSTANCE instance)
{
	return jet_pause(instance, 1);
}

JET_ERR JetResumeBackupInstance(JET_INSTANCE instance)
{
	return jet_pause(instance, 0);
}

JET_ERR JetGetLogTruncationEvent(JET_INSTANCE *pinst,
				 unsigned long *pgenFirst,
				 unsigned long *pgenLast)
{
	struct jet_truncate_event ev = { 0 };
	JET_ERR err;

	if (!pinst || !pgenFirst || !pgenLast)
		return JET_errInvalidParameter;
	err = libjet_ioctl(JET_IOC_GET_TRUNCATE_EVENT, &ev);
	if (err)
		return err;
	*pinst = (JET_INSTANCE)ev.instance;
	*pgenFirst = (unsigned long)ev.first_generation;
	*pgenLast = (unsigned long)ev.last_generation;
	return JET_errSuccess;
}
