/* cmd-run.c: p11byok run RUNBOOK.yaml — the whole procedure for a batch of keys, as an
 * operations runbook drives it: verify-toolset, verify-kek, then generate, modify-acls and
 * package for every key, with one module load, one card quorum and one user login, and
 * idempotent, so running it again after a crash finishes what is missing.  */
#include "config.h"
#include "acls.h"
#include "audit-failure.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "keygen.h"
#include "manifest.h"
#include "msg.h"
#include "objindex.h"
#include "offline.h"
#include "p11.h"
#include "package.h"
#include "progress.h"
#include "quorum.h"
#include "runbook.h"
#include "runplan.h"
#include "transfer.h"
#include "world.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_DRY_RUN = OPT_COMMAND_BASE, OPT_GENERATE_ONLY };

/* What the run did for one key, for its progress line and the JSON document. */
struct outcome {
	const char *generate;		/* generated, recovered, existing */
	const char *acls;		/* made, existing, not needed */
	const char *package;		/* written, existing */
	bool transfer_made;		/* this run made its transfer key */
};

/* Step 1.3 for the runbook's toolset: its hash against the region manifest's. */
static int
verify_toolset(struct ctx *ctx, const struct config *cfg)
{
	struct region_set *set = NULL;
	const struct region *reg;
	unsigned char actual[SHA256_LEN];
	bool match;
	int r;

	if ((r = manifest_load_dir(manifest_dir(ctx_regions(ctx)), &set)) != 0 ||
	    (r = manifest_check_toolset(set, cfg->toolset, cfg->region, &reg, actual, &match)) != 0)
		goto out;
	if (!match) {
		msg_err("toolset %s does not match the SHA-256 that manifest %s pins for %s: do not "
		    "use this toolset; download it again", cfg->toolset, reg->path, reg->name);
		r = P11BYOK_EFAIL;
		goto out;
	}
	msg_out("Toolset:  %s matches the SHA-256 of %s (%s)\n", cfg->toolset, reg->name,
	    reg->code);
out:
	region_set_free(set);
	return r;
}

/* The output directory, made (mode 0700) when missing. */
static int
output_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		msg_err("output_dir %s is not a directory: name a directory for the .byok files",
		    dir);
		return P11BYOK_EUSAGE;
	}
	if (errno != ENOENT || mkdir(dir, 0700) != 0) {
		msg_err("cannot make output_dir %s: %s", dir, strerror(errno));
		return P11BYOK_EUSAGE;
	}
	return 0;
}

static const char *
key_name(const struct runplan_key *k, char *buf, size_t len)
{
	return keyspec_name(&k->ck->spec, buf, len);
}

/* --dry-run: what a run would do, from kmdata, the output dir and the token's public
 * objects; nothing is written and nobody logs in.  */
static int
print_plan(const struct runplan *rp, struct p11 *p)
{
	json_t *keys = msg_json() ? json_array() : NULL;
	size_t transfer = 0, install = 0;
	char name[32];

	msg_out("Plan for %zu key%s on token '%s' (serial %s); nothing is done in a dry run:\n",
	    rp->nkeys, rp->nkeys == 1 ? "" : "s", p11_token_label(p), p11_token_serial(p));
	for (size_t i = 0; i < rp->nkeys; i++) {
		const struct runplan_key *k = &rp->keys[i];
		const char *gen = k->recorded ? "" : "generate, ";
		const char *acls = k->packaged || k->acls_recorded ? "" : "modify-acls, ";
		transfer += runplan_needs_transfer_key(rp, k);
		if (rp->generate_only)
			msg_out("  %-20s %-9s %s\n", k->ck->ident, key_name(k, name, sizeof name),
			    k->recorded ? "done: generated" : "generate");
		else if (k->packaged)
			msg_out("  %-20s %-9s done: %s exists and fits its key and KEK\n",
			    k->ck->ident, key_name(k, name, sizeof name), k->byok);
		else
			msg_out("  %-20s %-9s %s%spackage -> %s\n", k->ck->ident,
			    key_name(k, name, sizeof name), gen, acls, k->byok);
		if (keys != NULL)
			json_array_append_new(keys, json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:b, s:b}",
			    "ident", k->ck->ident, "key_type", name,
			    "file", rp->generate_only ? NULL : k->byok,
			    "kek_fingerprint", k->kek ? k->kek->kek->fingerprint : NULL,
			    "generate", !k->recorded,
			    "modify_acls", !rp->generate_only && !k->packaged && !k->acls_recorded,
			    "package", !rp->generate_only && !k->packaged));
	}
	for (size_t i = 0; i < rp->nkeks; i++)
		install += rp->keks[i].needed && !rp->keks[i].installed;
	if (runplan_needs_quorum(rp))
		msg_out("Quorum:   needed: %zu KEK%s to install, %zu transfer key%s to make\n",
		    install, install == 1 ? "" : "s", transfer, transfer == 1 ? "" : "s");
	else
		msg_out("Quorum:   not needed\n");
	if (keys == NULL)
		return 0;
	return json_emit(json_pack("{s:s, s:b, s:s, s:s, s:b, s:I, s:I, s:o, s:s}",
	    "runbook", rp->cfg->path, "dry_run", 1, "token", p11_token_label(p),
	    "token_serial", p11_token_serial(p), "quorum", runplan_needs_quorum(rp),
	    "keks_to_install", (json_int_t)install, "transfer_keys_to_make", (json_int_t)transfer,
	    "keys", keys, "result", "SUCCESS"));
}

/* The SO's work on the token, one line: KEKS installed, transfer keys made for IDENTS;
 * with RECOVERED, KEKs and transfer keys found on the token that no line names (a run cut
 * short after the SO made them).  */
static int
audit_admin(const char *kmdata, struct p11 *p, const struct world *w,
    const struct kek *const *keks, size_t nk, const char *const *idents, size_t ni,
    bool recovered)
{
	json_t *ev = audit_event("run"), *jk = json_array(), *ji = json_array();
	int r = P11BYOK_EFAIL;

	if (ev == NULL || jk == NULL || ji == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < nk; i++)
		json_array_append_new(jk, json_pack("{s:s, s:s}", "kek_id", keks[i]->kid,
		    "kek_fingerprint", keks[i]->fingerprint));
	for (size_t i = 0; i < ni; i++)
		json_array_append_new(ji, json_string(idents[i]));
	json_object_set_new(ev, "step", json_string("quorum"));
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(w->hash));
	json_object_set(ev, "keks_installed", jk);
	json_object_set(ev, "transfer_keys_for", ji);
	json_object_set_new(ev, "result", json_string(recovered ? "RECOVERED" : "SUCCESS"));
	if (recovered)
		json_object_set_new(ev, "note", json_string("found on the token with no audit "
		    "line (a run cut short after the security officer made them)"));
	r = audit_append(kmdata, ev);
out:
	json_decref(ev);
	json_decref(jk);
	json_decref(ji);
	return r;
}

/* One RECOVERED line for the batch's KEKs and transfer keys on the token that no audit
 * line names. */
static int
audit_unaudited_admin(const struct runplan *rp, struct p11 *p, const struct world *w)
{
	const struct kek **keks = calloc(rp->nkeks + 1, sizeof *keks);
	const char **idents = calloc(rp->nkeys + 1, sizeof *idents);
	size_t nk = 0, ni = 0;
	int r = 0;

	if (keks == NULL || idents == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	for (size_t i = 0; i < rp->nkeks; i++)
		if (rp->keks[i].unaudited)
			keks[nk++] = rp->keks[i].kek;
	for (size_t i = 0; i < rp->nkeys; i++)
		if (rp->keys[i].transfer_unaudited)
			idents[ni++] = rp->keys[i].ck->ident;
	if (nk > 0 || ni > 0)
		r = audit_admin(rp->kmdata, p, w, keks, nk, idents, ni, true);
out:
	free(keks);
	free(idents);
	return r;
}

/* The SO half for the whole batch, under one quorum: the KEKs still missing and a transfer
 * key for every key still to package.  */
static int
admin_phase(struct runplan *rp, struct p11 *p, struct quorum *q, const struct world *w,
    struct outcome *o)
{
	const struct kek **keks = calloc(rp->nkeks + 1, sizeof *keks);
	const char **idents = calloc(rp->nkeys + 1, sizeof *idents);
	size_t nk = 0, ni = 0;
	int r = P11BYOK_EFAIL;

	if (keks == NULL || idents == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < rp->nkeks; i++)
		if (rp->keks[i].needed && !rp->keks[i].installed)
			keks[nk++] = rp->keks[i].kek;
	for (size_t i = 0; i < rp->nkeys; i++)
		if (runplan_needs_transfer_key(rp, &rp->keys[i]))
			idents[ni++] = rp->keys[i].ck->ident;
	msg_out("Quorum:   installing %zu KEK%s and making %zu transfer key%s as the security "
	    "officer\n", nk, nk == 1 ? "" : "s", ni, ni == 1 ? "" : "s");
	if ((r = acls_admin(p, q, w, keks, nk, idents, ni, NULL, NULL)) != 0)
		goto out;
	for (size_t i = 0; i < rp->nkeys; i++)
		if (runplan_needs_transfer_key(rp, &rp->keys[i]))
			o[i].transfer_made = true;
	r = audit_admin(rp->kmdata, p, w, keks, nk, idents, ni, false);
out:
	free(keks);
	free(idents);
	return r;
}

/* The key of K on the token: there already (recorded), recovered (a run cut short after the
 * token made it), or generated now; recorded and audited either way.  IDX is the token as
 * the batch began; a key there already goes into KNOWN for package.  */
static int
key_step(const struct runplan *rp, struct p11 *p, const struct objindex *idx,
    const struct runplan_key *k, struct outcome *o, struct package_handles *known)
{
	const struct config_key *ck = k->ck;
	struct keygen_result res;
	enum key_type type = KEY_RSA;
	CK_OBJECT_HANDLE h = objindex_target(idx, ck->ident, &type);
	int r;

	if (k->recorded) {
		if (h == CK_INVALID_HANDLE) {
			msg_err("key '%s' has a record in kmdata but is not on token '%s': re-create "
			    "it with 'p11byok restore %s', then run again", ck->ident,
			    p11_token_label(p), ck->ident);
			return P11BYOK_EUSAGE;
		}
		o->generate = "existing";
		known->target = h;
		known->type = type;
		return 0;
	}
	if (h != CK_INVALID_HANDLE) {
		o->generate = "recovered";
		r = keygen_adopt(p, rp->kmdata, &ck->spec, ck->ident, ck->plainname, &res);
	} else {
		o->generate = "generated";
		r = keygen_generate(p, rp->kmdata, &ck->spec, ck->ident, ck->plainname, &res);
	}
	if (r != 0)
		return r;
	if ((r = keygen_audit(p, rp->kmdata, &ck->spec, ck->ident, &res)) != 0)
		/* As generate: an unaudited key is taken out again (a recovered one too: the
		 * next run recovers nothing and generates it afresh).  */
		keygen_discard(p, ck->ident, &res, true);
	return r;
}

/* The user half of one key: its key, its transfer copy, its .byok.  Objects already on the
 * token come from IDX, not from a search each (see objindex.h); *KEK_OBJ is the handle of
 * K's KEK once found.  */
static int
key_steps(const struct runplan *rp, struct p11 *p, const struct objindex *idx,
    const struct world *w, struct runplan_key *k, struct outcome *o, CK_OBJECT_HANDLE *kek_obj)
{
	struct package_handles known = { CK_INVALID_HANDLE, CK_INVALID_HANDLE,
		CK_INVALID_HANDLE, CK_INVALID_HANDLE, KEY_RSA };
	struct acls_result ares;
	struct package_result pres;
	CK_OBJECT_HANDLE copy;
	int r;

	audit_failure_note("ident", k->ck->ident);
	if ((r = runplan_record_unaudited(rp, p, k)) != 0 ||
	    (r = key_step(rp, p, idx, k, o, &known)) != 0)
		return r;
	if (rp->generate_only) {
		o->acls = o->package = "not run";
		return 0;
	}
	if (k->packaged) {
		o->acls = k->acls_recorded ? "existing" : "not needed";
		o->package = "existing";
		return 0;
	}
	copy = objindex_copy(idx, k->ck->ident);
	o->acls = "existing";
	if (!k->acls_recorded || copy == CK_INVALID_HANDLE) {
		o->acls = "made";
		if ((r = acls_copy(p, rp->kmdata, w, k->ck->ident, k->kek->kek, k->kek->region,
		    rp->native, k->kek->installed, &ares)) != 0)
			return r;
		k->acls_recorded = true;
	}
	/* A copy made just now is not in IDX: package finds it. */
	known.copy = copy;
	known.kek = *kek_obj;
	known.transfer = objindex_transfer_key(idx, k->ck->ident);
	if ((r = package_key_known(p, k->kek->kek, k->ck->ident, k->byok, false,
	    k->ck->subscription_id, rp->kmdata, &known, &pres)) != 0)
		return r;
	*kek_obj = known.kek;
	k->packaged = true;
	o->transfer_made = false;
	o->package = "written";
	return 0;
}

static json_t *
key_json(const struct runplan_key *k, const struct outcome *o)
{
	char name[32];
	const struct kek *kek = k->kek ? k->kek->kek : NULL;
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s}", "ident", k->ck->ident,
	    "key_type", key_name(k, name, sizeof name), "kid", kek ? kek->kid : NULL,
	    "kek_fingerprint", kek ? kek->fingerprint : NULL,
	    "file", kek ? k->byok : NULL,
	    "generate", o->generate, "modify_acls", o->acls, "package", o->package);
}

/* The batch's document: the first DONE keys; STOPPED_AT names the key that failed (the
 * result is then FAILURE, with the error line), or is NULL.  */
static json_t *
batch_json(const struct runplan *rp, struct p11 *p, const struct world *w,
    const struct outcome *o, size_t done, size_t made, size_t packaged, const char *stopped_at)
{
	json_t *keys = json_array(), *doc;
	const char *error = msg_first_error();
	if (keys != NULL)
		for (size_t i = 0; i < done; i++)
			json_array_append_new(keys, key_json(&rp->keys[i], &o[i]));
	doc = json_pack("{s:s, s:b, s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "runbook",
	    rp->cfg->path, "dry_run", 0, "token", p11_token_label(p), "token_serial",
	    p11_token_serial(p), "world_hash", w->hash, "generated", (json_int_t)made, "packaged",
	    (json_int_t)packaged, "keys", keys, "result", stopped_at ? "FAILURE" : "SUCCESS");
	if (doc != NULL && stopped_at != NULL &&
	    (json_object_set_new(doc, "stopped_at", json_string(stopped_at)) != 0 ||
	    json_object_set_new(doc, "error", json_string(error ? error : "failed")) != 0)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

static int
batch(struct ctx *ctx, struct runplan *rp, struct p11 *p, struct quorum *q,
    const struct world *w, struct outcome *o)
{
	struct progress *pr = NULL;
	struct objindex *idx = NULL;
	CK_OBJECT_HANDLE *kek_obj = NULL;
	size_t made = 0, packaged = 0;
	bool skipped;
	char name[32];
	CK_RV rv;
	int r;

	if (!rp->generate_only && (r = output_dir(rp->output_dir)) != 0)
		return r;
	if (runplan_needs_quorum(rp)) {
		if (!quorum_has_cards(q)) {
			msg_err("the token needs the security officer (a KEK to install or transfer "
			    "keys to make) but no cards were given: list them under cards: in %s "
			    "or give --card FILE", rp->cfg->path);
			return P11BYOK_EUSAGE;
		}
		if ((r = admin_phase(rp, p, q, w, o)) != 0)
			return r;
	}
	if ((r = audit_unaudited_admin(rp, p, w)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0)
		return r;
	/* One pass over the token for the whole batch (objindex.h says why). */
	if ((rv = objindex_scan(p, &idx)) != CKR_OK) {
		msg_ck(rv, "cannot list the objects of token '%s'", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((kek_obj = calloc(rp->nkeks + 1, sizeof *kek_obj)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	for (size_t i = 0; i < rp->nkeks; i++)
		kek_obj[i] = CK_INVALID_HANDLE;
	pr = progress_new(rp->nkeys);
	for (size_t i = 0; i < rp->nkeys; i++) {
		struct runplan_key *k = &rp->keys[i];
		CK_OBJECT_HANDLE *ko = k->kek ? &kek_obj[k->kek - rp->keks] : &kek_obj[rp->nkeks];
		if ((r = key_steps(rp, p, idx, w, k, &o[i], ko)) != 0) {
			/* The error itself is the line above; this says where the batch stands. */
			msg_out("Stopped at key '%s' (%s:%zu) with %zu of %zu keys done: fix what the "
			    "error says and run again; finished keys are not done twice\n",
			    k->ck->ident, rp->cfg->path, k->ck->line, i, rp->nkeys);
			if (msg_json())
				json_emit(batch_json(rp, p, w, o, i, made, packaged, k->ck->ident));
			goto out;
		}
		made += strcmp(o[i].generate, "existing") != 0;
		packaged += strcmp(o[i].package, "written") == 0;
		skipped = strcmp(o[i].generate, "existing") == 0 &&
		    (rp->generate_only || strcmp(o[i].package, "existing") == 0);
		if (rp->generate_only)
			progress_done(pr, skipped, "[%zu/%zu] %-20s %-9s key %s", i + 1, rp->nkeys,
			    k->ck->ident, key_name(k, name, sizeof name), o[i].generate);
		else
			progress_done(pr, skipped, "[%zu/%zu] %-20s %-9s key %s, transfer copy %s, package "
			    "%s: %s", i + 1, rp->nkeys, k->ck->ident, key_name(k, name, sizeof name),
			    o[i].generate, o[i].acls, o[i].package, k->byok);
	}
	progress_free(pr);
	pr = NULL;
	if (rp->generate_only)
		msg_out("Keys:     %zu (%zu generated or recovered now)\n", rp->nkeys, made);
	else
		msg_out("Keys:     %zu (%zu generated or recovered now); packages: %zu written, "
		    "%zu already there\n", rp->nkeys, made, packaged, rp->nkeys - packaged);
	if (msg_json())
		r = json_emit(batch_json(rp, p, w, o, rp->nkeys, made, packaged, NULL));
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	progress_free(pr);
	objindex_free(idx);
	free(kek_obj);
	return r;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "generate-only", no_argument, NULL, OPT_GENERATE_ONLY },
		QUORUM_LONGOPTS,
		CLI_GLOBAL_OPTIONS
	};
	const struct config *cfg;
	struct quorum *q = NULL;
	struct runplan *rp = NULL;
	struct world *w = NULL;
	struct p11 *p = NULL;
	struct outcome *o = NULL;
	const char *kmdata;
	bool dry_run = false, generate_only = false;
	int c, r;

	if ((q = quorum_new()) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_DRY_RUN)
			dry_run = true;
		else if (c == OPT_GENERATE_ONLY)
			generate_only = true;
		else if (quorum_option(q, c, optarg) != CLI_CONTINUE &&
		    (r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			goto out;
	}
	if (argc - optind != 1) {
		r = cli_usage_error(cmd, "give exactly one runbook file");
		goto out;
	}
	if (ctx_config(ctx) != NULL) {
		r = cli_usage_error(cmd, "the runbook is the config: give it once, without --config");
		goto out;
	}
	if ((r = ctx_set_config(ctx, argv[optind])) != 0)
		goto out;
	cfg = ctx_config(ctx);
	r = P11BYOK_EUSAGE;
	if (cfg->nkeys == 0) {
		msg_err("%s lists no keys: add a keys: list (conf/runbook.example.yaml shows one)",
		    cfg->path);
		goto out;
	}
	if ((kmdata = ctx_kmdata(ctx)) == NULL) {
		msg_err("no kmdata directory: set kmdata: in %s, pass --kmdata DIR or set "
		    "P11BYOK_KMDATA", cfg->path);
		goto out;
	}
	/* What the runbook names on disk is checked before anything runs, each refusal at its
	 * line; cards given with --card replace the runbook's.  */
	if ((r = config_check_files(cfg, ctx, generate_only, !generate_only &&
	    !quorum_has_cards(q))) != 0)
		goto out;
	if (!quorum_has_cards(q))
		for (size_t i = 0; i < cfg->ncards; i++)
			quorum_add_card(q, cfg->cards[i].file, cfg->cards[i].pass_file);

	/* The log is armed (audit-failure.h) once kmdata holds a world: a tampered toolset
	 * or a workstation on a network is an auditor's business, a directory that is no
	 * kmdata is not written to.  Nothing is read from the token while on a network.  */
	if ((r = world_load(kmdata, &w)) != 0 ||
	    (!dry_run && (r = audit_check_writable(kmdata)) != 0) ||
	    (!dry_run && (r = offline_check(ctx_offline(ctx), "run")) != 0) ||
	    (!generate_only && cfg->toolset != NULL && (r = verify_toolset(ctx, cfg)) != 0) ||
	    (r = runplan_new(ctx, cfg, kmdata, w->hash, generate_only, &rp)) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0 ||
	    (r = runplan_survey_token(rp, p)) != 0)
		goto out;
	if (dry_run) {
		r = print_plan(rp, p);
		goto out;
	}
	if ((o = calloc(rp->nkeys, sizeof *o)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = batch(ctx, rp, p, q, w, o);
	/* Transfer keys this run made for keys it did not package are loose ends. */
	for (size_t i = 0; r != 0 && i < rp->nkeys; i++)
		if (o[i].transfer_made && transfer_destroy_transfer_keys(p, rp->keys[i].ck->ident)
		    < 0)
			msg_warn("the transfer key of '%s' could not be destroyed: run again",
			    rp->keys[i].ck->ident);
out:
	free(o);
	runplan_free(rp);
	world_free(w);
	p11_free(p);
	quorum_free(q);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--dry-run", NULL, "print what would be done, touching nothing (no login, no cards)" },
	{ "--generate-only", NULL, "only generate the keys still missing (the key ceremony); no "
	    "KEK, cards or .byok: a later run packages them" },
	QUORUM_OPT_DOCS,
	{ NULL, NULL, NULL },
};

const struct command cmd_run = {
	"run",
	"RUNBOOK.yaml [--dry-run] [--generate-only] [--card FILE... [--card-pass-file FILE...]]",
	"run a runbook: verify, generate, modify-acls and package a batch of keys, idempotently",
	"Reads RUNBOOK.yaml (the config file format, with a keys: list; every field, and every "
	"file, directory and region it names, is checked before anything runs, errors as "
	"FILE:LINE:COLUMN) and does the whole procedure: "
	"verify-toolset when toolset: is named, verify-kek for each KEK (the runbook's region or "
	"kek_pem + kek_id, or a key's own kek_pem + kek_id), then generate, modify-acls and "
	"package for every key, in order, with one module load, one card quorum (cards: in the "
	"runbook, or --card) and one user login. The quorum is asked for only when a KEK must be "
	"installed or transfer keys made. Idempotent: a key with a record is never generated "
	"again (a key the token made before a crash cut its record short is recovered, not "
	"made twice), an existing .byok is checked against its key and KEK and never "
	"rewritten, and whatever is missing is done, so a crash or power cut at any point is "
	"recovered by running the runbook again. --generate-only stops after generate (keys made "
	"at a ceremony, packaged when the KEK is at hand): no toolset or KEK check, no cards, no "
	".byok. Stops at the first key that fails, naming it; "
	"transfer keys made for keys not packaged are destroyed. Prints a line per key, and a "
	"progress bar with the count and rate when stderr is a terminal. Each step appends its "
	"own audit event (generate, modify-acls, package). --json fields: runbook, dry_run, "
	"token, token_serial, world_hash, generated, packaged, keys[] (ident, key_type, kid, "
	"kek_fingerprint, file, generate, modify_acls, package; the keys done), result, and "
	"when a key fails stopped_at and error; generate is existing, generated or recovered, "
	"modify_acls existing, made, not needed or not run, package existing, written or not "
	"run; with --dry-run: "
	"runbook, dry_run, token, token_serial, quorum, keks_to_install, transfer_keys_to_make, "
	"keys[] (ident, key_type, file, kek_fingerprint, generate, modify_acls, package as "
	"booleans: whether that step would run), result.",
	opts, run,
};
