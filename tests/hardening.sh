#!/bin/bash
# hardening.sh: the built binary carries the protections configure asks for (issue 16):
# stack protector, FORTIFY_SOURCE, full RELRO with immediate binding, PIE, a stack that is
# not executable, and on x86-64 the CET properties of -fcf-protection.  Read off the ELF
# file with readelf and nm, as a packager's hardening check would.
. "$(dirname "$0")/lib.sh"
need readelf nm
B=$top_builddir/p11byok
[ -x "$B" ] || skip_all "p11byok is not built"
grep -q -- '-fstack-protector-strong' "$top_builddir/Makefile" ||
	skip_all "built with --disable-hardening (or a compiler without the flags)"
readelf -dW "$B" >"$T/dyn"
readelf -lW "$B" >"$T/seg"
readelf -hW "$B" >"$T/hdr"
nm -D "$B" >"$T/syms"
assert "full RELRO: a GNU_RELRO segment" grep -q GNU_RELRO "$T/seg"
assert "... and immediate binding (BIND_NOW)" grep -Eq 'BIND_NOW|Flags: .*NOW' "$T/dyn"
assert "position independent (PIE)" grep -Eq 'Type: +DYN|Flags: .*PIE' "$T/hdr" "$T/dyn"
assert "stack protector: __stack_chk_fail is linked" grep -q '__stack_chk_fail' "$T/syms"
assert "FORTIFY_SOURCE: checked string functions (__*_chk) are linked" \
	grep -Eq '__[a-z]+_chk@' "$T/syms"
if grep GNU_STACK "$T/seg" | grep -q 'RWE'; then not_ok "the stack is executable"
else ok "the stack is not executable (GNU_STACK RW)"; fi
# The linker keeps the CET note only when every object has it, and Debian 12's C runtime
# start files do not: so p11byok's own objects are checked.
if [ "$(uname -m)" = x86_64 ] && grep -q -- '-fcf-protection' "$top_builddir/Makefile" &&
	[ -f "$top_builddir/src/main.o" ]; then
	readelf -nW "$top_builddir/src/main.o" "$top_builddir/src/package.o" >"$T/notes"
	assert "-fcf-protection: p11byok's objects carry the x86 IBT and SHSTK properties" \
		test "$(grep -Ec 'x86 feature: .*IBT.*SHSTK|x86 feature: .*SHSTK.*IBT' \
		"$T/notes")" -eq 2
else
	skip "not x86-64, or the compiler has no -fcf-protection"
fi
done_testing
