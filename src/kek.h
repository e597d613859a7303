/* kek.h: the key exchange key a .byok is made for: from an attested package (attest.h) or,
 * in the current Azure method, a PEM downloaded from Key Vault with its kid.  */
#ifndef P11BYOK_KEK_H
#define P11BYOK_KEK_H

#include <openssl/evp.h>

struct kek {
	EVP_PKEY *key;		/* RSA public key, >= 2048 bits */
	char *kid;		/* goes into the .byok header */
	char fingerprint[65];	/* SHA-256 of the SubjectPublicKeyInfo, hex */
	unsigned bits;
	int attested;		/* 1 when it came from a verified KEK package */
};

/* Loads the PEM public key at PATH for KID: RSA of at least 2048 bits, else P11BYOK_EUSAGE
 * naming the file.  Returns 0 with *OUT the caller frees with kek_free.  */
int kek_from_pem(const char *path, const char *kid, struct kek **out);

struct ctx;
/* The KEK of REGION's attested package (KEK and world packages named as its manifest says,
 * looked up in TOOLSET_DIR or the current directory; see attest_package_path), verified to
 * the root key hash ROOT_HASH when given (hex, SHA-1 or SHA-256), else to the one the
 * manifest pins.  Returns 0 with *OUT (attested = 1), or the exit code after one line.  */
int kek_from_region(struct ctx *ctx, const char *region, const char *toolset_dir,
    const char *root_hash, struct kek **out);

/* The KEK a command was given: REGION's attested package (as kek_from_region) when REGION
 * is not NULL, else the Key Vault PEM at KEK_PEM with KEK_ID (as kek_from_pem, with a warning
 * that it carries no attestation and the fingerprint to check).  Same returns.  */
int kek_load(struct ctx *ctx, const char *region, const char *toolset_dir,
    const char *root_hash, const char *kek_pem, const char *kek_id, struct kek **out);

/* Takes KEY (stolen) and KID (copied) into a new struct kek; NULL when out of memory. */
struct kek *kek_new(EVP_PKEY *key, const char *kid, int attested);

void kek_free(struct kek *k);

#endif
