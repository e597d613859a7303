/* fuzz-attest.c: KEK and world packages (attest_verify), CMS parsing through the statement
 * checks.  Input: the 20-byte SHA-1 root pin, the KEK package's length (2 bytes, big
 * endian), the KEK package, then the world package; region NA as the manifest names it.
 * The corpus (tests/fuzz/corpus/attest) is made by tests/vendor-kit.sh with a long-lived
 * device certificate, so replays reach the statement checks.  Each refusal prints its line
 * on stderr: fuzz with -close_fd_mask=2.  */
#include "config.h"
#include "attest.h"
#include "fuzz.h"
#include "manifest.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "United States", code[] = "NA";
	static char kek_name[] = "BYOK-KEK-pkg-NA-1", world_name[] = "BYOK-SecurityWorld-pkg-NA-1";
	struct region reg = { .name = name, .code = code, .kek_package = kek_name,
	    .world_package = world_name };
	struct attest_pin pin = { .len = SHA1_LEN };
	struct attest_result *res = NULL;
	size_t klen;

	if (size < SHA1_LEN + 2)
		return 0;
	memcpy(pin.hash, data, SHA1_LEN);
	klen = (size_t)data[SHA1_LEN] << 8 | data[SHA1_LEN + 1];
	data += SHA1_LEN + 2;
	size -= SHA1_LEN + 2;
	if (klen > size)
		return 0;
	if (attest_verify(data, klen, "kek", data + klen, size - klen, "world", &reg, &pin,
	    &res) == 0)
		attest_result_free(res);
	return 0;
}
