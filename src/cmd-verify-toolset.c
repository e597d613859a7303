/* cmd-verify-toolset.c: p11byok verify-toolset FILE [--region R] — step 1.3's Get-FileHash,
 * against the hash the region manifest pins.  */
#include "config.h"
#include "cli.h"
#include "digest.h"
#include "jsonout.h"
#include "manifest.h"
#include "msg.h"

#include <string.h>

enum { OPT_REGION = OPT_COMMAND_BASE };

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, OPT_REGION },
		CLI_GLOBAL_OPTIONS
	};
	struct region_set *set = NULL;
	const struct region *reg;
	const char *region_arg = NULL, *file;
	unsigned char actual[SHA256_LEN];
	char expected_hex[2 * SHA256_LEN + 1], actual_hex[2 * SHA256_LEN + 1];
	bool match;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_REGION)
			region_arg = optarg;
		else if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "give exactly one toolset file");
	file = argv[optind];
	if ((r = manifest_load_dir(manifest_dir(ctx_regions(ctx)), &set)) != 0)
		goto out;
	if ((r = manifest_check_toolset(set, file, region_arg, &reg, actual, &match)) != 0)
		goto out;
	hex_encode(reg->toolset_sha256, SHA256_LEN, expected_hex, 1);
	hex_encode(actual, SHA256_LEN, actual_hex, 1);

	msg_out("Region:   %s (%s)\n", reg->name, reg->code);
	msg_out("File:     %s\n", file);
	msg_out("Expected: %s\n", expected_hex);
	msg_out("Actual:   %s\n", actual_hex);
	if (msg_json())
		r = json_emit(json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s}", "file", file,
		    "region", "name", reg->name, "code", reg->code, "expected", expected_hex,
		    "actual", actual_hex, "result", match ? "SUCCESS" : "FAILURE"));
	else
		r = 0;
	if (!match) {
		/* The result line is the answer, so it is printed even under --quiet. */
		fprintf(msg_stream(), "Result: FAILURE\n");
		msg_err("%s does not match the SHA-256 that manifest %s pins for %s: do not use "
		    "this toolset; download it again", file, reg->path, reg->name);
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	region_set_free(set);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--region", "R", "region name or code (default: inferred from the file name)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_verify_toolset = {
	"verify-toolset", "FILE [--region R]",
	"check a downloaded BYOK toolset against the SHA-256 its region manifest pins",
	"Hashes FILE with SHA-256 in constant memory and compares it, ignoring case, with the "
	"toolset hash of the region. Prints the region, both hashes and 'Result: SUCCESS' (exit "
	"0) or 'Result: FAILURE' (exit 1). An unknown region or an unreadable file exits 2. "
	"--json fields: file, region.name, region.code, expected, actual, result.",
	opts, run,
};
