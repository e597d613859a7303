/* keyrecord.c: kmdata's key_simple_ID and key_xferacld_ID files; see keyrecord.h.
 *
 * Written by hand as YAML whose every string is double-quoted (so no value can change the
 * document's shape), read back through yamldoc so errors name file:line:col.  */
#include "config.h"
#include "keyrecord.h"
#include "b64.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"
#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECORD_VERSION "1"

static const char *
record_path(const char *kmdata, const char *prefix, const char *ident, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s%s", kmdata, prefix, ident);
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

const char *
keyrecord_simple_path(const char *kmdata, const char *ident, char *buf, size_t len)
{
	return record_path(kmdata, "key_simple_", ident, buf, len);
}

const char *
keyrecord_xferacld_path(const char *kmdata, const char *ident, char *buf, size_t len)
{
	return record_path(kmdata, "key_xferacld_", ident, buf, len);
}

void
key_simple_free(struct key_simple *k)
{
	if (k == NULL)
		return;
	free(k->ident);
	free(k->plainname);
	free(k->token_serial);
	free(k->world_hash);
	free(k->public_pem);
	free(k->check_value);
	free(k->created);
	free(k->wrapped);
	free(k);
}

void
key_xferacld_free(struct key_xferacld *x)
{
	if (x == NULL)
		return;
	free(x->ident);
	free(x->token_serial);
	free(x->world_hash);
	free(x->kek_fingerprint);
	free(x->kek_id);
	free(x->region);
	free(x->created);
	free(x);
}

/* --- writing ------------------------------------------------------------------------ */

/* A growing text buffer; on out of memory it stays failed and says so at the end. */
struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void
put(struct text *t, const char *fmt, ...) MSG_PRINTF(2, 3);

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if (t->s != NULL && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap * 2 + (size_t)n + 256;
		char *grown = realloc(t->s, cap);
		if (grown == NULL) {
			t->failed = true;
			return;
		}
		t->s = grown;
		t->cap = cap;
	}
}

/* KEY: "VALUE" with YAML double-quoted escapes; VALUE NULL writes nothing. */
static void
put_str(struct text *t, const char *key, const char *value)
{
	if (value == NULL)
		return;
	put(t, "%s: \"", key);
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (*c == '"' || *c == '\\')
			put(t, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			put(t, "\\x%02x", *c);
		else
			put(t, "%c", *c);
	}
	put(t, "\"\n");
}

/* A PEM as a literal block, so the file shows it as openssl prints it. */
static void
put_pem(struct text *t, const char *key, const char *pem)
{
	const char *line = pem, *nl;

	if (pem == NULL)
		return;
	put(t, "%s: |\n", key);
	while (*line != '\0') {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		put(t, "  %.*s\n", (int)n, line);
		line += n + (nl ? 1 : 0);
	}
}

static int
save(const char *kmdata, const char *path, struct text *t, bool force)
{
	struct stat st;

	if (t->failed || t->s == NULL) {
		msg_err("out of memory writing %s", path);
		return P11BYOK_EFAIL;
	}
	if (stat(kmdata, &st) != 0 || !S_ISDIR(st.st_mode)) {
		msg_err("kmdata directory %s does not exist: create it (mkdir -m 700) or give "
		    "--kmdata DIR", kmdata);
		return P11BYOK_EUSAGE;
	}
	return fs_write_atomic(path, t->s, t->len, 0600, force);
}

int
keyrecord_simple_save(const char *kmdata, const struct key_simple *k, bool force)
{
	struct text t = { 0 };
	char path[4096], *idhex = NULL, *wrapped = NULL, num[32];
	size_t idlen = strlen(k->ident);
	int r = P11BYOK_EFAIL;

	if (kmdata == NULL) {
		msg_err("no kmdata directory: give --kmdata DIR or set P11BYOK_KMDATA");
		return P11BYOK_EUSAGE;
	}
	if (keyrecord_simple_path(kmdata, k->ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if ((idhex = malloc(2 * idlen + 1)) == NULL ||
	    (wrapped = b64_encode(k->wrapped, k->wrapped_len, false)) == NULL) {
		msg_err("out of memory writing %s", path);
		goto out;
	}
	hex_encode((const unsigned char *)k->ident, idlen, idhex, 0);
	put(&t, "# p11byok key record (DESIGN.md section 3): a world-bound key and its backup\n"
	    "# under the world backup key; 'p11byok restore %s' re-creates the key from it.\n",
	    k->ident);
	put(&t, "version: " RECORD_VERSION "\n");
	put_str(&t, "ident", k->ident);
	put_str(&t, "plainname", k->plainname);
	put(&t, "type: %s\n", k->spec.type == KEY_RSA ? "RSA" : k->spec.type == KEY_EC ? "EC" :
	    "AES");
	if (k->spec.type == KEY_EC)
		put_str(&t, "curve", k->spec.curve);
	else {
		snprintf(num, sizeof num, "%u", k->spec.bits);
		put_str(&t, "size", num);
	}
	if (k->spec.type == KEY_RSA) {
		snprintf(num, sizeof num, "%lu", k->spec.pubexp);
		put_str(&t, "pubexp", num);
	}
	put_str(&t, "cka_id", idhex);
	put_str(&t, "token_serial", k->token_serial);
	put_str(&t, "world_hash", k->world_hash);
	put_str(&t, "created", k->created);
	put_pem(&t, "public_key", k->public_pem);
	if (k->check_value != NULL)
		put_str(&t, "check_value", k->check_value);
	put_str(&t, "wrap_mechanism", "CKM_AES_KEY_WRAP_PAD");
	put_str(&t, "wrapped_key", wrapped);
	r = save(kmdata, path, &t, force);
out:
	free(idhex);
	free(wrapped);
	free(t.s);
	return r;
}

int
keyrecord_xferacld_save(const char *kmdata, const struct key_xferacld *x, bool force)
{
	struct text t = { 0 };
	char path[4096];

	if (kmdata == NULL) {
		msg_err("no kmdata directory: give --kmdata DIR or set P11BYOK_KMDATA");
		return P11BYOK_EUSAGE;
	}
	if (keyrecord_xferacld_path(kmdata, x->ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	put(&t, "# p11byok transfer copy record (DESIGN.md section 3): the reduced-permission\n"
	    "# copy of key %s made by modify-acls, and the KEK it may leave under.\n", x->ident);
	put(&t, "version: " RECORD_VERSION "\n");
	put_str(&t, "ident", x->ident);
	put_str(&t, "token_serial", x->token_serial);
	put_str(&t, "world_hash", x->world_hash);
	put_str(&t, "kek_fingerprint", x->kek_fingerprint);
	put_str(&t, "kek_id", x->kek_id);
	put(&t, "attested: %s\n", x->attested ? "true" : "false");
	put_str(&t, "region", x->region);
	put(&t, "native: %s\n", x->native ? "true" : "false");
	put_str(&t, "created", x->created);
	{
		int r = save(kmdata, path, &t, force);
		free(t.s);
		return r;
	}
}

/* --- reading ------------------------------------------------------------------------ */

/* Loads PATH as a mapping, saying "no record" when it does not exist. */
static int
open_record(const char *kmdata, const char *path, const char *ident, const char *what,
    const char *hint, struct ydoc **doc)
{
	struct stat st;

	*doc = NULL;
	if (kmdata == NULL) {
		msg_err("no kmdata directory: give --kmdata DIR or set P11BYOK_KMDATA");
		return P11BYOK_EUSAGE;
	}
	if (stat(path, &st) != 0 && errno == ENOENT) {
		msg_err("no %s for ident %s in %s: %s", what, ident, kmdata, hint);
		return P11BYOK_EUSAGE;
	}
	return ydoc_load(path, what, doc);
}

/* A copy of the non-empty scalar at NODE (0 = absent: *OUT stays NULL). */
static int
text(struct ydoc *doc, int node, const char *field, char **out)
{
	const char *s;

	*out = NULL;
	if (node == 0)
		return 0;
	if ((s = ydoc_scalar(doc, node)) == NULL || *s == '\0')
		return ydoc_err(doc, node, "field '%s' is empty", field);
	if ((*out = strdup(s)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	return 0;
}

static int
boolean(struct ydoc *doc, int node, const char *field, bool *out)
{
	const char *s = ydoc_scalar(doc, node);
	if (s != NULL && strcmp(s, "true") == 0)
		*out = true;
	else if (s != NULL && strcmp(s, "false") == 0)
		*out = false;
	else
		return ydoc_err(doc, node, "field '%s' must be true or false", field);
	return 0;
}

static int
check_version(struct ydoc *doc, int node)
{
	const char *s = ydoc_scalar(doc, node);
	if (s == NULL || strcmp(s, RECORD_VERSION) != 0)
		return ydoc_err(doc, node, "record version '%s' is not supported (this p11byok "
		    "reads version " RECORD_VERSION ")", s ? s : "");
	return 0;
}

/* The ident field must name the file it is in: a renamed record is refused. */
static int
check_ident(struct ydoc *doc, int node, const char *ident, const char *got)
{
	if (strcmp(got, ident) != 0)
		return ydoc_err(doc, node, "the record is for ident '%s', not '%s': was the file "
		    "renamed?", got, ident);
	return 0;
}

int
keyrecord_simple_load(const char *kmdata, const char *ident, struct key_simple **out)
{
	struct key_simple *k = NULL;
	struct ydoc *doc = NULL;
	char path[4096], err[256], *type = NULL, *size = NULL, *curve = NULL, *pubexp = NULL;
	char *idhex = NULL, *mech = NULL, *wrapped = NULL, *want = NULL;
	unsigned char kcv[16];
	int version = 0, n_ident = 0, n_plain = 0, n_type = 0, n_size = 0, n_curve = 0;
	int n_pubexp = 0, n_id = 0, n_serial = 0, n_hash = 0, n_created = 0, n_pub = 0;
	int n_mech = 0, n_wrapped = 0, n_kcv = 0, r = P11BYOK_EUSAGE;
	const struct yfield fields[] = {
		{ "version", true, Y_SCALAR, &version },
		{ "ident", true, Y_SCALAR, &n_ident },
		{ "plainname", true, Y_SCALAR, &n_plain },
		{ "type", true, Y_SCALAR, &n_type },
		{ "size", false, Y_SCALAR, &n_size },
		{ "curve", false, Y_SCALAR, &n_curve },
		{ "pubexp", false, Y_SCALAR, &n_pubexp },
		{ "cka_id", true, Y_SCALAR, &n_id },
		{ "token_serial", true, Y_SCALAR, &n_serial },
		{ "world_hash", true, Y_SCALAR, &n_hash },
		{ "created", true, Y_SCALAR, &n_created },
		{ "public_key", false, Y_SCALAR, &n_pub },
		{ "check_value", false, Y_SCALAR, &n_kcv },
		{ "wrap_mechanism", true, Y_SCALAR, &n_mech },
		{ "wrapped_key", true, Y_SCALAR, &n_wrapped },
	};

	*out = NULL;
	if (kmdata != NULL && keyrecord_simple_path(kmdata, ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		goto out;
	}
	if ((r = open_record(kmdata, path, ident, "key record", "generate it first "
	    "(p11byok generate ident=ID ...) or check --kmdata", &doc)) != 0)
		goto out;
	if ((r = ydoc_map_fields(doc, ydoc_root(doc), "key record", fields,
	    sizeof fields / sizeof fields[0])) != 0 || (r = check_version(doc, version)) != 0)
		goto out;
	if ((k = calloc(1, sizeof *k)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	if ((r = text(doc, n_ident, "ident", &k->ident)) != 0 ||
	    (r = check_ident(doc, n_ident, ident, k->ident)) != 0 ||
	    (r = text(doc, n_plain, "plainname", &k->plainname)) != 0 ||
	    (r = text(doc, n_type, "type", &type)) != 0 ||
	    (r = text(doc, n_size, "size", &size)) != 0 ||
	    (r = text(doc, n_curve, "curve", &curve)) != 0 ||
	    (r = text(doc, n_pubexp, "pubexp", &pubexp)) != 0 ||
	    (r = text(doc, n_id, "cka_id", &idhex)) != 0 ||
	    (r = text(doc, n_serial, "token_serial", &k->token_serial)) != 0 ||
	    (r = text(doc, n_hash, "world_hash", &k->world_hash)) != 0 ||
	    (r = text(doc, n_created, "created", &k->created)) != 0 ||
	    (r = text(doc, n_pub, "public_key", &k->public_pem)) != 0 ||
	    (r = text(doc, n_kcv, "check_value", &k->check_value)) != 0 ||
	    (r = text(doc, n_mech, "wrap_mechanism", &mech)) != 0 ||
	    (r = text(doc, n_wrapped, "wrapped_key", &wrapped)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	switch (keyspec_parse(type, size, curve, pubexp, &k->spec, err, sizeof err)) {
	case KS_OK:
		break;
	case KS_BAD_SIZE:
		ydoc_err(doc, n_size ? n_size : n_type, "%s", err);
		goto out;
	case KS_BAD_CURVE:
		ydoc_err(doc, n_curve ? n_curve : n_type, "%s", err);
		goto out;
	case KS_BAD_PUBEXP:
		ydoc_err(doc, n_pubexp ? n_pubexp : n_type, "%s", err);
		goto out;
	default:
		ydoc_err(doc, n_type, "%s", err);
		goto out;
	}
	if ((want = malloc(2 * strlen(ident) + 1)) == NULL) {
		r = P11BYOK_EFAIL;
		goto out;
	}
	hex_encode((const unsigned char *)ident, strlen(ident), want, 0);
	if (strcmp(idhex, want) != 0) {
		ydoc_err(doc, n_id, "cka_id %s is not the ident's (%s)", idhex, want);
		goto out;
	}
	if (!hex_is_sha256(k->world_hash)) {
		ydoc_err(doc, n_hash, "world_hash must be 64 lower-case hex digits");
		goto out;
	}
	if (strcmp(mech, "CKM_AES_KEY_WRAP_PAD") != 0) {
		ydoc_err(doc, n_mech, "wrap_mechanism '%s' is not supported: only "
		    "CKM_AES_KEY_WRAP_PAD", mech);
		goto out;
	}
	if ((k->spec.type == KEY_AES) != (k->public_pem == NULL)) {
		ydoc_err(doc, n_pub ? n_pub : n_type, "%s", k->spec.type == KEY_AES ?
		    "an AES key has no public_key" : "the public_key of the key is missing");
		goto out;
	}
	if (k->check_value != NULL && (k->spec.type != KEY_AES ||
	    hex_decode(k->check_value, kcv, sizeof kcv) < 1 || strspn(k->check_value,
	    "0123456789abcdef") != strlen(k->check_value))) {
		ydoc_err(doc, n_kcv, "%s", k->spec.type != KEY_AES ? "only an AES key has a "
		    "check_value" : "check_value must be 2 to 32 lower-case hex digits");
		goto out;
	}
	if (b64_decode(wrapped, false, &k->wrapped, &k->wrapped_len) < 0 ||
	    k->wrapped_len < 16 || k->wrapped_len % 8 != 0) {
		ydoc_err(doc, n_wrapped, "wrapped_key is not the base64 of an RFC 5649 "
		    "wrapped key");
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	key_simple_free(k);
	ydoc_free(doc);
	free(type);
	free(size);
	free(curve);
	free(pubexp);
	free(idhex);
	free(mech);
	free(wrapped);
	free(want);
	return r;
}

int
keyrecord_xferacld_load(const char *kmdata, const char *ident, struct key_xferacld **out)
{
	struct key_xferacld *x = NULL;
	struct ydoc *doc = NULL;
	char path[4096];
	int version = 0, n_ident = 0, n_serial = 0, n_hash = 0, n_fp = 0, n_kid = 0;
	int n_att = 0, n_region = 0, n_native = 0, n_created = 0, r = P11BYOK_EUSAGE;
	const struct yfield fields[] = {
		{ "version", true, Y_SCALAR, &version },
		{ "ident", true, Y_SCALAR, &n_ident },
		{ "token_serial", true, Y_SCALAR, &n_serial },
		{ "world_hash", true, Y_SCALAR, &n_hash },
		{ "kek_fingerprint", true, Y_SCALAR, &n_fp },
		{ "kek_id", true, Y_SCALAR, &n_kid },
		{ "attested", true, Y_SCALAR, &n_att },
		{ "region", false, Y_SCALAR, &n_region },
		{ "native", true, Y_SCALAR, &n_native },
		{ "created", true, Y_SCALAR, &n_created },
	};

	*out = NULL;
	if (kmdata != NULL && keyrecord_xferacld_path(kmdata, ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		goto out;
	}
	if ((r = open_record(kmdata, path, ident, "transfer copy record", "run p11byok "
	    "modify-acls first", &doc)) != 0)
		goto out;
	if ((r = ydoc_map_fields(doc, ydoc_root(doc), "transfer copy record", fields,
	    sizeof fields / sizeof fields[0])) != 0 || (r = check_version(doc, version)) != 0)
		goto out;
	if ((x = calloc(1, sizeof *x)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	if ((r = text(doc, n_ident, "ident", &x->ident)) != 0 ||
	    (r = check_ident(doc, n_ident, ident, x->ident)) != 0 ||
	    (r = text(doc, n_serial, "token_serial", &x->token_serial)) != 0 ||
	    (r = text(doc, n_hash, "world_hash", &x->world_hash)) != 0 ||
	    (r = text(doc, n_fp, "kek_fingerprint", &x->kek_fingerprint)) != 0 ||
	    (r = text(doc, n_kid, "kek_id", &x->kek_id)) != 0 ||
	    (r = boolean(doc, n_att, "attested", &x->attested)) != 0 ||
	    (r = text(doc, n_region, "region", &x->region)) != 0 ||
	    (r = boolean(doc, n_native, "native", &x->native)) != 0 ||
	    (r = text(doc, n_created, "created", &x->created)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if (!hex_is_sha256(x->world_hash)) {
		ydoc_err(doc, n_hash, "world_hash must be 64 lower-case hex digits");
		goto out;
	}
	if (!hex_is_sha256(x->kek_fingerprint)) {
		ydoc_err(doc, n_fp, "kek_fingerprint must be 64 lower-case hex digits");
		goto out;
	}
	*out = x;
	x = NULL;
	r = 0;
out:
	key_xferacld_free(x);
	ydoc_free(doc);
	return r;
}
