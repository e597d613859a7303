/* cmd-discard.c: p11byok discard ID — takes away what p11byok made for a key that never left
 * the world (discard.h), after the user confirms.  */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "cli.h"
#include "discard.h"
#include "jsonout.h"
#include "keyspec.h"
#include "msg.h"
#include "p11.h"
#include "world.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { OPT_YES = OPT_COMMAND_BASE };

/* The user types the ident back, on a terminal; --yes stands for that in a runbook. */
static int
confirm(const char *ident, const struct discard_plan *plan, const char *token)
{
	char line[128];
	FILE *tty;
	bool same;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL || !isatty(fileno(tty))) {
		if (tty != NULL)
			fclose(tty);
		msg_err("discard asks before it destroys anything, and there is no terminal to "
		    "ask on: give --yes to discard key '%s' without asking", ident);
		return P11BYOK_EUSAGE;
	}
	fprintf(tty, "Discard key '%s': destroy %zu object%s on token '%s' and remove %zu "
	    "record%s? It cannot be undone.\nType the ident to confirm: ", ident, plan->nobj,
	    plan->nobj == 1 ? "" : "s", token, plan->nrecords, plan->nrecords == 1 ? "" : "s");
	fflush(tty);
	same = fgets(line, sizeof line, tty) != NULL &&
	    strncmp(line, ident, strlen(ident)) == 0 && strcmp(line + strlen(ident), "\n") == 0;
	fclose(tty);
	if (!same) {
		msg_err("not confirmed (the ident was not typed back): nothing was changed");
		return P11BYOK_EUSAGE;
	}
	return 0;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, OPT_YES },
		CLI_GLOBAL_OPTIONS
	};
	struct discard_plan plan;
	struct world *w = NULL;
	struct p11 *p = NULL;
	const char *ident, *kmdata;
	bool yes = false;
	json_t *ev = NULL, *objs;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_YES)
			yes = true;
		else if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "which key? give its ident");
	ident = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!keyspec_valid_ident(ident))
		return cli_usage_error(cmd, "ident '%s' must be 1 to 64 digits, lower-case letters "
		    "and dashes", ident);
	if ((kmdata = ctx_kmdata(ctx)) == NULL)
		return cli_usage_error(cmd, "no kmdata directory: pass --kmdata DIR or set "
		    "P11BYOK_KMDATA (the world and key records live there)");
	audit_failure_note("ident", ident);
	if ((r = world_load(kmdata, &w)) != 0 ||
	    (r = audit_check_writable(kmdata)) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = world_select_token(w, p, ctx_token(ctx))) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = discard_plan(p, kmdata, ident, &plan)) != 0)
		goto out;
	for (size_t i = 0; i < plan.nobj; i++)
		msg_out("Destroys:        %s on token '%s'\n", plan.what[i], p11_token_label(p));
	for (size_t i = 0; i < plan.nrecords; i++)
		msg_out("Removes:         %s\n", plan.record[i]);
	if (!yes && (r = confirm(ident, &plan, p11_token_label(p))) != 0)
		goto out;
	r = P11BYOK_EFAIL;
	if ((ev = audit_event("discard")) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(w->hash));
	json_object_set_new(ev, "ident", json_string(ident));
	if ((r = discard_do(p, &plan, ev)) != 0)
		goto out;
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	if ((r = audit_append(kmdata, ev)) != 0)
		goto out;
	msg_out("Discarded:       key '%s' (%zu object%s, %zu record%s); the audit log says so\n",
	    ident, plan.nobj, plan.nobj == 1 ? "" : "s", plan.nrecords,
	    plan.nrecords == 1 ? "" : "s");
	objs = json_object_get(ev, "destroyed");
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:O, s:O, s:s}", "ident", ident,
	    "token_serial", p11_token_serial(p), "destroyed", objs, "removed",
	    json_object_get(ev, "files") ? json_object_get(ev, "files") : json_array(),
	    "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	json_decref(ev);
	world_free(w);
	p11_free(p);
	return r;
}

static const struct opt_doc opts[] = {
	{ "--yes", NULL, "discard without asking (runbooks, scripts)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_discard = {
	"discard",
	"ID [--yes]",
	"take away what p11byok made for a key that was never packaged",
	"For a key made by mistake, or half made by a generate a crash cut short: destroys, on "
	"the world's token, the objects p11byok made under ident ID (the key, born on the token "
	"wrap-with-trusted; its public key object; its transfer copy xferacld-ID, first) and "
	"removes kmdata/key_simple_ID and key_xferacld_ID. It lists them and asks you to type the "
	"ident back (--yes: without asking; with no terminal and no --yes it refuses). It refuses, "
	"changing nothing, a key the audit log says was packaged (its .byok exists, and taking "
	"the key away would not take that back) and an object under the ident that p11byok does "
	"not make (delete that with pkcs11-tool). Appends a 'discard' event naming what went; "
	"stopped midway, the same discard finishes it. --json fields: ident, token_serial, "
	"destroyed, removed, result.",
	opts, run,
};
