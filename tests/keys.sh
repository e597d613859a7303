#!/bin/bash
# keys.sh: generate, show-key and restore in a world made by `world init` on SoftHSMv2.
# What the token says is read back by independent clients: pkcs11-tool, and tests/p11-probe
# (p11-kit only, none of p11byok's code), which also makes the raw calls that must fail: a
# wrap under a key a user made, an unwrap with the world key asking weaker attributes.
. "$(dirname "$0")/lib.sh"
need jq openssl xxd
softhsm_setup
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
: "${P11_PROBE:=$top_builddir/tests/p11-probe}"
[ -x "$P11_PROBE" ] || skip_all "tests/p11-probe not built (make check builds it)"
printf '1234\n' >"$T/pin"
printf 'holder-1-passphrase\n' >"$T/pass1"
chmod 600 "$T/pin" "$T/pass1"

KM=$T/km
TOK='pkcs11:token=byok-world'
if ! p11 --kmdata "$KM" --pin-file "$T/pin" world init --acs-quorum 1/1 \
	--cards-dir "$T/cards" --card-pass-file "$T/pass1" >"$T/init.out" 2>&1; then
	echo "Bail out! world init failed"; cat "$T/init.out"; exit 1
fi
k() { p11 --token "$TOK" --kmdata "$KM" --pin-file "$T/pin" --offline off "$@"; }
gen() { k generate "$@"; }
P11="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label byok-world --login --pin 1234"
probe() { "$P11_PROBE" "$SOFTHSM2_MODULE" byok-world "$T/pin" "$@"; }
hexid() { printf %s "$1" | xxd -p -c 128; }
world_hash=$(sed -n 's/^world_hash: *"*\([0-9a-f]*\)"*$/\1/p' "$KM/world")
serial=$(sed -n 's/^token_serial: *"\(.*\)"$/\1/p' "$KM/world")
objects() { $P11 -O 2>/dev/null | grep -c 'Object;'; }
der_len() {
	if [ "$1" -lt 128 ]; then printf %02x "$1"
	elif [ "$1" -lt 256 ]; then printf 81%02x "$1"; else printf 82%04x "$1"; fi
}
# ec_pub ID OUT.pem: the EC public key object of ID as pkcs11-tool lists it (pkcs11-tool
# 0.23 cannot --read-object a P-384 public key), made into a SubjectPublicKeyInfo here.
ec_pub() {
	local hex params point alg bits body
	hex=$(hexid "$1")
	read -r params point < <($P11 -O 2>/dev/null | awk -v id="$hex" '
		/Object;/ { pub = /^Public Key Object; EC/; pt = ""; pa = "" }
		pub && /EC_POINT:/ { pt = $2 } pub && /EC_PARAMS:/ { pa = $2 }
		pub && $1 == "ID:" && $2 == id { print pa, pt; exit }')
	case $point in 0481*) point=${point:6} ;; *) point=${point:4} ;; esac
	alg=06072a8648ce3d0201$params; alg=30$(der_len $((${#alg} / 2)))$alg
	bits=00$point; bits=03$(der_len $((${#bits} / 2)))$bits
	body=$alg$bits
	printf '30%s%s' "$(der_len $((${#body} / 2)))" "$body" | xxd -r -p |
		openssl pkey -pubin -inform DER -out "$2"
}

# --- the seed's own command line -------------------------------------------------------
expect 0 "Record: +$KM/key_simple_contosokey" "generate in the seed's generatekey syntax" -- \
	gen --generate simple type=RSA size=2048 protect=module ident=contosokey \
	plainname=contosokey nvram=no pubexp=
grep -q '^Result: SUCCESS' "$T/out" && ok "generate prints Result: SUCCESS" ||
	not_ok "generate result line"
rec=$KM/key_simple_contosokey
assert "the key record is mode 0600" test "$(stat -c %a "$rec")" = 600
if grep -q '^ident: "contosokey"$' "$rec" && grep -q '^type: RSA$' "$rec" &&
	grep -q '^size: "2048"$' "$rec" && grep -q "^cka_id: \"$(hexid contosokey)\"$" "$rec" &&
	grep -q "^token_serial: \"$serial\"$" "$rec" &&
	grep -q "^world_hash: \"$world_hash\"$" "$rec" && grep -q '^created: "20' "$rec" &&
	grep -q 'BEGIN PUBLIC KEY' "$rec" && grep -q '^wrapped_key: "[A-Za-z0-9+/=]\{100,\}"$' "$rec"
then ok "key_simple records ident, type, size, CKA_ID, serial, world hash, public key, time, backup"
else not_ok "key_simple fields"; diag "$rec"; fi
assert "the audit log has a generate event for the key" \
	jq -e -s 'map(select(.command == "generate" and .ident == "contosokey" and
	.world_hash == "'"$world_hash"'")) | length == 1' "$KM/audit.log"

# --- DESIGN.md §2, read back by independent clients ------------------------------------
$P11 -O 2>/dev/null >"$T/objs"
block=$(grep -A4 '^Private Key Object; RSA' "$T/objs" | grep -A3 'label: *contosokey$')
if grep -q "ID: *$(hexid contosokey)" <<<"$block" && grep -q 'Usage: *decrypt, sign$' <<<"$block" &&
	grep -q 'Access:.*sensitive' <<<"$block" && grep -q 'Access:.*extractable' <<<"$block" &&
	! grep -q 'never extractable' <<<"$block"; then
	ok "pkcs11-tool: private key, CKA_ID = ident, label = plainname, sign+decrypt, sensitive, extractable"
else not_ok "pkcs11-tool view of the key"; diag "$T/objs"; fi
if grep -A3 '^Public Key Object; RSA 2048 bits' "$T/objs" | grep -q 'label: *contosokey$'; then
	ok "pkcs11-tool: an RSA-2048 public key object with the same label"
else not_ok "public key object"; diag "$T/objs"; fi
# pkcs11-tool 0.23 does not print CKA_WRAP_WITH_TRUSTED: the probe reads it.
# attrs_are ID WHAT EXPECTED...: the probe's view of key ID has every NAME=VALUE given.
attrs_are() {
	local id=$1 what=$2 a miss=""; shift 2
	probe attrs "$id" >"$T/attrs" 2>&1
	for a in "$@"; do grep -qx "$a" "$T/attrs" || miss="$miss $a"; done
	if [ -z "$miss" ]; then ok "$what"; else not_ok "$what (missing:$miss)"; diag "$T/attrs"; fi
}
target_attrs="key.token=1 key.private=1 key.sensitive=1 key.extractable=1
	key.wrap_with_trusted=1 key.unwrap=0 key.derive=0"
attrs_are contosokey "probe: token, private, sensitive, extractable, CKA_WRAP_WITH_TRUSTED" \
	$target_attrs key.sign=1 key.decrypt=1 key.label=contosokey key.always_sensitive=1 \
	key.local=1
attrs_are contosokey "probe: the public key object is a public token object for verify+encrypt" \
	pub.token=1 pub.private=0 pub.verify=1 pub.encrypt=1 pub.wrap=0 pub.label=contosokey

run probe wrap-untrusted contosokey
if grep -qx 'wrap-untrusted=CKR_KEY_NOT_WRAPPABLE' "$T/out"; then
	ok "wrapping the key under a wrapping key a user made fails (CKR_KEY_NOT_WRAPPABLE)"
else not_ok "wrap under an untrusted key"; diag "$T/out" "$T/err"; fi
for how in weak-wwt weak-sensitive; do
	run probe unwrap contosokey "$how"
	if grep -qx 'wrap=CKR_OK' "$T/out" && grep -qx 'unwrap=CKR_TEMPLATE_INCONSISTENT' "$T/out"
	then ok "an unwrap with the world key asking $how fails (CKR_TEMPLATE_INCONSISTENT)"
	else not_ok "unwrap $how"; diag "$T/out" "$T/err"; fi
done
run probe unwrap contosokey same
if grep -qx 'unwrap=CKR_OK' "$T/out"; then
	ok "control: the same unwrap keeping every protection succeeds"
else not_ok "control unwrap"; diag "$T/out" "$T/err"; fi

# --- every type and size: generate, show, delete, restore ------------------------------
printf 'to be signed by the key' >"$T/msg"
openssl dgst -sha256 -binary "$T/msg" >"$T/digest"
head -c 32 /dev/urandom >"$T/plain"
IV=00000000000000000000000000000000

# roundtrip ID TYPE DESC GENERATE-ARGS...
roundtrip() {
	local id=$1 type=$2 desc=$3 hex fp fp2 label; shift 3
	hex=$(hexid "$id")
	if [ "$id" != contosokey ]; then
		expect 0 "Result: SUCCESS" "generate $desc" -- gen ident="$id" "$@"
	fi
	expect 0 "wrap-with-trusted +yes" "show-key $desc" -- k show-key "$id"
	fp=$(sed -n 's/^  public key SHA-256: \([0-9a-f]*\).*/\1/p' "$T/out" | head -1)
	run k --json show-key "$id"
	if jq -e '.key.attributes | .sensitive and .extractable and ."wrap-with-trusted" and
		.token and .private' "$T/out" >/dev/null &&
		jq -e '.records.key_simple.world_hash == "'"$world_hash"'" and .key.transfer_copy == false' \
		"$T/out" >/dev/null
	then ok "show-key --json $desc: protections, record, no transfer copy"
	else not_ok "show-key --json $desc"; diag "$T/out" "$T/err"; fi
	if [ "$type" = AES ]; then
		$P11 --encrypt --mechanism AES-CBC --iv $IV --id "$hex" -i "$T/plain" \
			-o "$T/enc-$id" >/dev/null 2>&1
		$P11 --delete-object --type secrkey --id "$hex" >/dev/null 2>&1
	else
		if [ "$type" = RSA ]; then
			$P11 --read-object --type pubkey --id "$hex" -o "$T/pub-$id.der" >/dev/null 2>&1
			openssl pkey -pubin -inform DER -in "$T/pub-$id.der" -out "$T/pub-$id.pem"
		else
			ec_pub "$id" "$T/pub-$id.pem"
		fi
		fp2=$(openssl pkey -pubin -in "$T/pub-$id.pem" -outform DER | sha256sum | cut -c1-64)
		assert "show-key's fingerprint of $desc is the token's public key" \
			test -n "$fp" -a "$fp" = "$fp2"
		$P11 --delete-object --type privkey --id "$hex" >/dev/null 2>&1
		$P11 --delete-object --type pubkey --id "$hex" >/dev/null 2>&1
	fi
	expect 0 "is not on token 'byok-world': p11byok restore $id" \
		"show-key of deleted $desc shows its record" -- k show-key "$id"
	expect 0 "Result: SUCCESS" "restore $desc" -- k restore "$id"
	label=$(sed -n 's/^plainname: "\(.*\)"$/\1/p' "$KM/key_simple_$id")
	attrs_are "$id" "the restored $desc keeps every protection, id and label" $target_attrs \
		"key.label=$label"
	if [ "$type" = AES ]; then
		$P11 --decrypt --mechanism AES-CBC --iv $IV --id "$hex" -i "$T/enc-$id" \
			-o "$T/dec-$id" >/dev/null 2>&1
		assert "the restored $desc decrypts what the original encrypted" \
			cmp -s "$T/plain" "$T/dec-$id"
		expect 0 "size: +${id#aes-} bits" "show-key gives the restored $desc's size" -- \
			k show-key "$id"
		return
	fi
	run k show-key "$id"
	assert "the restored $desc has the original public key fingerprint" \
		grep -q "public key SHA-256: $fp (matches the token)" "$T/out"
	if [ "$type" = RSA ]; then
		$P11 --sign --mechanism SHA256-RSA-PKCS --id "$hex" -i "$T/msg" -o "$T/sig-$id" \
			>/dev/null 2>&1
		assert "a signature by the restored $desc verifies with the original public key" \
			openssl dgst -sha256 -verify "$T/pub-$id.pem" -signature "$T/sig-$id" "$T/msg"
	else
		$P11 --sign --mechanism ECDSA --signature-format openssl --id "$hex" \
			-i "$T/digest" -o "$T/sig-$id" >/dev/null 2>&1
		assert "a signature by the restored $desc verifies with the original public key" \
			openssl pkeyutl -verify -pubin -inkey "$T/pub-$id.pem" -in "$T/digest" \
			-sigfile "$T/sig-$id"
	fi
}
roundtrip contosokey RSA "RSA-2048"
roundtrip rsa-3072 RSA "RSA-3072 (pubexp=3)" type=RSA size=3072 pubexp=3 protect=module nvram=no
if openssl pkey -pubin -in "$T/pub-rsa-3072.pem" -text -noout | grep -q 'Exponent: 3 (0x3)'; then
	ok "pubexp=3 gives public exponent 3"; else not_ok "pubexp=3"; fi
# RSA-4096 is slow on SoftHSMv2: generated once (not under make memcheck, where the module's
# prime search takes a minute and runs no more of p11byok than RSA-2048 and RSA-3072).
if [ -z "${P11BYOK_MEMCHECK:-}" ]; then roundtrip rsa-4096 RSA "RSA-4096" type=RSA size=4096 pubexp=0x10001
else skip "RSA-4096 under make memcheck: a minute of SoftHSMv2's prime search, no more p11byok code"; fi
roundtrip ec-p256 EC "EC P-256" type=EC curve=P-256 protect=module
roundtrip ec-p384 EC "EC P-384 (long options)" --type EC --curve secp384r1 --protect module \
	--nvram no --plainname "EC P-384 key"
roundtrip ec-p521 EC "EC P-521" type=EC curve=P-521
roundtrip aes-128 AES "AES-128" type=AES size=128
roundtrip aes-192 AES "AES-192" type=AES size=192
roundtrip aes-256 AES "AES-256" type=AES size=256
attrs_are ec-p384 "plainname is the label; EC keys sign only" key.label="EC P-384 key" \
	key.sign=1 key.decrypt=0 pub.label="EC P-384 key" pub.encrypt=0
attrs_are aes-256 "AES keys encrypt and decrypt, nothing else" key.encrypt=1 key.decrypt=1 \
	key.wrap=0 key.unwrap=0 key.sign=0

# --- bad input: refused before the token, nothing written -------------------------------
n_objects=$(objects)
n_files=$(ls "$KM" | wc -l)
while IFS='|' read -r code regex desc args; do
	[ -n "$code" ] || continue
	eval "set -- $args"
	expect "$code" "$regex" "$desc" -- gen "$@"
done <<'EOF'
2|protect=token is not supported: the BYOK flow does not support card-protected keys; use protect=module|protect=token refused with the reason|type=RSA size=2048 protect=token ident=k1
2|protect=softcard is not supported|protect=softcard refused|type=RSA size=2048 protect=softcard ident=k1
2|nvram=yes is not supported.*use nvram=no|nvram=yes refused|type=RSA size=2048 ident=k1 nvram=yes
2|ident 'Contoso_Key' must be 1 to 64 digits, lower-case letters and dashes|bad ident|type=RSA size=2048 ident=Contoso_Key
2|ident 'a{65}' must be 1 to 64|ident of 65 characters|type=AES size=256 ident=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
2|ident= is required|missing ident|type=RSA size=2048 protect=module
2|RSA size '1024' is not supported: use 2048, 3072 or 4096|size 1024 refused|type=RSA size=1024 ident=k1
2|AES size '512' is not supported|AES-512 refused|type=AES size=512 ident=k1
2|curve 'P-192' is not supported: use P-256, P-384 or P-521|bad curve|type=EC curve=P-192 ident=k1
2|EC keys need a curve: P-256, P-384 or P-521|EC without a curve|type=EC ident=k1
2|pubexp '65536' is not an odd number of at least 3|even pubexp|type=RSA size=2048 pubexp=65536 ident=k1
2|pubexp '1' is not an odd number of at least 3|pubexp 1|type=RSA size=2048 pubexp=1 ident=k1
2|RSA size '0x800' is not a plain decimal number: use 2048, 3072 or 4096|size in hex (strtoul read 2048)|type=RSA size=0x800 ident=k1
2|RSA size '04000' is not a plain decimal number|size in octal (strtoul read 2048)|type=RSA size=04000 ident=k1
2|AES size '\+256' is not a plain decimal number: use 128, 192 or 256|size with a sign|type=AES size=+256 ident=k1
2|pubexp '010001' is not a plain decimal number or 0x and hex digits|pubexp in octal (strtoul read 4097)|type=RSA size=2048 pubexp=010001 ident=k1
2|unknown keyword 'colour' in 'colour=blue'|unknown keyword|type=RSA size=2048 ident=k1 colour=blue
2|key type 'DSA' is not supported: use RSA, EC or AES|unknown type|type=DSA size=2048 ident=k1
2|no key type: give the type, RSA, EC or AES|missing type|size=2048 ident=k1
2|size given twice|a keyword given twice|type=RSA size=2048 --size 3072 ident=k1
2|application 'embed' is not supported|another generatekey application|embed type=RSA size=2048 ident=k1
2|plainname '.*' must be 1 to 127|plainname with a control character|type=AES size=128 ident=k1 "plainname=a$(printf '\t')b"
2|ident 'contosokey' already has a key record .*key_simple_contosokey.* of another key \(RSA-2048|an ident whose record is of another key refused|type=RSA size=3072 ident=contosokey
EOF
# An ident that only the token has (no record): an object someone else made.
$P11 --keygen --key-type AES:16 --id "$(hexid onlyontoken)" --label stranger >/dev/null 2>&1
n_objects=$((n_objects + 1))
expect 2 "token 'byok-world' holds 1 object with ident 'onlyontoken' and kmdata no record of it, which p11byok cannot prove .*--delete-object .*--id $(hexid onlyontoken)" \
	"ident on the token refused, naming the command that clears it" -- \
	gen type=AES size=128 ident=onlyontoken
expect 2 "holds 1 object with ident 'world' and kmdata no record" "the world key's id is taken" -- \
	gen type=AES size=128 ident=world
assert "refused generates left no object on the token" test "$(objects)" -eq "$n_objects"
assert "refused generates left no file in kmdata" test "$(ls "$KM" | wc -l)" -eq "$n_files"

# The same generate again, its work done (a crash after it, an automated retry): nothing made.
objs_before=$(objects)
expect 0 "Already: +generated before \(recorded, on the token as its record says\)" \
	"generate run again for a key it made says so and makes nothing" -- \
	gen type=RSA size=2048 protect=module ident=contosokey
assert "... the token holds the same objects" test "$(objects)" = "$objs_before"
# Killed between its record and its audit line: the same generate logs the line it owed.
LD_PRELOAD=$KILLPOINT_LIB KILLPOINT=append:audit.log:1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	run gen type=AES size=128 ident=k22-unlogged
assert "generate killed after its record, before its audit line" \
	test "$rc" -eq 137 -a -e "$KM/key_simple_k22-unlogged"
expect 0 "Already: +generated before" "the same generate finds its work done" -- \
	gen type=AES size=128 ident=k22-unlogged
jq -e 'select(.command == "generate" and .ident == "k22-unlogged") | .result == "RECOVERED"' \
	"$KM/audit.log" >/dev/null && ok "... and logs the line the crash kept out, RECOVERED" ||
	not_ok "k22-unlogged RECOVERED line"
n_objects=$((n_objects + 1)) n_files=$((n_files + 1))
# What a generate cut short leaves is finished by the same generate, logged RECOVERED.
# A kill inside key-pair generation: SoftHSMv2 stores the public half first (the issue's
# reproduction, with pkcs11-tool, a key pair whose private half is then deleted).
$P11 --keypairgen --key-type rsa:2048 --id "$(hexid k20-half)" --label k20-half \
	--usage-sign >/dev/null 2>&1
$P11 --delete-object --type privkey --id "$(hexid k20-half)" >/dev/null 2>&1
expect 0 "Recovered: +a lone public key a cut-short generate left was destroyed" \
	"generate finishes over the lone public half a killed key-pair generation left" -- \
	gen type=RSA size=2048 ident=k20-half
jq -e 'select(.command == "generate" and .ident == "k20-half") | .result == "RECOVERED"' \
	"$KM/audit.log" >/dev/null && ok "... its audit line says RECOVERED" ||
	not_ok "k20-half audit line"
assert "... one key pair on the token, with its record" test \
	"$($P11 -O 2>/dev/null | grep -c "ID: *$(hexid k20-half)$")" -eq 2 -a \
	-e "$KM/key_simple_k20-half"
# A kill just after the token made the key, before its record: the same generate records it.
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_KILL_AFTER=C_GenerateKey:1 run "$P11BYOK" \
	--module "$FAULTY_MODULE" --token "$TOK" --kmdata "$KM" --pin-file "$T/pin" --offline off \
	generate type=AES size=256 ident=k21-cut
assert "generate killed after the token made k21-cut, before its record" \
	test "$rc" -eq 137 -a ! -e "$KM/key_simple_k21-cut"
if wwt_fixed; then
	expect 0 "Recovered: +the key the token made before a crash cut its record short" \
		"the same generate records the key, not making it twice" -- \
		gen type=AES size=256 ident=k21-cut
else	# nothing shows the key was not wrapped out before CKA_WRAP_WITH_TRUSTED was given
	expect 2 "lets CKA_WRAP_WITH_TRUSTED be set after birth.*run 'p11byok discard k21-cut'" \
		"where CKA_WRAP_WITH_TRUSTED can be given later, the same generate names the discard" \
		-- gen type=AES size=256 ident=k21-cut
	expect 0 "Discarded: +key 'k21-cut' \(1 object, 0 records\)" "... which takes the key away" \
		-- k discard k21-cut --yes
	expect 0 "Key: +k21-cut" "... and generate then makes it anew" -- \
		gen type=AES size=256 ident=k21-cut
fi
assert "... one key k21-cut on the token, recorded" test \
	"$($P11 -O 2>/dev/null | grep -c "ID: *$(hexid k21-cut)$")" -eq 1 -a \
	-e "$KM/key_simple_k21-cut"
n_objects=$((n_objects + 3)) n_files=$((n_files + 2))

# A failure after generation (the audit log cannot be written) takes the key out again.  An
# immutable audit.log passes generate's check of kmdata (which refuses a directory or a link
# there before any key is made) and fails the append.
if chattr +i "$KM/audit.log" 2>/dev/null; then
	expect 1 "cannot open the audit log $KM/audit.log: Operation not permitted" \
		"generate whose audit event cannot be written fails" -- \
		gen type=EC curve=P-256 ident=half-done
	chattr -i "$KM/audit.log"
else
	skip "chattr +i is not supported here: no audit append can be made to fail"
fi
assert "... and leaves neither key objects nor a record behind" \
	test "$(objects)" -eq "$n_objects" -a ! -e "$KM/key_simple_half-done"

# --- show-key and restore refusals -----------------------------------------------------
expect 2 "no key with ident 'nosuch' on token 'byok-world' and no record in $KM" \
	"show-key of an unknown ident" -- k show-key nosuch
expect 2 "ident 'No' must be" "show-key of a malformed ident" -- k show-key No
expect 2 "key 'contosokey' still exists on token 'byok-world': restore re-creates deleted keys only" \
	"restore of an existing key" -- k restore contosokey
expect 2 "no key record for ident nosuch in $KM" "restore without a record" -- k restore nosuch
assert "the audit log has a restore event" jq -e -s \
	'map(select(.command == "restore" and .ident == "ec-p256")) | length == 1' "$KM/audit.log"

# A record whose fields were tampered with, or that comes from another world or token.
cp "$KM/key_simple_ec-p256" "$T/saved"
$P11 --delete-object --type privkey --id "$(hexid ec-p256)" >/dev/null 2>&1
sed -i "s/^token_serial: .*/token_serial: \"0000000000000000\"/" "$KM/key_simple_ec-p256"
expect 2 "key_simple_ec-p256 was made on token serial 0000000000000000, but token 'byok-world' has serial $serial" \
	"restore of a record from another token" -- k restore ec-p256
cp "$T/saved" "$KM/key_simple_ec-p256"
sed -i "s/^world_hash: .*/world_hash: \"$(printf '%064d' 0)\"/" "$KM/key_simple_ec-p256"
expect 2 "key_simple_ec-p256 belongs to another world" "restore of a record from another world" -- \
	k restore ec-p256
cp "$T/saved" "$KM/key_simple_ec-p256"
sed -i 's/^wrapped_key: "\(.\{20\}\)/wrapped_key: "AAAAAAAAAAAAAAAAAAAA/' "$KM/key_simple_ec-p256"
expect 1 "cannot unwrap the backup of 'ec-p256'" "restore of a corrupted backup fails" -- \
	k restore ec-p256
cp "$T/saved" "$KM/key_simple_ec-p256"
sed -i 's/^version: 1/version: 1\ncolour: blue/' "$KM/key_simple_ec-p256"
expect 2 "key_simple_ec-p256:4:1: unknown field 'colour'" "a bad record names file:line:col" -- \
	k restore ec-p256
cp "$T/saved" "$KM/key_simple_ec-p256"
expect 0 "Result: SUCCESS" "the untouched record restores" -- k restore ec-p256
grep -q 'Public key object: kept' "$T/out" && ok "restore keeps an existing public key object" ||
	not_ok "public key object kept"

# The transfer copy modify-acls makes shares the ident: show-key reports it, and restore
# tells it from the target (made here the way modify-acls makes it, by the probe).
run probe copy ec-p521
grep -qx 'copy=CKR_OK' "$T/out" || { not_ok "probe copy"; diag "$T/out" "$T/err"; }
expect 0 "transfer copy: +present" "show-key reports the transfer copy" -- k show-key ec-p521
run k --json show-key ec-p521
assert "show-key --json: transfer_copy true, and the key shown is the target, not the copy" \
	jq -e '.key.transfer_copy and .key.label == "ec-p521" and (.key.usage | index("sign"))' \
	"$T/out"
$P11 --delete-object --type privkey --label ec-p521 --id "$(hexid ec-p521)" >/dev/null 2>&1
expect 0 "Result: SUCCESS" "restore of a key whose transfer copy is still there" -- \
	k restore ec-p521
expect 0 "label: +ec-p521" "... restores the target beside the copy" -- k show-key ec-p521

# Through pkcs11-spy: generate, show-key and restore of each type never ask the token for a
# secret attribute.
if [ -n "$PKCS11_SPY" ] && [ -f "$PKCS11_SPY" ]; then
	spy() {
		PKCS11SPY=$SOFTHSM2_MODULE PKCS11SPY_OUTPUT=$T/spy.log "$P11BYOK" --module "$PKCS11_SPY" \
			--token "$TOK" --kmdata "$KM" --pin-file "$T/pin" --offline off "$@" >/dev/null 2>&1
	}
	for spec in "RSA size=2048" "EC curve=P-256" "AES size=128"; do
		set -- $spec
		id=spy-$(printf %s "$1" | tr A-Z a-z)
		spy generate type="$1" "$2" ident="$id"
		spy show-key "$id"
		$P11 --delete-object --type "$([ "$1" = AES ] && echo secrkey || echo privkey)" \
			--id "$(hexid "$id")" >/dev/null 2>&1
		spy restore "$id"
	done
	if [ "$(grep -c 'C_WrapKey\|C_UnwrapKey\|C_GetAttributeValue' "$T/spy.log")" -gt 20 ] &&
		! grep -Eq 'CKA_(VALUE|PRIVATE_EXPONENT|PRIME_1|PRIME_2|EXPONENT_1|EXPONENT_2|COEFFICIENT) ' \
		"$T/spy.log"; then
		ok "pkcs11-spy: generate, show-key and restore never request a secret attribute"
	else not_ok "secret attributes in the spy log"; grep -E -B6 'CKA_(VALUE|PRIVATE_EXPONENT|PRIME_1) ' \
		"$T/spy.log" | head -20 | diag; fi
else
	skip "pkcs11-spy not found: cannot trace the calls"
fi

# A second world on a second token: its records do not restore into the first, and the
# first world's kmdata does not work on the second token.
KM2=$T/km2
p11 --kmdata "$KM2" --pin-file "$T/pin" world init --acs-quorum 1/1 --label other-world \
	--cards-dir "$T/cards2" --card-pass-file "$T/pass1" >"$T/init2.out" 2>&1 ||
	{ not_ok "second world init"; diag "$T/init2.out"; }
p11 --token pkcs11:token=other-world --kmdata "$KM2" --pin-file "$T/pin" --offline off \
	generate type=EC curve=P-256 ident=elsewhere >"$T/out" 2>&1 || not_ok "generate in world 2"
cp "$KM2/key_simple_elsewhere" "$KM/"
expect 2 "key_simple_elsewhere belongs to another world" \
	"restore of another world's record is refused" -- k restore elsewhere
rm "$KM/key_simple_elsewhere"
expect 2 "other-world" "the first world's kmdata on the second token is refused" -- \
	p11 --token pkcs11:token=other-world --kmdata "$KM" --pin-file "$T/pin" restore contosokey
expect 2 "other-world" "generate with the first world's kmdata on the second token is refused" -- \
	p11 --token pkcs11:token=other-world --kmdata "$KM" --pin-file "$T/pin" --offline off \
	generate type=AES size=128 ident=wrong-world

# Audit paths do not depend on the working directory: a generate run from kmdata's parent
# with a relative --kmdata records the same absolute path as one given it absolutely.
(cd "$(dirname "$KM")" && p11 --token "$TOK" --kmdata "$(basename "$KM")" --pin-file "$T/pin" \
	--offline off generate type=AES size=128 ident=rel-path >/dev/null 2>&1)
if [ "$(jq -r 'select(.ident == "rel-path") | .files[0].path' "$KM/audit.log")" = \
	"$(cd "$KM" && pwd -P)/key_simple_rel-path" ] &&
	! jq -r '.files[]?.path' "$KM/audit.log" | grep -qv '^/'; then
	ok "every audit path is absolute, whatever directory the command ran from"
else not_ok "audit paths"; jq -c '.files' "$KM/audit.log" | tail -n 3 | diag /dev/stdin; fi
# --- discard: what p11byok made for a key that was never packaged ---
run gen type=RSA size=2048 ident=dk1
count_id() { $P11 -O 2>/dev/null | grep -c "ID: *$(hexid "$1")$"; }
run setsid -w "$P11BYOK" --module "$SOFTHSM2_MODULE" --regions "$REGIONS" --token "$TOK" \
	--kmdata "$KM" --pin-file "$T/pin" discard dk1 </dev/null
assert "discard without --yes and without a terminal refuses, changing nothing" \
	test "$rc" -eq 2 -a "$(count_id dk1)" -eq 2 -a -e "$KM/key_simple_dk1"
grep -q "give --yes" "$T/err" && ok "... and says to give --yes" || not_ok "--yes hint"
expect 0 "Discarded: +key 'dk1' \(2 objects, 1 record\)" "discard --yes takes the key away" -- \
	k discard dk1 --yes
assert "... both halves gone from the token, the record from kmdata" \
	test "$(count_id dk1)" -eq 0 -a ! -e "$KM/key_simple_dk1"
jq -e 'select(.command == "discard" and .ident == "dk1" and .result == "SUCCESS") |
	(.destroyed | length) == 2 and (.files | length) == 1' "$KM/audit.log" >/dev/null &&
	ok "... and the audit log names what went" || not_ok "discard audit line"
expect 0 "Result: SUCCESS" "the ident can be generated again afterwards" -- \
	gen type=EC curve=P-256 ident=dk1
expect 2 "the secret key 'stranger' with ident 'onlyontoken' .* is not one p11byok makes" \
	"discard refuses an object p11byok did not make" -- k discard onlyontoken --yes
assert "... and leaves it" test "$(count_id onlyontoken)" -eq 1
expect 2 "no key 'nosuch' on token .* and no record of it" "discard of nothing" -- \
	k discard nosuch --yes
$P11 --keypairgen --key-type rsa:2048 --id "$(hexid dk-half)" --label dk-half --usage-sign \
	>/dev/null 2>&1
$P11 --delete-object --type privkey --id "$(hexid dk-half)" >/dev/null 2>&1
expect 0 "Discarded: +key 'dk-half' \(1 object, 0 records\)" \
	"discard clears a lone public half a cut-short generate left" -- k discard dk-half --yes
done_testing
