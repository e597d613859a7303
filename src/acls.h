/* acls.h: modify-acls as library steps (seed step 4.1), for `modify-acls` on one key and
 * `run` on a batch: the SO half under one card quorum, then the user half per key.  */
#ifndef P11BYOK_ACLS_H
#define P11BYOK_ACLS_H

#include <stdbool.h>
#include <stddef.h>
#include "kek.h"
#include "keyspec.h"
#include "p11.h"
#include "quorum.h"
#include "world.h"

/* (SO) Opens the SO session with the cards of Q, installs each of the NKEKS KEKs as a trusted
 * key (REUSED[i] true when already there, OBJS[i] its object; either may be NULL) and
 * creates a fresh single-use
 * transfer key for each of the NIDENTS idents (none when the module wraps natively), then
 * logs out.  Returns 0, or the exit code after one line; on failure the transfer keys made
 * here are destroyed again.  */
int acls_admin(struct p11 *p, struct quorum *q, const struct world *w,
    const struct kek *const *keks, size_t nkeks, const char *const *idents, size_t nidents,
    bool *reused, CK_OBJECT_HANDLE *objs);

/* What the user half did for one key. */
struct acls_result {
	enum key_type type;
	bool copy_reused;		/* the transfer copy was already there */
	char record[4096];		/* KMDATA/key_xferacld_IDENT */
};

/* (user) Makes the reduced-permission copy of key IDENT (or finds it), writes
 * KMDATA/key_xferacld_IDENT for KEK (REGION: its manifest code, or NULL for a Key Vault PEM)
 * and appends the 'modify-acls' audit event.  Returns 0, or the exit code after one line.  */
int acls_copy(struct p11 *p, const char *kmdata, const struct world *w, const char *ident,
    const struct kek *kek, const char *region, bool native, bool kek_reused,
    struct acls_result *res);

#endif
