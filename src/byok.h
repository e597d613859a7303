/* byok.h: the Azure BYOK transfer file (DESIGN.md §3).
 *
 *   {"schema_version":"1.0.0","header":{"kid":KEK id,"alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},
 *    "ciphertext":base64url,"generator":"p11byok VERSION; MODULE manufacturer/model/firmware"}
 *
 * ciphertext = RSA-OAEP(SHA-1) of a fresh AES-256 key under the KEK (modulus-length bytes)
 *              followed by RFC 5649 key wrap of the target key under that AES key.  */
#ifndef P11BYOK_BYOK_H
#define P11BYOK_BYOK_H

#include <stdbool.h>
#include <stddef.h>

struct byok {
	char *kid;
	char *generator;
	unsigned char *ciphertext;
	size_t ciphertext_len;
};

/* Reads and validates the .byok at PATH.  Returns 0 with a struct the caller frees, or
 * P11BYOK_EUSAGE after one line naming PATH (and line:column for JSON syntax).  */
int byok_read(const char *path, struct byok **out);

/* B as the .byok's JSON text, which the caller frees; NULL after one line when out of
 * memory.  */
char *byok_encode(const struct byok *b);

void byok_free(struct byok *b);

/* What a ciphertext of LEN bytes implies: the KEK modulus in bits (0 when no RSA size from
 * 2048 to 4096 bits leaves a plausible key-wrap part), the length of the RFC 5649 part, and
 * a description of the wrapped key that length fits ("RSA-2048 private key (PKCS#8)").  */
struct byok_shape {
	unsigned kek_bits;
	size_t wrapped_len;
	const char *key_kind;
};
void byok_shape(size_t len, struct byok_shape *shape);

/* The wrapped key's kind from the length of its RFC 5649 part: BYOK_AES up to 40 bytes (a
 * raw 128- to 256-bit key), BYOK_EC up to 300 (a PKCS#8 EC key), BYOK_RSA above.  */
enum byok_kind { BYOK_AES, BYOK_EC, BYOK_RSA };
enum byok_kind byok_kind_of(size_t wrapped_len);

#endif
