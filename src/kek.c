/* kek.c: KEKs from PEM files, checked and fingerprinted; see kek.h. */
#include "config.h"
#include "kek.h"
#include "attest.h"
#include "ctx.h"
#include "manifest.h"
#include "fsutil.h"
#include "msg.h"
#include "pubkey.h"
#include "runbook.h"

#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define KEK_MIN_BITS 2048

void
kek_free(struct kek *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->key);
	free(k->kid);
	free(k);
}

struct kek *
kek_new(EVP_PKEY *key, const char *kid, int attested)
{
	struct kek *k = calloc(1, sizeof *k);
	if (k == NULL || (k->kid = strdup(kid)) == NULL || pubkey_fingerprint(key, k->fingerprint)) {
		if (k != NULL)
			free(k->kid);
		free(k);
		EVP_PKEY_free(key);
		return NULL;
	}
	k->key = key;
	k->bits = (unsigned)EVP_PKEY_get_bits(key);
	k->attested = attested;
	return k;
}

int
kek_from_pem(const char *path, const char *kid, struct kek **out)
{
	char *text = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int r = P11BYOK_EUSAGE;

	*out = NULL;
	if (kid == NULL || *kid == '\0') {
		msg_err("a KEK from %s needs its key identifier: give --kek-id (the Key Vault key "
		    "id of the KEK, https://VAULT.vault.azure.net/keys/NAME/VERSION)", path);
		return P11BYOK_EUSAGE;
	}
	if (fs_read_file(path, "KEK PEM file", 64 * 1024, &text, &len) != 0)
		return P11BYOK_EUSAGE;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL ||
	    (key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		msg_err("%s is not a PEM public key (-----BEGIN PUBLIC KEY-----): download the KEK "
		    "again from Key Vault", path);
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		msg_err("the KEK in %s is a %s key, not RSA: BYOK needs an RSA KEK", path,
		    EVP_PKEY_get0_type_name(key));
		goto out;
	}
	if (EVP_PKEY_get_bits(key) < KEK_MIN_BITS) {
		msg_err("the KEK in %s is RSA-%d, under the %d bits BYOK requires: use a larger KEK",
		    path, EVP_PKEY_get_bits(key), KEK_MIN_BITS);
		goto out;
	}
	if ((*out = kek_new(key, kid, 0)) == NULL) {
		key = NULL;
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	key = NULL;
	r = 0;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(text);
	return r;
}

int
kek_from_region(struct ctx *ctx, const char *region, const char *toolset_dir,
    const char *root_hash, struct kek **out)
{
	struct region_set *set = NULL;
	const struct region *reg;
	struct attest_result *res = NULL;
	struct attest_pin pin;
	char kpath[4096], wpath[4096];
	int r;

	*out = NULL;
	if ((r = manifest_load_dir(manifest_dir(ctx_regions(ctx)), &set)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if ((reg = region_lookup(set, region)) == NULL)
		goto out;
	if (root_hash != NULL) {
		if ((r = attest_parse_pin(root_hash, "--root-hash", &pin)) != 0)
			goto out;
	} else
		attest_region_pin(reg, &pin);
	if ((r = attest_package_path(toolset_dir, reg->kek_package, "KEK package", kpath,
	    sizeof kpath)) != 0 ||
	    (r = attest_package_path(toolset_dir, reg->world_package, "world package", wpath,
	    sizeof wpath)) != 0)
		goto out;
	/* Nothing of the package is used unless both packages verify. */
	if ((r = attest_verify_files(kpath, wpath, reg, &pin, &res)) != 0)
		goto out;
	msg_debug("KEK package %s verified to the root key %s %s", kpath, res->root_hash_alg,
	    res->root_hash);
	if ((*out = kek_new(res->kek, res->kid, 1)) == NULL) {
		res->kek = NULL;
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	res->kek = NULL;
	r = 0;
out:
	attest_result_free(res);
	region_set_free(set);
	return r;
}

int
kek_source_option(struct kek_source *src, int opt, const char *arg)
{
	switch (opt) {
	case KEK_OPT_REGION: src->region = arg; break;
	case KEK_OPT_TOOLSET_DIR: src->toolset_dir = arg; break;
	case KEK_OPT_ROOT_HASH: src->root_hash = arg; break;
	case KEK_OPT_PEM: src->pem = arg; break;
	case KEK_OPT_ID: src->id = arg; break;
	default: return -2;
	}
	return CLI_CONTINUE;
}

int
kek_source_check(const struct command *cmd, const struct kek_source *src)
{
	if ((src->region != NULL) == (src->pem != NULL))
		return cli_usage_error(cmd, "give --region R (attested KEK package) or --kek-pem F "
		    "with --kek-id KID (KEK downloaded from Key Vault)");
	if (src->root_hash != NULL && src->region == NULL)
		return cli_usage_error(cmd, "--root-hash goes with --region (it pins the root of "
		    "the region's KEK package)");
	if ((src->pem != NULL) != (src->id != NULL))
		return cli_usage_error(cmd, "--kek-pem and --kek-id go together");
	return 0;
}

/* OpenSSL's public key check: a modulus that is not one (even, too small a factor) is no
 * key to trust with a transfer.  */
static int
public_check(struct kek *k, const char *from)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->key, NULL);
	int ok = pc != NULL && EVP_PKEY_public_check(pc) == 1;

	EVP_PKEY_CTX_free(pc);
	if (ok)
		return 0;
	msg_ssl("the KEK from %s fails OpenSSL's public key check: it is no valid RSA public key; "
	    "get the KEK again", from);
	return P11BYOK_EUSAGE;
}

int
kek_load(struct ctx *ctx, const struct kek_source *src, struct kek **out)
{
	const struct config *cfg = ctx_config(ctx);
	int r;

	if (src->region != NULL) {
		r = kek_from_region(ctx, src->region, src->toolset_dir, src->root_hash, out);
	} else if (cfg != NULL && cfg->require_attestation) {
		msg_err("--kek-pem %s is a KEK without attestation, and the config %s sets "
		    "require_attestation: true: use --region (an attested KEK package)", src->pem,
		    cfg->path);
		return P11BYOK_EUSAGE;
	} else if ((r = kek_from_pem(src->pem, src->id, out)) == 0) {
		msg_warn("the KEK from %s carries no attestation (the current Azure method): "
		    "check its fingerprint %s against Key Vault", src->pem, (*out)->fingerprint);
	}
	if (r == 0 && (r = public_check(*out, src->region ? src->region : src->pem)) != 0) {
		kek_free(*out);
		*out = NULL;
	}
	return r;
}
