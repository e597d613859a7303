/* cmd-verify-kek.c: p11byok verify-kek — seed step 3.4 (verifykeypackage.py -k … -w …):
 * the region's KEK and security-world packages, verified to the pinned vendor root.  */
#include "config.h"
#include "attest.h"
#include "cli.h"
#include "fsutil.h"
#include "jsonout.h"
#include "manifest.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_KEK_PACKAGE = OPT_COMMAND_BASE, OPT_WORLD_PACKAGE, OPT_REGION, OPT_ROOT_HASH,
	OPT_TOOLSET_DIR,
};

/* The region whose KEK package name is PATH's file name (with or without .p7s/.pem). */
static const struct region *
region_of_package(const struct region_set *set, const char *path)
{
	const char *base = fs_basename(path);
	size_t n = strlen(base);

	if (n > 4 && (strcmp(base + n - 4, ".p7s") == 0 || strcmp(base + n - 4, ".pem") == 0))
		n -= 4;
	for (size_t i = 0; i < set->n; i++)
		if (strlen(set->v[i].kek_package) == n &&
		    strncmp(set->v[i].kek_package, base, n) == 0)
			return &set->v[i];
	return NULL;
}

/* HEX in groups of eight digits, as the guide prints the root key hash. */
static void
grouped(const char *hex, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; hex[i] != '\0' && o + 2 < len; i++) {
		if (i > 0 && i % 8 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kek-package", required_argument, NULL, OPT_KEK_PACKAGE },
		{ "world-package", required_argument, NULL, OPT_WORLD_PACKAGE },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "root-hash", required_argument, NULL, OPT_ROOT_HASH },
		{ "toolset-dir", required_argument, NULL, OPT_TOOLSET_DIR },
		CLI_GLOBAL_OPTIONS
	};
	const char *kek_arg = NULL, *world_arg = NULL, *region_arg = NULL, *root_arg = NULL;
	const char *toolset_dir = NULL;
	struct region_set *set = NULL;
	const struct region *reg;
	struct attest_result *res = NULL;
	struct attest_pin pin;
	char kpath[4096], wpath[4096], pinbuf[2 * SHA256_LEN + 8];
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KEK_PACKAGE: kek_arg = optarg; break;
		case OPT_WORLD_PACKAGE: world_arg = optarg; break;
		case OPT_REGION: region_arg = optarg; break;
		case OPT_ROOT_HASH: root_arg = optarg; break;
		case OPT_TOOLSET_DIR: toolset_dir = optarg; break;
		default:
			if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
				return r;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((kek_arg != NULL) != (world_arg != NULL))
		return cli_usage_error(cmd, "--kek-package and --world-package go together");
	if (kek_arg == NULL && region_arg == NULL)
		return cli_usage_error(cmd, "give --kek-package F --world-package F, or --region R "
		    "to take the packages its manifest names");
	if (kek_arg != NULL && toolset_dir != NULL)
		return cli_usage_error(cmd, "--toolset-dir goes with --region alone (explicit "
		    "packages are given by path)");
	if (root_arg != NULL && (r = attest_parse_pin(root_arg, "--root-hash", &pin)) != 0)
		return r;

	if ((r = manifest_load_dir(manifest_dir(ctx_regions(ctx)), &set)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if (region_arg != NULL) {
		if ((reg = region_lookup(set, region_arg)) == NULL)
			goto out;
	} else if ((reg = region_of_package(set, kek_arg)) == NULL) {
		msg_err("cannot tell the region of %s from its name (no manifest names a KEK "
		    "package '%s'): give --region NAME|CODE", kek_arg, fs_basename(kek_arg));
		goto out;
	}
	if (kek_arg != NULL) {
		snprintf(kpath, sizeof kpath, "%s", kek_arg);
		snprintf(wpath, sizeof wpath, "%s", world_arg);
	} else if ((r = attest_package_path(toolset_dir, reg->kek_package, "KEK package", kpath,
	    sizeof kpath)) != 0 ||
	    (r = attest_package_path(toolset_dir, reg->world_package, "world package", wpath,
	    sizeof wpath)) != 0)
		goto out;
	if (root_arg == NULL)
		attest_region_pin(reg, &pin);

	msg_out("Region:             %s (%s)\n", reg->name, reg->code);
	msg_out("KEK package:        %s\n", kpath);
	msg_out("World package:      %s\n", wpath);
	r = attest_verify_files(kpath, wpath, reg, &pin, &res);
	if (r != 0) {
		/* The result line is the answer, so it is printed even under --quiet. */
		if (msg_json())
			(void)json_emit(json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "kek_package",
			    kpath, "world_package", wpath, "region", "name", reg->name, "code",
			    reg->code, "result", "FAILURE"));
		fprintf(msg_stream(), "Result: FAILURE\n");
		goto out;
	}
	grouped(res->root_hash, pinbuf, sizeof pinbuf);
	msg_out("Root key hash:      %s %s (%s)\n", res->root_hash_alg, pinbuf,
	    root_arg != NULL ? "--root-hash" : "pinned by the region manifest");
	msg_out("Root certificate:   %s\n", res->root_subject);
	msg_out("Device certificate: %s\n", res->device_subject);
	msg_out("Signatures:         both packages, chains and validity periods verified\n");
	msg_out("KEK:                RSA-%u, SHA-256 %s\n", res->kek_bits, res->kek_fingerprint);
	msg_out("KEK attested:       generated in an HSM, not exportable\n");
	msg_out("KEK id (kid):       %s\n", res->kid);
	msg_out("World hash:         %s (equal in both packages)\n", res->world_hash);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, "
	    "s:s, s:I, s:s, s:s, s:s, s:s}", "kek_package", kpath, "world_package", wpath,
	    "region", "name", reg->name, "code", reg->code, "root_key_hash", res->root_hash,
	    "root_key_hash_alg", res->root_hash_alg, "root_subject", res->root_subject,
	    "device_subject", res->device_subject, "kek_type", "RSA",
	    "kek_bits", (json_int_t)res->kek_bits, "kek_fingerprint", res->kek_fingerprint,
	    "kid", res->kid, "world_hash", res->world_hash, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	attest_result_free(res);
	region_set_free(set);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--kek-package", "F", "the KEK package (BYOK-KEK-pkg-CODE-1), DER or PEM CMS" },
	{ "--world-package", "F", "the security-world package (BYOK-SecurityWorld-pkg-CODE-1)" },
	{ "--region", "R", "region name or code (default: from the KEK package's file name)" },
	{ "--toolset-dir", "DIR", "with --region alone: where its packages are (default .)" },
	{ "--root-hash", "H", "vendor root key hash, SHA-1 or SHA-256 hex (default: the "
	    "manifest's)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_verify_kek = {
	"verify-kek",
	"(--kek-package F --world-package F [--region R] | --region R [--toolset-dir DIR]) "
	"[--root-hash H]",
	"verify a region's KEK and security-world packages to the pinned vendor root",
	"Each package is CMS SignedData (canonical DER, or PEM) over a JSON statement. Verifies "
	"both signatures and the full chain of each signing HSM device certificate, from the "
	"certificates in the package, to a self-signed root whose DER SubjectPublicKeyInfo has "
	"the pinned hash (SHA-1 for 40 hex digits, SHA-256 for 64; spaces and case do not "
	"matter), with validity periods and key usage; then the statements: types, package names "
	"and region code as the region manifest gives them, generated_in_hsm true, exportable "
	"false, equal world hashes, an RSA KEK of at least 2048 bits, a kid. With --region alone "
	"the packages are the manifest's file names (NAME, else NAME.p7s or NAME.pem) in "
	"--toolset-dir. Prints each verified fact and 'Result: SUCCESS' (exit 0), or 'Result: "
	"FAILURE' and the first reason (exit 1); a malformed package, an unreadable file or a "
	"bad option exits 2. --json fields: kek_package, world_package, region.name, region.code, "
	"root_key_hash, root_key_hash_alg, root_subject, device_subject, kek_type, kek_bits, "
	"kek_fingerprint, kid, world_hash, result.",
	opts, run,
};
