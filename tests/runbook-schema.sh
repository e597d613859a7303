#!/bin/bash
# runbook-schema.sh: the runbook (and --config) schema is checked before anything runs; each
# bad input is one row: the file, its exit code, and the file:line:column message.
. "$(dirname "$0")/lib.sh"

good='module: /usr/lib/softhsm/libsofthsm2.so
token: pkcs11:token=byok-world
kmdata: kmdata
region: EU
offline: warn
pin_file: user.pin
cards:
  - file: card-1-of-3.acs
    pass_file: pass-1
  - file: card-2-of-3.acs
    pass_file: pass-2
keys:
  - ident: contosokey
    plainname: contosokey
    type: RSA
    size: 2048
    friendly_name: ContosoFirstHSMkey
    subscription_id: 0b1f6471-1bf0-4dda-aec3-cb9272f09590
  - ident: ec-key
    type: EC
    curve: P-256
    friendly_name: ContosoEC'
printf '%s\n' "$good" >"$T/good.yaml"
expect 0 "United States" "a good runbook loads as --config" -- \
	"$P11BYOK" --config "$T/good.yaml" --regions "$REGIONS" regions NA

# row EXIT REGEX DESC SED-SCRIPT: the good runbook edited by SED-SCRIPT must fail so, as
# --config and as `run`'s runbook (which must refuse it before making anything).
row() {
	printf '%s\n' "$good" | sed "$4" >"$T/bad.yaml"
	expect "$1" "$2" "$3" -- "$P11BYOK" --config "$T/bad.yaml" --regions "$REGIONS" regions NA
	expect "$1" "$2" "run: $3" -- "$P11BYOK" --regions "$REGIONS" run "$T/bad.yaml"
}
row 2 "bad.yaml:4:1: unknown field 'regoin' in the runbook.*known fields" "misspelled top field" 's/^region:/regoin:/'
row 2 "bad.yaml:1:1: unknown field 'Module' in the runbook: did you mean 'module'" "wrong case" 's/^module:/Module:/'
row 2 "bad.yaml:16:5: unknown field 'sise' in the key entry" "misspelled key field" 's/^    size: 2048/    sise: 2048/'
row 2 "bad.yaml:1:1: the runbook holds a secret inline \('pin'\)" "inline PIN" '1i pin: 1234'
row 2 "bad.yaml:9:5: the card entry holds a secret inline \('passphrase'\)" "inline passphrase" 's/^    pass_file: pass-1/    passphrase: hunter2/'
row 2 "bad.yaml:2:8: the token URI holds a pin-value" "pin-value in the token URI" 's/^token: .*/token: "pkcs11:token=w?pin-value=1234"/'
row 2 "bad.yaml:5:10: offline must be require, warn or off, not 'maybe'" "bad offline policy" 's/^offline: warn/offline: maybe/'
row 2 "bad.yaml:12:[0-9]+: field 'keys' in the runbook must be a list" "keys not a list" '12,$c keys: contosokey'
row 2 "bad.yaml:13:12: ident 'Contoso_Key' must be 1 to 64 digits" "bad ident" 's/ident: contosokey/ident: Contoso_Key/'
row 2 "bad.yaml:16:11: RSA size '1024' is not supported: use 2048, 3072 or 4096" "RSA-1024" 's/size: 2048/size: 1024/'
row 2 "bad.yaml:21:12: curve 'P-192' is not supported" "bad curve" 's/curve: P-256/curve: P-192/'
row 2 "bad.yaml:20:11: key type 'DSA' is not supported: use RSA, EC or AES" "bad type" 's/type: EC/type: DSA/'
row 2 "bad.yaml:17:20: friendly_name 'Contoso/First' must be 1 to 127 letters" "friendly name with a slash" 's|friendly_name: ContosoFirstHSMkey|friendly_name: Contoso/First|'
row 2 "bad.yaml:18:22: subscription_id 'not-a-guid' is not a GUID" "bad GUID" 's/subscription_id: .*/subscription_id: not-a-guid/'
row 2 "bad.yaml:19:5: duplicate ident 'contosokey' \(line 13 has it too\)" "duplicate ident" 's/ident: ec-key/ident: contosokey/'
row 2 "bad.yaml:19:5: duplicate friendly_name 'contosofirsthsmkey' \(line 13" "duplicate friendly name, any case" 's/friendly_name: ContosoEC/friendly_name: contosofirsthsmkey/'
row 2 "bad.yaml:12:5: key 'contosokey' has no KEK: set region" "no KEK source" '/^region:/d'
row 2 "bad.yaml:5:10: give region .* or kek_pem and kek_id .*not both" "region and kek_pem" '4a kek_pem: kek.pem\nkek_id: https://v/keys/k/1'
row 2 "bad.yaml:[0-9]+:[0-9]+: kek_pem and kek_id go together" "kek_pem without kek_id" '$a \    kek_pem: kek.pem'
row 2 "bad.yaml:10:11: card .*card-1-of-3.acs is listed twice" "the same card twice" 's/card-2-of-3/card-1-of-3/'
row 2 "bad.yaml:16:11: field 'size' in the key entry must be a single value" "size as a list" 's/size: 2048/size: [2048]/'
row 2 "bad.yaml:8:[0-9]+: malformed YAML" "malformed YAML" 's/^cards:/cards: [/'
row 2 "bad.yaml:4:9: field 'region' is empty" "empty field" 's/^region: EU/region: ""/'
expect 2 "cannot open runbook $T/none.yaml" "missing runbook" -- "$P11BYOK" --config "$T/none.yaml" regions
expect 2 "cannot open runbook $T/none.yaml" "run: missing runbook" -- "$P11BYOK" run "$T/none.yaml"
printf '%s\n' "$good" | sed '/^keys:/,$d' >"$T/nokeys.yaml"
expect 2 "nokeys.yaml lists no keys: add a keys: list" "run: a runbook without keys" -- \
	"$P11BYOK" run "$T/nokeys.yaml"
expect 2 "give exactly one runbook file" "run: no runbook" -- "$P11BYOK" run
[ "$(ls -A "$T" | grep -cv '^\(bad\|good\|nokeys\)\.yaml$\|^out$\|^err$')" -eq 0 ] &&
	ok "refused runs made nothing (no kmdata, no output dir)" ||
	{ not_ok "refused runs made nothing"; ls -A "$T" | diag; }
done_testing
