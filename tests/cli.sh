#!/bin/bash
# cli.sh: --version, --help for the tool and each command, the man page, bad command lines.
. "$(dirname "$0")/lib.sh"

commands="regions verify-toolset doctor world verify-kek generate show-key restore modify-acls
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
expect 2 "unrecognized option" "unknown option exits 2" -- "$P11BYOK" regions --colour
expect 2 "give at most one region" "regions takes one region" -- "$P11BYOK" regions NA EU
expect 0 "United States" "global options work after the command" -- \
	"$P11BYOK" regions --regions "$REGIONS" NA

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
