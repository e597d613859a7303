/* p11attr.c: object search and public attribute reads; see p11attr.h. */
#include "config.h"
#include "p11attr.h"
#include "msg.h"

#include <stdlib.h>

bool
p11attr_is_secret(CK_ATTRIBUTE_TYPE type)
{
	switch (type) {
	case CKA_VALUE:
	case CKA_PRIVATE_EXPONENT:
	case CKA_PRIME_1:
	case CKA_PRIME_2:
	case CKA_EXPONENT_1:
	case CKA_EXPONENT_2:
	case CKA_COEFFICIENT:
		return true;
	default:
		return false;
	}
}

CK_RV
p11attr_get(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, unsigned char **value,
    size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_RV rv;

	*value = NULL;
	*len = 0;
	if (p11attr_is_secret(type))
		return CKR_ATTRIBUTE_SENSITIVE;
	if ((rv = f->C_GetAttributeValue(p11_session(p), obj, &a, 1)) != CKR_OK)
		return rv;
	if (a.ulValueLen == (CK_ULONG)-1)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = f->C_GetAttributeValue(p11_session(p), obj, &a, 1)) != CKR_OK) {
		free(a.pValue);
		return rv;
	}
	*value = a.pValue;
	*len = a.ulValueLen;
	return CKR_OK;
}

CK_RV
p11attr_ulong(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, CK_ULONG *v)
{
	CK_ATTRIBUTE a = { type, v, sizeof *v };
	return p11_fn(p)->C_GetAttributeValue(p11_session(p), obj, &a, 1);
}

CK_RV
p11attr_bool(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, bool *v)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = { type, &b, sizeof b };
	CK_RV rv = p11_fn(p)->C_GetAttributeValue(p11_session(p), obj, &a, 1);
	*v = rv == CKR_OK && b == CK_TRUE;
	return rv == CKR_ATTRIBUTE_TYPE_INVALID ? CKR_OK : rv;
}

CK_RV
p11attr_find(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
    CK_ULONG max, CK_ULONG *n)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_RV rv, rv2;

	*n = 0;
	rv = f->C_FindObjectsInit(p11_session(p), tmpl, count);
	/* An earlier C_FindObjectsFinal that failed leaves its search open, and every later
	 * search, cleanup's too, would fail: end it and start again, once.  */
	if (rv == CKR_OPERATION_ACTIVE && f->C_FindObjectsFinal(p11_session(p)) == CKR_OK)
		rv = f->C_FindObjectsInit(p11_session(p), tmpl, count);
	if (rv != CKR_OK)
		return rv;
	rv = f->C_FindObjects(p11_session(p), out, max, n);
	rv2 = f->C_FindObjectsFinal(p11_session(p));
	return rv != CKR_OK ? rv : rv2;
}
