#!/bin/bash
# cli.sh: --version, --help for the tool and each command, the man page, bad command lines.
. "$(dirname "$0")/lib.sh"

commands="regions verify-toolset doctor world verify-kek generate show-key restore discard modify-acls
package run inspect import audit"

expect 0 "^p11byok [0-9]+\.[0-9]+" "--version prints the version" -- "$P11BYOK" --version
run "$P11BYOK" --help
for c in $commands; do
	if grep -q "^  $c " "$T/out"; then ok "--help lists $c"; else not_ok "--help lists $c"; fi
done
for c in $commands; do
	expect 0 "^usage: p11byok .*$c" "$c --help shows its usage" -- "$P11BYOK" "$c" --help
	if grep -q -- "--module" "$T/out"; then ok "$c --help lists the global options"
	else not_ok "$c --help lists the global options"; fi
done
listed=$("$P11BYOK" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' | tr '\n' ' ')
assert "--help lists exactly the commands this test knows" test "$listed" = "$(echo $commands) "
for c in $commands; do
	"$P11BYOK" "$c" --help >"$T/help" 2>&1
	grep -q -- "--json fields" "$T/help" && ok "$c --help documents its --json fields" ||
		not_ok "$c --help documents its --json fields"
done
# README's JSON table says what each command's --help says.
for c in $commands; do
	help=$("$P11BYOK" "$c" --help | perl -0777 -ne 's/\s+/ /g;
		print $1 if /--json fields:? ?(.*?)\. (?:Options:|Global options)/')
	row=$(grep -F "| \`$c\` | " "$top_srcdir/README" | sed 's/^| `[a-z-]*` | \(.*\) |$/\1/; s/\\|/|/g')
	[ -n "$help" ] && [ "$help" = "$row" ] && ok "README's JSON table has $c's --help fields" ||
		{ not_ok "README's JSON table has $c's --help fields"; echo "# help: $help"; echo "# README: $row"; }
done
expect 2 "unknown command 'frobnicate'" "unknown command exits 2" -- "$P11BYOK" frobnicate
expect 2 "no command given" "no command exits 2" -- "$P11BYOK"
expect 2 "unrecognized option '--colour': 'p11byok regions --help' lists the options" \
	"unknown option exits 2" -- "$P11BYOK" regions --colour
# Short options: package's -o is the only one; any other letter is unknown, not "needs a value".
for o in "regions -x" "run -h" "-v" "package -q"; do
	set -- $o
	[ $# -eq 1 ] && set -- "" "$1"
	expect 2 "^p11byok: unrecognized option '$2': 'p11byok ${1:+$1 }--help' lists the options$" \
		"an unknown short option: ${o}" -- "$P11BYOK" ${1:+"$1"} "$2"
done
expect 2 "^p11byok: unrecognized option '-x': 'p11byok regions --help' lists the options$" \
	"an unknown letter inside a bundle, after a long option" -- "$P11BYOK" regions --quiet -xy
expect 2 "option '-o' needs a value: 'p11byok package --help' describes it" \
	"package -o without its value" -- "$P11BYOK" package -o
expect 2 "option '--json' takes no value" "a flag given a value" -- "$P11BYOK" regions --json=yes
expect 2 "give at most one region" "regions takes one region" -- "$P11BYOK" regions NA EU
expect 0 "United States" "global options work after the command" -- \
	"$P11BYOK" regions --regions "$REGIONS" NA

# Under --json a failing command still prints exactly one document: its own, or the
# failure document with the first error line.
onedoc() {	# onedoc CODE COMMAND DESC -- ARGS...: exactly one failure document, for COMMAND
	local code=$1 command=$2 desc=$3
	shift 4
	run "$@"
	if [ "$rc" -eq "$code" ] && [ "$(jq -s length "$T/out" 2>/dev/null)" = 1 ] &&
		jq -e --arg c "$command" --argjson x "$code" --arg e "$(grep -v '^p11byok: warning: ' "$T/err" |
		head -n 1 | sed 's/^p11byok[a-z -]*: //')" '.result == "FAILURE" and .exit_code == $x and
		(.command // "") == $c and .error == $e' "$T/out" >/dev/null; then
		ok "--json: $desc prints one failure document"
	else
		not_ok "--json: $desc prints one failure document (exit $rc)"; diag "$T/out" "$T/err"
	fi
}
for c in $commands; do
	onedoc 2 "$c" "$c with an unknown option" -- "$P11BYOK" --json "$c" --no-such-option
done
onedoc 2 "" "an unknown command" -- "$P11BYOK" --json frobnicate
onedoc 2 "" "no command" -- "$P11BYOK" --json
onedoc 2 inspect "--json after the command, on a file that is not a .byok" -- \
	"$P11BYOK" inspect /etc/hostname --json
onedoc 3 generate "a module that does not load" -- "$P11BYOK" --json --module "$T/none.so" \
	--kmdata "$T" generate --ident k1 --plainname k1 --type AES --size 256
onedoc 2 audit "audit verify of a missing log" -- "$P11BYOK" --json --kmdata "$T/none" audit verify
printf '{"not":"a sealed line"}\n' >"$T/audit.log"
run "$P11BYOK" --json audit verify "$T/audit.log"
assert "--json: a broken audit log prints audit's own document only, intact false" test \
	"$rc" -eq 1 -a "$(jq -s 'length' "$T/out")" = 1 -a "$(jq -r '.intact' "$T/out")" = false
run "$P11BYOK" --json regions --regions "$REGIONS" NA
assert "--json: a command that succeeds prints its own document only" test "$rc" -eq 0 -a \
	"$(jq -s 'length' "$T/out")" = 1 -a "$(jq -r 'type' "$T/out")" = array

man=$top_builddir/p11byok.1
if [ -f "$man" ]; then
	missing=
	for c in $commands; do
		grep -q "^\.SS \"$(printf '%s' "$c" | sed 's/-/\\\\-/g')" "$man" || missing="$missing $c"
	done
	if [ -z "$missing" ]; then ok "the man page documents every command"
	else not_ok "the man page lacks:$missing"; fi
	for o in --module --token --kmdata --regions --pin-file --json P11BYOK_PIN; do
		grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$man" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then ok "the man page documents the global options"
	else not_ok "the man page lacks:$missing"; fi
	# Every option of every command's --help is in the man page (both come from one table).
	man -l "$man" >"$T/man.txt" 2>/dev/null || groff -man -Tutf8 "$man" 2>/dev/null |
		col -b >"$T/man.txt"
	for c in $commands; do
		"$P11BYOK" "$c" --help | sed -n '/^Options:/,/^$/s/^  \(-[-a-z]*\|[a-z]*=\).*/\1/p'
	done | sort -u >"$T/opts"
	missing=$(while read -r o; do grep -qF -- "$o" "$T/man.txt" || echo "$o"; done <"$T/opts")
	[ -s "$T/opts" ] && [ -z "$missing" ] && ok "the man page documents every command's options ($(wc -l <"$T/opts"))" ||
		not_ok "the man page lacks options: $missing"
	"$P11BYOK" --help-formats | grep -v '^ \|^$' >"$T/formats"
	missing=$(while read -r f; do grep -qF -- "$f" "$T/man.txt" || echo "$f"; done <"$T/formats")
	[ "$(wc -l <"$T/formats")" -ge 9 ] && [ -z "$missing" ] &&
		ok "the man page's FILE FORMATS describe every file --help-formats does" ||
		not_ok "the man page lacks formats: $missing"
	for s in "EXIT STATUS" ENVIRONMENT "PIN SOURCES" "FILE FORMATS"; do
		grep -q "^\.SH $s" "$man" && ok "the man page has $s" || not_ok "the man page has $s"
	done
	if command -v groff >/dev/null; then
		groff -man -ww -z "$man" 2>"$T/groff"
		if [ ! -s "$T/groff" ]; then ok "the man page renders without warnings"
		else not_ok "groff warns"; diag "$T/groff"; fi
	else
		skip "groff not installed"
	fi
else
	not_ok "p11byok.1 was built"
fi
done_testing
