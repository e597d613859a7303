#!/bin/bash
# bad-input-catalogue.sh: the catalogue of bad inputs across every command (issue 7), one
# row per line:   row CODE REGEX DESCRIPTION -- COMMAND...
# Each row asserts the exit code, exactly one error line that matches REGEX (which names the
# input and says what to do), and that nothing changed: every file under the kmdata copies,
# the cards, the output directories and the "victim" directory (where links point), and the
# token objects (SoftHSMv2's object files; token.object, which every login rewrites, aside).
# Rows of tests/bad-input.sh, runbook-schema.sh, world.sh, verify-kek.sh, import.sh and
# keys.sh are not repeated here.
#
# Path policy (README "Files and paths"): inputs are read through symbolic links, like cat;
# an output path that is a link, a directory or another non-regular file is refused, even
# with --force (never written through, never replaced); a FIFO given as an input is refused
# without waiting for a writer.  Outputs and the kmdata directory are checked for room
# before the token is touched, so a failure costs no key, no transfer key, no token state.
#
# Unwritable and full directories: the tests run as root in CI, where chmod stops nothing.
# The script re-runs itself in a private mount namespace (unshare -m) and uses read-only bind
# mounts and small full tmpfs mounts there; chattr +i for an immutable directory; ulimit -f
# for a file size limit.  Rows whose mechanism is not available here are skipped, saying why.
if [ -z "${P11BYOK_CATALOGUE_NS:-}" ] && [ "$(id -u)" = 0 ] &&
	unshare -m true 2>/dev/null; then
	export P11BYOK_CATALOGUE_NS=1
	exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need openssl
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
softhsm_setup
MOUNTS=() IMMUTABLE=()
cleanup() {
	local d
	for d in "${IMMUTABLE[@]}"; do chattr -i "$d" 2>/dev/null; done
	for d in "${MOUNTS[@]}"; do umount -l "$d" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# pb ARGS...: the tool, bounded in time so a regression that blocks (a FIFO) fails the row
# instead of hanging the suite.
pb() { timeout -k 10 900 "$P11BYOK" --module "$SOFTHSM2_MODULE" --regions "$REGIONS" "$@"; }

# --- fixtures: a world 2/3, one RSA key with its transfer copy ---
W=pkcs11:token=byok-world
mkdir -p "$T/km" "$T/cards" "$T/o" "$T/victim" "$T/adir"
chmod 700 "$T/km"
printf 'user-pin-1234\n' >"$T/pin"
for i in 1 2 3; do printf 'card %s passphrase\n' "$i" >"$T/pass$i"; done
chmod 600 "$T/pin" "$T/pass"?
wp() { pb --token "$W" --kmdata "$T/km" --pin-file "$T/pin" --offline off "$@"; }
cards=(--card "$T/cards/card-1-of-3.acs" --card-pass-file "$T/pass1"
	--card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass2")
fail_setup() { echo "Bail out! setup: $*"; cat "$T/err" "$T/out" 2>/dev/null; exit 1; }
run pb --kmdata "$T/km" --pin-file "$T/pin" world init --acs-quorum 2/3 --cards-dir "$T/cards" \
	--card-pass-file "$T/pass1" --card-pass-file "$T/pass2" --card-pass-file "$T/pass3"
[ "$rc" -eq 0 ] || fail_setup "world init"
. "$top_srcdir/tests/vendor-kit.sh"
kit_init "$T/kit" && kit_build NA >/dev/null || fail_setup "vendor kit"
run wp generate type=RSA size=2048 protect=module ident=k1
[ "$rc" -eq 0 ] || fail_setup "generate"
# ma: modify-acls for k1 under the kit's KEK (the cloud token holds its private half); pk:
# its package, which the two cards approve.
ma() { wp modify-acls --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID"; }
pk() { wp package --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID" --friendly-name k1 \
	"${cards[@]}" "$@"; }
run ma; [ "$rc" -eq 0 ] || fail_setup "modify-acls"
run pk -o "$T/good.byok"; [ "$rc" -eq 0 ] || fail_setup "package"
imp() { pb --pin-file "$KIT_CLOUD_PIN_FILE" import "$@" --unwrap-key "$KIT_CLOUD_URI"; }

# --- the bad inputs the rows use ---
mkfifo "$T/fifo"
: >"$T/empty"
printf 'user-pin-1234\n' >"$T/pin644"; chmod 644 "$T/pin644"
ln -s "$T/pin" "$T/pin-link"
head -c 2000 /dev/zero | tr '\0' 7 >"$T/longpin"; chmod 600 "$T/longpin"
printf '9999\n' >"$T/wrongpin"; chmod 600 "$T/wrongpin"
printf -- '- module\n- token\n' >"$T/list.yaml"
printf 'module: lib/nope.so\n' >"$T/cfg-module.yaml"
printf 'pin_file: missing.pin\n' >"$T/cfg-pin.yaml"
printf 'kmdata: %s\n' "$T/pin" >"$T/cfg-kmdata.yaml"
mkdir -p "$T/regfifo"; cp "$REGIONS/01-united-states.yaml" "$T/regfifo/"
mkfifo "$T/regfifo/02-fifo.yaml"
mkdir -p "$T/kmworld"; mkdir "$T/kmworld/world"
cp -a "$T/km" "$T/kmlink"		# kmdata whose audit trail is a link
cp "$T/km/audit.log" "$T/victim/audit.log"
rm "$T/kmlink/audit.log"; ln -s "$T/victim/audit.log" "$T/kmlink/audit.log"
cp -a "$T/km" "$T/kmrecdir"		# kmdata whose records are a directory and a link
mkdir "$T/kmrecdir/key_simple_k3"
ln -s "$T/victim/key_simple_k9" "$T/kmrecdir/key_simple_k9"
cp "$T/km/audit.log" "$T/lonely.log"	# a log copied without its audit.head
cp -a "$T/km" "$T/kmcut"		# kmdata whose log ends in a line cut off mid-way
truncate -s -30 "$T/kmcut/audit.log"
cutline=$(wc -l <"$T/km/audit.log")
ln -s "$T/victim/target.byok" "$T/o/dangling.byok"
printf 'not to be overwritten\n' >"$T/victim/existing.byok"
ln -s "$T/victim/existing.byok" "$T/o/existing-link.byok"
mkfifo "$T/o/fifo.byok"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/priv.pem" 2>/dev/null

# Read-only and full directories: a read-only bind mount of a kmdata copy and of an output
# directory; a 128 KiB tmpfs filled to the last block for each.
RO=ok FULL=ok IMM=ok
ro_mount() {
	cp -a "$1" "$2" && mount --bind "$2" "$2" && MOUNTS+=("$2") &&
		mount -o remount,bind,ro "$2"
}
full_mount() {
	mkdir -p "$2" && mount -t tmpfs -o size=128k,mode=0700 tmpfs "$2" && MOUNTS+=("$2") &&
		cp -a "$1/." "$2/" && { dd if=/dev/zero of="$2/fill" bs=4k 2>/dev/null; true; }
}
if [ -z "${P11BYOK_CATALOGUE_NS:-}" ]; then
	RO="not root or no unshare -m: no private mount namespace for read-only mounts"
	FULL="not root or no unshare -m: no private mount namespace for a full tmpfs"
else
	ro_mount "$T/km" "$T/kmro" && ro_mount "$T/adir" "$T/oro" ||
		RO="a read-only bind mount failed here (mount --bind, remount,ro)"
	full_mount "$T/km" "$T/kmfull" && full_mount "$T/adir" "$T/ofull" ||
		FULL="a tmpfs mount failed here (mount -t tmpfs)"
	# An earlier mount failure must not leave a half-made fixture as the real thing.
	[ "$RO" = ok ] || { umount -l "$T/kmro" "$T/oro" 2>/dev/null; rm -rf "$T/kmro" "$T/oro"; }
	[ "$FULL" = ok ] || { umount -l "$T/kmfull" "$T/ofull" 2>/dev/null; rm -rf "$T/kmfull" "$T/ofull"; }
fi
mkdir "$T/immut"
if command -v chattr >/dev/null && chattr +i "$T/immut" 2>/dev/null; then
	IMMUTABLE+=("$T/immut")
else
	IMM="chattr +i is not supported on $T's file system (or chattr is missing)"
fi

# --- the row machinery ---
WATCH="km kmcut kmlink kmrecdir kmro kmfull cards o oro ofull immut victim adir tokens"
# state: every watched path with its type and mode, links with their target, regular files
# with their SHA-256; SoftHSMv2's per-login token.object, lock files and generation counter
# aside (object files are the token's objects); audit logs but for their FAILURE lines.
state() {
	local dirs=() d
	for d in $WATCH; do [ -e "$T/$d" ] && dirs+=("$d"); done
	(cd "$T" &&
	find "${dirs[@]}" \( -name token.object -o -name '*.lock' -o -name generation -o \
		$AUDIT_FILES \) -prune -o -printf '%y %m %p %l\n' | sort &&
	find "${dirs[@]}" -type f ! -name token.object ! -name '*.lock' ! -name generation \
		! \( $AUDIT_FILES \) -exec sha256sum {} + | sort -k2 &&
	audit_kept "${dirs[@]}")
}
objects() { find "$T/tokens" -name '*.object' ! -name token.object | wc -l; }

# row CODE REGEX DESC -- CMD...: one TAP line for the exit code, the one error line
# matching REGEX (stderr, then stdout) and the unchanged state.
nrow=0
row() {
	local code=$1 regex=$2 desc=$3 before after errors why=
	shift 4
	nrow=$((nrow + 1))
	before=$(state)
	run "$@"
	after=$(state)
	errors=$(grep -v '^p11byok: warning: ' "$T/err" | grep -c '^p11byok: \|^p11byok [a-z-]*: ')
	if [ "$rc" -ne "$code" ]; then why="exit $rc, want $code"
	elif ! cat "$T/err" "$T/out" | grep -Eq -- "$regex"; then why="output does not match /$regex/"
	elif [ "$code" -ne 0 ] && [ "$errors" -ne 1 ]; then why="$errors error lines, want 1"
	elif [ "$before" != "$after" ]; then why="something changed"
	fi
	if [ -z "$why" ]; then ok "row $nrow: $desc"; return; fi
	not_ok "row $nrow: $desc ($why)"
	diag "$T/err" "$T/out"
	[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | diag
}
# when STATUS row ...: the row, or a skip naming why its mechanism is unavailable.
when() {
	local status=$1; shift
	if [ "$status" = ok ]; then "$@"; else nrow=$((nrow + 1)); skip "row $nrow: $4: $status"; fi
}
objects_before=$(objects)

# --- global options and --config ---
row 2 "runbook $T/adir is a directory: give the path of a file" "--config names a directory" -- pb --config "$T/adir" regions NA
row 2 "runbook $T/fifo is not a regular file: give the path of a file" "--config names a FIFO without a writer (refused, not waited on)" -- pb --config "$T/fifo" regions NA
row 2 "list.yaml:1:1: the runbook must be a mapping" "--config holding a YAML list" -- pb --config "$T/list.yaml" regions NA
# Hostile YAML, refused while parsing, before any document is built (bench/yaml.sh times
# them): 1 MiB of nesting, an alias bomb, an entry repeated through an alias, a merge key.
{ printf 'keys: '; head -c 524000 /dev/zero | tr '\0' '['; head -c 524000 /dev/zero | tr '\0' ']'; } >"$T/deep.yaml"
{ printf 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
	for i in 1 2 3 4 5 6 7 8 9; do
		printf 'a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n' "$i" "$i" \
			$((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) \
			$((i - 1)) $((i - 1))
	done; printf 'keys: *a9\n'; } >"$T/bomb.yaml"
printf 'kmdata: km\nkeys:\n  - &k1\n    ident: neg-ec\n    type: EC\n  - *k1\n' >"$T/alias.yaml"
printf 'kmdata: km\ndefaults:\n  type: EC\nkeys:\n  - <<: {type: EC}\n    ident: a\n' >"$T/merge.yaml"
printf 'kmdata: km\nkeys: []\n' | iconv -f UTF-8 -t UTF-16 >"$T/utf16.yaml"
row 2 "utf16.yaml:1:1: the runbook is UTF-16 \(it starts with a byte-order mark\): save it as UTF-8" "a UTF-16 runbook with a byte-order mark" -- pb run "$T/utf16.yaml"
row 2 "deep.yaml:1:38: the runbook nests deeper than 32 levels" "a runbook nested half a million levels deep (1 MiB)" -- pb run "$T/deep.yaml"
row 2 "bomb.yaml:1:5: anchors \(&a0\) are not supported in the runbook" "an alias bomb (billion laughs)" -- pb run "$T/bomb.yaml"
row 2 "alias.yaml:3:5: anchors \(&k1\) are not supported in the runbook" "a key entry repeated through an alias" -- pb run "$T/alias.yaml"
row 2 "merge.yaml:5:5: merge keys \(<<\) are not supported in the runbook" "a merge key" -- pb run "$T/merge.yaml"
row 2 "deep.yaml:1:38: the region manifest nests deeper than 32 levels" "a region manifest nested 1 MiB deep" -- sh -c "mkdir -p '$T/deepregions' && cp '$T/deep.yaml' '$T/deepregions/' && exec '$P11BYOK' --regions '$T/deepregions' regions"
row 2 "--offline must be require, warn or off, not 'sometimes'" "--offline with an unknown policy" -- pb --offline sometimes regions NA
row 3 "cannot load PKCS#11 module $T/lib/nope.so: .*check --module" "a config's relative module path is taken from the config's directory" -- "$P11BYOK" --config "$T/cfg-module.yaml" doctor
row 2 "cannot open PIN file $T/missing.pin: No such file.*check the path" "a config's pin_file that does not exist" -- pb --token "$W" --config "$T/cfg-pin.yaml" doctor
row 2 "kmdata $T/pin is not a directory: give --kmdata" "a config's kmdata that is a file" -- pb --config "$T/cfg-kmdata.yaml" world show
row 3 "cannot load PKCS#11 module $T/adir: it is a directory; check --module" "--module names a directory" -- "$P11BYOK" --module "$T/adir" doctor
row 3 "cannot load PKCS#11 module $T/fifo: it is not a regular file; check --module" "--module names a FIFO (dlopen would wait forever)" -- "$P11BYOK" --module "$T/fifo" doctor

# --- PIN files ---
row 2 "PIN file $T/adir is a directory: give the path of a file" "--pin-file names a directory" -- pb --token "$W" doctor --pin-file "$T/adir"
row 2 "PIN file $T/fifo is not a regular file" "--pin-file names a FIFO without a writer" -- pb --token "$W" doctor --pin-file "$T/fifo"
row 2 "PIN file $T/longpin is longer than 1024 bytes: it should hold only the secret" "a PIN file of 2000 bytes" -- pb --token "$W" doctor --pin-file "$T/longpin"
row 2 "PIN file $T/pin644 can be read or written by other users \(mode 644\): chmod 600 it" "a PIN file of mode 0644 is refused" -- pb --token "$W" doctor --pin-file "$T/pin644"
row 0 "User login: +ok" "a PIN file given through a symbolic link is read (inputs follow links)" -- pb --token "$W" doctor --pin-file "$T/pin-link"
row 2 "PIN file $T/adir is a directory" "the token URI's pin-source names a directory" -- pb --token "$W?pin-source=file:$T/adir" --kmdata "$T/km" show-key k1
row 1 "PIN from --pin-file $T/wrongpin is incorrect for token 'byok-world'" "generate with a wrong PIN makes no key" -- pb --token "$W" --kmdata "$T/km" --pin-file "$T/wrongpin" --offline off generate type=AES size=256 protect=module ident=k9

# --- regions, verify-toolset ---
row 2 "cannot read region manifests in $T/pin: Not a directory; give --regions DIR" "--regions names a file" -- "$P11BYOK" regions --regions "$T/pin"
row 2 "region manifest $T/regfifo/02-fifo.yaml is not a regular file" "a FIFO among the region manifests" -- "$P11BYOK" regions --regions "$T/regfifo"
row 2 "cannot open file $T/fifo|file $T/fifo is not a regular file: give the path of a file" "verify-toolset of a FIFO" -- pb verify-toolset "$T/fifo" --region NA
row 2 "give exactly one toolset file" "verify-toolset of two files" -- pb verify-toolset "$T/empty" "$T/pin" --region NA

# --- world ---
row 2 "cannot create the cards directory $T/pin: Not a directory" "world init --cards-dir names a file" -- pb --kmdata "$T/kmnew" --pin-file "$T/pin" world init --acs-quorum 1/1 --cards-dir "$T/pin" --card-pass-file "$T/pass1"
row 2 "cannot create the kmdata directory $T/pin: Not a directory" "world init --kmdata names a file" -- pb --kmdata "$T/pin" --pin-file "$T/pin" world init --acs-quorum 1/1 --cards-dir "$T/cnew" --card-pass-file "$T/pass1"
when "$RO" row 2 "cannot write in the kmdata directory $T/oro: Read-only file system; .*nothing was changed" "world init on a read-only kmdata leaves the free token as it was" -- pb --kmdata "$T/oro" --pin-file "$T/pin" world init --acs-quorum 1/1 --cards-dir "$T/cnew" --card-pass-file "$T/pass1"
when "$FULL" row 3 "the cards directory $T/ofull has no room for a 64 KiB file \(No space left on device\)" "world init with a full cards directory" -- pb --kmdata "$T/kmnew" --pin-file "$T/pin" world init --acs-quorum 1/1 --cards-dir "$T/ofull" --card-pass-file "$T/pass1"
when "$IMM" row 2 "cannot write in the cards directory $T/immut: Operation not permitted" "world init with an immutable cards directory (chattr +i)" -- pb --kmdata "$T/kmnew" --pin-file "$T/pin" world init --acs-quorum 1/1 --cards-dir "$T/immut" --card-pass-file "$T/pass1"
row 2 "card $T/adir is a directory: give the path of a file" "world check-quorum --card names a directory" -- pb --kmdata "$T/km" world check-quorum --card "$T/adir" --card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass1" --card-pass-file "$T/pass2"
row 2 "card passphrase file $T/fifo is not a regular file" "world check-quorum --card-pass-file names a FIFO" -- pb --kmdata "$T/km" world check-quorum "${cards[@]:0:2}" --card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/fifo" --card-pass-file "$T/pass2"
row 2 "kmdata $T/pin is not a directory: give --kmdata the directory 'p11byok world init' wrote" "world show --kmdata names a file" -- pb --kmdata "$T/pin" world show
row 2 "kmdata $T/nokm does not exist: give --kmdata" "world show --kmdata names nothing" -- pb --kmdata "$T/nokm" world show
row 2 "world file $T/kmworld/world is a directory: give the path of a file" "kmdata/world is a directory" -- pb --kmdata "$T/kmworld" world show

# --- verify-kek ---
row 2 "KEK package $T/adir is a directory: give the path of a file" "verify-kek --kek-package names a directory" -- pb verify-kek --region NA --root-hash "$KIT_ROOT_HASH" --kek-package "$T/adir" --world-package "$KIT_WORLD_PACKAGE"
row 2 "world package $T/fifo is not a regular file" "verify-kek --world-package names a FIFO" -- pb verify-kek --region NA --root-hash "$KIT_ROOT_HASH" --kek-package "$KIT_KEK_PACKAGE" --world-package "$T/fifo"
row 2 "no KEK package 'BYOK-KEK-pkg-NA-1' in $T/pin: extract the region's BYOK toolset there, or give --toolset-dir" "verify-kek --toolset-dir names a file" -- pb verify-kek --region NA --toolset-dir "$T/pin" --root-hash "$KIT_ROOT_HASH"

# --- generate ---
row 2 "the kmdata directory $T/pin is not a directory: give a directory" "generate with --kmdata naming a file" -- wp --kmdata "$T/pin" generate type=AES size=256 protect=module ident=k9
row 2 "ident 'k9' already has a key record \($T/kmrecdir/key_simple_k9\)" "generate where key_simple_ID is a dangling link: refused, the link's target not made" -- wp --kmdata "$T/kmrecdir" generate type=AES size=256 protect=module ident=k9
row 2 "$T/kmlink/audit.log is a symbolic link: the audit trail is written only to regular files" "generate where audit.log is a link: refused before a key is made" -- wp --kmdata "$T/kmlink" generate type=AES size=256 protect=module ident=k8
row 1 "the audit log $T/kmcut/audit.log ends in a cut-off line \(line $cutline\): .*remove that partial line" "generate on a log that ends cut off: refused before a key is made" -- wp --kmdata "$T/kmcut" generate type=AES size=256 protect=module ident=k8
# Another command at work on kmdata: this shell holds the lock on the directory meanwhile.
if command -v flock >/dev/null && exec {lk}<"$T/km" && flock -n "$lk"; then FLOCK=ok
else FLOCK="flock(1) not installed or the lock not taken"; fi
when "$FLOCK" row 3 "the kmdata directory $T/km is in use by another p11byok command: let it finish" "generate while another command works on kmdata: refused before a key is made" -- wp generate type=AES size=256 protect=module ident=k7
when "$FLOCK" row 3 "the kmdata directory $T/km is in use by another p11byok command" "package while another command works on kmdata: refused before the token" -- pk -o "$T/o/k7.byok"
[ "$FLOCK" = ok ] && flock -u "$lk"
when "$RO" row 2 "cannot write in the kmdata directory $T/kmro: Read-only file system" "generate on a read-only kmdata: refused before a key is made" -- wp --kmdata "$T/kmro" generate type=AES size=256 protect=module ident=k9
when "$FULL" row 3 "the kmdata directory $T/kmfull has no room for a 64 KiB file \(No space left on device\)" "generate on a full kmdata: refused before a key is made" -- wp --kmdata "$T/kmfull" generate type=AES size=256 protect=module ident=k9

# --- show-key, restore ---
row 2 "kmdata $T/pin is not a directory: give --kmdata the world's kmdata directory, or leave it out" "show-key with --kmdata naming a file (not 'no record')" -- wp --kmdata "$T/pin" show-key k1
row 2 "key record $T/kmrecdir/key_simple_k3 is a directory: give the path of a file" "restore where key_simple_ID is a directory" -- wp --kmdata "$T/kmrecdir" restore k3
when "$RO" row 2 "cannot write in the kmdata directory $T/kmro: Read-only file system" "restore on a read-only kmdata refuses before the token" -- wp --kmdata "$T/kmro" restore k1
row 2 "$T/kmlink/audit.log is a symbolic link: the audit trail is written only to regular files" "restore where audit.log is a link" -- wp --kmdata "$T/kmlink" restore k1

# --- modify-acls ---
row 2 "KEK PEM file $T/adir is a directory: give the path of a file" "modify-acls --kek-pem names a directory" -- wp modify-acls --ident k1 --kek-pem "$T/adir" --kek-id x
row 2 "KEK PEM file $T/fifo is not a regular file" "modify-acls --kek-pem names a FIFO" -- wp modify-acls --ident k1 --kek-pem "$T/fifo" --kek-id x
row 2 "$T/priv.pem is not a PEM public key .*download the KEK again" "modify-acls --kek-pem holds a private key" -- wp modify-acls --ident k1 --kek-pem "$T/priv.pem" --kek-id x
row 2 "modify-acls takes no cards: it gives no trust" "modify-acls with --card (the quorum approves at package)" -- wp modify-acls --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID" "${cards[@]}"
when "$RO" row 2 "cannot write in the kmdata directory $T/kmro: Read-only file system" "modify-acls on a read-only kmdata refuses before the token" -- wp --kmdata "$T/kmro" modify-acls --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID"
when "$FULL" row 3 "the kmdata directory $T/kmfull has no room for a 64 KiB file" "modify-acls on a full kmdata refuses before the token" -- wp --kmdata "$T/kmfull" modify-acls --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID"

# The KEK options, one parser (kek_source_check) for modify-acls and package.
for c in "modify-acls --ident k1" "package --ident k1 --friendly-name k1"; do
	row 2 "give --region R \(attested KEK package\) or --kek-pem F with --kek-id KID" "${c%% *} with both --region and --kek-pem" -- wp $c --region NA --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID"
	row 2 "give --region R \(attested KEK package\) or --kek-pem F" "${c%% *} without any KEK" -- wp $c
	row 2 "--kek-pem and --kek-id go together" "${c%% *} --kek-pem without --kek-id" -- wp $c --kek-pem "$KIT_KEK_PEM"
	row 2 "--root-hash goes with --region" "${c%% *} --root-hash with a Key Vault PEM" -- wp $c --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID" --root-hash "$KIT_ROOT_HASH"
done

# --- package: every refusal comes before the token ---
row 2 "card $T/adir is a directory: give the path of a file" "package --card names a directory" -- wp package --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID" --friendly-name k1 -o "$T/o/k1.byok" --card "$T/adir" --card "$T/cards/card-2-of-3.acs" --card-pass-file "$T/pass1" --card-pass-file "$T/pass2"
row 2 "cannot write $T/adir: it is a directory; give a file name" "package -o names a directory, with --force" -- pk -o "$T/adir" --force
row 2 "cannot write $T/o/dangling.byok: it is a symbolic link, .*give the real path" "package -o names a dangling link: its target is not made" -- pk -o "$T/o/dangling.byok"
row 2 "cannot write $T/o/existing-link.byok: it is a symbolic link" "package -o names a link to a file, with --force: neither followed nor replaced" -- pk -o "$T/o/existing-link.byok" --force
row 2 "cannot write $T/o/fifo.byok: it is not a regular file" "package -o names a FIFO, with --force" -- pk -o "$T/o/fifo.byok" --force
row 2 "cannot use the output directory $T/nodir: No such file or directory; create it" "package -o in a directory that does not exist" -- pk -o "$T/nodir/k1.byok"
row 2 "cannot write $T/pin/k1.byok: Not a directory" "package -o under a file" -- pk -o "$T/pin/k1.byok"
when "$RO" row 2 "cannot write in the output directory $T/oro: Read-only file system" "package -o in a read-only directory" -- pk -o "$T/oro/k1.byok"
when "$FULL" row 3 "the output directory $T/ofull has no room for a 64 KiB file \(No space left on device\)" "package -o in a full directory" -- pk -o "$T/ofull/k1.byok"
when "$IMM" row 2 "cannot write in the output directory $T/immut: Operation not permitted" "package -o in an immutable directory (chattr +i)" -- pk -o "$T/immut/k1.byok"
row 3 "the output directory $T/o has no room for a 64 KiB file \(File too large\)" "package under a 32 KiB file size limit (ulimit -f)" -- bash -c 'ulimit -f 32 && exec "$@"' _ "$P11BYOK" --module "$SOFTHSM2_MODULE" --token "$W" --kmdata "$T/km" --pin-file "$T/pin" --offline off package --ident k1 --kek-pem "$KIT_KEK_PEM" --kek-id "$KIT_KEK_ID" --friendly-name k1 -o "$T/o/k1.byok" "${cards[@]}"
when "$RO" row 2 "cannot write in the kmdata directory $T/kmro: Read-only file system" "package with a read-only kmdata (no audit line possible)" -- pk --kmdata "$T/kmro" -o "$T/o/k1.byok"
row 2 "$T/kmlink/audit.log is a symbolic link" "package where audit.log is a link" -- pk --kmdata "$T/kmlink" -o "$T/o/k1.byok"
row 2 "--friendly-name '' must be 1 to 127 letters" "package with an empty friendly name" -- pk --friendly-name ''

# --- inspect, import ---
row 2 ".byok file $T/adir is a directory: give the path of a file" "inspect of a directory" -- pb inspect "$T/adir"
row 2 ".byok file $T/fifo is not a regular file" "inspect of a FIFO" -- pb inspect "$T/fifo"
row 2 ".byok file $T/fifo is not a regular file" "import of a FIFO" -- imp "$T/fifo"
when "$RO" row 2 "cannot write in the kmdata directory $T/kmro: Read-only file system" "import with a read-only kmdata: nothing is unwrapped" -- imp "$T/good.byok" --kmdata "$T/kmro"
row 2 "$T/kmlink/audit.log is a symbolic link" "import where audit.log is a link" -- imp "$T/good.byok" --kmdata "$T/kmlink"
row 2 "malformed token URI 'REDACTED': URI scheme must be 'pkcs11:'" "import --unwrap-key that is no PKCS#11 URI (not echoed: it may be a PIN)" -- pb --pin-file "$KIT_CLOUD_PIN_FILE" import "$T/good.byok" --unwrap-key http://cloud

# --- audit ---
row 2 "audit log $T/adir is a directory: give the path of a file" "audit verify of a directory" -- pb audit verify "$T/adir"
row 2 "audit log $T/fifo is not a regular file" "audit verify of a FIFO" -- pb audit verify "$T/fifo"
row 2 "cannot open audit head $T/nohead: No such file or directory; check the path" "audit verify --head of a missing file" -- pb audit verify "$T/lonely.log" --head "$T/nohead"
row 2 "audit head $T/adir is a directory: give the path of a file" "audit verify --head of a directory" -- pb audit verify "$T/lonely.log" --head "$T/adir"
row 2 "cannot open audit log $T/nokm/audit.log: No such file or directory; check the path" "audit verify with a kmdata that does not exist" -- pb --kmdata "$T/nokm" audit verify
row 1 "$T/kmcut/audit.log:$cutline: this line is cut off: a write to the log was cut short" "audit verify of a log that ends cut off" -- pb --kmdata "$T/kmcut" audit verify
row 2 "give at most one log file" "audit verify of two logs" -- pb audit verify "$T/lonely.log" "$T/km/audit.log"

# --- after the catalogue: every object is still there, and each fixture still works ---
if [ "$(objects)" -eq "$objects_before" ]; then ok "the tokens hold their $objects_before objects"
else not_ok "the tokens held $objects_before objects, now $(objects)"; fi
[ ! -e "$T/victim/target.byok" ] && [ ! -e "$T/victim/key_simple_k9" ] &&
	[ ! -e "$T/kmnew" ] && [ ! -e "$T/cnew" ] && ok "no link target and no directory was made" ||
	not_ok "a link target or a directory was made"
run pk -o "$T/o/k1.byok"
if [ "$rc" -eq 0 ]; then ok "package then succeeds: no refusal left anything in its way"
else not_ok "package after the catalogue (exit $rc)"; diag "$T/err"; fi
run pb --kmdata "$T/km" audit verify
if [ "$rc" -eq 0 ]; then ok "the audit chain is intact"; else not_ok "audit chain"; diag "$T/err"; fi
done_testing
