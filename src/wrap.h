/* wrap.h: the two ways to make (and open) the BYOK ciphertext inside a token (DESIGN.md §2).
 *
 * Native: one C_WrapKey with CKM_RSA_AES_KEY_WRAP (for Azure: AES-256, OAEP SHA-1).
 * Composed, for modules without it: the key under a single-use AES-256 transfer key with
 * CKM_AES_KEY_WRAP_PAD (RFC 5649), the transfer key under the KEK with CKM_RSA_PKCS_OAEP;
 * ciphertext = OAEP part || KWP part.  Both give the same bytes a receiver can open.  */
#ifndef P11BYOK_WRAP_H
#define P11BYOK_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include "p11.h"

/* How a ciphertext is made: the way the module allows, and what the cloud target fixes. */
struct wrap_params {
	bool native;			/* CKM_RSA_AES_KEY_WRAP in one call, else composed */
	CK_MECHANISM_TYPE oaep_hash;	/* OAEP's hash, and MGF1's: CKM_SHA_1 or CKM_SHA256 */
	CK_ULONG aes_bits;		/* the AES key the key is wrapped under (composed: the
					 * transfer key's size) */
};

/* Azure Key Vault's .byok: OAEP SHA-1 with MGF1-SHA-1, no label; AES-256.  */
struct wrap_params wrap_params_azure(bool native);

/* "SHA-1", "SHA-256", ... for an OAEP hash; "?" for another.  */
const char *wrap_hash_name(CK_MECHANISM_TYPE hash);

/* OpenSSL's digest for an OAEP hash; NULL for another.  */
const EVP_MD *wrap_hash_md(CK_MECHANISM_TYPE hash);

/* Whether the chosen token offers CKM_RSA_AES_KEY_WRAP, in *NATIVE.  Returns CKR_OK, or the
 * module's CK_RV when it could not say (a failure, not an answer).  */
CK_RV wrap_has_native(struct p11 *p, bool *native);

/* Wraps KEY for the KEK public key object KEK as WP says: natively (TRANSFER is then 0), or
 * composed with the AES transfer key TRANSFER.  *CT is malloc'd.  Returns CKR_OK or the
 * module's CK_RV; *STEP names the call that failed.  */
CK_RV wrap_byok(struct p11 *p, const struct wrap_params *wp, CK_OBJECT_HANDLE kek,
    CK_OBJECT_HANDLE transfer,
    CK_OBJECT_HANDLE key, unsigned char **ct, size_t *len, const char **step);

/* Unwraps CT (LEN bytes) with the KEK private key KEK whose modulus is MODULUS_LEN bytes,
 * creating the key TMPL describes.  WP->native picks CKM_RSA_AES_KEY_WRAP, else the two
 * steps with a session AES key that is destroyed on every path.  Returns CKR_OK or the
 * module's CK_RV; *STEP names the call that failed.  */
CK_RV wrap_unbyok(struct p11 *p, const struct wrap_params *wp, CK_OBJECT_HANDLE kek,
    size_t modulus_len,
    unsigned char *ct, size_t len, CK_ATTRIBUTE *tmpl, CK_ULONG count,
    CK_OBJECT_HANDLE *key, const char **step);

#endif
