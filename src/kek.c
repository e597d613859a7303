/* kek.c: KEKs from PEM files, checked and fingerprinted; see kek.h. */
#include "config.h"
#include "kek.h"
#include "fsutil.h"
#include "msg.h"
#include "pubkey.h"

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
    struct kek **out)
{
	(void)ctx;
	(void)toolset_dir;
	*out = NULL;
	msg_err("--region %s: attested KEK packages are not verified by this build yet; use "
	    "--kek-pem and --kek-id", region);
	return P11BYOK_EUSAGE;
}
