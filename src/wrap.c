/* wrap.c: BYOK ciphertext in and out of a token; see wrap.h. */
#include "config.h"
#include "wrap.h"
#include "pkcs11-extra.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct wrap_params
wrap_params_azure(bool native)
{
	struct wrap_params wp = { native, CKM_SHA_1, 256 };
	return wp;
}

static const struct {
	CK_MECHANISM_TYPE hash;
	CK_RSA_PKCS_MGF_TYPE mgf;
	const char *name;
	const EVP_MD *(*md)(void);
} hashes[] = {
	{ CKM_SHA_1, CKG_MGF1_SHA1, "SHA-1", EVP_sha1 },
	{ CKM_SHA256, CKG_MGF1_SHA256, "SHA-256", EVP_sha256 },
	{ CKM_SHA384, CKG_MGF1_SHA384, "SHA-384", EVP_sha384 },
	{ CKM_SHA512, CKG_MGF1_SHA512, "SHA-512", EVP_sha512 },
};

const char *
wrap_hash_name(CK_MECHANISM_TYPE hash)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].hash == hash)
			return hashes[i].name;
	return "?";
}

const EVP_MD *
wrap_hash_md(CK_MECHANISM_TYPE hash)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].hash == hash)
			return hashes[i].md();
	return NULL;
}

/* OAEP with WP's hash for the hash and MGF1, no label. */
static CK_RSA_PKCS_OAEP_PARAMS
oaep_params(const struct wrap_params *wp)
{
	CK_RSA_PKCS_OAEP_PARAMS o = { wp->oaep_hash, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].hash == wp->oaep_hash)
			o.mgf = hashes[i].mgf;
	return o;
}

CK_RV
wrap_has_native(struct p11 *p, bool *native)
{
	CK_RV rv = p11_mechanism(p, CKM_RSA_AES_KEY_WRAP, NULL);
	*native = rv == CKR_OK;
	return rv == CKR_MECHANISM_INVALID ? CKR_OK : rv;
}

/* C_WrapKey into a malloc'd buffer sized by the module's first answer. */
static CK_RV
wrap_one(struct p11 *p, CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
    unsigned char **out, CK_ULONG *len)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_RV rv;

	*out = NULL;
	*len = 0;
	if ((rv = f->C_WrapKey(p11_session(p), mech, wrapping, key, NULL, len)) != CKR_OK)
		return rv;
	if ((*out = malloc(*len)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = f->C_WrapKey(p11_session(p), mech, wrapping, key, *out, len)) != CKR_OK) {
		free(*out);
		*out = NULL;
	}
	return rv;
}

CK_RV
wrap_byok(struct p11 *p, const struct wrap_params *wp, CK_OBJECT_HANDLE kek,
    CK_OBJECT_HANDLE transfer, CK_OBJECT_HANDLE key, unsigned char **ct, size_t *len,
    const char **step)
{
	CK_RSA_PKCS_OAEP_PARAMS oaep = oaep_params(wp);
	P11BYOK_RSA_AES_KEY_WRAP_PARAMS params = { wp->aes_bits, &oaep };
	CK_MECHANISM m_native = { CKM_RSA_AES_KEY_WRAP, &params, sizeof params };
	CK_MECHANISM m_oaep = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
	CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	unsigned char *a = NULL, *b = NULL;
	CK_ULONG alen = 0, blen = 0;
	CK_RV rv;

	*ct = NULL;
	*len = 0;
	if (wp->native) {
		*step = "C_WrapKey (CKM_RSA_AES_KEY_WRAP under the KEK)";
		if ((rv = wrap_one(p, &m_native, kek, key, ct, &alen)) == CKR_OK)
			*len = alen;
		return rv;
	}
	*step = "C_WrapKey (CKM_RSA_PKCS_OAEP of the transfer key under the KEK)";
	if ((rv = wrap_one(p, &m_oaep, kek, transfer, &a, &alen)) != CKR_OK)
		goto out;
	*step = "C_WrapKey (CKM_AES_KEY_WRAP_PAD of the key under the transfer key)";
	if ((rv = wrap_one(p, &m_kwp, transfer, key, &b, &blen)) != CKR_OK)
		goto out;
	if ((*ct = malloc(alen + blen)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(*ct, a, alen);
	memcpy(*ct + alen, b, blen);
	*len = alen + blen;
out:
	free(a);
	free(b);
	return rv;
}

CK_RV
wrap_unbyok(struct p11 *p, const struct wrap_params *wp, CK_OBJECT_HANDLE kek,
    size_t modulus_len, unsigned char *ct, size_t len, CK_ATTRIBUTE *tmpl, CK_ULONG count,
    CK_OBJECT_HANDLE *key, const char **step)
{
	CK_RSA_PKCS_OAEP_PARAMS oaep = oaep_params(wp);
	P11BYOK_RSA_AES_KEY_WRAP_PARAMS params = { wp->aes_bits, &oaep };
	CK_MECHANISM m_native = { CKM_RSA_AES_KEY_WRAP, &params, sizeof params };
	CK_MECHANISM m_oaep = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
	CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	/* The session AES key: never on the token, never extractable, unwrap only. */
	CK_ATTRIBUTE t_aes[] = {
		{ CKA_CLASS, &secret, sizeof secret }, { CKA_KEY_TYPE, &aes, sizeof aes },
		{ CKA_TOKEN, &no, sizeof no }, { CKA_SENSITIVE, &yes, sizeof yes },
		{ CKA_EXTRACTABLE, &no, sizeof no }, { CKA_UNWRAP, &yes, sizeof yes },
		{ CKA_ENCRYPT, &no, sizeof no }, { CKA_DECRYPT, &no, sizeof no },
		{ CKA_WRAP, &no, sizeof no },
	};
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_OBJECT_HANDLE session_key = CK_INVALID_HANDLE;
	CK_RV rv, rv2;

	*key = CK_INVALID_HANDLE;
	if (wp->native) {
		*step = "C_UnwrapKey (CKM_RSA_AES_KEY_WRAP with the KEK)";
		return f->C_UnwrapKey(p11_session(p), &m_native, kek, ct, len, tmpl,
		    count, key);
	}
	*step = "C_UnwrapKey (CKM_RSA_PKCS_OAEP of the transfer key with the KEK)";
	rv = f->C_UnwrapKey(p11_session(p), &m_oaep, kek, ct, modulus_len, t_aes,
	    sizeof t_aes / sizeof t_aes[0], &session_key);
	if (rv != CKR_OK)
		return rv;
	*step = "C_UnwrapKey (CKM_AES_KEY_WRAP_PAD of the key with the transfer key)";
	rv = f->C_UnwrapKey(p11_session(p), &m_kwp, session_key, ct + modulus_len,
	    len - modulus_len, tmpl, count, key);
	/* A session key that cannot be destroyed still dies with the session; say so. */
	if ((rv2 = f->C_DestroyObject(p11_session(p), session_key)) != CKR_OK && rv == CKR_OK) {
		*step = "C_DestroyObject (the session transfer key)";
		(void)f->C_DestroyObject(p11_session(p), *key);
		*key = CK_INVALID_HANDLE;
		return rv2;
	}
	return rv;
}
