/* digest.c: streaming SHA-256 and hex conversion; see digest.h. */
#include "config.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

/* Large enough to amortise read() and EVP calls, small enough to stay in L2. */
#define BLOCK (256 * 1024)

int
digest_sha256_file(const char *path, unsigned char out[SHA256_LEN])
{
	static unsigned char buf[BLOCK];
	int r = P11BYOK_EUSAGE, fd = -1;
	EVP_MD_CTX *md = NULL;
	EVP_MD *sha256 = NULL;
	unsigned int outlen = 0;
	ssize_t n;

	if ((fd = fs_open_input(path, "file")) < 0)
		goto out;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(md, sha256, NULL)) {
		msg_ssl("cannot start SHA-256");
		r = P11BYOK_EFAIL;
		goto out;
	}
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			msg_err("cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
			msg_ssl("SHA-256 of %s failed", path);
			r = P11BYOK_EFAIL;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(md, out, &outlen) || outlen != SHA256_LEN) {
		msg_ssl("SHA-256 of %s failed", path);
		r = P11BYOK_EFAIL;
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_MD_free(sha256);
	if (fd >= 0)
		close(fd);
	return r;
}

void
hex_encode(const unsigned char *in, size_t len, char *out, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
hex_decode(const char *in, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *in != '\0'; in++) {
		int v;
		if (*in == ' ' || *in == '\t' || *in == ':')
			continue;
		if ((v = hexval(*in)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi >= 0 ? -1 : (long)n;
}

bool
hex_is_sha256(const char *s)
{
	if (s == NULL || strlen(s) != 2 * SHA256_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}
