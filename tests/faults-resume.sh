#!/bin/bash
# faults-resume.sh: issue 17's promise in the two failure modes where the module did act:
# a lost reply (the call did its work, the caller sees an error) and a crash at the call
# (the process killed once the module acted).  For world init, generate, modify-acls,
# package and run of one key, every call position (tests/faulty-pkcs11.so's P11FAULT_MODE
# after and kill) is followed by the same command run again without faults, until it
# finishes (at most three times); then the finished state must be the one a clean run
# leaves: the same token objects (class, label, ID), the same files, no staged file, an
# audit log whose chain verifies, and for package and run a .byok that opens with the KEK
# to the key on the token.  (tests/faults-admin.sh has the third mode, a call that fails
# before it reaches the module, where nothing may change at all.)  Then the windows no
# PKCS#11 call marks: a kill just before each file-system step of each command (an open for
# writing, a link, a rename, an unlink: tests/killpoint.so), each followed by the same
# reruns and checks.
#
# Time: a card open (an scrypt, about a second) weighs on world init, package and run, so
# the default sweeps every position of generate, every other one of world init and
# modify-acls, and a spread of package and run; FAULT_ALL=1 sweeps every position of all
# (README "Failure modes" gives that run's figures).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/faults-lib.sh"
need openssl jq xxd
faults_setup
admin_setup
cat >"$T/one.yaml" <<YAML
module: $FAULTY_MODULE
kmdata: $T/kmdata
regions: $REGIONS
pin_file: $T/pin
offline: off
region: NA
toolset_dir: $KIT_TOOLSET_DIR
root_hash: $KIT_ROOT_HASH
output_dir: $T/byok
cards:
  - file: $T/cards/card-1-of-1.acs
    pass_file: $T/pass1
keys:
  - ident: r1
    type: RSA
    size: 2048
    friendly_name: r1
YAML
run_run() { "$P11BYOK" run "$T/one.yaml" </dev/null; }

# The finished state: token objects by class, label and ID; file names (no staged file);
# the audit log's chain.
finished_state() {
	objects_shape byok-world "$PIN"
	(cd "$T" && find kmdata cards byok -type f ! -name 'audit.*' | LC_ALL=C sort)
}
# done_like NAME: the finished state must be the clean run's; the audit log must verify.
done_like() {
	local now
	now=$(finished_state)
	[ "$now" = "$(cat "$T/$1.done")" ] ||
		fault_bad "not the clean run's state: $(diff <(cat "$T/$1.done") <(echo "$now") |
			grep '^[<>]' | head -n 3 | tr '\n' ' ')"
	"$P11BYOK" --kmdata "$T/kmdata" audit verify >/dev/null 2>&1 ||
		fault_bad "the audit log does not verify"
}
# opens BYOK IDENT: the .byok opens with the KEK, to the key whose public half is IDENT's.
opens() {
	local pub
	if ! byok_open "$1" "$KIT_KEK_PRIV_PEM" "$T/opened" 2>/dev/null; then
		fault_bad "$1 does not open with the KEK"; return
	fi
	der_trim "$T/opened" "$T/opened.der"
	pub=$("$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label byok-world --read-object \
		--type pubkey --label "$2" 2>/dev/null | sha256sum)
	[ "$(openssl pkey -inform DER -in "$T/opened.der" -pubout -outform DER 2>/dev/null |
		sha256sum)" = "$pub" ] || fault_bad "$1 does not hold key $2"
}

# --- each command's start, its clean run, and its finished state ---
clean() {	# clean NAME: the clean run (its calls counted), then its finished state
	fault_count "$1" || { echo "Bail out! $1 fails without faults"; exit 1; }
	finished_state >"$T/$1.done"
}
fault_snapshot empty
world_init_reset() { fault_restore empty; }
clean world_init
fault_snapshot world
generate_reset() { fault_restore world; }
clean generate
fault_snapshot key
modify_acls_reset() { fault_restore key; }
clean modify_acls
fault_snapshot acls
package_reset() { fault_restore acls; }
clean package
run_reset() { fault_restore world; }
clean run

world_init_done() { done_like world_init; }
generate_done() { done_like generate; }
modify_acls_done() { done_like modify_acls; }
package_done() { done_like package; opens "$T/byok/k1.byok" k1; }
run_done() { done_like run; opens "$T/byok/KeyTransferPackage-r1.byok" r1; }

# A sanitizer build runs every command several times slower: a thinner spread there.
x=1
[ -z "${P11BYOK_SANITIZED:-}" ] || x=3
fault_resume_sweep world_init $((2 * x))
fault_resume_sweep generate $((1 * x))
fault_resume_sweep modify_acls $((2 * x))
fault_resume_sweep package $((9 * x))
fault_resume_sweep run $((13 * x))
# A crash between any two file-system steps, for each command.
for name in world_init generate modify_acls package run; do kill_sweep "$name"; done
done_testing
