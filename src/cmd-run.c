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
#include "proof.h"
#include "quorum.h"
#include "runbook.h"
#include "runplan.h"
#include "trustscan.h"
#include "upload.h"
#include "world.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_DRY_RUN = OPT_COMMAND_BASE, OPT_GENERATE_ONLY, OPT_ONLY };

/* What the run did for one key, for its progress line and the JSON document. */
struct outcome {
	const char *generate;		/* generated, recovered, existing */
	const char *acls;		/* made, existing, not needed */
	const char *package;		/* written, existing */
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
	size_t approve = runplan_to_package(rp);
	char name[32];

	msg_out("Plan for %zu key%s on token '%s' (serial %s); nothing is done in a dry run:\n",
	    rp->nkeys, rp->nkeys == 1 ? "" : "s", p11_token_label(p), p11_token_serial(p));
	for (size_t i = 0; i < rp->nkeys; i++) {
		const struct runplan_key *k = &rp->keys[i];
		const char *gen = k->recorded ? "" : "generate, ";
		const char *acls = k->packaged || k->acls_recorded ? "" : "modify-acls, ";
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
	if (runplan_needs_quorum(rp))
		msg_out("Quorum:   needed: to approve %zu transfer%s\n", approve,
		    approve == 1 ? "" : "s");
	else
		msg_out("Quorum:   not needed\n");
	if (keys == NULL)
		return 0;
	return json_emit(json_pack("{s:s, s:b, s:s, s:s, s:b, s:I, s:o, s:s}",
	    "runbook", rp->cfg->path, "dry_run", 1, "token", p11_token_label(p),
	    "token_serial", p11_token_serial(p), "quorum", runplan_needs_quorum(rp),
	    "transfers_to_approve", (json_int_t)approve, "keys", keys, "result", "SUCCESS"));
}

/* One run's batch: what it works on and what it did. */
struct batch {
	struct ctx *ctx;
	struct runplan *rp;
	struct p11 *p;
	struct quorum *q;
	const struct world *w;
	struct objindex *idx;		/* the token as the user first saw it */
	struct package_mode mode;
	struct outcome *o;		/* per key */
	struct package_job *jobs;	/* per key; ident NULL when not packaged now */
	size_t njobs, made, packaged;
};

/* The key of K on the token: there already (recorded), recovered from what a run cut short
 * left (keygen_make), or generated now; recorded and audited either way.  */
static int
key_step(struct batch *b, const struct runplan_key *k, struct outcome *o)
{
	const struct config_key *ck = k->ck;
	struct keygen_result res;
	enum key_type type = KEY_RSA;
	int r;

	if (k->recorded) {
		if (objindex_target(b->idx, ck->ident, &type) == CK_INVALID_HANDLE) {
			msg_err("key '%s' has a record in kmdata but is not on token '%s': re-create "
			    "it with 'p11byok restore %s', then run again", ck->ident,
			    p11_token_label(b->p), ck->ident);
			return P11BYOK_EUSAGE;
		}
		o->generate = "existing";
		return 0;
	}
	if ((r = keygen_make(b->p, b->rp->kmdata, &ck->spec, ck->ident, ck->plainname,
	    &res)) != 0)
		return r;
	o->generate = res.recovered != NULL ? "recovered" : "generated";
	if ((r = keygen_audit(b->p, b->rp->kmdata, &ck->spec, ck->ident, &res)) != 0)
		/* As generate: an unaudited key is taken out again (a recovered one too: the
		 * next run recovers nothing and generates it afresh).  */
		keygen_discard(b->p, ck->ident, &res, true);
	return r;
}

/* Before the quorum, as the user: K's key (generated, recovered or there), its transfer copy
 * (made, or checked), and, when it is still to package, J prepared for it (package.h). */
static int
key_prepare(struct batch *b, struct runplan_key *k, struct outcome *o, struct package_job *j)
{
	const struct runplan *rp = b->rp;
	struct acls_result ares;
	int r;

	audit_failure_note("ident", k->ck->ident);
	if ((r = runplan_record_unaudited(rp, b->p, k)) != 0 || (r = key_step(b, k, o)) != 0)
		return r;
	b->made += strcmp(o->generate, "existing") != 0;
	if (strcmp(o->generate, "recovered") == 0)
		msg_out("Recovered: key '%s', made by the token before a crash cut its record short "
		    "(checked, backed up, recorded; not made twice)\n", k->ck->ident);
	if (rp->generate_only) {
		o->acls = o->package = "not run";
		return 0;
	}
	if (k->packaged) {
		o->acls = k->acls_recorded ? "existing" : "not needed";
		o->package = "existing";
		return 0;
	}
	j->ident = k->ck->ident;
	j->kek = k->kek->kek;
	j->path = k->byok;
	j->subscription = k->ck->subscription_id;
	if ((r = keyrecord_simple_load(rp->kmdata, k->ck->ident, &j->rec)) != 0)
		return r;
	o->acls = "existing";
	if (!k->acls_recorded || objindex_copy(b->idx, k->ck->ident) == CK_INVALID_HANDLE) {
		if ((r = acls_copy(b->p, rp->kmdata, b->w, j->rec, k->kek->kek, k->kek->region,
		    b->mode.native, &ares)) != 0)
			return r;
		o->acls = ares.copy_reused ? "existing" : "made";
		k->acls_recorded = true;
	}
	b->njobs++;
	/* A copy made just now is not in the index: then the token is searched. */
	return (r = package_preflight(rp->kmdata, b->w, j)) != 0 ? r : package_check(b->p,
	    strcmp(o->acls, "made") == 0 ? NULL : b->idx, j);
}

/* The az and PowerShell lines that upload K's .byok (upload.h), with the key's vault or
 * Managed HSM, else the runbook's.  0, or -1 when out of memory.  */
static int
key_upload(const struct runplan *rp, const struct runplan_key *k, char **az, char **ps)
{
	const struct config_key *ck = k->ck;
	bool own = ck->vault_name != NULL || ck->hsm_name != NULL;
	struct upload_target t = {
		own ? ck->vault_name : rp->cfg->vault_name,
		own ? ck->hsm_name : rp->cfg->hsm_name, ck->subscription_id,
	};
	return upload_lines(&ck->spec, ck->friendly_name, k->byok, &t, az, ps);
}

static json_t *
key_json(const struct runplan *rp, const struct runplan_key *k, const struct outcome *o)
{
	char name[32], *az = NULL, *ps = NULL;
	const struct kek *kek = k->kek ? k->kek->kek : NULL;
	json_t *doc = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s}", "ident",
	    k->ck->ident, "key_type", key_name(k, name, sizeof name), "kid", kek ? kek->kid : NULL,
	    "kek_fingerprint", kek ? kek->fingerprint : NULL,
	    "file", kek ? k->byok : NULL,
	    "generate", o->generate, "modify_acls", o->acls, "package", o->package);

	/* The upload, once there is a .byok to upload. */
	if (doc != NULL && kek != NULL && strcmp(o->package, "not run") != 0 &&
	    key_upload(rp, k, &az, &ps) == 0) {
		json_object_set_new(doc, "friendly_name", json_string(k->ck->friendly_name));
		json_object_set_new(doc, "kty", json_string(package_kty(k->ck->spec.type)));
		json_object_set_new(doc, "upload", json_pack("{s:s, s:s}", "az", az,
		    "powershell", ps));
	}
	free(az);
	free(ps);
	return doc;
}

/* The upload lines of every key, as package prints them for one. */
static int
print_uploads(const struct runplan *rp)
{
	char *az = NULL, *ps = NULL;

	msg_out("\nOn the connected workstation, upload each with one of:\n");
	for (size_t i = 0; i < rp->nkeys; i++) {
		if (key_upload(rp, &rp->keys[i], &az, &ps) != 0) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		msg_out("  %s\n  %s\n", az, ps);
		free(az);
		free(ps);
	}
	return 0;
}

/* The batch's document: the first DONE keys; STOPPED_AT names the key that failed (the
 * result is then FAILURE, with the error line), or is NULL.  */
static json_t *
batch_json(const struct batch *b, size_t done, const char *stopped_at)
{
	json_t *keys = json_array(), *doc;
	const char *error = msg_first_error();
	if (keys != NULL)
		for (size_t i = 0; i < done; i++)
			json_array_append_new(keys, key_json(b->rp, &b->rp->keys[i], &b->o[i]));
	doc = json_pack("{s:s, s:b, s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "runbook",
	    b->rp->cfg->path, "dry_run", 0, "token", p11_token_label(b->p), "token_serial",
	    p11_token_serial(b->p), "world_hash", b->w->hash, "generated", (json_int_t)b->made,
	    "packaged", (json_int_t)b->packaged, "keys", keys, "result",
	    stopped_at ? "FAILURE" : "SUCCESS");
	if (doc != NULL && stopped_at != NULL &&
	    (json_object_set_new(doc, "stopped_at", json_string(stopped_at)) != 0 ||
	    json_object_set_new(doc, "error", json_string(error ? error : "failed")) != 0)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* Says where the batch stands after key I failed, with DONE keys finished. */
static void
stopped(const struct batch *b, size_t i, size_t done, const char *when)
{
	const struct runplan_key *k = &b->rp->keys[i];
	/* The error itself is the line above; this says where the batch stands. */
	msg_out("Stopped at key '%s' (%s:%zu) %s, with %zu of %zu keys done: fix what the error "
	    "says and run again; finished keys are not done twice\n", k->ck->ident,
	    b->rp->cfg->path, k->ck->line, when, done, b->rp->nkeys);
	if (msg_json())
		json_emit(batch_json(b, done, k->ck->ident));
}

static void
key_line(struct batch *b, struct progress *pr, size_t i)
{
	const struct runplan_key *k = &b->rp->keys[i];
	const struct outcome *o = &b->o[i];
	bool skipped = strcmp(o->generate, "existing") == 0 &&
	    (b->rp->generate_only || strcmp(o->package, "existing") == 0);
	char name[32];

	if (b->rp->generate_only)
		progress_done(pr, skipped, "[%zu/%zu] %-20s %-9s key %s", i + 1, b->rp->nkeys,
		    k->ck->ident, key_name(k, name, sizeof name), o->generate);
	else
		progress_done(pr, skipped, "[%zu/%zu] %-20s %-9s key %s, transfer copy %s, package "
		    "%s: %s", i + 1, b->rp->nkeys, k->ck->ident, key_name(k, name, sizeof name),
		    o->generate, o->acls, o->package, k->byok);
}

/* Each .byok found done must be one the token confirms p11byok wrote (proof.h), before
 * anything is done: an insider's file of the right shape with a forged line is not.  */
static int
check_proofs(const struct batch *b)
{
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	bool looked = false;
	int r;

	for (size_t i = 0; i < b->rp->nkeys; i++) {
		const struct runplan_key *k = &b->rp->keys[i];
		if (b->rp->generate_only || !k->packaged)
			continue;
		if (!looked && (r = proof_key(b->p, false, &key, NULL)) != 0)
			return r;
		looked = true;
		if ((r = package_check_proof(b->p, key, b->rp->log, k->staged[0] ? k->staged :
		    k->byok, k->ck->ident, k->kek->kek, b->rp->world_hash)) != 0 ||
		    (k->staged[0] && (r = package_put_staged(b->p, key, b->rp->kmdata,
		    b->rp->world_hash, k->ck->ident, k->kek->kek->fingerprint, k->staged,
		    k->byok)) != 0))
			return r;
	}
	return 0;
}

/* The user's first session: every key generated, copied and checked (or found done). */
static int
prepare_all(struct batch *b, struct progress *pr)
{
	CK_RV rv;
	int r;

	/* Logged in, the private trusted objects show too; legacy trust goes before the
	 * first change.  */
	if ((r = p11_login_user(b->p, ctx_pin_file(b->ctx))) != 0 ||
	    (r = trustscan_sweep(b->p, b->rp->kmdata, b->w->hash)) != 0 ||
	    (r = check_proofs(b)) != 0 ||
	    (runplan_needs_quorum(b->rp) && (r = package_wrapcheck(b->p, &b->mode)) != 0))
		return r;
	/* One pass over the token for the whole batch (objindex.h says why). */
	if ((rv = objindex_scan(b->p, &b->idx)) != CKR_OK) {
		msg_ck(rv, "cannot list the objects of token '%s'", p11_token_label(b->p));
		return P11BYOK_EFAIL;
	}
	for (size_t i = 0; i < b->rp->nkeys; i++) {
		if ((r = key_prepare(b, &b->rp->keys[i], &b->o[i], &b->jobs[i])) != 0) {
			stopped(b, i, 0, b->rp->generate_only ? "" : "before any package was written");
			return r;
		}
		if (b->rp->generate_only)
			key_line(b, pr, i);
	}
	return 0;
}

/* The quorum's approval of every transfer still to do, then the user's second session:
 * each copy wrapped under its trust, which goes at once, and its .byok written.  */
static int
package_all(struct batch *b, struct progress *pr)
{
	struct package_job **todo = NULL;
	size_t n = 0;
	int r = P11BYOK_EFAIL;

	if (b->njobs > 0) {
		if ((r = package_probe(b->p, true, &b->mode)) != 0)
			return r;
		if ((todo = calloc(b->njobs, sizeof *todo)) == NULL) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		for (size_t i = 0; i < b->rp->nkeys; i++)
			if (b->jobs[i].ident != NULL)
				todo[n++] = &b->jobs[i];
		msg_out("Quorum:   approving %zu transfer%s as the security officer (trust as session "
		    "objects of this run, each gone after its wrap)\n", n, n == 1 ? "" : "s");
		if ((r = p11_logout_checked(b->p)) == 0)
			r = package_grant(b->p, b->q, b->w, todo, n, &b->mode);
		free(todo);
		if (r != 0 || (r = p11_login_user(b->p, ctx_pin_file(b->ctx))) != 0)
			return r;
	}
	p11_forget_pin(b->p);
	/* The logout forgot every private handle: one scan again, for the whole batch. */
	if (b->njobs > 0) {
		CK_RV rv;
		objindex_free(b->idx);
		b->idx = NULL;
		if ((rv = objindex_scan(b->p, &b->idx)) != CKR_OK) {
			msg_ck(rv, "cannot list the objects of token '%s'", p11_token_label(b->p));
			return P11BYOK_EFAIL;
		}
	}
	for (size_t i = 0; i < b->rp->nkeys; i++) {
		struct package_job *j = &b->jobs[i];
		if (j->ident != NULL) {
			if ((r = package_finish(b->p, b->idx, b->rp->kmdata, b->w, j,
			    &b->mode)) != 0) {
				stopped(b, i, i, "at its package");
				return r;
			}
			b->rp->keys[i].packaged = true;
			b->o[i].package = "written";
			b->packaged++;
		}
		key_line(b, pr, i);
	}
	return 0;
}

/* One line per transfer the quorum approves in this run (package_approval). */
static int
approval(const struct batch *b)
{
	for (size_t i = 0; i < b->rp->nkeys; i++) {
		const struct runplan_key *k = &b->rp->keys[i];
		struct key_simple *rec = NULL;
		int r;
		if (k->packaged)
			continue;
		if (k->recorded && (r = keyrecord_simple_load(b->rp->kmdata, k->ck->ident,
		    &rec)) != 0)
			return r;
		package_approval(k->ck->ident, &k->ck->spec, rec, k->kek->kek, k->byok);
		key_simple_free(rec);
	}
	return 0;
}

static int
batch(struct batch *b)
{
	struct runplan *rp = b->rp;
	struct progress *pr = NULL;
	int r;

	if (!rp->generate_only && (r = output_dir(rp->output_dir)) != 0)
		return r;
	if (runplan_needs_quorum(rp)) {
		if (!quorum_has_cards(b->q)) {
			msg_err("the quorum must approve %zu transfer%s but no cards were given: list "
			    "them under cards: in %s or give --card FILE", runplan_to_package(rp),
			    runplan_to_package(rp) == 1 ? "" : "s", rp->cfg->path);
			return P11BYOK_EUSAGE;
		}
		/* The cards are opened before anything changes on the token, once their
		 * holders have read what they approve.  */
		if ((r = approval(b)) != 0 || (r = quorum_unlock(b->q, b->w)) != 0 ||
		    (r = package_probe(b->p, false, &b->mode)) != 0)
			return r;
	}
	pr = progress_new(rp->nkeys);
	if ((r = prepare_all(b, pr)) != 0 || (!rp->generate_only && (r = package_all(b, pr)) != 0))
		goto out;
	progress_free(pr);
	pr = NULL;
	if (rp->generate_only)
		msg_out("Keys:     %zu (%zu generated or recovered now)\n", rp->nkeys, b->made);
	else
		msg_out("Keys:     %zu (%zu generated or recovered now); packages: %zu written, "
		    "%zu already there\n", rp->nkeys, b->made, b->packaged,
		    rp->nkeys - b->packaged);
	if (!rp->generate_only && (r = print_uploads(rp)) != 0)
		goto out;
	if (msg_json())
		r = json_emit(batch_json(b, rp->nkeys, NULL));
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	progress_free(pr);
	return r;
}

/* The idents --only names (pointers into argv). */
struct only {
	const char **ident;
	size_t n;
};

/* Adds the comma-separated idents of ARG to O.  0 or the exit code after one line. */
static int
only_add(struct only *o, char *arg)
{
	for (char *save = NULL, *id = strtok_r(arg, ",", &save); id != NULL;
	    id = strtok_r(NULL, ",", &save)) {
		const char **grown = realloc(o->ident, (o->n + 1) * sizeof *grown);
		if (grown == NULL) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		o->ident = grown;
		o->ident[o->n++] = id;
	}
	if (o->n == 0) {
		msg_err("--only takes the idents of keys of the runbook, separated by commas");
		return P11BYOK_EUSAGE;
	}
	return 0;
}

/* Every ident of O must be a key of CFG: a misspelt one would otherwise run nothing. */
static int
only_check(const struct only *o, const struct config *cfg)
{
	for (size_t i = 0; i < o->n; i++) {
		size_t k = 0;
		while (k < cfg->nkeys && strcmp(cfg->keys[k].ident, o->ident[i]) != 0)
			k++;
		if (k == cfg->nkeys) {
			msg_err("--only names '%s', which is no key of %s: give idents of its keys: "
			    "list", o->ident[i], cfg->path);
			return P11BYOK_EUSAGE;
		}
	}
	return 0;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "generate-only", no_argument, NULL, OPT_GENERATE_ONLY },
		{ "only", required_argument, NULL, OPT_ONLY },
		QUORUM_LONGOPTS,
		CLI_GLOBAL_OPTIONS
	};
	const struct config *cfg;
	struct quorum *q = NULL;
	struct runplan *rp = NULL;
	struct world *w = NULL;
	struct p11 *p = NULL;
	struct batch b = { 0 };
	const char *kmdata;
	bool dry_run = false, generate_only = false;
	struct only only = { 0 };
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
		else if (c == OPT_ONLY) {
			if ((r = only_add(&only, optarg)) != 0)
				goto out;
		} else if (quorum_option(q, c, optarg) != CLI_CONTINUE &&
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
	if ((r = only_check(&only, cfg)) != 0)
		goto out;
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
	    (r = runplan_new(ctx, cfg, kmdata, w->hash, generate_only,
	    only.n > 0 ? only.ident : NULL, only.n, &rp)) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0)
		goto out;
	if (dry_run) {
		r = print_plan(rp, p);
		goto out;
	}
	b = (struct batch){ .ctx = ctx, .rp = rp, .p = p, .q = q, .w = w };
	if ((b.o = calloc(rp->nkeys, sizeof *b.o)) == NULL ||
	    (b.jobs = calloc(rp->nkeys, sizeof *b.jobs)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = batch(&b);
out:
	/* No trust outlives the batch: what was not used up goes now. */
	for (size_t i = 0; b.jobs != NULL && i < rp->nkeys; i++)
		package_job_clear(p, &b.jobs[i]);
	free(b.jobs);
	free(b.o);
	objindex_free(b.idx);
	runplan_free(rp);
	world_free(w);
	p11_free(p);
	quorum_free(q);
	free(only.ident);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--dry-run", NULL, "print what would be done, touching nothing (no login, no cards)" },
	{ "--only", "ID[,ID...]", "run only these keys of the runbook (again for more); the "
	    "dry run too" },
	{ "--generate-only", NULL, "only generate the keys still missing (the key ceremony); no "
	    "KEK, cards or .byok: a later run packages them" },
	QUORUM_OPT_DOCS,
	{ NULL, NULL, NULL },
};

const struct command cmd_run = {
	"run",
	"RUNBOOK.yaml [--dry-run] [--generate-only] [--only ID[,ID...]] [--card FILE... "
	"[--card-pass-file FILE...]]",
	"run a runbook: verify, generate, modify-acls and package a batch of keys, idempotently",
	"Reads RUNBOOK.yaml (the config file format, with a keys: list; every field, and every "
	"file, directory and region it names, is checked before anything runs, errors as "
	"FILE:LINE:COLUMN) and does the whole procedure: "
	"verify-toolset when toolset: is named, verify-kek for each KEK (the runbook's region or "
	"kek_pem + kek_id, or a key's own kek_pem + kek_id), then generate, modify-acls and "
	"package for every key, in order, with one module load and one card quorum (cards: in "
	"the runbook, or --card) opened before anything changes: the user generates the keys "
	"and makes their transfer copies, the quorum's SO session gives every transfer still "
	"to do its trust as session objects of this run, then the user wraps each copy, its "
	"trust destroyed at once, and writes its .byok. The quorum is asked for only when a key "
	"is still to package. Idempotent: a key with a record is never generated "
	"again (a key the token made before a crash cut its record short is recovered, not "
	"made twice), an existing .byok is checked against its key and KEK, the audit log and "
	"the token's proof of its package line, and never "
	"rewritten, and whatever is missing is done, so a crash or power cut at any point is "
	"recovered by running the runbook again. --generate-only stops after generate (keys made "
	"at a ceremony, packaged when the KEK is at hand): no toolset or KEK check, no cards, no "
	".byok. --only ID[,ID...] runs those keys of the runbook alone (Terraform's -target, "
	"Ansible's --limit), the dry run too. Stops at the first key that fails, naming it; "
	"the trust given for keys not packaged is destroyed. Prints a line per key, and a "
	"progress bar with the count and rate when stderr is a terminal, then the az and "
	"Add-AzKeyVaultKey lines that upload each .byok (vault_name or hsm_name, per runbook or "
	"per key, fills them in; an AES key goes to a Managed HSM). Each step appends its "
	"own audit event (generate, modify-acls, package). --json fields: runbook, dry_run, "
	"token, token_serial, world_hash, generated, packaged, keys[] (ident, key_type, kid, "
	"kek_fingerprint, file, generate, modify_acls, package, and once packaged "
	"friendly_name, kty, upload {az, powershell}; the keys done), result, and "
	"when a key fails stopped_at and error; generate is existing, generated or recovered, "
	"modify_acls existing, made, not needed or not run, package existing, written or not "
	"run; with --dry-run: "
	"runbook, dry_run, token, token_serial, quorum, transfers_to_approve, "
	"keys[] (ident, key_type, file, kek_fingerprint, generate, modify_acls, package as "
	"booleans: whether that step would run), result.",
	opts, run,
};
