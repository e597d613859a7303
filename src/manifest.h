/* manifest.h: the region manifests of conf/regions (DESIGN.md §3). */
#ifndef P11BYOK_MANIFEST_H
#define P11BYOK_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include "digest.h"

struct region {
	char *path;		/* the manifest file it came from */
	char *name;		/* "United States" */
	char *code;		/* "NA" */
	char *toolset_file;	/* "KeyVault-BYOK-Tools-UnitedStates.zip" */
	unsigned char toolset_sha256[SHA256_LEN];
	char *kek_package;	/* "BYOK-KEK-pkg-NA-1" */
	char *world_package;	/* "BYOK-SecurityWorld-pkg-NA-1" */
	unsigned char root_key_hash[SHA256_LEN];
	size_t root_key_hash_len;	/* 20 (SHA-1) or 32 (SHA-256) */
};

struct region_set {
	struct region *v;
	size_t n;
};

/* Loads every *.yaml of DIR, sorted by file name, checking each field and that no two
 * manifests share a code, name or toolset file.  Returns 0 with a set the caller frees, or
 * P11BYOK_EUSAGE after one line naming the file (and line:column for YAML errors).  */
int manifest_load_dir(const char *dir, struct region_set **out);

/* Loads one manifest file into R (caller frees with region_clear).  Same returns. */
int manifest_load_file(const char *path, struct region *r);

void region_clear(struct region *r);
void region_set_free(struct region_set *set);

/* The region whose code or name equals KEY, ignoring case; NULL when none. */
const struct region *region_find(const struct region_set *set, const char *key);
/* The region whose toolset file name equals BASENAME, ignoring case; NULL when none. */
const struct region *region_by_toolset(const struct region_set *set, const char *basename);

/* The directory manifests are read from: OPT when given, else the installed one. */
const char *manifest_dir(const char *opt);

/* The codes of SET, "NA, EU, AP, ...", into BUF (LEN bytes, cut short to fit); returns BUF. */
const char *region_codes(const struct region_set *set, char *buf, size_t len);

/* The region for KEY (code or name) in SET; when none, prints one line listing the known
 * codes and returns NULL.  */
const struct region *region_lookup(const struct region_set *set, const char *key);

/* Step 1.3's Get-FileHash: the region of toolset FILE (REGION_KEY, or inferred from the
 * file's name when NULL), FILE's SHA-256 into ACTUAL, and whether it is the one the region's
 * manifest pins (*MATCH).  Returns 0 (match or not), or P11BYOK_EUSAGE after one line (an
 * unknown region, a name no manifest knows, an unreadable file).  */
int manifest_check_toolset(const struct region_set *set, const char *file,
    const char *region_key, const struct region **reg, unsigned char actual[SHA256_LEN],
    bool *match);

#endif
