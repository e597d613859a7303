# bench/lib.sh: paired timing with public tools only (bash, date, GNU time, sort, awk).
#
# sample CMD...   runs CMD once under GNU time; prints "WALL_SECONDS PEAK_KIB"
# pair RUNS NAME_A 'CMD A' NAME_B 'CMD B' ...
#                 runs the commands in turn, RUNS rounds (A B C A B C ...), and prints one row
#                 per command: median wall seconds, min-max, median peak RSS, and the median of
#                 the per-round time ratios to the first command, the baseline (X/A: below 1 is
#                 faster than the baseline).  Each CMD is a shell string.
set -u
BENCH_TIME=${BENCH_TIME:-/usr/bin/time}
[ -x "$BENCH_TIME" ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 2; }

machine() {
	printf 'machine: %s cores, %s MiB memory, %s\n' "$(nproc)" \
		"$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" "$(uname -srm)"
}

# The wall time with nanosecond resolution, and GNU time's peak RSS.
sample() {
	local t0 t1 out
	out=$(mktemp)
	t0=$(date +%s%N)
	"$BENCH_TIME" -f '%M' -o "$out" sh -c "$1" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$out")"	# microseconds, KiB
	rm -f "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

pair() {
	local runs=$1 i j n names=() cmds=() dir
	shift
	while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
	n=${#names[@]}
	dir=$(mktemp -d)
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < n; j++)); do
			sample "${cmds[$j]}" >>"$dir/$j"
		done
	done
	printf '%-34s %12s %21s %12s %10s\n' "command" "median s" "min-max s" "peak KiB" "time/base"
	for ((j = 0; j < n; j++)); do
		local med lo hi rss ratio
		med=$(cut -d' ' -f1 "$dir/$j" | median)
		lo=$(cut -d' ' -f1 "$dir/$j" | sort -n | head -n 1)
		hi=$(cut -d' ' -f1 "$dir/$j" | sort -n | tail -n 1)
		rss=$(cut -d' ' -f2 "$dir/$j" | median)
		ratio=$(paste -d' ' "$dir/0" "$dir/$j" | awk '{ print $3 / $1 }' | median)
		printf '%-34s %12.4f %10.4f-%-10.4f %12d %9.2fx\n' "${names[$j]}" \
			"$(awk -v v="$med" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$lo" 'BEGIN { print v / 1e6 }')" \
			"$(awk -v v="$hi" 'BEGIN { print v / 1e6 }')" "${rss%.*}" "$ratio"
	done
	rm -rf "$dir"
}
