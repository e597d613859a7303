/* acls.c: the modify-acls steps; see acls.h. */
#include "config.h"
#include "acls.h"
#include "audit.h"
#include "keyfind.h"
#include "keyrecord.h"
#include "msg.h"
#include "transfer.h"

#include <stdlib.h>
#include <string.h>

/* Worlds made before the world key had its wrap template let a transfer key be taken out
 * under it: say so while transfer keys are about to exist.  0, or P11BYOK_EFAIL when the
 * token fails to answer.  */
static int
check_world_key(struct p11 *p)
{
	CK_OBJECT_HANDLE wk = CK_INVALID_HANDLE;
	/* The length only: the value of an attribute array is an array of pointers. */
	CK_ATTRIBUTE a = { CKA_WRAP_TEMPLATE, NULL, 0 };
	CK_RV rv;

	if ((rv = world_find_key(p, &wk)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the world backup key", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (wk == CK_INVALID_HANDLE)
		return 0;
	rv = p11_fn(p)->C_GetAttributeValue(p11_session(p), wk, &a, 1);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
		msg_ck(rv, "cannot read the wrap template of the world key on token '%s' "
		    "(C_GetAttributeValue)", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (rv != CKR_OK || a.ulValueLen == 0 || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		msg_warn("the world key of token '%s' has no wrap template (a world made by an "
		    "older p11byok): while a transfer key exists, a holder of the user PIN could "
		    "take keys out through it; make a new world before transferring more keys",
		    p11_token_label(p));
	return 0;
}

int
acls_admin(struct p11 *p, struct quorum *q, const struct world *w,
    const struct kek *const *keks, size_t nkeks, const char *const *idents, size_t nidents,
    bool *reused, CK_OBJECT_HANDLE *objs)
{
	CK_OBJECT_HANDLE obj, *installed = calloc(nkeks + 1, sizeof *installed);
	size_t made = 0, nk = 0;
	bool was_there;
	int r;

	if (installed == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	if ((r = quorum_login_so(q, p, w)) != 0)
		goto out;
	for (; r == 0 && nk < nkeks; nk++) {
		obj = CK_INVALID_HANDLE;
		r = transfer_install_kek(p, keks[nk]->key, &obj, &was_there);
		installed[nk] = r == 0 && !was_there ? obj : CK_INVALID_HANDLE;
		if (reused != NULL)
			reused[nk] = was_there;
		if (objs != NULL)
			objs[nk] = r == 0 ? obj : CK_INVALID_HANDLE;
	}
	if (r == 0 && nidents > 0)
		r = check_world_key(p);
	for (; r == 0 && made < nidents; made++)
		r = transfer_create_transfer_key(p, idents[made], &obj);
	/* All or nothing: the failed batch is run again as a whole. */
	for (size_t i = 0; r != 0 && i < made; i++)
		if (transfer_destroy_transfer_keys(p, idents[i]) < 0)
			msg_warn("the transfer key of '%s' could not be destroyed: run the command "
			    "again", idents[i]);
	for (size_t i = 0; r != 0 && i < nk; i++)
		if (installed[i] != CK_INVALID_HANDLE)
			transfer_uninstall_kek(p, installed[i]);
	quorum_logout(p);
out:
	free(installed);
	return r;
}

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
    const struct kek *kek, const char *record_path, bool native, bool kek_reused)
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
	json_object_set_new(ev, "kek_reused", json_boolean(kek_reused));
	json_object_set_new(ev, "wrap", json_string(native ? "CKM_RSA_AES_KEY_WRAP" : "composed"));
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	if (audit_add_file(ev, record_path) == 0 && audit_append(kmdata, ev) == 0)
		r = 0;
	json_decref(ev);
	return r;
}

int
acls_copy(struct p11 *p, const char *kmdata, const struct world *w, const char *ident,
    const struct kek *kek, const char *region, bool native, bool kek_reused,
    struct acls_result *res)
{
	CK_OBJECT_HANDLE target, copy;
	int r;

	res->copy_reused = false;
	if (keyrecord_xferacld_path(kmdata, ident, res->record, sizeof res->record) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if ((r = keyfind_target(p, ident, &target, &res->type)) != 0 ||
	    (r = transfer_make_copy(p, target, ident, &copy, &res->copy_reused)) != 0 ||
	    (r = record(kmdata, w, p, ident, kek, region, native)) != 0 ||
	    (r = audit(kmdata, w, p, ident, kek, res->record, native, kek_reused)) != 0)
		return r;
	return 0;
}
