#!/bin/sh
# setup-debian.sh: on Debian 12, install what p11byok needs that is missing, then build it.
# Sourced by run-demo.sh and run-suite.sh; CONFIGURE_FLAGS passes options to ./configure,
# P11BYOK_EXTRA_PACKAGES names more packages (the suite's third module).
set -e
cd "$(dirname "$0")/.."

P11BYOK_PACKAGES="build-essential autoconf automake libtool pkg-config libp11-kit-dev p11-kit \
libssl-dev openssl libyaml-dev libjansson-dev libgfshare-dev softhsm2 opensc jq groff-base \
util-linux iproute2 xxd time ${P11BYOK_EXTRA_PACKAGES:-}"

missing=
for p in $P11BYOK_PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "Installing:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi

[ -x configure ] || autoreconf -fi
if [ ! -f Makefile ] || [ "${CONFIGURE_FLAGS:-}" != "$(cat .configure-flags 2>/dev/null)" ]; then
	./configure ${CONFIGURE_FLAGS:-}
	printf '%s' "${CONFIGURE_FLAGS:-}" >.configure-flags
fi
make -j"$(nproc)"
