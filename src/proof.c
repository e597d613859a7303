/* proof.c: the token's proof of a package line; see proof.h. */
#include "config.h"
#include "proof.h"
#include "digest.h"
#include "msg.h"
#include "p11attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static char key_label[] = PROOF_KEY_LABEL, key_id[] = PROOF_KEY_ID;

/* What the proof key is: checked on the one found, set on the one made. */
static const struct { CK_ATTRIBUTE_TYPE type; bool v; } key_flags[] = {
	{ CKA_TOKEN, true }, { CKA_PRIVATE, true }, { CKA_SENSITIVE, true },
	{ CKA_EXTRACTABLE, false }, { CKA_SIGN, true }, { CKA_VERIFY, true },
	{ CKA_ENCRYPT, false }, { CKA_DECRYPT, false }, { CKA_WRAP, false }, { CKA_UNWRAP, false },
	{ CKA_DERIVE, false }, { CKA_MODIFIABLE, false },
};

/* Whether H is a proof key as proof_key makes it: born on the token and never seen. */
static int
check_key(struct p11 *p, CK_OBJECT_HANDLE h)
{
	static const struct { CK_ATTRIBUTE_TYPE type; const char *name; } birth[] = {
		{ CKA_LOCAL, "CKA_LOCAL" }, { CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE" },
		{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE" },
	};
	CK_ULONG kt = 0;
	bool v;
	CK_RV rv;

	if ((rv = p11attr_ulong(p, h, CKA_KEY_TYPE, &kt)) != CKR_OK)
		goto fail;
	for (size_t i = 0; kt == CKK_GENERIC_SECRET && i < sizeof key_flags / sizeof *key_flags;
	    i++) {
		if ((rv = p11attr_bool(p, h, key_flags[i].type, &v)) != CKR_OK)
			goto fail;
		if (v != key_flags[i].v)
			goto bad;
	}
	for (size_t i = 0; kt == CKK_GENERIC_SECRET && i < sizeof birth / sizeof *birth; i++) {
		if ((rv = p11attr_bool(p, h, birth[i].type, &v)) != CKR_OK)
			goto fail;
		if (!v)
			goto bad;
	}
	if (kt == CKK_GENERIC_SECRET)
		return 0;
bad:
	msg_err("the proof key of token '%s' (label " PROOF_KEY_LABEL ") is not the one p11byok "
	    "makes (a generic secret born on the token, never extractable, sign and verify "
	    "only): someone put a key of a known value under its name; no proof is made or "
	    "trusted until it is gone", p11_token_label(p));
	return P11BYOK_EFAIL;
fail:
	msg_ck(rv, "cannot read the proof key of token '%s'", p11_token_label(p));
	return P11BYOK_EFAIL;
}

int
proof_key(struct p11 *p, bool create, CK_OBJECT_HANDLE *out, bool *created)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = 32, n = 0;
	CK_MECHANISM gen = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE find[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_LABEL, key_label, sizeof key_label - 1 },
	};
	CK_ATTRIBUTE t[20];
	CK_ULONG count = 0;
	CK_OBJECT_HANDLE h[2];
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if (created != NULL)
		*created = false;
	if ((rv = p11attr_find(p, find, 2, h, 2, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for its proof key", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (n > 1) {
		msg_err("token '%s' holds more than one key labelled " PROOF_KEY_LABEL ": someone "
		    "made the others; no proof is made or trusted until only one is left",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (n == 1) {
		if (check_key(p, h[0]) != 0)
			return P11BYOK_EFAIL;
		*out = h[0];
		return 0;
	}
	if (!create)
		return 0;
	t[count++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof cls };
	t[count++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof kt };
	t[count++] = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &len, sizeof len };
	t[count++] = (CK_ATTRIBUTE){ CKA_LABEL, key_label, sizeof key_label - 1 };
	t[count++] = (CK_ATTRIBUTE){ CKA_ID, key_id, sizeof key_id - 1 };
	for (size_t i = 0; i < sizeof key_flags / sizeof *key_flags; i++)
		t[count++] = (CK_ATTRIBUTE){ key_flags[i].type, key_flags[i].v ? &yes : &no, 1 };
	if ((rv = p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t, count, out)) != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		msg_ck(rv, "cannot make the proof key of token '%s' (C_GenerateKey of a generic "
		    "secret)", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (created != NULL)
		*created = true;
	return 0;
}

/* The text a proof covers, one field a line. */
static int
statement(char *buf, size_t len, const char *world_hash, const char *ident,
    const char *kek_fingerprint, const char *byok_sha256)
{
	int n = snprintf(buf, len, "p11byok package proof v1\n%s\n%s\n%s\n%s\n", world_hash,
	    ident, kek_fingerprint, byok_sha256);
	return n > 0 && (size_t)n < len ? n : -1;
}

int
proof_make(struct p11 *p, CK_OBJECT_HANDLE key, const char *world_hash, const char *ident,
    const char *kek_fingerprint, const char *byok_sha256, char out[65])
{
	CK_MECHANISM m = { CKM_SHA256_HMAC, NULL, 0 };
	unsigned char mac[SHA256_LEN];
	CK_ULONG maclen = sizeof mac;
	char text[512];
	int n = statement(text, sizeof text, world_hash, ident, kek_fingerprint, byok_sha256);
	CK_RV rv;

	if (n < 0) {
		msg_err("the proof statement of '%s' is too long", ident);
		return P11BYOK_EFAIL;
	}
	if ((rv = p11_fn(p)->C_SignInit(p11_session(p), &m, key)) != CKR_OK ||
	    (rv = p11_fn(p)->C_Sign(p11_session(p), (CK_BYTE *)text, (CK_ULONG)n, mac,
	    &maclen)) != CKR_OK || maclen != sizeof mac) {
		msg_ck(rv != CKR_OK ? rv : CKR_FUNCTION_FAILED, "cannot make the proof of the "
		    "package of '%s' (C_Sign with CKM_SHA256_HMAC)", ident);
		return P11BYOK_EFAIL;
	}
	hex_encode(mac, sizeof mac, out, 0);
	return 0;
}

int
proof_check(struct p11 *p, CK_OBJECT_HANDLE key, const char *world_hash, const char *ident,
    const char *kek_fingerprint, const char *byok_sha256, const char *proof, bool *valid)
{
	CK_MECHANISM m = { CKM_SHA256_HMAC, NULL, 0 };
	unsigned char mac[SHA256_LEN];
	char text[512];
	int n = statement(text, sizeof text, world_hash, ident, kek_fingerprint, byok_sha256);
	CK_RV rv;

	*valid = false;
	if (n < 0 || proof == NULL || strlen(proof) != 2 * SHA256_LEN ||
	    hex_decode(proof, mac, sizeof mac) != (long)sizeof mac)
		return 0;
	if ((rv = p11_fn(p)->C_VerifyInit(p11_session(p), &m, key)) != CKR_OK)
		goto fail;
	rv = p11_fn(p)->C_Verify(p11_session(p), (CK_BYTE *)text, (CK_ULONG)n, mac, sizeof mac);
	if (rv == CKR_OK || rv == CKR_SIGNATURE_INVALID) {
		*valid = rv == CKR_OK;
		return 0;
	}
fail:
	msg_ck(rv, "cannot check the proof of the package of '%s' (C_Verify with "
	    "CKM_SHA256_HMAC)", ident);
	return P11BYOK_EFAIL;
}
