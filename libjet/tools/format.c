// SPDX-License-Identifier: MIT
/*
 * format.c - numbers for people: sizes, durations, the clock.
 */
#include <stdio.h>
#include <time.h>

#include "jetctl.h"

const char *jetctl_fmt_bytes(uint64_t bytes, char *buf, unsigned int size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" :
		 "%.0f %s", v, units[u]);
	return buf;
}

const char *jetctl_fmt_duration(double seconds, char *buf, unsigned int size)
{
	unsigned long s;

	if (seconds < 0 || seconds > 360000000.0) {
		snprintf(buf, size, "--");
		return buf;
	}
	if (seconds < 10) {
		snprintf(buf, size, "%.1fs", seconds);
		return buf;
	}
	s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(buf, size, "%lus", s);
	return buf;
}

double jetctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
