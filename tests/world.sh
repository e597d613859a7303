#!/bin/bash
# world.sh: world init / show / check-quorum on SoftHSMv2: the card quorum (every K-subset
# opens an SO session, fewer or wrong cards never do), --adopt, bad input, the world backup
# key's attributes read back by pkcs11-tool, and the card files holding no clear secret.
. "$(dirname "$0")/lib.sh"
need jq setsid
softhsm_setup
[ -n "$PKCS11_TOOL" ] || skip_all "pkcs11-tool not installed"
printf '1234\n' >"$T/pin"; chmod 600 "$T/pin"
for i in 1 2 3 4 5; do printf 'holder-%d-passphrase\n' "$i" >"$T/pass$i"; done
printf 'wrong-passphrase\n' >"$T/wrong"
printf 'short\n' >"$T/short"
printf 'password\n' >"$T/weak-password"
printf '123456789012\n' >"$T/weak-digits"
printf 'abababababababab\n' >"$T/weak-repeat"
chmod 600 "$T"/pass? "$T/wrong" "$T/short" "$T"/weak-*

# passes N: --card-pass-file for cards 1..N
passes() { local i; for i in $(seq 1 "$1"); do printf -- '--card-pass-file\n%s\n' "$T/pass$i"; done; }
# winit KMDATA CARDS K/N [ARGS...]
winit() {
	local km=$1 cards=$2 q=$3; shift 3
	mapfile -t pf < <(passes "${q#*/}")
	p11 --kmdata "$km" --pin-file "$T/pin" world init --acs-quorum "$q" --cards-dir "$cards" \
		"${pf[@]}" "$@"
}
# quorum KMDATA CARD:PASS...: world check-quorum with those cards and passphrase files
quorum() {
	local km=$1 a=(); shift
	for cp in "$@"; do a+=(--card "${cp%%:*}" --card-pass-file "${cp#*:}"); done
	p11 --kmdata "$km" world check-quorum "${a[@]}"
}
initialised() { "$SOFTHSM2_UTIL" --show-slots | grep -c 'Initialized: *yes'; }

# --- 2 of 3 ---
K1=$T/km1 C1=$T/cards1
expect 0 "Result: SUCCESS" "world init 2/3" -- winit "$K1" "$C1" 2/3
assert "three cards written" test -f "$C1/card-1-of-3.acs" -a -f "$C1/card-2-of-3.acs" \
	-a -f "$C1/card-3-of-3.acs"
modes=$(stat -c %a "$C1"/card-*.acs "$K1/world" | sort -u | tr '\n' ' ')
if [ "$modes" = "600 " ]; then ok "cards and kmdata/world are mode 0600"
else not_ok "file modes: $modes"; fi
assert "the cards directory is mode 0700" test "$(stat -c %a "$C1")" = 700
before_again=$(sha256sum "$K1/world" "$C1"/card-*.acs; initialised)
expect 0 "Already: +world init finished before" \
	"world init run again over the world it made says so and changes nothing" -- \
	winit "$K1" "$C1" 2/3
assert "... the world file, the cards and the tokens are as they were" \
	test "$(sha256sum "$K1/world" "$C1"/card-*.acs; initialised)" = "$before_again"
c() { echo "$C1/card-$1-of-3.acs:$T/pass$1"; }
# make memcheck: one pair, for each card costs 9 s of scrypt under valgrind and every pair runs
# the same code.
pairs=("1 2" "1 3" "2 3" "3 1"); [ -z "${P11BYOK_MEMCHECK:-}" ] || pairs=("3 1")
for pair in "${pairs[@]}"; do
	set -- $pair
	expect 0 "Result: SUCCESS" "cards $1 and $2 of 3 open an SO session" -- \
		quorum "$K1" "$(c "$1")" "$(c "$2")"
done
expect 0 "Result: SUCCESS" "all three cards work too" -- quorum "$K1" "$(c 1)" "$(c 2)" "$(c 3)"
# The SO secret's check value in kmdata/world catches cards that decrypt but do not rebuild
# this world's secret before any SO login could count toward the token's lockout.
assert "kmdata/world records the SO secret's check value" \
	grep -Eq '^so_check: [0-9a-f]{16}$' "$K1/world"
cp -a "$K1" "$T/km-check"
sed -i 's/^so_check: .*/so_check: 0123456789abcdef/' "$T/km-check/world"
if [ -f "${FAULTY_MODULE:-}" ]; then
	P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_LOG=$T/check.calls expect 1 \
		"the 2 cards given do not rebuild this world's SO secret .*no SO login was tried" \
		"a wrong check value stops the quorum before the token is asked" -- \
		"$P11BYOK" --module "$FAULTY_MODULE" --kmdata "$T/km-check" world check-quorum \
		--card "$C1/card-1-of-3.acs" --card-pass-file "$T/pass1" \
		--card "$C1/card-2-of-3.acs" --card-pass-file "$T/pass2"
	assert "... with no C_Login made" test "$(grep -c C_Login "$T/check.calls")" -eq 0
else
	skip "tests/faulty-pkcs11.so not built"; skip "tests/faulty-pkcs11.so not built"
fi
expect 2 "1 card given, but this world needs 2 of its 3 cards" "one card of 2/3 is refused" -- \
	quorum "$K1" "$(c 2)"
expect 2 "passphrase for card $C1/card-2-of-3.acs is wrong" \
	"a wrong passphrase fails, naming the card" -- \
	quorum "$K1" "$(c 1)" "$C1/card-2-of-3.acs:$T/wrong"
expect 2 "card $C1/card-1-of-3.acs is the same card as $C1/card-1-of-3.acs" \
	"the same card twice is refused" -- quorum "$K1" "$(c 1)" "$(c 1)"
cp "$C1/card-3-of-3.acs" "$T/copy.acs"
expect 2 "card $T/copy.acs is the same card as $C1/card-3-of-3.acs" \
	"a copy of a card under another name is the same card" -- \
	quorum "$K1" "$(c 3)" "$T/copy.acs:$T/pass3"
# setsid: no controlling terminal, so nothing is asked even when make check runs in one.
nott() { setsid -w "$P11BYOK" --module "$SOFTHSM2_MODULE" "$@"; }
expect 2 "no terminal to ask on" "a missing passphrase without a terminal is refused" -- \
	nott --kmdata "$K1" world check-quorum --card "$C1/card-1-of-3.acs" --card "$C1/card-2-of-3.acs" \
	--card-pass-file "$T/pass1"

# --- a second world (2/3) on another slot of the same module ---
K2=$T/km2 C2=$T/cards2
expect 0 "Result: SUCCESS" "a second world init 2/3 takes the next free slot" -- \
	winit "$K2" "$C2" 2/3 --label world-two
expect 2 "card $C2/card-2-of-3.acs belongs to another world" \
	"a card of another world is refused, naming it" -- \
	quorum "$K1" "$(c 1)" "$C2/card-2-of-3.acs:$T/pass2"
expect 0 "Result: SUCCESS" "the second world's own cards work" -- \
	quorum "$K2" "$C2/card-1-of-3.acs:$T/pass1" "$C2/card-3-of-3.acs:$T/pass3"
expect 2 "is not the world's token" "world 1's cards are refused on world 2's token" -- \
	p11 --kmdata "$K1" --token pkcs11:token=world-two world check-quorum \
	--card "$C1/card-1-of-3.acs" --card "$C1/card-2-of-3.acs" \
	--card-pass-file "$T/pass1" --card-pass-file "$T/pass2"

# Altered and corrupted cards.
cp "$C1/card-1-of-3.acs" "$T/altered.acs"
jq -c '.ciphertext |= (.[0:4] + (if .[4:5] == "A" then "B" else "A" end) + .[5:])' \
	"$C1/card-1-of-3.acs" >"$T/altered.acs"
expect 2 "card $T/altered.acs is not one of this world's cards" \
	"an altered card is refused before any passphrase is asked" -- \
	quorum "$K1" "$T/altered.acs:$T/pass1" "$(c 2)"
printf 'not a card\n' >"$T/junk.acs"
expect 2 "$T/junk.acs is not a p11byok administrator card" "a file that is no card" -- \
	quorum "$K1" "$T/junk.acs:$T/pass1" "$(c 2)"
jq -c 'del(.tag)' "$C1/card-1-of-3.acs" >"$T/notag.acs"
expect 2 "card $T/notag.acs is corrupted" "a card missing a field is corrupted" -- \
	quorum "$K1" "$T/notag.acs:$T/pass1" "$(c 2)"
# The card's quorum and index are authenticated: rewriting them in a card whose fingerprint
# is then put into kmdata/world (a forger with write access) still fails the GCM tag.
jq -c '.index = 2' "$C1/card-1-of-3.acs" >"$C1/forged.acs"
fp=$(sha256sum "$C1/forged.acs" | cut -d' ' -f1)
old=$(sha256sum "$C1/card-2-of-3.acs" | cut -d' ' -f1)
mkdir "$T/kmf"; sed "s/$old/$fp/" "$K1/world" >"$T/kmf/world"
expect 2 "passphrase for card $C1/forged.acs is wrong, or the card was altered" \
	"a card moved to another index fails its authentication tag" -- \
	quorum "$T/kmf" "$(c 1)" "$C1/forged.acs:$T/pass1"
rm -f "$C1/forged.acs"

# --- 3 of 5, 1 of 1 ---
K3=$T/km3 C3=$T/cards3
expect 0 "Quorum: +3 of 5 cards" "world init 3/5" -- winit "$K3" "$C3" 3/5 --label world-three
c5() { echo "$C3/card-$1-of-5.acs:$T/pass$1"; }
expect 0 "Result: SUCCESS" "cards 1, 3 and 5 of 5 open an SO session" -- \
	quorum "$K3" "$(c5 1)" "$(c5 3)" "$(c5 5)"
expect 0 "Result: SUCCESS" "cards 4, 2 and 5 of 5 open an SO session" -- \
	quorum "$K3" "$(c5 4)" "$(c5 2)" "$(c5 5)"
expect 2 "2 cards given, but this world needs 3 of its 5" "two cards of 3/5 are refused" -- \
	quorum "$K3" "$(c5 1)" "$(c5 2)"
K4=$T/km4 C4=$T/cards4
expect 0 "cipher suite DLf1024s160mRijndael is legacy" \
	"world init 1/1 with the legacy suite warns" -- \
	winit "$K4" "$C4" 1/1 --label world-four --cipher-suite DLf1024s160mRijndael
expect 0 "Result: SUCCESS" "the one card of 1/1 opens an SO session" -- \
	quorum "$K4" "$C4/card-1-of-1.acs:$T/pass1"
expect 0 "Cipher suite: +DLf1024s160mRijndael \(legacy\)" "world show marks the legacy suite" -- \
	p11 --kmdata "$K4" world show

# --- bad input: CODE | REGEX | DESC | ARGS (one row each; nothing may be written) ---
before=$(initialised)
mkdir "$T/empty"
while IFS='|' read -r code regex desc args; do
	eval "set -- $args"
	expect "$code" "$regex" "$desc" -- p11 --pin-file "$T/pin" world "$@"
done <<EOF
2|must be K/N with 1 <= K <= N <= 16|quorum 0/1 refused|init --kmdata $T/kb --acs-quorum 0/1 --cards-dir $T/cb
2|must be K/N with 1 <= K <= N <= 16|quorum 3/2 refused|init --kmdata $T/kb --acs-quorum 3/2 --cards-dir $T/cb
2|must be K/N with 1 <= K <= N <= 16|quorum 17/17 refused|init --kmdata $T/kb --acs-quorum 17/17 --cards-dir $T/cb
2|must be K/N|quorum 2/ refused|init --kmdata $T/kb --acs-quorum 2/ --cards-dir $T/cb
2|unknown --cipher-suite 'DLf4096s512mAES'; valid: DLf3072s256mRijndael \(default\), DLf1024s160mRijndael|unknown cipher suite refused, listing the valid ones|init --kmdata $T/kb --acs-quorum 2/3 --cards-dir $T/cb --cipher-suite DLf4096s512mAES
2|needs --acs-quorum K/N and --cards-dir|missing --cards-dir|init --kmdata $T/kb --acs-quorum 2/3
2|give --kmdata DIR or set P11BYOK_KMDATA|missing kmdata|init --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/pass1
2|already records a world|kmdata with a world already|init --kmdata $K1 --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/pass1
2|already holds card files \($C1/card-1-of-3.acs\), and not the 1 cards of one world of quorum 1/1 that a stopped world init left: give an empty directory|cards directory holding another quorum's cards|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $C1
2|an adopted token keeps its label|--label with --adopt|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --adopt --label x
2|--so-pin-file is the existing SO PIN|--so-pin-file without --adopt|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --so-pin-file $T/pin
2|more --card-pass-file options than the 1 cards|too many passphrase files|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/pass1 --card-pass-file $T/pass2
2|passphrase for card card-2-of-2.acs from $T/short is too weak: it is too short; choose one of at least 12 characters, 8 of them different|a short passphrase|init --kmdata $T/kb --acs-quorum 2/2 --cards-dir $T/cb --card-pass-file $T/pass1 --card-pass-file $T/short
2|passphrase for card card-1-of-1.acs from $T/weak-password is too weak: it is too short|'password' is too short|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/weak-password
2|passphrase for card card-1-of-1.acs from $T/weak-digits is too weak: it is only digits|a passphrase of only digits|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/weak-digits
2|passphrase for card card-1-of-1.acs from $T/weak-repeat is too weak: it repeats too few characters|a passphrase of few different characters|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --card-pass-file $T/weak-repeat
2|cards 1 and 3 were given the same passphrase: each holder chooses their own; nothing was changed|the same passphrase on two cards|init --kmdata $T/kb --acs-quorum 2/3 --cards-dir $T/cb --card-pass-file $T/pass1 --card-pass-file $T/pass2 --card-pass-file $T/pass1
2|--card belongs to 'world check-quorum'|--card given to init|init --kmdata $T/kb --acs-quorum 1/1 --cards-dir $T/cb --card $T/x
2|belong to 'world init'|--acs-quorum given to show|show --kmdata $K1 --acs-quorum 2/3
2|unknown subcommand 'create'|unknown subcommand|create
2|give a subcommand|no subcommand|
2|no world in $T/empty: run 'p11byok world init'|show without a world|show --kmdata $T/empty
2|no kmdata directory given|show without kmdata|show
EOF
expect 2 "no terminal to ask on" "a missing new-card passphrase without a terminal" -- \
	nott --pin-file "$T/pin" world init --kmdata "$T/kb" --acs-quorum 2/2 --cards-dir "$T/cb" \
	--card-pass-file "$T/pass1"
assert "no bad-input row initialised a token" test "$(initialised)" = "$before"
if [ -z "$(ls -A "$T/cb" 2>/dev/null)" ] && [ ! -e "$T/kb/world" ]; then
	ok "no bad-input row left a card or a world file"
else not_ok "files left behind"; ls -la "$T/cb" "$T/kb" | diag /dev/stdin; fi

# --- the cards of a world already there: its init is finished, or its record made again ---
# (tests/faults-admin.sh stops world init after C_InitToken at every call and finishes it.)
expect 2 "passphrase for card $C1/card-1-of-3.acs is wrong" \
	"a world's cards with a wrong passphrase: refused, naming the card" -- \
	p11 --kmdata "$T/kre" --pin-file "$T/pin" world init --acs-quorum 2/3 --cards-dir "$C1" \
	--card-pass-file "$T/wrong" --card-pass-file "$T/pass2" --card-pass-file "$T/pass3"
assert "... and wrote no world file" test ! -e "$T/kre/world"
printf '9999\n' >"$T/pin9"; chmod 600 "$T/pin9"
mapfile -t pf < <(passes 3)
expect 0 "World key: +byok-world-key .*, kept" \
	"world init with the cards of a world whose kmdata was lost records that world again" -- \
	p11 --kmdata "$T/kre" --pin-file "$T/pin9" world init --acs-quorum 2/3 --cards-dir "$C1" \
	"${pf[@]}"
if $PKCS11_TOOL --module "$SOFTHSM2_MODULE" --token-label byok-world --login --pin 1234 \
	--list-objects >/dev/null 2>&1; then ok "... keeping the token's user PIN (not the new --pin-file)"
else not_ok "... the token's user PIN was changed"; fi
assert "... the same world: token, serial, suite, quorum, card fingerprints, world hash" \
	test "$(grep -v '^created' "$T/kre/world")" = "$(grep -v '^created' "$K1/world")"
assert "... its audit line says resumed" test "$(jq -r 'select(.command == "world init") |
	"\(.resumed) \(.world_key_reused)"' "$T/kre/audit.log")" = "true true"
expect 0 "Result: SUCCESS" "... and its cards still open the SO session" -- \
	quorum "$T/kre" "$(c 1)" "$(c 3)"

# --- an initialised token: refused without --adopt, taken over with it ---
softhsm_token vendor 4321 87654321
printf '87654321\n' >"$T/sopin"; chmod 600 "$T/sopin"
printf '5678\n' >"$T/pin2"; chmod 600 "$T/pin2"
K5=$T/km5 C5=$T/cards5
expect 2 "already initialised: p11byok refuses to erase it; pass --adopt" \
	"world init on an initialised token refuses without --adopt" -- \
	winit "$K5" "$C5" 2/3 --token pkcs11:token=vendor
assert "and wrote no card" test ! -e "$C5/card-1-of-3.acs"
printf '11111111\n' >"$T/badso"; chmod 600 "$T/badso"
expect 1 "refuses the SO PIN from --so-pin-file $T/badso as its SO PIN" \
	"--adopt with a wrong SO PIN fails, once" -- \
	winit "$K5" "$C5" 2/3 --token pkcs11:token=vendor --adopt --so-pin-file "$T/badso"
assert "and removed its cards" test -z "$(ls -A "$C5" 2>/dev/null)"
# --- a module that cannot do the flow: refused before a card or a PIN exists ---
# tests/faulty-pkcs11.so plays such modules on SoftHSMv2: without C_InitToken, listing
# CKM_AES_KEY_WRAP_PAD without CKF_WRAP, or letting a non-SO session make a trusted key.
fw() {	# fw ENV... -- ARGS...: world init through the faulty module, 2/3 cards in $T/cf
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	mapfile -t pf < <(passes 3)
	run env P11FAULT_MODULE="$SOFTHSM2_MODULE" "${env[@]}" "$P11BYOK" --module "$FAULTY_MODULE" \
		--kmdata "$T/kf" --pin-file "$T/pin2" world init --acs-quorum 2/3 --cards-dir "$T/cf" \
		"${pf[@]}" "$@"
}
# The tokens' object files byte for byte, their labels and initialised state, the vendor
# token's two PINs (token.object also keeps a login count an SO login may reset), the disk.
tokens() {
	find "$T/tokens" -type f ! -name '*.lock' ! -name token.object -exec sha256sum {} + |
		LC_ALL=C sort
	"$SOFTHSM2_UTIL" --show-slots | grep -E 'Label:|Initialized:|Serial number:'
}
vendor_pins() {
	"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label vendor --login --login-type so \
		--so-pin 87654321 --change-pin --new-pin 87654321 >/dev/null 2>&1 &&
		"$PKCS11_TOOL" --module "$SOFTHSM2_MODULE" --token-label vendor --login --pin 4321 \
		-O >/dev/null 2>&1
}
untouched() {
	[ "$(tokens)" = "$tokens_before" ] && [ ! -e "$T/kf/world" ] &&
		[ -z "$(ls -A "$T/cf" 2>/dev/null)" ] && vendor_pins
}
if [ -f "${FAULTY_MODULE:-}" ]; then
	tokens_before=$(tokens)
	kwp=$((0x210a))
	for c in "P11FAULT_NO_INIT_TOKEN=1|C_InitToken: not supported.*--adopt|without C_InitToken|" \
		"P11FAULT_MECH_FLAGS=$kwp:0x0|CKM_AES_KEY_WRAP_PAD is offered without the use|listing CKM_AES_KEY_WRAP_PAD without CKF_WRAP|" \
		"P11FAULT_IGNORE_TRUSTED=1|trust for the SO alone: .*made a CKA_TRUSTED key|letting any session make a trusted key, --adopt|--token pkcs11:token=vendor --adopt --so-pin-file $T/sopin" \
		"P11FAULT_MECH_FLAGS=$kwp:0x0|CKM_AES_KEY_WRAP_PAD is offered without|listing KWP without CKF_WRAP, --adopt|--token pkcs11:token=vendor --adopt --so-pin-file $T/sopin" \
		"P11FAULT_REFUSE_TRUSTED=1|its security officer cannot make a trusted key \\(CKR_ATTRIBUTE_READ_ONLY\\)|whose security officer cannot make a trusted key, --adopt|--token pkcs11:token=vendor --adopt --so-pin-file $T/sopin" \
		"P11FAULT_SERIAL=0000000000000000|cannot hold a world: its serial number is all zeros|giving its token the serial 0000000000000000, --adopt|--token pkcs11:token=vendor --adopt --so-pin-file $T/sopin" \
		"P11FAULT_SERIAL=5ca1ab1e|cannot hold a world: the token in slot [0-9]+ has the same serial number 5ca1ab1e|giving two tokens one serial, --adopt|--token pkcs11:token=vendor --adopt --so-pin-file $T/sopin"; do
		IFS='|' read -r envs re desc args <<<"$c"
		fw $envs -- $args
		if [ "$rc" -eq 1 ] && grep -Eq "(cannot run the BYOK flow: |token 'vendor' )$re" "$T/err" &&
			[ "$(grep -c '^p11byok' "$T/err")" -eq 1 ] && untouched; then
			ok "world init on a module $desc is refused before anything changes"
		else not_ok "world init on a module $desc (exit $rc)"; diag "$T/err"
			diff <(echo "$tokens_before") <(tokens) | diag /dev/stdin; fi
	done
	run env P11FAULT_MODULE="$SOFTHSM2_MODULE" P11FAULT_SERIAL=0000000000000000 "$P11BYOK" \
		--module "$FAULTY_MODULE" --token pkcs11:token=vendor --json doctor
	grep -q "^p11byok: warning: token 'vendor' cannot be told apart by its serial number: its serial number is all zeros" "$T/err" &&
		jq -e '.token.serial_distinct == false' "$T/out" >/dev/null &&
		ok "doctor warns of a token whose serial is all zeros" ||
		{ not_ok "doctor on an all-zero serial"; diag "$T/err"; }
	run env P11FAULT_MODULE="$SOFTHSM2_MODULE" P11FAULT_IGNORE_TRUSTED=1 "$P11BYOK" \
		--module "$FAULTY_MODULE" --token pkcs11:token=vendor doctor
	[ "$rc" -eq 1 ] && grep -q "trust for the SO alone *NO" "$T/out" &&
		ok "doctor names a module that lets any session make a trusted key, exit 1" ||
		{ not_ok "doctor on a permissive module (exit $rc)"; diag "$T/out" "$T/err"; }
	run env P11FAULT_MODULE="$SOFTHSM2_MODULE" P11FAULT_MECH_FLAGS=$((0x1040)):0x0 \
		P11FAULT_NO_INIT_TOKEN=1 "$P11BYOK" --module "$FAULTY_MODULE" \
		--token pkcs11:token=vendor doctor
	grep -q "C_InitToken  *NO  *not supported" "$T/out" && grep -q "unusable.*without CKF_" "$T/out" &&
		ok "doctor says C_InitToken is missing and a mechanism listed without its use" ||
		{ not_ok "doctor's NO and unusable lines"; diag "$T/out"; }
else
	for i in $(seq 1 10); do skip "tests/faulty-pkcs11.so not built"; done
fi

mapfile -t pf < <(passes 3)
expect 0 "Token: +'vendor' \(serial [0-9a-f]+\), adopted" "world init --adopt takes over the token" -- \
	p11 --kmdata "$K5" --pin-file "$T/pin2" --token pkcs11:token=vendor world init --adopt \
	--so-pin-file "$T/sopin" --acs-quorum 2/3 --cards-dir "$C5" "${pf[@]}"
SPY="$PKCS11_TOOL --module $SOFTHSM2_MODULE --token-label vendor"
if $SPY --login --login-type so --so-pin 87654321 --list-objects >/dev/null 2>&1; then
	not_ok "the old SO PIN still works after --adopt"
else ok "the old SO PIN no longer works after --adopt"; fi
expect 0 "Result: SUCCESS" "the adopted token's new cards open an SO session" -- \
	quorum "$K5" "$C5/card-2-of-3.acs:$T/pass2" "$C5/card-3-of-3.acs:$T/pass3"
if $SPY --login --pin 5678 --list-objects >/dev/null 2>&1; then
	ok "the user PIN of the adopted token is the one from --pin-file"
else not_ok "the adopted token's user PIN"; fi

# --- the world backup key, read back by an independent client ---
$PKCS11_TOOL --module "$SOFTHSM2_MODULE" --token-label byok-world --list-objects \
	>"$T/objs" 2>/dev/null
sed -n '/label: *byok-world-key/,/^$/p' "$T/objs" >"$T/wk"
if grep -q 'Secret Key Object; AES length 32' "$T/objs" &&
	grep -Eq '^ *ID: *776f726c64$' "$T/wk" && grep -Eq '^ *Usage: *wrap, unwrap$' "$T/wk" &&
	grep -q 'never extractable' "$T/wk" && grep -q ' sensitive' "$T/wk"; then
	ok "pkcs11-tool sees the world key: AES-256, public, wrap+unwrap only, sensitive, never extractable"
else not_ok "world key as pkcs11-tool lists it"; diag "$T/objs"; fi
run p11 --kmdata "$K1" --json world show
if jq -e '.world_key | .bits == 256 and .token and (.private | not) and .trusted and .wrap
	and .unwrap and (.encrypt | not) and (.decrypt | not) and (.sign | not)
	and (.verify | not) and (.derive | not) and .sensitive and (.extractable | not)
	and (.modifiable | not)
	and .unwrap_template == {"wrap_with_trusted": true, "sensitive": true}' "$T/out" >/dev/null
then ok "world show --json: the world key's attributes are those of DESIGN.md §2"
else not_ok "world key attributes"; diag "$T/out" "$T/err"; fi
hash=$(sed -n 's/^world_hash: //p' "$K1/world")
if jq -e --arg h "$hash" '.world_hash == $h and .quorum == {"k": 2, "n": 3}
	and .token_label == "byok-world" and (.cards | length) == 3
	and .cipher_suite == "DLf3072s256mRijndael" and .keys_complete == false' \
	"$T/out" >/dev/null; then ok "world show --json: token, quorum, cards, world hash"
else not_ok "world show --json"; diag "$T/out"; fi
for i in 1 2 3; do
	want=$(sha256sum "$C1/card-$i-of-3.acs" | cut -d' ' -f1)
	got=$(jq -r ".cards[$((i - 1))].sha256" "$T/out")
	[ "$want" = "$got" ] || break
done
assert "the card fingerprints are the SHA-256 of the card files" test "$want" = "$got"
expect 0 "public objects only: give a PIN source" "world show without a PIN says what it hides" -- \
	p11 --kmdata "$K1" world show
# A world-bound key made by the user shows up with a PIN source.
$PKCS11_TOOL --module "$SOFTHSM2_MODULE" --token-label byok-world --login --pin 1234 \
	--keygen --key-type AES:32 --label wb-key --id 6162 --sensitive \
	--extractable >/dev/null 2>&1 || true
expect 0 "Keys in the world: 0" "a key without CKA_WRAP_WITH_TRUSTED is not in the world" -- \
	p11 --kmdata "$K1" --pin-file "$T/pin" world show

# --- the secret never lands in a file in clear ---
# The SO PIN is 64 hex digits: the only such strings in the cards and the world file may be
# the world hash and the card fingerprints.
allowed=$( (echo "$hash"; sha256sum "$C1"/card-*.acs | cut -d' ' -f1) | sort -u)
found=$(cat "$C1"/card-*.acs "$K1/world" | grep -Eo '[0-9a-f]{64}' | sort -u)
if [ -n "$found" ] && [ -z "$(comm -23 <(echo "$found") <(echo "$allowed"))" ]; then
	ok "no 64-hex-digit string other than the world hash and card fingerprints in the files"
else not_ok "an unexpected 64-hex string in the cards or world file"; fi
if ! grep -rqF -e holder-1-passphrase -e holder-2-passphrase -e 1234 "$C1" "$K1/world"; then
	ok "no passphrase or user PIN in the cards or the world file"
else not_ok "a passphrase or PIN in a file"; fi
# Each share is encrypted: its ciphertext differs between cards of one world and the tag
# fails under another card's passphrase (each card its own salt and key).
expect 2 "passphrase for card $C1/card-1-of-3.acs is wrong" \
	"card 1 does not open with card 2's passphrase" -- \
	quorum "$K1" "$C1/card-1-of-3.acs:$T/pass2" "$(c 2)"
if jq -e '.kdf.name == "scrypt" and .kdf.N >= 131072 and .kdf.r == 8 and .cipher == "AES-256-GCM"' \
	"$C1/card-1-of-3.acs" >/dev/null; then
	ok "cards use scrypt with N >= 2^17, r = 8, and AES-256-GCM"
else not_ok "card KDF parameters"; fi
# The audit log records the init, without secrets, and its chain holds.
if jq -e --arg h "$hash" 'select(.command == "world init") | .world_hash == $h and
	.quorum == "2/3" and (.files | length) == 4' "$K1/audit.log" >/dev/null; then
	ok "the audit log records world init with the cards and the world file"
else not_ok "audit event"; diag "$K1/audit.log"; fi
expect 0 "" "the audit chain verifies" -- p11 --kmdata "$K1" audit verify

# --- a module that fails a step for want of the capability, after C_InitToken ---
# (where the checks before could not see it): the message says so, not "run again".  On a
# free slot the world key is world init's first C_GenerateKey.
if [ -f "${FAULTY_MODULE:-}" ]; then
	mapfile -t pf < <(passes 3)
	P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_AT_CALL=C_GenerateKey:1 \
		P11FAULT_RV=CKR_FUNCTION_NOT_SUPPORTED run "$P11BYOK" --module "$FAULTY_MODULE" \
		--kmdata "$T/kg" --pin-file "$T/pin" world init --acs-quorum 2/3 --cards-dir "$T/cg" \
		--label late "${pf[@]}"
	if [ "$rc" -ne 0 ] && grep -q "because the module cannot do a step the flow needs (CKR_FUNCTION_NOT_SUPPORTED): running it again fails the same way; keep the cards" "$T/err" &&
		[ -f "$T/cg/card-1-of-3.acs" ]; then
		ok "a step the module cannot do after C_InitToken is named as such, cards kept"
	else not_ok "a late inability (exit $rc)"; diag "$T/err"; fi
else
	skip "tests/faulty-pkcs11.so not built"
fi
done_testing
