#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs the Debian packages that `make check` needs, and only those that
# are missing: a machine that is already set up spends no time here.
# Runs apt-get as root, or through sudo for a normal user.
#
# usage: deps.sh [debug] [matrix] [lint] [bench]   what those targets need besides
set -euo pipefail

pkgs=(
	build-essential gcc make libc6-dev binutils	# host build, static tests
	linux-headers-cloud-amd64 kmod sparse		# building jet.ko
	linux-image-cloud-amd64				# the kernel the VM boots
	linux-source-6.1 xz-utils tar			# kselftest_harness.h
	qemu-system-x86 busybox-static cpio		# the test VM
	# jetctl (libarchive, jansson, libcrypto) and its tests
	pkg-config libarchive-dev libjansson-dev libssl-dev
	zstd jq restic
	e2fsprogs					# the VM's ext4 disk image
	# the VM's reflink disk for jetctl snapshot: XFS (REFLINK_FS=btrfs)
	xfsprogs btrfs-progs
)
for group in "$@"; do
	case $group in
	debug)	# building the debug kernel (selftests/debug/build-kernel.sh)
		pkgs+=(flex bison bc libelf-dev libssl-dev util-linux
			gcovr trinity stress-ng) ;;	# coverage, outside fuzzers
	matrix)	# the other kernels of selftests/debug/check-matrix.sh
		pkgs+=(linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
			linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64) ;;
	lint)	# checkpatch.pl, sparse, the sanitizers' run-time libraries
		pkgs+=(perl libasan8 libubsan1 g++) ;;
	bench)	# make bench's plot
		pkgs+=(gnuplot-nox) ;;
	*)	echo "deps: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	# dpkg -s says "installed" for removed packages with config files left.
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $st == ii* ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || {
		echo "deps: not root and no sudo; install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get update -q </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" </dev/null
