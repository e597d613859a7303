/* cards.c: Shamir shares of the SO secret in passphrase-encrypted card files; see cards.h. */
#include "config.h"
#include "cards.h"
#include "b64.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"
#include "secret.h"

#include <jansson.h>
#include <libgfshare.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_FORMAT "p11byok-card"
#define CARD_VERSION 1
#define CARD_MAX_BYTES 8192
#define CARD_MAX_SECRET 256

/* scrypt parameters written: 2^17 x 8 x 128 bytes = 128 MiB per derivation. */
#define SCRYPT_N ((uint64_t)1 << 17)
#define SCRYPT_R 8
#define SCRYPT_P 1
/* What a card may ask for when read: enough for stronger cards, bounded against a card
 * crafted to exhaust memory.  */
#define SCRYPT_N_MIN ((uint64_t)1 << 14)
#define SCRYPT_N_MAX ((uint64_t)1 << 20)
#define SCRYPT_R_MAX 16
#define SCRYPT_P_MAX 4
#define SCRYPT_MAXMEM ((uint64_t)2048 * 1024 * 1024)

void
card_name(unsigned index, unsigned n, char *buf, size_t len)
{
	snprintf(buf, len, "card-%u-of-%u.acs", index, n);
}

void
card_free(struct card *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->ct);
	free(c);
}

/* Decodes base64 TEXT into exactly WANT bytes at OUT (WANT 0: any length into *DYN). */
static bool
b64_field(const char *text, unsigned char *out, size_t want, unsigned char **dyn,
    size_t *dynlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	if (b64_decode(text, false, &buf, &len) != 0)
		return false;
	if (want != 0) {
		if (len != want) {
			free(buf);
			return false;
		}
		memcpy(out, buf, want);
		free(buf);
		return true;
	}
	*dyn = buf;
	*dynlen = len;
	return true;
}

int
card_load(const char *path, struct card **out)
{
	int r = P11BYOK_EUSAGE;
	struct card *c = NULL;
	char *text = NULL, *format = NULL, *hash = NULL, *kdf = NULL, *cipher = NULL;
	char *salt = NULL, *iv = NULL, *ct = NULL, *tag = NULL;
	json_int_t version = 0, index = 0, n = 0, k = 0, sn = 0, sr = 0, sp = 0;
	unsigned char d[SHA256_LEN];
	json_error_t jerr;
	json_t *doc = NULL;
	size_t len = 0;

	*out = NULL;
	if ((r = fs_read_file(path, "card", CARD_MAX_BYTES, &text, &len)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    json_unpack_ex(doc, &jerr, 0, "{s:s, s:I}", "format", &format, "version",
	    &version) != 0 || strcmp(format, CARD_FORMAT) != 0) {
		msg_err("%s is not a p11byok administrator card (%s): give a card-I-of-N.acs "
		    "file written by 'p11byok world init'", path,
		    doc == NULL ? jerr.text : "no \"format\": \"" CARD_FORMAT "\"");
		goto out;
	}
	if (version != CARD_VERSION) {
		msg_err("card %s has format version %lld; this p11byok reads version %d", path,
		    (long long)version, CARD_VERSION);
		goto out;
	}
	if (json_unpack_ex(doc, &jerr, JSON_STRICT,
	    "{s:s, s:I, s:s, s:I, s:I, s:I, s:{s:s, s:s, s:I, s:I, s:I}, s:s, s:s, s:s, s:s}",
	    "format", &format, "version", &version, "world_hash", &hash, "index", &index,
	    "n", &n, "k", &k, "kdf", "name", &kdf, "salt", &salt, "N", &sn, "r", &sr, "p", &sp,
	    "cipher", &cipher, "iv", &iv, "ciphertext", &ct, "tag", &tag) != 0) {
		msg_err("card %s is corrupted: %s; use an intact copy of the card", path, jerr.text);
		goto out;
	}
	if ((c = calloc(1, sizeof *c)) == NULL || (c->path = strdup(path)) == NULL) {
		msg_err("out of memory reading card %s", path);
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (!hex_is_sha256(hash) || n < 1 || n > 255 || k < 1 || k > n || index < 1 || index > n ||
	    strcmp(kdf, "scrypt") != 0 || strcmp(cipher, "AES-256-GCM") != 0 ||
	    sn < (json_int_t)SCRYPT_N_MIN || sn > (json_int_t)SCRYPT_N_MAX ||
	    (sn & (sn - 1)) != 0 || sr < 1 || sr > SCRYPT_R_MAX || sp < 1 || sp > SCRYPT_P_MAX ||
	    !b64_field(salt, c->salt, sizeof c->salt, NULL, NULL) ||
	    !b64_field(iv, c->iv, sizeof c->iv, NULL, NULL) ||
	    !b64_field(tag, c->tag, sizeof c->tag, NULL, NULL) ||
	    !b64_field(ct, NULL, 0, &c->ct, &c->ct_len) ||
	    c->ct_len == 0 || c->ct_len > CARD_MAX_SECRET) {
		msg_err("card %s is corrupted: a field is out of range or badly encoded; use an "
		    "intact copy of the card", path);
		goto out;
	}
	c->version = (unsigned)version;
	c->index = (unsigned)index;
	c->n = (unsigned)n;
	c->k = (unsigned)k;
	memcpy(c->world_hash, hash, 65);
	c->scrypt_n = (uint64_t)sn;
	c->scrypt_r = (uint32_t)sr;
	c->scrypt_p = (uint32_t)sp;
	if (EVP_Digest(text, len, d, NULL, EVP_sha256(), NULL) != 1) {
		msg_ssl("cannot hash card %s", path);
		r = P11BYOK_EFAIL;
		goto out;
	}
	hex_encode(d, sizeof d, c->fp, 0);
	*out = c;
	c = NULL;
	r = 0;
out:
	card_free(c);
	json_decref(doc);
	free(text);
	return r;
}

static void
card_aad(const char *world_hash, unsigned index, unsigned n, unsigned k, char *buf,
    size_t len)
{
	snprintf(buf, len, "p11byok-card v%d|%s|%u|%u|%u", CARD_VERSION, world_hash, index, n,
	    k);
}

/* scrypt of PASS into KEY (32 bytes). */
static int
derive(const char *pass, size_t pass_len, const unsigned char *salt, size_t salt_len,
    uint64_t n, uint32_t r, uint32_t p, unsigned char key[32])
{
	if (EVP_PBE_scrypt(pass, pass_len, salt, salt_len, n, r, p, SCRYPT_MAXMEM, key, 32) != 1) {
		msg_ssl("cannot derive the card key with scrypt (N=%llu, r=%u, p=%u)",
		    (unsigned long long)n, r, p);
		return P11BYOK_EFAIL;
	}
	return 0;
}

int
card_open(const struct card *c, const char *pass, size_t pass_len, unsigned char **share)
{
	int r = P11BYOK_EFAIL, outl = 0, fin = 0;
	unsigned char key[32], tag[16], *buf = NULL;
	EVP_CIPHER_CTX *cx = NULL;
	char aad[160];

	*share = NULL;
	memcpy(tag, c->tag, sizeof tag);
	if ((buf = OPENSSL_secure_malloc(c->ct_len + 16)) == NULL) {
		msg_err("out of memory opening card %s", c->path);
		goto out;
	}
	if ((r = derive(pass, pass_len, c->salt, sizeof c->salt, c->scrypt_n, c->scrypt_r,
	    c->scrypt_p, key)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	card_aad(c->world_hash, c->index, c->n, c->k, aad, sizeof aad);
	if ((cx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_IVLEN, sizeof c->iv, NULL) ||
	    !EVP_DecryptInit_ex(cx, NULL, NULL, key, c->iv) ||
	    !EVP_DecryptUpdate(cx, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) ||
	    !EVP_DecryptUpdate(cx, buf, &outl, c->ct, (int)c->ct_len) ||
	    !EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, sizeof tag, tag)) {
		msg_ssl("cannot decrypt card %s", c->path);
		goto out;
	}
	if (EVP_DecryptFinal_ex(cx, buf + outl, &fin) != 1) {
		msg_err("the passphrase for card %s is wrong, or the card was altered: check the "
		    "passphrase (the card was not used, nothing changed on the token)", c->path);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	*share = buf;
	buf = NULL;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_CIPHER_CTX_free(cx);
	if (buf != NULL)
		OPENSSL_secure_clear_free(buf, c->ct_len + 16);
	return r;
}

int
card_write(const char *dir, const char *world_hash, unsigned index, unsigned n, unsigned k,
    const unsigned char *share, size_t len, const char *pass, size_t pass_len,
    char *path, size_t path_len, char fp[65])
{
	int r = P11BYOK_EFAIL, outl = 0, fin = 0;
	unsigned char key[32], salt[16], iv[12], tag[16], *ct = NULL, d[SHA256_LEN];
	char *s_salt = NULL, *s_iv = NULL, *s_ct = NULL, *s_tag = NULL, *text = NULL;
	EVP_CIPHER_CTX *cx = NULL;
	char aad[160], name[64];
	json_t *doc = NULL;

	card_name(index, n, name, sizeof name);
	if ((size_t)snprintf(path, path_len, "%s/%s", dir, name) >= path_len) {
		msg_err("cards directory path %s is too long", dir);
		return P11BYOK_EUSAGE;
	}
	if (RAND_bytes(salt, sizeof salt) != 1 || RAND_bytes(iv, sizeof iv) != 1) {
		msg_ssl("cannot draw random salt and IV for card %s", path);
		return P11BYOK_EFAIL;
	}
	if ((ct = malloc(len + 16)) == NULL) {
		msg_err("out of memory writing card %s", path);
		goto out;
	}
	if ((r = derive(pass, pass_len, salt, sizeof salt, SCRYPT_N, SCRYPT_R, SCRYPT_P,
	    key)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	card_aad(world_hash, index, n, k, aad, sizeof aad);
	if ((cx = EVP_CIPHER_CTX_new()) == NULL ||
	    !EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_IVLEN, sizeof iv, NULL) ||
	    !EVP_EncryptInit_ex(cx, NULL, NULL, key, iv) ||
	    !EVP_EncryptUpdate(cx, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) ||
	    !EVP_EncryptUpdate(cx, ct, &outl, share, (int)len) ||
	    !EVP_EncryptFinal_ex(cx, ct + outl, &fin) ||
	    !EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, sizeof tag, tag)) {
		msg_ssl("cannot encrypt card %s", path);
		goto out;
	}
	if ((s_salt = b64_encode(salt, sizeof salt, false)) == NULL ||
	    (s_iv = b64_encode(iv, sizeof iv, false)) == NULL ||
	    (s_ct = b64_encode(ct, (size_t)(outl + fin), false)) == NULL ||
	    (s_tag = b64_encode(tag, sizeof tag, false)) == NULL ||
	    (doc = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:{s:s, s:s, s:I, s:i, s:i}, s:s, "
	    "s:s, s:s, s:s}", "format", CARD_FORMAT, "version", CARD_VERSION,
	    "world_hash", world_hash, "index", (int)index, "n", (int)n, "k", (int)k,
	    "kdf", "name", "scrypt", "salt", s_salt, "N", (json_int_t)SCRYPT_N, "r", SCRYPT_R,
	    "p", SCRYPT_P, "cipher", "AES-256-GCM", "iv", s_iv, "ciphertext", s_ct,
	    "tag", s_tag)) == NULL ||
	    (text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		msg_err("out of memory writing card %s", path);
		goto out;
	}
	{
		size_t tl = strlen(text);
		char *line = realloc(text, tl + 2);
		if (line == NULL) {
			msg_err("out of memory writing card %s", path);
			goto out;
		}
		text = line;
		memcpy(text + tl, "\n", 2);
	}
	if (EVP_Digest(text, strlen(text), d, NULL, EVP_sha256(), NULL) != 1) {
		msg_ssl("cannot hash card %s", path);
		goto out;
	}
	hex_encode(d, sizeof d, fp, 0);
	r = fs_write_atomic(path, text, strlen(text), 0600, false);
out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_CIPHER_CTX_free(cx);
	json_decref(doc);
	free(ct);
	free(s_salt);
	free(s_iv);
	free(s_ct);
	free(s_tag);
	free(text);
	return r;
}

/* libgfshare draws its polynomial coefficients through gfshare_fill_rand: here from
 * OpenSSL's private DRBG, never random().  A failure cannot be returned through libgfshare's
 * void callback, so it is remembered and the split refused.  */
static bool rand_failed;

static void
fill_rand(unsigned char *buf, unsigned int len)
{
	if (RAND_priv_bytes(buf, (int)len) != 1) {
		rand_failed = true;
		OPENSSL_cleanse(buf, len);
	}
}

int
cards_split(const unsigned char *secret, size_t len, unsigned k, unsigned n,
    unsigned char **shares)
{
	unsigned char nrs[255], *out = NULL, *copy = NULL;
	gfshare_ctx *g = NULL;
	int r = P11BYOK_EFAIL;

	*shares = NULL;
	if (k < 1 || k > n || n > 255 || len == 0 || len > CARD_MAX_SECRET) {
		msg_err("cannot split a secret %u of %u", k, n);
		return P11BYOK_EFAIL;
	}
	gfshare_fill_rand = fill_rand;
	rand_failed = false;
	for (unsigned i = 0; i < n; i++)
		nrs[i] = (unsigned char)(i + 1);
	if ((out = OPENSSL_secure_zalloc(n * len)) == NULL ||
	    (copy = OPENSSL_secure_malloc(len)) == NULL ||
	    (g = gfshare_ctx_init_enc(nrs, n, (unsigned char)k, (unsigned int)len)) == NULL) {
		msg_err("out of memory splitting the SO secret");
		goto out;
	}
	memcpy(copy, secret, len);
	gfshare_ctx_enc_setsecret(g, copy);
	for (unsigned i = 0; i < n; i++)
		gfshare_ctx_enc_getshare(g, (unsigned char)i, out + i * len);
	if (rand_failed) {
		msg_ssl("OpenSSL's random generator failed while splitting the SO secret");
		goto out;
	}
	*shares = out;
	out = NULL;
	r = 0;
out:
	gfshare_ctx_free(g);	/* libgfshare overwrites its buffers before freeing them */
	if (copy != NULL)
		OPENSSL_secure_clear_free(copy, len);
	if (out != NULL)
		OPENSSL_secure_clear_free(out, n * len);
	return r;
}

int
cards_combine(unsigned count, const unsigned char *index, unsigned char *const *shares,
    size_t len, unsigned char *secret)
{
	unsigned char nrs[255];
	gfshare_ctx *g = NULL;

	if (count < 1 || count > 255 || len == 0 || len > CARD_MAX_SECRET) {
		msg_err("cannot combine %u shares", count);
		return P11BYOK_EFAIL;
	}
	gfshare_fill_rand = fill_rand;
	memcpy(nrs, index, count);
	if ((g = gfshare_ctx_init_dec(nrs, count, (unsigned int)len)) == NULL) {
		msg_err("out of memory combining the cards");
		return P11BYOK_EFAIL;
	}
	for (unsigned i = 0; i < count; i++)
		gfshare_ctx_dec_giveshare(g, (unsigned char)i, shares[i]);
	gfshare_ctx_dec_extract(g, secret);
	gfshare_ctx_free(g);
	return 0;
}

int
cards_pin(const unsigned char *secret, size_t len, char **pin, size_t *pin_len)
{
	*pin_len = 0;
	if ((*pin = OPENSSL_secure_malloc(2 * len + 2)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	hex_encode(secret, len, *pin, 0);
	*pin_len = 2 * len;
	return 0;
}

int
cards_check_value(const unsigned char *secret, size_t len, char out[17])
{
	static const char label[] = "p11byok SO secret check value v1";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)label, sizeof label - 1,
	    mac, &maclen) == NULL || maclen < 8) {
		msg_ssl("cannot compute the check value of the SO secret");
		return P11BYOK_EFAIL;
	}
	hex_encode(mac, 8, out, 0);
	OPENSSL_cleanse(mac, sizeof mac);
	return 0;
}

bool
cards_check_value_matches(const unsigned char *secret, size_t len, const char *check)
{
	char have[17];
	return cards_check_value(secret, len, have) == 0 && CRYPTO_memcmp(have, check, 17) == 0;
}

/* Why PASS (LEN bytes) is too weak to guard a share of the SO secret, or NULL: a floor that
 * stops the passphrases people reach for first ("password", a PIN, one key held down), not
 * a strength meter.  Nothing of PASS goes into the answer.  */
static const char *
weak_passphrase(const char *pass, size_t len)
{
	bool seen[256] = { false };
	size_t distinct = 0, digits = 0;

	if (len < CARD_MIN_PASSPHRASE)
		return "it is too short";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pass[i];
		distinct += !seen[ch];
		seen[ch] = true;
		digits += ch >= '0' && ch <= '9';
	}
	if (digits == len)
		return "it is only digits";
	if (distinct < CARD_MIN_DISTINCT)
		return "it repeats too few characters";
	return NULL;
}

int
card_passphrase(const char *pass_file, const char *card, bool new_card, char **pass,
    size_t *len)
{
	char prompt[512], *again = NULL;
	const char *why;
	size_t again_len = 0;
	int r;

	*pass = NULL;
	*len = 0;
	if (pass_file != NULL) {
		if ((r = secret_from_file(pass_file, "card passphrase file", pass, len)) != 0)
			return r;
	} else {
		snprintf(prompt, sizeof prompt, new_card ? "New passphrase for card %s (at least "
		    "%d characters): " : "Passphrase for card %s: ", card, CARD_MIN_PASSPHRASE);
		if ((r = secret_prompt(prompt, "card passphrase (--card-pass-file FILE)", pass,
		    len)) != 0)
			return r;
	}
	if (new_card && (why = weak_passphrase(*pass, *len)) != NULL) {
		msg_err("the passphrase for card %s%s%s is too weak: %s; choose one of at least %d "
		    "characters, %d of them different, not only digits", card,
		    pass_file ? " from " : "", pass_file ? pass_file : "", why, CARD_MIN_PASSPHRASE,
		    CARD_MIN_DISTINCT);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (new_card && pass_file == NULL) {
		snprintf(prompt, sizeof prompt, "Again, passphrase for card %s: ", card);
		if ((r = secret_prompt(prompt, "card passphrase (--card-pass-file FILE)", &again,
		    &again_len)) != 0)
			goto out;
		if (again_len != *len || CRYPTO_memcmp(again, *pass, *len) != 0) {
			msg_err("the two passphrases for card %s differ: nothing was written; run "
			    "again", card);
			r = P11BYOK_EUSAGE;
			goto out;
		}
	}
	r = 0;
out:
	secret_free(again, again_len);
	if (r != 0) {
		secret_free(*pass, *len);
		*pass = NULL;
		*len = 0;
	}
	return r;
}
