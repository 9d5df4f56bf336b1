#!/bin/sh
# SPDX-License-Identifier: MIT
#
# jetctl and jetdemo-server against the real module: run inside the test VM
# (busybox sh, root, jet.ko loaded, /tmp writable). Prints one "ok"/"not ok"
# line per check and ends with "N passed, N failed"; exits 1 on a failure.
#
# env: JETCTL, JETDEMO (default: next to this script, else in PATH)
#      RESTIC (default: restic next to this script, run by the dynamic
#              loader and libc beside it, which check.sh ships too)
#      TORN_ROUNDS  sendfile backups under fast writes checked for torn
#                   pages (default 3)

here=$(cd "$(dirname "$0")" && pwd)
JETCTL=${JETCTL:-$here/jetctl}
JETDEMO=${JETDEMO:-$here/jetdemo-server}
[ -x "$JETCTL" ] || JETCTL=jetctl
[ -x "$JETDEMO" ] || JETDEMO=jetdemo-server
TORN_ROUNDS=${TORN_ROUNDS:-3}
W=${TMPDIR:-/tmp}/jetctl-vm
rm -rf "$W"
mkdir -p "$W"
pass=0
fail=0
demo_pids=

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $1"; }
not_ok() {
	fail=$((fail + 1)); echo "not ok $((pass + fail)) $1${2:+: $2}"
}
show() { sed 's/^/#   /' "$1"; }
# expect NAME CODE CMD...: exit status CODE; output in $W/out
expect() {
	name=$1 code=$2
	shift 2
	"$@" >"$W/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$code" ]; then ok "$name"; else
		not_ok "$name" "exit $rc, expected $code"; show "$W/out"
	fi
}
grep_file() {	# NAME FILE PATTERN
	if grep -q -e "$3" "$2"; then ok "$1"; else
		not_ok "$1" "no '$3' in $2"; show "$2"
	fi
}
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
no_part() { ! ls -a "$1" 2>/dev/null | grep -q '\.part$'; }
# centiseconds since boot
now_cs() { read -r up _ </proc/uptime; echo $((${up%.*} * 100 + 1${up#*.} - 100)); }

# start_demo NAME ARGS...: a demo server in the background, ready
start_demo() {
	name=$1
	shift
	rm -f "$W/$name.ready"
	"$JETDEMO" --name "$name" --dir "$W/$name" \
		--ready-file "$W/$name.ready" "$@" >"$W/$name.log" 2>&1 &
	eval "pid_$name=$!"
	demo_pids="$demo_pids $!"
	i=0
	while [ ! -e "$W/$name.ready" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -e "$W/$name.ready" ]; then ok "jetdemo-server $name is ready"; else
		not_ok "jetdemo-server $name is ready"; show "$W/$name.log"
	fi
}
# wait_for FILE PATTERN TENTHS: until the file matches, at most TENTHS/10 s
wait_for() {
	i=0
	while ! grep -q -e "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -e "$2" "$1" 2>/dev/null
}
cleanup() {
	for p in $demo_pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

echo "# jetctl in the VM: $JETCTL, $JETDEMO"

# --- nothing running ----------------------------------------------------------
expect "list with no instance exits 0" 0 "$JETCTL" list
grep_file "list says there is none" "$W/out" "no instances"
expect "backup of an unknown instance exits 2" 2 "$JETCTL" backup nosuch "$W/x"

# --- one owner, backups while it writes ------------------------------------
start_demo demo --db-size 16 --interval 1 --log-every 50
expect "list shows the demo" 0 "$JETCTL" list
grep_file "list row of the demo" "$W/out" \
	"^ *[0-9][0-9]*  *demo  *[0-9][0-9]*  *0  *running  *-  .*$W/demo/demo.edb"

expect "full backup (sendfile) exits 0" 0 "$JETCTL" backup demo "$W/b1"
grep_file "full backup summary" "$W/out" "complete: 1 database, [0-9]* logs* (generation"
check "full backup leaves no partial file" no_part "$W/b1"
expect "verify of the full backup exits 0" 0 "$JETCTL" verify "$W/b1"
expect "the sendfile copy has no torn page" 0 \
	"$JETDEMO" --check-db "$W/b1/demo.edb"

expect "full backup (read) exits 0" 0 "$JETCTL" backup demo "$W/b2" \
	--copy=read -q
expect "the read copy has no torn page" 0 "$JETDEMO" --check-db "$W/b2/demo.edb"

sleep 1
expect "incremental backup exits 0" 0 \
	"$JETCTL" backup demo "$W/b3" --incremental
grep_file "the incremental backup copied logs only" "$W/out" \
	"complete: 0 databases, [1-9][0-9]* logs* (generation"
expect "verify of the incremental backup exits 0" 0 "$JETCTL" verify "$W/b3"
check "the incremental manifest says so" \
	grep -q "^# type incremental" "$W/b3/MANIFEST"

# logs below the checkpoint leave with a full backup's truncation
sleep 1
expect "full backup with --truncate exits 0" 0 \
	"$JETCTL" backup demo "$W/b4" --truncate
grep_file "it says how many logs the server may delete" "$W/out" \
	"the server may now delete [1-9][0-9]* log"
check "the manifest lists the truncated logs" \
	grep -q "^# truncated " "$W/b4/MANIFEST"
if wait_for "$W/demo.log" "deleted logs" 50; then
	ok "the owner deleted the truncated logs"
	first=$(sed -n 's/^# truncated //p' "$W/b4/MANIFEST" | head -1)
	check "a truncated log file is gone" test ! -e "$first"
else
	not_ok "the owner deleted the truncated logs"; show "$W/demo.log"
fi

# --- jetctl snapshot where it cannot work: the VM's /tmp is tmpfs (no
# reflinks); the reflink runs are the snapshot drill's (a btrfs/XFS disk)
expect "snapshot --timeout with no number is a usage error (exit 1)" 1 \
	"$JETCTL" snapshot --timeout soon demo "$W/sn0"
check "the usage error made no DIR" test ! -e "$W/sn0"
expect "snapshot into a non-empty DIR is refused (exit 1)" 1 \
	"$JETCTL" snapshot demo "$W/b1"
grep_file "the refusal says DIR is not empty" "$W/out" \
	"snapshot: $W/b1 is not empty; give a new or empty directory"
expect "the refused snapshot left that DIR's backup whole" 0 \
	"$JETCTL" verify "$W/b1"
expect "snapshot on tmpfs (no reflinks) exits 2" 2 \
	"$JETCTL" snapshot demo "$W/sn1"
grep_file "the no-reflink error names both file systems" "$W/out" \
	"is on tmpfs, .* on tmpfs"
grep_file "it names the file systems that have reflinks" "$W/out" \
	"btrfs, or XFS made with reflink=1"
grep_file "it names the fallback, jetctl backup" "$W/out" \
	"use 'jetctl backup INSTANCE DIR'"
check "the failed snapshot left no DIR" test ! -e "$W/sn1"
mkdir "$W/sn2"
expect "snapshot into an empty DIR on tmpfs exits 2" 2 \
	"$JETCTL" snapshot --copy demo "$W/sn2"
check "the failed snapshot left the given DIR, empty" \
	test -d "$W/sn2" -a -z "$(ls -A "$W/sn2")"
expect "list after the failed snapshots" 0 "$JETCTL" list
check "the failed snapshots froze nothing" \
	sh -c "! grep -q 'frozen' '$W/out'"
expect "a backup after the failed snapshots exits 0" 0 \
	"$JETCTL" backup demo "$W/sn3" -q

# restore: the full backup and the incremental after it, as a chain
expect "restore FULL INCREMENTAL exits 0" 0 "$JETCTL" restore "$W/b2" "$W/b3" "$W/r1"
show "$W/out"	# an example for the docs
grep_file "restore prints the generations to replay" "$W/out" \
	"^replay log generations [0-9]* to [0-9]* (JET_LOGINFO ulGenLow [0-9]*, ulGenHigh [0-9]*)\$"
check "the restored database is the backup's" cmp "$W/b2/demo.edb" "$W/r1/demo.edb"
last=$(sed -n 's/^[0-9a-f]* [0-9]* log [0-9]* \([^ ]*\) .*/\1/p' "$W/b3/MANIFEST" | tail -n 1)
check "the restored logs include the incremental's last ($last)" \
	cmp "$W/b3/$last" "$W/r1/$last"
expect "restore of the incremental before its full exits 6" 6 \
	"$JETCTL" restore "$W/b3" "$W/b2" "$W/r2"

expect "jetctl -j verify of the incremental exits 0" 0 "$JETCTL" -j verify "$W/b3"
grep_file "its JSON says ok" "$W/out" '^  "result": "ok",$'
head -n 12 "$W/out" >"$W/out.head"
show "$W/out.head"

# a stream: backup -o - into restore -i -, checked by its SHA256SUMS
"$JETCTL" backup demo -o - -q >"$W/st.tar" 2>"$W/st.out"
rc=$?
check "backup -o - exits 0" test $rc -eq 0
expect "restore -i - of the stream exits 0" 0 sh -c \
	"'$JETCTL' restore -i - '$W/r3' <'$W/st.tar'"
check "the stream's own SHA256SUMS checks the restored files" sh -c \
	"tar -xOf '$W/st.tar' SHA256SUMS >'$W/st.sums' && cd '$W/r3' &&
	 sha256sum -c -s '$W/st.sums'"

# torn pages: sendfile backups while the owner writes as fast as it can
start_demo fast --db-size 8 --interval 0 --log-every 1000
r=0 torn=0
while [ $r -lt "$TORN_ROUNDS" ]; do
	"$JETCTL" backup fast "$W/t$r" -q >/dev/null 2>&1 &&
		"$JETDEMO" --check-db "$W/t$r/fast.edb" >"$W/torn$r" 2>&1 ||
		{ torn=$((torn + 1)); show "$W/torn$r"; }
	r=$((r + 1))
done
check "sendfile backups under fast writes: no torn page in $TORN_ROUNDS" \
	test $torn -eq 0
r=0 torn=0
while [ $r -lt "$TORN_ROUNDS" ]; do
	"$JETCTL" backup fast "$W/tr$r" -q --copy=read >/dev/null 2>&1 &&
		"$JETDEMO" --check-db "$W/tr$r/fast.edb" >"$W/tornr$r" 2>&1 ||
		{ torn=$((torn + 1)); show "$W/tornr$r"; }
	r=$((r + 1))
done
check "read backups under fast writes: no torn page in $TORN_ROUNDS" \
	test $torn -eq 0
# it takes a whole CPU: end it, and the first demo, before the timed tests
eval kill -TERM "\$pid_fast" "\$pid_demo"
eval wait "\$pid_fast" "\$pid_demo"

# --- stops, on a throttled owner (1 MiB/s: a 16 MiB backup takes 16 s) -------
start_demo slow --db-size 16 --interval 5 --throttle 1M

# jetctl stop
"$JETCTL" backup slow "$W/s1" >"$W/s1.out" 2>&1 &
bpid=$!
wait_for "$W/s1.out" "copying" 100
sleep 1
expect "list shows the running backup" 0 "$JETCTL" list
grep_file "list shows the databases phase" "$W/out" "slow .* databases "
expect "list --bytes exits 0" 0 "$JETCTL" list --bytes
read_bytes=$(awk '$2 == "slow" { print $7 }' "$W/out")
if [ "${read_bytes:-0}" -ge 1048576 ]; then
	ok "list counts the bytes the running backup read"
else
	not_ok "list counts the bytes the running backup read" "$read_bytes"
	show "$W/out"
fi
t0=$(now_cs)
expect "jetctl stop exits 0" 0 "$JETCTL" stop slow
grep_file "jetctl stop says it stopped it" "$W/out" "stopped the backup of slow"
wait $bpid
rc=$?
t1=$(now_cs)
check "the stopped backup exits 3" test $rc -eq 3
check "the stopped backup ends within 2 s of the stop" \
	test $((t1 - t0)) -lt 200
grep_file "the stopped backup names -801 and says what to do" "$W/s1.out" \
	"jetctl: backup stopped: JET_errBackupAbortByServer (-801): the server stopped this backup; run it again when the server allows"
check "the stopped backup leaves no partial file" no_part "$W/s1"
check "the stopped backup's manifest says incomplete" \
	grep -q "^# status incomplete: JET_errBackupAbortByServer" "$W/s1/MANIFEST"
expect "verify of the stopped backup exits 5" 5 "$JETCTL" verify "$W/s1"
grep_file "verify says it cannot be restored" "$W/out" \
	"^INCOMPLETE $W/s1: the backup did not complete (incomplete: JET_errBackupAbortByServer (-801)); it cannot be restored"
expect "restore of the stopped backup exits 5" 5 "$JETCTL" restore "$W/s1" "$W/rs1"
check "the refused restore leaves nothing" test ! -e "$W/rs1"

# a stream stopped midway: exit 3, and a stream restore refuses
"$JETCTL" backup slow -o - -q >"$W/ss.tar" 2>"$W/ss.out" &
bpid=$!
sleep 2
expect "jetctl stop of the stream backup exits 0" 0 "$JETCTL" stop slow
wait $bpid
rc=$?
check "the stopped stream backup exits 3" test $rc -eq 3
expect "restore -i - of the stopped stream exits 5" 5 sh -c \
	"'$JETCTL' restore -i - '$W/rss' <'$W/ss.tar'"
check "the stopped stream restores nothing" test ! -e "$W/rss"

# the owner's SIGUSR1
"$JETCTL" backup slow "$W/s2" -q >"$W/s2.out" 2>&1 &
bpid=$!
sleep 2
eval kill -USR1 "\$pid_slow"
wait $bpid
rc=$?
check "a backup stopped by the owner's SIGUSR1 exits 3" test $rc -eq 3
check "the owner printed that it stopped the backup" \
	wait_for "$W/slow.log" "SIGUSR1: stopped the backup" 30

# Ctrl-C
"$JETCTL" backup slow "$W/s3" >"$W/s3.out" 2>&1 &
bpid=$!
sleep 2
t0=$(now_cs)
kill -INT $bpid
wait $bpid
rc=$?
t1=$(now_cs)
check "SIGINT during a throttled backup exits 130" test $rc -eq 130
check "SIGINT ends it within 2 s" test $((t1 - t0)) -lt 200
check "SIGINT leaves no partial file" no_part "$W/s3"
check "SIGINT marks the manifest incomplete" \
	grep -q "^# status incomplete: interrupted by SIGINT" "$W/s3/MANIFEST"
expect "stop after the interrupted backup exits 0" 0 "$JETCTL" stop slow
grep_file "the interrupted backup was ended" "$W/out" "no backup was running"

# stop-service
expect "stop-service quiesce-caches exits 0" 0 \
	"$JETCTL" stop-service slow quiesce-caches
expect "list after quiesce" 0 "$JETCTL" list
grep_file "list shows the quiesced instance" "$W/out" "slow .*running,quiesced"
expect "stop-service resume exits 0" 0 "$JETCTL" stop-service slow resume
"$JETCTL" backup slow "$W/s4" -q >"$W/s4.out" 2>&1 &
bpid=$!
sleep 2
expect "stop-service all exits 0" 0 "$JETCTL" stop-service slow
wait $bpid
rc=$?
check "a backup stopped by stop-service exits 3" test $rc -eq 3
grep_file "it names -1329" "$W/s4.out" \
	"JET_errClientRequestToStopJetService (-1329)"
expect "a backup after stop-service all exits 3" 3 \
	"$JETCTL" backup slow "$W/s5"
check "that backup created no directory" test ! -e "$W/s5"
expect "resume after all exits 2" 2 "$JETCTL" stop-service slow resume
grep_file "resume after all is explained" "$W/out" "cannot be resumed"

# --- a repository: restic backup --stdin, restic dump, jetctl restore -i - -----
RESTIC=${RESTIC:-}
if [ -z "$RESTIC" ] && [ -x "$here/restic" ] &&
	[ -x "$here/ld-linux-x86-64.so.2" ]; then
	RESTIC="$here/ld-linux-x86-64.so.2 --library-path $here $here/restic"
fi
if [ -z "$RESTIC" ]; then
	echo "ok $((pass + fail + 1)) # SKIP restic round trip: no restic beside this script"
	pass=$((pass + 1))
else
	start_demo tiny --db-size 2 --interval 50 --log-every 20
	export RESTIC_PASSWORD=jet RESTIC_REPOSITORY="$W/restic"
	expect "restic init of a local repository" 0 $RESTIC init --no-cache
	"$JETCTL" backup tiny -o - -q 2>"$W/rb.out" | tee "$W/rt.tar" |
		$RESTIC backup --no-cache -q --stdin --stdin-filename tiny.tar \
		>"$W/out" 2>&1
	rc=$?
	check "jetctl backup -o - | restic backup --stdin exits 0" test $rc -eq 0
	$RESTIC dump --no-cache latest /tiny.tar 2>"$W/out" >"$W/rd.tar"
	check "restic dump gives the stream back byte for byte" \
		cmp "$W/rt.tar" "$W/rd.tar"
	$RESTIC dump --no-cache latest /tiny.tar 2>/dev/null |
		"$JETCTL" restore -i - "$W/rr" >"$W/out" 2>&1
	rc=$?
	check "restic dump | jetctl restore -i - exits 0" test $rc -eq 0
	"$JETCTL" restore -q -i "$W/rt.tar" "$W/rr2" >/dev/null 2>&1
	same=1
	for f in "$W"/rr2/*; do cmp -s "$f" "$W/rr/${f##*/}" || same=0; done
	check "the restic round trip restores identically" \
		test $same -eq 1 -a "$(ls "$W/rr" | wc -l)" -eq "$(ls "$W/rr2" | wc -l)"
	eval kill -TERM "\$pid_tiny"
	eval wait "\$pid_tiny"
fi

# --- owner pinning: an impostor's instance (h-iso, SPEC section 8) ---------
# uid 1000 serves an instance called prod; root's backup takes it only when
# told that uid 1000 is the expected owner.
mkdir -p /etc "$W/prod"
grep -q '^impostor:' /etc/passwd 2>/dev/null ||
	echo 'impostor:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd
chown 1000:1000 "$W/prod"
su -s /bin/sh impostor -c "exec '$JETDEMO' --name prod --dir '$W/prod' \
	--ready-file '$W/prod/ready' --db-size 1" >"$W/prod.log" 2>&1 &
pid_prod=$!
demo_pids="$demo_pids $pid_prod"
i=0
while [ ! -e "$W/prod/ready" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -e "$W/prod/ready" ]; then
	expect "root's backup of uid 1000's prod is refused (exit 2)" 2 \
		"$JETCTL" backup prod "$W/p1"
	grep_file "the refusal names the owner and --owner" "$W/out" \
		"owned by uid 1000, not root.*--owner 1000"
	check "the refused backup wrote nothing" test ! -e "$W/p1/MANIFEST"
	expect "backup --owner 1000 prod exits 0" 0 \
		"$JETCTL" backup --owner 1000 prod "$W/p2"
	expect "backup --owner impostor (a user name) exits 0" 0 \
		"$JETCTL" backup --owner impostor prod "$W/p3"
	expect "backup --owner 0 of uid 1000's prod exits 2" 2 \
		"$JETCTL" backup --owner 0 prod "$W/p4"
else
	not_ok "an instance served by uid 1000 is ready"; show "$W/prod.log"
fi
kill "$pid_prod" 2>/dev/null

# --- the end of owners ------------------------------------------------------
eval kill -TERM "\$pid_slow"
eval wait "\$pid_slow"
rc=$?
check "jetdemo-server exits 0 on SIGTERM" test $rc -eq 0
grep_file "jetdemo-server says it ends" "$W/slow.log" "SIGTERM: ending instance slow"
expect "list no longer shows it" 0 "$JETCTL" list
check "the ended instance is gone" sh -c "! grep -q ' slow ' '$W/out'"
cleanup
demo_pids=
expect "list after every owner ended" 0 "$JETCTL" list
grep_file "no instance is left" "$W/out" "no instances"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
