/* runbook.h: the YAML config and runbook (DESIGN.md §3): global settings, the transfer target,
 * card sources and the list of keys, checked in full before anything runs.
 *
 * Relative paths in the file are taken relative to the file's own directory.  */
#ifndef P11BYOK_RUNBOOK_H
#define P11BYOK_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include "keyspec.h"
#include "offline.h"

struct config_card {
	char *file;		/* card-I-of-N.acs */
	char *pass_file;	/* its holder's passphrase file, or NULL to prompt */
};

struct config_key {
	size_t line;		/* where the entry starts, for messages */
	char *ident, *plainname, *friendly_name, *subscription_id;
	char *type, *size, *curve, *pubexp;
	struct keyspec spec;
	char *kek_pem, *kek_id;	/* this key's own KEK, or NULL for the runbook's */
};

struct config {
	char *path;
	char *module, *token, *kmdata, *regions, *pin_file;
	bool have_offline;
	enum offline_policy offline;
	char *region, *kek_pem, *kek_id, *root_hash;
	char *toolset, *toolset_dir, *output_dir;
	struct config_card *cards;
	size_t ncards;
	struct config_key *keys;
	size_t nkeys;
};

/* Loads and checks PATH: unknown or misspelled fields, wrong types, inline secrets, bad
 * values, duplicate idents or friendly names, each reported as PATH:LINE:COLUMN with what to
 * do.  Returns 0 with a config the caller frees, or P11BYOK_EUSAGE.  */
int config_load(const char *path, struct config **out);
void config_free(struct config *cfg);

#endif
