#!/bin/bash
# bench/hash.sh [MIB] [RUNS]: verify-toolset on a MIB-MiB file (default 1024) against
# `openssl dgst -sha256` (the baseline) and `sha256sum`, alternating, RUNS rounds (default 5).
# Target: p11byok at least 0.9x the speed of openssl dgst (time/base <= 1.11), constant memory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mib=${1:-1024} runs=${2:-5}
P11BYOK=${P11BYOK:-$here/../p11byok}
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

file=$dir/KeyVault-BYOK-Tools-Bench.zip
openssl enc -aes-128-ctr -pass pass:bench -nosalt -pbkdf2 -in /dev/zero 2>/dev/null |
	head -c $((mib * 1024 * 1024)) >"$file"
mkdir "$dir/regions"
cat >"$dir/regions/bench.yaml" <<YAML
name: Bench
code: BENCH
toolset:
  file: KeyVault-BYOK-Tools-Bench.zip
  sha256: $(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)
kek_package: BYOK-KEK-pkg-BENCH-1
world_package: BYOK-SecurityWorld-pkg-BENCH-1
root_key_hash: 59178a47 de508c3f 291277ee 184f46c4 f1d9c639
YAML
machine
echo "file: $mib MiB, $runs rounds; openssl $(openssl version | cut -d' ' -f2)"
pair "$runs" \
	"openssl dgst -sha256 (baseline)" "openssl dgst -sha256 '$file'" \
	"p11byok verify-toolset" "'$P11BYOK' --regions '$dir/regions' verify-toolset '$file'" \
	"sha256sum" "sha256sum '$file'"
