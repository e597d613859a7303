/* proof.h: the token's word that p11byok wrote a .byok (issue 16).
 *
 * The audit log's seals are a hash chain with no key: whoever can write kmdata can append a
 * sealed line as well as p11byok can, and a .byok anyone made with the KEK's public key
 * would then pass for one the tool wrote.  So each package line also carries a proof: an
 * HMAC-SHA-256, computed inside the token, over what the line says (world, ident, KEK,
 * the .byok's SHA-256), under the world's proof key: a generic secret the user generates
 * once, sensitive and never extractable, used for signing and verifying only.  A rerun that
 * finds a .byok accepts it as done only when the token verifies that proof; a kmdata writer
 * without the user PIN cannot make one.  */
#ifndef P11BYOK_PROOF_H
#define P11BYOK_PROOF_H

#include <stdbool.h>
#include "p11.h"

#define PROOF_KEY_LABEL "byok-proof-key"
#define PROOF_KEY_ID "proof"

/* (user session) The proof key of P's token, checked (born on the token, never extractable,
 * sign and verify only).  With CREATE a token that has none gets one, and *CREATED says so
 * (the caller destroys it again when its command fails).  *OUT CK_INVALID_HANDLE when there
 * is none and CREATE is false.  Returns 0, or P11BYOK_EFAIL after one line (the token
 * failed, or what carries the key's names is not it).  */
int proof_key(struct p11 *p, bool create, CK_OBJECT_HANDLE *out, bool *created);

/* The proof of a package line as lower-case hex into OUT: the HMAC under KEY of WORLD_HASH,
 * IDENT, KEK_FINGERPRINT and BYOK_SHA256.  0 or P11BYOK_EFAIL after one line.  */
int proof_make(struct p11 *p, CK_OBJECT_HANDLE key, const char *world_hash, const char *ident,
    const char *kek_fingerprint, const char *byok_sha256, char out[65]);

/* Whether PROOF (hex) is that HMAC, asked of the token (C_Verify).  Returns 0 with *VALID,
 * or P11BYOK_EFAIL after one line when the token fails to answer.  */
int proof_check(struct p11 *p, CK_OBJECT_HANDLE key, const char *world_hash,
    const char *ident, const char *kek_fingerprint, const char *byok_sha256,
    const char *proof, bool *valid);

#endif
