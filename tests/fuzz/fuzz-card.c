/* fuzz-card.c: administrator card files card-I-of-N.acs (card_load): the JSON, every field's
 * range and encoding, the scrypt parameters' bounds.  card_load never derives a key (scrypt
 * runs in card_open, with a passphrase), so each input costs a parse, not 128 MiB of KDF.  */
#include "config.h"
#include "cards.h"
#include "fuzz.h"

#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card *c = NULL;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	if (card_load(path, &c) == 0)
		card_free(c);
	close(fd);
	return 0;
}
