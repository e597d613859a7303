/* trustscan.h: every CKA_TRUSTED object on the token, and what it may wrap.
 *
 * A trusted key can wrap every world-bound key the token holds, so the world's token may
 * hold exactly one trusted object at rest: the world backup key, with the attributes and
 * templates `world init` gives it.  The trust of a transfer is session objects of the
 * process doing it (transfer.h) and never shows here.  Anything else is accounted for or
 * refused:
 *   - a KEK (byok-kek-...) or transfer key (byok-transfer-...) left on the token by an older
 *     p11byok, which kept them there between modify-acls and package (its label and the
 *     shape that version gave it): the transfer commands destroy them and log it as
 *     RECOVERED, and world show and doctor count them as trust at rest too;
 *   - any other trusted object (a previous security officer's, a forged world key): named,
 *     and every transfer refused until it is gone.  */
#ifndef P11BYOK_TRUSTSCAN_H
#define P11BYOK_TRUSTSCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "p11.h"

enum trusted_kind {
	TRUSTED_WORLD_KEY,	/* the world backup key, as world init makes it */
	TRUSTED_LEGACY,		/* a KEK or transfer key an older p11byok left */
	TRUSTED_FOREIGN,	/* not p11byok's, or a world key that is not right */
};

struct trusted_obj {
	CK_OBJECT_HANDLE h;
	enum trusted_kind kind;
	char cls[16];		/* "secret key", "public key", ... */
	char label[65];
	char id_hex[65];
	char may_wrap[256];	/* its CKA_WRAP_TEMPLATE in words */
	char why[160];		/* for a foreign one: what is wrong */
};

/* Lists the trusted token objects P's session sees (a session not logged in as the user
 * sees the public ones only), however many.  Returns 0 with *OUT (free it) and *N, or
 * P11BYOK_EFAIL after one line.  */
int trustscan_list(struct p11 *p, struct trusted_obj **out, size_t *n);

/* Lists the trusted token objects P's session sees (logged in as the user, private ones
 * too) and refuses (P11BYOK_EFAIL, one line naming it) when a foreign one is there; changes
 * nothing.  Returns 0 or the exit code.  */
int trustscan_check(struct p11 *p);

/* As trustscan_check, then destroys the trusted objects an older p11byok left (one
 * RECOVERED line in KMDATA's audit log names them): right before a command's first change
 * to the token.  Returns 0 or the exit code.  */
int trustscan_sweep(struct p11 *p, const char *kmdata, const char *world_hash);

/* The list as JSON: [{kind, class, label, id_hex, may_wrap, why?}] (a new reference). */
json_t *trustscan_json(const struct trusted_obj *t, size_t n);

/* "world key", "left by an older p11byok", "NOT ACCOUNTED FOR" */
const char *trustscan_kind_name(enum trusted_kind kind);

#endif
