#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: every selftest (the fault-injection test and the fuzzer
# included) on a debug kernel: KASAN, lockdep, kmemleak, UBSAN, DEBUG_LIST,
# debug objects, atomic-sleep checks and fault injection (debug.config). The
# kernel is built once from Debian's linux-source-6.1 and cached outside the
# clone (build-kernel.sh); jet.ko is built against it from a copy of kmod/
# (build/debug/ko), so the normal build is left alone. The run fails on any
# failed test and on any report of those checkers in the kernel log, and
# kmemleak is scanned after rmmod: any leak fails it too.
# The last line is "selftests: N passed, N failed[, N skipped]".
#
# env: TESTS, JET_SEED, V=1 as `make check`
#      JET_FUZZ_SECONDS (60)  the fuzzer's run time
#      TEST_TIMEOUT (600) per program, VM_TIMEOUT (2400)
#      JET_DEBUG_CACHE=DIR  where the kernel is kept (build-kernel.sh)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
unset MAKEFLAGS MFLAGS MAKEOVERRIDES

echo "== set-up (debug kernel)"
if ! selftests/vm/deps.sh debug; then
	echo "set-up failed"
	echo "selftests: 0 passed, 1 failed"
	exit 1
fi

echo "== debug kernel"
t0=$SECONDS
if ! entry=$(selftests/debug/build-kernel.sh | tail -n 1) || [[ -z $entry ]]
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
mkdir -p "$top/build/debug"
KDIR=$entry/obj KERNEL=$entry/bzImage KO_OUT=$top/build/debug/ko \
	OUT=$top/build/debug HOST_TESTS=0 \
	TIME_PREFIX="debug kernel ${t_kernel}s ($kernel_note), " \
	selftests/vm/check.sh debug 2>&1 | tee "$top/build/debug/check-debug.log"
rc=${PIPESTATUS[0]}
[[ $(tail -n 1 "$top/build/debug/check-debug.log") == selftests:* ]] ||
	echo "selftests: 0 passed, 1 failed"
exit "$rc"
