/* fuzz-runbook.c: runbook and config YAML (config_load). */
#include "config.h"
#include "fuzz.h"
#include "runbook.h"

#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	if (config_load(path, &cfg) == 0)
		config_free(cfg);
	close(fd);
	return 0;
}
