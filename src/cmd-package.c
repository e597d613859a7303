/* cmd-package.c: p11byok package — seed step 4.2 (KeyTransferRemote -Package): wrap the
 * transfer copy of a key under the KEK inside the token and write the Azure .byok.  */
#include "config.h"
#include "audit.h"
#include "cli.h"
#include "fsutil.h"
#include "jsonout.h"
#include "kek.h"
#include "keyspec.h"
#include "msg.h"
#include "p11.h"
#include "package.h"
#include "offline.h"
#include "quorum.h"
#include "keyrecord.h"
#include "proof.h"
#include "trustscan.h"
#include "upload.h"
#include "world.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

enum {
	OPT_IDENT = OPT_COMMAND_BASE, OPT_FRIENDLY, OPT_SUBSCRIPTION, OPT_OUTPUT, OPT_FORCE,
	OPT_VAULT,
	OPT_HSM,
};

struct args {
	const char *ident, *friendly, *subscription, *output, *vault, *hsm;
	struct kek_source kek;
	bool force;
};

static int
check_args(const struct command *cmd, const struct args *a)
{
	if (a->ident == NULL || a->friendly == NULL)
		return cli_usage_error(cmd, "--ident and --friendly-name are required");
	if (!keyspec_valid_ident(a->ident))
		return cli_usage_error(cmd, "--ident '%s' must be 1 to 64 digits, lower-case "
		    "letters and dashes", a->ident);
	if (!keyspec_valid_friendly_name(a->friendly))
		return cli_usage_error(cmd, "--friendly-name '%s' must be 1 to 127 letters, digits "
		    "and dashes (it names KeyTransferPackage-NAME.byok)", a->friendly);
	if (a->vault != NULL && a->hsm != NULL)
		return cli_usage_error(cmd, "give --vault-name (Key Vault) or --hsm-name (Managed "
		    "HSM), not both");
	if (a->subscription != NULL && !keyspec_valid_guid(a->subscription))
		return cli_usage_error(cmd, "--subscription-id '%s' is not a GUID "
		    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", a->subscription);
	return kek_source_check(cmd, &a->kek);
}

/* The token part of package: the three sessions of package.h for one key. */
static int
transfer(struct ctx *ctx, struct p11 *p, struct quorum *q, const struct world *w,
    struct package_job *j, struct package_mode *m)
{
	const char *kmdata = ctx_kmdata(ctx);
	int r;

	if ((r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0 ||
	    (r = package_probe(p, false, m)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = trustscan_sweep(p, kmdata, w->hash)) != 0 ||	/* private ones seen too */
	    (r = package_probe(p, true, m)) != 0 ||
	    (r = package_check(p, NULL, j)) != 0 ||
	    (r = p11_logout_checked(p)) != 0)
		return r;
	if ((r = package_grant(p, q, w, &j, 1, m)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0)
		return r;
	p11_forget_pin(p);
	return package_finish(p, NULL, kmdata, w, j, m);
}

/* The end of a package, done now or before: the upload lines of A's key, printed and, for
 * --json, added to DOC (NULL without --json), which is emitted (its reference taken); then
 * "Result: SUCCESS".  0 or the exit code.  */
static int
finish(const struct args *a, const struct keyspec *spec, const char *path, json_t *doc)
{
	char *az = NULL, *ps = NULL;
	int r = 0;

	if (upload_lines(spec, a->friendly, path, &(struct upload_target){ a->vault, a->hsm,
	    a->subscription }, &az, &ps) != 0) {
		msg_err("out of memory");
		json_decref(doc);
		return P11BYOK_EFAIL;
	}
	msg_out("\nOn the connected workstation, upload it with one of:\n  %s\n  %s\n", az, ps);
	if (doc != NULL) {
		json_object_set_new(doc, "upload", json_pack("{s:s, s:s}", "az", az, "powershell",
		    ps));
		r = json_emit(doc);
	}
	free(az);
	free(ps);
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
	return r;
}

/* Whether A's package is done already (see run): *DONE, having said so, when PATH (or the
 * file a killed package left staged for it) is the .byok its audit line lists and the
 * token's proof confirms.  A file at PATH that is not is refused (package_check_existing
 * says why).  No card is asked for.  0 or the exit code after one line.  */
static int
finished(struct ctx *ctx, const struct args *a, const char *path, bool *done)
{
	const char *kmdata = ctx_kmdata(ctx);
	struct audit_log *log = NULL;
	struct key_simple *rec = NULL;
	struct kek *kek = NULL;
	struct world *w = NULL;
	struct p11 *p = NULL;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	char staged[4200] = "";
	json_t *doc = NULL;
	struct stat st;
	int r;

	*done = false;
	/* Only a regular file can be a package's finished work; anything else at PATH is for
	 * fs_check_output to refuse as it is.  */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 0;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return 0;	/* fs_check_output says what is wrong with the path */
		if ((r = audit_log_load(kmdata, &log)) != 0)
			return r;
		if (!package_find_staged(log, path, a->ident, staged, sizeof staged)) {
			audit_log_free(log);
			return 0;	/* nothing there: a package to do */
		}
	}
	if (log == NULL && (r = audit_log_load(kmdata, &log)) != 0)
		return r;
	if ((r = kek_load(ctx, &a->kek, &kek)) != 0 || (r = world_load(kmdata, &w)) != 0 ||
	    (r = keyrecord_simple_load(kmdata, a->ident, &rec)) != 0 ||
	    (r = package_check_existing(staged[0] ? staged : path, a->ident, kek, rec->spec.type,
	    log)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = proof_key(p, false, &key, NULL)) != 0 ||
	    (r = package_check_proof(p, key, log, staged[0] ? staged : path, a->ident, kek,
	    w->hash)) != 0 ||
	    (staged[0] && (r = package_put_staged(p, key, kmdata, w->hash, a->ident,
	    kek->fingerprint, staged, path)) != 0))
		goto out;
	*done = true;
	msg_out("Key:             %s (%s)\n", a->ident, package_kty(rec->spec.type));
	msg_out("Already:         packaged before: %s is the .byok its audit line lists for "
	    "this key and KEK, and the token confirms p11byok wrote it; nothing was wrapped\n",
	    path);
	if (msg_json() && (doc = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "ident", a->ident,
	    "file", path, "kty", package_kty(rec->spec.type), "kid", kek->kid, "existing", 1,
	    "result", "SUCCESS")) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = finish(a, &rec->spec, path, doc);
	doc = NULL;
out:
	json_decref(doc);
	audit_log_free(log);
	key_simple_free(rec);
	kek_free(kek);
	world_free(w);
	p11_free(p);
	return r;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ident", required_argument, NULL, OPT_IDENT },
		KEK_LONGOPTS,
		{ "friendly-name", required_argument, NULL, OPT_FRIENDLY },
		{ "subscription-id", required_argument, NULL, OPT_SUBSCRIPTION },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "vault-name", required_argument, NULL, OPT_VAULT },
		{ "hsm-name", required_argument, NULL, OPT_HSM },
		QUORUM_LONGOPTS,
		CLI_GLOBAL_OPTIONS
	};
	struct args a = { 0 };
	struct kek *kek = NULL;
	struct p11 *p = NULL;
	struct quorum *q = NULL;
	struct world *w = NULL;
	struct package_job j = { 0 };
	struct package_mode m = { 0 };
	const char *kmdata;
	char path[4096];
	json_t *doc = NULL;
	bool done = false;
	int c, r;

	if ((q = quorum_new()) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IDENT: a.ident = optarg; break;
		case OPT_FRIENDLY: a.friendly = optarg; break;
		case OPT_SUBSCRIPTION: a.subscription = optarg; break;
		case 'o':
		case OPT_OUTPUT: a.output = optarg; break;
		case OPT_FORCE: a.force = true; break;
		case OPT_VAULT: a.vault = optarg; break;
		case OPT_HSM: a.hsm = optarg; break;
		default:
			if (kek_source_option(&a.kek, c, optarg) == CLI_CONTINUE ||
			    quorum_option(q, c, optarg) == CLI_CONTINUE)
				break;
			if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
				goto out;
		}
	}
	r = optind < argc ? cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]) :
	    check_args(cmd, &a);
	if (r != 0)
		goto out;
	if ((kmdata = ctx_kmdata(ctx)) == NULL) {
		r = cli_usage_error(cmd, "no kmdata directory: pass --kmdata DIR or set "
		    "P11BYOK_KMDATA (the world and key records live there)");
		goto out;
	}
	if (!quorum_has_cards(q)) {
		r = cli_usage_error(cmd, "the quorum approves each transfer: give --card FILE (with "
		    "--card-pass-file FILE) for K of the world's cards");
		goto out;
	}
	if (a.output != NULL)
		snprintf(path, sizeof path, "%s", a.output);
	else
		snprintf(path, sizeof path, "KeyTransferPackage-%s.byok", a.friendly);
	j.ident = a.ident;
	j.path = path;
	j.force = a.force;
	j.subscription = a.subscription;

	/* Run again once its work was done (a crash after it, a retry): the .byok there, or
	 * left staged after its package line, that the token proves p11byok wrote for this
	 * key and KEK is the finished package; nothing is wrapped again.  */
	if (!a.force) {
		if ((r = finished(ctx, &a, path, &done)) != 0 || done)
			goto out;
	}
	/* Everything is checked before the token is touched: the output, the KEK (verified,
	 * or from a PEM checked), the records, kmdata, the network, the cards.  */
	if ((r = fs_check_output(path, a.force, FS_RESERVE)) != 0 ||
	    (r = kek_load(ctx, &a.kek, &kek)) != 0 ||
	    (r = world_load(kmdata, &w)) != 0)
		goto out;
	j.kek = kek;
	if ((r = package_preflight(kmdata, w, &j)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||	/* a refusal on a network is logged */
	    (r = offline_check(ctx_offline(ctx), "package")) != 0)
		goto out;
	package_approval(a.ident, &j.rec->spec, j.rec, kek, path);
	if ((r = quorum_unlock(q, w)) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = transfer(ctx, p, q, w, &j, &m)) != 0)
		goto out;
	msg_out("Key:             %s (%s)\n", a.ident, package_kty(j.check.type));
	msg_out("KEK:             %s, RSA-%u, SHA-256 %s%s\n", kek->kid, kek->bits,
	    kek->fingerprint, kek->attested ? ", attested" : "");
	msg_out("Approved by:     the quorum, for this wrap only (trust as session objects, "
	    "destroyed)\n");
	msg_out("Wrapped with:    %s\n", m.native ? "CKM_RSA_AES_KEY_WRAP" :
	    "CKM_RSA_PKCS_OAEP + CKM_AES_KEY_WRAP_PAD (composed in the token)");
	msg_out("Wrote:           %s (%zu-byte ciphertext, mode 0600)\n", path, j.ciphertext_len);
	doc = msg_json() ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:s?, s:s}",
	    "ident", a.ident, "file", path, "kty", package_kty(j.check.type), "kid", kek->kid,
	    "kek_fingerprint", kek->fingerprint, "kek_attested", kek->attested,
	    "wrap", m.native ? "CKM_RSA_AES_KEY_WRAP" : "composed",
	    "ciphertext_bytes", (json_int_t)j.ciphertext_len,
	    "subscription_id", a.subscription, "result", "SUCCESS") : NULL;
	r = finish(&a, &j.rec->spec, path, doc);
	doc = NULL;
out:
	json_decref(doc);
	package_job_clear(p, &j);
	kek_free(kek);
	world_free(w);
	p11_free(p);
	quorum_free(q);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--ident", "ID", "the key to package (its modify-acls must have run)" },
	KEK_OPT_DOCS,
	{ "--friendly-name", "NAME", "names KeyTransferPackage-NAME.byok and the Key Vault key" },
	{ "--subscription-id", "GUID", "the Azure subscription, for the printed upload line" },
	{ "--vault-name", "V", "the Key Vault, for the printed upload lines (default VAULT)" },
	{ "--hsm-name", "H", "or the Managed HSM (an AES key's only home; default HSM)" },
	{ "-o, --output", "FILE", "write here instead of KeyTransferPackage-NAME.byok" },
	{ "--force", NULL, "replace an existing output file" },
	QUORUM_OPT_DOCS,
	{ NULL, NULL, NULL },
};

const struct command cmd_package = {
	"package",
	"--ident ID (--region R | --kek-pem F --kek-id KID) --friendly-name NAME --card FILE... "
	"[--card-pass-file FILE...] [--subscription-id GUID] [-o FILE]",
	"with the card quorum, wrap a key under the KEK inside the token; write "
	"KeyTransferPackage-NAME.byok",
	"Verifies the KEK (the region's attested package, or a Key Vault PEM with a warning) and "
	"opens K administrator cards before touching the token. As the user it checks the key and "
	"the reduced-permission copy modify-acls made (born on the token, never readable, every "
	"usage off, the public part of the key's record); then the security officer gives the KEK "
	"(and, without CKM_RSA_AES_KEY_WRAP, a single-use transfer key) the quorum's trust as "
	"session objects of this process that only that copy matches (CKA_WRAP_TEMPLATE); the "
	"user wraps the copy: with CKM_RSA_AES_KEY_WRAP (AES-256, OAEP SHA-1) when the module has "
	"it, otherwise composed in the token (CKM_AES_KEY_WRAP_PAD under the transfer key, that "
	"key under the KEK with CKM_RSA_PKCS_OAEP). The trust is destroyed right after the wrap "
	"and on every failure, and a crash takes it with the session. RSA and EC keys travel as "
	"PKCS#8, AES keys raw. Writes the Azure .byok JSON atomically, mode 0600, never over an "
	"existing file without --force; run again once its work is done (a crash after it, a "
	"retry), it finds the .byok its audit line lists and the token's proof confirms (or "
	"the one a crash left staged, put in place), says so and wraps nothing. It prints the "
	"az and Add-AzKeyVaultKey lines for the "
	"connected workstation, as those tools take them (--kty RSA, EC or oct, --curve for an "
	"EC key; an AES key goes to a Managed HSM, --hsm-name). --json fields: ident, file, "
	"kty, kid, kek_fingerprint, kek_attested, wrap, ciphertext_bytes, subscription_id, "
	"upload {az, powershell}, existing, result.",
	opts, run,
};
