/* runbook.c: loading and checking the YAML config and runbook; see runbook.h. */
#include "config.h"
#include "runbook.h"
#include "upload.h"
#include "attest.h"
#include "keygen.h"
#include "msg.h"
#include "p11.h"
#include "yamldoc.h"

#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Field names that would hold a secret: refused, so no PIN or passphrase sits in a runbook. */
static const char *const secret_words[] = { "pin", "so_pin", "user_pin", "password",
	"passphrase", "pass", "secret", "card_pass", "card_passphrase", "sopin", NULL };

static void
key_free(struct config_key *k)
{
	free(k->ident);
	free(k->plainname);
	free(k->friendly_name);
	free(k->subscription_id);
	free(k->vault_name);
	free(k->hsm_name);
	free(k->type);
	free(k->size);
	free(k->curve);
	free(k->pubexp);
	free(k->kek_pem);
	free(k->kek_id);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nkeys; i++)
		key_free(&c->keys[i]);
	for (size_t i = 0; i < c->ncards; i++) {
		free(c->cards[i].file);
		free(c->cards[i].pass_file);
	}
	free(c->keys);
	free(c->cards);
	free(c->path);
	free(c->module);
	free(c->token);
	free(c->kmdata);
	free(c->regions);
	free(c->pin_file);
	free(c->region);
	free(c->kek_pem);
	free(c->kek_id);
	free(c->root_hash);
	free(c->toolset);
	free(c->toolset_dir);
	free(c->output_dir);
	free(c->vault_name);
	free(c->hsm_name);
	ydoc_free(c->doc);
	free(c);
}

/* Checks the mapping NODE like ydoc_map_fields, but first refuses any field whose name says
 * it holds a secret, so no PIN or passphrase ever sits in a runbook.  */
static int
map_fields(struct ydoc *doc, int node, const char *what, const struct yfield *fields,
    size_t n)
{
	for (size_t i = 0; i < ydoc_map_len(doc, node); i++) {
		int key = ydoc_map_key(doc, node, i);
		const char *name = ydoc_scalar(doc, key);
		for (const char *const *w = secret_words; name != NULL && *w != NULL; w++)
			if (strcasecmp(name, *w) == 0)
				return ydoc_err(doc, key, "the %s holds a secret inline ('%s'): secrets "
				    "never go in a runbook; use pin_file or pass_file", what, name);
	}
	return ydoc_map_fields(doc, node, what, fields, n);
}

/* The longest value of each kind of field: a longer one is refused without being echoed. */
enum { MAX_PATH = 4095, MAX_URI = 1024, MAX_NAME = 127, MAX_WORD = 32 };

/* A copy of the scalar at NODE, with a relative path resolved against BASE.  Refused (YAML's
 * nulls are refused by ydoc_map_fields already): "", a word YAML 1.1 reads as a boolean
 * (another YAML reader would see true or false there, not the text), more than MAX bytes.  */
static int
text(struct ydoc *doc, int node, const char *field, const char *base, size_t max, char **out)
{
	const char *s = ydoc_scalar(doc, node);
	size_t len;

	if (node == 0)
		return 0;
	if (s == NULL || *s == '\0')
		return ydoc_err(doc, node, "field '%s' is empty: give a value", field);
	if (ydoc_is_bool(doc, node))
		return ydoc_err(doc, node, "field '%s' is %s, which YAML reads as a boolean, not "
		    "text: write \"%s\" in quotes if you mean the word", field, s, s);
	if ((len = strlen(s)) > max)
		return ydoc_err(doc, node, "field '%s' is %zu bytes long: it takes at most %zu; "
		    "shorten it", field, len, max);
	if (base != NULL && s[0] != '/') {
		if (asprintf(out, "%s/%s", base, s) < 0)
			*out = NULL;
	} else {
		*out = strdup(s);
	}
	if (*out == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	return 0;
}

/* A file name field (pin_file, pass_file) whose value is all digits holds the PIN itself,
 * not the name of a file with it: refused without the value appearing anywhere.  */
static int
not_inline_secret(struct ydoc *doc, int node, const char *field, const char *secret)
{
	const char *s = ydoc_scalar(doc, node);
	if (node == 0 || s == NULL || *s == '\0')
		return 0;
	for (const char *c = s; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c))
			return 0;
	return ydoc_err(doc, node, "%s looks like a %s written inline, not a file name; put the "
	    "%s in a file (mode 0600) and give its path", field, secret, secret);
}

static int
load_cards(struct ydoc *doc, int node, const char *base, struct config *c)
{
	size_t n = ydoc_seq_len(doc, node);
	if (node == 0)
		return 0;
	if (n == 0 || n > 16)
		return ydoc_err(doc, node, "cards must list 1 to 16 cards");
	if ((c->cards = calloc(n, sizeof *c->cards)) == NULL)
		return P11BYOK_EFAIL;
	for (size_t i = 0; i < n; i++) {
		int item = ydoc_seq_item(doc, node, i), file = 0, pass = 0, r;
		const struct yfield f[] = {
			{ "file", true, Y_SCALAR, &file },
			{ "pass_file", false, Y_SCALAR, &pass },
		};
		c->ncards++;	/* counted first, so config_free frees a half-read entry */
		if ((r = map_fields(doc, item, "card entry", f, 2)) != 0 ||
		    (r = text(doc, file, "file", base, MAX_PATH, &c->cards[i].file)) != 0 ||
		    (r = not_inline_secret(doc, pass, "pass_file", "passphrase")) != 0 ||
		    (r = text(doc, pass, "pass_file", base, MAX_PATH, &c->cards[i].pass_file)) != 0)
			return r;
		c->cards[i].at_file = file;
		c->cards[i].at_pass_file = pass;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->cards[j].file, c->cards[i].file) == 0)
				return ydoc_err(doc, file, "card %s is listed twice: each card counts "
				    "once", c->cards[i].file);
	}
	return 0;
}

/* vault_name and hsm_name at VAULT and HSM (0 when absent): a name Azure takes, and not both.
 * Stored in *V and *H.  0 or P11BYOK_EUSAGE after one line at the value.  */
static int
upload_names(struct ydoc *doc, int vault, int hsm, char **v, char **h)
{
	int r;

	if ((r = text(doc, vault, "vault_name", NULL, MAX_NAME, v)) != 0 ||
	    (r = text(doc, hsm, "hsm_name", NULL, MAX_NAME, h)) != 0)
		return r;
	if (vault != 0 && hsm != 0)
		return ydoc_err(doc, hsm, "give vault_name (Key Vault) or hsm_name (Managed HSM), "
		    "not both");
	if (*v != NULL && !upload_valid_name(*v))
		return ydoc_err(doc, vault, "vault_name '%s' is not a Key Vault name: 3 to 24 "
		    "letters, digits and dashes, starting with a letter", *v);
	if (*h != NULL && !upload_valid_name(*h))
		return ydoc_err(doc, hsm, "hsm_name '%s' is not a Managed HSM name: 3 to 24 "
		    "letters, digits and dashes, starting with a letter", *h);
	return 0;
}

static int
load_key(struct ydoc *doc, int item, const char *base, struct config_key *k)
{
	int ident = 0, plain = 0, type = 0, size = 0, curve = 0, pubexp = 0, fname = 0, sub = 0,
	    pem = 0, kid = 0, vault = 0, hsm = 0, r;
	const struct yfield f[] = {
		{ "ident", true, Y_SCALAR, &ident },
		{ "plainname", false, Y_SCALAR, &plain },
		{ "type", true, Y_SCALAR, &type },
		{ "size", false, Y_SCALAR, &size },
		{ "curve", false, Y_SCALAR, &curve },
		{ "pubexp", false, Y_SCALAR, &pubexp },
		{ "friendly_name", true, Y_SCALAR, &fname },
		{ "subscription_id", false, Y_SCALAR, &sub },
		{ "kek_pem", false, Y_SCALAR, &pem },
		{ "kek_id", false, Y_SCALAR, &kid },
		{ "vault_name", false, Y_SCALAR, &vault },
		{ "hsm_name", false, Y_SCALAR, &hsm },
	};
	char err[512];

	k->line = ydoc_line(doc, item);
	/* plainname becomes the CKA_LABEL: at most KEYGEN_LABEL_MAX, no control characters
	 * (ydoc_check_text), as generate takes it.  */
	if ((r = map_fields(doc, item, "key entry", f, sizeof f / sizeof f[0])) != 0 ||
	    (r = text(doc, ident, "ident", NULL, MAX_NAME, &k->ident)) != 0 ||
	    (r = text(doc, plain ? plain : ident, "plainname", NULL, KEYGEN_LABEL_MAX,
	    &k->plainname)) != 0 ||
	    (r = text(doc, type, "type", NULL, MAX_WORD, &k->type)) != 0 ||
	    (r = text(doc, size, "size", NULL, MAX_WORD, &k->size)) != 0 ||
	    (r = text(doc, curve, "curve", NULL, MAX_WORD, &k->curve)) != 0 ||
	    (r = text(doc, pubexp, "pubexp", NULL, MAX_WORD, &k->pubexp)) != 0 ||
	    (r = text(doc, fname, "friendly_name", NULL, MAX_NAME, &k->friendly_name)) != 0 ||
	    (r = text(doc, sub, "subscription_id", NULL, MAX_NAME, &k->subscription_id)) != 0 ||
	    (r = text(doc, pem, "kek_pem", base, MAX_PATH, &k->kek_pem)) != 0 ||
	    (r = text(doc, kid, "kek_id", NULL, MAX_URI, &k->kek_id)) != 0 ||
	    (r = upload_names(doc, vault, hsm, &k->vault_name, &k->hsm_name)) != 0)
		return r;
	k->at_kek_pem = pem;
	k->at_type = type;
	if (!keyspec_valid_ident(k->ident))
		return ydoc_err(doc, ident, "ident '%s' must be 1 to 64 digits, lower-case letters "
		    "and dashes", k->ident);
	switch (keyspec_parse(k->type, k->size, k->curve, k->pubexp, &k->spec, err, sizeof err)) {
	case KS_OK: break;
	case KS_BAD_SIZE: return ydoc_err(doc, size ? size : item, "%s", err);
	case KS_BAD_CURVE: return ydoc_err(doc, curve ? curve : item, "%s", err);
	case KS_BAD_PUBEXP: return ydoc_err(doc, pubexp, "%s", err);
	default: return ydoc_err(doc, type, "%s", err);
	}
	if (!keyspec_valid_friendly_name(k->friendly_name))
		return ydoc_err(doc, fname, "friendly_name '%s' must be 1 to 127 letters, digits and "
		    "dashes (it names KeyTransferPackage-NAME.byok)", k->friendly_name);
	if (k->subscription_id != NULL && !keyspec_valid_guid(k->subscription_id))
		return ydoc_err(doc, sub, "subscription_id '%s' is not a GUID "
		    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", k->subscription_id);
	if ((pem != 0) != (kid != 0))
		return ydoc_err(doc, pem ? pem : kid, "kek_pem and kek_id go together: give both "
		    "or neither");
	return 0;
}

static int
load_keys(struct ydoc *doc, int node, const char *base, struct config *c)
{
	size_t n = ydoc_seq_len(doc, node);
	int r;

	if (node == 0)
		return 0;
	if (n == 0)
		return ydoc_err(doc, node, "keys is an empty list: list at least one key");
	if ((c->keys = calloc(n, sizeof *c->keys)) == NULL)
		return P11BYOK_EFAIL;
	for (size_t i = 0; i < n; i++) {
		int item = ydoc_seq_item(doc, node, i);
		struct config_key *k = &c->keys[i];
		c->nkeys++;	/* counted first, so config_free frees a half-read entry */
		if ((r = load_key(doc, item, base, k)) != 0)
			return r;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->keys[j].ident, k->ident) == 0)
				return ydoc_err(doc, item, "duplicate ident '%s' (line %zu has it "
				    "too): each key needs its own", k->ident, c->keys[j].line);
			if (strcasecmp(c->keys[j].friendly_name, k->friendly_name) == 0)
				return ydoc_err(doc, item, "duplicate friendly_name '%s' (line %zu has "
				    "it too): each .byok needs its own name", k->friendly_name,
				    c->keys[j].line);
		}
		if (k->kek_pem != NULL && c->require_attestation)
			return ydoc_err(doc, k->at_kek_pem, "kek_pem is a KEK without attestation, "
			    "and this file sets require_attestation: true: use the runbook's region");
		if (k->kek_pem == NULL && c->region == NULL && c->kek_pem == NULL)
			return ydoc_err(doc, item, "key '%s' has no KEK: set region (or kek_pem and "
			    "kek_id) at the top, or kek_pem and kek_id on the key", k->ident);
	}
	return 0;
}

int
config_load(const char *path, struct config **out)
{
	int r = P11BYOK_EUSAGE;
	struct ydoc *doc = NULL;
	struct config *c = NULL;
	char *dircopy = NULL;
	const char *base;
	char where[4200], what[4300], why[2048];
	struct attest_pin pin;
	int module = 0, token = 0, kmdata = 0, regions = 0, pin_file = 0, offline = 0,
	    region = 0, kek_pem = 0, kek_id = 0, root_hash = 0, toolset = 0, toolset_dir = 0,
	    output_dir = 0, cards = 0, keys = 0, attestation = 0, vault = 0, hsm = 0;
	const struct yfield f[] = {
		{ "module", false, Y_SCALAR, &module },
		{ "token", false, Y_SCALAR, &token },
		{ "kmdata", false, Y_SCALAR, &kmdata },
		{ "regions", false, Y_SCALAR, &regions },
		{ "pin_file", false, Y_SCALAR, &pin_file },
		{ "offline", false, Y_SCALAR, &offline },
		{ "region", false, Y_SCALAR, &region },
		{ "kek_pem", false, Y_SCALAR, &kek_pem },
		{ "kek_id", false, Y_SCALAR, &kek_id },
		{ "root_hash", false, Y_SCALAR, &root_hash },
		{ "toolset", false, Y_SCALAR, &toolset },
		{ "toolset_dir", false, Y_SCALAR, &toolset_dir },
		{ "output_dir", false, Y_SCALAR, &output_dir },
		{ "require_attestation", false, Y_SCALAR, &attestation },
		{ "vault_name", false, Y_SCALAR, &vault },
		{ "hsm_name", false, Y_SCALAR, &hsm },
		{ "cards", false, Y_SEQ, &cards },
		{ "keys", false, Y_SEQ, &keys },
	};

	*out = NULL;
	if ((dircopy = strdup(path)) == NULL || (c = calloc(1, sizeof *c)) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		r = P11BYOK_EFAIL;
		goto out;
	}
	base = dirname(dircopy);
	if ((r = ydoc_load(path, "runbook", &doc)) != 0 ||
	    (r = ydoc_check_text(doc, "runbook")) != 0 ||
	    (r = ydoc_check_tags(doc, "runbook")) != 0 ||
	    (r = map_fields(doc, ydoc_root(doc), "runbook", f, sizeof f / sizeof f[0])) != 0)
		goto out;
	/* A module given by bare name is the loader's business; a path is resolved here. */
	if ((r = text(doc, module, "module", strchr(ydoc_scalar(doc, module) ?
	    ydoc_scalar(doc, module) : "", '/') ? base : NULL, MAX_PATH, &c->module)) != 0 ||
	    (r = text(doc, token, "token", NULL, MAX_URI, &c->token)) != 0 ||
	    (r = text(doc, kmdata, "kmdata", base, MAX_PATH, &c->kmdata)) != 0 ||
	    (r = text(doc, regions, "regions", base, MAX_PATH, &c->regions)) != 0 ||
	    (r = not_inline_secret(doc, pin_file, "pin_file", "PIN")) != 0 ||
	    (r = text(doc, pin_file, "pin_file", base, MAX_PATH, &c->pin_file)) != 0 ||
	    (r = text(doc, region, "region", NULL, MAX_NAME, &c->region)) != 0 ||
	    (r = text(doc, kek_pem, "kek_pem", base, MAX_PATH, &c->kek_pem)) != 0 ||
	    (r = text(doc, kek_id, "kek_id", NULL, MAX_URI, &c->kek_id)) != 0 ||
	    (r = text(doc, root_hash, "root_hash", NULL, MAX_NAME, &c->root_hash)) != 0 ||
	    (r = text(doc, toolset, "toolset", base, MAX_PATH, &c->toolset)) != 0 ||
	    (r = text(doc, toolset_dir, "toolset_dir", base, MAX_PATH, &c->toolset_dir)) != 0 ||
	    (r = text(doc, output_dir, "output_dir", base, MAX_PATH, &c->output_dir)) != 0 ||
	    (r = upload_names(doc, vault, hsm, &c->vault_name, &c->hsm_name)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	/* The pin is checked here, at its place in the file, not when the KEK package is
	 * (attest_parse_pin's message starts with what it is given).  */
	snprintf(what, sizeof what, "%s: root_hash", ydoc_where(doc, root_hash, where,
	    sizeof where));
	if (c->root_hash != NULL && attest_parse_pin(c->root_hash, what, &pin) != 0)
		goto out;
	if (c->token != NULL && strstr(c->token, "pin-value") != NULL) {
		ydoc_err(doc, token, "the token URI holds a pin-value: secrets never go in a "
		    "runbook; use pin-source=file:/path or pin_file");
		goto out;
	}
	if (c->token != NULL && p11_uri_check(c->token, NULL, why, sizeof why) != 0) {
		ydoc_err(doc, token, "%s", why);
		goto out;
	}
	if (offline != 0) {
		if (offline_parse(ydoc_scalar(doc, offline), &c->offline) < 0) {
			ydoc_err(doc, offline, "offline must be require, warn or off, not '%s'",
			    ydoc_scalar(doc, offline));
			goto out;
		}
		c->have_offline = true;
	}
	if ((kek_pem != 0) != (kek_id != 0)) {
		ydoc_err(doc, kek_pem ? kek_pem : kek_id, "kek_pem and kek_id go together: give "
		    "both or neither");
		goto out;
	}
	if (region != 0 && kek_pem != 0) {
		ydoc_err(doc, kek_pem, "give region (attested KEK package) or kek_pem and kek_id "
		    "(KEK downloaded from Key Vault), not both");
		goto out;
	}
	if (attestation != 0) {
		const char *v = ydoc_scalar(doc, attestation);
		if (v == NULL || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
			ydoc_err(doc, attestation, "require_attestation must be true or false");
			goto out;
		}
		c->require_attestation = strcmp(v, "true") == 0;
		c->at.require_attestation = attestation;
	}
	/* A site that forbids unattested KEKs says so once, for every key of the file. */
	if (c->require_attestation && kek_pem != 0) {
		ydoc_err(doc, kek_pem, "kek_pem is a KEK without attestation, and this file sets "
		    "require_attestation: true: use region (an attested KEK package)");
		goto out;
	}
	if ((r = load_cards(doc, cards, base, c)) != 0 ||
	    (r = load_keys(doc, keys, base, c)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	/* Both only serve the region's attested KEK package: without one they would be
	 * silently ignored, and whoever wrote them believes they pin or find something.  */
	if (region == 0 && (root_hash != 0 || toolset_dir != 0)) {
		ydoc_err(doc, root_hash ? root_hash : toolset_dir, "%s is for the region's KEK "
		    "package, and this runbook names no region: set region or remove %s",
		    root_hash ? "root_hash" : "toolset_dir", root_hash ? "root_hash" : "toolset_dir");
		goto out;
	}
	c->at.module = module;
	c->at.kmdata = kmdata;
	c->at.regions = regions;
	c->at.pin_file = pin_file;
	c->at.region = region;
	c->at.kek_pem = kek_pem;
	c->at.toolset = toolset;
	c->at.toolset_dir = toolset_dir;
	c->at.output_dir = output_dir;
	c->doc = doc;
	doc = NULL;
	*out = c;
	c = NULL;
	r = 0;
out:
	if (r == P11BYOK_EFAIL)
		msg_err("out of memory reading %s", path);
	config_free(c);
	ydoc_free(doc);
	free(dircopy);
	return r;
}
