#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Makes the ext4 image that the test VM gets as a virtio disk (run-vm.sh,
# VM_DISK): SIZE MiB, sparse, with the files asked for already inside,
# filled with random bytes on the host (much faster than writing them in
# the TCG guest). mkfs.ext4 puts them in with -d; the image is made anew
# each time, so no run sees another's leftovers.
#
# usage: mkdisk.sh IMAGE SIZE_MIB [NAME=MIB...]
# exit:  0, or non-zero with the reason on standard error.
set -euo pipefail

img=$1 size=$2
shift 2
mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
[[ -x $mkfs ]] || {
	echo "mkdisk: no mkfs.ext4 (apt-get install e2fsprogs)" >&2
	exit 1
}

stage=$img.d
rm -rf "$stage" "$img"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT
for f in "$@"; do
	name=${f%%=*} mib=${f#*=}
	head -c "$((mib << 20))" /dev/urandom >"$stage/$name"
done
truncate -s "${size}M" "$img"
# Inode tables and journal are written here, not lazily by the guest's
# ext4lazyinit thread in the middle of a benchmark; few inodes (largefile),
# so that costs little.
"$mkfs" -q -F -L jet-disk -T largefile -d "$stage" \
	-E lazy_itable_init=0,lazy_journal_init=0 "$img" >/dev/null
