/* package.h: one key's .byok from the token (seed step 4.2), for `package` and `run`.
 *
 * The caller has verified the KEK and logged the user in; this finds the key's transfer copy,
 * the trusted KEK object and (composed path) the transfer key, wraps inside the token,
 * destroys the transfer key on every path, writes the .byok and the audit line.  */
#ifndef P11BYOK_PACKAGE_H
#define P11BYOK_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "kek.h"
#include "keyspec.h"
#include "p11.h"

struct package_result {
	enum key_type type;
	bool native;		/* CKM_RSA_AES_KEY_WRAP, else composed */
	size_t ciphertext_len;
};

/* Packages IDENT for KEK into PATH (refused when it exists, unless FORCE).  SUBSCRIPTION
 * (may be NULL) goes into the audit line in KMDATA (may be NULL).  Returns 0, or the exit
 * code of the failure after one line; nothing is left at PATH on failure.  */
int package_key(struct p11 *p, const struct kek *kek, const char *ident, const char *path,
    bool force, const char *subscription, const char *kmdata, struct package_result *res);

/* Handles a batch already knows, so that package_key_known need not search the token for
 * them (a search costs a pass over every object on SoftHSMv2); CK_INVALID_HANDLE where
 * unknown.  TYPE is TARGET's type when TARGET is given.  */
struct package_handles {
	CK_OBJECT_HANDLE target, copy, kek, transfer;
	enum key_type type;
};

/* As package_key, with the handles in KNOWN taken as found; the others are looked up on the
 * token as package_key does, and KNOWN->kek is set to the KEK object found, for the next key
 * of a batch.  */
int package_key_known(struct p11 *p, const struct kek *kek, const char *ident,
    const char *path, bool force, const char *subscription, const char *kmdata,
    struct package_handles *known, struct package_result *res);

/* Checks the .byok at PATH that a rerun finds (never rewritten): it must parse, name KEK's
 * kid, hold a ciphertext of the shape a TYPE key wrapped for KEK has, and be recorded in
 * LOG as packaged for IDENT with its SHA-256.  Returns 0, or P11BYOK_EUSAGE after one line
 * saying to move it away.  */
struct audit_log;
int package_check_existing(const char *path, const char *ident, const struct kek *kek,
    enum key_type type, const struct audit_log *log);

/* The Azure key type for the upload line: RSA-HSM, EC-HSM or oct-HSM. */
const char *package_kty(enum key_type type);

#endif
