/* audit.h: kmdata/audit.log, one JSON object per line, each carrying its line number, its
 * own SHA-256 and that of the line before it, so editing, deleting or reordering a line is
 * caught at that line; kmdata/audit.head records the count and the last line's SHA-256.
 *
 * The log never holds a secret: callers put in it only names, serials, hashes and results. */
#ifndef P11BYOK_AUDIT_H
#define P11BYOK_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A new event for COMMAND ("generate") with its "time" and "command" fields set; the caller
 * adds what it knows (token_serial, world_hash, ident, kek_fingerprint, result, ...).  NULL
 * when out of memory.  */
json_t *audit_event(const char *command);

/* Adds {"path": PATH, "sha256": hex} to the event's "files" array; 0 or P11BYOK_EFAIL. */
int audit_add_file(json_t *event, const char *path);

/* Appends EVENT (a reference is taken, not stolen) to KMDATA/audit.log, sealed with "seq",
 * "prev" (the SHA-256 of the last line, "" for the first) and its own "hash" (see
 * audit_verify), under an exclusive lock, fsync'd; then records the line count and the new line's SHA-256 in KMDATA/audit.head, so a deleted last
 * line is seen too.  A failure truncates the log back to what it was, so no partial line
 * stays.  Returns 0, or P11BYOK_EFAIL after one line.  KMDATA NULL does nothing.  */
int audit_append(const char *kmdata, json_t *event);

/* Checks, before a command touches the token, that audit_append can succeed: KMDATA is a
 * writable directory with room (fs_check_dir_writable) and audit.log and audit.head, where
 * they exist, are regular files, not links; and locks KMDATA for this command
 * (fs_lock_dir), so no other command works on it meanwhile.  Returns 0 (also for KMDATA NULL) or the exit
 * code after one line.  */
int audit_check_writable(const char *kmdata);

/* Adds {"path": PATH, "sha256": hex of the LEN bytes at DATA}: for a file recorded before
 * it is put in place.  0 or P11BYOK_EFAIL.  */
int audit_add_data(json_t *event, const char *path, const void *data, size_t len);

/* What audit_verify found. */
struct audit_verdict {
	size_t lines;			/* lines read */
	size_t bad_line;		/* the first broken line (1-based; lines + 1 when lines
					 * are missing at the end); 0 when intact */
	const char *why;		/* what is wrong at bad_line */
	bool head_checked;		/* the end was checked against a head file */
	bool head_behind;		/* ... which was one line behind (a write cut short) */
	bool unended;			/* the last line lacks its line end (the next append
					 * gives it one) */
	char last_hash[65];		/* the SHA-256 of the last line, as a head records it */
};

/* Checks every line of the log at PATH: its own SHA-256 ("hash", over the line without it),
 * its number ("seq") and the SHA-256 of the line before ("prev"); then its end against HEAD
 * (the audit.head beside it) when HEAD is not NULL.  Returns 0 when intact, P11BYOK_EFAIL
 * with V->bad_line and V->why at the first fault, P11BYOK_EUSAGE (after one line) when the
 * log or HEAD cannot be read.  */
int audit_verify(const char *path, const char *head, struct audit_verdict *v);

/* The events of KMDATA/audit.log, read once (no log: none), so a rerun can ask whether
 * work it finds done was recorded; the chain is verified first, to audit.head when there
 * is one (audit_verify), and a broken one is refused.  Returns 0 or the exit code after
 * one line.  */
struct audit_log;
int audit_log_load(const char *kmdata, struct audit_log **out);

/* Whether LOG has a COMMAND event for IDENT (NULL: an event naming no ident) that did not
 * fail, listing a file with the SHA-256 SHA256 (hex) unless that is NULL.  */
bool audit_log_has(const struct audit_log *log, const char *command, const char *ident,
    const char *sha256);
/* Work found done whose line a crash kept out of KMDATA's audit log (the record PATH of
 * IDENT written, its COMMAND line not): appends that line now, its result RECOVERED and NOTE
 * saying how it was found, unless a line of KMDATA's log already lists PATH as it is.
 * 0 or the exit code after one line.  */
int audit_recover(const char *kmdata, const char *command, const char *token_serial,
    const char *world_hash, const char *ident, const char *path, const char *note);

/* The last COMMAND event for IDENT in LOG that did not fail, listing a file with SHA256
 * (hex) unless that is NULL; NULL when there is none.  It belongs to LOG.  */
const json_t *audit_log_find(const struct audit_log *log, const char *command,
    const char *ident, const char *sha256);
void audit_log_free(struct audit_log *log);

#endif
