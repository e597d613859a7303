/* main.c: p11byok's command table and dispatch. */
#include "config.h"
#include "audit-failure.h"
#include "cli.h"
#include "formats.h"
#include "jsonout.h"
#include "msg.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_regions, cmd_verify_toolset, cmd_doctor, cmd_inspect,
    cmd_import, cmd_audit, cmd_package;
extern const struct command cmd_modify_acls;
extern const struct command cmd_world;
extern const struct command cmd_verify_kek;
extern const struct command cmd_generate, cmd_show_key, cmd_restore, cmd_discard;
extern const struct command cmd_run;

static const struct command *const commands[] = {
	&cmd_regions,
	&cmd_verify_toolset,
	&cmd_doctor,
	&cmd_world,
	&cmd_verify_kek,
	&cmd_generate,
	&cmd_show_key,
	&cmd_restore,
	&cmd_discard,
	&cmd_modify_acls,
	&cmd_package,
	&cmd_run,
	&cmd_inspect,
	&cmd_import,
	&cmd_audit,
	NULL,
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PACKAGE " [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
	    "Take a key from birth inside an HSM to a cloud BYOK transfer file, through any\n"
	    "PKCS#11 module.\n\nCommands:\n");
	cli_print_commands(commands, f);
	fprintf(f, "\nGlobal options:\n");
	cli_print_options(cli_global_opts, f);
	fprintf(f, "  %-24s %s\n", "--version", "print the version");
	fprintf(f, "  %-24s %s\n", "--help-formats", "describe the files p11byok reads and writes");
	fprintf(f, "\n'" PACKAGE " COMMAND --help' describes a command. Exit codes: 0 success, "
	    "1 operation failed,\n2 usage or input error, 3 environment error.\n");
}

/* Whether --json is among the options, even past one getopt stopped at: a usage error
 * under --json still owes the caller its failure document.  */
static bool
asks_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static const struct command *
find(const char *name)
{
	for (const struct command *const *c = commands; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help-man", no_argument, NULL, 'M' },
		{ "help-formats", no_argument, NULL, 'F' },
		CLI_GLOBAL_OPTIONS
	};
	static const struct command top = { "", "COMMAND [ARGS]", "", NULL, NULL, NULL };
	const struct command *cmd = NULL;
	static char prog[64];
	bool json = asks_json(argc, argv);
	struct ctx *ctx = NULL;
	int c, r = P11BYOK_EUSAGE;

	secret_harden_process();
	/* Past a file size limit (ulimit -f) a write fails with EFBIG, which is reported like a
	 * full disk, instead of the signal killing the tool halfway.  */
	signal(SIGXFSZ, SIG_IGN);
	if ((ctx = ctx_new()) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	/* cli_common_option says what was wrong with an option, as one remembered line. */
	opterr = 0;
	cli_set_argv(argv);
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_VERSION:
			printf(PACKAGE " " VERSION "\n");
			r = 0;
			goto out;
		case 'M':
			cli_print_man(commands, stdout);
			r = 0;
			goto out;
		case 'F':
			formats_print(stdout);
			r = 0;
			goto out;
		case OPT_HELP:
			usage(stdout);
			r = 0;
			goto out;
		default:
			if ((r = cli_common_option(ctx, &top, c, optarg)) != CLI_CONTINUE)
				goto out;
		}
	}
	if (optind >= argc) {
		msg_err("no command given: '" PACKAGE " --help' lists the commands");
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if ((cmd = find(argv[optind])) == NULL) {
		msg_err("unknown command '%s': '" PACKAGE " --help' lists the commands",
		    argv[optind]);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	/* The command parses its own arguments; getopt names it in its messages. */
	snprintf(prog, sizeof prog, PACKAGE " %s", cmd->name);
	argc -= optind;
	argv += optind;
	argv[0] = prog;
	cli_set_argv(argv);
	optind = 0;	/* glibc: restart getopt from argv[1] */
	r = cmd->run(ctx, cmd, argc, argv);
out:
	ctx_free(ctx);
	if (r != P11BYOK_OK)
		audit_failure_record(cmd != NULL ? cmd->name : "", r, msg_first_error());
	if (r != P11BYOK_OK && (json || msg_json()))
		json_emit_failure(cmd != NULL ? cmd->name : NULL, r);
	return r;
}
