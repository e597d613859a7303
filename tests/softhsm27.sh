#!/bin/sh
# softhsm27.sh [--cached] [TARBALL]: builds SoftHSMv2 2.7.0 (the module with CKM_RSA_AES_KEY_WRAP, which
# Debian 12 does not ship) once into a cache directory and prints the module's path; prints
# nothing and exits 1 when the source is missing or does not build.  The cache is keyed by the
# tarball's SHA-256 (P11BYOK_CACHE, default ~/.cache/p11byok), so a second call is instant.
#   --cached: print the module only when it is already built; never build.
#   TARBALL: default shared/vendor/softhsm2-2.7.0.tar.gz beside the source tree, or beside
#   the tree it was cloned from (a clone in /tmp of a checkout that has it), in
#   /work/shared/vendor, or $P11BYOK_VENDOR_DIR/softhsm2-2.7.0.tar.gz.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cached_only=false
[ "${1:-}" = --cached ] && { cached_only=true; shift; }
name=softhsm2-2.7.0.tar.gz
origin=$(git -C "$here" config --get remote.origin.url 2>/dev/null || true)
tarball=${1:-}
for d in ${P11BYOK_VENDOR_DIR:-} "$here/../shared/vendor" "$origin/../shared/vendor" \
	/work/shared/vendor; do	# the last: where the project's build machines keep it
	[ -z "$tarball" ] && [ -n "$d" ] && [ -f "$d/$name" ] && tarball=$d/$name
done
: "${tarball:=$here/../shared/vendor/$name}"
want=3621e9b6598efc2d3da52a8831bfb2b0ce02292b29f28ef0574df0c810142001
[ -f "$tarball" ] || { echo "softhsm27.sh: $tarball: not found" >&2; exit 1; }
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
[ "$sum" = "$want" ] || {
	echo "softhsm27.sh: $tarball: SHA-256 $sum is not SoftHSMv2 2.7.0's $want" >&2; exit 1; }
cache=${P11BYOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p11byok}/softhsm2-2.7.0-$(echo "$sum" | cut -c1-12)
if [ -f "$cache/lib/libsofthsm2.so" ] && [ -x "$cache/bin/softhsm2-util" ]; then
	echo "$cache/lib/libsofthsm2.so"; exit 0
fi
$cached_only && exit 1
mkdir -p "$cache" || exit 1
exec 9>"$cache.lock"
flock 9	# parallel callers wait for the one build
if [ ! -f "$cache/lib/libsofthsm2.so" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/softhsm27-build.XXXXXX")
	log=$cache.build.log
	echo "softhsm27.sh: building SoftHSMv2 2.7.0 into $cache (a few minutes; log $log)" >&2
	if ! ( set -e; cd "$work"; tar xzf "$tarball"; cd softhsm2-2.7.0
		sh autogen.sh
		./configure --prefix="$cache" --with-crypto-backend=openssl --disable-gost \
			--with-objectstore-backend-db=no --disable-p11-kit
		make -j"$(nproc)" -C src/lib
		make -j"$(nproc)" -C src/bin
		make -C src/lib install && make -C src/bin install ) >"$log" 2>&1; then
		echo "softhsm27.sh: the build failed; see $log" >&2
		rm -rf "$work"; exit 1
	fi
	rm -rf "$work"
	[ -f "$cache/lib/softhsm/libsofthsm2.so" ] &&
		ln -sf softhsm/libsofthsm2.so "$cache/lib/libsofthsm2.so"
fi
[ -f "$cache/lib/libsofthsm2.so" ] || { echo "softhsm27.sh: no module after the build" >&2; exit 1; }
echo "$cache/lib/libsofthsm2.so"
