/* digest.h: SHA-256 of files in constant memory, and the hex forms people type. */
#ifndef P11BYOK_DIGEST_H
#define P11BYOK_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA1_LEN 20

/* SHA-256 of the file at PATH, streamed in fixed-size blocks.  Returns 0, or
 * P11BYOK_EUSAGE (cannot open or read: one line printed naming PATH).  */
int digest_sha256_file(const char *path, unsigned char out[SHA256_LEN]);

/* Writes LEN bytes as lower- or upper-case hex plus NUL into OUT (2*LEN+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out, int upper);

/* Whether S (may be NULL) is a SHA-256 as we write it: exactly 64 lower-case hex digits. */
bool hex_is_sha256(const char *s);

/* Parses hex digits, ignoring spaces, tabs and colons, any case.  Returns the number of
 * bytes written to OUT (at most MAX), or -1 when a character is not hex, the digit count
 * is odd, or the value is longer than MAX.  */
long hex_decode(const char *in, unsigned char *out, size_t max);

#endif
