/* quorum.c: K cards and passphrases -> SO secret -> SO session; see quorum.h. */
#include "config.h"
#include "quorum.h"
#include "cards.h"
#include "digest.h"
#include "msg.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* More cards than any world has is a mistake on the command line, not a quorum. */
#define QUORUM_MAX_ARGS (2 * WORLD_MAX_CARDS)

struct quorum {
	const char *card[QUORUM_MAX_ARGS];
	const char *pass[QUORUM_MAX_ARGS];
	unsigned ncards, npass;
	bool too_many, inline_secret;
	char *pin;			/* the SO PIN once unlocked, in the secure heap */
	size_t pin_len;
	unsigned used[WORLD_MAX_CARDS];	/* the card numbers that unlocked it */
	unsigned nused;
};

struct quorum *
quorum_new(void)
{
	return calloc(1, sizeof(struct quorum));
}

void
quorum_free(struct quorum *q)
{
	if (q == NULL)
		return;
	secret_free(q->pin, q->pin_len);
	free(q);
}

int
quorum_option(struct quorum *q, int opt, const char *arg)
{
	switch (opt) {
	case QUORUM_OPT_CARD:
		if (q->ncards < QUORUM_MAX_ARGS)
			q->card[q->ncards++] = arg;
		else
			q->too_many = true;
		return CLI_CONTINUE;
	case QUORUM_OPT_PASS:
		q->inline_secret = q->inline_secret || cli_inline_secret(arg);
		if (q->npass < QUORUM_MAX_ARGS)
			q->pass[q->npass++] = arg;
		else
			q->too_many = true;
		return CLI_CONTINUE;
	default:
		return -2;
	}
}

void
quorum_add_card(struct quorum *q, const char *file, const char *pass)
{
	if (q->ncards >= QUORUM_MAX_ARGS) {
		q->too_many = true;
		return;
	}
	/* Passphrases pair with cards by position; a card without one is asked for. */
	q->pass[q->ncards] = pass;
	q->card[q->ncards++] = file;
	q->npass = q->ncards;
}

bool
quorum_has_cards(const struct quorum *q)
{
	return q->ncards > 0;
}

/* Loads every card given and checks it belongs to W, without asking any passphrase. */
static int
load_cards(struct quorum *q, const struct world *w, struct card **cards)
{
	int r;

	for (unsigned i = 0; i < q->ncards; i++) {
		struct card *c;
		if ((r = card_load(q->card[i], &cards[i])) != 0)
			return r;
		c = cards[i];
		if (strcmp(c->world_hash, w->hash) != 0) {
			msg_err("card %s belongs to another world (world hash %.16s...), not this one "
			    "(%.16s...): give this world's cards", c->path, c->world_hash, w->hash);
			return P11BYOK_EUSAGE;
		}
		if (c->n != w->n || c->k != w->k || c->index > w->n) {
			msg_err("card %s says card %u of %u for quorum %u/%u, but this world's quorum is "
			    "%u/%u: the card is corrupted", c->path, c->index, c->n, c->k, c->n, w->k,
			    w->n);
			return P11BYOK_EUSAGE;
		}
		for (unsigned j = 0; j < i; j++)
			if (cards[j]->index == c->index) {
				msg_err("card %s is the same card as %s (card %u of %u): give %u "
				    "different cards", c->path, cards[j]->path, c->index, c->n, w->k);
				return P11BYOK_EUSAGE;
			}
		if (strcmp(c->fp, w->card_fp[c->index - 1]) != 0) {
			msg_err("card %s is not one of this world's cards: its SHA-256 %.16s... is not "
			    "the one kmdata/world lists for card %u of %u (altered or replaced?)",
			    c->path, c->fp, c->index, c->n);
			return P11BYOK_EUSAGE;
		}
		if (c->ct_len != cards[0]->ct_len) {
			msg_err("card %s holds a share of another length than %s: the card is "
			    "corrupted", c->path, cards[0]->path);
			return P11BYOK_EUSAGE;
		}
	}
	return 0;
}

void
quorum_forget(struct quorum *q)
{
	secret_free(q->pin, q->pin_len);
	q->pin = NULL;
	q->pin_len = 0;
}

int
quorum_unlock(struct quorum *q, const struct world *w)
{
	struct card *cards[QUORUM_MAX_ARGS] = { NULL };
	unsigned char *shares[WORLD_MAX_CARDS] = { NULL }, index[WORLD_MAX_CARDS];
	unsigned char *secret = NULL;
	char *pass = NULL;
	size_t pass_len = 0, len = 0;
	int r = P11BYOK_EUSAGE;

	if (q->pin != NULL)
		return 0;
	if (q->inline_secret) {
		msg_err("--card-pass-file takes the path of a file holding a passphrase; an argument "
		    "of only digits looks like the passphrase itself, which never goes on the "
		    "command line: put it in a file (mode 0600) and give its path");
		return P11BYOK_EUSAGE;
	}
	if (q->too_many) {
		msg_err("more than %d --card or --card-pass-file options: a world has at most %d "
		    "cards", QUORUM_MAX_ARGS, WORLD_MAX_CARDS);
		return P11BYOK_EUSAGE;
	}
	if (q->ncards < w->k) {
		msg_err("%u card%s given, but this world needs %u of its %u cards: give --card FILE "
		    "once per card", q->ncards, q->ncards == 1 ? "" : "s", w->k, w->n);
		return P11BYOK_EUSAGE;
	}
	if (q->npass > q->ncards) {
		msg_err("%u --card-pass-file options for %u cards: give one per --card, in the same "
		    "order", q->npass, q->ncards);
		return P11BYOK_EUSAGE;
	}
	if ((r = load_cards(q, w, cards)) != 0)
		goto out;
	if (q->ncards > w->k)
		msg_debug("%u cards given; the first %u are used", q->ncards, w->k);
	len = cards[0]->ct_len;
	for (unsigned i = 0; i < w->k; i++) {
		if ((r = card_passphrase(i < q->npass ? q->pass[i] : NULL, cards[i]->path, false,
		    &pass, &pass_len)) != 0)
			goto out;
		r = card_open(cards[i], pass, pass_len, &shares[i]);
		secret_free(pass, pass_len);
		pass = NULL;
		if (r != 0)
			goto out;
		index[i] = (unsigned char)cards[i]->index;
	}
	r = P11BYOK_EFAIL;
	if ((secret = OPENSSL_secure_malloc(len)) == NULL) {
		msg_err("out of memory rebuilding the SO secret");
		goto out;
	}
	if (cards_combine(w->k, index, shares, len, secret) != 0)
		goto out;
	/* A share that decrypts but is not this world's would cost a failed SO login, which
	 * counts toward the token's lockout: the check value catches it first.  */
	if (w->so_check[0] != '\0' && !cards_check_value_matches(secret, len, w->so_check)) {
		msg_err("the %u cards given do not rebuild this world's SO secret (its check value "
		    "in kmdata/world differs): a card holds a share of another split; no SO login "
		    "was tried", w->k);
		goto out;
	}
	if (cards_pin(secret, len, &q->pin, &q->pin_len) != 0)
		goto out;
	for (unsigned i = 0; i < w->k; i++)
		q->used[i] = cards[i]->index;
	q->nused = w->k;
	r = 0;
out:
	if (secret != NULL)
		OPENSSL_secure_clear_free(secret, len);
	for (unsigned i = 0; i < WORLD_MAX_CARDS; i++)
		if (shares[i] != NULL)
			OPENSSL_secure_clear_free(shares[i], len + 16);
	for (unsigned i = 0; i < QUORUM_MAX_ARGS; i++)
		card_free(cards[i]);
	return r;
}

int
quorum_login_so(struct quorum *q, struct p11 *p, const struct world *w)
{
	int r;

	if ((r = world_check_token(w, p)) != 0 || (r = quorum_unlock(q, w)) != 0)
		return r;
	return p11_login_so(p, q->pin, q->pin_len, "the SO secret rebuilt from the cards");
}

int
quorum_init_token(struct quorum *q, struct p11 *p, const struct world *w,
    const unsigned char label[32])
{
	CK_UTF8CHAR padded[32];
	CK_RV rv;
	int r;

	if ((r = quorum_unlock(q, w)) != 0)
		return r;
	memcpy(padded, label, sizeof padded);
	rv = p11_fn(p)->C_InitToken(p11_slot(p), (CK_UTF8CHAR *)q->pin, q->pin_len, padded);
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot initialise the token in slot %lu with the cards' secret "
		    "(C_InitToken): keep the cards and run the same world init again",
		    (unsigned long)p11_slot(p));
		return P11BYOK_EFAIL;
	}
	return p11_refresh_token(p);
}

int
quorum_adopt_login(struct quorum *q, struct p11 *p, const struct world *w, char *old,
    size_t len)
{
	CK_RV rv;
	int r;

	if ((r = world_check_token(w, p)) != 0 || (r = quorum_unlock(q, w)) != 0)
		return r;
	if ((rv = p11_try_login_so(p, q->pin, q->pin_len)) == CKR_OK)
		return 0;
	if (rv == CKR_PIN_INCORRECT && old == NULL) {
		msg_err("token '%s' refuses the SO secret rebuilt from the cards: the stopped adopt "
		    "never gave it to the token; run the same command with --so-pin-file FILE "
		    "holding the token's former SO PIN", p11_token_label(p));
		return P11BYOK_EUSAGE;
	}
	if (rv != CKR_PIN_INCORRECT) {
		msg_ck(rv, "SO login to token '%s' with the cards' secret failed",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	/* The token kept its former SO PIN: the stopped run never got to C_SetPIN. */
	if ((r = p11_login_so(p, old, len, "the former SO PIN")) != 0)
		return r;
	rv = p11_fn(p)->C_SetPIN(p11_session(p), (CK_UTF8CHAR *)old, len, (CK_UTF8CHAR *)q->pin,
	    q->pin_len);
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot replace the SO PIN of token '%s' with the cards' secret "
		    "(C_SetPIN): keep the cards and run the same world init again",
		    p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	return 0;
}

int
quorum_check_value(const struct quorum *q, char out[17])
{
	unsigned char *secret = NULL;
	long len;
	int r = P11BYOK_EFAIL;

	if (q->pin == NULL || (secret = OPENSSL_secure_malloc(q->pin_len / 2 + 1)) == NULL)
		return r;
	/* The PIN is the secret in hex (cards_pin). */
	if ((len = hex_decode(q->pin, secret, q->pin_len / 2)) > 0)
		r = cards_check_value(secret, (size_t)len, out);
	OPENSSL_secure_clear_free(secret, q->pin_len / 2 + 1);
	return r;
}

json_t *
quorum_cards_json(const struct quorum *q)
{
	json_t *a = json_array();
	for (unsigned i = 0; a != NULL && i < q->nused; i++)
		json_array_append_new(a, json_integer(q->used[i]));
	return a;
}

void
quorum_logout(struct p11 *p)
{
	p11_logout(p);
}
