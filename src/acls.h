/* acls.h: modify-acls as a library step (seed step 4.1), for `modify-acls` on one key and
 * `run` on a batch: the user makes the reduced-permission copy of a key and records which
 * KEK it is prepared for.  No trust is given here: the quorum approves each transfer at
 * package (package.h).  */
#ifndef P11BYOK_ACLS_H
#define P11BYOK_ACLS_H

#include <stdbool.h>
#include <stddef.h>
#include "kek.h"
#include "keyspec.h"
#include "p11.h"
#include "keyrecord.h"
#include "world.h"

/* What the user half did for one key. */
struct acls_result {
	enum key_type type;
	bool copy_reused;		/* the transfer copy was already there */
	char record[4096];		/* KMDATA/key_xferacld_IDENT */
};

/* (user) Checks key REC on the token (keycheck.h), makes its reduced-permission copy or
 * checks the one there, writes KMDATA/key_xferacld_IDENT for KEK (REGION: its manifest
 * code, or NULL for a Key Vault PEM) and appends the 'modify-acls' audit event.  A copy made
 * here is destroyed again when a later step fails.  Returns 0, or the exit code after one
 * line.  */
int acls_copy(struct p11 *p, const char *kmdata, const struct world *w,
    const struct key_simple *rec, const struct kek *kek, const char *region, bool native,
    struct acls_result *res);

#endif
