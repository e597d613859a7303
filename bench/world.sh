# bench/world.sh: the world the key benches work in, sourced after bench/lib.sh.  Needs
# $P11BYOK, $MODULE and $dir (a private temp dir); uses tests/vendor-kit.sh for the KEK.
#
# world_init          SoftHSMv2 token directory $dir/tokens (SOFTHSM2_CONF exported), a
#                     software KEK (the current Azure method: a Key Vault PEM and its kid),
#                     the user PIN file, and `p11byok world init` with a 1-of-1 card quorum
#                     (the card is read at set-up; a timed sample of run or package
#                     opens it again, as the quorum approves every transfer), and the SO
#                     PIN those cards rebuild (tests/so-pin), for bench/wrap-min's baseline
#                                     -> KEK_PEM KEK_ID KEK_MODULUS (hex), PIN, SO_PIN_FILE
# runbook FILE SPEC...  a runbook in $dir (paths relative to it) whose keys are SPEC, each
#                     COUNT:TYPE:SIZE-OR-CURVE (e.g. 200:RSA:2048, 50:EC:P-256); idents
#                     bench-T-S-NNN, friendly names Bench-T-S-NNN  -> IDENTS (one a line)
# snapshot            copies the token directory, kmdata and output dir aside
# RESTORE             a shell command putting the snapshot back (BENCH_RESET)
# p11 ARGS...         p11byok on the bench's module, kmdata and PIN
# measure RUNBOOK     the timed rounds ($runs) of the commands the script's
#                     `commands MODULE RUNBOOK` puts in $cmds, then their PKCS#11 call
#                     counts through tests/faulty-pkcs11.so ($FAULTY, when built)

: "${top_srcdir:=$(cd "$here/.." && pwd)}"
SO_PIN=${SO_PIN_TOOL:-$(dirname "$P11BYOK")/tests/so-pin}
MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
SOFTHSM2_UTIL=${SOFTHSM2_UTIL:-$(command -v softhsm2-util || true)}
PKCS11_TOOL=${PKCS11_TOOL:-$(command -v pkcs11-tool || true)}
[ -f "$MODULE" ] && [ -n "$SOFTHSM2_UTIL" ] ||
	{ echo "bench: SoftHSMv2 is needed (apt-get install softhsm2)" >&2; exit 2; }
[ -x "$P11BYOK" ] || { echo "bench: $P11BYOK is not built: run make" >&2; exit 2; }
if [ ! -x "$SO_PIN" ]; then
	make -C "$(dirname "$P11BYOK")" tests/so-pin >/dev/null ||
		{ echo "bench: cannot build $SO_PIN (make tests/so-pin)" >&2; exit 2; }
fi
. "$top_srcdir/tests/vendor-kit.sh"

p11() { "$P11BYOK" --module "$MODULE" --kmdata "$dir/kmdata" --pin-file "$dir/user.pin" \
	--offline off --quiet "$@"; }

world_init() {
	mkdir -p "$dir/tokens" "$dir/cards"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$dir/tokens" >"$dir/softhsm2.conf"
	export SOFTHSM2_CONF=$dir/softhsm2.conf
	PIN=bench-user-pin
	( umask 077; printf '%s\n' "$PIN" >"$dir/user.pin";
	  printf 'bench card passphrase\n' >"$dir/card.pass" )
	kit_init "$dir/kit" && kit_kek_soft >/dev/null || exit 1
	KEK_PEM=$KIT_KEK_PEM KEK_ID=$KIT_KEK_ID
	KEK_MODULUS=$(openssl rsa -pubin -in "$KEK_PEM" -noout -modulus | sed 's/^Modulus=//')
	p11 world init --acs-quorum 1/1 --cards-dir "$dir/cards" --label byok-world \
		--card-pass-file "$dir/card.pass" >/dev/null ||
		{ echo "bench: world init failed" >&2; exit 1; }
	SO_PIN_FILE=$dir/so.pin
	( umask 077; "$SO_PIN" "$dir/cards/card-1-of-1.acs" "$dir/card.pass" >"$SO_PIN_FILE" ) ||
		{ echo "bench: cannot rebuild the SO PIN with $SO_PIN" >&2; exit 1; }
}

runbook() {
	local file=$1 spec count type size i id
	shift
	cat >"$file" <<YAML
module: $MODULE
token: pkcs11:token=byok-world
kmdata: kmdata
pin_file: user.pin
offline: off
kek_pem: $KEK_PEM
kek_id: $KEK_ID
output_dir: out
cards:
  - file: cards/card-1-of-1.acs
    pass_file: card.pass
keys:
YAML
	IDENTS=
	for spec in "$@"; do
		IFS=: read -r count type size <<<"$spec"
		for ((i = 1; i <= count; i++)); do
			id=$(printf '%s-%s-%03d' "${type,,}" "${size,,}" "$i")
			IDENTS="$IDENTS${IDENTS:+
}bench-$id"
			if [ "$type" = EC ]; then
				printf '  - ident: bench-%s\n    type: EC\n    curve: %s\n' "$id" "$size"
			else
				printf '  - ident: bench-%s\n    type: %s\n    size: %s\n' "$id" "$type" "$size"
			fi >>"$file"
			printf '    friendly_name: Bench-%s\n' "$id" >>"$file"
		done
	done
}

snapshot() {
	rm -rf "$dir/snap"
	mkdir -p "$dir/snap" "$dir/out"
	chmod 700 "$dir/out"
	cp -a "$dir/tokens" "$dir/kmdata" "$dir/out" "$dir/snap/"
	RESTORE="cd '$dir' && rm -rf tokens kmdata out && cp -a snap/tokens snap/kmdata snap/out ."
}

measure() {
	commands "$MODULE" "$1"
	[ "$runs" -eq 0 ] || pair "$runs" "${cmds[@]}"
	if [ "$runs" -gt 0 ] && [ -f "$FAULTY" ]; then
		sed "s|^module: .*|module: $FAULTY|" "$1" >"${1%.yaml}-calls.yaml"
		commands "$FAULTY" "${1%.yaml}-calls.yaml"
		P11FAULT_MODULE=$MODULE calls "${cmds[@]}"
	fi
}
