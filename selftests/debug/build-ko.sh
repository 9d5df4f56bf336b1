#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds jet.ko for the kernel tree KDIR from a copy of the module's sources
# in OUTDIR/src, so that kmod/ (the normal build) is left alone: the debug
# kernel and every kernel of the matrix get their own. W=1, and any warning
# (compiler, modpost, objtool) fails the build. The result is OUTDIR/jet.ko,
# the build's output OUTDIR/build.log.
#
# usage: build-ko.sh KDIR OUTDIR [make arguments...]
set -uo pipefail

kdir=$1 outdir=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$outdir/src
log=$outdir/build.log

mkdir -p "$src/kmod" "$src/uapi"
# The same files as kmod/ and uapi/, with their times (make stays
# incremental); a file removed there goes here too.
find "$src/kmod" "$src/uapi" -maxdepth 1 -type f \
	\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -delete
cp -p "$top/Kbuild" "$src/"
cp -p "$top"/kmod/*.[ch] "$top"/kmod/Kbuild "$src/kmod/"
[[ -e $top/kmod/Makefile ]] && cp -p "$top/kmod/Makefile" "$src/kmod/"
cp -p "$top"/uapi/*.h "$src/uapi/"
rm -f "$outdir/jet.ko"

make -C "$kdir" M="$src" W=1 "$@" modules >"$log" 2>&1
rc=$?
# Everything the build said that is not its usual chatter.
warnings=$(grep -vE '^make(\[[0-9]+\])?: (Entering|Leaving) directory|^  [A-Z0-9_]+ +|^  [A-Z]+$' \
	"$log" | grep -iE 'warning|error' || true)
if ((rc)) || [[ -n $warnings ]]; then
	echo "jet.ko for $kdir: build status $rc; what it said:"
	grep -vE '^make(\[[0-9]+\])?: (Entering|Leaving) directory|^  [A-Z0-9_]+ +' \
		"$log" | sed 's/^/    /'
	exit 1
fi
cp "$src/kmod/jet.ko" "$outdir/jet.ko"
