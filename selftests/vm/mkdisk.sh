#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Makes an image that the test VM gets as a virtio disk (run-vm.sh,
# VM_DISK): SIZE MiB, sparse, with the files asked for already inside,
# filled with random bytes on the host (much faster than writing them in
# the TCG guest). The image is made anew each time, so no run sees
# another's leftovers.
#
# ext4 (the default) is the disk of the page-cache tests and benchmarks;
# xfs and btrfs have reflink (FICLONE), which `jetctl snapshot` needs.
# xfsprogs makes nothing below 300 MiB.
#
# usage: mkdisk.sh [-t ext4|xfs|btrfs] [-L LABEL] IMAGE SIZE_MIB [NAME=MIB...]
# exit:  0, or non-zero with the reason on standard error.
set -euo pipefail

fs=ext4 label=jet-disk
while getopts t:L: opt; do
	case $opt in
	t) fs=$OPTARG ;;
	L) label=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
img=$1 size=$2
shift 2
case $fs in
ext4) pkg=e2fsprogs ;;
xfs) pkg=xfsprogs ;;
btrfs) pkg=btrfs-progs ;;
*)
	echo "mkdisk: no such file system: $fs (ext4, xfs or btrfs)" >&2
	exit 2
	;;
esac
if [[ $fs == xfs ]] && ((size < 300)); then
	echo "mkdisk: xfs: $size MiB is below mkfs.xfs's 300 MiB" >&2
	exit 2
fi
mkfs=$(command -v "mkfs.$fs" || echo "/sbin/mkfs.$fs")
[[ -x $mkfs ]] || {
	echo "mkdisk: no mkfs.$fs (apt-get install $pkg)" >&2
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
case $fs in
ext4)
	# Inode tables and journal are written here, not lazily by the
	# guest's ext4lazyinit thread in the middle of a benchmark; few
	# inodes (largefile), so that costs little.
	"$mkfs" -q -F -L "$label" -T largefile -d "$stage" \
		-E lazy_itable_init=0,lazy_journal_init=0 "$img" >/dev/null
	;;
xfs)
	# The files go in through a prototype file (mkfs.xfs has no
	# --rootdir), whose words are split at blanks; reflink is
	# mkfs.xfs's default, asked for anyway.
	if [[ $# -gt 0 && $stage == *[[:space:]]* ]]; then
		echo "mkdisk: xfs: no files from a path with blanks ($stage)" >&2
		exit 1
	fi
	# mkfs.xfs 6.1 writes a file of the prototype that spans two
	# allocation groups over the second one's headers: groups bigger
	# than the biggest file (with room for the log), and the result
	# checked with xfs_repair -n.
	geometry=()
	if (($#)); then
		big=0
		for f in "$@"; do
			((${f#*=} > big)) && big=${f#*=}
		done
		agcount=$((size / (big + 256)))
		if ((agcount < 2)); then
			echo "mkdisk: xfs: $size MiB is too small for a $big MiB file (two groups of $((big + 256)) MiB)" >&2
			exit 1
		fi
		geometry=(-d "agcount=$agcount")
	fi
	{
		echo /dev/null
		echo 0 0
		echo 'd--755 0 0'
		for f in "$@"; do
			echo "${f%%=*} ---644 0 0 $stage/${f%%=*}"
		done
		echo '$'
	} >"$stage.proto"
	trap 'rm -rf "$stage" "$stage.proto"' EXIT
	"$mkfs" -q -f -L "$label" -m reflink=1 "${geometry[@]}" \
		-p "$stage.proto" "$img"
	if (($#)) && ! "${mkfs%/*}/xfs_repair" -n -f "$img" >"$stage/xfs_repair.log" 2>&1; then
		echo "mkdisk: xfs: the image is damaged (xfs_repair -n):" >&2
		grep -v '^\.*$' "$stage/xfs_repair.log" | head -n 20 >&2
		exit 1
	fi
	;;
btrfs)
	"$mkfs" -q -f -L "$label" --rootdir "$stage" "$img" >/dev/null
	;;
esac
