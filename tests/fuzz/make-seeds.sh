#!/bin/bash
# make-seeds.sh OUTDIR: real kmdata files for the card, keyrecord and world fuzz targets,
# made by the tool itself on a throwaway SoftHSMv2 token (the flow of tests/transfer.sh):
# world init 2/3 (the cards and the world file), generate RSA, EC and AES keys (key_simple_),
# modify-acls with the region's attested KEK and with a Key Vault PEM (key_xferacld_).
# The records are renamed to ident "fuzzkey", the one fuzz-keyrecord.c loads.  Run from a
# built tree: P11BYOK=./p11byok bash tests/fuzz/make-seeds.sh /tmp/seeds
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
out=${1:?usage: make-seeds.sh OUTDIR}
softhsm_setup
. "$top_srcdir/tests/vendor-kit.sh"
kit_init "$T/kit" && kit_build NA || exit 1
mkdir -p "$out/card" "$out/keyrecord" "$out/world" "$T/cards"
mkdir -m 700 "$T/kmdata"
printf 'user-pin-1234\n' >"$T/pin"
for i in 1 2 3; do printf 'card %s passphrase\n' "$i" >"$T/pass$i"; done
chmod 600 "$T/pin" "$T/pass"*
wp() { p11 --kmdata "$T/kmdata" --pin-file "$T/pin" --token pkcs11:token=byok-world "$@"; }
cards=(--card "$T/cards/card-1-of-3.acs" --card-pass-file "$T/pass1"
	--card "$T/cards/card-3-of-3.acs" --card-pass-file "$T/pass3")
die() { echo "make-seeds: $*" >&2; exit 1; }

p11 --kmdata "$T/kmdata" --pin-file "$T/pin" world init --acs-quorum 2/3 \
	--cards-dir "$T/cards" --label byok-world --card-pass-file "$T/pass1" \
	--card-pass-file "$T/pass2" --card-pass-file "$T/pass3" >/dev/null || die "world init"
for k in rsa:RSA:size=2048 ec:EC:curve=P-256 aes:AES:size=256; do
	IFS=: read -r id type spec <<<"$k"
	wp generate type="$type" "$spec" protect=module ident="$id" plainname="$id key" \
		>/dev/null || die "generate $id"
done
wp modify-acls --ident rsa --region NA --toolset-dir "$KIT_TOOLSET_DIR" \
	--root-hash "$KIT_ROOT_HASH" "${cards[@]}" >/dev/null || die "modify-acls rsa"
kit_kek_soft >/dev/null || die "kit_kek_soft"
for id in ec aes; do
	wp modify-acls --ident "$id" --kek-pem "$KIT_KEK_PEM" --kek-id "https://fuzz.vault.azure.net/keys/kek/1" \
		"${cards[@]}" >/dev/null || die "modify-acls $id"
done

cp "$T/cards/card-1-of-3.acs" "$out/card/card-1-of-3.acs"
cp "$T/kmdata/world" "$out/world/world-2of3"
fuzzhex=$(printf fuzzkey | xxd -p)
for id in rsa ec aes; do
	idhex=$(printf %s "$id" | xxd -p)
	for rec in simple xferacld; do
		sed -e "s/\"$id\"/\"fuzzkey\"/; s/\"$idhex\"/\"$fuzzhex\"/; s/ $id / fuzzkey /; s/restore $id'/restore fuzzkey'/" \
			"$T/kmdata/key_${rec}_$id" >"$out/keyrecord/${rec}-$id"
	done
done
ls -R "$out"
