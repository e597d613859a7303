/* b64.h: base64, standard (RFC 4648 §4) and URL-safe without padding (§5), via OpenSSL. */
#ifndef P11BYOK_B64_H
#define P11BYOK_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Encodes LEN bytes into a new NUL-terminated string the caller frees; NULL when out of
 * memory.  URL selects the URL-safe alphabet without '=' padding.  */
char *b64_encode(const unsigned char *in, size_t len, bool url);

/* Decodes IN (standard alphabet with padding when URL is false; URL-safe, padding optional
 * when true) into a new buffer the caller frees.  Returns 0, or -1 when IN holds a character
 * outside the alphabet or has an impossible length.  */
int b64_decode(const char *in, bool url, unsigned char **out, size_t *outlen);

#endif
