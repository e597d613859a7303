/* b64.c: base64 both ways, on OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock; see b64.h. */
#include "config.h"
#include "b64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *
b64_encode(const unsigned char *in, size_t len, bool url)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	int n;

	if (out == NULL || len > (size_t)INT32_MAX / 2) {
		free(out);
		return NULL;
	}
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (url) {
		for (int i = 0; i < n; i++)
			out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
		while (n > 0 && out[n - 1] == '=')
			n--;
	}
	out[n] = '\0';
	return out;
}

int
b64_decode(const char *in, bool url, unsigned char **out, size_t *outlen)
{
	size_t len = strlen(in), pad = 0, padded;
	char *std = NULL;
	unsigned char *buf = NULL;
	int n, r = -1;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)INT32_MAX / 2)
		return -1;
	padded = url ? (len + 3) / 4 * 4 : len;
	if (padded % 4 != 0 || (std = malloc(padded + 1)) == NULL)
		goto out;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (url) {
			if (c == '+' || c == '/')
				goto out;	/* the other alphabet: refuse, do not guess */
			c = c == '-' ? '+' : c == '_' ? '/' : c;
		} else if (c == '-' || c == '_') {
			goto out;
		}
		if (c == '=' && i + 2 < len)
			goto out;
		std[i] = c;
	}
	for (size_t i = len; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	for (size_t i = padded; i > 0 && std[i - 1] == '='; i--)
		pad++;
	if (pad > 2 || (buf = malloc(padded / 4 * 3 + 1)) == NULL)
		goto out;
	/* EVP_DecodeBlock rejects bad characters, but counts padding as zero bytes. */
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)std, (int)padded)) < 0 ||
	    (size_t)n < pad)
		goto out;
	*out = buf;
	*outlen = (size_t)n - pad;
	buf = NULL;
	r = 0;
out:
	free(std);
	free(buf);
	return r;
}
