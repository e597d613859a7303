/* msg.h: the one channel for what p11byok says to people.
 *
 * Errors and warnings go to stderr as one line: "p11byok: what failed: on what; what to do".
 * Human output goes to stdout, or to stderr when --json owns stdout.  */
#ifndef P11BYOK_MSG_H
#define P11BYOK_MSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <p11-kit/pkcs11.h>

/* Exit codes of DESIGN.md §1; functions across the tool return these. */
enum {
	P11BYOK_OK = 0,
	P11BYOK_EFAIL = 1,	/* the operation failed: mismatch, HSM refused, ... */
	P11BYOK_EUSAGE = 2,	/* usage or input error */
	P11BYOK_EENV = 3,	/* environment: module will not load, token absent */
};

#define MSG_PRINTF(f, a) __attribute__((format(printf, f, a)))

void msg_set_quiet(bool quiet);
void msg_set_verbose(bool verbose);
void msg_set_json(bool json);
bool msg_json(void);
/* While held, error and warning lines are neither printed nor remembered: for a
 * best-effort step whose own failure the user already knows the cause of.  */
void msg_hold(bool hold);

/* Error line on stderr, prefixed with the program name. */
void msg_err(const char *fmt, ...) MSG_PRINTF(1, 2);
/* Warning line on stderr, even under --quiet. */
void msg_warn(const char *fmt, ...) MSG_PRINTF(1, 2);
/* Human output: stdout, stderr under --json, nothing under --quiet. */
void msg_out(const char *fmt, ...) MSG_PRINTF(1, 2);
/* Detail shown only with --verbose, on stderr. */
void msg_debug(const char *fmt, ...) MSG_PRINTF(1, 2);
/* Error line ending with ": <p11-kit's text> (CKR_NAME)" for rv. */
void msg_ck(CK_RV rv, const char *fmt, ...) MSG_PRINTF(2, 3);
/* The CK_RV the last msg_ck reported (CKR_OK when none), and whether an answer says the
 * module cannot do what was asked at all (running again fails the same way).  */
CK_RV msg_last_ck(void);
bool msg_ck_inability(CK_RV rv);
/* Error line ending with the drained OpenSSL error queue. */
void msg_ssl(const char *fmt, ...) MSG_PRINTF(1, 2);

/* The first error line said (msg_err, msg_ck, msg_ssl, or one remembered), without the
 * program name, or NULL: the "error" of the --json failure document.  */
const char *msg_first_error(void);
/* Remembers an error line printed some other way (getopt's, a usage error's). */
void msg_remember_error(const char *fmt, va_list ap);

/* The CKR_ name of rv ("CKR_PIN_INCORRECT"), or "CKR_0x..." in a static buffer. */
const char *ck_rv_name(CK_RV rv);
/* Shows TEXT (one line, no newline) as the progress bar on stderr's last line, replacing
 * the one shown; NULL clears it.  Every other message clears it first.  */
void msg_bar(const char *text);

/* Stream for human output (stdout or stderr under --json). */
FILE *msg_stream(void);

#endif
