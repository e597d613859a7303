/* keycheck.h: the keys a transfer relies on, checked on the token before anything is wrapped
 * (DESIGN.md §2: never an object found by label or ID alone).
 *
 * The target of IDENT is the key generate made: born on the token (CKA_LOCAL), always
 * sensitive, extractable only under trusted keys, of its record's type, with its record's
 * label and public part (RSA modulus and exponent; EC: a test signature verified with the
 * record's public key, since a private EC object carries no public point; AES: the record's
 * CKA_CHECK_VALUE).  Its transfer copy is that same key with every usage off and not
 * modifiable: the same birth attributes and the same public part.  A user can make a key of
 * a known value with that label and ident, but not one the token says was born there and
 * never left it in the clear.  Each refusal is one line naming the object and what is
 * wrong.  */
#ifndef P11BYOK_KEYCHECK_H
#define P11BYOK_KEYCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "keyrecord.h"
#include "p11.h"

struct keycheck {
	enum key_type type;
	CK_OBJECT_HANDLE target;
	CK_OBJECT_HANDLE copy;		/* CK_INVALID_HANDLE until keycheck_copy finds one */
	bool copy_unproven;		/* the copy passed every check but the public part, which
					 * this module does not show (an EC point on a private
					 * key, an AES check value) */
	/* The public part as the token shows it on the target. */
	unsigned char *modulus, *exponent, *ec_params, *ec_point;
	size_t modulus_len, exponent_len, ec_params_len, ec_point_len;
	unsigned char kcv[16];
	size_t kcv_len;			/* 0: the module keeps no check value */
	CK_ULONG value_len;		/* AES key bytes */
};

/* Finds the target of record K on P (user session) and checks it as above; the candidates
 * come from IDX when not NULL (a batch's one scan, objindex.h), else from a search, and each
 * is read from the token now.  Returns 0 with
 * C filled (free with keycheck_clear), P11BYOK_EUSAGE when no key has the ident, or
 * P11BYOK_EFAIL after one line when the token holds something else under it.  */
struct objindex;
int keycheck_target(struct p11 *p, const struct objindex *idx, const struct key_simple *k,
    struct keycheck *c);

/* Finds the transfer copy of C's target (label xferacld-IDENT; IDX as above) and checks it
 * against the target.  Returns 0 with C->copy set (CK_INVALID_HANDLE when there is none), or
 * P11BYOK_EFAIL after one line when what carries the copy's names is not a copy of the
 * target (or more than one object does).  */
int keycheck_copy(struct p11 *p, const struct objindex *idx, const char *ident,
    struct keycheck *c);

/* Checks that COPY, just made from C's target by this process, is what keycheck_copy
 * accepts.  0 or P11BYOK_EFAIL after one line.  */
int keycheck_made_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE copy,
    struct keycheck *c);

/* Checks that key H (WHAT names it in the refusal) is a token object as generate makes it:
 * private, sensitive and always so, extractable only under trusted keys, born on the
 * token.  0 or P11BYOK_EFAIL after one line.  */
int keycheck_birth(struct p11 *p, CK_OBJECT_HANDLE h, const char *what);

void keycheck_clear(struct keycheck *c);

#endif
