#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` and `make bench`: set-up (missing packages), build, the
# libjet host unit tests, then the selftests in a VM booted on the Debian
# cloud kernel that jet.ko was built for. The last line of `check` is
#     selftests: N passed, N failed[, N skipped]
# and the exit status is non-zero on any failure.
#
# usage: check.sh check|bench
# env:   TESTS="a_test b_test"  only these programs
#        KDIR=DIR KERNEL=BZIMAGE  build for / boot another installed kernel
#        JET_SEED=N (default 1)  passed to the tests
#        TEST_TIMEOUT=S (300, bench 900) per program; VM_TIMEOUT=S (900)
#        HUNG_TIMEOUT=S (60) the guest's hung-task limit
#        V=1 the whole console; ACCEL=kvm VM_CPU=... KERNEL_APPEND=...
#        JET_KO_ARGS="param=value ..." for insmod
set -uo pipefail

mode=${1:-check}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
vm=selftests/vm
out=$top/build
make=${MAKE:-make}
# `make check TESTS=...` must not hand TESTS (or anything else given on its
# command line) to the makes below: libjet has a TESTS of its own.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
export JET_SEED=${JET_SEED:-1}
[[ $mode == bench ]] && : "${TEST_TIMEOUT:=900}"
export TEST_TIMEOUT=${TEST_TIMEOUT:-300}

passed=0 failed=0 skipped=0
t_setup=0 t_build=0 t_host=0 t_vm=0
stamp=$EPOCHREALTIME

lap() {		# lap VAR: VAR = seconds since the last lap, with tenths
	local now=$EPOCHREALTIME
	printf -v "$1" '%s' \
		"$(awk -v a="$stamp" -v b="$now" 'BEGIN { printf "%.1f", b - a }')"
	stamp=$now
}

finish() {
	printf 'time: set-up %ss, build %ss, host tests %ss, VM run %ss\n' \
		"$t_setup" "$t_build" "$t_host" "$t_vm"
	if [[ $mode == check ]]; then
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
		return
	fi
	for want in $TESTS; do
		name=${want##*/}
		name=${name%.c}
		[[ -e selftests/$name.c ]] || name=$name$suffix
		echo "$name"
	done
}

echo "== set-up"
if ! "$vm/deps.sh"; then
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
if ! "$make" --no-print-directory -j"$(nproc)" KDIR="$KDIR" all; then
	echo "build failed"
	failed=1
	lap t_build
	finish
fi
lap t_build

if [[ $mode == check ]] && grep -qE '^test[[:space:]]*:' libjet/Makefile 2>/dev/null
then
	echo "== libjet host unit tests"
	"$make" --no-print-directory -C libjet test 2>&1 |
		tee "$out/libjet-test.log" | sed -u 's/^/  /'
	rc=${PIPESTATUS[0]}
	counts=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out/libjet-test.log" |
		tail -n 1)
	p=$(sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p' <<<"$counts")
	f=$(sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p' <<<"$counts")
	s=$(sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p' <<<"$counts")
	if [[ -z $p || -z $f ]]; then
		echo "  libjet unit tests printed no counts (status $rc)"
		f=1
	elif [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "  libjet unit tests: make status $rc"
		f=1
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	printf '  %-28s %s passed, %s failed\n' "libjet (host)" "${p:-0}" "$f"
	lap t_host
fi

echo "== VM ($kernel, JET_SEED=$JET_SEED)"
progs=() names=()
for name in $(select_programs); do
	if [[ -x build/selftests/$name ]]; then
		progs+=("build/selftests/$name")
		names+=("$name")
	else
		printf '  %-28s no such test program\n' "$name"
		failed=$((failed + 1))
	fi
done
if ! MODDIR=/lib/modules/$release \
	"$vm/mkinitramfs.sh" "$out/initramfs.cpio" "$mode" kmod/jet.ko \
	"${progs[@]}"; then
	echo "  packing the initramfs failed"
	failed=$((failed + 1))
	lap t_vm
	finish
fi
"$vm/run-vm.sh" "$kernel" "$out/initramfs.cpio" "$out"
vmrc=$?
echo "== results (logs: build/vm-console.log, build/vm-tests.log)"
"$vm/check-log.sh" "$mode" "$out" "$vmrc" "${names[@]}"
read -r p f s <"$out/vm-counts"
passed=$((passed + p))
failed=$((failed + f))
skipped=$((skipped + s))
lap t_vm
finish
