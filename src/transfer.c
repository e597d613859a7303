/* transfer.c: the transfer copy and the session-scoped trust of a transfer; see transfer.h. */
#include "config.h"
#include "transfer.h"
#include "pubkey.h"
#include "digest.h"
#include "msg.h"
#include "p11attr.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_private = CKO_PRIVATE_KEY, cls_secret = CKO_SECRET_KEY,
    cls_public = CKO_PUBLIC_KEY;
static CK_KEY_TYPE ckk_rsa = CKK_RSA, ckk_ec = CKK_EC, ckk_aes = CKK_AES;

/* A template under construction: add() points at values that outlive it, add_bytes()
 * copies them into its own store.  One that did not fit is FULL, and never used: a wrap
 * template missing an attribute would trust more than it says.  */
struct tmpl {
	CK_ATTRIBUTE a[40];
	CK_ULONG n;
	unsigned char store[4096];
	size_t used;
	bool full;
};

static void
add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, void *value, CK_ULONG len)
{
	if (t->n < sizeof t->a / sizeof t->a[0])
		t->a[t->n++] = (CK_ATTRIBUTE){ type, value, len };
	else
		t->full = true;
}

static void
add_bytes(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const void *value, size_t len)
{
	if (len > sizeof t->store - t->used) {
		t->full = true;
		return;
	}
	memcpy(t->store + t->used, value, len);
	add(t, type, t->store + t->used, (CK_ULONG)len);
	t->used += len;
}

/* Adds WRAP to T as its CKA_WRAP_TEMPLATE.  CKR_OK, or CKR_HOST_MEMORY when either did not
 * fit (struct tmpl).  */
static CK_RV
add_wrap_template(struct tmpl *t, struct tmpl *wrap)
{
	add(t, CKA_WRAP_TEMPLATE, wrap->a, wrap->n * sizeof(CK_ATTRIBUTE));
	return t->full || wrap->full ? CKR_HOST_MEMORY : CKR_OK;
}

static void
add_bool(struct tmpl *t, CK_ATTRIBUTE_TYPE type, bool v)
{
	add(t, type, v ? &yes : &no, sizeof(CK_BBOOL));
}

/* The start of every AES-256 session key this file makes: *LEN holds its size.  */
static void
aes_session_key(struct tmpl *t, CK_ULONG *len)
{
	*len = 32;
	add(t, CKA_CLASS, &cls_secret, sizeof cls_secret);
	add(t, CKA_KEY_TYPE, &ckk_aes, sizeof ckk_aes);
	add(t, CKA_VALUE_LEN, len, sizeof *len);
	add_bool(t, CKA_TOKEN, false);
}

/* The usage flags a copy has off, by class (encrypt, wrap and verify exist on secret keys
 * only; sign-recover on private keys only).  */
static void
usage_off(struct tmpl *t, bool secret)
{
	static const CK_ATTRIBUTE_TYPE common[] = { CKA_SIGN, CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE };
	static const CK_ATTRIBUTE_TYPE only_secret[] = { CKA_ENCRYPT, CKA_WRAP, CKA_VERIFY };
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		add_bool(t, common[i], false);
	if (secret)
		for (size_t i = 0; i < sizeof only_secret / sizeof only_secret[0]; i++)
			add_bool(t, only_secret[i], false);
	else
		add_bool(t, CKA_SIGN_RECOVER, false);
}

int
transfer_make_copy(struct p11 *p, CK_OBJECT_HANDLE target, const char *ident,
    enum key_type type, bool session, CK_OBJECT_HANDLE *out)
{
	struct tmpl t = { .n = 0 };
	char label[128];
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	snprintf(label, sizeof label, TRANSFER_COPY_PREFIX "%s", ident);
	/* Every usage off: the copy can only be wrapped, and only under a trusted key.
	 * SoftHSMv2 applies the template in order and refuses changes once CKA_MODIFIABLE is
	 * false, so that comes last.  */
	add(&t, CKA_LABEL, label, strlen(label));
	if (session)
		add_bool(&t, CKA_TOKEN, false);
	usage_off(&t, type == KEY_AES);
	add_bool(&t, CKA_MODIFIABLE, false);
	rv = t.full ? CKR_HOST_MEMORY :
	    p11_fn(p)->C_CopyObject(p11_session(p), target, t.a, t.n, out);
	if (rv != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		msg_ck(rv, "cannot make the reduced-permission copy of '%s' on token '%s' "
		    "(C_CopyObject)", ident, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}

CK_RV
transfer_find_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out)
{
	char label[128];
	CK_ATTRIBUTE t[] = { { CKA_LABEL, label, 0 } };
	CK_ULONG n = 0;
	CK_RV rv;

	snprintf(label, sizeof label, TRANSFER_COPY_PREFIX "%s", ident);
	t[0].ulValueLen = strlen(label);
	if ((rv = p11attr_find(p, t, 1, out, 1, &n)) != CKR_OK || n == 0)
		*out = CK_INVALID_HANDLE;
	return rv;
}

/* What the copy of C is, as a wrap template: its birth and reduced use, which any key can be
 * checked for; with NAMES also its ident, label and public part.  LABEL is its storage. */
static void
copy_template(struct tmpl *t, const struct keycheck *c, const char *ident, bool names,
    char *label, size_t labellen, CK_ULONG *value_len)
{
	bool secret = c->type == KEY_AES;

	add(t, CKA_CLASS, secret ? &cls_secret : &cls_private, sizeof(CK_OBJECT_CLASS));
	add(t, CKA_KEY_TYPE, c->type == KEY_RSA ? &ckk_rsa : c->type == KEY_EC ? &ckk_ec :
	    &ckk_aes, sizeof(CK_KEY_TYPE));
	add_bool(t, CKA_PRIVATE, true);
	add_bool(t, CKA_SENSITIVE, true);
	add_bool(t, CKA_EXTRACTABLE, true);
	add_bool(t, CKA_WRAP_WITH_TRUSTED, true);
	add_bool(t, CKA_LOCAL, true);
	add_bool(t, CKA_ALWAYS_SENSITIVE, true);
	add_bool(t, CKA_MODIFIABLE, false);
	usage_off(t, secret);
	if (secret && c->value_len != 0) {
		*value_len = c->value_len;
		add(t, CKA_VALUE_LEN, value_len, sizeof *value_len);
	}
	if (!names)
		return;
	snprintf(label, labellen, TRANSFER_COPY_PREFIX "%s", ident);
	add_bytes(t, CKA_ID, ident, strlen(ident));
	add_bytes(t, CKA_LABEL, label, strlen(label));
	if (c->type == KEY_RSA) {
		add_bytes(t, CKA_MODULUS, c->modulus, c->modulus_len);
		add_bytes(t, CKA_PUBLIC_EXPONENT, c->exponent, c->exponent_len);
	} else if (c->type == KEY_EC) {
		add_bytes(t, CKA_EC_PARAMS, c->ec_params, c->ec_params_len);
	} else if (c->kcv_len != 0) {
		add_bytes(t, CKA_CHECK_VALUE, c->kcv, c->kcv_len);
	}
}

/* (SO) The single-use transfer key: trusted, wrap only, itself wrap-with-trusted (only a
 * trusted KEK can take it out), scoped to the copy by WRAP.  */
static CK_RV
make_transfer_key(struct p11 *p, const char *label, struct tmpl *wrap, CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG len;
	struct tmpl t = { .n = 0 };
	CK_RV rv;

	aes_session_key(&t, &len);
	add_bool(&t, CKA_PRIVATE, false);
	add_bytes(&t, CKA_LABEL, label, strlen(label));
	add_bytes(&t, CKA_ID, label, strlen(label));
	add_bool(&t, CKA_TRUSTED, true);
	add_bool(&t, CKA_WRAP, true);
	add_bool(&t, CKA_UNWRAP, false);
	add_bool(&t, CKA_ENCRYPT, false);
	add_bool(&t, CKA_DECRYPT, false);
	add_bool(&t, CKA_SIGN, false);
	add_bool(&t, CKA_VERIFY, false);
	add_bool(&t, CKA_DERIVE, false);
	add_bool(&t, CKA_SENSITIVE, true);
	add_bool(&t, CKA_EXTRACTABLE, true);
	add_bool(&t, CKA_WRAP_WITH_TRUSTED, true);
	add_bool(&t, CKA_COPYABLE, false);
	add_bool(&t, CKA_MODIFIABLE, false);
	if ((rv = add_wrap_template(&t, wrap)) != CKR_OK)
		return rv;
	return p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t.a, t.n, out);
}

/* What the transfer key is, as the KEK's wrap template: the security officer's (trusted),
 * born in the token and never anything but a wrapping key.  It is a public object, so its
 * names and check value compare on every module.  */
static CK_RV
transfer_key_template(struct p11 *p, struct tmpl *t, CK_OBJECT_HANDLE key, const char *label,
    CK_ULONG *len, unsigned char *kcv, CK_ULONG *kcv_len)
{
	unsigned char *v = NULL;
	size_t vlen = 0;
	CK_RV rv;

	*len = 32;
	add(t, CKA_CLASS, &cls_secret, sizeof cls_secret);
	add(t, CKA_KEY_TYPE, &ckk_aes, sizeof ckk_aes);
	add(t, CKA_VALUE_LEN, len, sizeof *len);
	add_bool(t, CKA_TOKEN, false);
	add_bool(t, CKA_TRUSTED, true);
	add_bool(t, CKA_LOCAL, true);
	add_bool(t, CKA_WRAP, true);
	add_bool(t, CKA_UNWRAP, false);
	add_bool(t, CKA_DECRYPT, false);
	add_bool(t, CKA_MODIFIABLE, false);
	add_bytes(t, CKA_ID, label, strlen(label));
	add_bytes(t, CKA_LABEL, label, strlen(label));
	*kcv_len = 0;
	/* A check value too long to bind would leave the KEK's template looser than it says. */
	if ((rv = p11attr_get(p, key, CKA_CHECK_VALUE, &v, &vlen)) == CKR_OK && vlen > 16)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if (rv == CKR_OK && vlen > 0) {
		memcpy(kcv, v, vlen);
		*kcv_len = vlen;
		add(t, CKA_CHECK_VALUE, kcv, *kcv_len);
	}
	free(v);
	return rv == CKR_ATTRIBUTE_TYPE_INVALID ? CKR_OK : rv;
}

/* (SO) The KEK as a trusted, wrap-only public session object scoped by WRAP. */
static CK_RV
make_kek(struct p11 *p, EVP_PKEY *kek, const char *label, struct tmpl *wrap,
    CK_OBJECT_HANDLE *out)
{
	unsigned char *n = NULL, *e = NULL, *der = NULL, id[SHA256_LEN];
	CK_ULONG nlen = 0, elen = 0;
	struct tmpl t = { .n = 0 };
	int derlen;
	CK_RV rv = CKR_HOST_MEMORY;

	if (pubkey_bn_param(kek, OSSL_PKEY_PARAM_RSA_N, &n, &nlen) < 0 ||
	    pubkey_bn_param(kek, OSSL_PKEY_PARAM_RSA_E, &e, &elen) < 0 ||
	    (derlen = i2d_PUBKEY(kek, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)derlen, id, NULL, EVP_sha256(), NULL))
		goto out;
	add(&t, CKA_CLASS, &cls_public, sizeof cls_public);
	add(&t, CKA_KEY_TYPE, &ckk_rsa, sizeof ckk_rsa);
	add_bool(&t, CKA_TOKEN, false);
	add_bool(&t, CKA_PRIVATE, false);
	add_bytes(&t, CKA_LABEL, label, strlen(label));
	add(&t, CKA_ID, id, 16);	/* the KEK's SPKI SHA-256, as its fingerprint begins */
	add(&t, CKA_MODULUS, n, nlen);
	add(&t, CKA_PUBLIC_EXPONENT, e, elen);
	add_bool(&t, CKA_TRUSTED, true);
	add_bool(&t, CKA_WRAP, true);
	add_bool(&t, CKA_ENCRYPT, false);
	add_bool(&t, CKA_VERIFY, false);
	add_bool(&t, CKA_VERIFY_RECOVER, false);
	add_bool(&t, CKA_DERIVE, false);
	add_bool(&t, CKA_COPYABLE, false);
	add_bool(&t, CKA_MODIFIABLE, false);
	if ((rv = add_wrap_template(&t, wrap)) == CKR_OK)
		rv = p11_fn(p)->C_CreateObject(p11_session(p), t.a, t.n, out);
out:
	free(n);
	free(e);
	OPENSSL_free(der);
	return rv;
}

int
transfer_grant(struct p11 *p, EVP_PKEY *kek, const char *ident, const struct keycheck *c,
    bool composed, bool bind_names, struct transfer_trust *t)
{
	struct tmpl copy = { .n = 0 }, key = { .n = 0 };
	char copy_label[128], kek_label[128], key_label[128];
	unsigned char kcv[16];
	CK_ULONG value_len = 0, key_len = 0, kcv_len = 0;
	CK_RV rv;

	t->kek = t->key = CK_INVALID_HANDLE;
	snprintf(kek_label, sizeof kek_label, TRANSFER_KEK_PREFIX "%s", ident);
	snprintf(key_label, sizeof key_label, TRANSFER_KEY_PREFIX "%s", ident);
	copy_template(&copy, c, ident, bind_names, copy_label, sizeof copy_label, &value_len);
	if (!composed) {
		if ((rv = make_kek(p, kek, kek_label, &copy, &t->kek)) != CKR_OK)
			goto kek_failed;
		return 0;
	}
	if ((rv = make_transfer_key(p, key_label, &copy, &t->key)) != CKR_OK) {
		t->key = CK_INVALID_HANDLE;
		msg_ck(rv, "cannot create the transfer key for '%s' on token '%s' (C_GenerateKey "
		    "of a trusted session key in the SO session)", ident, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((rv = transfer_key_template(p, &key, t->key, key_label, &key_len, kcv, &kcv_len)) !=
	    CKR_OK || (rv = make_kek(p, kek, kek_label, &key, &t->kek)) != CKR_OK)
		goto kek_failed;
	return 0;
kek_failed:
	t->kek = CK_INVALID_HANDLE;
	msg_ck(rv, "cannot give the KEK the quorum's trust on token '%s' (C_CreateObject of a "
	    "trusted session key in the SO session)", p11_token_label(p));
	(void)transfer_revoke(p, t);
	return P11BYOK_EFAIL;
}

CK_RV
transfer_revoke(struct p11 *p, struct transfer_trust *t)
{
	CK_OBJECT_HANDLE *h[] = { &t->key, &t->kek };
	CK_RV first = CKR_OK;

	if (p == NULL)
		return CKR_OK;
	for (size_t i = 0; i < 2; i++) {
		CK_RV rv;
		if (*h[i] == CK_INVALID_HANDLE)
			continue;
		if ((rv = p11attr_destroy(p, *h[i])) != CKR_OK && first == CKR_OK)
			first = rv;
		*h[i] = CK_INVALID_HANDLE;
	}
	return first;
}

/* A session AES-256 key for the probes with CKA_ID ID (decrypt on for "p11byok-probe-b"),
 * and a wrap template when WRAP is not NULL; PRIV makes it a private object (user session
 * only).  */
static CK_RV
probe_key(struct p11 *p, bool priv, const char *id, struct tmpl *wrap, CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG len;
	struct tmpl t = { .n = 0 };
	CK_RV rv;

	aes_session_key(&t, &len);
	add_bool(&t, CKA_PRIVATE, priv);
	add_bytes(&t, CKA_ID, id, strlen(id));
	add_bool(&t, CKA_SENSITIVE, false);
	add_bool(&t, CKA_EXTRACTABLE, true);
	add_bool(&t, CKA_WRAP, wrap != NULL);
	add_bool(&t, CKA_DECRYPT, strcmp(id, "p11byok-probe-b") == 0);
	*out = CK_INVALID_HANDLE;
	if (wrap != NULL && (rv = add_wrap_template(&t, wrap)) != CKR_OK)
		return rv;
	return p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t.a, t.n, out);
}

/* Wraps A and B under W: *ENFORCED when A (which matches W's template) is wrapped and B
 * (which does not) is refused.  A refusal of A clears *A_OK.  */
static CK_RV
probe_wraps(struct p11 *p, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b,
    bool *a_ok, bool *b_refused)
{
	CK_MECHANISM kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	unsigned char out[128];
	CK_ULONG len = sizeof out;
	CK_RV rv = p11_fn(p)->C_WrapKey(p11_session(p), &kwp, w, a, out, &len);

	*a_ok = rv == CKR_OK;
	if (rv != CKR_OK && rv != CKR_KEY_NOT_WRAPPABLE)
		return rv;
	len = sizeof out;
	rv = p11_fn(p)->C_WrapKey(p11_session(p), &kwp, w, b, out, &len);
	*b_refused = rv == CKR_KEY_NOT_WRAPPABLE;
	return rv == CKR_OK || rv == CKR_KEY_NOT_WRAPPABLE ? CKR_OK : rv;
}

/* Destroys the probe's keys: the first failure, else CKR_OK. */
static CK_RV
probe_destroy(struct p11 *p, CK_OBJECT_HANDLE *h, size_t n)
{
	CK_RV first = CKR_OK, rv;
	for (size_t i = 0; i < n; i++)
		if (h[i] != CK_INVALID_HANDLE &&
		    (rv = p11_fn(p)->C_DestroyObject(p11_session(p), h[i])) != CKR_OK &&
		    first == CKR_OK)
			first = rv;
	return first;
}

/* Runs the probe on keys of privacy PRIV, W's template in WRAP. */
static CK_RV
probe(struct p11 *p, bool priv, struct tmpl *wrap, bool *a_ok, bool *b_refused)
{
	CK_OBJECT_HANDLE h[3] = { CK_INVALID_HANDLE, CK_INVALID_HANDLE, CK_INVALID_HANDLE };
	CK_RV rv, rv2;

	*a_ok = *b_refused = false;
	if ((rv = probe_key(p, false, "p11byok-probe-w", wrap, &h[0])) == CKR_OK &&
	    (rv = probe_key(p, priv, "p11byok-probe-a", NULL, &h[1])) == CKR_OK &&
	    (rv = probe_key(p, priv, "p11byok-probe-b", NULL, &h[2])) == CKR_OK)
		rv = probe_wraps(p, h[0], h[1], h[2], a_ok, b_refused);
	rv2 = probe_destroy(p, h, 3);
	return rv != CKR_OK ? rv : rv2;
}

CK_RV
transfer_probe_template(struct p11 *p, bool *enforced)
{
	struct tmpl wrap = { .n = 0 };
	bool a_ok, b_refused;
	CK_RV rv;

	add_bool(&wrap, CKA_DECRYPT, false);
	rv = probe(p, false, &wrap, &a_ok, &b_refused);
	*enforced = rv == CKR_OK && a_ok && b_refused;
	return rv;
}

CK_RV
transfer_probe_private_names(struct p11 *p, bool *honoured)
{
	static char id[] = "p11byok-probe-a";
	struct tmpl wrap = { .n = 0 };
	bool a_ok, b_refused;
	CK_RV rv;

	add(&wrap, CKA_ID, id, sizeof id - 1);
	rv = probe(p, true, &wrap, &a_ok, &b_refused);
	*honoured = rv == CKR_OK && a_ok && b_refused;
	return rv;
}

CK_RV
transfer_probe_wwt_fixed(struct p11 *p, bool *fixed)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE on = { CKA_WRAP_WITH_TRUSTED, &yes, sizeof yes };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	struct tmpl t = { .n = 0 };
	CK_ULONG len;
	CK_RV rv, rv2;

	*fixed = false;
	aes_session_key(&t, &len);
	add_bool(&t, CKA_PRIVATE, false);
	add_bool(&t, CKA_EXTRACTABLE, true);
	add_bool(&t, CKA_WRAP_WITH_TRUSTED, false);
	if ((rv = p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t.a, t.n, &h)) != CKR_OK)
		return rv;
	rv = p11_fn(p)->C_SetAttributeValue(p11_session(p), h, &on, 1);
	*fixed = rv != CKR_OK;
	rv2 = p11_fn(p)->C_DestroyObject(p11_session(p), h);
	return rv2;
}
