/* modcaps.h: can this module run the BYOK flow?  Checked before any work, by doctor and by
 * world init (before the first card is written or PIN changed).
 *
 * A mechanism list is not an answer: a module may list a mechanism without the use the flow
 * needs (CKM_RSA_PKCS_OAEP without CKF_WRAP), or advertise what it cannot do.  So each
 * mechanism is checked with the flags of its use, and what flags cannot tell is probed
 * with public session objects, destroyed at once: no login, no token object.  */
#ifndef P11BYOK_MODCAPS_H
#define P11BYOK_MODCAPS_H

#include <stdbool.h>
#include "p11.h"

/* A mechanism the flow uses, with the flags that use needs. */
struct modcaps_mech {
	CK_MECHANISM_TYPE type;
	const char *name;
	CK_FLAGS flags;
	const char *use;
};
extern const struct modcaps_mech modcaps_mechs[];
extern const size_t modcaps_nmechs;
enum { MODCAPS_NATIVE = 5 };	/* modcaps_mechs[]: CKM_RSA_AES_KEY_WRAP's index */

/* Whether the token offers M with its flags: 1 yes, 0 not listed, -1 listed without a flag
 * its use needs (*FLAGS then says which are there), MODCAPS_FAILED when the module failed
 * to answer (one line said so).  */
#define MODCAPS_FAILED (-2)
int modcaps_mech(struct p11 *p, const struct modcaps_mech *m, CK_FLAGS *flags);

enum modcap_verdict { MODCAP_YES, MODCAP_NO, MODCAP_UNKNOWN };

/* One capability: its name, the verdict, and when it is not yes the module's answer and
 * what follows for the BYOK flow.  */
struct modcap {
	const char *name;
	enum modcap_verdict v;
	char note[240];
};

#define MODCAPS_NPROBES 5

/* The capabilities mechanism flags cannot show: C_InitToken (probed on a slot that does
 * not exist), a trusted key refused to anyone but the security officer, CKA_WRAP_WITH_TRUSTED
 * enforced by C_WrapKey, C_CopyObject with usages turned off, a private key wrapped at all.
 * The session probes need an open session (any login but the SO's); without one
 * (SESSION false) they are MODCAP_UNKNOWN.  */
void modcaps_probe(struct p11 *p, bool session, struct modcap out[MODCAPS_NPROBES]);

/* Whether P's chosen token's serial number tells it apart, as key records and worlds bind
 * to it: false, with WHY (LEN bytes) saying how, when it is empty, all zeros, or that of
 * another token of the module too.  */
bool modcaps_serial_distinct(struct p11 *p, char *why, size_t len);

/* Before world init changes anything on P's chosen token (FREE: a slot to initialise, else
 * a token to adopt, with a session open): every mechanism the flow needs, with its flags,
 * the probes, and (adopting) a serial number that tells the token apart.  0, or P11BYOK_EFAIL after one line naming what the module cannot do and
 * what follows.  */
int modcaps_require_world(struct p11 *p, bool free);

/* Logged in as the security officer (world init --adopt, before the SO PIN changes): the SO
 * can make a trusted key, as the quorum's approval of each transfer needs.  A public
 * session key, destroyed at once.  0, or P11BYOK_EFAIL after one line.  */
int modcaps_require_so_trust(struct p11 *p);

#endif
