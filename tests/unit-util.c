/* unit-util.c: hex, SHA-256, atomic writes and secret files, on real files in a temp dir. */
#include "config.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"
#include "secret.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/p11byok-unit-XXXXXX";

static char *
path(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void
put(const char *name, const char *content)
{
	FILE *f = fopen(path(name), "w");
	fputs(content, f);
	fclose(f);
}

static void
test_hex(void)
{
	unsigned char out[32];
	char text[65];
	ok(hex_decode("59178a47 de508c3f 291277ee 184f46c4 f1d9c639", out, 32) == 20,
	    "hex with spaces decodes to 20 bytes");
	ok(out[0] == 0x59 && out[19] == 0x39, "hex bytes are right");
	ok(hex_decode("AB:cd", out, 32) == 2 && out[0] == 0xab && out[1] == 0xcd,
	    "colons and mixed case are accepted");
	ok(hex_decode("abc", out, 32) == -1, "odd digit count is refused");
	ok(hex_decode("zz", out, 32) == -1, "non-hex is refused");
	ok(hex_decode("00112233", out, 3) == -1, "too long for the buffer is refused");
	hex_encode((const unsigned char *)"\x01\xab", 2, text, 0);
	ok(strcmp(text, "01ab") == 0, "hex_encode lower-case");
	hex_encode((const unsigned char *)"\x01\xab", 2, text, 1);
	ok(strcmp(text, "01AB") == 0, "hex_encode upper-case");
}

static void
test_sha256(void)
{
	unsigned char d[32];
	char hex[65];
	put("abc", "abc");
	ok(digest_sha256_file(path("abc"), d) == 0, "sha256 of a file");
	hex_encode(d, 32, hex, 0);
	ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	    "sha256('abc') is the FIPS 180-2 vector");
	put("empty", "");
	digest_sha256_file(path("empty"), d);
	hex_encode(d, 32, hex, 0);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
	    "sha256 of an empty file");
	ok(digest_sha256_file(path("missing"), d) == P11BYOK_EUSAGE, "missing file is EUSAGE");
}

static void
test_atomic(void)
{
	struct stat st;
	char *text = NULL;
	size_t len;
	ok(fs_write_atomic(path("out"), "one", 3, 0600, false) == 0, "atomic write creates");
	ok(stat(path("out"), &st) == 0 && (st.st_mode & 0777) == 0600, "mode is 0600");
	ok(fs_write_atomic(path("out"), "two", 3, 0600, false) == P11BYOK_EUSAGE,
	    "existing file is not overwritten without force");
	fs_read_file(path("out"), "test file", 100, &text, &len);
	ok(text != NULL && strcmp(text, "one") == 0, "refused write left the old content");
	free(text);
	ok(fs_write_atomic(path("out"), "two", 3, 0600, true) == 0, "force replaces");
	fs_read_file(path("out"), "test file", 100, &text, &len);
	ok(text != NULL && strcmp(text, "two") == 0, "forced write has the new content");
	free(text);
	ok(fs_write_atomic(path("nodir/out"), "x", 1, 0600, false) == P11BYOK_EUSAGE,
	    "write into a missing directory is EUSAGE");
	ok(fs_write_atomic(dir, "x", 1, 0600, true) == P11BYOK_EUSAGE,
	    "a directory as target is refused");
	ok(system("ls -a /tmp/p11byok-unit-* | grep -q '\\.tmp\\.' ") != 0,
	    "no temp file is left behind");
	ok(fs_read_file(path("out"), "test file", 2, &text, &len) == P11BYOK_EUSAGE,
	    "a file above the size limit is refused");
}

static void
test_secret(void)
{
	char *s = NULL;
	size_t len = 0;
	put("pin1", "1234\n");
	ok(secret_from_file(path("pin1"), "PIN file", &s, &len) == 0 && len == 4 &&
	    strcmp(s, "1234") == 0, "trailing newline is dropped");
	secret_free(s, len);
	put("pin2", "12 34\r\n");
	ok(secret_from_file(path("pin2"), "PIN file", &s, &len) == 0 && strcmp(s, "12 34") == 0,
	    "CRLF is dropped, inner space kept");
	secret_free(s, len);
	put("pin3", "");
	ok(secret_from_file(path("pin3"), "PIN file", &s, &len) == P11BYOK_EUSAGE && s == NULL,
	    "empty PIN file is refused");
	put("pin4", "\n");
	ok(secret_from_file(path("pin4"), "PIN file", &s, &len) == P11BYOK_EUSAGE,
	    "PIN file with only a newline is refused");
	put("pin5", "1234\n5678\n");
	ok(secret_from_file(path("pin5"), "PIN file", &s, &len) == P11BYOK_EUSAGE,
	    "PIN file with two lines is refused");
	ok(secret_from_file(dir, "PIN file", &s, &len) == P11BYOK_EUSAGE,
	    "a directory as PIN file is refused");
	put("pin6", "1234\n");
	chmod(path("pin6"), 0640);
	ok(secret_from_file(path("pin6"), "PIN file", &s, &len) == P11BYOK_EUSAGE && s == NULL,
	    "a PIN file its group can read is refused");
}

int
main(void)
{
	umask(077);	/* secret files others could read are refused */
	secret_init();
	if (mkdtemp(dir) == NULL)
		return 99;
	test_hex();
	test_sha256();
	test_atomic();
	test_secret();
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
