/* package.h: one key's .byok from the token (seed step 4.2), for `package` and `run`.
 *
 * The quorum approves each transfer at the moment of the wrap (DESIGN.md §2), in three
 * sessions of one process:
 *   1. user: the key and its transfer copy are found and checked (keycheck.h), and the
 *      module is probed for how far a wrap template can name the copy (package_probe);
 *   2. security officer: the KEK (and on the composed path the single-use transfer key)
 *      become trusted session objects scoped to that copy (transfer_grant);
 *   3. user: the key and copy are checked again (a logout forgets private handles, and the
 *      token is not the caller's alone), the copy is wrapped, the trust destroyed, the .byok
 *      staged, its audit line written, the file put in place.
 * A failure anywhere revokes the trust; a crash takes the session objects with it.  */
#ifndef P11BYOK_PACKAGE_H
#define P11BYOK_PACKAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "kek.h"
#include "keycheck.h"
#include "keyrecord.h"
#include "keyspec.h"
#include "p11.h"
#include "quorum.h"
#include "transfer.h"
#include "world.h"
#include "wrap.h"

/* One key being packaged. */
struct package_job {
	/* Set by the caller. */
	const char *ident;
	const struct kek *kek;
	const char *path;		/* the .byok to write */
	bool force;			/* replace an existing file */
	const char *subscription;	/* may be NULL: for the audit line */
	/* Filled on the way. */
	struct key_simple *rec;		/* key_simple_IDENT */
	struct keycheck check;
	struct transfer_trust trust;
	json_t *cards;			/* the numbers of the cards that approved it */
	CK_OBJECT_HANDLE session_copy;	/* an EC copy made again before the wrap, as a session
					 * object (keycheck.h); 0 when none */
	size_t ciphertext_len;
};

/* How the module lets a transfer run, found once per command. */
struct wrapcheck;
struct package_mode {
	bool native;			/* CKM_RSA_AES_KEY_WRAP, else composed */
	struct wrap_params wrap;	/* the wrap, as the target asks it (wrap.h) */
	const struct wrapcheck *check;	/* its known-answer check (wrapcheck.h); NULL until
					 * package_probe made it */
	bool bind_names;		/* wrap templates can name a private key (transfer.h) */
	CK_OBJECT_HANDLE proof_key;	/* found or made by the first package_finish of the
					 * user's session (proof.h); 0 until then */
};

/* Before the token is touched: J's output can be written, its records exist (key_simple and
 * key_xferacld, the latter for J's KEK) and are of world W.  0 or the exit code after one
 * line.  */
int package_preflight(const char *kmdata, const struct world *w, struct package_job *j);

/* Says what the card holders approve, before they give their passphrases: key IDENT (SPEC;
 * REC's public key fingerprint or check value, or, with REC NULL, that this run makes it),
 * the KEK it goes to and the file it goes into.  One line.  */
void package_approval(const char *ident, const struct keyspec *spec,
    const struct key_simple *rec, const struct kek *kek, const char *path);

/* Whether the module can scope a transfer's trust (wrap templates enforced) and which path
 * the wrap takes; refuses a module that does not enforce CKA_WRAP_TEMPLATE.  Needs a
 * session; with the user logged in, the private-name probe and package_wrapcheck run.  0
 * or the exit code.  */
int package_probe(struct p11 *p, bool user, struct package_mode *m);

/* The known-answer check (wrapcheck.h) of the wrap M's transfers take, into M; once per
 * process.  Some modules wrap only for a logged-in user: call it logged in, before the
 * first change.  0, or the exit code after one line.  */
int package_wrapcheck(struct p11 *p, struct package_mode *m);

/* Phase 1 (user session): J's key and transfer copy, found (among IDX's objects when not
 * NULL, else by a search) and checked.  0 or the exit code after one line.  */
struct objindex;
int package_check(struct p11 *p, const struct objindex *idx, struct package_job *j);

/* Phase 2: the security officer, with the cards of Q, gives the trust for each of the N
 * jobs, then logs out; each job notes the cards, which its package line records.  On
 * failure no trust is left.  0 or the exit code.  */
int package_grant(struct p11 *p, struct quorum *q, const struct world *w,
    struct package_job *const *jobs, size_t n, const struct package_mode *m);

/* Phase 3 (user session): checks J again (IDX as in package_check), wraps its copy, revokes its trust, writes the
 * .byok with its audit line.  0 or the exit code after one line; nothing is left at J->path
 * on failure, and the trust is gone on every path.  */
int package_finish(struct p11 *p, const struct objindex *idx, const char *kmdata,
    const struct world *w, struct package_job *j, struct package_mode *m);

/* Revokes J's trust (if any) and frees what package_* filled. */
void package_job_clear(struct p11 *p, struct package_job *j);

/* Checks the .byok at PATH that a rerun finds (never rewritten): it must parse, name KEK's
 * kid, hold a ciphertext of the shape a TYPE key wrapped for KEK has, and be recorded in
 * LOG as packaged for IDENT with its SHA-256.  Returns 0, or P11BYOK_EUSAGE after one line
 * saying to move it away.  */
struct audit_log;
int package_check_existing(const char *path, const char *ident, const struct kek *kek,
    enum key_type type, const struct audit_log *log);

/* After login: whether the token confirms the .byok at PATH that a rerun found (and
 * package_check_existing accepted): its package line in LOG, for IDENT, KEK and
 * WORLD_HASH, carries a proof that PROOF_KEY (proof.h; CK_INVALID_HANDLE when the token has
 * none) verifies.  Returns 0, P11BYOK_EUSAGE after one line saying to move the file away,
 * or P11BYOK_EFAIL when the token fails.  */
/* The .byok PATH of IDENT that a command killed between its package line (in LOG) and
 * putting the file in place left staged (PATH.tmp.XXXXXX, fsutil.h): its path into STAGED
 * (LEN bytes) and true when there is one the line lists, else false.  */
bool package_find_staged(const struct audit_log *log, const char *path, const char *ident,
    char *staged, size_t len);

/* Puts STAGED (package_find_staged's, its proof checked) in place at PATH and logs that in
 * KMDATA's audit log: a RECOVERED package line for IDENT, KEK_FINGERPRINT, WORLD_HASH and
 * P's token, with PROOF_KEY's proof of it.  0 or the exit code after one line.  */
int package_put_staged(struct p11 *p, CK_OBJECT_HANDLE proof_key, const char *kmdata,
    const char *world_hash, const char *ident, const char *kek_fingerprint, const char *staged,
    const char *path);

int package_check_proof(struct p11 *p, CK_OBJECT_HANDLE proof_key,
    const struct audit_log *log, const char *path, const char *ident, const struct kek *kek,
    const char *world_hash);

/* The Azure key type for the upload line: RSA-HSM, EC-HSM or oct-HSM. */
const char *package_kty(enum key_type type);

#endif
