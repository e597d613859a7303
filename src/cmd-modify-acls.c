/* cmd-modify-acls.c: p11byok modify-acls — seed step 4.1 (KeyTransferRemote -ModifyAcls):
 * under the administrator card quorum, install the verified KEK as the token's trusted
 * wrapping key (and, without CKM_RSA_AES_KEY_WRAP, the single-use transfer key); then, as the
 * user, make the reduced-permission copy of the key that package wraps.  */
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
#include "quorum.h"
#include "transfer.h"
#include "world.h"
#include "wrap.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_IDENT = OPT_COMMAND_BASE };

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
		QUORUM_LONGOPTS,
		CLI_GLOBAL_OPTIONS
	};
	struct args a = { 0 };
	struct quorum *q = NULL;
	struct world *w = NULL;
	struct key_simple *ks = NULL;
	struct kek *kek = NULL;
	struct p11 *p = NULL;
	struct acls_result res;
	CK_OBJECT_HANDLE kek_obj = CK_INVALID_HANDLE, kek_new = CK_INVALID_HANDLE;
	const char *kmdata;
	bool native = false, kek_reused = false, transfer_made = false;
	CK_RV rv;
	int c, r;

	if ((q = quorum_new()) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IDENT: a.ident = optarg; break;
		default:
			if (kek_source_option(&a.kek, c, optarg) == CLI_CONTINUE ||
			    quorum_option(q, c, optarg) == CLI_CONTINUE)
				break;
			if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
				goto out;
		}
	}
	kmdata = ctx_kmdata(ctx);
	r = optind < argc ? cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]) :
	    check_args(cmd, &a, kmdata);
	if (r != 0)
		goto out;

	/* Nothing is installed as trusted that was not verified (or, from a PEM, checked). */
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

	if ((r = acls_admin(p, q, w, (const struct kek *const *)&kek, 1,
	    (const char *const *)&a.ident, native ? 0 : 1, &kek_reused, &kek_obj)) != 0)
		goto out;
	transfer_made = !native;
	if (!kek_reused)
		kek_new = kek_obj;	/* installed by this command: taken off if it fails */

	/* The user half: SO and user cannot be logged in at once. */
	if ((r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = acls_copy(p, kmdata, w, a.ident, kek, a.kek.region, native, kek_reused, &res)) != 0)
		goto out;
	transfer_made = false;
	kek_new = CK_INVALID_HANDLE;

	msg_out("Key:             %s (%s)\n", a.ident, package_kty(res.type));
	msg_out("KEK:             %s, RSA-%u, SHA-256 %s%s\n", kek->kid, kek->bits,
	    kek->fingerprint, kek->attested ? ", attested" : ", NOT attested");
	msg_out("Trusted KEK:     %s on token '%s'\n", kek_reused ? "already installed" :
	    "installed", p11_token_label(p));
	msg_out("Transfer key:    %s\n", native ? "none needed (CKM_RSA_AES_KEY_WRAP)" :
	    "created, single-use (package composes the wrap in the token)");
	msg_out("Transfer copy:   xferacld-%s, every usage off, not modifiable%s\n", a.ident,
	    res.copy_reused ? " (already there)" : "");
	msg_out("Wrote:           %s\n", res.record);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:b, s:s, s:s}",
	    "ident", a.ident, "kid", kek->kid, "kek_fingerprint", kek->fingerprint,
	    "token_serial", p11_token_serial(p), "kek_attested", kek->attested,
	    "kek_reused", kek_reused,
	    "wrap", native ? "CKM_RSA_AES_KEY_WRAP" : "composed", "copy_reused", res.copy_reused,
	    "record", res.record, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	/* A transfer key made for a run that did not finish would be a loose end on the token. */
	if (transfer_made && p != NULL && transfer_destroy_transfer_keys(p, a.ident) < 0)
		msg_warn("the transfer key of '%s' could not be destroyed: run modify-acls again",
		    a.ident);
	/* All or nothing: a KEK this failed run installed comes off again. */
	if (kek_new != CK_INVALID_HANDLE)
		transfer_uninstall_kek(p, kek_new);
	key_simple_free(ks);
	world_free(w);
	kek_free(kek);
	p11_free(p);
	quorum_free(q);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--ident", "ID", "the key to prepare for transfer (made by generate)" },
	KEK_OPT_DOCS,
	QUORUM_OPT_DOCS,
	{ NULL, NULL, NULL },
};

const struct command cmd_modify_acls = {
	"modify-acls",
	"--ident ID (--region R | --kek-pem F --kek-id KID) --card FILE... "
	"[--card-pass-file FILE...]",
	"install the verified KEK as the trusted wrapping key; make the transfer copy of a key",
	"Verifies the KEK (the region's attested package, or a Key Vault PEM with a warning and "
	"its fingerprint recorded). With K administrator cards the security officer then installs "
	"it as a trusted, wrap-only, non-modifiable token object (an identical KEK already there "
	"is reused) and, when the module lacks CKM_RSA_AES_KEY_WRAP, creates the single-use "
	"transfer key package will use. Then, in a user session, the reduced-permission copy of "
	"the key is made (every usage off, not modifiable: it can only be wrapped, and only under "
	"a trusted key), and KMDATA/key_xferacld_ID records it. --json fields: ident, kid, "
	"kek_fingerprint, token_serial, kek_attested, kek_reused, wrap, copy_reused, record, "
	"result.",
	opts, run,
};
