/* package.c: one key's .byok from the token; see package.h. */
#include "config.h"
#include "package.h"
#include "audit-failure.h"
#include "audit.h"
#include "byok.h"
#include "digest.h"
#include "fsutil.h"
#include "keyrecord.h"
#include "msg.h"
#include "p11attr.h"
#include "proof.h"
#include "pubkey.h"
#include "transfer.h"
#include "wrap.h"
#include "wrapcheck.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
package_kty(enum key_type t)
{
	return t == KEY_RSA ? "RSA-HSM" : t == KEY_EC ? "EC-HSM" : "oct-HSM";
}

/* "p11byok VERSION; MODULE manufacturer/model/firmware", as Azure's generator field.  Read
 * before anything is wrapped, so a module that cannot say spends no transfer key.  */
static CK_RV
generator(struct p11 *p, char *buf, size_t len)
{
	const CK_TOKEN_INFO *ti = p11_token_info(p);
	CK_INFO info;
	char lib[33], manuf[33], model[17];
	CK_RV rv;

	if ((rv = p11_fn(p)->C_GetInfo(&info)) != CKR_OK)
		return rv;
	p11_text(info.libraryDescription, sizeof info.libraryDescription, lib);
	p11_text(ti->manufacturerID, sizeof ti->manufacturerID, manuf);
	p11_text(ti->model, sizeof ti->model, model);
	snprintf(buf, len, PACKAGE " " VERSION "; %s %s/%s/%u.%u", lib, manuf, model,
	    ti->firmwareVersion.major, ti->firmwareVersion.minor);
	return CKR_OK;
}

/* Writes B to PATH with its audit line first: the file is staged, its SHA-256 logged, and
 * only then put at PATH, so every .byok that exists is in the log (a rerun refuses one that
 * is not: anyone with the KEK's public key can make a .byok).  A kill between the two
 * leaves a line for a file that is not there; the temp file is swept by the next package
 * of PATH.  */
static int
record_and_write(const struct byok *b, const struct package_job *j, struct p11 *p,
    CK_OBJECT_HANDLE proof_key, const char *kmdata, const char *world_hash,
    const struct package_mode *m)
{
	const char *path = j->path, *ident = j->ident, *subscription = j->subscription;
	const struct kek *kek = j->kek;
	bool force = j->force;
	struct fs_staged st;
	char *text = byok_encode(b), sha[2 * SHA256_LEN + 1], proof[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	json_t *ev = NULL;
	int r = P11BYOK_EFAIL;

	if (text == NULL)
		return r;
	/* The token's word that this tool wrote this file for this key and KEK (proof.h). */
	if (!EVP_Digest(text, strlen(text), d, NULL, EVP_sha256(), NULL)) {
		msg_ssl("cannot hash the .byok of '%s'", ident);
		goto out;
	}
	hex_encode(d, sizeof d, sha, 0);
	if ((r = proof_make(p, proof_key, world_hash, ident, kek->fingerprint, sha, proof)) != 0)
		goto out;
	fs_sweep_staged(path);
	if ((r = fs_stage(&st, path, text, strlen(text), 0600, force)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if ((ev = audit_event("package")) == NULL) {
		msg_err("out of memory");
		fs_discard(&st);
		goto out;
	}
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(world_hash));
	json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "kek_id", json_string(kek->kid));
	json_object_set_new(ev, "kek_fingerprint", json_string(kek->fingerprint));
	json_object_set_new(ev, "kek_attested", json_boolean(kek->attested));
	if (subscription != NULL)
		json_object_set_new(ev, "subscription_id", json_string(subscription));
	json_object_set_new(ev, "wrap", json_string(m->native ? "CKM_RSA_AES_KEY_WRAP" :
	    "composed"));
	if (m->check != NULL)
		json_object_set_new(ev, "wrap_check", wrapcheck_json(m->check));
	/* Who approved it: the cards whose quorum gave this wrap its trust. */
	if (j->cards != NULL)
		json_object_set(ev, "cards", j->cards);
	json_object_set_new(ev, "trust", json_string(m->bind_names ? "session objects; the "
	    "wrap template names the copy" : "session objects; the wrap template binds the "
	    "copy's class and flags"));
	json_object_set_new(ev, "proof", json_string(proof));
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	if (audit_add_data(ev, path, text, strlen(text)) != 0 || audit_append(kmdata, ev) != 0) {
		fs_discard(&st);	/* an unrecorded .byok would be an untraceable copy */
		goto out;
	}
	r = fs_commit(&st);
out:
	json_decref(ev);
	free(text);
	return r;
}

int
package_preflight(const char *kmdata, const struct world *w, struct package_job *j)
{
	struct key_xferacld *x = NULL;
	int r;

	audit_failure_note("ident", j->ident);
	if ((r = fs_check_output(j->path, j->force, FS_RESERVE)) != 0 ||
	    (j->rec == NULL && (r = keyrecord_simple_load(kmdata, j->ident, &j->rec)) != 0))
		return r;
	r = P11BYOK_EUSAGE;
	if (strcmp(j->rec->world_hash, w->hash) != 0) {
		msg_err("key '%s' was generated in another world (%.16s..., this kmdata's world is "
		    "%.16s...): use the kmdata of its world", j->ident, j->rec->world_hash, w->hash);
		goto out;
	}
	if ((r = keyrecord_xferacld_load(kmdata, j->ident, &x)) != 0) {
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (strcmp(x->kek_fingerprint, j->kek->fingerprint) != 0) {
		msg_err("key '%s' was prepared by modify-acls for another KEK (SHA-256 %.16s...), "
		    "not %s (%.16s...): run 'p11byok modify-acls --ident %s' with this KEK first",
		    j->ident, x->kek_fingerprint, j->kek->kid, j->kek->fingerprint, j->ident);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	r = 0;
out:
	key_xferacld_free(x);
	return r;
}

void
package_approval(const char *ident, const struct keyspec *spec, const struct key_simple *rec,
    const struct kek *kek, const char *path)
{
	char kind[64], what[128] = "", fp[65];
	EVP_PKEY *pk = NULL;

	keyspec_name(spec, kind, sizeof kind);
	if (rec == NULL)
		snprintf(what, sizeof what, "made by this run");
	else if (rec->public_pem != NULL && (pk = pubkey_from_pem(rec->public_pem)) != NULL &&
	    pubkey_fingerprint(pk, fp) == 0)
		snprintf(what, sizeof what, "public key SHA-256 %s", fp);
	else if (rec->check_value != NULL)
		snprintf(what, sizeof what, "check value %s", rec->check_value);
	else
		snprintf(what, sizeof what, "no check value");
	EVP_PKEY_free(pk);
	msg_out("Approving:       key '%s' (%s, %s) to KEK %s (SHA-256 %s, %s) into %s\n", ident,
	    kind, what, kek->kid, kek->fingerprint, kek->attested ? "attested" : "NOT attested",
	    path);
}

int
package_probe(struct p11 *p, bool user, struct package_mode *m)
{
	bool enforced = false;
	CK_RV rv;

	if ((rv = wrap_has_native(p, &m->native)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_RSA_AES_KEY_WRAP", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	m->wrap = wrap_params_azure(m->native);
	if (!user) {
		if ((rv = transfer_probe_template(p, &enforced)) != CKR_OK) {
			msg_ck(rv, "cannot probe token '%s' for CKA_WRAP_TEMPLATE (session keys)",
			    p11_token_label(p));
			return P11BYOK_EFAIL;
		}
		if (!enforced) {
			msg_err("token '%s' does not enforce CKA_WRAP_TEMPLATE (a session key wrapped a "
			    "key its template excludes): the quorum's trust could not be kept to the "
			    "approved key, so p11byok does not transfer on this module", 
			    p11_token_label(p));
			return P11BYOK_EFAIL;
		}
		return 0;
	}
	if ((rv = transfer_probe_private_names(p, &m->bind_names)) != CKR_OK) {
		msg_ck(rv, "cannot probe token '%s' for how it compares private attributes in a "
		    "wrap template", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return wrapcheck_require(p, &m->wrap, &m->check);
}

int
package_wrapcheck(struct p11 *p, struct package_mode *m)
{
	CK_RV rv;

	if ((rv = wrap_has_native(p, &m->native)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_RSA_AES_KEY_WRAP", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	m->wrap = wrap_params_azure(m->native);
	return wrapcheck_require(p, &m->wrap, &m->check);
}

int
package_check(struct p11 *p, const struct objindex *idx, struct package_job *j)
{
	int r;

	keycheck_clear(&j->check);
	if ((r = keycheck_target(p, idx, j->rec, &j->check)) != 0 ||
	    (r = keycheck_copy(p, idx, j->ident, &j->check)) != 0)
		return r;
	if (j->check.copy == CK_INVALID_HANDLE) {
		msg_err("key '%s' has no reduced-permission copy on token '%s': run 'p11byok "
		    "modify-acls --ident %s' with the same KEK first", j->ident, p11_token_label(p),
		    j->ident);
		return P11BYOK_EUSAGE;
	}
	return 0;
}

int
package_grant(struct p11 *p, struct quorum *q, const struct world *w,
    struct package_job *const *jobs, size_t n, const struct package_mode *m)
{
	json_t *cards;
	int r;

	if ((r = quorum_login_so(q, p, w)) != 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = transfer_grant(p, jobs[i]->kek->key, jobs[i]->ident, &jobs[i]->check,
		    !m->native, m->bind_names, &jobs[i]->trust);
	if (r == 0)
		r = p11_logout_checked(p);
	else
		quorum_logout(p);
	quorum_forget(q);	/* one approval: the SO PIN is not kept past it */
	/* All or nothing: no trust outlives a failed approval. */
	for (size_t k = 0; r != 0 && k < n; k++)
		(void)transfer_revoke(p, &jobs[k]->trust);
	if (r != 0 || (cards = quorum_cards_json(q)) == NULL)
		return r != 0 ? r : P11BYOK_EFAIL;
	for (size_t i = 0; i < n; i++)
		jobs[i]->cards = json_incref(cards);
	json_decref(cards);
	return 0;
}

/* A session copy dies with the session; destroyed at once all the same.  CKR_OK or the
 * failure.  */
static CK_RV
drop_session_copy(struct p11 *p, struct package_job *j)
{
	CK_RV rv = CKR_OK;
	if (p != NULL && j->session_copy != CK_INVALID_HANDLE)
		rv = p11attr_destroy(p, j->session_copy);
	j->session_copy = CK_INVALID_HANDLE;
	return rv;
}

/* The copy of J, made again from its proven key when the module shows nothing to compare
 * the copy with (keycheck.h): a session copy of this process, so what is wrapped is known to
 * be the key's, and the token keeps the copy modify-acls made.  */
static int
session_copy(struct p11 *p, struct package_job *j)
{
	CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
	int r;

	j->check.copy = CK_INVALID_HANDLE;
	if ((r = transfer_make_copy(p, j->check.target, j->ident, j->check.type, true,
	    &copy)) != 0)
		return r;
	if ((r = keycheck_made_copy(p, j->ident, copy, &j->check)) != 0) {
		(void)p11_fn(p)->C_DestroyObject(p11_session(p), copy);
		return r;
	}
	j->session_copy = copy;
	return 0;
}

int
package_finish(struct p11 *p, const struct objindex *idx, const char *kmdata,
    const struct world *w, struct package_job *j, struct package_mode *m)
{
	struct byok b = { 0 };
	bool proof_made = false;
	char gen[256];
	const char *step = "";
	CK_RV rv;
	int r;

	audit_failure_note("ident", j->ident);
	j->ciphertext_len = 0;
	/* Read before anything is wrapped, so a module that cannot say spends no trust. */
	if ((rv = generator(p, gen, sizeof gen)) != CKR_OK) {
		msg_ck(rv, "cannot read the information of module %s (C_GetInfo) for the .byok "
		    "generator field", p11_module_path(p));
		r = P11BYOK_EFAIL;
		goto out;
	}
	if ((r = package_check(p, idx, j)) != 0 ||
	    (j->check.copy_unproven && (r = session_copy(p, j)) != 0) ||
	    (m->proof_key == CK_INVALID_HANDLE &&
	    (r = proof_key(p, true, &m->proof_key, &proof_made)) != 0))
		goto out;
	r = P11BYOK_EFAIL;
	if ((rv = wrap_byok(p, &m->wrap, j->trust.kek, m->native ? CK_INVALID_HANDLE :
	    j->trust.key, j->check.copy, &b.ciphertext, &b.ciphertext_len, &step)) != CKR_OK) {
		msg_ck(rv, "cannot wrap '%s' on token '%s': %s failed", j->ident,
		    p11_token_label(p), step);
		goto out;
	}
	/* The trust has done its one job: gone before the file exists.  Failing to say so,
	 * the module leaves the state unknown: nothing is written (the objects end with the
	 * session all the same).  */
	if ((rv = transfer_revoke(p, &j->trust)) != CKR_OK ||
	    (rv = drop_session_copy(p, j)) != CKR_OK) {
		msg_ck(rv, "cannot destroy the trust of the transfer of '%s' on token '%s' "
		    "(C_DestroyObject of a session object, tried twice): it ends with this process "
		    "in a moment; nothing was written, and the key's transfer copy stays: run the "
		    "same package again, with the cards", j->ident, p11_token_label(p));
		goto out;
	}
	b.kid = j->kek->kid;
	b.generator = gen;
	if ((r = record_and_write(&b, j, p, m->proof_key, kmdata, w->hash, m)) != 0)
		goto out;
	j->ciphertext_len = b.ciphertext_len;
	proof_made = false;	/* it proves a package now: kept */
	r = 0;
out:
	/* All or nothing: a proof key this failed package made goes again. */
	if (proof_made) {
		if (p11_fn(p)->C_DestroyObject(p11_session(p), m->proof_key) != CKR_OK)
			msg_warn("the proof key made for this package stays on token '%s': the "
			    "next package uses it", p11_token_label(p));
		m->proof_key = CK_INVALID_HANDLE;
	}
	(void)transfer_revoke(p, &j->trust);
	(void)drop_session_copy(p, j);
	free(b.ciphertext);
	return r;
}

void
package_job_clear(struct p11 *p, struct package_job *j)
{
	(void)transfer_revoke(p, &j->trust);
	(void)drop_session_copy(p, j);
	json_decref(j->cards);
	j->cards = NULL;
	keycheck_clear(&j->check);
	key_simple_free(j->rec);
	j->rec = NULL;
}

/* Whether LOG records the .byok at PATH as packaged for IDENT: its SHA-256 in a package
 * line.  The KEK is public, so a .byok anyone made would pass every other check.  */
static int
check_recorded(const char *path, const char *ident, const struct audit_log *log)
{
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EUSAGE;
	hex_encode(d, SHA256_LEN, hex, 0);
	if (audit_log_has(log, "package", ident, hex))
		return 0;
	msg_err("%s exists but the audit log has no package line for '%s' with its SHA-256 %s: "
	    "p11byok did not write it for this key; move it away and run again", path, ident,
	    hex);
	return P11BYOK_EUSAGE;
}

int
package_check_existing(const char *path, const char *ident, const struct kek *kek,
    enum key_type type, const struct audit_log *log)
{
	static const enum byok_kind kinds[] = { [KEY_RSA] = BYOK_RSA, [KEY_EC] = BYOK_EC,
		[KEY_AES] = BYOK_AES };
	struct byok *b = NULL;
	size_t m = kek->bits / 8;
	int r;

	if ((r = byok_read(path, &b)) != 0)
		return r;
	r = 0;
	if (strcmp(b->kid, kek->kid) != 0) {
		msg_err("%s exists but was made for KEK '%s', not '%s': move it away and run again",
		    path, b->kid, kek->kid);
		r = P11BYOK_EUSAGE;
	} else if (b->ciphertext_len <= m + 16 || (b->ciphertext_len - m) % 8 != 0 ||
	    byok_kind_of(b->ciphertext_len - m) != kinds[type]) {
		msg_err("%s exists but its %zu-byte ciphertext is not a %s key wrapped for the "
		    "RSA-%u KEK: move it away and run again", path, b->ciphertext_len,
		    package_kty(type), kek->bits);
		r = P11BYOK_EUSAGE;
	} else {
		r = check_recorded(path, ident, log);
	}
	byok_free(b);
	return r;
}

int
package_check_proof(struct p11 *p, CK_OBJECT_HANDLE proof_key, const struct audit_log *log,
    const char *path, const char *ident, const struct kek *kek, const char *world_hash)
{
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	const json_t *ev;
	bool valid = false;
	int r;

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EUSAGE;
	hex_encode(d, SHA256_LEN, hex, 0);
	ev = audit_log_find(log, "package", ident, hex);
	if (proof_key != CK_INVALID_HANDLE && ev != NULL &&
	    (r = proof_check(p, proof_key, world_hash, ident, kek->fingerprint, hex,
	    json_string_value(json_object_get(ev, "proof")), &valid)) != 0)
		return r;
	if (valid)
		return 0;
	msg_err("%s exists, but the token does not confirm that p11byok wrote it for '%s' and "
	    "this KEK (its package line carries no proof the token's proof key verifies): it is "
	    "not taken as done; move it away and run again", path, ident);
	return P11BYOK_EUSAGE;
}

struct staged_find {
	const struct audit_log *log;
	const char *ident;
	char *out;
	size_t len;
};

static int
logged_staged(const char *tmp, void *arg)
{
	struct staged_find *f = arg;
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	if (digest_sha256_file(tmp, d) != 0)
		return 0;
	hex_encode(d, sizeof d, hex, 0);
	if (audit_log_find(f->log, "package", f->ident, hex) == NULL)
		return 0;
	snprintf(f->out, f->len, "%s", tmp);
	return 1;
}

bool
package_find_staged(const struct audit_log *log, const char *path, const char *ident,
    char *staged, size_t len)
{
	struct staged_find f = { log, ident, staged, len };
	return fs_each_staged(path, logged_staged, &f) > 0;
}

int
package_put_staged(struct p11 *p, CK_OBJECT_HANDLE proof_key, const char *kmdata,
    const char *world_hash, const char *ident, const char *kek_fingerprint, const char *staged,
    const char *path)
{
	unsigned char d[SHA256_LEN];
	char sha[2 * SHA256_LEN + 1], proof[2 * SHA256_LEN + 1];
	json_t *ev;
	int r;

	/* The RECOVERED line is the file's last: it carries the token's proof too, so a later
	 * rerun confirms the file by it (package_check_proof).  */
	if (digest_sha256_file(staged, d) != 0)
		return P11BYOK_EFAIL;
	hex_encode(d, sizeof d, sha, 0);
	if ((r = proof_make(p, proof_key, world_hash, ident, kek_fingerprint, sha, proof)) != 0 ||
	    (r = fs_commit_staged(staged, path)) != 0)
		return r;
	if ((ev = audit_event("package")) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(world_hash));
	json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "kek_fingerprint", json_string(kek_fingerprint));
	json_object_set_new(ev, "note", json_string("the .byok a command killed after its "
	    "package line left staged was put in place; no new transfer"));
	json_object_set_new(ev, "proof", json_string(proof));
	json_object_set_new(ev, "result", json_string("RECOVERED"));
	r = audit_add_file(ev, path) != 0 ? P11BYOK_EFAIL : audit_append(kmdata, ev);
	json_decref(ev);
	if (r == 0)
		msg_out("Recovered: %s, written by a command a crash stopped before it was put in "
		    "place (its package line and the token's proof confirm it)\n", path);
	return r;
}
