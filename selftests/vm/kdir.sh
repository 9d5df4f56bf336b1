#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prints the kernel build directory to build jet.ko against: $KDIR when set,
# else the running kernel's, else the newest Debian cloud kernel headers.
# Prints nothing when there is none (the headers are not installed yet).
if [ -n "${KDIR:-}" ]; then
	echo "$KDIR"
	exit 0
fi
d=/lib/modules/$(uname -r)/build
if [ -d "$d" ]; then
	echo "$d"
	exit 0
fi
for d in /usr/src/linux-headers-*-cloud-amd64; do
	[ -d "$d" ] && echo "$d"
done | sort -V | tail -n 1
