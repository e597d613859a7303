#!/bin/bash
# faults.sh: every PKCS#11 call of import fails in turn (tests/faulty-pkcs11.so in front of
# SoftHSMv2, tests/faults-lib.sh): each run exits 1 or 3 naming the failed operation, leaves
# no partial file and no stray object on the token, and import then succeeds without faults.
# The admin commands have their sweep in tests/faults-admin.sh.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/faults-lib.sh"
need openssl jq xxd
faults_setup
softhsm_token cloud 1234
printf '1234\n' >"$T/pin"; chmod 600 "$T/pin"
P11="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label cloud --login --pin 1234"
$P11 --keypairgen --key-type rsa:2048 --label kek --id 01 --usage-decrypt --usage-wrap >/dev/null 2>&1
$P11 --read-object --type pubkey --label kek -o "$T/kek.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$T/kek.der" -out "$T/kek.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem"
openssl pkcs8 -topk8 -nocrypt -outform DER -in "$T/ec.pem" -out "$T/ec.p8"
openssl rand 32 >"$T/aes.bin"
openssl pkeyutl -encrypt -pubin -inkey "$T/kek.pem" -pkeyopt rsa_padding_mode:oaep \
	-pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1 -in "$T/aes.bin" -out "$T/oaep.bin"
openssl enc -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$T/aes.bin")" -iv A65959A6 \
	-in "$T/ec.p8" -out "$T/kwp.bin"
printf '{"schema_version":"1.0.0","header":{"kid":"kek","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"%s"}' \
	"$(cat "$T/oaep.bin" "$T/kwp.bin" | base64 -w0 | tr '+/' '-_' | tr -d '=')" >"$T/KeyTransferPackage-ec.byok"
mkdir "$T/kmdata"

FAULT_DIRS=kmdata
import_run() {
	"$P11BYOK" --module "$FAULTY_MODULE" --pin-file "$T/pin" --kmdata "$T/kmdata" import \
		"$T/KeyTransferPackage-ec.byok" --unwrap-key 'pkcs11:token=cloud;object=kek' \
		</dev/null
}
fault_snapshot start
import_reset() { fault_restore start; }
fault_count import || { echo "Bail out! import fails without faults"; exit 1; }
import_reset; files=$(tree_state kmdata); before=$(objects cloud 1234)
import_after() {
	if [ "$fault_rc" -eq 0 ]; then
		grep -q 'Result: SUCCESS' "$T/out" || fault_bad "no Result: SUCCESS"
		return
	fi
	[ "$(tree_state kmdata)" = "$files" ] || fault_bad "kmdata changed"
	[ "$(objects cloud 1234)" = "$before" ] || fault_bad "the token's objects changed"
	import_run >"$T/rerun" 2>&1 ||
		fault_bad "import failed again: $(grep -m1 '^p11byok' "$T/rerun")"
}
# Import is quick: every code at every position.
fault_sweep import 1
done_testing
