/* attest.h: the KEK and security-world packages of a region (DESIGN.md §3), verified to the
 * pinned vendor root: seed step 3.4 (verifykeypackage.py).
 *
 * A package is CMS SignedData (DER or PEM) whose content is a JSON statement, signed by an
 * HSM device certificate that chains to a root whose DER SubjectPublicKeyInfo hashes to the
 * pin.  Nothing from a package is used before both packages are verified.  */
#ifndef P11BYOK_ATTEST_H
#define P11BYOK_ATTEST_H

#include <stddef.h>
#include <openssl/evp.h>
#include "digest.h"

struct region;

/* The root key hash a package must chain to: SHA-1 (20 bytes) or SHA-256 (32). */
struct attest_pin {
	unsigned char hash[SHA256_LEN];
	size_t len;
};

/* What a successful verification established.  Strings and the key belong to the result. */
struct attest_result {
	EVP_PKEY *kek;			/* the KEK public key: RSA, >= 2048 bits */
	char *kid;			/* the KEK identifier for the .byok header */
	char *device_subject;		/* the signing device certificate, one line */
	char *root_subject;		/* the root the chain ends at, one line */
	char root_hash[2 * SHA256_LEN + 1];	/* the pin, lower-case hex */
	const char *root_hash_alg;	/* "SHA-1" or "SHA-256" */
	char kek_fingerprint[65];	/* SHA-256 of the KEK's SubjectPublicKeyInfo, hex */
	unsigned kek_bits;
	char world_hash[65];		/* lower-case hex, equal in both statements */
	char *region_code;
	char *kek_name, *world_name;	/* the package names the statements carry */
};

/* Parses a root key hash as people type it: hex, any case, spaces, tabs or colons anywhere.
 * Returns 0, or P11BYOK_EUSAGE after one line naming WHAT ("--root-hash") when it is not hex
 * or is neither 40 (SHA-1) nor 64 (SHA-256) digits.  */
int attest_parse_pin(const char *text, const char *what, struct attest_pin *out);

/* The pin REG's manifest carries (root_key_hash). */
void attest_region_pin(const struct region *reg, struct attest_pin *out);

/* Verifies the KEK package (KEK, KEK_LEN bytes, named KEK_WHAT in messages) and the world
 * package against REG and PIN: signatures, chains, validity, key usage, then the statements.
 * Returns 0 with *OUT the caller frees with attest_result_free; P11BYOK_EFAIL after one line
 * giving the first reason verification failed; P11BYOK_EUSAGE after one line when an input
 * is malformed (not CMS, or signed content that is not a JSON statement).  */
int attest_verify(const unsigned char *kek, size_t kek_len, const char *kek_what,
    const unsigned char *world, size_t world_len, const char *world_what,
    const struct region *reg, const struct attest_pin *pin, struct attest_result **out);

/* The same over the files KEK_PATH and WORLD_PATH; an unreadable file is P11BYOK_EUSAGE. */
int attest_verify_files(const char *kek_path, const char *world_path,
    const struct region *reg, const struct attest_pin *pin, struct attest_result **out);

/* The file of package NAME (a manifest's kek_package or world_package) in DIR (NULL: the
 * current directory): DIR/NAME as the toolset ships it, else NAME.p7s or NAME.pem.  Writes
 * it to PATH (LEN bytes) and returns 0, or P11BYOK_EUSAGE after one line naming WHAT.  */
int attest_package_path(const char *dir, const char *name, const char *what, char *path,
    size_t len);
/* attest_package_path without a message: 0 when found, -1 when none is there, -2 when the
 * path does not fit in LEN.  */
int attest_find_package(const char *dir, const char *name, char *path, size_t len);

void attest_result_free(struct attest_result *res);

#endif
