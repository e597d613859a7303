/* cmd-inspect.c: p11byok inspect FILE.byok — decode a transfer file without any key. */
#include "config.h"
#include "byok.h"
#include "cli.h"
#include "digest.h"
#include "jsonout.h"
#include "msg.h"

#include <openssl/evp.h>

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_OPTIONS };
	struct byok *b = NULL;
	struct byok_shape shape;
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	if (argc - optind != 1)
		return cli_usage_error(cmd, "give exactly one .byok file");
	if ((r = byok_read(argv[optind], &b)) != 0)
		return r;
	byok_shape(b->ciphertext_len, &shape);
	EVP_Digest(b->ciphertext, b->ciphertext_len, d, NULL, EVP_sha256(), NULL);
	hex_encode(d, SHA256_LEN, hex, 0);

	msg_out("File:            %s\n", argv[optind]);
	msg_out("Schema version:  1.0.0\n");
	msg_out("KEK id (kid):    %s\n", b->kid);
	msg_out("Algorithm:       dir, enc CKM_RSA_AES_KEY_WRAP\n");
	msg_out("Generator:       %s\n", b->generator ? b->generator : "(none)");
	msg_out("Ciphertext:      %zu bytes, SHA-256 %s\n", b->ciphertext_len, hex);
	if (shape.kek_bits != 0) {
		msg_out("KEK size:        RSA-%u (implied by the length)\n", shape.kek_bits);
		msg_out("Wrapped key:     %zu bytes after the %u-byte OAEP block: %s\n",
		    shape.wrapped_len, shape.kek_bits / 8, shape.key_kind);
	} else {
		msg_out("KEK size:        unknown (no 2048- to 4096-bit KEK leaves a key p11byok "
		    "makes)\n");
	}
	if (msg_json())
		r = json_emit(json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I, s:s, s:I, s:I, s:s}",
		    "file", argv[optind], "schema_version", "1.0.0", "kid", b->kid,
		    "enc", "CKM_RSA_AES_KEY_WRAP", "generator", b->generator,
		    "ciphertext_bytes", (json_int_t)b->ciphertext_len, "ciphertext_sha256", hex,
		    "kek_bits", (json_int_t)shape.kek_bits,
		    "wrapped_key_bytes", (json_int_t)shape.wrapped_len,
		    "wrapped_key", shape.key_kind));
	byok_free(b);
	return r;
}

static const struct opt_doc opts[] = { { NULL, NULL, NULL } };

const struct command cmd_inspect = {
	"inspect", "FILE.byok",
	"decode a .byok transfer file without any key: header, kid, sizes, wrapped key type",
	"Checks the file against the Azure BYOK schema (schema_version 1.0.0, header kid, alg "
	"'dir', enc CKM_RSA_AES_KEY_WRAP, base64url ciphertext, generator) and prints the kid, "
	"the generator, the ciphertext size, the RSA KEK size the length implies and the size "
	"and likely kind of the wrapped key. Lengths can be ambiguous (an AES-128 key under a "
	"3072-bit KEK is as long as an EC P-256 key under a 2048-bit one): the smaller KEK is "
	"assumed. A malformed file exits 2 naming what is wrong. --json fields: file, "
	"schema_version, kid, enc, generator, ciphertext_bytes, ciphertext_sha256, kek_bits, "
	"wrapped_key_bytes, wrapped_key.",
	opts, run,
};
