#!/bin/bash
# doctor.sh: module, slots, tokens and mechanisms as an independent client (pkcs11-tool) sees
# them; the PIN check; the offline check.
. "$(dirname "$0")/lib.sh"
need jq
softhsm_setup

expect 0 "none initialised; mechanisms of the free token" \
	"a module with only a free slot: doctor still reports" -- p11 doctor
softhsm_token byok-world 1234
serial=$("$SOFTHSM2_UTIL" --show-slots | awk '/Serial number:/ { s = $3 } /Label: *byok-world/ { print s; exit }')
expect 0 "Token: +'byok-world' \(serial $serial" "the initialised token is chosen" -- p11 doctor
if grep -q "Implementation of PKCS11" "$T/out" && grep -q "SoftHSM" "$T/out"; then
	ok "module library and manufacturer are shown"
else not_ok "module info"; diag "$T/out"; fi

# Each mechanism's present/missing must agree with pkcs11-tool's own listing.
if [ -n "$PKCS11_TOOL" ]; then
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label byok-world -M >"$T/mechs" 2>&1
	p11 doctor --json >"$T/doc" 2>/dev/null
	bad=
	# pkcs11-tool names some mechanisms its own way, or by number when it has no name.
	for m in 'RSA-PKCS-KEY-PAIR-GEN:CKM_RSA_PKCS_KEY_PAIR_GEN' \
		'(EC|ECDSA)-KEY-PAIR-GEN:CKM_EC_KEY_PAIR_GEN' 'AES-KEY-GEN:CKM_AES_KEY_GEN' \
		'RSA-PKCS-OAEP:CKM_RSA_PKCS_OAEP' '(AES-KEY-WRAP-PAD|mechtype-0x210A):CKM_AES_KEY_WRAP_PAD' \
		'(RSA-AES-KEY-WRAP|mechtype-0x1054):CKM_RSA_AES_KEY_WRAP'; do
		tool=${m%%:*} ours=${m#*:}
		theirs=false
		grep -Eq "^  $tool[ ,]" "$T/mechs" && theirs=true
		have=$(jq -r --arg n "$ours" '.mechanisms[] | select(.name == $n) | .present' "$T/doc")
		[ "$have" = "$theirs" ] || bad="$bad $ours(ours $have, pkcs11-tool $theirs)"
	done
	if [ -z "$bad" ]; then ok "mechanisms agree with pkcs11-tool -M"
	else not_ok "mechanisms disagree:$bad"; fi
	want=composed
	grep -Eq "^  (RSA-AES-KEY-WRAP|mechtype-0x1054)" "$T/mechs" && want=CKM_RSA_AES_KEY_WRAP
	if jq -e --arg w "$want" '.transfer_path == $w' "$T/doc" >/dev/null; then
		ok "transfer path follows the mechanisms ($want)"
	else not_ok "transfer path"; fi
else
	skip "pkcs11-tool not installed"; skip "pkcs11-tool not installed"
fi

printf '1234\n' >"$T/pin"; chmod 600 "$T/pin"
expect 0 "User login: +ok" "doctor checks the PIN from --pin-file" -- p11 doctor --pin-file "$T/pin"
expect 0 "User login: +ok" "doctor checks the PIN from the URI's pin-source" -- \
	p11 doctor --token "pkcs11:token=byok-world;pin-source=file:$T/pin"
expect 0 "User login: +not checked" "without a PIN source doctor does not prompt" -- p11 doctor
run p11 doctor --json --pin-file "$T/pin"
if jq -e '.login == "ok" and .result == "SUCCESS" and (.slots | length) == 2 and
	.token.label == "byok-world"' "$T/out" >/dev/null; then ok "--json document"
else not_ok "--json document"; diag "$T/out"; fi
if jq -e --argjson fixed "$(wwt_fixed && echo true || echo false)" '
	.trust.wrap_template_enforced == true and .trust.wrap_with_trusted_fixed == $fixed and
	.trust.trusted_objects_complete == true' "$T/out" >/dev/null; then
	ok "the trust section: SoftHSMv2 enforces wrap templates; wrap-with-trusted fixed at" \
		"birth: $(wwt_fixed && echo yes || echo "no (2.7.0)")"
else not_ok "trust section"; diag "$T/out"; fi
run p11 doctor --json
jq -e '.trust.trusted_objects_complete == false' "$T/out" >/dev/null &&
	ok "without a PIN the trusted objects listed are the public ones, and it says so" ||
	{ not_ok "trusted_objects_complete without a PIN"; diag "$T/out"; }

# The known-answer check of each wrap: made with session keys, opened by p11byok with the
# throwaway key's private half.  On SoftHSMv2 2.6.1 there is no one-call wrap and OAEP is
# SHA-1 only; 2.7.0's CKM_RSA_AES_KEY_WRAP ignores hashAlg and makes SHA-1 when asked for
# SHA-256 (read from its source: the check must catch that), and it wraps for a logged-in
# user only.
check() {	# check MECH HASH: the result doctor's last --json gave for that wrap
	jq -r --arg m "$1" --arg h "$2" '.wrap_checks[] | select(.mechanism == $m and
		.oaep_hash == $h) | .result + (if .detail != "" then ": " + .detail else "" end)' \
		"$T/out"
}
one=CKM_RSA_AES_KEY_WRAP two="CKM_RSA_PKCS_OAEP + CKM_AES_KEY_WRAP_PAD"
run p11 doctor --json --pin-file "$T/pin"
got="$(check "$one" SHA-1) | $(check "$one" SHA-256) | $(check "$two" SHA-1) | $(check "$two" SHA-256)"
if onecall; then
	want="correct | ignored parameter: hashAlg: OAEP SHA-256 asked, SHA-1 made | correct | refused: .*CKR_ARGUMENTS_BAD"
else
	want="missing: .* | missing: .* | correct | refused: .*CKR_ARGUMENTS_BAD"
fi
[[ $got =~ ^$want$ ]] && ok "the wrap checks: $got" ||
	{ not_ok "wrap checks: $got, want /$want/"; diag "$T/out"; }
grep -q "OAEP SHA-256 AES-256  $(onecall && echo ignored || echo refused)" "$T/err" "$T/out" &&
	ok "... and doctor prints them as a table" || { not_ok "wrap check table"; diag "$T/out"; }
run p11 doctor --json
if onecall; then
	[[ $(check "$one" SHA-1) == "not checked"* ]] && [ "$rc" -eq 0 ] &&
		ok "without a PIN, a module that wraps for users only is not checked, nor failed" ||
		{ not_ok "wrap check without a PIN (exit $rc)"; diag "$T/out"; }
else
	[ "$(check "$two" SHA-1)" = correct ] && ok "without a PIN the composed wrap is checked" ||
		{ not_ok "wrap check without a PIN"; diag "$T/out"; }
fi
# The check leaves nothing on the token (session objects only).
n=$("$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label byok-world --login --pin 1234 -O \
	2>/dev/null | grep -c 'Object;')
assert "... and leaves no object on the token ($n)" test "$n" -eq 0

# The nShield module (by its file name): doctor prints the CKNFAST_* settings the verdict holds
# for, from the environment and $NFAST_HOME/cknfastrc.  Played with SoftHSMv2 under that name.
mkdir "$T/nfast"
cp "$SOFTHSM2_MODULE" "$T/nfast/libcknfast.so"
printf 'CKNFAST_LOADSHARING=1\n# a comment\nCKNFAST_NO_ACCELERATOR_SLOTS=1\n' >"$T/nfast/cknfastrc"
run env NFAST_HOME="$T/nfast" CKNFAST_OVERRIDE_SECURITY_ASSURANCES=all "$P11BYOK" --module \
	"$T/nfast/libcknfast.so" --token pkcs11:token=byok-world --json doctor
jq -e --arg rc "$T/nfast/cknfastrc" '.module.nshield | .environment ==
	{"CKNFAST_OVERRIDE_SECURITY_ASSURANCES": "all"} and .cknfastrc == {"CKNFAST_LOADSHARING":
	"1", "CKNFAST_NO_ACCELERATOR_SLOTS": "1"} and .cknfastrc_path == $rc' "$T/out" >/dev/null &&
	ok "doctor on the nShield module lists its CKNFAST_* settings, environment and cknfastrc" ||
	{ not_ok "nShield settings"; diag "$T/out" "$T/err"; }
run p11 doctor --json
jq -e '.module | has("nshield") | not' "$T/out" >/dev/null &&
	ok "... and not for another module" || not_ok "nshield section on SoftHSMv2"

# Two initialised tokens: the choice must be explicit.
softhsm_token second 1234
expect 2 "2 tokens match: .*'(byok-world|second)'.*'(byok-world|second)'.*--token" "two tokens need --token" -- p11 doctor
expect 0 "Token: +'second'" "--token chooses" -- p11 doctor --token pkcs11:token=second
expect 0 "Token: +'second'" "P11BYOK_TOKEN chooses" -- env P11BYOK_TOKEN=pkcs11:token=second \
	"$P11BYOK" --module "$SOFTHSM2_MODULE" doctor
expect 0 "Token: +'byok-world'" "--token by serial" -- p11 doctor --token "pkcs11:serial=$serial"

# Offline: the answer must follow the interfaces that are really up.
up=0
for f in /sys/class/net/*/flags; do
	dev=$(basename "$(dirname "$f")")
	[ "$dev" = lo ] && continue
	[ $(( $(cat "$f") & 1 )) -eq 1 ] && up=$((up + 1))
done
run p11 doctor --token pkcs11:token=second --json
if jq -e --argjson up "$up" '.offline.offline == ($up == 0)' "$T/out" >/dev/null; then
	ok "offline verdict matches /sys/class/net ($up up)"
else not_ok "offline verdict"; diag "$T/out"; fi
if unshare -n true 2>/dev/null; then
	expect 0 "Offline: +yes" "in a network namespace with only loopback: offline" -- \
		unshare -n "$P11BYOK" --module "$SOFTHSM2_MODULE" doctor --token pkcs11:token=second
else
	skip "unshare -n not permitted here"
fi
done_testing
