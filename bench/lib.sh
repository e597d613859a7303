# bench/lib.sh: paired timing with public tools only (bash, date, GNU time, sort, awk).
#
# sample CMD...   runs CMD once under GNU time; prints "WALL_MICROSECONDS PEAK_KIB"; fails
#                 (saying so on stderr) when CMD does
# pair RUNS NAME_A 'CMD A' NAME_B 'CMD B' ...
#                 runs the commands in turn, RUNS rounds (A B C A B C ...), and prints one row
#                 per command: median wall seconds, min-max, median peak RSS, and the median of
#                 the per-round time ratios to the first command, the baseline (X/A: below 1 is
#                 faster than the baseline).  Each CMD is a shell string.  Stops the bench
#                 (exit 1) when a command, the reset or the check fails: a failed run is not
#                 a sample.
#   BENCH_RESET='CMD'   run (untimed) before every sample, e.g. to restore a token snapshot
#                       that the command consumes, so every sample starts from one state
#   BENCH_CHECK='CMD'   run (untimed) after every sample: proof the command did its work
#   BENCH_RATIOS='J/K ...'  also print the median of the per-round ratios of command J to
#                       command K (1-based, in the order given), e.g. '3/2'
# calls NAME_A 'CMD A' ...
#                 runs each command once more (after BENCH_RESET), untimed, with the PKCS#11
#                 module logging every call (the commands must load tests/faulty-pkcs11.so,
#                 which forwards to $P11FAULT_MODULE), and prints how many calls of each
#                 kind it made: what the module was asked to do, whatever the clock says
# phases NAME 'CMD' BINARY:FUNCTION...
#                 runs CMD once (after BENCH_RESET) under perf with a uprobe on the entry and
#                 return of each FUNCTION of BINARY (a library or program), and prints the
#                 wall time spent inside each (calls nested in another listed function count
#                 in both) and the total: where the time goes, off-CPU waits (fsync)
#                 included.  Needs perf and root (uprobes); removes its probes afterwards.
set -u
BENCH_TIME=${BENCH_TIME:-/usr/bin/time}
[ -x "$BENCH_TIME" ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 2; }

machine() {
	printf 'machine: %s cores, %s MiB memory, %s; load average %s\n' "$(nproc)" \
		"$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" "$(uname -srm)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
}

# The wall time with nanosecond resolution, and GNU time's peak RSS.
sample() {
	local t0 t1 out rc
	out=$(mktemp)
	t0=$(date +%s%N)
	"$BENCH_TIME" -f '%M' -o "$out" sh -c "$1" >/dev/null 2>"$out.err"
	rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		echo "bench: exit $rc from: $1" >&2
		tail -n 5 "$out.err" >&2
		rm -f "$out" "$out.err"
		return 1
	fi
	echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$out")"	# microseconds, KiB
	rm -f "$out" "$out.err"
}

# hook WHAT CMD: an untimed BENCH_RESET or BENCH_CHECK; the bench stops when it fails.
hook() {
	[ -n "$2" ] || return 0
	sh -c "$2" >/dev/null 2>&1 && return 0
	echo "bench: the $1 failed: $2" >&2
	return 1
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
			hook reset "${BENCH_RESET:-}" && sample "${cmds[$j]}" >>"$dir/$j" &&
				hook check "${BENCH_CHECK:-}" || { rm -rf "$dir"; exit 1; }
		done
	done
	printf '%-40s %12s %21s %12s %10s\n' "command" "median s" "min-max s" "peak KiB" "time/base"
	for ((j = 0; j < n; j++)); do
		local med lo hi rss ratio
		med=$(cut -d' ' -f1 "$dir/$j" | median)
		lo=$(cut -d' ' -f1 "$dir/$j" | sort -n | head -n 1)
		hi=$(cut -d' ' -f1 "$dir/$j" | sort -n | tail -n 1)
		rss=$(cut -d' ' -f2 "$dir/$j" | median)
		ratio=$(paste -d' ' "$dir/0" "$dir/$j" | awk '{ print $3 / $1 }' | median)
		printf '%-40s %12.4f %10.4f-%-10.4f %12d %9.2fx\n' "${names[$j]}" \
			"$(awk -v v="$med" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$lo" 'BEGIN { print v / 1e6 }')" \
			"$(awk -v v="$hi" 'BEGIN { print v / 1e6 }')" "${rss%.*}" "$ratio"
	done
	for ratio in ${BENCH_RATIOS:-}; do
		local a=$((${ratio%/*} - 1)) b=$((${ratio#*/} - 1))
		printf '%s / %s: %.2fx (median of the per-round ratios)\n' "${names[$a]}" \
			"${names[$b]}" "$(paste -d' ' "$dir/$b" "$dir/$a" | awk '{ print $3 / $1 }' |
			median)"
	done
	rm -rf "$dir"
}

calls() {
	local log
	log=$(mktemp)
	printf '%-40s %9s %9s %9s %9s %9s %9s\n' "PKCS#11 calls per sample" searches "attr reads" \
		generates wraps destroys all
	while [ $# -gt 0 ]; do
		: >"$log"
		hook reset "${BENCH_RESET:-}" &&
			P11FAULT_LOG=$log sh -c "$2" >/dev/null 2>&1 || { echo "bench: $1 failed" >&2;
			rm -f "$log"; exit 1; }
		awk -v name="$1" '{ n[$2]++; all++ } END {
			printf "%-40s %9d %9d %9d %9d %9d %9d\n", name, n["C_FindObjectsInit"],
			    n["C_GetAttributeValue"], n["C_GenerateKeyPair"] + n["C_GenerateKey"],
			    n["C_WrapKey"], n["C_DestroyObject"], all }' "$log"
		shift 2
	done
	rm -f "$log"
}

phases() {
	local name=$1 cmd=$2 spec fn data t0 t1 rc=0 list=
	shift 2
	echo "inside one more $name:"
	data=$(mktemp -d)
	for spec in "$@"; do
		fn=${spec##*:}
		list="$list $fn"
		perf probe -q -x "${spec%:*}" -a "p11bench:$fn=$fn" -a "p11bench:${fn}_ret=$fn%return" \
			>"$data/err" 2>&1 || { echo "bench: cannot probe $spec (perf probe -l: is" \
			"another probe there?): $(head -n 1 "$data/err")" >&2; rc=1; break; }
	done
	if [ "$rc" -eq 0 ] && hook reset "${BENCH_RESET:-}"; then
		t0=$(date +%s%N)
		perf record -q -e 'p11bench:*' -o "$data/perf.data" -- sh -c "$cmd" >/dev/null \
			2>"$data/err" || rc=1
		t1=$(date +%s%N)
		perf script -i "$data/perf.data" -F event,time 2>/dev/null | awk -v total=$(((t1 - t0) / 1000)) \
			-v list="$list" '
			{ t = $1; sub(/:$/, "", t); ev = $2; sub(/^p11bench:/, "", ev); sub(/:$/, "", ev)
			  if (ev ~ /_ret__return$/) { f = substr(ev, 1, length(ev) - 12)
				if (f in start) { sum[f] += t - start[f]; n[f]++; delete start[f] } }
			  else start[ev] = t }
			END { printf "%-32s %8s %10s %8s\n", "inside", "calls", "seconds", "share"
			  k = split(list, order, " ")
			  for (i = 1; i <= k; i++) { f = order[i]
				printf "%-32s %8d %10.3f %7.1f%%\n", f, n[f], sum[f], 100 * sum[f] / (total / 1e6) }
			  printf "%-32s %8s %10.3f %7.1f%%\n", "(whole command, wall)", "", total / 1e6, 100 }'
	fi
	perf probe -q -d 'p11bench:*' >/dev/null 2>&1
	[ "$rc" -eq 0 ] || echo "bench: phases of $name failed: $(head -n 3 "$data/err")" >&2
	rm -rf "$data"
	return "$rc"
}
