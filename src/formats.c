/* formats.c: the file format documentation; see formats.h. */
#include "config.h"
#include "formats.h"

const struct format_doc formats[] = {
	{ "RUNBOOK and --config (YAML)",
	  "One mapping; unknown fields, wrong types and inline secrets are refused as "
	  "FILE:LINE:COLUMN, and relative paths are taken from the file's own directory. "
	  "Settings (command-line options win): module, token (RFC 7512 URI; a pin-value is "
	  "refused), kmdata, regions, pin_file, offline (require, warn, off). Transfer: region "
	  "(name or code) or kek_pem with kek_id; root_hash, toolset (a file for verify-toolset), "
	  "toolset_dir, output_dir (default the current directory). cards: a list of {file, "
	  "pass_file}. keys: a list of {ident, plainname (default the ident), type (RSA, EC, AES), "
	  "size or curve, pubexp, friendly_name, subscription_id, kek_pem and kek_id (this key's "
	  "own KEK)}; idents and friendly names must be unique (friendly names ignoring case). "
	  "Field names that hold a secret (pin, passphrase, password, secret, ...) are refused." },
	{ "KMDATA/world (YAML)",
	  "version, token_label, token_serial, cipher_suite, quorum (K/N), cards (the SHA-256 of "
	  "each card file, card 1 first), world_hash (64 lower-case hex), created (ISO 8601 UTC). "
	  "Mode 0600, written atomically." },
	{ "card-I-of-N.acs (JSON, one line)",
	  "{\"format\": \"p11byok-card\", \"version\": 1, \"world_hash\", \"index\": I, \"n\": N, "
	  "\"k\": K, \"kdf\": {\"name\": \"scrypt\", \"salt\" (base64, 16 bytes), \"N\": 131072, "
	  "\"r\": 8, \"p\": 1}, \"cipher\": \"AES-256-GCM\", \"iv\" (base64, 12 bytes), "
	  "\"ciphertext\" (base64: the Shamir share of the SO secret), \"tag\" (base64, 16 "
	  "bytes)}; the GCM additional data is \"p11byok-card v1|WORLD_HASH|I|N|K\"." },
	{ "KMDATA/key_simple_ID (YAML)",
	  "A world-bound key: version, ident, plainname, cka_id, type, size or curve, pubexp, "
	  "token_serial, world_hash, public_key (PEM; none for AES), created, wrap_mechanism "
	  "(CKM_AES_KEY_WRAP_PAD) and wrapped_key (base64: the key under the world backup key, "
	  "what restore re-creates it from). Mode 0600." },
	{ "KMDATA/key_xferacld_ID (YAML)",
	  "The key's reduced-permission transfer copy: version, ident, token_serial, world_hash, "
	  "kek_fingerprint (SHA-256 of the KEK's SubjectPublicKeyInfo), kek_id, attested, region, "
	  "native (CKM_RSA_AES_KEY_WRAP or the composed wrap), created. Mode 0600." },
	{ "KMDATA/audit.log and KMDATA/audit.head",
	  "One JSON object per line: time, command, and what the command knows (token_serial, "
	  "world_hash, ident, key_type, kek_id, kek_fingerprint, files [{path, sha256}]), "
	  "result (SUCCESS, FAILURE, or RECOVERED: a step a crash left unlogged, logged by the "
	  "rerun), then seq (its line number), prev (the SHA-256 of the previous line, \"\" for "
	  "the first) and hash (the SHA-256 of the line up to that field). audit.head holds the "
	  "line count and the SHA-256 of the last line, so a deleted last line is seen. Never "
	  "holds a secret." },
	{ "KeyTransferPackage-NAME.byok (JSON)",
	  "Azure's BYOK file: {\"schema_version\": \"1.0.0\", \"header\": {\"kid\", \"alg\": "
	  "\"dir\", \"enc\": \"CKM_RSA_AES_KEY_WRAP\"}, \"ciphertext\" (base64url: RSA-OAEP SHA-1 "
	  "of a fresh AES-256 key under the KEK, then RFC 5649 key wrap of the key under it; RSA "
	  "and EC keys as PKCS#8, AES keys raw), \"generator\"}. Mode 0600, written atomically, "
	  "never over an existing file without --force." },
	{ "Region manifests (YAML, REGIONS/*.yaml)",
	  "name, code, toolset {file, sha256}, kek_package, world_package, root_key_hash (the "
	  "vendor root's SHA-1, or SHA-256, in hex; spaces ignored). Codes, names and toolset "
	  "files are unique across the directory." },
	{ "KEK and world packages",
	  "CMS SignedData (DER or PEM) over a JSON statement, signed by an HSM device certificate "
	  "chaining to the pinned vendor root. KEK: {\"type\": \"kek\", \"name\", \"region\", "
	  "\"kid\", \"public_key\" (base64 SubjectPublicKeyInfo), \"generated_in_hsm\": true, "
	  "\"exportable\": false, \"world_hash\"}. World: {\"type\": \"world\", \"name\", "
	  "\"region\", \"world_hash\"}." },
	{ NULL, NULL },
};

void
formats_print(FILE *f)
{
	for (const struct format_doc *d = formats; d->name != NULL; d++)
		fprintf(f, "%s\n  %s\n\n", d->name, d->text);
}
