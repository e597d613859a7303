#!/bin/sh
# run-suite.sh: the README's second command. Installs what is missing, builds, runs the
# whole test suite, and ends with the line "N passed, N failed[, N skipped]".
set -e
# The third module, the refusal case: tpm2-pkcs11 over swtpm and tpm2-abrmd.
P11BYOK_EXTRA_PACKAGES="libtpm2-pkcs11-1 libtpm2-pkcs11-tools libtss2-tcti-tabrmd0 swtpm \
swtpm-tools tpm2-abrmd dbus"
. "$(dirname "$0")/setup-debian.sh"
set +e
# The second module: SoftHSMv2 2.7.0 from ../shared/vendor, built once into a cache.
if [ -z "${SOFTHSM27_MODULE:-}" ]; then
	SOFTHSM27_MODULE=$(sh tests/softhsm27.sh) ||
		echo "SoftHSMv2 2.7.0 is not built: the one-call path's tests will be skipped"
fi
export SOFTHSM27_MODULE
make -j"$(nproc)" check
status=$?
log=test-suite.log
count() { sed -n "s/^# $1: *//p" "$log" | head -n 1; }
if [ -f "$log" ]; then
	pass=$(count PASS) fail=$(count FAIL) err=$(count ERROR) xpass=$(count XPASS)
	skip=$(count SKIP)
	failed=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
	[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
	grep -E '^(FAIL|ERROR|XPASS):' tests/*.log 2>/dev/null | head -n 50
	if [ "${skip:-0}" -gt 0 ]; then
		echo "${pass:-0} passed, $failed failed, $skip skipped"
	else
		echo "${pass:-0} passed, $failed failed"
	fi
else
	echo "0 passed, 1 failed"
fi
exit "$status"
