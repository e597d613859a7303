/* objindex.h: one scan of the token's objects, for a batch.
 *
 * `run` needs, per key, its target key and its transfer copy.  Looking each
 * up with C_FindObjects costs a search per key and step, and SoftHSMv2 re-reads every object
 * file of the token on each search, so a batch of N keys would cost N searches of N objects.
 * The index is one C_FindObjects over all the objects the session sees and one
 * C_GetAttributeValue per object (class, key type, CKA_ID, CKA_LABEL: no secret attribute),
 * answering the same questions as keyfind_lookup and transfer_find_copy did when it was
 * taken.  Objects made or destroyed later are
 * not in it: the caller looks those up on the token.  */
#ifndef P11BYOK_OBJINDEX_H
#define P11BYOK_OBJINDEX_H

#include "keyspec.h"
#include "p11.h"

struct objindex;

/* Scans the objects P's session sees now (private ones only when logged in).  Returns CKR_OK
 * with *OUT the caller frees with objindex_free, or the module's CK_RV.  */
CK_RV objindex_scan(struct p11 *p, struct objindex **out);
void objindex_free(struct objindex *idx);

/* The target key of IDENT as keyfind_lookup chooses it (a private key, else a secret key,
 * with CKA_ID IDENT and no transfer-copy label) and its type; CK_INVALID_HANDLE when none. */
CK_OBJECT_HANDLE objindex_target(const struct objindex *idx, const char *ident,
    enum key_type *type);

/* The transfer copy of IDENT (label xferacld-IDENT), or CK_INVALID_HANDLE. */
CK_OBJECT_HANDLE objindex_copy(const struct objindex *idx, const char *ident);

/* The objects of class CLS whose CKA_ID is IDENT, up to MAX handles into OUT; how many. */
size_t objindex_with_id(const struct objindex *idx, CK_OBJECT_CLASS cls, const char *ident,
    CK_OBJECT_HANDLE *out, size_t max);

#endif
