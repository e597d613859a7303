#!/bin/bash
# transfer.sh: the proof of the whole flow on SoftHSMv2 (issue 5).  The test vendor kit plays
# the cloud region (its KEK private key lives in a second token, "cloud"); this side runs
# verify-kek, world init 2/3, generate (RSA-2048, RSA-4096, EC P-256, AES-256), modify-acls,
# package with two of the three cards; the cloud token imports every .byok, and each
# imported key is used against the original.  Then the same keys are packaged for a software
# KEK and opened by the OpenSSL command line alone, an implementation that is not ours.
. "$(dirname "$0")/lib.sh"
need openssl jq xxd sha256sum
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
softhsm_setup
. "$top_srcdir/tests/vendor-kit.sh"
kit_init "$T/kit" && kit_build NA || { echo "Bail out! the vendor kit failed"; exit 1; }
CLOUD_LABEL=$KIT_CLOUD_LABEL CLOUD_PIN=$KIT_CLOUD_PIN CLOUD_PIN_FILE=$KIT_CLOUD_PIN_FILE
CLOUD_URI=$KIT_CLOUD_URI TOOLSET=$KIT_TOOLSET_DIR

W=pkcs11:token=byok-world
mkdir -p "$T/kmdata" "$T/cards" "$T/byok"
chmod 700 "$T/kmdata"
printf 'user-pin-1234\n' >"$T/pin"
for i in 1 2 3; do printf 'card %s passphrase\n' "$i" >"$T/pass$i"; done
chmod 600 "$T/pin" "$T/pass"*
wp() { p11 --kmdata "$T/kmdata" --pin-file "$T/pin" "$@"; }
cards12=(--card "$T/cards/card-1-of-3.acs" --card-pass-file "$T/pass1"
	--card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass2")
cards23=(--card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass2"
	--card "$T/cards/card-3-of-3.acs" --card-pass-file "$T/pass3")
PW="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label byok-world --login --pin user-pin-1234"
PC="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label $CLOUD_LABEL --login --pin $CLOUD_PIN"
objects() { $1 -O 2>/dev/null | grep -c 'Object;'; }

# --- step 3.4: the region's packages verify to the kit's root ---
expect 0 "Result: SUCCESS" "verify-kek accepts the region's packages" -- \
	p11 verify-kek --region NA --toolset-dir "$TOOLSET" --root-hash "$KIT_ROOT_HASH"

# --- step 3.2 and 3.5: the world and four keys ---
expect 0 "Result: SUCCESS" "world init 2/3" -- \
	wp world init --acs-quorum 2/3 --cards-dir "$T/cards" --label byok-world \
	--card-pass-file "$T/pass1" --card-pass-file "$T/pass2" --card-pass-file "$T/pass3"
keys="rsa2048:RSA:2048 rsa4096:RSA:4096 ec256:EC:P-256 aes256:AES:256"
# make memcheck: no RSA-4096, a minute of SoftHSMv2's prime search under valgrind that runs no
# more of p11byok than RSA-2048.
[ -z "${P11BYOK_MEMCHECK:-}" ] || keys=${keys/rsa4096:RSA:4096 /}
for k in $keys; do
	IFS=: read -r id type size <<<"$k"
	if [ "$type" = EC ]; then spec="curve=$size"; else spec="size=$size"; fi
	expect 0 "Result: SUCCESS" "generate $type $size" -- wp --token "$W" generate \
		type="$type" "$spec" protect=module ident="$id" plainname="$id" nvram=no pubexp=
done

# A ciphertext by the original AES key, made before its transfer copy (which shares its
# CKA_ID) exists; both receivers below must decrypt it.
head -c 64 /dev/urandom >"$T/plain"
IV=000102030405060708090a0b0c0d0e0f
$PW --encrypt --mechanism AES-CBC --iv $IV --id "$(printf aes256 | xxd -p)" -i "$T/plain" \
	-o "$T/aes.enc" >/dev/null 2>&1
assert "the original AES key encrypts" test -s "$T/aes.enc"

# --- step 4.1: modify-acls (the copy; no cards, no trust) ---
for k in $keys; do
	id=${k%%:*}
	expect 0 "Result: SUCCESS" "modify-acls $id" -- wp --token "$W" \
		modify-acls --ident "$id" --region NA --toolset-dir "$TOOLSET" \
		--root-hash "$KIT_ROOT_HASH"
done
# No trust rests on the token between the steps: the world key is its one trusted object.
if [ -x "${P11_PROBE:-}" ]; then
	run "$P11_PROBE" "$SOFTHSM2_MODULE" byok-world "$T/pin" wrap-trusted aes256
	grep -q "^trusted=0$" "$T/out" && ok "after modify-acls no trusted object but the world key" ||
		{ not_ok "trusted objects after modify-acls"; diag "$T/out" "$T/err"; }
	# The user cannot take a copy out under the world key (to unwrap it back as a usable
	# key): the world key's wrap template refuses what is not modifiable.
	run "$P11_PROBE" "$SOFTHSM2_MODULE" byok-world "$T/pin" wrap-copy rsa2048
	grep -q "wrap-copy=CKR_KEY_NOT_WRAPPABLE" "$T/out" &&
		ok "a transfer copy cannot be wrapped under the world key" ||
		{ not_ok "a transfer copy cannot be wrapped under the world key"; diag "$T/out" "$T/err"; }
else
	skip "tests/p11-probe not built"
	skip "tests/p11-probe not built"
fi

# --- step 4.2: package with cards 1 and 2; no trust outlives it ---
for k in $keys; do
	id=${k%%:*}
	expect 0 "Result: SUCCESS" "package $id with cards 1 and 2" -- wp --token "$W" package \
		--ident "$id" --region NA --toolset-dir "$TOOLSET" --root-hash "$KIT_ROOT_HASH" \
		--friendly-name "$id" -o "$T/byok/KeyTransferPackage-$id.byok" "${cards12[@]}"
done
# An AES key goes to a Managed HSM (Key Vault takes RSA and EC only); az appends -HSM to
# --kty itself.
if grep -q "az keyvault key import --hsm-name HSM --name aes256 --byok-file .* --kty oct$" \
	"$T/out"; then ok "package prints the az upload line"; else not_ok "az line"; diag "$T/out"; fi
if $PW -O 2>/dev/null | grep -qE 'byok-transfer-|byok-kek-'; then
	not_ok "a KEK or transfer key outlived package"
else ok "no KEK or transfer key outlives package"; fi
run stat -c %a "$T/byok/KeyTransferPackage-rsa2048.byok"
if [ "$(cat "$T/out")" = 600 ]; then ok ".byok mode 0600"; else not_ok ".byok mode $(cat "$T/out")"; fi

# --- step 5 stand-in: the cloud token imports each .byok ---
imp() { "$P11BYOK" --module "$SOFTHSM2_MODULE" --kmdata "$T/cloudkm" --pin-file "$CLOUD_PIN_FILE" \
	import "$@"; }
mkdir -p "$T/cloudkm"
keyid() { sed -n 's/^Key id: *//p' "$T/out"; }
printf 'signed on the cloud side' >"$T/msg"
openssl dgst -sha256 -binary "$T/msg" >"$T/digest"
# pub ID: the original public key, read from the world token by pkcs11-tool.
pub() {
	$PW --read-object --type pubkey --label "$1" -o "$T/$1.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$T/$1.der" -out "$T/$1.pub"
}
for k in ${keys/aes256:AES:256/}; do
	id=${k%%:*}
	pub "$id"
	fpr=$(openssl pkey -pubin -in "$T/$id.pub" -outform DER | sha256sum | cut -d' ' -f1)
	# SoftHSMv2 keeps no public point on an unwrapped EC key: its signature is the proof.
	case $id in
	rsa*) want="Public key SHA-256: $fpr" ;;
	ec*) want="Key type: +EC private key" ;;
	esac
	expect 0 "$want" "import $id on the cloud token" -- \
		imp "$T/byok/KeyTransferPackage-$id.byok" --unwrap-key "$CLOUD_URI"
	kid=$(keyid)
	case $id in
	rsa*)	$PC --sign --mechanism SHA256-RSA-PKCS --id "$kid" -i "$T/msg" -o "$T/sig" \
			>/dev/null 2>&1
		assert "a signature by the imported $id verifies with the original public key" \
			openssl dgst -sha256 -verify "$T/$id.pub" -signature "$T/sig" "$T/msg" ;;
	ec*)	$PC --sign --mechanism ECDSA --signature-format openssl --id "$kid" \
			-i "$T/digest" -o "$T/sig" >/dev/null 2>&1
		assert "a signature by the imported $id verifies with the original public key" \
			openssl pkeyutl -verify -pubin -inkey "$T/$id.pub" -in "$T/digest" \
			-sigfile "$T/sig" ;;
	esac
done
expect 0 "Key type: +AES secret key" "import aes256 on the cloud token" -- \
	imp "$T/byok/KeyTransferPackage-aes256.byok" --unwrap-key "$CLOUD_URI"
kid=$(keyid)
$PC --decrypt --mechanism AES-CBC --iv $IV --id "$kid" -i "$T/aes.enc" -o "$T/dec" >/dev/null 2>&1
assert "AES: encrypted by the original, decrypted by the imported key" cmp -s "$T/plain" "$T/dec"

# --- the same keys for a software KEK, opened by the OpenSSL command line alone ---
kit_kek_soft || { echo "Bail out! the vendor kit's software KEK failed"; exit 1; }
SOFT_PEM=$KIT_KEK_PEM SOFT_KEY=$KIT_KEK_PRIV_PEM SOFT_ID=$KIT_KEK_ID
for k in $keys; do
	IFS=: read -r id type size <<<"$k"
	expect 0 "Result: SUCCESS" "modify-acls $id for a Key Vault PEM" -- \
		wp --token "$W" modify-acls --ident "$id" --kek-pem "$SOFT_PEM" \
		--kek-id "$SOFT_ID"
	f="$T/byok/soft-$id.byok"
	expect 0 "Result: SUCCESS" "package $id for the PEM KEK, cards 2 and 3" -- wp --token "$W" \
		package --ident "$id" --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" \
		--friendly-name "soft-$id" -o "$f" "${cards23[@]}"
	case $type in RSA) kty=RSA curve= ;; EC) kty=EC curve=$size ;; *) kty=oct curve= ;; esac
	if why=$(upload_ok "$T/out" "$kty" "$curve"); then
		ok "the upload lines for $id are ones az and Add-AzKeyVaultKey take"
	else not_ok "upload lines for $id: $why"; grep -E 'az keyvault|Add-Az' "$T/out" | diag /dev/stdin; fi
	if [ "$type" != AES ]; then
		fp=$(openssl pkey -pubin -in "$T/$id.pub" -outform DER | sha256sum | cut -d' ' -f1)
		assert "the holders are told what they approve: $id, its public key, the KEK" \
			grep -q "^Approving: *key '$id' (.*public key SHA-256 $fp) to KEK $SOFT_ID .*NOT attested) into $f$" "$T/out"
	fi
	byok_open "$f" "$SOFT_KEY" "$T/key" 2>"$T/err"
	if [ "$type" = AES ]; then
		openssl enc -d -aes-256-cbc -nopad -K "$(xxd -p -c 64 "$T/key")" -iv $IV \
			-in "$T/aes.enc" -out "$T/dec" 2>/dev/null
		assert "openssl opens $id: the raw key decrypts what the token encrypted" \
			cmp -s "$T/plain" "$T/dec"
		continue
	fi
	der_trim "$T/key" "$T/key.der"
	openssl pkey -inform DER -in "$T/key.der" -pubout -out "$T/rec.pub" 2>>"$T/err"
	if cmp -s <(openssl pkey -pubin -in "$T/rec.pub" -outform DER) \
		<(openssl pkey -pubin -in "$T/$id.pub" -outform DER); then
		ok "openssl opens $id: the recovered key's public half is the original's"
	else not_ok "openssl could not open $id"; diag "$T/err"; fi
done

# --- the five other key types, opened by the OpenSSL command line alone ---
# With the four above: RSA 2048/3072/4096, EC P-256/384/521, AES 128/192/256, on each module's
# own path.  An AES key is shown by a ciphertext the token made with it before its copy.
more="rsa3072:RSA:3072 ec384:EC:P-384 ec521:EC:P-521 aes128:AES:128 aes192:AES:192"
[ -z "${P11BYOK_MEMCHECK:-}${P11BYOK_SANITIZED:-}" ] || more="ec521:EC:P-521 aes128:AES:128"
for k in $more; do
	IFS=: read -r id type size <<<"$k"
	if [ "$type" = EC ]; then spec="curve=$size"; else spec="size=$size"; fi
	run wp --token "$W" generate type="$type" "$spec" ident="$id"
	[ "$type" != AES ] || $PW --encrypt --mechanism AES-CBC --iv $IV \
		--id "$(printf '%s' "$id" | xxd -p)" -i "$T/plain" -o "$T/$id.enc" >/dev/null 2>&1
	run wp --token "$W" modify-acls --ident "$id" --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID"
	f="$T/byok/soft-$id.byok"
	run wp --token "$W" package --ident "$id" --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" \
		--friendly-name "soft-$id" -o "$f" "${cards23[@]}"
	[ "$rc" -eq 0 ] || { not_ok "$id: generate, modify-acls and package"; diag "$T/err"; continue; }
	byok_open "$f" "$SOFT_KEY" "$T/key" 2>"$T/err"
	if [ "$type" = AES ]; then
		openssl enc -d -aes-$size-cbc -nopad -K "$(xxd -p -c 64 "$T/key")" -iv $IV \
			-in "$T/$id.enc" -out "$T/dec" 2>/dev/null
		assert "openssl opens $id: the raw $size-bit key decrypts what the token encrypted" \
			cmp -s "$T/plain" "$T/dec"
		continue
	fi
	# The public half the token gave at generation (pkcs11-tool 0.23 cannot read a P-384 one).
	want=$(jq -r --arg id "$id" 'select(.command == "generate" and .ident == $id) |
		.public_key_sha256' "$T/kmdata/audit.log")
	der_trim "$T/key" "$T/key.der"
	have=$(openssl pkey -inform DER -in "$T/key.der" -pubout -outform DER 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	if [ -n "$want" ] && [ "$have" = "$want" ]; then
		ok "openssl opens $id: the recovered key's public half is the one generate recorded"
	else not_ok "openssl could not open $id ($have, want $want)"; diag "$T/err"; fi
done

# --- refusals that must leave the token as it was ---
before=$(objects "$PW")
expect 2 "1 card given, but this world needs 2 of its 3 cards" "package with one card is refused" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" \
	--friendly-name one -o "$T/byok/one.byok" \
	--card "$T/cards/card-1-of-3.acs" --card-pass-file "$T/pass1"
expect 2 "quorum approves each transfer: give --card" "package without cards is refused" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" \
	--friendly-name none -o "$T/byok/none.byok"
expect 2 "modify-acls takes no cards" "modify-acls refuses cards: it gives no trust" -- \
	wp --token "$W" modify-acls --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" "${cards12[@]}"
expect 2 "no record|generate it" "modify-acls of an ident never generated" -- \
	wp --token "$W" modify-acls --ident nosuch --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID"
sum_before=$(sha256sum <"$T/byok/soft-rsa2048.byok")
expect 0 "Already: +packaged before: .*soft-rsa2048.byok is the .byok its audit line lists" \
	"package run again over its own .byok says so, wrapping nothing" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name x -o "$T/byok/soft-rsa2048.byok" "${cards12[@]}"
assert "... and leaves the file as it was" test "$(sha256sum <"$T/byok/soft-rsa2048.byok")" = "$sum_before"
cp "$T/byok/soft-ec256.byok" "$T/byok/other-key.byok"
expect 2 "other-key.byok exists, but .*|other-key.byok exists but" \
	"package refuses to overwrite a .byok that is not this key's" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name x -o "$T/byok/other-key.byok" "${cards12[@]}"
printf 'not a byok\n' >"$T/byok/junk.byok"
expect 2 "junk.byok" "package refuses to overwrite a file that is no .byok" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name x -o "$T/byok/junk.byok" "${cards12[@]}"
assert "... and leaves it" test "$(cat "$T/byok/junk.byok")" = "not a byok"
rm -f "$T/byok/other-key.byok" "$T/byok/junk.byok"
expect 2 "--friendly-name 'a/b'" "a friendly name with a path separator" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name a/b "${cards12[@]}"
expect 2 "--subscription-id 'nope' is not a GUID" "a subscription id that is not a GUID" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name y --subscription-id nope "${cards12[@]}"
expect 2 "prepared by modify-acls for another KEK" "package for a KEK modify-acls was not run for" -- \
	wp --token "$W" package --ident rsa2048 --region NA --toolset-dir "$TOOLSET" \
	--root-hash "$KIT_ROOT_HASH" --friendly-name other -o "$T/byok/other.byok" "${cards12[@]}"
after=$(objects "$PW")
if [ "$before" = "$after" ] && [ ! -e "$T/byok/one.byok" ] && [ ! -e "$T/byok/none.byok" ] &&
	[ ! -e "$T/byok/other.byok" ]; then
	ok "refusals left the token and the output dir as they were"
else not_ok "refusals changed something ($before -> $after objects)"; fi
# Each package is its own approval: the same key again, with the quorum, is a new .byok.
expect 0 "Result: SUCCESS" "a second package of a key, approved again by the quorum" -- \
	wp --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" \
	--friendly-name again -o "$T/byok/again.byok" "${cards23[@]}"
wrap=composed; onecall && wrap=CKM_RSA_AES_KEY_WRAP
assert "the package line records the wrap ($wrap) and its known-answer check: correct" \
	test "$(jq -r 'select(.command == "package") | .wrap + " " + .wrap_check.oaep_hash + " " +
	(.wrap_check.aes_bits | tostring) + " " + .wrap_check.result' "$T/kmdata/audit.log" |
	tail -n 1)" = "$wrap SHA-1 256 correct"

# What the security officer makes for one transfer, from the module's call log: the KEK as a
# session object, and on the composed path only the single-use transfer key (C_GenerateKey
# between the second C_Login, the SO's, and its C_Logout).
rm -f "$T/so.calls"
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_LOG=$T/so.calls run "$P11BYOK" --module \
	"$FAULTY_MODULE" --regions "$REGIONS" --kmdata "$T/kmdata" --pin-file "$T/pin" --token "$W" \
	package --ident rsa2048 --kek-pem "$SOFT_PEM" --kek-id "$SOFT_ID" --friendly-name logged \
	-o "$T/byok/logged.byok" "${cards23[@]}"
so_gen=$(awk '/ C_Login$/ { n++ } n == 2 && / C_GenerateKey$/ { g++ }
	n == 2 && / C_Logout$/ { exit } END { print g + 0 }' "$T/so.calls")
want=1; onecall && want=0
[ "$rc" -eq 0 ] && [ "$so_gen" -eq "$want" ] &&
	ok "the security officer makes $want transfer key for a $wrap wrap" ||
	{ not_ok "transfer keys the SO made: $so_gen, want $want (exit $rc)"; diag "$T/err"; }

# --- a module whose wrap comes out corrupt (one byte flipped by tests/faulty-pkcs11.so) ---
# The known-answer check opens its throwaway wrap and refuses before the cards are asked:
# no file, no package line, no object left.
before=$(objects "$PW")
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_FLIP_WRAP=1 expect 1 \
	"fails the known-answer check of .* with OAEP SHA-1 and AES-256 \(wrong output: .*\): a file made so would be refused by the cloud" \
	"a wrap that comes out corrupt fails the known-answer check" -- \
	"$P11BYOK" --module "$FAULTY_MODULE" --regions "$REGIONS" --kmdata "$T/kmdata" \
	--pin-file "$T/pin" --token "$W" package --ident rsa2048 --kek-pem "$SOFT_PEM" \
	--kek-id "$SOFT_ID" --friendly-name flipped -o "$T/byok/flipped.byok" "${cards23[@]}"
if [ ! -e "$T/byok/flipped.byok" ] && [ "$(objects "$PW")" = "$before" ] &&
	! grep -q '^Quorum:' "$T/out" && [ "$(jq -r 'select(.command == "package") | .result' \
	"$T/kmdata/audit.log" | tail -n 1)" = FAILURE ]; then
	ok "... before the quorum: no file, no object, a FAILURE line"
else not_ok "after the failed check: $(ls "$T/byok"), $before -> $(objects "$PW") objects"
	diag "$T/out"; fi

# A rerun of modify-acls for another KEK whose audit line cannot be written puts the record
# back as it was (tests/killpoint.so fails the audit log's open with EIO).
cp "$T/kmdata/key_xferacld_rsa2048" "$T/xferacld.bak"
LD_PRELOAD=$KILLPOINT_LIB KILLPOINT=append:audit.log:1 KILLPOINT_FAIL=1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	run wp --token "$W" modify-acls --ident rsa2048 --region NA --toolset-dir "$TOOLSET" \
	--root-hash "$KIT_ROOT_HASH"
if [ "$rc" -ne 0 ] && cmp -s "$T/xferacld.bak" "$T/kmdata/key_xferacld_rsa2048"; then
	ok "modify-acls whose audit line fails leaves the record it would have replaced"
else not_ok "record after a failed audit line (exit $rc)"; diag "$T/err"; fi
expect 2 "key 'rsa2048' was packaged \(the audit log has its package line\)" \
	"discard refuses a key that was packaged" -- wp --token "$W" discard rsa2048 --yes
expect 0 "intact" "the audit log of the whole flow verifies" -- \
	"$P11BYOK" --kmdata "$T/kmdata" audit verify
if grep -q '"command":"modify-acls"' "$T/kmdata/audit.log" &&
	grep -q '"command":"package".*"cards":\[2,3\]' "$T/kmdata/audit.log" &&
	grep -q '"command":"package"' "$T/kmdata/audit.log" &&
	! grep -qE 'user-pin-1234|card [0-9] passphrase' "$T/kmdata/audit.log"; then
	ok "the audit log records modify-acls, and package with the cards that approved it, and no secret"
else not_ok "audit content"; fi
done_testing
