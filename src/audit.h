/* audit.h: kmdata/audit.log, one JSON object per line, each carrying the SHA-256 of the
 * line before it, so editing, deleting or reordering a line breaks the chain there.
 *
 * The log never holds a secret: callers put in it only names, serials, hashes and results. */
#ifndef P11BYOK_AUDIT_H
#define P11BYOK_AUDIT_H

#include <jansson.h>

/* A new event for COMMAND ("generate") with its "time" and "command" fields set; the caller
 * adds what it knows (token_serial, world_hash, ident, kek_fingerprint, result, ...).  NULL
 * when out of memory.  */
json_t *audit_event(const char *command);

/* Adds {"path": PATH, "sha256": hex} to the event's "files" array; 0 or P11BYOK_EFAIL. */
int audit_add_file(json_t *event, const char *path);

/* Appends EVENT (a reference is taken, not stolen) to KMDATA/audit.log with "prev" set to
 * the SHA-256 of the last line ("" for the first), under an exclusive lock, fsync'd; then
 * records the line count and the new line's SHA-256 in KMDATA/audit.head, so a deleted last
 * line is seen too.  A failure truncates the log back to what it was, so no partial line
 * stays.  Returns 0, or P11BYOK_EFAIL after one line.  KMDATA NULL does nothing.  */
int audit_append(const char *kmdata, json_t *event);

/* Checks, before a command touches the token, that audit_append can succeed: KMDATA is a
 * writable directory with room (fs_check_dir_writable) and audit.log and audit.head, where
 * they exist, are regular files, not links.  Returns 0 (also for KMDATA NULL) or the exit
 * code after one line.  */
int audit_check_writable(const char *kmdata);

/* Checks the chain of the log at PATH, and its end against HEAD (the audit.head beside it)
 * when HEAD is not NULL.  Returns 0 when intact; P11BYOK_EFAIL with the first broken line in
 * *BAD_LINE (1-based; lines + 1 when lines are missing at the end); P11BYOK_EUSAGE when the
 * log cannot be read.  */
int audit_verify(const char *path, const char *head, size_t *lines, size_t *bad_line);

#endif
