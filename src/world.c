/* world.c: kmdata/world and the world backup key; see world.h.
 *
 * kmdata/world is YAML, written by `world init` only:
 *
 *   # p11byok security world (DESIGN.md §3); written by 'p11byok world init'
 *   version: 1
 *   token_label: "byok-world"
 *   token_serial: "1c2f3e4d5a6b7c8d"
 *   cipher_suite: DLf3072s256mRijndael
 *   quorum: 2/3
 *   cards:                    # SHA-256 of card-I-of-N.acs, I = 1..N in order
 *     - 3a7b...
 *   world_hash: 9f2c...       # lower-case hex SHA-256, fixed at init
 *   so_check: 0a1b2c3d4e5f6a7b  # check value of the SO secret the cards rebuild (cards.h)
 *   created: "2024-05-01T12:00:00Z"
 */
#include "config.h"
#include "world.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"
#include "p11attr.h"
#include "yamldoc.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WORLD_FILE "world"
#define WORLD_VERSION "1"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static char key_label[] = WORLD_KEY_LABEL, key_id[] = WORLD_KEY_ID;

const char *const world_cipher_suites[] = {
	"DLf3072s256mRijndael", "DLf1024s160mRijndael", NULL,
};

bool
world_suite_known(const char *suite)
{
	for (const char *const *s = world_cipher_suites; *s != NULL; s++)
		if (strcmp(*s, suite) == 0)
			return true;
	return false;
}

bool
world_suite_legacy(const char *suite)
{
	return strcmp(suite, "DLf1024s160mRijndael") == 0;
}

void
world_free(struct world *w)
{
	if (w == NULL)
		return;
	free(w->token_label);
	free(w->token_serial);
	free(w->cipher_suite);
	free(w->created);
	free(w);
}

const char *
world_path(const char *kmdata, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/" WORLD_FILE, kmdata);
	return n > 0 && (size_t)n < len ? buf : NULL;
}

/* Parses "K/N" with 1 <= K <= N <= WORLD_MAX_CARDS; false otherwise. */
bool
world_parse_quorum(const char *text, unsigned *k, unsigned *n)
{
	char *end;
	unsigned long kk, nn;

	if (text == NULL || *text < '0' || *text > '9')
		return false;
	errno = 0;
	kk = strtoul(text, &end, 10);
	if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9')
		return false;
	nn = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	if (kk < 1 || kk > nn || nn > WORLD_MAX_CARDS)
		return false;
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return true;
}

int
world_load(const char *kmdata, struct world **out)
{
	int r = P11BYOK_EUSAGE;
	struct ydoc *doc = NULL;
	struct world *w = NULL;
	char path[4096];
	struct stat st;
	int e, version = 0, label = 0, serial = 0, suite = 0, quorum = 0, cards = 0, hash = 0,
	    created = 0, so_check = 0;
	const struct yfield fields[] = {
		{ "version", true, Y_SCALAR, &version },
		{ "token_label", true, Y_SCALAR, &label },
		{ "token_serial", true, Y_SCALAR, &serial },
		{ "cipher_suite", true, Y_SCALAR, &suite },
		{ "quorum", true, Y_SCALAR, &quorum },
		{ "cards", true, Y_SEQ, &cards },
		{ "world_hash", true, Y_SCALAR, &hash },
		{ "created", true, Y_SCALAR, &created },
		{ "so_check", false, Y_SCALAR, &so_check },
	};

	*out = NULL;
	if (kmdata == NULL) {
		msg_err("no kmdata directory given: pass --kmdata DIR or set P11BYOK_KMDATA");
		return P11BYOK_EUSAGE;
	}
	if (world_path(kmdata, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if ((e = stat(kmdata, &st) == 0 ? 0 : errno) != 0 || !S_ISDIR(st.st_mode)) {
		msg_err("kmdata %s %s%s: give --kmdata the directory 'p11byok world init' wrote",
		    kmdata, e == 0 ? "is not a directory" : e == ENOENT ? "does not exist" :
		    "cannot be read: ", e == 0 || e == ENOENT ? "" : strerror(e));
		return P11BYOK_EUSAGE;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		msg_err("no world in %s: run 'p11byok world init'", kmdata);
		return P11BYOK_EUSAGE;
	}
	/* Records are trusted as found only in a directory nobody else can write. */
	if ((r = fs_check_dir_private(kmdata, "kmdata directory")) != 0)
		return r;
	if ((r = ydoc_load(path, "world file", &doc)) != 0)
		goto out;
	if ((r = ydoc_map_fields(doc, ydoc_root(doc), "world file", fields,
	    sizeof fields / sizeof fields[0])) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if (strcmp(ydoc_scalar(doc, version), WORLD_VERSION) != 0) {
		ydoc_err(doc, version, "world file version '%s' is not one this p11byok reads "
		    "(" WORLD_VERSION "): use the p11byok that wrote it", ydoc_scalar(doc, version));
		goto out;
	}
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->token_label = strdup(ydoc_scalar(doc, label))) == NULL ||
	    (w->token_serial = strdup(ydoc_scalar(doc, serial))) == NULL ||
	    (w->cipher_suite = strdup(ydoc_scalar(doc, suite))) == NULL ||
	    (w->created = strdup(ydoc_scalar(doc, created))) == NULL) {
		msg_err("out of memory reading %s", path);
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (!world_suite_known(w->cipher_suite)) {
		ydoc_err(doc, suite, "unknown cipher suite '%s'; known: DLf3072s256mRijndael, "
		    "DLf1024s160mRijndael", w->cipher_suite);
		goto out;
	}
	if (!world_parse_quorum(ydoc_scalar(doc, quorum), &w->k, &w->n)) {
		ydoc_err(doc, quorum, "quorum '%s' must be K/N with 1 <= K <= N <= %d",
		    ydoc_scalar(doc, quorum), WORLD_MAX_CARDS);
		goto out;
	}
	if (ydoc_seq_len(doc, cards) != w->n) {
		ydoc_err(doc, cards, "the world lists %zu card fingerprints but its quorum has "
		    "N = %u cards", ydoc_seq_len(doc, cards), w->n);
		goto out;
	}
	for (unsigned i = 0; i < w->n; i++) {
		int item = ydoc_seq_item(doc, cards, i);
		const char *fp = ydoc_scalar(doc, item);
		if (!hex_is_sha256(fp)) {
			ydoc_err(doc, item, "card %u's fingerprint must be 64 lower-case hex digits "
			    "(SHA-256)", i + 1);
			goto out;
		}
		memcpy(w->card_fp[i], fp, 65);
	}
	if (!hex_is_sha256(ydoc_scalar(doc, hash))) {
		ydoc_err(doc, hash, "world_hash must be 64 lower-case hex digits (SHA-256)");
		goto out;
	}
	memcpy(w->hash, ydoc_scalar(doc, hash), 65);
	if (so_check != 0) {
		const char *s = ydoc_scalar(doc, so_check);
		if (strlen(s) != 16 || strspn(s, "0123456789abcdef") != 16) {
			ydoc_err(doc, so_check, "so_check must be 16 lower-case hex digits");
			goto out;
		}
		memcpy(w->so_check, s, 17);
	}
	*out = w;
	w = NULL;
	r = 0;
out:
	world_free(w);
	ydoc_free(doc);
	return r;
}

/* Writes S as a YAML double-quoted scalar. */
static void
yaml_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

int
world_save(const char *kmdata, const struct world *w, bool force)
{
	int r = P11BYOK_EFAIL;
	char path[4096], *text = NULL;
	size_t len = 0;
	FILE *f = NULL;

	if (world_path(kmdata, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		msg_err("out of memory writing %s", path);
		goto out;
	}
	fprintf(f, "# p11byok security world (DESIGN.md §3); written by 'p11byok world init'\n");
	fprintf(f, "version: " WORLD_VERSION "\ntoken_label: ");
	yaml_quoted(f, w->token_label);
	fprintf(f, "\ntoken_serial: ");
	yaml_quoted(f, w->token_serial);
	fprintf(f, "\ncipher_suite: ");
	yaml_quoted(f, w->cipher_suite);
	fprintf(f, "\nquorum: %u/%u\n", w->k, w->n);
	fprintf(f, "cards:                  # SHA-256 of card-I-of-%u.acs, I = 1..%u\n", w->n,
	    w->n);
	for (unsigned i = 0; i < w->n && i < WORLD_MAX_CARDS; i++)
		fprintf(f, "  - %s\n", w->card_fp[i]);
	fprintf(f, "world_hash: %s\ncreated: ", w->hash);
	yaml_quoted(f, w->created);
	fputc('\n', f);
	if (w->so_check[0] != '\0')
		fprintf(f, "so_check: %s\n", w->so_check);
	if (fclose(f) != 0) {
		f = NULL;
		msg_err("out of memory writing %s", path);
		goto out;
	}
	f = NULL;
	r = fs_write_atomic(path, text, len, 0600, force);
out:
	if (f != NULL)
		fclose(f);
	free(text);
	return r;
}

int
world_new_hash(struct world *w)
{
	unsigned char nonce[32], d[SHA256_LEN];
	EVP_MD_CTX *md = NULL;
	char q[32];
	int r = P11BYOK_EFAIL;

	if (RAND_bytes(nonce, sizeof nonce) != 1) {
		msg_ssl("cannot draw the world hash's random part");
		return r;
	}
	snprintf(q, sizeof q, "%u/%u", w->k, w->n);
	/* Each part NUL-terminated, so no two different worlds hash the same text. */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, "p11byok world v1", 17) ||
	    !EVP_DigestUpdate(md, w->token_label, strlen(w->token_label) + 1) ||
	    !EVP_DigestUpdate(md, w->cipher_suite, strlen(w->cipher_suite) + 1) ||
	    !EVP_DigestUpdate(md, q, strlen(q) + 1) ||
	    !EVP_DigestUpdate(md, w->created, strlen(w->created) + 1) ||
	    !EVP_DigestUpdate(md, nonce, sizeof nonce) ||
	    !EVP_DigestFinal_ex(md, d, NULL)) {
		msg_ssl("cannot compute the world hash");
		goto out;
	}
	hex_encode(d, sizeof d, w->hash, 0);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

char *
world_now(void)
{
	char when[32];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(when);
}

int
world_check_token(const struct world *w, struct p11 *p)
{
	if (strcmp(w->token_serial, p11_token_serial(p)) == 0 &&
	    strcmp(w->token_label, p11_token_label(p)) == 0)
		return 0;
	msg_err("token '%s' (serial %s) is not the world's token '%s' (serial %s): choose it "
	    "with --token 'pkcs11:serial=%s', or use the kmdata of this token's world",
	    p11_token_label(p), p11_token_serial(p), w->token_label, w->token_serial,
	    w->token_serial);
	return P11BYOK_EUSAGE;
}

int
world_select_token(const struct world *w, struct p11 *p, const char *uri)
{
	char by_serial[128];
	bool plain = *w->token_serial != '\0';
	int r;

	for (const char *c = w->token_serial; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= 'A' && *c <= 'Z')))
			plain = false;
	if (uri == NULL && plain) {
		snprintf(by_serial, sizeof by_serial, "pkcs11:serial=%s", w->token_serial);
		/* p11_select_token names the URI when the token is absent. */
		if ((r = p11_select_token(p, by_serial, P11_WANT_INITIALISED)) != 0)
			return r;
	} else if ((r = p11_select_token(p, uri, P11_WANT_INITIALISED)) != 0) {
		return r;
	}
	return world_check_token(w, p);
}

/* What every key unwrapped under the world key must be: bound to trusted wrapping keys and
 * sensitive, so a backup can never come back weaker than it left.  */
static CK_ATTRIBUTE unwrap_tmpl[] = {
	{ CKA_WRAP_WITH_TRUSTED, &yes, sizeof yes },
	{ CKA_SENSITIVE, &yes, sizeof yes },
};
/* What may be wrapped under it: modifiable keys, which the world's keys are and the transfer
 * keys and copies are not.  Without this a user could take a transfer key out under the
 * world key, unwrap it back as a decrypting session key, and read any key wrapped under the
 * real one.  */
static CK_ATTRIBUTE wrap_tmpl[] = {
	{ CKA_MODIFIABLE, &yes, sizeof yes },
};

/* The flags of the world key, as world_create_key sets them and world_key_check wants
 * them (CKA_LOCAL, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE are the token's word that
 * it made the key and nobody ever saw it).  */
static const struct { CK_ATTRIBUTE_TYPE type; bool v; } key_flags[] = {
	{ CKA_TOKEN, true }, { CKA_PRIVATE, false }, { CKA_TRUSTED, true },
	{ CKA_WRAP, true }, { CKA_UNWRAP, true }, { CKA_ENCRYPT, false }, { CKA_DECRYPT, false },
	{ CKA_SIGN, false }, { CKA_VERIFY, false }, { CKA_DERIVE, false },
	{ CKA_SENSITIVE, true }, { CKA_EXTRACTABLE, false }, { CKA_MODIFIABLE, false },
	{ CKA_LOCAL, true }, { CKA_ALWAYS_SENSITIVE, true }, { CKA_NEVER_EXTRACTABLE, true },
};

int
world_key_check(struct p11 *p, CK_OBJECT_HANDLE h, char *why, size_t len)
{
	CK_ATTRIBUTE *t = NULL;
	CK_ULONG n = 0, kt = 0, cls = 0, vlen = 0;
	CK_RV rv;

	*why = '\0';
	if ((rv = p11attr_ulong(p, h, CKA_CLASS, &cls)) != CKR_OK ||
	    (rv = p11attr_ulong(p, h, CKA_KEY_TYPE, &kt)) != CKR_OK) {
		msg_ck(rv, "cannot read the world backup key of token '%s'", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((rv = p11attr_ulong(p, h, CKA_VALUE_LEN, &vlen)) != CKR_OK &&
	    rv != CKR_ATTRIBUTE_TYPE_INVALID) {
		msg_ck(rv, "cannot read the size of the world backup key of token '%s'",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (cls != CKO_SECRET_KEY || kt != CKK_AES || (rv == CKR_OK && vlen != 0 && vlen != 32)) {
		snprintf(why, len, "it is not an AES-256 secret key");
		return 0;
	}
	for (size_t i = 0; i < sizeof key_flags / sizeof key_flags[0]; i++) {
		bool v = false;
		if ((rv = p11attr_bool(p, h, key_flags[i].type, &v)) != CKR_OK) {
			msg_ck(rv, "cannot read %s of the world backup key of token '%s'",
			    p11attr_name(key_flags[i].type), p11_token_label(p));
			return P11BYOK_EFAIL;
		}
		if (v != key_flags[i].v) {
			snprintf(why, len, "%s is %s", p11attr_name(key_flags[i].type),
			    v ? "true" : "false");
			return 0;
		}
	}
	if ((rv = p11attr_get_template(p, h, CKA_WRAP_TEMPLATE, &t, &n)) != CKR_OK) {
		msg_ck(rv, "cannot read the wrap template of the world key of token '%s'",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (!p11attr_template_equal(t, n, wrap_tmpl, sizeof wrap_tmpl / sizeof *wrap_tmpl))
		snprintf(why, len, "its wrap template is not {CKA_MODIFIABLE=true}");
	p11attr_template_free(t, n);
	if (*why != '\0')
		return 0;
	if ((rv = p11attr_get_template(p, h, CKA_UNWRAP_TEMPLATE, &t, &n)) != CKR_OK) {
		msg_ck(rv, "cannot read the unwrap template of the world key of token '%s'",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (!p11attr_template_equal(t, n, unwrap_tmpl, sizeof unwrap_tmpl / sizeof *unwrap_tmpl))
		snprintf(why, len, "its unwrap template is not {CKA_WRAP_WITH_TRUSTED=true, "
		    "CKA_SENSITIVE=true}");
	p11attr_template_free(t, n);
	return 0;
}

int
world_lookup_key(struct p11 *p, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_LABEL, key_label, sizeof key_label - 1 },
	};
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;
	char why[160];
	CK_RV rv;
	int r;

	*out = CK_INVALID_HANDLE;
	if ((rv = p11attr_find(p, t, sizeof t / sizeof t[0], h, 4, &n)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the world backup key", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if (n == 0)
		return 0;
	if (n > 1) {
		msg_err("token '%s' holds %lu keys labelled " WORLD_KEY_LABEL ": someone made the "
		    "others; p11byok uses none of them until only the real one is left (see "
		    "p11byok world show)", p11_token_label(p), (unsigned long)n);
		return P11BYOK_EFAIL;
	}
	if ((r = world_key_check(p, h[0], why, sizeof why)) != 0)
		return r;
	if (*why != '\0') {
		msg_err("the world backup key of token '%s' is refused: %s; it is not the key world "
		    "init makes (a forged one, or a world made by an older p11byok): make a new "
		    "world", p11_token_label(p), why);
		return P11BYOK_EFAIL;
	}
	*out = h[0];
	return 0;
}

int
world_open_key(struct p11 *p, CK_OBJECT_HANDLE *out)
{
	int r;

	if ((r = world_lookup_key(p, out)) != 0 || *out != CK_INVALID_HANDLE)
		return r;
	msg_err("token '%s' has no world backup key (label " WORLD_KEY_LABEL "): it is not the "
	    "world's token, or the world is damaged; run p11byok world show", p11_token_label(p));
	return P11BYOK_EENV;
}

bool
world_key_protected(struct p11 *p, CK_OBJECT_HANDLE h)
{
	bool destroyable = true, copyable = true;
	CK_BBOOL v = CK_TRUE;
	CK_ATTRIBUTE a = { CKA_DESTROYABLE, &v, sizeof v };

	/* A module that does not know the attribute lets anyone destroy the key. */
	if (p11_fn(p)->C_GetAttributeValue(p11_session(p), h, &a, 1) == CKR_OK)
		destroyable = v == CK_TRUE;
	a.type = CKA_COPYABLE;
	v = CK_TRUE;
	if (p11_fn(p)->C_GetAttributeValue(p11_session(p), h, &a, 1) == CKR_OK)
		copyable = v == CK_TRUE;
	return !destroyable && !copyable;
}

int
world_create_key(struct p11 *p, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG bytes = 32;
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE_LEN, &bytes, sizeof bytes },
		{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
		{ CKA_LABEL, key_label, sizeof key_label - 1 },
		{ CKA_ID, key_id, sizeof key_id - 1 },
		{ CKA_TRUSTED, &yes, 1 },
		{ CKA_WRAP, &yes, 1 }, { CKA_UNWRAP, &yes, 1 },
		{ CKA_ENCRYPT, &no, 1 }, { CKA_DECRYPT, &no, 1 },
		{ CKA_SIGN, &no, 1 }, { CKA_VERIFY, &no, 1 }, { CKA_DERIVE, &no, 1 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &no, 1 },
		{ CKA_MODIFIABLE, &no, 1 },
		{ CKA_UNWRAP_TEMPLATE, unwrap_tmpl, sizeof unwrap_tmpl },
		{ CKA_WRAP_TEMPLATE, wrap_tmpl, sizeof wrap_tmpl },
		/* A public object: without these any session, logged in or not, could destroy
		 * it and leave every backup in kmdata unrestorable, or copy it.  Last, so a
		 * module that does not know them can be asked again without them.  */
		{ CKA_DESTROYABLE, &no, 1 }, { CKA_COPYABLE, &no, 1 },
	};
	CK_ULONG count = sizeof t / sizeof t[0];
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	{
		CK_ATTRIBUTE f[] = {
			{ CKA_CLASS, &cls, sizeof cls },
			{ CKA_LABEL, key_label, sizeof key_label - 1 },
		};
		if ((rv = p11attr_find(p, f, 2, h, 2, &n)) != CKR_OK) {
			msg_ck(rv, "cannot search token '%s' for the world backup key",
			    p11_token_label(p));
			return P11BYOK_EFAIL;
		}
	}
	if (n > 0) {
		msg_err("token '%s' already holds a world backup key '%s': a world has one; "
		    "p11byok does not make a second", p11_token_label(p), WORLD_KEY_LABEL);
		return P11BYOK_EFAIL;
	}
	rv = p11_fn(p)->C_GenerateKey(p11_session(p), &mech, t, count, out);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT) {
		msg_warn("token '%s' does not take CKA_DESTROYABLE/CKA_COPYABLE: its world key can "
		    "be destroyed by any session, which would leave every backup in kmdata "
		    "unrestorable (p11byok doctor reports this)", p11_token_label(p));
		rv = p11_fn(p)->C_GenerateKey(p11_session(p), &mech, t, count - 2, out);
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot create the world backup key on token '%s' (C_GenerateKey of "
		    "AES-256 in the SO session)", p11_token_label(p));
		*out = CK_INVALID_HANDLE;
		return P11BYOK_EFAIL;
	}
	return 0;
}
