#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the test VM and waits for it to power off, at most $VM_TIMEOUT
# seconds. The console (ttyS0) is kept whole in OUTDIR/vm-console.log and
# the test programs' output (ttyS1) in OUTDIR/vm-tests.log. Shows the
# "jet-vm:" progress lines as they come (V=1: the whole console).
#
# OUTDIR/vm-boot-seconds gets the time from qemu's start to the guest's
# first "jet-vm:" line (the kernel's boot), OUTDIR/vm-seconds the whole run.
#
# usage: run-vm.sh KERNEL INITRAMFS OUTDIR
# env:   VM_MEM (MiB, 2048), VM_TIMEOUT, ACCEL, VM_CPU, KERNEL_APPEND, V
#        VM_DISK="IMAGE,SERIAL ..."  raw images as virtio disks, each
#          named by its serial (/sys/block/vdX/serial in the guest);
#          VM_DISK_CACHE (none: the host's page cache is bypassed, so the
#          guest reads the host's disk, not the host's memory)
# exit:  qemu's status; 124 when the VM did not power off in time.
set -uo pipefail

kernel=$1 initrd=$2 outdir=$3
console=$outdir/vm-console.log
tests=$outdir/vm-tests.log
: "${VM_TIMEOUT:=900}" "${ACCEL:=tcg}" "${V:=0}"

# panic=-1: a panic ends the VM at once (-no-reboot) instead of hanging;
# oopses and warnings are not made panics, so the log shows them all and the
# host fails the run on them.
append="console=ttyS0 panic=-1 ${KERNEL_APPEND:-}"

disk=() n=0
for d in ${VM_DISK:-}; do
	disk+=(-drive "file=${d%%,*},format=raw,if=none,id=jetdisk$n,cache=${VM_DISK_CACHE:-none}"
		-device "virtio-blk-pci,drive=jetdisk$n,serial=${d#*,}")
	n=$((n + 1))
done

mkdir -p "$outdir"
rm -f "$console" "$tests" "$outdir/vm-boot-seconds" "$outdir/vm-seconds"
: >"$tests"
t0=$EPOCHREALTIME
since() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
timeout -k 10 "$VM_TIMEOUT" \
	qemu-system-x86_64 -accel "$ACCEL" -m "${VM_MEM:-2048}" -smp 2 \
	-cpu "${VM_CPU:-max}" -nographic -no-reboot -nic none -monitor none \
	-kernel "$kernel" -initrd "$initrd" -append "$append" "${disk[@]}" \
	-serial stdio -serial "file:$tests" </dev/null 2>&1 |
while IFS= read -r line || [[ -n $line ]]; do
	line=${line//$'\r'/}
	printf '%s\n' "$line" >>"$console"
	if [[ $line == jet-vm:* && ! -e $outdir/vm-boot-seconds ]]; then
		since >"$outdir/vm-boot-seconds"
	fi
	if [[ $V == 1 ]]; then
		printf '%s\n' "$line"
	elif [[ $line == jet-vm:* ]]; then
		printf '  %s\n' "$line"
	fi
done
rc=${PIPESTATUS[0]}
since >"$outdir/vm-seconds"
# Tests' log: one line per line, as the console.
sed -i 's/\r//g' "$tests"
exit "$rc"
