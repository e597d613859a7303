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

/* The world backup key on P's token, CK_INVALID_HANDLE when absent.  CKR_OK or the CK_RV. */
CK_RV world_find_key(struct p11 *p, CK_OBJECT_HANDLE *out);

/* (SO session) Generates the world backup key with the attributes of DESIGN.md §2: AES-256,
 * token, public, CKA_TRUSTED, wrap+unwrap, sensitive, not extractable, CKA_UNWRAP_TEMPLATE =
 * {CKA_WRAP_WITH_TRUSTED, CKA_SENSITIVE}.  Returns 0 or P11BYOK_EFAIL after one line.  */
int world_create_key(struct p11 *p, CK_OBJECT_HANDLE *out);

#endif
