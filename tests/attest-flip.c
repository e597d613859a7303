/* attest-flip.c: every single-byte alteration of a KEK or world package must be refused.
 *
 * usage: attest-flip REGIONS CODE ROOT_HASH KEK_PKG WORLD_PKG KEK_JSON WORLD_JSON
 *
 * Run by tests/verify-kek.sh over packages of tests/vendor-kit.sh.  Calls attest_verify (the
 * code under test, in process) on the untouched pair, then once for each byte of each
 * package with that byte XOR 0xff and again XOR 0x01.  Every altered package must be refused,
 * and an alteration inside the signed statement (found by its JSON text, KEK_JSON and
 * WORLD_JSON) must be refused as a failed verification (exit code 1), not as bad input.
 * Prints TAP, one line per package and kind of flip; the refusals' reasons (thousands of
 * lines) go to stderr, which the caller sends to a file.  */
#include "config.h"
#include "attest.h"
#include "fsutil.h"
#include "manifest.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n, failed;

static void
tap(int ok, const char *note, const char *a, unsigned x, size_t tried, size_t bad, long first)
{
	printf("%s %d - %s: XOR 0x%02x at each of %zu positions refused", ok ? "ok" : "not ok",
	    ++n, a, x, tried);
	if (!ok) {
		printf(" (%zu accepted or wrongly classed, first at %ld)", bad, first);
		failed++;
	}
	printf("%s\n", note);
}

static int
verify(const unsigned char *k, size_t kl, const unsigned char *w, size_t wl,
    const struct region *reg, const struct attest_pin *pin)
{
	struct attest_result *res = NULL;
	int r = attest_verify(k, kl, "kek", w, wl, "world", reg, pin, &res);
	if ((r == 0) != (res != NULL))
		r = -1;		/* a result without success, or success without one */
	attest_result_free(res);
	return r;
}

/* Flips each byte of BUF (package WHICH of the pair) with X; counts what was not refused. */
static void
flip_all(unsigned char *kek, size_t kl, unsigned char *world, size_t wl, int which,
    const char *stmt, const struct region *reg, const struct attest_pin *pin, unsigned x)
{
	unsigned char *buf = which == 0 ? kek : world;
	size_t len = which == 0 ? kl : wl, bad = 0, slen = strlen(stmt);
	const unsigned char *s = memmem(buf, len, stmt, slen);
	size_t s_off = s != NULL ? (size_t)(s - buf) : len;
	long first = -1;

	for (size_t i = 0; i < len; i++) {
		int r;
		buf[i] ^= (unsigned char)x;
		r = verify(kek, kl, world, wl, reg, pin);
		buf[i] ^= (unsigned char)x;
		if (r == 0 || r < 0 || (i >= s_off && i < s_off + slen && r != P11BYOK_EFAIL)) {
			if (first < 0)
				first = (long)i;
			if (bad++ < 10)
				printf("# %s: XOR 0x%02x at %zu: %s\n", which == 0 ? "KEK" : "world",
				    x, i, r == 0 ? "accepted" : "refused as bad input, not as altered");
		}
	}
	tap(bad == 0 && s != NULL, s != NULL ? "" : " (signed statement not found in package)",
	    which == 0 ? "KEK package" : "world package", x, len, bad, first);
}

int
main(int argc, char **argv)
{
	struct region_set *set = NULL;
	const struct region *reg;
	struct attest_pin pin;
	char *kek = NULL, *world = NULL, *kj = NULL, *wj = NULL;
	size_t kl, wl, jl;

	if (argc != 8) {
		fprintf(stderr, "usage: attest-flip REGIONS CODE ROOT_HASH KEK_PKG WORLD_PKG "
		    "KEK_JSON WORLD_JSON\n");
		return 2;
	}
	if (manifest_load_dir(argv[1], &set) != 0 || (reg = region_lookup(set, argv[2])) == NULL ||
	    attest_parse_pin(argv[3], "root hash", &pin) != 0 ||
	    fs_read_file(argv[4], "KEK package", 1 << 20, &kek, &kl) != 0 ||
	    fs_read_file(argv[5], "world package", 1 << 20, &world, &wl) != 0 ||
	    fs_read_file(argv[6], "KEK statement", 1 << 20, &kj, &jl) != 0 ||
	    fs_read_file(argv[7], "world statement", 1 << 20, &wj, &jl) != 0)
		return 2;
	printf("%s %d - the untouched pair verifies\n", verify((unsigned char *)kek, kl,
	    (unsigned char *)world, wl, reg, &pin) == 0 ? "ok" : (failed++, "not ok"), ++n);
	fflush(stdout);
	for (int which = 0; which < 2; which++)
		for (unsigned x = 0xff; x != 0; x = x == 0xff ? 0x01 : 0)
			flip_all((unsigned char *)kek, kl, (unsigned char *)world, wl, which,
			    which == 0 ? kj : wj, reg, &pin, x);
	printf("1..%d\n", n);
	free(kek);
	free(world);
	free(kj);
	free(wj);
	region_set_free(set);
	return failed ? 1 : 0;
}
