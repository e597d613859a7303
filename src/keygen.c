/* keygen.c: world-bound generation, backup and restore; see keygen.h. */
#include "config.h"
#include "keygen.h"
#include "audit.h"
#include "digest.h"
#include "keycheck.h"
#include "keyfind.h"
#include "fsutil.h"
#include "keyrecord.h"
#include "msg.h"
#include "p11attr.h"
#include "pkcs11-extra.h"
#include "pubkey.h"
#include "transfer.h"
#include "world.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* DER OIDs of the curves keyspec knows, as CKA_EC_PARAMS. */
static struct {
	const char *name;
	unsigned char der[10];
	CK_ULONG len;
} curve_oids[] = {
	{ "P-256", { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 10 },
	{ "P-384", { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 }, 7 },
	{ "P-521", { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 }, 7 },
};

static int
curve_oid(const char *curve)
{
	for (size_t i = 0; i < sizeof curve_oids / sizeof curve_oids[0]; i++)
		if (strcmp(curve, curve_oids[i].name) == 0)
			return (int)i;
	return -1;
}

const char *
keygen_curve_of_params(const unsigned char *der, size_t len)
{
	for (size_t i = 0; i < sizeof curve_oids / sizeof curve_oids[0]; i++)
		if (len == curve_oids[i].len && memcmp(der, curve_oids[i].der, len) == 0)
			return curve_oids[i].name;
	return NULL;
}

/* A template being built; attributes point at storage that outlives it, or at its own
 * copies of the ident and label.  */
struct tmpl {
	CK_ATTRIBUTE a[24];
	CK_ULONG n;
	char id[KEYGEN_IDENT_MAX + 1], label[KEYGEN_LABEL_MAX + 1];
};

static void
add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, void *value, CK_ULONG len)
{
	if (t->n < sizeof t->a / sizeof t->a[0])
		t->a[t->n++] = (CK_ATTRIBUTE){ type, value, len };
}

static void
add_bool(struct tmpl *t, CK_ATTRIBUTE_TYPE type, bool v)
{
	add(t, type, v ? &yes : &no, sizeof(CK_BBOOL));
}

/* CKA_ID = IDENT and CKA_LABEL = LABEL, from the template's own copies. */
static void
add_names(struct tmpl *t, const char *ident, const char *label)
{
	snprintf(t->id, sizeof t->id, "%s", ident);
	snprintf(t->label, sizeof t->label, "%s", label);
	add(t, CKA_ID, t->id, strlen(t->id));
	add(t, CKA_LABEL, t->label, strlen(t->label));
}

/* The protection and usage every target key has, at generation and at restore alike
 * (DESIGN.md §2): the restore template must never be weaker than this.  */
static void
key_template(struct tmpl *t, enum key_type type, const char *ident, const char *label)
{
	add_bool(t, CKA_TOKEN, true);
	add_bool(t, CKA_PRIVATE, true);
	add_bool(t, CKA_SENSITIVE, true);
	add_bool(t, CKA_EXTRACTABLE, true);
	add_bool(t, CKA_WRAP_WITH_TRUSTED, true);
	add_names(t, ident, label);
	add_bool(t, CKA_DERIVE, false);
	add_bool(t, CKA_UNWRAP, false);
	switch (type) {
	case KEY_RSA:
		add_bool(t, CKA_SIGN, true);
		add_bool(t, CKA_DECRYPT, true);
		add_bool(t, CKA_SIGN_RECOVER, false);
		break;
	case KEY_EC:
		add_bool(t, CKA_SIGN, true);
		add_bool(t, CKA_DECRYPT, false);
		add_bool(t, CKA_SIGN_RECOVER, false);
		break;
	case KEY_AES:
		add_bool(t, CKA_ENCRYPT, true);
		add_bool(t, CKA_DECRYPT, true);
		add_bool(t, CKA_WRAP, false);
		add_bool(t, CKA_SIGN, false);
		add_bool(t, CKA_VERIFY, false);
		break;
	}
}

/* The public key object's attributes: a public token object, verify (and encrypt for RSA). */
static void
pub_template(struct tmpl *t, enum key_type type, const char *ident, const char *label)
{
	add_bool(t, CKA_TOKEN, true);
	add_bool(t, CKA_PRIVATE, false);
	add_names(t, ident, label);
	add_bool(t, CKA_VERIFY, true);
	add_bool(t, CKA_ENCRYPT, type == KEY_RSA);
	add_bool(t, CKA_WRAP, false);
	add_bool(t, CKA_DERIVE, false);
	add_bool(t, CKA_VERIFY_RECOVER, false);
}

bool
keygen_valid_label(const char *label)
{
	size_t n = strlen(label);
	if (n < 1 || n > KEYGEN_LABEL_MAX)
		return false;
	for (const unsigned char *c = (const unsigned char *)label; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static void
destroy(struct p11 *p, CK_OBJECT_HANDLE h, const char *ident, const char *what)
{
	CK_RV rv;
	if (h == CK_INVALID_HANDLE)
		return;
	if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), h)) != CKR_OK)
		msg_warn("cannot destroy the new %s of '%s' (%s): delete it by hand "
		    "(pkcs11-tool --delete-object --id %s...)", what, ident, ck_rv_name(rv), ident);
}

static void
now_iso(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The world of KMDATA, its token checked to be P's, and its backup key. */
static int
world_and_key(struct p11 *p, const char *kmdata, struct world **w, CK_OBJECT_HANDLE *wk)
{
	CK_RV rv;
	int r;

	*wk = CK_INVALID_HANDLE;
	if (kmdata == NULL) {
		msg_err("no kmdata directory: give --kmdata DIR or set P11BYOK_KMDATA");
		return P11BYOK_EUSAGE;
	}
	if ((r = world_load(kmdata, w)) != 0 || (r = world_check_token(*w, p)) != 0)
		return r;
	if ((r = world_open_key(p, wk)) != 0)
		return r;
	if ((rv = p11_mechanism(p, CKM_AES_KEY_WRAP_PAD, NULL)) == CKR_MECHANISM_INVALID) {
		msg_err("token '%s' does not offer CKM_AES_KEY_WRAP_PAD, needed to back keys up "
		    "under the world key", p11_token_label(p));
		return P11BYOK_EENV;
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_AES_KEY_WRAP_PAD (C_GetMechanismInfo)",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}

/* C_WrapKey with CKM_AES_KEY_WRAP_PAD: *OUT malloc'd. */
static CK_RV
wrap_under(struct p11 *p, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE key, unsigned char **out,
    size_t *outlen)
{
	CK_MECHANISM m = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_FUNCTION_LIST *f = p11_fn(p);
	CK_ULONG len = 0;
	CK_RV rv;

	*out = NULL;
	if ((rv = f->C_WrapKey(p11_session(p), &m, wk, key, NULL, &len)) != CKR_OK)
		return rv;
	if ((*out = malloc(len ? len : 1)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = f->C_WrapKey(p11_session(p), &m, wk, key, *out, &len)) != CKR_OK) {
		free(*out);
		*out = NULL;
		return rv;
	}
	*outlen = len;
	return CKR_OK;
}

static char *
pem_of(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long len;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, key) == 1 &&
	    (len = BIO_get_mem_data(bio, &data)) > 0 && (pem = malloc((size_t)len + 1)) != NULL) {
		memcpy(pem, data, (size_t)len);
		pem[len] = '\0';
	}
	BIO_free(bio);
	return pem;
}

/* Refuses IDENT when KMDATA has a record of it.  0 or P11BYOK_EUSAGE after one line. */
static int
ident_recorded(const char *kmdata, const char *ident)
{
	char path[4096];
	struct stat st;

	if (keyrecord_simple_path(kmdata, ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if (fs_lstat(path, &st) == 0 || errno != ENOENT) {
		msg_err("ident '%s' already has a key record (%s): choose another ident, or "
		    "re-create a deleted key with p11byok restore %s", ident, path, ident);
		return P11BYOK_EUSAGE;
	}
	return 0;
}

static int
ident_in_use(struct p11 *p, const char *kmdata, const char *ident)
{
	char id[KEYGEN_IDENT_MAX + 1];
	CK_ATTRIBUTE t[] = { { CKA_ID, id, 0 } };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	snprintf(id, sizeof id, "%s", ident);
	t[0].ulValueLen = strlen(id);
	if ((r = ident_recorded(kmdata, ident)) != 0)
		return r;
	if ((rv = p11attr_find(p, t, 1, h, 8, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for ident '%s'", p11_token_label(p), ident);
		return P11BYOK_EFAIL;
	}
	if (n > 0) {
		msg_err("ident '%s' already exists on token '%s' (%lu object%s with that CKA_ID): "
		    "choose another ident", ident, p11_token_label(p), (unsigned long)n,
		    n == 1 ? "" : "s");
		return P11BYOK_EUSAGE;
	}
	return 0;
}

static CK_RV
generate_objects(struct p11 *p, const struct keyspec *ks, const char *ident,
    const char *label, CK_OBJECT_HANDLE *key, CK_OBJECT_HANDLE *pub)
{
	CK_FUNCTION_LIST *f = p11_fn(p);
	struct tmpl priv = { 0 }, pubt = { 0 };
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = ks->bits, vlen = ks->bits / 8;
	unsigned char e[8];
	CK_ULONG elen = 0;
	int c;

	key_template(&priv, ks->type, ident, label);
	if (ks->type == KEY_AES) {
		CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
		CK_KEY_TYPE kt = CKK_AES;
		m.mechanism = CKM_AES_KEY_GEN;
		add(&priv, CKA_CLASS, &cls, sizeof cls);
		add(&priv, CKA_KEY_TYPE, &kt, sizeof kt);
		add(&priv, CKA_VALUE_LEN, &vlen, sizeof vlen);
		return f->C_GenerateKey(p11_session(p), &m, priv.a, priv.n, key);
	}
	pub_template(&pubt, ks->type, ident, label);
	if (ks->type == KEY_RSA) {
		for (int i = 7; i >= 0; i--) {
			unsigned char b = (unsigned char)(ks->pubexp >> (8 * i));
			if (b != 0 || elen > 0)
				e[elen++] = b;
		}
		add(&pubt, CKA_MODULUS_BITS, &bits, sizeof bits);
		add(&pubt, CKA_PUBLIC_EXPONENT, e, elen);
	} else {
		if ((c = curve_oid(ks->curve)) < 0)
			return CKR_CURVE_NOT_SUPPORTED;
		m.mechanism = CKM_EC_KEY_PAIR_GEN;
		add(&pubt, CKA_EC_PARAMS, curve_oids[c].der, curve_oids[c].len);
	}
	return f->C_GenerateKeyPair(p11_session(p), &m, pubt.a, pubt.n, priv.a, priv.n, pub,
	    key);
}

/* The CKA_CHECK_VALUE of the secret key KEY as hex in *OUT (malloc'd), for the record: what
 * a transfer compares its copy with.  *OUT NULL when the module keeps none.  0, or
 * P11BYOK_EFAIL after one line.  */
static int
check_value_hex(struct p11 *p, CK_OBJECT_HANDLE key, const char *ident, char **out)
{
	unsigned char *kcv = NULL;
	size_t len = 0;
	CK_RV rv;

	*out = NULL;
	rv = p11attr_get(p, key, CKA_CHECK_VALUE, &kcv, &len);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || (rv == CKR_OK && len == 0)) {
		free(kcv);
		return 0;
	}
	if (rv != CKR_OK || len > 16 || (*out = malloc(2 * len + 1)) == NULL) {
		free(kcv);
		msg_ck(rv == CKR_OK ? CKR_HOST_MEMORY : rv, "cannot read the check value of key "
		    "'%s' (C_GetAttributeValue CKA_CHECK_VALUE)", ident);
		return P11BYOK_EFAIL;
	}
	hex_encode(kcv, len, *out, 0);
	free(kcv);
	return 0;
}

/* Backs KEY (and PUB, CK_INVALID_HANDLE for AES) up under the world key WK and writes
 * KMDATA/key_simple_IDENT.  Destroys nothing: the caller owns the objects.  */
static int
backup_and_record(struct p11 *p, const char *kmdata, const struct world *w,
    CK_OBJECT_HANDLE wk, const struct keyspec *ks, const char *ident, const char *plainname,
    CK_OBJECT_HANDLE key, CK_OBJECT_HANDLE pub, struct keygen_result *res)
{
	struct key_simple rec = { 0 };
	EVP_PKEY *pk = NULL;
	char created[32], id[KEYGEN_IDENT_MAX + 1], label[KEYGEN_LABEL_MAX + 1], serial[17];
	char world_hash[65];
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	if ((rv = wrap_under(p, wk, key, &rec.wrapped, &rec.wrapped_len)) != CKR_OK) {
		msg_ck(rv, "cannot back up key '%s' under the world key (C_WrapKey, "
		    "CKM_AES_KEY_WRAP_PAD)", ident);
		goto out;
	}
	if (pub != CK_INVALID_HANDLE) {
		if ((rv = pubkey_of_object(p, pub, &pk)) != CKR_OK || pk == NULL) {
			msg_ck(rv == CKR_OK ? CKR_ATTRIBUTE_TYPE_INVALID : rv, "cannot read the "
			    "public key of key '%s'", ident);
			goto out;
		}
		if ((rec.public_pem = pem_of(pk)) == NULL ||
		    pubkey_fingerprint(pk, res->fingerprint) < 0) {
			msg_ssl("cannot encode the public key of key '%s'", ident);
			goto out;
		}
	}
	if (ks->type == KEY_AES && (r = check_value_hex(p, key, ident, &rec.check_value)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	now_iso(created, sizeof created);
	snprintf(id, sizeof id, "%s", ident);
	snprintf(label, sizeof label, "%s", plainname);
	snprintf(serial, sizeof serial, "%s", p11_token_serial(p));
	rec.ident = id;
	rec.plainname = label;
	rec.spec = *ks;
	rec.token_serial = serial;
	snprintf(world_hash, sizeof world_hash, "%s", w->hash);
	rec.world_hash = world_hash;
	rec.created = created;
	if ((r = keyrecord_simple_save(kmdata, &rec, false)) != 0)
		goto out;
	keyrecord_simple_path(kmdata, ident, res->record, sizeof res->record);
	snprintf(res->world_hash, sizeof res->world_hash, "%s", w->hash);
	res->wrapped_len = rec.wrapped_len;
	res->key = key;
	res->pub = pub;
	r = 0;
out:
	EVP_PKEY_free(pk);
	if (rec.wrapped != NULL)
		OPENSSL_clear_free(rec.wrapped, rec.wrapped_len);
	free(rec.public_pem);
	free(rec.check_value);
	return r;
}

int
keygen_generate(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res)
{
	struct world *w = NULL;
	CK_OBJECT_HANDLE wk, key = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE;
	char name[32];
	CK_RV rv;
	int r;

	memset(res, 0, sizeof *res);
	res->key = res->pub = CK_INVALID_HANDLE;
	if (!keyspec_valid_ident(ident) || !keygen_valid_label(plainname)) {
		msg_err("ident '%s' or plainname is not valid", ident);
		return P11BYOK_EUSAGE;
	}
	if ((r = world_and_key(p, kmdata, &w, &wk)) != 0 ||
	    (r = ident_in_use(p, kmdata, ident)) != 0)
		goto out;
	keyspec_name(ks, name, sizeof name);
	r = P11BYOK_EFAIL;
	if ((rv = generate_objects(p, ks, ident, plainname, &key, &pub)) != CKR_OK) {
		msg_ck(rv, "token '%s' refused to generate %s key '%s' (world-bound: sensitive, "
		    "extractable only under trusted keys)", p11_token_label(p), name, ident);
		key = pub = CK_INVALID_HANDLE;
		goto out;
	}
	if ((r = backup_and_record(p, kmdata, w, wk, ks, ident, plainname, key, pub, res)) != 0) {
		msg_warn("new key '%s' was destroyed: nothing of it is left", ident);
		goto out;
	}
	key = pub = CK_INVALID_HANDLE;
out:
	/* All or nothing: a key without its backup record is not left behind. */
	destroy(p, key, ident, "key");
	destroy(p, pub, ident, "public key");
	world_free(w);
	return r;
}

/* Whether KEY (and PUB) on the token are what generate makes for KS: born on the token,
 * sensitive since, extractable only under trusted keys (and the module keeps that flag from
 * being given later), of KS's type and size, PUB the public half of KEY.  An insider with the
 * user PIN could otherwise plant under the ident a key whose value they know, for the run to
 * record and transfer.  0, or the exit code after one line.  */
static int
check_unrecorded(struct p11 *p, const struct keyspec *ks, const char *ident,
    enum key_type type, CK_OBJECT_HANDLE key, CK_OBJECT_HANDLE pub)
{
	EVP_PKEY *pk = NULL, *inkey = NULL;
	CK_ULONG vlen = 0;
	char what[128];
	bool fixed = false, ok, proven = false;
	CK_RV rv;
	int r;

	snprintf(what, sizeof what, "key '%s' (on the token, no key record)", ident);
	if ((rv = transfer_probe_wwt_fixed(p, &fixed)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' whether CKA_WRAP_WITH_TRUSTED can be given later",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (!fixed) {
		msg_err("token '%s' holds key '%s' without a key record, and lets "
		    "CKA_WRAP_WITH_TRUSTED be set after birth, so nothing shows it was never "
		    "wrapped out: p11byok does not record it; run 'p11byok discard %s' (a new key "
		    "is then made) and run again", p11_token_label(p), ident, ident);
		return P11BYOK_EUSAGE;
	}
	if ((r = keycheck_birth(p, key, what)) != 0)
		return P11BYOK_EUSAGE;
	ok = type == ks->type;
	if (ok && type == KEY_AES)
		ok = p11attr_ulong(p, key, CKA_VALUE_LEN, &vlen) == CKR_OK && vlen == ks->bits / 8;
	if (ok && type != KEY_AES) {
		ok = pub != CK_INVALID_HANDLE && pubkey_of_object(p, pub, &pk) == CKR_OK &&
		    pk != NULL;
		if (ok && type == KEY_RSA)
			ok = (unsigned)EVP_PKEY_get_bits(pk) == ks->bits;
		if (ok && type == KEY_EC) {
			char group[64];
			const char *want = ks->curve;
			ok = EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
			    sizeof group, NULL) == 1 &&
			    ((strcmp(want, "P-256") == 0 && strcmp(group, "prime256v1") == 0) ||
			    (strcmp(want, "P-384") == 0 && strcmp(group, "secp384r1") == 0) ||
			    (strcmp(want, "P-521") == 0 && strcmp(group, "secp521r1") == 0));
		}
		/* The public object must be the private key's half: the modulus (or point) the
		 * private object shows, else a signature by it.  */
		if (ok && (rv = pubkey_of_object(p, key, &inkey)) == CKR_OK && inkey != NULL)
			ok = EVP_PKEY_eq(inkey, pk) == 1;
		else if (ok && rv == CKR_OK && type == KEY_EC)
			ok = pubkey_proven(p, key, false, pk, &proven) == CKR_OK && proven;
		else if (ok)
			ok = false;
	}
	EVP_PKEY_free(pk);
	EVP_PKEY_free(inkey);
	if (!ok) {
		msg_err("token '%s' holds a key with ident '%s' but no key record, and it is not "
		    "a world-bound key as the runbook describes it (type, size, or a public key "
		    "object that is its own): delete it or choose another ident",
		    p11_token_label(p), ident);
		return P11BYOK_EUSAGE;
	}
	return 0;
}

int
keygen_adopt(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res)
{
	struct world *w = NULL;
	CK_OBJECT_HANDLE wk, key, pub = CK_INVALID_HANDLE;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	char id[KEYGEN_IDENT_MAX + 1];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_ID, id, 0 } };
	enum key_type type;
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	memset(res, 0, sizeof *res);
	res->key = res->pub = CK_INVALID_HANDLE;
	snprintf(id, sizeof id, "%s", ident);
	t[1].ulValueLen = strlen(id);
	if ((r = world_and_key(p, kmdata, &w, &wk)) != 0 ||
	    (r = keyfind_target(p, ident, &key, &type)) != 0)
		goto out;
	if (type != KEY_AES && (rv = p11attr_find(p, t, 2, &pub, 1, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the public key of '%s'",
		    p11_token_label(p), ident);
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (n == 0)
		pub = CK_INVALID_HANDLE;
	if ((r = check_unrecorded(p, ks, ident, type, key, pub)) != 0 ||
	    (r = backup_and_record(p, kmdata, w, wk, ks, ident, plainname, key, pub, res)) != 0)
		goto out;
out:
	world_free(w);
	return r;
}

/* Whether H carries what generate gives an object of KS: class CLS, KS's key type, a token
 * object, private (PRIV) or not, labelled PLAINNAME.  Anything else under the ident is not
 * taken for a cut-short generate's.  */
static bool
named_as_ours(struct p11 *p, CK_OBJECT_HANDLE h, const struct keyspec *ks,
    CK_OBJECT_CLASS cls, bool priv, const char *plainname)
{
	CK_ULONG c = 0, kt = 0;
	bool token = false, is_priv = !priv;
	unsigned char *label = NULL;
	size_t len = 0;
	bool ours;

	if (p11attr_ulong(p, h, CKA_CLASS, &c) != CKR_OK || c != cls ||
	    p11attr_ulong(p, h, CKA_KEY_TYPE, &kt) != CKR_OK ||
	    kt != (ks->type == KEY_RSA ? CKK_RSA : ks->type == KEY_EC ? CKK_EC : CKK_AES) ||
	    p11attr_get(p, h, CKA_LABEL, &label, &len) != CKR_OK)
		return false;
	ours = len == strlen(plainname) && memcmp(label, plainname, len) == 0;
	free(label);
	return ours && p11attr_bool(p, h, CKA_TOKEN, &token) == CKR_OK && token &&
	    p11attr_bool(p, h, CKA_PRIVATE, &is_priv) == CKR_OK && is_priv == priv;
}

/* Whether H, the only object under an ident, is a public key object named and shaped as
 * generate makes one for KS (one that verifies): the half a kill inside key-pair generation
 * leaves.  A public key holds no secret, so taking it away loses nothing.  */
static bool
lone_half(struct p11 *p, CK_OBJECT_HANDLE h, const struct keyspec *ks, const char *plainname)
{
	bool verify = false;

	return ks->type != KEY_AES &&
	    named_as_ours(p, h, ks, CKO_PUBLIC_KEY, false, plainname) &&
	    p11attr_bool(p, h, CKA_VERIFY, &verify) == CKR_OK && verify;
}

int
keygen_make(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, struct keygen_result *res)
{
	char id[KEYGEN_IDENT_MAX + 1], hex[2 * KEYGEN_IDENT_MAX + 1];
	CK_ATTRIBUTE t[] = { { CKA_ID, id, 0 } };
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG n = 0, keys = 0, pubs = 0;
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	snprintf(id, sizeof id, "%s", ident);
	t[0].ulValueLen = strlen(id);
	if ((r = ident_recorded(kmdata, ident)) != 0)
		return r;
	if ((rv = p11attr_find_all(p, t, 1, &h, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for ident '%s'", p11_token_label(p), ident);
		return P11BYOK_EFAIL;
	}
	/* Counted only when named and shaped as generate makes them. */
	for (CK_ULONG i = 0; i < n; i++) {
		if (named_as_ours(p, h[i], ks, ks->type == KEY_AES ? CKO_SECRET_KEY :
		    CKO_PRIVATE_KEY, true, plainname))
			keys++;
		else if (ks->type != KEY_AES &&
		    named_as_ours(p, h[i], ks, CKO_PUBLIC_KEY, false, plainname))
			pubs++;
	}
	r = P11BYOK_EFAIL;
	if (n == 0) {
		r = keygen_generate(p, kmdata, ks, ident, plainname, res);
	} else if (keys == 1 && keys + pubs == n && pubs <= 1) {
		if ((r = keygen_adopt(p, kmdata, ks, ident, plainname, res)) == 0)
			res->recovered = "the key the token made before a crash cut its record "
			    "short: checked, backed up and recorded, not made twice";
	} else if (n == 1 && pubs == 1 && lone_half(p, h[0], ks, plainname)) {
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), h[0])) != CKR_OK) {
			msg_ck(rv, "cannot destroy the lone public key '%s' a cut-short generate "
			    "left on token '%s'", ident, p11_token_label(p));
			goto out;
		}
		if ((r = keygen_generate(p, kmdata, ks, ident, plainname, res)) == 0)
			res->recovered = "a lone public key a cut-short generate left was destroyed "
			    "and the key generated anew";
	} else {
		hex_encode((const unsigned char *)id, strlen(id), hex, 0);
		msg_err("token '%s' holds %lu object%s with ident '%s' and kmdata no record of it, "
		    "which p11byok cannot prove a cut-short generate of its own left: look with "
		    "'p11byok show-key %s', then clear them with 'p11byok discard %s' (what "
		    "p11byok made) or pkcs11-tool --login --delete-object --type "
		    "privkey|pubkey|secrkey --id %s, or choose another ident",
		    p11_token_label(p), (unsigned long)n, n == 1 ? "" : "s", ident, ident, ident,
		    hex);
		r = P11BYOK_EUSAGE;
	}
out:
	free(h);
	return r;
}

int
keygen_finished(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const char *plainname, bool *done, struct keygen_result *res)
{
	struct key_simple *rec = NULL;
	struct audit_log *log = NULL;
	struct keycheck c;
	char want[32], have[32], hex[2 * SHA256_LEN + 1];
	unsigned char d[SHA256_LEN];
	enum key_type type;
	EVP_PKEY *pk = NULL;
	struct stat st;
	int r;

	*done = false;
	memset(res, 0, sizeof *res);
	res->key = res->pub = CK_INVALID_HANDLE;
	if (keyrecord_simple_path(kmdata, ident, res->record, sizeof res->record) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if (fs_lstat(res->record, &st) != 0)
		return 0;
	/* Only a record generate wrote is its finished work: anything else there is refused. */
	if (!S_ISREG(st.st_mode))
		return ident_recorded(kmdata, ident);
	if ((r = keyrecord_simple_load(kmdata, ident, &rec)) != 0)
		return r;
	keyspec_name(ks, want, sizeof want);
	keyspec_name(&rec->spec, have, sizeof have);
	if (strcmp(want, have) != 0 || (ks->type == KEY_RSA && ks->pubexp != rec->spec.pubexp) ||
	    strcmp(plainname, rec->plainname) != 0) {
		msg_err("ident '%s' already has a key record (%s) of another key (%s, plainname "
		    "'%s'): choose another ident, or re-create a deleted key with p11byok restore "
		    "%s", ident, res->record, have, rec->plainname, ident);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	/* A record a generate line lists as it is: generate's work, done (its key may have been
	 * restored since).  Else it is a record whose line a crash kept out: the key on the
	 * token must be the one generate just made, checked as a transfer checks it.  */
	if ((r = audit_log_load(kmdata, &log)) != 0)
		goto out;
	if (digest_sha256_file(res->record, d) != 0) {
		r = P11BYOK_EUSAGE;
		goto out;
	}
	hex_encode(d, sizeof d, hex, 0);
	if (audit_log_has(log, "generate", ident, hex)) {
		if ((r = keyfind_lookup(p, ident, &res->key, &type)) != 0)
			goto out;
		if (res->key == CK_INVALID_HANDLE) {
			msg_err("key '%s' has a record in kmdata but is not on token '%s': re-create "
			    "it with 'p11byok restore %s'", ident, p11_token_label(p), ident);
			r = P11BYOK_EUSAGE;
			goto out;
		}
		res->key = CK_INVALID_HANDLE;
	} else if ((r = keycheck_target(p, NULL, rec, &c)) != 0) {
		goto out;
	} else {
		keycheck_clear(&c);
	}
	snprintf(res->world_hash, sizeof res->world_hash, "%s", rec->world_hash);
	res->wrapped_len = rec->wrapped_len;
	if (rec->public_pem != NULL && ((pk = pubkey_from_pem(rec->public_pem)) == NULL ||
	    pubkey_fingerprint(pk, res->fingerprint) != 0)) {
		msg_ssl("cannot read the public key of record key_simple_%s", ident);
		r = P11BYOK_EFAIL;
		goto out;
	}
	*done = true;
	r = 0;
out:
	EVP_PKEY_free(pk);
	key_simple_free(rec);
	audit_log_free(log);
	return r;
}

int
keygen_audit(struct p11 *p, const char *kmdata, const struct keyspec *ks,
    const char *ident, const struct keygen_result *res)
{
	json_t *ev = audit_event("generate");
	char name[32];
	int r = P11BYOK_EFAIL;

	if (ev == NULL) {
		msg_err("out of memory");
		return r;
	}
	keyspec_name(ks, name, sizeof name);
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(res->world_hash));
	json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "key_type", json_string(name));
	if (res->fingerprint[0])
		json_object_set_new(ev, "public_key_sha256", json_string(res->fingerprint));
	if (res->recovered != NULL)
		json_object_set_new(ev, "recovered", json_string(res->recovered));
	json_object_set_new(ev, "result", json_string(res->recovered ? "RECOVERED" : "SUCCESS"));
	if (audit_add_file(ev, res->record) == 0 && audit_append(kmdata, ev) == 0)
		r = 0;
	json_decref(ev);
	return r;
}

/* --- restore ------------------------------------------------------------------------ */

/* Big-endian bytes of a BIGNUM parameter of KEY (malloc'd). */
static unsigned char *
bn_param(EVP_PKEY *key, const char *name, CK_ULONG *len)
{
	BIGNUM *bn = NULL;
	unsigned char *out = NULL;
	if (EVP_PKEY_get_bn_param(key, name, &bn) &&
	    (out = malloc((size_t)BN_num_bytes(bn) + 1)) != NULL)
		*len = (CK_ULONG)BN_bn2bin(bn, out);
	BN_free(bn);
	return out;
}

/* Re-creates the public key object of a record from its public key. */
static int
create_pub(struct p11 *p, const struct key_simple *k, EVP_PKEY *pk, CK_OBJECT_HANDLE *out)
{
	struct tmpl t = { 0 };
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = k->spec.type == KEY_RSA ? CKK_RSA : CKK_EC;
	unsigned char *n = NULL, *e = NULL, pt[160], *der = NULL;
	CK_ULONG nlen = 0, elen = 0;
	ASN1_OCTET_STRING *os = NULL;
	size_t ptlen = 0;
	int derlen = 0, c, r = P11BYOK_EFAIL;
	CK_RV rv;

	add(&t, CKA_CLASS, &cls, sizeof cls);
	add(&t, CKA_KEY_TYPE, &kt, sizeof kt);
	pub_template(&t, k->spec.type, k->ident, k->plainname);
	if (k->spec.type == KEY_RSA) {
		if ((n = bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &nlen)) == NULL ||
		    (e = bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &elen)) == NULL) {
			msg_ssl("cannot read the RSA public key of record '%s'", k->ident);
			goto out;
		}
		add(&t, CKA_MODULUS, n, nlen);
		add(&t, CKA_PUBLIC_EXPONENT, e, elen);
	} else {
		c = curve_oid(k->spec.curve);
		if (c < 0 || !EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		    pt, sizeof pt, &ptlen) || (os = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(os, pt, (int)ptlen) ||
		    (derlen = i2d_ASN1_OCTET_STRING(os, &der)) <= 0) {
			msg_ssl("cannot read the EC public key of record '%s'", k->ident);
			goto out;
		}
		add(&t, CKA_EC_PARAMS, curve_oids[c].der, curve_oids[c].len);
		add(&t, CKA_EC_POINT, der, (CK_ULONG)derlen);
	}
	if ((rv = p11_fn(p)->C_CreateObject(p11_session(p), t.a, t.n, out)) != CKR_OK) {
		msg_ck(rv, "cannot re-create the public key object of '%s' on token '%s'",
		    k->ident, p11_token_label(p));
		*out = CK_INVALID_HANDLE;
		goto out;
	}
	r = 0;
out:
	free(n);
	free(e);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(os);
	return r;
}

/* The public key object with the record's ident, checked against the record. */
static int
find_pub(struct p11 *p, const struct key_simple *k, const char *fp, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_ID, k->ident, strlen(k->ident) },
	};	/* k->ident is the record's own copy */
	EVP_PKEY *pk = NULL;
	char have[65] = "";
	CK_ULONG n = 0;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if ((rv = p11attr_find(p, t, 2, out, 1, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the public key of '%s'",
		    p11_token_label(p), k->ident);
		return P11BYOK_EFAIL;
	}
	if (n == 0) {
		*out = CK_INVALID_HANDLE;
		return 0;
	}
	if ((rv = pubkey_of_object(p, *out, &pk)) != CKR_OK || pk == NULL ||
	    pubkey_fingerprint(pk, have) < 0 || strcmp(have, fp) != 0) {
		EVP_PKEY_free(pk);
		msg_err("token '%s' holds a public key with ident '%s' that is not the record's "
		    "(SHA-256 %s, record %s): delete it first", p11_token_label(p), k->ident,
		    have[0] ? have : "unreadable", fp);
		return P11BYOK_EUSAGE;
	}
	EVP_PKEY_free(pk);
	return 0;
}

int
keygen_restore(struct p11 *p, const char *kmdata, const char *ident,
    struct keygen_result *res)
{
	struct key_simple *k = NULL;
	struct world *w = NULL;
	struct tmpl t = { 0 };
	CK_OBJECT_HANDLE wk, key = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE, old;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	CK_MECHANISM m = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	EVP_PKEY *pk = NULL, *have = NULL;
	enum key_type type;
	char fp[65] = "";
	bool pub_created = false, proven = false;
	CK_RV rv;
	int r;

	memset(res, 0, sizeof *res);
	res->key = res->pub = CK_INVALID_HANDLE;
	if ((r = keyrecord_simple_load(kmdata, ident, &k)) != 0 ||
	    (r = world_and_key(p, kmdata, &w, &wk)) != 0)
		goto out;
	keyrecord_simple_path(kmdata, ident, res->record, sizeof res->record);
	r = P11BYOK_EUSAGE;
	if (!keygen_valid_label(k->plainname)) {
		msg_err("%s: plainname must be 1 to %d bytes of text without control characters",
		    res->record, KEYGEN_LABEL_MAX);
		goto out;
	}
	if (strcmp(k->world_hash, w->hash) != 0) {
		msg_err("%s belongs to another world (world hash %s; this kmdata's world is %s): "
		    "restore it with that world's kmdata and token", res->record, k->world_hash,
		    w->hash);
		goto out;
	}
	if (strcmp(k->token_serial, p11_token_serial(p)) != 0) {
		msg_err("%s was made on token serial %s, but token '%s' has serial %s: choose "
		    "the record's token with --token", res->record, k->token_serial,
		    p11_token_label(p), p11_token_serial(p));
		goto out;
	}
	if ((r = keyfind_lookup(p, ident, &old, &type)) != 0)
		goto out;
	if (old != CK_INVALID_HANDLE) {
		msg_err("key '%s' still exists on token '%s': restore re-creates deleted keys "
		    "only (p11byok show-key %s)", ident, p11_token_label(p), ident);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (k->spec.type != KEY_AES) {
		r = P11BYOK_EUSAGE;
		if ((pk = pubkey_from_pem(k->public_pem)) == NULL || pubkey_fingerprint(pk, fp) < 0 ||
		    EVP_PKEY_get_base_id(pk) != (k->spec.type == KEY_RSA ? EVP_PKEY_RSA :
		    EVP_PKEY_EC)) {
			msg_ssl("the public_key of %s is not a %s public key", res->record,
			    k->spec.type == KEY_RSA ? "RSA" : "EC");
			goto out;
		}
		/* An existing public key object must be the record's; it is kept. */
		if ((r = find_pub(p, k, fp, &res->pub)) != 0)
			goto out;
	}

	/* The same protection generate gave it; the world key's unwrap template insists. */
	cls = k->spec.type == KEY_AES ? CKO_SECRET_KEY : CKO_PRIVATE_KEY;
	kt = k->spec.type == KEY_AES ? CKK_AES : k->spec.type == KEY_EC ? CKK_EC : CKK_RSA;
	add(&t, CKA_CLASS, &cls, sizeof cls);
	add(&t, CKA_KEY_TYPE, &kt, sizeof kt);
	key_template(&t, k->spec.type, k->ident, k->plainname);
	rv = p11_fn(p)->C_UnwrapKey(p11_session(p), &m, wk, k->wrapped, k->wrapped_len, t.a, t.n,
	    &key);
	if (rv != CKR_OK) {
		msg_ck(rv, "token '%s' cannot unwrap the backup of '%s' under the world key "
		    "(C_UnwrapKey, CKM_AES_KEY_WRAP_PAD)", p11_token_label(p), ident);
		key = CK_INVALID_HANDLE;
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = P11BYOK_EFAIL;
	if (k->spec.type != KEY_AES) {
		/* RSA private objects carry the modulus: it must be the record's. */
		if ((rv = pubkey_of_object(p, key, &have)) != CKR_OK) {
			msg_ck(rv, "cannot read the restored key '%s'", ident);
			goto out;
		}
		if (have != NULL) {
			char hfp[65];
			if (pubkey_fingerprint(have, hfp) < 0 || strcmp(hfp, fp) != 0) {
				msg_err("the restored key '%s' has public key SHA-256 %s, not the "
				    "record's %s; the restored key was destroyed", ident, hfp, fp);
				goto out;
			}
		}
		if ((rv = pubkey_proven(p, key, k->spec.type == KEY_RSA, pk, &proven)) != CKR_OK) {
			msg_ck(rv, "the restored key '%s' cannot sign a test message", ident);
			goto out;
		}
		if (!proven) {
			msg_err("the restored key '%s' does not match the public key of its record: "
			    "its test signature does not verify; the restored objects were "
			    "destroyed", ident);
			goto out;
		}
		if (res->pub == CK_INVALID_HANDLE) {
			if ((r = create_pub(p, k, pk, &pub)) != 0)
				goto out;
			pub_created = true;
			res->pub = pub;
		}
	}
	snprintf(res->fingerprint, sizeof res->fingerprint, "%s", fp);
	snprintf(res->world_hash, sizeof res->world_hash, "%s", w->hash);
	res->wrapped_len = k->wrapped_len;
	res->pub_created = pub_created;
	res->key = key;
	key = pub = CK_INVALID_HANDLE;
	r = 0;
out:
	destroy(p, key, ident, "restored key");
	destroy(p, pub, ident, "public key");
	EVP_PKEY_free(pk);
	EVP_PKEY_free(have);
	key_simple_free(k);
	world_free(w);
	return r;
}

void
keygen_discard(struct p11 *p, const char *ident,
    const struct keygen_result *res, bool record)
{
	destroy(p, res->key, ident, "key");
	if (res->pub_created || record)
		destroy(p, res->pub, ident, "public key");
	if (record && res->record[0] != '\0' && fs_unlink(res->record) != 0)
		msg_warn("cannot remove %s (%s): remove it by hand", res->record, strerror(errno));
}
