#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make lint`: the static gates, each one a test that passes or fails.
#   checkpatch  scripts/checkpatch.pl --no-tree --strict -f on every file of
#               kmod/ and uapi/ (one test per file): any ERROR, WARNING or
#               CHECK fails it. checkpatch.pl, spelling.txt and
#               const_structs.checkpatch come from Debian's linux-source-6.1.
#   sparse      jet.ko built with C=2 W=1 for the default kernel (a copy of
#               kmod/, which is left alone): any warning fails it.
#   -Werror     libjet, its tools and the selftests built with -Wall -Wextra
#               -Werror (in build/lint/, not over the normal build).
#   sanitizers  libjet's and the tools' host tests built with
#               -fsanitize=address,undefined (no recovery) and run.
# The last line is "lint: N passed, N failed"; the exit status is non-zero
# when any gate failed.
#
# env: KDIR (selftests/vm/kdir.sh), KSRC_TAR (/usr/src/linux-source-6.1.tar.xz)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/build/lint
make=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
tarball=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
passed=0 failed=0
start=$SECONDS
mkdir -p "$out"

pass() { passed=$((passed + 1)); printf '  %-40s ok\n' "$1"; }
fail() {	# fail NAME LOG: shows LOG's lines, indented
	failed=$((failed + 1))
	printf '  %-40s FAILED\n' "$1"
	[[ -n ${2:-} && -s $2 ]] && sed 's/^/      /' "$2"
}
gate() {	# gate NAME COMMAND...: the command's output in build/lint/NAME.log
	local name=$1 log
	shift
	log=$out/${name//[^A-Za-z0-9_.-]/_}.log
	if "$@" >"$log" 2>&1; then
		pass "$name"
	else
		fail "$name" "$log"
	fi
}

echo "== set-up"
"$top/selftests/vm/deps.sh" lint || {
	echo "set-up failed"
	echo "lint: 0 passed, 1 failed"
	exit 1
}
KDIR=$("$top/selftests/vm/kdir.sh")

echo "== checkpatch --strict"
cp_dir=$out/checkpatch
if [[ ! -f $cp_dir/.stamp || $tarball -nt $cp_dir/.stamp ]]; then
	rm -rf "$cp_dir" "$cp_dir.tmp"
	mkdir -p "$cp_dir.tmp"
	tar -xJf "$tarball" -C "$cp_dir.tmp" \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	mv "$cp_dir.tmp/linux-source-6.1/scripts" "$cp_dir"
	rm -rf "$cp_dir.tmp"
	touch "$cp_dir/.stamp"
fi
for f in kmod/*.c kmod/*.h uapi/*.h; do
	# Not the build's own files (jet.mod.c), when kmod/ has been built.
	[[ -e $f && $f != *.mod.c ]] || continue
	log=$out/checkpatch-${f//\//_}.log
	# checkpatch.pl's exit status counts CHECKs too under --strict.
	# MACRO_ARG_REUSE is ignored: the one macro it flags is ioctl.c's
	# table row, whose argument is always a constant ioctl number.
	if perl "$cp_dir/checkpatch.pl" --no-tree --strict --terse \
		--show-types --ignore MACRO_ARG_REUSE -f "$f" >"$log" 2>&1; then
		pass "checkpatch $f"
	else
		grep -v '^total: ' "$log" >"$log.short"
		fail "checkpatch $f ($(grep -m1 '^total: ' "$log"))" "$log.short"
	fi
done

echo "== sparse (C=2 W=1) on jet.ko for $KDIR"
if [[ -z $KDIR ]]; then
	fail "sparse: no kernel headers"
else
	gate "sparse C=2 W=1" "$top/selftests/debug/build-ko.sh" "$KDIR" \
		"$out/sparse" C=2 -j"$(nproc)"
fi

echo "== -Wall -Wextra -Werror"
werror="-O2 -g -Wall -Wextra -Werror"
gate "libjet -Werror" \
	"$make" -C libjet O="$out/libjet" CFLAGS="$werror" all
gate "libjet/tools -Werror" \
	"$make" -C libjet/tools O="$out/tools" LIBJET="$out/libjet/libjet.a" \
	CFLAGS="$werror" all
gate "selftests -Werror" \
	"$make" -C selftests OUT="$out/selftests" KST="$out/kselftest" \
	LIBJET="$out/libjet/libjet.a" CFLAGS="$werror"
gate "portable host build (6.12 headers, no 6.1 tarball)" "$top/selftests/vm/portable-build.sh"

echo "== host tests under -fsanitize=address,undefined"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
san+=" -fno-omit-frame-pointer"
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Sanitized objects go apart from the normal ones (build/lint/asan*).
gate "libjet test (ASan+UBSan)" \
	"$make" -C libjet O="$out/asan" CFLAGS="-O1 -g $san" LDFLAGS="$san" \
	test
gate "libjet/tools test (ASan+UBSan)" \
	"$make" -C libjet/tools O="$out/asan-tools" \
	LIBJET="$out/asan/libjet.a" CFLAGS="-O1 -g $san" LDFLAGS="$san" test
for t in "libjet test (ASan+UBSan)" "libjet/tools test (ASan+UBSan)"; do
	log=$out/${t//[^A-Za-z0-9_.-]/_}.log
	grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 |
		sed "s|^|      $t: |"
done

echo "time: lint $((SECONDS - start))s"
echo "lint: $passed passed, $failed failed"
((failed == 0))
