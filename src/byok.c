/* byok.c: reading, checking and writing .byok files; see byok.h. */
#include "config.h"
#include "byok.h"
#include "b64.h"
#include "fsutil.h"
#include "msg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define BYOK_MAX_BYTES (1024 * 1024)
#define SCHEMA_VERSION "1.0.0"
#define ENC "CKM_RSA_AES_KEY_WRAP"

void
byok_free(struct byok *b)
{
	if (b == NULL)
		return;
	free(b->kid);
	free(b->generator);
	free(b->ciphertext);
	free(b);
}

/* Refuses any key of OBJ not in KNOWN (NULL-terminated); WHERE names the object. */
static int
only_known(const char *path, json_t *obj, const char *where, const char *const *known)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		const char *const *k;
		for (k = known; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL) {
			msg_err("%s: unknown field '%s' in %s: not a .byok file p11byok knows",
			    path, key, where);
			return -1;
		}
	}
	return 0;
}

static const char *
string_field(const char *path, json_t *obj, const char *where, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		msg_err("%s: %s lacks the field '%s': the file is not a complete .byok", path, where,
		    key);
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		msg_err("%s: field '%s' in %s must be a non-empty string", path, key, where);
		return NULL;
	}
	return json_string_value(v);
}

int
byok_read(const char *path, struct byok **out)
{
	static const char *const top_fields[] = { "schema_version", "header", "ciphertext",
		"generator", NULL };
	static const char *const header_fields[] = { "kid", "alg", "enc", NULL };
	int r = P11BYOK_EUSAGE;
	struct byok *b = NULL;
	json_t *doc = NULL, *header;
	json_error_t jerr;
	const char *v, *kid, *ct;
	char *text = NULL;
	size_t len;

	*out = NULL;
	if (fs_read_file(path, ".byok file", BYOK_MAX_BYTES, &text, &len) != 0)
		goto out;
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		msg_err("%s:%d:%d: malformed JSON: %s; the .byok file is damaged, make it again",
		    path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(doc)) {
		msg_err("%s: a .byok file is a JSON object, this is not", path);
		goto out;
	}
	if (only_known(path, doc, "the file", top_fields) < 0)
		goto out;
	if ((v = string_field(path, doc, "the file", "schema_version")) == NULL)
		goto out;
	if (strcmp(v, SCHEMA_VERSION) != 0) {
		msg_err("%s: schema_version '%s' is not %s, the only one p11byok reads", path, v,
		    SCHEMA_VERSION);
		goto out;
	}
	if (!json_is_object(header = json_object_get(doc, "header"))) {
		msg_err("%s: the file lacks the object 'header'", path);
		goto out;
	}
	if (only_known(path, header, "the header", header_fields) < 0 ||
	    (kid = string_field(path, header, "the header", "kid")) == NULL ||
	    (v = string_field(path, header, "the header", "alg")) == NULL)
		goto out;
	if (strcmp(v, "dir") != 0) {
		msg_err("%s: header alg '%s' is not 'dir'", path, v);
		goto out;
	}
	if ((v = string_field(path, header, "the header", "enc")) == NULL)
		goto out;
	if (strcmp(v, ENC) != 0) {
		msg_err("%s: header enc '%s' is not " ENC, path, v);
		goto out;
	}
	if ((ct = string_field(path, doc, "the file", "ciphertext")) == NULL)
		goto out;
	if ((b = calloc(1, sizeof *b)) == NULL || (b->kid = strdup(kid)) == NULL) {
		r = P11BYOK_EFAIL;
		msg_err("out of memory");
		goto out;
	}
	if (json_object_get(doc, "generator") != NULL) {
		if ((v = string_field(path, doc, "the file", "generator")) == NULL)
			goto out;
		if ((b->generator = strdup(v)) == NULL) {
			r = P11BYOK_EFAIL;
			goto out;
		}
	}
	if (b64_decode(ct, true, &b->ciphertext, &b->ciphertext_len) < 0) {
		msg_err("%s: ciphertext is not base64url: the file is damaged, make it again", path);
		goto out;
	}
	/* The smallest: a 2048-bit OAEP block and a wrapped 128-bit AES key. */
	if (b->ciphertext_len < 256 + 24) {
		msg_err("%s: ciphertext is %zu bytes, too short to hold a wrapped key", path,
		    b->ciphertext_len);
		goto out;
	}
	*out = b;
	b = NULL;
	r = 0;
out:
	byok_free(b);
	json_decref(doc);
	free(text);
	return r;
}

char *
byok_encode(const struct byok *b)
{
	char *ct = NULL, *text = NULL;
	json_t *doc = NULL;

	if ((ct = b64_encode(b->ciphertext, b->ciphertext_len, true)) == NULL ||
	    (doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s}", "schema_version",
	    SCHEMA_VERSION, "header", "kid", b->kid, "alg", "dir", "enc", ENC, "ciphertext", ct,
	    "generator", b->generator ? b->generator : PACKAGE " " VERSION)) == NULL ||
	    (text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		msg_err("out of memory writing a .byok");
	free(ct);
	json_decref(doc);
	return text;
}

enum byok_kind
byok_kind_of(size_t wrapped_len)
{
	return wrapped_len <= 40 ? BYOK_AES : wrapped_len <= 300 ? BYOK_EC : BYOK_RSA;
}

/* RFC 5649 output lengths (PKCS#8 length rounded up to 8, plus 8) of what p11byok wraps. */
static const struct {
	size_t min, max;
	const char *kind;
} shapes[] = {
	{ 24, 24, "AES-128 key (raw)" },
	{ 32, 32, "AES-192 key (raw)" },
	{ 40, 40, "AES-256 key (raw)" },
	{ 80, 160, "EC P-256 private key (PKCS#8)" },
	{ 161, 216, "EC P-384 private key (PKCS#8)" },
	{ 217, 280, "EC P-521 private key (PKCS#8)" },
	{ 1184, 1248, "RSA-2048 private key (PKCS#8)" },
	{ 1760, 1824, "RSA-3072 private key (PKCS#8)" },
	{ 2336, 2400, "RSA-4096 private key (PKCS#8)" },
};

void
byok_shape(size_t len, struct byok_shape *shape)
{
	/* Azure's KEKs are RSA 2048, 3072 or 4096 bits; the first size that leaves a key-wrap
	 * part of a shape p11byok makes wins.  */
	static const unsigned kek_bits[] = { 2048, 3072, 4096 };
	memset(shape, 0, sizeof *shape);
	shape->key_kind = "unknown";
	for (size_t k = 0; k < 3; k++) {
		size_t m = kek_bits[k] / 8;
		if (len <= m + 16 || (len - m) % 8 != 0)
			continue;
		for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
			if (len - m >= shapes[s].min && len - m <= shapes[s].max) {
				shape->kek_bits = kek_bits[k];
				shape->wrapped_len = len - m;
				shape->key_kind = shapes[s].kind;
				return;
			}
	}
}
