#!/bin/bash
# faults-admin.sh: the fault sweep of tests/faults.sh for the admin flow: world init,
# generate, modify-acls and package, each with every PKCS#11 call failing in turn
# (tests/faulty-pkcs11.so in front of SoftHSMv2, tests/faults-lib.sh).  Each failed run exits
# 1 or 3 with one error line naming the call or the CKR code; it leaves kmdata, the cards and
# the output directory as they were (no file added, removed or written: no partial or temp
# file) and the token's objects as they were (no trusted object, no half-made key); and the
# command then succeeds without faults.  The trust package makes is session objects, gone
# with the process whatever happens.
#
# Where a failed run legitimately leaves something:
#  - world init after C_InitToken took the new SO secret: the token stays initialised (no
#    PKCS#11 call undoes that) and so do the cards, the only copy of its SO PIN; kmdata gets
#    no world file and the token no object.  The same world init then finishes it, opening
#    the token with the cards it left.
#  - nothing else: a package that fails anywhere, its wrap begun or not, leaves the token as
#    it found it, and its rerun (with the cards: the quorum approves each transfer) succeeds.
#
# Time: one scrypt (N=2^17, about a second of CPU) per card written or opened dominates, so
# the world is 1/1 and the key EC P-256.  CKR_DEVICE_ERROR fails every position; the other
# codes a spread, thinner for the commands that open a card (FAULT_ALL=1: everything).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/faults-lib.sh"
need openssl
faults_setup
admin_setup

# rerun DESC CMD: the command without faults must succeed now.
rerun() {
	local desc=$1; shift
	"$@" >"$T/rerun" 2>&1 && return
	fault_bad "$desc failed: $(grep -m1 '^p11byok' "$T/rerun")"
	return 1
}
# same WHAT BEFORE NOW: fault_bad unless the two states are equal.
same() {
	[ "$2" = "$3" ] ||
		fault_bad "$1 changed: $(diff <(echo "$2") <(echo "$3") | grep '^[<>]' | head -n 3)"
}
# A run that failed only in the cleanup after the work must have done the work.
finished() { grep -q 'Result: SUCCESS' "$T/out" || fault_bad "no Result: SUCCESS"; }

# --- the state each command starts from: a clean run of the one before ---
fault_snapshot empty
world_init_reset() { fault_restore empty; }
fault_count world_init || { echo "Bail out! world init fails without faults"; exit 1; }
fault_snapshot world
generate_reset() { fault_restore world; }
fault_count generate || { echo "Bail out! generate fails without faults"; exit 1; }
fault_snapshot key
modify_acls_reset() { fault_restore key; }
fault_count modify_acls || { echo "Bail out! modify-acls fails without faults"; exit 1; }
if objects byok-world "$PIN" | grep -qE 'byok-transfer-|byok-kek-'; then
	not_ok "modify-acls left a transfer key or KEK on the token"
else ok "modify-acls leaves no trust on the token: package gives its own"; fi
fault_snapshot acls
package_reset() { fault_restore acls; }
fault_count package || { echo "Bail out! package fails without faults"; exit 1; }

# --- world init ---
world_init_reset
files=$(tree_state kmdata cards)
world_init_after() {
	[ "$fault_rc" -eq 0 ] && { finished; return; }
	if fault_reached C_InitToken && [ "$fault_called" != C_InitToken ]; then
		# The token took the secret: the cards stay, nothing else does.
		grep -q "keep the cards" "$T/out" ||
			fault_bad "the message does not say to keep the cards"
		same "kmdata" "$(grep '^kmdata' <<<"$files")" "$(tree_state kmdata)"
		[ "$(ls -A "$T/cards")" = card-1-of-1.acs ] ||
			fault_bad "the cards directory holds: $(ls -A "$T/cards")"
		[ -z "$(objects byok-world)" ] || fault_bad "objects on the token"
		[ -z "$(find "$T/tokens" -name '*.object' ! -name token.object)" ] ||
			fault_bad "object files in the token directory"
		# The same command finishes it with the cards it left (no vendor tool).
		rerun "world init" world_init_run || return
		grep -q "Cards: .*finishing its init on token 'byok-world'" "$T/rerun" ||
			fault_bad "the rerun did not finish the stopped world init"
		[ "$(ls -A "$T/cards")" = card-1-of-1.acs ] ||
			fault_bad "the rerun changed the cards: $(ls -A "$T/cards")"
		return
	else
		same "kmdata and the cards" "$files" "$(tree_state kmdata cards)"
		[ -z "$(ls -A "$T/tokens")" ] || fault_bad "a token was initialised"
	fi
	rerun "world init" world_init_run
}
fault_sweep world_init 4

# --- generate ---
generate_reset
files=$(tree_state kmdata) objs=$(objects byok-world "$PIN")
generate_after() {
	[ "$fault_rc" -eq 0 ] && { finished; return; }
	same "kmdata" "$files" "$(tree_state kmdata)"
	same "the token's objects" "$objs" "$(objects byok-world "$PIN")"
	rerun "generate" generate_run
}
fault_sweep generate

# --- modify-acls ---
modify_acls_reset
files=$(tree_state kmdata) objs=$(objects byok-world "$PIN")
modify_acls_after() {
	[ "$fault_rc" -eq 0 ] && { finished; return; }
	same "kmdata" "$files" "$(tree_state kmdata)"
	same "the token's objects" "$objs" "$(objects byok-world "$PIN")"
	rerun "modify-acls" modify_acls_run
}
fault_sweep modify_acls 8

# --- package ---
package_reset
files=$(tree_state kmdata byok) objs=$(objects byok-world "$PIN")
package_after() {
	[ "$fault_rc" -eq 0 ] && { finished; return; }
	same "kmdata and the output directory" "$files" "$(tree_state kmdata byok)"
	same "the token's objects" "$objs" "$(objects byok-world "$PIN")"
	rerun "package" package_run
}
fault_sweep package
done_testing
