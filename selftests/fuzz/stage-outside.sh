#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stages the outside fuzzers for the VM (check.sh, mode debug): the test
# program outside_fuzz_test (outside_fuzz.sh), jetfds.so beside it, and a
# root tree holding Debian's trinity and stress-ng with every shared
# library they load at its own path (the VM has only a static busybox).
#
# usage: stage-outside.sh ROOT TESTDIR
#        ROOT: the tree to merge into the initramfs (EXTRA_ROOT)
#        TESTDIR: where the test programs are (build/selftests)
set -euo pipefail

root=$1 testdir=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

for p in trinity stress-ng; do
	command -v "$p" >/dev/null || {
		echo "stage-outside: no $p (apt-get install $p)" >&2
		exit 1
	}
done

rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/tests"
install -m 0755 "$here/outside_fuzz.sh" "$testdir/outside_fuzz_test"
${CC:-gcc} -shared -fPIC -O2 -Wall -Wextra -Werror -I"$top" \
	-o "$root/tests/jetfds.so" "$here/jetfds.c"

# A program and its libraries (ldd's closure), at their own paths.
add() {
	local f=$1 lib
	cp -L "$f" "$root$f"
	while read -r lib; do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$f" | grep -oE '/[^ ]+\.so[^ ]*')
}
add "$(command -v trinity)"
add "$(command -v stress-ng)"
du -sh "$root" | sed 's/^/stage-outside: /; s/\t/ in /'
