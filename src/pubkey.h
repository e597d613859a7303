/* pubkey.h: public keys of token objects as OpenSSL keys, and their fingerprints. */
#ifndef P11BYOK_PUBKEY_H
#define P11BYOK_PUBKEY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include "p11.h"

/* The public key of OBJ (a public or private key object) from its public attributes only:
 * CKA_PUBLIC_KEY_INFO, else CKA_MODULUS + CKA_PUBLIC_EXPONENT (RSA) or CKA_EC_PARAMS +
 * CKA_EC_POINT (EC).  Returns CKR_OK with *OUT NULL when the token exposes none of them,
 * or the module's CK_RV when it failed to answer.  The caller frees *OUT.  */
CK_RV pubkey_of_object(struct p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY **out);

/* SHA-256 of KEY's DER SubjectPublicKeyInfo as 64 lower-case hex digits plus NUL.
 * Returns 0, or -1 when KEY cannot be encoded.  */
int pubkey_fingerprint(EVP_PKEY *key, char hex[65]);

/* The public key of PEM (a SubjectPublicKeyInfo in PEM), or NULL. */
EVP_PKEY *pubkey_from_pem(const char *pem);

/* Signs a fresh random message with the private key KEY on the token (RSA: SHA256-RSA-PKCS,
 * else ECDSA over its SHA-256) and verifies the signature with PK: *PROVEN tells whether
 * KEY holds PK's private half, the one proof a module that keeps no public part on a
 * private key object allows.  Returns CKR_OK, or the module's CK_RV when it cannot sign. */
CK_RV pubkey_proven(struct p11 *p, CK_OBJECT_HANDLE key, bool rsa, EVP_PKEY *pk, bool *proven);

/* The big-endian bytes of KEY's BIGNUM parameter NAME (OSSL_PKEY_PARAM_RSA_N, ...) into
 * *OUT, malloc'd, and *LEN.  0, or -1 when KEY has no such parameter or memory ran out.  */
int pubkey_bn_param(EVP_PKEY *key, const char *name, unsigned char **out, CK_ULONG *len);

#endif
