#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make demo` (see demo.sh): the VM's /init runs it as its
# only program, as root, with jet.ko loaded and jetctl and jetdemo-server in
# PATH. What it prints is the demo's transcript: each command as "$ command",
# then its output, with "# " lines saying what happens. Every step checks its
# exit status (some also what it printed); the last line says whether all of
# them behaved, and the exit status is 0 only then.
#
# env: DEMO_DB_MIB (16) DEMO_THROTTLE (4M): the database's size and the
#      server's backup-read throttle; together they set how long a backup
#      takes (4 s), so that there is time to stop one midway.

DB_MIB=${DEMO_DB_MIB:-16}
SEED=42
THROTTLE=${DEMO_THROTTLE:-4M}
SRV=/srv/demo
W=/run/demo
steps=0
bad=0
server=

rm -rf "$SRV" /backup "$W"
mkdir -p "$W" "${SRV%/*}"

# Marks a step: ok, or what went wrong (in the transcript, where it happened).
step() {	# step OK|"what went wrong"
	steps=$((steps + 1))
	[ "$1" = ok ] && return
	bad=$((bad + 1))
	echo "# UNEXPECTED: $1"
}

# lines FILE: stdin to stdout and FILE, a whole line per write, so that the
# server's lines (it writes to the same console) never land inside one of
# them: jetctl writes a line to stderr in several pieces.
lines() {
	awk -v f="$1" '{ print; fflush(); print >f; fflush(f) }'
}

# run WANT CMD...: show the command, run it (output shown as it comes and
# kept in $W/out), and check its exit status.
run() {
	want=$1
	shift
	echo "\$ $*"
	{ "$@" 2>&1; echo $? >"$W/rc"; } | lines "$W/out"
	read -r rc <"$W/rc"
	[ "$rc" -ne 0 ] && echo "[exit status $rc]"
	if [ "$rc" -eq "$want" ]; then
		step ok
	else
		step "exit status $rc, expected $want"
	fi
}

# expect PATTERN WHAT: the last command printed a line matching PATTERN.
expect() {
	if grep -q -e "$1" "$W/out"; then step ok; else step "$2"; fi
}

wait_for() {	# wait_for FILE PATTERN TENTHS: while the server runs
	i=0
	while ! grep -q -e "$2" "$1" 2>/dev/null && [ $i -lt "$3" ] &&
		kill -0 "$server" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -e "$2" "$1" 2>/dev/null
}

finish() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	echo
	if [ $bad -eq 0 ]; then
		echo "demo: all $steps steps behaved as expected"
		exit 0
	fi
	echo "demo: $bad of $steps steps did not behave as expected"
	exit 1
}

echo "# jet demo on Linux $(uname -r), in a VM; jet.ko is loaded:"
run 0 ls -l /dev/jet
echo

echo "# 1. The owner. jetdemo-server plays a database server: it creates the"
echo "#    instance \"demo\", attaches a $DB_MIB MiB database and writes 4 KiB pages"
echo "#    into it with write-ahead logging: each write goes to its log, made"
echo "#    durable, before the page is written under a write-range lock"
echo "#    (JetLockWriteRangeInstance). It closes and registers a log every 100"
echo "#    writes, and whenever a backup asks for a roll."
case $THROTTLE in
*K) rate="${THROTTLE%K} KiB" ;;
*M) rate="${THROTTLE%M} MiB" ;;
*G) rate="${THROTTLE%G} GiB" ;;
*) rate="$THROTTLE bytes" ;;
esac
echo "#    It limits backup reads to $rate a second"
echo "#    (JetSetBackupThrottleInstance), so that a backup takes a few seconds."
echo "\$ jetdemo-server --name demo --dir $SRV --db-size $DB_MIB" \
	"--throttle $THROTTLE &"
jetdemo-server --name demo --dir "$SRV" --db-size "$DB_MIB" \
	--throttle "$THROTTLE" --interval 5 --log-every 100 --seed "$SEED" \
	--commit-file "$W/committed" --ready-file "$W/ready" 2>&1 &
server=$!
if wait_for "$W/ready" "^name demo" 300; then
	step ok
else
	step "jetdemo-server did not get ready"
	finish
fi
sleep 3
run 0 ls -l "$SRV"
run 0 jetctl list
expect "^ *[0-9][0-9]*  *demo  *$server  .*running  *-  .*$SRV/demo.edb" \
	"jetctl list shows no running instance demo with no backup"
echo

echo "# 2. A full backup: the database, then the logs from the checkpoint on."
echo "#    Progress comes as plain lines (this is not a terminal). --truncate"
echo "#    lets the server delete the logs it no longer needs."
run 0 mkdir /backup
run 0 jetctl backup demo /backup/full --truncate
expect "complete: 1 database, [1-9][0-9]* logs* (generation" \
	"the full backup did not say it copied the database and logs"
sleep 1
run 0 jetctl verify /backup/full
expect "all match" "verify did not say that all files match"
run 0 cat /backup/full/MANIFEST
echo

echo "# 3. A second backup, which the server stops midway: on SIGUSR1"
echo "#    jetdemo-server calls JetStopBackupInstance, and the backup's read,"
echo "#    blocked in the kernel by the throttle, fails at once."
echo "\$ jetctl backup demo /backup/stopped &"
{
	jetctl backup demo /backup/stopped 2>&1
	echo $? >"$W/rc2"
} | lines "$W/stopped" &
backup=$!
if wait_for "$W/stopped" "copying" 300; then
	step ok
else
	step "the second backup did not start copying"
fi
sleep 1.5
run 0 jetctl list
expect "^ *[0-9][0-9]*  *demo  .*running  *databases " \
	"jetctl list did not show the backup in its databases phase"
echo "\$ kill -USR1 $server        # jetdemo-server"
kill -USR1 "$server"
wait "$backup"
read -r rc <"$W/rc2"
echo "\$ wait %1; echo \$?        # jetctl backup's exit status"
echo "$rc"
if [ "$rc" -eq 3 ]; then
	step ok
else
	step "the stopped backup exited $rc, expected 3"
fi
cp "$W/stopped" "$W/out"
expect "JET_errBackupAbortByServer (-801)" \
	"the stopped backup did not end with JET_errBackupAbortByServer (-801)"
run 0 ls -A /backup/stopped
run 5 jetctl verify /backup/stopped
expect "INCOMPLETE" "verify did not call the stopped backup incomplete"
echo

echo "# 4. The stop ended that backup only: the instance is ready for the next."
run 0 jetctl list
expect "^ *[0-9][0-9]*  *demo  .*running  *-  " \
	"jetctl list still shows a backup on demo"
# what the server had committed before this backup: a restore of it must
# hold at least that
min_lsn=$(sed 's/^0*//' "$W/committed")
run 0 jetctl backup demo /backup/again
expect "complete: 1 database," "the backup after the stop did not complete"
run 0 jetctl verify /backup/again
expect "all match" "verify of the backup after the stop failed"
sleep 1
echo "# An incremental backup: the logs written since."
run 0 jetctl backup demo /backup/incr --incremental
expect "complete: 0 databases, [1-9][0-9]* logs*[ ,]" \
	"the incremental backup did not copy logs only"
echo

echo "# 5. The owner ends: its instance goes with it."
echo "\$ kill $server        # jetdemo-server"
kill "$server"
wait "$server"
rc=$?
server=
if [ "$rc" -eq 0 ]; then
	step ok
else
	step "jetdemo-server exited $rc after SIGTERM, expected 0"
fi
run 0 jetctl list
expect "no instances" "an instance is left after its owner ended"
echo

echo "# 6. The server is gone: restore the last full backup and the"
echo "#    incremental after it into a new directory, and recover it. jetctl"
echo "#    checks both against their manifests and prints the generations to"
echo "#    replay; jetdemo-server --recover replays them (write-ahead logging:"
echo "#    each record newer than its page is redone)."
run 0 jetctl restore /backup/again /backup/incr /srv/restored
expect "^replay log generations [0-9]* to [0-9]*" \
	"jetctl restore did not print the generations to replay"
range=$(sed -n 's/^replay log generations \([0-9]*\) to \([0-9]*\) .*/--from \1 --to \2/p' \
	"$W/out")
run 0 ls /srv/restored
# shellcheck disable=SC2086
run 0 jetdemo-server --recover /srv/restored $range
expect "recovered /srv/restored/demo.edb" "the recovery did not say it recovered"
echo "#    The recovered database is exactly a state the server committed"
echo "#    (rebuilt from its seed, $SEED, without the logs), and no older than"
echo "#    what it had committed when the full backup began (LSN $min_lsn)."
run 0 jetdemo-server --check-state /srv/restored/demo.edb --seed "$SEED" \
	--min-lsn "$min_lsn"
expect "every page matches" "the recovered database is not a committed state"
echo "#    A stopped backup is never restored:"
run 5 jetctl restore /backup/stopped /srv/never
finish
