/* runbook-files.c: for run, what a runbook's values name on disk must be there before
 * anything runs, each refusal at the value's FILE:LINE:COLUMN; see config_check_files.
 *
 * config_load checks the file itself, the same for --config and run.  The disk is checked
 * only for run: with --config, world init is what makes the kmdata and cards the file
 * names, so they need not exist yet.  */
#include "config.h"
#include "runbook.h"
#include "attest.h"
#include "cards.h"
#include "ctx.h"
#include "fsutil.h"
#include "manifest.h"
#include "msg.h"
#include "yamldoc.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a value must name. */
enum want { WANT_FILE, WANT_DIR };

/* PATH, the value of FIELD at NODE, must be a readable regular file or a directory (WANT).
 * A SECRET field (pin_file, pass_file) may hold the secret itself, written there by
 * mistake, so its value is never echoed: the position says where it is, and the runbook's
 * directory how a relative one was read.  HINT says what to do.  */
static int
check_path(const struct config *c, int node, const char *field, const char *path,
    enum want want, bool secret, const char *hint)
{
	const char *kind = want == WANT_DIR ? "a directory" : "a regular file";
	char *copy = strdup(c->path), the[4200];
	const char *dir = copy ? dirname(copy) : ".";
	struct stat st;
	int r = P11BYOK_EUSAGE, e = 0;

	if (secret)
		snprintf(the, sizeof the, "the %s given here", field);
	else
		snprintf(the, sizeof the, "%s %s", field, path);
	if (stat(path, &st) != 0)
		e = errno;
	if (e == ENOENT && ydoc_scalar(c->doc, node)[0] != '/')
		ydoc_err(c->doc, node, "%s does not exist (a relative path is taken from the "
		    "runbook's directory, %s); %s", the, dir, hint);
	else if (e == ENOENT)
		ydoc_err(c->doc, node, "%s does not exist; %s", the, hint);
	else if (e == 0 && (want == WANT_DIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
		ydoc_err(c->doc, node, "%s is not %s; %s", the, kind, hint);
	else if (e != 0 || access(path, want == WANT_DIR ? R_OK | X_OK : R_OK) != 0)
		ydoc_err(c->doc, node, "cannot use %s: %s; %s", the, strerror(e ? e : errno),
		    hint);
	else
		r = 0;
	free(copy);
	return r;
}

/* The KEK file of kek_pem at NODE: a readable file (check_path) holding a PEM public key,
 * refused at the runbook's line before anything is logged or done, not when it is loaded. */
static int
check_kek_pem(const struct config *c, int node, const char *path, const char *hint)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	int r;

	if ((r = check_path(c, node, "kek_pem", path, WANT_FILE, false, hint)) != 0)
		return r;
	if ((bio = BIO_new_file(path, "r")) != NULL)
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	ERR_clear_error();
	if (pk == NULL)
		r = ydoc_err(c->doc, node, "kek_pem %s holds no PEM public key (-----BEGIN PUBLIC "
		    "KEY-----); %s", path, hint);
	else if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		r = ydoc_err(c->doc, node, "kek_pem %s holds a public key that is not RSA: a Key "
		    "Vault KEK is RSA-2048, 3072 or 4096; %s", path, hint);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return r;
}

/* The card file of K parses as a card (its passphrase is asked only when it is used). */
static int
check_card(const struct config *c, const struct config_card *k)
{
	struct card *card = NULL;
	int r;

	msg_hold(true);		/* card_load's own line would name no runbook position */
	r = card_load(k->file, &card);
	msg_hold(false);
	card_free(card);
	return r == 0 ? 0 : ydoc_err(c->doc, k->at_file, "card file %s is not a card 'p11byok "
	    "world init' wrote (see 'p11byok world check-quorum --card %s'); give the "
	    "card-I-of-N.acs file, or fix the path", k->file, k->file);
}

/* The output directory: there, or makeable (its parent is a directory) as run makes it. */
static int
check_output_dir(const struct config *c)
{
	static const char hint[] = "name a directory for the .byok files (made 0700 when "
	    "missing, inside an existing one)";
	char *copy;
	const char *parent;
	struct stat st;
	int r;

	if (stat(c->output_dir, &st) == 0 || errno != ENOENT)
		return check_path(c, c->at.output_dir, "output_dir", c->output_dir, WANT_DIR,
		    false, hint);
	if ((copy = strdup(c->output_dir)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	parent = dirname(copy);
	r = 0;
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		r = ydoc_err(c->doc, c->at.output_dir, "output_dir %s cannot be made: %s is not "
		    "a directory; %s", c->output_dir, parent, hint);
	free(copy);
	return r;
}

/* Whether any key takes the runbook's own KEK (region or kek_pem), not one of its own. */
static bool
runbook_kek_used(const struct config *c)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (c->keys[i].kek_pem == NULL)
			return true;
	return false;
}

/* The region has a manifest in the regions directory, the toolset's name tells its region
 * when none is given, and the region's packages are in toolset_dir when a key uses them. */
static int
check_region(const struct config *c, const struct ctx *ctx)
{
	const char *mdir = manifest_dir(ctx_regions(ctx));
	const char *tdir = c->toolset_dir ? c->toolset_dir : ".";
	int tnode = c->at.toolset_dir ? c->at.toolset_dir : c->at.region;
	struct region_set *set = NULL;
	const struct region *reg = NULL;
	char codes[512], path[4096];
	int r;

	if (c->region == NULL && c->toolset == NULL)
		return 0;
	if ((r = manifest_load_dir(mdir, &set)) != 0)
		return r;
	r = P11BYOK_EUSAGE;
	if (c->region != NULL && (reg = region_find(set, c->region)) == NULL) {
		ydoc_err(c->doc, c->at.region, "unknown region '%s' (no manifest in %s names it): "
		    "give a region name or code (%s); 'p11byok regions' lists them", c->region,
		    mdir, region_codes(set, codes, sizeof codes));
		goto out;
	}
	if (c->region == NULL && region_by_toolset(set, fs_basename(c->toolset)) == NULL) {
		ydoc_err(c->doc, c->at.toolset, "cannot tell the region of toolset %s from its "
		    "name (no manifest in %s names a toolset file '%s'): set region", c->toolset,
		    mdir, fs_basename(c->toolset));
		goto out;
	}
	if (reg == NULL || !runbook_kek_used(c)) {
		r = 0;
		goto out;
	}
	if (c->toolset_dir != NULL && (r = check_path(c, c->at.toolset_dir, "toolset_dir",
	    c->toolset_dir, WANT_DIR, false, "extract the region's BYOK toolset there or fix "
	    "the path")) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? reg->kek_package : reg->world_package;
		switch (attest_find_package(tdir, name, path, sizeof path)) {
		case 0:
			continue;
		case -2:
			ydoc_err(c->doc, tnode, "the path of %s in %s is too long; use a shorter "
			    "toolset_dir", name, tdir);
			goto out;
		default:
			ydoc_err(c->doc, tnode, "no %s package '%s' for region %s in %s: extract "
			    "the region's BYOK toolset there%s", i == 0 ? "KEK" : "world", name,
			    reg->code, tdir, c->toolset_dir ? "" : ", or set toolset_dir");
			goto out;
		}
	}
	r = 0;
out:
	region_set_free(set);
	return r;
}

int
config_check_files(const struct config *c, const struct ctx *ctx, bool generate_only,
    bool cards)
{
	static const char pem_hint[] = "download the KEK from Key Vault as PEM there or fix "
	    "the path";
	int r;

	/* A value that a command-line option overrides is not used, so not checked; a module
	 * given by bare name is for the loader to find.  */
	if ((c->module != NULL && ctx_module(ctx) == c->module && strchr(c->module, '/') &&
	    (r = check_path(c, c->at.module, "module", c->module, WANT_FILE, false, "give the "
	    "path of the PKCS#11 module (.so) or fix it")) != 0) ||
	    (c->kmdata != NULL && ctx_kmdata(ctx) == c->kmdata &&
	    (r = check_path(c, c->at.kmdata, "kmdata", c->kmdata, WANT_DIR, false, "give the "
	    "kmdata directory of the world ('p11byok world init' makes one)")) != 0) ||
	    (c->regions != NULL && ctx_regions(ctx) == c->regions &&
	    (r = check_path(c, c->at.regions, "regions", c->regions, WANT_DIR, false, "give "
	    "the directory of the region manifests")) != 0) ||
	    (c->pin_file != NULL && ctx_pin_file(ctx) == c->pin_file &&
	    (r = check_path(c, c->at.pin_file, "pin_file", c->pin_file, WANT_FILE, true, "put "
	    "the user PIN in a file (mode 0600) and give its path")) != 0))
		return r;
	/* A key ceremony (--generate-only) needs no KEK, toolset, output or cards. */
	if (generate_only)
		return 0;
	if ((r = check_region(c, ctx)) != 0 ||
	    (c->toolset != NULL && (r = check_path(c, c->at.toolset, "toolset", c->toolset,
	    WANT_FILE, false, "download the region's BYOK toolset there or fix the path")) != 0) ||
	    (c->kek_pem != NULL && runbook_kek_used(c) && (r = check_kek_pem(c, c->at.kek_pem,
	    c->kek_pem, pem_hint)) != 0) ||
	    (c->output_dir != NULL && (r = check_output_dir(c)) != 0))
		return r;
	for (size_t i = 0; i < c->nkeys; i++)
		if (c->keys[i].kek_pem != NULL && (r = check_kek_pem(c, c->keys[i].at_kek_pem,
		    c->keys[i].kek_pem, pem_hint)) != 0)
			return r;
	for (size_t i = 0; cards && i < c->ncards; i++) {
		const struct config_card *k = &c->cards[i];
		if ((r = check_path(c, k->at_file, "card file", k->file, WANT_FILE, false, "give "
		    "the card-I-of-N.acs file 'p11byok world init' wrote, or fix the path")) != 0 ||
		    (r = check_card(c, k)) != 0 ||
		    (k->pass_file != NULL && (r = check_path(c, k->at_pass_file, "pass_file",
		    k->pass_file, WANT_FILE, true, "put the card's passphrase in a file (mode "
		    "0600) and give its path, or leave pass_file out to be asked")) != 0))
			return r;
	}
	return 0;
}
