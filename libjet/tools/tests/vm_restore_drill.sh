#!/bin/sh
# SPDX-License-Identifier: MIT
#
# restore_drill_test: the restore drill of SPEC section 10, in the test VM
# (busybox sh, root, jet.ko loaded). A jetdemo-server writes without pause
# (transactions of 3 page writes, its log rolled when full, every 300 ms and
# whenever a backup asks); jetctl takes full and incremental backups of it,
# some stopped midway. Each completed backup is restored with jetctl restore
# (a full one with the incrementals after it), recovered with
# jetdemo-server --recover, and compared page for page with the state the
# server committed at the LSN recovery reached, rebuilt from the seed alone
# (jetdemo-server --check-state); that LSN must be at least the one the
# server had committed when the backup began. Every stopped backup must be
# refused by jetctl restore (exit 5), alone and after the backups before
# it, and leaves no directory. One "ok"/"not ok" line per drill, a summary,
# then "N passed, N failed"; exit 1 on any failure.
#
# env: JETCTL, JETDEMO (default: next to this script, else in PATH)
#      DRILL_SERVERS  servers, each with its own seed (default 4); each runs
#                     six drills: full, incremental, stopped full,
#                     incremental, stopped incremental, truncating full
#      JET_SEED       the first server's seed (default 1)

here=$(cd "$(dirname "$0")" && pwd)
JETCTL=${JETCTL:-$here/jetctl}
JETDEMO=${JETDEMO:-$here/jetdemo-server}
[ -x "$JETCTL" ] || JETCTL=jetctl
[ -x "$JETDEMO" ] || JETDEMO=jetdemo-server
SERVERS=${DRILL_SERVERS:-4}
SEED0=${JET_SEED:-1}
PER_TXN=3
W=${TMPDIR:-/tmp}/restore-drill
rm -rf "$W"
mkdir -p "$W"
pass=0 fail=0
drills=0 restored=0 refused=0
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

# the LSN the server has committed (its --commit-file, zero-padded)
committed() {
	v=$(sed 's/^0*//' "$W/committed" 2>/dev/null)
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

start_server() {	# start_server SEED
	rm -f "$W/ready" "$W/committed"
	"$JETDEMO" --name drill --dir "$W/srv$1" --db-size 1 --seed "$1" \
		--commit-every $PER_TXN --interval 1 --log-every 60 \
		--roll-interval 300 --throttle 2M --commit-file "$W/committed" \
		--ready-file "$W/ready" >"$W/server$1.log" 2>&1 &
	server=$!
	if ! wait_for "$W/ready" "^name drill" 300; then
		not_ok "jetdemo-server (seed $1) gets ready"
		show "$W/server$1.log"
		return 1
	fi
	# some history before the first backup: closed logs, a checkpoint
	sleep 1
}

stop_server() {
	# The roll is what makes a backup recoverable, and the recoveries above
	# prove each completed backup had one. The server answers most of them
	# itself; a request its own timed roll meets first leaves the queue
	# unread, so the count of answers may be below the backups'.
	rolls=$(grep -c "rolled log [0-9]* for a backup" "$W/server$seed.log")
	if [ "$rolls" -ge 1 ]; then
		ok "server (seed $seed) answered $rolls roll requests"
	else
		not_ok "server (seed $seed) answered the roll requests" \
			"none answered for 4 completed backups"
	fi
	kill -TERM "$server"
	wait "$server"
	rc=$?
	server=
	[ $rc -eq 0 ] || not_ok "jetdemo-server exits 0 on SIGTERM" "exit $rc"
}

# restore_recover_check NAME OUT MIN BACKUP...: the drill's verdict on a
# completed backup (with the backups it builds on): restore into OUT,
# recover, compare with the state committed; 0 when all three succeed
restore_recover_check() {
	name=$1 out=$2 min=$3
	shift 3
	if ! "$JETCTL" restore "$@" "$out" >"$out.restore" 2>&1; then
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

# drill N KIND [--truncate]: a completed backup of KIND (full or
# incremental), restored with the chain it belongs to
drill() {
	dn=$1 kind=$2
	shift 2
	drills=$((drills + 1))
	b=$W/b$dn
	min=$(committed)
	flag=
	[ "$kind" = incremental ] && flag=--incremental
	if ! "$JETCTL" backup drill "$b" $flag -q "$@" >"$b.out" 2>&1; then
		not_ok "drill $dn (seed $seed): $kind backup" "jetctl backup failed"
		show "$b.out"
		return
	fi
	if [ "$kind" = full ]; then chain=$b; else chain="$chain $b"; fi
	# shellcheck disable=SC2086
	restore_recover_check "drill $dn (seed $seed): $kind backup" "$W/r$dn" \
		"$min" $chain
}

# stopped N KIND HOW: a backup stopped midway (its reads held by a pause,
# so that the stop lands while it copies), then refused by restore, alone
# and after the backups before it
stopped() {
	dn=$1 kind=$2 how=$3
	drills=$((drills + 1))
	b=$W/b$dn
	flag=
	[ "$kind" = incremental ] && flag=--incremental
	kill -USR2 "$server"	# pause backup reads
	wait_for "$W/server$seed.log" "backup reads of instance drill paused" 50
	"$JETCTL" backup drill "$b" $flag >"$b.out" 2>&1 &
	bpid=$!
	wait_for "$b.out" "copying" 100
	sleep 0.3
	if [ "$how" = jetctl ]; then
		"$JETCTL" stop drill >"$b.stop" 2>&1
	else
		kill -USR1 "$server"
	fi
	wait $bpid
	rc=$?
	kill -USR2 "$server"	# resume
	wait_for "$W/server$seed.log" "backup reads of instance drill resumed" 50
	name="drill $dn (seed $seed): $kind backup stopped by $how"
	if [ $rc -ne 3 ]; then
		not_ok "$name" "jetctl backup exited $rc, expected 3"
		show "$b.out"
		return
	fi
	# exit 5: "a backup did not complete", not some other objection
	"$JETCTL" restore "$b" "$W/r$dn" >"$W/r$dn.restore" 2>&1
	rc=$?
	if [ $rc -ne 5 ]; then
		not_ok "$name" "jetctl restore exited $rc, expected 5"
		show "$W/r$dn.restore"
		return
	fi
	# shellcheck disable=SC2086
	"$JETCTL" restore $chain "$b" "$W/rc$dn" >"$W/rc$dn.restore" 2>&1
	rc=$?
	if [ $rc -ne 5 ]; then
		not_ok "$name" "restore after the backups before it exited $rc, expected 5"
		show "$W/rc$dn.restore"
		return
	fi
	if [ -e "$W/r$dn" ] || [ -e "$W/rc$dn" ]; then
		not_ok "$name" "a refused restore left its directory"
		return
	fi
	ok "$name: refused by restore (exit 5), alone and after its chain"
	refused=$((refused + 1))
}

echo "# the restore drill: $JETCTL, $JETDEMO; $SERVERS servers, seeds $SEED0.."
s=0 n=0
while [ $s -lt "$SERVERS" ]; do
	seed=$((SEED0 + s))
	s=$((s + 1))
	start_server $seed || continue
	chain=
	drill $((n + 1)) full
	drill $((n + 2)) incremental
	stopped $((n + 3)) full jetctl
	drill $((n + 4)) incremental
	stopped $((n + 5)) incremental server
	drill $((n + 6)) full --truncate
	n=$((n + 6))
	stop_server
done

echo "# restore drill: $drills drills: $restored restored, recovered and matched; $refused stopped and refused; $((drills - restored - refused)) failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
