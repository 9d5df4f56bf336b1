#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The report of `make bench`: reads the BENCH lines that the *_bench
# programs printed in the VM (see bench.h), prints every figure next to its
# baseline measured in the same run with the ratio and the target, writes
# them as CSV and plots them with gnuplot:
#     OUTDIR/results.csv   figure,config,value,unit,baseline,baseline_value,ratio,target
#     OUTDIR/results.png   the plot, with the commit and the date of the run
# It writes nothing else: the copy the README shows,
# selftests/bench/results.png, changes only by selftests/bench/publish.sh.
# gnuplot comes with make bench's set-up (selftests/vm/deps.sh bench); this
# script installs nothing.
# ratio is value / baseline_value; target bounds it (">=0.95", "<=3") or is
# "-". A missed target is reported, not failed: under TCG on a shared host
# the figures are indicative (BENCH_STRICT=1 makes a missed target fail).
#
# usage: report.sh [LOG [OUTDIR]]   (default build/vm-tests.log build/bench)
# exit:  0, or 1 when the log holds no figure (or, strict, one missed).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
log=${1:-$top/build/vm-tests.log}
outdir=${2:-$top/build/bench}
csv=$outdir/results.csv
png=$outdir/results.png

if [[ ! -r $log ]]; then
	echo "bench report: no $log (run make bench)"
	exit 1
fi
mkdir -p "$outdir"

# ---- the CSV ----
awk '
BEGIN { OFS = ","; print "figure,config,value,unit,baseline,baseline_value,ratio,target" }
sub(/^BENCH /, "") {
	delete f
	for (i = 1; i <= NF; i++) {
		eq = index($i, "=")
		if (eq)
			f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	v = f["value"]; b = f["baseline_value"]
	ratio = "-"
	if (v ~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ &&
	    b ~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ && b + 0 > 0)
		ratio = sprintf("%.4g", v / b)
	print f["figure"], f["config"], v, f["unit"], f["baseline"], b, \
	      ratio, (f["target"] == "" ? "-" : f["target"])
}' "$log" >"$csv"

nfig=$(($(wc -l <"$csv") - 1))
if ((nfig <= 0)); then
	echo "bench report: no BENCH lines in $log"
	exit 1
fi

# ---- the table ----
# status: ok / MISSED / "not measured" / "" (no target)
status_awk='
function status(ratio, target,   op, bound) {
	if (target == "-" || target == "")
		return (ratio == "-") ? "not measured" : ""
	if (ratio == "-")
		return "not measured"
	op = substr(target, 1, 2)
	bound = substr(target, 3) + 0
	if (op == ">=")
		return (ratio + 0 >= bound) ? "ok" : "MISSED"
	if (op == "<=")
		return (ratio + 0 <= bound) ? "ok" : "MISSED"
	return "bad target"
}
function label(fig) {
	if (fig in names)
		return names[fig]
	return fig
}
BEGIN {
	FS = ","
	names["read"] = "streaming read"
	names["copy"] = "backup to a file"
	names["ioctl"] = "ioctl round trip"
	names["instance_cycle"] = "create+init+term"
	names["instance_list"] = "JetGetInstanceInfo"
	names["memory"] = "kernel memory"
	names["stop_latency"] = "stop latency"
	names["stop_scaling"] = "stop, per added reader"
	names["stop_others"] = "stop, 1000 other inst."
	names["stop_filesize"] = "stop, 1 GiB file"
	names["hot_set"] = "hot set resident"
	names["big_file_left_cached"] = "big file left cached"
	names["disk_read"] = "disk streaming"
	names["jetctl_backup"] = "jetctl backup"
	names["stop_writer"] = "stop, owner writing"
	names["snapshot_hold"] = "snapshot, writes held"
	names["snapshot_time"] = "snapshot, its time"
}
# which way is better: from the target, else by figure (default higher)
function lower_better(fig, target) {
	if (substr(target, 1, 2) == "<=")
		return 1
	if (substr(target, 1, 2) == ">=")
		return 0
	return fig ~ /^(ioctl|instance_cycle|instance_list|memory|stop_.*|big_file_left_cached|snapshot_.*)$/
}
'

awk "$status_awk"'
function num(v) {
	if (v !~ /[0-9]/)
		return v
	return (v + 0 >= 10000 || v + 0 <= -10000) ? sprintf("%.0f", v) : sprintf("%.4g", v)
}
NR == 1 { next }
{
	st = status($7, $8)
	if (st == "ok") met++
	else if (st == "MISSED") missed++
	else if (st == "not measured") unmeasured++
	if ($1 != last)
		print ""
	last = $1
	printf "  %-24s %-16s %10s %-6s  %-19s %10s %-6s %7s  %-7s %s\n", \
	       label($1), $2, num($3), $4, $5, num($6), $4, num($7), $8, st
}
BEGIN {
	print "== bench: jet next to its baseline, measured in the same run"
	printf "  %-24s %-16s %17s  %-19s %17s %7s  %-7s %s", \
	       "figure", "config", "jet", "baseline", "", "ratio", "target", ""
}
END {
	printf "\n  %d figures: %d targets met, %d missed, %d not measured\n", \
	       NR - 1, met, missed, unmeasured
	print met + 0, missed + 0, unmeasured + 0 > "/dev/stderr"
}' "$csv" 2>"$outdir/counts"
read -r _ missed unmeasured <"$outdir/counts"
rm -f "$outdir/counts"
echo "  CSV: $csv"

# ---- the plot ----
have_gnuplot() {
	command -v gnuplot >/dev/null 2>&1
}

# A panel's plot command (standard input), or an empty frame that says so
# when its data file ($1) has no number from column $2 on.
panel() {
	if awk -v c="$2" '{ for (i = c; i <= NF; i++) if ($i ~ /^[-+]?[0-9]/) f = 1 }
			  END { exit !f }' "$1"; then
		cat
	else
		cat >/dev/null
		cat <<GP
unset logscale
set xrange [0:1]
set yrange [0:1]
unset xtics
unset ytics
set label 1 "not measured in this run" at graph 0.5, graph 0.5 center
plot 2 notitle
unset label 1
set xtics
set ytics
GP
	fi
}

plot() {
	local dat=$outdir/plot

	mkdir -p "$dat"
	# 1. every ratio, by which way is better:
	#    x, label, ratio, target bound (or -), colour
	for side in higher lower; do
	awk -v side=$side "$status_awk"'
	NR == 1 || $7 == "-" { next }
	(side == "lower") != lower_better($1, $8) { next }
	{
		st = status($7, $8)
		col = (st == "ok") ? "0x2e8b57" : (st == "MISSED") ? "0xd62728" : "0x999999"
		bound = ($8 == "-") ? "NaN" : substr($8, 3)
		cfg = $2
		sub(/^per_reader_16_to_256_vs_1_to_16$/, "16-256 vs 1-16", cfg)
		sub(/^per_reader_16_to_256$/, "16-256", cfg)
		sub(/_readers?$/, " rd", cfg)
		lab = label($1) ": " cfg
		gsub(/_/, " ", lab)
		printf "%d \"%s\" %s %s %s\n", n++, lab, $7, bound, col
	}' "$csv" >"$dat/ratios-$side.dat"
	done
	# the ratio axes: from a power of ten below the smallest ratio
	ymin=$(cat "$dat"/ratios-*.dat | awk '{ r = $3 + 0; if (r > 0 && (m == "" || r < m)) m = r }
		END { y = 0.1; while (m != "" && y > m) y /= 10; print y }')
	# 2. stop latency against readers
	awk -F, '
	NR == 1 { next }
	$1 ~ /^stop_(latency|others|filesize)$/ {
		r = $2 + 0
		rs[r] = 1
		if ($1 == "stop_latency") { jet[r] = $3; futex[r] = $6 }
		else if ($1 == "stop_others") others[r] = $3
		else big[r] = $3
	}
	function v(x) { return (x == "" || x == "-") ? "NaN" : x }
	END {
		for (r in rs)
			print r, v(jet[r]), v(futex[r]), v(others[r]), v(big[r]), \
			      (v(jet[1]) == "NaN" ? "NaN" : jet[1] * r)
	}' "$csv" | sort -n >"$dat/stop.dat"
	# 3. throughput: label, jet, baseline
	awk -F, '
	NR == 1 || $4 != "MiB/s" { next }
	{
		lab = $1 " " $2 " vs " $5
		gsub(/_/, " ", lab)
		printf "\"%s\" %s %s\n", lab, ($3 == "-" ? "NaN" : $3), \
		       ($6 == "-" ? "NaN" : $6)
	}' "$csv" >"$dat/throughput.dat"

	local stamp
	stamp="commit $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')"
	{
		cat <<GP
set terminal pngcairo size 1600,1100 font "DejaVu Sans,10"
set output "$png"
set datafile missing "NaN"
set multiplot title "jet: make bench, each figure against its baseline measured in the same run (qemu TCG)\n$stamp"

set size 0.5,0.52
set logscale y
set yrange [$ymin:*]
set ylabel "ratio jet / baseline (log)"
set lmargin 12
set grid ytics
set style fill solid 0.8 noborder
set boxwidth 0.7
set xtics rotate by 45 right
set xrange [-0.6:*]
GP
		for side in higher lower; do
			if [[ $side == higher ]]; then
				echo 'set origin 0,0.45'
				echo 'set title "HIGHER is better: bar jet/baseline, black line the target (at least); green met, red missed, grey no target"'
			else
				echo 'set origin 0.5,0.45'
				echo 'set title "LOWER is better: bar jet/baseline, black line the target (at most); green met, red missed, grey no target"'
			fi
			panel "$dat/ratios-$side.dat" 3 <<GP
plot "$dat/ratios-$side.dat" using 1:3:5:xtic(2) with boxes lc rgb variable notitle, \
     "" using (\$1-0.4):4:(0.8):(0) with vectors nohead lw 3 lc rgb "black" notitle, \
     1 with lines dt 2 lc rgb "gray40" notitle
GP
		done
		cat <<GP

set origin 0,0
set size 0.5,0.45
set lmargin 12
set title "stop: from the stop call to the last reader's return (lower is better)"
set logscale xy
unset xrange
set xrange [0.8:320]
set yrange [*:*]
set xtics (1, 16, 256) norotate
set xlabel "blocked readers"
set ylabel "microseconds (log)"
set key top left
GP
		panel "$dat/stop.dat" 2 <<GP
plot "$dat/stop.dat" using 1:2 with linespoints lw 2 title "jet, 1 other instance", \
     "" using 1:4 with linespoints lw 2 title "jet, 1000 other instances", \
     "" using 1:5 with linespoints lw 2 title "jet, 1 GiB file", \
     "" using 1:3 with linespoints lw 2 dt 2 title "futex wake (baseline)", \
     "" using 1:6 with lines dt 3 lc rgb "gray40" title "linear: n x (1 reader)"
GP
		cat <<GP

set origin 0.5,0
set size 0.5,0.45
set lmargin 10
set title "throughput in MiB/s (higher is better): tmpfs (read, copy) and the ext4 disk"
unset logscale
unset xlabel
set ylabel "MiB/s"
set yrange [0:*]
set xrange [-0.6:*]
set style data histogram
set style histogram clustered gap 1
set xtics rotate by 15 right
set key top right
GP
		panel "$dat/throughput.dat" 2 <<GP
plot "$dat/throughput.dat" using 2:xtic(1) title "jet" lc rgb "0x1f77b4", \
     "" using 3 title "baseline" lc rgb "0xaaaaaa"
GP
		echo "unset multiplot"
	} >"$dat/plot.gp"
	gnuplot "$dat/plot.gp" 2>"$dat/gnuplot.log"
}

if ! have_gnuplot; then
	echo "  no plot: gnuplot is missing (make bench installs gnuplot-nox)"
elif ! plot || [[ ! -s $png ]]; then
	echo "  no plot: gnuplot failed, see $outdir/plot/gnuplot.log"
else
	echo "  plot: $png (selftests/bench/publish.sh makes it the README's)"
fi

((nfig > 0)) || exit 1
if [[ ${BENCH_STRICT:-0} == 1 ]] && ((missed + unmeasured > 0)); then
	exit 1
fi
exit 0
