#!/bin/bash
# regions.sh: all 18 regions load, and every file name, hash and package name equals the seed
# (tests/data/seed-byok-guide.txt, the newer edition of the BYOK guide).
. "$(dirname "$0")/lib.sh"
need jq

seed=$top_srcdir/tests/data/seed-byok-guide.txt
# The seed lists toolsets (file, then hash) and verifykeypackage lines in the same order.
grep -E '^(KeyVault-BYOK-Tools-.*\.zip|[0-9A-F]{64})$' "$seed" | paste -d' ' - - >"$T/toolsets"
grep -o 'verifykeypackage.py -k [^ ]* -w [^ ]*' "$seed" | awk '{ print $3, $5 }' >"$T/packages"
paste -d' ' "$T/toolsets" "$T/packages" >"$T/seed"

expect 0 "" "regions --json runs" -- p11 regions --json
jq -r '.[] | "\(.toolset.file) \(.toolset.sha256) \(.kek_package) \(.world_package)"' \
	"$T/out" >"$T/ours"
n=$(wc -l <"$T/ours")
if [ "$n" -eq 18 ] && [ "$(wc -l <"$T/seed")" -eq 18 ]; then ok "18 regions, as in the seed"
else not_ok "18 regions (ours $n, seed $(wc -l <"$T/seed"))"; fi
if diff "$T/seed" "$T/ours" >"$T/diff"; then
	ok "every toolset file, SHA-256 and package name equals the seed"
else
	not_ok "manifests differ from the seed"; diag "$T/diff"
fi
# The seed's -Package line spells France's packages in mixed case; ours follow the others.
if grep -q 'BYOK-KEK-pkg-France-1' "$seed" && jq -e '.[] | select(.code == "FRANCE") |
	.kek_package == "BYOK-KEK-pkg-FRANCE-1"' "$T/out" >/dev/null; then
	ok "France keeps the upper-case package name of the verify and ModifyAcls lines"
else
	not_ok "France package spelling"
fi
if jq -e 'all(.[]; .root_key_hash == "59178a47de508c3f291277ee184f46c4f1d9c639")' "$T/out" \
	>/dev/null; then ok "every region pins the seed's root key hash"
else not_ok "root key hashes"; fi
if jq -e '[.[].code] | length == (unique | length)' "$T/out" >/dev/null; then
	ok "region codes are unique"
else not_ok "region codes are unique"; fi

expect 0 "Code: +NA" "regions NA shows one region" -- p11 regions NA
expect 0 "KEK package: +BYOK-KEK-pkg-UK-1" "regions by name, any case" -- p11 regions "united kingdom"
expect 0 "BYOK-SecurityWorld-pkg-GERMANY-1" "Germany Public uses the seed's packages" -- \
	p11 regions GERMANYPUBLIC
expect 2 "unknown region 'Atlantis'.*NA, EU" "unknown region lists the codes" -- p11 regions Atlantis
run p11 regions
if [ "$(grep -c 'KeyVault-BYOK-Tools-' "$T/out")" -eq 18 ]; then ok "the table has 18 rows"
else not_ok "the table has 18 rows"; fi
run p11 regions EU --json
if jq -e 'length == 1 and .[0].name == "Europe"' "$T/out" >/dev/null; then
	ok "regions EU --json is an array of one"
else not_ok "regions EU --json"; fi
done_testing
