/* cli.h: the command table's entries, their option documentation, and the global options.
 *
 * Each command documents its options next to its code in a struct command; --help, the
 * usage lines and the man page are all printed from these tables, so they cannot drift.  */
#ifndef P11BYOK_CLI_H
#define P11BYOK_CLI_H

#include <stdbool.h>

#include <getopt.h>
#include <stdio.h>
#include "ctx.h"

/* Option values above any character, shared by every command's getopt_long loop. */
enum {
	OPT_MODULE = 0x1000, OPT_TOKEN, OPT_KMDATA, OPT_REGIONS, OPT_PIN_FILE,
	OPT_JSON, OPT_QUIET, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_CONFIG, OPT_OFFLINE,
	OPT_COMMAND_BASE = 0x1100,	/* commands number their own options from here */
};

/* Entries every command's struct option[] ends with. */
#define CLI_GLOBAL_OPTIONS \
	{ "module", required_argument, NULL, OPT_MODULE }, \
	{ "token", required_argument, NULL, OPT_TOKEN }, \
	{ "kmdata", required_argument, NULL, OPT_KMDATA }, \
	{ "regions", required_argument, NULL, OPT_REGIONS }, \
	{ "pin-file", required_argument, NULL, OPT_PIN_FILE }, \
	{ "config", required_argument, NULL, OPT_CONFIG }, \
	{ "offline", required_argument, NULL, OPT_OFFLINE }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "quiet", no_argument, NULL, OPT_QUIET }, \
	{ "verbose", no_argument, NULL, OPT_VERBOSE }, \
	{ "help", no_argument, NULL, OPT_HELP }, \
	{ NULL, 0, NULL, 0 }

/* One documented option: "--region", "R", "what it does". */
struct opt_doc {
	const char *name;
	const char *arg;
	const char *help;
};

struct command {
	const char *name;
	const char *synopsis;		/* arguments after the name */
	const char *summary;		/* one line for the command list */
	const char *description;	/* paragraph for --help and the man page, or NULL */
	const struct opt_doc *opts;	/* terminated by a NULL name; may be NULL */
	int (*run)(struct ctx *ctx, const struct command *cmd, int argc, char **argv);
};

extern const struct opt_doc cli_global_opts[];

/* The argument vector getopt is parsing, so a bad option can be named. */
void cli_set_argv(char **argv);

/* Handles an option every command accepts (global ones, --help, getopt's '?').  Returns
 * CLI_CONTINUE to keep parsing, or the exit code the command should return now.  */
#define CLI_CONTINUE (-1)
int cli_common_option(struct ctx *ctx, const struct command *cmd, int opt, const char *arg);

/* Prints "usage: p11byok NAME SYNOPSIS" and the hint to --help; returns P11BYOK_EUSAGE. */
int cli_usage_error(const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses the arguments of a command that takes only global options and one key ident:
 * returns CLI_CONTINUE with *IDENT pointing into ARGV, or the exit code the command should
 * return now (0 after --help, P11BYOK_EUSAGE after a usage error).  */
int cli_ident_args(struct ctx *ctx, const struct command *cmd, int argc, char **argv,
    const char **ident);

/* Full help of CMD: synopsis, description, options, global options. */
void cli_print_help(const struct command *cmd, FILE *f);
/* Two columns, option and help, one line per option. */
void cli_print_options(const struct opt_doc *opts, FILE *f);
/* One line per command, for p11byok --help. */
void cli_print_commands(const struct command *const *cmds, FILE *f);
/* The man page p11byok(1) in roff, from the same tables. */
void cli_print_man(const struct command *const *cmds, FILE *f);

/* Whether ARG, given where a secret's file name goes, is all digits: the secret itself. */
bool cli_inline_secret(const char *arg);
/* The usage error for such an OPTION, which never repeats the argument. */
int cli_secret_file_error(const struct command *cmd, const char *option);

#endif
