#!/bin/bash
# verify-toolset.sh: SHA-256 of a toolset against its region manifest (seed step 1.3).
. "$(dirname "$0")/lib.sh"
need jq sha256sum

mkdir "$T/regions"
cp "$REGIONS"/*.yaml "$T/regions/"
head -c 100000 /dev/urandom >"$T/KeyVault-BYOK-Tools-Testland.zip"
sum=$(sha256sum "$T/KeyVault-BYOK-Tools-Testland.zip" | cut -d' ' -f1)
SUM=$(printf '%s' "$sum" | tr a-f A-F)
# A lower-case pin: the comparison must ignore case.
cat >"$T/regions/99-testland.yaml" <<YAML
name: Testland
code: TEST
toolset:
  file: KeyVault-BYOK-Tools-Testland.zip
  sha256: $sum
kek_package: BYOK-KEK-pkg-TEST-1
world_package: BYOK-SecurityWorld-pkg-TEST-1
root_key_hash: 59178a47 de508c3f 291277ee 184f46c4 f1d9c639
YAML
vt() { "$P11BYOK" --regions "$T/regions" verify-toolset "$@"; }

expect 0 "Result: SUCCESS" "matching file verifies, region from the file name" -- \
	vt "$T/KeyVault-BYOK-Tools-Testland.zip"
if grep -q "Region: *Testland (TEST)" "$T/out" && grep -q "Expected: *$SUM" "$T/out" &&
	grep -q "Actual: *$SUM" "$T/out"; then ok "prints the region and both hashes"
else not_ok "prints the region and both hashes"; diag "$T/out"; fi
cp "$T/KeyVault-BYOK-Tools-Testland.zip" "$T/download.zip"
expect 0 "Result: SUCCESS" "--region by code" -- vt "$T/download.zip" --region TEST
expect 0 "Result: SUCCESS" "--region by name, any case" -- vt "$T/download.zip" --region testland
expect 2 "cannot tell the region of .*download.zip.*--region" \
	"a name that names no region needs --region" -- vt "$T/download.zip"

printf 'x' >>"$T/download.zip"
bad=$(sha256sum "$T/download.zip" | cut -d' ' -f1 | tr a-f A-F)
expect 1 "Result: FAILURE" "one appended byte fails" -- vt "$T/download.zip" --region TEST
if grep -q "Expected: *$SUM" "$T/out" && grep -q "Actual: *$bad" "$T/out"; then
	ok "the failure shows both hashes"
else not_ok "the failure shows both hashes"; diag "$T/out"; fi
if grep -q "does not match.*download it again" "$T/err"; then ok "the failure says what to do"
else not_ok "the failure says what to do"; diag "$T/err"; fi

# The shipped manifests: a file named like Europe's toolset, but not Europe's bytes.
cp "$T/download.zip" "$T/KeyVault-BYOK-Tools-Europe.zip"
expect 1 "Expected: 9AAA63E2E7F20CF9BB62485868754203721D2F88D300910634A32DFA1FB19E4A" \
	"a shipped region is inferred from the seed's file name" -- \
	p11 verify-toolset "$T/KeyVault-BYOK-Tools-Europe.zip"

# Larger than any buffer: the hash must still equal sha256sum's.
truncate -s 300M "$T/KeyVault-BYOK-Tools-Big.zip"
printf 'end' >>"$T/KeyVault-BYOK-Tools-Big.zip"
big=$(sha256sum "$T/KeyVault-BYOK-Tools-Big.zip" | cut -d' ' -f1 | tr a-f A-F)
expect 1 "Actual: *$big" "a 300 MiB file hashes as sha256sum does" -- \
	vt "$T/KeyVault-BYOK-Tools-Big.zip" --region TEST
rm -f "$T/KeyVault-BYOK-Tools-Big.zip"

run vt "$T/KeyVault-BYOK-Tools-Testland.zip" --json
if [ "$rc" -eq 0 ] && jq -e --arg s "$SUM" '.result == "SUCCESS" and .region.code == "TEST" and
	.expected == $s and .actual == $s' "$T/out" >/dev/null && grep -q "Result: SUCCESS" "$T/err"
then ok "--json: one document on stdout, human text on stderr"
else not_ok "--json output"; diag "$T/out" "$T/err"; fi
run vt "$T/KeyVault-BYOK-Tools-Testland.zip" --quiet
if [ "$rc" -eq 0 ] && [ "$(cat "$T/out")" = "Result: SUCCESS" ]; then ok "--quiet prints only the result"
else not_ok "--quiet prints only the result"; diag "$T/out"; fi
done_testing
