#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Host tests of jetctl and jetdemo-server: no module needed. jetctl's backup,
# verify and abort paths run against tests/fakejet.c (jetctl-fake), the real
# binaries are checked for what works without /dev/jet. Ends with the line
# "N passed, N failed"; exits 1 when something failed.

O=${O:-.}
# jetctl and jetdemo-server are linked with the shared libjet, as installed
LD_LIBRARY_PATH=${LIBJET_DIR:-..}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
JETCTL=$O/jetctl
FAKE=$O/tests/jetctl-fake
DEMO=$O/jetdemo-server
T=$(mktemp -d /tmp/jetctl-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok $pass $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok $1${2:+: $2}"; }
# expect NAME CODE CMD...: the command exits with CODE; its output is in $T/out
expect() {
	name=$1 code=$2
	shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$code" ]; then ok "$name"; else
		not_ok "$name" "exit $rc, expected $code"; sed 's/^/#   /' "$T/out"
	fi
}
# grep_out NAME PATTERN: the last command's output matches
# flip_byte FILE OFFSET: damage one byte for sure (a fixed replacement would
# equal a random byte there 1 time in 256, and then nothing was damaged)
flip_byte() {
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((255 - b)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
grep_out() {
	if grep -q -e "$2" "$T/out"; then ok "$1"; else
		not_ok "$1" "no '$2' in the output"; sed 's/^/#   /' "$T/out"
	fi
}
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# C unit tests: their own ok/not ok lines count one each
for t in test_sha256 test_manifest test_jetdemo_wal; do
	"$O/tests/$t" >"$T/unit" 2>&1
	rc=$?
	while read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		esac
	done <"$T/unit"
	[ $rc -eq 0 ] || not_ok "$t exit code $rc"
done

# The fake instances are owned by whoever runs the tests, so a root run's
# backups are not refused by owner pinning (resolve.c); that is checked
# on its own below.
export FAKEJET_OWNER_UID
FAKEJET_OWNER_UID=$(id -u)

# sha256 against the system's tool, on a file of odd size
if command -v sha256sum >/dev/null; then
	head -c 3000017 /dev/urandom >"$T/rand"
	mkdir "$T/sf"
	cp "$T/rand" "$T/sf/x.edb"
	FAKEJET_DIR=$T/sf "$FAKE" backup fake "$T/sfb" --quiet >/dev/null 2>&1
	want=$(sha256sum "$T/rand" | cut -d' ' -f1)
	check "sha256 agrees with sha256sum on 3000017 random bytes" \
		grep -q "^$want 3000017 database 0 x.edb " "$T/sfb/MANIFEST"
fi

# --- the command line, with the real jetctl -------------------------------
expect "help exits 0" 0 "$JETCTL" --help
grep_out "help documents exit code 3" "^  3 .*stopped"
grep_out "help documents exit code 130" "^  130"
expect "help of a command exits 0" 0 "$JETCTL" backup --help
expect "no command is a usage error" 1 "$JETCTL"
expect "unknown command is a usage error" 1 "$JETCTL" frobnicate
grep_out "unknown command is named" "unknown command 'frobnicate'"
expect "unknown option is a usage error" 1 "$JETCTL" list --frob
expect "backup without DIR is a usage error" 1 "$JETCTL" backup demo
expect "backup --copy=bad is a usage error" 1 "$JETCTL" backup demo d --copy=x
expect "stop-service unknown grbit is a usage error" 1 \
	"$JETCTL" stop-service demo frob
expect "stop-service all with another grbit is a usage error" 1 \
	"$JETCTL" stop-service demo all quiesce-caches
expect "stop-service resume with another grbit is a usage error" 1 \
	"$JETCTL" stop-service demo resume quiesce-caches
expect "verify of a directory without MANIFEST exits 5" 5 "$JETCTL" verify "$T"

if [ -e /dev/jet ]; then
	echo "# /dev/jet exists: skipping the no-module checks"
else
	expect "list without /dev/jet exits 2" 2 "$JETCTL" list
	grep_out "list without /dev/jet names the code" \
		"JET_errFeatureNotAvailable (-1001)"
	grep_out "list without /dev/jet says to load the module" "modprobe jet"
	expect "backup without /dev/jet exits 2" 2 "$JETCTL" backup demo "$T/nb"
	check "backup without /dev/jet creates nothing" test ! -e "$T/nb"
fi

# --- jetctl on the fake libjet --------------------------------------------
D=$T/inst
mkdir "$D"
head -c 20000000 /dev/urandom >"$D/demo.edb"
head -c 4096 /dev/urandom >"$D/other data.edb"
head -c 65536 /dev/urandom >"$D/demo.00000003.log"
head -c 65536 /dev/urandom >"$D/demo.00000004.log"
: >"$D/demo.00000001.old"
export FAKEJET_DIR=$D FAKEJET_CALLS=$T/calls

expect "list shows the instances" 0 "$FAKE" list
grep_out "list has a header" "^ID  *NAME  *PID  *UID  *STATE  *BACKUP  *READ  *DATABASES"
grep_out "list shows the owner pid and databases" \
	"^ *7  *fake  *4242  *$FAKEJET_OWNER_UID  *running  *-  *0 B  *$D/demo.edb,"
grep_out "list shows a paused instance" "^ *8  *42 .*running,paused"
expect "list --no-header --bytes" 0 "$FAKE" list --no-header --bytes
check "list --no-header has no header" sh -c "! grep -q '^ID' '$T/out'"

expect "an instance by name" 0 "$FAKE" stop fake
grep_out "stop with no backup says so" "no backup was running on fake (id 7)"
expect "a name wins over an id" 0 "$FAKE" stop 42
grep_out "the instance named 42 is id 8" "42 (id 8)"
expect "an unnamed instance by id" 0 "$FAKE" stop 0x2a
grep_out "an unnamed instance is shown by id" "on id 42"
expect "an unknown instance exits 2" 2 "$FAKE" stop nosuch
grep_out "an unknown instance is named" "no instance named 'nosuch'"

: >"$T/calls"
expect "stop-service with two grbits" 0 \
	"$FAKE" stop-service fake quiesce-caches background-tasks
check "stop-service passes the grbits" grep -q "stopservice 7 0x6" "$T/calls"
expect "stop-service with no grbit" 0 "$FAKE" stop-service fake
check "stop-service defaults to all" grep -q "stopservice 7 0$" "$T/calls"
expect "resume after all exits 2" 2 "$FAKE" stop-service 42 resume
grep_out "resume after all is explained" "cannot be resumed"

# owner pinning: another uid's instance, backed up by root
if [ "$(id -u)" -eq 0 ]; then
	FAKEJET_OWNER_UID=1000
	expect "root's backup of uid 1000's instance exits 2" \
		2 "$FAKE" backup fake "$T/own1"
	grep_out "the refusal says whose it is" "owned by uid 1000, not root"
	check "the refused backup made nothing" test ! -e "$T/own1/MANIFEST"
	expect "backup --owner 1000 of it exits 0" 0 \
		"$FAKE" backup --owner 1000 -q fake "$T/own2"
	FAKEJET_OWNER_UID=$(id -u)
fi
expect "backup --owner of another uid exits 2" 2 \
	"$FAKE" backup --owner 4321 fake "$T/own3"
expect "backup --owner of no such user is a usage error" 1 \
	"$FAKE" backup --owner no-such-user-jt fake "$T/own4"

# a full backup, by sendfile
: >"$T/calls"
expect "full backup exits 0" 0 "$FAKE" backup fake "$T/b1"
grep_out "backup prints a summary" "complete: 2 databases, 2 logs"
check "backup calls Begin(full) ... End(normal)" \
	sh -c "head -1 '$T/calls' | grep -q 'begin 0' && tail -1 '$T/calls' | grep -q 'end 0x1'"
check "backup copies the database" cmp "$D/demo.edb" "$T/b1/demo.edb"
check "backup renames odd names" cmp "$D/other data.edb" "$T/b1/other_data.edb"
check "backup copies the logs" cmp "$D/demo.00000004.log" "$T/b1/demo.00000004.log"
check "backup leaves no partial files" \
	sh -c "! ls -a '$T/b1' | grep -q '\.part\$'"
check "manifest says complete" grep -q "^# status complete" "$T/b1/MANIFEST"
check "manifest lists 4 files" \
	test "$(grep -c '^[0-9a-f]\{64\} ' "$T/b1/MANIFEST")" -eq 4
check "manifest keeps the source path" \
	grep -q " other_data.edb $D/other\\\\x20data.edb\$" "$T/b1/MANIFEST"
check "non-tty progress is plain lines" \
	sh -c "! grep -q \"\$(printf '\\r')\" '$T/out'"
expect "verify of a good backup exits 0" 0 "$FAKE" verify "$T/b1"
grep_out "verify says all match" "4 files, .*: all match"

# the same by read(), same hashes
expect "backup --copy=read exits 0" 0 "$FAKE" backup fake "$T/b2" --copy=read -q
check "--copy=read gives the same files and hashes" \
	sh -c "grep '^[0-9a-f]' '$T/b1/MANIFEST' | cut -d' ' -f1-4 >'$T/m1'; \
	       grep '^[0-9a-f]' '$T/b2/MANIFEST' | cut -d' ' -f1-4 >'$T/m2'; \
	       cmp -s '$T/m1' '$T/m2'"
expect "backup into a non-empty directory is a usage error" 1 \
	"$FAKE" backup fake "$T/b1"

# verify finds damage
cp -r "$T/b1" "$T/v"
flip_byte "$T/v/demo.edb" 1000
expect "verify of a changed file exits 4" 4 "$FAKE" verify "$T/v"
grep_out "verify names the changed file" "^MISMATCH  demo.edb: sha256"
rm "$T/v/demo.00000003.log"
expect "verify of a missing file exits 4" 4 "$FAKE" verify "$T/v"
grep_out "verify names the missing file" "^MISSING   demo.00000003.log"
touch "$T/v/stray"
expect "verify notes an extra file" 4 "$FAKE" verify "$T/v"
grep_out "verify names the extra file" "^EXTRA     stray"
cp -r "$T/b1" "$T/v2"
sed -i 's/^# type full/# type incremental/' "$T/v2/MANIFEST"
expect "verify of an edited manifest exits 4" 4 "$FAKE" verify "$T/v2"
grep_out "verify calls it damaged" "MANIFEST is damaged"

# the server stops the backup on the second file
: >"$T/calls"
FAKEJET_STOP_AT=2 "$FAKE" backup fake "$T/b3" >"$T/out" 2>&1
rc=$?
check "a server stop exits 3" test $rc -eq 3
grep_out "a server stop names the code and says what to do" \
	"jetctl: backup stopped: JET_errBackupAbortByServer (-801): the server stopped this backup; run it again when the server allows"
check "a server stop ends the backup as aborted" grep -q "end 0x2" "$T/calls"
check "a server stop leaves no partial file" \
	sh -c "! ls -a '$T/b3' | grep -q '\.part\$'"
check "a server stop marks the manifest incomplete" \
	grep -q "^# status incomplete: JET_errBackupAbortByServer (-801)" "$T/b3/MANIFEST"
check "a server stop keeps the finished file in the manifest" \
	test "$(grep -c '^[0-9a-f]\{64\} ' "$T/b3/MANIFEST")" -eq 1
expect "verify of a stopped backup exits 5" 5 "$FAKE" verify "$T/b3"
check "a stopped backup's verify says one thing" \
	test "$(grep -c . "$T/out")" -eq 1
grep_out "verify says it is incomplete and cannot be restored" \
	"^INCOMPLETE $T/b3: the backup did not complete (incomplete: JET_errBackupAbortByServer (-801)); it cannot be restored\$"
FAKEJET_STOP_AT=3 FAKEJET_STOP_ERR=-1329 "$FAKE" backup fake "$T/b4" -q \
	>"$T/out" 2>&1
rc=$?
check "a service stop exits 3" test $rc -eq 3
grep_out "a service stop names -1329" "JET_errClientRequestToStopJetService (-1329)"
FAKEJET_STOP_AT=1 "$FAKE" backup fake "$T/b5" -q --copy=read >"$T/out" 2>&1
rc=$?
check "a server stop on the read path exits 3" test $rc -eq 3

# Ctrl-C in the middle of a slow copy
: >"$T/calls"
FAKEJET_SLOW_MS=20 "$FAKE" backup fake "$T/b6" --copy=read >"$T/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! ls -a "$T/b6" 2>/dev/null | grep -q '\.part$'; do
	sleep 0.05; i=$((i + 1))
done
sleep 0.2
kill -INT $pid
wait $pid
rc=$?
check "SIGINT exits 130" test $rc -eq 130
grep_out "SIGINT is reported" "backup interrupted by SIGINT"
check "SIGINT ends the backup as aborted" grep -q "end 0x2" "$T/calls"
check "SIGINT leaves no partial file" \
	sh -c "! ls -a '$T/b6' | grep -q '\.part\$'"
check "SIGINT marks the manifest incomplete" \
	grep -q "^# status incomplete: interrupted by SIGINT" "$T/b6/MANIFEST"
FAKEJET_SLOW_MS=20 "$FAKE" backup fake "$T/b7" --copy=read -q >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM exits 130" test $rc -eq 130

# incremental, truncate
: >"$T/calls"
expect "incremental backup exits 0" 0 "$FAKE" backup fake "$T/b8" --incremental
check "incremental asks for no databases" \
	sh -c "grep -q 'begin 1' '$T/calls' && ! grep -q attachinfo '$T/calls'"
check "incremental copies only logs" \
	test "$(grep -c '^[0-9a-f]\{64\} [0-9]* log ' "$T/b8/MANIFEST")" -eq 2
check "incremental manifest says so" grep -q "^# type incremental" "$T/b8/MANIFEST"
: >"$T/calls"
expect "backup --truncate exits 0" 0 "$FAKE" backup fake "$T/b9" --truncate -q
check "--truncate truncates then ends with TruncateDone" \
	sh -c "grep -q '^truncate\$' '$T/calls' && tail -1 '$T/calls' | grep -q 'end 0x101'"
check "--truncate records the truncated logs" \
	grep -q "^# truncated $D/demo.00000001.old" "$T/b9/MANIFEST"

# a terminal gets a progress bar
if command -v script >/dev/null; then
	FAKEJET_SLOW_MS=1 script -qec "'$FAKE' backup fake '$T/b10' --copy=read" \
		/dev/null >"$T/out" 2>&1
	grep_out "a terminal gets a progress bar" "\[#*\.*\] *[0-9]*% .*/s eta"
fi

# jetctl snapshot: whatever the host's /tmp is (no reflinks, or reflinks
# and then the fake's Prepare fails), a failed snapshot leaves nothing
mkdir "$T/sn-full" && : >"$T/sn-full/keep"
expect "snapshot into a non-empty DIR is a usage error" 1 \
	"$FAKE" snapshot fake "$T/sn-full"
grep_out "it says DIR is not empty" "$T/sn-full is not empty"
check "the refused snapshot left DIR as it was" \
	test "$(ls -A "$T/sn-full")" = keep
expect "a snapshot that cannot be taken exits 2" 2 "$FAKE" snapshot fake "$T/sn1"
grep_out "it says nothing is left" "nothing of it is left in $T/sn1"
check "the failed snapshot left no DIR" test ! -e "$T/sn1"
expect "snapshot --timeout beyond an hour is a usage error" 1 \
	"$FAKE" snapshot --timeout 3600001 fake "$T/sn2"

# --- per-command help -----------------------------------------------------
for c in list backup snapshot verify restore stop stop-service; do
	expect "$c --help exits 0" 0 "$JETCTL" "$c" --help
	grep_out "$c --help is $c's own usage" "^Usage: jetctl $c "
	check "$c --help is not the global text" sh -c "! grep -q '^Commands:' '$T/out'"
done
expect "help restore exits 0" 0 "$JETCTL" help restore
grep_out "help restore is restore's usage" "^Usage: jetctl restore "
expect "help of an unknown command is a usage error" 1 "$JETCTL" help frob
expect "an unknown option names its command's help" 1 "$JETCTL" verify --frob
grep_out "the hint names verify --help" "Try 'jetctl verify --help'"
expect "global help exits 0" 0 "$JETCTL" --help
grep_out "help documents exit code 5" "^  5 .*did not complete"
grep_out "global help documents exit code 6" "^  6 .*chain"

# --- bash completion -----------------------------------------------------------
if command -v bash >/dev/null; then
	comp() {	# comp WORD...: what completing the last word offers
		bash -c '. ./jetctl.bash-completion; COMP_WORDS=("$@");
			COMP_CWORD=$(($# - 1)); _jetctl; echo "${COMPREPLY[*]}"' \
			x "$@"
	}
	check "completion offers the commands" test "$(comp jetctl re)" = restore
	check "completion offers a command's options" \
		sh -c "echo '$(comp jetctl backup --o)' | grep -qx -- --output"
	check "completion offers the grbits" \
		test "$(comp jetctl stop-service demo quie)" = quiesce-caches
	check "completion offers snapshot's options" \
		sh -c "echo '$(comp jetctl snapshot --ti)' | grep -qx -- --timeout"
fi

# --- standard tools check a backup: sha256sum -c, jq ------------------------
if command -v sha256sum >/dev/null; then
	check "sha256sum -c accepts a backup's SHA256SUMS" \
		sh -c "cd '$T/b1' && sha256sum --quiet -c SHA256SUMS"
	check "sha256sum -c SHA256SUMS finds a changed byte" \
		sh -c "cd '$T/v' && ! sha256sum --quiet -c SHA256SUMS 2>/dev/null"
fi
check "a stopped backup has no SHA256SUMS (sha256sum -c fails loudly)" \
	test ! -e "$T/b3/SHA256SUMS"
cp -r "$T/b1" "$T/v3"
printf 'x' >>"$T/v3/demo.edb"
expect "verify of a file one byte longer exits 4" 4 "$FAKE" verify "$T/v3"
grep_out "the mismatch gives both sizes in bytes" \
	"^MISMATCH  demo.edb: 20000001 bytes, the manifest says 20000000 (1 byte more)\$"
cp -r "$T/b1" "$T/v4"
printf 'x' >>"$T/v4/SHA256SUMS"
expect "verify of a changed SHA256SUMS exits 4" 4 "$FAKE" verify "$T/v4"
grep_out "verify names SHA256SUMS" "^MISMATCH  SHA256SUMS"

if command -v jq >/dev/null; then
	jqok() {	# jqok NAME FILTER: the last command's output passes jq -e
		if jq -e "$2" "$T/out" >/dev/null 2>&1; then ok "$1"; else
			not_ok "$1" "jq -e '$2'"; sed 's/^/#   /' "$T/out"
		fi
	}
	expect "jetctl -j list exits 0" 0 "$FAKE" -j list
	jqok "list JSON: three instances, fake's owner and databases" \
		'length == 3 and .[0].name == "fake" and .[0].owner_pid == 4242 and (.[0].databases | length) == 2 and .[2].name == null'
	expect "list --json exits 0" 0 "$FAKE" list --json
	jqok "list JSON: a paused instance's flags" '.[1].flags == ["paused"]'
	expect "stop -j exits 0" 0 "$FAKE" stop fake -j
	jqok "stop JSON: nothing was running" \
		'.instance == "fake" and .id == 7 and .stopped == false'
	expect "backup -j exits 0" 0 "$FAKE" backup fake "$T/j1" -j
	jqok "backup JSON summary" \
		'.result == "complete" and .databases == 2 and .logs == 2 and .generations.low == 3 and .generations.high == 4 and .bytes == 20135168'
	expect "verify -j exits 0" 0 "$FAKE" verify -j "$T/j1"
	jqok "verify JSON: every file ok, with size and generation" \
		'.result == "ok" and (.files | length) == 4 and all(.files[]; .result == "ok") and .sha256sums == "ok" and (.files[] | select(.name == "demo.00000004.log") | .generation) == 4'
	expect "verify -j of a changed file exits 4" 4 "$FAKE" verify -j "$T/v3"
	jqok "verify JSON: the mismatch with its found size" \
		'.result == "mismatch" and (.files[] | select(.name == "demo.edb") | .found_size) == 20000001'
	expect "verify -j of a stopped backup exits 5" 5 "$FAKE" verify -j "$T/b3"
	jqok "verify JSON: incomplete, with its status" \
		'.result == "incomplete" and (.status | startswith("incomplete: JET_errBackupAbortByServer"))'
	FAKEJET_STOP_AT=2 "$FAKE" backup fake "$T/j2" -j >"$T/out" 2>/dev/null
	jqok "backup JSON of a stopped backup: result and code" \
		'.result == "stopped" and .error.code == -801 and .error.name == "JET_errBackupAbortByServer"'
fi

# --- streams ------------------------------------------------------------------
same_files() {	# same_files DIR: DIR holds $D's databases and logs, identical
	for f in "$D"/*.edb "$D"/*.log; do
		n=$(basename "$f" | tr -c 'A-Za-z0-9._+\n-' _)
		cmp -s "$f" "$1/$n" || return 1
	done
	test "$(ls "$1" | wc -l)" -eq "$(ls "$D"/*.edb "$D"/*.log | wc -l)"
}
"$FAKE" backup fake -o - -q >"$T/s1.tar" 2>"$T/out"
rc=$?
check "backup -o - exits 0" test $rc -eq 0
grep_out "a stream's summary goes to stderr" "complete: 2 databases, 2 logs"
check "the stream is a tar with MANIFEST last" \
	sh -c "tar -tf '$T/s1.tar' | tail -n 1 | grep -qx MANIFEST"
check "tar lists SHA256SUMS before MANIFEST" \
	sh -c "tar -tf '$T/s1.tar' | tail -n 2 | head -n 1 | grep -qx SHA256SUMS"
expect "verify -i FILE of a stream exits 0" 0 "$FAKE" verify -i "$T/s1.tar"
expect "restore -i - of a stream exits 0" 0 sh -c \
	"'$FAKE' restore -i - '$T/r1' <'$T/s1.tar'"
check "the restored files are the instance's, byte for byte" same_files "$T/r1"
if command -v zstd >/dev/null; then
	"$FAKE" backup fake -o - -q 2>/dev/null | zstd -q -c | zstd -q -d -c |
		"$FAKE" restore -i - "$T/rz" >"$T/out" 2>&1
	rc=$?
	check "backup -o - | zstd | zstd -d | restore -i - exits 0" test $rc -eq 0
	check "the zstd round trip restores identically" same_files "$T/rz"
	grep_out "restore prints the generations to replay" \
		"^replay log generations 3 to 4 (JET_LOGINFO ulGenLow 3, ulGenHigh 4)\$"
fi
expect "backup -o FILE exits 0" 0 "$FAKE" backup fake -o "$T/s2.tar" -q
expect "backup -o over an existing file is a usage error" 1 \
	"$FAKE" backup fake -o "$T/s2.tar" -q
FAKEJET_STOP_AT=2 "$FAKE" backup fake -o - -q >"$T/s3.tar" 2>"$T/out"
rc=$?
check "a stopped stream backup exits 3" test $rc -eq 3
grep_out "it says the stream ends with an incomplete MANIFEST" \
	"the stream ends with a MANIFEST that marks it incomplete"
expect "restore of the stopped stream exits 5" 5 sh -c \
	"'$FAKE' restore -i - '$T/r3' <'$T/s3.tar'"
grep_out "restore says why, once" "is not a complete backup (incomplete: JET_errBackupAbortByServer (-801)): it cannot be restored"
check "the refused restore creates no directory" test ! -e "$T/r3"
check "and leaves no hidden directory" \
	sh -c "! ls -a '$T' | grep -q '\.restore-'"
head -c 1000000 "$T/s1.tar" >"$T/s4.tar"
expect "restore of a stream cut short exits 5" 5 \
	"$FAKE" restore -i "$T/s4.tar" "$T/r4"
check "a stream cut short restores nothing" test ! -e "$T/r4"
: | "$FAKE" restore -i - "$T/r5" >"$T/out" 2>&1
rc=$?
check "restore of an empty stream exits 5" test $rc -eq 5
grep_out "an empty stream has no MANIFEST" "without a MANIFEST"
cp "$T/s1.tar" "$T/s6.tar"
flip_byte "$T/s6.tar" 5000
check "the damaged stream differs at byte 5000" \
	sh -c "! cmp -s '$T/s1.tar' '$T/s6.tar'"
expect "restore of a stream with a changed byte exits 4" 4 \
	"$FAKE" restore -i "$T/s6.tar" "$T/r6"
grep_out "it names the file" "^MISMATCH  demo.edb: sha256"
check "a damaged stream restores nothing" test ! -e "$T/r6"

# --- restore: a chain of backups ---------------------------------------------
expect "restore of a directory backup exits 0" 0 "$FAKE" restore "$T/b1" "$T/c1"
check "the restored directory holds the backup's files" same_files "$T/c1"
check "the restored directory has no MANIFEST" test ! -e "$T/c1/MANIFEST"
expect "restore into a non-empty directory is a usage error" 1 \
	"$FAKE" restore "$T/b1" "$T/c1"
mkdir "$T/c2"
expect "restore into an empty directory exits 0" 0 "$FAKE" restore "$T/b1" "$T/c2"
expect "restore of a stopped backup exits 5" 5 "$FAKE" restore "$T/b3" "$T/c3"
check "a stopped backup's restore says one thing" \
	test "$(grep -c . "$T/out")" -eq 1
check "a stopped backup restores nothing" test ! -e "$T/c3"
expect "restore of a backup with a changed file exits 4" 4 \
	"$FAKE" restore "$T/v3" "$T/c4"
check "a mismatch restores nothing, leaves nothing" \
	sh -c "test ! -e '$T/c4' && ! ls -a '$T' | grep -q '\.restore-'"
# incrementals: i1 = logs 3..5; i2 = 5..6 (3 and 4 truncated); i3 = 8 alone
head -c 65536 /dev/urandom >"$D/demo.00000005.log"
"$FAKE" backup fake "$T/i1" --incremental -q >/dev/null 2>&1
mv "$D/demo.00000003.log" "$D/demo.00000004.log" "$T/"
head -c 65536 /dev/urandom >"$D/demo.00000006.log"
"$FAKE" backup fake "$T/i2" --incremental -q >/dev/null 2>&1
mkdir "$T/old"
mv "$D/demo.00000005.log" "$D/demo.00000006.log" "$T/old/"
head -c 65536 /dev/urandom >"$D/demo.00000008.log"
"$FAKE" backup fake "$T/i3" --incremental -q >/dev/null 2>&1
rm "$D/demo.00000008.log"
mv "$T/demo.00000003.log" "$T/demo.00000004.log" "$T/old/"* "$D/"
expect "restore FULL INCR INCR exits 0" 0 \
	"$FAKE" restore "$T/b1" "$T/i1" "$T/i2" "$T/c5"
grep_out "the chain replays generations 3 to 6" "^replay log generations 3 to 6 "
grep_out "each log is restored once" ": 2 databases, 4 logs,"
check "the chain restores every file of every backup" same_files "$T/c5"
expect "restore of a full and a mixed stream/directory chain exits 0" 0 \
	sh -c "'$FAKE' backup fake -o - -q --incremental 2>/dev/null >'$T/is.tar' &&
	       '$FAKE' restore -i '$T/s1.tar' '$T/i1' -i '$T/is.tar' '$T/c6'"
expect "restore of incrementals out of order exits 6" 6 \
	"$FAKE" restore "$T/b1" "$T/i2" "$T/i1" "$T/c7"
grep_out "out of order is named" "out of order: its logs (generations 3 to 5) add nothing after generation 6"
expect "restore of a chain with a gap exits 6" 6 \
	"$FAKE" restore "$T/b1" "$T/i1" "$T/i3" "$T/c8"
grep_out "the gap names the missing generations" \
	"gap: it starts at log generation 8, but the backups before it end at 5 (generations 6 to 7 missing)"
expect "restore of an incremental alone exits 6" 6 "$FAKE" restore "$T/i1" "$T/c9"
expect "restore of two full backups exits 6" 6 \
	"$FAKE" restore "$T/b1" "$T/b2" "$T/c10"
check "a refused chain restores nothing, leaves nothing" \
	sh -c "for d in c7 c8 c9 c10; do test ! -e '$T'/\$d || exit 1; done;
	       ! ls -a '$T' | grep -q '\.restore-'"
# a full backup from generation 4: the incremental's generation 3 is older
mkdir "$T/away"
mv "$D/demo.00000003.log" "$D/demo.00000005.log" "$D/demo.00000006.log" "$T/away/"
"$FAKE" backup fake "$T/f4" -q >/dev/null 2>&1
mv "$T/away/"* "$D/"
expect "restore of a full from generation 4 and an incremental from 3 exits 0" 0 \
	"$FAKE" restore "$T/f4" "$T/i1" "$T/c12"
grep_out "the replay starts at the full backup's first log" \
	"^replay log generations 4 to 5 "
check "logs older than the full backup are left out" \
	test ! -e "$T/c12/demo.00000003.log"
expect "restore -j exits 0" 0 "$FAKE" restore -j "$T/b1" "$T/i1" "$T/c11"
if command -v jq >/dev/null; then
	jqok "restore JSON: the generations and each file once" \
		'.generations == {"low": 3, "high": 5} and .logs == 3 and (.files | length) == 5'
fi

# --- jetdemo-server ---------------------------------------------------------
expect "jetdemo-server --help exits 0" 0 "$DEMO" --help
expect "jetdemo-server bad option exits 2" 2 "$DEMO" --db-size x
if [ ! -e /dev/jet ]; then
	expect "jetdemo-server without /dev/jet exits 1" 1 \
		"$DEMO" --dir "$T/demo" --db-size 2
	grep_out "jetdemo-server names the code" "JET_errFeatureNotAvailable"
	expect "a generated database has whole pages" 0 \
		"$DEMO" --check-db "$T/demo/demo.edb"
	grep_out "check-db counts the pages" "512 pages, 0 torn"
	flip_byte "$T/demo/demo.edb" 9000
	expect "a torn page is found" 1 "$DEMO" --check-db "$T/demo/demo.edb"
	grep_out "check-db names the torn page" "page 2 is torn"
	expect "a database without logs is not recovered" 1 \
		"$DEMO" --recover "$T/demo"
	grep_out "recover says why it refuses" "cannot recover: no log of demo"
fi
expect "check-state without the seed is a usage error" 2 \
	"$DEMO" --check-state "$T/x.edb"
expect "recover and check-db together are a usage error" 2 \
	"$DEMO" --recover "$T" --check-db "$T/x.edb"

# --- the man pages ------------------------------------------------------------
if command -v groff >/dev/null; then
	for f in jetctl.8 jetdemo-server.1 jet.4 libjet.3 jet_backup.3 jet_owner.3 jet_stop.3 jet_legacy.3 jet_snapshot.3; do
		check "man page $f renders without warnings" sh -c \
			"[ -z \"\$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z ../man/$f 2>&1)\" ]"
		if command -v man >/dev/null; then
			check "man -l $f renders without warnings" sh -c \
				"MANWIDTH=80 man -l ../man/$f 2>&1 >/dev/null | grep -q . && exit 1; exit 0"
		fi
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
