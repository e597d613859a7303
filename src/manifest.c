/* manifest.c: loading and checking region manifests; see manifest.h. */
#include "config.h"
#include "manifest.h"
#include "fsutil.h"
#include "msg.h"
#include "yamldoc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
manifest_dir(const char *opt)
{
	return opt != NULL ? opt : REGIONSDIR;
}

void
region_clear(struct region *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->name);
	free(r->code);
	free(r->toolset_file);
	free(r->kek_package);
	free(r->world_package);
	memset(r, 0, sizeof *r);
}

void
region_set_free(struct region_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		region_clear(&set->v[i]);
	free(set->v);
	free(set);
}

/* A copy of the non-empty scalar at NODE, or an error naming FIELD. */
static int
text_field(struct ydoc *doc, int node, const char *field, char **out)
{
	const char *s = ydoc_scalar(doc, node);
	if (s == NULL || *s == '\0')
		return ydoc_err(doc, node, "field '%s' is empty; give a value", field);
	if ((*out = strdup(s)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	return 0;
}

static int
package_field(struct ydoc *doc, int node, const char *field, const char *prefix, char **out)
{
	int r;
	if ((r = text_field(doc, node, field, out)) != 0)
		return r;
	if (strncmp(*out, prefix, strlen(prefix)) != 0 || strchr(*out, '/') != NULL)
		return ydoc_err(doc, node, "field '%s' must be a package name starting with %s",
		    field, prefix);
	return 0;
}

int
manifest_load_file(const char *path, struct region *reg)
{
	int r = P11BYOK_EUSAGE;
	struct ydoc *doc = NULL;
	int name = 0, code = 0, toolset = 0, kek = 0, world = 0, root = 0, tfile = 0, tsha = 0;
	const struct yfield fields[] = {
		{ "name", true, Y_SCALAR, &name },
		{ "code", true, Y_SCALAR, &code },
		{ "toolset", true, Y_MAP, &toolset },
		{ "kek_package", true, Y_SCALAR, &kek },
		{ "world_package", true, Y_SCALAR, &world },
		{ "root_key_hash", true, Y_SCALAR, &root },
	};
	const struct yfield toolset_fields[] = {
		{ "file", true, Y_SCALAR, &tfile },
		{ "sha256", true, Y_SCALAR, &tsha },
	};
	long n;

	memset(reg, 0, sizeof *reg);
	if ((r = ydoc_load(path, "region manifest", &doc)) != 0)
		goto out;
	if ((r = ydoc_check_text(doc, "region manifest")) != 0 ||
	    (r = ydoc_check_tags(doc, "region manifest")) != 0 ||
	    (r = ydoc_map_fields(doc, ydoc_root(doc), "region manifest", fields, 6)) != 0 ||
	    (r = ydoc_map_fields(doc, toolset, "toolset", toolset_fields, 2)) != 0)
		goto out;
	if ((reg->path = strdup(path)) == NULL) {
		r = P11BYOK_EFAIL;
		goto out;
	}
	if ((r = text_field(doc, name, "name", &reg->name)) != 0 ||
	    (r = text_field(doc, code, "code", &reg->code)) != 0 ||
	    (r = text_field(doc, tfile, "toolset.file", &reg->toolset_file)) != 0 ||
	    (r = package_field(doc, kek, "kek_package", "BYOK-KEK-pkg-", &reg->kek_package)) != 0 ||
	    (r = package_field(doc, world, "world_package", "BYOK-SecurityWorld-pkg-",
	    &reg->world_package)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	for (const char *c = reg->code; *c; c++)
		if (!isupper((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-') {
			ydoc_err(doc, code, "region code '%s' must be upper-case letters, digits "
			    "and dashes", reg->code);
			goto out;
		}
	if (strchr(reg->toolset_file, '/') != NULL) {
		ydoc_err(doc, tfile, "toolset.file must be a file name, not a path");
		goto out;
	}
	n = hex_decode(ydoc_scalar(doc, tsha), reg->toolset_sha256, SHA256_LEN);
	if (n != SHA256_LEN) {
		ydoc_err(doc, tsha, "toolset.sha256 must be 64 hex digits (a SHA-256), got '%s'",
		    ydoc_scalar(doc, tsha));
		goto out;
	}
	n = hex_decode(ydoc_scalar(doc, root), reg->root_key_hash, SHA256_LEN);
	if (n != SHA1_LEN && n != SHA256_LEN) {
		ydoc_err(doc, root, "root_key_hash must be 40 hex digits (SHA-1) or 64 (SHA-256), "
		    "spaces allowed, got '%s'", ydoc_scalar(doc, root));
		goto out;
	}
	reg->root_key_hash_len = (size_t)n;
	r = 0;
out:
	if (r != 0)
		region_clear(reg);
	ydoc_free(doc);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_yaml_name(const char *name)
{
	size_t len = strlen(name);
	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

/* Two manifests sharing a code, name or toolset file make lookups ambiguous. */
static int
check_unique(const struct region_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < i; j++) {
			const struct region *a = &set->v[j], *b = &set->v[i];
			const char *what = NULL;
			if (strcasecmp(a->code, b->code) == 0)
				what = "region code";
			else if (strcasecmp(a->name, b->name) == 0)
				what = "region name";
			else if (strcasecmp(a->toolset_file, b->toolset_file) == 0)
				what = "toolset file";
			if (what != NULL) {
				msg_err("%s: duplicate %s: %s already uses it; give each region its own",
				    b->path, what, a->path);
				return P11BYOK_EUSAGE;
			}
		}
	return 0;
}

int
manifest_load_dir(const char *dir, struct region_set **out)
{
	int r = P11BYOK_EUSAGE;
	struct region_set *set = NULL;
	struct dirent *de;
	char **names = NULL, *path = NULL;
	size_t nnames = 0;
	DIR *d = NULL;

	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		msg_err("cannot read region manifests in %s: %s; give --regions DIR", dir,
		    strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		char **grown;
		if (!is_yaml_name(de->d_name))
			continue;
		if ((grown = realloc(names, (nnames + 1) * sizeof *names)) == NULL)
			goto oom;
		names = grown;
		if ((names[nnames] = strdup(de->d_name)) == NULL)
			goto oom;
		nnames++;
	}
	if (nnames == 0) {
		msg_err("no region manifests (*.yaml) in %s; give --regions DIR", dir);
		goto out;
	}
	qsort(names, nnames, sizeof *names, cmp_names);
	if ((set = calloc(1, sizeof *set)) == NULL ||
	    (set->v = calloc(nnames, sizeof *set->v)) == NULL)
		goto oom;
	for (size_t i = 0; i < nnames; i++) {
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			goto oom;
		}
		if ((r = manifest_load_file(path, &set->v[set->n])) != 0)
			goto out;
		set->n++;
		free(path);
		path = NULL;
	}
	if ((r = check_unique(set)) != 0)
		goto out;
	*out = set;
	set = NULL;
	r = 0;
	goto out;
oom:
	msg_err("out of memory reading region manifests");
	r = P11BYOK_EFAIL;
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(path);
	region_set_free(set);
	return r;
}

const struct region *
region_find(const struct region_set *set, const char *key)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->v[i].code, key) == 0 || strcasecmp(set->v[i].name, key) == 0)
			return &set->v[i];
	return NULL;
}

const struct region *
region_by_toolset(const struct region_set *set, const char *basename)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->v[i].toolset_file, basename) == 0)
			return &set->v[i];
	return NULL;
}

const char *
region_codes(const struct region_set *set, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		if (strlen(buf) + strlen(set->v[i].code) + 3 >= len)
			break;
		strcat(buf, i ? ", " : "");
		strcat(buf, set->v[i].code);
	}
	return buf;
}

const struct region *
region_lookup(const struct region_set *set, const char *key)
{
	const struct region *r = region_find(set, key);
	char codes[512];

	if (r != NULL)
		return r;
	msg_err("unknown region '%s': give a region name or code (%s); 'p11byok regions' "
	    "lists them", key, region_codes(set, codes, sizeof codes));
	return NULL;
}

int
manifest_check_toolset(const struct region_set *set, const char *file,
    const char *region_key, const struct region **reg, unsigned char actual[SHA256_LEN],
    bool *match)
{
	int r;

	*match = false;
	if (region_key != NULL) {
		if ((*reg = region_lookup(set, region_key)) == NULL)
			return P11BYOK_EUSAGE;
	} else if ((*reg = region_by_toolset(set, fs_basename(file))) == NULL) {
		msg_err("cannot tell the region of %s from its name (no manifest names a toolset "
		    "file '%s'): give --region NAME|CODE", file, fs_basename(file));
		return P11BYOK_EUSAGE;
	}
	if ((r = digest_sha256_file(file, actual)) != 0)
		return r;
	*match = memcmp(actual, (*reg)->toolset_sha256, SHA256_LEN) == 0;
	return 0;
}
