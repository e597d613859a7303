/* unit-keyrecord.c: key_simple_ID and key_xferacld_ID written and read back on real files:
 * every field survives, awkward text is quoted, files are 0600 and never overwritten, and
 * bad records are refused naming file:line:col.  */
#include "config.h"
#include "keyrecord.h"
#include "msg.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/p11byok-unit-XXXXXX";
static const char hash[] = "fd423795cd0ca96b29b4c7d58cda8802f1b66897f1c20b4237e59ef3b3d5b4ac";
static const char pem[] = "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJ+YyjVC6o4Csjgc739XP7VfLgCWl\n"
    "tKcLiB5TUBOD/9FkfGUYREcMOT45hZCmseODbrdcckvV1q3zg4P0BiGw==\n"
    "-----END PUBLIC KEY-----\n";

static void
put(const char *name, const char *content)
{
	char p[256];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
}

/* Mutable copies of the test values (the record structs hold char *). */
static char ident[] = "ec-key-1", serial[] = "a6f326f3b54bf527", created[] = "2026-11-23T14:20:18Z";
static char plainname[] = "a \"quoted\" name: with # and \\ and \t tab";
static char kid[] = "https://vault.example/keys/kek/1", eu[] = "EU";

static void
test_simple(void)
{
	unsigned char wrapped[48];
	struct key_simple k = { 0 }, *back = NULL;
	char path[512];
	struct stat st;

	for (size_t i = 0; i < sizeof wrapped; i++)
		wrapped[i] = (unsigned char)(i * 7);
	k.ident = ident;
	k.plainname = plainname;
	k.spec.type = KEY_EC;
	k.spec.curve = "P-256";
	k.spec.bits = 256;
	k.token_serial = serial;
	{
		static char h[65];
		memcpy(h, hash, sizeof h);
		k.world_hash = h;
	}
	k.public_pem = (char[sizeof pem]){ 0 };
	memcpy(k.public_pem, pem, sizeof pem);
	k.created = created;
	k.wrapped = wrapped;
	k.wrapped_len = sizeof wrapped;

	ok(keyrecord_simple_save(dir, &k, false) == 0, "key_simple saved");
	keyrecord_simple_path(dir, "ec-key-1", path, sizeof path);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "key_simple is mode 0600");
	ok(keyrecord_simple_save(dir, &k, false) == P11BYOK_EUSAGE, "an existing record is not "
	    "overwritten");
	ok(keyrecord_simple_load(dir, "ec-key-1", &back) == 0, "key_simple read back");
	if (back == NULL)
		return;
	ok(strcmp(back->plainname, k.plainname) == 0, "plainname with quotes, colon, hash, "
	    "backslash and tab survives");
	ok(back->spec.type == KEY_EC && strcmp(back->spec.curve, "P-256") == 0, "type and curve");
	ok(strcmp(back->token_serial, k.token_serial) == 0 && strcmp(back->world_hash, hash) == 0
	    && strcmp(back->created, k.created) == 0, "serial, world hash, time");
	ok(strcmp(back->public_pem, pem) == 0, "public key PEM");
	ok(back->wrapped_len == sizeof wrapped && memcmp(back->wrapped, wrapped,
	    sizeof wrapped) == 0, "wrapped key");
	key_simple_free(back);
	back = NULL;

	ok(keyrecord_simple_load(dir, "nosuch", &back) == P11BYOK_EUSAGE && back == NULL,
	    "a missing record is a usage error");
	/* A record renamed to another ident is refused. */
	{
		char to[512];
		keyrecord_simple_path(dir, "other", to, sizeof to);
		if (link(path, to) != 0)
			fprintf(stderr, "# link %s: %s\n", to, strerror(errno));
		ok(keyrecord_simple_load(dir, "other", &back) == P11BYOK_EUSAGE,
		    "a record under another ident's name is refused");
	}
	put("key_simple_bad", "version: 1\nident: \"bad\"\nplainname: x\ntype: RSA\n"
	    "size: \"1024\"\ncka_id: \"626164\"\ntoken_serial: s\nworld_hash: x\ncreated: t\n"
	    "public_key: p\nwrap_mechanism: CKM_AES_KEY_WRAP_PAD\nwrapped_key: AAAA\n");
	ok(keyrecord_simple_load(dir, "bad", &back) == P11BYOK_EUSAGE, "a 1024-bit RSA record "
	    "is refused");
}

static void
test_xferacld(void)
{
	struct key_xferacld x = { 0 }, *back = NULL;
	static char h[65], fp[65];

	memcpy(h, hash, sizeof h);
	memcpy(fp, hash, sizeof fp);
	fp[0] = '0';
	x.ident = ident;
	x.token_serial = serial;
	x.world_hash = h;
	x.kek_fingerprint = fp;
	x.kek_id = kid;
	x.attested = true;
	x.region = NULL;
	x.native = false;
	x.created = created;
	ok(keyrecord_xferacld_save(dir, &x, false) == 0, "key_xferacld saved");
	ok(keyrecord_xferacld_load(dir, "ec-key-1", &back) == 0 && back != NULL,
	    "key_xferacld read back");
	if (back == NULL)
		return;
	ok(strcmp(back->kek_id, x.kek_id) == 0 && strcmp(back->kek_fingerprint, fp) == 0 &&
	    strcmp(back->world_hash, h) == 0, "KEK id, fingerprint, world hash");
	ok(back->attested && !back->native && back->region == NULL, "attested, native, no region");
	key_xferacld_free(back);
	back = NULL;
	x.region = eu;
	x.native = true;
	ok(keyrecord_xferacld_save(dir, &x, true) == 0 &&
	    keyrecord_xferacld_load(dir, "ec-key-1", &back) == 0 && back != NULL &&
	    back->native && back->region != NULL && strcmp(back->region, "EU") == 0,
	    "with FORCE the record is replaced; region and native read back");
	key_xferacld_free(back);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_simple();
	test_xferacld();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
