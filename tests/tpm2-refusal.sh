#!/bin/bash
# tpm2-refusal.sh: a real module that cannot do the flow is refused before anything changes.
# tpm2-pkcs11 (Debian) over a software TPM: swtpm on loopback and tpm2-abrmd on a private
# D-Bus session bus, both started here.  It has no C_WrapKey, lists CKM_RSA_PKCS_OAEP without
# CKF_WRAP and has no CKM_AES_KEY_WRAP_PAD: doctor must exit 1 naming what it lacks, and
# world init, plain on its free slot and --adopt on a token made with its own tool, must
# leave the token, its PINs (its store, byte for byte) and kmdata as they were.
. "$(dirname "$0")/lib.sh"
need jq swtpm tpm2-abrmd tpm2_ptool dbus-daemon
TPM_MODULE=$(ls /usr/lib/*/pkcs11/libtpm2_pkcs11.so 2>/dev/null | head -n 1)
[ -n "$TPM_MODULE" ] || skip_all "tpm2-pkcs11 not installed (apt-get install libtpm2-pkcs11-1)"
ls /usr/lib/*/libtss2-tcti-tabrmd.so.0 >/dev/null 2>&1 ||
	skip_all "the tabrmd TCTI is not installed (apt-get install libtss2-tcti-tabrmd0)"

# The software TPM and its resource manager, for this test alone.
mkdir -m 700 "$T/tpm" "$T/store"
stop_tpm() {
	[ -f "$T/abrmd.pid" ] && kill "$(cat "$T/abrmd.pid")" 2>/dev/null
	[ -f "$T/swtpm.pid" ] && kill "$(cat "$T/swtpm.pid")" 2>/dev/null
	[ -f "$T/dbus.pid" ] && kill "$(cat "$T/dbus.pid")" 2>/dev/null
	rm -rf "$T"
}
trap stop_tpm EXIT
for try in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 20000))
	swtpm socket --tpmstate dir="$T/tpm" --tpm2 --flags not-need-init,startup-clear \
		--server type=tcp,port=$port,bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		--daemon --pid file="$T/swtpm.pid" 2>/dev/null && break
done
[ -f "$T/swtpm.pid" ] || skip_all "swtpm does not start here"
DBUS_SESSION_BUS_ADDRESS=$(dbus-daemon --session --fork --print-address=1 --print-pid=3 \
	3>"$T/dbus.pid") || skip_all "dbus-daemon does not start here"
export DBUS_SESSION_BUS_ADDRESS
tpm2-abrmd --session --tcti="swtpm:host=127.0.0.1,port=$port" --allow-root --flush-all \
	>"$T/abrmd.log" 2>&1 &
echo $! >"$T/abrmd.pid"
export TPM2_PKCS11_STORE=$T/store TPM2_PKCS11_TCTI="tabrmd:bus_type=session"
export TPM2TOOLS_TCTI=$TPM2_PKCS11_TCTI TPM2_PKCS11_LOG_LEVEL=0
for try in $(seq 1 50); do
	tpm2_ptool init --path "$T/store" >/dev/null 2>&1 && break
	sleep 0.2
done
[ "$try" -lt 50 ] || { diag "$T/abrmd.log"; skip_all "tpm2-abrmd does not answer here"; }

tpm() { "$P11BYOK" --module "$TPM_MODULE" "$@"; }
state() { (cd "$T" && sha256sum store/* && find kmdata cards 2>/dev/null | LC_ALL=C sort); }
printf 'user-pin-1234\n' >"$T/pin"
printf 'holder-1-passphrase\n' >"$T/pass1"; printf 'holder-2-passphrase\n' >"$T/pass2"
chmod 600 "$T/pin" "$T/pass1" "$T/pass2"
init() {	# world init, 1 of 2 cards, ARGS added
	tpm --kmdata "$T/kmdata" --pin-file "$T/pin" world init --acs-quorum 1/2 \
		--cards-dir "$T/cards" --card-pass-file "$T/pass1" --card-pass-file "$T/pass2" "$@"
}

# --- the free slot ---
run tpm doctor --json
if [ "$rc" -eq 1 ] && jq -e '.transfer_path == null and .result == "FAILURE" and
	([.mechanisms[] | select(.name == "CKM_RSA_PKCS_OAEP") | .present and (.usable | not)]
	== [true]) and ([.mechanisms[] | select(.name == "CKM_AES_KEY_WRAP_PAD") | .present] ==
	[false])' "$T/out" >/dev/null; then
	ok "doctor on its free slot: exit 1, OAEP listed without CKF_WRAP, no KWP, no path"
else not_ok "doctor on the free slot (exit $rc)"; diag "$T/out" "$T/err"; fi
before=$(state)
run init
if [ "$rc" -eq 1 ] && grep -q "cannot run the BYOK flow: CKM_RSA_PKCS_OAEP is offered without" \
	"$T/err" && [ "$(state)" = "$before" ]; then
	ok "world init on its free slot is refused before a card, a PIN or kmdata exists"
else not_ok "world init on the free slot (exit $rc)"; diag "$T/err"; fi

# --- a token made with the module's own tool, taken over with --adopt ---
tpm2_ptool addtoken --pid=1 --label=vendor --sopin=vendor-so-1234 --userpin=vendor-user-1 \
	--path "$T/store" >/dev/null 2>&1 || { echo "Bail out! tpm2_ptool addtoken failed"; exit 1; }
printf 'vendor-so-1234\n' >"$T/sopin"; chmod 600 "$T/sopin"
run tpm --token pkcs11:token=vendor doctor
if [ "$rc" -eq 1 ] && grep -q "CKM_RSA_PKCS_OAEP  *unusable" "$T/out" &&
	grep -q "lacks mechanisms the BYOK flow needs" "$T/err"; then
	ok "doctor on its initialised token: exit 1, naming what it lacks"
else not_ok "doctor on the token (exit $rc)"; diag "$T/out" "$T/err"; fi
# Logged in, its user may make a CKA_TRUSTED key: doctor plays that, as the user.
printf 'vendor-user-1\n' >"$T/vendor.pin"; chmod 600 "$T/vendor.pin"
run tpm --token pkcs11:token=vendor doctor --pin-file "$T/vendor.pin"
if [ "$rc" -eq 1 ] && grep -q "trust for the SO alone  *NO  *a session without the security officer made a CKA_TRUSTED key" "$T/out"; then
	ok "doctor, logged in as its user, finds the user can make a trusted key"
else not_ok "doctor as the user (exit $rc)"; diag "$T/out" "$T/err"; fi
before=$(state)
run init --adopt --token pkcs11:token=vendor --so-pin-file "$T/sopin"
if [ "$rc" -eq 1 ] && grep -q "cannot run the BYOK flow" "$T/err" &&
	[ "$(state)" = "$before" ]; then
	ok "world init --adopt is refused before the SO PIN changes: the store is as it was"
else not_ok "world init --adopt (exit $rc)"; diag "$T/err"; fi
done_testing
