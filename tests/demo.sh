#!/bin/bash
# demo.sh: the BYOK flow on a throwaway SoftHSMv2 token, step by step, as far as p11byok
# goes today: doctor, the region table, the toolset check of seed step 1.3 (a match, then a
# tampered file), and the KEK package check of step 3.4 on packages made by the test vendor
# kit (tests/vendor-kit.sh).  Everything lives in a temp dir that is removed at the end.
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
softhsm2-util --init-token --free --label byok-world --so-pin "$(openssl rand -hex 8)" \
	--pin "$(cat "$DEMO/user.pin")" >/dev/null || fail "softhsm2-util could not make a token"
echo "token 'byok-world' in $DEMO/tokens; its user PIN is in $DEMO/user.pin (mode 0600)"
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
printf 'tampered' >>"$toolset"
show "$P11BYOK" --regions "$DEMO/regions" verify-toolset "$toolset"
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

step "Not built yet: world init, generate, modify-acls, package from an attested KEK"
echo "See README, 'The seed procedure, step by step'."
echo
echo "Demo complete."
