/* jsonout.h: the one JSON document a command prints on stdout under --json. */
#ifndef P11BYOK_JSONOUT_H
#define P11BYOK_JSONOUT_H

#include <jansson.h>

/* Prints DOC indented on stdout and releases it (the reference is stolen).  Returns 0, or
 * P11BYOK_EFAIL when DOC is NULL (out of memory building it) or stdout fails.  */
int json_emit(json_t *doc);

#endif
