#!/bin/bash
# attacks.sh: issue 16's attacks, each played for real against a SoftHSMv2 token by an
# independent client (tests/p11-probe: p11-kit only), and each shown to export nothing.
#
#   1. an insider with the user PIN plants a transfer copy of a known value: refused;
#   2. ... looks for trust to wrap a key the quorum never approved, before, during (the
#      package process stopped while its trust exists) and after a transfer: none;
#   3. ... destroys the world backup key without logging in: the token refuses;
#   4. a previous SO planted a trusted "world key" of a known value and a look-alike KEK
#      before the token was adopted: adopt refuses, or with --purge-trusted removes them;
#   5. an SO-made trusted object on an established world: an older p11byok's is swept and
#      logged, anyone else's stops every transfer and turns world show and doctor red;
#   6. an insider plants a key under a runbook's ident (a known value, a value read before
#      it was made sensitive, a key pair with another key's public object): never recorded;
#   7. kmdata's path is renamed and replaced while a command works in it: the command keeps
#      to the directory it checked and locked;
#   8. someone who can write kmdata plants a .byok with a package line, unsealed or sealed
#      as p11byok seals (the chain has no key): run takes neither as done.
. "$(dirname "$0")/lib.sh"
need openssl jq xxd sha256sum
[ -x "${P11_PROBE:-}" ] || skip_all "tests/p11-probe not built"
[ -x "${SO_PIN_TOOL:-}" ] || skip_all "tests/so-pin not built"
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
softhsm_setup

W=pkcs11:token=byok-world
mkdir -p "$T/kmdata" "$T/byok"
chmod 700 "$T/kmdata"
printf 'user-pin-1234\n' >"$T/pin"
for i in 1 2 3; do printf 'card %s passphrase\n' "$i" >"$T/pass$i"; done
chmod 600 "$T/pin" "$T/pass"*
wp() { p11 --kmdata "$T/kmdata" --pin-file "$T/pin" --token "$W" "$@"; }
cards=(--card "$T/cards/card-1-of-3.acs" --card-pass-file "$T/pass1"
	--card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass2")
probe() { "$P11_PROBE" "$SOFTHSM2_MODULE" "$@"; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/kek.key" 2>/dev/null
openssl pkey -in "$T/kek.key" -pubout -out "$T/kek.pem"
KID=https://contoso.vault.azure.net/keys/kek/1
kek=(--kek-pem "$T/kek.pem" --kek-id "$KID")
failure_for() {	# failure_for COMMAND IDENT: the audit log's last line is that FAILURE
	tail -n 1 "$T/kmdata/audit.log" | jq -e --arg c "$1" --arg i "$2" \
		'.command == $c and .result == "FAILURE" and .ident == $i' >/dev/null
}

expect 0 "Result: SUCCESS" "world init 2/3" -- \
	p11 --kmdata "$T/kmdata" --pin-file "$T/pin" world init --acs-quorum 2/3 --cards-dir "$T/cards" --label byok-world \
	--card-pass-file "$T/pass1" --card-pass-file "$T/pass2" --card-pass-file "$T/pass3"
for k in krsa:RSA:size=2048 kec:EC:curve=P-256 kaes:AES:size=256 kaes2:AES:size=256 \
	xaes:AES:size=256 xec:EC:curve=P-256; do
	IFS=: read -r id type spec <<<"$k"
	run wp generate type="$type" "$spec" ident="$id"
	[ "$rc" -eq 0 ] || { echo "Bail out! generate $id"; diag "$T/err"; exit 1; }
done

# --- 0. a PIN typed where a URI or file name goes never reaches the permanent audit log ---
lines0=$(wc -l <"$T/kmdata/audit.log")
run p11 --kmdata "$T/kmdata" --pin-file "$T/pin" --token 'pkcs11:token=byok-world;pin-value=77770001' \
	generate type=AES size=256 ident=leak1
run p11 --kmdata "$T/kmdata" --pin-file "$T/pin" --token 'pkcs11:token=byok-world;PIN-VALUE=88880002' \
	--json generate type=AES size=256 ident=leak2
if [ "$(wc -l <"$T/kmdata/audit.log")" -gt "$lines0" ] &&
	! grep -qE '77770001|88880002' "$T/kmdata/audit.log" "$T/out" "$T/err"; then
	ok "a PIN in a token URI reaches neither the audit log's FAILURE lines nor --json"
else not_ok "PIN in the audit log"; tail -n 2 "$T/kmdata/audit.log" | diag /dev/stdin; fi

# --- 1. a transfer copy of a known value is never wrapped ---
run probe byok-world "$T/pin" plant-copy kaes
grep -q "plant-copy=CKR_OK" "$T/out" && ok "the insider plants a known-value copy of kaes" ||
	{ not_ok "plant-copy"; diag "$T/out" "$T/err"; }
expect 1 "transfer copy xferacld-kaes .* refused: CKA_LOCAL is false" \
	"modify-acls refuses the planted copy (the token did not make it)" -- \
	wp modify-acls --ident kaes "${kek[@]}"
failure_for modify-acls kaes && ok "... and logs the refusal" || not_ok "FAILURE line"
expect 0 "Result: SUCCESS" "modify-acls kaes2 makes the real copy" -- \
	wp modify-acls --ident kaes2 "${kek[@]}"
probe byok-world "$T/pin" plant-copy kaes2 >/dev/null
expect 1 "2 objects named as the transfer copy of 'kaes2'" \
	"package refuses when a second copy appears after modify-acls" -- \
	wp package --ident kaes2 "${kek[@]}" --friendly-name kaes2 -o "$T/byok/kaes2.byok" \
	"${cards[@]}"
failure_for package kaes2 && ok "... and logs the refusal" || not_ok "FAILURE line"
if [ ! -e "$T/byok/kaes2.byok" ] && ! ls "$T/byok" | grep -q .; then
	ok "nothing was written for either planted copy"
else not_ok "a .byok was written"; ls "$T/byok" | diag /dev/stdin; fi

# --- 2. no trust to take a never-approved key out: before, during, after a transfer ---
no_trust() {	# no_trust WHEN: the insider finds nothing that wraps xaes or xec
	local id
	for id in xaes xec; do
		run probe byok-world "$T/pin" wrap-trusted "$id"
		if grep -q "^trusted=0$" "$T/out" && grep -q "^exported=0$" "$T/out"; then
			ok "$1: no trust on the token takes never-approved $id out"
		else not_ok "$1: $id"; diag "$T/out" "$T/err"; fi
	done
}
no_trust "before any transfer"
expect 0 "Result: SUCCESS" "modify-acls krsa" -- wp modify-acls --ident krsa "${kek[@]}"
# The package process stops right after the SO made its trust (C_CreateObject of the KEK),
# the insider looks meanwhile, then the package goes on.
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_STOP_AFTER=C_CreateObject:1 \
	"$P11BYOK" --module "$FAULTY_MODULE" --regions "$REGIONS" --kmdata "$T/kmdata" \
	--pin-file "$T/pin" --token "$W" package --ident krsa "${kek[@]}" --friendly-name krsa \
	-o "$T/byok/krsa.byok" "${cards[@]}" >"$T/pkg.out" 2>"$T/pkg.err" </dev/null &
pkg=$!
for _ in $(seq 1 300); do
	[ "$(awk '{print $3}' /proc/$pkg/stat 2>/dev/null)" = T ] && break
	sleep 0.1
done
if [ "$(awk '{print $3}' /proc/$pkg/stat 2>/dev/null)" = T ]; then
	ok "the package process holds the quorum's trust, stopped"
	no_trust "while a package holds its trust"
else
	not_ok "the package process did not stop at its trust"; skip "no stop"; skip "no stop"
fi
kill -CONT "$pkg" 2>/dev/null
wait "$pkg"
if [ $? -eq 0 ] && grep -q "Result: SUCCESS" "$T/pkg.err" "$T/pkg.out"; then
	ok "the package then finishes"
else not_ok "package after the stop"; diag "$T/pkg.err"; fi
no_trust "after the transfer"
if byok_open "$T/byok/krsa.byok" "$T/kek.key" "$T/krsa.key" 2>/dev/null &&
	der_trim "$T/krsa.key" "$T/krsa.der" &&
	cmp -s <(openssl pkey -inform DER -in "$T/krsa.der" -pubout -outform DER 2>/dev/null) \
	<($PKCS11_TOOL --module "$SOFTHSM2_MODULE" --token-label byok-world --read-object \
	--type pubkey --label krsa 2>/dev/null); then
	ok "the approved key, and only it, left: krsa.byok opens to krsa"
else not_ok "krsa.byok"; fi

# --- 3. the world key cannot be destroyed by a session with no login ---
run probe byok-world "$T/pin" destroy-world -
grep -q "destroy-world=CKR_ACTION_PROHIBITED" "$T/out" &&
	ok "the token refuses to destroy the world key (CKA_DESTROYABLE false)" ||
	{ not_ok "destroy-world"; diag "$T/out" "$T/err"; }
expect 0 "Protection: +not destroyable, not copyable" "world show says the world key is protected" -- \
	wp world show

# --- 4. adopting a token whose previous SO planted trust ---
softhsm_token old 1111 87654321
printf '87654321\n' >"$T/old-so"
printf '1111\n' >"$T/old-user"
chmod 600 "$T/old-so" "$T/old-user"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/atk.key" 2>/dev/null
openssl pkey -in "$T/atk.key" -pubout -outform DER -out "$T/atk.der"
real_id=$(openssl pkey -pubin -in "$T/kek.pem" -outform DER | sha256sum | cut -c1-32)
run probe old "$T/old-so" so-plant "$T/atk.der" "$real_id"
grep -q "so-plant-world=CKR_OK" "$T/out" && grep -q "so-plant-kek=CKR_OK" "$T/out" &&
	ok "the old SO plants a known-value world key and a look-alike KEK" ||
	{ not_ok "so-plant"; diag "$T/out" "$T/err"; }
mkdir -m 700 "$T/km-old"
adopt_token() {	# adopt_token NAME ARG...: world init --adopt of token NAME into km-NAME
	local name=$1
	shift
	p11 --kmdata "$T/km-$name" --pin-file "$T/old-user" --token "pkcs11:token=$name" \
		world init --adopt --so-pin-file "$T/old-so" --acs-quorum 2/3 \
		--cards-dir "$T/cards-$name" --card-pass-file "$T/pass1" --card-pass-file "$T/pass2" \
		--card-pass-file "$T/pass3" "$@"
}
adopt() { adopt_token old "$@"; }
expect 1 "holds 2 objects its previous security officer left" \
	"adopt refuses a token with the previous SO's trust" -- adopt
if [ ! -e "$T/km-old/world" ] && ! ls "$T/cards-old"/card-* >/dev/null 2>&1 &&
	probe old "$T/old-so" so-login - 2>/dev/null | grep -q "so-login=CKR_OK"; then
	ok "... and changed nothing: no world, no cards, the old SO PIN still works"
else not_ok "the refused adopt changed something"; fi
expect 0 "Result: SUCCESS" "adopt --purge-trusted takes the token and removes the planted trust" -- \
	adopt --purge-trusted
if jq -e 'select(.command == "world init") | .purged_trusted | length == 2' \
	"$T/km-old/audit.log" >/dev/null; then
	ok "the audit line names the two purged objects"
else not_ok "purged_trusted"; fi
p11 --kmdata "$T/km-old" --pin-file "$T/old-user" --token pkcs11:token=old \
	generate type=AES size=256 ident=oaes >/dev/null 2>&1
run probe old "$T/old-user" wrap-trusted oaes
grep -q "^trusted=0$" "$T/out" && ok "after adopt no trust but the new world key" ||
	{ not_ok "trust after adopt"; diag "$T/out"; }
cards_old=(--card "$T/cards-old/card-1-of-3.acs" --card-pass-file "$T/pass1"
	--card "$T/cards-old/card-3-of-3.acs" --card-pass-file "$T/pass3")
op() { p11 --kmdata "$T/km-old" --pin-file "$T/old-user" --token pkcs11:token=old "$@"; }
op modify-acls --ident oaes "${kek[@]}" >/dev/null 2>&1
expect 0 "Result: SUCCESS" "the adopted world packages a key" -- \
	op package --ident oaes "${kek[@]}" --friendly-name oaes -o "$T/byok/oaes.byok" \
	"${cards_old[@]}"
if byok_open "$T/byok/oaes.byok" "$T/kek.key" "$T/oaes.key" 2>/dev/null &&
	! byok_open "$T/byok/oaes.byok" "$T/atk.key" "$T/oaes.atk" 2>/dev/null; then
	ok "its .byok opens with the real KEK, not the planted one"
else not_ok "oaes.byok"; fi
if [ "$(jq -r .wrapped_key "$T/km-old/key_simple_oaes" 2>/dev/null)" != null ] &&
	p11 --kmdata "$T/km-old" --pin-file "$T/old-user" world show 2>&1 |
	grep -q "Trusted objects: 1 "; then
	ok "the key's backup is under the new world key, the one trusted object"
else not_ok "world after adopt"; fi

# A world key of an older p11byok, destroyable and copyable, is not kept without a word.
softhsm_token weak 1111 87654321
run probe weak "$T/old-so" so-world-weak -
grep -q "so-world-weak=CKR_OK" "$T/out" || { not_ok "so-world-weak"; diag "$T/out" "$T/err"; }
mkdir -m 700 "$T/km-weak"
adopt_weak() { adopt_token weak "$@"; }
expect 1 "a world key any session can destroy or copy" \
	"adopt refuses to keep a world key any session can destroy or copy" -- adopt_weak
expect 0 "Result: SUCCESS" "with --purge-trusted it makes a protected one instead" -- \
	adopt_weak --purge-trusted
expect 0 "Protection: +not destroyable, not copyable" "... which world show confirms" -- \
	p11 --kmdata "$T/km-weak" --pin-file "$T/old-user" world show

# --- 5. SO-made trust on an established world ---
"$SO_PIN_TOOL" "$T/cards/card-1-of-3.acs" "$T/pass1" "$T/cards/card-3-of-3.acs" "$T/pass3" \
	>"$T/so.pin" && chmod 600 "$T/so.pin"
run probe byok-world "$T/so.pin" so-trusted byok-transfer-krsa
grep -q "so-trusted=CKR_OK" "$T/out" && ok "an older p11byok's transfer key on the token" ||
	{ not_ok "so-trusted legacy"; diag "$T/out" "$T/err"; }
expect 1 "trusted object an older p11byok left between modify-acls and package" \
	"world show counts an older p11byok's trust as trust at rest and fails" -- wp world show
expect 0 "destroyed 1 trusted object an older p11byok left" \
	"modify-acls destroys it and says so" -- wp modify-acls --ident kec "${kek[@]}"
if grep -q '"command":"trust-sweep".*"label":"byok-transfer-krsa".*"result":"RECOVERED"' \
	"$T/kmdata/audit.log"; then ok "... with a RECOVERED line"; else not_ok "sweep line"; fi
run probe byok-world "$T/so.pin" so-trusted-loose byok-transfer-kec
expect 1 "holds a trusted secret key p11byok did not make \(label 'byok-transfer-kec'.*not of its shape" \
	"a trusted key named as an older p11byok's but of another shape is not taken for one" -- \
	wp package --ident kec "${kek[@]}" --friendly-name kec -o "$T/byok/kec.byok" "${cards[@]}"
grep -q '"label":"byok-transfer-kec"' "$T/kmdata/audit.log" &&
	not_ok "... but it was swept as one" || ok "... and it is left for a person to look at"
"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label byok-world --login \
	--login-type so --so-pin "$(cat "$T/so.pin")" --delete-object --type secrkey \
	--label byok-transfer-kec >/dev/null 2>&1 || true
run probe byok-world "$T/so.pin" so-trusted rogue
expect 1 "holds a trusted secret key p11byok did not make \(label 'rogue'" \
	"package refuses while a rogue trusted key is on the token" -- \
	wp package --ident kec "${kek[@]}" --friendly-name kec -o "$T/byok/kec.byok" "${cards[@]}"
[ ! -e "$T/byok/kec.byok" ] && ok "... nothing written" || not_ok "kec.byok written"
expect 1 "NOT ACCOUNTED FOR" "world show marks it and fails" -- wp world show
expect 1 "holds trust p11byok did not give" "doctor fails on it" -- wp doctor
run wp world show
grep -q "Trusted objects: 2 " "$T/out" && ok "world show lists both trusted objects" ||
	{ not_ok "world show listing"; diag "$T/out"; }
"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label byok-world --login \
	--login-type so --so-pin "$(cat "$T/so.pin")" --delete-object --type secrkey \
	--label rogue >/dev/null 2>&1 || true
mkdir -m 700 "$T/rb-out"
book() {	# book FILE IDENT[:TYPE:SIZE]...: a runbook packaging those keys (RSA-2048 by
	local f=$1 k id type size	# default) for the PEM KEK
	shift
	printf 'module: %s\ntoken: %s\nkmdata: %s\npin_file: %s\noffline: off\nkek_pem: %s\nkek_id: %s\noutput_dir: %s\ncards:\n  - file: %s\n    pass_file: %s\n  - file: %s\n    pass_file: %s\nkeys:\n' \
		"$SOFTHSM2_MODULE" "$W" "$T/kmdata" "$T/pin" "$T/kek.pem" "$KID" "$T/rb-out" \
		"$T/cards/card-1-of-3.acs" "$T/pass1" "$T/cards/card-2-of-3.acs" "$T/pass2" >"$f"
	for k in "$@"; do
		IFS=: read -r id type size <<<"$k"
		printf '  - ident: %s\n    type: %s\n    size: %s\n    friendly_name: %s\n' \
			"$id" "${type:-RSA}" "${size:-2048}" "${id^^}" >>"$f"
	done
}

# --- 6. a key planted under a runbook's ident is never recorded or transferred ---
planted() {	# planted PROBE IDENT:TYPE:SIZE REGEX DESC [ARG]: the run refuses the planted key
	local id=${2%%:*} re=$3
	# Where CKA_WRAP_WITH_TRUSTED can be given after birth, no unrecorded key is taken.
	wwt_fixed || re="key '$id' without a key record, and lets CKA_WRAP_WITH_TRUSTED be set"
	run probe byok-world "$T/pin" "$1" "$id" ${5:+"$5"}
	grep -q "$1=CKR_OK" "$T/out" || { not_ok "$1 $id"; diag "$T/out" "$T/err"; }
	book "$T/plant.yaml" "$2"
	expect 2 "$re" "run refuses $4" -- "$P11BYOK" --regions "$REGIONS" run "$T/plant.yaml"
	[ ! -e "$T/kmdata/key_simple_$id" ] && [ ! -e "$T/rb-out/KeyTransferPackage-${id^^}.byok" ] &&
		ok "... recording and packaging nothing of $id" || not_ok "$id was recorded"
}
planted plant-key pk1:AES:256 "key 'pk1' .* refused: CKA_LOCAL is false" \
	"an AES key of a known value made under a runbook ident"
planted plant-key-readable pk2:AES:256 "key 'pk2' .* refused: CKA_ALWAYS_SENSITIVE is false" \
	"a key the token made, whose value was read before it was made sensitive"
planted plant-pair pk3:RSA:2048 "not a world-bound key as the runbook describes it" \
	"a key pair whose public key object was replaced by another key's" "$T/atk.der"

# --- 7. kmdata renamed and replaced while a command works in it ---
# generate stops right after its key is made (faulty-pkcs11 stops the process there); the
# kmdata path is then moved away and a directory of the attacker's put in its place.  The
# command goes on through the directory it checked and locked: its record and audit line
# land there, nothing in the new one.
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_STOP_AFTER=C_GenerateKey:1 \
	"$P11BYOK" --module "$FAULTY_MODULE" --kmdata "$T/kmdata" --pin-file "$T/pin" \
	--token "$W" generate type=AES size=256 ident=swapped >"$T/gen.out" 2>"$T/gen.err" </dev/null &
gen=$!
for _ in $(seq 1 300); do
	[ "$(awk '{print $3}' /proc/$gen/stat 2>/dev/null)" = T ] && break
	sleep 0.1
done
mv "$T/kmdata" "$T/kmdata.held"
mkdir -m 700 "$T/kmdata"
kill -CONT "$gen" 2>/dev/null
wait "$gen"
gen_rc=$?
if [ "$gen_rc" -eq 0 ] && [ -e "$T/kmdata.held/key_simple_swapped" ] &&
	grep -q '"ident":"swapped"' "$T/kmdata.held/audit.log" && [ -z "$(ls -A "$T/kmdata")" ]; then
	ok "a command keeps to the kmdata it checked and locked when its path is swapped"
else not_ok "kmdata swapped mid-command (exit $gen_rc)"; diag "$T/gen.err"; ls -A "$T/kmdata" | diag /dev/stdin; fi
rmdir "$T/kmdata" 2>/dev/null || rm -rf "$T/kmdata"
mv "$T/kmdata.held" "$T/kmdata"

# --- 8. a planted .byok with a forged package line ---
[ -x "${FORGE_AUDIT:-}" ] || { skip "tests/forge-audit not built"; done_testing; exit; }
book "$T/one.yaml" rk1
expect 0 "Result: SUCCESS" "run packages rk1" -- "$P11BYOK" --regions "$REGIONS" run "$T/one.yaml"
book "$T/two.yaml" rk1 rk2
cp "$T/rb-out/KeyTransferPackage-RK1.byok" "$T/rb-out/KeyTransferPackage-RK2.byok"
cp "$T/kmdata/audit.log" "$T/audit.bak"; cp "$T/kmdata/audit.head" "$T/head.bak"
world=$(jq -r 'select(.command == "world init") | .world_hash' "$T/kmdata/audit.log")
fp=$(jq -r 'select(.command == "package") | .kek_fingerprint' "$T/kmdata/audit.log" | tail -n 1)
printf '{"command":"package","ident":"rk2","result":"SUCCESS","files":[{"path":"%s","sha256":"%s"}]}\n' \
	"$T/rb-out/KeyTransferPackage-RK2.byok" \
	"$(sha256sum <"$T/rb-out/KeyTransferPackage-RK2.byok" | cut -d' ' -f1)" >>"$T/kmdata/audit.log"
expect 1 "audit log .* is broken at line [0-9]+" \
	"run refuses a log with an unsealed line appended, relying on none of it" -- \
	"$P11BYOK" --regions "$REGIONS" run "$T/two.yaml"
cp "$T/audit.bak" "$T/kmdata/audit.log"; cp "$T/head.bak" "$T/kmdata/audit.head"
"$FORGE_AUDIT" "$T/kmdata" rk2 "$T/rb-out/KeyTransferPackage-RK2.byok" "$fp" "$world" \
	"$(printf '%064d' 0)"
expect 0 "intact" "the forged line is sealed as p11byok seals: audit verify passes it" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
expect 2 "KeyTransferPackage-RK2.byok exists, but the token does not confirm that p11byok wrote it" \
	"run does not take the planted .byok as done: the token verifies no proof of it" -- \
	"$P11BYOK" --regions "$REGIONS" run "$T/two.yaml"
[ ! -e "$T/kmdata/key_simple_rk2" ] && ok "... and nothing was done for rk2" ||
	not_ok "rk2 was generated"
rm "$T/rb-out/KeyTransferPackage-RK2.byok"
expect 0 "rk2 .*package written" "once the planted file is moved away, run packages rk2 for real" -- \
	"$P11BYOK" --regions "$REGIONS" run "$T/two.yaml"
if byok_open "$T/rb-out/KeyTransferPackage-RK2.byok" "$T/kek.key" "$T/rk2.key" 2>/dev/null &&
	jq -e 'select(.command == "package" and .ident == "rk2" and (.proof | length) == 64)' \
	"$T/kmdata/audit.log" >/dev/null; then
	ok "... its package line carries a proof, and its .byok opens with the KEK"
else not_ok "rk2's real package"; fi
done_testing
