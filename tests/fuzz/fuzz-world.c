/* fuzz-world.c: the world file kmdata/world (world_load): the input is written as "world" in
 * a private directory, read as that kmdata.  */
#include "config.h"
#include "fuzz.h"
#include "world.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = NULL;
	const char *dir = fuzz_dir();

	if (dir == NULL || fuzz_put("world", data, size) != 0)
		return 0;
	if (world_load(dir, &w) == 0)
		world_free(w);
	return 0;
}
