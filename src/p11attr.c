/* p11attr.c: object search and public attribute reads; see p11attr.h. */
#include "config.h"
#include "p11attr.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* C_FindObjectsInit.  An earlier C_FindObjectsFinal that failed leaves its search open, and
 * every later search, cleanup's too, would fail: end it and start again, once.  */
static CK_RV
find_init(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_RV rv = f->C_FindObjectsInit(p11_session(p), tmpl, count);

	if (rv == CKR_OPERATION_ACTIVE && f->C_FindObjectsFinal(p11_session(p)) == CKR_OK)
		rv = f->C_FindObjectsInit(p11_session(p), tmpl, count);
	return rv;
}

CK_RV
p11attr_find(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
    CK_ULONG max, CK_ULONG *n)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_RV rv, rv2;

	*n = 0;
	if ((rv = find_init(p, tmpl, count)) != CKR_OK)
		return rv;
	rv = f->C_FindObjects(p11_session(p), out, max, n);
	rv2 = f->C_FindObjectsFinal(p11_session(p));
	return rv != CKR_OK ? rv : rv2;
}

void
p11attr_template_free(CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (t == NULL)
		return;
	for (CK_ULONG i = 0; i < n; i++)
		free(t[i].pValue);
	free(t);
}

CK_RV
p11attr_get_template(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    CK_ATTRIBUTE **out, CK_ULONG *n)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_ATTRIBUTE *t = NULL;
	CK_ULONG count = 0;
	CK_RV rv;

	*out = NULL;
	*n = 0;
	/* Three calls: the array's size, each value's size, the values. */
	rv = f->C_GetAttributeValue(p11_session(p), obj, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || (rv == CKR_OK && (a.ulValueLen == 0 ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION)))
		return CKR_OK;
	if (rv != CKR_OK)
		return rv;
	count = a.ulValueLen / sizeof(CK_ATTRIBUTE);
	if (count == 0 || count > 256 || (t = calloc(count, sizeof *t)) == NULL)
		return count == 0 ? CKR_OK : CKR_HOST_MEMORY;
	a.pValue = t;
	a.ulValueLen = count * sizeof *t;
	if ((rv = f->C_GetAttributeValue(p11_session(p), obj, &a, 1)) != CKR_OK)
		goto fail;
	for (CK_ULONG i = 0; i < count; i++) {
		if (t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION || t[i].ulValueLen > 65536 ||
		    (t[i].pValue = malloc(t[i].ulValueLen + 1)) == NULL) {
			rv = CKR_HOST_MEMORY;
			goto fail;
		}
	}
	if ((rv = f->C_GetAttributeValue(p11_session(p), obj, &a, 1)) != CKR_OK)
		goto fail;
	*out = t;
	*n = count;
	return CKR_OK;
fail:
	p11attr_template_free(t, count);
	return rv;
}

bool
p11attr_template_equal(const CK_ATTRIBUTE *have, CK_ULONG n, const CK_ATTRIBUTE *want,
    CK_ULONG m)
{
	if (n != m)
		return false;
	for (CK_ULONG i = 0; i < m; i++) {
		CK_ULONG j;
		for (j = 0; j < n; j++)
			if (have[j].type == want[i].type)
				break;
		if (j == n || have[j].ulValueLen != want[i].ulValueLen ||
		    memcmp(have[j].pValue, want[i].pValue, want[i].ulValueLen) != 0)
			return false;
	}
	return true;
}

const char *
p11attr_name(CK_ATTRIBUTE_TYPE type)
{
	static const struct { CK_ATTRIBUTE_TYPE type; const char *name; } names[] = {
		{ CKA_CLASS, "CKA_CLASS" }, { CKA_TOKEN, "CKA_TOKEN" },
		{ CKA_PRIVATE, "CKA_PRIVATE" }, { CKA_LABEL, "CKA_LABEL" },
		{ CKA_KEY_TYPE, "CKA_KEY_TYPE" }, { CKA_ID, "CKA_ID" },
		{ CKA_SENSITIVE, "CKA_SENSITIVE" }, { CKA_ENCRYPT, "CKA_ENCRYPT" },
		{ CKA_DECRYPT, "CKA_DECRYPT" }, { CKA_WRAP, "CKA_WRAP" },
		{ CKA_UNWRAP, "CKA_UNWRAP" }, { CKA_SIGN, "CKA_SIGN" },
		{ CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER" }, { CKA_VERIFY, "CKA_VERIFY" },
		{ CKA_DERIVE, "CKA_DERIVE" }, { CKA_MODULUS, "CKA_MODULUS" },
		{ CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT" }, { CKA_VALUE_LEN, "CKA_VALUE_LEN" },
		{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE" }, { CKA_LOCAL, "CKA_LOCAL" },
		{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE" },
		{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE" },
		{ CKA_MODIFIABLE, "CKA_MODIFIABLE" }, { CKA_EC_PARAMS, "CKA_EC_PARAMS" },
		{ CKA_CHECK_VALUE, "CKA_CHECK_VALUE" }, { CKA_TRUSTED, "CKA_TRUSTED" },
		{ CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED" },
	};
	static char other[32];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].type == type)
			return names[i].name;
	snprintf(other, sizeof other, "CKA_0x%lx", (unsigned long)type);
	return other;
}

CK_RV
p11attr_find_all(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE **out,
    CK_ULONG *n)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG got = 0, cap = 0, more = 0;
	CK_RV rv, rv2;

	*out = NULL;
	*n = 0;
	if ((rv = find_init(p, tmpl, count)) != CKR_OK)
		return rv;
	/* Every match, however many: a cap would hide the one past it. */
	do {
		if (got == cap) {
			CK_OBJECT_HANDLE *grown = realloc(h, (cap = cap ? 2 * cap : 64) * sizeof *h);
			if (grown == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			h = grown;
		}
		if ((rv = f->C_FindObjects(p11_session(p), h + got, cap - got, &more)) != CKR_OK)
			break;
		got += more;
	} while (more > 0);
	rv2 = f->C_FindObjectsFinal(p11_session(p));
	if (rv == CKR_OK)
		rv = rv2;
	if (rv != CKR_OK) {
		free(h);
		return rv;
	}
	*out = h;
	*n = got;
	return CKR_OK;
}

/* Whether H no longer names an object of P's session. */
static bool
gone(struct p11 *p, CK_OBJECT_HANDLE h)
{
	CK_ULONG cls;
	CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof cls };
	return p11_fn(p)->C_GetAttributeValue(p11_session(p), h, &a, 1) ==
	    CKR_OBJECT_HANDLE_INVALID;
}

CK_RV
p11attr_destroy(struct p11 *p, CK_OBJECT_HANDLE h)
{
	CK_RV rv = p11_fn(p)->C_DestroyObject(p11_session(p), h);

	if (rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID || gone(p, h))
		return CKR_OK;
	rv = p11_fn(p)->C_DestroyObject(p11_session(p), h);
	return rv == CKR_OK || gone(p, h) ? CKR_OK : rv;
}
