#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds a debug kernel once and keeps it in a cache that outlives the clone
# (CI reuses it across runs): Debian's linux-source-6.1 tarball, `make
# tinyconfig`, then debug.config (lockdep, kmemleak, UBSAN, fault
# injection...) and the flavour's fragment: kasan.config (`make
# check-debug`: KASAN, gcov) or kcsan.config (`make check-kcsan`). The cache
# keeps one entry per flavour, so the two never evict each other; its key
# hashes both fragments, the linux-source version, the compiler and this
# recipe, so a change to any of them builds a new kernel and the flavour's
# older entry is removed.
#
# The tree stays configured and built (O= output), so external modules build
# against it: `make -C DIR/obj M=...`.
#
# usage: build-kernel.sh [kasan|kcsan]   (kasan)
#                             prints the cache entry DIR on its last line:
#                             DIR/obj (the build tree), DIR/bzImage,
#                             DIR/build-seconds (the time the build took)
# env:   JET_DEBUG_CACHE=DIR  the cache (default /var/cache/jet-debug-kernel,
#                             or build/debug-kernel when that is not writable)
#        KSRC_TAR=FILE        the source (/usr/src/linux-source-6.1.tar.xz)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
flavour=${1:-kasan}
case $flavour in
kasan | kcsan) ;;
*) echo "usage: build-kernel.sh [kasan|kcsan]" >&2; exit 2 ;;
esac
fragments=("$here/debug.config" "$here/$flavour.config")
tarball=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
# Bump when the steps below change what they build.
recipe=2

log() { echo "debug-kernel ($flavour): $*" >&2; }

cache=${JET_DEBUG_CACHE:-/var/cache/jet-debug-kernel}
if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then
	cache=$top/build/debug-kernel
	mkdir -p "$cache"
fi

[[ -r $tarball ]] || { log "no $tarball (apt-get install linux-source-6.1)"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
	stat -c '%s %Y' "$tarball")
ccver=$(${CC:-gcc} --version | head -n 1)
key=$({
	cat "${fragments[@]}"
	echo "linux-source $srcver"
	echo "cc $ccver"
	echo "recipe $recipe"
} | sha256sum | cut -c1-16)
entry=$cache/$flavour-$key

# One build at a time per flavour; a second caller waits and then finds
# it. The other flavour's kernel stays usable meanwhile.
exec 9>"$cache/.lock-$flavour"
flock 9

if [[ -f $entry/bzImage && -f $entry/build-seconds ]]; then
	log "cached: $entry (built in $(cat "$entry/build-seconds") s)"
	echo "$entry"
	exit 0
fi

# Only the current key of each flavour is kept: a kernel tree is a few GiB.
# (An entry named by a bare key is from recipe 1, before flavours.)
for old in "$cache"/"$flavour"-* "$cache"/[0-9a-f][0-9a-f][0-9a-f][0-9a-f]*; do
	[[ -d $old && $old != "$entry" ]] || continue
	log "removing the old entry $old"
	rm -rf "$old"
done

start=$SECONDS
# Built in place: the tree's Makefiles name its own absolute paths. A
# half-done build from an interrupted run is continued (make is incremental;
# the configuration is made and checked again), and only a finished one has
# build-seconds.
work=$entry
rm -f "$work/build-seconds" "$work/bzImage"
mkdir -p "$work/obj"
if [[ ! -f $work/src/Makefile ]]; then
	log "unpacking $tarball"
	rm -rf "$work/src" "$work/src.tmp"
	mkdir -p "$work/src.tmp"
	tar -xJf "$tarball" -C "$work/src.tmp"
	mv "$work/src.tmp"/linux-source-* "$work/src"
	rmdir "$work/src.tmp"
fi

obj=$work/obj
kmake() {
	make -C "$work/src" O="$obj" -j"$(nproc)" LOCALVERSION="-jet-$flavour" "$@"
}

log "configuring: tinyconfig + ${fragments[*]##*/}"
kmake -s tinyconfig >/dev/null
"$work/src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"${fragments[@]}" >"$work/merge.log" 2>&1 || {
	cat "$work/merge.log" >&2
	exit 1
}
kmake -s olddefconfig

# Every line of the fragment must be in force: Kconfig drops an option whose
# dependencies are missing without a word.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF "$line" "$obj/.config" && continue
		name=${line%%=*}
		;;
	"# CONFIG_"*" is not set")
		name=${line#\# }
		name=${name%% *}
		grep -q "^$name=" "$obj/.config" || continue
		;;
	*) continue ;;
	esac
	got=$(grep -E "^$name=|^# $name is not set" "$obj/.config" || true)
	log "WANTED '$line', GOT '${got:-nothing (dependencies missing)}'"
	bad=$((bad + 1))
done < <(cat "${fragments[@]}")
if ((bad)); then
	log "$bad options of ${fragments[*]##*/} are not in force: fix the fragments"
	exit 1
fi
cp "$obj/.config" "$work/config"

log "building (make -j$(nproc); the log: $work/build.log)"
if ! kmake all >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	log "the kernel build failed"
	exit 1
fi
cp "$obj/arch/x86/boot/bzImage" "$work/bzImage"
echo $((SECONDS - start)) >"$work/build-seconds"
log "built $entry in $(cat "$entry/build-seconds") s"
echo "$entry"
