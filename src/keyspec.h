/* keyspec.h: what a key to be generated is (type, size, curve, exponent) and the names it is
 * known by (ident, friendly name, subscription id), checked the same way for the command
 * line and for runbooks.  */
#ifndef P11BYOK_KEYSPEC_H
#define P11BYOK_KEYSPEC_H

#include <stdbool.h>
#include <stddef.h>

enum key_type { KEY_RSA, KEY_EC, KEY_AES };

struct keyspec {
	enum key_type type;
	unsigned bits;		/* RSA modulus or AES key size; the curve size for EC */
	const char *curve;	/* "P-256", "P-384", "P-521" (static) for EC, else NULL */
	unsigned long pubexp;	/* RSA public exponent */
};

/* Which input keyspec_parse found wrong. */
enum keyspec_error { KS_OK = 0, KS_BAD_TYPE, KS_BAD_SIZE, KS_BAD_CURVE, KS_BAD_PUBEXP };

/* Parses TYPE ("RSA", "EC", "AES", any case), SIZE (plain decimal: no sign, leading zero,
 * 0x or separator; or NULL), CURVE (NULL or "P-256", "prime256v1", "secp384r1", ...) and
 * PUBEXP (NULL or "" = 65537, plain decimal or 0x hex, odd, >= 3).  Returns KS_OK, or the input at fault with a sentence for the user in ERR (what is
 * wrong and what is allowed).  */
enum keyspec_error keyspec_parse(const char *type, const char *size, const char *curve, const char *pubexp,
    struct keyspec *out, char *err, size_t errlen);

/* "RSA-2048", "EC P-256", "AES-256" into BUF. */
const char *keyspec_name(const struct keyspec *ks, char *buf, size_t len);

/* An ident: 1 to 64 of digits, lower-case letters and dashes (the seed's rule). */
bool keyspec_valid_ident(const char *ident);
/* A friendly name, the NAME of KeyTransferPackage-NAME.byok: 1 to 127 letters, digits and
 * dashes (Azure Key Vault's key-name rule; never a path).  */
bool keyspec_valid_friendly_name(const char *name);
/* A subscription id: a GUID, 8-4-4-4-12 hex digits. */
bool keyspec_valid_guid(const char *guid);

#endif
