#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# jetctl_bench: what a user sees. `jetctl backup` end to end (read through
# jet, hash, write and fsync the copy and its manifest) of jetdemo-server's
# instance on the VM's ext4 disk, against `cp -r` of the same files
# (followed by sync, as jetctl syncs what it writes) and against
# `tar -cf - | sha256sum` of them (read and hash, no write). The page
# cache is dropped before each run; three rounds, the three taking turns.
# Target: jetctl >= 0.8 of cp. Prints BENCH lines (bench.h). Run in the
# test VM by make bench, as build/selftests/jetctl_bench, with jetctl and
# jetdemo-server beside it.
# A benchmark: exits 0, and says why when it cannot run.

here=$(dirname "$0")
mnt=/mnt/jet-disk
db_mib=128
rounds=3

say() { echo "# $*"; }

# centiseconds since boot
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

mount_disk() {
	grep -q " $mnt " /proc/mounts && return 0
	i=0
	while [ $i -lt 200 ]; do
		for s in /sys/block/vd*/serial; do
			[ -e "$s" ] && [ "$(cat "$s")" = jet-disk ] || continue
			d=${s%/serial}
			mkdir -p $mnt
			mount -t ext4 "/dev/${d##*/}" $mnt && return 0
			return 1
		done
		[ -e /sys/module/virtio_blk ] || return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

mount_disk || { say "no virtio disk: run it with make bench"; exit 0; }
[ -x "$here/jetctl" ] && [ -x "$here/jetdemo-server" ] ||
	{ say "no jetctl or jetdemo-server beside $0"; exit 0; }

dir=$mnt/jetctl-bench
rm -rf "$dir" "$mnt/out-jetctl" "$mnt/out-cp"
# --interval: one page written a minute, so the files hold still
"$here/jetdemo-server" --name jetctl-bench --dir "$dir" --db-size $db_mib \
	--interval 60000 --ready-file /tmp/jetctl-bench.ready \
	>/tmp/jetctl-bench.log 2>&1 &
server=$!
i=0
while [ ! -e /tmp/jetctl-bench.ready ] && [ $i -lt 3000 ]; do
	kill -0 $server 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ ! -e /tmp/jetctl-bench.ready ]; then
	say "jetdemo-server did not start:"
	sed 's/^/# /' /tmp/jetctl-bench.log
	kill $server 2>/dev/null
	exit 0
fi
bytes=$(du -sk "$dir" | cut -f1)
bytes=$((bytes * 1024))
say "files: $(ls "$dir" | wc -l) in $dir, $((bytes >> 20)) MiB"

t_jetctl=0 t_cp=0 t_tar=0 bad=0
r=0
while [ $r -lt $rounds ]; do
	for k in 0 1 2; do
		m=$(((k + r) % 3))
		rm -rf "$mnt/out-jetctl" "$mnt/out-cp"
		drop_caches
		t0=$(now_cs)
		case $m in
		0)	"$here/jetctl" backup jetctl-bench "$mnt/out-jetctl" \
				>/tmp/jetctl-bench.out 2>&1 || {
				bad=1
				sed 's/^/# jetctl: /' /tmp/jetctl-bench.out
			} ;;
		1)	{ cp -r "$dir" "$mnt/out-cp" && sync; } || bad=1 ;;
		2)	tar -cf - -C "$mnt" jetctl-bench | sha256sum >/dev/null ||
				bad=1 ;;
		esac
		t=$(($(now_cs) - t0))
		case $m in
		0) t_jetctl=$((t_jetctl + t)) ;;
		1) t_cp=$((t_cp + t)) ;;
		2) t_tar=$((t_tar + t)) ;;
		esac
	done
	r=$((r + 1))
done
kill $server 2>/dev/null
wait $server 2>/dev/null
rm -rf "$dir" "$mnt/out-jetctl" "$mnt/out-cp"

mibs() {	# MiB/s for $1 centiseconds over all rounds
	awk -v b="$bytes" -v r=$rounds -v cs="$1" -v bad=$bad \
		'BEGIN { if (bad || cs <= 0) print "-"; else printf "%.2f", b * r / 1048576 / (cs / 100) }'
}
j=$(mibs $t_jetctl) c=$(mibs $t_cp) t=$(mibs $t_tar)
say "MiB/s over $rounds rounds: jetctl backup $j, cp -r + sync $c, tar | sha256sum $t"
echo "BENCH figure=jetctl_backup config=${db_mib}MiB_db value=$j unit=MiB/s baseline=cp+sync baseline_value=$c target=>=0.8"
echo "BENCH figure=jetctl_backup config=${db_mib}MiB_db_vs_tar value=$j unit=MiB/s baseline=tar|sha256sum baseline_value=$t target=-"
exit 0
