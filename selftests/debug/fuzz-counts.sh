#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzzers' counts of one VM run, from its OUTDIR/vm-tests.log: the
# project's fuzzer (both modes: operations, successful opens and reads),
# trinity (as root and as uid 1000) and stress-ng. One line each, starting
# "fuzz counts:", for check-debug.sh's output and .ci/run's summary.
#
# usage: fuzz-counts.sh OUTDIR [LABEL]
set -uo pipefail

log=$1/vm-tests.log
label=${2:+$2 }
[[ -r $log ]] || exit 0
sed -n -e 's/^# fuzz \(random\|sequences\): /fuzz \1: /p' \
	-e 's/^# trinity \(root\|unprivileged\): \([0-9].*\)/trinity \1: \2/p' \
	-e 's/^# stress-ng dev: /stress-ng --dev: /p' "$log" |
	sed "s/^/fuzz counts: $label/"
