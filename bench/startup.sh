#!/bin/bash
# bench/startup.sh [BATCH] [RUNS]: start-up cost, BATCH invocations per sample (default 50):
# `p11byok --version` and `p11byok doctor` against `pkcs11-tool --list-slots` (the baseline)
# on the same SoftHSMv2 module and token.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
batch=${1:-50} runs=${2:-5}
P11BYOK=${P11BYOK:-$here/../p11byok}
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$dir/tokens" >"$dir/softhsm2.conf"
export SOFTHSM2_CONF=$dir/softhsm2.conf
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null

loop() { echo "i=0; while [ \$i -lt $batch ]; do $1 >/dev/null 2>&1; i=\$((i + 1)); done"; }
machine
echo "$batch invocations per sample, $runs rounds; module $MODULE"
pair "$runs" \
	"pkcs11-tool --list-slots (baseline)" "$(loop "pkcs11-tool --module '$MODULE' --list-slots")" \
	"p11byok --version" "$(loop "'$P11BYOK' --version")" \
	"p11byok doctor" "$(loop "'$P11BYOK' --module '$MODULE' doctor")"
