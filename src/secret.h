/* secret.h: PINs and passphrases, read without argv, held in OpenSSL's secure heap, wiped.
 *
 * Every secret these functions return is NUL-terminated, lives in the secure heap when it
 * could be set up, and must be released with secret_free.  */
#ifndef P11BYOK_SECRET_H
#define P11BYOK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Sets up the locked secure heap once; warns when it cannot be had at all. */
void secret_init(void);

/* At start: no core dumps and no same-user ptrace (PR_SET_DUMPABLE 0, RLIMIT_CORE 0), the
 * secure heap, and P11BYOK_PIN moved out of the environment into it, whichever PIN source
 * the command then uses.  */
void secret_harden_process(void);

/* Whether P11BYOK_PIN was set when the process started. */
bool secret_env_pin_given(void);

/* Reads a secret from the first line of PATH (a trailing newline is dropped).  WHAT names it
 * in errors ("PIN file").  Returns 0, or P11BYOK_EUSAGE when the file cannot be read, is
 * empty, or holds more than one line.  */
int secret_from_file(const char *path, const char *what, char **out, size_t *len);

/* Asks on the terminal with echo off.  Returns 0, or P11BYOK_EUSAGE when there is no
 * terminal (the message names WHAT and the non-interactive sources).  */
int secret_prompt(const char *prompt, const char *what, char **out, size_t *len);

/* The file path a URI pin-source names ("file:/p", "file:///p" or "/p"), pointing into
 * SOURCE; NULL when it names no absolute file path (commands and relative paths are refused). */
const char *secret_pin_source_path(const char *source);

/* The user PIN from the sources of DESIGN.md §1, in order: URI_PIN_SOURCE ("file:PATH" or a
 * path), PIN_FILE, $P11BYOK_PIN (warned, then wiped from the environment), a prompt naming
 * TOKEN.  *SOURCE receives a static description for messages ("--pin-file /x").  */
int secret_user_pin(const char *uri_pin_source, const char *pin_file, const char *token,
    char **pin, size_t *len, const char **source);

/* Wipes and frees a secret returned above; NULL is fine. */
void secret_free(char *secret, size_t len);

#endif
