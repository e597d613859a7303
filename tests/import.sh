#!/bin/bash
# import.sh: inspect and import of .byok files made by an independent producer (the OpenSSL
# command line), on a SoftHSMv2 token that holds the KEK private key; then the imported keys
# are used and checked against the originals.
. "$(dirname "$0")/lib.sh"
need openssl jq xxd sha256sum
softhsm_setup
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
softhsm_token cloud 1234
printf '1234\n' >"$T/pin"; chmod 600 "$T/pin"
P11="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label cloud --login --pin 1234"
$P11 --keypairgen --key-type rsa:2048 --label kek --id 01 --usage-decrypt --usage-wrap \
	>/dev/null 2>&1
$P11 --read-object --type pubkey --label kek -o "$T/kek.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$T/kek.der" -out "$T/kek.pem"
mkdir "$T/kmdata"
imp() { p11 --pin-file "$T/pin" --kmdata "$T/kmdata" import "$@"; }
URI='pkcs11:token=cloud;object=kek'

# mkbyok KEY.der OUT.byok [KEK.pem]: the BYOK composition, OAEP(SHA-1) || RFC 5649.
mkbyok() {
	local k
	openssl rand 32 >"$T/aes.bin"
	k=$(xxd -p -c 64 "$T/aes.bin")
	openssl pkeyutl -encrypt -pubin -inkey "${3:-$T/kek.pem}" -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 -in "$T/aes.bin" -out "$T/oaep.bin"
	openssl enc -id-aes256-wrap-pad -K "$k" -iv A65959A6 -in "$1" -out "$T/kwp.bin"
	printf '{"schema_version":"1.0.0","header":{"kid":"https://vault.example/keys/kek/1",'`
		`'"alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"%s","generator":"openssl"}' \
		"$(cat "$T/oaep.bin" "$T/kwp.bin" | base64 -w0 | tr '+/' '-_' | tr -d '=')" >"$2"
}
pkcs8() { openssl pkcs8 -topk8 -nocrypt -outform DER -out "$2" -in "$1"; }
objects() { $P11 -O 2>/dev/null | grep -c 'Object;'; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
pkcs8 "$T/rsa.pem" "$T/rsa.p8"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem"
pkcs8 "$T/ec.pem" "$T/ec.p8"
openssl rand 32 >"$T/aes256.key"
mkbyok "$T/rsa.p8" "$T/KeyTransferPackage-rsa.byok"
mkbyok "$T/ec.p8" "$T/KeyTransferPackage-ec.byok"
mkbyok "$T/aes256.key" "$T/KeyTransferPackage-aes.byok"
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
openssl pkey -in "$T/ec.pem" -pubout -out "$T/ec.pub"
fp() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }

# --- inspect ---
expect 0 "KEK id \(kid\): +https://vault.example/keys/kek/1" "inspect shows the kid" -- \
	"$P11BYOK" inspect "$T/KeyTransferPackage-rsa.byok"
size=$(( 256 + $(stat -c%s "$T/kwp.bin") ))
if grep -q "KEK size: *RSA-2048" "$T/out" && grep -Eq "Wrapped key: .*RSA-2048 private key" "$T/out"
then ok "inspect infers a 2048-bit KEK and an RSA-2048 key"; else not_ok "inspect sizes"; diag "$T/out"; fi
run "$P11BYOK" inspect --json "$T/KeyTransferPackage-ec.byok"
if jq -e '.kek_bits == 2048 and (.wrapped_key | test("EC P-256")) and .generator == "openssl"' \
	"$T/out" >/dev/null; then ok "inspect --json for an EC key"; else not_ok "inspect --json"; diag "$T/out"; fi
run "$P11BYOK" inspect --json "$T/KeyTransferPackage-aes.byok"
if jq -e '.wrapped_key_bytes == 40 and (.wrapped_key | test("AES-256"))' "$T/out" >/dev/null
then ok "inspect recognises a raw AES-256 key"; else not_ok "inspect AES"; diag "$T/out"; fi

# --- import and use ---
expect 0 "Key type: +RSA private key" "import an RSA-2048 key" -- \
	imp "$T/KeyTransferPackage-rsa.byok" --unwrap-key "$URI"
if grep -q "Public key SHA-256: $(fp "$T/rsa.pem")" "$T/out"; then
	ok "the imported RSA key's public half is the original's"
else not_ok "RSA fingerprint"; diag "$T/out"; fi
# pkcs11-tool 0.23 ignores --label when signing: choose the key by the id import printed.
keyid() { sed -n 's/^Key id: *//p' "$T/out"; }
rsa_id=$(keyid)
printf 'to be signed' >"$T/msg"
$P11 --sign --mechanism SHA256-RSA-PKCS --id "$rsa_id" -i "$T/msg" -o "$T/sig" >/dev/null 2>&1
assert "a signature by the imported RSA key verifies with the original public key" \
	openssl dgst -sha256 -verify "$T/rsa.pub" -signature "$T/sig" "$T/msg"

expect 0 "Key type: +EC private key" "import an EC P-256 key" -- \
	imp "$T/KeyTransferPackage-ec.byok" --unwrap-key "$URI"
ec_id=$(keyid)
# SoftHSMv2 signs ECDSA over a digest it is given (CKM_ECDSA).
openssl dgst -sha256 -binary "$T/msg" >"$T/digest"
$P11 --sign --mechanism ECDSA --signature-format openssl --id "$ec_id" -i "$T/digest" \
	-o "$T/ecsig" >/dev/null 2>&1
assert "a signature by the imported EC key verifies with the original public key" \
	openssl pkeyutl -verify -pubin -inkey "$T/ec.pub" \
	-in "$T/digest" -sigfile "$T/ecsig"

expect 0 "Key type: +AES secret key" "import an AES-256 key" -- \
	imp "$T/KeyTransferPackage-aes.byok" --unwrap-key "$URI" --label my-aes
aes_id=$(keyid)
head -c 32 /dev/urandom >"$T/plain"
$P11 --encrypt --mechanism AES-CBC --iv 00000000000000000000000000000000 --id "$aes_id" \
	-i "$T/plain" -o "$T/enc" >/dev/null 2>&1
openssl enc -d -aes-256-cbc -nopad -K "$(xxd -p -c 64 "$T/aes256.key")" \
	-iv 00000000000000000000000000000000 -in "$T/enc" -out "$T/dec" 2>/dev/null
assert "AES: encrypted by the imported key, decrypted with the original" cmp -s "$T/plain" "$T/dec"

# The imported keys stay in the HSM: sensitive, never extractable.
$P11 -O 2>/dev/null >"$T/objs"
if grep -A8 "label: *rsa$" "$T/objs" | grep -q "sensitive.*never extractable\|never extractable.*sensitive" ||
	grep -A8 "label: *rsa$" "$T/objs" | grep -q "Access:.*sensitive"; then
	ok "the imported key is sensitive"; else not_ok "imported key access"; diag "$T/objs"; fi

# SoftHSMv2 2.6.1 zero-pads PKCS#8 to a multiple of 8 before RFC 5649: accept that form.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa2.pem" 2>/dev/null
pkcs8 "$T/rsa2.pem" "$T/rsa2.p8"
n=$(stat -c%s "$T/rsa2.p8")
head -c $(( (8 - n % 8) % 8 + 8 * ((n % 8) == 0) )) /dev/zero >>"$T/rsa2.p8"
mkbyok "$T/rsa2.p8" "$T/KeyTransferPackage-padded.byok"
expect 0 "Public key SHA-256: $(fp "$T/rsa2.pem")" "zero-padded PKCS#8 imports" -- \
	imp "$T/KeyTransferPackage-padded.byok" --unwrap-key "$URI"

# --- refusals: each leaves the token as it was ---
cp "$T/kmdata/audit.log" "$T/audit.4"	# the four imports, for the audit checks below
cp "$T/kmdata/audit.head" "$T/head.4"
before=$(objects)
expect 2 "already imported into token 'cloud'" "importing the same file twice is refused" -- \
	imp "$T/KeyTransferPackage-rsa.byok" --unwrap-key "$URI"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
openssl pkey -in "$T/other.pem" -pubout -out "$T/other.pub"
mkbyok "$T/rsa.p8" "$T/KeyTransferPackage-otherkek.byok" "$T/other.pub"
step=CKM_RSA_PKCS_OAEP
onecall && step=CKM_RSA_AES_KEY_WRAP	# one C_UnwrapKey: the OAEP step is inside it
expect 1 "cannot unwrap .*otherkek.byok.*$step.*kid" \
	"a file made for another KEK fails at the OAEP step" -- \
	imp "$T/KeyTransferPackage-otherkek.byok" --unwrap-key "$URI"
jq '.ciphertext |= .[0:400]' "$T/KeyTransferPackage-ec.byok" >"$T/trunc.byok"
expect 1 "cannot come from this 2048-bit KEK" "truncated ciphertext" -- \
	imp "$T/trunc.byok" --unwrap-key "$URI"
expect 3 "no RSA private key on token 'cloud' matches 'pkcs11:token=cloud;object=nokek'" \
	"--unwrap-key naming no key" -- imp "$T/KeyTransferPackage-ec.byok" \
	--unwrap-key 'pkcs11:token=cloud;object=nokek'
expect 2 "names no key: add object=LABEL" "--unwrap-key without an object" -- \
	imp "$T/KeyTransferPackage-ec.byok" --unwrap-key 'pkcs11:token=cloud'
expect 2 "--unwrap-key URI is required" "no --unwrap-key" -- imp "$T/KeyTransferPackage-ec.byok"
after=$(objects)
if [ "$before" = "$after" ]; then ok "refused imports left no object ($after objects)"
else not_ok "refused imports changed the token ($before -> $after objects)"; fi

# --- the audit trail of the imports ---
# Each refusal that reached the token left its FAILURE line, with the error and the file.
want=$(printf '%s\n' "already imported" "cannot unwrap .*otherkek.byok" \
	"cannot come from this 2048-bit KEK" "no RSA private key on token 'cloud' matches" \
	"names no key: add object=LABEL")
have=$(jq -r 'select(.command == "import" and .result == "FAILURE" and .exit_code > 0 and
	(.file | endswith(".byok"))) | .error' "$T/kmdata/audit.log")
missing=$(printf '%s\n' "$want" | while read -r w; do
	printf '%s\n' "$have" | grep -q -- "$w" || echo "$w"; done)
assert "each refused import is logged as FAILURE with its error and file" \
	test -z "$missing" -a "$(printf '%s\n' "$have" | wc -l)" -eq 5
expect 0 "Lines: +9" "audit verify: four imports and five refusals, chain intact" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
cp "$T/audit.4" "$T/kmdata/audit.log"
cp "$T/head.4" "$T/kmdata/audit.head"
expect 0 "Lines: +4" "audit verify: the four imports alone, chain intact" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
if grep -q '"command":"import"' "$T/kmdata/audit.log" && ! grep -q '1234' "$T/kmdata/audit.log"
then ok "the audit log records the imports and holds no PIN"; else not_ok "audit content"; fi
cp "$T/kmdata/audit.log" "$T/audit.orig"
# Every line, edited in place or deleted, is caught at that line; the last one deleted, by
# audit.head.
for n in 1 2 3 4; do
	sed "${n}s/\"import\"/\"imp0rt\"/" "$T/audit.orig" >"$T/kmdata/audit.log"
	expect 1 "audit.log:$n: this line was edited" "an edited line $n is caught at line $n" -- \
		"$P11BYOK" audit verify "$T/kmdata/audit.log"
	sed "${n}d" "$T/audit.orig" >"$T/kmdata/audit.log"
	if [ $n -lt 4 ]; then
		expect 1 "audit.log:$n: a line is missing here" "a deleted line $n is caught at line $n" \
			-- "$P11BYOK" --kmdata "$T/kmdata" audit verify
	else
		expect 1 "lines are missing at the end" "a deleted last line is caught by audit.head" \
			-- "$P11BYOK" --kmdata "$T/kmdata" audit verify
	fi
done
awk 'NR == 2 { two = $0; next } NR == 3 { print; print two; next } { print }' \
	"$T/audit.orig" >"$T/kmdata/audit.log"
expect 1 "audit.log:2: a line is missing here" "lines 2 and 3 swapped are caught at line 2" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
{ sed -n 1p "$T/audit.orig"; sed -n 4p "$T/audit.orig"; sed -n 2,3p "$T/audit.orig"; } \
	>"$T/kmdata/audit.log"
expect 1 "audit.log:2: a line is missing here" "the last line moved up is caught at line 2" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
{ sed -n 1p "$T/audit.orig"; sed -n 3p "$T/audit.orig"; sed -n 2p "$T/audit.orig";
	sed -n 4p "$T/audit.orig"; } >"$T/kmdata/audit.log"
expect 1 "audit.log:2: a line is missing here" "line 2 moved down is caught at line 2" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
{ cat "$T/audit.orig"; sed -n 2p "$T/audit.orig"; } >"$T/kmdata/audit.log"
expect 1 "audit.log:5: this line is out of place" "a line copied to the end is caught there" -- \
	"$P11BYOK" audit verify "$T/kmdata/audit.log"
# A copy of the log without its head (handed to an auditor): every line is checked, the end
# is not, and says so; --head names the head to check it against.
mkdir -p "$T/copy"
sed '$d' "$T/audit.orig" >"$T/copy/audit.log"
expect 0 "every line is checked but not the end" "a log without audit.head beside it: \
lines checked, end unchecked, with a warning" -- "$P11BYOK" audit verify "$T/copy/audit.log"
expect 1 "lines are missing at the end" "--head catches the copy's missing last line" -- \
	"$P11BYOK" audit verify "$T/copy/audit.log" --head "$T/kmdata/audit.head"
expect 2 "cannot open audit head $T/copy/none" "--head naming no file" -- \
	"$P11BYOK" audit verify "$T/copy/audit.log" --head "$T/copy/none"
last=$(tail -n 1 "$T/audit.orig" | tr -d '\n' | sha256sum | cut -d' ' -f1)
cp "$T/audit.orig" "$T/kmdata/audit.log"
expect 0 "Last line: SHA-256 $last" "audit verify prints the last line's SHA-256 to keep apart" \
	-- "$P11BYOK" --kmdata "$T/kmdata" audit verify
cp "$T/audit.orig" "$T/kmdata/audit.log"
run "$P11BYOK" --kmdata "$T/kmdata" audit verify --json
if jq -e '.intact and .lines == 4 and .result == "SUCCESS" and .head_checked and
	.last_line_sha256 == "'"$last"'"' "$T/out" >/dev/null; then
	ok "audit verify --json"; else not_ok "audit verify --json"; diag "$T/out"; fi

# --- malformed files, for inspect and import alike ---
bad() { printf '%s' "$2" >"$T/$1"; }
bad notjson.byok '{"schema_version": "1.0.0",'
bad array.byok '[1,2]'
bad version.byok '{"schema_version":"2.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA"}'
bad noheader.byok '{"schema_version":"1.0.0","ciphertext":"AAAA"}'
bad nokid.byok '{"schema_version":"1.0.0","header":{"alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA"}'
bad alg.byok '{"schema_version":"1.0.0","header":{"kid":"k","alg":"RSA-OAEP","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA"}'
bad enc.byok '{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"A256GCM"},"ciphertext":"AAAA"}'
bad b64.byok '{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AA+/AA"}'
bad short.byok '{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA"}'
bad extra.byok '{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA","key":"x"}'
bad dup.byok '{"schema_version":"1.0.0","schema_version":"1.0.0"}'
while read -r file regex; do
	expect 2 "$regex" "inspect refuses $file" -- "$P11BYOK" inspect "$T/$file"
	expect 2 "$regex" "import refuses $file" -- imp "$T/$file" --unwrap-key "$URI"
done <<'ROWS'
notjson.byok notjson.byok:1:[0-9]+: malformed JSON
array.byok array.byok: a .byok file is a JSON object
version.byok schema_version '2.0.0' is not 1.0.0
noheader.byok lacks the object 'header'
nokid.byok the header lacks the field 'kid'
alg.byok header alg 'RSA-OAEP' is not 'dir'
enc.byok header enc 'A256GCM' is not CKM_RSA_AES_KEY_WRAP
b64.byok ciphertext is not base64url
short.byok ciphertext is 3 bytes, too short
extra.byok unknown field 'key' in the file
dup.byok dup.byok:1:[0-9]+: malformed JSON: duplicate object key
ROWS
expect 2 "cannot open .byok file $T/none.byok" "a missing file" -- "$P11BYOK" inspect "$T/none.byok"
done_testing
