#!/bin/bash
# verify-kek.sh: KEK and security-world packages (DESIGN.md §3) made by tests/vendor-kit.sh,
# verified by verify-kek, by package --region, and by `openssl cms -verify` as an independent
# check; then every way a package can be wrong, each refused with its reason.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/vendor-kit.sh"
need openssl jq
softhsm_setup
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
FLIP=$top_builddir/tests/attest-flip
[ -x "$FLIP" ] || skip_all "tests/attest-flip not built (make check builds it)"

kit_init "$T/kit"
kit_build NA || { echo "Bail out! the vendor kit failed"; exit 1; }
vk() { p11 verify-kek "$@"; }
vkna() { vk --region NA --root-hash "$KIT_ROOT_HASH" "$@"; }
K=$KIT_KEK_PACKAGE W=$KIT_WORLD_PACKAGE

# --- the kit itself: the KEK private key stays in the cloud token ---
"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label "$KIT_CLOUD_LABEL" --login \
	--pin "$KIT_CLOUD_PIN" -O --type privkey 2>/dev/null >"$T/cloud-objs"
if grep -q "never extractable" "$T/cloud-objs" && grep -q "sensitive" "$T/cloud-objs"; then
	ok "the kit's KEK private key was generated in the cloud token: sensitive, never extractable"
else not_ok "cloud KEK attributes"; diag "$T/cloud-objs"; fi

# The KEK public key in the packages belongs to the private key in the cloud token.
openssl rand 32 >"$T/secret"
openssl pkeyutl -encrypt -pubin -inkey "$KIT_KEK_PEM" -pkeyopt rsa_padding_mode:oaep \
	-in "$T/secret" -out "$T/secret.enc"
if onecall; then
	# SoftHSMv2 2.7.0 refuses the OAEP parameters pkcs11-tool gives (no CKZ_DATA_SPECIFIED):
	# the pair is shown by the token's public key object instead.
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label "$KIT_CLOUD_LABEL" \
		--read-object --type pubkey --id "$KIT_KEK_CKA_ID" -o "$T/cloud-kek.der" >/dev/null 2>&1
	assert "the cloud token's KEK public key is KIT_KEK_PEM" test \
		"$(openssl pkey -pubin -inform DER -in "$T/cloud-kek.der" -outform DER | sha256sum)" = \
		"$(openssl pkey -pubin -in "$KIT_KEK_PEM" -outform DER | sha256sum)"
else
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label "$KIT_CLOUD_LABEL" --login \
		--pin "$KIT_CLOUD_PIN" --decrypt --mechanism RSA-PKCS-OAEP --hash-algorithm SHA-1 \
		--mgf MGF1-SHA1 --id "$KIT_KEK_CKA_ID" -i "$T/secret.enc" -o "$T/secret.dec" \
		>/dev/null 2>&1
	assert "the cloud token decrypts what KIT_KEK_PEM encrypts" cmp -s "$T/secret" \
		"$T/secret.dec"
fi
# The software-KEK variant, for independent tools.
(
	kit_init "$T/soft" && kit_build NA soft >/dev/null &&
	openssl pkey -in "$KIT_KEK_PRIV_PEM" -pubout | cmp -s - "$KIT_KEK_PEM" &&
	p11 verify-kek --region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash "$KIT_ROOT_HASH" \
		>"$T/soft.out" 2>&1 && grep -q "SHA-256 $KIT_KEK_FINGERPRINT" "$T/soft.out"
) && ok "the software-KEK kit: private key in KIT_KEK_PRIV_PEM, packages verify" ||
	{ not_ok "software-KEK kit"; diag "$T/soft.out"; }

# --- a valid pair ---
expect 0 "Result: SUCCESS" "a valid pair verifies (--region with --toolset-dir)" -- \
	vkna --toolset-dir "$KIT_TOOLSET_DIR"
grouped=$(echo "$KIT_ROOT_HASH" | sed 's/.\{8\}/& /g; s/ $//')
for fact in "Root key hash: +SHA-1 $grouped" "Device certificate: CN=HSM device 5F3E-0001" \
	"KEK: +RSA-2048, SHA-256 $KIT_KEK_FINGERPRINT" "KEK id \(kid\): +$KIT_KEK_ID" \
	"World hash: +$KIT_WORLD_HASH"; do
	if grep -Eq "$fact" "$T/out"; then ok "it prints '$fact'"
	else not_ok "fact '$fact' missing"; diag "$T/out"; fi
done
# The SHA-256 pin, typed in upper case with spaces; region from the KEK package's name.
pin256=$(echo "$KIT_ROOT_HASH256" | tr a-f A-F | sed 's/.\{8\}/& /g')
expect 0 "Root key hash: +SHA-256 .*Result: SUCCESS|Result: SUCCESS" \
	"explicit packages, SHA-256 pin in upper case with spaces, region from the file name" -- \
	vk --kek-package "$K" --world-package "$W" --root-hash "$pin256"
(cd "$KIT_TOOLSET_DIR" && p11 verify-kek --region "United States" --root-hash "$KIT_ROOT_HASH") \
	>"$T/out" 2>&1 && grep -q "Result: SUCCESS" "$T/out" &&
	ok "--region alone finds the packages in the current directory" ||
	{ not_ok "--region in the current directory"; diag "$T/out"; }
run vkna --json --kek-package "$K" --world-package "$W"
if [ "$rc" -eq 0 ] && jq -e --arg fp "$KIT_KEK_FINGERPRINT" --arg kid "$KIT_KEK_ID" \
	--arg wh "$KIT_WORLD_HASH" --arg rh "$KIT_ROOT_HASH" '.result == "SUCCESS" and
	.kek_fingerprint == $fp and .kid == $kid and .world_hash == $wh and .kek_bits == 2048
	and .root_key_hash == $rh and .root_key_hash_alg == "SHA-1" and .region.code == "NA"' \
	"$T/out" >/dev/null; then ok "--json carries the verified facts"
else not_ok "--json"; diag "$T/out" "$T/err"; fi
kit_sign "$KIT_DIR/kek-NA.json" "$T/kek.pem" pem
kit_sign "$KIT_DIR/world-NA.json" "$T/world.pem" pem
expect 0 "Result: SUCCESS" "PEM packages verify too" -- \
	vkna --kek-package "$T/kek.pem" --world-package "$T/world.pem"

# --- OpenSSL agrees on the same files ---
for f in "$K" "$W"; do
	if openssl cms -verify -binary -inform DER -in "$f" -CAfile "$KIT_ROOT_CERT" \
		-purpose smimesign -out "$T/stmt" 2>"$T/err" &&
		grep -q "\"world_hash\":\"$KIT_WORLD_HASH\"" "$T/stmt"; then
		ok "openssl cms -verify accepts $(basename "$f") and yields its statement"
	else not_ok "openssl cms -verify $(basename "$f")"; diag "$T/err"; fi
done
cp "$K" "$T/flipped"
printf '\x58' | dd of="$T/flipped" bs=1 seek=100 conv=notrunc 2>/dev/null
if ! openssl cms -verify -binary -inform DER -in "$T/flipped" -CAfile "$KIT_ROOT_CERT" \
	-purpose smimesign -out /dev/null 2>/dev/null; then
	ok "openssl cms -verify refuses a package with a byte changed in its statement"
else not_ok "openssl accepted a flipped package"; fi
expect 1 "signature does not verify.*Result: FAILURE|Result: FAILURE" \
	"verify-kek refuses the same flipped package" -- \
	vkna --kek-package "$T/flipped" --world-package "$W"
grep -q "the signature does not verify" "$T/err" && ok "... because its signature fails" ||
	{ not_ok "flipped package reason"; diag "$T/err"; }

# --- every single flipped byte of either package, in process ---
"$FLIP" "$REGIONS" NA "$KIT_ROOT_HASH" "$K" "$W" "$KIT_DIR/kek-NA.json" \
	"$KIT_DIR/world-NA.json" >"$T/flip.tap" 2>"$T/flip.err"
frc=$?
if [ "$frc" -eq 0 ] && [ "$(grep -c '^ok ' "$T/flip.tap")" -eq 5 ]; then
	ok "every byte of both packages flipped (XOR 0xff, XOR 0x01): each refused ($(
		sed -n 's/.*at each of \([0-9]*\) positions.*/\1/p' "$T/flip.tap" | head -1) + more)"
else
	not_ok "flipped bytes accepted (attest-flip exit $frc)"; diag "$T/flip.tap"
	tail -n 40 "$T/flip.err" | diag
fi

# --- wrong packages, each with its reason ---
expect 1 "swap --kek-package and --world-package" "KEK and world packages swapped" -- \
	vkna --kek-package "$W" --world-package "$K"
expect 1 "is a 'kek' package where a 'world' package belongs" "the KEK package twice" -- \
	vkna --kek-package "$K" --world-package "$K"
(kit_packages EU "$T/eu") >/dev/null
expect 1 "is package 'BYOK-KEK-pkg-EU-1', not United States's 'BYOK-KEK-pkg-NA-1'" \
	"a KEK package of another region" -- \
	vkna --kek-package "$T/eu/BYOK-KEK-pkg-EU-1" --world-package "$W"
expect 1 "is package 'BYOK-SecurityWorld-pkg-EU-1', not United States's" \
	"a world package of another region" -- \
	vkna --kek-package "$K" --world-package "$T/eu/BYOK-SecurityWorld-pkg-EU-1"

# signed_kek NAME FIELD=JSON...: a KEK package with fields changed, signed by the kit.
signed_kek() {
	local out=$T/$1; shift
	kit_kek_statement NA "$@" >"$out.json" && kit_sign "$out.json" "$out"
}
signed_kek region-eu region='"EU"'
expect 1 "is for region 'EU', not United States \(NA\)" \
	"a KEK statement with NA's package name but region EU" -- \
	vkna --kek-package "$T/region-eu" --world-package "$W"
signed_kek other-world world_hash="\"$(openssl rand -hex 32)\""
expect 1 "its world_hash [0-9a-f]{64} is not the world_hash $KIT_WORLD_HASH" \
	"world hashes that differ" -- vkna --kek-package "$T/other-world" --world-package "$W"
signed_kek exportable exportable=true
expect 1 "does not say exportable: false" "a KEK statement with exportable: true" -- \
	vkna --kek-package "$T/exportable" --world-package "$W"
signed_kek exportable-str exportable='"false"'
expect 1 "does not say exportable: false" "exportable as the string \"false\"" -- \
	vkna --kek-package "$T/exportable-str" --world-package "$W"
signed_kek nohsm generated_in_hsm=
expect 1 "does not say generated_in_hsm: true" "a KEK statement without generated_in_hsm" -- \
	vkna --kek-package "$T/nohsm" --world-package "$W"
signed_kek nokid kid=
expect 1 "has no 'kid' string" "a KEK statement without kid" -- \
	vkna --kek-package "$T/nokid" --world-package "$W"
signed_kek extra revoked=true
expect 1 "unknown field 'revoked'" "a statement field this build does not know" -- \
	vkna --kek-package "$T/extra" --world-package "$W"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null |
	openssl pkey -pubout -outform DER -out "$T/rsa1024.der"
signed_kek rsa1024 public_key="\"$(base64 -w0 "$T/rsa1024.der")\""
expect 1 "its KEK is RSA-1024, under the 2048 bits" "an RSA-1024 KEK" -- \
	vkna --kek-package "$T/rsa1024" --world-package "$W"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
	openssl pkey -pubout -outform DER -out "$T/ec.der"
signed_kek ec public_key="\"$(base64 -w0 "$T/ec.der")\""
expect 1 "its KEK is a EC key, not RSA" "a KEK statement whose public_key is an EC key" -- \
	vkna --kek-package "$T/ec" --world-package "$W"
signed_kek garbage public_key='"bm90IGEga2V5"'
expect 1 "public_key is not a base64 DER SubjectPublicKeyInfo" "a public_key that is no key" -- \
	vkna --kek-package "$T/garbage" --world-package "$W"

# A chain to a different root: same statements, another vendor.
(
	kit_init "$T/other-vendor"
	kit_root "Some Other Root" && kit_device && kit_sign "$T/kit/kek-NA.json" \
		"$T/other-root-kek"
) >/dev/null
expect 1 "does not chain to the pinned vendor root: none of its certificates .* SHA-1 is $KIT_ROOT_HASH" \
	"a chain to a different root" -- vkna --kek-package "$T/other-root-kek" --world-package "$W"
expect 1 "does not chain to the pinned vendor root" \
	"the kit's packages against the real (nShield) pin of the manifest" -- \
	vk --region NA --toolset-dir "$KIT_TOOLSET_DIR"
# An expired device certificate, and one not meant for signing.
# (In subshells with their own KIT_DIR, so the kit's own device certificate stays.)
(
	KIT_DIR=$T/expired; mkdir -p "$KIT_DIR"
	kit_device -1 && kit_sign "$T/kit/kek-NA.json" "$T/expired-kek"
) >/dev/null
expect 1 "certificate has expired \(certificate 'CN=HSM device" "an expired device certificate" -- \
	vkna --kek-package "$T/expired-kek" --world-package "$W"
(
	KIT_DIR=$T/noku; mkdir -p "$KIT_DIR"
	kit_device && printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,keyEncipherment" "subjectKeyIdentifier=hash" \
		"authorityKeyIdentifier=keyid:always" >"$KIT_DIR/device.ext" &&
	openssl x509 -req -in "$KIT_DIR/device.csr" -CA "$KIT_ROOT_CERT" -CAkey "$KIT_ROOT_KEY" \
		-set_serial 99 -days 30 -extfile "$KIT_DIR/device.ext" -out "$KIT_DEVICE_CERT" \
		2>/dev/null && kit_sign "$T/kit/kek-NA.json" "$T/noku-kek"
) >/dev/null
expect 1 "unsuitable certificate purpose|does not qualify .*digitalSignature" \
	"a device certificate without digitalSignature" -- \
	vkna --kek-package "$T/noku-kek" --world-package "$W"
# Weak chains (issue 16): each a whole kit of its own, signed as a weak vendor would.
weak() {	# weak NAME REGEX DESC VAR=VALUE...: a kit built with VAR=VALUE, its packages refused
	local name=$1 regex=$2 desc=$3
	shift 3
	( export "$@"; kit_init "$T/weak-$name" && kit_root && kit_device && kit_world_hash &&
	  kit_kek_soft && kit_packages NA ) >"$T/weak-$name.log" 2>&1 ||
		{ not_ok "$desc: the kit could not be made"; diag "$T/weak-$name.log"; return; }
	local hash
	hash=$(kit_spki_hash "$T/weak-$name/root.crt" sha1)
	expect 1 "$regex" "$desc" -- vk --region NA --toolset-dir "$T/weak-$name/toolset" \
		--root-hash "$hash"
}
weak rsa1024 "does not verify to the pinned vendor root: .*(too weak|key too small)" \
	"a chain under an RSA-1024 root is refused (auth level 2)" KIT_ROOT_BITS=1024
weak md5 "does not verify to the pinned vendor root: .*(too weak|digest|md)" \
	"certificates signed with MD5 are refused" KIT_CERT_MD=md5
weak sha1cert "does not verify to the pinned vendor root: .*(too weak|digest|md)" \
	"certificates signed with SHA-1 are refused" KIT_CERT_MD=sha1
weak sha1cms "signed over a SHA1 digest: p11byok accepts SHA-256, SHA-384 or SHA-512 only" \
	"a package signed over a SHA-1 digest is refused" KIT_CMS_MD=sha1
weak caku "does not qualify .*no key usage of a CA|keyCertSign invalid for non-CA" \
	"a device certificate that may sign certificates is refused" \
	"KIT_DEVICE_EXT=basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyCertSign"
weak nobc "does not qualify .*basicConstraints CA:FALSE|not a signing|purpose" \
	"a device certificate without basicConstraints CA:FALSE is refused" \
	"KIT_DEVICE_EXT=keyUsage=critical,digitalSignature"
weak encipher "does not qualify .*no key usage but signing" \
	"a device certificate that may also encrypt is refused" \
	"KIT_DEVICE_EXT=basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment"
# Signed by the root itself, no device certificate.
openssl cms -sign -binary -nodetach -md sha256 -in "$KIT_DIR/kek-NA.json" \
	-signer "$KIT_ROOT_CERT" -inkey "$KIT_ROOT_KEY" -outform DER -out "$T/root-signed" 2>/dev/null
expect 1 "signed by the root itself|unsuitable certificate purpose .certificate .CN=Test Vendor Root" \
	"a package signed by the root itself" -- \
	vkna --kek-package "$T/root-signed" --world-package "$W"
openssl cms -sign -binary -nodetach -md sha256 -in "$KIT_DIR/kek-NA.json" \
	-signer "$KIT_DEVICE_CERT" -inkey "$KIT_DEVICE_KEY" -signer "$KIT_ROOT_CERT" \
	-inkey "$KIT_ROOT_KEY" -outform DER -out "$T/two-signers" 2>/dev/null
expect 1 "has 2 signers, not one HSM device signature" "a package with two signers" -- \
	vkna --kek-package "$T/two-signers" --world-package "$W"

# --- malformed input and usage: exit 2, one line each ---
head -c 600 /dev/urandom >"$T/random"
printf 'not json' >"$T/notjson.txt"; kit_sign "$T/notjson.txt" "$T/notjson"
printf '["kek"]' >"$T/array.txt"; kit_sign "$T/array.txt" "$T/array"
head -c 1000 "$K" >"$T/truncated"
cp "$K" "$T/trailing"; printf 'x' >>"$T/trailing"
cp "$K" "$T/renamed"
openssl cms -sign -binary -md sha256 -in "$KIT_DIR/kek-NA.json" -signer "$KIT_DEVICE_CERT" \
	-inkey "$KIT_DEVICE_KEY" -certfile "$KIT_ROOT_CERT" -outform DER -out "$T/detached"
while IFS='|' read -r regex desc args; do
	[ -n "$regex" ] || continue
	eval "set -- $args"
	expect 2 "$regex" "$desc" -- vk "$@"
done <<EOF
is not a CMS package|random bytes as the KEK package|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$T/random" --world-package "$W"
is not a CMS package|a truncated package|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$W" --world-package "$T/truncated"
is not canonical DER CMS|a package with a byte appended|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$T/trailing" --world-package "$W"
signed content is not a JSON statement object|signed content that is not JSON|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$T/notjson" --world-package "$W"
does not carry its statement as signed data content|a detached signature|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$T/detached" --world-package "$W"
signed content is not a JSON statement object|a JSON array statement|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$K" --world-package "$T/array"
$T/absent|an unreadable package file|--region NA --root-hash $KIT_ROOT_HASH --kek-package "$T/absent" --world-package "$W"
no KEK package 'BYOK-KEK-pkg-NA-1' in $T|--region with a directory lacking the packages|--region NA --toolset-dir "$T" --root-hash $KIT_ROOT_HASH
has 39 hex digits: a root key hash is 40|a root pin of 39 digits|--region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash ${KIT_ROOT_HASH:1}
has 42 hex digits|a root pin of 42 digits|--region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash ${KIT_ROOT_HASH}ab
has 62 hex digits|a root pin of 62 digits|--region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash ${KIT_ROOT_HASH256:2}
is not hexadecimal|a root pin that is not hex|--region NA --toolset-dir "$KIT_TOOLSET_DIR" --root-hash ${KIT_ROOT_HASH:2}zz
go together|--kek-package without --world-package|--kek-package "$K"
give --kek-package F --world-package F, or --region R|no packages and no region|
cannot tell the region of .*renamed|a renamed KEK package without --region|--kek-package "$T/renamed" --world-package "$W"
unknown region|an unknown region|--region XX --toolset-dir "$KIT_TOOLSET_DIR"
unrecognized option|an unknown option|--region NA --frobnicate
EOF

# --- package --region now takes the verified KEK ---
softhsm_token byok-world 1234
printf '1234\n' >"$T/pin"; chmod 600 "$T/pin"
# The KEK is verified before kmdata or the cards are read: these name none that exist.
pkg() { (cd "$T" && p11 --token pkcs11:token=byok-world --pin-file "$T/pin" --offline off \
	--kmdata "$T/no-kmdata" package --ident k1 --friendly-name k1 --region NA \
	--card "$T/no-card" "$@"); }
run pkg --toolset-dir "$KIT_TOOLSET_DIR" --root-hash "$KIT_ROOT_HASH"
if ! grep -q "not verified by this build" "$T/err" && ! grep -q "KEK package\|world package" "$T/err"
then ok "package --region NA gets past the KEK step with the kit's packages (then: $(head -c 120 "$T/err"))"
else not_ok "package --region KEK step"; diag "$T/err"; fi
mkdir "$T/tampered"
cp "$T/flipped" "$T/tampered/BYOK-KEK-pkg-NA-1"; cp "$W" "$T/tampered/"
expect 1 "the signature does not verify" "package --region refuses a tampered KEK package" -- \
	pkg --toolset-dir "$T/tampered" --root-hash "$KIT_ROOT_HASH"
[ ! -e "$T/KeyTransferPackage-k1.byok" ] && ok "... and writes no .byok" || not_ok "a .byok was written"
expect 2 "--root-hash goes with --region" "package --root-hash without --region" -- \
	p11 package --ident k1 --friendly-name k1 --kek-pem "$KIT_KEK_PEM" --kek-id x \
	--root-hash "$KIT_ROOT_HASH"
done_testing
