#!/bin/bash
# bench/yaml.sh [KIB] [RUNS]: how long p11byok takes to refuse hostile YAML of KIB KiB
# (default 1024, the size cap): a runbook nested KIB*1024/2 levels deep, and an alias bomb
# (billion laughs); against the baseline, a small runbook refused for an unknown field, and a
# flat list of KIB KiB.  RUNS rounds (default 5).  Issue 17: bounded parse time (libyaml's
# loader takes time in the square of the depth: 828 s of CPU for 1 MiB before the bound).
# Each refusal must exit 2; the table shows time and peak memory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
kib=${1:-1024} runs=${2:-5}
P11BYOK=${P11BYOK:-$here/../p11byok}
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

bytes=$((kib * 1024 - 64))
printf 'kmdata: km\ncolour: blue\nkeys: []\n' >"$dir/small.yaml"
{ printf 'keys: '; head -c $((bytes / 2)) /dev/zero | tr '\0' '['
	head -c $((bytes / 2)) /dev/zero | tr '\0' ']'; echo; } >"$dir/deep.yaml"
{ printf 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
	for i in $(seq 1 9); do
		printf 'a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n' "$i" "$i" \
			$((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) \
			$((i - 1)) $((i - 1))
	done
	printf 'keys: *a9\n'; } >"$dir/bomb.yaml"
{ printf 'kmdata: km\ncolour: blue\nkeys:\n'
	n=$((bytes / 10))
	yes '  - x: y' | head -n "$n"; } >"$dir/flat.yaml"
# A refusal (exit 2) is the command's success here.
refused() { printf "sh -c \"'%s' run '%s' >/dev/null 2>&1; [ \\\$? -eq 2 ]\"" "$P11BYOK" "$1"; }
machine
echo "files: $kib KiB of nesting, a 10-level alias bomb, $kib KiB of flat list; $runs rounds"
pair "$runs" \
	"unknown field, small runbook (baseline)" "$(refused "$dir/small.yaml")" \
	"flat list, $kib KiB" "$(refused "$dir/flat.yaml")" \
	"nested $((bytes / 2)) levels" "$(refused "$dir/deep.yaml")" \
	"alias bomb (10^9 leaves)" "$(refused "$dir/bomb.yaml")"
