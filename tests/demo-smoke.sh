#!/bin/bash
# demo-smoke.sh: the demo runs to its end and shows what it promises.
. "$(dirname "$0")/lib.sh"
softhsm_setup
wrapped="Wrapped with: +CKM_RSA_PKCS_OAEP"
onecall && wrapped="Wrapped with: +CKM_RSA_AES_KEY_WRAP"
run bash "$top_srcdir/tests/demo.sh"
if [ "$rc" -eq 0 ] && grep -q "Demo complete." "$T/out"; then ok "the demo runs to its end"
else not_ok "the demo runs to its end (exit $rc)"; diag "$T/err" "$T/out"; fi
for want in "User login: *ok" "KeyVault-BYOK-Tools-Switzerland.zip" "Region: *Demoland \(DEMO\)" \
	"Result: SUCCESS" "Result: FAILURE" "exit 1, as it should be" \
	"Device certificate: *CN=HSM device" "KEK id \(kid\): *https://" \
	"Quorum: +2 of 3 cards" "$wrapped" "Key type: +RSA private key" \
	"Chain: +intact" "contoso-aes +AES-256 +generate, modify-acls, package" \
	"\[3/3\] contoso-aes .*key generated, transfer copy made, package written" \
	"Keys: +3 \(0 generated or recovered now\); packages: 0 written, 3 already there" \
	"Key type: +EC private key"; do
	if grep -Eq "$want" "$T/out"; then ok "the demo shows /$want/"
	else not_ok "the demo shows /$want/"; fi
done
done_testing
