#!/bin/bash
# faults.sh: every PKCS#11 call of a command fails in turn (tests/faulty-pkcs11.so in front of
# SoftHSMv2): each run exits non-zero naming the failed operation, leaves no partial file and
# no stray object on the token, and the command then succeeds without faults.
. "$(dirname "$0")/lib.sh"
need openssl jq xxd
softhsm_setup
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
[ -f "$FAULTY_MODULE" ] || skip_all "tests/faulty-pkcs11.so not built"
export P11FAULT_MODULE=$SOFTHSM2_MODULE
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
objects() { $P11 -O 2>/dev/null | grep -c 'Object;'; }
mkdir "$T/kmdata"
imp() { "$P11BYOK" --module "$FAULTY_MODULE" --pin-file "$T/pin" --kmdata "$T/kmdata" import \
	"$T/KeyTransferPackage-ec.byok" --unwrap-key 'pkcs11:token=cloud;object=kek'; }

# One clean run through the faulty module, to count the calls.
before=$(objects)
P11FAULT_LOG=$T/calls.log imp >"$T/out" 2>&1 || { not_ok "import without faults"; diag "$T/out"; }
total=$(wc -l <"$T/calls.log")
ok "import makes $total PKCS#11 calls"
$P11 --delete-object --type privkey --label ec >/dev/null 2>&1
rm -f "$T/kmdata"/*

bad=
# make memcheck: one error code; the others take the same paths and would triple the runs.
rvs="CKR_DEVICE_ERROR CKR_SESSION_HANDLE_INVALID CKR_DEVICE_REMOVED"
[ -z "${P11BYOK_MEMCHECK:-}" ] || rvs=CKR_DEVICE_ERROR
for rv in $rvs; do
	for i in $(seq 1 "$total"); do
		call=$(sed -n "${i}p" "$T/calls.log" | cut -d' ' -f2)
		P11FAULT_AT=$i P11FAULT_RV=$rv imp >"$T/out" 2>&1
		rc=$?
		case $call in
		C_Logout|C_CloseSession|C_Finalize)
			# After the work: the key is in, the failure is a warning.
			if [ $rc -ne 0 ] || ! grep -q "warning: $call .*failed" "$T/out"; then
				bad="$bad $rv@$i($call: exit $rc, no warning)"
			fi
			$P11 --delete-object --type privkey --label ec >/dev/null 2>&1 ;;
		*)
			if [ $rc -eq 0 ]; then
				bad="$bad $rv@$i($call: exit 0)"
			elif ! grep -q "$(echo "$rv" | sed 's/CKR_//')\|$call\|$rv" "$T/out"; then
				bad="$bad $rv@$i($call: message does not name the failure)"
			fi ;;
		esac
		now=$(objects)
		if [ "$now" != "$before" ]; then
			bad="$bad $rv@$i($call: $before objects became $now)"
			$P11 --delete-object --type privkey --label ec >/dev/null 2>&1
		fi
		if ls "$T/kmdata" | grep -q 'tmp'; then bad="$bad $rv@$i($call: temp file left)"; fi
		rm -f "$T/kmdata"/*
	done
done
if [ -z "$bad" ]; then ok "import: every call position fails cleanly, $(echo $rvs | wc -w) error code(s)"
else not_ok "import under faults:$bad"; fi
expect 0 "Result: SUCCESS" "import succeeds again without faults" -- imp
done_testing
