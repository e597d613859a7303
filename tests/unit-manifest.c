/* unit-manifest.c: the shipped region manifests load, and lookups find what users type. */
#include "config.h"
#include "manifest.h"
#include "msg.h"
#include "tap.h"

#include <stdlib.h>

int
main(void)
{
	const char *srcdir = getenv("top_srcdir");
	struct region_set *set = NULL;
	const struct region *r;
	char dir[1024];

	snprintf(dir, sizeof dir, "%s/conf/regions", srcdir ? srcdir : ".");
	ok(manifest_load_dir(dir, &set) == 0, "conf/regions loads");
	if (set == NULL)
		return tap_done();
	ok(set->n == 18, "18 regions (got %zu)", set->n);
	ok(strcmp(set->v[0].code, "NA") == 0 && strcmp(set->v[0].name, "United States") == 0,
	    "first is United States (NA), in the seed's order");
	r = region_find(set, "eu");
	ok(r != NULL && strcmp(r->name, "Europe") == 0, "code lookup ignores case");
	r = region_find(set, "united kingdom");
	ok(r != NULL && strcmp(r->code, "UK") == 0, "name lookup ignores case");
	ok(region_find(set, "Atlantis") == NULL, "unknown region is NULL");
	r = region_by_toolset(set, "keyvault-byok-tools-germany-public.zip");
	ok(r != NULL && strcmp(r->code, "GERMANYPUBLIC") == 0, "toolset file lookup");
	r = region_by_toolset(set, "KeyVault-BYOK-Tools-Germany.zip");
	ok(r != NULL && strcmp(r->code, "GERMANY") == 0, "Germany is not Germany Public");
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].root_key_hash_len != 20 || set->v[i].root_key_hash[0] != 0x59) {
			ok(0, "root key hash of %s", set->v[i].code);
			break;
		}
	ok(1, "every root key hash is the seed's SHA-1 59178a47...");
	region_set_free(set);
	return tap_done();
}
