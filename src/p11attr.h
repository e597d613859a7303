/* p11attr.h: finding objects and reading their public attributes.
 *
 * Nothing here reads a secret attribute: p11attr_get refuses CKA_VALUE, CKA_PRIVATE_EXPONENT,
 * the CRT parameters and the other values PKCS#11 marks sensitive, so a trace of p11byok
 * never shows one requested.  */
#ifndef P11BYOK_P11ATTR_H
#define P11BYOK_P11ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include "p11.h"

/* Whether TYPE is an attribute that holds key material (never to be read). */
bool p11attr_is_secret(CK_ATTRIBUTE_TYPE type);

/* Reads attribute TYPE of OBJ into a new buffer the caller frees.  Returns CKR_OK, the
 * module's CK_RV, or CKR_ATTRIBUTE_SENSITIVE without calling the module for a secret TYPE. */
CK_RV p11attr_get(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    unsigned char **value, size_t *len);
/* A CK_ULONG attribute; CKR_OK or the module's CK_RV. */
CK_RV p11attr_ulong(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, CK_ULONG *v);
/* A CK_BBOOL attribute; *V false when the module does not know TYPE. */
CK_RV p11attr_bool(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, bool *v);

/* Reads the attribute-array attribute TYPE of OBJ (CKA_WRAP_TEMPLATE, ...): *OUT (free with
 * p11attr_template_free) holds *N attributes with their values; *N 0 when OBJ has none.
 * Returns CKR_OK or the module's CK_RV.  */
CK_RV p11attr_get_template(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    CK_ATTRIBUTE **out, CK_ULONG *n);
void p11attr_template_free(CK_ATTRIBUTE *t, CK_ULONG n);

/* Whether template HAVE (N attributes) is exactly WANT (M): the same attributes, equal. */
bool p11attr_template_equal(const CK_ATTRIBUTE *have, CK_ULONG n, const CK_ATTRIBUTE *want,
    CK_ULONG m);

/* A short name for attribute TYPE ("CKA_LOCAL"), or "CKA_0x..." in a static buffer. */
const char *p11attr_name(CK_ATTRIBUTE_TYPE type);

/* Finds the objects matching TEMPLATE in the session: up to MAX handles into OUT, the
 * count into *N.  Returns CKR_OK or the module's CK_RV.  */
CK_RV p11attr_find(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
    CK_ULONG max, CK_ULONG *n);

/* Every object matching TEMPLATE, in *OUT (malloc'd, the caller frees) and *N: for the
 * searches where a cap would hide what lies past it.  CKR_OK or the module's CK_RV.  */
CK_RV p11attr_find_all(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count,
    CK_OBJECT_HANDLE **out, CK_ULONG *n);

/* C_DestroyObject of H, asking the token after a failure whether H is gone all the same (a
 * lost reply: the module destroyed it, the caller saw an error), and trying once more when
 * it is not.  CKR_OK when H no longer exists, else the module's last answer.  */
CK_RV p11attr_destroy(struct p11 *p, CK_OBJECT_HANDLE h);

#endif
