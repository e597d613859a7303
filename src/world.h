/* world.h: the security world (DESIGN.md §1–§3): kmdata/world, the record of which token is
 * the world, its cipher suite, card quorum and world hash; and the world backup key, the
 * SO-created AES-256 key under which every key of the world is backed up.
 *
 * The world hash is fixed at `world init` and never depends on the card files (the cards
 * bind it as authenticated data).  */
#ifndef P11BYOK_WORLD_H
#define P11BYOK_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include "p11.h"

/* CKA_LABEL and CKA_ID of the world backup key on the token. */
#define WORLD_KEY_LABEL "byok-world-key"
#define WORLD_KEY_ID "world"

#define WORLD_MAX_CARDS 16

struct world {
	char *token_label;
	char *token_serial;
	char *cipher_suite;		/* "DLf3072s256mRijndael" or the legacy one */
	unsigned k, n;			/* quorum K of N */
	char card_fp[WORLD_MAX_CARDS][65];	/* SHA-256 of each card file, hex; index 0 = card 1 */
	char hash[65];			/* world hash, lower-case hex SHA-256 */
	char so_check[17];		/* check value of the SO secret (cards.h), hex; empty
					 * in a world made before it was recorded */
	char *created;			/* ISO 8601 UTC */
};

/* Reads KMDATA/world.  Returns 0 with *OUT the caller frees with world_free; P11BYOK_EUSAGE
 * after one line ("KMDATA/world:LINE:COL: ..." for bad YAML, or "no world in KMDATA: run
 * 'p11byok world init'").  */
int world_load(const char *kmdata, struct world **out);

/* Writes W to KMDATA/world atomically, mode 0600 (refused when one exists unless FORCE).
 * Returns 0 or the exit code after one line.  */
int world_save(const char *kmdata, const struct world *w, bool force);

void world_free(struct world *w);

/* Whether P's chosen token is W's token (same serial and label); one line and
 * P11BYOK_EUSAGE when not, naming both.  */
int world_check_token(const struct world *w, struct p11 *p);

/* The world backup key on P's token, checked (world_key_check): 0 with *OUT, P11BYOK_EENV
 * when there is none, P11BYOK_EFAIL when the one there is not right or not the only one,
 * after one line.  */
int world_open_key(struct p11 *p, CK_OBJECT_HANDLE *out);
/* As world_open_key, but no key at all is an answer: 0 with *OUT CK_INVALID_HANDLE. */
int world_lookup_key(struct p11 *p, CK_OBJECT_HANDLE *out);

/* Whether H is the world backup key as world init makes it: AES-256, trusted, wrap and
 * unwrap only, born in the token and never extractable, not modifiable, with exactly its
 * wrap and unwrap templates.  Returns 0 with WHY empty when it is, or naming the first
 * difference; P11BYOK_EFAIL after one line when the token fails to answer.  */
int world_key_check(struct p11 *p, CK_OBJECT_HANDLE h, char *why, size_t len);

/* Whether the world key H can neither be destroyed nor copied (CKA_DESTROYABLE and
 * CKA_COPYABLE false): worlds made before p11byok asked for it, or on modules without those
 * attributes, are not.  */
bool world_key_protected(struct p11 *p, CK_OBJECT_HANDLE h);

/* (SO session) Generates the world backup key with the attributes of DESIGN.md §2: AES-256,
 * token, public, CKA_TRUSTED, wrap+unwrap, sensitive, not extractable, not modifiable, not
 * destroyable or copyable where the module knows those, CKA_UNWRAP_TEMPLATE =
 * {CKA_WRAP_WITH_TRUSTED, CKA_SENSITIVE}, CKA_WRAP_TEMPLATE = {CKA_MODIFIABLE}.  Returns 0
 * or P11BYOK_EFAIL after one line.  */
int world_create_key(struct p11 *p, CK_OBJECT_HANDLE *out);

/* The cipher suites `world init` accepts, NULL-terminated; the first is the default. */
extern const char *const world_cipher_suites[];
bool world_suite_known(const char *suite);
/* Whether SUITE is the legacy DLf1024s160mRijndael (accepted with a warning). */
bool world_suite_legacy(const char *suite);

/* Parses "K/N" with 1 <= K <= N <= WORLD_MAX_CARDS into *K, *N; false otherwise. */
bool world_parse_quorum(const char *text, unsigned *k, unsigned *n);

/* KMDATA/world into BUF; NULL when too long. */
const char *world_path(const char *kmdata, char *buf, size_t len);

/* Sets W->hash to a fresh world hash: SHA-256 over W's token label, cipher suite, quorum,
 * creation time and 32 random bytes (so two inits never share one).  Not the serial: a free
 * token gets its serial only at C_InitToken, after the cards that bind the hash are written.
 * 0 or P11BYOK_EFAIL after one line.  */
int world_new_hash(struct world *w);

/* The current time as ISO 8601 UTC ("2024-05-01T12:00:00Z"), malloc'd; NULL when out of
 * memory.  */
char *world_now(void);

/* Chooses W's token on P: the one URI names (when not NULL), else the one with W's serial;
 * then checks it is W's (world_check_token).  Returns 0 or the exit code after one line.  */
int world_select_token(const struct world *w, struct p11 *p, const char *uri);

#endif
