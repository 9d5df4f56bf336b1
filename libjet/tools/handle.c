// SPDX-License-Identifier: MIT
/*
 * handle.c - what jetctl asks of a backup file handle beyond the ESE calls:
 * the descriptor behind it (for sendfile) and a log's generation (for the
 * manifest, so restore can check a chain of backups). Kept in one file:
 * it is the one place that knows a JET_HANDLE is a descriptor of jet(4).
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "jetctl.h"
#include "../../uapi/jet_ioctl.h"

int jetctl_handle_fd(JET_HANDLE hf)
{
	return (int)hf;
}

int jetctl_file_generation(JET_HANDLE hf, uint64_t *pgen)
{
	struct jet_file_info fi = { 0 };
	int ret;

	do {
		ret = ioctl(jetctl_handle_fd(hf), JET_FILE_IOC_INFO, &fi);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -1;
	*pgen = fi.generation;
	return 0;
}
