# tests/lib.sh: TAP helpers and throwaway SoftHSMv2 tokens for p11byok's shell tests.
#
# Source it from a test run by `make check` (which exports P11BYOK, SOFTHSM2_MODULE, ...).
# Every test gets its own temp dir $T and, through softhsm_setup, its own SOFTHSM2_CONF:
# nothing depends on the machine's tokens or p11-kit configuration.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${P11BYOK:=$top_builddir/p11byok}"
: "${SOFTHSM2_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
: "${SOFTHSM2_UTIL:=$(command -v softhsm2-util || true)}"
: "${PKCS11_TOOL:=$(command -v pkcs11-tool || true)}"
: "${PKCS11_SPY:=}"
export top_srcdir top_builddir P11BYOK SOFTHSM2_MODULE
# The sanitizer build (--enable-sanitizers) reports leaks; tests/lsan.supp names the ones in
# test instruments that are not p11byok's.
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# The environment must not choose a module, token or PIN behind a test's back.
unset P11BYOK_MODULE P11BYOK_TOKEN P11BYOK_KMDATA P11BYOK_PIN

# What the module does that tests must expect: on SoftHSMv2 2.7.0 and later (which
# tests/on-softhsm27.sh runs each test on again) package takes the one-call wrap and
# CKA_WRAP_WITH_TRUSTED can be given after birth (so a key a crash left without its record
# is discarded, not recorded); 2.6.1 composes the wrap and fixes the flag at birth.
if [ -z "${P11BYOK_TEST_WRAP:-}" ] && v=$("$SOFTHSM2_UTIL" --version 2>/dev/null) &&
	[ "$(printf '%s\n2.7.0\n' "$v" | sort -V | head -n 1)" = 2.7.0 ]; then
	P11BYOK_TEST_WRAP=CKM_RSA_AES_KEY_WRAP P11BYOK_TEST_WWT_FIXED=false
fi
: "${P11BYOK_TEST_WRAP:=composed}" "${P11BYOK_TEST_WWT_FIXED:=true}"
onecall() { [ "$P11BYOK_TEST_WRAP" = CKM_RSA_AES_KEY_WRAP ]; }
wwt_fixed() { [ "$P11BYOK_TEST_WWT_FIXED" = true ]; }

T=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# P11BYOK_WRAPPER (make memcheck sets it to valgrind and its options): every run of the tool
# goes through it, since $P11BYOK becomes a script that execs WRAPPER TOOL ARGS.
if [ -n "${P11BYOK_WRAPPER:-}" ]; then
	: "${P11BYOK_REAL:=$P11BYOK}"
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$P11BYOK_WRAPPER" "$P11BYOK_REAL" >"$T/p11byok"
	chmod +x "$T/p11byok"
	P11BYOK=$T/p11byok
	export P11BYOK P11BYOK_REAL
fi
REGIONS="$top_srcdir/conf/regions"

tap_n=0
tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - # SKIP $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { sed 's/^/# /' "$@"; }
done_testing() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# assert DESC COMMAND...: ok when COMMAND succeeds.
assert() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# run CMD...: runs it with stdout in $T/out, stderr in $T/err, exit code in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

# expect CODE REGEX DESC -- CMD...: runs CMD; ok when it exits CODE and its output (stderr
# then stdout) matches the extended REGEX.  A failing CMD must say so in exactly one
# "p11byok:" error line.
expect() {
	local code=$1 regex=$2 desc=$3 errors
	shift 4
	run "$@"
	errors=$(grep -v '^p11byok: warning: ' "$T/err" | grep -c '^p11byok: \|^p11byok [a-z-]*: ')
	if [ "$rc" -ne "$code" ]; then
		not_ok "$desc (exit $rc, want $code)"; diag "$T/err" "$T/out"
	elif ! cat "$T/err" "$T/out" | grep -Eq -- "$regex"; then
		not_ok "$desc (output does not match /$regex/)"; diag "$T/err" "$T/out"
	elif [ "$code" -ne 0 ] && [ "$errors" -ne 1 ]; then
		not_ok "$desc ($errors error lines, want 1)"; diag "$T/err"
	else
		ok "$desc"
	fi
}

# A failed command that got as far as it could change things appends its FAILURE line to
# the audit log, and changes nothing else; lines are never rewritten.  The "nothing changed"
# checks therefore compare every file but audit.log and audit.head, plus:
# audit_kept DIR...: each audit.log under DIR (a regular file) without its FAILURE lines.
audit_kept() {
	find "$@" -name audit.log -type f -print 2>/dev/null | LC_ALL=C sort |
		while read -r f; do grep -v '"result":"FAILURE"' "$f" | sed "s|^|$f: |"; done
}
# The find(1) test for what audit_kept covers instead: ! \( $AUDIT_FILES \)
AUDIT_FILES="-type f ( -name audit.log -o -name audit.head )"

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed"
	done
}

# discard_if_named OUTPUT TOOLARGS...: where CKA_WRAP_WITH_TRUSTED can be given after birth,
# a key a crash left without its record is refused with "run 'p11byok discard ID'"; when
# OUTPUT (a run's stderr) says so, this does it ("$P11BYOK" TOOLARGS... discard ID --yes).
# False when OUTPUT names no discard, or on a module that keeps the flag fixed at birth.
discard_if_named() {
	local out=$1 id
	shift
	wwt_fixed && return 1
	id=$(sed -n "s/.*run 'p11byok discard \([^']*\)'.*/\1/p" "$out" | head -n 1)
	[ -n "$id" ] || return 1
	"$P11BYOK" "$@" discard "$id" --yes >/dev/null 2>&1
}

# softhsm_setup: a private SoftHSMv2 token directory for this test.
softhsm_setup() {
	[ -f "$SOFTHSM2_MODULE" ] || skip_all "SoftHSMv2 module not found"
	[ -n "$SOFTHSM2_UTIL" ] || skip_all "softhsm2-util not installed"
	mkdir -p "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T/tokens" >"$T/softhsm2.conf"
	export SOFTHSM2_CONF="$T/softhsm2.conf"
}

# softhsm_token LABEL [PIN] [SO_PIN]: initialises a token in the next free slot.
softhsm_token() {
	"$SOFTHSM2_UTIL" --init-token --free --label "$1" --pin "${2:-1234}" \
		--so-pin "${3:-12345678}" >/dev/null
}

# p11 ARGS...: the tool on this test's SoftHSMv2 module.
p11() { "$P11BYOK" --module "$SOFTHSM2_MODULE" --regions "$REGIONS" "$@"; }

# b64url_decode TEXT: the bytes of unpadded base64url TEXT.
b64url_decode() {
	local n
	n=$(printf '%s' "$1" | tr -- '-_' '+/')
	while [ $(( ${#n} % 4 )) -ne 0 ]; do n="$n="; done
	printf '%s' "$n" | base64 -d
}
# der_trim IN OUT: the DER object at the start of IN (SoftHSMv2 2.6.1 zero-pads PKCS#8).
der_trim() {
	local h len
	h=$(xxd -p -l 4 "$1")
	case ${h:2:2} in
	82) len=$((0x${h:4:4} + 4)) ;;
	81) len=$((0x${h:4:2} + 3)) ;;
	*) len=$((0x${h:2:2} + 2)) ;;
	esac
	head -c "$len" "$1" >"$2"
}
# byok_open BYOK KEK_PRIVATE_PEM OUT: opens a .byok with the OpenSSL command line alone, an
# implementation that is not ours: OAEP (SHA-1) of the leading modulus-length bytes gives
# the AES key, RFC 5649 of the rest the wrapped key (PKCS#8, zero-padded, or raw AES) in OUT.
byok_open() {
	local mlen ct=$T/byok-open.ct
	mlen=$(( $(openssl pkey -in "$2" -noout -text 2>/dev/null |
		sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p') / 8 ))
	b64url_decode "$(jq -r .ciphertext "$1")" >"$ct"
	head -c "$mlen" "$ct" >"$ct.oaep"
	tail -c +$((mlen + 1)) "$ct" >"$ct.kwp"
	openssl pkeyutl -decrypt -inkey "$2" -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 -in "$ct.oaep" -out "$ct.aes" &&
	openssl enc -d -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$ct.aes")" -iv A65959A6 \
		-in "$ct.kwp" -out "$3"
}

# upload_ok OUT KTY [CURVE]: the az and Add-AzKeyVaultKey lines in OUT are ones the real
# tools take, for a key of KTY (RSA, EC, oct) and CURVE.  The option lists come from the
# tools' sources: azure-cli, src/azure-cli/azure/cli/command_modules/keyvault/_params.py,
# `keyvault key import` (kty from CLIKeyTypeForBYOKImport: RSA, EC, oct; curve from the SDK's
# KeyCurveName: P-256, P-256K, P-384, P-521; vault_name / hsm_name, name, byok_file) plus
# the global --subscription; Az.KeyVault's Add-AzKeyVaultKey, InteractiveImport parameter
# set (-VaultName / -HsmName, -Name, -KeyFilePath, -Destination HSM|Software, -KeyType,
# -CurveName).  Prints why not on stdout.
upload_ok() {
	local out=$1 kty=$2 curve=${3:-} az ps
	az=$(grep -m1 '^ *az keyvault key import ' "$out") || { echo "no az line"; return 1; }
	ps=$(grep -m1 '^ *Add-AzKeyVaultKey ' "$out") || { echo "no Add-AzKeyVaultKey line"; return 1; }
	awk -v kty="$kty" -v curve="$curve" '
	function bad(why) { print why; exit 1 }
	{
		for (i = 5; i <= NF; i += 2) {
			opt = $i; val = $(i + 1)
			if (opt !~ /^--(vault-name|hsm-name|name|byok-file|kty|curve|subscription)$/)
				bad("az: no option " opt)
			seen[opt] = val
		}
		if (!("--kty" in seen) || seen["--kty"] !~ /^(RSA|EC|oct)$/) bad("az: --kty " seen["--kty"])
		if (seen["--kty"] != kty) bad("az: --kty " seen["--kty"] ", want " kty)
		if ("--curve" in seen && seen["--curve"] !~ /^(P-256|P-256K|P-384|P-521)$/) bad("az: --curve")
		if (kty == "EC" && seen["--curve"] != curve) bad("az: --curve " seen["--curve"] ", want " curve)
		if (kty != "EC" && ("--curve" in seen)) bad("az: --curve for a non-EC key")
		if (("--vault-name" in seen) == ("--hsm-name" in seen)) bad("az: vault or hsm")
		if (kty == "oct" && !("--hsm-name" in seen)) bad("az: an AES key needs --hsm-name")
		if (!("--name" in seen) || !("--byok-file" in seen)) bad("az: --name, --byok-file")
	}' <<<"$az" || return 1
	awk -v kty="$kty" -v curve="$curve" '
	function bad(why) { print why; exit 1 }
	{
		for (i = 2; i <= NF; i += 2) {
			opt = $i; val = $(i + 1)
			if (opt !~ /^-(VaultName|HsmName|Name|KeyFilePath|Destination|KeyType|CurveName)$/)
				bad("PowerShell: no parameter " opt)
			seen[opt] = val
		}
		if (("-VaultName" in seen) == ("-HsmName" in seen)) bad("PowerShell: vault or HSM")
		if ("-Destination" in seen && seen["-Destination"] !~ /^(HSM|Software)$/) bad("PowerShell: -Destination")
		if ("-KeyType" in seen && seen["-KeyType"] !~ /^(RSA|EC|oct)$/) bad("PowerShell: -KeyType")
		if (kty == "EC" && (seen["-KeyType"] != "EC" || seen["-CurveName"] != curve)) bad("PowerShell: EC needs -KeyType EC -CurveName " curve)
		if (kty == "oct" && seen["-KeyType"] != "oct") bad("PowerShell: -KeyType oct")
		if (!("-Name" in seen) || !("-KeyFilePath" in seen)) bad("PowerShell: -Name, -KeyFilePath")
	}' <<<"$ps"
}
