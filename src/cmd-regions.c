/* cmd-regions.c: p11byok regions [NAME|CODE] — the region table of the seed (step 1.3). */
#include "config.h"
#include "cli.h"
#include "jsonout.h"
#include "manifest.h"
#include "msg.h"

#include <stdlib.h>

static json_t *
region_json(const struct region *r)
{
	char sha[2 * SHA256_LEN + 1], root[2 * SHA256_LEN + 1];
	hex_encode(r->toolset_sha256, SHA256_LEN, sha, 1);
	hex_encode(r->root_key_hash, r->root_key_hash_len, root, 0);
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s}",
	    "name", r->name, "code", r->code,
	    "toolset", "file", r->toolset_file, "sha256", sha,
	    "kek_package", r->kek_package, "world_package", r->world_package,
	    "root_key_hash", root, "manifest", r->path);
}

static void
print_one(const struct region *r)
{
	char sha[2 * SHA256_LEN + 1], root[2 * SHA256_LEN + 1];
	hex_encode(r->toolset_sha256, SHA256_LEN, sha, 1);
	hex_encode(r->root_key_hash, r->root_key_hash_len, root, 0);
	msg_out("Region:          %s\n", r->name);
	msg_out("Code:            %s\n", r->code);
	msg_out("Toolset file:    %s\n", r->toolset_file);
	msg_out("Toolset SHA-256: %s\n", sha);
	msg_out("KEK package:     %s\n", r->kek_package);
	msg_out("World package:   %s\n", r->world_package);
	msg_out("Root key hash:   %s\n", root);
	msg_out("Manifest:        %s\n", r->path);
}

static void
print_table(const struct region_set *set)
{
	msg_out("%-18s %-13s %-40s %-64s %-25s %s\n", "NAME", "CODE", "TOOLSET", "SHA-256",
	    "KEK PACKAGE", "WORLD PACKAGE");
	for (size_t i = 0; i < set->n; i++) {
		const struct region *r = &set->v[i];
		char sha[2 * SHA256_LEN + 1];
		hex_encode(r->toolset_sha256, SHA256_LEN, sha, 1);
		msg_out("%-18s %-13s %-40s %-64s %-25s %s\n", r->name, r->code, r->toolset_file,
		    sha, r->kek_package, r->world_package);
	}
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_OPTIONS };
	struct region_set *set = NULL;
	const struct region *one = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	if (argc - optind > 1)
		return cli_usage_error(cmd, "give at most one region name or code");
	if ((r = manifest_load_dir(manifest_dir(ctx_regions(ctx)), &set)) != 0)
		goto out;
	if (optind < argc && (one = region_lookup(set, argv[optind])) == NULL) {
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if (msg_json()) {
		json_t *doc = json_array();
		for (size_t i = 0; doc != NULL && i < set->n; i++)
			if (one == NULL || one == &set->v[i])
				json_array_append_new(doc, region_json(&set->v[i]));
		r = json_emit(doc);
	} else if (one != NULL) {
		print_one(one);
	} else {
		print_table(set);
	}
out:
	region_set_free(set);
	return r;
}

static const struct opt_doc opts[] = { { NULL, NULL, NULL } };

const struct command cmd_regions = {
	"regions", "[NAME|CODE]",
	"list the regions: name, code, toolset file and SHA-256, KEK and world packages",
	"Reads the region manifests (one YAML file per region) and prints them as a table, or "
	"every field of one region given by name or code. --json fields (an array, one object "
	"per region): name, code, toolset.file, toolset.sha256, kek_package, world_package, "
	"root_key_hash, manifest.",
	opts, run,
};
