/* transfer.h: the token objects of a transfer (DESIGN.md §2): the reduced-permission copy of
 * a key, and the quorum's trust that lets exactly that copy leave.
 *
 * Trust in PKCS#11 is token-wide: any session may wrap any CKA_WRAP_WITH_TRUSTED key under
 * any CKA_TRUSTED key.  So the trusted objects of a transfer (the KEK, and on the composed
 * path the single-use transfer key) are session objects: the security officer creates them
 * in this process's session, they are visible to no other process, each carries a
 * CKA_WRAP_TEMPLATE that only the approved copy matches, they are destroyed right after the
 * wrap, and a session object dies with its session, so a crash leaves none on the token.
 *
 * The template binds the copy by what the token says of its birth and use (class, key type,
 * CKA_LOCAL, CKA_ALWAYS_SENSITIVE, not modifiable, every usage off) and, where the module
 * compares them (transfer_probe_private_names), by its CKA_ID, label and public part too.
 * SoftHSMv2 stores a private object's byte strings encrypted and compares the stored bytes,
 * so on it a template naming CKA_ID never matches a private key; there the short life of the
 * trust inside one process is what scopes it to the approved key.  */
#ifndef P11BYOK_TRANSFER_H
#define P11BYOK_TRANSFER_H

#include <openssl/evp.h>
#include <stdbool.h>
#include "keycheck.h"
#include "p11.h"

/* Labels: the copy of IDENT is xferacld-IDENT; the session KEK and transfer key of a
 * transfer are byok-kek-IDENT and byok-transfer-IDENT.  Older p11byok versions left token
 * objects with the last two prefixes (trustscan.h).  */
#define TRANSFER_COPY_PREFIX "xferacld-"
#define TRANSFER_KEK_PREFIX "byok-kek-"
#define TRANSFER_KEY_PREFIX "byok-transfer-"

/* (user) Makes the reduced-permission copy of TARGET for IDENT: every usage flag off, not
 * modifiable, labelled xferacld-IDENT; a token object, or with SESSION a session object of
 * this process (package's EC copy, keycheck.h).  Returns 0 or P11BYOK_EFAIL after one line. */
int transfer_make_copy(struct p11 *p, CK_OBJECT_HANDLE target, const char *ident,
    enum key_type type, bool session, CK_OBJECT_HANDLE *out);

/* The object labelled as IDENT's copy, for display (show-key): found by its names only, so
 * nothing relies on it; CK_INVALID_HANDLE when there is none.  CKR_OK or the CK_RV.  */
CK_RV transfer_find_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out);

/* The trust of one transfer: session objects, CK_INVALID_HANDLE where none. */
struct transfer_trust {
	CK_OBJECT_HANDLE kek;		/* the KEK, trusted, wrap only */
	CK_OBJECT_HANDLE key;		/* composed path: the single-use AES-256 transfer key */
};

/* (SO session) Creates the trust for wrapping the copy C describes (checked by keycheck)
 * under KEK: the session KEK, and with COMPOSED the session transfer key, each scoped by its
 * wrap template (with BIND_NAMES the copy's CKA_ID, label and public part as well).
 * Returns 0 with T set, or P11BYOK_EFAIL after one line with nothing left.  */
int transfer_grant(struct p11 *p, EVP_PKEY *kek, const char *ident, const struct keycheck *c,
    bool composed, bool bind_names, struct transfer_trust *t);

/* Destroys T's objects (any session may destroy a public session object) and clears T.
 * Returns CKR_OK, or the first failure (the objects die with the session in any case: a
 * caller already failing need not say more).  */
CK_RV transfer_revoke(struct p11 *p, struct transfer_trust *t);

/* Whether the module enforces CKA_WRAP_TEMPLATE (a session key whose template asks for a
 * flag wraps a key with it and refuses one without): the probe makes and destroys three
 * public session keys, so no login is needed.  Returns CKR_OK with *ENFORCED, or the CK_RV
 * of a call that failed otherwise than by refusing.  */
CK_RV transfer_probe_template(struct p11 *p, bool *enforced);

/* (user session) Whether the module compares a private key's CKA_ID with a wrap template's:
 * where it does, the trust names the copy too.  CKR_OK with *HONOURED, or a CK_RV.  */
CK_RV transfer_probe_private_names(struct p11 *p, bool *honoured);

/* Whether CKA_WRAP_WITH_TRUSTED, once false, stays false (a session key born without it
 * cannot be given it): only then does a key that has it now show it was never wrapped under
 * an untrusted key.  CKR_OK with *FIXED, or the CK_RV of a call that failed.  */
CK_RV transfer_probe_wwt_fixed(struct p11 *p, bool *fixed);

#endif
