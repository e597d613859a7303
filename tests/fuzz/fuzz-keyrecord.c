/* fuzz-keyrecord.c: kmdata's key records, key_simple_ID and key_xferacld_ID (their loaders
 * take a kmdata directory and an ident): the input is written as both files of ident
 * "fuzzkey" in a private directory, and both loaders read it.  The corpus
 * (tests/fuzz/corpus/keyrecord) is made by tests/fuzz/make-seeds.sh on SoftHSMv2.  */
#include "config.h"
#include "fuzz.h"
#include "keyrecord.h"

#define IDENT "fuzzkey"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key_simple *k = NULL;
	struct key_xferacld *x = NULL;
	const char *dir = fuzz_dir();

	if (dir == NULL || fuzz_put("key_simple_" IDENT, data, size) != 0 ||
	    fuzz_put("key_xferacld_" IDENT, data, size) != 0)
		return 0;
	if (keyrecord_simple_load(dir, IDENT, &k) == 0)
		key_simple_free(k);
	if (keyrecord_xferacld_load(dir, IDENT, &x) == 0)
		key_xferacld_free(x);
	return 0;
}
