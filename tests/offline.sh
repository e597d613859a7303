#!/bin/bash
# offline.sh: the offline policy (issue 6), in network namespaces, never on the machine's own
# interfaces.  With a veth interface up, generate, modify-acls, package and run refuse under
# 'require' (exit 3, naming the interface) before touching anything, warn under 'warn' and
# say nothing under 'off'; with only loopback, 'require' lets them go on.
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
mkdir -m 700 "$T/kmdata"
cat >"$T/runbook.yaml" <<YAML
kmdata: kmdata
kek_pem: kek.pem
kek_id: $KID
keys:
  - ident: k1
    type: RSA
    size: 2048
    friendly_name: K1
YAML
printf 'offline: require\n' >"$T/offline.yaml"
gen=(generate type=RSA size=2048 ident=k1)
acls=(modify-acls --ident k1 --kek-pem "$T/kek.pem" --kek-id "$KID")
pkg=(package --ident k1 --kek-pem "$T/kek.pem" --kek-id "$KID" --friendly-name K1)
runb=(run "$T/runbook.yaml")
t=("$P11BYOK" --module "$SOFTHSM2_MODULE" --kmdata "$T/kmdata")

kmdata_state() { (cd "$T" && find kmdata -type f -exec sha256sum {} + | LC_ALL=C sort); }

for c in gen acls pkg runb; do
	declare -n argv=$c
	name=${argv[0]}
	before=$(kmdata_state)
	expect 3 "$name refused: this workstation is on a network \(v0 up\).*--offline=warn" \
		"require: $name refuses with an interface up" -- online "${t[@]}" --offline=require "${argv[@]}"
	if [ "$name" = run ]; then
		sed '1i offline: require' "$T/runbook.yaml" >"$T/require.yaml"
		expect 3 "run refused" "require from the runbook: run refuses too" -- \
			online "${t[@]}" run "$T/require.yaml"
	else
		expect 3 "$name refused" "require from --config: $name refuses too" -- \
			online "${t[@]}" --config "$T/offline.yaml" "${argv[@]}"
	fi
	[ "$(kmdata_state)" = "$before" ] && ok "... and $name wrote nothing" ||
		not_ok "... and $name wrote nothing"
	run online "${t[@]}" --offline=warn "${argv[@]}"
	grep -q "warning: $name on a workstation with a network interface up (v0)" "$T/err" &&
		ok "warn: $name warns naming v0, and goes on" || { not_ok "warn: $name warns"; diag "$T/err"; }
	run online "${t[@]}" --offline=off "${argv[@]}"
	[ -s "$T/err" ] && ! grep -q "network" "$T/err" && ok "off: $name says nothing about the network" ||
		{ not_ok "off: $name says nothing about the network"; diag "$T/err"; }
	run unshare -n "$P11BYOK" --module "$SOFTHSM2_MODULE" --kmdata "$T/kmdata" \
		--offline=require "${argv[@]}"
	[ -s "$T/err" ] && ! grep -q "network" "$T/err" && ok "require with only loopback: $name goes on" ||
		{ not_ok "require with only loopback: $name goes on"; diag "$T/err"; }
	unset -n argv
done
done_testing
