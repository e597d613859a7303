/* audit-failure.c: the FAILURE line of a failed command; see audit-failure.h. */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

static char *armed;		/* the kmdata to log in, once armed */
static json_t *notes;		/* fields for the line */

void
audit_failure_arm(const char *kmdata)
{
	if (kmdata == NULL || (armed != NULL && strcmp(armed, kmdata) == 0))
		return;
	free(armed);
	armed = strdup(kmdata);
}

void
audit_failure_note(const char *field, const char *value)
{
	if (notes == NULL && (notes = json_object()) == NULL)
		return;
	if (value != NULL)
		json_object_set_new(notes, field, json_string(value));
}

void
audit_failure_disarm(void)
{
	free(armed);
	armed = NULL;
}

void
audit_failure_record(const char *command, int exit_code, const char *error)
{
	json_t *ev;

	if (armed != NULL && (ev = audit_event(command)) != NULL) {
		if (notes != NULL)
			json_object_update(ev, notes);
		json_object_set_new(ev, "result", json_string("FAILURE"));
		json_object_set_new(ev, "exit_code", json_integer(exit_code));
		json_object_set_new(ev, "error", json_string(error != NULL ? error : "failed"));
		msg_hold(true);
		(void)audit_append(armed, ev);
		msg_hold(false);
		json_decref(ev);
	}
	json_decref(notes);
	notes = NULL;
	free(armed);
	armed = NULL;
}
