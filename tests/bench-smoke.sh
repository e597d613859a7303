#!/bin/bash
# bench-smoke.sh: the benchmark scripts run, with tiny sizes, and print their tables.  No
# timing is asserted here: figures belong in bench/README.md.  What is asserted of the
# transfer bench is a count, not a time: `run` searches the token a fixed number of times
# for a batch, not once per key and step (SoftHSMv2 reads every object file on each search).
. "$(dirname "$0")/lib.sh"
need openssl sha256sum pkcs11-tool
[ -x /usr/bin/time ] || skip_all "GNU time not installed"
softhsm_setup
run bash "$top_srcdir/bench/hash.sh" 2 1
if [ "$rc" -eq 0 ] && grep -q "^p11byok verify-toolset  .*x$" "$T/out" &&
	grep -q "^sha256sum " "$T/out"; then ok "bench/hash.sh prints its table"
else not_ok "bench/hash.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
run bash "$top_srcdir/bench/yaml.sh" 16 1
if [ "$rc" -eq 0 ] && grep -q "^alias bomb .*x$" "$T/out"; then ok "bench/yaml.sh prints its table"
else not_ok "bench/yaml.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
run bash "$top_srcdir/bench/startup.sh" 1 1
if [ "$rc" -eq 0 ] && grep -q "^p11byok doctor .*x$" "$T/out"; then ok "bench/startup.sh prints its table"
else not_ok "bench/startup.sh (exit $rc)"; diag "$T/out" "$T/err"; fi

# Two keys: set-up, one round of the four commands, the call counts.
WRAP_MIN=$top_builddir/bench/wrap-min FAULTY_MODULE=${FAULTY_MODULE:-} \
	run bash "$top_srcdir/bench/transfer.sh" 2 1
if [ "$rc" -eq 0 ] && grep -q "^wrap-min --fsync (baseline) .* 1.00x$" "$T/out" &&
	grep -q "^p11byok run .*x$" "$T/out" && grep -q "^p11byok package loop .*x$" "$T/out" &&
	grep -q "^p11byok package loop / p11byok run: [0-9.]*x" "$T/out"; then
	ok "bench/transfer.sh prints its table"
else not_ok "bench/transfer.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
if [ -f "${FAULTY_MODULE:-}" ]; then
	# wrap-min: the copy per key (2); run: its trusted objects once, one scan of the token
	# for each of the user's two sessions, and its proof key once (4), whatever the number
	# of keys.
	searches() { awk -v name="$1" 'index($0, name) == 1 && /[0-9]+ *$/ { print $(NF - 5) }' \
		"$T/out" | tail -n 1; }
	assert "transfer bench: wrap-min searches once per key" \
		test "$(searches "wrap-min --fsync")" = 2
	assert "transfer bench: run searches the token 4 times for the batch, not per key" \
		test "$(searches "p11byok run")" = 4
else
	skip "tests/faulty-pkcs11.so not built: no call counts"
fi
run bash "$top_srcdir/bench/keygen.sh" 0 0 1 1
if [ "$rc" -eq 0 ] && grep -q "^pkcs11-tool --keypairgen loop (baseline) .* 1.00x$" "$T/out" &&
	grep -q "^p11byok run --generate-only .*x$" "$T/out" &&
	grep -q "^p11byok generate loop .*x$" "$T/out"; then ok "bench/keygen.sh prints its table"
else not_ok "bench/keygen.sh (exit $rc)"; diag "$T/out" "$T/err"; fi
done_testing
