/* kek.h: the key exchange key a .byok is made for: from an attested package (attest.h) or,
 * in the current Azure method, a PEM downloaded from Key Vault with its kid.  */
#ifndef P11BYOK_KEK_H
#define P11BYOK_KEK_H

#include "cli.h"

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

/* Where a command's KEK comes from, as its options gave it: REGION's attested package
 * (looked up in TOOLSET_DIR, verified to ROOT_HASH when given), or the Key Vault PEM at PEM
 * with its key id ID.  The strings belong to the caller (argv or a runbook).  */
struct kek_source {
	const char *region, *toolset_dir, *root_hash, *pem, *id;
};

/* The options of commands that take a KEK (modify-acls, package): KEK_LONGOPTS in their
 * struct option[], KEK_OPT_DOCS in their docs; kek_source_option returns CLI_CONTINUE when
 * OPT was one of them (recorded in SRC), else -2.  */
enum {
	KEK_OPT_REGION = OPT_COMMAND_BASE + 0x90, KEK_OPT_TOOLSET_DIR, KEK_OPT_ROOT_HASH,
	KEK_OPT_PEM, KEK_OPT_ID,
};
#define KEK_LONGOPTS \
	{ "region", required_argument, NULL, KEK_OPT_REGION }, \
	{ "toolset-dir", required_argument, NULL, KEK_OPT_TOOLSET_DIR }, \
	{ "root-hash", required_argument, NULL, KEK_OPT_ROOT_HASH }, \
	{ "kek-pem", required_argument, NULL, KEK_OPT_PEM }, \
	{ "kek-id", required_argument, NULL, KEK_OPT_ID }
#define KEK_OPT_DOCS \
	{ "--region", "R", "the region whose attested KEK package to use (verified first)" }, \
	{ "--toolset-dir", "DIR", "where the region's KEK and world packages are (default .)" }, \
	{ "--root-hash", "H", "vendor root key hash to verify them to (default: the manifest's)" }, \
	{ "--kek-pem", "F", "the KEK downloaded from Key Vault, a PEM public key (no attestation)" }, \
	{ "--kek-id", "KID", "the Key Vault key id of that KEK (goes into the .byok header)" }
int kek_source_option(struct kek_source *src, int opt, const char *arg);

/* Checks that SRC names exactly one KEK: --region (with --toolset-dir and --root-hash only
 * beside it) or --kek-pem with --kek-id.  Returns 0, or cli_usage_error's code for CMD.  */
int kek_source_check(const struct command *cmd, const struct kek_source *src);

/* The KEK SRC names: the region's attested package (as kek_from_region) when SRC->region is
 * set, else the Key Vault PEM (as kek_from_pem, with a warning that it carries no
 * attestation and the fingerprint to check).  Same returns.  */
int kek_load(struct ctx *ctx, const struct kek_source *src, struct kek **out);

/* Takes KEY (stolen) and KID (copied) into a new struct kek; NULL when out of memory. */
struct kek *kek_new(EVP_PKEY *key, const char *kid, int attested);

void kek_free(struct kek *k);

#endif
