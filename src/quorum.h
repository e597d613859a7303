/* quorum.h: the administrator card quorum, the one routine every admin command uses:
 * K cards and their passphrases -> the SO secret in locked memory -> SO session -> action
 * -> logout -> wipe.  Card files themselves are cards.h.  */
#ifndef P11BYOK_QUORUM_H
#define P11BYOK_QUORUM_H

#include <jansson.h>
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

/* Decrypts the cards and rebuilds the SO PIN in the secure heap without touching any token
 * (refusing fewer than K cards, the same card twice, a card of another world or not listed
 * in W, a wrong passphrase, a split whose check value is not W's: each naming the card), so
 * a command can refuse before it changes anything.  The PIN stays, for every SO login of
 * this command, until quorum_free wipes it.  Returns 0 (also when already unlocked),
 * P11BYOK_EUSAGE (cards) or P11BYOK_EFAIL, after one line.  */
int quorum_unlock(struct quorum *q, const struct world *w);

/* Opens the SO session: checks P's token is W's, unlocks the cards (quorum_unlock) when not
 * yet, and logs the SO in on P's session.  A wrong PIN is never retried.  Returns 0,
 * P11BYOK_EUSAGE (cards) or P11BYOK_EFAIL (token refused), after one line.  Nothing on the
 * token changes on failure.  */
int quorum_login_so(struct quorum *q, struct p11 *p, const struct world *w);

/* The check value (cards_check_value) of the SO secret Q unlocked.  0 or P11BYOK_EFAIL. */
int quorum_check_value(const struct quorum *q, char out[17]);

/* The numbers of the cards that unlocked Q, as a JSON array (a new reference). */
json_t *quorum_cards_json(const struct quorum *q);

/* Ends the SO session (C_Logout); warns when the token fails. */
void quorum_logout(struct p11 *p);

/* Initialises the token P selected (uninitialised) with the SO PIN Q's cards of world W
 * rebuild, labelled LABEL (32 bytes, space padded): world init finishing a run that wrote
 * its cards and stopped before the token took their secret.  0 or the exit code after one
 * line.  */
int quorum_init_token(struct quorum *q, struct p11 *p, const struct world *w,
    const unsigned char label[32]);

/* world init --adopt finishing a run that wrote its cards and stopped before (or while) the
 * token took their secret: logs P in as the SO with the secret Q's cards of world W rebuild;
 * when the token refuses it as a wrong PIN and OLD (LEN) is the token's former SO PIN, logs
 * in with that and changes the SO PIN to the cards' secret (C_SetPIN).  Ends logged in as
 * the SO.  0 or the exit code after one line.  */
int quorum_adopt_login(struct quorum *q, struct p11 *p, const struct world *w, char *old,
    size_t len);

/* Wipes the SO PIN the cards rebuilt, once the command needs it no more. */
void quorum_forget(struct quorum *q);

#endif
