/* attest.c: KEK and world packages verified to the pinned vendor root; see attest.h.
 *
 * Order: each package is parsed as canonical CMS SignedData, its signer's chain is built
 * from the package's own certificates to a self-signed root whose public key matches the
 * pin (the only trust anchor), the signature is checked, and only then is the signed JSON
 * statement read.  */
#include "config.h"
#include "attest.h"
#include "b64.h"
#include "fsutil.h"
#include "manifest.h"
#include "digest.h"
#include "msg.h"
#include "pubkey.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The X509 auth level of every chain: 112 bits of security (OpenSSL's level 2). */
#define ATTEST_AUTH_LEVEL 2

#define KEK_MIN_BITS 2048
#define PACKAGE_MAX (1024 * 1024)	/* a package is a few KiB */
#define STATEMENT_MAX (64 * 1024)

/* One package once its signature and chain are verified. */
struct pkg {
	const char *what;	/* file name for messages */
	json_t *stmt;		/* the statement object */
	char *device_subject;
	char *root_subject;
};

static void
pkg_clear(struct pkg *p)
{
	json_decref(p->stmt);
	free(p->device_subject);
	free(p->root_subject);
	memset(p, 0, sizeof *p);
}

void
attest_result_free(struct attest_result *res)
{
	if (res == NULL)
		return;
	EVP_PKEY_free(res->kek);
	free(res->kid);
	free(res->device_subject);
	free(res->root_subject);
	free(res->region_code);
	free(res->kek_name);
	free(res->world_name);
	free(res);
}

int
attest_parse_pin(const char *text, const char *what, struct attest_pin *out)
{
	size_t digits = 0;

	memset(out, 0, sizeof *out);
	for (const char *s = text; *s != '\0'; s++) {
		if (isxdigit((unsigned char)*s))
			digits++;
		else if (*s != ' ' && *s != '\t' && *s != ':') {
			msg_err("%s '%s' is not hexadecimal: give the root key hash as the guide "
			    "prints it (59178a47 de508c3f ...)", what, text);
			return P11BYOK_EUSAGE;
		}
	}
	if ((digits != 2 * SHA1_LEN && digits != 2 * SHA256_LEN) ||
	    hex_decode(text, out->hash, sizeof out->hash) != (long)digits / 2) {
		msg_err("%s has %zu hex digits: a root key hash is 40 (SHA-1, as the guide prints "
		    "it) or 64 (SHA-256)", what, digits);
		memset(out, 0, sizeof *out);
		return P11BYOK_EUSAGE;
	}
	out->len = digits / 2;
	return 0;
}

void
attest_region_pin(const struct region *reg, struct attest_pin *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->hash, reg->root_key_hash, reg->root_key_hash_len);
	out->len = reg->root_key_hash_len;
}

/* The one-line RFC 2253 form of NAME in a new string; NULL when out of memory. */
static char *
name_oneline(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long len;

	if (b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0 && (s = malloc((size_t)len + 1)) != NULL) {
		memcpy(s, data, (size_t)len);
		s[len] = '\0';
	}
	BIO_free(b);
	return s;
}

/* Hash of X's DER SubjectPublicKeyInfo with the pin's algorithm into MD.  Returns 0 or -1. */
static int
spki_hash(X509 *x, size_t pinlen, unsigned char md[SHA256_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, r;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		return -1;
	r = EVP_Digest(der, (size_t)len, md, &mdlen, pinlen == SHA1_LEN ? EVP_sha1() :
	    EVP_sha256(), NULL) == 1 && mdlen == pinlen ? 0 : -1;
	OPENSSL_free(der);
	return r;
}

/* The next TLV at *P (of the LEN bytes left at END) with its header read by OpenSSL:
 * ASN.1 TAG and CLASS wanted; moves *P to the contents and returns their length, or -1.  */
static long
der_enter(const unsigned char **p, const unsigned char *end, int tag, int class)
{
	long len;
	int t, c, ret = ASN1_get_object(p, &len, &t, &c, end - *p);
	if ((ret & 0x80) || t != tag || c != class || len > end - *p)
		return -1;
	return len;
}

/* The one-byte INTEGER at *P, moved past; -1 when it is anything else. */
static int
der_small_int(const unsigned char **p, const unsigned char *end)
{
	long len = der_enter(p, end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL);
	if (len != 1)
		return -1;
	return *(*p)++;
}

/* The fields OpenSSL parses but no signature covers and re-encoding keeps as found: the
 * SignedData and SignerInfo versions (RFC 5652 §5.1, §5.3: 1 with an issuer-and-serial
 * signer, 3 with a subject key identifier; X.509 certificates only) and the signature and
 * digest algorithm parameters (absent or NULL, RSASSA-PSS aside).  DER is canonical DER
 * CMS already.  Returns 0, or -1 after one line.  */
static int
check_unsigned_fields(const unsigned char *der, long der_len, CMS_ContentInfo *cms,
    const char *what)
{
	const unsigned char *p = der, *end = der + der_len, *sd_end;
	X509_ALGOR *dig = NULL, *sig = NULL;
	CMS_SignerInfo *si;
	int sd_version, si_version, ptype, nid;
	long len;

	if (der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) < 0 ||
	    (len = der_enter(&p, end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL)) < 0 ||
	    (p += len, der_enter(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC)) < 0 ||
	    (len = der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL)) < 0 ||
	    (sd_end = p + len, (sd_version = der_small_int(&p, sd_end)) < 0))
		goto bad;
	/* digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, then signerInfos */
	while (p < sd_end) {
		const unsigned char *q = p;
		int t, c;
		if (ASN1_get_object(&q, &len, &t, &c, sd_end - p) & 0x80)
			goto bad;
		if (t == V_ASN1_SET && c == V_ASN1_UNIVERSAL && q + len == sd_end)
			break;		/* the last SET: signerInfos */
		p = q + len;
	}
	if (der_enter(&p, sd_end, V_ASN1_SET, V_ASN1_UNIVERSAL) < 0 ||
	    der_enter(&p, sd_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL) < 0 ||
	    (si_version = der_small_int(&p, sd_end)) < 0)
		goto bad;
	if ((si_version != 1 && si_version != 3) || sd_version != (si_version == 3 ? 3 : 1)) {
		msg_err("%s: its CMS versions (SignedData %d, SignerInfo %d) are not the ones "
		    "RFC 5652 gives a signed statement: the package was altered", what,
		    sd_version, si_version);
		return -1;
	}
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	X509_ALGOR_get0(NULL, &ptype, NULL, dig);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		goto params;
	X509_ALGOR_get0(NULL, &ptype, NULL, sig);
	nid = OBJ_obj2nid(sig->algorithm);
	if (nid != NID_rsassaPss && ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		goto params;
	return 0;
bad:
	ERR_clear_error();
	msg_err("%s: its CMS structure is not SignedData as expected: the package was altered",
	    what);
	return -1;
params:
	msg_err("%s: its signer's algorithm parameters are not absent or NULL: the package was "
	    "altered", what);
	return -1;
}

/* Parses BUF as CMS in canonical DER (or PEM around it) into *OUT.  Returns 0, or
 * P11BYOK_EUSAGE after one line.  */
static int
parse_cms(const unsigned char *buf, size_t len, const char *what, CMS_ContentInfo **out)
{
	static const char pem_begin[] = "-----BEGIN ";
	unsigned char *der = NULL, *reenc = NULL;
	const unsigned char *der_ro = buf, *p;
	long der_len = (long)len;
	char *name = NULL, *header = NULL, rest[64];
	CMS_ContentInfo *cms = NULL;
	BIO *bio = NULL;
	int r = P11BYOK_EUSAGE, n, relen;

	*out = NULL;
	if (len > PACKAGE_MAX) {
		msg_err("%s is %zu bytes, too large for a BYOK package: check the file", what, len);
		goto out;
	}
	if (len >= sizeof pem_begin - 1 && memcmp(buf, pem_begin, sizeof pem_begin - 1) == 0) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
		    PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
			ERR_clear_error();
			msg_err("%s is not a PEM-encoded CMS package: download the toolset again", what);
			goto out;
		}
		if ((strcmp(name, "CMS") != 0 && strcmp(name, "PKCS7") != 0) || *header != '\0') {
			msg_err("%s holds a PEM '%s' block, not CMS: download the toolset again",
			    what, name);
			goto out;
		}
		while ((n = BIO_read(bio, rest, sizeof rest)) > 0)
			for (int i = 0; i < n; i++)
				if (!isspace((unsigned char)rest[i])) {
					msg_err("%s has data after its PEM block: download the toolset "
					    "again", what);
					goto out;
				}
		der_ro = der;
	}
	p = der_ro;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, der_len)) == NULL) {
		ERR_clear_error();
		msg_err("%s is not a CMS package (DER or PEM SignedData): download the toolset "
		    "again", what);
		goto out;
	}
	/* Canonical DER only: no trailing bytes, and nothing BER would let vary unsigned. */
	if (p != der_ro + der_len || (relen = i2d_CMS_ContentInfo(cms, &reenc)) != der_len ||
	    memcmp(reenc, der_ro, (size_t)der_len) != 0) {
		ERR_clear_error();
		msg_err("%s is not canonical DER CMS (trailing or re-encoded bytes): download the "
		    "toolset again", what);
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		msg_err("%s is CMS but not SignedData: it is not a BYOK package", what);
		goto out;
	}
	if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		msg_err("%s has %d signers, not one HSM device signature", what,
		    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)));
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (check_unsigned_fields(der_ro, der_len, cms, what) != 0) {
		r = P11BYOK_EFAIL;
		goto out;
	}
	*out = cms;
	cms = NULL;
	r = 0;
out:
	CMS_ContentInfo_free(cms);
	OPENSSL_free(reenc);
	OPENSSL_free(der);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return r;
}

/* The digest the signer hashed the statement with: SHA-256 or stronger.  A SHA-1 or MD5
 * digest lets whoever finds a collision swap the statement under the same signature.
 * 0 or P11BYOK_EFAIL after one line.  */
static int
check_digest(CMS_SignerInfo *si, const struct pkg *p)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	int nid;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512)
		return 0;
	msg_err("%s is signed over a %s digest: p11byok accepts SHA-256, SHA-384 or SHA-512 "
	    "only; ask the vendor for a package signed with one", p->what,
	    nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
	return P11BYOK_EFAIL;
}

/* What a device certificate must be to speak for an HSM (DESIGN.md §3): an end entity (not
 * a CA: basicConstraints CA:FALSE, none of a CA's key usages) whose only business is
 * signing (key usage digitalSignature, nothing to encrypt or agree keys with), issued by
 * the chain rather than by itself, and as strong as the chain (auth level 2).  0 or
 * P11BYOK_EFAIL after one line naming what it lacks.  */
static int
check_device(X509 *signer, const struct pkg *p)
{
	uint32_t flags = X509_get_extension_flags(signer), ku = X509_get_key_usage(signer);
	const char *why = NULL;

	if (!(flags & EXFLAG_KUSAGE) || !(ku & KU_DIGITAL_SIGNATURE))
		why = "key usage digitalSignature";
	else if (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN))
		why = "no key usage of a CA (keyCertSign, cRLSign)";
	else if (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT))
		why = "no key usage but signing (no keyEncipherment, dataEncipherment, "
		    "keyAgreement)";
	else if (!(flags & EXFLAG_BCONS) || (flags & EXFLAG_CA))
		why = "basicConstraints CA:FALSE";
	else if (flags & EXFLAG_SS)
		why = "an issuer other than itself";
	if (why == NULL)
		return 0;
	msg_err("%s: its device certificate does not qualify as an HSM's signing certificate: "
	    "it needs %s", p->what, why);
	return P11BYOK_EFAIL;
}

/* Verifies the parsed package CMS of P to PIN and reads its statement into P.  Returns 0,
 * P11BYOK_EFAIL or P11BYOK_EUSAGE, after one line.  */
static int
verify_pkg(CMS_ContentInfo *cms, const struct attest_pin *pin, struct pkg *p)
{
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	X509_STORE *store = NULL;
	X509_STORE_CTX *xctx = NULL;
	X509 *signer = NULL, *root;
	BIO *content = NULL;
	char *data, *subj = NULL;
	unsigned char md[SHA256_LEN];
	json_error_t jerr;
	long len;
	int r = P11BYOK_EFAIL, anchors = 0, err;

	/* parse_cms made sure of SignedData with exactly one signer. */
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data || CMS_is_detached(cms)) {
		msg_err("%s does not carry its statement as signed data content: it is not a BYOK "
		    "package", p->what);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if ((certs = CMS_get1_certs(cms)) == NULL) {
		msg_err("%s carries no certificates: it cannot chain to the vendor root", p->what);
		goto out;
	}
	/* The only trust anchor: a self-signed certificate of the package with the pinned key. */
	if ((store = X509_STORE_new()) == NULL)
		goto oom;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (X509_self_signed(x, 1) == 1 && spki_hash(x, pin->len, md) == 0 &&
		    CRYPTO_memcmp(md, pin->hash, pin->len) == 0) {
			if (X509_STORE_add_cert(store, x) != 1)
				goto oom;
			anchors++;
		}
	}
	ERR_clear_error();
	if (anchors == 0) {
		char hex[2 * SHA256_LEN + 1];
		hex_encode(pin->hash, pin->len, hex, 0);
		msg_err("%s does not chain to the pinned vendor root: none of its certificates is "
		    "a self-signed root whose public key %s is %s", p->what,
		    pin->len == SHA1_LEN ? "SHA-1" : "SHA-256", hex);
		goto out;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
	/* 112 bits at least: no RSA key under 2048 bits, no MD5 or SHA-1 signature, anywhere
	 * in the chain.  */
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_get0_param(store), ATTEST_AUTH_LEVEL);
	/* The signer, then its chain, with a reason people can read when it fails. */
	if (CMS_set1_signers_certs(cms, certs, CMS_NOINTERN) < 0) {
		msg_ssl("%s: cannot match its signer to its certificates", p->what);
		goto out;
	}
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, &signer, NULL, NULL);
	if (signer == NULL) {
		msg_err("%s does not include the certificate of its signer: it cannot be verified",
		    p->what);
		goto out;
	}
	if ((xctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(xctx, store, signer, certs) != 1 ||
	    X509_STORE_CTX_set_default(xctx, "smime_sign") != 1)
		goto oom;
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(xctx), ATTEST_AUTH_LEVEL);
	if ((r = check_digest(sk_CMS_SignerInfo_value(sis, 0), p)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if (X509_verify_cert(xctx) != 1) {
		X509 *bad = X509_STORE_CTX_get_current_cert(xctx);
		err = X509_STORE_CTX_get_error(xctx);
		subj = bad != NULL ? name_oneline(X509_get_subject_name(bad)) : NULL;
		ERR_clear_error();
		msg_err("%s: the certificate chain does not verify to the pinned vendor root: %s "
		    "(certificate '%s')", p->what, X509_verify_cert_error_string(err),
		    subj != NULL ? subj : "?");
		goto out;
	}
	chain = X509_STORE_CTX_get1_chain(xctx);
	if (chain == NULL || sk_X509_num(chain) < 2) {
		msg_err("%s is signed by the root itself, not by an HSM device certificate",
		    p->what);
		goto out;
	}
	if ((r = check_device(signer, p)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	/* The signature over the statement (the chain is checked once more on the way). */
	if ((content = BIO_new(BIO_s_mem())) == NULL)
		goto oom;
	if (CMS_verify(cms, certs, store, NULL, content, CMS_BINARY) != 1) {
		msg_ssl("%s: the signature does not verify (the package was altered)", p->what);
		goto out;
	}
	root = sk_X509_value(chain, sk_X509_num(chain) - 1);
	if ((p->device_subject = name_oneline(X509_get_subject_name(signer))) == NULL ||
	    (p->root_subject = name_oneline(X509_get_subject_name(root))) == NULL)
		goto oom;
	if ((len = BIO_get_mem_data(content, &data)) < 0 || len > STATEMENT_MAX) {
		msg_err("%s: its signed statement is larger than %d bytes", p->what, STATEMENT_MAX);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if ((p->stmt = json_loadb(data, (size_t)len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(p->stmt)) {
		msg_err("%s: its signed content is not a JSON statement object%s%s", p->what,
		    p->stmt == NULL ? ": " : "", p->stmt == NULL ? jerr.text : "");
		r = P11BYOK_EUSAGE;
		goto out;
	}
	r = 0;
	goto out;
oom:
	msg_ssl("%s: out of memory verifying it", p->what);
	r = P11BYOK_EFAIL;
out:
	free(subj);
	BIO_free(content);
	X509_STORE_CTX_free(xctx);
	X509_STORE_free(store);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/* The string field KEY of P's statement, or NULL after one line. */
static const char *
field_str(const struct pkg *p, const char *key)
{
	json_t *v = json_object_get(p->stmt, key);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		msg_err("%s: its statement has no '%s' string", p->what, key);
		return NULL;
	}
	return json_string_value(v);
}

/* Refuses fields outside KNOWN (NULL-terminated): a statement says nothing we ignore. */
static int
only_fields(const struct pkg *p, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(p->stmt, key, v) {
		const char *const *k;
		for (k = known; *k != NULL && strcmp(*k, key) != 0; k++)
			;
		if (*k == NULL) {
			msg_err("%s: its statement has an unknown field '%s': this build does not "
			    "know what it asserts", p->what, key);
			return -1;
		}
	}
	return 0;
}

/* Checks the statement fields both kinds share: type, name, region, world_hash. */
static int
common_fields(const struct pkg *p, const char *type, const char *name,
    const struct region *reg, const char **world_hash)
{
	const char *v;

	if ((v = field_str(p, "type")) == NULL)
		return -1;
	if (strcmp(v, type) != 0) {
		msg_err("%s is a '%s' package where a '%s' package belongs: are --kek-package and "
		    "--world-package swapped?", p->what, v, type);
		return -1;
	}
	if ((v = field_str(p, "name")) == NULL)
		return -1;
	if (strcmp(v, name) != 0) {
		msg_err("%s is package '%s', not %s's '%s': use the packages of region %s",
		    p->what, v, reg->name, name, reg->code);
		return -1;
	}
	if ((v = field_str(p, "region")) == NULL)
		return -1;
	if (strcmp(v, reg->code) != 0) {
		msg_err("%s is for region '%s', not %s (%s): use the packages of region %s",
		    p->what, v, reg->name, reg->code, reg->code);
		return -1;
	}
	if ((v = field_str(p, "world_hash")) == NULL)
		return -1;
	if (!hex_is_sha256(v)) {
		msg_err("%s: its world_hash is not 64 lower-case hex digits (SHA-256)", p->what);
		return -1;
	}
	*world_hash = v;
	return 0;
}

/* The KEK of a verified KEK statement: RSA >= 2048 from base64 DER SPKI.  NULL after one
 * line. */
static EVP_PKEY *
kek_key(const struct pkg *p)
{
	const char *b64;
	unsigned char *der = NULL;
	const unsigned char *q;
	size_t len = 0;
	EVP_PKEY *key = NULL, *ret = NULL;

	if ((b64 = field_str(p, "public_key")) == NULL)
		return NULL;
	if (b64_decode(b64, false, &der, &len) != 0 || (q = der,
	    (key = d2i_PUBKEY(NULL, &q, (long)len)) == NULL) || q != der + len) {
		ERR_clear_error();
		msg_err("%s: its public_key is not a base64 DER SubjectPublicKeyInfo", p->what);
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		msg_err("%s: its KEK is a %s key, not RSA: BYOK needs an RSA KEK", p->what,
		    EVP_PKEY_get0_type_name(key));
		goto out;
	}
	if (EVP_PKEY_get_bits(key) < KEK_MIN_BITS) {
		msg_err("%s: its KEK is RSA-%d, under the %d bits BYOK requires", p->what,
		    EVP_PKEY_get_bits(key), KEK_MIN_BITS);
		goto out;
	}
	ret = key;
	key = NULL;
out:
	EVP_PKEY_free(key);
	free(der);
	return ret;
}

/* The statement checks, once both packages are verified; fills RES.  0 or -1 (one line). */
static int
check_statements(const struct pkg *kek, const struct pkg *world, const struct region *reg,
    struct attest_result *res)
{
	static const char *const kek_fields[] = { "type", "name", "region", "kid", "public_key",
	    "generated_in_hsm", "exportable", "world_hash", NULL };
	static const char *const world_fields[] = { "type", "name", "region", "world_hash",
	    NULL };
	const char *kek_wh, *world_wh, *kid, *kt, *wt;
	json_t *v;

	/* Both in the wrong place is the likelier mistake: say so once. */
	kt = json_string_value(json_object_get(kek->stmt, "type"));
	wt = json_string_value(json_object_get(world->stmt, "type"));
	if (kt != NULL && wt != NULL && strcmp(kt, "world") == 0 && strcmp(wt, "kek") == 0) {
		msg_err("%s is the world package and %s the KEK package: swap --kek-package and "
		    "--world-package", kek->what, world->what);
		return -1;
	}
	if (common_fields(kek, "kek", reg->kek_package, reg, &kek_wh) != 0 ||
	    common_fields(world, "world", reg->world_package, reg, &world_wh) != 0 ||
	    only_fields(kek, kek_fields) != 0 || only_fields(world, world_fields) != 0)
		return -1;
	v = json_object_get(kek->stmt, "generated_in_hsm");
	if (!json_is_true(v)) {
		msg_err("%s: its statement does not say generated_in_hsm: true: the KEK may exist "
		    "outside an HSM; do not use it", kek->what);
		return -1;
	}
	v = json_object_get(kek->stmt, "exportable");
	if (!json_is_false(v)) {
		msg_err("%s: its statement does not say exportable: false: the KEK may leave the "
		    "HSM; do not use it", kek->what);
		return -1;
	}
	if (strcmp(kek_wh, world_wh) != 0) {
		msg_err("%s: its world_hash %s is not the world_hash %s of %s: the KEK does not "
		    "belong to that security world", kek->what, kek_wh, world_wh, world->what);
		return -1;
	}
	if ((kid = field_str(kek, "kid")) == NULL)
		return -1;
	if ((res->kek = kek_key(kek)) == NULL)
		return -1;
	if (pubkey_fingerprint(res->kek, res->kek_fingerprint) != 0 ||
	    (res->kid = strdup(kid)) == NULL || (res->region_code = strdup(reg->code)) == NULL ||
	    (res->kek_name = strdup(reg->kek_package)) == NULL ||
	    (res->world_name = strdup(reg->world_package)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	res->kek_bits = (unsigned)EVP_PKEY_get_bits(res->kek);
	snprintf(res->world_hash, sizeof res->world_hash, "%s", world_wh);
	return 0;
}

int
attest_verify(const unsigned char *kekbuf, size_t kek_len, const char *kek_what,
    const unsigned char *worldbuf, size_t world_len, const char *world_what,
    const struct region *reg, const struct attest_pin *pin, struct attest_result **out)
{
	CMS_ContentInfo *kcms = NULL, *wcms = NULL;
	struct pkg kek = { .what = kek_what }, world = { .what = world_what };
	struct attest_result *res = NULL;
	int r;

	*out = NULL;
	if (pin->len != SHA1_LEN && pin->len != SHA256_LEN) {
		msg_err("the root key hash is %zu bytes, neither SHA-1 nor SHA-256", pin->len);
		return P11BYOK_EUSAGE;
	}
	if ((r = parse_cms(kekbuf, kek_len, kek_what, &kcms)) != 0 ||
	    (r = parse_cms(worldbuf, world_len, world_what, &wcms)) != 0 ||
	    (r = verify_pkg(kcms, pin, &kek)) != 0 ||
	    (r = verify_pkg(wcms, pin, &world)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if ((res = calloc(1, sizeof *res)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (check_statements(&kek, &world, reg, res) != 0)
		goto out;
	hex_encode(pin->hash, pin->len, res->root_hash, 0);
	res->root_hash_alg = pin->len == SHA1_LEN ? "SHA-1" : "SHA-256";
	res->device_subject = kek.device_subject;
	kek.device_subject = NULL;
	res->root_subject = kek.root_subject;
	kek.root_subject = NULL;
	*out = res;
	res = NULL;
	r = 0;
out:
	attest_result_free(res);
	pkg_clear(&kek);
	pkg_clear(&world);
	CMS_ContentInfo_free(kcms);
	CMS_ContentInfo_free(wcms);
	return r;
}

int
attest_verify_files(const char *kek_path, const char *world_path,
    const struct region *reg, const struct attest_pin *pin, struct attest_result **out)
{
	char *kbuf = NULL, *wbuf = NULL;
	size_t klen = 0, wlen = 0;
	int r;

	*out = NULL;
	if ((r = fs_read_file(kek_path, "KEK package", PACKAGE_MAX, &kbuf, &klen)) != 0 ||
	    (r = fs_read_file(world_path, "world package", PACKAGE_MAX, &wbuf, &wlen)) != 0)
		goto out;
	r = attest_verify((unsigned char *)kbuf, klen, kek_path, (unsigned char *)wbuf, wlen,
	    world_path, reg, pin, out);
out:
	free(kbuf);
	free(wbuf);
	return r;
}

int
attest_find_package(const char *dir, const char *name, char *path, size_t len)
{
	static const char *const ext[] = { "", ".p7s", ".pem" };

	if (dir == NULL)
		dir = ".";
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		if ((size_t)snprintf(path, len, "%s/%s%s", dir, name, ext[i]) >= len)
			return -2;
		if (access(path, F_OK) == 0)
			return 0;
	}
	return -1;
}

int
attest_package_path(const char *dir, const char *name, const char *what, char *path,
    size_t len)
{
	switch (attest_find_package(dir, name, path, len)) {
	case 0:
		return 0;
	case -2:
		msg_err("the %s path %s/%s is too long", what, dir ? dir : ".", name);
		return P11BYOK_EUSAGE;
	default:
		msg_err("no %s '%s' in %s: extract the region's BYOK toolset there, or give "
		    "--toolset-dir DIR", what, name, dir ? dir : ".");
		return P11BYOK_EUSAGE;
	}
}
