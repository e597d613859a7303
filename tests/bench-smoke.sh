#!/bin/bash
# bench-smoke.sh: the benchmark scripts run, with tiny sizes, and print their tables.  No
# timing is asserted here: figures belong in bench/README.md.
. "$(dirname "$0")/lib.sh"
need openssl sha256sum pkcs11-tool
[ -x /usr/bin/time ] || skip_all "GNU time not installed"
softhsm_setup
run bash "$top_srcdir/bench/hash.sh" 2 1
if [ "$rc" -eq 0 ] && grep -q "^p11byok verify-toolset  .*x$" "$T/out" &&
	grep -q "^sha256sum " "$T/out"; then ok "bench/hash.sh prints its table"
else not_ok "bench/hash.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
run bash "$top_srcdir/bench/startup.sh" 1 1
if [ "$rc" -eq 0 ] && grep -q "^p11byok doctor .*x$" "$T/out"; then ok "bench/startup.sh prints its table"
else not_ok "bench/startup.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
done_testing
