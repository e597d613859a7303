/* jsonout.c: printing a command's JSON document; see jsonout.h. */
#include "config.h"
#include "jsonout.h"
#include "msg.h"

static bool emitted;

int
json_emit(json_t *doc)
{
	int rc;
	emitted = true;
	if (doc == NULL) {
		msg_err("out of memory building the JSON output");
		return P11BYOK_EFAIL;
	}
	rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		msg_err("cannot write the JSON output to stdout");
		return P11BYOK_EFAIL;
	}
	return 0;
}

int
json_emit_failure(const char *command, int exit_code)
{
	const char *error = msg_first_error();
	if (emitted)
		return exit_code;
	json_emit(json_pack("{s:s?, s:s, s:i, s:s}", "command", command, "result", "FAILURE",
	    "exit_code", exit_code, "error", error != NULL ? error : "failed"));
	return exit_code;
}
