#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Packs the test VM's initramfs: static busybox and its applet links, /init,
# jet.ko (and any modules it depends on), the test programs and /jet.conf.
#
# usage: mkinitramfs.sh OUT.cpio MODE JET.KO PROGRAM...
# env:   JET_SEED TEST_TIMEOUT HUNG_TIMEOUT JET_KO_ARGS JET_FUZZ_SECONDS
#        JET_OUTSIDE_SECONDS DEBUG_FLAVOUR
#        EXTRA_FILES (files the programs use, put beside them in /tests)
#        EXTRA_MODULES (kernel modules loaded before jet.ko, by name)
#        EXTRA_ROOT (a directory merged into the initramfs's root)
#        MODDIR (the modules of the kernel booted, for jet.ko's dependencies)
set -euo pipefail

out=$1 mode=$2 ko=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
stage=$out.d
busybox=${BUSYBOX:-/bin/busybox}

rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,tests,modules}

cp "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while read -r app; do
	case $app in
	bin/busybox) ;;
	*/*/*) ln -sf ../../bin/busybox "$stage/$app" ;;
	*) ln -sf ../bin/busybox "$stage/$app" ;;
	esac
done

install -m 0755 "$here/init.sh" "$stage/init"
# Debug info only makes the archive bigger; symbols stay for backtraces.
strip --strip-debug -o "$stage/jet.ko" "$ko"

preload=()
# jet.ko's dependencies, then EXTRA_MODULES (say, the virtio disk's driver),
# each after what it needs. Built-in ones (modules.builtin) need nothing.
deps=$(/sbin/modinfo -F depends "$ko" 2>/dev/null | tr ',' ' ')
deps+=" ${EXTRA_MODULES:-}"
if [[ -n ${deps// /} ]]; then
	moddir=${MODDIR:?modules to load ($deps): MODDIR is needed}
	declare -A seen=()
	add_mod() {	# $1: a path relative to $moddir, from modules.dep
		local f=$1 name
		[[ -n ${seen[$f]:-} ]] && return
		seen[$f]=1
		name=$(basename "$f")
		name=${name%.xz}
		name=${name%.zst}
		case $f in
		*.xz) xz -dc "$moddir/$f" >"$stage/modules/$name" ;;
		*.zst) zstd -qdc "$moddir/$f" >"$stage/modules/$name" ;;
		*) cp "$moddir/$f" "$stage/modules/$name" ;;
		esac
		preload+=("$name")
	}
	for d in $deps; do
		line=$(grep -E "/$d\.ko(\.xz|\.zst)?:" "$moddir/modules.dep") || {
			grep -qE "/$d\.ko$" "$moddir/modules.builtin" 2>/dev/null &&
				continue
			echo "mkinitramfs: module $d not in $moddir" >&2
			exit 1
		}
		# modules.dep lists what a module needs last-loaded-first.
		read -r -a need <<<"${line#*:}"
		for ((i = ${#need[@]} - 1; i >= 0; i--)); do
			add_mod "${need[i]}"
		done
		add_mod "${line%%:*}"
	done
fi

# Programs to run, then EXTRA_FILES (helpers they use) beside them in /tests.
put() {
	strip --strip-debug -o "$stage/tests/$(basename "$1")" "$1" 2>/dev/null ||
		install -m 0755 "$1" "$stage/tests/"	# a script
}
progs=()
for p in "$@"; do
	put "$p"
	progs+=("$(basename "$p")")
done
for p in ${EXTRA_FILES:-}; do
	put "$p"
done

cat >"$stage/jet.conf" <<CONF
MODE='$mode'
TESTS='${progs[*]}'
JET_SEED='${JET_SEED:-1}'
TEST_TIMEOUT='${TEST_TIMEOUT:-300}'
HUNG_TIMEOUT='${HUNG_TIMEOUT:-60}'
PRELOAD='${preload[*]}'
JET_KO_ARGS='${JET_KO_ARGS:-}'
JET_FUZZ_SECONDS='${JET_FUZZ_SECONDS:-}'
JET_OUTSIDE_SECONDS='${JET_OUTSIDE_SECONDS:-}'
FLAVOUR='${DEBUG_FLAVOUR:-}'
CONF

# EXTRA_ROOT: a tree merged into the root (programs the tests run, with
# the shared libraries they need at their own paths).
if [[ -n ${EXTRA_ROOT:-} ]]; then
	cp -a "$EXTRA_ROOT"/. "$stage"/
fi

# Not compressed: unpacking is faster than decompressing under TCG.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
