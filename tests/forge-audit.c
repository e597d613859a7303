/* forge-audit: plays someone who can write kmdata but holds no PIN (issue 16): appends to
 * KMDATA/audit.log a package line for IDENT naming FILE with its SHA-256, sealed exactly as
 * p11byok seals its lines (the chain has no key), with a proof field of PROOF (hex; "-" for
 * none).  The head file follows, as p11byok's own append would leave it.
 *
 *   forge-audit KMDATA IDENT FILE KEK-FINGERPRINT WORLD-HASH PROOF
 *
 * Exit 0 when the line was appended.  */
#include "config.h"
#include "audit.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	json_t *ev;
	int r;

	if (argc != 7) {
		fprintf(stderr, "usage: forge-audit KMDATA IDENT FILE KEK-FINGERPRINT WORLD-HASH "
		    "PROOF\n");
		return 2;
	}
	if ((ev = audit_event("package")) == NULL)
		return 1;
	json_object_set_new(ev, "world_hash", json_string(argv[5]));
	json_object_set_new(ev, "ident", json_string(argv[2]));
	json_object_set_new(ev, "kek_fingerprint", json_string(argv[4]));
	if (strcmp(argv[6], "-") != 0)
		json_object_set_new(ev, "proof", json_string(argv[6]));
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	r = audit_add_file(ev, argv[3]) == 0 && audit_append(argv[1], ev) == 0 ? 0 : 1;
	json_decref(ev);
	return r;
}
