/* discard.h: taking away what p11byok made for a key that never left the world (issue 17):
 * its objects on the token (the key, its public key object, its transfer copy) and its
 * records in kmdata, for a key made by mistake or half made by a generate that was cut
 * short.  Only what p11byok can show it made goes, and nothing of a key that was packaged:
 * a .byok of it exists, and taking the key away would not take that back.  */
#ifndef P11BYOK_DISCARD_H
#define P11BYOK_DISCARD_H

#include <jansson.h>
#include "p11.h"

#define DISCARD_MAX_OBJECTS 8

struct discard_plan {
	CK_OBJECT_HANDLE obj[DISCARD_MAX_OBJECTS];
	char what[DISCARD_MAX_OBJECTS][48];	/* "private key 'label'", for the listing */
	size_t nobj;
	char record[2][4096];			/* key_simple_ID, key_xferacld_ID when there */
	size_t nrecords;
};

/* Finds what discarding key IDENT would take away, on P's token (user session) and in
 * KMDATA, and refuses (changing nothing) when a package line of the audit log names IDENT,
 * or an object under IDENT is not one p11byok makes (a key not born on the token
 * wrap-with-trusted, a label not the record's).  0 with PLAN, P11BYOK_EUSAGE when there is
 * nothing of IDENT, or the exit code after one line.  */
int discard_plan(struct p11 *p, const char *kmdata, const char *ident,
    struct discard_plan *plan);

/* Destroys PLAN's objects (the transfer copy first) and removes its records, listing each
 * in the audit event EV (the records' SHA-256 first).  Again after a failure: what is gone
 * already is not missed.  0 or the exit code after one line.  */
int discard_do(struct p11 *p, struct discard_plan *plan, json_t *ev);

#endif
