/* jsonout.c: printing a command's JSON document; see jsonout.h. */
#include "config.h"
#include "jsonout.h"
#include "msg.h"

int
json_emit(json_t *doc)
{
	int rc;
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
