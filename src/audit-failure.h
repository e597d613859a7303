/* audit-failure.h: the audit line of a command that failed once it could change things.
 *
 * The log is what an auditor reads afterwards, so it records attempts, not only successes:
 * audit_check_writable arms this for its kmdata just before a command touches the token or
 * writes, and main() logs a command that fails after that with result FAILURE, its exit
 * code and its error line (which never holds a secret).  */
#ifndef P11BYOK_AUDIT_FAILURE_H
#define P11BYOK_AUDIT_FAILURE_H

/* From now on, a failure of this command is logged in KMDATA/audit.log. */
void audit_failure_arm(const char *kmdata);

/* Not to be logged after all: the command made the kmdata directory itself, changed
 * nothing, and takes the directory away again (a failed world init leaves no trace).  */
void audit_failure_disarm(void);

/* Adds FIELD: VALUE ("ident") to the failure line, should there be one; a later note of the
 * same field replaces it (run notes each key as it starts).  */
void audit_failure_note(const char *field, const char *value);

/* Appends {command, result: FAILURE, exit_code, error, notes...} when armed; silent when
 * that append fails too (the error already said what is wrong with kmdata).  */
void audit_failure_record(const char *command, int exit_code, const char *error);

#endif
