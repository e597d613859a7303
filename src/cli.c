/* cli.c: option handling shared by all commands, and help printed from the tables. */
#include "config.h"
#include "cli.h"
#include "formats.h"
#include "keyspec.h"
#include "msg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct opt_doc cli_global_opts[] = {
	{ "--module", "PATH", "PKCS#11 module to load with p11-kit (default $P11BYOK_MODULE)" },
	{ "--token", "URI", "RFC 7512 token URI, e.g. 'pkcs11:token=byok-world' "
	    "(default $P11BYOK_TOKEN; without one, the only initialised token)" },
	{ "--kmdata", "DIR", "world file, card index and key records (default $P11BYOK_KMDATA)" },
	{ "--regions", "DIR", "region manifests (default " REGIONSDIR ")" },
	{ "--pin-file", "FILE", "file holding the user PIN on its first line" },
	{ "--config", "FILE", "YAML config or runbook whose settings apply where no option "
	    "gives one (module, token, kmdata, regions, pin_file, offline)" },
	{ "--offline", "POLICY", "require, warn (default) or off: what generate, modify-acls and "
	    "package do when a network interface other than loopback is up" },
	{ "--json", NULL, "one JSON document on stdout; human text goes to stderr. A command "
	    "that fails before printing its own prints {command, result: FAILURE, exit_code, "
	    "error}" },
	{ "--quiet", NULL, "print only errors, warnings and results" },
	{ "--verbose", NULL, "print each step" },
	{ "--help", NULL, "show this help" },
	{ NULL, NULL, NULL },
};

static char **args;

void
cli_set_argv(char **argv)
{
	args = argv;
}

/* getopt_long (opterr 0) returned '?': says which option was wrong, in one line.  For a long
 * option optopt is 0 when it is unknown, its value (0x1000 and up) for a missing or unwanted
 * argument, and args[optind - 1] is the option it stopped at (glibc has permuted any operands
 * behind).  For a short one optopt is the letter, known or not, and args[optind - 1] may be
 * the word before (inside "-xy" optind has not moved): package's -o is the only one.  */
static void
bad_option(const struct command *cmd)
{
	const char *arg = args != NULL && optind > 0 ? args[optind - 1] : "?";
	int len = (int)strcspn(arg, "=");
	const char *sp = *cmd->name ? " " : "";
	if (optopt > 0 && optopt < 0x100) {	/* a short option */
		if (optopt == 'o' && strcmp(cmd->name, "package") == 0)
			msg_err("option '-o' needs a value: '" PACKAGE " package --help' describes "
			    "it");
		else
			msg_err("unrecognized option '-%c': '" PACKAGE "%s%s --help' lists the "
			    "options", optopt, sp, cmd->name);
	} else if (optopt != 0 && arg[len] == '=')
		msg_err("option '%.*s' takes no value: '" PACKAGE "%s%s --help' describes it",
		    len, arg, sp, cmd->name);
	else if (optopt != 0)
		msg_err("option '%.*s' needs a value: '" PACKAGE "%s%s --help' describes it", len,
		    arg, sp, cmd->name);
	else
		msg_err("unrecognized option '%.*s': '" PACKAGE "%s%s --help' lists the options",
		    len, arg, sp, cmd->name);
}

bool
cli_inline_secret(const char *arg)
{
	if (arg == NULL || *arg == '\0')
		return false;
	for (const char *c = arg; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

int
cli_secret_file_error(const struct command *cmd, const char *option)
{
	/* The argument is not repeated: it is most likely the PIN itself. */
	return cli_usage_error(cmd, "%s takes the path of a file holding the secret; an "
	    "argument of only digits looks like the secret itself, which never goes on the "
	    "command line: put it in a file (mode 0600) and give its path", option);
}

int
cli_common_option(struct ctx *ctx, const struct command *cmd, int opt, const char *arg)
{
	int rc = 0;
	switch (opt) {
	case OPT_MODULE: rc = ctx_set_module(ctx, arg); break;
	case OPT_TOKEN: rc = ctx_set_token(ctx, arg); break;
	case OPT_KMDATA: rc = ctx_set_kmdata(ctx, arg); break;
	case OPT_REGIONS: rc = ctx_set_regions(ctx, arg); break;
	case OPT_PIN_FILE:
		if (cli_inline_secret(arg))
			return cli_secret_file_error(cmd, "--pin-file");
		rc = ctx_set_pin_file(ctx, arg);
		break;
	case OPT_CONFIG:
	case OPT_OFFLINE:
		if ((rc = opt == OPT_CONFIG ? ctx_set_config(ctx, arg) : ctx_set_offline(ctx, arg)))
			return rc;
		break;
	case OPT_JSON: msg_set_json(true); break;
	case OPT_QUIET: msg_set_quiet(true); break;
	case OPT_VERBOSE: msg_set_verbose(true); break;
	case OPT_HELP:
		cli_print_help(cmd, stdout);
		return P11BYOK_OK;
	default:
		bad_option(cmd);
		return P11BYOK_EUSAGE;
	}
	if (rc < 0) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	return CLI_CONTINUE;
}

int
cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PACKAGE " %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	msg_remember_error(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " PACKAGE " %s %s\nTry '" PACKAGE " %s --help'.\n",
	    cmd->name, cmd->synopsis, cmd->name);
	return P11BYOK_EUSAGE;
}

void
cli_print_options(const struct opt_doc *opts, FILE *f)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		char left[64];
		snprintf(left, sizeof left, "%s%s%s", opts->name, opts->arg ? " " : "",
		    opts->arg ? opts->arg : "");
		fprintf(f, "  %-24s %s\n", left, opts->help);
	}
}

void
cli_print_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: " PACKAGE " [GLOBAL OPTIONS] %s%s%s\n\n%s\n", cmd->name,
	    *cmd->synopsis ? " " : "", cmd->synopsis, cmd->summary);
	if (cmd->description != NULL)
		fprintf(f, "\n%s\n", cmd->description);
	if (cmd->opts != NULL && cmd->opts[0].name != NULL) {
		fprintf(f, "\nOptions:\n");
		cli_print_options(cmd->opts, f);
	}
	fprintf(f, "\nGlobal options (before or after the command):\n");
	cli_print_options(cli_global_opts, f);
	fprintf(f, "\nExit codes: 0 success, 1 operation failed, 2 usage or input error, "
	    "3 environment error.\n");
}

void
cli_print_commands(const struct command *const *cmds, FILE *f)
{
	for (; *cmds != NULL; cmds++)
		fprintf(f, "  %-16s %s\n", (*cmds)->name, (*cmds)->summary);
}

/* Writes S with roff's special characters escaped. */
static void
roff(FILE *f, const char *s)
{
	int bol = 1;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void
man_opts(const struct opt_doc *opts, FILE *f)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		fputs(".TP\n.B ", f);
		roff(f, opts->name);
		if (opts->arg != NULL) {
			fputs(" \"", f);
			roff(f, opts->arg);
			fputs("\"", f);
		}
		fputc('\n', f);
		roff(f, opts->help);
		fputc('\n', f);
	}
}

void
cli_print_man(const struct command *const *cmds, FILE *f)
{
	fputs(".TH P11BYOK 1 \"\" \"" PACKAGE " " VERSION "\" \"User Commands\"\n"
	    ".SH NAME\np11byok \\- take an HSM key to a cloud BYOK transfer file\n"
	    ".SH SYNOPSIS\n.B p11byok\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
	    ".SH DESCRIPTION\n", f);
	roff(f, "p11byok takes a key from birth inside a hardware security module to a "
	    "cloud-ready bring-your-own-key transfer file, without the key ever being in the "
	    "clear outside an HSM. It talks to any PKCS#11 module through p11-kit.\n");
	fputs(".SH COMMANDS\n", f);
	for (const struct command *const *c = cmds; *c != NULL; c++) {
		fputs(".SS \"", f);
		roff(f, (*c)->name);
		if (*(*c)->synopsis != '\0') {
			fputs(" ", f);
			roff(f, (*c)->synopsis);
		}
		fputs("\"\n", f);
		roff(f, (*c)->summary);
		fputc('\n', f);
		if ((*c)->description != NULL) {
			fputs(".PP\n", f);
			roff(f, (*c)->description);
			fputc('\n', f);
		}
		man_opts((*c)->opts, f);
	}
	fputs(".SH GLOBAL OPTIONS\nValid before or after the command.\n", f);
	man_opts(cli_global_opts, f);
	fputs(".SH ENVIRONMENT\n"
	    ".TP\n.B P11BYOK_MODULE\nPKCS#11 module path when \\-\\-module is not given.\n"
	    ".TP\n.B P11BYOK_TOKEN\nToken URI when \\-\\-token is not given.\n"
	    ".TP\n.B P11BYOK_KMDATA\nkmdata directory when \\-\\-kmdata is not given.\n"
	    ".TP\n.B P11BYOK_PIN\nThe user PIN, when neither the token URI's pin-source nor "
	    "\\-\\-pin-file gives one (weaker: a warning is printed).\n"
	    ".SH PIN SOURCES\nPINs never come from the command line. In order: the pin-source "
	    "of the token URI (a file: path), \\-\\-pin-file, P11BYOK_PIN, then a prompt on the "
	    "terminal with echo off. A wrong PIN is never retried.\n"
	    ".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n1\nthe operation failed (verification "
	    "mismatch, HSM refused)\n.TP\n2\nusage or input error (bad option, malformed YAML, "
	    "unknown region)\n.TP\n3\nenvironment error (module will not load, token absent)\n"
	    ".SH FILES\n.TP\n.I " REGIONSDIR "\nregion manifests, one YAML file per region.\n", f);
	fputs(".SH FILE FORMATS\n", f);
	for (const struct format_doc *d = formats; d->name != NULL; d++) {
		fputs(".TP\n.B ", f);
		roff(f, d->name);
		fputc('\n', f);
		roff(f, d->text);
		fputc('\n', f);
	}
	fputs(".SH SEE ALSO\n.BR pkcs11-tool (1),\n.BR p11-kit (8),\n.BR softhsm2-util (1)\n", f);
}

int
cli_ident_args(struct ctx *ctx, const struct command *cmd, int argc, char **argv,
    const char **ident)
{
	static const struct option longopts[] = { CLI_GLOBAL_OPTIONS };
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	if (optind >= argc)
		return cli_usage_error(cmd, "which key? give its ident");
	*ident = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!keyspec_valid_ident(*ident))
		return cli_usage_error(cmd, "ident '%s' must be 1 to 64 digits, lower-case letters "
		    "and dashes", *ident);
	return CLI_CONTINUE;
}
