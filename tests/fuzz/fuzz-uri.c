/* fuzz-uri.c: token URIs (p11_uri_parse), the pin-source they may carry, and the same bytes
 * as the PIN file such a source names (secret_from_file: size, line ends, NULs).  */
#include "config.h"
#include "fuzz.h"
#include "p11.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	P11KitUri *uri = NULL;
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (p11_uri_parse(text, &uri) == 0) {
		const char *src = p11_kit_uri_get_pin_source(uri);
		if (src != NULL)
			(void)secret_pin_source_path(src);
		p11_kit_uri_free(uri);
	}
	(void)secret_pin_source_path(text);
	free(text);
	{
		char path[64], *pin = NULL;
		size_t len = 0;
		int fd = fuzz_file(data, size, path, sizeof path);
		if (fd >= 0) {
			if (secret_from_file(path, "PIN file", &pin, &len) == 0)
				secret_free(pin, len);
			close(fd);
		}
	}
	return 0;
}
