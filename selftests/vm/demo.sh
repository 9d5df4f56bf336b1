#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: set-up (missing packages, as `make check`), build jet.ko and
# the static jetctl and jetdemo-server, then boot the test VM with
# demo-guest.sh as its program and show its transcript as it runs: a server
# writing under range locks, jetctl list, a full backup and its verified
# manifest, a second backup that the server stops midway, and a third one
# that works again. Kernel messages stay in build/demo/vm-console.log; the
# transcript is kept in build/demo/transcript.txt.
#
# The last line is "demo: passed ..." or "demo: FAILED ..."; the exit status
# is 0 only when every step in the VM behaved as expected, the module
# unloaded and the kernel logged no oops, warning or lockdep report.
#
# env: KDIR=DIR KERNEL=BZIMAGE  build for / boot another installed kernel
#      VM_TIMEOUT=S (300)  DEMO_DB_MIB, DEMO_THROTTLE (see demo-guest.sh)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
vm=selftests/vm
out=$top/build/demo
make=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
export VM_TIMEOUT=${VM_TIMEOUT:-300}
# The guest's own limit, below the VM's so that the VM still powers off.
export TEST_TIMEOUT=$((VM_TIMEOUT * 2 / 3))
start=$SECONDS

fail() {
	echo "demo: FAILED: $* ($((SECONDS - start)) s)"
	exit 1
}

echo "== set-up"
"$vm/deps.sh" || fail "set-up"
KDIR=$("$vm/kdir.sh")
release=$(sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null)
[[ -n $release ]] || fail "no kernel headers at KDIR='$KDIR'"
kernel=${KERNEL:-/boot/vmlinuz-$release}
mkdir -p "$out"
if [[ ! -r $kernel && -e $kernel ]]; then
	sudo install -m 0644 "$kernel" "$out/vmlinuz" && kernel=$out/vmlinuz
fi
[[ -r $kernel ]] || fail "no kernel image $kernel to boot"

echo "== build (KDIR=$KDIR)"
if ! { "$make" --no-print-directory -j"$(nproc)" KDIR="$KDIR" module &&
	"$make" --no-print-directory -j"$(nproc)" -C libjet/tools STATIC=1; } \
	>"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log"
	fail "build (whole log: build/demo/build.log)"
fi

# The test VM's initramfs, then a second archive appended to it: the kernel
# unpacks both in turn, so its /jet.conf replaces the first one's and names
# demo-guest.sh as the program to run.
cpio=$out/initramfs.cpio
MODDIR=/lib/modules/$release "$vm/mkinitramfs.sh" "$cpio" demo kmod/jet.ko ||
	fail "packing the initramfs"
extra=$out/extra
rm -rf "$extra"
mkdir -p "$extra/tests" "$extra/usr/bin" "$extra/usr/sbin"
cpio -i --quiet --to-stdout '*jet.conf' <"$cpio" |
	sed "s/^TESTS=.*/TESTS='demo-guest.sh'/" >"$extra/jet.conf"
grep -q "^TESTS='demo-guest.sh'" "$extra/jet.conf" ||
	fail "no jet.conf in $cpio"
install -m 0755 "$vm/demo-guest.sh" "$extra/tests/demo-guest.sh"
strip --strip-debug -o "$extra/usr/sbin/jetctl" libjet/tools/static/jetctl
strip --strip-debug -o "$extra/usr/bin/jetdemo-server" \
	libjet/tools/static/jetdemo-server
for v in DEMO_DB_MIB DEMO_THROTTLE; do
	[[ -n ${!v:-} ]] && echo "$v='${!v}'; export $v" >>"$extra/jet.conf"
done
(cd "$extra" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	>>"$cpio"

echo "== the demo, in a VM booted on $kernel (TCG: under a minute)"
echo
transcript=$out/vm-tests.log
rm -f "$transcript" "$out/vm-console.log"
"$vm/run-vm.sh" "$kernel" "$cpio" "$out" >"$out/run-vm.log" 2>&1 &
vmpid=$!
# qemu runs under timeout(1) in a process group of its own, which a Ctrl-C
# does not reach: stop it here (timeout passes the signal on to qemu).
stop_vm() {
	pkill -TERM -P "$vmpid" -x timeout
	wait "$vmpid"
	fail "interrupted"
}
trap stop_vm INT TERM HUP
# The guest's output as it comes, without the VM's own "jet-vm:" lines.
for ((i = 0; i < 100; i++)); do
	[[ -e $transcript ]] && break
	sleep 0.1
done
tail -n +1 -f --pid="$vmpid" "$transcript" 2>/dev/null |
	sed -u -e 's/\r$//' -e '/^jet-vm:/d'
wait "$vmpid"
vmrc=$?
trap - INT TERM HUP
sed '/^jet-vm:/d' "$transcript" >"$out/transcript.txt"
echo

echo "== result (kernel log: build/demo/vm-console.log)"
# The VM-level checks of `make check`: the program's exit status, the
# module's load and unload, the kernel log, the VM's power-off.
if ! "$vm/check-log.sh" bench "$out" "$vmrc" demo-guest.sh \
	>"$out/check-log.txt" 2>&1; then
	grep -v '^    ' "$out/check-log.txt"
	fail "$(tail -n 1 "$out/transcript.txt" | sed -n 's/^demo: //p' |
		grep . || echo 'the VM run')"
fi
last=$(tail -n 1 "$out/transcript.txt")
[[ $last == "demo: all "*" steps behaved as expected" ]] ||
	fail "the transcript does not end as expected: $last"
echo "  jet.ko loaded and unloaded cleanly, no kernel warnings"
echo "demo: passed: ${last#demo: all } ($((SECONDS - start)) s;" \
	"transcript: build/demo/transcript.txt)"
