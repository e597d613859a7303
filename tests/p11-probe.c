/* p11-probe: an independent PKCS#11 client for the keys tests, linked with p11-kit only
 * (none of p11byok's code), so what it reads and what the token refuses are the token's own
 * answers.
 *
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE attrs ID
 *       prints the attributes of the private or secret key and the public key whose CKA_ID
 *       is ID, one "OBJECT.NAME=VALUE" a line (never a secret attribute).
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE wrap-untrusted ID
 *       makes a session AES key (wrap, not trusted, as any user can) and wraps the key ID
 *       under it; prints "wrap-untrusted=CKR_..." (the token must say CKR_KEY_NOT_WRAPPABLE).
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE unwrap ID [weak-wwt|weak-sensitive|same]
 *       wraps key ID under the world key (allowed: it is trusted), then unwraps the result as
 *       a session object asking for CKA_WRAP_WITH_TRUSTED false (weak-wwt), CKA_SENSITIVE
 *       false (weak-sensitive), or the same protection (same); prints "wrap=CKR_..." and
 *       "unwrap=CKR_...".
 *
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE wrap-copy ID
 *       wraps the transfer copy of ID (label xferacld-ID) under the world key, to unwrap it
 *       back as a usable key; prints "wrap-copy=CKR_..." (the world key's wrap template
 *       must refuse it: CKR_KEY_NOT_WRAPPABLE).
 *
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE copy ID
 *       makes what modify-acls makes: a C_CopyObject of key ID labelled xferacld-ID with
 *       every usage flag off and not modifiable; prints "copy=CKR_...".
 *
 * The attacker's moves (issue 16), as an insider with the user PIN or a previous SO plays
 * them:
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE wrap-trusted ID
 *       wraps key ID under every trusted object this process sees but the world key (AES:
 *       CKM_AES_KEY_WRAP_PAD; RSA: CKM_RSA_PKCS_OAEP and CKM_RSA_AES_KEY_WRAP); prints
 *       "trusted=N" (those objects) and "exported=N" (the wraps that worked).
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE plant-copy ID
 *       creates the transfer copy's look-alike: an AES-256 key of a known value (32 bytes
 *       0x41), labelled xferacld-ID with CKA_ID ID, sensitive, extractable, wrap-with-trusted,
 *       every usage off, not modifiable; prints "plant-copy=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE plant-key ID
 *       creates under ident ID (CKA_ID and label) an AES-256 key of a known value (32 bytes
 *       0x42) with every flag generate gives; prints "plant-key=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE plant-key-readable ID
 *       generates AES-256 key ID not sensitive, reads its value, then makes it sensitive;
 *       prints "plant-key-readable=CKR_..." (the last call's answer).
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE plant-pair ID PUB.der
 *       generates an RSA-2048 key pair ID as generate does, then replaces its public key
 *       object by one of PUB.der (another key); prints "plant-pair=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL SO-PIN-FILE so-plant KEK.der [KEKID-HEX]
 *       as the SO (the PIN file holds the SO PIN): a trusted AES-256 "world key" of a known
 *       value (label byok-world-key, id world), and a trusted, wrap-only RSA public key of
 *       KEK.der (DER SubjectPublicKeyInfo: the attacker's) with CKA_ID KEKID-HEX; prints
 *       "so-plant-world=CKR_..." and "so-plant-kek=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL SO-PIN-FILE so-world-weak -
 *       as the SO: generates the world key as world init makes it, but destroyable and
 *       copyable (as before p11byok asked for CKA_DESTROYABLE and CKA_COPYABLE false);
 *       prints "so-world-weak=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL SO-PIN-FILE so-login -
 *       logs in as the SO and out again; prints "so-login=CKR_OK" (else fails on C_Login).
 *   p11-probe MODULE TOKEN-LABEL SO-PIN-FILE so-trusted LABEL
 *       as the SO: generates a trusted, wrap-only AES-256 token key labelled LABEL, of the
 *       shape an older p11byok gave its transfer keys (with LABEL "byok-transfer-...", what
 *       it left; with another, a rogue one); prints "so-trusted=CKR_...".
 *   p11-probe MODULE TOKEN-LABEL SO-PIN-FILE so-trusted-loose LABEL
 *       the same, but modifiable and with every usage the token defaults to: a look-alike.
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE destroy-world -
 *       without logging in, destroys the world backup key; prints "destroy-world=CKR_...".
 *
 * Exit 0 when the calls were made (whatever the token answered), 1 on setup failure.  */
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CKM_AES_KEY_WRAP_PAD
#define CKM_AES_KEY_WRAP_PAD 0x210aUL
#endif

static CK_FUNCTION_LIST *f;
static CK_SESSION_HANDLE s;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static const char *
rvname(CK_RV rv)
{
	static char buf[32];
	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
	case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
	case CKR_WRAPPING_KEY_TYPE_INCONSISTENT: return "CKR_WRAPPING_KEY_TYPE_INCONSISTENT";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_ACTION_PROHIBITED: return "CKR_ACTION_PROHIBITED";
	default:
		snprintf(buf, sizeof buf, "CKR_0x%lx", (unsigned long)rv);
		return buf;
	}
}

static int
die(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11-probe: %s: %s\n", what, rvname(rv));
	return 1;
}

/* The first object of CLASS with CKA_ID (and LABEL when not NULL). */
static CK_OBJECT_HANDLE
find(CK_OBJECT_CLASS cls, const char *id, const char *label)
{
	char idb[128], labelb[128];
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_ID, idb, 0 }, { CKA_LABEL, labelb, 0 },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	snprintf(idb, sizeof idb, "%s", id);
	snprintf(labelb, sizeof labelb, "%s", label ? label : "");
	t[1].ulValueLen = strlen(idb);
	t[2].ulValueLen = strlen(labelb);
	if (f->C_FindObjectsInit(s, t, label ? 3 : 2) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (f->C_FindObjects(s, &h, 1, &n) != CKR_OK || n == 0)
		h = CK_INVALID_HANDLE;
	f->C_FindObjectsFinal(s);
	return h;
}

/* The target key of ID: its private or secret key that is not a transfer copy. */
static CK_OBJECT_HANDLE
target(const char *id)
{
	CK_OBJECT_HANDLE h = find(CKO_PRIVATE_KEY, id, NULL);
	return h != CK_INVALID_HANDLE ? h : find(CKO_SECRET_KEY, id, NULL);
}

static void
print_attrs(const char *obj, CK_OBJECT_HANDLE h)
{
	static const struct { CK_ATTRIBUTE_TYPE t; const char *name; } bools[] = {
		{ CKA_TOKEN, "token" }, { CKA_PRIVATE, "private" }, { CKA_MODIFIABLE, "modifiable" },
		{ CKA_SENSITIVE, "sensitive" }, { CKA_ALWAYS_SENSITIVE, "always_sensitive" },
		{ CKA_EXTRACTABLE, "extractable" }, { CKA_NEVER_EXTRACTABLE, "never_extractable" },
		{ CKA_WRAP_WITH_TRUSTED, "wrap_with_trusted" }, { CKA_TRUSTED, "trusted" },
		{ CKA_LOCAL, "local" }, { CKA_ENCRYPT, "encrypt" }, { CKA_DECRYPT, "decrypt" },
		{ CKA_SIGN, "sign" }, { CKA_VERIFY, "verify" }, { CKA_SIGN_RECOVER, "sign_recover" },
		{ CKA_VERIFY_RECOVER, "verify_recover" }, { CKA_WRAP, "wrap" },
		{ CKA_UNWRAP, "unwrap" }, { CKA_DERIVE, "derive" },
	};
	char label[256];
	CK_ULONG cls = 0, kt = 0;
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_LABEL, label, sizeof label - 1 },
	};

	if (f->C_GetAttributeValue(s, h, a, 3) == CKR_OK) {
		label[a[2].ulValueLen] = '\0';
		printf("%s.class=%lu\n%s.key_type=%lu\n%s.label=%s\n", obj, (unsigned long)cls, obj,
		    (unsigned long)kt, obj, label);
	}
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		CK_BBOOL b = CK_FALSE;
		CK_ATTRIBUTE one = { bools[i].t, &b, sizeof b };
		CK_RV rv = f->C_GetAttributeValue(s, h, &one, 1);
		printf("%s.%s=%s\n", obj, bools[i].name, rv != CKR_OK ? "absent" : b ? "1" : "0");
	}
}

/* Wraps KEY under WRAPPING with CKM_AES_KEY_WRAP_PAD into BUF. */
static CK_RV
wrap(CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key, unsigned char *buf, CK_ULONG *len)
{
	CK_MECHANISM m = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	return f->C_WrapKey(s, &m, wrapping, key, buf, len);
}

static int
probe_unwrap(const char *id, const char *how)
{
	CK_OBJECT_HANDLE key = target(id), world = find(CKO_SECRET_KEY, "world", "byok-world-key");
	CK_OBJECT_HANDLE out = CK_INVALID_HANDLE;
	CK_MECHANISM m = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	unsigned char buf[8192];
	CK_ULONG len = sizeof buf, cls = 0, kt = 0;
	CK_ATTRIBUTE ca[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt } };
	CK_RV rv;

	if (key == CK_INVALID_HANDLE || world == CK_INVALID_HANDLE)
		return die("no target key or no world key", CKR_OBJECT_HANDLE_INVALID);
	if ((rv = f->C_GetAttributeValue(s, key, ca, 2)) != CKR_OK)
		return die("C_GetAttributeValue", rv);
	rv = wrap(world, key, buf, &len);
	printf("wrap=%s\n", rvname(rv));
	if (rv != CKR_OK)
		return 0;
	{
		CK_BBOOL wwt = strcmp(how, "weak-wwt") == 0 ? CK_FALSE : CK_TRUE;
		CK_BBOOL sens = strcmp(how, "weak-sensitive") == 0 ? CK_FALSE : CK_TRUE;
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
			{ CKA_TOKEN, &no, sizeof no }, { CKA_PRIVATE, &yes, sizeof yes },
			{ CKA_SENSITIVE, &sens, sizeof sens }, { CKA_EXTRACTABLE, &yes, sizeof yes },
			{ CKA_WRAP_WITH_TRUSTED, &wwt, sizeof wwt },
		};
		rv = f->C_UnwrapKey(s, &m, world, buf, len, t, sizeof t / sizeof t[0], &out);
	}
	printf("unwrap=%s\n", rvname(rv));
	if (rv == CKR_OK)
		f->C_DestroyObject(s, out);
	return 0;
}

static int
probe_wrap_untrusted(const char *id)
{
	CK_OBJECT_HANDLE key = target(id), kek = CK_INVALID_HANDLE;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG vlen = 32, len;
	unsigned char buf[8192];
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, &no, sizeof no }, { CKA_VALUE_LEN, &vlen, sizeof vlen },
		{ CKA_WRAP, &yes, sizeof yes }, { CKA_UNWRAP, &yes, sizeof yes },
	};
	CK_RV rv;

	if (key == CK_INVALID_HANDLE)
		return die("no target key", CKR_OBJECT_HANDLE_INVALID);
	if ((rv = f->C_GenerateKey(s, &gen, t, 4, &kek)) != CKR_OK)
		return die("C_GenerateKey of the user's wrapping key", rv);
	len = sizeof buf;
	printf("wrap-untrusted=%s\n", rvname(wrap(kek, key, buf, &len)));
	f->C_DestroyObject(s, kek);
	return 0;
}

static int
probe_wrap_copy(const char *id)
{
	char label[160];
	CK_OBJECT_HANDLE copy, wk = find(CKO_SECRET_KEY, "world", "byok-world-key");
	unsigned char buf[8192];
	CK_ULONG len = sizeof buf;

	snprintf(label, sizeof label, "xferacld-%s", id);
	if ((copy = find(CKO_PRIVATE_KEY, id, label)) == CK_INVALID_HANDLE &&
	    (copy = find(CKO_SECRET_KEY, id, label)) == CK_INVALID_HANDLE)
		return die("no transfer copy", CKR_OBJECT_HANDLE_INVALID);
	if (wk == CK_INVALID_HANDLE)
		return die("no world key", CKR_OBJECT_HANDLE_INVALID);
	printf("wrap-copy=%s\n", rvname(wrap(wk, copy, buf, &len)));
	return 0;
}

static int
probe_copy(const char *id)
{
	CK_OBJECT_HANDLE key = target(id), copy = CK_INVALID_HANDLE;
	char label[160];
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, label, 0 }, { CKA_SIGN, &no, 1 }, { CKA_DECRYPT, &no, 1 },
		{ CKA_MODIFIABLE, &no, 1 },
	};

	if (key == CK_INVALID_HANDLE)
		return die("no target key", CKR_OBJECT_HANDLE_INVALID);
	snprintf(label, sizeof label, "xferacld-%s", id);
	t[0].ulValueLen = strlen(label);
	printf("copy=%s\n", rvname(f->C_CopyObject(s, key, t, 4, &copy)));
	return 0;
}

#ifndef CKM_RSA_AES_KEY_WRAP
#define CKM_RSA_AES_KEY_WRAP 0x1054UL
#endif

static int
probe_wrap_trusted(const char *id)
{
	CK_OBJECT_HANDLE key = target(id), h[64];
	CK_ATTRIBUTE t[] = { { CKA_TRUSTED, &yes, sizeof yes } };
	CK_ULONG n = 0, trusted = 0, exported = 0;
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	struct { CK_ULONG bits; CK_RSA_PKCS_OAEP_PARAMS *oaep; } rsa_aes = { 256, &oaep };
	CK_MECHANISM mechs[] = {
		{ CKM_AES_KEY_WRAP_PAD, NULL, 0 },
		{ CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep },
		{ CKM_RSA_AES_KEY_WRAP, &rsa_aes, sizeof rsa_aes },
	};

	if (key == CK_INVALID_HANDLE)
		return die("no target key", CKR_OBJECT_HANDLE_INVALID);
	if (f->C_FindObjectsInit(s, t, 1) != CKR_OK || f->C_FindObjects(s, h, 64, &n) != CKR_OK)
		return die("C_FindObjects", CKR_GENERAL_ERROR);
	f->C_FindObjectsFinal(s);
	for (CK_ULONG i = 0; i < n; i++) {
		char label[64] = "";
		CK_ATTRIBUTE l = { CKA_LABEL, label, sizeof label - 1 };
		if (f->C_GetAttributeValue(s, h[i], &l, 1) == CKR_OK)
			label[l.ulValueLen] = '\0';
		if (strcmp(label, "byok-world-key") == 0)
			continue;	/* wraps only under itself, into the token's own backups */
		trusted++;
		for (size_t m = 0; m < sizeof mechs / sizeof mechs[0]; m++) {
			unsigned char buf[8192];
			CK_ULONG len = sizeof buf;
			CK_RV rv = f->C_WrapKey(s, &mechs[m], h[i], key, buf, &len);
			printf("wrap under '%s' with 0x%lx: %s\n", label, mechs[m].mechanism,
			    rvname(rv));
			exported += rv == CKR_OK;
		}
	}
	printf("trusted=%lu\nexported=%lu\n", trusted, exported);
	return 0;
}

static int
probe_plant_copy(const char *id)
{
	static unsigned char value[32];
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	char label[160], idb[128];
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE, value, sizeof value }, { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 },
		{ CKA_LABEL, label, 0 }, { CKA_ID, idb, 0 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_WRAP_WITH_TRUSTED, &yes, 1 }, { CKA_ENCRYPT, &no, 1 }, { CKA_DECRYPT, &no, 1 },
		{ CKA_WRAP, &no, 1 }, { CKA_UNWRAP, &no, 1 }, { CKA_SIGN, &no, 1 },
		{ CKA_VERIFY, &no, 1 }, { CKA_DERIVE, &no, 1 }, { CKA_MODIFIABLE, &no, 1 },
	};

	memset(value, 0x41, sizeof value);
	snprintf(label, sizeof label, "xferacld-%s", id);
	snprintf(idb, sizeof idb, "%s", id);
	t[5].ulValueLen = strlen(label);
	t[6].ulValueLen = strlen(idb);
	printf("plant-copy=%s\n", rvname(f->C_CreateObject(s, t, sizeof t / sizeof t[0], &h)));
	return 0;
}

/* An AES-256 key under ident ID: of a known value (C_CreateObject), or generated readable
 * and made sensitive after its value was read (READABLE).  */
static int
probe_plant_key(char *id, int readable)
{
	static unsigned char value[32];
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG vlen = 32;
	unsigned char got[64];
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 },
		{ CKA_LABEL, id, strlen(id) }, { CKA_ID, id, strlen(id) },
		{ CKA_EXTRACTABLE, &yes, 1 }, { CKA_WRAP_WITH_TRUSTED, &yes, 1 },
		{ CKA_ENCRYPT, &yes, 1 }, { CKA_DECRYPT, &yes, 1 },
		{ CKA_SENSITIVE, readable ? &no : &yes, 1 },
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE, value, sizeof value }, { CKA_VALUE_LEN, &vlen, sizeof vlen },
	};
	CK_ATTRIBUTE read = { CKA_VALUE, got, sizeof got }, sens = { CKA_SENSITIVE, &yes, 1 };
	CK_RV rv;

	memset(value, 0x42, sizeof value);
	if (!readable) {
		printf("plant-key=%s\n", rvname(f->C_CreateObject(s, t, 12, &h)));
		return 0;
	}
	t[11] = t[12];		/* generated: CKA_VALUE_LEN in place of CKA_VALUE */
	if ((rv = f->C_GenerateKey(s, &gen, t, 12, &h)) != CKR_OK ||
	    (rv = f->C_GetAttributeValue(s, h, &read, 1)) != CKR_OK)
		return die("generate a readable key", rv);
	printf("plant-key-readable=%s\n", rvname(f->C_SetAttributeValue(s, h, &sens, 1)));
	return 0;
}

/* KEK.der's modulus and exponent, through the OpenSSL command line's text output being
 * no option here: the DER is parsed by hand (SEQUENCE { algid, BIT STRING { SEQUENCE {
 * INTEGER n, INTEGER e } } }).  */
static int
der_len(const unsigned char **p, const unsigned char *end, size_t *len)
{
	size_t l;
	if (*p >= end)
		return -1;
	l = *(*p)++;
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 3 || (size_t)(end - *p) < k)
			return -1;
		for (l = 0; k > 0; k--)
			l = (l << 8) | *(*p)++;
	}
	*len = l;
	return (size_t)(end - *p) < l ? -1 : 0;
}

static int
rsa_spki(unsigned char *der, size_t dlen, unsigned char **n, size_t *nlen,
    unsigned char **e, size_t *elen)
{
	const unsigned char *p = der, *end = der + dlen;
	size_t l;
	if (*p++ != 0x30 || der_len(&p, end, &l) || *p++ != 0x30 || der_len(&p, end, &l))
		return -1;
	p += l;		/* the algorithm identifier */
	if (*p++ != 0x03 || der_len(&p, end, &l) || *p++ != 0x00 || *p++ != 0x30 ||
	    der_len(&p, end, &l) || *p++ != 0x02 || der_len(&p, end, nlen))
		return -1;
	*n = der + (p - der);
	p += *nlen;
	if (*p++ != 0x02 || der_len(&p, end, elen))
		return -1;
	*e = der + (p - der);
	return 0;
}

/* A key pair ID as generate makes it, whose public key object is then PUB.der's. */
static int
probe_plant_pair(char *id, const char *pub)
{
	CK_MECHANISM gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 2048;
	CK_BYTE e65537[] = { 1, 0, 1 };
	static unsigned char der[4096];
	unsigned char *n = NULL, *e = NULL;
	size_t dlen, nlen = 0, elen = 0;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_OBJECT_HANDLE hpub, hpriv;
	FILE *fp = fopen(pub, "rb");
	CK_RV rv;

	if (fp == NULL)
		return die("cannot open PUB.der", CKR_ARGUMENTS_BAD);
	dlen = fread(der, 1, sizeof der, fp);
	fclose(fp);
	if (rsa_spki(der, dlen, &n, &nlen, &e, &elen) != 0)
		return die("PUB.der is not an RSA SubjectPublicKeyInfo", CKR_ARGUMENTS_BAD);
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_LABEL, id, strlen(id) },
		{ CKA_ID, id, strlen(id) }, { CKA_MODULUS_BITS, &bits, sizeof bits },
		{ CKA_PUBLIC_EXPONENT, e65537, sizeof e65537 }, { CKA_VERIFY, &yes, 1 },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 },
		{ CKA_LABEL, id, strlen(id) }, { CKA_ID, id, strlen(id) },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_WRAP_WITH_TRUSTED, &yes, 1 }, { CKA_SIGN, &yes, 1 },
	};
	CK_ATTRIBUTE other[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_TOKEN, &yes, 1 }, { CKA_LABEL, id, strlen(id) },
		{ CKA_ID, id, strlen(id) }, { CKA_MODULUS, n, nlen },
		{ CKA_PUBLIC_EXPONENT, e, elen }, { CKA_VERIFY, &yes, 1 },
	};
	if ((rv = f->C_GenerateKeyPair(s, &gen, pubt, 6, privt, 8, &hpub, &hpriv)) != CKR_OK ||
	    (rv = f->C_DestroyObject(s, hpub)) != CKR_OK)
		return die("generate the pair", rv);
	printf("plant-pair=%s\n", rvname(f->C_CreateObject(s, other, 8, &hpub)));
	return 0;
}

static int
probe_so_plant(const char *der_path, const char *kek_id_hex)
{
	static unsigned char value[32], der[4096], kid[64];
	static char wlabel[] = "byok-world-key", wid[] = "world", klabel[] = "byok-kek-planted";
	CK_OBJECT_CLASS sec = CKO_SECRET_KEY, pub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE aes = CKK_AES, rsa = CKK_RSA;
	unsigned char *n, *e;
	size_t dlen, nlen, elen, kidlen = 0;
	CK_OBJECT_HANDLE h;
	FILE *fp = fopen(der_path, "rb");

	if (fp == NULL)
		return die("cannot open KEK.der", CKR_ARGUMENTS_BAD);
	dlen = fread(der, 1, sizeof der, fp);
	fclose(fp);
	if (rsa_spki(der, dlen, &n, &nlen, &e, &elen) != 0)
		return die("KEK.der is not an RSA SubjectPublicKeyInfo", CKR_ARGUMENTS_BAD);
	for (const char *c = kek_id_hex; c && c[0] && c[1] && kidlen < sizeof kid; c += 2)
		sscanf(c, "%2hhx", &kid[kidlen++]);
	memset(value, 0x57, sizeof value);
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &sec, sizeof sec }, { CKA_KEY_TYPE, &aes, sizeof aes },
			{ CKA_VALUE, value, sizeof value }, { CKA_TOKEN, &yes, 1 },
			{ CKA_PRIVATE, &no, 1 }, { CKA_LABEL, wlabel, sizeof wlabel - 1 },
			{ CKA_ID, wid, sizeof wid - 1 }, { CKA_TRUSTED, &yes, 1 },
			{ CKA_WRAP, &yes, 1 },
			{ CKA_UNWRAP, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
			{ CKA_EXTRACTABLE, &no, 1 }, { CKA_MODIFIABLE, &no, 1 },
		};
		printf("so-plant-world=%s\n", rvname(f->C_CreateObject(s, t, sizeof t / sizeof t[0],
		    &h)));
	}
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &pub, sizeof pub }, { CKA_KEY_TYPE, &rsa, sizeof rsa },
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			{ CKA_LABEL, klabel, sizeof klabel - 1 }, { CKA_ID, kid, kidlen },
			{ CKA_MODULUS, n, nlen }, { CKA_PUBLIC_EXPONENT, e, elen },
			{ CKA_TRUSTED, &yes, 1 }, { CKA_WRAP, &yes, 1 }, { CKA_ENCRYPT, &no, 1 },
			{ CKA_MODIFIABLE, &no, 1 },
		};
		printf("so-plant-kek=%s\n", rvname(f->C_CreateObject(s, t, sizeof t / sizeof t[0],
		    &h)));
	}
	return 0;
}

static int
probe_so_trusted(const char *label, int loose)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG vlen = 32;
	char l[128];
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[] = {
		{ CKA_VALUE_LEN, &vlen, sizeof vlen }, { CKA_TOKEN, &yes, 1 },
		{ CKA_PRIVATE, &no, 1 }, { CKA_LABEL, l, 0 }, { CKA_ID, l, 0 },
		{ CKA_TRUSTED, &yes, 1 }, { CKA_WRAP, &yes, 1 },
		/* the older transfer key's flags (git show 12304da:src/transfer.c) */
		{ CKA_UNWRAP, &no, 1 }, { CKA_ENCRYPT, &no, 1 }, { CKA_DECRYPT, &no, 1 },
		{ CKA_SIGN, &no, 1 }, { CKA_VERIFY, &no, 1 }, { CKA_DERIVE, &no, 1 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_WRAP_WITH_TRUSTED, &yes, 1 }, { CKA_MODIFIABLE, &no, 1 },
	};
	snprintf(l, sizeof l, "%s", label);
	t[3].ulValueLen = t[4].ulValueLen = strlen(l);
	printf("so-trusted=%s\n", rvname(f->C_GenerateKey(s, &gen, t,
	    loose ? 7 : sizeof t / sizeof t[0], &h)));
	return 0;
}

static int
probe_so_world_weak(void)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG vlen = 32;
	static char label[] = "byok-world-key", id[] = "world";
	CK_ATTRIBUTE unwrap_t[] = {
		{ CKA_WRAP_WITH_TRUSTED, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
	};
	CK_ATTRIBUTE wrap_t[] = { { CKA_MODIFIABLE, &yes, 1 } };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE_LEN, &vlen, sizeof vlen }, { CKA_TOKEN, &yes, 1 },
		{ CKA_PRIVATE, &no, 1 }, { CKA_LABEL, label, sizeof label - 1 },
		{ CKA_ID, id, sizeof id - 1 }, { CKA_TRUSTED, &yes, 1 },
		{ CKA_WRAP, &yes, 1 }, { CKA_UNWRAP, &yes, 1 }, { CKA_ENCRYPT, &no, 1 },
		{ CKA_DECRYPT, &no, 1 }, { CKA_SIGN, &no, 1 }, { CKA_VERIFY, &no, 1 },
		{ CKA_DERIVE, &no, 1 }, { CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &no, 1 },
		{ CKA_MODIFIABLE, &no, 1 },
		{ CKA_UNWRAP_TEMPLATE, unwrap_t, sizeof unwrap_t },
		{ CKA_WRAP_TEMPLATE, wrap_t, sizeof wrap_t },
	};
	CK_OBJECT_HANDLE h;
	printf("so-world-weak=%s\n", rvname(f->C_GenerateKey(s, &gen, t, sizeof t / sizeof t[0],
	    &h)));
	return 0;
}

int
main(int argc, char **argv)
{
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64;
	CK_SLOT_ID slot = 0;
	int found = 0, r = 1;
	char pin[256];
	FILE *pf;
	CK_RV rv;

	if (argc < 6) {
		fprintf(stderr, "usage: p11-probe MODULE TOKEN-LABEL PIN-FILE attrs|wrap-untrusted|"
		    "unwrap|wrap-copy|copy|wrap-trusted|plant-copy|so-plant|destroy-world ID "
		    "[ARG]\n");
		return 2;
	}
	if ((pf = fopen(argv[3], "r")) == NULL || fgets(pin, sizeof pin, pf) == NULL)
		return die("cannot read the PIN file", CKR_ARGUMENTS_BAD);
	fclose(pf);
	pin[strcspn(pin, "\n")] = '\0';
	if ((f = p11_kit_module_load(argv[1], 0)) == NULL)
		return die(p11_kit_message(), CKR_GENERAL_ERROR);
	if ((rv = p11_kit_module_initialize(f)) != CKR_OK)
		return die("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		return die("C_GetSlotList", rv);
	for (CK_ULONG i = 0; i < nslots; i++) {
		CK_TOKEN_INFO ti;
		char label[33];
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(label, ti.label, 32);
		label[32] = '\0';
		for (int j = 31; j >= 0 && label[j] == ' '; j--)
			label[j] = '\0';
		if (strcmp(label, argv[2]) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found)
		return die("no token with that label", CKR_TOKEN_NOT_PRESENT);
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) !=
	    CKR_OK)
		return die("C_OpenSession", rv);
	/* destroy-world plays an attacker with no PIN; so-plant a security officer. */
	if (strcmp(argv[4], "destroy-world") == 0) {
		CK_OBJECT_HANDLE wk = find(CKO_SECRET_KEY, "world", "byok-world-key");
		printf("destroy-world=%s\n", wk == CK_INVALID_HANDLE ? "no world key" :
		    rvname(f->C_DestroyObject(s, wk)));
		return 0;
	}
	if ((rv = f->C_Login(s, strncmp(argv[4], "so-", 3) == 0 ? CKU_SO : CKU_USER,
	    (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
		return die("C_Login", rv);
	memset(pin, 0, sizeof pin);
	if (strcmp(argv[4], "attrs") == 0) {
		CK_OBJECT_HANDLE key = target(argv[5]), pub = find(CKO_PUBLIC_KEY, argv[5], NULL);
		if (key == CK_INVALID_HANDLE)
			r = die("no key with that CKA_ID", CKR_OBJECT_HANDLE_INVALID);
		else {
			print_attrs("key", key);
			if (pub != CK_INVALID_HANDLE)
				print_attrs("pub", pub);
			r = 0;
		}
	} else if (strcmp(argv[4], "wrap-untrusted") == 0)
		r = probe_wrap_untrusted(argv[5]);
	else if (strcmp(argv[4], "wrap-copy") == 0)
		r = probe_wrap_copy(argv[5]);
	else if (strcmp(argv[4], "copy") == 0)
		r = probe_copy(argv[5]);
	else if (strcmp(argv[4], "wrap-trusted") == 0)
		r = probe_wrap_trusted(argv[5]);
	else if (strcmp(argv[4], "plant-copy") == 0)
		r = probe_plant_copy(argv[5]);
	else if (strcmp(argv[4], "plant-key") == 0)
		r = probe_plant_key(argv[5], 0);
	else if (strcmp(argv[4], "plant-key-readable") == 0)
		r = probe_plant_key(argv[5], 1);
	else if (strcmp(argv[4], "plant-pair") == 0 && argc > 6)
		r = probe_plant_pair(argv[5], argv[6]);
	else if (strcmp(argv[4], "so-world-weak") == 0)
		r = probe_so_world_weak();
	else if (strcmp(argv[4], "so-login") == 0)
		r = printf("so-login=CKR_OK\n") < 0;
	else if (strcmp(argv[4], "so-trusted") == 0)
		r = probe_so_trusted(argv[5], 0);
	else if (strcmp(argv[4], "so-trusted-loose") == 0)
		r = probe_so_trusted(argv[5], 1);
	else if (strcmp(argv[4], "so-plant") == 0)
		r = probe_so_plant(argv[5], argc > 6 ? argv[6] : "");
	else if (strcmp(argv[4], "unwrap") == 0)
		r = probe_unwrap(argv[5], argc > 6 ? argv[6] : "same");
	else
		fprintf(stderr, "p11-probe: unknown probe '%s'\n", argv[4]);
	f->C_Logout(s);
	f->C_CloseSession(s);
	p11_kit_module_finalize(f);
	p11_kit_module_release(f);
	return r;
}
