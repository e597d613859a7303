# tests/vendor-kit.sh: a test stand-in for the HSM vendor and the cloud region, so the KEK
# and security-world packages of DESIGN.md §3 can be made and verified without nShield or
# Azure.  Sourced by tests (and tests/demo.sh); never installed.  Needs openssl, and for the
# cloud token softhsm2-util and pkcs11-tool with SOFTHSM2_CONF already pointing at a private
# token directory (tests/lib.sh softhsm_setup does that).
#
# The vendor's keys are software (PEM files): a root CA, and an "HSM device" certificate it
# signs.  The KEK lives either in a second SoftHSMv2 token that plays the region's HSM
# (generated there, not extractable: the real thing), or, for checks by independent tools,
# in a PEM file (the "software KEK" variant).
#
# Quick use:   kit_init "$T/kit"; kit_build NA        # cloud-token KEK, packages for NA
#              p11byok verify-kek --region NA --toolset-dir "$KIT_TOOLSET_DIR" \
#                  --root-hash "$KIT_ROOT_HASH"
#
# Functions (each returns non-zero and prints "vendor-kit: ..." when a step fails):
#   kit_init DIR              start a kit in DIR (created); resets every KIT_ variable
#   kit_root [CN]             a self-signed vendor root CA          -> KIT_ROOT_*
#   kit_device [DAYS]         a device certificate the root signs, valid DAYS days (default
#                             365; a negative DAYS makes one that has already expired)
#                                                                   -> KIT_DEVICE_*
#   kit_kek_cloud [BITS]      KEK pair generated in the cloud token (made when missing),
#                             public half read back with pkcs11-tool -> KIT_KEK_*, KIT_CLOUD_*
#                             (once per token: a second call makes a second pair, same id).
#                             pkcs11-tool decrypts with it on SoftHSMv2 2.6.1 given
#                             --mechanism RSA-PKCS-OAEP --hash-algorithm SHA-1 --mgf MGF1-SHA1
#   kit_kek_soft [BITS]       KEK pair in PEM files instead            -> KIT_KEK_*
#   kit_world_hash            a fresh random world hash                -> KIT_WORLD_HASH
#   kit_kek_statement CODE [FIELD=JSON ...]    the KEK statement JSON on stdout; each
#   kit_world_statement CODE [FIELD=JSON ...]  FIELD=JSON replaces (or adds) a field with a
#                             raw JSON value, FIELD= (empty) removes it
#   kit_sign IN OUT [pem]     CMS SignedData of file IN by the device certificate (chain
#                             included, -nodetach -binary), DER (or PEM) into OUT
#   kit_packages CODE [DIR]   both packages for region CODE in DIR (default
#                             $KIT_DIR/toolset), named as its manifest says
#                                                                   -> KIT_KEK_PACKAGE ...
#   kit_build CODE [cloud|soft]   all of the above in order (default cloud)
#   kit_region_field CODE FIELD   a field of region CODE's manifest (kek_package, name, ...)
#
# Variables it reads, to make weak or wrong chains for the refusal tests (defaults: what a
# real vendor uses):
#   KIT_ROOT_BITS             the root's RSA size (2048)
#   KIT_CERT_MD               the digest of the root's and device's certificate signatures
#                             (sha256; md5 or sha1 for a weak chain)
#   KIT_CMS_MD                the digest the packages are signed over (sha256)
#   KIT_DEVICE_EXT            the device certificate's extensions, one per line (a
#                             signing end entity: CA:FALSE, digitalSignature)
#
# Variables it sets:
#   KIT_DIR                   the kit's directory
#   KIT_REGIONS               manifests read for package names (default $REGIONS, else
#                             $top_srcdir/conf/regions); set it before kit_packages to change
#   KIT_ROOT_KEY KIT_ROOT_CERT  root CA key and certificate (PEM)
#   KIT_ROOT_HASH             SHA-1 of the root's DER SubjectPublicKeyInfo, lower-case hex:
#                             what --root-hash takes (the real manifests pin nShield's root)
#   KIT_ROOT_HASH256          the same as SHA-256
#   KIT_DEVICE_KEY KIT_DEVICE_CERT  the signing device's key and certificate (PEM)
#   KIT_CLOUD_LABEL KIT_CLOUD_PIN KIT_CLOUD_PIN_FILE  the cloud token (byok-cloud, its user
#                             PIN, a 0600 file holding it)
#   KIT_CLOUD_URI             pkcs11:token=byok-cloud;object=kek: the KEK private key, for
#                             p11byok import --unwrap-key
#   KIT_KEK_LABEL KIT_KEK_CKA_ID  label and CKA_ID (hex) of the KEK objects in the cloud token
#   KIT_KEK_DER KIT_KEK_PEM   the KEK public key (DER and PEM SubjectPublicKeyInfo)
#   KIT_KEK_PRIV_PEM          the KEK private key: software variant only, else empty
#   KIT_KEK_ID                the kid the KEK statement carries (goes into .byok headers)
#   KIT_KEK_FINGERPRINT       SHA-256 of KIT_KEK_DER, hex
#   KIT_WORLD_HASH            the world hash both statements carry
#   KIT_REGION                the region code of the last kit_packages
#   KIT_TOOLSET_DIR           where kit_packages wrote the packages
#   KIT_KEK_PACKAGE KIT_WORLD_PACKAGE  their paths (DIR/BYOK-KEK-pkg-CODE-1, ...)

: "${SOFTHSM2_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
: "${SOFTHSM2_UTIL:=$(command -v softhsm2-util || true)}"
: "${PKCS11_TOOL:=$(command -v pkcs11-tool || true)}"

kit_fail() { echo "vendor-kit: $*" >&2; return 1; }

kit_init() {
	KIT_DIR=$1
	mkdir -p "$KIT_DIR" || kit_fail "cannot make $KIT_DIR" || return 1
	KIT_REGIONS=${KIT_REGIONS:-${REGIONS:-${top_srcdir:-.}/conf/regions}}
	KIT_ROOT_KEY= KIT_ROOT_CERT= KIT_ROOT_HASH= KIT_ROOT_HASH256=
	KIT_DEVICE_KEY= KIT_DEVICE_CERT=
	KIT_CLOUD_LABEL=byok-cloud KIT_CLOUD_PIN=1234 KIT_CLOUD_PIN_FILE=$KIT_DIR/cloud.pin
	KIT_KEK_LABEL=kek KIT_KEK_CKA_ID=4b454b01
	KIT_CLOUD_URI="pkcs11:token=$KIT_CLOUD_LABEL;object=$KIT_KEK_LABEL"
	KIT_KEK_DER= KIT_KEK_PEM= KIT_KEK_PRIV_PEM= KIT_KEK_ID= KIT_KEK_FINGERPRINT=
	KIT_WORLD_HASH= KIT_REGION= KIT_TOOLSET_DIR= KIT_KEK_PACKAGE= KIT_WORLD_PACKAGE=
	kit_serial=1
}

# kit_spki_hash CERT sha1|sha256: the hash of CERT's DER SubjectPublicKeyInfo.
kit_spki_hash() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst "-$2" -r | cut -d' ' -f1
}

kit_root() {
	local cn=${1:-Test Vendor Root CA}
	KIT_ROOT_KEY=$KIT_DIR/root.key KIT_ROOT_CERT=$KIT_DIR/root.crt
	openssl req -x509 -newkey "rsa:${KIT_ROOT_BITS:-2048}" -nodes -keyout "$KIT_ROOT_KEY" \
		-out "$KIT_ROOT_CERT" -subj "/O=Test HSM Vendor/CN=$cn" -days 3650 \
		"-${KIT_CERT_MD:-sha256}" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
		kit_fail "cannot make the root CA" || return 1
	KIT_ROOT_HASH=$(kit_spki_hash "$KIT_ROOT_CERT" sha1)
	KIT_ROOT_HASH256=$(kit_spki_hash "$KIT_ROOT_CERT" sha256)
}

kit_device() {
	local days=${1:-365}
	[ -n "$KIT_ROOT_CERT" ] || kit_fail "kit_device needs kit_root first" || return 1
	KIT_DEVICE_KEY=$KIT_DIR/device.key KIT_DEVICE_CERT=$KIT_DIR/device.crt
	printf '%s\n' "${KIT_DEVICE_EXT:-basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature}" "subjectKeyIdentifier=hash" \
		"authorityKeyIdentifier=keyid:always" >"$KIT_DIR/device.ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$KIT_DEVICE_KEY" \
		-subj "/O=Test HSM Vendor/CN=HSM device 5F3E-0001" -out "$KIT_DIR/device.csr" \
		2>/dev/null &&
	openssl x509 -req -in "$KIT_DIR/device.csr" -CA "$KIT_ROOT_CERT" -CAkey "$KIT_ROOT_KEY" \
		-set_serial $((kit_serial += 1)) -days "$days" "-${KIT_CERT_MD:-sha256}" \
		-extfile "$KIT_DIR/device.ext" \
		-out "$KIT_DEVICE_CERT" 2>/dev/null ||
		kit_fail "cannot make the device certificate" || return 1
}

# kit_kek_finish: the public-key variables from $KIT_KEK_DER.
kit_kek_finish() {
	KIT_KEK_PEM=$KIT_DIR/kek.pem
	openssl pkey -pubin -inform DER -in "$KIT_KEK_DER" -out "$KIT_KEK_PEM" ||
		kit_fail "the KEK public key does not parse" || return 1
	KIT_KEK_FINGERPRINT=$(openssl dgst -sha256 -r "$KIT_KEK_DER" | cut -d' ' -f1)
	KIT_KEK_ID="https://byok-kit.vault.azure.net/keys/kek/${KIT_KEK_FINGERPRINT:0:32}"
}

kit_kek_cloud() {
	local bits=${1:-2048} p11
	[ -n "${SOFTHSM2_CONF:-}" ] || kit_fail "kit_kek_cloud needs SOFTHSM2_CONF" || return 1
	[ -n "$SOFTHSM2_UTIL" ] && [ -n "$PKCS11_TOOL" ] ||
		kit_fail "kit_kek_cloud needs softhsm2-util and pkcs11-tool" || return 1
	( umask 077; printf '%s\n' "$KIT_CLOUD_PIN" >"$KIT_CLOUD_PIN_FILE" )
	p11="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label $KIT_CLOUD_LABEL"
	if ! $p11 -T 2>/dev/null | grep -q "token label *: *$KIT_CLOUD_LABEL\$"; then
		"$SOFTHSM2_UTIL" --init-token --free --label "$KIT_CLOUD_LABEL" \
			--pin "$KIT_CLOUD_PIN" --so-pin 12345678 >/dev/null ||
			kit_fail "cannot make the cloud token" || return 1
	fi
	# Generated in the token: CKA_SENSITIVE, never extractable; decrypt and unwrap only.
	$p11 --login --pin "$KIT_CLOUD_PIN" --keypairgen --key-type "rsa:$bits" \
		--label "$KIT_KEK_LABEL" --id "$KIT_KEK_CKA_ID" --usage-decrypt --usage-wrap \
		>/dev/null 2>&1 || kit_fail "cannot generate the KEK in the cloud token" || return 1
	KIT_KEK_DER=$KIT_DIR/kek.der KIT_KEK_PRIV_PEM=
	$p11 --read-object --type pubkey --id "$KIT_KEK_CKA_ID" -o "$KIT_KEK_DER" >/dev/null 2>&1 ||
		kit_fail "cannot read the KEK public key back" || return 1
	kit_kek_finish
}

kit_kek_soft() {
	local bits=${1:-2048}
	KIT_KEK_PRIV_PEM=$KIT_DIR/kek-private.pem KIT_KEK_DER=$KIT_DIR/kek.der
	( umask 077; openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
		-out "$KIT_KEK_PRIV_PEM" 2>/dev/null ) &&
	openssl pkey -in "$KIT_KEK_PRIV_PEM" -pubout -outform DER -out "$KIT_KEK_DER" ||
		kit_fail "cannot make a software KEK" || return 1
	kit_kek_finish
}

kit_world_hash() { KIT_WORLD_HASH=$(openssl rand -hex 32); }

# kit_json KEY=JSON...: an object with the fields in order; later KEY= entries replace
# earlier ones in place, an empty value removes the field.
kit_json() {
	local -a keys=() vals=()
	local kv k v i found out=
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=} found=
		for i in "${!keys[@]}"; do
			[ "${keys[$i]}" = "$k" ] && { vals[$i]=$v; found=1; }
		done
		[ -n "$found" ] || { keys+=("$k"); vals+=("$v"); }
	done
	for i in "${!keys[@]}"; do
		[ -n "${vals[$i]}" ] || continue
		out="$out${out:+,}\"${keys[$i]}\":${vals[$i]}"
	done
	printf '{%s}' "$out"
}

kit_kek_statement() {
	local code=$1; shift
	kit_json type='"kek"' name="\"$(kit_region_field "$code" kek_package)\"" \
		region="\"$code\"" kid="\"$KIT_KEK_ID\"" \
		public_key="\"$(base64 -w0 "$KIT_KEK_DER")\"" generated_in_hsm=true \
		exportable=false world_hash="\"$KIT_WORLD_HASH\"" "$@"
}

kit_world_statement() {
	local code=$1; shift
	kit_json type='"world"' name="\"$(kit_region_field "$code" world_package)\"" \
		region="\"$code\"" world_hash="\"$KIT_WORLD_HASH\"" "$@"
}

kit_sign() {
	local form=DER
	[ "${3:-}" = pem ] && form=PEM
	openssl cms -sign -binary -nodetach -md "${KIT_CMS_MD:-sha256}" -in "$1" \
		-signer "$KIT_DEVICE_CERT" \
		-inkey "$KIT_DEVICE_KEY" -certfile "$KIT_ROOT_CERT" -outform "$form" -out "$2" ||
		kit_fail "cannot sign $1" || return 1
}

kit_region_field() {
	local f
	f=$(grep -l "^code: *$1 *\$" "$KIT_REGIONS"/*.yaml | head -n1)
	[ -n "$f" ] || kit_fail "no manifest in $KIT_REGIONS has code $1" || return 1
	sed -n "s/^$2: *//p" "$f" | head -n1
}

kit_packages() {
	local code=$1 kname wname
	KIT_REGION=$code KIT_TOOLSET_DIR=${2:-$KIT_DIR/toolset}
	kname=$(kit_region_field "$code" kek_package) &&
	wname=$(kit_region_field "$code" world_package) || return 1
	mkdir -p "$KIT_TOOLSET_DIR"
	KIT_KEK_PACKAGE=$KIT_TOOLSET_DIR/$kname KIT_WORLD_PACKAGE=$KIT_TOOLSET_DIR/$wname
	kit_kek_statement "$code" >"$KIT_DIR/kek-$code.json" &&
	kit_world_statement "$code" >"$KIT_DIR/world-$code.json" &&
	kit_sign "$KIT_DIR/kek-$code.json" "$KIT_KEK_PACKAGE" &&
	kit_sign "$KIT_DIR/world-$code.json" "$KIT_WORLD_PACKAGE"
}

kit_build() {
	local code=$1 kind=${2:-cloud}
	kit_root && kit_device && kit_world_hash || return 1
	case $kind in
	cloud) kit_kek_cloud || return 1 ;;
	soft) kit_kek_soft || return 1 ;;
	*) kit_fail "kit_build: KEK kind is cloud or soft, not $kind"; return 1 ;;
	esac
	kit_packages "$code"
}
