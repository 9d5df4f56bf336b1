#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's host build on another distribution: `make` in a copy of the
# tree, for kernel headers other than the VM's (Debian's 6.12 cloud
# headers), with the 6.1 source tarball out of reach (KSRC_TAR=/nonexistent):
# jet.ko, libjet and the tools must build, and nothing may need the
# kselftest harness. Called by `make lint` (selftests/debug/lint.sh).
#
# Prints one "ok"/"not ok" line per check, then "portable-build: N passed,
# N failed"; exits non-zero on a failure.
# env: PORTABLE_KDIR (the newest /usr/src/linux-headers-6.12*-cloud-amd64)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
make=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
kdir=${PORTABLE_KDIR:-$(ls -d /usr/src/linux-headers-6.12*-cloud-amd64 2>/dev/null |
	sort -V | tail -n 1)}
work=$(mktemp -d "${TMPDIR:-/tmp}/jet-portable.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) $1${2:+: $2}"; }
finish() {
	echo "portable-build: $pass passed, $fail failed"
	((fail == 0))
	exit
}

if [[ -z $kdir || ! -d $kdir ]]; then
	not_ok "6.12 kernel headers" "none in /usr/src (linux-headers-6.12-cloud-amd64)"
	finish
fi
# the sources as a user has them: tracked and new files, no build output
git ls-files -co --exclude-standard -z | tar --null -T - -cf - |
	tar -xf - -C "$work"
if "$make" -C "$work" --no-print-directory -j"$(nproc)" KDIR="$kdir" \
	KSRC_TAR=/nonexistent >"$work/make.log" 2>&1; then
	ok "make with $kdir and no 6.1 tarball exits 0"
else
	not_ok "make with $kdir and no 6.1 tarball exits 0"
	sed 's/^/#   /' "$work/make.log" | tail -n 30
	finish
fi
want=$(sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	"$kdir/include/generated/utsrelease.h")
got=$(/sbin/modinfo -F vermagic "$work/kmod/jet.ko" 2>/dev/null)
if [[ ${got%% *} == "$want" ]]; then
	ok "jet.ko is built for $want"
else
	not_ok "jet.ko is built for $want" "${got:-no jet.ko}"
fi
for f in libjet/libjet.so.1.0.0 libjet/libjet.a libjet/tools/jetctl \
	libjet/tools/jetdemo-server; do
	if [[ -f $work/$f ]]; then ok "$f is built"; else not_ok "$f is built"; fi
done
if [[ ! -e $work/build/selftests && ! -e $work/build/kselftest ]]; then
	ok "make builds no selftests (they need the kselftest harness)"
else
	not_ok "make builds no selftests (they need the kselftest harness)"
fi
if LD_LIBRARY_PATH=$work/libjet "$work/libjet/tools/jetctl" --version \
	>/dev/null 2>&1; then
	ok "the built jetctl runs"
else
	not_ok "the built jetctl runs"
fi
finish
