/* keyfind.h: the target key of an ident on the token (DESIGN.md §2: CKA_ID = ident). */
#ifndef P11BYOK_KEYFIND_H
#define P11BYOK_KEYFIND_H

#include "keyspec.h"
#include "p11.h"

/* Finds the private or secret key whose CKA_ID is IDENT and whose label is not a transfer
 * copy's.  Returns 0 with its handle and type, P11BYOK_EUSAGE when no key has that ident
 * (message says to generate it), or P11BYOK_EFAIL when the token fails.  */
int keyfind_target(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out,
    enum key_type *type);

/* As keyfind_target, but quiet when the ident has no key: returns 0 with *OUT
 * CK_INVALID_HANDLE; P11BYOK_EFAIL (one line) when the token fails.  */
int keyfind_lookup(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out,
    enum key_type *type);

#endif
