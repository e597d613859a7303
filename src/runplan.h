/* runplan.h: what `run` has to do for each key of a runbook, found from kmdata, the output
 * directory and the token, so a rerun after a crash finishes exactly what is missing.
 *
 * A key goes generate -> modify-acls -> package.  Each step leaves a trace to find it by:
 * key_simple_ID (or, cut short, the key on the token without it), key_xferacld_ID naming
 * the KEK together with the transfer copy on the token, and the .byok in the output dir.  */
#ifndef P11BYOK_RUNPLAN_H
#define P11BYOK_RUNPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "kek.h"
#include "p11.h"
#include "runbook.h"

struct ctx;
struct audit_log;

/* One KEK of the batch: the runbook's, or a key's own Key Vault PEM. */
struct runplan_kek {
	struct kek *kek;
	const char *region;		/* the runbook's region; NULL for a PEM */
	const char *pem;		/* the PEM file; NULL for a region */
};

struct runplan_key {
	const struct config_key *ck;
	struct runplan_kek *kek;
	char byok[4096];		/* OUTPUT_DIR/KeyTransferPackage-NAME.byok */
	bool recorded;			/* key_simple_ID exists */
	bool acls_recorded;		/* key_xferacld_ID exists for this KEK */
	bool packaged;			/* the .byok exists and fits the key and KEK */
	char staged[4200];		/* or: a run killed after its package line left the
					 * .byok staged here (BYOK.tmp.XXXXXX), the file that
					 * line names: check_proofs puts it in place; "" */
	bool generate_unaudited;	/* recorded, but no generate line lists the record */
	bool acls_unaudited;		/* acls_recorded, but no modify-acls line lists it */
};

struct runplan {
	const struct config *cfg;
	const char *kmdata, *output_dir, *world_hash;
	struct runplan_kek *keks;
	size_t nkeks;
	struct runplan_key *keys;
	size_t nkeys;
	bool generate_only;		/* run --generate-only: no KEK, no copy, no .byok */
	struct audit_log *log;		/* kmdata/audit.log as the run began */
};

/* With GENERATE_ONLY, only the records are read: keys get no KEK (NULL) and no .byok.
 * Otherwise: resolves every key's KEK (each distinct one loaded and verified once, as kek_load does)
 * and output path, and reads what kmdata and the output directory already hold: records
 * (which must be of WORLD_HASH and of the runbook's key type), and each existing .byok checked against its key's type and KEK (a mismatch is an error,
 * as `run` never rewrites one).  Returns 0 with *OUT the caller frees, or the exit code
 * after one line.  */
int runplan_new(struct ctx *ctx, const struct config *cfg, const char *kmdata,
    const char *world_hash, bool generate_only, const char *const *only, size_t nonly,
    struct runplan **out);
void runplan_free(struct runplan *rp);

/* Appends a RECOVERED audit line for each step of K found done without its own line (a
 * run killed between writing a record and logging it), so every record is in the log.
 * Returns 0 or the exit code after one line.  */
int runplan_record_unaudited(const struct runplan *rp, struct p11 *p, struct runplan_key *k);

/* Whether any key is still to package: the quorum must approve its transfer. */
bool runplan_needs_quorum(const struct runplan *rp);

/* How many keys are still to package. */
size_t runplan_to_package(const struct runplan *rp);

#endif
