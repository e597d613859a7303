/* runplan.c: what `run` has left to do; see runplan.h. */
#include "config.h"
#include "runplan.h"
#include "audit.h"
#include "digest.h"
#include "keyrecord.h"
#include "msg.h"
#include "package.h"
#include "yamldoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
runplan_free(struct runplan *rp)
{
	if (rp == NULL)
		return;
	for (size_t i = 0; i < rp->nkeks; i++)
		kek_free(rp->keks[i].kek);
	free(rp->keks);
	free(rp->keys);
	audit_log_free(rp->log);
	free(rp);
}

/* The KEK of key CK: found among those loaded already, else loaded (and verified) now. */
static int
kek_of(struct ctx *ctx, struct runplan *rp, const struct config_key *ck,
    struct runplan_kek **out)
{
	const struct config *cfg = rp->cfg;
	const char *pem = ck->kek_pem ? ck->kek_pem : cfg->kek_pem;
	const char *kid = ck->kek_pem ? ck->kek_id : cfg->kek_id;
	const char *region = ck->kek_pem ? NULL : cfg->region;
	struct runplan_kek *k;
	struct kek_source src;
	int r;

	for (size_t i = 0; i < rp->nkeks; i++) {
		k = &rp->keks[i];
		if (region != NULL ? k->region != NULL : k->region == NULL &&
		    strcmp(k->pem, pem) == 0 && strcmp(k->kek->kid, kid) == 0) {
			*out = k;
			return 0;
		}
	}
	k = &rp->keks[rp->nkeks];
	src = (struct kek_source){ region, cfg->toolset_dir, cfg->root_hash, pem, kid };
	if ((r = kek_load(ctx, &src, &k->kek)) != 0)
		return r;
	k->region = region;
	k->pem = region ? NULL : pem;
	rp->nkeks++;
	*out = k;
	return 0;
}

/* Whether PATH exists (lstat: a dangling symlink counts, as nothing may be written there). */
static int
exists(const char *path, bool *yes)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		*yes = true;
		return 0;
	}
	if (errno == ENOENT) {
		*yes = false;
		return 0;
	}
	msg_err("cannot check %s: %s", path, strerror(errno));
	return P11BYOK_EUSAGE;
}

/* Whether the record at PATH, found done, lacks the COMMAND line that lists it in the
 * audit log: a run killed between writing it and logging it.  */
static int
unaudited(const struct runplan *rp, const char *command, const char *ident, const char *path,
    bool *yes)
{
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EUSAGE;
	hex_encode(d, SHA256_LEN, hex, 0);
	*yes = !audit_log_has(rp->log, command, ident, hex);
	return 0;
}

/* A key record that exists must describe the runbook's key: a key is never made twice. */
static int
check_record(const struct runplan *rp, const struct runplan_key *k)
{
	const struct config_key *ck = k->ck;
	struct key_simple *ks = NULL;
	char want[32], have[32];
	int r;

	if ((r = keyrecord_simple_load(rp->kmdata, ck->ident, &ks)) != 0)
		return r;
	keyspec_name(&ck->spec, want, sizeof want);
	keyspec_name(&ks->spec, have, sizeof have);
	if (strcmp(want, have) != 0) {
		r = ydoc_err(rp->cfg->doc, ck->at_type, "key '%s' is %s in the runbook, but "
		    "kmdata/key_simple_%s says it was generated as %s: fix the runbook (a key is "
		    "never generated twice)", ck->ident, want, ck->ident, have);
	} else if (strcmp(ks->world_hash, rp->world_hash) != 0) {
		msg_err("key '%s' was generated in another world (%.16s..., this kmdata's world is "
		    "%.16s...): use the kmdata of its world", ck->ident, ks->world_hash,
		    rp->world_hash);
		r = P11BYOK_EUSAGE;
	}
	key_simple_free(ks);
	return r;
}

/* key_xferacld_ID exists and names this key's KEK. */
static int
check_acls(const struct runplan *rp, struct runplan_key *k)
{
	struct key_xferacld *x = NULL;
	char path[4096];
	bool there;
	int r;

	if (keyrecord_xferacld_path(rp->kmdata, k->ck->ident, path, sizeof path) == NULL) {
		msg_err("kmdata path %s is too long", rp->kmdata);
		return P11BYOK_EUSAGE;
	}
	if ((r = exists(path, &there)) != 0 || !there)
		return r;
	if ((r = keyrecord_xferacld_load(rp->kmdata, k->ck->ident, &x)) != 0)
		return r;
	k->acls_recorded = strcmp(x->kek_fingerprint, k->kek->kek->fingerprint) == 0;
	key_xferacld_free(x);
	return k->acls_recorded ? unaudited(rp, "modify-acls", k->ck->ident, path,
	    &k->acls_unaudited) : 0;
}

int
runplan_record_unaudited(const struct runplan *rp, struct p11 *p, struct runplan_key *k)
{
	static const char *const commands[] = { "generate", "modify-acls" };
	bool *flags[] = { &k->generate_unaudited, &k->acls_unaudited };
	char path[4096];

	for (size_t i = 0; i < 2; i++) {
		int r;
		if (!*flags[i])
			continue;
		if (i == 0)
			keyrecord_simple_path(rp->kmdata, k->ck->ident, path, sizeof path);
		else
			keyrecord_xferacld_path(rp->kmdata, k->ck->ident, path, sizeof path);
		if ((r = audit_recover(rp->kmdata, commands[i], p11_token_serial(p),
		    rp->world_hash, k->ck->ident, path, "found done by run with no audit line (a "
		    "run cut short after the record was written)")) != 0)
			return r;
		*flags[i] = false;
	}
	return 0;
}

static bool
listed(const char *const *only, size_t n, const char *ident)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(only[i], ident) == 0)
			return true;
	return false;
}

int
runplan_new(struct ctx *ctx, const struct config *cfg, const char *kmdata,
    const char *world_hash, bool generate_only, const char *const *only, size_t nonly,
    struct runplan **out)
{
	struct runplan *rp = calloc(1, sizeof *rp);
	char path[4096];
	int r = P11BYOK_EFAIL;

	*out = NULL;
	if (rp == NULL || (rp->keks = calloc(cfg->nkeys + 1, sizeof *rp->keks)) == NULL ||
	    (rp->keys = calloc(cfg->nkeys, sizeof *rp->keys)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	rp->cfg = cfg;
	rp->kmdata = kmdata;
	rp->world_hash = world_hash;
	rp->generate_only = generate_only;
	rp->output_dir = cfg->output_dir ? cfg->output_dir : ".";
	if ((r = audit_log_load(kmdata, &rp->log)) != 0)
		goto out;
	for (size_t i = 0; i < cfg->nkeys; i++) {
		struct runplan_key *k;
		if (only != NULL && !listed(only, nonly, cfg->keys[i].ident))
			continue;	/* run --only: not this key */
		k = &rp->keys[rp->nkeys++];
		k->ck = &cfg->keys[i];
		if (snprintf(k->byok, sizeof k->byok, "%s/KeyTransferPackage-%s.byok",
		    rp->output_dir, k->ck->friendly_name) >= (int)sizeof k->byok ||
		    keyrecord_simple_path(kmdata, k->ck->ident, path, sizeof path) == NULL) {
			msg_err("output_dir or kmdata path is too long");
			r = P11BYOK_EUSAGE;
			goto out;
		}
		if ((r = exists(path, &k->recorded)) != 0 ||
		    (k->recorded && (r = check_record(rp, k)) != 0) ||
		    (k->recorded && (r = unaudited(rp, "generate", k->ck->ident, path,
		    &k->generate_unaudited)) != 0))
			goto out;
		if (generate_only)
			continue;
		if ((r = kek_of(ctx, rp, k->ck, &k->kek)) != 0 ||
		    (r = check_acls(rp, k)) != 0 ||
		    (r = exists(k->byok, &k->packaged)) != 0)
			goto out;
		if (!k->packaged && package_find_staged(rp->log, k->byok, k->ck->ident, k->staged,
		    sizeof k->staged))
			k->packaged = true;
		if (k->packaged && (r = package_check_existing(k->staged[0] ? k->staged : k->byok,
		    k->ck->ident, k->kek->kek, k->ck->spec.type, rp->log)) != 0)
			goto out;
	}
	*out = rp;
	rp = NULL;
	r = 0;
out:
	runplan_free(rp);
	return r;
}

size_t
runplan_to_package(const struct runplan *rp)
{
	size_t n = 0;
	for (size_t i = 0; !rp->generate_only && i < rp->nkeys; i++)
		n += !rp->keys[i].packaged;
	return n;
}

bool
runplan_needs_quorum(const struct runplan *rp)
{
	return runplan_to_package(rp) > 0;
}
