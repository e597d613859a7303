/* discard.c: a key's objects and records taken away; see discard.h. */
#include "config.h"
#include "discard.h"
#include "audit.h"
#include "fsutil.h"
#include "keygen.h"
#include "keyrecord.h"
#include "msg.h"
#include "p11attr.h"
#include "transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *
class_word(CK_ULONG cls)
{
	return cls == CKO_PRIVATE_KEY ? "private key" : cls == CKO_SECRET_KEY ? "secret key" :
	    cls == CKO_PUBLIC_KEY ? "public key" : "object";
}

/* Whether H (of class CLS, labelled LABEL) is one generate or modify-acls made for a key
 * labelled PLAINNAME (NULL when no record says): a key or copy born on the token
 * wrap-with-trusted, or a public key object with the key's label.  */
static bool
ours(struct p11 *p, CK_OBJECT_HANDLE h, CK_ULONG cls, const char *label,
    const char *plainname, const char *copy_label)
{
	bool local = false, wwt = false;

	if (cls == CKO_PUBLIC_KEY)
		return plainname == NULL || strcmp(label, plainname) == 0;
	if (cls != CKO_PRIVATE_KEY && cls != CKO_SECRET_KEY)
		return false;
	if (p11attr_bool(p, h, CKA_LOCAL, &local) != CKR_OK || !local ||
	    p11attr_bool(p, h, CKA_WRAP_WITH_TRUSTED, &wwt) != CKR_OK || !wwt)
		return false;
	return strcmp(label, copy_label) == 0 || plainname == NULL ||
	    strcmp(label, plainname) == 0;
}

int
discard_plan(struct p11 *p, const char *kmdata, const char *ident, struct discard_plan *plan)
{
	char id[KEYGEN_IDENT_MAX + 1], copy_label[128];
	CK_ATTRIBUTE t[] = { { CKA_ID, id, 0 } };
	CK_OBJECT_HANDLE *h = NULL;
	struct key_simple *rec = NULL;
	struct audit_log *log = NULL;
	CK_ULONG n = 0;
	struct stat st;
	CK_RV rv;
	int r;

	memset(plan, 0, sizeof *plan);
	snprintf(id, sizeof id, "%s", ident);
	t[0].ulValueLen = strlen(id);
	snprintf(copy_label, sizeof copy_label, TRANSFER_COPY_PREFIX "%s", ident);
	if ((r = audit_log_load(kmdata, &log)) != 0)
		return r;
	r = P11BYOK_EUSAGE;
	if (audit_log_find(log, "package", ident, NULL) != NULL) {
		msg_err("key '%s' was packaged (the audit log has its package line): a .byok of it "
		    "exists, and discarding the key would not take that back; nothing was "
		    "changed", ident);
		goto out;
	}
	/* The records, as they are: a key_simple_ID that does not parse is refused below. */
	if (keyrecord_simple_path(kmdata, ident, plan->record[0], sizeof plan->record[0]) ==
	    NULL || keyrecord_xferacld_path(kmdata, ident, plan->record[1],
	    sizeof plan->record[1]) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		goto out;
	}
	if (fs_lstat(plan->record[0], &st) == 0 &&
	    (r = keyrecord_simple_load(kmdata, ident, &rec)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	for (size_t i = 0; i < 2; i++)
		if (fs_lstat(plan->record[i], &st) == 0)
			memmove(plan->record[plan->nrecords++], plan->record[i], 4096);
	if ((rv = p11attr_find_all(p, t, 1, &h, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for ident '%s'", p11_token_label(p), ident);
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (n > DISCARD_MAX_OBJECTS) {
		msg_err("token '%s' holds %lu objects with ident '%s': more than p11byok ever makes "
		    "for a key; nothing was changed", p11_token_label(p), (unsigned long)n, ident);
		goto out;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		unsigned char *l = NULL;
		size_t len = 0;
		char label[65] = "";
		CK_ULONG cls = 0;
		if ((rv = p11attr_ulong(p, h[i], CKA_CLASS, &cls)) != CKR_OK ||
		    ((rv = p11attr_get(p, h[i], CKA_LABEL, &l, &len)) != CKR_OK &&
		    rv != CKR_ATTRIBUTE_TYPE_INVALID)) {
			msg_ck(rv, "cannot read an object of ident '%s'", ident);
			r = P11BYOK_EFAIL;
			goto out;
		}
		snprintf(label, sizeof label, "%.*s", (int)(len < 64 ? len : 64), l ? (char *)l : "");
		free(l);
		if (!ours(p, h[i], cls, label, rec ? rec->plainname : NULL, copy_label)) {
			msg_err("the %s '%s' with ident '%s' on token '%s' is not one p11byok makes "
			    "(not born on the token wrap-with-trusted, or not its record's label): "
			    "nothing was changed; delete it with pkcs11-tool if it must go",
			    class_word(cls), label, ident, p11_token_label(p));
			goto out;
		}
		/* The transfer copy first: it goes before the key it copies. */
		if (strcmp(label, copy_label) == 0 && plan->nobj > 0) {
			memmove(&plan->obj[1], &plan->obj[0], plan->nobj * sizeof plan->obj[0]);
			memmove(&plan->what[1], &plan->what[0], plan->nobj * sizeof plan->what[0]);
			plan->obj[0] = h[i];
			snprintf(plan->what[0], sizeof plan->what[0], "%s '%s'", class_word(cls),
			    label);
		} else {
			plan->obj[plan->nobj] = h[i];
			snprintf(plan->what[plan->nobj], sizeof plan->what[0], "%s '%s'",
			    class_word(cls), label);
		}
		plan->nobj++;
	}
	if (plan->nobj == 0 && plan->nrecords == 0) {
		msg_err("no key '%s' on token '%s' and no record of it in %s: nothing to discard",
		    ident, p11_token_label(p), kmdata);
		goto out;
	}
	r = 0;
out:
	free(h);
	key_simple_free(rec);
	audit_log_free(log);
	return r;
}

int
discard_do(struct p11 *p, struct discard_plan *plan, json_t *ev)
{
	json_t *gone = json_array();
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	if (gone == NULL || json_object_set_new(ev, "destroyed", gone) != 0) {
		msg_err("out of memory");
		return r;
	}
	for (size_t i = 0; i < plan->nrecords; i++)
		if (audit_add_file(ev, plan->record[i]) != 0)
			return r;
	for (size_t i = 0; i < plan->nobj; i++) {
		if ((rv = p11attr_destroy(p, plan->obj[i])) != CKR_OK) {
			msg_ck(rv, "cannot destroy the %s on token '%s': run the same discard again",
			    plan->what[i], p11_token_label(p));
			return r;
		}
		json_array_append_new(gone, json_string(plan->what[i]));
	}
	for (size_t i = 0; i < plan->nrecords; i++)
		if (fs_unlink(plan->record[i]) != 0 && errno != ENOENT) {
			msg_err("cannot remove %s: %s; run the same discard again", plan->record[i],
			    strerror(errno));
			return r;
		}
	return 0;
}
