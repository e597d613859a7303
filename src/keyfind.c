/* keyfind.c: the target key of an ident; see keyfind.h. */
#include "config.h"
#include "keyfind.h"
#include "msg.h"
#include "p11attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
keyfind_lookup(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out, enum key_type *type)
{
	static const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_SECRET_KEY };
	char id[128];
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;
	CK_RV rv;

	snprintf(id, sizeof id, "%s", ident);
	for (size_t c = 0; c < 2; c++) {
		CK_OBJECT_CLASS cls = classes[c];
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_ID, id, strlen(id) } };
		if ((rv = p11attr_find(p, t, 2, h, 4, &n)) != CKR_OK) {
			msg_ck(rv, "cannot search token '%s' for key '%s'", p11_token_label(p), ident);
			return P11BYOK_EFAIL;
		}
		for (CK_ULONG i = 0; i < n; i++) {
			unsigned char *label = NULL;
			size_t len = 0;
			CK_ULONG kt = 0;
			bool copy;
			/* The transfer copy shares the ident; only the original is the target. */
			if ((rv = p11attr_get(p, h[i], CKA_LABEL, &label, &len)) != CKR_OK &&
			    rv != CKR_ATTRIBUTE_TYPE_INVALID) {
				msg_ck(rv, "cannot read the label of key '%s'", ident);
				return P11BYOK_EFAIL;
			}
			copy = len >= 9 && memcmp(label, "xferacld-", 9) == 0;
			free(label);
			if (copy)
				continue;
			if ((rv = p11attr_ulong(p, h[i], CKA_KEY_TYPE, &kt)) != CKR_OK) {
				msg_ck(rv, "cannot read the type of key '%s'", ident);
				return P11BYOK_EFAIL;
			}
			*out = h[i];
			*type = kt == CKK_RSA ? KEY_RSA : kt == CKK_EC ? KEY_EC : KEY_AES;
			return 0;
		}
	}
	*out = CK_INVALID_HANDLE;
	return 0;
}

int
keyfind_target(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out, enum key_type *type)
{
	int r;

	if ((r = keyfind_lookup(p, ident, out, type)) != 0 || *out != CK_INVALID_HANDLE)
		return r;
	msg_err("no key with ident '%s' on token '%s': generate it first (p11byok generate "
	    "ident=%s ...) or check --token", ident, p11_token_label(p), ident);
	return P11BYOK_EUSAGE;
}
