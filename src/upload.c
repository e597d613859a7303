/* upload.c: the az and Add-AzKeyVaultKey lines; see upload.h. */
#include "config.h"
#include "upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* S as one word of a POSIX shell: as it is when every character is safe, else in single
 * quotes (a quote inside written '\'').  A new string, or NULL.  */
static char *
sh_word(const char *s)
{
	size_t n = 3;
	char *out, *o;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_./:=@%+-") == strlen(s))
		return strdup(s);
	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	if ((o = out = malloc(n)) == NULL)
		return NULL;
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* S as a PowerShell single-quoted string ('' for a quote).  A new string, or NULL. */
static char *
ps_word(const char *s)
{
	size_t n = 3;
	char *out, *o;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 2 : 1;
	if ((o = out = malloc(n)) == NULL)
		return NULL;
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		*o++ = *c;
		if (*c == '\'')
			*o++ = '\'';
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

bool
upload_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 3 || n > 24 || !((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= 'A' && name[0] <= 'Z')) || name[n - 1] == '-' ||
	    strstr(name, "--") != NULL)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int
upload_lines(const struct keyspec *spec, const char *name, const char *path,
    const struct upload_target *t, char **az, char **ps)
{
	const char *kty = spec->type == KEY_RSA ? "RSA" : spec->type == KEY_EC ? "EC" : "oct";
	/* An AES key goes to a Managed HSM: Key Vault takes RSA and EC keys only. */
	bool hsm = t->hsm != NULL || spec->type == KEY_AES;
	const char *where = t->hsm ? t->hsm : hsm ? "HSM" : t->vault ? t->vault : "VAULT";
	char *sw = sh_word(where), *sn = sh_word(name), *sp = sh_word(path), *ss = NULL;
	char *pw = ps_word(where), *pn = ps_word(name), *pp = ps_word(path);
	char curve_az[64] = "", type_ps[64] = "", sub[512] = "";
	int r = -1;

	*az = *ps = NULL;
	if (t->subscription != NULL && (ss = sh_word(t->subscription)) != NULL)
		snprintf(sub, sizeof sub, " --subscription %s", ss);
	if (sw == NULL || sn == NULL || sp == NULL || pw == NULL || pn == NULL || pp == NULL ||
	    (t->subscription != NULL && ss == NULL))
		goto out;
	if (spec->type == KEY_EC) {
		snprintf(curve_az, sizeof curve_az, " --curve %s", spec->curve);
		snprintf(type_ps, sizeof type_ps, " -KeyType EC -CurveName %s", spec->curve);
	} else if (spec->type == KEY_AES) {
		snprintf(type_ps, sizeof type_ps, " -KeyType oct");
	}
	if (asprintf(az, "az keyvault key import %s %s --name %s --byok-file %s --kty %s%s%s",
	    hsm ? "--hsm-name" : "--vault-name", sw, sn, sp, kty, curve_az, sub) < 0) {
		*az = NULL;
		goto out;
	}
	if (asprintf(ps, "Add-AzKeyVaultKey %s %s -Name %s -KeyFilePath %s%s%s",
	    hsm ? "-HsmName" : "-VaultName", pw, pn, pp, hsm ? "" : " -Destination HSM",
	    type_ps) < 0) {
		*ps = NULL;
		free(*az);
		*az = NULL;
		goto out;
	}
	r = 0;
out:
	free(sw), free(sn), free(sp), free(ss), free(pw), free(pn), free(pp);
	return r;
}
