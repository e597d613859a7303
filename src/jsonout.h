/* jsonout.h: the one JSON document a command prints on stdout under --json. */
#ifndef P11BYOK_JSONOUT_H
#define P11BYOK_JSONOUT_H

#include <jansson.h>

/* Prints DOC indented on stdout and releases it (the reference is stolen).  Returns 0, or
 * P11BYOK_EFAIL when DOC is NULL (out of memory building it) or stdout fails.  */
int json_emit(json_t *doc);

/* When a command fails under --json without having printed its document: prints
 * {"command", "result": "FAILURE", "exit_code", "error": the first error line}, so a runbook
 * driver always gets one document.  COMMAND may be NULL (none was named).  Returns
 * EXIT_CODE.  */
int json_emit_failure(const char *command, int exit_code);

#endif
