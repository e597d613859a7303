/* keyrecord.h: the key record files of kmdata (DESIGN.md §3), YAML, written atomically with
 * mode 0600:
 *   key_simple_ID    a world-bound key: its names, type, token, world, public key, and the
 *                    key wrapped under the world backup key (what `restore` re-creates it from)
 *   key_xferacld_ID  its reduced-permission transfer copy, made by `modify-acls`  */
#ifndef P11BYOK_KEYRECORD_H
#define P11BYOK_KEYRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "keyspec.h"

struct key_simple {
	char *ident;
	char *plainname;
	struct keyspec spec;		/* type, bits, curve, pubexp */
	char *token_serial;
	char *world_hash;		/* 64 hex */
	char *public_pem;		/* PEM SubjectPublicKeyInfo; NULL for AES */
	char *check_value;		/* AES: CKA_CHECK_VALUE as hex, NULL when the module
					 * gives none (or a record older than the field) */
	char *created;			/* ISO 8601 UTC */
	unsigned char *wrapped;		/* the key under the world backup key (RFC 5649) */
	size_t wrapped_len;
};

struct key_xferacld {
	char *ident;
	char *token_serial;
	char *world_hash;
	char *kek_fingerprint;		/* SHA-256 of the KEK SubjectPublicKeyInfo, hex */
	char *kek_id;			/* kid */
	bool attested;			/* KEK came from a verified package */
	char *region;			/* manifest code, or NULL for a Key Vault PEM */
	bool native;			/* module offers CKM_RSA_AES_KEY_WRAP */
	char *created;
};

/* Paths KMDATA/key_simple_ID and KMDATA/key_xferacld_ID into BUF; NULL when too long. */
const char *keyrecord_simple_path(const char *kmdata, const char *ident, char *buf, size_t len);
const char *keyrecord_xferacld_path(const char *kmdata, const char *ident, char *buf,
    size_t len);

/* Read: 0 with *OUT the caller frees; P11BYOK_EUSAGE after one line (file:line:col for bad
 * YAML, or "no record for ident ID: generate it first").  */
int keyrecord_simple_load(const char *kmdata, const char *ident, struct key_simple **out);
int keyrecord_xferacld_load(const char *kmdata, const char *ident, struct key_xferacld **out);

/* Write atomically, mode 0600, refusing to overwrite unless FORCE.  0 or the exit code. */
int keyrecord_simple_save(const char *kmdata, const struct key_simple *k, bool force);
int keyrecord_xferacld_save(const char *kmdata, const struct key_xferacld *x, bool force);

void key_simple_free(struct key_simple *k);
void key_xferacld_free(struct key_xferacld *x);

#endif
