/* cmd-import.c: p11byok import FILE.byok --unwrap-key URI — the receiving side: unwrap a
 * .byok inside a token that holds the KEK private key (round-trip proof, HSM migration).  */
#include "config.h"
#include "byok.h"
#include "cli.h"
#include "digest.h"
#include "fsutil.h"
#include "jsonout.h"
#include "audit-failure.h"
#include "audit.h"
#include "msg.h"
#include "p11.h"
#include "p11attr.h"
#include "pubkey.h"
#include "wrap.h"

#include <openssl/evp.h>
#include <p11-kit/uri.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_UNWRAP_KEY = OPT_COMMAND_BASE, OPT_LABEL };

/* The KEK private key the URI names: exactly one RSA private key on the chosen token. */
static int
find_kek(struct p11 *p, const char *uri_text, CK_OBJECT_HANDLE *kek)
{
	P11KitUri *uri = p11_kit_uri_new();
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_ATTRIBUTE tmpl[8];
	CK_ATTRIBUTE *a;
	CK_ULONG n = 0, found = 0;
	CK_OBJECT_HANDLE h[2];
	char shown[1024];
	CK_RV rv;
	int r = P11BYOK_EUSAGE;

	if (uri == NULL || p11_kit_uri_parse(uri_text, P11_KIT_URI_FOR_OBJECT, uri) !=
	    P11_KIT_URI_OK) {
		msg_err("malformed --unwrap-key URI '%s': write it as "
		    "pkcs11:token=LABEL;object=KEK-LABEL", p11_uri_display(uri_text, shown,
		    sizeof shown));
		goto out;
	}
	if ((a = p11_kit_uri_get_attribute(uri, CKA_LABEL)) != NULL)
		tmpl[n++] = *a;
	if ((a = p11_kit_uri_get_attribute(uri, CKA_ID)) != NULL)
		tmpl[n++] = *a;
	if (n == 0) {
		msg_err("--unwrap-key URI '%s' names no key: add object=LABEL or id=%%HEX",
		    p11_uri_display(uri_text, shown, sizeof shown));
		goto out;
	}
	tmpl[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &priv, sizeof priv };
	tmpl[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &rsa, sizeof rsa };
	if ((rv = p11attr_find(p, tmpl, n, h, 2, &found)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for the KEK", p11_token_label(p));
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (found != 1) {
		msg_err("%s RSA private key on token '%s' matches '%s': the URI must name exactly "
		    "the KEK private key", found == 0 ? "no" : "more than one", p11_token_label(p),
		    p11_uri_display(uri_text, shown, sizeof shown));
		r = found == 0 ? P11BYOK_EENV : P11BYOK_EUSAGE;
		goto out;
	}
	*kek = h[0];
	r = 0;
out:
	p11_kit_uri_free(uri);
	return r;
}

/* The label the new key gets: --label, else NAME of KeyTransferPackage-NAME.byok. */
static void
default_label(const char *path, char *label, size_t len)
{
	const char *base = fs_basename(path), *prefix = "KeyTransferPackage-";
	size_t n;
	if (strncmp(base, prefix, strlen(prefix)) == 0)
		base += strlen(prefix);
	snprintf(label, len, "%s", base);
	n = strlen(label);
	if (n > 5 && strcmp(label + n - 5, ".byok") == 0)
		label[n - 5] = '\0';
}

/* Unwraps as KIND, filling the template the new token key gets. */
static CK_RV
unwrap_as(struct p11 *p, bool native, enum byok_kind kind, CK_OBJECT_HANDLE kek, size_t mlen,
    const struct byok *b, char *label, unsigned char *id, size_t idlen,
    CK_OBJECT_HANDLE *key, const char **step)
{
	CK_OBJECT_CLASS cls = kind == BYOK_AES ? CKO_SECRET_KEY : CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = kind == BYOK_AES ? CKK_AES : kind == BYOK_EC ? CKK_EC : CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, aes = kind == BYOK_AES;
	/* Sensitive and never extractable again: the key stays in this HSM. */
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_TOKEN, &yes, sizeof yes }, { CKA_PRIVATE, &yes, sizeof yes },
		{ CKA_SENSITIVE, &yes, sizeof yes }, { CKA_EXTRACTABLE, &no, sizeof no },
		{ CKA_LABEL, label, strlen(label) }, { CKA_ID, id, idlen },
		{ CKA_DECRYPT, kind == BYOK_EC ? &no : &yes, sizeof yes },
		{ CKA_UNWRAP, kind == BYOK_EC ? &no : &yes, sizeof yes },
		{ CKA_SIGN, aes ? &no : &yes, sizeof yes },
		{ CKA_ENCRYPT, &aes, sizeof aes }, { CKA_WRAP, &aes, sizeof aes },
	};
	CK_ULONG count = sizeof tmpl / sizeof tmpl[0];
	/* Private keys do not take CKA_ENCRYPT/CKA_WRAP. */
	if (!aes)
		count -= 2;
	struct wrap_params wp = wrap_params_azure(native);
	return wrap_unbyok(p, &wp, kek, mlen, b->ciphertext, b->ciphertext_len, tmpl, count, key,
	    step);
}

static const char *
kind_name(enum byok_kind k)
{
	return k == BYOK_AES ? "AES" : k == BYOK_EC ? "EC" : "RSA";
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "unwrap-key", required_argument, NULL, OPT_UNWRAP_KEY },
		{ "label", required_argument, NULL, OPT_LABEL },
		CLI_GLOBAL_OPTIONS
	};
	const char *uri = NULL, *label_opt = NULL, *file, *step = "";
	struct byok *b = NULL;
	struct p11 *p = NULL;
	CK_OBJECT_HANDLE kek = 0, key = CK_INVALID_HANDLE, dup[1];
	CK_ULONG modulus_bits = 0, ndup = 0;
	unsigned char *modulus = NULL;
	unsigned char id[8], d[SHA256_LEN];
	char label[256], fp[65] = "", idhex[17];
	enum byok_kind kind, tried[3];
	size_t mlen, ntried = 0;
	bool native = false;
	EVP_PKEY *pub = NULL;
	json_t *ev = NULL;
	CK_RV rv = CKR_OK;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_UNWRAP_KEY)
			uri = optarg;
		else if (c == OPT_LABEL)
			label_opt = optarg;
		else if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "give exactly one .byok file");
	if (uri == NULL)
		return cli_usage_error(cmd, "--unwrap-key URI is required (the KEK private key)");
	file = argv[optind];
	if (label_opt != NULL && (*label_opt == '\0' || strlen(label_opt) > 128))
		return cli_usage_error(cmd, "--label must be 1 to 128 characters");
	if ((r = byok_read(file, &b)) != 0 || (r = audit_check_writable(ctx_kmdata(ctx))) != 0)
		goto out;
	audit_failure_note("file", file);
	if (ctx_kmdata(ctx) == NULL)
		msg_warn("no kmdata: this import goes in no audit log; give --kmdata DIR (or set "
		    "P11BYOK_KMDATA) to record it");
	if (label_opt != NULL)
		snprintf(label, sizeof label, "%s", label_opt);
	else
		default_label(file, label, sizeof label);
	/* The key's CKA_ID comes from the ciphertext, so importing the same file twice is seen. */
	EVP_Digest(b->ciphertext, b->ciphertext_len, d, NULL, EVP_sha256(), NULL);
	memcpy(id, d, sizeof id);
	hex_encode(id, sizeof id, idhex, 0);

	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = p11_select_token(p, ctx_token(ctx) ? ctx_token(ctx) : uri,
	    P11_WANT_INITIALISED)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = find_kek(p, uri, &kek)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	/* A private key object carries its modulus (public), not CKA_MODULUS_BITS. */
	if ((rv = p11attr_get(p, kek, CKA_MODULUS, &modulus, &mlen)) != CKR_OK) {
		msg_ck(rv, "cannot read the modulus of the KEK on token '%s'", p11_token_label(p));
		goto out;
	}
	while (mlen > 0 && modulus[0] == 0) {	/* a leading zero byte is no part of the size */
		memmove(modulus, modulus + 1, --mlen);
	}
	modulus_bits = mlen * 8;
	if (b->ciphertext_len <= mlen + 16 || (b->ciphertext_len - mlen) % 8 != 0) {
		msg_err("%s: its %zu-byte ciphertext cannot come from this %lu-bit KEK: check "
		    "--unwrap-key names the KEK the file was made for (kid %s)", file,
		    b->ciphertext_len, (unsigned long)modulus_bits, b->kid);
		goto out;
	}
	{
		CK_ATTRIBUTE t = { CKA_ID, id, sizeof id };
		if ((rv = p11attr_find(p, &t, 1, dup, 1, &ndup)) != CKR_OK) {
			msg_ck(rv, "cannot search token '%s' for an earlier import of %s",
			    p11_token_label(p), file);
			goto out;
		}
		if (ndup > 0) {
			msg_err("%s was already imported into token '%s' (key id %s): nothing to do",
			    file, p11_token_label(p), idhex);
			r = P11BYOK_EUSAGE;
			goto out;
		}
	}
	if ((rv = wrap_has_native(p, &native)) != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for CKM_RSA_AES_KEY_WRAP (C_GetMechanismInfo)",
		    p11_token_label(p));
		goto out;
	}
	/* The length tells AES from private keys; RSA and EC are told apart by trying. */
	kind = byok_kind_of(b->ciphertext_len - mlen);
	tried[ntried++] = kind;
	if (kind != BYOK_AES)
		tried[ntried++] = kind == BYOK_RSA ? BYOK_EC : BYOK_RSA;
	for (size_t i = 0; i < ntried; i++) {
		kind = tried[i];
		rv = unwrap_as(p, native, kind, kek, mlen, b, label, id, sizeof id, &key, &step);
		if (rv == CKR_OK || (rv != CKR_WRAPPED_KEY_INVALID &&
		    rv != CKR_TEMPLATE_INCONSISTENT && rv != CKR_KEY_TYPE_INCONSISTENT))
			break;
	}
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot unwrap %s on token '%s': %s failed; check the file was made for "
		    "this KEK (kid %s)", file, p11_token_label(p), step, b->kid);
		goto out;
	}
	if (kind != BYOK_AES) {
		if ((rv = pubkey_of_object(p, key, &pub)) != CKR_OK) {
			msg_ck(rv, "cannot read the public half of the key imported from %s "
			    "(C_GetAttributeValue)", file);
			goto out;
		}
		if (pub != NULL)
			pubkey_fingerprint(pub, fp);
	}

	msg_out("Imported:        %s\n", file);
	msg_out("Token:           '%s' (serial %s)\n", p11_token_label(p), p11_token_serial(p));
	msg_out("Key type:        %s%s, sensitive, not extractable\n", kind_name(kind),
	    kind == BYOK_AES ? " secret key" : " private key");
	msg_out("Label:           %s\n", label);
	msg_out("Key id:          %s\n", idhex);
	if (kind != BYOK_AES)
		msg_out("Public key SHA-256: %s\n", fp[0] ? fp : "not exposed by this token");
	if ((ev = audit_event("import")) != NULL) {
		json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
		json_object_set_new(ev, "kid", json_string(b->kid));
		json_object_set_new(ev, "key_id", json_string(idhex));
		json_object_set_new(ev, "result", json_string("SUCCESS"));
		if (audit_add_file(ev, file) != 0 || audit_append(ctx_kmdata(ctx), ev) != 0)
			goto out;
	}
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s}",
	    "file", file, "token", p11_token_label(p), "key_type", kind_name(kind),
	    "label", label, "key_id", idhex, "kid", b->kid, "public_key_sha256",
	    fp[0] ? fp : NULL, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	/* All or nothing: a key whose import did not finish is taken out again. */
	if (r != 0 && key != CK_INVALID_HANDLE &&
	    (rv = p11_fn(p)->C_DestroyObject(p11_session(p), key)) != CKR_OK)
		msg_warn("the key half-imported from %s could not be removed from token '%s' "
		    "(%s): delete the object labelled '%s'", file, p11_token_label(p),
		    ck_rv_name(rv), label);
	json_decref(ev);
	free(modulus);
	EVP_PKEY_free(pub);
	byok_free(b);
	p11_free(p);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--unwrap-key", "URI", "the KEK private key, e.g. 'pkcs11:token=cloud;object=kek' "
	    "(its token part chooses the token unless --token is given)" },
	{ "--label", "L", "label of the imported key (default: NAME of KeyTransferPackage-NAME)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_import = {
	"import", "FILE.byok --unwrap-key URI [--label L]",
	"unwrap a .byok inside a token holding the KEK private key (the receiving side)",
	"Logs in to the token of the KEK (PIN sources as for every command), unwraps the file "
	"with CKM_RSA_AES_KEY_WRAP when the module offers it, otherwise in two steps: "
	"CKM_RSA_PKCS_OAEP (SHA-1) of the leading modulus-length bytes to a session AES key, then "
	"CKM_AES_KEY_WRAP_PAD of the rest to a sensitive, non-extractable token key; the session "
	"key is destroyed on every path. RSA and EC keys arrive as PKCS#8 (SoftHSMv2 2.6.1's "
	"zero padding of PKCS#8 to a multiple of 8 is accepted), AES keys raw. The new key's "
	"CKA_ID is the first 8 bytes of the ciphertext's SHA-256, so a second import of the same "
	"file is refused. Prints the key type and the SHA-256 of its public key. --json fields: "
	"file, token, key_type, label, key_id, kid, public_key_sha256, result.",
	opts, run,
};
