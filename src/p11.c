/* p11.c: module loading, token selection and login through p11-kit; see p11.h. */
#include "config.h"
#include "p11.h"
#include "msg.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct p11 {
	CK_FUNCTION_LIST *fn;
	char *path;
	bool initialized;
	bool have_token;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO token;
	char label[sizeof(((CK_TOKEN_INFO *)0)->label) + 1];
	char serial[sizeof(((CK_TOKEN_INFO *)0)->serialNumber) + 1];
	char *pin_source;	/* from the token URI */
	CK_SESSION_HANDLE session;
	bool have_session, logged_in;
	/* The user PIN, kept in the secure heap for a command that logs the user in more than
	 * once (the security officer's login comes between), wiped by p11_free.  */
	char *pin;
	size_t pin_len;
	const char *pin_from;
};

void
p11_text(const CK_UTF8CHAR *field, size_t len, char *out)
{
	memcpy(out, field, len);
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\0'))
		len--;
	out[len] = '\0';
}

CK_FUNCTION_LIST *p11_fn(const struct p11 *p) { return p->fn; }
const char *p11_module_path(const struct p11 *p) { return p->path; }
CK_SLOT_ID p11_slot(const struct p11 *p) { return p->slot; }
const CK_TOKEN_INFO *p11_token_info(const struct p11 *p) { return &p->token; }
const char *p11_token_label(const struct p11 *p) { return p->label; }
const char *p11_token_serial(const struct p11 *p) { return p->serial; }
CK_SESSION_HANDLE p11_session(const struct p11 *p) { return p->session; }

int
p11_load(const char *path, struct p11 **out)
{
	struct p11 *p = NULL;
	struct stat st;
	CK_RV rv;
	int r = P11BYOK_EENV;

	*out = NULL;
	if (path == NULL) {
		msg_err("no PKCS#11 module given: pass --module PATH or set P11BYOK_MODULE "
		    "(SoftHSMv2: /usr/lib/softhsm/libsofthsm2.so)");
		return P11BYOK_EUSAGE;
	}
	/* dlopen() would wait forever on a FIFO; a directory gets a confusing ELF error. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		msg_err("cannot load PKCS#11 module %s: it is %s; check --module points at the "
		    "HSM vendor's PKCS#11 library", path, S_ISDIR(st.st_mode) ? "a directory" :
		    "not a regular file");
		return P11BYOK_EENV;
	}
	if ((p = calloc(1, sizeof *p)) == NULL || (p->path = strdup(path)) == NULL) {
		msg_err("out of memory");
		free(p);
		return P11BYOK_EFAIL;
	}
	/* Loaded by path: the machine's p11-kit module list plays no part in which HSM
	 * an operation talks to.  Unmanaged, so every return code of the module (C_Finalize's
	 * too) reaches us unfiltered.  */
	p->fn = p11_kit_module_load(path, P11_KIT_MODULE_UNMANAGED | P11_KIT_MODULE_CRITICAL);
	if (p->fn == NULL) {
		const char *why = p11_kit_message();
		msg_err("cannot load PKCS#11 module %s: %s; check --module points at the HSM "
		    "vendor's PKCS#11 library", path, why ? why : "unknown error");
		goto out;
	}
	if ((rv = p11_kit_module_initialize(p->fn)) != CKR_OK) {
		msg_ck(rv, "cannot initialise PKCS#11 module %s (%s)", path,
		    p11_kit_message() ? p11_kit_message() : "no detail");
		goto out;
	}
	p->initialized = true;
	*out = p;
	p = NULL;
	r = 0;
out:
	p11_free(p);
	return r;
}

/* Cleanup that fails cannot undo the work done, but must not pass unnoticed. */
static void
cleanup(CK_RV rv, const char *call, const struct p11 *p)
{
	if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
		msg_warn("%s on module %s failed: %s (%s); the work itself is complete", call,
		    p->path, p11_kit_strerror(rv), ck_rv_name(rv));
}

void
p11_free(struct p11 *p)
{
	if (p == NULL)
		return;
	if (p->logged_in)
		cleanup(p->fn->C_Logout(p->session), "C_Logout", p);
	if (p->have_session)
		cleanup(p->fn->C_CloseSession(p->session), "C_CloseSession", p);
	if (p->initialized)
		cleanup(p11_kit_module_finalize(p->fn), "C_Finalize", p);
	if (p->fn != NULL)
		p11_kit_module_release(p->fn);
	secret_free(p->pin, p->pin_len);
	free(p->pin_source);
	free(p->path);
	free(p);
}

int
p11_slots(struct p11 *p, bool token_present, CK_SLOT_ID **slots, CK_ULONG *n)
{
	CK_SLOT_ID *list = NULL;
	CK_ULONG count = 0;
	CK_RV rv;

	*slots = NULL;
	*n = 0;
	/* The slot count may change between the two calls (hot-plug): retry on too small. */
	for (int tries = 0; tries < 3; tries++) {
		if ((rv = p->fn->C_GetSlotList(token_present, NULL, &count)) != CKR_OK)
			break;
		free(list);
		if ((list = calloc(count + 1, sizeof *list)) == NULL) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		if ((rv = p->fn->C_GetSlotList(token_present, list, &count)) != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (rv != CKR_OK) {
		free(list);
		msg_ck(rv, "cannot list the slots of module %s", p->path);
		return P11BYOK_EENV;
	}
	*slots = list;
	*n = count;
	return 0;
}

int
p11_label_state(struct p11 *p, const char *label, bool *initialised)
{
	CK_SLOT_ID *slots = NULL;
	CK_TOKEN_INFO ti;
	CK_ULONG n = 0;
	char have[33];
	int r;

	*initialised = false;
	if ((r = p11_slots(p, true, &slots, &n)) != 0)
		return r;
	for (CK_ULONG i = 0; i < n && !*initialised; i++) {
		CK_RV rv = p->fn->C_GetTokenInfo(slots[i], &ti);
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
			continue;
		if (rv != CKR_OK) {
			msg_ck(rv, "cannot read the token in slot %lu", (unsigned long)slots[i]);
			free(slots);
			return P11BYOK_EENV;
		}
		p11_text(ti.label, sizeof ti.label, have);
		*initialised = (ti.flags & CKF_TOKEN_INITIALIZED) && strcmp(have, label) == 0;
	}
	free(slots);
	return 0;
}

/* The token in SLOT as "'label' (serial S, slot N)" for lists of candidates. */
static void
describe(const CK_TOKEN_INFO *ti, CK_SLOT_ID slot, char *buf, size_t len)
{
	char label[33], serial[17];
	p11_text(ti->label, sizeof ti->label, label);
	p11_text(ti->serialNumber, sizeof ti->serialNumber, serial);
	snprintf(buf, len, "'%s' (serial %s, slot %lu)", label, serial, (unsigned long)slot);
}

static void
choose(struct p11 *p, CK_SLOT_ID slot, const CK_TOKEN_INFO *ti)
{
	p->have_token = true;
	p->slot = slot;
	p->token = *ti;
	p11_text(ti->label, sizeof ti->label, p->label);
	p11_text(ti->serialNumber, sizeof ti->serialNumber, p->serial);
}

/* The URI attributes a message may repeat: they choose a module, slot, token or object and
 * hold nothing secret.  Anything else in a URI someone typed (a pin-value, a pin-source
 * that is no path, a misspelt name, PIN-VALUE) may be the PIN.  */
static bool
shown_attribute(const char *name, size_t len)
{
	static const char *const safe[] = {
		"token", "serial", "manufacturer", "model", "slot-id", "slot-description",
		"slot-manufacturer", "library-description", "library-manufacturer",
		"library-version", "object", "id", "type", "module-name", "module-path",
	};
	for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
		if (strlen(safe[i]) == len && memcmp(safe[i], name, len) == 0)
			return true;
	return false;
}

const char *
p11_uri_display(const char *text, char *buf, size_t len)
{
	size_t o = 0;
	const char *s = text;

	if (len == 0)
		return "";
	buf[0] = '\0';
	if (strncmp(s, "pkcs11:", 7) == 0) {
		o = (size_t)snprintf(buf, len, "pkcs11:");
		s += 7;
	}
	/* Attribute by attribute (';' in the path, '&' in the query): NAME=VALUE. */
	while (*s != '\0' && o + 1 < len) {
		size_t n = strcspn(s, ";?&");
		const char *eq = memchr(s, '=', n);
		bool keep = eq != NULL && shown_attribute(s, (size_t)(eq - s));
		/* A pin-source that names a file (file:/path) is no secret either. */
		if (!keep && eq != NULL && eq - s == 10 && memcmp(s, "pin-source", 10) == 0) {
			char value[512];
			snprintf(value, sizeof value, "%.*s", (int)(n - 11), eq + 1);
			keep = secret_pin_source_path(value) != NULL;
			OPENSSL_cleanse(value, sizeof value);
		}
		if (keep)
			o += (size_t)snprintf(buf + o, len - o, "%.*s", (int)n, s);
		else if (eq != NULL)
			o += (size_t)snprintf(buf + o, len - o, "%.*sREDACTED", (int)(eq + 1 - s), s);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s", n > 0 ? "REDACTED" : "");
		if (o >= len)
			o = len - 1;
		s += n;
		if (*s != '\0' && o + 1 < len) {
			buf[o++] = *s++;
			buf[o] = '\0';
		}
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

int
p11_uri_check(const char *text, P11KitUri **out, char *why, size_t len)
{
	P11KitUri *uri = p11_kit_uri_new();
	char shown[1024];
	int rc;

	if (out != NULL)
		*out = NULL;
	if (uri == NULL) {
		snprintf(why, len, "out of memory");
		return P11BYOK_EFAIL;
	}
	/* Object attributes are allowed (an --unwrap-key URI chooses its token too); only the
	 * token, slot and module parts take part in choosing a token.  */
	if ((rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri)) != P11_KIT_URI_OK) {
		snprintf(why, len, "malformed token URI '%s': %s; write it as pkcs11:token=LABEL",
		    p11_uri_display(text, shown, sizeof shown), p11_kit_uri_message(rc));
	} else if (p11_kit_uri_any_unrecognized(uri)) {
		snprintf(why, len, "token URI '%s' has an attribute p11byok does not know; use "
		    "token=, serial=, manufacturer=, model=, slot-id= or pin-source=",
		    p11_uri_display(text, shown, sizeof shown));
	} else if (p11_kit_uri_get_pin_value(uri) != NULL) {
		snprintf(why, len, "token URI '%s' carries a pin-value: PINs never go on the "
		    "command line; use pin-source=file:/path or --pin-file",
		    p11_uri_display(text, shown, sizeof shown));
	} else {
		if (out != NULL)
			*out = uri;
		else
			p11_kit_uri_free(uri);
		return 0;
	}
	p11_kit_uri_free(uri);
	return P11BYOK_EUSAGE;
}

int
p11_uri_parse(const char *text, P11KitUri **out)
{
	char why[2048];
	int r = p11_uri_check(text, out, why, sizeof why);
	if (r != 0)
		msg_err("%s", why);
	return r;
}

int
p11_select_token(struct p11 *p, const char *uri_text, enum p11_want want)
{
	int r = P11BYOK_EFAIL;
	P11KitUri *uri = NULL;
	CK_SLOT_ID *slots = NULL, found = 0, spare = 0;
	CK_TOKEN_INFO ti, found_ti, spare_ti;
	bool have_spare = false;
	CK_SLOT_INFO si;
	CK_INFO mi;
	CK_ULONG n = 0, matches = 0;
	CK_RV rv;
	char list[2048] = "", one[128], shown[1024];

	if (uri_text != NULL) {
		if ((r = p11_uri_parse(uri_text, &uri)) != 0)
			goto out;
		r = P11BYOK_EFAIL;
		if (p11_kit_uri_get_pin_source(uri) != NULL &&
		    (p->pin_source = strdup(p11_kit_uri_get_pin_source(uri))) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		if ((rv = p->fn->C_GetInfo(&mi)) != CKR_OK) {
			msg_ck(rv, "cannot read the module information of %s (C_GetInfo)", p->path);
			r = P11BYOK_EENV;
			goto out;
		}
		if (!p11_kit_uri_match_module_info(uri, &mi)) {
			msg_err("token URI '%s' names another module than %s",
			    p11_uri_display(uri_text, shown, sizeof shown), p->path);
			r = P11BYOK_EENV;
			goto out;
		}
	}
	if ((r = p11_slots(p, true, &slots, &n)) != 0)
		goto out;
	for (CK_ULONG i = 0; i < n; i++) {
		rv = p->fn->C_GetTokenInfo(slots[i], &ti);
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
			continue;
		if (rv != CKR_OK) {
			msg_ck(rv, "cannot read the token in slot %lu", (unsigned long)slots[i]);
			r = P11BYOK_EENV;
			goto out;
		}
		if (uri != NULL) {
			if (!p11_kit_uri_match_token_info(uri, &ti))
				continue;
			if (p11_kit_uri_get_slot_id(uri) != (CK_SLOT_ID)-1 ||
			    p11_kit_uri_get_slot_info(uri) != NULL) {
				if ((rv = p->fn->C_GetSlotInfo(slots[i], &si)) != CKR_OK) {
					msg_ck(rv, "cannot read slot %lu (C_GetSlotInfo)",
					    (unsigned long)slots[i]);
					r = P11BYOK_EENV;
					goto out;
				}
				if (!p11_kit_uri_match_slot_info(uri, &si))
					continue;
				if (p11_kit_uri_get_slot_id(uri) != (CK_SLOT_ID)-1 &&
				    p11_kit_uri_get_slot_id(uri) != slots[i])
					continue;
			}
		} else if (!(ti.flags & CKF_TOKEN_INITIALIZED) != (want == P11_WANT_FREE)) {
			if (!have_spare && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
				spare = slots[i];
				spare_ti = ti;
				have_spare = true;
			}
			continue;
		}
		describe(&ti, slots[i], one, sizeof one);
		if (strlen(list) + strlen(one) + 3 < sizeof list) {
			strcat(list, matches ? ", " : "");
			strcat(list, one);
		}
		if (matches++ == 0) {
			found = slots[i];
			found_ti = ti;
		}
	}
	/* Without a URI, a free slot is taken in order: the first uninitialised token. */
	if (uri_text == NULL && want == P11_WANT_FREE && matches > 1)
		matches = 1;
	if (matches == 0 && want == P11_WANT_ANY && have_spare) {
		found = spare;
		found_ti = spare_ti;
		matches = 1;
	}
	if (matches == 0) {
		if (uri_text != NULL)
			msg_err("no token in module %s matches '%s': run 'p11byok doctor' to list "
			    "the tokens", p->path, p11_uri_display(uri_text, shown, sizeof shown));
		else if (want == P11_WANT_FREE)
			msg_err("no free (uninitialised) token slot in module %s: free one, or take "
			    "over an initialised token with --adopt", p->path);
		else
			msg_err("no initialised token in module %s: initialise one or give --token "
			    "URI ('p11byok doctor' lists them)", p->path);
		r = P11BYOK_EENV;
		goto out;
	}
	if (matches > 1) {
		msg_err("%lu tokens match%s%s: %s; choose one with --token 'pkcs11:token=LABEL' or "
		    "'pkcs11:serial=SERIAL'", (unsigned long)matches, uri_text ? " " : "",
		    uri_text ? p11_uri_display(uri_text, shown, sizeof shown) : "", list);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (want == P11_WANT_INITIALISED && !(found_ti.flags & CKF_TOKEN_INITIALIZED)) {
		msg_err("token %s is not initialised: run 'p11byok world init' first", list);
		r = P11BYOK_EENV;
		goto out;
	}
	if (want == P11_WANT_FREE && (found_ti.flags & CKF_TOKEN_INITIALIZED)) {
		msg_err("token %s is already initialised: p11byok refuses to erase it; pass "
		    "--adopt to take it over with its SO PIN", list);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	choose(p, found, &found_ti);
	msg_debug("using token %s", list);
	r = 0;
out:
	free(slots);
	p11_kit_uri_free(uri);
	return r;
}

int
p11_open_session(struct p11 *p)
{
	CK_RV rv;
	if (p->have_session)
		return 0;
	rv = p->fn->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	    &p->session);
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot open a session on token '%s'", p->label);
		return rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED ?
		    P11BYOK_EENV : P11BYOK_EFAIL;
	}
	p->have_session = true;
	return 0;
}

int
p11_login_user(struct p11 *p, const char *pin_file)
{
	const char *source = NULL;
	char *pin = NULL;
	size_t len = 0;
	CK_RV rv;
	int r;

	if ((r = p11_open_session(p)) != 0)
		return r;
	if (p->token.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		msg_out("Enter the PIN on the PIN pad of token '%s'.\n", p->label);
	} else if (p->pin != NULL) {
		pin = p->pin;	/* asked once per command */
		len = p->pin_len;
		source = p->pin_from;
	} else if ((r = secret_user_pin(p->pin_source, pin_file, p->label, &pin, &len,
	    &source)) != 0) {
		return r;
	}
	rv = p->fn->C_Login(p->session, CKU_USER, (CK_UTF8CHAR *)pin, pin ? len : 0);
	if (rv == CKR_OK && pin != NULL && p->pin == NULL) {
		p->pin = pin;
		p->pin_len = len;
		p->pin_from = source;
	} else if (pin != p->pin) {
		secret_free(pin, len);
	}
	pin = NULL;
	switch (rv) {
	case CKR_OK:
	case CKR_USER_ALREADY_LOGGED_IN:
		p->logged_in = rv == CKR_OK;
		return 0;
	case CKR_PIN_INCORRECT:
		msg_err("the user PIN from %s is incorrect for token '%s': check that source; "
		    "p11byok does not retry, as repeated wrong PINs lock the token", source,
		    p->label);
		return P11BYOK_EFAIL;
	case CKR_PIN_LOCKED:
		msg_err("the user PIN of token '%s' is locked after too many wrong tries: the "
		    "security officer must reset it", p->label);
		return P11BYOK_EFAIL;
	case CKR_PIN_LEN_RANGE:
		msg_err("the user PIN from %s has %zu characters, but token '%s' takes %lu to %lu: "
		    "check that source", source, len, p->label,
		    (unsigned long)p->token.ulMinPinLen, (unsigned long)p->token.ulMaxPinLen);
		return P11BYOK_EUSAGE;
	case CKR_PIN_EXPIRED:
		msg_err("the user PIN of token '%s' has expired: set a new one first", p->label);
		return P11BYOK_EFAIL;
	case CKR_USER_PIN_NOT_INITIALIZED:
		msg_err("token '%s' has no user PIN yet: initialise it (p11byok world init)",
		    p->label);
		return P11BYOK_EFAIL;
	default:
		msg_ck(rv, "login to token '%s' failed", p->label);
		return P11BYOK_EFAIL;
	}
}

CK_RV
p11_mechanism(struct p11 *p, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info)
{
	CK_MECHANISM_INFO tmp;
	return p->fn->C_GetMechanismInfo(p->slot, mech, info ? info : &tmp);
}

bool
p11_has_mechanism(struct p11 *p, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info)
{
	return p11_mechanism(p, mech, info) == CKR_OK;
}

bool
p11_pin_source_given(const struct p11 *p, const char *pin_file)
{
	return p->pin_source != NULL || pin_file != NULL || secret_env_pin_given();
}

const char *p11_pin_source(const struct p11 *p) { return p->pin_source; }

int
p11_refresh_token(struct p11 *p)
{
	CK_TOKEN_INFO ti;
	CK_RV rv = p->fn->C_GetTokenInfo(p->slot, &ti);
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot read the token in slot %lu", (unsigned long)p->slot);
		return P11BYOK_EENV;
	}
	choose(p, p->slot, &ti);
	return 0;
}

CK_RV
p11_try_login_so(struct p11 *p, char *pin, size_t len)
{
	CK_RV rv;

	if (p11_open_session(p) != 0)
		return CKR_SESSION_HANDLE_INVALID;
	if ((rv = p->fn->C_Login(p->session, CKU_SO, (CK_UTF8CHAR *)pin, len)) == CKR_OK)
		p->logged_in = true;
	return rv;
}

int
p11_login_so(struct p11 *p, char *pin, size_t len, const char *source)
{
	CK_RV rv;
	int r;

	if ((r = p11_open_session(p)) != 0)
		return r;
	rv = p->fn->C_Login(p->session, CKU_SO, (CK_UTF8CHAR *)pin, len);
	switch (rv) {
	case CKR_OK:
		p->logged_in = true;
		return 0;
	case CKR_PIN_INCORRECT:
		msg_err("token '%s' refuses %s as its SO PIN: p11byok does not retry, as repeated "
		    "wrong PINs lock the token; nothing was changed", p->label, source);
		return P11BYOK_EFAIL;
	case CKR_PIN_LOCKED:
		msg_err("the SO PIN of token '%s' is locked after too many wrong tries: only the "
		    "HSM vendor's reset procedure can recover the token", p->label);
		return P11BYOK_EFAIL;
	case CKR_PIN_LEN_RANGE:
		msg_err("%s has %zu characters, but token '%s' takes SO PINs of %lu to %lu: "
		    "nothing was changed", source, len, p->label,
		    (unsigned long)p->token.ulMinPinLen, (unsigned long)p->token.ulMaxPinLen);
		return P11BYOK_EUSAGE;
	case CKR_USER_ANOTHER_ALREADY_LOGGED_IN:
	case CKR_USER_ALREADY_LOGGED_IN:
	case CKR_SESSION_READ_ONLY_EXISTS:
		msg_ck(rv, "cannot log in as SO on token '%s' while another login or session "
		    "is open: close other applications using it", p->label);
		return P11BYOK_EFAIL;
	default:
		msg_ck(rv, "SO login to token '%s' failed", p->label);
		return P11BYOK_EFAIL;
	}
}

void
p11_forget_pin(struct p11 *p)
{
	secret_free(p->pin, p->pin_len);
	p->pin = NULL;
	p->pin_len = 0;
}

int
p11_logout_checked(struct p11 *p)
{
	CK_RV rv;

	if (!p->logged_in)
		return 0;
	rv = p->fn->C_Logout(p->session);
	p->logged_in = false;
	if (rv == CKR_OK || rv == CKR_USER_NOT_LOGGED_IN)
		return 0;
	msg_ck(rv, "cannot log out of token '%s' (C_Logout) before the next login", p->label);
	return P11BYOK_EFAIL;
}

void
p11_logout(struct p11 *p)
{
	CK_RV rv;

	if (!p->logged_in)
		return;
	/* In the middle of a command: what comes next decides whether it matters. */
	rv = p->fn->C_Logout(p->session);
	if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
		msg_warn("C_Logout on token '%s' failed: %s (%s); the login may last until the "
		    "session closes", p->label, p11_kit_strerror(rv), ck_rv_name(rv));
	p->logged_in = false;
}
