#!/bin/bash
# cli.sh: --version, --help for the tool and each command, the man page, bad command lines.
. "$(dirname "$0")/lib.sh"

commands="regions verify-toolset doctor world verify-kek generate show-key restore modify-acls
package inspect import audit"

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
