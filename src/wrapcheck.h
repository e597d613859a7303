/* wrapcheck.h: a known-answer check of the module's wrap, before a cloud sees one.
 *
 * A module can take a mechanism parameter and ignore it (SoftHSMv2 2.7.0's
 * CKM_RSA_AES_KEY_WRAP never reads hashAlg: asked for OAEP SHA-256 it makes SHA-1), and its
 * file then looks right and is refused by the cloud days later.  So the same wrap the
 * transfer makes (wrap.h) is first made of a throwaway AES key the token draws, under a
 * throwaway RSA public key whose private half only this process holds (in OpenSSL), and
 * opened here; the key inside is compared with the token's by a ciphertext of each, so no
 * key value crosses the PKCS#11 boundary either way.  Session objects only, public, and
 * destroyed at once: the check touches no token object.  */
#ifndef P11BYOK_WRAPCHECK_H
#define P11BYOK_WRAPCHECK_H

#include <jansson.h>
#include <openssl/evp.h>
#include "p11.h"
#include "wrap.h"

enum wrapcheck_result {
	WRAPCHECK_CORRECT,	/* the module's output opens to the key, as asked */
	WRAPCHECK_IGNORED,	/* it opens, but made with another parameter than asked */
	WRAPCHECK_WRONG,	/* it does not open to the key */
	WRAPCHECK_REFUSED,	/* the module refused the wrap (or a session object for it) */
	WRAPCHECK_MISSING,	/* the module does not offer a mechanism it needs for wrapping */
};

struct wrapcheck {
	struct wrap_params wp;		/* what was checked */
	enum wrapcheck_result result;
	CK_RV rv;			/* REFUSED: the module's answer */
	char detail[160];		/* what went wrong: "hashAlg: SHA-256 asked, SHA-1 made" */
};

/* Checks WP's wrap on P's token (a session must be open) into *OUT.  Returns 0, or -1
 * when the check cannot be made (OpenSSL or memory failed, or the module failed a call
 * that is no answer: C_GetMechanismInfo, C_DestroyObject; one line said).  */
int wrapcheck_run(struct p11 *p, const struct wrap_params *wp, struct wrapcheck *out);

/* The process's throwaway RSA-2048 key pair, drawn by OpenSSL on first use (the module
 * checks of modcaps.h take its public part too); NULL after one line when it cannot be
 * made.  It belongs to this module.  */
EVP_PKEY *wrapcheck_throwaway_rsa(void);

/* "correct", "ignored parameter", "wrong output", "refused", "missing". */
const char *wrapcheck_result_name(enum wrapcheck_result r);

/* "CKM_RSA_AES_KEY_WRAP" or "CKM_RSA_PKCS_OAEP + CKM_AES_KEY_WRAP_PAD". */
const char *wrapcheck_mechanism_name(const struct wrap_params *wp);

/* C's fields as JSON: mechanism, oaep_hash, aes_bits, result, detail. */
json_t *wrapcheck_json(const struct wrapcheck *c);

/* Before the first real wrap with WP in this process: the check, once; 0 when correct
 * (*OUT, if not NULL, then holds it for the audit line), else the exit code after one line
 * naming the module, the mechanism and what it got wrong.  */
int wrapcheck_require(struct p11 *p, const struct wrap_params *wp, const struct wrapcheck **out);

#endif
