#!/bin/sh
# on-softhsm27.sh tests/softhsm27/NAME.m27: runs tests/NAME.sh again on SoftHSMv2 2.7.0,
# whose CKM_RSA_AES_KEY_WRAP makes package take the one-call path (Debian's 2.6.1 takes the
# composed one).  The module is $SOFTHSM27_MODULE (configure --with-softhsm27-module=PATH),
# else the one tests/softhsm27.sh built into its cache, else the system's when it is 2.7 or
# later; without any the test is skipped,
# saying how to get it.  Tests read what to expect from P11BYOK_TEST_* (tests/lib.sh).
set -u
name=$(basename "$1" .m27)
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
mod=${SOFTHSM27_MODULE:-}
[ -n "$mod" ] || mod=$(sh "$top_srcdir/tests/softhsm27.sh" --cached 2>/dev/null)
# A system SoftHSMv2 of 2.7 or later (Debian 13 and on) is that module already.
if [ -z "$mod" ] && v=$(softhsm2-util --version 2>/dev/null) &&
	[ "$(printf '%s\n2.7.0\n' "$v" | sort -V | head -n 1)" = 2.7.0 ]; then
	mod=${SOFTHSM2_MODULE:-}
fi
if [ -z "$mod" ] || [ ! -f "$mod" ]; then
	echo "1..0 # SKIP SoftHSMv2 2.7.0 not available: run tests/softhsm27.sh (it builds" \
	    "../shared/vendor/softhsm2-2.7.0.tar.gz), or configure --with-softhsm27-module=PATH"
	exit 0
fi
util=${SOFTHSM27_UTIL:-$(dirname "$mod")/../bin/softhsm2-util}
[ -x "$util" ] || util=$(dirname "$mod")/../../bin/softhsm2-util
[ -x "$util" ] || util=${SOFTHSM2_UTIL:-}
SOFTHSM2_MODULE=$mod SOFTHSM2_UTIL=$util
P11BYOK_TEST_WRAP=CKM_RSA_AES_KEY_WRAP P11BYOK_TEST_WWT_FIXED=false
# The fault sweeps again, a third of their positions (tests/faults-lib.sh): the first module
# has swept them all, and the suite stays well under a quarter of an hour.
FAULT_THIN=${FAULT_THIN:-3}
export SOFTHSM2_MODULE SOFTHSM2_UTIL P11BYOK_TEST_WRAP P11BYOK_TEST_WWT_FIXED FAULT_THIN
exec bash "$top_srcdir/tests/$name.sh"
