/* msg.c: error, warning and progress lines; see msg.h. */
#include "config.h"
#include "msg.h"

#include <openssl/err.h>
#include <p11-kit/p11-kit.h>
#include <stdlib.h>
#include <string.h>

static bool quiet, verbose, json, bar_shown, held;
/* The first error said, without the program name: the failure document's "error". */
static char *first_error;

void msg_set_quiet(bool q) { quiet = q; }
void msg_set_verbose(bool v) { verbose = v; }
void msg_set_json(bool j) { json = j; }
void msg_hold(bool h) { held = h; }
bool msg_json(void) { return json; }
FILE *msg_stream(void) { return json ? stderr : stdout; }

/* A progress bar holds the terminal's last line: cleared before anything else is said. */
static void
clear_bar(void)
{
	if (bar_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		bar_shown = false;
	}
}

void
msg_bar(const char *text)
{
	clear_bar();
	if (text == NULL || quiet)
		return;
	fputs(text, stderr);
	fflush(stderr);
	bar_shown = true;
}

void
msg_remember_error(const char *fmt, va_list ap)
{
	if (first_error == NULL && vasprintf(&first_error, fmt, ap) < 0)
		first_error = NULL;
}

const char *
msg_first_error(void)
{
	return first_error;
}

/* Writes one line.  An error line (ERROR) is also remembered, suffix and all.  The line is
 * allocated, not cut to a buffer: a message naming a long path keeps its what-to-do.  */
static void
vline(FILE *f, const char *prefix, const char *fmt, va_list ap, const char *suffix, bool error)
{
	char *line = NULL;
	if (held)
		return;
	clear_bar();
	fflush(stdout);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	if (error && first_error == NULL && asprintf(&first_error, "%s%s",
	    line ? line : "out of memory", suffix ? suffix : "") < 0)
		first_error = NULL;
	fputs(prefix, f);
	fputs(line ? line : "out of memory formatting a message", f);
	if (suffix != NULL)
		fputs(suffix, f);
	fputc('\n', f);
	fflush(f);
	free(line);
}

void
msg_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, PACKAGE ": ", fmt, ap, NULL, true);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, PACKAGE ": warning: ", fmt, ap, NULL, false);
	va_end(ap);
}

void
msg_out(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	clear_bar();
	va_start(ap, fmt);
	vfprintf(msg_stream(), fmt, ap);
	va_end(ap);
	fflush(msg_stream());
}

void
msg_debug(const char *fmt, ...)
{
	va_list ap;
	if (!verbose)
		return;
	va_start(ap, fmt);
	vline(stderr, PACKAGE ": ", fmt, ap, NULL, false);
	va_end(ap);
}

static CK_RV last_ck = CKR_OK;

CK_RV
msg_last_ck(void)
{
	return last_ck;
}

bool
msg_ck_inability(CK_RV rv)
{
	return rv == CKR_FUNCTION_NOT_SUPPORTED || rv == CKR_MECHANISM_INVALID ||
	    rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT ||
	    rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_READ_ONLY;
}

void
msg_ck(CK_RV rv, const char *fmt, ...)
{
	char suffix[256];
	last_ck = rv;
	va_list ap;
	snprintf(suffix, sizeof suffix, ": %s (%s)", p11_kit_strerror(rv), ck_rv_name(rv));
	va_start(ap, fmt);
	vline(stderr, PACKAGE ": ", fmt, ap, suffix, true);
	va_end(ap);
}

void
msg_ssl(const char *fmt, ...)
{
	char suffix[512] = "", buf[256];
	unsigned long e;
	va_list ap;
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		if (strlen(suffix) + strlen(buf) + 3 < sizeof suffix) {
			strcat(suffix, suffix[0] ? "; " : ": ");
			strcat(suffix, buf);
		}
	}
	va_start(ap, fmt);
	vline(stderr, PACKAGE ": ", fmt, ap, suffix, true);
	va_end(ap);
}

const char *
ck_rv_name(CK_RV rv)
{
	static const struct { CK_RV rv; const char *name; } names[] = {
#define N(x) { x, #x }
		N(CKR_OK), N(CKR_CANCEL), N(CKR_HOST_MEMORY), N(CKR_SLOT_ID_INVALID),
		N(CKR_GENERAL_ERROR), N(CKR_FUNCTION_FAILED), N(CKR_ARGUMENTS_BAD),
		N(CKR_NO_EVENT), N(CKR_NEED_TO_CREATE_THREADS), N(CKR_CANT_LOCK),
		N(CKR_ATTRIBUTE_READ_ONLY), N(CKR_ATTRIBUTE_SENSITIVE), N(CKR_ATTRIBUTE_TYPE_INVALID),
		N(CKR_ATTRIBUTE_VALUE_INVALID), N(CKR_ACTION_PROHIBITED), N(CKR_DATA_INVALID),
		N(CKR_DATA_LEN_RANGE), N(CKR_DEVICE_ERROR), N(CKR_DEVICE_MEMORY), N(CKR_DEVICE_REMOVED),
		N(CKR_ENCRYPTED_DATA_INVALID), N(CKR_ENCRYPTED_DATA_LEN_RANGE), N(CKR_FUNCTION_CANCELED),
		N(CKR_FUNCTION_NOT_PARALLEL), N(CKR_FUNCTION_NOT_SUPPORTED), N(CKR_KEY_HANDLE_INVALID),
		N(CKR_KEY_SIZE_RANGE), N(CKR_KEY_TYPE_INCONSISTENT), N(CKR_KEY_NOT_NEEDED),
		N(CKR_KEY_CHANGED), N(CKR_KEY_NEEDED), N(CKR_KEY_INDIGESTIBLE),
		N(CKR_KEY_FUNCTION_NOT_PERMITTED), N(CKR_KEY_NOT_WRAPPABLE), N(CKR_KEY_UNEXTRACTABLE),
		N(CKR_MECHANISM_INVALID), N(CKR_MECHANISM_PARAM_INVALID), N(CKR_OBJECT_HANDLE_INVALID),
		N(CKR_OPERATION_ACTIVE), N(CKR_OPERATION_NOT_INITIALIZED), N(CKR_PIN_INCORRECT),
		N(CKR_PIN_INVALID), N(CKR_PIN_LEN_RANGE), N(CKR_PIN_EXPIRED), N(CKR_PIN_LOCKED),
		N(CKR_SESSION_CLOSED), N(CKR_SESSION_COUNT), N(CKR_SESSION_HANDLE_INVALID),
		N(CKR_SESSION_PARALLEL_NOT_SUPPORTED), N(CKR_SESSION_READ_ONLY), N(CKR_SESSION_EXISTS),
		N(CKR_SESSION_READ_ONLY_EXISTS), N(CKR_SESSION_READ_WRITE_SO_EXISTS),
		N(CKR_SIGNATURE_INVALID), N(CKR_SIGNATURE_LEN_RANGE), N(CKR_TEMPLATE_INCOMPLETE),
		N(CKR_TEMPLATE_INCONSISTENT), N(CKR_TOKEN_NOT_PRESENT), N(CKR_TOKEN_NOT_RECOGNIZED),
		N(CKR_TOKEN_WRITE_PROTECTED), N(CKR_UNWRAPPING_KEY_HANDLE_INVALID),
		N(CKR_UNWRAPPING_KEY_SIZE_RANGE), N(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
		N(CKR_USER_ALREADY_LOGGED_IN), N(CKR_USER_NOT_LOGGED_IN), N(CKR_USER_PIN_NOT_INITIALIZED),
		N(CKR_USER_TYPE_INVALID), N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
		N(CKR_USER_TOO_MANY_TYPES), N(CKR_WRAPPED_KEY_INVALID), N(CKR_WRAPPED_KEY_LEN_RANGE),
		N(CKR_WRAPPING_KEY_HANDLE_INVALID), N(CKR_WRAPPING_KEY_SIZE_RANGE),
		N(CKR_WRAPPING_KEY_TYPE_INCONSISTENT), N(CKR_RANDOM_SEED_NOT_SUPPORTED),
		N(CKR_RANDOM_NO_RNG), N(CKR_DOMAIN_PARAMS_INVALID), N(CKR_CURVE_NOT_SUPPORTED),
		N(CKR_BUFFER_TOO_SMALL), N(CKR_SAVED_STATE_INVALID), N(CKR_INFORMATION_SENSITIVE),
		N(CKR_STATE_UNSAVEABLE), N(CKR_CRYPTOKI_NOT_INITIALIZED),
		N(CKR_CRYPTOKI_ALREADY_INITIALIZED), N(CKR_MUTEX_BAD), N(CKR_MUTEX_NOT_LOCKED),
		N(CKR_FUNCTION_REJECTED),
#undef N
	};
	static char other[32];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(other, sizeof other, "CKR_0x%08lx", (unsigned long)rv);
	return other;
}
