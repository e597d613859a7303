#!/bin/sh
# run-demo.sh [--softhsm27]: the README's first command. Installs what is missing, builds,
# runs the demo: on Debian's SoftHSMv2 (the composed wrap), or with --softhsm27 on SoftHSMv2
# 2.7.0 built from ../shared/vendor (tests/softhsm27.sh; the one-call CKM_RSA_AES_KEY_WRAP).
set -e
case ${1:-} in
--softhsm27) with27=yes ;;
"") with27= ;;
*) echo "usage: sh tests/run-demo.sh [--softhsm27]" >&2; exit 2 ;;
esac
. "$(dirname "$0")/setup-debian.sh"
if [ -n "$with27" ]; then
	SOFTHSM2_MODULE=$(sh tests/softhsm27.sh)
	SOFTHSM2_UTIL=$(dirname "$SOFTHSM2_MODULE")/../bin/softhsm2-util
	export SOFTHSM2_MODULE SOFTHSM2_UTIL
fi
exec bash tests/demo.sh
