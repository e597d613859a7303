/* audit.c: the hash-chained audit log; see audit.h. */
#include "config.h"
#include "audit.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* A log line longer than this is not one we wrote. */
#define LINE_MAX_BYTES (64 * 1024)

json_t *
audit_event(const char *command)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s}", "time", when, "command", command);
}

int
audit_add_file(json_t *event, const char *path)
{
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	json_t *files = json_object_get(event, "files");

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EFAIL;
	hex_encode(d, SHA256_LEN, hex, 0);
	if (files == NULL) {
		files = json_array();
		if (files == NULL || json_object_set_new(event, "files", files) != 0)
			return P11BYOK_EFAIL;
	}
	return json_array_append_new(files, json_pack("{s:s, s:s}", "path", path, "sha256", hex))
	    == 0 ? 0 : P11BYOK_EFAIL;
}

static void
sha256_hex(const char *data, size_t len, char hex[2 * SHA256_LEN + 1])
{
	unsigned char d[SHA256_LEN];
	unsigned int dlen = 0;
	EVP_Digest(data, len, d, &dlen, EVP_sha256(), NULL);
	hex_encode(d, SHA256_LEN, hex, 0);
}

/* The SHA-256 of the last line of the open log F ("" when empty), and the line count. */
static int
last_line_hash(FILE *f, char hex[2 * SHA256_LEN + 1], size_t *count)
{
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	ssize_t n;

	hex[0] = '\0';
	*count = 0;
	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		++*count;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		free(last);
		if ((last = strdup(line)) == NULL) {
			free(line);
			return -1;
		}
	}
	if (last != NULL)
		sha256_hex(last, strlen(last), hex);
	free(last);
	free(line);
	return 0;
}

int
audit_append(const char *kmdata, json_t *event)
{
	int r = P11BYOK_EFAIL, fd = -1;
	char path[4096], head[4200], prev[2 * SHA256_LEN + 1], mine[2 * SHA256_LEN + 1];
	char headtext[128], *text = NULL;
	size_t count = 0;
	FILE *f = NULL;

	if (kmdata == NULL)
		return 0;
	snprintf(path, sizeof path, "%s/audit.log", kmdata);
	snprintf(head, sizeof head, "%s/audit.head", kmdata);
	if ((fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		msg_err("cannot open the audit log %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX) < 0 || (f = fdopen(fd, "a+")) == NULL) {
		msg_err("cannot lock the audit log %s: %s", path, strerror(errno));
		goto out;
	}
	if (last_line_hash(f, prev, &count) < 0) {
		msg_err("out of memory reading the audit log %s", path);
		goto out;
	}
	/* "prev" goes last so every earlier field is covered by the next line's hash. */
	json_object_del(event, "prev");
	if (json_object_set_new(event, "prev", json_string(prev)) != 0 ||
	    (text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		msg_err("out of memory writing the audit log");
		goto out;
	}
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 || fsync(fd) < 0) {
		msg_err("cannot write the audit log %s: %s", path, strerror(errno));
		goto out;
	}
	sha256_hex(text, strlen(text), mine);
	snprintf(headtext, sizeof headtext, "%zu %s\n", count + 1, mine);
	if (fs_write_atomic(head, headtext, strlen(headtext), 0600, true) != 0)
		goto out;
	r = 0;
out:
	free(text);
	if (f != NULL)
		fclose(f);	/* closes fd and drops the lock */
	else if (fd >= 0)
		close(fd);
	return r;
}

int
audit_verify(const char *path, const char *head, size_t *lines, size_t *bad_line)
{
	int r = P11BYOK_EUSAGE;
	char prev[2 * SHA256_LEN + 1] = "", before_last[2 * SHA256_LEN + 1] = "";
	char *line = NULL;
	size_t cap = 0, no = 0;
	ssize_t n;
	FILE *f;

	*lines = 0;
	*bad_line = 0;
	if ((f = fopen(path, "r")) == NULL) {
		msg_err("cannot open the audit log %s: %s", path, strerror(errno));
		return P11BYOK_EUSAGE;
	}
	r = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *ev;
		const char *claimed;
		no++;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		ev = n < LINE_MAX_BYTES ? json_loads(line, 0, NULL) : NULL;
		claimed = json_string_value(json_object_get(ev, "prev"));
		if (claimed == NULL || strcmp(claimed, prev) != 0) {
			json_decref(ev);
			*bad_line = no;
			r = P11BYOK_EFAIL;
			break;
		}
		json_decref(ev);
		memcpy(before_last, prev, sizeof prev);
		sha256_hex(line, (size_t)n, prev);
	}
	*lines = no;
	free(line);
	fclose(f);
	if (r == 0 && head != NULL) {
		char *text = NULL, want[2 * SHA256_LEN + 1];
		size_t count = 0;
		if (fs_read_file(head, "audit head", 256, &text, NULL) == 0) {
			if (sscanf(text, "%zu %64s", &count, want) == 2 && no > 0 &&
			    count == no - 1 && strcmp(want, before_last) == 0) {
				/* The log line is fsync'd before the head is replaced: a crash
				 * between the two leaves the head one line behind, not a gap. */
				msg_warn("%s is one line behind the log (a write interrupted between "
				    "the two); the chain is intact and the next audit line updates it",
				    head);
			} else if (sscanf(text, "%zu %64s", &count, want) != 2 || count != no ||
			    strcmp(want, prev) != 0) {
				*bad_line = count > no ? no + 1 : no;
				r = P11BYOK_EFAIL;
			}
			free(text);
		} else {
			r = P11BYOK_EUSAGE;
		}
	}
	return r;
}
