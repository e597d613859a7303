/* cmd-generate.c: p11byok generate — seed step 3.5 (generatekey --generate simple ...):
 * a world-bound key born on the token, backed up under the world key in key_simple_ID.  */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "keygen.h"
#include "keyspec.h"
#include "msg.h"
#include "offline.h"
#include "p11.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_TYPE = OPT_COMMAND_BASE, OPT_SIZE, OPT_CURVE, OPT_PUBEXP, OPT_PROTECT, OPT_IDENT,
	OPT_PLAINNAME, OPT_NVRAM, OPT_GENERATE,
};

/* The nShield keywords, in the order of the long options above. */
static const char *const keywords[] = {
	"type", "size", "curve", "pubexp", "protect", "ident", "plainname", "nvram",
};
#define NKEYWORDS (sizeof keywords / sizeof keywords[0])

struct args {
	const char *v[NKEYWORDS];	/* indexed like keywords[] */
};

static int
set(const struct command *cmd, struct args *a, size_t i, const char *value)
{
	if (a->v[i] != NULL)
		return cli_usage_error(cmd, "%s given twice (as %s=%s and %s): give it once",
		    keywords[i], keywords[i], a->v[i], value);
	a->v[i] = value;
	return 0;
}

/* One positional argument: KEYWORD=VALUE as nShield's generatekey takes them. */
static int
keyword(const struct command *cmd, struct args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len;

	if (eq == NULL)
		return cli_usage_error(cmd, "unexpected argument '%s': give KEYWORD=VALUE (type=, "
		    "size=, curve=, pubexp=, protect=, ident=, plainname=, nvram=)", arg);
	len = (size_t)(eq - arg);
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (strlen(keywords[i]) == len && strncmp(arg, keywords[i], len) == 0)
			return set(cmd, a, i, eq + 1);
	return cli_usage_error(cmd, "unknown keyword '%.*s' in '%s': the keywords are type, "
	    "size, curve, pubexp, protect, ident, plainname and nvram", (int)len, arg, arg);
}

static int
check(const struct command *cmd, const struct args *a, struct keyspec *ks)
{
	const char *protect = a->v[4], *ident = a->v[5], *plainname = a->v[6], *nvram = a->v[7];
	const char *size = a->v[1], *curve = a->v[2];
	char err[256];

	if (protect != NULL && strcmp(protect, "module") != 0)
		return cli_usage_error(cmd, "protect=%s is not supported: the BYOK flow does not "
		    "support card-protected keys; use protect=module", protect);
	if (nvram != NULL && strcmp(nvram, "no") != 0)
		return cli_usage_error(cmd, "nvram=%s is not supported: world-bound keys are token "
		    "objects backed up in kmdata; use nvram=no", nvram);
	if (ident == NULL || *ident == '\0')
		return cli_usage_error(cmd, "ident= is required: the key's name on the token and in "
		    "kmdata (digits, lower-case letters and dashes)");
	if (!keyspec_valid_ident(ident))
		return cli_usage_error(cmd, "ident '%s' must be 1 to 64 digits, lower-case letters "
		    "and dashes", ident);
	if (plainname != NULL && !keygen_valid_label(plainname))
		return cli_usage_error(cmd, "plainname '%s' must be 1 to %d characters of text "
		    "without control characters", plainname, KEYGEN_LABEL_MAX);
	/* Blank keywords, as the seed writes pubexp=, mean the default. */
	if (size != NULL && *size == '\0')
		size = NULL;
	if (curve != NULL && *curve == '\0')
		curve = NULL;
	if (keyspec_parse(a->v[0], size, curve, a->v[3], ks, err, sizeof err) != KS_OK)
		return cli_usage_error(cmd, "%s", err);
	return 0;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "curve", required_argument, NULL, OPT_CURVE },
		{ "pubexp", required_argument, NULL, OPT_PUBEXP },
		{ "protect", required_argument, NULL, OPT_PROTECT },
		{ "ident", required_argument, NULL, OPT_IDENT },
		{ "plainname", required_argument, NULL, OPT_PLAINNAME },
		{ "nvram", required_argument, NULL, OPT_NVRAM },
		{ "generate", no_argument, NULL, OPT_GENERATE },
		CLI_GLOBAL_OPTIONS
	};
	struct args a = { { 0 } };
	struct keyspec ks;
	struct keygen_result res;
	struct p11 *p = NULL;
	const char *plainname;
	char name[32];
	bool made = false, done = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c >= OPT_TYPE && c <= OPT_NVRAM) {
			if ((r = set(cmd, &a, (size_t)(c - OPT_TYPE), optarg)) != 0)
				return r;
		} else if (c == OPT_GENERATE) {
			/* generatekey's mode flag: generating is all this command does. */
		} else if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	}
	/* generatekey's application name: BYOK keys are "simple" keys. */
	if (optind < argc && strchr(argv[optind], '=') == NULL) {
		if (strcmp(argv[optind], "simple") != 0)
			return cli_usage_error(cmd, "application '%s' is not supported: BYOK keys are "
			    "simple keys (generate simple type=... or leave it out)", argv[optind]);
		optind++;
	}
	for (; optind < argc; optind++)
		if ((r = keyword(cmd, &a, argv[optind])) != 0)
			return r;
	if ((r = check(cmd, &a, &ks)) != 0)
		return r;
	plainname = a.v[6] != NULL ? a.v[6] : a.v[5];
	keyspec_name(&ks, name, sizeof name);

	audit_failure_note("ident", a.v[5]);
	/* Armed first, so that the log shows an attempt on a workstation on a network. */
	if ((r = audit_check_writable(ctx_kmdata(ctx))) != 0 ||	/* before a key is made */
	    (r = offline_check(ctx_offline(ctx), "generate")) != 0)
		goto out;
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = p11_select_token(p, ctx_token(ctx), P11_WANT_INITIALISED)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0)
		goto out;
	/* Run again after a crash once its work was done, generate says so: nothing is made. */
	if ((r = keygen_finished(p, ctx_kmdata(ctx), &ks, a.v[5], plainname, &done, &res)) != 0)
		goto out;
	if (done) {
		if ((r = audit_recover(ctx_kmdata(ctx), "generate", p11_token_serial(p),
		    res.world_hash, a.v[5], res.record, "generate run again found the key "
		    "recorded and on the token, its line missing (cut short after the record)")) != 0)
			goto out;
		msg_out("Already:         generated before (recorded, on the token as its record "
		    "says): nothing was made\n");
	} else {
		if ((r = keygen_make(p, ctx_kmdata(ctx), &ks, a.v[5], plainname, &res)) != 0)
			goto out;
		if (res.recovered != NULL)
			msg_out("Recovered:       %s\n", res.recovered);
		made = true;
		if ((r = keygen_audit(p, ctx_kmdata(ctx), &ks, a.v[5], &res)) != 0)
			goto out;
	}

	msg_out("Key:             %s (%s", a.v[5], name);
	if (ks.type == KEY_RSA)
		msg_out(", public exponent %lu", ks.pubexp);
	msg_out(")\nPlainname:       %s\n", plainname);
	msg_out("Token:           %s (serial %s)\n", p11_token_label(p), p11_token_serial(p));
	msg_out("World hash:      %s\n", res.world_hash);
	msg_out("Protection:      module; sensitive, extractable only under trusted keys "
	    "(CKA_WRAP_WITH_TRUSTED)\n");
	if (res.fingerprint[0])
		msg_out("Public key SHA-256: %s\n", res.fingerprint);
	msg_out("Record:          %s (backup under the world key, %zu bytes; mode 0600)\n",
	    res.record, res.wrapped_len);
	r = 0;
	if (msg_json()) {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s}",
		    "ident", a.v[5], "plainname", plainname, "key_type", name,
		    "token", p11_token_label(p), "token_serial", p11_token_serial(p),
		    "world_hash", res.world_hash, "record", res.record,
		    "public_key_sha256", res.fingerprint[0] ? res.fingerprint : NULL,
		    "result", "SUCCESS");
		if (doc != NULL && res.recovered != NULL)
			json_object_set_new(doc, "recovered", json_string(res.recovered));
		if (doc != NULL)
			json_object_set_new(doc, "existing", json_boolean(done));
		if (doc != NULL && ks.type == KEY_RSA)
			json_object_set_new(doc, "pubexp", json_integer((json_int_t)ks.pubexp));
		r = json_emit(doc);
	}
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	/* All or nothing: a key whose generation was not recorded is taken out again. */
	if (r != 0 && made)
		keygen_discard(p, a.v[5], &res, true);
	p11_free(p);
	return r;
}

static const struct opt_doc opts[] = {
	{ "type=, --type", "T", "RSA, EC or AES" },
	{ "size=, --size", "BITS", "RSA 2048, 3072 or 4096; AES 128, 192 or 256" },
	{ "curve=, --curve", "C", "EC: P-256, P-384 or P-521 (prime256v1, secp384r1... too)" },
	{ "pubexp=, --pubexp", "E", "RSA public exponent, odd, >= 3, decimal or 0x hex "
	    "(blank: 65537)" },
	{ "protect=, --protect", "P", "module (the only protection BYOK supports)" },
	{ "ident=, --ident", "ID", "the key's name: 1-64 digits, lower-case letters, dashes "
	    "(CKA_ID); must be new" },
	{ "plainname=, --plainname", "NAME", "its label (CKA_LABEL; default the ident)" },
	{ "nvram=, --nvram", "no", "no (the only value: keys are token objects)" },
	{ "--generate", NULL, "accepted for generatekey's syntax; changes nothing" },
	{ NULL, NULL, NULL },
};

const struct command cmd_generate = {
	"generate",
	"[--generate] [simple] type=T size=BITS|curve=C protect=module ident=ID "
	"[plainname=NAME] [nvram=no] [pubexp=E]",
	"generate a world-bound key on the token; write kmdata/key_simple_ID",
	"Seed step 3.5, in generatekey's syntax (KEYWORD=VALUE words, or the long options). "
	"Logs in as the user on the world's token (kmdata/world names it) and generates the key "
	"there: a token, private, sensitive key that is extractable only under a trusted key "
	"(CKA_WRAP_WITH_TRUSTED set at birth: this is what world-bound means), CKA_ID = ident, "
	"CKA_LABEL = plainname; usage RSA sign and decrypt, EC sign, AES encrypt and decrypt; "
	"RSA and EC keys get a public key object with the same id and label. The key is then "
	"wrapped under the world backup key (CKM_AES_KEY_WRAP_PAD) and kmdata/key_simple_ID "
	"records its names, type, token serial, world hash, public key, creation time and the "
	"wrapped key (mode 0600). Run again once its work is done (a crash after it, a retry), "
	"it says so and makes nothing, logging the audit line a crash kept out; an ident whose "
	"record is of another key is refused. On the token, what "
	"a generate cut short left under it (by a crash or a lost reply) is dealt with and "
	"logged as RECOVERED: the key without its record is checked (born on the token, never "
	"readable, its public object its own) and recorded, not made twice; a lone public key "
	"object is destroyed and the key generated anew; anything else is refused, naming the "
	"command that clears it. When anything fails after generation the new objects are "
	"destroyed. Checks the offline policy first and appends a 'generate' event to the audit "
	"log. --json fields: ident, plainname, key_type, pubexp, token, token_serial, "
	"world_hash, record, public_key_sha256, recovered, existing, result.",
	opts, run,
};
