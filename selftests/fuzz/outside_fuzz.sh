#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# outside_fuzz_test (run in the VM of the debug kernels; KTAP): fuzzers that
# nobody here wrote, aimed at /dev/jet, each bounded by JET_OUTSIDE_SECONDS:
#  - trinity, restricted to the system calls that reach /dev/jet and its
#    backup descriptors, on /dev/jet and on the descriptors of a real
#    backup (jetfds.so begins it; see jetfds.c), as root and as uid 1000;
#  - stress-ng --dev on /dev/jet.
# A test fails when its fuzzer could not run, ran no call, or died by a
# signal; the kernel's reports fail the run on the host (check-log.sh).
# Then every reference the fuzzers took on the module must be gone: the
# module's use count is 0 again within 10 s (a file still being released
# would keep rmmod from working).
# Counts: "# trinity root: N syscalls ..." and "# stress-ng dev: N bogo ops".

secs=${JET_OUTSIDE_SECONDS:-60}
here=$(dirname "$0")
# Debian's programs with their libraries (stage-outside.sh); no ld.so.cache.
LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH
n=0
failed=0
echo "TAP version 13"
echo "1..4"

result() {	# result OK NAME [WHY]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2${3:+ # $3}"
	fi
}

# The system calls that reach a character device's and an anonymous
# inode's file operations (and the descriptors themselves).
calls="ioctl read pread64 readv preadv preadv2 splice tee sendfile readahead
	copy_file_range poll ppoll epoll_ctl lseek close dup
	dup2 dup3 fcntl newfstat mmap munmap write pwrite64 flock fsync fadvise64
	fallocate ftruncate"

# trinity_run NAME UID DIR: trinity as UID (0: root) on DIR's victims.
trinity_run() {
	name=$1 uid=$2 dir=$3
	log=/tmp/trinity-$name.log
	rm -rf "$dir" "$dir.src"
	mkdir -p "$dir" "$dir.src"
	dev=$(cat /sys/class/misc/jet/dev 2>/dev/null)
	if [ -z "$dev" ]; then
		result 1 "trinity_$name" "no /dev/jet"
		return
	fi
	mknod -m 0666 "$dir/jet" c "${dev%:*}" "${dev#*:}"
	for i in 0 1 2 3; do
		: >"$dir/bf$i"
		chmod 0666 "$dir/bf$i"
	done
	[ "$uid" != 0 ] && chown -R "$uid:$uid" "$dir" "$dir.src"
	args=""
	for c in $calls; do
		args="$args -c $c"
	done
	env=""
	[ "$uid" != 0 ] && env="JETFZ_UID=$uid"
	# shellcheck disable=SC2086
	(cd "$dir.src" && env $env JETFZ_DIR="$dir" \
		LD_PRELOAD="$here/jetfds.so" timeout -s INT "$secs" \
		trinity --dangerous --clowntown -q -l off -V "$dir" \
		--enable-fds=pseudo -C 2 -N 10000000 -s "${JET_SEED:-1}" \
		$args) >"$log" 2>&1 </dev/null
	rc=$?
	ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls. Successes: \([0-9]*\) *Failures: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n 1)
	setup=$(grep -m1 '^jetfds:' "$log")
	echo "# trinity $name (uid $uid): ${setup:-no jetfds line}"
	# shellcheck disable=SC2086
	set -- $ran
	if [ -n "$ran" ]; then
		echo "# trinity $name: $1 syscalls, $2 succeeded, $3 failed in ${secs} s"
	fi
	if [ -z "$ran" ] || [ "${1:-0}" -eq 0 ] || [ $rc -gt 128 ] ||
		! grep -q '^jetfds: instance' "$log"; then
		tail -n 30 "$log" | sed 's/^/# /'
		result 1 "trinity_$name" "status $rc, ${ran:-no count}"
	else
		result 0 "trinity_$name"
	fi
	rm -rf "$dir" "$dir.src"
}

trinity_run root 0 /tmp/jetfz-root
trinity_run unprivileged 1000 /tmp/jetfz-user

log=/tmp/stress-ng.log
(cd /tmp && stress-ng --dev 2 --dev-file /dev/jet --timeout "${secs}s" \
	--metrics-brief --temp-path /tmp --seed "${JET_SEED:-1}") \
	>"$log" 2>&1 </dev/null
rc=$?
ops=$(sed -n 's/.*\] dev  *\([0-9][0-9]*\) .*/\1/p' "$log" | tail -n 1)
echo "# stress-ng dev: ${ops:-no} bogo ops in ${secs} s (status $rc)"
if [ -z "$ops" ] || [ "$ops" -eq 0 ] || [ $rc -ne 0 ]; then
	tail -n 30 "$log" | sed 's/^/# /'
	result 1 stress_ng_dev "status $rc, ${ops:-no} ops"
else
	result 0 stress_ng_dev
fi

# Every file the fuzzers held is released: the module is free to go.
i=0
ref=$(cat /sys/module/jet/refcnt)
while [ "$ref" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
	ref=$(cat /sys/module/jet/refcnt)
done
echo "# module use count $ref after $((i / 10)).$((i % 10)) s"
if [ "$ref" = 0 ]; then
	result 0 module_released_after_fuzzers
else
	result 1 module_released_after_fuzzers "use count $ref"
fi

echo "# Totals: pass:$((n - failed)) fail:$failed"
[ $failed = 0 ]
