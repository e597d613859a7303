/* fuzz-byok.c: .byok transfer files (byok_read), and the size analysis inspect prints. */
#include "config.h"
#include "byok.h"
#include "fuzz.h"

#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byok *b = NULL;
	struct byok_shape shape;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	if (byok_read(path, &b) == 0) {
		byok_shape(b->ciphertext_len, &shape);
		byok_free(b);
	}
	close(fd);
	return 0;
}
