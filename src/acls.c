/* acls.c: the modify-acls steps; see acls.h. */
#include "config.h"
#include "acls.h"
#include "audit.h"
#include "fsutil.h"
#include "keycheck.h"
#include "keyrecord.h"
#include "msg.h"
#include "transfer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
record(const char *kmdata, const struct world *w, struct p11 *p, const char *ident,
    const struct kek *kek, const char *region, bool native)
{
	struct key_xferacld *x = calloc(1, sizeof *x);
	int r = P11BYOK_EFAIL;

	if (x == NULL || (x->created = world_now()) == NULL ||
	    (x->ident = strdup(ident)) == NULL ||
	    (x->token_serial = strdup(p11_token_serial(p))) == NULL ||
	    (x->world_hash = strdup(w->hash)) == NULL ||
	    (x->kek_fingerprint = strdup(kek->fingerprint)) == NULL ||
	    (x->kek_id = strdup(kek->kid)) == NULL ||
	    (region != NULL && (x->region = strdup(region)) == NULL)) {
		msg_err("out of memory");
		goto out;
	}
	x->attested = kek->attested;
	x->native = native;
	/* A rerun for another KEK describes the same copy: the record follows the latest KEK. */
	r = keyrecord_xferacld_save(kmdata, x, true);
out:
	key_xferacld_free(x);
	return r;
}

static int
audit(const char *kmdata, const struct world *w, struct p11 *p, const char *ident,
    const struct kek *kek, const char *record_path, bool native, bool copy_reused)
{
	json_t *ev = audit_event("modify-acls");
	int r = P11BYOK_EFAIL;

	if (ev == NULL)
		return r;
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(w->hash));
	json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "kek_id", json_string(kek->kid));
	json_object_set_new(ev, "kek_fingerprint", json_string(kek->fingerprint));
	json_object_set_new(ev, "kek_attested", json_boolean(kek->attested));
	json_object_set_new(ev, "copy_reused", json_boolean(copy_reused));
	json_object_set_new(ev, "wrap", json_string(native ? "CKM_RSA_AES_KEY_WRAP" : "composed"));
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	if (audit_add_file(ev, record_path) == 0 && audit_append(kmdata, ev) == 0)
		r = 0;
	json_decref(ev);
	return r;
}

int
acls_copy(struct p11 *p, const char *kmdata, const struct world *w,
    const struct key_simple *rec, const struct kek *kek, const char *region, bool native,
    struct acls_result *res)
{
	struct keycheck c;
	CK_OBJECT_HANDLE made = CK_INVALID_HANDLE;
	const char *ident = rec->ident;
	char *old = NULL;
	size_t old_len = 0;
	struct stat st;
	CK_RV rv;
	int r;

	res->copy_reused = false;
	res->type = rec->spec.type;
	if (keyrecord_xferacld_path(kmdata, ident, res->record, sizeof res->record) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	/* The key must be the record's, and a copy already there must be a copy of it. */
	if ((r = keycheck_target(p, NULL, rec, &c)) != 0 ||
	    (r = keycheck_copy(p, NULL, ident, &c)) != 0)
		goto out;
	if (c.copy != CK_INVALID_HANDLE) {
		res->copy_reused = true;
	} else if ((r = transfer_make_copy(p, c.target, ident, c.type, false, &made)) != 0 ||
	    (r = keycheck_made_copy(p, ident, made, &c)) != 0) {
		goto out;
	}
	/* The record a rerun replaces is kept, to go back in place when the audit line cannot
	 * be written: a record no SUCCESS line accounts for is not left behind.  */
	if (fs_lstat(res->record, &st) == 0 && (r = fs_read_file(res->record, "transfer copy "
	    "record", 1 << 16, &old, &old_len)) != 0)
		goto out;
	if ((r = record(kmdata, w, p, ident, kek, region, native)) != 0)
		goto out;
	if ((r = audit(kmdata, w, p, ident, kek, res->record, native, res->copy_reused)) != 0) {
		if ((old != NULL ? fs_write_atomic(res->record, old, old_len, 0600, true) :
		    fs_unlink(res->record)) != 0)
			msg_warn("%s could not be put back as it was: check it before package",
			    res->record);
		goto out;
	}
	made = CK_INVALID_HANDLE;
out:
	/* All or nothing: a copy this failed run made is taken off again. */
	if (made != CK_INVALID_HANDLE &&
	    (rv = p11_fn(p)->C_DestroyObject(p11_session(p), made)) != CKR_OK)
		msg_warn("the transfer copy this run made of '%s' could not be destroyed (%s): "
		    "the next modify-acls checks and keeps it", ident, ck_rv_name(rv));
	free(old);
	keycheck_clear(&c);
	return r;
}
