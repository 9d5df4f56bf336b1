/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what libjet's files share. Nothing here is exported: the
 * shared library is built with -fvisibility=hidden and a version script, and
 * the internal names carry a libjet_ prefix for the static library's sake.
 */
#ifndef LIBJET_INTERNAL_H
#define LIBJET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet.h"
#include "../uapi/jet_ioctl.h"
#include "errno_table.h"

#define JET_DEVICE_PATH "/dev/jet"

/* pointers travel as __u64 */
#define libjet_uptr(p) ((__u64)(uintptr_t)(p))

/* errors.c: the one errno -> JET mapping (0 -> JET_errSuccess; an errno the
 * uapi tables do not list -> JET_errDiskIO)
 */
JET_ERR libjet_err_from_errno(int err);

/* device.c: this process's /dev/jet descriptor, opened at the first use */
JET_ERR libjet_device_fd(int *pfd);
/* ioctl(2) on it; EINTR is retried (a failed command changes nothing) */
JET_ERR libjet_ioctl(unsigned long cmd, void *arg);
/*
 * After an open refused because the module's ABI is older than libjet's:
 * the text that says so, with both versions; NULL otherwise.
 */
const char *libjet_abi_mismatch_text(void);
/* does the module offer JET_FEATURE_x? (false if it cannot be opened) */
bool libjet_has_feature(unsigned int feature);

/* util.c: argument checks shared by several calls */
/* NULL is fine (no name); longer than JET_NAME_MAX -> JET_errInvalidName */
JET_ERR libjet_check_name(const char *name);
/* NULL or "" -> JET_errInvalidParameter; too long -> JET_errInvalidPath */
JET_ERR libjet_check_path(const char *path);
/* open a file the owner hands to the kernel: read-only, regular files only
 * (anything else -> JET_errInvalidPath), never blocking on a FIFO
 */
JET_ERR libjet_open_regular(const char *path, int *pfd);
/* one instance's state */
JET_ERR libjet_get_state(JET_INSTANCE instance,
			 struct jet_instance_state *state);

/* session.c: the session table */
JET_ERR libjet_session_instance(JET_SESID sesid, JET_INSTANCE *pinst);
void libjet_sessions_forget_instance(JET_INSTANCE instance);

/* handles.c: backup file handles (see there) */
JET_ERR libjet_handle_add(int fd, JET_INSTANCE instance);
/* up to cb bytes, fewer only at the end of the file or after a stop */
JET_ERR libjet_handle_read(JET_INSTANCE instance, JET_HANDLE hf, void *pv,
			   size_t cb, size_t *got);
/* the backup file's JET_FILE_IOC_INFO status */
JET_ERR libjet_handle_status(JET_INSTANCE instance, JET_HANDLE hf,
			     int *status);
JET_ERR libjet_handle_close(JET_INSTANCE instance, JET_HANDLE hf);
/* a child after fork(): drop the parent's backup files (first call) */
void libjet_after_fork_check(void);

/* roll.c: roll callbacks */
bool libjet_roll_callbacks(void);
/* run instance's callback, if any (*ran says); its error */
JET_ERR libjet_roll_run(JET_INSTANCE instance, unsigned long above,
			bool *ran);
/* a termed instance's callback is gone with it */
void libjet_roll_forget_instance(JET_INSTANCE instance);

/* info.c: the raw JET_IOC_LIST_INSTANCES records, in one malloc block */
JET_ERR libjet_list_records(void **pbuf, size_t *psize, unsigned int *pcount);
/*
 * Walk the records of such a block: the next valid record at *poffset,
 * advancing it; NULL at the end or on a malformed record. The strings are
 * set to the record's name (NULL for none) and its first database name.
 */
const struct jet_instance_record *
libjet_next_record(const void *buf, size_t size, size_t *poffset,
		   const char **pname, const char **pdbs);

#endif /* LIBJET_INTERNAL_H */
