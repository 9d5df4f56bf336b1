#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prints the kernel build directory to build jet.ko against: $KDIR when set,
# else the running kernel's, else the headers of Debian's default cloud
# kernel (what linux-headers-cloud-amd64 depends on: 6.1 on bookworm, even
# when the kernel matrix has installed newer ones), else the newest Debian
# cloud kernel headers. Prints nothing when there is none (the headers are
# not installed yet).
if [ -n "${KDIR:-}" ]; then
	echo "$KDIR"
	exit 0
fi
d=/lib/modules/$(uname -r)/build
if [ -d "$d" ]; then
	echo "$d"
	exit 0
fi
dep=$(dpkg-query -W -f='${Depends}' linux-headers-cloud-amd64 2>/dev/null |
	sed -n 's/^\(linux-headers-[^ ,]*\).*/\1/p')
if [ -n "$dep" ] && [ -d "/usr/src/$dep" ]; then
	echo "/usr/src/$dep"
	exit 0
fi
for d in /usr/src/linux-headers-*-cloud-amd64; do
	[ -d "$d" ] && echo "$d"
done | sort -V | tail -n 1
