/* fuzz-manifest.c: region manifest YAML (manifest_load_file). */
#include "config.h"
#include "fuzz.h"
#include "manifest.h"

#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct region r;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	if (manifest_load_file(path, &r) == 0)
		region_clear(&r);
	close(fd);
	return 0;
}
