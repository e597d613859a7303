/* pubkey.c: token public keys to OpenSSL, and fingerprints; see pubkey.h. */
#include "config.h"
#include "pubkey.h"
#include "digest.h"
#include "p11attr.h"

#include <stdbool.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdlib.h>

static EVP_PKEY *
from_spki(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	return d2i_PUBKEY(NULL, &q, (long)len);
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

/* An attribute the object does not have is an answer; anything else is a failure. */
static bool
absent(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE;
}

static CK_RV
rsa_key(struct p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY **key)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen, elen;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	CK_RV rv;

	if ((rv = p11attr_get(p, obj, CKA_MODULUS, &n, &nlen)) != CKR_OK ||
	    (rv = p11attr_get(p, obj, CKA_PUBLIC_EXPONENT, &e, &elen)) != CKR_OK)
		goto out;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	*key = from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return absent(rv) ? CKR_OK : rv;
}

static CK_RV
ec_key(struct p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY **key)
{
	unsigned char *params = NULL, *point = NULL, *spki = NULL;
	const unsigned char *q;
	size_t plen, ptlen;
	ASN1_OCTET_STRING *os = NULL;
	EC_GROUP *group = NULL;
	char curve[64];
	OSSL_PARAM_BLD *bld = NULL;
	CK_RV rv;

	if ((rv = p11attr_get(p, obj, CKA_EC_PARAMS, &params, &plen)) != CKR_OK ||
	    (rv = p11attr_get(p, obj, CKA_EC_POINT, &point, &ptlen)) != CKR_OK)
		goto out;
	q = params;
	if ((group = d2i_ECPKParameters(NULL, &q, (long)plen)) == NULL ||
	    OBJ_obj2txt(curve, sizeof curve, OBJ_nid2obj(EC_GROUP_get_curve_name(group)), 0) <= 0)
		goto out;
	/* CKA_EC_POINT is DER OCTET STRING of the point (PKCS#11 v2.40); accept the raw form. */
	q = point;
	os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)ptlen);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    os ? os->data : point, os ? (size_t)os->length : ptlen))
		goto out;
	*key = from_params("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	ASN1_OCTET_STRING_free(os);
	EC_GROUP_free(group);
	free(params);
	free(point);
	free(spki);
	return absent(rv) ? CKR_OK : rv;
}

CK_RV
pubkey_of_object(struct p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY **out)
{
	unsigned char *info = NULL;
	size_t len = 0;
	CK_ULONG type = (CK_ULONG)-1;
	CK_RV rv;

	*out = NULL;
	rv = p11attr_get(p, obj, CKA_PUBLIC_KEY_INFO, &info, &len);
	if (rv == CKR_OK && len > 0)
		*out = from_spki(info, len);
	free(info);
	if (rv != CKR_OK && !absent(rv))
		return rv;
	if (*out != NULL)
		return CKR_OK;
	if ((rv = p11attr_ulong(p, obj, CKA_KEY_TYPE, &type)) != CKR_OK)
		return rv;
	if (type == CKK_RSA)
		return rsa_key(p, obj, out);
	if (type == CKK_EC)
		return ec_key(p, obj, out);
	return CKR_OK;
}

int
pubkey_fingerprint(EVP_PKEY *key, char hex[65])
{
	unsigned char *der = NULL, d[SHA256_LEN];
	int len = i2d_PUBKEY(key, &der);

	if (len <= 0)
		return -1;
	EVP_Digest(der, (size_t)len, d, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	hex_encode(d, SHA256_LEN, hex, 0);
	return 0;
}

EVP_PKEY *
pubkey_from_pem(const char *pem)
{
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return k;
}

/* Whether the PKCS#11 ECDSA signature SIG (r || s) over DGST verifies with PK. */
static bool
ecdsa_verifies(EVP_PKEY *pk, const unsigned char *sig, size_t siglen,
    const unsigned char *dgst, size_t dlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int derlen = 0;
	bool ok;

	/* OpenSSL verifies the DER ECDSA-Sig-Value. */
	ok = siglen % 2 == 0 && (es = ECDSA_SIG_new()) != NULL &&
	    (br = BN_bin2bn(sig, (int)(siglen / 2), NULL)) != NULL &&
	    (bs = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL)) != NULL &&
	    ECDSA_SIG_set0(es, br, bs) == 1;
	if (ok)
		br = bs = NULL;
	ok = ok && (derlen = i2d_ECDSA_SIG(es, &der)) > 0 &&
	    (pctx = EVP_PKEY_CTX_new(pk, NULL)) != NULL && EVP_PKEY_verify_init(pctx) == 1 &&
	    EVP_PKEY_verify(pctx, der, (size_t)derlen, dgst, dlen) == 1;
	EVP_PKEY_CTX_free(pctx);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	OPENSSL_free(der);
	return ok;
}

CK_RV
pubkey_proven(struct p11 *p, CK_OBJECT_HANDLE key, bool rsa, EVP_PKEY *pk, bool *proven)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_MECHANISM m = { rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA, NULL, 0 };
	unsigned char msg[64], dgst[SHA256_LEN], sig[1024];
	CK_ULONG siglen = sizeof sig;
	EVP_MD_CTX *md = NULL;
	CK_RV rv;

	*proven = false;
	if (RAND_bytes(msg, sizeof msg) != 1 ||
	    !EVP_Digest(msg, sizeof msg, dgst, NULL, EVP_sha256(), NULL))
		return CKR_HOST_MEMORY;
	if ((rv = f->C_SignInit(p11_session(p), &m, key)) != CKR_OK ||
	    (rv = f->C_Sign(p11_session(p), rsa ? msg : dgst, rsa ? sizeof msg : sizeof dgst,
	    sig, &siglen)) != CKR_OK)
		return rv;
	if (rsa)
		*proven = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
		    EVP_DigestVerify(md, sig, siglen, msg, sizeof msg) == 1;
	else
		*proven = ecdsa_verifies(pk, sig, siglen, dgst, sizeof dgst);
	EVP_MD_CTX_free(md);
	return CKR_OK;
}

int
pubkey_bn_param(EVP_PKEY *key, const char *name, unsigned char **out, CK_ULONG *len)
{
	BIGNUM *bn = NULL;
	*out = NULL;
	if (!EVP_PKEY_get_bn_param(key, name, &bn) ||
	    (*out = malloc((size_t)BN_num_bytes(bn) + 1)) == NULL) {
		BN_free(bn);
		return -1;
	}
	*len = (CK_ULONG)BN_bn2bin(bn, *out);
	BN_free(bn);
	return 0;
}
