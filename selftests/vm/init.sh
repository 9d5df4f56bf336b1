#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the jet test VM (busybox sh, pid 1). Mounts what the tests need,
# loads jet.ko, runs each program of $TESTS with a time limit, unloads the
# module and powers off. It never waits for anything else (no getty, no
# network). Kernel messages and the "jet-vm:" markers go to the console
# (ttyS0); the programs' own output goes to ttyS1, framed by the same markers,
# so kernel lines can never split a KTAP line.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t devtmpfs devtmpfs /dev
# The kernel found no /dev/console in the initramfs: open it now.
exec 0</dev/null 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o size=1g,mode=1777 tmpfs /tmp
mkdir -p /run

# MODE, TESTS, JET_SEED, TEST_TIMEOUT, HUNG_TIMEOUT, PRELOAD, JET_KO_ARGS,
# JET_FUZZ_SECONDS, JET_OUTSIDE_SECONDS, FLAVOUR (debug: kasan or kcsan)
# shellcheck source=/dev/null
. /jet.conf

exec 3>/dev/ttyS1

say() {
	echo "jet-vm: $*"
	echo "jet-vm: $*" >&3
}

finish() {
	say "tainted=$(cat /proc/sys/kernel/tainted)"
	say "done"
	# Closing the last references lets the serial ports drain first.
	exec 3>&- 0</dev/null 1>/dev/null 2>&1
	sync
	poweroff -f
	sleep 1000
}

# Where every user task is (for a program that timed out): its kernel stack.
dump_tasks() {
	for d in /proc/[0-9]*; do
		[ -e "$d/exe" ] || continue	# kernel threads
		read -r comm <"$d/comm" || continue
		case $comm in init | sleep) continue ;; esac
		echo "# task ${d#/proc/} ($comm) $(grep '^State:' "$d/status")"
		sed 's/^/#     /' "$d/stack"
	done
}

# Centiseconds since boot ("1" keeps a fraction like "08" from being octal).
uptime_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

say "boot mode=$MODE seed=$JET_SEED timeout=${TEST_TIMEOUT}s"
# A user-space crash is seen in the exit status; keep the kernel log for
# kernel problems only.
echo 0 >/proc/sys/debug/exception-trace
echo "$HUNG_TIMEOUT" >/proc/sys/kernel/hung_task_timeout_secs
# An injected failure is expected, not a problem: no stack dump for it (the
# host fails a run on any "Call Trace").
for f in /sys/kernel/debug/fail*/verbose; do
	[ -e "$f" ] && echo 0 >"$f"
done
# The debug kernel's kmemleak (no automatic scans): what boot left behind is
# not jet's, so it is scanned and forgotten before the module comes.
kmemleak=/sys/kernel/debug/kmemleak
if [ "$MODE" = debug ]; then
	if [ -e $kmemleak ]; then
		echo scan >$kmemleak
		echo clear >$kmemleak
		say "kmemleak armed"
	else
		say "kmemleak: none in this kernel"
	fi
fi
# shellcheck disable=SC3045 # busybox sh has it
ulimit -c 0

for m in $PRELOAD; do
	insmod "/modules/$m" || say "insmod $m failed"
done
# JET_KO_ARGS: module parameters, one word each.
# shellcheck disable=SC2086
if insmod /jet.ko $JET_KO_ARGS; then
	say "insmod ok"
else
	say "insmod failed"
	finish
fi
[ -c /dev/jet ] || say "no /dev/jet after insmod"

JET_KO=/jet.ko
HOME=/tmp
TMPDIR=/tmp
export JET_KO JET_SEED HOME TMPDIR
if [ -n "${JET_FUZZ_SECONDS:-}" ]; then
	export JET_FUZZ_SECONDS
fi
if [ -n "${JET_OUTSIDE_SECONDS:-}" ]; then
	export JET_OUTSIDE_SECONDS
fi
cd /tmp || say "no /tmp"

for t in $TESTS; do
	if [ ! -e /sys/module/jet ]; then
		say "jet.ko not loaded (a test left it out): loading it again"
		# shellcheck disable=SC2086
		insmod /jet.ko $JET_KO_ARGS || say "insmod failed"
	fi
	say "begin $t"
	rm -f /run/timed-out
	t0=$(uptime_cs)
	"/tests/$t" </dev/null >&3 2>&3 3>&- &
	pid=$!
	(
		sleep "$TEST_TIMEOUT"
		kill -0 "$pid" 2>/dev/null || exit 0
		: >/run/timed-out
		echo "# jet-vm: timed out after ${TEST_TIMEOUT}s; tasks:"
		dump_tasks
		kill -9 "$pid"
	) </dev/null >&3 2>&3 3>&- &
	wait "$pid"
	rc=$?
	# Whatever the program left behind (children, the watcher) goes now.
	kill -9 -1 2>/dev/null
	wait
	t1=$(uptime_cs)
	to=0
	[ -e /run/timed-out ] && to=1
	cs=$((t1 - t0))
	say "end $t rc=$rc timeout=$to time=$((cs / 100)).$((cs / 10 % 10))s"
done

# kmemleak reports an object once it has been unreferenced for 5 s: scan,
# wait, scan again. $1: when. Shows the leaks; $n is their number.
kmemleak_scan() {
	echo scan >$kmemleak
	sleep 6
	echo scan >$kmemleak
	n=$(grep -c '^unreferenced object' $kmemleak)
	if [ "$n" -gt 0 ]; then
		echo "jet-vm: kmemleak $1:"
		cat $kmemleak
	fi
}
# While jet.ko is loaded its addresses still have names in the backtraces.
if [ "$MODE" = debug ] && [ -e $kmemleak ] && [ -e /sys/module/jet ]; then
	kmemleak_scan "before rmmod"
fi

# A killed process may still be dropping its /dev/jet references. A file
# sent over a unix socket and left in flight there in a cycle holds the
# module until the unix garbage collector runs, which only the release of
# a unix socket starts (selftests/unload_test.c): logger makes and releases
# one (there is no syslogd to answer it).
logger -t jet-vm "unix gc before rmmod" 2>/dev/null
ok=0
i=0
while [ $i -lt 20 ]; do
	if rmmod jet 2>/dev/null && [ ! -e /sys/module/jet ]; then
		ok=1
		break
	fi
	i=$((i + 1))
	sleep 0.5
done
if [ $ok = 1 ]; then
	say "rmmod ok"
else
	rmmod jet
	say "rmmod failed: refcnt=$(cat /sys/module/jet/refcnt 2>/dev/null)"
	# Who holds it: processes with a jet file open (none: in flight, or
	# a release the kernel deferred).
	for d in /proc/[0-9]*; do
		for l in "$d"/fd/*; do
			case $(readlink "$l" 2>/dev/null) in
			/dev/jet | *jet*) say "held by ${d#/proc/} ($(cat "$d/comm")): $(readlink "$l")" ;;
			esac
		done
	done
fi
# Whatever jet.ko allocated is gone by now, or leaked.
if [ "$MODE" = debug ] && [ -e $kmemleak ]; then
	kmemleak_scan "after rmmod"
	say "kmemleak scanned: $n leaks"
fi
if [ "$MODE" = debug ]; then
	say "debug_locks=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null)"
fi

# gcov (the kasan kernel): jet.ko's counters outlive rmmod (gcov_persist),
# so they include the module's exit. The .gcda files go to the host on
# ttyS1 as a base64 tar between two markers (coverage.sh unpacks them).
# debugfs files show size 0, so they are copied with cat first.
gcov=/sys/kernel/debug/gcov
if [ -d $gcov ]; then
	mkdir -p /tmp/gcov
	n=0
	for f in $(find $gcov -name '*.gcda' | grep /kmod/); do
		cat "$f" >"/tmp/gcov/${f##*/}" && n=$((n + 1))
	done
	say "gcov begin $n files"
	(cd /tmp/gcov && tar -cf - . | gzip | base64) >&3
	say "gcov end"
fi
finish
