/* keygen.h: world-bound keys (DESIGN.md §2 "target key"): generated on the token in a user
 * session with CKA_WRAP_WITH_TRUSTED set at birth, backed up under the world backup key into
 * kmdata/key_simple_ID, and re-created from that record by restore.
 *
 * Both need P logged in as the user on the world's token, and KMDATA holding its world.  */
#ifndef P11BYOK_KEYGEN_H
#define P11BYOK_KEYGEN_H

#include <stdbool.h>
#include "keyspec.h"
#include "p11.h"

#define KEYGEN_IDENT_MAX 64
#define KEYGEN_LABEL_MAX 127

/* A plainname (CKA_LABEL): 1 to 127 bytes of UTF-8 text without control characters. */
bool keygen_valid_label(const char *label);

/* The curve name ("P-256") of a CKA_EC_PARAMS value, or NULL when not one keyspec knows. */
const char *keygen_curve_of_params(const unsigned char *der, size_t len);

/* What generate or restore made. */
struct keygen_result {
	CK_OBJECT_HANDLE key;		/* the private or secret key */
	CK_OBJECT_HANDLE pub;		/* its public key object; CK_INVALID_HANDLE for AES */
	bool pub_created;		/* restore: the public key object was re-created */
	char fingerprint[65];		/* SHA-256 of the SubjectPublicKeyInfo, hex; "" for AES */
	char world_hash[65];
	char record[4096];		/* path of key_simple_ID */
	size_t wrapped_len;		/* bytes of the backup under the world key */
	const char *recovered;		/* keygen_make: what it found a cut-short generate had
					 * left and dealt with, for the audit line; NULL */
};

/* Generates KS as key IDENT (CKA_ID) labelled PLAINNAME (CKA_LABEL) on P's token: token,
 * private, sensitive, extractable, CKA_WRAP_WITH_TRUSTED, usage RSA sign+decrypt, EC sign,
 * AES encrypt+decrypt; a public key object with the same ID and label for RSA and EC.  Wraps
 * it under the world backup key with CKM_AES_KEY_WRAP_PAD and writes KMDATA/key_simple_IDENT.
 * All or nothing: when anything after generation fails the new objects are destroyed.
 * Refuses an ident that any object on the token or a record in KMDATA already has.
 * Returns 0, or the exit code after one line.  */
int keygen_generate(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res);

/* Finishes a generate that was cut short after the token made the key (a run killed
 * before the record was written): finds key IDENT without a record, checks it is what
 * generate makes for KS (born on the token, sensitive, extractable only under trusted keys,
 * KS's type and size), and backs it up into KMDATA/key_simple_IDENT as generate would.
 * Refuses anything else with the ident.  Returns 0, or the exit code after one line.  */
int keygen_adopt(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res);

/* The key IDENT of KS on P's token, as generate and run make it, whatever a generate that
 * was cut short (a crash, a lost reply) left behind: with nothing under the ident,
 * keygen_generate; with the key but no record, keygen_adopt; with only the public key
 * object generate makes first (a kill inside key-pair generation), that lone half is
 * destroyed and the key generated anew.  RES->recovered says which of the last two.  Any
 * other object under the ident is refused, naming the command that clears it.  Returns 0,
 * or the exit code after one line.  */
int keygen_make(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res);

/* Whether generate of key IDENT (KS, PLAINNAME) is done already: kmdata has its record, of
 * KS and PLAINNAME, and the key on P's token is the record's (keycheck.h).  *DONE, with RES
 * describing it (no handles to discard); without a record, *DONE false.  A record of
 * another key under IDENT, or its key missing or not the record's, is refused.  Returns 0,
 * or the exit code after one line.  */
int keygen_finished(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, bool *done, struct keygen_result *res);

/* Appends the 'generate' event of RES (key IDENT of KS) to KMDATA's audit log.  0 or
 * P11BYOK_EFAIL after one line.  */
int keygen_audit(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const struct keygen_result *res);

/* Re-creates key IDENT from KMDATA/key_simple_IDENT on P's token, which must be the
 * record's (serial) and the world's (world hash): C_UnwrapKey under the world key with the
 * attributes generate gave it, the public key object re-created from the record when
 * missing, then a signature by the restored key checked with the record's public key (RSA
 * and EC).  Refuses when the key still exists.  All or nothing.  Returns 0, or the exit
 * code after one line.  */
int keygen_restore(struct p11 *p, const char *kmdata, const char *ident,
    struct keygen_result *res);

/* Undoes a generate (RECORD true: the key, its public key object and its record) or a
 * restore (RECORD false: the restored key and a re-created public key object) whose
 * command failed afterwards (the audit log could not be written).  Warns what it could not
 * undo.  */
void keygen_discard(struct p11 *p, const char *ident,
    const struct keygen_result *res, bool record);

#endif
