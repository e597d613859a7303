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

struct ydoc;
struct ctx;

struct config_card {
	char *file;		/* card-I-of-N.acs */
	char *pass_file;	/* its holder's passphrase file, or NULL to prompt */
	int at_file, at_pass_file;	/* their nodes in the config's doc, for messages */
};

struct config_key {
	size_t line;		/* where the entry starts, for messages */
	char *ident, *plainname, *friendly_name, *subscription_id;
	char *type, *size, *curve, *pubexp;
	struct keyspec spec;
	char *kek_pem, *kek_id;	/* this key's own KEK, or NULL for the runbook's */
	char *vault_name, *hsm_name;	/* where it is uploaded, else the runbook's; NULL */
	int at_kek_pem;		/* its node in the config's doc */
	int at_type;		/* the node of its type, for a record that disagrees */
};

struct config {
	char *path;
	char *module, *token, *kmdata, *regions, *pin_file;
	bool have_offline;
	enum offline_policy offline;
	bool require_attestation;	/* no KEK from a PEM: only attested packages */
	char *region, *kek_pem, *kek_id, *root_hash;
	char *toolset, *toolset_dir, *output_dir;
	char *vault_name, *hsm_name;	/* for the upload lines run prints; NULL */
	struct config_card *cards;
	size_t ncards;
	struct config_key *keys;
	size_t nkeys;
	/* The parsed file, kept so a value found wrong later (a file that is not there) is
	 * still reported at its FILE:LINE:COLUMN; and the nodes of the values naming files.  */
	struct ydoc *doc;
	struct {
		int module, kmdata, regions, pin_file, region, kek_pem, toolset, toolset_dir,
		    output_dir, require_attestation;
	} at;
};

/* Loads and checks PATH: unknown or misspelled fields, wrong types, inline secrets, bad
 * values, duplicate idents or friendly names, each reported as PATH:LINE:COLUMN with what to
 * do.  Returns 0 with a config the caller frees, or P11BYOK_EUSAGE.  */
int config_load(const char *path, struct config **out);
void config_free(struct config *cfg);

/* For run, before anything runs: what the values of CFG name must be there and usable, each
 * refusal at the value's FILE:LINE:COLUMN.  The module, kmdata, regions and pin_file are
 * checked when CTX takes them from CFG (no command-line option overrides them); unless
 * GENERATE_ONLY (which needs no KEK, toolset or output), the region's manifest in the
 * regions directory and its KEK and world packages in toolset_dir, the toolset, every
 * kek_pem and the output_dir; with CARDS, the card files and pass files.  Secret-bearing
 * values (pin_file, pass_file) are never echoed.  Returns 0 or P11BYOK_EUSAGE after one
 * line.  (runbook-files.c)  */
int config_check_files(const struct config *cfg, const struct ctx *ctx, bool generate_only,
    bool cards);

#endif
