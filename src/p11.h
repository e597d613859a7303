/* p11.h: one PKCS#11 module loaded through p11-kit, the token chosen by URI, its session.
 *
 * One struct p11 per command.  p11_free logs out, closes the session, finalizes and releases
 * the module, so every exit path that frees it leaves the module as it found it.  */
#ifndef P11BYOK_P11_H
#define P11BYOK_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

struct p11;

/* Loads and initialises the module at PATH.  Returns 0 with a handle the caller frees, or
 * P11BYOK_EUSAGE when PATH is NULL, P11BYOK_EENV when p11-kit cannot load or initialise
 * it (p11-kit's message is printed).  */
int p11_load(const char *path, struct p11 **out);
void p11_free(struct p11 *p);

CK_FUNCTION_LIST *p11_fn(const struct p11 *p);
const char *p11_module_path(const struct p11 *p);

/* Slots of the module; with TOKEN_PRESENT only those holding a token.  *SLOTS is malloc'd. */
int p11_slots(struct p11 *p, bool token_present, CK_SLOT_ID **slots, CK_ULONG *n);

/* TEXT as messages may show it: only the attributes that choose a module, slot, token or
 * object (and a pin-source that is a file path) keep their values; any other value, a
 * pin-value, a misspelt or unknown attribute, becomes REDACTED (a mistyped URI may carry
 * the PIN itself).  Into BUF.  */
const char *p11_uri_display(const char *text, char *buf, size_t len);

/* Parses an RFC 7512 URI for choosing a token, refusing unknown attributes and a pin-value.
 * Returns 0 with *OUT the caller frees with p11_kit_uri_free, or P11BYOK_EUSAGE after one
 * line naming TEXT.  */
int p11_uri_parse(const char *text, P11KitUri **out);
/* p11_uri_parse with the sentence in WHY (LEN bytes) instead of printed; OUT may be NULL
 * to only check TEXT.  */
int p11_uri_check(const char *text, P11KitUri **out, char *why, size_t len);

/* Which tokens p11_select_token may choose. */
enum p11_want {
	P11_WANT_INITIALISED,	/* an initialised token: the everyday case */
	P11_WANT_ANY,		/* as above, else the first uninitialised one (doctor) */
	P11_WANT_FREE,		/* an uninitialised token (world init) */
};

/* Chooses the token: the one matching URI (RFC 7512), or with URI NULL the only token of
 * the state WANT asks for.  Returns 0, P11BYOK_EUSAGE (malformed URI, several tokens match:
 * all listed), or P11BYOK_EENV (no token matches, or it is in the wrong state).  */
int p11_select_token(struct p11 *p, const char *uri, enum p11_want want);

/* Whether an initialised token labelled LABEL is present, without choosing it or saying
 * anything when there is none.  0 with *INITIALISED, or the exit code after one line.  */
int p11_label_state(struct p11 *p, const char *label, bool *initialised);
CK_SLOT_ID p11_slot(const struct p11 *p);
const CK_TOKEN_INFO *p11_token_info(const struct p11 *p);
/* The token label and serial without PKCS#11's space padding. */
const char *p11_token_label(const struct p11 *p);
const char *p11_token_serial(const struct p11 *p);

/* Opens a read-write session on the chosen token.  0 or P11BYOK_EFAIL/EENV after a line. */
int p11_open_session(struct p11 *p);
CK_SESSION_HANDLE p11_session(const struct p11 *p);

/* Logs the user in with the PIN from the sources of DESIGN.md §1 (the URI's pin-source
 * first, then PIN_FILE, ...).  A PIN the token accepted is kept in the secure heap for the
 * command's next user login (a transfer logs in, gives way to the security officer, and
 * logs in again) and wiped by p11_forget_pin or p11_free; a wrong PIN is wiped at once and
 * never retried.  Returns 0, P11BYOK_EUSAGE (no usable PIN source, PIN length), or
 * P11BYOK_EFAIL (wrong or locked PIN, token refused).  */
int p11_login_user(struct p11 *p, const char *pin_file);

/* Wipes the user PIN p11_login_user kept, once the command needs no more logins. */
void p11_forget_pin(struct p11 *p);

/* Whether a non-interactive PIN source is given: the URI's pin-source, PIN_FILE or
 * $P11BYOK_PIN.  */
bool p11_pin_source_given(const struct p11 *p, const char *pin_file);

/* C_GetMechanismInfo of MECH on the chosen token's slot: CKR_OK when offered,
 * CKR_MECHANISM_INVALID when not, anything else when the module failed to say.  */
CK_RV p11_mechanism(struct p11 *p, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info);
/* Whether the chosen token's slot offers MECH; INFO (may be NULL) receives its details. */
bool p11_has_mechanism(struct p11 *p, CK_MECHANISM_TYPE mech, CK_MECHANISM_INFO *info);

/* Copies a space-padded PKCS#11 text field of LEN bytes into OUT (LEN + 1 bytes), trimmed. */
void p11_text(const CK_UTF8CHAR *field, size_t len, char *out);

/* The pin-source of the token URI (for secret_user_pin), or NULL. */
const char *p11_pin_source(const struct p11 *p);

/* Re-reads the chosen token's information (after C_InitToken: label, serial, flags).
 * 0 or P11BYOK_EENV after one line.  */
int p11_refresh_token(struct p11 *p);

/* Logs the SO in with PIN (LEN bytes; the caller wipes it), opening the session first.
 * SOURCE names the PIN in messages ("the SO secret rebuilt from the cards").  A wrong PIN is
 * never retried.  Returns 0, P11BYOK_EUSAGE (PIN length) or P11BYOK_EFAIL (refused).  */
int p11_login_so(struct p11 *p, char *pin, size_t len, const char *source);

/* C_Login as the SO with PIN (LEN), saying nothing: the module's answer, for a caller that
 * asks the token a question with it (did it take this PIN?).  */
CK_RV p11_try_login_so(struct p11 *p, char *pin, size_t len);

/* Ends the login of p11_login_user or p11_login_so (warns when the token fails); the session
 * stays open.  */
void p11_logout(struct p11 *p);
/* The same when another login follows (the SO's, then the user's): a failure is an error,
 * 0 or P11BYOK_EFAIL after one line naming C_Logout.  */
int p11_logout_checked(struct p11 *p);

#endif
