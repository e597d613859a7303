/* cmd-world.c: p11byok world init|show|check-quorum — seed step 3.2 (new-world --initialize
 * --acs-quorum=K/N): the token becomes a security world whose SO secret nobody sees, split
 * into N passphrase-encrypted administrator cards.  */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "cards.h"
#include "cli.h"
#include "fsutil.h"
#include "jsonout.h"
#include "modcaps.h"
#include "msg.h"
#include "p11.h"
#include "p11attr.h"
#include "quorum.h"
#include "secret.h"
#include "trustscan.h"
#include "world.h"

#include <errno.h>
#include <glob.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_QUORUM = OPT_COMMAND_BASE, OPT_CARDS_DIR, OPT_SUITE, OPT_LABEL, OPT_ADOPT,
	OPT_SO_PIN_FILE, OPT_PURGE_TRUSTED,
};

#define DEFAULT_LABEL "byok-world"

struct args {
	const char *quorum, *cards_dir, *suite, *label, *so_pin_file;
	bool adopt, purge_trusted;
	json_t *purged;		/* adopt: what --purge-trusted destroyed, for the audit line */
	struct quorum *q;
	/* --card-pass-file in order, for the new cards of init */
	const char *pass[WORLD_MAX_CARDS + 1];
	unsigned npass;
	bool too_many_pass, saw_card;
};

/* Creates DIR with mode 0700 when missing (setting *MADE); 0 or P11BYOK_EUSAGE after one
 * line.  */
static int
ensure_dir(const char *dir, const char *what, bool *made)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return 0;
	}
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	msg_err("cannot create the %s %s: %s", what, dir, strerror(errno == EEXIST ? ENOTDIR :
	    errno));
	return P11BYOK_EUSAGE;
}

static int
check_init_args(const struct command *cmd, const struct args *a, unsigned *k, unsigned *n,
    const char **suite)
{
	if (a->quorum == NULL || a->cards_dir == NULL)
		return cli_usage_error(cmd, "world init needs --acs-quorum K/N and --cards-dir DIR");
	if (!world_parse_quorum(a->quorum, k, n))
		return cli_usage_error(cmd, "--acs-quorum '%s' must be K/N with 1 <= K <= N <= %d "
		    "(e.g. 2/3)", a->quorum, WORLD_MAX_CARDS);
	*suite = a->suite != NULL ? a->suite : world_cipher_suites[0];
	if (!world_suite_known(*suite))
		return cli_usage_error(cmd, "unknown --cipher-suite '%s'; valid: %s (default), %s",
		    *suite, world_cipher_suites[0], world_cipher_suites[1]);
	if (a->label != NULL && (*a->label == '\0' || strlen(a->label) > 32))
		return cli_usage_error(cmd, "--label '%s' must be 1 to 32 bytes (a PKCS#11 token "
		    "label)", a->label);
	if (a->adopt && a->label != NULL)
		return cli_usage_error(cmd, "--label names a fresh token; an adopted token keeps its "
		    "label: drop --label or --adopt");
	if (!a->adopt && a->so_pin_file != NULL)
		return cli_usage_error(cmd, "--so-pin-file is the existing SO PIN of a token taken "
		    "over with --adopt");
	if (!a->adopt && a->purge_trusted)
		return cli_usage_error(cmd, "--purge-trusted clears what the previous security "
		    "officer left on a token taken over with --adopt");
	if (a->too_many_pass || a->npass > *n)
		return cli_usage_error(cmd, "more --card-pass-file options than the %u cards", *n);
	return 0;
}

/* How many card files DIR holds (FIRST, unless NULL: one of them, for a message). */
static size_t
cards_in_dir(const char *dir, char *first, size_t len)
{
	char pattern[4200];
	glob_t g;
	size_t count = 0;

	snprintf(pattern, sizeof pattern, "%s/card-*.acs", dir);
	if (glob(pattern, 0, NULL, &g) == 0) {
		count = g.gl_pathc;
		if (first != NULL)
			snprintf(first, len, "%s", g.gl_pathv[0]);
	}
	globfree(&g);
	return count;
}

/* Whether DIR holds exactly the N cards of one world of quorum K/N, card-I-of-N.acs for I =
 * 1..N (*ALL): the cards of a world init that stopped after the token took its SO secret.
 * Fills PATHS, FP (each file's SHA-256), HASH (the world's) and FIRST (a card file there, for
 * the message when they are not).  Returns 0, or the exit code after card_load's line for a
 * card file that is no card.  */
static int
unfinished_cards(const char *dir, unsigned k, unsigned n, char paths[][4200],
    char fp[][65], char hash[65], char first[4200], bool *all)
{
	char name[64];
	struct stat st;
	int r = 0;

	*all = cards_in_dir(dir, first, 4200) == n;
	for (unsigned i = 0; *all && i < n; i++) {
		struct card *c = NULL;
		card_name(i + 1, n, name, sizeof name);
		snprintf(paths[i], sizeof paths[i], "%s/%s", dir, name);
		if (lstat(paths[i], &st) != 0) {
			*all = false;
			break;
		}
		if ((r = card_load(paths[i], &c)) != 0)
			return r;
		*all = c->index == i + 1 && c->n == n && c->k == k &&
		    (i == 0 || strcmp(c->world_hash, hash) == 0);
		memcpy(fp[i], c->fp, 65);
		memcpy(hash, c->world_hash, 65);
		card_free(c);
	}
	return 0;
}

static void
remove_cards(char paths[][4200], unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		if (unlink(paths[i]) != 0 && errno != ENOENT)
			msg_warn("cannot remove card %s: %s; delete it by hand", paths[i],
			    strerror(errno));
}

static void
pad_label(const char *label, CK_UTF8CHAR out[32])
{
	size_t len = strlen(label);
	memset(out, ' ', 32);
	memcpy(out, label, len > 32 ? 32 : len);
}

/* The end of a world init whose kmdata/world (WORLD_FILE) is written: its audit line (the
 * cards and the world file), the summary, the JSON document.  */
static int
announce_world(const char *kmdata, const char *world_file, const struct world *w,
    const struct args *a, char card_path[][4200], bool reused_key, bool resumed)
{
	json_t *ev;
	int r;

	if ((ev = audit_event("world init")) == NULL ||
	    json_object_update_new(ev, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s}",
	    "token_label", w->token_label, "token_serial", w->token_serial,
	    "world_hash", w->hash, "cipher_suite", w->cipher_suite, "quorum", a->quorum,
	    "adopted", a->adopt, "resumed", resumed, "world_key_reused", reused_key,
	    "result", "SUCCESS")) != 0) {
		json_decref(ev);
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	if (a->purged != NULL)
		json_object_set(ev, "purged_trusted", a->purged);
	for (unsigned i = 0; i < w->n; i++)
		if (audit_add_file(ev, card_path[i]) != 0)
			msg_warn("cannot record card %s in the audit event", card_path[i]);
	(void)audit_add_file(ev, world_file);
	r = audit_append(kmdata, ev);
	json_decref(ev);
	if (r != 0)
		return r;

	msg_out("Token:           '%s' (serial %s)%s\n", w->token_label, w->token_serial,
	    resumed ? ", world init finished" : a->adopt ? ", adopted" : "");
	msg_out("Cipher suite:    %s\n", w->cipher_suite);
	msg_out("Quorum:          %u of %u cards\n", w->k, w->n);
	msg_out("World hash:      %s\n", w->hash);
	msg_out("World key:       %s (AES-256, trusted, wrap/unwrap only)%s\n", WORLD_KEY_LABEL,
	    reused_key ? ", kept" : "");
	for (unsigned i = 0; i < w->n; i++)
		msg_out("Card %2u of %-2u:   %s (SHA-256 %.16s...)\n", i + 1, w->n, card_path[i],
		    w->card_fp[i]);
	msg_out("Wrote:           %s\n", world_file);
	msg_out("Give each card to its holder; any %u of them authorise admin operations.\n",
	    w->k);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:i}, s:b, s:b, s:s}",
	    "token_label", w->token_label, "token_serial", w->token_serial,
	    "world_hash", w->hash, "cipher_suite", w->cipher_suite, "quorum", "k", (int)w->k,
	    "n", (int)w->n, "adopted", a->adopt, "resumed", resumed, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
	return r;
}

/* The user PIN from SOURCE (LEN characters) must fit token P. */
static int
check_user_pin_length(struct p11 *p, const char *source, size_t len)
{
	if (len >= p11_token_info(p)->ulMinPinLen && len <= p11_token_info(p)->ulMaxPinLen)
		return 0;
	msg_err("the user PIN from %s has %zu characters, but the token takes %lu to %lu: "
	    "nothing was changed", source, len, (unsigned long)p11_token_info(p)->ulMinPinLen,
	    (unsigned long)p11_token_info(p)->ulMaxPinLen);
	return P11BYOK_EUSAGE;
}

/* "pkcs11:token=LABEL", LABEL percent-encoded. */
static void
label_uri(const char *label, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "pkcs11:token=");
	for (const unsigned char *c = (const unsigned char *)label; *c && o + 4 < len; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c) != NULL)
			buf[o++] = (char)*c;
		else
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", *c);
	}
	buf[o] = '\0';
}

/* The previous officer's user may have left private trusted objects, which the SO session
 * of adopt_clear_trust cannot see (modules where a user can make trusted objects): once the
 * token takes the new user PIN, they are listed as the user, and destroyed with
 * --purge-trusted or refused.  The token is committed by then, so a refusal says to run the
 * same command again with --purge-trusted, which finishes the world.  PIN (LEN) is the new
 * user PIN, or NULL to take it as p11_login_user does.  Ends logged out.  */
static int
adopt_clear_private_trust(struct ctx *ctx, struct p11 *p, struct args *a, char *pin,
    size_t len)
{
	struct trusted_obj *t = NULL;
	size_t n = 0, bad = 0;
	CK_RV rv;
	int r;

	if (pin != NULL && (rv = p11_fn(p)->C_Login(p11_session(p), CKU_USER, (CK_UTF8CHAR *)pin,
	    len)) != CKR_OK) {
		msg_ck(rv, "cannot log in to token '%s' with its new user PIN", p11_token_label(p));
		return P11BYOK_EFAIL;
	}
	if ((pin == NULL && (r = p11_login_user(p, ctx_pin_file(ctx))) != 0) ||
	    (r = trustscan_list(p, &t, &n)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind == TRUSTED_WORLD_KEY)
			continue;
		if (!a->purge_trusted) {
			msg_err("token '%s' holds a private trusted %s '%s' its previous user left (it "
			    "can wrap every world-bound key; only a user login shows it): the token "
			    "now takes the cards, but the world is not finished: run the same world "
			    "init --adopt again with --purge-trusted", p11_token_label(p), t[i].cls,
			    t[i].label);
			goto out;
		}
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), t[i].h)) != CKR_OK) {
			msg_ck(rv, "cannot destroy the private trusted %s '%s' on token '%s' "
			    "(--purge-trusted)", t[i].cls, t[i].label, p11_token_label(p));
			goto out;
		}
		if (a->purged == NULL && (a->purged = json_array()) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		json_array_append_new(a->purged, json_string(t[i].label));
		bad++;
	}
	if (bad > 0)
		msg_warn("destroyed %zu private trusted object%s the previous user of token '%s' "
		    "left (--purge-trusted)", bad, bad == 1 ? "" : "s", p11_token_label(p));
	r = 0;
out:
	free(t);
	p11_forget_pin(p);
	if (p11_logout_checked(p) != 0 && r == 0)
		r = P11BYOK_EFAIL;
	return r;
}

/* The SO login of an adopt that stopped: with the cards, or, when the token never took
 * their secret, with the former SO PIN of --so-pin-file, to give it to it now.  */
static int
resume_adopt_login(struct args *a, struct quorum *q, struct p11 *p, const struct world *w)
{
	char *old = NULL;
	size_t len = 0;
	int r;

	if (a->so_pin_file != NULL &&
	    (r = secret_from_file(a->so_pin_file, "SO PIN file", &old, &len)) != 0)
		return r;
	r = quorum_adopt_login(q, p, w, old, len);
	secret_free(old, len);
	return r;
}

/* The first half of world init again, for a run killed after it wrote the cards of world
 * HASH (K of N, files PATHS with fingerprints FP) and before the token took their secret:
 * the first free token takes the secret the cards rebuild, with the label asked for.
 * *TOUCHED once it may have.  0 or the exit code after one line.  */
static int
init_free_token(struct ctx *ctx, struct args *a, unsigned k, unsigned n, const char *hash,
    char fp[][65], char paths[][4200], bool *touched, struct p11 *p)
{
	const char *label = a->label ? a->label : DEFAULT_LABEL;
	struct quorum *q = quorum_new();
	struct world w = { .k = k, .n = n };
	CK_UTF8CHAR label32[32];
	int r;

	if (q == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	if ((r = p11_select_token(p, ctx_token(ctx), P11_WANT_FREE)) != 0)
		goto out;
	msg_out("Token:           none labelled '%s' yet: the stopped run wrote the %u cards of "
	    "world %.16s... but never initialised one; the free token in slot %lu takes their "
	    "secret now\n", label, n, hash, (unsigned long)p11_slot(p));
	memcpy(w.hash, hash, sizeof w.hash);
	for (unsigned i = 0; i < n; i++) {
		memcpy(w.card_fp[i], fp[i], sizeof w.card_fp[i]);
		quorum_add_card(q, paths[i], i < a->npass ? a->pass[i] : NULL);
	}
	pad_label(label, label32);
	*touched = true;	/* a lost reply may leave the token initialised */
	r = quorum_init_token(q, p, &w, label32);
out:
	quorum_free(q);
	return r;
}

/* world init once more after a run that stopped when the token had taken the SO secret
 * (init's committed: path), finishing it: the cards that run left must open the token as
 * its SO, which proves the token is theirs; then the user PIN is set unless that run set it,
 * the world key made (or kept), and kmdata/world written.  Nothing else is asked of the
 * token, so a world whose kmdata was lost is recorded again the same way.  */
static int
resume(struct ctx *ctx, struct args *a, unsigned k, unsigned n, const char *suite,
    const char *world_file, bool *touched)
{
	const char *kmdata = ctx_kmdata(ctx), *source = NULL, *uri = ctx_token(ctx);
	char paths[WORLD_MAX_CARDS][4200], fp[WORLD_MAX_CARDS][65], hash[65], first[4200] = "";
	char by_label[400] = "", *user_pin = NULL;
	size_t user_len = 0;
	bool all = false, pin_set, reused_key = false, initialised = true;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	struct quorum *q = NULL;
	struct world *w = NULL;
	struct p11 *p = NULL;
	CK_RV rv;
	int r;

	if ((r = unfinished_cards(a->cards_dir, k, n, paths, fp, hash, first, &all)) != 0)
		return r;
	if (!all) {
		msg_err("the cards directory %s already holds card files (%s), and not the %u "
		    "cards of one world of quorum %u/%u that a stopped world init left: give an "
		    "empty directory; p11byok never replaces a card", a->cards_dir, first, n, k, n);
		return P11BYOK_EUSAGE;
	}
	/* The token the stopped run initialised: by its label, unless --token or --adopt (which
	 * kept the token's own label) says otherwise.  */
	if (uri == NULL && !a->adopt) {
		label_uri(a->label ? a->label : DEFAULT_LABEL, by_label, sizeof by_label);
		uri = by_label;
	}
	if ((r = p11_load(ctx_module(ctx), &p)) != 0)
		goto out;
	/* Killed after the cards were written, before the token took their secret: no token
	 * has the label yet, and the cards hold what the free one was to take.  */
	if (uri == by_label && (r = p11_label_state(p, a->label ? a->label : DEFAULT_LABEL,
	    &initialised)) != 0)
		goto out;
	if (uri == by_label && !initialised) {
		if ((r = init_free_token(ctx, a, k, n, hash, fp, paths, touched, p)) != 0)
			goto out;
	} else if ((r = p11_select_token(p, uri, P11_WANT_INITIALISED)) != 0) {
		goto out;
	}
	msg_out("Cards:           %u of world %.16s... in %s: finishing its init on token '%s' "
	    "(the cards must open it as its SO)\n", n, hash, a->cards_dir, p11_token_label(p));
	/* The cards bind the world hash, not the suite: it is the command's, as before. */
	msg_out("Cipher suite:    %s, as given (the cards do not record it: give the "
	    "--cipher-suite of the first run)\n", suite);
	pin_set = (p11_token_info(p)->flags & CKF_USER_PIN_INITIALIZED) != 0;
	if (!pin_set && ((r = secret_user_pin(p11_pin_source(p), ctx_pin_file(ctx),
	    p11_token_label(p), &user_pin, &user_len, &source)) != 0 ||
	    (r = check_user_pin_length(p, source, user_len)) != 0))
		goto out;

	r = P11BYOK_EFAIL;
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->token_label = strdup(p11_token_label(p))) == NULL ||
	    (w->token_serial = strdup(p11_token_serial(p))) == NULL ||
	    (w->cipher_suite = strdup(suite)) == NULL || (w->created = world_now()) == NULL ||
	    (q = quorum_new()) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	w->k = k;
	w->n = n;
	memcpy(w->hash, hash, sizeof w->hash);
	for (unsigned i = 0; i < n; i++) {
		memcpy(w->card_fp[i], fp[i], sizeof w->card_fp[i]);
		quorum_add_card(q, paths[i], i < a->npass ? a->pass[i] : NULL);
	}
	*touched = true;	/* the SO may change the token from here */
	if ((r = a->adopt ? resume_adopt_login(a, q, p, w) : quorum_login_so(q, p, w)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if (!pin_set && (rv = p11_fn(p)->C_InitPIN(p11_session(p), (CK_UTF8CHAR *)user_pin,
	    user_len)) != CKR_OK) {
		msg_ck(rv, "cannot set the user PIN of token '%s' (C_InitPIN)", p11_token_label(p));
		goto logout;
	}
	if ((r = quorum_check_value(q, w->so_check)) != 0 ||
	    (r = world_lookup_key(p, &key)) != 0)
		goto logout;
	if (key != CK_INVALID_HANDLE)
		reused_key = true;
	else if ((r = world_create_key(p, &key)) != 0)
		goto logout;
	quorum_logout(p);
	if ((a->adopt && (r = adopt_clear_private_trust(ctx, p, a, user_pin, user_len)) != 0) ||
	    (r = world_save(kmdata, w, false)) != 0)
		goto out;
	if (r == 0)
		r = announce_world(kmdata, world_file, w, a, paths, reused_key, true);
	goto out;
logout:
	quorum_logout(p);
out:
	secret_free(user_pin, user_len);
	quorum_free(q);
	world_free(w);
	p11_free(p);
	return r;
}

/* Adopting a token locks its previous security officer out, and what they left must go
 * too: every trusted object (each can wrap every world-bound key) but a world key that
 * world_key_check accepts, and every other object named as the world key.  Listed and
 * refused before anything changes, or with --purge-trusted destroyed (recorded in
 * A->purged for the audit line).  Runs in the SO session of the old PIN.  */
static int
adopt_clear_trust(struct p11 *p, struct args *a)
{
	static char label[] = WORLD_KEY_LABEL;
	CK_ATTRIBUTE named[] = { { CKA_LABEL, label, sizeof label - 1 } };
	struct trusted_obj *t = NULL;
	CK_OBJECT_HANDLE *look = NULL, world = CK_INVALID_HANDLE;
	CK_ULONG nlook = 0;
	size_t n = 0, bad = 0;
	const char *first = NULL, *first_why = "";
	CK_RV rv;
	int r;

	if ((r = trustscan_list(p, &t, &n)) != 0)
		return r;
	r = P11BYOK_EFAIL;
	if ((rv = p11attr_find_all(p, named, 1, &look, &nlook)) != CKR_OK) {
		msg_ck(rv, "cannot search token '%s' for world keys", p11_token_label(p));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		/* Kept only when no one can destroy it or copy it (a copy may loosen its wrap
		 * template): else its backups are at the mercy of any session.  */
		if (t[i].kind == TRUSTED_WORLD_KEY && world == CK_INVALID_HANDLE &&
		    world_key_protected(p, t[i].h)) {
			world = t[i].h;
			continue;
		}
		if (bad++ == 0) {
			first = t[i].label;
			first_why = t[i].kind == TRUSTED_WORLD_KEY ? "a world key any session can "
			    "destroy or copy: --purge-trusted makes a new one, and backups under the "
			    "old one can no longer be restored" : t[i].why[0] ? t[i].why :
			    "an older p11byok's transfer object";
		}
	}
	/* Untrusted objects named as the world key are look-alikes the tool would trip on. */
	for (CK_ULONG i = 0; i < nlook; i++) {
		bool trusted = false;
		if ((rv = p11attr_bool(p, look[i], CKA_TRUSTED, &trusted)) != CKR_OK) {
			msg_ck(rv, "cannot read an object of token '%s'", p11_token_label(p));
			goto out;
		}
		if (look[i] != world && !trusted && bad++ == 0) {
			first = WORLD_KEY_LABEL;
			first_why = "not trusted, a look-alike";
		}
	}
	if (bad == 0) {
		r = 0;
		goto out;
	}
	if (!a->purge_trusted) {
		msg_err("token '%s' holds %zu object%s its previous security officer left that "
		    "p11byok did not make (first: '%s', %s): a trusted one can wrap every "
		    "world-bound key; nothing was changed: run again with --purge-trusted to "
		    "destroy them as part of adopting (p11byok doctor lists them)",
		    p11_token_label(p), bad, bad == 1 ? "" : "s", first ? first : "", first_why);
		goto out;
	}
	if ((a->purged = json_array()) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n + nlook; i++) {
		CK_OBJECT_HANDLE h = i < n ? t[i].h : look[i - n];
		bool listed = false;
		for (size_t j = 0; i >= n && j < n; j++)
			listed = listed || t[j].h == h;	/* a trusted look-alike: gone already */
		if (h == world || listed)
			continue;
		if ((rv = p11_fn(p)->C_DestroyObject(p11_session(p), h)) != CKR_OK) {
			msg_ck(rv, "cannot destroy '%s' on token '%s' (--purge-trusted): nothing else "
			    "was changed", i < n ? t[i].label : WORLD_KEY_LABEL, p11_token_label(p));
			goto out;
		}
		json_array_append_new(a->purged, json_string(i < n ? t[i].label :
		    WORLD_KEY_LABEL));
	}
	msg_warn("destroyed %zu object%s the previous security officer of token '%s' left "
	    "(--purge-trusted)", bad, bad == 1 ? "" : "s", p11_token_label(p));
	r = 0;
out:
	free(t);
	free(look);
	return r;
}

#define SETPIN_UNKNOWN (-1)

/* After a failed C_SetPIN of the SO PIN to NEW (LEN): whether the token took it all the
 * same (a lost reply), asked by logging in with it.  0 when it did (logged in as the SO
 * with NEW), P11BYOK_EFAIL when it did not (the token said the PIN is wrong: one count
 * toward its lockout, the price of knowing), SETPIN_UNKNOWN when the token cannot say.  */
static int
set_pin_outcome(struct p11 *p, char *new, size_t len)
{
	CK_RV rv;

	p11_logout(p);
	if ((rv = p11_try_login_so(p, new, len)) == CKR_OK)
		return 0;
	return rv == CKR_PIN_INCORRECT ? P11BYOK_EFAIL : SETPIN_UNKNOWN;
}

/* world init run again over the world it made (a crash after it, a retry): when WORLD_FILE
 * records a world of quorum K of N whose cards are the ones in the cards directory and
 * whose token is present with its world key, it says so and changes nothing, logging the
 * line a crash kept out; anything else is a kmdata holding another world, refused.  */
static int
init_finished(struct ctx *ctx, struct args *a, unsigned k, unsigned n, const char *world_file)
{
	const char *kmdata = ctx_kmdata(ctx);
	char paths[WORLD_MAX_CARDS][4200], fp[WORLD_MAX_CARDS][65], hash[65], first[4200];
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	struct world *w = NULL;
	struct p11 *p = NULL;
	bool all = false, same;
	int r;

	if ((r = world_load(kmdata, &w)) != 0)
		return r;
	same = w->k == k && w->n == n && unfinished_cards(a->cards_dir, k, n, paths, fp, hash,
	    first, &all) == 0 && all && strcmp(hash, w->hash) == 0;
	for (unsigned i = 0; same && i < n; i++)
		same = strcmp(fp[i], w->card_fp[i]) == 0;
	if (!same) {
		msg_err("%s already records a world (%u of %u cards, world %.16s...), not the one "
		    "%s holds: one kmdata directory holds one world; give another --kmdata",
		    world_file, w->k, w->n, w->hash, a->cards_dir);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0 || (r = world_open_key(p, &key)) != 0 ||
	    (r = audit_recover(kmdata, "world init", w->token_serial, w->hash, NULL, world_file,
	    "world init run again found its world made (cut short after the world file)")) != 0)
		goto out;
	msg_out("Token:           '%s' (serial %s)\n", w->token_label, w->token_serial);
	msg_out("World hash:      %s\n", w->hash);
	msg_out("Already:         world init finished before (%s, its %u cards in %s, the world "
	    "key on the token): nothing was changed\n", world_file, n, a->cards_dir);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:b, s:s}", "token_label",
	    w->token_label, "token_serial", w->token_serial, "world_hash", w->hash, "existing",
	    1, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	world_free(w);
	p11_free(p);
	return r;
}

static int
init(struct ctx *ctx, const struct command *cmd, struct args *a)
{
	const char *suite = NULL, *kmdata = ctx_kmdata(ctx), *source = NULL;
	char *user_pin = NULL, *old_so = NULL, *so_pin = NULL;
	char *pass[WORLD_MAX_CARDS] = { NULL };
	size_t pass_len[WORLD_MAX_CARDS] = { 0 };
	size_t user_len = 0, old_len = 0, so_len = 0, secret_len = CARD_SECRET_LEN;
	unsigned char *secret = NULL, *shares = NULL;
	char card_path[WORLD_MAX_CARDS][4200], world_file[4200], name[64], prompt[256];
	char so_check[17];
	unsigned k = 0, n = 0, written = 0;
	bool token_changed = false, reused_key = false, made_kmdata = false, made_cards = false;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	struct world *w = NULL;
	struct p11 *p = NULL;
	CK_UTF8CHAR label32[32];
	CK_RV rv;
	int r;

	if ((r = check_init_args(cmd, a, &k, &n, &suite)) != 0)
		return r;
	if (kmdata == NULL)
		return cli_usage_error(cmd, "world init records the world in kmdata: give --kmdata "
		    "DIR or set P11BYOK_KMDATA");
	if (world_path(kmdata, world_file, sizeof world_file) == NULL) {
		msg_err("kmdata path %s is too long", kmdata);
		return P11BYOK_EUSAGE;
	}
	if (access(world_file, F_OK) == 0)
		return init_finished(ctx, a, k, n, world_file);
	if (world_suite_legacy(suite))
		msg_warn("cipher suite %s is legacy (1024-bit DSA, SHA-1): accepted for "
		    "compatibility with old worlds; prefer %s", suite, world_cipher_suites[0]);
	/* Both must take their files: a world file that cannot be written after C_InitToken
	 * would leave a token only the cards can open and no record of it.  */
	if ((r = ensure_dir(kmdata, "kmdata directory", &made_kmdata)) != 0 ||
	    (r = ensure_dir(a->cards_dir, "cards directory", &made_cards)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||
	    (r = fs_check_dir_writable(a->cards_dir, "cards directory", FS_RESERVE)) != 0)
		goto out;
	/* Cards there already: no card is ever replaced or mixed with another world's, but
	 * those of a world init that stopped after the token took the secret finish it.  */
	if (cards_in_dir(a->cards_dir, NULL, 0) > 0) {
		/* Once the cards opened the token, a failure keeps kmdata for its FAILURE line. */
		r = resume(ctx, a, k, n, suite, world_file, &token_changed);
		goto out;
	}

	/* Everything a person must supply is gathered before the token is touched. */
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = p11_select_token(p, ctx_token(ctx), a->adopt ? P11_WANT_INITIALISED :
	    P11_WANT_FREE)) != 0)
		goto out;
	/* What the module cannot do is refused here, before a card or a PIN exists. */
	if ((a->adopt && (r = p11_open_session(p)) != 0) ||
	    (r = modcaps_require_world(p, !a->adopt)) != 0)
		goto out;
	if (p11_token_info(p)->ulMaxPinLen < 2 * CARD_SECRET_LEN)
		secret_len = p11_token_info(p)->ulMaxPinLen / 2;
	if (secret_len < CARD_SECRET_MIN || 2 * secret_len < p11_token_info(p)->ulMinPinLen) {
		msg_err("token '%s' takes PINs of %lu to %lu characters: too short for a %d-bit SO "
		    "secret", p11_token_label(p), (unsigned long)p11_token_info(p)->ulMinPinLen,
		    (unsigned long)p11_token_info(p)->ulMaxPinLen, 8 * CARD_SECRET_MIN);
		r = P11BYOK_EENV;
		goto out;
	}
	if ((r = secret_user_pin(p11_pin_source(p), ctx_pin_file(ctx),
	    a->adopt ? p11_token_label(p) : (a->label ? a->label : DEFAULT_LABEL), &user_pin,
	    &user_len, &source)) != 0)
		goto out;
	if ((r = check_user_pin_length(p, source, user_len)) != 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		card_name(i + 1, n, name, sizeof name);
		if ((r = card_passphrase(i < a->npass ? a->pass[i] : NULL, name, true, &pass[i],
		    &pass_len[i])) != 0)
			goto out;
		/* One holder's passphrase must not open another holder's card. */
		for (unsigned j = 0; j < i; j++)
			if (pass_len[j] == pass_len[i] &&
			    CRYPTO_memcmp(pass[j], pass[i], pass_len[i]) == 0) {
				msg_err("cards %u and %u were given the same passphrase: each holder "
				    "chooses their own; nothing was changed", j + 1, i + 1);
				r = P11BYOK_EUSAGE;
				goto out;
			}
	}
	if (a->adopt) {
		char desc[4300];
		if (a->so_pin_file != NULL) {
			snprintf(desc, sizeof desc, "the SO PIN from --so-pin-file %s", a->so_pin_file);
			r = secret_from_file(a->so_pin_file, "SO PIN file", &old_so, &old_len);
		} else {
			snprintf(desc, sizeof desc, "the SO PIN entered");
			snprintf(prompt, sizeof prompt, "Current SO PIN of token '%s': ",
			    p11_token_label(p));
			r = secret_prompt(prompt, "SO PIN (--so-pin-file FILE)", &old_so, &old_len);
		}
		if (r != 0)
			goto out;
		/* Logged in once, with the PIN that is about to be replaced. */
		if ((r = p11_login_so(p, old_so, old_len, desc)) != 0 ||
		    (r = modcaps_require_so_trust(p)) != 0 ||
		    (r = adopt_clear_trust(p, a)) != 0)
			goto out;
	}

	/* The SO secret: random, in the secure heap, seen by nobody. */
	r = P11BYOK_EFAIL;
	if ((secret = OPENSSL_secure_malloc(secret_len)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (RAND_priv_bytes(secret, (int)secret_len) != 1) {
		msg_ssl("cannot draw the SO secret");
		goto out;
	}
	if ((r = cards_pin(secret, secret_len, &so_pin, &so_len)) != 0 ||
	    (r = cards_split(secret, secret_len, k, n, &shares)) != 0 ||
	    (r = cards_check_value(secret, secret_len, so_check)) != 0)
		goto out;
	OPENSSL_secure_clear_free(secret, secret_len);
	secret = NULL;

	r = P11BYOK_EFAIL;
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->token_label = strdup(a->adopt ? p11_token_label(p) :
	    (a->label ? a->label : DEFAULT_LABEL))) == NULL ||
	    (w->cipher_suite = strdup(suite)) == NULL || (w->created = world_now()) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	w->k = k;
	w->n = n;
	memcpy(w->so_check, so_check, sizeof w->so_check);
	if ((r = world_new_hash(w)) != 0)
		goto out;

	/* The cards exist before the token takes the secret, so a failure here changes
	 * nothing on the token, and the cards are removed.  */
	for (unsigned i = 0; i < n; i++) {
		r = card_write(a->cards_dir, w->hash, i + 1, n, k, shares + i * secret_len,
		    secret_len, pass[i], pass_len[i], card_path[i], sizeof card_path[i],
		    w->card_fp[i]);
		if (r != 0)
			goto out;
		written++;
		secret_free(pass[i], pass_len[i]);
		pass[i] = NULL;
	}
	OPENSSL_secure_clear_free(shares, n * secret_len);
	shares = NULL;

	if (a->adopt) {
		rv = p11_fn(p)->C_SetPIN(p11_session(p), (CK_UTF8CHAR *)old_so, old_len,
		    (CK_UTF8CHAR *)so_pin, so_len);
		if (rv != CKR_OK) {
			/* The reply may be lost after the token took the new PIN. */
			msg_ck(rv, "cannot replace the SO PIN of token '%s' (C_SetPIN)",
			    p11_token_label(p));
			if ((r = set_pin_outcome(p, so_pin, so_len)) == 0) {
				msg_warn("the token took the new SO PIN all the same: going on");
			} else {
				if (r == SETPIN_UNKNOWN)
					goto committed;
				msg_warn("the token keeps its old SO PIN; the cards were removed");
				r = P11BYOK_EFAIL;
				goto out;
			}
		}
	} else {
		pad_label(w->token_label, label32);
		rv = p11_fn(p)->C_InitToken(p11_slot(p), (CK_UTF8CHAR *)so_pin, so_len, label32);
		if (rv != CKR_OK) {
			/* The reply may be lost after the token did it: asked before the cards go. */
			msg_ck(rv, "cannot initialise the token in slot %lu (C_InitToken)",
			    (unsigned long)p11_slot(p));
			r = P11BYOK_EFAIL;
			if (p11_refresh_token(p) != 0 ||
			    (p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED))
				goto committed;
			msg_warn("the token in slot %lu is still uninitialised: nothing was changed, "
			    "the cards were removed", (unsigned long)p11_slot(p));
			goto out;
		}
		if ((r = p11_refresh_token(p)) != 0)
			goto committed;
		if ((r = p11_login_so(p, so_pin, so_len, "the new SO secret")) != 0)
			goto committed;
	}
	token_changed = true;
	secret_free(old_so, old_len);
	old_so = NULL;
	secret_free(so_pin, so_len);
	so_pin = NULL;

	rv = p11_fn(p)->C_InitPIN(p11_session(p), (CK_UTF8CHAR *)user_pin, user_len);
	if (rv != CKR_OK) {
		msg_ck(rv, "cannot set the user PIN of token '%s' (C_InitPIN)", p11_token_label(p));
		r = P11BYOK_EFAIL;
		goto committed;
	}
	if (a->adopt && (r = world_lookup_key(p, &key)) != 0)
		goto committed;
	if (key != CK_INVALID_HANDLE) {
		reused_key = true;
		msg_warn("token '%s' already holds a world backup key '%s' that the token made and "
		    "nobody ever saw: kept it (keys backed up under it stay restorable)",
		    p11_token_label(p), WORLD_KEY_LABEL);
	} else if ((r = world_create_key(p, &key)) != 0) {
		goto committed;
	}
	p11_logout(p);
	if (a->adopt && (r = adopt_clear_private_trust(ctx, p, a, user_pin, user_len)) != 0)
		goto committed;
	secret_free(user_pin, user_len);
	user_pin = NULL;

	r = P11BYOK_EFAIL;
	if ((w->token_serial = strdup(p11_token_serial(p))) == NULL) {
		msg_err("out of memory");
		goto committed;
	}
	if ((r = world_save(kmdata, w, false)) != 0)
		goto committed;

	r = announce_world(kmdata, world_file, w, a, card_path, reused_key, false);
	goto out;

committed:
	/* The token holds (or may hold) the new SO secret: the cards are its only copy and
	 * stay.  The step that failed said what failed; this says what to do.  */
	if (msg_ck_inability(msg_last_ck()))
		msg_warn("world init stopped after token '%s' (serial %s) took (or may have taken) "
		    "the new SO secret, because the module cannot do a step the flow needs (%s): "
		    "running it again fails the same way; keep the cards in %s, the only copy of "
		    "its SO PIN, and reinitialise the token with the vendor's tool or use another "
		    "module", p11_token_label(p), p11_token_serial(p), ck_rv_name(msg_last_ck()),
		    a->cards_dir);
	else
		msg_warn("world init stopped after token '%s' (serial %s) took (or may have taken) "
		    "the new SO secret, and %s was not written: keep the cards in %s, the only copy "
		    "of its SO PIN, and run the same world init again to finish it",
		    p11_token_label(p), p11_token_serial(p), world_file, a->cards_dir);
	token_changed = true;
out:
	if (r != 0 && !token_changed) {
		remove_cards(card_path, written);
		/* A failed init leaves no trace: directories it made go again (when empty). */
		if (made_cards)
			(void)rmdir(a->cards_dir);
		if (made_kmdata && rmdir(kmdata) == 0)
			audit_failure_disarm();	/* no kmdata of a world that never was */
	}
	for (unsigned i = 0; i < WORLD_MAX_CARDS; i++)
		secret_free(pass[i], pass_len[i]);
	secret_free(user_pin, user_len);
	secret_free(old_so, old_len);
	secret_free(so_pin, so_len);
	if (secret != NULL)
		OPENSSL_secure_clear_free(secret, secret_len);
	if (shares != NULL)
		OPENSSL_secure_clear_free(shares, n * secret_len);
	world_free(w);
	p11_free(p);
	return r;
}

static const char *
class_name(CK_OBJECT_CLASS c)
{
	switch (c) {
	case CKO_PRIVATE_KEY: return "private key";
	case CKO_SECRET_KEY: return "secret key";
	case CKO_PUBLIC_KEY: return "public key";
	default: return "object";
	}
}

static const char *
key_type_name(CK_KEY_TYPE t)
{
	switch (t) {
	case CKK_RSA: return "RSA";
	case CKK_EC: return "EC";
	case CKK_AES: return "AES";
	default: return "other";
	}
}

/* A CKA_ID or CKA_LABEL as text when printable, else hex; malloc'd. */
static char *
attr_text(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	unsigned char *v = NULL;
	size_t len = 0;
	bool printable = true;
	char *s;

	if (p11attr_get(p, obj, type, &v, &len) != CKR_OK)
		return strdup("");
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			printable = false;
	if ((s = malloc(2 * len + 1)) != NULL) {
		if (printable) {
			memcpy(s, v, len);
			s[len] = '\0';
		} else {
			for (size_t i = 0; i < len; i++)
				snprintf(s + 2 * i, 3, "%02x", v[i]);
			s[2 * len] = '\0';
		}
	}
	free(v);
	return s;
}

static json_t *
world_key_json(struct p11 *p, CK_OBJECT_HANDLE key)
{
	static const struct { const char *name; CK_ATTRIBUTE_TYPE type; } flags[] = {
		{ "token", CKA_TOKEN }, { "private", CKA_PRIVATE }, { "trusted", CKA_TRUSTED },
		{ "wrap", CKA_WRAP }, { "unwrap", CKA_UNWRAP }, { "encrypt", CKA_ENCRYPT },
		{ "decrypt", CKA_DECRYPT }, { "sign", CKA_SIGN }, { "verify", CKA_VERIFY },
		{ "derive", CKA_DERIVE }, { "sensitive", CKA_SENSITIVE },
		{ "extractable", CKA_EXTRACTABLE }, { "modifiable", CKA_MODIFIABLE },
	};
	CK_BBOOL wwt = CK_FALSE, sens = CK_FALSE;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_WRAP_WITH_TRUSTED, &wwt, sizeof wwt }, { CKA_SENSITIVE, &sens, sizeof sens },
	};
	CK_ATTRIBUTE a = { CKA_UNWRAP_TEMPLATE, tmpl, sizeof tmpl };
	CK_ULONG bytes = 0;
	json_t *o = json_object();
	bool v;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "label", json_string(WORLD_KEY_LABEL));
	json_object_set_new(o, "id", json_string(WORLD_KEY_ID));
	if (p11attr_ulong(p, key, CKA_VALUE_LEN, &bytes) == CKR_OK)
		json_object_set_new(o, "bits", json_integer((json_int_t)bytes * 8));
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (p11attr_bool(p, key, flags[i].type, &v) == CKR_OK)
			json_object_set_new(o, flags[i].name, json_boolean(v));
	/* The unwrap template: two attributes, read into fixed buffers. */
	if (p11_fn(p)->C_GetAttributeValue(p11_session(p), key, &a, 1) == CKR_OK &&
	    a.ulValueLen == sizeof tmpl)
		json_object_set_new(o, "unwrap_template", json_pack("{s:b, s:b}",
		    "wrap_with_trusted", wwt == CK_TRUE, "sensitive", sens == CK_TRUE));
	return o;
}

/* The world's keys: private and secret keys with CKA_WRAP_WITH_TRUSTED. */
static json_t *
world_keys_json(struct p11 *p)
{
	static const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_SECRET_KEY };
	CK_BBOOL yes = CK_TRUE;
	json_t *list = json_array();

	for (size_t c = 0; list != NULL && c < 2; c++) {
		CK_OBJECT_CLASS cls = classes[c];
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_WRAP_WITH_TRUSTED, &yes, sizeof yes },
			{ CKA_TOKEN, &yes, sizeof yes },
		};
		CK_OBJECT_HANDLE objs[256];
		CK_ULONG n = 0;
		if (p11attr_find(p, t, 3, objs, 256, &n) != CKR_OK)
			continue;
		for (CK_ULONG i = 0; i < n; i++) {
			CK_KEY_TYPE kt = 0;
			char *id = attr_text(p, objs[i], CKA_ID), *label = attr_text(p, objs[i],
			    CKA_LABEL);
			(void)p11attr_ulong(p, objs[i], CKA_KEY_TYPE, &kt);
			json_array_append_new(list, json_pack("{s:s, s:s, s:s?, s:s?}",
			    "class", class_name(cls), "type", key_type_name(kt), "id", id,
			    "label", label));
			free(id);
			free(label);
		}
	}
	return list;
}

static int
show(struct ctx *ctx, const struct command *cmd)
{
	struct world *w = NULL;
	struct p11 *p = NULL;
	json_t *doc = NULL, *cards = NULL, *keys = NULL, *wk = NULL, *tj = NULL;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	struct trusted_obj *trusted = NULL;
	size_t ntrusted = 0, foreign = 0, legacy = 0;
	bool all_keys;
	char name[64];
	int r;

	(void)cmd;
	if ((r = world_load(ctx_kmdata(ctx), &w)) != 0)
		goto out;
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0)
		goto out;
	all_keys = p11_pin_source_given(p, ctx_pin_file(ctx));
	if (all_keys && (r = p11_login_user(p, ctx_pin_file(ctx))) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if ((cards = json_array()) == NULL)
		goto oom;
	for (unsigned i = 0; i < w->n; i++) {
		card_name(i + 1, w->n, name, sizeof name);
		json_array_append_new(cards, json_pack("{s:i, s:s, s:s}", "index", (int)i + 1,
		    "file", name, "sha256", w->card_fp[i]));
	}
	if ((r = trustscan_list(p, &trusted, &ntrusted)) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	for (size_t i = 0; i < ntrusted; i++) {
		if (trusted[i].kind == TRUSTED_WORLD_KEY)
			key = trusted[i].h;
		else if (trusted[i].kind == TRUSTED_FOREIGN)
			foreign++;
		else
			legacy++;
	}
	if (key == CK_INVALID_HANDLE)
		wk = json_null();
	else if ((wk = world_key_json(p, key)) != NULL)
		json_object_set_new(wk, "protected", json_boolean(world_key_protected(p, key)));
	if (wk == NULL || (keys = world_keys_json(p)) == NULL ||
	    (tj = trustscan_json(trusted, ntrusted)) == NULL)
		goto oom;

	msg_out("Token:           '%s' (serial %s)\n", w->token_label, w->token_serial);
	msg_out("Cipher suite:    %s%s\n", w->cipher_suite,
	    world_suite_legacy(w->cipher_suite) ? " (legacy)" : "");
	msg_out("Quorum:          %u of %u cards\n", w->k, w->n);
	msg_out("World hash:      %s\n", w->hash);
	msg_out("Created:         %s\n", w->created);
	for (unsigned i = 0; i < w->n; i++) {
		card_name(i + 1, w->n, name, sizeof name);
		msg_out("Card %-11s %s\n", name, w->card_fp[i]);
	}
	if (json_is_null(wk)) {
		msg_out("World key:       MISSING or NOT RIGHT (no %s as world init makes it)\n",
		    WORLD_KEY_LABEL);
	} else {
		msg_out("World key:       %s, AES-%lld,", WORLD_KEY_LABEL,
		    (long long)json_integer_value(json_object_get(wk, "bits")));
		static const char *const show_flags[] = { "trusted", "wrap", "unwrap", "encrypt",
		    "decrypt", "sensitive", "extractable", "modifiable", "private" };
		for (size_t i = 0; i < sizeof show_flags / sizeof show_flags[0]; i++)
			msg_out(" %s=%s", show_flags[i], json_is_true(json_object_get(wk,
			    show_flags[i])) ? "yes" : "no");
		msg_out("\n");
		json_t *ut = json_object_get(wk, "unwrap_template");
		msg_out("Unwrap template: wrap-with-trusted=%s sensitive=%s\n",
		    json_is_true(json_object_get(ut, "wrap_with_trusted")) ? "yes" : "no",
		    json_is_true(json_object_get(ut, "sensitive")) ? "yes" : "no");
		msg_out("Protection:      %s\n", json_is_true(json_object_get(wk, "protected")) ?
		    "not destroyable, not copyable" : "WEAK: any session can destroy it (a world "
		    "made before p11byok asked the token to forbid it, or a module without "
		    "CKA_DESTROYABLE): every backup in kmdata depends on it");
	}
	msg_out("Trusted objects: %zu (each can wrap every world-bound key)%s\n", ntrusted,
	    all_keys ? "" : " (public objects only: give a PIN source to see private ones)");
	for (size_t i = 0; i < ntrusted; i++)
		msg_out("  %-26s %s '%s' id=%s; may wrap %s%s%s\n",
		    trustscan_kind_name(trusted[i].kind), trusted[i].cls, trusted[i].label,
		    trusted[i].id_hex[0] ? trusted[i].id_hex : "-", trusted[i].may_wrap,
		    trusted[i].why[0] ? ": " : "", trusted[i].why);
	msg_out("Keys in the world: %zu%s\n", json_array_size(keys), all_keys ? "" :
	    " (public objects only: give a PIN source, e.g. --pin-file, to see private keys)");
	for (size_t i = 0; i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		msg_out("  %s %s  id=%s  label=%s\n",
		    json_string_value(json_object_get(k, "type")),
		    json_string_value(json_object_get(k, "class")),
		    json_string_value(json_object_get(k, "id")),
		    json_string_value(json_object_get(k, "label")));
	}
	if (msg_json()) {
		doc = json_pack("{s:s, s:s, s:s, s:b, s:{s:i, s:i}, s:O, s:s, s:s, s:O, s:O, s:b, "
		    "s:O, s:b}",
		    "token_label", w->token_label, "token_serial", w->token_serial,
		    "cipher_suite", w->cipher_suite, "legacy", world_suite_legacy(w->cipher_suite),
		    "quorum", "k", (int)w->k, "n", (int)w->n, "cards", cards,
		    "world_hash", w->hash, "created", w->created, "world_key", wk,
		    "trusted_objects", tj, "trusted_objects_complete", all_keys, "keys", keys,
		    "keys_complete", all_keys);
		r = json_emit(doc);
		doc = NULL;
	} else {
		r = 0;
	}
	/* What could export a world-bound key without the quorum is the auditor's first
	 * question: an unaccounted trusted object makes the answer a failure.  */
	if (r == 0 && foreign > 0) {
		msg_err("token '%s' holds %zu trusted object%s p11byok did not make (marked NOT "
		    "ACCOUNTED FOR above): each can wrap every world-bound key; find who made %s "
		    "before any transfer", w->token_label, foreign, foreign == 1 ? "" : "s",
		    foreign == 1 ? "it" : "them");
		r = P11BYOK_EFAIL;
	} else if (r == 0 && legacy > 0) {
		msg_err("token '%s' holds %zu trusted object%s an older p11byok left between "
		    "modify-acls and package: each can wrap every world-bound key; the next "
		    "modify-acls, package or run destroys %s", w->token_label, legacy,
		    legacy == 1 ? "" : "s", legacy == 1 ? "it" : "them");
		r = P11BYOK_EFAIL;
	}
	goto out;
oom:
	msg_err("out of memory");
out:
	json_decref(doc);
	json_decref(cards);
	json_decref(keys);
	json_decref(wk);
	json_decref(tj);
	free(trusted);
	world_free(w);
	p11_free(p);
	return r;
}

static int
check_quorum(struct ctx *ctx, struct args *a)
{
	struct world *w = NULL;
	struct p11 *p = NULL;
	int r;

	if ((r = world_load(ctx_kmdata(ctx), &w)) != 0)
		goto out;
	if ((r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_open_session(p)) != 0 ||
	    (r = quorum_login_so(a->q, p, w)) != 0)
		goto out;
	quorum_logout(p);
	msg_out("The cards open an SO session on token '%s' (serial %s); it was closed "
	    "again without any change.\n", w->token_label, w->token_serial);
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s}", "token_serial",
	    w->token_serial, "world_hash", w->hash, "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	world_free(w);
	p11_free(p);
	return r;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "acs-quorum", required_argument, NULL, OPT_QUORUM },
		{ "cards-dir", required_argument, NULL, OPT_CARDS_DIR },
		{ "cipher-suite", required_argument, NULL, OPT_SUITE },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "adopt", no_argument, NULL, OPT_ADOPT },
		{ "so-pin-file", required_argument, NULL, OPT_SO_PIN_FILE },
		{ "purge-trusted", no_argument, NULL, OPT_PURGE_TRUSTED },
		QUORUM_LONGOPTS,
		CLI_GLOBAL_OPTIONS
	};
	struct args a = { 0 };
	const char *sub;
	int c, r = P11BYOK_EUSAGE;

	if ((a.q = quorum_new()) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_QUORUM: a.quorum = optarg; break;
		case OPT_CARDS_DIR: a.cards_dir = optarg; break;
		case OPT_SUITE: a.suite = optarg; break;
		case OPT_LABEL: a.label = optarg; break;
		case OPT_ADOPT: a.adopt = true; break;
		case OPT_SO_PIN_FILE:
			if (cli_inline_secret(optarg)) {
				r = cli_secret_file_error(cmd, "--so-pin-file");
				goto out;
			}
			a.so_pin_file = optarg;
			break;
		case OPT_PURGE_TRUSTED: a.purge_trusted = true; break;
		case QUORUM_OPT_PASS:
			if (cli_inline_secret(optarg)) {
				r = cli_secret_file_error(cmd, "--card-pass-file");
				goto out;
			}
			/* init: the new cards' passphrases, in order; check-quorum: the cards'. */
			if (a.npass < WORLD_MAX_CARDS)
				a.pass[a.npass++] = optarg;
			else
				a.too_many_pass = true;
			(void)quorum_option(a.q, c, optarg);
			break;
		default:
			if ((r = quorum_option(a.q, c, optarg)) == CLI_CONTINUE) {
				a.saw_card = true;
				break;
			}
			if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
				goto out;
		}
	}
	if (optind >= argc) {
		r = cli_usage_error(cmd, "give a subcommand: init, show or check-quorum");
		goto out;
	}
	sub = argv[optind];
	if (argc - optind > 1) {
		r = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (strcmp(sub, "init") == 0) {
		if (a.saw_card) {
			r = cli_usage_error(cmd, "world init writes new cards: --card belongs to "
			    "'world check-quorum'");
			goto out;
		}
		r = init(ctx, cmd, &a);
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "check-quorum") == 0) {
		if (a.quorum || a.cards_dir || a.suite || a.label || a.adopt || a.so_pin_file ||
		    a.purge_trusted) {
			r = cli_usage_error(cmd, "--acs-quorum, --cards-dir, --cipher-suite, --label, "
			    "--adopt, --so-pin-file and --purge-trusted belong to 'world init'");
			goto out;
		}
		r = strcmp(sub, "show") == 0 ? show(ctx, cmd) : check_quorum(ctx, &a);
	} else {
		r = cli_usage_error(cmd, "unknown subcommand '%s': use init, show or check-quorum",
		    sub);
	}
out:
	json_decref(a.purged);
	quorum_free(a.q);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--acs-quorum", "K/N", "init: N cards, any K of which authorise admin operations "
	    "(1 <= K <= N <= 16)" },
	{ "--cards-dir", "DIR", "init: where to write card-I-of-N.acs (created 0700; must hold "
	    "no cards, but the N cards of a world init that stopped, which it then finishes)" },
	{ "--cipher-suite", "CS", "init: DLf3072s256mRijndael (default) or the legacy "
	    "DLf1024s160mRijndael" },
	{ "--label", "L", "init: the token label (default " DEFAULT_LABEL ")" },
	{ "--adopt", NULL, "init: take over an initialised token: log in once with its SO PIN "
	    "and replace it with the new random secret" },
	{ "--so-pin-file", "FILE", "init --adopt: the token's current SO PIN (else asked on the "
	    "terminal)" },
	{ "--purge-trusted", NULL, "init --adopt: destroy the trusted objects (and world-key "
	    "look-alikes, or a world key any session can destroy or copy) the previous security "
	    "officer or user left; without it adopting such a token is refused" },
	{ "--card-pass-file", "FILE", "init: the passphrase of card 1, 2, ... in order (else "
	    "asked twice on the terminal); check-quorum: of the card in the same position" },
	{ "--card", "FILE", "check-quorum: an administrator card of the world (give at least "
	    "K)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_world = {
	"world",
	"init --acs-quorum K/N --cards-dir DIR [--cipher-suite CS] [--label L] [--adopt] | show "
	"| check-quorum --card FILE...",
	"initialise the token as a security world with an administrator card quorum; show it",
	"init (seed step 3.2, new-world --initialize): chooses a free token slot (or, with "
	"--adopt, an initialised token), refuses a module that cannot run the BYOK flow "
	"(doctor's mechanism and capability checks) before anything changes, draws a random "
	"SO secret that no person sees, splits it "
	"with Shamir secret sharing into N cards of which any K rebuild it, and writes each "
	"card encrypted under its holder's passphrase (scrypt N=2^17 r=8 p=1, AES-256-GCM, the "
	"world hash, index and quorum bound as authenticated data) into --cards-dir, mode 0600, "
	"before the token is touched; then initialises the token with that secret as SO PIN "
	"(C_InitToken, or C_SetPIN with --adopt), sets the user PIN from the PIN sources, has "
	"the SO create the world backup key (AES-256, trusted, wrap/unwrap only, unwrap template "
	"{wrap-with-trusted, sensitive}, not destroyable or copyable) and writes kmdata/world "
	"with the SO secret's check value (--kmdata is required; created 0700). Passphrases: at "
	"least 12 characters, 8 of them different, not only digits, and no two cards alike. "
	"--adopt refuses a token holding trusted objects (or world-key look-alikes) its previous "
	"SO left, unless --purge-trusted destroys them. A failure before the token takes the "
	"secret removes the cards and changes nothing; after it, the cards stay and the same "
	"world init finishes the work: finding the N cards of one world in --cards-dir, it "
	"opens the token as its SO with them (a proof that it is theirs), sets the user PIN "
	"unless the token has one, makes or keeps the world key and writes kmdata/world; so "
	"too for a world whose kmdata was lost. A failed call after which the token may have "
	"taken the secret (a lost reply) is asked about before the cards go; a run killed "
	"between writing the cards and the token gets the cards' secret given to the token by "
	"the rerun (a free token; with --adopt, the former SO PIN of --so-pin-file is replaced "
	"by it). Run again over the world it made, world init says so and changes nothing. "
	"show: the world's token, serial, cipher suite, quorum, card fingerprints, world hash, "
	"the world key's attributes, every trusted object at rest with what it may wrap (any but "
	"the world key is NOT ACCOUNTED FOR or an older p11byok's, exit 1) and the keys in the "
	"world (private keys and private trusted objects need a PIN source). "
	"check-quorum: opens and closes an SO session with the cards given, changing nothing; "
	"administrators use it to test their cards and passphrases before a ceremony. "
	"--json fields: init: token_label, token_serial, world_hash, cipher_suite, quorum {k, n}, "
	"adopted, resumed, existing (done before: token_label, token_serial, world_hash, "
	"existing, result), result; show: token_label, token_serial, cipher_suite, legacy, quorum {k, n}, "
	"cards [{index, file, sha256}], world_hash, created, world_key, trusted_objects [{kind, "
	"class, label, id_hex, may_wrap, why}], trusted_objects_complete, keys [{class, type, id, "
	"label}], keys_complete; "
	"check-quorum: token_serial, world_hash, result.",
	opts, run,
};
