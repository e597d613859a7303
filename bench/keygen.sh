#!/bin/bash
# bench/keygen.sh [N2048] [N3072] [NP256] [RUNS]: key generation throughput for N2048
# RSA-2048, N3072 RSA-3072 and NP256 EC P-256 keys (default 50, 20, 50) in one batch, RUNS
# rounds (default 5), each sample starting from the same freshly initialised world (token
# snapshot restored, untimed, before every sample).  Alternating in rounds:
#   pkcs11-tool --keypairgen loop (baseline)  one pkcs11-tool process per key: private,
#                                sensitive token keys, CKA_ID and label as p11byok sets them
#   p11byok run --generate-only  the runbook of all the keys: one process, one login
#   p11byok generate loop        one `p11byok generate` per key (a user without a runbook)
# p11byok does more per key than pkcs11-tool: it backs the key up under the world key
# (C_WrapKey), writes and fsyncs kmdata/key_simple_ID and appends an audit line (fsync'd).
# RSA key generation draws random primes, so its time varies from key to key: compare medians.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
n2048=${1:-50} n3072=${2:-20} np256=${3:-50} runs=${4:-5}
P11BYOK=${P11BYOK:-$here/../p11byok}
FAULTY=${FAULTY_MODULE:-$(dirname "$P11BYOK")/tests/faulty-pkcs11.so}
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "$here/world.sh"
[ -n "$PKCS11_TOOL" ] || { echo "bench: pkcs11-tool is needed (apt-get install opensc)" >&2; exit 2; }

world_init
runbook "$dir/runbook.yaml" "$n2048:RSA:2048" "$n3072:RSA:3072" "$np256:EC:P-256"
snapshot
total=$((n2048 + n3072 + np256))

# commands MODULE RUNBOOK: the commands compared, as pair's NAME 'CMD' arguments in $cmds;
# each loop is one command line per key, its type and size chosen by the ident.
commands() {
	local tool= gen= id kt spec hexid
	for id in $IDENTS; do
		case $id in
		bench-rsa-2048-*) kt=rsa:2048 spec="type=RSA size=2048" ;;
		bench-rsa-3072-*) kt=rsa:3072 spec="type=RSA size=3072" ;;
		bench-ec-p-256-*) kt=EC:prime256v1 spec="type=EC curve=P-256" ;;
		esac
		hexid=$(printf '%s' "$id" | od -An -tx1 | tr -d ' \n')
		# The bench's own PIN, on argv only because pkcs11-tool takes it nowhere else.
		tool="$tool'$PKCS11_TOOL' --module '$1' --token-label byok-world --login \
--pin '$PIN' --keypairgen --key-type $kt --id $hexid --label $id --private --sensitive \
>/dev/null || exit 1
"
		gen="$gen'$P11BYOK' --module '$1' --kmdata '$dir/kmdata' --pin-file '$dir/user.pin' \
--offline off --quiet generate $spec protect=module ident=$id plainname=$id || exit 1
"
	done
	cmds=(
	"pkcs11-tool --keypairgen loop (baseline)" "$tool"
	"p11byok run --generate-only" "'$P11BYOK' --quiet run '$2' --generate-only"
	"p11byok generate loop" "$gen"
	)
}

machine
echo "$n2048 RSA-2048 + $n3072 RSA-3072 + $np256 EC P-256 keys per sample, $runs rounds," \
	"token snapshot restored before each sample; module $MODULE;" \
	"$(openssl version | cut -d' ' -f1-2)"
# Each sample must leave 2 more objects per key on the token (NAME.object and NAME.lock
# files each).
objects=$(ls "$dir"/tokens/*/ | wc -l)
BENCH_RESET=$RESTORE
BENCH_CHECK="test \$(ls '$dir'/tokens/*/ | wc -l) -eq $((objects + 4 * total))"
BENCH_RATIOS="3/2"
measure "$dir/runbook.yaml"
# BENCH_PHASES=1: where the time goes (perf uprobes, root only), inside one more sample of
# run and of the pkcs11-tool loop.  RUNS 0 skips the timed rounds and the call counts.
if [ "${BENCH_PHASES:-0}" = 1 ]; then
	commands "$MODULE" "$dir/runbook.yaml"
	phases "${cmds[2]} (module calls, then p11byok's steps)" "${cmds[3]}" \
		"$MODULE:C_Initialize" "$MODULE:C_Login" "$MODULE:C_GenerateKeyPair" \
		"$MODULE:C_WrapKey" "$MODULE:C_FindObjectsInit" "$MODULE:C_GetAttributeValue" \
		"$P11BYOK:keygen_generate" "$P11BYOK:world_load" "$P11BYOK:keyrecord_simple_save" \
		"$P11BYOK:keygen_audit"
	phases "${cmds[0]}" "${cmds[1]}" "$MODULE:C_Initialize" "$MODULE:C_Login" \
		"$MODULE:C_GenerateKeyPair" "$MODULE:C_WrapKey" "$MODULE:C_FindObjectsInit" \
		"$MODULE:C_GetAttributeValue"
fi
