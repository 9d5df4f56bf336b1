// SPDX-License-Identifier: MIT
/*
 * fake_handle.c - handle.c for jetctl-fake: the fake's handles are plain
 * descriptors of the files, and a log's generation is the number in its
 * name ("demo.00000007.log" is generation 7), as jetdemo-server names them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../jetctl.h"

int jetctl_handle_fd(JET_HANDLE hf)
{
	return (int)hf;
}

int jetctl_file_generation(JET_HANDLE hf, uint64_t *pgen)
{
	char link[64], path[4096], *dot, *p;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)hf);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -1;
	path[n] = '\0';
	*pgen = 0;
	dot = strrchr(path, '.');
	if (!dot || strcmp(dot, ".log"))
		return 0;		/* a database */
	*dot = '\0';
	p = strrchr(path, '.');
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	*pgen = strtoull(p + 1, NULL, 10);
	return 0;
}
