#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The coverage of kmod/ by the selftests of one run on the kasan debug
# kernel (check-debug.sh): init.sh sent jet.ko's .gcda files on ttyS1 after
# rmmod (a base64 tar in OUTDIR/vm-tests.log); they go beside the .gcno
# files of that build (OUTDIR/ko/src/kmod) and gcovr reads them. Prints line
# and branch coverage per file and in total; build/coverage/ gets:
#   summary.txt    the same table
#   uncovered.txt  every line never run, as FILE:LINE: source
#   summary.json   gcovr's summary; index.html and one page per file
#
# usage: coverage.sh OUTDIR
# exit:  0 when the data was there and read (the figures are not judged)
set -uo pipefail

outdir=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$outdir/ko/src
tests=$outdir/vm-tests.log
cov=$top/build/coverage

fail() {
	echo "coverage: $*"
	exit 1
}

command -v gcovr >/dev/null || fail "no gcovr (apt-get install gcovr)"
[[ -d $src/kmod ]] || fail "no build of jet.ko in $src"
ls "$src"/kmod/*.gcno >/dev/null 2>&1 ||
	fail "jet.ko was built without gcov (no .gcno in $src/kmod)"

rm -rf "$cov"
mkdir -p "$cov/gcda"
sed -n '/^jet-vm: gcov begin/,/^jet-vm: gcov end/{/^jet-vm: /d;p}' "$tests" |
	base64 -d 2>/dev/null | tar -xzf - -C "$cov/gcda" 2>/dev/null
n=$(find "$cov/gcda" -name '*.gcda' | wc -l)
((n > 0)) || fail "no .gcda from the VM ($(grep -m1 '^jet-vm: gcov' "$tests" ||
	echo 'no gcov block in the log'))"
rm -f "$src"/kmod/*.gcda
cp "$cov"/gcda/*.gcda "$src/kmod/"

# The gcov of the compiler that built the module (the kernel's) reads its
# notes.
gcov=gcov
[[ ${CC:-gcc} == gcc-* ]] && gcov=gcov-${CC#gcc-}

(cd "$src" && gcovr --gcov-executable "$gcov" --root "$src" \
	--object-directory "$src/kmod" --filter 'kmod/' \
	--json "$cov/detail.json" --json-summary-pretty \
	--json-summary "$cov/summary.json" \
	--html-details "$cov/index.html") >"$cov/gcovr.log" 2>&1 ||
	fail "gcovr failed: $(tail -n 3 "$cov/gcovr.log")"

python3 - "$cov" "$src" <<'PY' || fail "could not read gcovr's report"
import json, os, sys

cov, src = sys.argv[1], sys.argv[2]
summary = json.load(open(os.path.join(cov, "summary.json")))
detail = json.load(open(os.path.join(cov, "detail.json")))


def pct(a, b):
    return "%5.1f %%" % (100.0 * a / b) if b else "    - "


rows = ["%-14s %16s %8s %16s %8s" % ("file", "lines", "", "branches", "")]
tl = tc = tb = tt = 0
for f in sorted(summary["files"], key=lambda f: f["filename"]):
    name = os.path.basename(f["filename"])
    lt, lc = f["line_total"], f["line_covered"]
    bt, bc = f["branch_total"], f["branch_covered"]
    tl, tc, tb, tt = tl + lt, tc + lc, tb + bt, tt + bc
    rows.append("%-14s %7d / %6d %8s %7d / %6d %8s" %
                (name, lc, lt, pct(lc, lt), bc, bt, pct(bc, bt)))
rows.append("%-14s %7d / %6d %8s %7d / %6d %8s" %
            ("total", tc, tl, pct(tc, tl), tt, tb, pct(tt, tb)))
text = "\n".join(rows) + "\n"
open(os.path.join(cov, "summary.txt"), "w").write(text)
sys.stdout.write(text)

out = []
for f in sorted(detail["files"], key=lambda f: f["file"]):
    path = os.path.join(src, f["file"])
    try:
        lines = open(path).read().split("\n")
    except OSError:
        lines = []
    for ln in f["lines"]:
        if ln.get("gcovr/noncode") or ln["count"]:
            continue
        no = ln["line_number"]
        text = lines[no - 1] if 0 < no <= len(lines) else ""
        out.append("%s:%d: %s" % (f["file"], no, text))
open(os.path.join(cov, "uncovered.txt"), "w").write("\n".join(out) + "\n")
print("coverage: %d lines never run: build/coverage/uncovered.txt" % len(out))
PY
