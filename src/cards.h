/* cards.h: the administrator cards of a world (DESIGN.md §1–§2): Shamir K-of-N shares of the
 * SO secret (libgfshare, GF(2^8), randomness from OpenSSL's RAND_priv_bytes), each in its own
 * file card-I-of-N.acs encrypted under its holder's passphrase.
 *
 * Card file format, version 1: one JSON object (UTF-8, one line, then "\n"):
 *
 *   {"format": "p11byok-card", "version": 1,
 *    "world_hash": "<64 hex>", "index": I, "n": N, "k": K,
 *    "kdf": {"name": "scrypt", "salt": "<base64, 16 bytes>", "N": 131072, "r": 8, "p": 1},
 *    "cipher": "AES-256-GCM", "iv": "<base64, 12 bytes>",
 *    "ciphertext": "<base64>", "tag": "<base64, 16 bytes>"}
 *
 * key = scrypt(passphrase, salt, N, r, p, 32 bytes); plaintext = the share (as long as the
 * SO secret); the GCM additional authenticated data is the text
 * "p11byok-card v1|WORLD_HASH|I|N|K", so a card cannot be moved to another world, index or
 * quorum without its tag failing.  A card's fingerprint is the SHA-256 of its file, listed
 * in kmdata/world.  */
#ifndef P11BYOK_CARDS_H
#define P11BYOK_CARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The SO secret: this many random bytes (fewer when the token's ulMaxPinLen is short, never
 * fewer than CARD_SECRET_MIN), used as the SO PIN in lower-case hex (cards_pin).  */
#define CARD_SECRET_LEN 32
#define CARD_SECRET_MIN 16

/* Passphrases chosen at world init: at least this long, with at least this many different
 * characters, and not only digits; and no two cards of a world share one.  */
#define CARD_MIN_PASSPHRASE 12
#define CARD_MIN_DISTINCT 8

struct card {
	char *path;
	unsigned version, index, n, k;
	char world_hash[65];
	char fp[65];			/* SHA-256 of the file, hex */
	unsigned char salt[16];
	uint64_t scrypt_n;
	uint32_t scrypt_r, scrypt_p;
	unsigned char iv[12], tag[16];
	unsigned char *ct;
	size_t ct_len;
};

/* Reads and checks the card file PATH (format, version, fields, sizes, scrypt parameters
 * within bounds).  Returns 0 with *OUT the caller frees with card_free, or P11BYOK_EUSAGE
 * after one line naming PATH ("is not a p11byok card", "is corrupted: ...").  */
int card_load(const char *path, struct card **out);
void card_free(struct card *c);

/* Decrypts card C with PASS into a new secure-heap buffer *SHARE (C->ct_len bytes) that the
 * caller frees with OPENSSL_secure_clear_free.  Returns 0, or P11BYOK_EUSAGE after one line
 * naming the card when the passphrase is wrong or the card was altered (the tag fails),
 * P11BYOK_EFAIL when the KDF or cipher fails.  */
int card_open(const struct card *c, const char *pass, size_t pass_len, unsigned char **share);

/* Encrypts SHARE (LEN bytes) as card INDEX of N (quorum K) of world WORLD_HASH under PASS
 * and writes it to DIR/card-INDEX-of-N.acs atomically, mode 0600, never over an existing
 * file.  The path goes to PATH (PATH_LEN bytes), the file's SHA-256 (hex) to FP.  Returns 0
 * or the exit code after one line.  */
int card_write(const char *dir, const char *world_hash, unsigned index, unsigned n, unsigned k,
    const unsigned char *share, size_t len, const char *pass, size_t pass_len,
    char *path, size_t path_len, char fp[65]);

/* The file name "card-I-of-N.acs" into BUF. */
void card_name(unsigned index, unsigned n, char *buf, size_t len);

/* Splits SECRET (LEN bytes) into N shares, any K of which rebuild it; share I (1-based) is
 * at SHARES + (I - 1) * LEN, in a new secure-heap buffer of N * LEN bytes the caller frees
 * with OPENSSL_secure_clear_free.  Returns 0 or P11BYOK_EFAIL after one line.  */
int cards_split(const unsigned char *secret, size_t len, unsigned k, unsigned n,
    unsigned char **shares);

/* Rebuilds the secret (LEN bytes into SECRET) from COUNT shares, SHARES[i] being share
 * number INDEX[i] (1..255, distinct).  Returns 0 or P11BYOK_EFAIL after one line.  */
int cards_combine(unsigned count, const unsigned char *index, unsigned char *const *shares,
    size_t len, unsigned char *secret);

/* The SO PIN for SECRET: its LEN bytes in lower-case hex, in a new secure-heap buffer that
 * the caller frees with secret_free(*PIN, *PIN_LEN).  0 or P11BYOK_EFAIL after one line.  */
int cards_pin(const unsigned char *secret, size_t len, char **pin, size_t *pin_len);

/* The check value of the SO secret SECRET (LEN bytes) that kmdata/world records: the first
 * 8 bytes of HMAC-SHA-256 under the secret of a fixed label, as 16 hex digits and a NUL in
 * OUT.  A wrong share is caught with it before a failed SO login counts toward the token's
 * lockout; it tells nothing of a 256-bit secret.  0 or P11BYOK_EFAIL after one line.  */
int cards_check_value(const unsigned char *secret, size_t len, char out[17]);
/* Whether SECRET's check value is CHECK. */
bool cards_check_value_matches(const unsigned char *secret, size_t len, const char *check);

/* A card passphrase: from PASS_FILE when not NULL, else asked on the terminal naming CARD.
 * With NEW (world init), it must pass the floor above (CARD_MIN_PASSPHRASE ...) and the
 * prompt asks twice.  *PASS is in the secure heap; free it with secret_free.  Returns 0 or
 * P11BYOK_EUSAGE after one line.  */
int card_passphrase(const char *pass_file, const char *card, bool new_card, char **pass,
    size_t *len);

#endif
