/* keycheck.c: the target key and its transfer copy, checked; see keycheck.h. */
#include "config.h"
#include "keycheck.h"
#include "digest.h"
#include "keygen.h"
#include "msg.h"
#include "objindex.h"
#include "p11attr.h"
#include "pubkey.h"
#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLAIMS 8

void
keycheck_clear(struct keycheck *c)
{
	if (c == NULL)
		return;
	free(c->modulus);
	free(c->exponent);
	free(c->ec_params);
	free(c->ec_point);
	memset(c, 0, sizeof *c);
	c->target = c->copy = CK_INVALID_HANDLE;
}

static CK_OBJECT_CLASS
class_of(enum key_type type)
{
	return type == KEY_AES ? CKO_SECRET_KEY : CKO_PRIVATE_KEY;
}

static CK_KEY_TYPE
ckk_of(enum key_type type)
{
	return type == KEY_RSA ? CKK_RSA : type == KEY_EC ? CKK_EC : CKK_AES;
}

/* One flag an object must have, true or false. */
struct flag {
	CK_ATTRIBUTE_TYPE type;
	bool want;
	const char *name;
	const char *why;	/* what it means when it is not so */
};

/* What generate gives a key and C_CopyObject keeps: checked on the target and the copy
 * (the copy package makes again for an EC key is a session object of its own process, so
 * CKA_TOKEN is the target's alone).  */
static const struct flag birth[] = {
	{ CKA_PRIVATE, true, "CKA_PRIVATE", "it is a public object" },
	{ CKA_SENSITIVE, true, "CKA_SENSITIVE", "its value can be read" },
	{ CKA_EXTRACTABLE, true, "CKA_EXTRACTABLE", "it cannot be wrapped" },
	{ CKA_WRAP_WITH_TRUSTED, true, "CKA_WRAP_WITH_TRUSTED",
	    "it may be wrapped under any key" },
	{ CKA_LOCAL, true, "CKA_LOCAL", "the token did not generate it: it came in from "
	    "outside (made or unwrapped), so its value may be known" },
	{ CKA_ALWAYS_SENSITIVE, true, "CKA_ALWAYS_SENSITIVE", "it was readable once" },
};

static const struct flag on_token[] = {
	{ CKA_TOKEN, true, "CKA_TOKEN", "it is a session object" },
};

/* What the copy adds: no use but being wrapped, and nothing to change. */
static const struct flag reduced_private[] = {
	{ CKA_MODIFIABLE, false, "CKA_MODIFIABLE", "its attributes can be changed" },
	{ CKA_SIGN, false, "CKA_SIGN", "it can sign" },
	{ CKA_DECRYPT, false, "CKA_DECRYPT", "it can decrypt" },
	{ CKA_UNWRAP, false, "CKA_UNWRAP", "it can unwrap" },
	{ CKA_DERIVE, false, "CKA_DERIVE", "it can derive" },
	{ CKA_SIGN_RECOVER, false, "CKA_SIGN_RECOVER", "it can sign" },
};
static const struct flag reduced_secret[] = {
	{ CKA_MODIFIABLE, false, "CKA_MODIFIABLE", "its attributes can be changed" },
	{ CKA_ENCRYPT, false, "CKA_ENCRYPT", "it can encrypt" },
	{ CKA_DECRYPT, false, "CKA_DECRYPT", "it can decrypt" },
	{ CKA_SIGN, false, "CKA_SIGN", "it can sign" },
	{ CKA_VERIFY, false, "CKA_VERIFY", "it can verify" },
	{ CKA_WRAP, false, "CKA_WRAP", "it can wrap" },
	{ CKA_UNWRAP, false, "CKA_UNWRAP", "it can unwrap" },
	{ CKA_DERIVE, false, "CKA_DERIVE", "it can derive" },
};

/* Checks FLAGS on H, read in one call; WHAT names H in the refusal ("key 'k1'").  An
 * attribute the object does not have reads as false.  0 or P11BYOK_EFAIL.  */
static int
check_flags(struct p11 *p, CK_OBJECT_HANDLE h, const struct flag *flags, size_t n,
    const char *what)
{
	CK_BBOOL v[16];
	CK_ATTRIBUTE t[16];
	CK_RV rv;

	for (size_t i = 0; i < n && i < 16; i++) {
		v[i] = CK_FALSE;
		t[i] = (CK_ATTRIBUTE){ flags[i].type, &v[i], sizeof v[i] };
	}
	rv = p11_fn(p)->C_GetAttributeValue(p11_session(p), h, t, (CK_ULONG)n);
	/* The one answer that still fills in every attribute the object has. */
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
		msg_ck(rv, "cannot read the attributes of %s on token '%s'", what,
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		bool have = t[i].ulValueLen == sizeof v[i] && v[i] == CK_TRUE;
		if (have != flags[i].want) {
			msg_err("%s on token '%s' is refused: %s is %s (%s); p11byok transfers only "
			    "what the token made and kept", what, p11_token_label(p), flags[i].name,
			    have ? "true" : "false", flags[i].why);
			return P11BYOK_EFAIL;
		}
	}
	return 0;
}

int
keycheck_birth(struct p11 *p, CK_OBJECT_HANDLE h, const char *what)
{
	int r;
	if ((r = check_flags(p, h, on_token, 1, what)) != 0)
		return r;
	return check_flags(p, h, birth, sizeof birth / sizeof birth[0], what);
}

/* Reads TYPE of H into *OUT (malloc'd); an attribute the object lacks gives *OUT NULL. */
static int
read_bytes(struct p11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const char *name,
    const char *what, unsigned char **out, size_t *len)
{
	CK_RV rv = p11attr_get(p, h, type, out, len);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || (rv == CKR_OK && *len == 0)) {
		free(*out);
		*out = NULL;
		*len = 0;
		return 0;
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot read %s of %s on token '%s'", name, what, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}

/* The objects of class CLS with CKA_ID IDENT, split by whether their label is LABEL. */
static int
find_claims(struct p11 *p, const struct objindex *idx, CK_OBJECT_CLASS cls, const char *ident,
    const char *label, CK_OBJECT_HANDLE *with, size_t *nwith, CK_OBJECT_HANDLE *without,
    size_t *nwithout)
{
	char id[KEYGEN_IDENT_MAX + 1];
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_ID, id, 0 },
	};
	CK_OBJECT_HANDLE h[MAX_CLAIMS + 1];
	CK_ULONG n = 0;
	CK_RV rv;

	*nwith = *nwithout = 0;
	snprintf(id, sizeof id, "%s", ident);
	t[1].ulValueLen = strlen(id);
	if (idx != NULL)
		n = (CK_ULONG)objindex_with_id(idx, cls, ident, h, MAX_CLAIMS + 1);
	else if ((rv = p11attr_find(p, t, 2, h, MAX_CLAIMS + 1, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for ident '%s'", p11_token_label(p), ident);
		return P11BYOK_EFAIL;
	}
	/* More than the caller can hold: the real one could be among those not seen. */
	if (n > MAX_CLAIMS) {
		msg_err("token '%s' holds more than %d objects with ident '%s': someone made "
		    "look-alikes; p11byok uses none of them (p11byok world show --pin-file F lists "
		    "them)", p11_token_label(p), MAX_CLAIMS, ident);
		return P11BYOK_EFAIL;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		unsigned char *l = NULL;
		size_t len = 0;
		if ((rv = p11attr_get(p, h[i], CKA_LABEL, &l, &len)) != CKR_OK &&
		    rv != CKR_ATTRIBUTE_TYPE_INVALID) {
			msg_ck(rv, "cannot read the label of an object of ident '%s'", ident);
			return P11BYOK_EFAIL;
		}
		if (l != NULL && len == strlen(label) && memcmp(l, label, len) == 0)
			with[(*nwith)++] = h[i];
		else if (without != NULL)
			without[(*nwithout)++] = h[i];
		free(l);
	}
	return 0;
}

static bool
same(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The public part of the RSA or EC target, against the record's public key PK. */
static int
target_public(struct p11 *p, const struct key_simple *k, EVP_PKEY *pk, struct keycheck *c,
    const char *what)
{
	EVP_PKEY *have = NULL;
	bool proven = false;
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	if (k->spec.type == KEY_EC) {
		const char *curve = c->ec_params ? keygen_curve_of_params(c->ec_params,
		    c->ec_params_len) : NULL;
		if (curve == NULL || strcmp(curve, k->spec.curve) != 0) {
			msg_err("%s on token '%s' is refused: its curve is not the record's %s", what,
			    p11_token_label(p), k->spec.curve);
			return P11BYOK_EFAIL;
		}
	}
	/* RSA private objects carry the modulus; a few modules keep the EC point too. */
	if ((rv = pubkey_of_object(p, c->target, &have)) != CKR_OK) {
		msg_ck(rv, "cannot read the public part of %s", what);
		return P11BYOK_EFAIL;
	}
	if (have != NULL) {
		if (EVP_PKEY_eq(have, pk) != 1) {
			msg_err("%s on token '%s' is refused: its public key is not the one its record "
			    "(key_simple_%s) holds", what, p11_token_label(p), k->ident);
			goto out;
		}
		r = 0;
		goto out;
	}
	if (k->spec.type == KEY_RSA) {
		msg_err("%s on token '%s' shows no modulus: it cannot be compared with its record",
		    what, p11_token_label(p));
		goto out;
	}
	if ((rv = pubkey_proven(p, c->target, false, pk, &proven)) != CKR_OK) {
		msg_ck(rv, "%s cannot sign a test message to prove it is its record's key", what);
		goto out;
	}
	if (!proven) {
		msg_err("%s on token '%s' is refused: its test signature does not verify with the "
		    "public key of its record (key_simple_%s)", what, p11_token_label(p), k->ident);
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_free(have);
	return r;
}

/* Reads what the copy is compared with from the target. */
static int
read_public_part(struct p11 *p, CK_OBJECT_HANDLE h, enum key_type type, const char *what,
    struct keycheck *c)
{
	unsigned char *kcv = NULL;
	size_t kcv_len = 0;
	CK_RV rv;
	int r;

	if (type == KEY_RSA)
		return (r = read_bytes(p, h, CKA_MODULUS, "CKA_MODULUS", what, &c->modulus,
		    &c->modulus_len)) != 0 ? r : read_bytes(p, h, CKA_PUBLIC_EXPONENT,
		    "CKA_PUBLIC_EXPONENT", what, &c->exponent, &c->exponent_len);
	if (type == KEY_EC)
		return (r = read_bytes(p, h, CKA_EC_PARAMS, "CKA_EC_PARAMS", what, &c->ec_params,
		    &c->ec_params_len)) != 0 ? r : read_bytes(p, h, CKA_EC_POINT, "CKA_EC_POINT",
		    what, &c->ec_point, &c->ec_point_len);
	if ((r = read_bytes(p, h, CKA_CHECK_VALUE, "CKA_CHECK_VALUE", what, &kcv, &kcv_len)) != 0)
		return r;
	if (kcv_len > sizeof c->kcv)
		kcv_len = 0;
	memcpy(c->kcv, kcv, kcv_len);
	c->kcv_len = kcv_len;
	free(kcv);
	if ((rv = p11attr_ulong(p, h, CKA_VALUE_LEN, &c->value_len)) == CKR_ATTRIBUTE_TYPE_INVALID)
		c->value_len = 0;
	else if (rv != CKR_OK) {
		msg_ck(rv, "cannot read CKA_VALUE_LEN of %s on token '%s'", what,
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}

/* The AES target against its record: the check value, and the size. */
static int
target_secret(struct p11 *p, const struct key_simple *k, struct keycheck *c, const char *what)
{
	char hex[2 * sizeof c->kcv + 1];

	if (c->value_len != 0 && c->value_len != k->spec.bits / 8) {
		msg_err("%s on token '%s' is refused: it holds %lu bytes, its record says AES-%u",
		    what, p11_token_label(p), (unsigned long)c->value_len, k->spec.bits);
		return P11BYOK_EFAIL;
	}
	if (k->check_value == NULL)
		return 0;	/* a record from before check values, or a module without them */
	hex_encode(c->kcv, c->kcv_len, hex, 0);
	if (c->kcv_len == 0 || strcmp(hex, k->check_value) != 0) {
		msg_err("%s on token '%s' is refused: its check value %s is not its record's %s "
		    "(another key under its name)", what, p11_token_label(p),
		    c->kcv_len ? hex : "(none)", k->check_value);
		return P11BYOK_EFAIL;
	}
	return 0;
}

int
keycheck_target(struct p11 *p, const struct objindex *idx, const struct key_simple *k,
    struct keycheck *c)
{
	CK_OBJECT_HANDLE with[MAX_CLAIMS], without[MAX_CLAIMS];
	size_t nwith = 0, nwithout = 0;
	char copy_label[128], what[160];
	EVP_PKEY *pk = NULL;
	CK_ULONG kt = 0;
	CK_RV rv;
	int r;

	memset(c, 0, sizeof *c);
	c->target = c->copy = CK_INVALID_HANDLE;
	c->type = k->spec.type;
	snprintf(what, sizeof what, "key '%s'", k->ident);
	snprintf(copy_label, sizeof copy_label, TRANSFER_COPY_PREFIX "%s", k->ident);
	/* Everything of the key's class with its ident but the copy claims to be the key. */
	if ((r = find_claims(p, idx, class_of(k->spec.type), k->ident, copy_label, with, &nwith,
	    without, &nwithout)) != 0)
		return r;
	if (nwithout == 0) {
		msg_err("no key with ident '%s' on token '%s': generate it first (p11byok generate "
		    "ident=%s ...), re-create it with 'p11byok restore %s', or check --token",
		    k->ident, p11_token_label(p), k->ident, k->ident);
		return P11BYOK_EUSAGE;
	}
	if (nwithout > 1) {
		msg_err("token '%s' holds %zu keys with ident '%s': one was made by someone else "
		    "under its name; find them with 'p11byok show-key %s' and delete the one that "
		    "is not the record's", p11_token_label(p), nwithout, k->ident, k->ident);
		return P11BYOK_EFAIL;
	}
	c->target = without[0];
	{
		unsigned char *l = NULL;
		size_t len = 0;
		bool ok;
		if ((rv = p11attr_get(p, c->target, CKA_LABEL, &l, &len)) != CKR_OK) {
			msg_ck(rv, "cannot read the label of key '%s'", k->ident);
			return P11BYOK_EFAIL;
		}
		ok = len == strlen(k->plainname) && memcmp(l, k->plainname, len) == 0;
		free(l);
		if (!ok) {
			msg_err("key '%s' on token '%s' is refused: its label is not its record's "
			    "plainname '%s'", k->ident, p11_token_label(p), k->plainname);
			return P11BYOK_EFAIL;
		}
	}
	if ((rv = p11attr_ulong(p, c->target, CKA_KEY_TYPE, &kt)) != CKR_OK) {
		msg_ck(rv, "cannot read the type of key '%s'", k->ident);
		return P11BYOK_EFAIL;
	}
	if (kt != ckk_of(k->spec.type)) {
		msg_err("key '%s' on token '%s' is refused: it is not of its record's type",
		    k->ident, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((r = keycheck_birth(p, c->target, what)) != 0 ||
	    (r = read_public_part(p, c->target, k->spec.type, what, c)) != 0)
		goto out;
	if (k->spec.type == KEY_AES) {
		r = target_secret(p, k, c, what);
		goto out;
	}
	if ((pk = pubkey_from_pem(k->public_pem)) == NULL) {
		msg_ssl("cannot read the public key of record key_simple_%s", k->ident);
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = target_public(p, k, pk, c, what);
out:
	EVP_PKEY_free(pk);
	return r;
}

/* COPY against the target C describes: birth, reduced usage, the same public part. */
static int
check_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE copy, struct keycheck *c)
{
	struct keycheck have = { 0 };
	char what[160];
	CK_ULONG kt = 0;
	CK_RV rv;
	int r;

	snprintf(what, sizeof what, "the transfer copy " TRANSFER_COPY_PREFIX "%s", ident);
	if ((rv = p11attr_ulong(p, copy, CKA_KEY_TYPE, &kt)) != CKR_OK) {
		msg_ck(rv, "cannot read the type of %s", what);
		return P11BYOK_EFAIL;
	}
	if (kt != ckk_of(c->type)) {
		msg_err("%s on token '%s' is refused: it is not of its key's type", what,
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((r = check_flags(p, copy, birth, sizeof birth / sizeof birth[0], what)) != 0 ||
	    (r = c->type == KEY_AES ?
	    check_flags(p, copy, reduced_secret, sizeof reduced_secret / sizeof *reduced_secret,
	    what) : check_flags(p, copy, reduced_private, sizeof reduced_private /
	    sizeof *reduced_private, what)) != 0 ||
	    (r = read_public_part(p, copy, c->type, what, &have)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	c->copy_unproven = false;
	if (c->type == KEY_RSA && !(have.modulus != NULL &&
	    same(have.modulus, have.modulus_len, c->modulus, c->modulus_len) &&
	    same(have.exponent, have.exponent_len, c->exponent, c->exponent_len)))
		goto differs;
	if (c->type == KEY_AES && (!same(have.kcv, have.kcv_len, c->kcv, c->kcv_len) ||
	    have.value_len != c->value_len))
		goto differs;
	/* Without check values two AES keys of one size look alike. */
	if (c->type == KEY_AES && c->kcv_len == 0)
		c->copy_unproven = true;
	if (c->type == KEY_EC) {
		if (!same(have.ec_params, have.ec_params_len, c->ec_params, c->ec_params_len))
			goto differs;
		if (have.ec_point != NULL && c->ec_point != NULL) {
			if (!same(have.ec_point, have.ec_point_len, c->ec_point, c->ec_point_len))
				goto differs;
		} else {
			c->copy_unproven = true;
		}
	}
	r = 0;
	goto out;
differs:
	msg_err("%s on token '%s' is refused: its public part is not its key's (another key "
	    "under the copy's name); delete it and run 'p11byok modify-acls --ident %s' again",
	    what, p11_token_label(p), ident);
out:
	keycheck_clear(&have);
	return r;
}

int
keycheck_copy(struct p11 *p, const struct objindex *idx, const char *ident,
    struct keycheck *c)
{
	CK_OBJECT_HANDLE with[MAX_CLAIMS];
	size_t nwith = 0, none = 0;
	char label[128];
	int r;

	c->copy = CK_INVALID_HANDLE;
	snprintf(label, sizeof label, TRANSFER_COPY_PREFIX "%s", ident);
	if ((r = find_claims(p, idx, class_of(c->type), ident, label, with, &nwith, NULL,
	    &none)) != 0)
		return r;
	if (nwith == 0)
		return 0;
	if (nwith > 1) {
		msg_err("token '%s' holds %zu objects named as the transfer copy of '%s' (label "
		    "%s): someone made one; delete them all and run 'p11byok modify-acls --ident "
		    "%s' again", p11_token_label(p), nwith, ident, label, ident);
		return P11BYOK_EFAIL;
	}
	if ((r = check_copy(p, ident, with[0], c)) != 0)
		return r;
	c->copy = with[0];
	return 0;
}

int
keycheck_made_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE copy,
    struct keycheck *c)
{
	int r = check_copy(p, ident, copy, c);
	/* Made from the checked target by this process: its public part is the target's. */
	c->copy_unproven = false;
	if (r == 0)
		c->copy = copy;
	return r;
}
