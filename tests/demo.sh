#!/bin/bash
# demo.sh: the BYOK flow on a throwaway SoftHSMv2 token, step by step, as far as p11byok
# goes: doctor, the region table, the toolset check of seed step 1.3 (a match, then a
# tampered file), the KEK package check of step 3.4 on packages made by the test vendor kit
# (tests/vendor-kit.sh), world init, generate, modify-acls, package, and the import of the
# .byok by the kit's cloud token.  Everything lives in a temp dir that is removed at the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
P11BYOK=${P11BYOK:-$top/p11byok}
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/p11byok-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT

if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold= plain=; fi
step() { printf "\n${bold}== %s${plain}\n" "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: $*" >&2; exit 1; }

[ -x "$P11BYOK" ] || fail "build p11byok first ($P11BYOK is missing)"
[ -f "$MODULE" ] || fail "SoftHSMv2 is not installed (apt-get install softhsm2)"

step "1. A throwaway SoftHSMv2 token stands in for the HSM"
mkdir "$DEMO/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$DEMO/tokens" >"$DEMO/softhsm2.conf"
export SOFTHSM2_CONF=$DEMO/softhsm2.conf
( umask 077; printf '%s\n' "$(openssl rand -hex 8)" >"$DEMO/user.pin" )
( umask 077; printf '%s\n' "$(openssl rand -hex 8)" >"$DEMO/vendor-so.pin" )
"${SOFTHSM2_UTIL:-softhsm2-util}" --init-token --free --label byok-world --so-pin "$(cat "$DEMO/vendor-so.pin")" \
	--pin "$(cat "$DEMO/user.pin")" >/dev/null || fail "softhsm2-util could not make a token"
echo "token 'byok-world' in $DEMO/tokens; its user PIN is in $DEMO/user.pin (mode 0600)"
echo "(made by vendor tooling; step 8 takes it over as a security world)"
export P11BYOK_MODULE=$MODULE

step "2. doctor: can this module run the flow, and is this machine offline?"
show "$P11BYOK" doctor --pin-file "$DEMO/user.pin" || fail "doctor failed"

step "3. The region table (seed step 1.3): toolset files, their SHA-256, packages"
show "$P11BYOK" --regions "$top/conf/regions" regions || fail "regions failed"
show "$P11BYOK" --regions "$top/conf/regions" regions EU || fail "regions EU failed"

step "4. verify-toolset on a toolset we pin ourselves (a throwaway region 'Demoland')"
mkdir "$DEMO/regions"
# The test vendor kit plays nShield and the cloud region: its root is Demoland's pinned root.
. "$top/tests/vendor-kit.sh"
KIT_REGIONS=$DEMO/regions
kit_init "$DEMO/kit" && kit_root && kit_device || fail "the vendor kit could not make its root"
cp "$top"/conf/regions/*.yaml "$DEMO/regions/"
toolset=$DEMO/KeyVault-BYOK-Tools-Demoland.zip
head -c 1048576 /dev/urandom >"$toolset"
cat >"$DEMO/regions/99-demoland.yaml" <<YAML
# A throwaway manifest for the demo: its hash pins the file made above.
name: Demoland
code: DEMO
toolset:
  file: KeyVault-BYOK-Tools-Demoland.zip
  sha256: $(sha256sum "$toolset" | cut -d' ' -f1)
kek_package: BYOK-KEK-pkg-DEMO-1
world_package: BYOK-SecurityWorld-pkg-DEMO-1
# The test vendor kit's root (the real manifests pin nShield's 59178a47 de508c3f ...).
root_key_hash: $KIT_ROOT_HASH
YAML
show "$P11BYOK" --regions "$DEMO/regions" verify-toolset "$toolset" || fail "the match failed"

step "5. The same check on a tampered copy must fail (exit 1)"
tampered=$DEMO/tampered/KeyVault-BYOK-Tools-Demoland.zip
mkdir "$DEMO/tampered" && cp "$toolset" "$tampered" && printf 'tampered' >>"$tampered"
show "$P11BYOK" --regions "$DEMO/regions" verify-toolset "$tampered"
rc=$?
[ "$rc" -eq 1 ] || fail "a tampered toolset exited $rc, not 1"
echo "(exit $rc, as it should be)"

step "6. verify-kek (seed step 3.4): Demoland's KEK and world packages"
echo "The vendor kit generates the KEK in a second token, 'byok-cloud' (the region's HSM),"
echo "and signs both packages with its HSM device certificate:"
kit_world_hash && kit_kek_cloud && kit_packages DEMO "$DEMO/toolset" ||
	fail "the vendor kit could not make the packages"
ls "$DEMO/toolset"
show "$P11BYOK" --regions "$DEMO/regions" verify-kek --region DEMO --toolset-dir "$DEMO/toolset" ||
	fail "verify-kek failed"

step "7. The same packages with one byte of the KEK statement changed must fail (exit 1)"
printf 'X' | dd of="$KIT_KEK_PACKAGE" bs=1 seek=200 conv=notrunc 2>/dev/null
show "$P11BYOK" --regions "$DEMO/regions" verify-kek --region DEMO --toolset-dir "$DEMO/toolset"
rc=$?
[ "$rc" -eq 1 ] || fail "a tampered KEK package exited $rc, not 1"
echo "(exit $rc, as it should be)"

W=pkcs11:token=byok-world
KM=$DEMO/kmdata
wp() { "$P11BYOK" --regions "$DEMO/regions" --token "$W" --kmdata "$KM" \
	--pin-file "$DEMO/user.pin" "$@"; }
for i in 1 2 3; do ( umask 077; openssl rand -hex 12 >"$DEMO/card-$i.pass" ); done

step "8. world init --adopt (seed step 3.2): the token becomes a 2-of-3 security world"
echo "The SO PIN the vendor tooling set is used once and replaced by a random secret that"
echo "nobody sees, split into three passphrase-protected administrator cards:"
show wp world init --adopt --so-pin-file "$DEMO/vendor-so.pin" --acs-quorum 2/3 \
	--cards-dir "$DEMO/cards" --card-pass-file "$DEMO/card-1.pass" \
	--card-pass-file "$DEMO/card-2.pass" --card-pass-file "$DEMO/card-3.pass" ||
	fail "world init failed"
show wp world show || fail "world show failed"

step "9. generate (seed step 3.5): a world-bound RSA-2048 key, in the seed's own syntax"
show wp generate --generate simple type=RSA size=2048 protect=module ident=contosokey \
	plainname=contosokey nvram=no pubexp= || fail "generate failed"
show wp show-key contosokey || fail "show-key failed"

step "10. modify-acls (seed step 4.1): the reduced-permission copy, for the verified KEK"
echo "No trust is given here: the copy can only be wrapped, and only under trust that the"
echo "quorum gives at package, for the seconds of that wrap."
kit_packages DEMO "$DEMO/toolset" >/dev/null || fail "the vendor kit could not re-sign"
show wp modify-acls --ident contosokey --region DEMO --toolset-dir "$DEMO/toolset" ||
	fail "modify-acls failed"

step "11. package (seed step 4.2) with cards 1 and 3: the quorum approves this transfer"
echo "The security officer makes the KEK trusted as a session object of this process only,"
echo "scoped by its wrap template to the copy; the key leaves the HSM only wrapped under it,"
echo "and the trust is destroyed right after:"
BYOK=$DEMO/KeyTransferPackage-ContosoFirstHSMkey.byok
show wp package --ident contosokey --region DEMO --toolset-dir "$DEMO/toolset" \
	--friendly-name ContosoFirstHSMkey --subscription-id 0b1f6471-1bf0-4dda-aec3-cb9272f09590 \
	--card "$DEMO/cards/card-1-of-3.acs" --card-pass-file "$DEMO/card-1.pass" \
	--card "$DEMO/cards/card-3-of-3.acs" --card-pass-file "$DEMO/card-3.pass" \
	-o "$BYOK" || fail "package failed"
show "$P11BYOK" inspect "$BYOK" || fail "inspect failed"

step "12. The cloud side: the region's HSM ('byok-cloud') imports the .byok"
echo "Its public key SHA-256 is the one generate printed in step 9:"
mkdir -m 700 "$DEMO/cloud-kmdata"
show "$P11BYOK" --kmdata "$DEMO/cloud-kmdata" --pin-file "$KIT_CLOUD_PIN_FILE" import "$BYOK" \
	--unwrap-key "$KIT_CLOUD_URI" || fail "import failed"

step "13. run (the whole runbook): three more keys from conf/runbook.example.yaml"
echo "The example names files relative to its own directory, laid out as this demo's; a dry"
echo "run shows the plan and touches nothing, the run does it, a rerun finds all done:"
cp "$top/conf/runbook.example.yaml" "$DEMO/runbook.yaml"
show "$P11BYOK" run "$DEMO/runbook.yaml" --dry-run || fail "run --dry-run failed"
show "$P11BYOK" run "$DEMO/runbook.yaml" || fail "run failed"
show "$P11BYOK" run "$DEMO/runbook.yaml" || fail "the rerun failed"
show "$P11BYOK" --kmdata "$DEMO/cloud-kmdata" --pin-file "$KIT_CLOUD_PIN_FILE" import \
	"$DEMO/byok/KeyTransferPackage-ContosoEC.byok" --unwrap-key "$KIT_CLOUD_URI" ||
	fail "import of the runbook's EC key failed"

step "14. The audit trail of everything above"
show "$P11BYOK" --kmdata "$KM" audit verify || fail "the audit log does not verify"
echo
echo "Demo complete."
