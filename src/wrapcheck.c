/* wrapcheck.c: the known-answer check of a wrap; see wrapcheck.h. */
#include "config.h"
#include "wrapcheck.h"
#include "msg.h"
#include "pkcs11-extra.h"
#include "pubkey.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KAT_RSA_BITS 2048
#define KAT_KEY_LEN 32		/* the throwaway key wrapped: AES-256 */

/* The throwaway RSA key pair: made once per process, private half never leaves it. */
static EVP_PKEY *kat_rsa;

/* The checks this process made, so each parameter set is checked once. */
static struct wrapcheck done[8];
static size_t ndone;

EVP_PKEY *
wrapcheck_throwaway_rsa(void)
{
	if (kat_rsa == NULL && (kat_rsa = EVP_RSA_gen(KAT_RSA_BITS)) == NULL)
		msg_ssl("cannot make the throwaway RSA key of the module checks");
	return kat_rsa;
}

const char *
wrapcheck_result_name(enum wrapcheck_result r)
{
	static const char *const names[] = { "correct", "ignored parameter", "wrong output",
	    "refused", "missing" };
	return names[r];
}

const char *
wrapcheck_mechanism_name(const struct wrap_params *wp)
{
	return wp->native ? "CKM_RSA_AES_KEY_WRAP" : "CKM_RSA_PKCS_OAEP + CKM_AES_KEY_WRAP_PAD";
}

json_t *
wrapcheck_json(const struct wrapcheck *c)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "mechanism",
	    wrapcheck_mechanism_name(&c->wp), "oaep_hash", wrap_hash_name(c->wp.oaep_hash),
	    "aes_bits", (json_int_t)c->wp.aes_bits, "result", wrapcheck_result_name(c->result),
	    "detail", c->detail);
}

/* A public AES session key of BITS the module draws: sensitive (its value is never read,
 * nor given: a trace of the check shows no key value), extractable, able to encrypt (the
 * check compares ciphertexts), and to wrap when WRAP (the composed path's transfer key).  */
static CK_RV
session_aes(struct p11 *p, CK_ULONG bits, bool wrap, CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = bits / 8;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, w = wrap;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE_LEN, &len, sizeof len },
		{ CKA_TOKEN, &no, sizeof no }, { CKA_PRIVATE, &no, sizeof no },
		{ CKA_SENSITIVE, &yes, sizeof yes }, { CKA_EXTRACTABLE, &yes, sizeof yes },
		{ CKA_WRAP, &w, sizeof w }, { CKA_ENCRYPT, &yes, sizeof yes },
		{ CKA_DECRYPT, &no, sizeof no }, { CKA_UNWRAP, &no, sizeof no },
	};
	return p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t, sizeof t / sizeof t[0], out);
}

/* The token's AES-ECB encryption of the check block under KEY, into OUT (16 bytes). */
static const unsigned char block[16] = "p11byok KAT blk";

static CK_RV
token_encrypt(struct p11 *p, CK_OBJECT_HANDLE key, unsigned char out[16])
{
	CK_MECHANISM ecb = { CKM_AES_ECB, NULL, 0 };
	unsigned char in[16];
	CK_ULONG len = 16;
	CK_RV rv;

	memcpy(in, block, sizeof in);
	if ((rv = p11_fn(p)->C_EncryptInit(p11_session(p), &ecb, key)) != CKR_OK)
		return rv;
	rv = p11_fn(p)->C_Encrypt(p11_session(p), in, sizeof in, out, &len);
	return rv == CKR_OK && len != 16 ? CKR_GENERAL_ERROR : rv;
}

/* Whether VALUE (LEN bytes) is the key that encrypted the check block to WANT. */
static bool
same_key(const unsigned char *value, size_t len, const unsigned char want[16])
{
	const EVP_CIPHER *c = len == 16 ? EVP_aes_128_ecb() : len == 24 ? EVP_aes_192_ecb() :
	    len == 32 ? EVP_aes_256_ecb() : NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char out[32];
	int n = 0, ok;

	ok = c != NULL && ctx != NULL && EVP_EncryptInit_ex(ctx, c, NULL, value, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_EncryptUpdate(ctx, out, &n, block, sizeof block) && n == 16 &&
	    CRYPTO_memcmp(out, want, 16) == 0;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* OAEP-decrypts IN with the throwaway key, HASH for OAEP and MGF1, into OUT (*LEN: its size,
 * then the plaintext's).  0, or -1 when it does not decrypt so.  */
static int
oaep_open(CK_MECHANISM_TYPE hash, const unsigned char *in, size_t inlen, unsigned char *out,
    size_t *len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(kat_rsa, NULL);
	const EVP_MD *md = wrap_hash_md(hash);
	int ok = ctx != NULL && md != NULL && EVP_PKEY_decrypt_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0 &&
	    EVP_PKEY_decrypt(ctx, out, len, in, inlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* RFC 5649 unwrap of IN under KEY (KEYLEN bytes) into OUT (*LEN: its size, then the
 * key's).  0, or -1 when it does not unwrap.  */
static int
kwp_open(const unsigned char *key, size_t keylen, const unsigned char *in, size_t inlen,
    unsigned char *out, size_t *len)
{
	const EVP_CIPHER *c = keylen == 16 ? EVP_aes_128_wrap_pad() : keylen == 24 ?
	    EVP_aes_192_wrap_pad() : keylen == 32 ? EVP_aes_256_wrap_pad() : NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	ok = c != NULL && ctx != NULL && inlen <= *len + 8 &&
	    EVP_DecryptInit_ex(ctx, c, NULL, key, NULL) &&
	    EVP_DecryptUpdate(ctx, out, &n, in, (int)inlen) &&
	    EVP_DecryptFinal_ex(ctx, out + n, &m);
	EVP_CIPHER_CTX_free(ctx);
	*len = ok ? (size_t)(n + m) : 0;
	return ok ? 0 : -1;
}

/* Whether TYPE (NAME) is offered with CKF_WRAP (a mechanism listed without it cannot
 * wrap): 1 or 0, or -1 when the module failed to answer (one line said so).  */
static int
can_wrap(struct p11 *p, CK_MECHANISM_TYPE type, const char *name)
{
	CK_MECHANISM_INFO info;
	CK_RV rv = p11_mechanism(p, type, &info);

	if (rv == CKR_MECHANISM_INVALID)
		return 0;
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for %s (C_GetMechanismInfo)", p11_token_label(p),
		    name);
		return -1;
	}
	return (info.flags & CKF_WRAP) != 0;
}

/* Destroys the session object *H, if any.  CKR_OK, or the module's answer. */
static CK_RV
drop(struct p11 *p, CK_OBJECT_HANDLE h)
{
	return h == CK_INVALID_HANDLE ? CKR_OK : p11_fn(p)->C_DestroyObject(p11_session(p), h);
}

/* Opens CT (LEN bytes) as WP says, with the throwaway key, and judges it: the key wrapped
 * is the one that encrypted the check block to KEY and, composed, the AES key in the OAEP
 * part the one that encrypted it to TRANSFER.  */
static void
judge(const struct wrap_params *wp, const unsigned char *ct, size_t len,
    const unsigned char key[16], const unsigned char *transfer, struct wrapcheck *c)
{
	static const CK_MECHANISM_TYPE others[] = { CKM_SHA_1, CKM_SHA256, CKM_SHA384, CKM_SHA512 };
	const size_t mlen = KAT_RSA_BITS / 8;
	unsigned char aes[KAT_RSA_BITS / 8], opened[KAT_KEY_LEN + 16];
	size_t aeslen = sizeof aes, olen = sizeof opened;

	c->result = WRAPCHECK_WRONG;
	if (len <= mlen) {
		snprintf(c->detail, sizeof c->detail, "%zu bytes, shorter than an RSA-OAEP part "
		    "and a wrapped key", len);
		return;
	}
	if (oaep_open(wp->oaep_hash, ct, mlen, aes, &aeslen) != 0) {
		for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
			aeslen = sizeof aes;
			if (others[i] != wp->oaep_hash &&
			    oaep_open(others[i], ct, mlen, aes, &aeslen) == 0) {
				c->result = WRAPCHECK_IGNORED;
				snprintf(c->detail, sizeof c->detail, "hashAlg: OAEP %s asked, %s made",
				    wrap_hash_name(wp->oaep_hash), wrap_hash_name(others[i]));
				goto out;
			}
		}
		snprintf(c->detail, sizeof c->detail, "the RSA-OAEP part does not decrypt with "
		    "the key it was made for");
		goto out;
	}
	if (aeslen != wp->aes_bits / 8) {
		c->result = wp->native ? WRAPCHECK_IGNORED : WRAPCHECK_WRONG;
		snprintf(c->detail, sizeof c->detail, "%s: AES-%lu asked, AES-%zu made",
		    wp->native ? "ulAESKeyBits" : "the transfer key", (unsigned long)wp->aes_bits,
		    aeslen * 8);
		goto out;
	}
	if (transfer != NULL && !same_key(aes, aeslen, transfer)) {
		snprintf(c->detail, sizeof c->detail, "the RSA-OAEP part holds another AES key "
		    "than the one wrapped");
		goto out;
	}
	if (kwp_open(aes, aeslen, ct + mlen, len - mlen, opened, &olen) != 0 ||
	    olen != KAT_KEY_LEN || !same_key(opened, olen, key)) {
		snprintf(c->detail, sizeof c->detail, "the AES key wrap part does not open to "
		    "the key wrapped (RFC 5649)");
		goto out;
	}
	c->result = WRAPCHECK_CORRECT;
out:
	OPENSSL_cleanse(aes, sizeof aes);
	OPENSSL_cleanse(opened, sizeof opened);
}

/* The throwaway RSA public key as a public, wrap-only session object. */
static CK_RV
session_rsa(struct p11 *p, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *n = NULL, *e = NULL;
	CK_ULONG nlen = 0, elen = 0;
	CK_RV rv = CKR_HOST_MEMORY;

	if (pubkey_bn_param(kat_rsa, OSSL_PKEY_PARAM_RSA_N, &n, &nlen) == 0 &&
	    pubkey_bn_param(kat_rsa, OSSL_PKEY_PARAM_RSA_E, &e, &elen) == 0) {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
			{ CKA_TOKEN, &no, sizeof no }, { CKA_PRIVATE, &no, sizeof no },
			{ CKA_WRAP, &yes, sizeof yes }, { CKA_ENCRYPT, &no, sizeof no },
			{ CKA_VERIFY, &no, sizeof no }, { CKA_MODULUS, n, nlen },
			{ CKA_PUBLIC_EXPONENT, e, elen },
		};
		rv = p11_fn(p)->C_CreateObject(p11_session(p), t, sizeof t / sizeof t[0], out);
	}
	free(n);
	free(e);
	return rv;
}

int
wrapcheck_run(struct p11 *p, const struct wrap_params *wp, struct wrapcheck *c)
{
	CK_OBJECT_HANDLE kek = CK_INVALID_HANDLE, key = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE transfer = CK_INVALID_HANDLE;
	unsigned char key_ct[16], transfer_ct[16], *ct = NULL;
	size_t len = 0;
	const char *step = NULL;
	CK_RV rv;

	int have[2];
	int r = 0;

	memset(c, 0, sizeof *c);
	c->wp = *wp;
	if (wp->native) {
		have[0] = have[1] = can_wrap(p, CKM_RSA_AES_KEY_WRAP, "CKM_RSA_AES_KEY_WRAP");
	} else if ((have[0] = can_wrap(p, CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP")) >= 0) {
		have[1] = can_wrap(p, CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD");
	}
	if (have[0] < 0 || have[1] < 0)
		return -1;
	if (have[0] == 0 || have[1] == 0) {
		c->result = WRAPCHECK_MISSING;
		snprintf(c->detail, sizeof c->detail, "not offered for wrapping (CKF_WRAP)");
		return 0;
	}
	if (wrapcheck_throwaway_rsa() == NULL)
		return -1;
	c->result = WRAPCHECK_REFUSED;
	step = "a session object for the check";
	if ((rv = session_rsa(p, &kek)) != CKR_OK ||
	    (rv = session_aes(p, 8 * KAT_KEY_LEN, false, &key)) != CKR_OK ||
	    (!wp->native && (rv = session_aes(p, wp->aes_bits, true, &transfer)) != CKR_OK))
		goto refused;
	step = "C_Encrypt (CKM_AES_ECB) of the check block";
	if ((rv = token_encrypt(p, key, key_ct)) != CKR_OK ||
	    (!wp->native && (rv = token_encrypt(p, transfer, transfer_ct)) != CKR_OK))
		goto refused;
	if ((rv = wrap_byok(p, wp, kek, transfer, key, &ct, &len, &step)) != CKR_OK)
		goto refused;
	judge(wp, ct, len, key_ct, wp->native ? NULL : transfer_ct, c);
	goto out;
refused:
	c->rv = rv;
	snprintf(c->detail, sizeof c->detail, "%s: %s", step, ck_rv_name(rv));
out:
	/* Session objects: one the module fails to destroy dies with the session, but a module
	 * that fails is not to be worked with.  */
	CK_RV d[3] = { drop(p, kek), drop(p, key), drop(p, transfer) };
	if ((rv = d[0] != CKR_OK ? d[0] : d[1] != CKR_OK ? d[1] : d[2]) != CKR_OK) {
		msg_ck(rv, "cannot destroy a session object of the known-answer check on token "
		    "'%s' (C_DestroyObject)", p11_token_label(p));
		r = -1;
	}
	free(ct);
	return r;
}

int
wrapcheck_require(struct p11 *p, const struct wrap_params *wp, const struct wrapcheck **out)
{
	struct wrapcheck *c = NULL;

	for (size_t i = 0; i < ndone && c == NULL; i++)
		if (done[i].wp.native == wp->native && done[i].wp.oaep_hash == wp->oaep_hash &&
		    done[i].wp.aes_bits == wp->aes_bits)
			c = &done[i];
	if (c == NULL) {
		if (ndone == sizeof done / sizeof done[0])
			ndone = 0;	/* more sets than a command uses: check again */
		c = &done[ndone];
		if (wrapcheck_run(p, wp, c) != 0)
			return P11BYOK_EFAIL;
		ndone++;
	}
	if (out != NULL)
		*out = c;
	if (c->result == WRAPCHECK_CORRECT)
		return 0;
	msg_err("module %s fails the known-answer check of %s with OAEP %s and AES-%lu "
	    "(%s: %s): a file made so would be refused by the cloud, so nothing is wrapped; "
	    "'p11byok doctor' shows which wraps this module makes correctly",
	    p11_module_path(p), wrapcheck_mechanism_name(wp), wrap_hash_name(wp->oaep_hash),
	    (unsigned long)wp->aes_bits, wrapcheck_result_name(c->result), c->detail);
	return P11BYOK_EFAIL;
}
