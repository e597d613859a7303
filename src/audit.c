/* audit.c: the hash-chained audit log; see audit.h. */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "digest.h"
#include "fsutil.h"
#include "msg.h"

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* PATH as an absolute path, its directory resolved (the file itself may not be in place
 * yet): the same file reads the same in the log from whatever directory a command ran. */
static char *
absolute(const char *path)
{
	char *copy = strdup(path), *dir, *out = NULL;

	if (copy == NULL)
		return NULL;
	if ((dir = realpath(dirname(copy), NULL)) != NULL &&
	    asprintf(&out, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, fs_basename(path)) < 0)
		out = NULL;
	free(dir);
	free(copy);
	return out != NULL ? out : strdup(path);
}

static int
add_file_hash(json_t *event, const char *path, const unsigned char d[SHA256_LEN])
{
	char hex[2 * SHA256_LEN + 1], *abs = absolute(path);
	json_t *files = json_object_get(event, "files");
	int r;

	hex_encode(d, SHA256_LEN, hex, 0);
	if (abs == NULL)
		return P11BYOK_EFAIL;
	if (files == NULL) {
		files = json_array();
		if (files == NULL || json_object_set_new(event, "files", files) != 0)
			return P11BYOK_EFAIL;
	}
	r = json_array_append_new(files, json_pack("{s:s, s:s}", "path", abs, "sha256", hex)) == 0 ?
	    0 : P11BYOK_EFAIL;
	free(abs);
	return r;
}

int
audit_add_file(json_t *event, const char *path)
{
	unsigned char d[SHA256_LEN];

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EFAIL;
	return add_file_hash(event, path, d);
}

int
audit_add_data(json_t *event, const char *path, const void *data, size_t len)
{
	unsigned char d[SHA256_LEN];
	unsigned int dlen = 0;

	if (EVP_Digest(data, len, d, &dlen, EVP_sha256(), NULL) != 1) {
		msg_err("cannot compute the SHA-256 of %s", path);
		return P11BYOK_EFAIL;
	}
	return add_file_hash(event, path, d);
}

static void
sha256_hex(const char *data, size_t len, char hex[2 * SHA256_LEN + 1])
{
	unsigned char d[SHA256_LEN];
	unsigned int dlen = 0;
	EVP_Digest(data, len, d, &dlen, EVP_sha256(), NULL);
	hex_encode(d, SHA256_LEN, hex, 0);
}

static bool seal_holds(const char *line, size_t n);

/* How the log ends: its last line has its line end, or lacks it but is whole (its seal
 * holds: a crash between the line and its end, or an editor), or was cut off mid-line.  */
enum log_end { LOG_ENDED, LOG_UNENDED, LOG_CUT };

/* The SHA-256 of the last line of the open log F ("" when empty), the line count and how
 * the log ends.  */
static int
last_line_hash(FILE *f, char hex[2 * SHA256_LEN + 1], size_t *count, enum log_end *end)
{
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	ssize_t n;
	bool unended = false;

	hex[0] = '\0';
	*count = 0;
	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		++*count;
		if (!(unended = line[n - 1] != '\n'))
			line[--n] = '\0';
		free(last);
		if ((last = strdup(line)) == NULL) {
			free(line);
			return -1;
		}
	}
	*end = !unended ? LOG_ENDED : seal_holds(last, strlen(last)) ? LOG_UNENDED : LOG_CUT;
	if (last != NULL)
		sha256_hex(last, strlen(last), hex);
	free(last);
	free(line);
	return 0;
}

/* The refusal to chain a line to a cut-off one (line NO of PATH). */
static int
refuse_cut(const char *path, size_t no)
{
	msg_err("the audit log %s ends in a cut-off line (line %zu): a write to it was cut short (a "
	    "crash or power cut); keep a copy of the log, remove that partial line, and run the "
	    "command again", path, no);
	return P11BYOK_EFAIL;
}

/* The suffix every line ends with: its own SHA-256, over the line without it. */
#define HASH_KEY ",\"hash\":\""
#define SEAL_LEN (sizeof HASH_KEY - 1 + 2 * SHA256_LEN + 2)

/* EVENT as its log line: "seq" (its 1-based line number) and "prev" (the SHA-256 of the
 * line before) go last, then "hash", the SHA-256 of the line up to it, so a line edited
 * in place is caught at that line and a deleted or moved one where its number no longer
 * fits.  Returns the text, which the caller frees, or NULL.  */
static char *
seal(json_t *event, size_t seq, const char *prev)
{
	char hex[2 * SHA256_LEN + 1], *body, *line = NULL;
	size_t n;

	json_object_del(event, "seq");
	json_object_del(event, "prev");
	json_object_del(event, "hash");
	if (json_object_set_new(event, "seq", json_integer((json_int_t)seq)) != 0 ||
	    json_object_set_new(event, "prev", json_string(prev)) != 0 ||
	    (body = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return NULL;
	n = strlen(body);
	sha256_hex(body, n, hex);
	if (asprintf(&line, "%.*s" HASH_KEY "%s\"}", (int)(n - 1), body, hex) < 0)
		line = NULL;
	free(body);
	return line;
}

/* Whether LINE (N bytes) ends in the hash of the rest of it, as seal made it. */
static bool
seal_holds(const char *line, size_t n)
{
	char hex[2 * SHA256_LEN + 1], *body;
	const char *tail;
	size_t blen;
	bool holds;

	if (n <= SEAL_LEN || strncmp(line + n - SEAL_LEN, HASH_KEY, sizeof HASH_KEY - 1) != 0 ||
	    line[n - 1] != '}' || line[n - 2] != '"')
		return false;
	tail = line + n - SEAL_LEN + sizeof HASH_KEY - 1;
	blen = n - SEAL_LEN;
	if ((body = malloc(blen + 2)) == NULL)
		return false;
	memcpy(body, line, blen);
	body[blen] = '}';
	body[blen + 1] = '\0';
	sha256_hex(body, blen + 1, hex);
	holds = strncmp(tail, hex, 2 * SHA256_LEN) == 0;
	free(body);
	return holds;
}

int
audit_append(const char *kmdata, json_t *event)
{
	int r = P11BYOK_EFAIL, fd = -1;
	char path[4096], head[4200], prev[2 * SHA256_LEN + 1], mine[2 * SHA256_LEN + 1];
	char headtext[128], *text = NULL, *line = NULL;
	size_t count = 0;
	FILE *f = NULL;
	struct stat st;
	off_t size0 = 0;
	bool appended = false, existed;
	enum log_end end;

	if (kmdata == NULL)
		return 0;
	snprintf(path, sizeof path, "%s/audit.log", kmdata);
	snprintf(head, sizeof head, "%s/audit.head", kmdata);
	existed = fs_lstat(path, &st) == 0;
	/* O_NOFOLLOW: the log is never appended to through a link planted in kmdata. */
	if ((fd = fs_open_at(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600)) < 0) {
		msg_err("cannot open the audit log %s: %s; it must be a regular file in a "
		    "writable kmdata", path, errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0 || (f = fdopen(fd, "a+")) == NULL) {
		msg_err("cannot lock the audit log %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_err("the audit log %s is not a regular file: move it away", path);
		goto out;
	}
	size0 = st.st_size;
	if (last_line_hash(f, prev, &count, &end) < 0 ||
	    (line = seal(event, count + 1, prev)) == NULL) {
		msg_err("out of memory with the audit log %s", path);
		goto out;
	}
	/* A whole last line without its line end gets it with this write; nothing is chained
	 * to a line that was cut off (audit_check_writable refused that before any work).  */
	if (end == LOG_CUT) {
		r = refuse_cut(path, count);
		goto out;
	}
	if (asprintf(&text, "%s%s\n", end == LOG_UNENDED ? "\n" : "", line) < 0) {
		text = NULL;
		msg_err("out of memory writing the audit log");
		goto out;
	}
	appended = true;
	/* One write(2) on the O_APPEND descriptor, not stdio, and the line end in it: nothing
	 * stays buffered to be flushed after a failure has been cut off below, and a kill
	 * leaves either the whole line or none of it.  */
	if (fs_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		msg_err("cannot write the audit log %s: %s; free some space in kmdata", path,
		    strerror(errno));
		goto out;
	}
	sha256_hex(line, strlen(line), mine);
	snprintf(headtext, sizeof headtext, "%zu %s\n", count + 1, mine);
	if (fs_write_atomic(head, headtext, strlen(headtext), 0600, true) != 0)
		goto out;
	r = 0;
out:
	/* No half line, and no line the head does not count: the log is as it was. */
	if (r != 0 && appended && (ftruncate(fd, size0) != 0 || fsync(fd) != 0))
		msg_warn("cannot cut the audit log %s back to %lld bytes: %s; 'p11byok audit "
		    "verify' will report its last line", path, (long long)size0, strerror(errno));
	if (r != 0 && fd >= 0 && !existed && size0 == 0)
		fs_unlink(path);	/* made by this call: gone again */
	free(text);
	free(line);
	if (f != NULL)
		fclose(f);	/* closes fd and drops the lock */
	else if (fd >= 0)
		close(fd);
	return r;
}

/* Refuses a log that ends in a cut-off line: no line could be appended to it. */
static int
check_log_end(const char *kmdata)
{
	char path[4096], hex[2 * SHA256_LEN + 1];
	size_t count = 0;
	enum log_end end = LOG_ENDED;
	FILE *f;
	int r = 0, fd;

	snprintf(path, sizeof path, "%s/audit.log", kmdata);
	if ((fd = fs_open_at(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0)) < 0)
		return 0;	/* none yet, or audit_append says why it cannot open it */
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	/* The usual end, a line end (or an empty log), needs no reading of the whole log. */
	if (fseeko(f, -1, SEEK_END) != 0 || fgetc(f) == '\n') {
		fclose(f);
		return 0;
	}
	if (last_line_hash(f, hex, &count, &end) < 0) {
		msg_err("out of memory reading the audit log %s", path);
		r = P11BYOK_EFAIL;
	} else if (end == LOG_CUT) {
		r = refuse_cut(path, count);
	}
	fclose(f);
	return r;
}

int
audit_check_writable(const char *kmdata)
{
	static const char *const names[] = { "audit.log", "audit.head" };
	char path[4200];
	struct stat st;
	int r;

	if (kmdata == NULL)
		return 0;
	if ((r = fs_check_dir_writable(kmdata, "kmdata directory", FS_RESERVE)) != 0 ||
	    (r = fs_lock_dir(kmdata, "kmdata directory")) != 0)
		return r;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", kmdata, names[i]);
		if (fs_lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			msg_err("%s is %s: the audit trail is written only to regular files; move "
			    "it away", path, S_ISLNK(st.st_mode) ? "a symbolic link" :
			    "not a regular file");
			return P11BYOK_EUSAGE;
		}
	}
	if ((r = check_log_end(kmdata)) != 0)	/* before any work the log could not record */
		return r;
	audit_failure_arm(kmdata);
	return 0;
}

/* Checks line NO (N bytes) of the log, whose predecessor hashed to PREV; fills V and
 * returns false at the first fault.  */
static bool
check_line(const char *line, size_t n, size_t no, const char *prev, struct audit_verdict *v)
{
	json_t *ev = NULL;
	const char *claimed;
	json_int_t seq;
	bool good = false;

	v->bad_line = no;
	if (n >= LINE_MAX_BYTES || !seal_holds(line, n) ||
	    (ev = json_loads(line, 0, NULL)) == NULL) {
		v->why = "this line was edited: it does not match the SHA-256 it carries";
		goto out;
	}
	seq = json_integer_value(json_object_get(ev, "seq"));
	claimed = json_string_value(json_object_get(ev, "prev"));
	if (seq > (json_int_t)no) {
		v->why = "a line is missing here: this one was written as a later line";
	} else if (seq < (json_int_t)no) {
		v->why = "this line is out of place: it was written as an earlier line";
	} else if (claimed == NULL || strcmp(claimed, prev) != 0) {
		/* Both lines hold their own hash: the earlier one was rewritten whole. */
		v->bad_line = no > 1 ? no - 1 : no;
		v->why = no > 1 ? "this line was rewritten: the next line records another SHA-256 "
		    "for it" : "this line records a predecessor: lines before it are missing";
	} else {
		good = true;
		v->bad_line = 0;
	}
out:
	json_decref(ev);
	return good;
}

/* Checks the end of an intact chain of V->lines lines against the head file HEAD. */
static int
check_head(const char *head, const char *before_last, struct audit_verdict *v)
{
	char *text = NULL, want[2 * SHA256_LEN + 1];
	size_t count = 0, no = v->lines;
	int r = 0;

	/* The first line is fsync'd before the head is first written: a crash between the two
	 * leaves a one-line log and no head yet, the head one line behind.  */
	if (no == 1 && access(head, F_OK) != 0 && errno == ENOENT) {
		v->head_behind = true;
		return 0;
	}
	if (fs_read_file(head, "audit head", 256, &text, NULL) != 0)
		return P11BYOK_EUSAGE;
	v->head_checked = true;
	if (sscanf(text, "%zu %64s", &count, want) != 2) {
		v->bad_line = no + 1;
		v->why = "the head file is not one p11byok wrote";
		r = P11BYOK_EFAIL;
	} else if (no > 0 && count == no - 1 && strcmp(want, before_last) == 0) {
		/* The log line is fsync'd before the head is replaced: a crash between the two
		 * leaves the head one line behind, not a gap. */
		v->head_behind = true;
	} else if (count > no) {
		v->bad_line = no + 1;
		v->why = "lines are missing at the end: the head records more";
		r = P11BYOK_EFAIL;
	} else if (count != no || strcmp(want, v->last_hash) != 0) {
		v->bad_line = count < no ? count + 1 : no;
		v->why = count < no ? "lines were added after the last one the head records" :
		    "the last line is not the one the head records: it was rewritten";
		r = P11BYOK_EFAIL;
	}
	free(text);
	return r;
}

int
audit_verify(const char *path, const char *head, struct audit_verdict *v)
{
	char prev[2 * SHA256_LEN + 1] = "", before_last[2 * SHA256_LEN + 1] = "";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd, r = 0;

	memset(v, 0, sizeof *v);
	if ((fd = fs_open_input(path, "audit log")) < 0)
		return P11BYOK_EUSAGE;
	if ((f = fdopen(fd, "r")) == NULL) {
		msg_err("cannot read the audit log %s: %s", path, strerror(errno));
		close(fd);
		return P11BYOK_EUSAGE;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		v->lines++;
		if (!(v->unended = line[n - 1] != '\n'))
			line[--n] = '\0';
		if (!check_line(line, (size_t)n, v->lines, prev, v)) {
			if (v->unended && v->bad_line == v->lines && !seal_holds(line, (size_t)n))
				v->why = "this line is cut off: a write to the log was cut short (a "
				    "crash or power cut) and the line never was whole";
			r = P11BYOK_EFAIL;
			break;
		}
		memcpy(before_last, prev, sizeof prev);
		sha256_hex(line, (size_t)n, prev);
	}
	free(line);
	fclose(f);
	memcpy(v->last_hash, prev, sizeof prev);
	if (r == 0 && head != NULL)
		r = check_head(head, before_last, v);
	return r;
}

/* --- what a log records ------------------------------------------------------------- */

struct audit_log {
	json_t **events;
	size_t n;
};

int
audit_log_load(const char *kmdata, struct audit_log **out)
{
	struct audit_log *log = calloc(1, sizeof *log);
	struct audit_verdict v;
	char path[4096], head[4200], *text = NULL, *line, *save = NULL;
	size_t len = 0, cap = 0;
	int r = P11BYOK_EFAIL;

	*out = NULL;
	if (log == NULL) {
		msg_err("out of memory");
		return r;
	}
	snprintf(path, sizeof path, "%s/audit.log", kmdata);
	snprintf(head, sizeof head, "%s/audit.head", kmdata);
	if (access(path, F_OK) == 0) {
		/* What the log says is done is believed only of an intact chain, to its head. */
		if ((r = audit_verify(path, access(head, F_OK) == 0 ? head : NULL, &v)) != 0) {
			if (r == P11BYOK_EFAIL)
				msg_err("the audit log %s is broken at line %zu (%s): nothing it records "
				    "can be relied on; run 'p11byok audit verify' and restore the log "
				    "from a copy", path, v.bad_line, v.why ? v.why : "altered");
			goto out;
		}
		if ((r = fs_read_file(path, "audit log", (size_t)1 << 30, &text, &len)) != 0)
			goto out;
		r = P11BYOK_EFAIL;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			json_t *ev = json_loads(line, 0, NULL);
			if (ev == NULL)
				continue;	/* audit verify reports it; it records nothing */
			if (log->n == cap) {
				json_t **grown = realloc(log->events, (cap = cap ? 2 * cap : 64) *
				    sizeof *grown);
				if (grown == NULL) {
					json_decref(ev);
					msg_err("out of memory reading %s", path);
					goto out;
				}
				log->events = grown;
			}
			log->events[log->n++] = ev;
		}
	}
	*out = log;
	log = NULL;
	r = 0;
out:
	free(text);
	audit_log_free(log);
	return r;
}

/* Whether OBJ's string FIELD is VALUE (a missing field is ""). */
static bool
field_is(json_t *obj, const char *field, const char *value)
{
	/* VALUE NULL: an event without the field (world init names no ident). */
	if (value == NULL)
		return json_object_get(obj, field) == NULL;
	return strcmp(json_string_value(json_object_get(obj, field)) ?: "", value) == 0;
}

/* Whether EV records work done: SUCCESS or RECOVERED, not a FAILURE. */
static bool
did_work(json_t *ev)
{
	return json_string_value(json_object_get(ev, "result")) != NULL &&
	    !field_is(ev, "result", "FAILURE");
}

/* Whether EV lists a file with the SHA-256 HEX. */
static bool
lists_file(json_t *ev, const char *hex)
{
	size_t i;
	json_t *file;

	json_array_foreach(json_object_get(ev, "files"), i, file)
		if (field_is(file, "sha256", hex))
			return true;
	return false;
}

bool
audit_log_has(const struct audit_log *log, const char *command, const char *ident,
    const char *sha256)
{
	return audit_log_find(log, command, ident, sha256) != NULL;
}

const json_t *
audit_log_find(const struct audit_log *log, const char *command, const char *ident,
    const char *sha256)
{
	for (size_t i = log != NULL ? log->n : 0; i > 0; i--) {
		json_t *ev = log->events[i - 1];
		if (field_is(ev, "command", command) && field_is(ev, "ident", ident) &&
		    did_work(ev) && (sha256 == NULL || lists_file(ev, sha256)))
			return ev;
	}
	return NULL;
}

void
audit_log_free(struct audit_log *log)
{
	if (log == NULL)
		return;
	for (size_t i = 0; i < log->n; i++)
		json_decref(log->events[i]);
	free(log->events);
	free(log);
}

int
audit_recover(const char *kmdata, const char *command, const char *token_serial,
    const char *world_hash, const char *ident, const char *path, const char *note)
{
	struct audit_log *log = NULL;
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	json_t *ev;
	bool listed;
	int r;

	if (digest_sha256_file(path, d) != 0)
		return P11BYOK_EUSAGE;
	hex_encode(d, SHA256_LEN, hex, 0);
	if ((r = audit_log_load(kmdata, &log)) != 0)
		return r;
	listed = audit_log_has(log, command, ident, hex);
	audit_log_free(log);
	if (listed)
		return 0;
	if ((ev = audit_event(command)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	json_object_set_new(ev, "token_serial", json_string(token_serial));
	json_object_set_new(ev, "world_hash", json_string(world_hash));
	if (ident != NULL)
		json_object_set_new(ev, "ident", json_string(ident));
	json_object_set_new(ev, "result", json_string("RECOVERED"));
	json_object_set_new(ev, "note", json_string(note));
	r = audit_add_file(ev, path) == 0 ? audit_append(kmdata, ev) : P11BYOK_EFAIL;
	json_decref(ev);
	return r;
}
