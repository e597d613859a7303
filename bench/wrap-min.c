/* wrap-min: the baseline of bench/transfer.sh, a minimal PKCS#11 client that makes exactly
 * the calls the composed BYOK wrap needs (DESIGN.md §2, modules without
 * CKM_RSA_AES_KEY_WRAP) and no more, linked with p11-kit only (none of p11byok's code).
 *
 *   wrap-min [--fsync] MODULE TOKEN-LABEL PIN-FILE SO-PIN-FILE KEK-MODULUS-HEX OUTDIR IDENT...
 *
 * Once: C_Initialize, the slot whose token has TOKEN-LABEL, C_OpenSession (RW), C_Login as
 * the SO (the PIN in SO-PIN-FILE), and per IDENT the trust of its transfer as session
 * objects: a trusted AES-256 transfer key (C_GenerateKey) and the trusted KEK (C_CreateObject
 * of KEK-MODULUS-HEX, exponent 65537), each with a small wrap template; C_Logout, C_Login as
 * the user.  Then per IDENT: find the transfer copy (label xferacld-IDENT); C_WrapKey it
 * under the transfer key (CKM_AES_KEY_WRAP_PAD), C_WrapKey the transfer key under the KEK
 * (CKM_RSA_PKCS_OAEP, SHA-1, MGF1-SHA-1); C_DestroyObject both; write OAEP part || KWP part,
 * raw, to OUTDIR/IDENT.bin (mode 0600, refusing an existing file).  Each C_WrapKey is called once, into a buffer big
 * enough for any key it is given (no size query).  With --fsync the file and then its
 * directory are fsync'd, the durability p11byok gives a .byok; without, neither.
 *
 * Exit 0 when every key was wrapped, 1 on the first failure (one line on stderr).  */
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CKM_AES_KEY_WRAP_PAD
#define CKM_AES_KEY_WRAP_PAD 0x210aUL
#endif

static CK_FUNCTION_LIST *f;
static CK_SESSION_HANDLE s;

static int
fail(const char *what, const char *ident, CK_RV rv)
{
	fprintf(stderr, "wrap-min: %s%s%s: %s (0x%lx)\n", what, ident ? " of " : "",
	    ident ? ident : "", p11_kit_strerror(rv), (unsigned long)rv);
	return 1;
}

/* The first object matching T, or CK_INVALID_HANDLE. */
static CK_RV
find(CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *h)
{
	CK_ULONG count = 0;
	CK_RV rv, rv2;

	*h = CK_INVALID_HANDLE;
	if ((rv = f->C_FindObjectsInit(s, t, n)) != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, h, 1, &count);
	rv2 = f->C_FindObjectsFinal(s);
	if (count == 0)
		*h = CK_INVALID_HANDLE;
	return rv != CKR_OK ? rv : rv2;
}

static int
write_file(const char *dir, const char *ident, const unsigned char *a, CK_ULONG alen,
    const unsigned char *b, CK_ULONG blen, int sync)
{
	char path[4096];
	int fd, dfd;

	snprintf(path, sizeof path, "%s/%s.bin", dir, ident);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto err;
	if (write(fd, a, alen) != (ssize_t)alen || write(fd, b, blen) != (ssize_t)blen ||
	    (sync && fsync(fd) < 0)) {
		close(fd);
		goto err;
	}
	if (close(fd) < 0)
		goto err;
	if (sync) {
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			goto err;
		fsync(dfd);
		close(dfd);
	}
	return 0;
err:
	fprintf(stderr, "wrap-min: cannot write %s: %s\n", path, strerror(errno));
	return 1;
}

/* The trust of one transfer, as the SO makes it: session objects. */
struct trust {
	CK_OBJECT_HANDLE kek, key;
};

static int
grant(unsigned char *modulus, size_t mlen, struct trust *t)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static unsigned char e[] = { 0x01, 0x00, 0x01 };
	CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY, secret = CKO_SECRET_KEY, priv = CKO_PRIVATE_KEY;
	CK_KEY_TYPE rsa = CKK_RSA, aes = CKK_AES;
	CK_ULONG len = 32;
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE to_copy[] = { { CKA_CLASS, &priv, sizeof priv },
		{ CKA_MODIFIABLE, &no, sizeof no } };
	CK_ATTRIBUTE to_key[] = { { CKA_CLASS, &secret, sizeof secret },
		{ CKA_TRUSTED, &yes, sizeof yes } };
	CK_ATTRIBUTE t_key[] = {
		{ CKA_CLASS, &secret, sizeof secret }, { CKA_KEY_TYPE, &aes, sizeof aes },
		{ CKA_VALUE_LEN, &len, sizeof len }, { CKA_TOKEN, &no, 1 }, { CKA_PRIVATE, &no, 1 },
		{ CKA_TRUSTED, &yes, 1 }, { CKA_WRAP, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
		{ CKA_EXTRACTABLE, &yes, 1 }, { CKA_WRAP_WITH_TRUSTED, &yes, 1 },
		{ CKA_WRAP_TEMPLATE, to_copy, sizeof to_copy },
	};
	CK_ATTRIBUTE t_kek[] = {
		{ CKA_CLASS, &pub, sizeof pub }, { CKA_KEY_TYPE, &rsa, sizeof rsa },
		{ CKA_TOKEN, &no, 1 }, { CKA_PRIVATE, &no, 1 }, { CKA_MODULUS, modulus, mlen },
		{ CKA_PUBLIC_EXPONENT, e, sizeof e }, { CKA_TRUSTED, &yes, 1 },
		{ CKA_WRAP, &yes, 1 }, { CKA_WRAP_TEMPLATE, to_key, sizeof to_key },
	};
	CK_RV rv;

	if ((rv = f->C_GenerateKey(s, &gen, t_key, sizeof t_key / sizeof t_key[0], &t->key)) !=
	    CKR_OK)
		return fail("C_GenerateKey of a transfer key", NULL, rv);
	if ((rv = f->C_CreateObject(s, t_kek, sizeof t_kek / sizeof t_kek[0], &t->kek)) != CKR_OK)
		return fail("C_CreateObject of a KEK", NULL, rv);
	return 0;
}

static int
wrap(struct trust *t, const char *dir, const char *ident, int sync)
{
	static unsigned char oaep_out[1024], kwp_out[16384];
	CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM m_oaep = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
	CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	char copy_label[128];
	CK_OBJECT_HANDLE copy;
	CK_ULONG alen = sizeof oaep_out, blen = sizeof kwp_out;
	CK_RV rv;

	snprintf(copy_label, sizeof copy_label, "xferacld-%s", ident);
	{
		CK_ATTRIBUTE t_copy[] = { { CKA_LABEL, copy_label, strlen(copy_label) } };
		if ((rv = find(t_copy, 1, &copy)) != CKR_OK || copy == CK_INVALID_HANDLE)
			return fail("finding the transfer copy", ident, rv);
	}
	if ((rv = f->C_WrapKey(s, &m_kwp, t->key, copy, kwp_out, &blen)) != CKR_OK)
		return fail("C_WrapKey (AES-KWP)", ident, rv);
	if ((rv = f->C_WrapKey(s, &m_oaep, t->kek, t->key, oaep_out, &alen)) != CKR_OK)
		return fail("C_WrapKey (RSA-OAEP)", ident, rv);
	if ((rv = f->C_DestroyObject(s, t->key)) != CKR_OK ||
	    (rv = f->C_DestroyObject(s, t->kek)) != CKR_OK)
		return fail("C_DestroyObject of the trust", ident, rv);
	return write_file(dir, ident, oaep_out, alen, kwp_out, blen, sync);
}

/* The first line of PATH into BUF, without its line end; 0, or 1 after a line. */
static int
read_pin(const char *path, char *buf, size_t len)
{
	FILE *pf = fopen(path, "r");
	if (pf == NULL || fgets(buf, (int)len, pf) == NULL) {
		fprintf(stderr, "wrap-min: cannot read the PIN from %s\n", path);
		if (pf != NULL)
			fclose(pf);
		return 1;
	}
	fclose(pf);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	CK_SLOT_ID slots[64], slot = 0;
	CK_ULONG nslots = 64;
	CK_TOKEN_INFO ti;
	static unsigned char modulus[1024];
	static struct trust trust[4096];
	size_t mlen = 0, label_len;
	char pin[256] = "", so_pin[256] = "", label[33];
	int sync = 0, found = 0, r = 1, nkeys;
	CK_RV rv;

	if (argc > 1 && strcmp(argv[1], "--fsync") == 0) {
		sync = 1;
		argv++;
		argc--;
	}
	if (argc < 8 || argc - 7 > (int)(sizeof trust / sizeof trust[0])) {
		fprintf(stderr, "usage: wrap-min [--fsync] MODULE TOKEN-LABEL PIN-FILE SO-PIN-FILE "
		    "KEK-MODULUS-HEX OUTDIR IDENT...\n");
		return 2;
	}
	nkeys = argc - 7;
	for (const char *h = argv[5]; h[0] && h[1] && mlen < sizeof modulus; h += 2)
		if (sscanf(h, "%2hhx", &modulus[mlen++]) != 1)
			return fail("reading KEK-MODULUS-HEX", NULL, CKR_ARGUMENTS_BAD);
	if (read_pin(argv[3], pin, sizeof pin) != 0 || read_pin(argv[4], so_pin, sizeof so_pin))
		return 1;

	if ((f = p11_kit_module_load(argv[1], 0)) == NULL) {
		fprintf(stderr, "wrap-min: cannot load %s: %s\n", argv[1], p11_kit_message());
		return 1;
	}
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		return fail("C_Initialize", NULL, rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		return fail("C_GetSlotList", NULL, rv);
	/* Token labels are 32 bytes, space-padded. */
	memset(label, ' ', 32);
	label_len = strlen(argv[2]);
	memcpy(label, argv[2], label_len < 32 ? label_len : 32);
	for (CK_ULONG i = 0; i < nslots && !found; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, label, 32) == 0) {
			slot = slots[i];
			found = 1;
		}
	if (!found) {
		fprintf(stderr, "wrap-min: no token labelled '%s'\n", argv[2]);
		return 1;
	}
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) !=
	    CKR_OK)
		return fail("C_OpenSession", NULL, rv);
	if ((rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so_pin, strlen(so_pin))) != CKR_OK)
		return fail("C_Login (SO)", NULL, rv);
	for (int i = 0; i < nkeys; i++)
		if (grant(modulus, mlen, &trust[i]) != 0)
			goto out;
	f->C_Logout(s);
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
		return fail("C_Login", NULL, rv);
	for (int i = 0; i < nkeys; i++)
		if (wrap(&trust[i], argv[6], argv[7 + i], sync) != 0)
			goto out;
	r = 0;
out:
	f->C_Logout(s);
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	p11_kit_module_release(f);
	return r;
}
