/* package.c: one key's .byok from the token; see package.h. */
#include "config.h"
#include "package.h"
#include "audit-failure.h"
#include "audit.h"
#include "byok.h"
#include "digest.h"
#include "fsutil.h"
#include "keyfind.h"
#include "keyrecord.h"
#include "msg.h"
#include "transfer.h"
#include "wrap.h"

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
record_and_write(const struct byok *b, const char *path, bool force, const char *ident,
    const struct kek *kek, const char *subscription, struct p11 *p, const char *kmdata,
    const char *world_hash)
{
	struct fs_staged st;
	char *text = byok_encode(b);
	json_t *ev = NULL;
	int r = P11BYOK_EFAIL;

	if (text == NULL)
		return r;
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
	if (world_hash != NULL)
		json_object_set_new(ev, "world_hash", json_string(world_hash));
	json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "kek_id", json_string(kek->kid));
	json_object_set_new(ev, "kek_fingerprint", json_string(kek->fingerprint));
	json_object_set_new(ev, "kek_attested", json_boolean(kek->attested));
	if (subscription != NULL)
		json_object_set_new(ev, "subscription_id", json_string(subscription));
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

/* The transfer copy's record, for the world its package line names: *OUT NULL without
 * kmdata or without a record (a copy made with no kmdata); one it cannot read is refused
 * before anything is wrapped.  */
static int
copy_world(const char *kmdata, const char *ident, struct key_xferacld **out)
{
	char path[4200];
	*out = NULL;
	if (kmdata == NULL ||
	    keyrecord_xferacld_path(kmdata, ident, path, sizeof path) == NULL ||
	    access(path, F_OK) != 0)
		return 0;
	return keyrecord_xferacld_load(kmdata, ident, out);
}

int
package_key(struct p11 *p, const struct kek *kek, const char *ident, const char *path,
    bool force, const char *subscription, const char *kmdata, struct package_result *res)
{
	struct package_handles known = { CK_INVALID_HANDLE, CK_INVALID_HANDLE,
		CK_INVALID_HANDLE, CK_INVALID_HANDLE, KEY_RSA };
	return package_key_known(p, kek, ident, path, force, subscription, kmdata, &known, res);
}

int
package_key_known(struct p11 *p, const struct kek *kek, const char *ident, const char *path,
    bool force, const char *subscription, const char *kmdata, struct package_handles *known,
    struct package_result *res)
{
	CK_OBJECT_HANDLE target = known->target, copy = known->copy, kek_obj = known->kek;
	CK_OBJECT_HANDLE transfer = known->transfer;
	struct key_xferacld *copy_rec = NULL;
	struct byok b = { 0 };
	char gen[256];
	const char *step = "";
	bool transfer_made = false;
	CK_RV rv;
	int r = 0;

	res->native = false;
	res->ciphertext_len = 0;
	/* The transfer key is single-use: nothing is wrapped that could not then be written
	 * and recorded.  */
	audit_failure_note("ident", ident);
	if ((r = fs_check_output(path, force, FS_RESERVE)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||
	    (r = copy_world(kmdata, ident, &copy_rec)) != 0)
		return r;
	r = P11BYOK_EFAIL;
	if ((rv = generator(p, gen, sizeof gen)) != CKR_OK) {
		msg_ck(rv, "cannot read the information of module %s (C_GetInfo) for the .byok "
		    "generator field", p11_module_path(p));
		goto out;
	}
	res->type = known->type;
	if (target == CK_INVALID_HANDLE &&
	    (r = keyfind_target(p, ident, &target, &res->type)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if (copy == CK_INVALID_HANDLE && (rv = transfer_find_copy(p, ident, &copy)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the transfer copy of '%s'",
		    p11_token_label(p), ident);
		goto out;
	}
	if (copy == CK_INVALID_HANDLE) {
		msg_err("key '%s' has no reduced-permission copy: run 'p11byok modify-acls --ident "
		    "%s' with the same KEK first", ident, ident);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (kek_obj == CK_INVALID_HANDLE &&
	    (rv = transfer_find_kek(p, kek->key, &kek_obj)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the KEK", p11_token_label(p));
		goto out;
	}
	if (kek_obj == CK_INVALID_HANDLE) {
		msg_err("the KEK %s (fingerprint %s) is not installed on token '%s': run "
		    "'p11byok modify-acls --ident %s' with the same KEK first", kek->kid,
		    kek->fingerprint, p11_token_label(p), ident);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	known->kek = kek_obj;
	if ((rv = wrap_has_native(p, &res->native)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_RSA_AES_KEY_WRAP", p11_token_label(p));
		goto out;
	}
	if (!res->native) {
		if (transfer == CK_INVALID_HANDLE &&
		    (rv = transfer_find_transfer_key(p, ident, &transfer)) != CKR_OK) {
			msg_ck(rv, "cannot search token '%s' for the transfer key of '%s'",
			    p11_token_label(p), ident);
			goto out;
		}
		if (transfer == CK_INVALID_HANDLE) {
			msg_err("no transfer key for '%s' on token '%s' (each is used once): run "
			    "'p11byok modify-acls --ident %s' again", ident, p11_token_label(p),
			    ident);
			r = P11BYOK_EUSAGE;
			goto out;
		}
		transfer_made = true;
	} else {
		transfer = CK_INVALID_HANDLE;
	}
	if ((rv = wrap_byok(p, kek_obj, transfer, copy, &b.ciphertext, &b.ciphertext_len, &step))
	    != CKR_OK) {
		msg_ck(rv, "cannot wrap '%s' on token '%s': %s failed", ident, p11_token_label(p),
		    step);
		goto out;
	}
	/* The transfer key is single-use: gone before the file exists.  The one just used is
	 * destroyed by its handle (no search); on a failure the label sweep below runs.  */
	if (transfer_made) {
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), transfer)) != CKR_OK) {
			msg_ck(rv, "cannot destroy the transfer key of '%s' on token '%s': destroy it "
			    "before anything else (p11byok package retries this)", ident,
			    p11_token_label(p));
			goto out;
		}
		transfer_made = false;
	}
	b.kid = kek->kid;
	b.generator = gen;
	if ((r = record_and_write(&b, path, force, ident, kek, subscription, p, kmdata,
	    copy_rec != NULL ? copy_rec->world_hash : NULL)) != 0)
		goto out;
	res->ciphertext_len = b.ciphertext_len;
	r = 0;
out:
	/* On every path: a transfer key that was not used up is destroyed now. */
	if (transfer_made && transfer_destroy_transfer_keys(p, ident) < 0 && r == 0)
		r = P11BYOK_EFAIL;
	key_xferacld_free(copy_rec);
	free(b.ciphertext);
	return r;
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
