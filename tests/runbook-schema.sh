#!/bin/bash
# runbook-schema.sh: the runbook (and --config) schema is checked before anything runs; each
# bad input is one row: the file, its exit code, and the file:line:column message.
. "$(dirname "$0")/lib.sh"

good='module: softhsm/libsofthsm2.so
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
    friendly_name: ContosoEC
toolset_dir: toolset'
# The runbook's directory holds what its relative paths name, so `run` gets past the checks
# of the disk to the one a row is about (the module and packages need only exist).
mkdir -p "$T/kmdata" "$T/softhsm" "$T/toolset"
: >"$T/softhsm/libsofthsm2.so"
for f in user.pin pass-1 pass-2; do printf 'x\n' >"$T/$f"; done
# Cards of a 2-of-3 world (the fuzz corpus's): run parses them before anything runs.
for i in 1 2; do cp "$top_srcdir/tests/fuzz/corpus/card/card-1-of-3.acs" "$T/card-$i-of-3.acs"; done
for f in $(sed -n 's/^\(kek\|world\)_package: *//p' "$REGIONS/02-europe.yaml"); do
	: >"$T/toolset/$f"
done
# listing: what $T holds besides the runbooks and the output of the last command.
listing() { (cd "$T" && find . ! -name '*.yaml' ! -name out ! -name err | LC_ALL=C sort); }
printf 'not a key\n' >"$T/notpem.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
	openssl pkey -pubout -out "$T/ec-kek.pem" 2>/dev/null
before=$(listing)
printf '%s\n' "$good" >"$T/good.yaml"
expect 0 "United States" "a good runbook loads as --config" -- \
	"$P11BYOK" --config "$T/good.yaml" --regions "$REGIONS" regions NA
expect 2 "no world in $T/kmdata: run 'p11byok world init'" \
	"run: a good runbook passes every check, stopping only at the world not made yet" -- \
	"$P11BYOK" --regions "$REGIONS" run "$T/good.yaml"

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
row 2 "bad.yaml:[0-9]+:[0-9]+: curve is for EC keys, not RSA: leave it out" "a curve on an RSA key, in the runbook's words" 's/    size: 2048/    size: 2048\n    curve: P-256/'
row 2 "bad.yaml:[0-9]+:[0-9]+: EC keys need a curve: P-256, P-384 or P-521" "an EC key without its curve" '/    curve: P-256/d'
row 2 "bad.yaml:20:11: key type 'DSA' is not supported: use RSA, EC or AES" "bad type" 's/type: EC/type: DSA/'
row 2 "bad.yaml:17:20: friendly_name 'Contoso/First' must be 1 to 127 letters" "friendly name with a slash" 's|friendly_name: ContosoFirstHSMkey|friendly_name: Contoso/First|'
row 2 "bad.yaml:18:22: subscription_id 'not-a-guid' is not a GUID" "bad GUID" 's/subscription_id: .*/subscription_id: not-a-guid/'
row 2 "bad.yaml:19:5: duplicate ident 'contosokey' \(line 13 has it too\)" "duplicate ident" 's/ident: ec-key/ident: contosokey/'
row 2 "bad.yaml:19:5: duplicate friendly_name 'contosofirsthsmkey' \(line 13" "duplicate friendly name, any case" 's/friendly_name: ContosoEC/friendly_name: contosofirsthsmkey/'
row 2 "bad.yaml:12:5: key 'contosokey' has no KEK: set region" "no KEK source" '/^region:/d'
row 2 "bad.yaml:5:10: give region .* or kek_pem and kek_id .*not both" "region and kek_pem" '4a kek_pem: kek.pem\nkek_id: https://v/keys/k/1'
row 2 "bad.yaml:[0-9]+:[0-9]+: kek_pem and kek_id go together" "kek_pem without kek_id" '/friendly_name: ContosoEC/a \    kek_pem: kek.pem'
row 2 "bad.yaml:[0-9]+:13: vault_name 'v' is not a Key Vault name: 3 to 24 letters" "a vault_name Azure would refuse" '4a vault_name: v'
row 2 "bad.yaml:[0-9]+:[0-9]+: hsm_name 'my--hsm' is not a Managed HSM name" "an hsm_name with two dashes together" '/friendly_name: ContosoEC/a \    hsm_name: my--hsm'
row 2 "bad.yaml:[0-9]+:11: give vault_name \(Key Vault\) or hsm_name \(Managed HSM\), not both" "vault_name and hsm_name" '4a vault_name: contoso-kv\nhsm_name: contoso-hsm'
row 2 "bad.yaml:10:11: card .*card-1-of-3.acs is listed twice" "the same card twice" 's/card-2-of-3/card-1-of-3/'
row 2 "bad.yaml:16:11: field 'size' in the key entry must be a single value" "size as a list" 's/size: 2048/size: [2048]/'
row 2 "bad.yaml:8:[0-9]+: malformed YAML" "malformed YAML" 's/^cards:/cards: [/'
row 2 "bad.yaml:4:9: field 'region' is empty: give a value" "empty field" 's/^region: EU/region: ""/'

# YAML's null (nothing, ~, null) is never a value: no crash, no silent default, no text "~".
row 2 "bad.yaml:4:9: field 'region' is empty \(YAML reads it as null\): give a value or leave the field out" "region: ~" 's/^region: EU/region: ~/'
row 2 "bad.yaml:4:8: field 'region' is empty: give a value or leave the field out" "region: with nothing" 's/^region: EU/region:/'
row 2 "bad.yaml:4:9: field 'region' is empty \(YAML reads it as null\)" "region: null" 's/^region: EU/region: null/'
row 2 "bad.yaml:2:8: field 'token' is empty \(YAML reads it as null\)" "token: ~" 's/^token: .*/token: ~/'
row 2 "bad.yaml:6:11: field 'pin_file' is empty \(YAML reads it as null\)" "pin_file: ~" 's/^pin_file: .*/pin_file: ~/'
row 2 "bad.yaml:5:10: field 'offline' is empty \(YAML reads it as null\)" "offline: ~" 's/^offline: warn/offline: ~/'
row 2 "bad.yaml:20:11: field 'type' is empty \(YAML reads it as null\): give a value$" "a required field: ~" 's/^    type: EC/    type: ~/'
row 2 "bad.yaml:17:12: field 'pubexp' is empty: give a value or leave the field out" "pubexp: blank (no silent 65537)" 's/^    size: 2048/    size: 2048\n    pubexp:/'
row 2 "bad.yaml:7:8: field 'cards' is empty \(YAML reads it as null\): give a list or leave the field out" "cards: ~" 's/^cards:/cards: ~/;8,11d'
row 2 "bad.yaml:9:16: field 'pass_file' is empty \(YAML reads it as null\)" "pass_file: ~" 's/^    pass_file: pass-1/    pass_file: ~/'
row 2 "bad.yaml:13:4: the key entry is empty: give its fields or remove it" "a key entry that is a bare '-'" 's/^keys:/keys:\n  -/'

# A file name that is all digits is a PIN written inline: refused, the digits shown nowhere.
row 2 "bad.yaml:6:11: pin_file looks like a PIN written inline, not a file name; put the PIN in a file \(mode 0600\) and give its path" "pin_file: 483920" 's/^pin_file: .*/pin_file: 483920/'
row 2 "bad.yaml:9:16: pass_file looks like a passphrase written inline, not a file name; put the passphrase in a file \(mode 0600\)" "pass_file: \"271828\"" 's/^    pass_file: pass-1/    pass_file: "271828"/'
for sed in 's/^pin_file: .*/pin_file: 483920/' 's/^    pass_file: pass-1/    pass_file: 483920/'; do
	printf '%s\n' "$good" | sed "$sed" >"$T/bad.yaml"
	for how in "--config $T/bad.yaml regions NA" "--json --config $T/bad.yaml regions NA" \
		"run $T/bad.yaml" "--json run $T/bad.yaml" "run $T/bad.yaml --dry-run --json"; do
		# shellcheck disable=SC2086
		run "$P11BYOK" --regions "$REGIONS" $how
		[ "$rc" -eq 2 ] && ! grep -q 483920 "$T/out" "$T/err" &&
			ok "the inline secret of ${sed:3:13} appears nowhere: p11byok ${how//$T\//}" ||
			{ not_ok "the inline secret appears nowhere: p11byok ${how//$T\//} (exit $rc)"
			  diag "$T/err" "$T/out"; }
	done
done

# Sizes are plain decimal: every other spelling of 2048 that some reader takes is refused.
for size in 0x800 04000 2048.0 +2048 02048 2_048 2048e0; do
	row 2 "bad.yaml:16:11: RSA size '${size/+/\\+}' is not a plain decimal number: use 2048, 3072 or 4096" \
		"size: $size" "s/size: 2048/size: $size/"
done
row 2 "bad.yaml:17:13: pubexp '010001' is not a plain decimal number or 0x and hex digits" "pubexp: 010001 (octal to strtoul, 4097)" 's/^    size: 2048/    size: 2048\n    pubexp: 010001/'
printf '%s\n' "$good" | sed 's/size: 2048/size: "2048"/; s/^    size: 2048/    size: 2048\n    pubexp: 0x10001/' >"$T/ok.yaml"
expect 0 "United States" "size: \"2048\" (quoted) and pubexp: 0x10001 are accepted" -- \
	"$P11BYOK" --config "$T/ok.yaml" --regions "$REGIONS" regions NA

# Words YAML 1.1 reads as booleans, where text is wanted (offline: off is a policy word).
row 2 "bad.yaml:22:20: field 'friendly_name' is yes, which YAML reads as a boolean, not text: write \"yes\" in quotes" "friendly_name: yes" 's/friendly_name: ContosoEC/friendly_name: yes/'
row 2 "bad.yaml:14:16: field 'plainname' is Off, which YAML reads as a boolean" "plainname: Off" 's/plainname: contosokey/plainname: Off/'
row 2 "bad.yaml:4:9: field 'region' is NO, which YAML reads as a boolean" "region: NO" 's/^region: EU/region: NO/'
printf '%s\n' "$good" | sed 's/friendly_name: ContosoEC/friendly_name: "yes"/; s/^offline: warn/offline: off/' >"$T/ok.yaml"
expect 0 "United States" "friendly_name: \"yes\" (quoted) and offline: off are accepted" -- \
	"$P11BYOK" --config "$T/ok.yaml" --regions "$REGIONS" regions NA

# Tabs, control and invisible characters, bytes that are not UTF-8.
row 2 "bad.yaml:4:1: malformed YAML: found a tab character that violates indentation" "a tab for indentation" 's/^region: EU/\tregion: EU/'
row 2 "bad.yaml:16:1: malformed YAML: found a tab character" "a tab indenting a key field" 's/^    size: 2048/\tsize: 2048/'
row 2 "bad.yaml:22:20: a value holds the control character U\+0009 \(a tab\); remove it from the runbook" "a tab inside a value" 's/friendly_name: ContosoEC/friendly_name: "Contoso\\tEC"/'
row 2 "bad.yaml:22:20: a value holds the control character U\+001B \(an escape\)" "a terminal escape in a value" 's/friendly_name: ContosoEC/friendly_name: "Contoso\\e[2JEC"/'
row 2 "bad.yaml:4:11: the runbook holds the control character U\+001B; remove it" "a raw escape byte in the file" 's/^region: EU/region: EU\x1b/'
row 2 "bad.yaml:4:9: a value holds the control character U\+000A \(a line break\)" "a line break in a value" 's/^region: EU/region: "EU\\n"/'
row 2 "bad.yaml:22:20: a value holds the invisible character U\+202E" "a right-to-left override in a value" 's/friendly_name: ContosoEC/friendly_name: "Contoso\\u202eEC"/'
row 2 "bad.yaml:22:27: the runbook is not UTF-8 text \(at byte 0xff: invalid leading UTF-8 octet\); save it as UTF-8" "a byte that is not UTF-8" 's/friendly_name: ContosoEC/friendly_name: Contoso\xffEC/'
row 2 "bad.yaml:4:11: the runbook is not UTF-8 text \(at byte 0xe9: invalid trailing UTF-8 octet\)" "Latin-1 text" 's/^region: EU/region: EU\xe9/'
printf '%s\n' "$good" | sed 's/^region: EU/region:\tEU\t/; s/^    size: 2048/    size:\t2048/' >"$T/ok.yaml"
expect 0 "United States" "a tab after the colon or at the end of a line is only space" -- \
	"$P11BYOK" --config "$T/ok.yaml" --regions "$REGIONS" regions NA

# Tags: none is read, so none is accepted (an Ansible-style !vault value is not its text).
row 2 "bad.yaml:16:11: a value carries the YAML tag '!!int'; remove it: the runbook is read without tags" "a core YAML tag" 's/^    size: 2048/    size: !!int 2048/'
row 2 "bad.yaml:22:20: a value carries the YAML tag '!vault'" "a local YAML tag" 's/friendly_name: ContosoEC/friendly_name: !vault ContosoEC/'
row 2 "bad.yaml:19:5: a value carries the YAML tag '!!set'" "a tag on a mapping" 's/^  - ident: ec-key/  - !!set\n    ident: ec-key/'

# Fields twice, lists written as mappings, values too long to be meant.
row 2 "bad.yaml:5:1: field 'region' appears twice in the runbook; keep one" "a top field twice" 's/^region: EU/region: EU\nregion: NA/'
row 2 "bad.yaml:17:5: field 'size' appears twice in the key entry; keep one" "a key field twice" 's/^    size: 2048/    size: 2048\n    size: 3072/'
row 2 "bad.yaml:13:5: field 'keys' in the runbook must be a list, not a mapping of fields: start each entry with '- '" "keys as a mapping" 's/^  - ident: contosokey/    ident: contosokey/; /^  - ident: ec-key/,$d'
row 2 "bad.yaml:8:5: field 'cards' in the runbook must be a list, not a mapping" "cards as a mapping" 's/^  - file: card-1-of-3.acs/    file: card-1-of-3.acs/; 10,11d'
long=$(printf '%0300d' 0 | tr 0 A)
row 2 "bad.yaml:22:20: field 'friendly_name' is 300 bytes long: it takes at most 127; shorten it" "a 300-byte friendly_name" "s/friendly_name: ContosoEC/friendly_name: $long/"
row 2 "bad.yaml:14:16: field 'plainname' is 300 bytes long: it takes at most 127" "a 300-byte plainname (generate's CKA_LABEL limit)" "s/plainname: contosokey/plainname: $long/"
row 2 "bad.yaml:3:9: field 'kmdata' is 6000 bytes long: it takes at most 4095" "a 6000-byte path" "s|^kmdata: .*|kmdata: $(printf '%06000d' 0)|"
row 2 "bad.yaml:19:12: ident '$(printf '%0100d' 0 | tr 0 a)' must be 1 to 64 digits" "a 100-byte ident" "s/ident: ec-key/ident: $(printf '%0100d' 0 | tr 0 a)/"

# Values resolved later, checked where they are written.
row 2 "bad.yaml:2:8: malformed token URI 'REDACTED': URI scheme must be 'pkcs11:'; write it as pkcs11:token=LABEL" "a token label without pkcs11:" 's/^token: .*/token: byok-world/'
row 2 "bad.yaml:2:8: token URI 'pkcs11:token=w;colour=REDACTED' has an attribute p11byok does not know" "a token URI attribute p11byok does not know" 's/^token: .*/token: "pkcs11:token=w;colour=blue"/'
row 2 "bad.yaml:5:12: root_hash 'zz' is not hexadecimal: give the root key hash as the guide prints it" "root_hash not hex (was '--root-hash', when the package was read)" '4a root_hash: zz'
row 2 "bad.yaml:5:12: root_hash has 8 hex digits: a root key hash is 40 .* or 64" "root_hash too short" '4a root_hash: 59178a47'
row 2 "bad.yaml:24:14: toolset_dir is for the region's KEK package, and this runbook names no region: set region or remove toolset_dir" "toolset_dir without region" 's|^region: EU|kek_pem: kek.pem\nkek_id: https://v/keys/k/1|'
row 2 "bad.yaml:6:12: root_hash is for the region's KEK package" "root_hash without region" 's|^region: EU|kek_pem: kek.pem\nkek_id: https://v/keys/k/1\nroot_hash: 59178a47de508c3f291277ee184f46c4f1d9c639|; $d'

# run_row EXIT REGEX DESC SED-SCRIPT: as row, for what only `run` checks, before anything
# runs: the files, directories and region the runbook names (--config takes its settings
# only, and world init makes the kmdata and cards a config names).
run_row() {
	printf '%s\n' "$good" | sed "$4" >"$T/bad.yaml"
	expect "$1" "$2" "run: $3" -- "$P11BYOK" --regions "$REGIONS" run "$T/bad.yaml" "${@:5}"
}
run_row 2 "bad.yaml:4:9: unknown region 'ATLANTIS' \(no manifest in $REGIONS names it\): give a region name or code \(NA, EU, AP, .*\); 'p11byok regions' lists them" "region: ATLANTIS" 's/^region: EU/region: ATLANTIS/'
run_row 2 "no world in $T/kmdata" "--generate-only needs no region (nor toolset, KEK, output_dir or cards)" 's/^region: EU/region: ATLANTIS/; 4a toolset: nope.zip' --generate-only
run_row 2 "bad.yaml:5:10: toolset $T/nope.zip does not exist \(a relative path is taken from the runbook's directory, $T\); download the region's BYOK toolset there or fix the path" "toolset: nope.zip" '4a toolset: nope.zip'
run_row 2 "bad.yaml:5:10: toolset /nonexistent/t.zip does not exist; download" "a toolset's absolute path" '4a toolset: /nonexistent/t.zip'
run_row 2 "bad.yaml:5:10: toolset $T/toolset is not a regular file" "a toolset that is a directory" '4a toolset: toolset'
run_row 2 "bad.yaml:23:14: toolset_dir $T/nodir does not exist" "toolset_dir missing" 's/^toolset_dir: .*/toolset_dir: nodir/'
run_row 2 "bad.yaml:23:14: no KEK package 'BYOK-KEK-pkg-EU-1' for region EU in $T/kmdata: extract the region's BYOK toolset there" "toolset_dir without the region's packages" 's/^toolset_dir: .*/toolset_dir: kmdata/'
run_row 2 "bad.yaml:4:9: no KEK package 'BYOK-KEK-pkg-EU-1' for region EU in \.: extract the region's BYOK toolset there, or set toolset_dir" "no toolset_dir and no packages in the current directory" '$d'
run_row 2 "bad.yaml:3:9: kmdata $T/nokm does not exist .*; give the kmdata directory of the world \('p11byok world init' makes one\)" "kmdata missing" 's/^kmdata: .*/kmdata: nokm/'
run_row 2 "bad.yaml:3:9: kmdata $T/user.pin is not a directory" "kmdata a file" 's/^kmdata: .*/kmdata: user.pin/'
run_row 2 "no world in $T/kmdata" "a kmdata that --kmdata overrides is not checked" 's/^kmdata: .*/kmdata: nokm/' --kmdata "$T/kmdata"
run_row 2 "bad.yaml:1:9: module $T/lib/none.so does not exist .*; give the path of the PKCS#11 module" "module missing" 's|^module: .*|module: lib/none.so|'
run_row 2 "no world in $T/kmdata" "a module by bare name is the loader's to find" 's|^module: .*|module: libnone.so|'
run_row 2 "bad.yaml:6:11: the pin_file given here does not exist \(a relative path is taken from the runbook's directory, $T\); put the user PIN in a file \(mode 0600\)" "pin_file missing" 's/^pin_file: .*/pin_file: secret-word/'
grep -q secret-word "$T/err" "$T/out" && not_ok "... and the missing pin_file's value is echoed" ||
	ok "... and the missing pin_file's value is not echoed"
run_row 2 "bad.yaml:6:11: the pin_file given here is not a regular file" "pin_file a directory" 's/^pin_file: .*/pin_file: kmdata/'
run_row 2 "bad.yaml:10:11: card file $T/card-9-of-3.acs does not exist .*; give the card-I-of-N.acs file 'p11byok world init' wrote" "a card file missing" 's/card-2-of-3.acs/card-9-of-3.acs/'
run_row 2 "bad.yaml:10:11: card file $T/user.pin is not a card 'p11byok world init' wrote" "a card file that is no card, refused at its line before anything runs" 's/card-2-of-3.acs/user.pin/'
run_row 2 "no world in $T/kmdata" "cards that --card replaces are not checked" 's/card-2-of-3.acs/card-9-of-3.acs/' --card "$T/card-1-of-3.acs"
run_row 2 "bad.yaml:11:16: the pass_file given here does not exist .*; put the card's passphrase in a file \(mode 0600\) and give its path, or leave pass_file out" "a pass_file missing" 's/pass-2/pass-9/'
run_row 2 "bad.yaml:5:13: output_dir $T/a/b cannot be made: $T/a is not a directory" "output_dir inside a missing directory" '4a output_dir: a/b'
run_row 2 "bad.yaml:5:13: output_dir $T/user.pin is not a directory" "output_dir a file" '4a output_dir: user.pin'
run_row 2 "bad.yaml:4:10: kek_pem $T/kek.pem does not exist .*; download the KEK from Key Vault as PEM there" "kek_pem missing" 's|^region: EU|kek_pem: kek.pem\nkek_id: https://v/keys/k/1|; $d'
run_row 2 "bad.yaml:23:14: kek_pem $T/own.pem does not exist" "a key's own kek_pem missing" '/friendly_name: ContosoEC/a \    kek_pem: own.pem\n    kek_id: https://v/keys/k/2'
log_before=$(cat "$T/kmdata/audit.log" 2>/dev/null | wc -l)
run_row 2 "bad.yaml:4:10: kek_pem $T/notpem.pem holds no PEM public key \(-----BEGIN PUBLIC KEY-----\); download the KEK" "kek_pem not PEM, refused at its line" 's|^region: EU|kek_pem: notpem.pem\nkek_id: https://v/keys/k/1|; $d'
[ "$(cat "$T/kmdata/audit.log" 2>/dev/null | wc -l)" = "$log_before" ] &&
	ok "... before anything is logged (no FAILURE line)" || not_ok "a FAILURE line for a bad kek_pem"
run_row 2 "bad.yaml:23:14: kek_pem $T/ec-kek.pem holds a public key that is not RSA" "a key's own kek_pem an EC key" '/friendly_name: ContosoEC/a \    kek_pem: ec-kek.pem\n    kek_id: https://v/keys/k/2'
run_row 2 "bad.yaml:4:10: cannot tell the region of toolset $T/t.zip from its name .*: set region" "a toolset no manifest names, without region" 's|^region: EU|toolset: t.zip\nkek_pem: kek.pem\nkek_id: https://v/keys/k/1|; $d'
printf '%s\n' "$good" | sed 's/^pin_file: .*/pin_file: user.pin\nregions: nodir/' >"$T/bad.yaml"
expect 2 "bad.yaml:7:10: regions $T/nodir does not exist" "run: regions missing" -- \
	"$P11BYOK" run "$T/bad.yaml"
expect 2 "no world in $T/kmdata" "run: a regions directory that --regions overrides is not checked" -- \
	"$P11BYOK" --regions "$REGIONS" run "$T/bad.yaml"
printf '%s\n' "$good" | sed 's/^kmdata: .*/kmdata: nokm/; s/^region: EU/region: ATLANTIS/' >"$T/bad.yaml"
expect 0 "United States" "--config is not checked against the disk (world init makes its kmdata)" -- \
	"$P11BYOK" --config "$T/bad.yaml" --regions "$REGIONS" regions NA
expect 2 "cannot open runbook $T/none.yaml" "missing runbook" -- "$P11BYOK" --config "$T/none.yaml" regions
expect 2 "cannot open runbook $T/none.yaml" "run: missing runbook" -- "$P11BYOK" run "$T/none.yaml"
printf '%s\n' "$good" | sed '/^keys:/,$d' >"$T/nokeys.yaml"
expect 2 "nokeys.yaml lists no keys: add a keys: list" "run: a runbook without keys" -- \
	"$P11BYOK" run "$T/nokeys.yaml"
expect 2 "give exactly one runbook file" "run: no runbook" -- "$P11BYOK" run
[ "$(listing)" = "$before" ] &&
	ok "refused runs made nothing (nothing in kmdata, no output dir)" ||
	{ not_ok "refused runs made nothing"; diff <(echo "$before") <(listing) | diag; }
done_testing
