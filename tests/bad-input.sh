#!/bin/bash
# bad-input.sh: the table of bad inputs for the foundation commands.  Each row asserts the
# exit code and the one-line message naming the input and the fix.
. "$(dirname "$0")/lib.sh"
softhsm_setup
softhsm_token byok-world 1234

# A manifest directory with one broken manifest, written from stdin.
manifest() {
	rm -rf "$T/r"; mkdir "$T/r"
	cat >"$T/r/$1"
}
good='name: Testland
code: TEST
toolset:
  file: Test.zip
  sha256: 2E8C00320400430106366A4E8C67B79015524E4EC24A2D3A6DC513CA1823B0D4
kek_package: BYOK-KEK-pkg-TEST-1
world_package: BYOK-SecurityWorld-pkg-TEST-1
root_key_hash: 59178a47 de508c3f 291277ee 184f46c4 f1d9c639'
rg() { "$P11BYOK" regions --regions "$T/r"; }
touch "$T/Test.zip"

# --- files ---
expect 2 "cannot open .*/nonexistent.zip: No such file" "missing toolset file" -- \
	"$P11BYOK" --regions "$REGIONS" verify-toolset "$T/nonexistent.zip" --region EU
mkdir "$T/KeyVault-BYOK-Tools-Europe.zip"
expect 2 "file .*KeyVault-BYOK-Tools-Europe.zip is a directory: give the path of a file" \
	"a directory as toolset file" -- "$P11BYOK" --regions "$REGIONS" verify-toolset \
	"$T/KeyVault-BYOK-Tools-Europe.zip"
expect 2 "cannot read region manifests in $T/none.*--regions" "missing regions directory" -- \
	"$P11BYOK" regions --regions "$T/none"
mkdir "$T/empty"
expect 2 "no region manifests .* in $T/empty" "regions directory without manifests" -- \
	"$P11BYOK" regions --regions "$T/empty"

# --- manifests ---
printf '%s\n' "$good" | sed 's/^code: TEST/code: [TEST/' | manifest bad.yaml
expect 2 "bad.yaml:3:[0-9]+: malformed YAML" "malformed YAML names file:line:column" -- rg
printf '%s\ncolour: blue\n' "$good" | manifest unknown.yaml
expect 2 "unknown.yaml:9:1: unknown field 'colour' in the region manifest; known fields" \
	"unknown field" -- rg
printf '%s\n' "$good" | sed 's/^kek_package/KEK_package/' | manifest case.yaml
expect 2 "case.yaml:6:1: unknown field 'KEK_package'.*did you mean 'kek_package'" \
	"misspelled field suggests the right one" -- rg
printf '%s\n' "$good" | grep -v '^kek_package' | manifest missing.yaml
expect 2 "missing.yaml:1:1: the region manifest lacks the required field 'kek_package'" \
	"missing field" -- rg
printf '%s\n' "$good" | sed 's/  sha256: 2E8C/  sha256: 8C/' | manifest short.yaml
expect 2 "short.yaml:5:11: toolset.sha256 must be 64 hex digits" "hash of the wrong length" -- rg
printf '%s\n' "$good" | sed 's/  sha256: 2E8C/  sha256: ZZ8C/' | manifest nonhex.yaml
expect 2 "nonhex.yaml:5:11: toolset.sha256 must be 64 hex digits" "non-hex hash" -- rg
printf '%s\n' "$good" | sed 's/^root_key_hash: 59178a47 /root_key_hash: /' | manifest root.yaml
expect 2 "root.yaml:8:16: root_key_hash must be 40 hex digits .*or 64" "root hash of the wrong length" -- rg
printf '%s\n' "$good" | sed 's/^code: TEST/code:/' | manifest nocode.yaml
expect 2 "nocode.yaml:2:[0-9]+: field 'code' is empty" "empty field" -- rg
printf '%s\n' "$good" | sed 's/^  file: Test.zip/  file: [a, b]/' | manifest list.yaml
expect 2 "list.yaml:4:9: field 'file' in the toolset must be a single value" "wrong type" -- rg
printf '%s\n' "$good" | sed 's/^code: TEST/code: test/' | manifest lower.yaml
expect 2 "lower.yaml:2:7: region code 'test' must be upper-case" "lower-case code" -- rg
# A quoted \0 would cut the value where every reader sees it end: the hash below would read
# as a good one.
printf '%s\n' "$good" | sed 's/^  sha256: \(.*\)/  sha256: "\1\\0junk"/' | manifest nul.yaml
expect 2 "nul.yaml:5:11: a value holds a NUL character" "NUL inside a value" -- rg
# A manifest's name and package names reach the terminal: an escape there could rewrite it.
printf '%s\n' "$good" | sed 's/^name: Testland/name: "Test\\e[2Jland"/' | manifest esc.yaml
expect 2 "esc.yaml:1:7: a value holds the control character U\\+001B \\(an escape\\); remove it from the region manifest" \
	"terminal escape in a manifest value" -- rg
printf '%s\n' "$good" | sed 's/^code: TEST/code: !!str TEST/; s/^kek_package: /kek_package: !!binary /' | manifest tag.yaml
expect 2 "tag.yaml:6:14: a value carries the YAML tag '!!binary'; remove it: the region manifest is read without tags" \
	"a YAML tag in a manifest (!!str, the default, is let be)" -- rg
printf '%s\n' "$good" | sed 's/^name: Testland/name: !<!x%0Ap11byok:%20fake%1B[2J> Testland/' | manifest tagesc.yaml
expect 2 "^p11byok: .*tagesc.yaml:1:7: a value carries a YAML tag \\(with characters not shown\\); remove it" \
	"a YAML tag holding an escaped line break and escape is not echoed" -- rg
printf '%s\n---\n%s\n' "$good" "$good" | manifest two.yaml
expect 2 "two.yaml:9:1: the region manifest holds more than one YAML document" \
	"two YAML documents" -- rg
: | manifest empty.yaml
expect 2 "empty.yaml:1:1: the region manifest is empty" "empty manifest" -- rg
printf '%s\n' "$good" | manifest a.yaml
printf '%s\n' "$good" | sed 's/^name: Testland/name: Otherland/; s/file: Test.zip/file: O.zip/' \
	>"$T/r/b.yaml"
expect 2 "b.yaml: duplicate region code: .*a.yaml already uses it" "duplicate region code" -- rg
expect 2 "unknown region 'Atlantis'" "unknown region" -- \
	"$P11BYOK" --regions "$REGIONS" verify-toolset "$T/Test.zip" --region Atlantis
expect 2 "cannot tell the region of .*Test.zip.*give --region" "region not inferable" -- \
	"$P11BYOK" --regions "$REGIONS" verify-toolset "$T/Test.zip"

# --- modules and tokens ---
expect 2 "no PKCS#11 module given: pass --module PATH or set P11BYOK_MODULE" "no module" -- \
	"$P11BYOK" doctor
expect 3 "cannot load PKCS#11 module $T/nope.so: .*--module" "nonexistent module path" -- \
	"$P11BYOK" doctor --module "$T/nope.so"
printf 'not a library\n' >"$T/fake.so"
expect 3 "cannot load PKCS#11 module $T/fake.so: " "a file that is not a PKCS#11 module" -- \
	"$P11BYOK" doctor --module "$T/fake.so"
expect 3 "no token in module .* matches 'pkcs11:token=nothere'.*doctor" \
	"token URI that matches nothing" -- p11 doctor --token pkcs11:token=nothere
expect 2 "malformed token URI 'REDACTED'.*pkcs11:token=LABEL" "malformed URI (not echoed: it may be a PIN)" -- \
	p11 doctor --token http://x
expect 2 "has an attribute p11byok does not know" "URI with an unknown attribute" -- \
	p11 doctor --token 'pkcs11:tokn=byok-world'
expect 2 "carries a pin-value: PINs never go on the command line" "pin-value in the URI" -- \
	p11 doctor --token 'pkcs11:token=byok-world?pin-value=1234'
expect 2 "the pin-source in the token URI is not a file path" "pin-source that is not a file" -- \
	p11 doctor --token 'pkcs11:token=byok-world?pin-source=%7Ccat'

# --- secrets never echoed (issue 16): a PIN given where a file name or URI goes ---
# leaks SECRET DESC -- CMD...: CMD fails with exit 2, and SECRET is in neither its output nor
# its --json failure document.
leaks() {
	local secret=$1 desc=$2
	shift 3
	run "$@"
	if [ "$rc" -eq 2 ] && ! grep -q -- "$secret" "$T/err" "$T/out"; then ok "$desc"
	else not_ok "$desc (exit $rc)"; diag "$T/err"; fi
	run "$@" --json
	if [ "$rc" -eq 2 ] && jq -e . "$T/out" >/dev/null && ! grep -q -- "$secret" "$T/out" "$T/err"
	then ok "$desc, --json too"; else not_ok "$desc, --json (exit $rc)"; diag "$T/out"; fi
}
leaks 11223344 "--pin-file given the PIN itself is refused without echoing it" -- \
	p11 doctor --pin-file 11223344
leaks 43217650 "a pin-value in --token is refused without echoing it" -- \
	p11 doctor --token 'pkcs11:token=byok-world?pin-value=43217650'
leaks 98760123 "a pin-value in an unknown-attribute URI is not echoed" -- \
	p11 doctor --token 'pkcs11:tokn=byok-world?pin-value=98760123'
leaks 56781234 "a pin-source that is no path (the PIN?) is not echoed" -- \
	p11 doctor --token 'pkcs11:token=byok-world?pin-source=56781234'
leaks s3cretPIN "an attribute name in other case (PIN-VALUE) is not echoed" -- \
	p11 doctor --token 'pkcs11:token=byok-world;PIN-VALUE=s3cretPIN'
leaks 86420975 "a percent-encoded pin-value name is not echoed" -- \
	p11 doctor --token 'pkcs11:token=byok-world;pin%2Dvalue=86420975'
leaks 97531246 "a PIN given as --token is not echoed" -- p11 doctor --token 97531246
leaks 24680 "--so-pin-file given the SO PIN itself is refused without echoing it" -- \
	p11 world init --adopt --so-pin-file 24680 --acs-quorum 1/1 --cards-dir "$T/nocards"
leaks 13579 "--card-pass-file given the passphrase itself is refused without echoing it" -- \
	p11 world init --acs-quorum 1/1 --cards-dir "$T/nocards" --card-pass-file 13579

# --- PINs (files of mode 0600: anything wider is refused) ---
umask 077
: >"$T/empty-pin"
expect 2 "PIN file $T/empty-pin is empty: put the secret on its first line" "empty PIN file" -- \
	p11 doctor --pin-file "$T/empty-pin"
expect 2 "cannot open PIN file $T/no-pin" "missing PIN file" -- p11 doctor --pin-file "$T/no-pin"
printf '1234\n5678\n' >"$T/two-pin"
expect 2 "holds more than one line" "PIN file with two lines" -- p11 doctor --pin-file "$T/two-pin"
printf '9999\n' >"$T/wrong-pin"
if [ -n "$PKCS11_SPY" ] && [ -f "$PKCS11_SPY" ]; then
	# Through pkcs11-spy, to count the logins a wrong PIN causes.
	PKCS11SPY=$SOFTHSM2_MODULE PKCS11SPY_OUTPUT=$T/spy.log expect 1 \
		"PIN from --pin-file .*wrong-pin is incorrect for token 'byok-world'.*does not retry" \
		"wrong PIN" -- "$P11BYOK" --module "$PKCS11_SPY" doctor --pin-file "$T/wrong-pin"
	n=$(grep -c 'C_Login' "$T/spy.log")
	if [ "$n" -eq 1 ]; then ok "a wrong PIN is tried exactly once"
	else not_ok "a wrong PIN is tried exactly once (C_Login called $n times)"; fi
else
	expect 1 "is incorrect for token 'byok-world'.*does not retry" "wrong PIN" -- \
		p11 doctor --pin-file "$T/wrong-pin"
	skip "pkcs11-spy not found: cannot count logins"
fi
printf '1234\n' >"$T/pin"
expect 0 "User login: +ok" "after one wrong PIN the token is not locked" -- \
	p11 doctor --pin-file "$T/pin"
P11BYOK_PIN=1234 expect 0 "warning: using the PIN from P11BYOK_PIN" \
	"P11BYOK_PIN works with a warning" -- "$P11BYOK" --module "$SOFTHSM2_MODULE" doctor

# --- command lines ---
expect 2 "give exactly one toolset file" "verify-toolset without a file" -- \
	"$P11BYOK" verify-toolset
expect 2 "unexpected argument 'extra'" "doctor with an argument" -- p11 doctor extra
expect 2 "option '--region' needs a value: 'p11byok [a-z-]+ --help' describes it" "option without its value" -- \
	"$P11BYOK" verify-toolset x --region
done_testing
