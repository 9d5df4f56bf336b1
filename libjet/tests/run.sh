#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run libjet's host-side tests: the test binaries named on the command line
# (in $O/tests), then compile-only checks of the public header and the
# shared library's exports. Prints "N passed, M failed"; fails if any failed.

O=${O:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
passed=0
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

for t in "$@"; do
	"$O/tests/$t" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/out"
	cat "$tmp/err" >&2
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$tmp/out" | tail -n 1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	if [ -z "$line" ]; then
		ko "$t: exit status $rc, no result line"
		continue
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || ko "$t: exit status $rc"
done

# the public header stands alone, in strict C and in C++
for std in c99 c11 gnu89; do
	if printf '#include "jet.h"\nint main(void) { return JET_errSuccess; }\n' |
	   $CC -std=$std -Wall -Wextra -Werror -pedantic \
		-Wno-long-long -I. -x c -o "$tmp/h" - 2>"$tmp/err"; then
		ok
	else
		cat "$tmp/err" >&2
		ko "jet.h does not compile as $std"
	fi
done
if command -v "$CXX" >/dev/null 2>&1; then
	if printf '#include "jet.h"\nint main() { return JetInit(0) ? 0 : 0; }\n' |
	   $CXX -std=c++11 -Wall -Wextra -Werror -pedantic -I. -x c++ -c \
		-o "$tmp/hxx.o" - 2>"$tmp/err"; then
		ok
	else
		cat "$tmp/err" >&2
		ko "jet.h does not compile as C++"
	fi
fi
# the header does not drag in the kernel's
if grep -q 'include.*jet_ioctl' jet.h; then ko "jet.h includes the uapi"; else ok; fi

# ESE's prototypes, checked by the compiler
if $CC -std=gnu11 -Wall -Wextra -Werror -I. -c -o "$tmp/p.o" \
	tests/proto_check.c 2>"$tmp/err"; then
	ok
else
	cat "$tmp/err" >&2
	ko "prototypes differ from ESE"
fi

# libjet.so: SONAME, and only Jet* exported, at JET_1.0 or LIBJET_1.1
so="$O/libjet.so.1.0.0"
if readelf -d "$so" | grep -q 'SONAME.*\[libjet\.so\.1\]'; then ok; else ko "SONAME"; fi
bad=$(nm -D --defined-only "$so" |
	awk '$3 != "JET_1.0" && $3 != "LIBJET_1.1" && $3 !~ /^Jet/')
if [ -z "$bad" ]; then ok; else ko "unexpected exports: $bad"; fi
n=$(grep -c '^JET_ERR JET_API Jet\|^const char JET_API \*Jet' jet.h)
e=$(nm -D --defined-only "$so" | awk '$3 ~ /^Jet/' | wc -l)
if [ "$n" -eq "$e" ]; then ok; else ko "jet.h declares $n calls, libjet.so exports $e"; fi
if objdump -T "$so" | grep -q 'JET_1.0 *JetStopBackupInstance'; then ok; else ko "symbol version"; fi
for f in JetGetInstanceByName JetGetLogRollRequest JetTruncateLog \
	JetOSSnapshotGetLogInfoInstanceA \
	JetOSSnapshotFreezeA; do
	if objdump -T "$so" | grep -q "LIBJET_1.1 *$f"; then ok; else ko "symbol version 1.1 of $f"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
