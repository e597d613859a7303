#!/bin/bash
# offline.sh: the offline policy (issue 6), in network namespaces, never on the machine's own
# interfaces.  With a veth interface up, generate, modify-acls, package and run refuse under
# 'require' (exit 3, naming the interface) before touching anything, warn under 'warn' and
# say nothing under 'off'; with only loopback, 'require' lets them go on.  Each run that goes
# on must do its work (a key, a copy, a .byok) on a real world, not just pass the check.
. "$(dirname "$0")/lib.sh"
need openssl ip unshare
unshare -n true 2>/dev/null || skip_all "unshare -n is not permitted here"
# online CMD...: CMD in a new network namespace whose only interface up is veth v0.
online() {
	unshare -n sh -c 'ip link add v0 type veth peer name v1 && ip link set v0 up &&
		exec "$@"' sh "$@"
}
online true 2>/dev/null || skip_all "cannot make a veth interface in a network namespace"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
	openssl pkey -pubout -out "$T/kek.pem"
KID=https://vault.vault.azure.net/keys/kek/1
# A world (quorum 1/1) on a SoftHSMv2 token, so that under warn, off and require with only
# loopback every command does its work, not merely gets past the check.
softhsm_setup
mkdir -m 700 "$T/kmdata"
printf 'user-pin-1234\n' >"$T/pin"
printf 'card passphrase\n' >"$T/pass"
chmod 600 "$T/pin" "$T/pass"
"$P11BYOK" --module "$SOFTHSM2_MODULE" --kmdata "$T/kmdata" --pin-file "$T/pin" --offline=off \
	world init --acs-quorum 1/1 --cards-dir "$T/cards" --label byok-world \
	--card-pass-file "$T/pass" >"$T/out" 2>&1 || { diag "$T/out"; echo "Bail out! world init"; exit 1; }
printf 'offline: require\n' >"$T/offline.yaml"
card=(--card "$T/cards/card-1-of-1.acs" --card-pass-file "$T/pass")
# cmdline NAME MODE: the command line of NAME (gen, acls, pkg, runb) in argv, for key k-MODE
# (each mode its own key: generate made k-warn, so modify-acls and package find it).
cmdline() {
	local k=k-$2
	case $1 in
	gen) argv=(generate type=RSA size=2048 "ident=$k") ;;
	acls)	# under require, a key that exists: the refusal must be the network's
		[ "$2" = require ] && k=k-warn
		argv=(modify-acls --ident "$k" --kek-pem "$T/kek.pem" --kek-id "$KID") ;;
	pkg)	[ "$2" = require ] && k=k-warn	# as acls: a key modify-acls prepared
		argv=(package --ident "$k" --kek-pem "$T/kek.pem" --kek-id "$KID" --friendly-name "$k"
		-o "$T/out-$k.byok" "${card[@]}") ;;
	runb)
		cat >"$T/run-$2.yaml" <<YAML
kmdata: kmdata
kek_pem: kek.pem
kek_id: $KID
output_dir: byok
cards:
  - file: cards/card-1-of-1.acs
    pass_file: pass
keys:
  - ident: r-$2
    type: EC
    curve: P-256
    friendly_name: R-$2
YAML
		argv=(run "$T/run-$2.yaml") ;;
	esac
}
t=("$P11BYOK" --module "$SOFTHSM2_MODULE" --kmdata "$T/kmdata" --pin-file "$T/pin")
# kmdata and the output, the refusals' FAILURE lines aside (refused() looks at those).
kmdata_state() {
	(cd "$T" && find kmdata byok -type f ! \( $AUDIT_FILES \) -exec sha256sum {} + 2>/dev/null |
		LC_ALL=C sort && audit_kept kmdata)
}
# refused NAME: the FAILURE lines the log gained since $failures0 are NAME's two refusals.
refused() {
	grep '"result":"FAILURE"' "$T/kmdata/audit.log" | tail -n +$((failures0 + 1)) >"$T/new"
	[ "$(wc -l <"$T/new")" -eq 2 ] &&
		[ "$(grep -c "\"command\":\"$1\".*\"exit_code\":3.*\"error\":\"$1 refused: this workstation is on a network" "$T/new")" -eq 2 ]
}
# did NAME MODE: what NAME's work left, checked after it succeeded.
did() {
	case $1 in
	gen) test -e "$T/kmdata/key_simple_k-$2" ;;
	acls) test -e "$T/kmdata/key_xferacld_k-$2" ;;
	pkg) test -s "$T/out-k-$2.byok" ;;
	runb) test -s "$T/byok/KeyTransferPackage-R-$2.byok" ;;
	esac
}

for c in gen acls pkg runb; do
	cmdline "$c" require
	name=${argv[0]}
	before=$(kmdata_state)
	failures0=$(grep -c '"result":"FAILURE"' "$T/kmdata/audit.log")
	expect 3 "$name refused: this workstation is on a network \(v0 up\).*--offline=warn" \
		"require: $name refuses with an interface up" -- online "${t[@]}" --offline=require "${argv[@]}"
	if [ "$name" = run ]; then
		sed '1i offline: require' "$T/run-require.yaml" >"$T/require.yaml"
		expect 3 "run refused" "require from the runbook: run refuses too" -- \
			online "${t[@]}" run "$T/require.yaml"
	else
		expect 3 "$name refused" "require from --config: $name refuses too" -- \
			online "${t[@]}" --config "$T/offline.yaml" "${argv[@]}"
	fi
	[ "$(kmdata_state)" = "$before" ] && ok "... and $name wrote nothing" ||
		not_ok "... and $name wrote nothing"
	refused "$name" && ok "... but the audit log records both refusals, naming the network" ||
		{ not_ok "... the audit log records both refusals"; diag "$T/new"; }
	"$P11BYOK" audit verify "$T/kmdata/audit.log" >/dev/null 2>&1 &&
		ok "... and the log still verifies" || not_ok "... and the log still verifies"
	cmdline "$c" warn
	run online "${t[@]}" --offline=warn "${argv[@]}"
	[ "$rc" -eq 0 ] && did "$c" warn &&
		grep -q "warning: $name on a workstation with a network interface up (v0)" "$T/err" &&
		ok "warn: $name warns naming v0, and does its work" ||
		{ not_ok "warn: $name warns and goes on (exit $rc)"; diag "$T/err"; }
	cmdline "$c" off
	run online "${t[@]}" --offline=off "${argv[@]}"
	[ "$rc" -eq 0 ] && did "$c" off && ! grep -q "network" "$T/err" &&
		ok "off: $name says nothing about the network and does its work" ||
		{ not_ok "off: $name (exit $rc)"; diag "$T/err"; }
	cmdline "$c" lo
	run unshare -n "${t[@]}" --offline=require "${argv[@]}"
	[ "$rc" -eq 0 ] && did "$c" lo && ! grep -q "network" "$T/err" &&
		ok "require with only loopback: $name does its work" ||
		{ not_ok "require with only loopback: $name (exit $rc)"; diag "$T/err"; }
done
done_testing
