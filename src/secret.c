/* secret.c: reading secrets from files, the environment and the terminal; see secret.h. */
#include "config.h"
#include "secret.h"
#include "fsutil.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* PINs and passphrases are short; a longer "secret" is a wrong file. */
#define SECRET_MAX 1024

/* P11BYOK_PIN, taken out of the environment at start (secret_harden_process). */
static char *env_pin;
static size_t env_pin_len;

void
secret_init(void)
{
	static bool done;
	int r;

	if (done || CRYPTO_secure_malloc_initialized()) {
		done = true;
		return;
	}
	done = true;
	/* 1: a locked heap; 2: a heap the kernel would not lock (RLIMIT_MEMLOCK), still kept
	 * apart and wiped; 0: none, and secrets live in the normal heap.  */
	if ((r = CRYPTO_secure_malloc_init(64 * 1024, 32)) == 0)
		msg_warn("OpenSSL's secure heap could not be set up: PINs and card secrets are "
		    "held in ordinary memory (still wiped after use)");
	else if (r == 2)
		msg_debug("the secure heap is not locked in memory (mlock refused): raise "
		    "RLIMIT_MEMLOCK to keep secrets out of swap");
}

void
secret_harden_process(void)
{
	struct rlimit none = { 0, 0 };
	char *env;

	/* No core dump, and no ptrace by another process of the same user, can show a PIN or
	 * a card secret held in this process.  */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &none);
	secret_init();
	/* Out of the environment at once, whichever PIN source wins: /proc/PID/environ and
	 * child processes no longer see it.  */
	if ((env = getenv("P11BYOK_PIN")) != NULL) {
		size_t n = strlen(env);
		if (n > 0 && (env_pin = OPENSSL_secure_malloc(n + 1)) != NULL) {
			memcpy(env_pin, env, n + 1);
			env_pin_len = n;
		}
		OPENSSL_cleanse(env, n);
		unsetenv("P11BYOK_PIN");
	}
}

bool
secret_env_pin_given(void)
{
	return env_pin != NULL;
}

void
secret_free(char *secret, size_t len)
{
	if (secret == NULL)
		return;
	OPENSSL_secure_clear_free(secret, len + 1);
}

/* Drops one trailing "\n" or "\r\n"; returns false when another newline remains. */
static bool
one_line(char *buf, size_t *len)
{
	if (*len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	if (*len > 0 && buf[*len - 1] == '\r')
		buf[--*len] = '\0';
	return memchr(buf, '\n', *len) == NULL;
}

int
secret_from_file(const char *path, const char *what, char **out, size_t *len)
{
	int r = P11BYOK_EUSAGE, fd = -1;
	char *buf = NULL;
	size_t got = 0;
	struct stat st;

	*out = NULL;
	*len = 0;
	if ((fd = fs_open_input(path, what)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		msg_err("cannot read %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	/* A secret others could read is no secret: refused, not warned about. */
	if ((st.st_mode & 077) != 0) {
		msg_err("%s %s can be read or written by other users (mode %03o): chmod 600 it",
		    what, path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if ((buf = OPENSSL_secure_zalloc(SECRET_MAX + 2)) == NULL) {
		msg_err("out of memory reading %s", path);
		r = P11BYOK_EFAIL;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, SECRET_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			msg_err("cannot read %s %s: %s", what, path, strerror(errno));
			goto out;
		}
		if (n == 0 || (got += (size_t)n) > SECRET_MAX)
			break;
	}
	if (got > SECRET_MAX) {
		msg_err("%s %s is longer than %d bytes: it should hold only the secret", what, path,
		    SECRET_MAX);
		goto out;
	}
	if (!one_line(buf, &got)) {
		msg_err("%s %s holds more than one line: put only the secret on its first line",
		    what, path);
		goto out;
	}
	if (got == 0) {
		msg_err("%s %s is empty: put the secret on its first line", what, path);
		goto out;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	secret_free(buf, SECRET_MAX + 1);
	if (fd >= 0)
		close(fd);
	return r;
}

int
secret_prompt(const char *prompt, const char *what, char **out, size_t *len)
{
	int r = P11BYOK_EUSAGE, fd = -1;
	struct termios saved, quiet;
	bool restore = false;
	char *buf = NULL, c;
	size_t got = 0;

	*out = NULL;
	*len = 0;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0 || !isatty(fd)) {
		msg_err("no %s given and no terminal to ask on: give it with a file (see "
		    "'p11byok --help')", what);
		goto out;
	}
	if ((buf = OPENSSL_secure_zalloc(SECRET_MAX + 2)) == NULL) {
		msg_err("out of memory");
		r = P11BYOK_EFAIL;
		goto out;
	}
	if (tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (got < SECRET_MAX)
			buf[got++] = c;
	}
	c = 0;
	(void)!write(fd, "\n", 1);
	if (got > 0 && buf[got - 1] == '\r')
		buf[--got] = '\0';
	if (got == 0) {
		msg_err("empty %s entered: nothing was changed", what);
		goto out;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &saved);
	if (fd >= 0)
		close(fd);
	secret_free(buf, SECRET_MAX + 1);
	return r;
}

const char *
secret_pin_source_path(const char *source)
{
	const char *path = source;
	if (strncmp(path, "file:", 5) == 0)
		path += 5;
	if (strncmp(path, "//", 2) == 0 && path[2] == '/')
		path += 2;	/* file:///path */
	return *path == '/' ? path : NULL;
}

int
secret_user_pin(const char *uri_pin_source, const char *pin_file, const char *token,
    char **pin, size_t *len, const char **source)
{
	static char desc[4200];
	char prompt[512];
	int r;

	*pin = NULL;
	*len = 0;
	if (uri_pin_source != NULL) {
		const char *path = secret_pin_source_path(uri_pin_source);
		if (path == NULL) {
			/* Not echoed: what is there may be the PIN itself. */
			msg_err("the pin-source in the token URI is not a file path: use "
			    "pin-source=file:/path/to/pin");
			return P11BYOK_EUSAGE;
		}
		snprintf(desc, sizeof desc, "the token URI's pin-source %s", path);
		*source = desc;
		return secret_from_file(path, "PIN file", pin, len);
	}
	if (pin_file != NULL) {
		snprintf(desc, sizeof desc, "--pin-file %s", pin_file);
		*source = desc;
		return secret_from_file(pin_file, "PIN file", pin, len);
	}
	if (env_pin != NULL) {
		msg_warn("using the PIN from P11BYOK_PIN: the environment is weaker than a PIN "
		    "file; prefer --pin-file");
		if ((*pin = OPENSSL_secure_malloc(env_pin_len + 1)) == NULL) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		memcpy(*pin, env_pin, env_pin_len + 1);
		*len = env_pin_len;
		*source = "P11BYOK_PIN";
		return 0;
	}
	snprintf(prompt, sizeof prompt, "User PIN for token '%s': ", token);
	*source = "the prompt";
	r = secret_prompt(prompt, "user PIN (--pin-file FILE, pin-source in the token URI or "
	    "P11BYOK_PIN)", pin, len);
	return r;
}
