#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug` and `make check-kcsan`: every selftest (the
# fault-injection test, the fuzzers and the outside fuzzers included) on a
# debug kernel: lockdep, kmemleak, UBSAN, DEBUG_LIST, debug objects,
# atomic-sleep checks and fault injection (debug.config), with KASAN and
# gcov (flavour kasan: `make check-debug`) or KCSAN (flavour kcsan: `make
# check-kcsan`). Each kernel is built once from Debian's linux-source-6.1
# and cached outside the clone (build-kernel.sh); jet.ko is built against it
# from a copy of kmod/ (build/debug/ko, build/kcsan/ko), so the normal build
# is left alone. The run fails on any failed test and on any report of those
# checkers in the kernel log, and kmemleak is scanned after rmmod: any leak
# fails it too. The kasan flavour then prints the coverage of kmod/
# (coverage.sh; build/coverage/).
# The last line is "selftests: N passed, N failed[, N skipped]".
#
# usage: check-debug.sh [kasan|kcsan]   (kasan)
# env: TESTS, JET_SEED, V=1 as `make check`
#      JET_FUZZ_SECONDS (60)  the fuzzer's run time
#      JET_OUTSIDE_SECONDS (60)  trinity's and stress-ng's time, each
#      TEST_TIMEOUT (600) per program, VM_TIMEOUT (2400)
#      JET_DEBUG_CACHE=DIR  where the kernels are kept (build-kernel.sh)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
flavour=${1:-kasan}
case $flavour in
kasan) out=$top/build/debug ;;
kcsan) out=$top/build/kcsan ;;
*) echo "usage: check-debug.sh [kasan|kcsan]"; exit 2 ;;
esac

echo "== set-up (debug kernel, $flavour)"
if ! selftests/vm/deps.sh debug; then
	echo "set-up failed"
	echo "selftests: 0 passed, 1 failed"
	exit 1
fi

echo "== debug kernel ($flavour)"
t0=$SECONDS
if ! entry=$(selftests/debug/build-kernel.sh "$flavour" | tail -n 1) ||
	[[ -z $entry ]]
then
	echo "the debug kernel could not be built"
	echo "selftests: 0 passed, 1 failed"
	exit 1
fi
t_kernel=$((SECONDS - t0))
built=$(cat "$entry/build-seconds")
if ((t_kernel >= built)); then
	kernel_note="built now in ${t_kernel}s"
else
	kernel_note="cached (${t_kernel}s; it was built in ${built}s)"
fi
echo "  $entry: $kernel_note"

# The slow kernel: everything takes longer (TCG and KASAN and lockdep).
export JET_FUZZ_SECONDS=${JET_FUZZ_SECONDS:-60}
export TEST_TIMEOUT=${TEST_TIMEOUT:-600}
export VM_TIMEOUT=${VM_TIMEOUT:-2400}
export HUNG_TIMEOUT=${HUNG_TIMEOUT:-120}
export JET_OUTSIDE_SECONDS=${JET_OUTSIDE_SECONDS:-60}
export DEBUG_FLAVOUR=$flavour
# PCI interrupts are routed by the BIOS's table, not by ACPI: QEMU's pc
# machine answers _PRT with an AML loop over 128 entries, which this
# kernel's interpreter (KASAN, lockdep, under TCG) runs for longer than
# ACPI's 30 s loop limit. The virtio disk then has no interrupt and the
# boot hangs at its first read.
export KERNEL_APPEND="acpi=noirq${KERNEL_APPEND:+ $KERNEL_APPEND}"
mkdir -p "$out"
log=$out/check-debug.log
KDIR=$entry/obj KERNEL=$entry/bzImage KO_OUT=$out/ko OUT=$out HOST_TESTS=0 \
	TIME_PREFIX="$flavour kernel ${t_kernel}s ($kernel_note), " \
	selftests/vm/check.sh debug 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[[ $(tail -n 1 "$log") == selftests:* ]] || {
	echo "selftests: 0 passed, 1 failed"
	exit 1
}
# The fuzzers' counts (fuzz_test, trinity, stress-ng).
last=$(tail -n 1 "$log")
selftests/debug/fuzz-counts.sh "$out" "$flavour" | tee -a "$log"
# The coverage of this run (the kasan kernel's jet.ko is built with gcov),
# printed before the closing line, which stays the run's last; no data is a
# failure (the figures themselves are not judged here).
if [[ $flavour == kasan ]]; then
	echo "== coverage of kmod/ (build/coverage/)"
	if ! selftests/debug/coverage.sh "$out" | tee -a "$log"; then
		f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$last")
		last=${last/ $f failed/ $((f + 1)) failed}
		rc=1
	fi
fi
echo "$last" | tee -a "$log"
exit "$rc"
