#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-matrix`: the selftests on each kernel of the matrix, as
# `make check` runs them (without libjet's host unit tests, which do not
# depend on the kernel): Debian's 6.1 cloud kernel, its 6.12 cloud kernel and
# its 6.12 PREEMPT_RT kernel (bookworm-security). For each, jet.ko is built
# from a copy of kmod/ with W=1, and any warning fails that kernel. Prints
# one line per kernel, then "selftests: N passed, N failed[, N skipped]"
# summing them all.
#
# env: MATRIX="6.1-cloud 6.12-cloud 6.12-rt"  the kernels (a subset, in order)
#      TESTS, JET_SEED, TEST_TIMEOUT, VM_TIMEOUT, V=1 as `make check`
# Logs: build/matrix/NAME/ (check.log, vm-console.log, vm-tests.log).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
start=$SECONDS

# NAME -> the newest matching Debian headers directory.
headers() {
	local glob
	case $1 in
	6.1-cloud) env -u KDIR "$top/selftests/vm/kdir.sh" | grep -- '-6\.1\.'; return ;;
	6.12-cloud) glob='linux-headers-6.12.*-cloud-amd64' ;;
	6.12-rt) glob='linux-headers-6.12.*-rt-amd64' ;;
	*) return 1 ;;
	esac
	find /usr/src -maxdepth 1 -name "$glob" | sort -V | tail -n 1
}

echo "== set-up (the matrix's kernels)"
selftests/vm/deps.sh matrix || echo "set-up failed: the missing kernels fail"

passed=0 failed=0 skipped=0
summary=()
for name in ${MATRIX:-6.1-cloud 6.12-cloud 6.12-rt}; do
	t0=$SECONDS
	out=$top/build/matrix/$name
	mkdir -p "$out"
	kdir=$(headers "$name")
	if [[ -z $kdir || ! -d $kdir ]]; then
		summary+=("$(printf '%-11s %-30s no headers installed: 0 passed, 1 failed' "$name" -)")
		failed=$((failed + 1))
		continue
	fi
	echo "== kernel $name ($kdir)"
	KDIR=$kdir KERNEL='' KO_OUT=$out/ko OUT=$out HOST_TESTS=0 \
		selftests/vm/check.sh check 2>&1 | tee "$out/check.log" |
		sed -u 's/^/  /'
	last=$(tail -n 1 "$out/check.log")
	p=$(sed -n 's/^selftests: \([0-9]*\) passed.*/\1/p' <<<"$last")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$last")
	s=$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$last")
	if [[ -z $p || -z $f ]]; then
		p=0 f=1
		last="no result line: 0 passed, 1 failed"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	rel=$(basename "$kdir")
	rel=${rel#linux-headers-}
	summary+=("$(printf '%-11s %-30s %s (%ss)' "$name" "$rel" \
		"${last#selftests: }" $((SECONDS - t0)))")
done

echo "== kernel matrix"
printf '  %s\n' "${summary[@]}"
echo "time: matrix $((SECONDS - start))s"
line="selftests: $passed passed, $failed failed"
((skipped)) && line+=", $skipped skipped"
echo "$line"
((failed == 0))
