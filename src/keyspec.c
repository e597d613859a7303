/* keyspec.c: key types, sizes and names; see keyspec.h. */
#include "config.h"
#include "keyspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name, *alias1, *alias2;
	unsigned bits;
} curves[] = {
	{ "P-256", "prime256v1", "secp256r1", 256 },
	{ "P-384", "secp384r1", NULL, 384 },
	{ "P-521", "secp521r1", NULL, 521 },
};

/* S as plain decimal digits, no sign, no leading zero: what a size is written as.  strtoul
 * alone would also take "+2048", " 2048" and, with base 0, "0x800" and "04000" (octal), all
 * as 2048; YAML 1.1 readers take "2_048" so too.  One spelling keeps every reader of a
 * runbook agreeing on the number.  */
static int
parse_decimal(const char *s, unsigned long *out)
{
	char *end;
	if (s == NULL || !isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (const char *c = s; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c))
			return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* A public exponent: plain decimal, or 0x and hex digits as OpenSSL prints it (0x10001). */
static int
parse_pubexp(const char *s, unsigned long *out)
{
	char *end;
	if (s == NULL || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_decimal(s, out);
	for (const char *c = s + 2; *c != '\0'; c++)
		if (!isxdigit((unsigned char)*c))
			return -1;
	if (s[2] == '\0')
		return -1;
	errno = 0;
	*out = strtoul(s + 2, &end, 16);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* The size error: SIZE not a plain decimal number, or not one of ALLOWED for TYPE. */
static enum keyspec_error
bad_size(const char *type, const char *size, const char *allowed, char *err, size_t errlen)
{
	unsigned long n;
	if (size != NULL && parse_decimal(size, &n) < 0)
		snprintf(err, errlen, "%s size '%s' is not a plain decimal number: use %s",
		    type, size, allowed);
	else
		snprintf(err, errlen, "%s size '%s' is not supported: use %s", type,
		    size ? size : "", allowed);
	return KS_BAD_SIZE;
}

enum keyspec_error
keyspec_parse(const char *type, const char *size, const char *curve, const char *pubexp,
    struct keyspec *out, char *err, size_t errlen)
{
	unsigned long n = 0;

	memset(out, 0, sizeof *out);
	if (type == NULL || *type == '\0') {
		snprintf(err, errlen, "no key type: give the type, RSA, EC or AES");
		return KS_BAD_TYPE;
	}
	if (strcasecmp(type, "RSA") == 0) {
		out->type = KEY_RSA;
		if (curve != NULL) {
			snprintf(err, errlen, "curve is for EC keys, not RSA: leave it out");
			return KS_BAD_CURVE;
		}
		if (size == NULL || parse_decimal(size, &n) < 0 ||
		    (n != 2048 && n != 3072 && n != 4096))
			return bad_size("RSA", size, "2048, 3072 or 4096", err, errlen);
		out->bits = (unsigned)n;
		out->pubexp = 65537;
		if (pubexp != NULL && *pubexp != '\0') {
			if (parse_pubexp(pubexp, &n) < 0) {
				snprintf(err, errlen, "pubexp '%s' is not a plain decimal number or 0x "
				    "and hex digits (no sign or leading zero): write 65537 or 0x10001, "
				    "or leave it out for 65537", pubexp);
				return KS_BAD_PUBEXP;
			}
			if (n < 3 || n % 2 == 0 || n > 0xffffffffUL) {
				snprintf(err, errlen, "pubexp '%s' is not an odd number of at least 3 "
				    "(plain decimal or 0x hex; leave it out for 65537)", pubexp);
				return KS_BAD_PUBEXP;
			}
			out->pubexp = n;
		}
		return KS_OK;
	}
	if (pubexp != NULL && *pubexp != '\0') {
		snprintf(err, errlen, "pubexp is for RSA keys only: leave it out");
		return KS_BAD_PUBEXP;
	}
	if (strcasecmp(type, "EC") == 0 || strcasecmp(type, "ECDSA") == 0) {
		out->type = KEY_EC;
		if (curve == NULL) {
			snprintf(err, errlen, "EC keys need a curve: P-256, P-384 or P-521");
			return KS_BAD_CURVE;
		}
		for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
			if (strcasecmp(curve, curves[i].name) == 0 ||
			    strcasecmp(curve, curves[i].alias1) == 0 ||
			    (curves[i].alias2 && strcasecmp(curve, curves[i].alias2) == 0)) {
				out->curve = curves[i].name;
				out->bits = curves[i].bits;
			}
		if (out->curve == NULL) {
			snprintf(err, errlen, "curve '%s' is not supported: use P-256, P-384 or P-521",
			    curve);
			return KS_BAD_CURVE;
		}
		if (size != NULL && (parse_decimal(size, &n) < 0 || n != out->bits)) {
			snprintf(err, errlen, "size %s does not match curve %s (%u bits): leave size "
			    "out for EC keys", size, out->curve, out->bits);
			return KS_BAD_SIZE;
		}
		return KS_OK;
	}
	if (strcasecmp(type, "AES") == 0) {
		out->type = KEY_AES;
		if (curve != NULL) {
			snprintf(err, errlen, "curve is for EC keys, not AES: leave it out");
			return KS_BAD_CURVE;
		}
		if (size == NULL || parse_decimal(size, &n) < 0 ||
		    (n != 128 && n != 192 && n != 256))
			return bad_size("AES", size, "128, 192 or 256", err, errlen);
		out->bits = (unsigned)n;
		return KS_OK;
	}
	snprintf(err, errlen, "key type '%s' is not supported: use RSA, EC or AES", type);
	return KS_BAD_TYPE;
}

const char *
keyspec_name(const struct keyspec *ks, char *buf, size_t len)
{
	if (ks->type == KEY_EC)
		snprintf(buf, len, "EC %s", ks->curve);
	else
		snprintf(buf, len, "%s-%u", ks->type == KEY_RSA ? "RSA" : "AES", ks->bits);
	return buf;
}

bool
keyspec_valid_ident(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'z') && *s != '-')
			return false;
	return true;
}

bool
keyspec_valid_friendly_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 127)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

bool
keyspec_valid_guid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}
