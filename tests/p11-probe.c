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
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE wrap-transfer ID
 *       the first step of taking a key out through its transfer key: wraps the transfer key
 *       of ID (label byok-transfer-ID) under the world key; prints "wrap-transfer=CKR_..."
 *       (the world key's wrap template must refuse it: CKR_KEY_NOT_WRAPPABLE).
 *
 *   p11-probe MODULE TOKEN-LABEL PIN-FILE copy ID
 *       makes what modify-acls makes: a C_CopyObject of key ID labelled xferacld-ID with
 *       every usage flag off and not modifiable; prints "copy=CKR_...".
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
probe_wrap_transfer(const char *id)
{
	char label[160];
	CK_OBJECT_HANDLE tk, wk = find(CKO_SECRET_KEY, "world", "byok-world-key");
	unsigned char buf[512];
	CK_ULONG len = sizeof buf;

	snprintf(label, sizeof label, "byok-transfer-%s", id);
	if ((tk = find(CKO_SECRET_KEY, label, label)) == CK_INVALID_HANDLE)
		return die("no transfer key", CKR_OBJECT_HANDLE_INVALID);
	if (wk == CK_INVALID_HANDLE)
		return die("no world key", CKR_OBJECT_HANDLE_INVALID);
	printf("wrap-transfer=%s\n", rvname(wrap(wk, tk, buf, &len)));
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
		    "unwrap ID [HOW]\n");
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
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
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
	else if (strcmp(argv[4], "wrap-transfer") == 0)
		r = probe_wrap_transfer(argv[5]);
	else if (strcmp(argv[4], "copy") == 0)
		r = probe_copy(argv[5]);
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
