// SPDX-License-Identifier: MIT
/*
 * util.c - argument checks and small helpers shared by several calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

JET_ERR libjet_check_name(const char *name)
{
	if (name && strnlen(name, JET_NAME_MAX + 1) > JET_NAME_MAX)
		return JET_errInvalidName;
	return JET_errSuccess;
}

JET_ERR libjet_check_path(const char *path)
{
	if (!path || !*path)
		return JET_errInvalidParameter;
	if (strnlen(path, JET_PATH_MAX + 1) > JET_PATH_MAX)
		return JET_errInvalidPath;
	return JET_errSuccess;
}

JET_ERR libjet_open_regular(const char *path, int *pfd)
{
	struct stat st;
	JET_ERR err;
	int fd;

	err = libjet_check_path(path);
	if (err)
		return err;
	/* O_NONBLOCK: opening a FIFO must not hang; cleared again below */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return libjet_err_from_errno(errno);
	if (fstat(fd, &st) < 0) {
		err = libjet_err_from_errno(errno);
		goto fail;
	}
	/* what the kernel would refuse with -EBADFD */
	if (!S_ISREG(st.st_mode)) {
		err = JET_errInvalidPath;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		err = libjet_err_from_errno(errno);
		goto fail;
	}
	*pfd = fd;
	return JET_errSuccess;
fail:
	close(fd);
	return err;
}

JET_ERR libjet_get_state(JET_INSTANCE instance,
			 struct jet_instance_state *state)
{
	struct jet_get_state gs = { .instance = instance };
	JET_ERR err;

	err = libjet_ioctl(JET_IOC_GET_STATE, &gs);
	if (!err)
		*state = gs.state;
	return err;
}
