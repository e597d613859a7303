/* modcaps.c: what the module can do for the BYOK flow; see modcaps.h. */
#include "config.h"
#include "modcaps.h"
#include "msg.h"
#include "pkcs11-extra.h"
#include "pubkey.h"
#include "wrapcheck.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* In the order the flow uses them; keygen first, the one-call wrap at MODCAPS_NATIVE. */
const struct modcaps_mech modcaps_mechs[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN", CKF_GENERATE_KEY_PAIR,
	  "RSA key generation" },
	{ CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN", CKF_GENERATE_KEY_PAIR,
	  "EC key generation" },
	{ CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN", CKF_GENERATE, "AES key generation" },
	{ CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP", CKF_WRAP, "RSA-OAEP wrap of the transfer key" },
	{ CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD", CKF_WRAP | CKF_UNWRAP,
	  "AES key wrap with padding (RFC 5649): transfers, backups and restores" },
	{ CKM_RSA_AES_KEY_WRAP, "CKM_RSA_AES_KEY_WRAP", CKF_WRAP, "RSA-AES key wrap in one call" },
};
const size_t modcaps_nmechs = sizeof modcaps_mechs / sizeof modcaps_mechs[0];

int
modcaps_mech(struct p11 *p, const struct modcaps_mech *m, CK_FLAGS *flags)
{
	CK_MECHANISM_INFO info;
	CK_RV rv;

	*flags = 0;
	if ((rv = p11_mechanism(p, m->type, &info)) == CKR_MECHANISM_INVALID)
		return 0;
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot ask token '%s' for %s (C_GetMechanismInfo)",
		    p11_token_label(p), m->name);
		return MODCAPS_FAILED;
	}
	*flags = info.flags;
	return (info.flags & m->flags) == m->flags ? 1 : -1;
}

/* Template values (C_* take them as non-const pointers; never written). */
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
static CK_KEY_TYPE aes_type = CKK_AES;
static CK_ULONG aes_len = 32;

/* A public AES-256 session key the module generates: WRAP as asked, extractable, and
 * wrap-with-trusted as WWT says.  */
static CK_RV
session_key(struct p11 *p, bool wrap, bool wwt, CK_OBJECT_HANDLE *h)
{
	CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &secret_class, sizeof secret_class },
		{ CKA_KEY_TYPE, &aes_type, sizeof aes_type },
		{ CKA_VALUE_LEN, &aes_len, sizeof aes_len },
		{ CKA_TOKEN, &no, 1 }, { CKA_PRIVATE, &no, 1 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_ENCRYPT, &yes, 1 }, { CKA_WRAP, wrap ? &yes : &no, 1 },
		{ CKA_WRAP_WITH_TRUSTED, wwt ? &yes : &no, 1 },
	};
	*h = CK_INVALID_HANDLE;
	return p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t, sizeof t / sizeof t[0], h);
}

/* The first destroy of a probe's session object that failed (CKR_OK when none): the
 * object dies with the session, but a module that fails it is not to be worked with.  */
static CK_RV drop_failed = CKR_OK;

static void
drop(struct p11 *p, CK_OBJECT_HANDLE *h)
{
	CK_RV rv;
	if (*h != CK_INVALID_HANDLE &&
	    (rv = p11_fn(p)->C_DestroyObject(p11_session(p), *h)) != CKR_OK && drop_failed == CKR_OK)
		drop_failed = rv;
	*h = CK_INVALID_HANDLE;
}

/* The length of KEY wrapped under W with RFC 5649: CKR_OK when the module would wrap it. */
static CK_RV
try_wrap(struct p11 *p, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	unsigned char buf[4096];
	CK_ULONG len = sizeof buf;
	CK_RV rv = p11_fn(p)->C_WrapKey(p11_session(p), &kwp, w, key, buf, &len);
	memset(buf, 0, sizeof buf);
	return rv;
}

/* C's verdict V, its note: "WHAT: CKR_X: THEN" (WHAT NULL: no module answer to quote). */
static void
verdict(struct modcap *c, enum modcap_verdict v, const char *what, CK_RV rv, const char *then)
{
	char said[128] = "";
	c->v = v;
	if (what != NULL)
		snprintf(said, sizeof said, "%s%s%s", what, what[0] ? ": " : "", ck_rv_name(rv));
	snprintf(c->note, sizeof c->note, "%s%s%s", said, said[0] && then[0] ? ": " : "", then);
}

/* The probe's own AES session key was refused: the module cannot make what the flow makes. */
static void
no_session_key(struct modcap *c, CK_RV rv)
{
	verdict(c, MODCAP_NO, "a session AES key for the probe", rv, "the module cannot make "
	    "the keys the flow makes (CKM_AES_KEY_GEN)");
}

/* C_InitToken on a slot that does not exist: a module that has it says so
 * (CKR_SLOT_ID_INVALID); nothing can be initialised by the probe.  */
static void
probe_init_token(struct p11 *p, struct modcap *c)
{
	CK_UTF8CHAR label[32], pin[5] = { 'p', 'r', 'o', 'b', 'e' };
	CK_RV rv;

	memset(label, ' ', sizeof label);
	c->name = "C_InitToken";
	rv = p11_fn(p)->C_InitToken((CK_SLOT_ID)-7, pin, sizeof pin, label);
	if (rv == CKR_FUNCTION_NOT_SUPPORTED)
		verdict(c, MODCAP_NO, "not supported", rv, "initialise the token with the "
		    "vendor's tool, then 'p11byok world init --adopt --so-pin-file FILE'");
	else
		verdict(c, MODCAP_YES, NULL, rv, "");
}

/* A trusted object of a session that is not the security officer's: a public RSA key (what
 * a KEK is) or, where the module takes it, an AES key.  CKR_OK when the module made one. */
static CK_RV
make_trusted(struct p11 *p, bool rsa, EVP_PKEY *pk, CK_OBJECT_HANDLE *h)
{
	static CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
	static CK_KEY_TYPE rsa_type = CKK_RSA;
	unsigned char *n = NULL, *e = NULL;
	CK_ULONG nlen = 0, elen = 0;
	CK_RV rv = CKR_HOST_MEMORY;

	if (rsa) {
		if (pubkey_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n, &nlen) == 0 &&
		    pubkey_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e, &elen) == 0) {
			CK_ATTRIBUTE t[] = {
				{ CKA_CLASS, &public_class, sizeof public_class },
				{ CKA_KEY_TYPE, &rsa_type, sizeof rsa_type },
				{ CKA_TOKEN, &no, 1 }, { CKA_WRAP, &yes, 1 },
				{ CKA_TRUSTED, &yes, 1 }, { CKA_MODULUS, n, nlen },
				{ CKA_PUBLIC_EXPONENT, e, elen },
			};
			rv = p11_fn(p)->C_CreateObject(p11_session(p), t, sizeof t / sizeof t[0], h);
		}
		free(n);
		free(e);
		return rv;
	}
	{
		CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &secret_class, sizeof secret_class },
			{ CKA_KEY_TYPE, &aes_type, sizeof aes_type },
			{ CKA_VALUE_LEN, &aes_len, sizeof aes_len },
			{ CKA_TOKEN, &no, 1 }, { CKA_WRAP, &yes, 1 }, { CKA_TRUSTED, &yes, 1 },
		};
		return p11_fn(p)->C_GenerateKey(p11_session(p), &gen, t, sizeof t / sizeof t[0], h);
	}
}

/* A session that is not the security officer's must not make a trusted key: the trust
 * model rests on the SO alone giving trust (with the cards).  */
static void
probe_trusted(struct p11 *p, struct modcap *c)
{
	EVP_PKEY *pk = wrapcheck_throwaway_rsa();
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	bool made = false;

	c->name = "trust for the SO alone";
	if (pk == NULL) {
		verdict(c, MODCAP_UNKNOWN, NULL, 0, "cannot make a throwaway RSA key");
		return;
	}
	for (int rsa = 1; rsa >= 0 && !made; rsa--) {
		made = make_trusted(p, rsa, pk, &h) == CKR_OK;
		drop(p, &h);
	}
	if (made)
		verdict(c, MODCAP_NO, NULL, 0, "a session without the security officer made a "
		    "CKA_TRUSTED key: anyone with the user PIN could give the trust the quorum "
		    "gives, and wrap out every world-bound key; use another module");
	else
		verdict(c, MODCAP_YES, NULL, 0, "");
}

/* C_WrapKey must refuse a wrap-with-trusted key under an untrusted key: a control key
 * without the flag wraps, the same key with it must not.  */
static void
probe_wwt(struct p11 *p, struct modcap *c)
{
	CK_OBJECT_HANDLE w, a = CK_INVALID_HANDLE, b = CK_INVALID_HANDLE;
	CK_RV rv;

	c->name = "CKA_WRAP_WITH_TRUSTED enforced";
	if ((rv = session_key(p, true, false, &w)) != CKR_OK ||
	    (rv = session_key(p, false, false, &a)) != CKR_OK ||
	    (rv = session_key(p, false, true, &b)) != CKR_OK) {
		no_session_key(c, rv);
	} else if ((rv = try_wrap(p, w, a)) != CKR_OK) {
		verdict(c, MODCAP_NO, "C_WrapKey of an extractable key", rv, "the module "
		    "cannot wrap what the flow wraps (CKM_AES_KEY_WRAP_PAD)");
	} else if (try_wrap(p, w, b) == CKR_OK) {
		verdict(c, MODCAP_NO, NULL, 0, "a wrap-with-trusted key was wrapped under an "
		    "untrusted key: a world-bound key would leave the HSM under any key; use "
		    "another module");
	} else {
		verdict(c, MODCAP_YES, NULL, 0, "");
	}
	drop(p, &w);
	drop(p, &a);
	drop(p, &b);
}

/* The transfer copy: C_CopyObject that turns a usage off and makes the copy unmodifiable. */
static void
probe_copy(struct p11 *p, struct modcap *c)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_ENCRYPT, &no, 1 }, { CKA_MODIFIABLE, &no, 1 },
	};
	CK_BBOOL enc = CK_TRUE;
	CK_ATTRIBUTE q = { CKA_ENCRYPT, &enc, sizeof enc };
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE, copy = CK_INVALID_HANDLE;
	CK_RV rv;

	c->name = "C_CopyObject with fewer usages";
	if ((rv = session_key(p, false, false, &k)) != CKR_OK)
		no_session_key(c, rv);
	else if ((rv = p11_fn(p)->C_CopyObject(p11_session(p), k, t, 2, &copy)) != CKR_OK)
		verdict(c, MODCAP_NO, "", rv, "modify-acls cannot make the reduced-permission "
		    "copy that is the only thing a transfer may wrap");
	else if ((rv = p11_fn(p)->C_GetAttributeValue(p11_session(p), copy, &q, 1)) != CKR_OK ||
	    enc != CK_FALSE)
		verdict(c, MODCAP_NO, "the copy kept CKA_ENCRYPT", rv, "the transfer copy "
		    "would keep the key's usages");
	else
		verdict(c, MODCAP_YES, NULL, 0, "");
	drop(p, &copy);
	drop(p, &k);
}

/* A private key (EC P-256, made sensitive and extractable) wrapped at all. */
static void
probe_private(struct p11 *p, struct modcap *c)
{
	static unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	    0x01, 0x07 };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &no, 1 }, { CKA_EC_PARAMS, p256, sizeof p256 },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &no, 1 }, { CKA_PRIVATE, &no, 1 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 },
		{ CKA_SIGN, &yes, 1 },
	};
	CK_OBJECT_HANDLE w = CK_INVALID_HANDLE, hp = CK_INVALID_HANDLE, hk = CK_INVALID_HANDLE;
	CK_RV rv;

	c->name = "a private key wrapped";
	if ((rv = session_key(p, true, false, &w)) != CKR_OK)
		no_session_key(c, rv);
	else if ((rv = p11_fn(p)->C_GenerateKeyPair(p11_session(p), &gen, pub, 2, priv, 5, &hp,
	    &hk)) != CKR_OK)
		verdict(c, MODCAP_NO, "a sensitive, extractable EC key pair", rv, "the module "
		    "cannot make a key that may be wrapped, so no RSA or EC key can be transferred");
	else if ((rv = try_wrap(p, w, hk)) != CKR_OK)
		verdict(c, MODCAP_NO, "C_WrapKey of a private key", rv, "RSA and EC keys "
		    "cannot be transferred (AES keys may)");
	else
		verdict(c, MODCAP_YES, NULL, 0, "");
	drop(p, &hk);
	drop(p, &hp);
	drop(p, &w);
}

void
modcaps_probe(struct p11 *p, bool session, struct modcap out[MODCAPS_NPROBES])
{
	static const char *const names[] = { "trust for the SO alone",
	    "CKA_WRAP_WITH_TRUSTED enforced", "C_CopyObject with fewer usages",
	    "a private key wrapped" };

	probe_init_token(p, &out[0]);
	if (!session) {
		for (size_t i = 1; i < MODCAPS_NPROBES; i++) {
			out[i].name = names[i - 1];
			verdict(&out[i], MODCAP_UNKNOWN, NULL, 0, "not probed: the token is not "
			    "initialised");
		}
		return;
	}
	probe_trusted(p, &out[1]);
	probe_wwt(p, &out[2]);
	probe_copy(p, &out[3]);
	probe_private(p, &out[4]);
}

bool
modcaps_serial_distinct(struct p11 *p, char *why, size_t len)
{
	const char *serial = p11_token_serial(p);
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	bool distinct = true;

	if (serial[0] == '\0' || strspn(serial, "0") == strlen(serial)) {
		snprintf(why, len, "its serial number is %s", serial[0] ? "all zeros" : "empty");
		return false;
	}
	if (p11_slots(p, true, &slots, &n) != 0)
		return true;	/* said already; the token itself is not in doubt */
	for (CK_ULONG i = 0; i < n && distinct; i++) {
		CK_TOKEN_INFO ti;
		char other[17];
		if (slots[i] == p11_slot(p) ||
		    p11_fn(p)->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		p11_text(ti.serialNumber, sizeof ti.serialNumber, other);
		if (strcmp(other, serial) == 0) {
			snprintf(why, len, "the token in slot %lu has the same serial number %s",
			    (unsigned long)slots[i], serial);
			distinct = false;
		}
	}
	free(slots);
	return distinct;
}

int
modcaps_require_so_trust(struct p11 *p)
{
	EVP_PKEY *pk = wrapcheck_throwaway_rsa();
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_RV rv = pk != NULL ? make_trusted(p, true, pk, &h) : CKR_HOST_MEMORY;

	drop(p, &h);
	if (rv == CKR_OK)
		return 0;
	msg_err("module %s cannot run the BYOK flow: its security officer cannot make a trusted "
	    "key (%s), so the quorum could never approve a transfer; nothing was changed",
	    p11_module_path(p), ck_rv_name(rv));
	return P11BYOK_EFAIL;
}

int
modcaps_require_world(struct p11 *p, bool free)
{
	char why[160];

	struct modcap caps[MODCAPS_NPROBES];
	CK_FLAGS flags;
	int have[16];
	bool path;

	for (size_t i = 0; i < modcaps_nmechs; i++)
		if ((have[i] = modcaps_mech(p, &modcaps_mechs[i], &flags)) == MODCAPS_FAILED)
			return P11BYOK_EFAIL;
	path = have[MODCAPS_NATIVE] == 1 || (have[3] == 1 && have[4] == 1);
	for (size_t i = 0; i < modcaps_nmechs; i++) {
		bool needed = i < 3 || i == 4 || (i == 3 && !path);
		if (!needed || have[i] == 1)
			continue;
		msg_err("module %s cannot run the BYOK flow: %s %s (needed for %s); nothing was "
		    "changed: use another module or token ('p11byok doctor' lists what it lacks)",
		    p11_module_path(p), modcaps_mechs[i].name, have[i] == 0 ? "is not offered" :
		    "is offered without the use the flow needs", modcaps_mechs[i].use);
		return P11BYOK_EFAIL;
	}
	if (!free && !modcaps_serial_distinct(p, why, sizeof why)) {
		msg_err("token '%s' cannot hold a world: %s, and key records and the world bind "
		    "to it; nothing was changed: give the token a serial number of its own (the "
		    "vendor's tool) or use another token", p11_token_label(p), why);
		return P11BYOK_EFAIL;
	}
	modcaps_probe(p, !free, caps);
	if (drop_failed != CKR_OK) {
		msg_ck(drop_failed, "cannot destroy a session object of the module check on token "
		    "'%s' (C_DestroyObject)", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	for (size_t i = 0; i < MODCAPS_NPROBES; i++) {
		if (caps[i].v != MODCAP_NO || (i == 0 && !free))
			continue;
		msg_err("module %s cannot run the BYOK flow: %s: %s; nothing was changed",
		    p11_module_path(p), caps[i].name, caps[i].note);
		return P11BYOK_EFAIL;
	}
	return 0;
}
