/* quorum.h: the administrator card quorum, the one routine every admin command uses:
 * K cards and their passphrases -> the SO secret in locked memory -> SO session -> action
 * -> logout -> wipe.  Card files themselves are cards.h.  */
#ifndef P11BYOK_QUORUM_H
#define P11BYOK_QUORUM_H

#include "cli.h"
#include "p11.h"
#include "world.h"

/* The cards a command was given: --card FILE once per card, --card-pass-file FILE in the
 * same order (missing passphrase files are asked for on the terminal, naming the card).  */
struct quorum;

struct quorum *quorum_new(void);
void quorum_free(struct quorum *q);

/* Option handling for commands that take cards: returns CLI_CONTINUE when OPT was
 * QUORUM_OPT_CARD or QUORUM_OPT_PASS (recorded), else -2 (not a quorum option).  */
enum { QUORUM_OPT_CARD = OPT_COMMAND_BASE + 0x80, QUORUM_OPT_PASS };
#define QUORUM_LONGOPTS \
	{ "card", required_argument, NULL, QUORUM_OPT_CARD }, \
	{ "card-pass-file", required_argument, NULL, QUORUM_OPT_PASS }
#define QUORUM_OPT_DOCS \
	{ "--card", "FILE", "an administrator card of the world (give at least K)" }, \
	{ "--card-pass-file", "FILE", "the passphrase of the card given in the same position " \
	    "(else asked on the terminal)" }
int quorum_option(struct quorum *q, int opt, const char *arg);

/* Adds card FILE with its passphrase file PASS (NULL: asked on the terminal), as a
 * runbook's cards list gives them.  */
void quorum_add_card(struct quorum *q, const char *file, const char *pass);

/* Whether any card was given. */
bool quorum_has_cards(const struct quorum *q);

/* Opens the SO session: checks P's token is W's, decrypts the cards (refusing fewer than K,
 * the same card twice, a card of another world, a wrong passphrase: each naming the card),
 * rebuilds the SO secret in the secure heap, C_Login(CKU_SO) on P's session, wipes it.
 * Returns 0, P11BYOK_EUSAGE (cards) or P11BYOK_EFAIL (token refused), after one line.
 * Nothing on the token changes on failure.  */
int quorum_login_so(struct quorum *q, struct p11 *p, const struct world *w);

/* Ends the SO session (C_Logout); warns when the token fails. */
void quorum_logout(struct p11 *p);

#endif
