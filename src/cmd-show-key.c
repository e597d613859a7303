/* cmd-show-key.c: p11byok show-key ID — seed step 4.1's aclprint.py and kmfile-dump: a key's
 * PKCS#11 attributes (never a secret one), its record files, and its transfer copy.  */
#include "config.h"
#include "cli.h"
#include "digest.h"
#include "jsonout.h"
#include "keyfind.h"
#include "keygen.h"
#include "keyrecord.h"
#include "keyspec.h"
#include "msg.h"
#include "p11.h"
#include "p11attr.h"
#include "pkcs11-extra.h"
#include "pubkey.h"
#include "transfer.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The booleans that say how a key is protected, in the order printed. */
static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *name;
} protections[] = {
	{ CKA_TOKEN, "token" },
	{ CKA_PRIVATE, "private" },
	{ CKA_SENSITIVE, "sensitive" },
	{ CKA_ALWAYS_SENSITIVE, "always-sensitive" },
	{ CKA_EXTRACTABLE, "extractable" },
	{ CKA_NEVER_EXTRACTABLE, "never-extractable" },
	{ CKA_WRAP_WITH_TRUSTED, "wrap-with-trusted" },
	{ CKA_LOCAL, "local" },
	{ CKA_MODIFIABLE, "modifiable" },
};

static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *name;
} usages[] = {
	{ CKA_ENCRYPT, "encrypt" }, { CKA_DECRYPT, "decrypt" }, { CKA_SIGN, "sign" },
	{ CKA_VERIFY, "verify" }, { CKA_SIGN_RECOVER, "sign-recover" },
	{ CKA_VERIFY_RECOVER, "verify-recover" }, { CKA_WRAP, "wrap" },
	{ CKA_UNWRAP, "unwrap" }, { CKA_DERIVE, "derive" },
};

#define NPROT (sizeof protections / sizeof protections[0])
#define NUSAGE (sizeof usages / sizeof usages[0])

/* What the token says about the key. */
struct keyinfo {
	CK_ULONG cls, kt;
	unsigned bits;
	const char *curve;
	char *label;
	char idhex[2 * 64 + 1];
	bool prot[NPROT];
	bool use[NUSAGE];
	char fp[65];
	bool copy;
	bool bits_from_record;	/* the token did not say; key_simple_ID does */
};

static const char *
class_name(CK_ULONG c)
{
	return c == CKO_PRIVATE_KEY ? "private key" : c == CKO_SECRET_KEY ? "secret key" :
	    "other";
}

static const char *
type_name(CK_ULONG t)
{
	return t == CKK_RSA ? "RSA" : t == CKK_EC ? "EC" : t == CKK_AES ? "AES" : "other";
}

/* Reads the public attributes of KEY; 0 or P11BYOK_EFAIL after one line. */
static int
read_key(struct p11 *p, const char *ident, CK_OBJECT_HANDLE key, struct keyinfo *ki)
{
	unsigned char *v = NULL, *id = NULL;
	size_t vlen = 0, idlen = 0;
	CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE;
	CK_OBJECT_CLASS pubcls = CKO_PUBLIC_KEY;
	EVP_PKEY *pk = NULL;
	CK_ULONG n = 0, vl = 0;
	CK_RV rv;
	int r = P11BYOK_EFAIL;

	if ((rv = p11attr_ulong(p, key, CKA_CLASS, &ki->cls)) != CKR_OK ||
	    (rv = p11attr_ulong(p, key, CKA_KEY_TYPE, &ki->kt)) != CKR_OK ||
	    (rv = p11attr_get(p, key, CKA_ID, &id, &idlen)) != CKR_OK ||
	    (rv = p11attr_get(p, key, CKA_LABEL, &v, &vlen)) != CKR_OK)
		goto fail;
	v[vlen] = '\0';
	ki->label = (char *)v;
	v = NULL;
	hex_encode(id, idlen > 64 ? 64 : idlen, ki->idhex, 0);
	for (size_t i = 0; i < NPROT; i++)
		if ((rv = p11attr_bool(p, key, protections[i].type, &ki->prot[i])) != CKR_OK)
			goto fail;
	for (size_t i = 0; i < NUSAGE; i++)
		if ((rv = p11attr_bool(p, key, usages[i].type, &ki->use[i])) != CKR_OK)
			goto fail;
	/* Sizes from public attributes only: the modulus, the curve, the value's length. */
	if (ki->kt == CKK_RSA) {
		if ((rv = p11attr_get(p, key, CKA_MODULUS, &v, &vlen)) != CKR_OK)
			goto fail;
		ki->bits = (unsigned)vlen * 8;
	} else if (ki->kt == CKK_EC) {
		if ((rv = p11attr_get(p, key, CKA_EC_PARAMS, &v, &vlen)) != CKR_OK)
			goto fail;
		ki->curve = keygen_curve_of_params(v, vlen);
	} else if (ki->kt == CKK_AES) {
		if ((rv = p11attr_ulong(p, key, CKA_VALUE_LEN, &vl)) != CKR_OK)
			goto fail;
		ki->bits = (unsigned)vl * 8;
	}
	free(v);
	v = NULL;
	if (ki->kt != CKK_AES) {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &pubcls, sizeof pubcls }, { CKA_ID, id, idlen },
		};
		if ((rv = p11attr_find(p, t, 2, &pub, 1, &n)) != CKR_OK)
			goto fail;
		if ((rv = pubkey_of_object(p, n == 1 ? pub : key, &pk)) != CKR_OK)
			goto fail;
		if (pk != NULL && pubkey_fingerprint(pk, ki->fp) < 0)
			ki->fp[0] = '\0';
	}
	if ((rv = transfer_find_copy(p, ident, &copy)) != CKR_OK)
		goto fail;
	ki->copy = copy != CK_INVALID_HANDLE;
	r = 0;
	goto out;
fail:
	msg_ck(rv, "cannot read the attributes of key '%s' on token '%s'", ident,
	    p11_token_label(p));
out:
	EVP_PKEY_free(pk);
	free(v);
	free(id);
	return r;
}

/* Whether KMDATA holds the record file PATH (a bad kmdata is no record). */
static bool
exists(const char *path)
{
	struct stat st;
	return path != NULL && stat(path, &st) == 0;
}

static const char *
yesno(bool b)
{
	return b ? "yes" : "no";
}

static void
print_key(const char *ident, const struct keyinfo *ki)
{
	msg_out("Key %s on the token:\n", ident);
	msg_out("  class:              %s\n", class_name(ki->cls));
	msg_out("  key type:           %s\n", type_name(ki->kt));
	if (ki->kt == CKK_EC)
		msg_out("  curve:              %s\n", ki->curve ? ki->curve : "unknown");
	else
		msg_out("  size:               %u bits%s\n", ki->bits, ki->bits_from_record ?
		    " (from the record: the token leaves CKA_VALUE_LEN 0)" : ki->bits ? "" :
		    " (the token does not say)");
	msg_out("  id (CKA_ID):        %s (hex %s)\n", ident, ki->idhex);
	msg_out("  label:              %s\n", ki->label);
	for (size_t i = 0; i < NPROT; i++)
		msg_out("  %-19s %s\n", protections[i].name, yesno(ki->prot[i]));
	msg_out("  usage:             ");
	for (size_t i = 0, any = 0; i < NUSAGE; i++)
		if (ki->use[i]) {
			msg_out(" %s", usages[i].name);
			any = 1;
		} else if (i == NUSAGE - 1 && !any)
			msg_out(" none");
	msg_out("\n");
	if (ki->kt != CKK_AES)
		msg_out("  public key SHA-256: %s\n", ki->fp[0] ? ki->fp : "not exposed by the token");
	msg_out("  transfer copy:      %s\n", ki->copy ? "present (xferacld-ID, made by "
	    "modify-acls)" : "none");
}

static json_t *
key_json(const struct keyinfo *ki)
{
	json_t *o = json_object(), *prot = json_object(), *use = json_array();
	for (size_t i = 0; i < NPROT; i++)
		json_object_set_new(prot, protections[i].name, json_boolean(ki->prot[i]));
	for (size_t i = 0; i < NUSAGE; i++)
		if (ki->use[i])
			json_array_append_new(use, json_string(usages[i].name));
	json_object_set_new(o, "class", json_string(class_name(ki->cls)));
	json_object_set_new(o, "key_type", json_string(type_name(ki->kt)));
	if (ki->kt == CKK_EC)
		json_object_set_new(o, "curve", ki->curve ? json_string(ki->curve) : json_null());
	else
		json_object_set_new(o, "bits", json_integer(ki->bits));
	json_object_set_new(o, "id_hex", json_string(ki->idhex));
	json_object_set_new(o, "label", json_string(ki->label));
	json_object_set_new(o, "attributes", prot);
	json_object_set_new(o, "usage", use);
	json_object_set_new(o, "public_key_sha256", ki->fp[0] ? json_string(ki->fp) : json_null());
	json_object_set_new(o, "transfer_copy", json_boolean(ki->copy));
	return o;
}

/* The SHA-256 of a record's public key, or "" when it has none. */
static void
record_fp(const struct key_simple *k, char fp[65])
{
	BIO *bio = k->public_pem ? BIO_new_mem_buf(k->public_pem, -1) : NULL;
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	fp[0] = '\0';
	if (pk == NULL || pubkey_fingerprint(pk, fp) < 0)
		fp[0] = '\0';
	EVP_PKEY_free(pk);
	BIO_free(bio);
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	const char *ident, *kmdata;
	struct keyinfo ki;
	struct key_simple *ks = NULL;
	struct key_xferacld *kx = NULL;
	struct p11 *p = NULL;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	enum key_type type;
	char spath[4096], xpath[4096], rfp[65] = "", name[32];
	const char *sp = NULL, *xp = NULL;
	json_t *doc = NULL;
	int r;

	memset(&ki, 0, sizeof ki);
	if ((r = cli_ident_args(ctx, cmd, argc, argv, &ident)) != CLI_CONTINUE)
		return r;
	if ((kmdata = ctx_kmdata(ctx)) != NULL) {
		struct stat st;
		/* A mistyped --kmdata would otherwise read as "no record". */
		if (stat(kmdata, &st) != 0 || !S_ISDIR(st.st_mode)) {
			msg_err("kmdata %s is not a directory: give --kmdata the world's kmdata "
			    "directory, or leave it out to show the token only", kmdata);
			return P11BYOK_EUSAGE;
		}
		sp = keyrecord_simple_path(kmdata, ident, spath, sizeof spath);
		xp = keyrecord_xferacld_path(kmdata, ident, xpath, sizeof xpath);
	}
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = p11_select_token(p, ctx_token(ctx), P11_WANT_INITIALISED)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = keyfind_lookup(p, ident, &key, &type)) != 0)
		goto out;
	if (key == CK_INVALID_HANDLE && !exists(sp)) {
		msg_err("no key with ident '%s' on token '%s'%s%s: check the ident, --token and "
		    "--kmdata (p11byok generate makes keys)", ident, p11_token_label(p),
		    kmdata ? " and no record in " : "", kmdata ? kmdata : "");
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (key != CK_INVALID_HANDLE && (r = read_key(p, ident, key, &ki)) != 0)
		goto out;
	if (exists(sp) && (r = keyrecord_simple_load(kmdata, ident, &ks)) != 0)
		goto out;
	if (exists(xp) && (r = keyrecord_xferacld_load(kmdata, ident, &kx)) != 0)
		goto out;
	if (ks != NULL)
		record_fp(ks, rfp);
	/* SoftHSMv2 keeps CKA_VALUE_LEN 0 on an unwrapped (restored) AES key. */
	if (key != CK_INVALID_HANDLE && ki.kt == CKK_AES && ki.bits == 0 && ks != NULL) {
		ki.bits = ks->spec.bits;
		ki.bits_from_record = true;
	}

	if (key != CK_INVALID_HANDLE)
		print_key(ident, &ki);
	else
		msg_out("Key %s is not on token '%s': p11byok restore %s re-creates it from its "
		    "record\n", ident, p11_token_label(p), ident);
	msg_out("Token:              %s (serial %s)\n", p11_token_label(p), p11_token_serial(p));
	if (kmdata == NULL)
		msg_out("Records:            not shown (no --kmdata)\n");
	if (ks != NULL) {
		msg_out("Record %s:\n", sp);
		msg_out("  key:                %s, plainname %s\n",
		    keyspec_name(&ks->spec, name, sizeof name), ks->plainname);
		msg_out("  token serial:       %s\n", ks->token_serial);
		msg_out("  world hash:         %s\n", ks->world_hash);
		msg_out("  created:            %s\n", ks->created);
		msg_out("  backup:             %zu bytes under the world key "
		    "(CKM_AES_KEY_WRAP_PAD)\n", ks->wrapped_len);
		if (rfp[0])
			msg_out("  public key SHA-256: %s%s\n", rfp, key == CK_INVALID_HANDLE ||
			    !ki.fp[0] ? "" : strcmp(rfp, ki.fp) == 0 ? " (matches the token)" :
			    " (DIFFERS from the token's key)");
	} else if (kmdata != NULL)
		msg_out("Record %s: none\n", sp);
	if (kx != NULL) {
		msg_out("Record %s:\n", xp);
		msg_out("  KEK:                %s, SHA-256 %s%s\n", kx->kek_id, kx->kek_fingerprint,
		    kx->attested ? ", attested" : ", not attested");
		msg_out("  region:             %s\n", kx->region ? kx->region : "(Key Vault PEM)");
		msg_out("  wrap:               %s\n", kx->native ? "CKM_RSA_AES_KEY_WRAP" :
		    "composed in the token");
		msg_out("  created:            %s\n", kx->created);
	} else if (kmdata != NULL)
		msg_out("Record %s: none\n", xp);

	r = 0;
	if (msg_json()) {
		json_t *recs = json_object();
		doc = json_pack("{s:s, s:s, s:s, s:b}", "ident", ident, "token", p11_token_label(p),
		    "token_serial", p11_token_serial(p), "on_token", key != CK_INVALID_HANDLE);
		if (doc == NULL || recs == NULL) {
			json_decref(recs);
			r = json_emit(NULL);
			goto out;
		}
		json_object_set_new(doc, "key", key != CK_INVALID_HANDLE ? key_json(&ki) :
		    json_null());
		json_object_set_new(recs, "key_simple", ks ? json_pack("{s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:s?, s:I}", "path", sp, "plainname", ks->plainname, "key_type",
		    keyspec_name(&ks->spec, name, sizeof name), "token_serial", ks->token_serial,
		    "world_hash", ks->world_hash, "created", ks->created, "public_key_sha256",
		    rfp[0] ? rfp : NULL, "backup_bytes", (json_int_t)ks->wrapped_len) :
		    json_null());
		json_object_set_new(recs, "key_xferacld", kx ? json_pack("{s:s, s:s, s:s, s:b, "
		    "s:s?, s:b, s:s}", "path", xp, "kek_id", kx->kek_id, "kek_fingerprint",
		    kx->kek_fingerprint, "attested", kx->attested, "region", kx->region,
		    "native", kx->native, "created", kx->created) : json_null());
		json_object_set_new(doc, "records", recs);
		r = json_emit(doc);
	}
out:
	key_simple_free(ks);
	key_xferacld_free(kx);
	free(ki.label);
	p11_free(p);
	return r;
}

const struct command cmd_show_key = {
	"show-key",
	"ID",
	"print a key's PKCS#11 attributes, its record files and its transfer copy",
	"Seed step 4.1's aclprint.py and kmfile-dump. Logs in as the user and prints the key "
	"whose CKA_ID is ID: class, key type, size or curve, id, label, every protection "
	"(token, private, sensitive, always-sensitive, extractable, never-extractable, "
	"wrap-with-trusted, local, modifiable), its usage flags and its public key's SHA-256 "
	"(never a secret attribute is read); whether modify-acls's transfer copy exists; and, "
	"with --kmdata, the records key_simple_ID and key_xferacld_ID. A key that is gone from "
	"the token but has a record is shown from the record (restore re-creates it). --json "
	"fields: ident, token, token_serial, on_token, key {class, key_type, bits or curve, "
	"id_hex, label, attributes, usage, public_key_sha256, transfer_copy}, records "
	"{key_simple, key_xferacld}.",
	NULL, run,
};
