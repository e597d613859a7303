/* objindex.c: one scan of the token's objects; see objindex.h. */
#include "config.h"
#include "objindex.h"
#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer ids and labels are not ours (idents are at most 64 characters): such an attribute
 * is kept as absent, as if the object did not have it.  */
#define FIELD_MAX 128

struct object {
	CK_OBJECT_HANDLE h;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	CK_ULONG idlen, labellen;	/* CK_UNAVAILABLE_INFORMATION: absent */
	unsigned char id[FIELD_MAX], label[FIELD_MAX];
};

struct objindex {
	struct object *o;
	size_t n, cap;
};

void
objindex_free(struct objindex *idx)
{
	if (idx == NULL)
		return;
	free(idx->o);
	free(idx);
}

/* The handles of every object the session sees, appended to IDX. */
static CK_RV
find_all(struct p11 *p, struct objindex *idx)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_OBJECT_HANDLE h[256];
	CK_ULONG n = 0;
	CK_RV rv, rv2;

	if ((rv = f->C_FindObjectsInit(p11_session(p), NULL, 0)) != CKR_OK)
		return rv;
	while ((rv = f->C_FindObjects(p11_session(p), h, 256, &n)) == CKR_OK && n > 0) {
		if (idx->n + n > idx->cap) {
			size_t cap = (idx->n + n) * 2;
			struct object *o = realloc(idx->o, cap * sizeof *o);
			if (o == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			idx->o = o;
			idx->cap = cap;
		}
		for (CK_ULONG i = 0; i < n; i++)
			idx->o[idx->n++].h = h[i];
	}
	rv2 = f->C_FindObjectsFinal(p11_session(p));
	return rv != CKR_OK ? rv : rv2;
}

CK_RV
objindex_scan(struct p11 *p, struct objindex **out)
{
	struct objindex *idx = calloc(1, sizeof *idx);
	CK_RV rv;

	*out = NULL;
	if (idx == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = find_all(p, idx)) != CKR_OK)
		goto out;
	for (size_t i = 0; i < idx->n; i++) {
		struct object *o = &idx->o[i];
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &o->cls, sizeof o->cls },
			{ CKA_KEY_TYPE, &o->kt, sizeof o->kt },
			{ CKA_ID, o->id, sizeof o->id },
			{ CKA_LABEL, o->label, sizeof o->label },
		};
		rv = p11_fn(p)->C_GetAttributeValue(p11_session(p), o->h, t, 4);
		/* These three still fill in every attribute they can (PKCS#11 2.40 §5.7). */
		if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
		    rv != CKR_BUFFER_TOO_SMALL && rv != CKR_ATTRIBUTE_SENSITIVE)
			goto out;
		if (t[0].ulValueLen != sizeof o->cls)
			o->cls = (CK_OBJECT_CLASS)-1;
		if (t[1].ulValueLen != sizeof o->kt)
			o->kt = (CK_KEY_TYPE)-1;
		o->idlen = t[2].ulValueLen;
		o->labellen = t[3].ulValueLen;
	}
	*out = idx;
	idx = NULL;
	rv = CKR_OK;
out:
	objindex_free(idx);
	return rv;
}

static bool
equals(const unsigned char *v, CK_ULONG len, const char *s)
{
	return len != CK_UNAVAILABLE_INFORMATION && len == strlen(s) && memcmp(v, s, len) == 0;
}

static bool
has_prefix(const unsigned char *v, CK_ULONG len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len != CK_UNAVAILABLE_INFORMATION && len >= n && memcmp(v, prefix, n) == 0;
}

CK_OBJECT_HANDLE
objindex_target(const struct objindex *idx, const char *ident, enum key_type *type)
{
	static const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_SECRET_KEY };

	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < idx->n; i++) {
			const struct object *o = &idx->o[i];
			if (o->cls != classes[c] || !equals(o->id, o->idlen, ident) ||
			    has_prefix(o->label, o->labellen, TRANSFER_COPY_PREFIX))
				continue;
			*type = o->kt == CKK_RSA ? KEY_RSA : o->kt == CKK_EC ? KEY_EC : KEY_AES;
			return o->h;
		}
	return CK_INVALID_HANDLE;
}

static CK_OBJECT_HANDLE
labelled(const struct objindex *idx, CK_OBJECT_CLASS cls, const char *prefix,
    const char *ident)
{
	char label[FIELD_MAX];

	if (snprintf(label, sizeof label, "%s%s", prefix, ident) >= (int)sizeof label)
		return CK_INVALID_HANDLE;
	for (size_t i = 0; i < idx->n; i++)
		if ((cls == (CK_OBJECT_CLASS)-1 || idx->o[i].cls == cls) &&
		    equals(idx->o[i].label, idx->o[i].labellen, label))
			return idx->o[i].h;
	return CK_INVALID_HANDLE;
}

CK_OBJECT_HANDLE
objindex_copy(const struct objindex *idx, const char *ident)
{
	return labelled(idx, (CK_OBJECT_CLASS)-1, TRANSFER_COPY_PREFIX, ident);
}

size_t
objindex_with_id(const struct objindex *idx, CK_OBJECT_CLASS cls, const char *ident,
    CK_OBJECT_HANDLE *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < idx->n && n < max; i++)
		if (idx->o[i].cls == cls && equals(idx->o[i].id, idx->o[i].idlen, ident))
			out[n++] = idx->o[i].h;
	return n;
}
