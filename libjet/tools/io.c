// SPDX-License-Identifier: MIT
/*
 * io.c - write(2) until all is written.
 */
#include <errno.h>
#include <unistd.h>

#include "jetctl.h"

int jetctl_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
