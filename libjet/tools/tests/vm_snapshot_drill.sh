#!/bin/sh
# SPDX-License-Identifier: MIT
#
# snapshot_drill_test: the restore drill (vm_restore_drill.sh), snapshot
# flavour (issue 17), in the test VM (busybox sh, root, jet.ko loaded). A
# jetdemo-server writes without pause (transactions of 3 page writes) on
# the VM's reflink disk (XFS, serial jet-reflink, made by check.sh), and
# `jetctl snapshot` takes it:
#  - SNAPSHOTS times, then once with --copy and once more: each snapshot
#    is restored with jetctl restore, recovered with jetdemo-server
#    --recover and compared with the state the server committed at the LSN
#    recovery reached (--check-state); that LSN must be at least the one
#    the server had committed when the snapshot began; the snapshots
#    truncate the server's logs (it deletes some), the --copy one none;
#  - killed while frozen: jetctl snapshot is held by hold_at_ficlone at its
#    first clone after the freeze (the server's writes stand still then),
#    and killed with SIGKILL: the instance thaws, the server's writes go on
#    (how long after the kill is printed), and what it left is refused by
#    jetctl restore, or absent;
#  - DIR on tmpfs: jetctl snapshot fails, saying the file system has no
#    reflink, leaves nothing restorable, and the server's writes go on.
# One "ok"/"not ok" line per case, a summary, then "N passed, N failed";
# exit 1 on any failure. Without the reflink disk (a kernel without XFS,
# such as the debug kernels) the whole drill skips, saying why.
#
# env: JETCTL, JETDEMO, HOLD (default: next to this script, else in PATH)
#      SNAPSHOTS  snapshots restored and checked (default 3)
#      JET_SEED   the server's seed (default 1)

here=$(cd "$(dirname "$0")" && pwd)
JETCTL=${JETCTL:-$here/jetctl}
JETDEMO=${JETDEMO:-$here/jetdemo-server}
HOLD=${HOLD:-$here/hold_at_ficlone}
[ -x "$JETCTL" ] || JETCTL=jetctl
[ -x "$JETDEMO" ] || JETDEMO=jetdemo-server
[ -x "$HOLD" ] || HOLD=hold_at_ficlone
SNAPSHOTS=${SNAPSHOTS:-3}
seed=${JET_SEED:-1}
PER_TXN=3
SERIAL=jet-reflink
MNT=/mnt/jet-reflink
W=${TMPDIR:-/tmp}/snapshot-drill	# logs and restores (tmpfs)
pass=0 fail=0
snaps=0 restored=0
server=

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $1"; }
not_ok() {
	fail=$((fail + 1)); echo "not ok $((pass + fail)) $1${2:+: $2}"
}
show() { sed 's/^/#   /' "$@"; }
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

# centiseconds since boot
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# the LSN the server has committed (its --commit-file, zero-padded)
committed() {
	v=
	read -r v <"$W/committed" 2>/dev/null
	v=${v#"${v%%[!0]*}"}
	echo "${v:-0}"
}

wait_for() {	# wait_for FILE PATTERN TENTHS
	i=0
	while ! grep -q -e "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -e "$2" "$1" 2>/dev/null
}

# waits until the server commits past LSN $1, at most $2 centiseconds;
# the centiseconds it took, or nothing
commits_after() {
	t0=$(now_cs)
	while [ "$(committed)" -le "$1" ]; do
		[ $(($(now_cs) - t0)) -ge "$2" ] && return 1
		sleep 0.01
	done
	echo $(($(now_cs) - t0))
}

frozen() { "$JETCTL" list 2>/dev/null | grep -q ',frozen'; }

# The disk: found by its serial once the driver has probed it (20 s; the
# VM's disks come together: a second after another one, it is not there).
mount_disk() {
	grep -q " $MNT " /proc/mounts && return 0
	i=0 seen=0
	while [ $i -lt 200 ] && [ $seen -lt 10 ]; do
		for s in /sys/block/vd*/serial; do
			[ -e "$s" ] || continue
			seen=$((seen + 1))
			[ "$(cat "$s")" = $SERIAL ] || continue
			d=${s%/serial}
			mkdir -p $MNT
			mount "/dev/${d##*/}" $MNT && return 0
			return 2
		done
		[ -e /sys/module/virtio_blk ] || return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

mount_disk
case $? in
0) ;;
1)
	echo "1..0 # SKIP no reflink disk ($SERIAL) in this VM: check.sh gives one when the booted kernel has XFS (the debug kernels have none)"
	exit 0
	;;
*)
	echo "not ok 1 mounting the reflink disk ($SERIAL) on $MNT failed"
	echo "0 passed, 1 failed"
	exit 1
	;;
esac
S=$MNT/snapshot-drill	# the server and the snapshots (reflink)
rm -rf "$W" "$S"
mkdir -p "$W" "$S"

start_server() {
	rm -f "$W/ready" "$W/committed"
	"$JETDEMO" --name drill --dir "$S/srv" --db-size 1 --seed "$seed" \
		--commit-every $PER_TXN --interval 1 --log-every 60 \
		--roll-interval 300 --commit-file "$W/committed" \
		--ready-file "$W/ready" >"$W/server.log" 2>&1 &
	server=$!
	if ! wait_for "$W/ready" "^name drill" 300; then
		not_ok "jetdemo-server (seed $seed) gets ready on $MNT"
		show "$W/server.log"
		return 1
	fi
	# some history before the first snapshot: closed logs, a checkpoint
	sleep 1
}

stop_server() {
	# the snapshots without --copy truncate as ESE's do
	dn=$(deletions)
	if [ "$dn" -ge 1 ]; then
		ok "the server deleted logs $dn times, as the snapshots truncated them"
	else
		not_ok "the snapshots truncate the server's logs" \
			"it deleted none after $snaps snapshots"
	fi
	kill -TERM "$server"
	wait "$server"
	rc=$?
	server=
	if [ $rc -eq 0 ]; then
		ok "jetdemo-server wrote through every snapshot and exits 0 on SIGTERM"
	else
		not_ok "jetdemo-server exits 0 on SIGTERM" "exit $rc"
		show "$W/server.log"
	fi
}

# restore_recover_check NAME SNAPSHOT OUT MIN: restore, recover, compare
# with the state committed; 0 when all three succeed
restore_recover_check() {
	name=$1 snap=$2 out=$3 min=$4
	if ! "$JETCTL" restore "$snap" "$out" >"$out.restore" 2>&1; then
		not_ok "$name" "jetctl restore failed"
		show "$out.restore"
		return 1
	fi
	range=$(sed -n 's/^replay log generations \([0-9]*\) to \([0-9]*\) .*/--from \1 --to \2/p' \
		"$out.restore")
	if [ -z "$range" ]; then
		not_ok "$name" "jetctl restore printed no generation range"
		show "$out.restore"
		return 1
	fi
	# shellcheck disable=SC2086
	if ! "$JETDEMO" --recover "$out" --name drill $range \
		>"$out.recover" 2>&1; then
		not_ok "$name" "jetdemo-server --recover failed"
		show "$out.restore" "$out.recover"
		return 1
	fi
	if ! "$JETDEMO" --check-state "$out/drill.edb" --seed "$seed" \
		--commit-every $PER_TXN --min-lsn "$min" >"$out.check" 2>&1; then
		not_ok "$name" "not a state the server committed"
		show "$out.restore" "$out.recover" "$out.check"
		return 1
	fi
	lsn=$(sed -n 's/.*committed at LSN \([0-9]*\).*/\1/p' "$out.check")
	gens=$(sed -n 's/.*: logs \([0-9]*-[0-9]*\),.*/\1/p' "$out.recover")
	ok "$name: restored, recovered (logs $gens) and equal to the state committed at LSN $lsn (at least $min)"
	restored=$((restored + 1))
}

# the log deletions the server made for truncations so far
deletions() { grep -c "(truncated by a backup)" "$W/server.log"; }

# snapshot N [--copy]: one snapshot of the writing server, restored and
# checked; a --copy one (ESE's JET_bitCopySnapshot) truncates no log
snapshot() {
	sn=$1 copy=$2
	snaps=$((snaps + 1))
	name="snapshot $sn${copy:+ ($copy)}"
	min=$(committed)
	deleted=$(deletions)
	t0=$(now_cs)
	# shellcheck disable=SC2086
	if ! "$JETCTL" snapshot $copy drill "$S/s$sn" >"$W/s$sn.out" 2>&1; then
		not_ok "$name" "jetctl snapshot failed"
		show "$W/s$sn.out"
		return
	fi
	echo "# $name: jetctl snapshot took $(($(now_cs) - t0))0 ms; $(sed -n 's/.*; \(the server.s writes waited .*\)/\1/p' "$W/s$sn.out")"
	restore_recover_check "$name" "$S/s$sn" "$W/r$sn" "$min" || return
	sleep 0.5	# the server writes on, rolls, deletes what was truncated
	if [ -n "$copy" ] && [ "$(deletions)" != "$deleted" ]; then
		not_ok "$name truncates no log" \
			"the server deleted logs after it: $(grep "(truncated by a backup)" "$W/server.log" | tail -n 1)"
	elif [ -n "$copy" ]; then
		ok "$name truncates no log"
	fi
}

# refused NAME DIR: DIR, what a failed snapshot left, is absent or refused
# by jetctl restore (which leaves no directory); prints what happened
refused() {
	if [ ! -e "$2" ]; then
		echo "it left nothing"
		return 0
	fi
	"$JETCTL" restore "$2" "$W/$1.r" >"$W/$1.restore" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "jetctl restore accepted what it left"
		show "$W/$1.restore" >&2
		return 1
	fi
	if [ -e "$W/$1.r" ]; then
		echo "the refused restore left its directory"
		return 1
	fi
	echo "what it left is refused by jetctl restore (exit $rc)"
}

# killed: jetctl snapshot killed (SIGKILL) while the instance is frozen
killed() {
	name="jetctl snapshot killed while frozen"
	rm -f "$W/held"
	"$HOLD" "$W/held" "$JETCTL" snapshot --timeout 60000 drill \
		"$S/killed" >"$W/killed.out" 2>&1 &
	hold=$!
	i=0
	while [ ! -s "$W/held" ] && kill -0 $hold 2>/dev/null &&
		[ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$W/held" ]; then
		kill $hold 2>/dev/null
		wait $hold
		not_ok "$name" "jetctl snapshot never reached a clone while frozen"
		show "$W/killed.out"
		return
	fi
	# frozen: the server's writes wait (it may publish one commit more)
	sleep 0.3
	l1=$(committed)
	sleep 0.5
	l2=$(committed)
	if ! frozen || [ "$l1" != "$l2" ]; then
		kill $hold
		wait $hold
		not_ok "$name" "the instance was not frozen while jetctl snapshot cloned (LSN $l1, then $l2)"
		"$JETCTL" list | show
		return
	fi
	kill -USR1 $hold	# SIGKILL for jetctl snapshot
	cs=$(commits_after "$l2" 1000)
	wait $hold
	rc=$?
	if [ -z "$cs" ]; then
		not_ok "$name" "the server did not commit again within 10 s of the kill"
		"$JETCTL" list | show
		return
	fi
	if [ $rc -ne 0 ] || frozen; then
		not_ok "$name" "still frozen after the kill (hold_at_ficlone exit $rc)"
		"$JETCTL" list | show
		return
	fi
	if ! why=$(refused killed "$S/killed"); then
		not_ok "$name" "$why"
		return
	fi
	echo "# killed while frozen: the server committed again ${cs}0 ms after the SIGKILL"
	ok "$name: its writes held while frozen, going on ${cs}0 ms after the SIGKILL; $why"
}

# no_reflink: a snapshot into a tmpfs DIR fails with the reflink error
no_reflink() {
	name="jetctl snapshot into tmpfs"
	rm -rf "$W/tmpfs-snap"
	"$JETCTL" snapshot drill "$W/tmpfs-snap" >"$W/tmpfs.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		not_ok "$name" "it succeeded: no reflinks there"
		show "$W/tmpfs.out"
		return
	fi
	if ! grep -qi reflink "$W/tmpfs.out"; then
		not_ok "$name" "exit $rc, without naming reflink"
		show "$W/tmpfs.out"
		return
	fi
	l=$(committed)
	if [ -z "$(commits_after "$l" 1000)" ] || frozen; then
		not_ok "$name" "the server's writes stood still after it failed"
		"$JETCTL" list | show
		return
	fi
	if ! why=$(refused tmpfs "$W/tmpfs-snap"); then
		not_ok "$name" "$why"
		return
	fi
	ok "$name: exit $rc, \"$(grep -im1 reflink "$W/tmpfs.out")\"; $why"
}

echo "# the snapshot drill: $JETCTL, $JETDEMO, seed $seed, on $(grep " $MNT " /proc/mounts | cut -d' ' -f3) ($MNT)"
if start_server; then
	n=0
	while [ "$n" -lt "$SNAPSHOTS" ]; do
		n=$((n + 1))
		snapshot $n
	done
	killed
	no_reflink
	snapshot $((n + 1)) --copy
	snapshot $((n + 2))
	stop_server
fi
rm -rf "$S"

echo "# snapshot drill: $snaps snapshots: $restored restored, recovered and matched"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
