/* transfer.c: KEK, transfer key and transfer copy on the token; see transfer.h. */
#include "config.h"
#include "transfer.h"
#include "digest.h"
#include "msg.h"
#include "p11attr.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static int
kek_id(EVP_PKEY *kek, unsigned char id[KEK_ID_LEN])
{
	unsigned char *der = NULL, d[SHA256_LEN];
	int len = i2d_PUBKEY(kek, &der);
	if (len <= 0)
		return -1;
	EVP_Digest(der, (size_t)len, d, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	memcpy(id, d, KEK_ID_LEN);
	return 0;
}

CK_RV
transfer_find_kek(struct p11 *p, EVP_PKEY *kek, CK_OBJECT_HANDLE *out)
{
	unsigned char id[KEK_ID_LEN];
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_ID, id, sizeof id },
		{ CKA_TRUSTED, &yes, sizeof yes },
	};
	CK_ULONG n = 0;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if (kek_id(kek, id) < 0)
		return CKR_ARGUMENTS_BAD;
	if ((rv = p11attr_find(p, t, 3, out, 1, &n)) != CKR_OK || n == 0)
		*out = CK_INVALID_HANDLE;
	return rv;
}

/* The modulus and exponent of KEK as big-endian bytes (malloc'd). */
static int
rsa_parts(EVP_PKEY *kek, unsigned char **n, int *nlen, unsigned char **e, int *elen)
{
	BIGNUM *bn = NULL, *be = NULL;
	int r = -1;
	*n = *e = NULL;
	if (!EVP_PKEY_get_bn_param(kek, OSSL_PKEY_PARAM_RSA_N, &bn) ||
	    !EVP_PKEY_get_bn_param(kek, OSSL_PKEY_PARAM_RSA_E, &be))
		goto out;
	*nlen = BN_num_bytes(bn);
	*elen = BN_num_bytes(be);
	if ((*n = malloc((size_t)*nlen)) == NULL || (*e = malloc((size_t)*elen)) == NULL)
		goto out;
	BN_bn2bin(bn, *n);
	BN_bn2bin(be, *e);
	r = 0;
out:
	BN_free(bn);
	BN_free(be);
	return r;
}

int
transfer_install_kek(struct p11 *p, EVP_PKEY *kek, CK_OBJECT_HANDLE *out, bool *reused)
{
	unsigned char id[KEK_ID_LEN], *n = NULL, *e = NULL;
	char label[64], idhex[2 * KEK_ID_LEN + 1];
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	int nlen = 0, elen = 0, r = P11BYOK_EFAIL;
	CK_RV rv;

	*reused = false;
	if ((rv = transfer_find_kek(p, kek, out)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the KEK", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (*out != CK_INVALID_HANDLE) {
		*reused = true;
		return 0;
	}
	if (kek_id(kek, id) < 0 || rsa_parts(kek, &n, &nlen, &e, &elen) < 0) {
		msg_ssl("cannot encode the KEK");
		goto out;
	}
	hex_encode(id, 8, idhex, 0);
	snprintf(label, sizeof label, "byok-kek-%s", idhex);
	{
		/* Trusted and wrap-only: the one key a world-bound key may leave under. */
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			{ CKA_LABEL, label, strlen(label) }, { CKA_ID, id, sizeof id },
			{ CKA_MODULUS, n, (CK_ULONG)nlen }, { CKA_PUBLIC_EXPONENT, e, (CK_ULONG)elen },
			{ CKA_TRUSTED, &yes, 1 }, { CKA_WRAP, &yes, 1 },
			{ CKA_ENCRYPT, &no, 1 }, { CKA_VERIFY, &no, 1 },
			{ CKA_VERIFY_RECOVER, &no, 1 }, { CKA_DERIVE, &no, 1 },
			{ CKA_MODIFIABLE, &no, 1 },
		};
		rv = p11_fn(p)->C_CreateObject(p11_session(p), t, sizeof t / sizeof t[0], out);
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot install the KEK as a trusted key on token '%s' (C_CreateObject "
		    "in the SO session)", p11_token_label(p));
		goto out;
	}
	r = 0;
out:
	free(n);
	free(e);
	return r;
}

void
transfer_uninstall_kek(struct p11 *p, CK_OBJECT_HANDLE kek)
{
	CK_RV rv = p11_fn(p)->C_DestroyObject(p11_session(p), kek);
	if (rv != CKR_OK)
		msg_warn("cannot take the KEK this run installed off token '%s' (%s): it stays "
		    "trusted; run modify-acls again to finish", p11_token_label(p), ck_rv_name(rv));
}

static void
transfer_label(const char *ident, char *buf, size_t len)
{
	snprintf(buf, len, TRANSFER_KEY_PREFIX "%s", ident);
}

CK_RV
transfer_find_transfer_key(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out)
{
	char label[128];
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_LABEL, label, 0 } };
	CK_ULONG n = 0;
	CK_RV rv;

	transfer_label(ident, label, sizeof label);
	t[1].ulValueLen = strlen(label);
	if ((rv = p11attr_find(p, t, 2, out, 1, &n)) != CKR_OK || n == 0)
		*out = CK_INVALID_HANDLE;
	return rv;
}

int
transfer_destroy_transfer_keys(struct p11 *p, const char *ident)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_OBJECT_HANDLE h[64];
	CK_ULONG n = 0;
	CK_RV rv;
	char label[128];
	int count = 0;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_LABEL, label, 0 } };

	if (ident != NULL) {
		transfer_label(ident, label, sizeof label);
		t[1].ulValueLen = strlen(label);
	}
	if ((rv = p11attr_find(p, t, ident ? 2 : 1, h, 64, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for transfer keys", p11_token_label(p));
		return -1;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		unsigned char *l = NULL;
		size_t llen = 0;
		/* Without an ident, only keys labelled as transfer keys are ours to destroy. */
		if (ident == NULL && (p11attr_get(p, h[i], CKA_LABEL, &l, &llen) != CKR_OK ||
		    llen < strlen(TRANSFER_KEY_PREFIX) ||
		    memcmp(l, TRANSFER_KEY_PREFIX, strlen(TRANSFER_KEY_PREFIX)) != 0)) {
			free(l);
			continue;
		}
		free(l);
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), h[i])) != CKR_OK) {
			msg_ck(rv, "cannot destroy a transfer key on token '%s': destroy it before "
			    "anything else (p11byok package retries this)", p11_token_label(p));
			return -1;
		}
		count++;
	}
	return count;
}

int
transfer_create_transfer_key(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = 32;
	char label[128], id[128];
	CK_RV rv;

	snprintf(id, sizeof id, TRANSFER_KEY_PREFIX "%s", ident);
	if (transfer_destroy_transfer_keys(p, ident) < 0)
		return P11BYOK_EFAIL;
	transfer_label(ident, label, sizeof label);
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
			{ CKA_VALUE_LEN, &len, sizeof len },
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			{ CKA_LABEL, label, strlen(label) }, { CKA_ID, id, strlen(id) },
			{ CKA_TRUSTED, &yes, 1 }, { CKA_WRAP, &yes, 1 }, { CKA_UNWRAP, &no, 1 },
			{ CKA_ENCRYPT, &no, 1 }, { CKA_DECRYPT, &no, 1 }, { CKA_SIGN, &no, 1 },
			{ CKA_VERIFY, &no, 1 }, { CKA_DERIVE, &no, 1 },
			{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
			{ CKA_WRAP_WITH_TRUSTED, &yes, 1 }, { CKA_MODIFIABLE, &no, 1 },
		};
		rv = p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t, sizeof t / sizeof t[0], out);
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot create the transfer key for '%s' on token '%s' (C_GenerateKey "
		    "in the SO session)", ident, p11_token_label(p));
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

int
transfer_make_copy(struct p11 *p, CK_OBJECT_HANDLE target, const char *ident,
    CK_OBJECT_HANDLE *out, bool *reused)
{
	CK_OBJECT_CLASS cls = 0;
	char label[128];
	CK_RV rv;

	*reused = false;
	if ((rv = transfer_find_copy(p, ident, out)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the transfer copy", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (*out != CK_INVALID_HANDLE) {
		*reused = true;
		return 0;
	}
	snprintf(label, sizeof label, TRANSFER_COPY_PREFIX "%s", ident);
	/* The class chooses the template: a guess would make a wrong copy or a misleading
	 * error.  */
	if ((rv = p11attr_ulong(p, target, CKA_CLASS, &cls)) != CKR_OK) {
		msg_ck(rv, "cannot read the class of key '%s' on token '%s' (C_GetAttributeValue)",
		    ident, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	{
		/* Every usage off: the copy can only be wrapped, and only under a trusted key.
		 * SoftHSMv2 applies the template in order and refuses changes once CKA_MODIFIABLE
		 * is false, so that comes last; encrypt, wrap and verify exist on secret keys only. */
		CK_ATTRIBUTE t[11];
		CK_ULONG count = 0;
		t[count++] = (CK_ATTRIBUTE){ CKA_LABEL, label, strlen(label) };
		t[count++] = (CK_ATTRIBUTE){ CKA_SIGN, &no, 1 };
		t[count++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, 1 };
		t[count++] = (CK_ATTRIBUTE){ CKA_UNWRAP, &no, 1 };
		t[count++] = (CK_ATTRIBUTE){ CKA_DERIVE, &no, 1 };
		if (cls == CKO_SECRET_KEY) {
			t[count++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &no, 1 };
			t[count++] = (CK_ATTRIBUTE){ CKA_WRAP, &no, 1 };
			t[count++] = (CK_ATTRIBUTE){ CKA_VERIFY, &no, 1 };
		} else {
			t[count++] = (CK_ATTRIBUTE){ CKA_SIGN_RECOVER, &no, 1 };
		}
		t[count++] = (CK_ATTRIBUTE){ CKA_MODIFIABLE, &no, 1 };
		rv = p11_fn(p)->C_CopyObject(p11_session(p), target, t, count, out);
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot make the reduced-permission copy of '%s' on token '%s' "
		    "(C_CopyObject)", ident, p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}
