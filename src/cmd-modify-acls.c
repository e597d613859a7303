/* cmd-modify-acls.c: p11byok modify-acls — seed step 4.1 (KeyTransferRemote -ModifyAcls):
 * as the user, check the key and make its reduced-permission copy, the one object package
 * may wrap, and record the verified KEK it is for.  The quorum's approval, which the seed
 * asks for here, is given at package, for the few seconds of the wrap (package.h).  */
#include "config.h"
#include "acls.h"
#include "audit-failure.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "kek.h"
#include "keyrecord.h"
#include "keyspec.h"
#include "msg.h"
#include "offline.h"
#include "p11.h"
#include "package.h"
#include "transfer.h"
#include "trustscan.h"
#include "world.h"
#include "wrap.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_IDENT = OPT_COMMAND_BASE, OPT_CARD };

struct args {
	const char *ident;
	struct kek_source kek;
};

static int
check_args(const struct command *cmd, const struct args *a, const char *kmdata)
{
	int r;

	if (a->ident == NULL)
		return cli_usage_error(cmd, "--ident is required");
	if (!keyspec_valid_ident(a->ident))
		return cli_usage_error(cmd, "--ident '%s' must be 1 to 64 digits, lower-case "
		    "letters and dashes", a->ident);
	if ((r = kek_source_check(cmd, &a->kek)) != 0)
		return r;
	if (kmdata == NULL)
		return cli_usage_error(cmd, "no kmdata directory: pass --kmdata DIR or set "
		    "P11BYOK_KMDATA (the world and key records live there)");
	return 0;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ident", required_argument, NULL, OPT_IDENT },
		KEK_LONGOPTS,
		{ "card", required_argument, NULL, OPT_CARD },
		{ "card-pass-file", required_argument, NULL, OPT_CARD },
		CLI_GLOBAL_OPTIONS
	};
	struct args a = { 0 };
	struct world *w = NULL;
	struct key_simple *ks = NULL;
	struct kek *kek = NULL;
	struct p11 *p = NULL;
	struct acls_result res;
	const char *kmdata;
	bool native = false;
	CK_RV rv;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IDENT: a.ident = optarg; break;
		case OPT_CARD:
			return cli_usage_error(cmd, "modify-acls takes no cards: it gives no trust, "
			    "the quorum approves each transfer when it happens; give the cards to "
			    "package (or run)");
		default:
			if (kek_source_option(&a.kek, c, optarg) == CLI_CONTINUE)
				break;
			if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
				return r;
		}
	}
	kmdata = ctx_kmdata(ctx);
	r = optind < argc ? cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]) :
	    check_args(cmd, &a, kmdata);
	if (r != 0)
		goto out;

	/* The copy is recorded for a KEK that was verified (or, from a PEM, checked). */
	if ((r = kek_load(ctx, &a.kek, &kek)) != 0)
		goto out;
	audit_failure_note("ident", a.ident);
	if ((r = world_load(kmdata, &w)) != 0 ||
	    (r = keyrecord_simple_load(kmdata, a.ident, &ks)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||	/* before the token is touched */
	    (r = offline_check(ctx_offline(ctx), "modify-acls")) != 0)	/* a logged refusal */
		goto out;
	if (strcmp(ks->world_hash, w->hash) != 0) {
		msg_err("key '%s' was generated in another world (%.16s..., this kmdata's world is "
		    "%.16s...): use the kmdata of its world", a.ident, ks->world_hash, w->hash);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0)
		goto out;
	if ((rv = wrap_has_native(p, &native)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_RSA_AES_KEY_WRAP", p11_token_label(p));
		r = P11BYOK_EFAIL;
		goto out;
	}
	if ((r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = trustscan_sweep(p, kmdata, w->hash)) != 0 ||	/* private ones seen too */
	    (r = acls_copy(p, kmdata, w, ks, kek, a.kek.region, native, &res)) != 0)
		goto out;

	msg_out("Key:             %s (%s), born on the token, public part as recorded\n",
	    a.ident, package_kty(res.type));
	msg_out("KEK:             %s, RSA-%u, SHA-256 %s%s\n", kek->kid, kek->bits,
	    kek->fingerprint, kek->attested ? ", attested" : ", NOT attested");
	msg_out("Transfer copy:   " TRANSFER_COPY_PREFIX "%s, every usage off, not modifiable%s\n",
	    a.ident, res.copy_reused ? " (already there, checked)" : "");
	msg_out("Wrap:            %s\n", native ? "CKM_RSA_AES_KEY_WRAP" :
	    "composed in the token (a single-use transfer key at package)");
	msg_out("Wrote:           %s\n", res.record);
	msg_out("Next:            p11byok package --ident %s ... with K cards: the quorum "
	    "approves the transfer then\n", a.ident);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:s, s:s}",
	    "ident", a.ident, "kid", kek->kid, "kek_fingerprint", kek->fingerprint,
	    "token_serial", p11_token_serial(p), "kek_attested", kek->attested,
	    "wrap", native ? "CKM_RSA_AES_KEY_WRAP" : "composed", "copy_reused", res.copy_reused,
	    "record", res.record, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	key_simple_free(ks);
	world_free(w);
	kek_free(kek);
	p11_free(p);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--ident", "ID", "the key to prepare for transfer (made by generate)" },
	KEK_OPT_DOCS,
	{ NULL, NULL, NULL },
};

const struct command cmd_modify_acls = {
	"modify-acls",
	"--ident ID (--region R | --kek-pem F --kek-id KID)",
	"make the reduced-permission transfer copy of a key and record the KEK it is for",
	"Verifies the KEK (the region's attested package, or a Key Vault PEM with a warning and "
	"its fingerprint recorded). Then, as the user, it checks the key (born on the token, "
	"always sensitive, wrap-with-trusted, its public part the one its record holds) and "
	"makes its reduced-permission copy xferacld-ID (every usage off, not modifiable: it can "
	"only be wrapped, and only under a trusted key), or checks the one already there, and "
	"KMDATA/key_xferacld_ID records it with the KEK. It gives no trust and takes no cards: "
	"the quorum approves the transfer itself, at package (or run). --json fields: ident, "
	"kid, kek_fingerprint, token_serial, kek_attested, wrap, copy_reused, record, result.",
	opts, run,
};
