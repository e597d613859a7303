/* trustscan.c: the trusted objects of the token; see trustscan.h. */
#include "config.h"
#include "trustscan.h"
#include "audit.h"
#include "digest.h"
#include "msg.h"
#include "p11attr.h"
#include "transfer.h"
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
trustscan_kind_name(enum trusted_kind kind)
{
	return kind == TRUSTED_WORLD_KEY ? "world key" : kind == TRUSTED_LEGACY ?
	    "left by an older p11byok" : "NOT ACCOUNTED FOR";
}

static const char *
class_name(CK_ULONG cls)
{
	switch (cls) {
	case CKO_SECRET_KEY: return "secret key";
	case CKO_PUBLIC_KEY: return "public key";
	case CKO_PRIVATE_KEY: return "private key";
	case CKO_CERTIFICATE: return "certificate";
	default: return "object";
	}
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The wrap template of H in words: what a key must be to be wrapped under it.  CKR_OK or
 * the module's CK_RV.  */
static CK_RV
describe_template(struct p11 *p, CK_OBJECT_HANDLE h, char *buf, size_t len)
{
	CK_ATTRIBUTE *t = NULL;
	CK_ULONG n = 0;
	size_t used = 0;
	CK_RV rv;

	if ((rv = p11attr_get_template(p, h, CKA_WRAP_TEMPLATE, &t, &n)) != CKR_OK)
		return rv;
	if (n == 0) {
		snprintf(buf, len, "every world-bound key (no wrap template)");
		return CKR_OK;
	}
	buf[0] = '\0';
	for (CK_ULONG i = 0; i < n && used + 1 < len; i++) {
		const char *sep = i ? ", " : "keys with ";
		int k;
		if (t[i].ulValueLen == sizeof(CK_BBOOL))
			k = snprintf(buf + used, len - used, "%s%s=%s", sep, p11attr_name(t[i].type),
			    *(CK_BBOOL *)t[i].pValue ? "true" : "false");
		else if (t[i].ulValueLen == sizeof(CK_ULONG))
			k = snprintf(buf + used, len - used, "%s%s=%lu", sep, p11attr_name(t[i].type),
			    *(CK_ULONG *)t[i].pValue);
		else
			k = snprintf(buf + used, len - used, "%s%s (%lu bytes)", sep,
			    p11attr_name(t[i].type), (unsigned long)t[i].ulValueLen);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	p11attr_template_free(t, n);
	return CKR_OK;
}

/* Whether H, labelled as an older p11byok's KEK (KEK) or transfer key, has the shape that
 * version gave them: a public RSA key or an AES key born on the token, wrap only, not
 * modifiable.  Sets O->kind to TRUSTED_LEGACY, or leaves it TRUSTED_FOREIGN saying why: a
 * label anyone can give is not enough.  0, or P11BYOK_EFAIL after one line.  */
static int
legacy_shape(struct p11 *p, CK_OBJECT_HANDLE h, CK_ULONG cls, bool kek, struct trusted_obj *o)
{
	static const struct { CK_ATTRIBUTE_TYPE type; bool v; bool secret_only; } flags[] = {
		{ CKA_PRIVATE, false, false }, { CKA_WRAP, true, false },
		{ CKA_MODIFIABLE, false, false }, { CKA_UNWRAP, false, true },
		{ CKA_ENCRYPT, false, false }, { CKA_DECRYPT, false, true },
		{ CKA_LOCAL, true, true },
	};
	CK_ULONG kt = 0;
	CK_RV rv;

	snprintf(o->why, sizeof o->why, "named as an older p11byok's, but not of its shape");
	if ((rv = p11attr_ulong(p, h, CKA_KEY_TYPE, &kt)) != CKR_OK)
		goto fail;
	if (cls != (kek ? CKO_PUBLIC_KEY : CKO_SECRET_KEY) || kt != (kek ? CKK_RSA : CKK_AES))
		return 0;
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		bool v = false;
		/* The transfer key's flags, which a public key lacks. */
		if (flags[i].secret_only && kek)
			continue;
		if ((rv = p11attr_bool(p, h, flags[i].type, &v)) != CKR_OK)
			goto fail;
		if (v != flags[i].v)
			return 0;
	}
	o->kind = TRUSTED_LEGACY;
	o->why[0] = '\0';
	return 0;
fail:
	msg_ck(rv, "cannot read a trusted object of token '%s'", p11_token_label(p));
	return P11BYOK_EFAIL;
}

/* Reads what the list shows of H and decides what it is.  0, or P11BYOK_EFAIL after one
 * line when the token fails to answer.  */
static int
classify(struct p11 *p, CK_OBJECT_HANDLE h, struct trusted_obj *o)
{
	unsigned char *v = NULL;
	size_t len = 0;
	CK_ULONG cls = 0;
	bool token = false;
	CK_RV rv;
	int r;

	memset(o, 0, sizeof *o);
	o->h = h;
	if ((rv = p11attr_ulong(p, h, CKA_CLASS, &cls)) != CKR_OK ||
	    (rv = p11attr_bool(p, h, CKA_TOKEN, &token)) != CKR_OK)
		goto fail;
	snprintf(o->cls, sizeof o->cls, "%s", class_name(cls));
	if ((rv = p11attr_get(p, h, CKA_LABEL, &v, &len)) == CKR_OK)
		snprintf(o->label, sizeof o->label, "%.*s", (int)(len < 64 ? len : 64), v);
	free(v);
	v = NULL;
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		goto fail;
	if ((rv = p11attr_get(p, h, CKA_ID, &v, &len)) == CKR_OK)
		hex_encode(v, len < 32 ? len : 32, o->id_hex, 0);
	free(v);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		goto fail;
	if ((rv = describe_template(p, h, o->may_wrap, sizeof o->may_wrap)) != CKR_OK)
		goto fail;
	o->kind = TRUSTED_FOREIGN;
	if (strcmp(o->label, WORLD_KEY_LABEL) == 0) {
		if ((r = world_key_check(p, h, o->why, sizeof o->why)) != 0)
			return r;
		if (o->why[0] == '\0')
			o->kind = TRUSTED_WORLD_KEY;
	} else if (token && (has_prefix(o->label, TRANSFER_KEK_PREFIX) ||
	    has_prefix(o->label, TRANSFER_KEY_PREFIX))) {
		if ((r = legacy_shape(p, h, cls, has_prefix(o->label, TRANSFER_KEK_PREFIX),
		    o)) != 0)
			return r;
	} else {
		snprintf(o->why, sizeof o->why, "p11byok did not make it");
	}
	return 0;
fail:
	msg_ck(rv, "cannot read a trusted object of token '%s'", p11_token_label(p));
	return P11BYOK_EFAIL;
}

int
trustscan_list(struct p11 *p, struct trusted_obj **out, size_t *n)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_TRUSTED, &yes, sizeof yes }, { CKA_TOKEN, &yes, sizeof yes } };
	CK_OBJECT_HANDLE *h = NULL;
	struct trusted_obj *list = NULL;
	CK_ULONG found = 0;
	size_t worlds = 0;
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	*out = NULL;
	*n = 0;
	if ((rv = p11attr_find_all(p, t, 2, &h, &found)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for trusted objects", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((list = calloc(found + 1, sizeof *list)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (CK_ULONG i = 0; i < found; i++) {
		if ((r = classify(p, h[i], &list[i])) != 0)
			goto out;
		worlds += list[i].kind == TRUSTED_WORLD_KEY;
	}
	/* Two right-looking world keys: only one was made by world init. */
	for (CK_ULONG i = 0; worlds > 1 && i < found; i++)
		if (list[i].kind == TRUSTED_WORLD_KEY) {
			list[i].kind = TRUSTED_FOREIGN;
			snprintf(list[i].why, sizeof list[i].why, "a second world key");
		}
	*out = list;
	list = NULL;
	*n = found;
	r = 0;
out:
	free(list);
	free(h);
	return r;
}

/* One RECOVERED line naming the objects of kind LEGACY that were destroyed. */
static int
log_swept(const char *kmdata, struct p11 *p, const char *world_hash,
    const struct trusted_obj *t, size_t n)
{
	json_t *ev = audit_event("trust-sweep"), *gone = json_array();
	int r = P11BYOK_EFAIL;

	if (ev == NULL || gone == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].kind == TRUSTED_LEGACY)
			json_array_append_new(gone, json_pack("{s:s, s:s, s:s, s:s}", "class",
			    t[i].cls, "label", t[i].label, "id_hex", t[i].id_hex, "may_wrap",
			    t[i].may_wrap));
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	if (world_hash != NULL)
		json_object_set_new(ev, "world_hash", json_string(world_hash));
	json_object_set(ev, "destroyed", gone);
	json_object_set_new(ev, "result", json_string("RECOVERED"));
	json_object_set_new(ev, "note", json_string("trusted objects an older p11byok left on "
	    "the token between modify-acls and package"));
	r = audit_append(kmdata, ev);
out:
	json_decref(ev);
	json_decref(gone);
	return r;
}

/* Refuses when T holds a foreign trusted object.  0 or P11BYOK_EFAIL after one line. */
static int
refuse_foreign(struct p11 *p, const struct trusted_obj *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].kind == TRUSTED_FOREIGN) {
			msg_err("token '%s' holds a trusted %s p11byok did not make (label '%s', id "
			    "%s: %s): it can wrap every world-bound key, so no transfer runs while "
			    "it is there; 'p11byok world show' lists it", p11_token_label(p),
			    t[i].cls, t[i].label, t[i].id_hex[0] ? t[i].id_hex : "none", t[i].why);
			return P11BYOK_EFAIL;
		}
	return 0;
}

int
trustscan_check(struct p11 *p)
{
	struct trusted_obj *t = NULL;
	size_t n = 0;
	int r;

	if ((r = trustscan_list(p, &t, &n)) == 0)
		r = refuse_foreign(p, t, n);
	free(t);
	return r;
}

int
trustscan_sweep(struct p11 *p, const char *kmdata, const char *world_hash)
{
	struct trusted_obj *t = NULL;
	size_t n = 0, legacy = 0;
	int r;

	if ((r = trustscan_list(p, &t, &n)) != 0 || (r = refuse_foreign(p, t, n)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	for (size_t i = 0; i < n; i++) {
		CK_RV rv;
		if (t[i].kind != TRUSTED_LEGACY)
			continue;
		/* Public token objects: any session may destroy them. */
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), t[i].h)) != CKR_OK) {
			msg_ck(rv, "cannot destroy the trusted %s '%s' an older p11byok left on token "
			    "'%s'", t[i].cls, t[i].label, p11_token_label(p));
			goto out;
		}
		legacy++;
	}
	r = legacy > 0 ? log_swept(kmdata, p, world_hash, t, n) : 0;
	if (r == 0 && legacy > 0)
		msg_warn("destroyed %zu trusted object%s an older p11byok left on token '%s' (each "
		    "could wrap every world-bound key); the audit log records it", legacy,
		    legacy == 1 ? "" : "s", p11_token_label(p));
out:
	free(t);
	return r;
}

json_t *
trustscan_json(const struct trusted_obj *t, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
		    t[i].kind == TRUSTED_WORLD_KEY ? "world_key" : t[i].kind == TRUSTED_LEGACY ?
		    "legacy" : "foreign", "class", t[i].cls, "label", t[i].label, "id_hex",
		    t[i].id_hex, "may_wrap", t[i].may_wrap);
		if (o != NULL && t[i].why[0] != '\0')
			json_object_set_new(o, "why", json_string(t[i].why));
		json_array_append_new(a, o);
	}
	return a;
}
