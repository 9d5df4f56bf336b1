#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` and `make bench`: set-up (missing packages), build, the
# libjet host unit tests, then the selftests in a VM booted on the Debian
# cloud kernel that jet.ko was built for. The last line of `check` is
#     selftests: N passed, N failed[, N skipped]
# and the exit status is non-zero on any failure. Mode debug is check on
# the debug kernel (selftests/debug/check-debug.sh sets it up): kmemleak is
# scanned after rmmod and the host unit tests are left to `check`.
#
# usage: check.sh check|bench|debug
# env:   TESTS="a_test b_test"  only these programs
#        KDIR=DIR KERNEL=BZIMAGE  build for / boot another installed kernel
#        KO_OUT=DIR  build jet.ko in DIR from a copy of kmod/ (W=1, no
#          warning allowed; kmod/ is left alone), not with `make all`
#        OUT=DIR (build)  the logs and the initramfs
#        HOST_TESTS=0  skip the host tests (libjet's, the tools', the
#          staged install)
#        TIME_PREFIX="..."  the start of the closing time: line
#        JET_SEED=N (default 1)  passed to the tests
#        TEST_TIMEOUT=S (300, bench 900) per program; VM_TIMEOUT=S (900,
#          bench 2400)
#        HUNG_TIMEOUT=S (60) the guest's hung-task limit
#        V=1 the whole console; ACCEL=kvm VM_CPU=... KERNEL_APPEND=...
#        JET_KO_ARGS="param=value ..." for insmod
#        VM_MEM=MiB the guest's memory (2048; bench 768, so that a file
#          twice its size stays small)
set -uo pipefail

mode=${1:-check}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
vm=selftests/vm
out=${OUT:-$top/build}
make=${MAKE:-make}
# `make check TESTS=...` must not hand TESTS (or anything else given on its
# command line) to the makes below: libjet has a TESTS of its own.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
export JET_SEED=${JET_SEED:-1}
[[ $mode == bench ]] && : "${TEST_TIMEOUT:=900}" "${VM_TIMEOUT:=2400}"
export VM_TIMEOUT=${VM_TIMEOUT:-900}
export TEST_TIMEOUT=${TEST_TIMEOUT:-300}

passed=0 failed=0 skipped=0
t_setup=0 t_build=0 t_host=0 t_vm=0 t_boot=- t_tests=-
stamp=$EPOCHREALTIME

lap() {		# lap VAR: VAR = seconds since the last lap, with tenths
	local now=$EPOCHREALTIME
	printf -v "$1" '%s' \
		"$(awk -v a="$stamp" -v b="$now" 'BEGIN { printf "%.1f", b - a }')"
	stamp=$now
}

finish() {
	printf 'time: %sset-up %ss, build %ss, host tests %ss, VM run %ss' \
		"${TIME_PREFIX:-}" "$t_setup" "$t_build" "$t_host" "$t_vm"
	printf ' (boot %ss, tests %ss)\n' "$t_boot" "$t_tests"
	if [[ $mode != bench ]]; then
		local line="selftests: $passed passed, $failed failed"
		((skipped)) && line+=", $skipped skipped"
		echo "$line"
	elif ((failed)); then
		echo "bench: $failed problems"
	fi
	((failed == 0))
	exit
}

# The test programs to run: TESTS (names, with or without the _test/_bench
# suffix) or all of this mode's.
select_programs() {
	local suffix=_test want name
	[[ $mode == bench ]] && suffix=_bench
	if [[ -z ${TESTS:-} ]]; then
		for name in selftests/*"$suffix".c; do
			[[ -e $name ]] || continue
			name=${name##*/}
			echo "${name%.c}"
		done
		[[ $mode == check ]] &&
			echo jetctl_test restore_drill_test snapshot_drill_test
		[[ $mode == bench ]] && echo jetctl_bench
		# the debug kernels: the outside fuzzers last, just before the
		# final rmmod (whatever they leave holding the module fails it)
		[[ $mode == debug ]] && echo outside_fuzz_test
		return
	fi
	for want in $TESTS; do
		name=${want##*/}
		name=${name%.c}
		[[ -e selftests/$name.c || $name == jetctl_test ||
			$name == restore_drill_test || $name == jetctl_bench ||
			$name == snapshot_drill_test ||
			$name == outside_fuzz_test ]] || name=$name$suffix
		echo "$name"
	done
}

deps=()
[[ $mode == debug ]] && deps=(debug)
[[ $mode == bench ]] && deps=(bench)
echo "== set-up"
if ! "$vm/deps.sh" "${deps[@]}"; then
	echo "set-up failed"
	failed=1
	lap t_setup
	finish
fi
KDIR=$("$vm/kdir.sh")
release=$(sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null)
if [[ -z $release ]]; then
	echo "no kernel headers at KDIR='$KDIR'"
	failed=1
	lap t_setup
	finish
fi
kernel=${KERNEL:-/boot/vmlinuz-$release}
mkdir -p "$out"
if [[ ! -r $kernel && -e $kernel ]]; then
	# Some distributions keep /boot root-only.
	sudo install -m 0644 "$kernel" "$out/vmlinuz" && kernel=$out/vmlinuz
fi
lap t_setup

echo "== build (KDIR=$KDIR)"
ko=kmod/jet.ko
build() {
	if [[ -n ${KO_OUT:-} ]]; then
		"$make" --no-print-directory -j"$(nproc)" libjet selftests &&
			selftests/debug/build-ko.sh "$KDIR" "$KO_OUT" -j"$(nproc)"
	else
		"$make" --no-print-directory -j"$(nproc)" KDIR="$KDIR" all selftests
	fi
}
[[ -n ${KO_OUT:-} ]] && ko=$KO_OUT/jet.ko
# jetctl_test: the tools' own checks (libjet/tools/tests/vm_tools.sh) run in
# the VM with static jetctl and jetdemo-server beside them;
# restore_drill_test (vm_restore_drill.sh) uses the same two;
# snapshot_drill_test (vm_snapshot_drill.sh) hold_at_ficlone too.
tools() {
	"$make" --no-print-directory -C libjet/tools STATIC=1 >/dev/null &&
		install -m 0755 libjet/tools/tests/vm_tools.sh \
			build/selftests/jetctl_test &&
		install -m 0755 libjet/tools/tests/vm_restore_drill.sh \
			build/selftests/restore_drill_test &&
		install -m 0755 libjet/tools/tests/vm_snapshot_drill.sh \
			build/selftests/snapshot_drill_test &&
		"${CC:-cc}" -static -O2 -Wall -Wextra -Werror -I. \
			-o build/selftests/hold_at_ficlone \
			libjet/tools/tests/hold_at_ficlone.c &&
		install -m 0755 libjet/tools/static/jetctl \
			libjet/tools/static/jetdemo-server build/selftests/
}
# jetctl_bench (make bench): jetctl backup end to end, the same way.
bench_tools() {
	tools && install -m 0755 selftests/bench/jetctl_bench.sh \
		build/selftests/jetctl_bench
}
# outside_fuzz_test: trinity and stress-ng with their libraries
# (selftests/fuzz/stage-outside.sh), merged into the VM's root.
outside() {
	[[ " $(select_programs | tr '\n' ' ') " == *" outside_fuzz_test "* ]] ||
		return 0
	selftests/fuzz/stage-outside.sh "$out/outside-root" build/selftests &&
		export EXTRA_ROOT=$out/outside-root
}
if ! build || { [[ $mode == check ]] && ! tools; } ||
	{ [[ $mode == bench ]] && ! bench_tools; } || ! outside; then
	echo "build failed"
	failed=1
	lap t_build
	finish
fi
lap t_build

# host_tests NAME LOG COMMAND...: a host test suite whose last counts line is
# "N passed, N failed"; its counts join the total.
host_tests() {
	local name=$1 log=$2 rc counts p f s
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	counts=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p' <<<"$counts")
	f=$(sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p' <<<"$counts")
	s=$(sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p' <<<"$counts")
	if [[ -z $p || -z $f ]]; then
		echo "  $name printed no counts (status $rc)"
		f=1
	elif [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "  $name: status $rc"
		f=1
	fi
	((f)) && grep -E '^ *(not ok|FAIL)' "$log" | sed 's/^/    /'
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	printf '  %-28s %s passed, %s failed%s  (%s)\n' "$name" "${p:-0}" "$f" \
		"${s:+, $s skipped}" "${log#"$top"/}"
}

if [[ $mode == check && ${HOST_TESTS:-1} != 0 ]]; then
	echo "== host tests"
	host_tests "libjet (host)" "$out/libjet-test.log" \
		"$make" --no-print-directory -C libjet test
	host_tests "jetctl (host)" "$out/tools-test.log" \
		"$make" --no-print-directory -C libjet/tools test
	host_tests "make install (staged)" "$out/install-test.log" \
		"$vm/install-test.sh"
	lap t_host
fi

# restic for jetctl_test's repository round trip: Debian's is linked with
# libc, so its dynamic loader and libc go beside it (the test runs it
# through the loader).
restic_files() {
	local r ld libc
	r=$(command -v restic) || return 0
	ld=$(readlink -f /lib64/ld-linux-x86-64.so.2)
	libc=$(ldd "$r" | sed -n 's/^[[:space:]]*libc.so.6 => \([^ ]*\).*/\1/p')
	[[ -n $ld && -n $libc ]] || return 0
	mkdir -p build/restic
	cp "$r" build/restic/restic
	cp "$ld" build/restic/ld-linux-x86-64.so.2
	cp "$libc" build/restic/libc.so.6
	echo build/restic/restic build/restic/ld-linux-x86-64.so.2 build/restic/libc.so.6
}

echo "== VM ($kernel, $ko, JET_SEED=$JET_SEED)"
progs=() names=() tool_files=0 extra_files=
for name in $(select_programs); do
	if [[ -x build/selftests/$name ]]; then
		progs+=("build/selftests/$name")
		names+=("$name")
		case $name in
		jetctl_test | restore_drill_test | snapshot_drill_test | \
			jetctl_bench | snapshot_bench)
			tool_files=1 ;;
		esac
		[[ $name == jetctl_test ]] && extra_files+=" $(restic_files)"
		[[ $name == snapshot_drill_test ]] &&
			extra_files+=" build/selftests/hold_at_ficlone"
	else
		printf '  %-28s no such test program\n' "$name"
		failed=$((failed + 1))
	fi
done
((tool_files)) && export EXTRA_FILES="build/selftests/jetctl build/selftests/jetdemo-server$extra_files"
# The virtio disks, images under $out (selftests/vm/mkdisk.sh). jet-disk,
# ext4: a small one for the page-cache tests; for bench, the files the disk
# benchmarks read (selftests/jet_disk.h), the biggest twice the guest's
# memory. jet-reflink, XFS (REFLINK_FS=btrfs for btrfs): a file system with
# reflink for `jetctl snapshot` (the snapshot drill; for bench, the 1 GiB
# database of snapshot_bench and room for its streaming backup). Without
# the virtio driver, or the file system, in the booted kernel (the debug
# kernels have no XFS) the tests and benchmarks that need them skip.
kmods() {	# kmods NAME...: those the booted kernel needs loaded
	local m d=/lib/modules/$release
	for m; do
		if grep -qE "/$m\.ko(\.xz|\.zst)?:" "$d/modules.dep" 2>/dev/null; then
			echo "$m"
		# built in: the installed kernel's list, or a debug kernel's
		# build tree (KDIR) where it was never installed
		elif ! grep -qsE "/$m\.ko$" "$d/modules.builtin" \
			"$KDIR/modules.builtin"; then
			return 1
		fi
	done
}
reflink_fs=${REFLINK_FS:-xfs}
if [[ $mode == bench ]]; then
	export VM_MEM=${VM_MEM:-768}
	disk=$out/bench/disk.img
	disk_files=(big.db=$((2 * VM_MEM)) hot.db=64)
	# and room for jetctl_bench's database and its two copies
	disk_mib=$((2 * VM_MEM + 64 + 3 * 128 + 512))
	rdisk=$out/bench/reflink.img
	rdisk_files=(snap.edb=1024)
	# the database, what its writes reallocate while shared with a
	# snapshot (XFS copies on write), its backup, logs, XFS's 64 MiB log
	rdisk_mib=$((4 * 1024 + 512))
else
	disk=$out/vm-disk.img
	disk_files=()
	disk_mib=64
	rdisk=$out/vm-reflink.img
	rdisk_files=()
	rdisk_mib=320	# mkfs.xfs makes nothing smaller than 300 MiB
fi
unset VM_DISK
if ! mods=$(kmods virtio_pci virtio_blk); then
	echo "  no virtio disk: no virtio_blk for $release"
elif ! mkdir -p "${disk%/*}" ||
	! "$vm/mkdisk.sh" "$disk" "$disk_mib" "${disk_files[@]}"; then
	echo "  making the virtio disk failed"
	failed=$((failed + 1))
else
	export VM_DISK=$disk,jet-disk EXTRA_MODULES=${mods//$'\n'/ }
	# qemu reads the host's disk (cache=none) where O_DIRECT works there
	dd if=/dev/zero of="$disk.odirect" bs=4096 count=1 oflag=direct \
		2>/dev/null || export VM_DISK_CACHE=writeback
	rm -f "$disk.odirect"
	if ! fsmods=$(kmods "$reflink_fs"); then
		echo "  no reflink disk: no $reflink_fs for $release"
	elif ! "$vm/mkdisk.sh" -t "$reflink_fs" -L jet-reflink "$rdisk" \
		"$rdisk_mib" "${rdisk_files[@]}"; then
		echo "  making the reflink disk failed"
		failed=$((failed + 1))
	else
		VM_DISK+=" $rdisk,jet-reflink"
		# libcrc32c (xfs, btrfs) asks the crypto API for crc32c as it
		# loads, and the VM has no modprobe to fetch it: where the
		# generic one is a module (6.12-rt), it goes first
		crcmod=$(kmods crc32c_generic) || crcmod=
		EXTRA_MODULES+=${crcmod:+ $crcmod}${fsmods:+ $fsmods}
	fi
fi
if ! MODDIR=/lib/modules/$release \
	"$vm/mkinitramfs.sh" "$out/initramfs.cpio" "$mode" "$ko" \
	"${progs[@]}"; then
	echo "  packing the initramfs failed"
	failed=$((failed + 1))
	lap t_vm
	finish
fi
"$vm/run-vm.sh" "$kernel" "$out/initramfs.cpio" "$out"
vmrc=$?
# A kernel that dies before the VM's init says a word has run no jet code:
# under TCG, 6.12-rt once took an int3 Oops while it patched its own text
# at boot. Boot it once more, and say so; its log is kept.
if ! grep -q "jet-vm: boot mode=" "$out/vm-tests.log" 2>/dev/null; then
	mv "$out/vm-console.log" "$out/vm-console.first-boot.log"
	echo "  the kernel died before init ran (no jet code had run;" \
		"${out#"$top"/}/vm-console.first-boot.log): booting again"
	"$vm/run-vm.sh" "$kernel" "$out/initramfs.cpio" "$out"
	vmrc=$?
fi
t_boot=$(cat "$out/vm-boot-seconds" 2>/dev/null || echo -)
t_tests=$(awk -v a="$t_boot" -v b="$(cat "$out/vm-seconds" 2>/dev/null)" \
	'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1f", b - a; else print "-" }')
echo "== results (logs: ${out#"$top"/}/vm-console.log, ${out#"$top"/}/vm-tests.log)"
"$vm/check-log.sh" "$mode" "$out" "$vmrc" "${names[@]}"
read -r p f s <"$out/vm-counts"
passed=$((passed + p))
failed=$((failed + f))
skipped=$((skipped + s))
lap t_vm
finish
