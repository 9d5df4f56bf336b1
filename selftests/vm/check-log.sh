#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Judges a VM run from its logs: the KTAP results of each test program
# (vm-tests.log) and the kernel's console (vm-console.log). Prints a summary
# per program, the output of every program that failed, and the kernel lines
# that make the run fail. Writes "PASSED FAILED SKIPPED" to OUTDIR/vm-counts
# (the VM's own checks count as failed tests when they fail).
#
# Mode debug is check on the debug kernel: its kmemleak scan must also have
# run (init.sh), and any leak it reports fails the run. On the KCSAN kernel
# (DEBUG_FLAVOUR=kcsan) KCSAN must have passed its boot selftest, and every KCSAN
# report whose stacks run through jet.ko fails the run; each report is
# listed, and one in the kernel's own code alone is named as not jet's.
#
# usage: check-log.sh check|bench|debug OUTDIR VM_STATUS PROGRAM...
# exit:  0 when nothing failed.
set -uo pipefail

mode=$1 outdir=$2 vmrc=$3
shift 3
console=$outdir/vm-console.log
tests=$outdir/vm-tests.log
touch "$console" "$tests"

# Kernel lines that fail a run, whatever the tests said.
problems='Oops|BUG:|kernel BUG at|WARNING:|Call Trace|general protection'
problems+='|[Kk]ernel panic|Unable to handle kernel|blocked for more than'
problems+='|possible circular locking|inconsistent lock state'
problems+='|possible recursive locking|possible irq lock inversion'
problems+='|lock held when returning|bad unlock balance|held lock freed'
problems+='|suspicious RCU usage|detected stall|UBSAN:|KASAN:|KFENCE:|KCSAN:'
problems+='|refcount_t:|unreferenced object|stack-protector'
# The debug kernel's own words (most also come with a BUG: or WARNING:).
problems+='|sleeping function called from invalid context'
problems+='|list_add corruption|list_del corruption|ODEBUG:'
problems+='|suspected memory leaks|kmemleak: .*([Dd]isabl|[Cc]annot)'
problems+='|lockdep is turned off|DEBUG_LOCKS_WARN_ON|SLUB: .*(corrupt|Poison)'
problems+='|Redzone|Object padding|hardened usercopy|detected buffer overflow'
# Taint bits: forced rmmod, bad page, oops, warning, soft lockup.
bad_taint=$((8 | 32 | 128 | 512 | 16384))

awkmode=$mode
[[ $mode == debug ]] && awkmode=check
awk -v mode="$awkmode" -v expected="$*" -v counts="$outdir/vm-counts" \
	-v testlog="$tests" '
function flush_prog(   f, n, note, status) {
	if (cur == "")
		return
	ran[cur] = 1
	n = (plan > seen) ? plan - seen : 0
	f = fail
	note = ""
	if (!ended) {
		note = "did not finish: the VM stopped"
	} else if (tmo) {
		note = "timed out"
	} else if (rc != 0 && rc != 4 && fail == 0) {
		note = (rc > 128) ? "killed by signal " (rc - 128) : "exit status " rc
	} else if (n > 0) {
		note = "plan " plan ", only " seen " results"
	} else if (seen == 0 && !wholeskip && mode == "check") {
		note = "no KTAP results"
	}
	if (note != "" && mode == "check")
		f += (n > 0) ? n : 1
	else if (note != "")
		f = 1
	if (wholeskip && seen == 0)
		skip++
	P += pass; F += f; S += skip
	if (mode == "check") {
		status = sprintf("%d passed, %d failed", pass, f)
		if (skip)
			status = status sprintf(", %d skipped", skip)
	} else {
		status = (f || note != "") ? "FAILED" : "done"
	}
	if (note != "")
		status = status " (" note ")"
	printf "  %-28s %s  %s\n", cur, status, tsecs
	if (mode == "bench") {
		printf "%s", out
	} else if (f) {
		# What failed, not the hundreds of tests that passed.
		printf "  ---- %s: the failed tests (all: %s) ----\n", cur, testlog
		printf "%s%s", failed_out, block
		printf "  ---- end of %s ----\n", cur
	}
	cur = ""
}
/^jet-vm: begin / {
	flush_prog()
	cur = $3; pass = fail = skip = seen = plan = wholeskip = 0
	ended = tmo = 0; rc = -1; tsecs = ""; out = ""
	failed_out = block = ""
	next
}
/^jet-vm: end / && cur != "" {
	ended = 1
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "rc") rc = kv[2] + 0
		else if (kv[1] == "timeout") tmo = kv[2] + 0
		else if (kv[1] == "time") tsecs = kv[2]
	}
	flush_prog()
	next
}
/^jet-vm: / { next }
cur != "" {
	out = out "    " $0 "\n"
	# A block: one test, from its "RUN" line to its result line.
	if ($0 !~ /^TAP version/ && $0 !~ /^1\.\./)
		block = block "    " $0 "\n"
	if ($0 ~ /^(not )?ok [0-9]+( |$)/) {
		if ($0 ~ /^not ok/)
			failed_out = failed_out block
		block = ""
	}
	if ($0 ~ /^1\.\.[0-9]+/) {
		plan = substr($0, 4) + 0
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/)
			wholeskip = 1
	} else if ($0 ~ /^(not )?ok [0-9]+( |$)/) {
		seen++
		if ($0 ~ /^not ok/)
			fail++
		else if ($0 ~ /# *[Ss][Kk][Ii][Pp]/)
			skip++
		else
			pass++
	}
}
END {
	flush_prog()
	n = split(expected, want, " ")
	for (i = 1; i <= n; i++) {
		if (!(want[i] in ran)) {
			printf "  %-28s did not run\n", want[i]
			F++
		}
	}
	print P + 0, F + 0, S + 0 > counts
}' "$tests"
read -r passed failed skipped <"$outdir/vm-counts"

vmfail() {	# a VM-level check failed: show it and count it
	printf '  %-28s FAILED: %s\n' "$1" "$2"
	failed=$((failed + 1))
}

grep -q '^jet-vm: insmod ok' "$console" ||
	vmfail "load jet.ko" "$(grep -m1 '^jet-vm: insmod' "$console" || echo 'never tried')"
if grep -q '^jet-vm: insmod ok' "$console" &&
	! grep -q '^jet-vm: rmmod ok' "$console"; then
	vmfail "unload jet.ko" "$(grep -m1 '^jet-vm: rmmod' "$console" || echo 'never tried')"
fi
if [[ $vmrc == 124 ]]; then
	vmfail "VM" "did not power off within ${VM_TIMEOUT:-900} s"
elif ! grep -q '^jet-vm: done' "$console"; then
	vmfail "VM" "stopped before the end (qemu status $vmrc; panic?)"
fi

if [[ $mode == debug ]] && grep -q '^jet-vm: rmmod ok' "$console"; then
	leaks=$(sed -n 's/^jet-vm: kmemleak scanned: \([0-9]*\) leaks.*/\1/p' \
		"$console" | tail -n 1)
	if [[ -z $leaks ]]; then
		vmfail "kmemleak" "no scan after rmmod ($(grep -m1 '^jet-vm: kmemleak' "$console" || echo 'not armed'))"
	elif ((leaks > 0)); then
		# Shown with the kernel log below ("unreferenced object").
		vmfail "kmemleak" "$leaks leaked objects"
	fi
	# Lockdep switches itself off after its first report, or when it runs
	# out of room: a silent lockdep proves nothing.
	dl=$(sed -n 's/^jet-vm: debug_locks=\([0-9]*\).*/\1/p' "$console" | tail -n 1)
	[[ $dl == 1 ]] || vmfail "lockdep" "debug_locks=${dl:-unknown} at the end"
fi

if [[ $mode == debug && ${DEBUG_FLAVOUR:-} == kcsan ]]; then
	# A KCSAN that did not pass its selftest (or is absent) proves nothing.
	st=$(grep -m1 -o 'kcsan: selftest: [0-9]*/[0-9]* tests passed' "$console")
	n=$(sed -n 's#.* \([0-9]*\)/\([0-9]*\) .*#\1 \2#p' <<<"$st")
	# shellcheck disable=SC2086
	set -- $n
	[[ -n $st && ${1:-0} -gt 0 && ${1:-0} == "${2:-}" ]] ||
		vmfail "KCSAN" "no passed boot selftest (${st:-none in the log})"
	# Every report, with the accesses it names (the first line after the
	# header names the two functions; jet's own are marked [jet]).
	nk=$(grep -c 'BUG: KCSAN:' "$console")
	if ((nk)); then
		echo "  KCSAN: $nk reports:"
		grep 'BUG: KCSAN:' "$console" | sed 's/^\[[ 0-9.]*\] //' |
			sort | uniq -c | sed 's/^/    /'
	fi
	# A report none of whose stacks runs through jet.ko is a race of the
	# kernel's own (on 6.1, the scheduler's racy reads of its idle-CPU
	# masks, reported "at unknown origin"): listed above, kept in the log,
	# but it does not fail jet's run. Any report naming [jet] does.
	scan=$outdir/vm-console.jet.log
	awk '
	/========================================/ {
		if (inblock) {
			block = block $0 "\n"
			if (!kcsan || block ~ /\[jet\]/)
				printf "%s", block
			else
				print "KCSAN report outside jet.ko: " title
			inblock = 0
			next
		}
		inblock = 1; block = $0 "\n"; kcsan = 0; title = ""
		next
	}
	inblock {
		block = block $0 "\n"
		if ($0 ~ /BUG: KCSAN:/) {
			kcsan = 1
			title = $0
			sub(/^.*BUG: KCSAN: /, "", title)
		}
		next
	}
	{ print }
	END { if (inblock) printf "%s", block }' "$console" >"$scan"
	nj=$(grep -c 'KCSAN report outside jet.ko' "$scan")
	((nj)) && echo "  KCSAN: $nj of them run through no jet.ko code (not jet's)"
	console=$scan
fi

nprob=$(grep -cE "$problems" "$console")
taint=$(sed -n 's/^jet-vm: tainted=\([0-9]*\).*/\1/p' "$console" | tail -n 1)
if [[ $nprob -gt 0 ]]; then
	vmfail "kernel log" "$nprob problem lines, first:"
	first=$(grep -nE "$problems" "$console" | head -n 1 | cut -d: -f1)
	echo "  ---- $console from line $((first > 8 ? first - 8 : 1)) ----"
	sed -n "$((first > 8 ? first - 8 : 1)),$((first + 60))p" "$console" |
		sed 's/^/    /'
	echo "  ---- end of kernel log excerpt ----"
elif [[ -n $taint ]] && ((taint & bad_taint)); then
	vmfail "kernel log" "kernel tainted $taint (oops, warning or lockup)"
fi

echo "$passed $failed $skipped" >"$outdir/vm-counts"
[[ $failed -eq 0 ]]
