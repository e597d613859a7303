/* cmd-audit.c: p11byok audit verify [FILE] — check the audit log's hash chain. */
#include "config.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "msg.h"

#include <stdio.h>
#include <string.h>

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_OPTIONS };
	char path[4096], head[4200];
	size_t lines = 0, bad = 0;
	const char *slash;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	if (optind >= argc || strcmp(argv[optind], "verify") != 0)
		return cli_usage_error(cmd, "the only subcommand is 'verify'");
	if (argc - optind > 2)
		return cli_usage_error(cmd, "give at most one log file");
	if (argc - optind == 2) {
		snprintf(path, sizeof path, "%s", argv[optind + 1]);
	} else if (ctx_kmdata(ctx) != NULL) {
		snprintf(path, sizeof path, "%s/audit.log", ctx_kmdata(ctx));
	} else {
		return cli_usage_error(cmd, "give the log file, or --kmdata DIR holding audit.log");
	}
	/* The head file sits beside the log it anchors. */
	slash = strrchr(path, '/');
	snprintf(head, sizeof head, "%.*saudit.head", slash ? (int)(slash - path + 1) : 0, path);

	r = audit_verify(path, head, &lines, &bad);
	if (r == P11BYOK_EUSAGE)
		return r;
	msg_out("Log:     %s\n", path);
	msg_out("Lines:   %zu\n", lines);
	if (r == 0) {
		msg_out("Chain:   intact, and its end matches %s\n", head);
	} else if (bad > lines) {
		msg_err("%s: line %zu and after are missing: the log ends before the last entry "
		    "%s records; restore the log from a backup and investigate", path, bad, head);
	} else {
		msg_err("%s:%zu: the hash chain breaks here: this line or the one before was "
		    "edited, deleted or moved; restore the log from a backup and investigate",
		    path, bad);
	}
	if (msg_json()) {
		int jr = json_emit(json_pack("{s:s, s:I, s:b, s:I, s:s}", "log", path,
		    "lines", (json_int_t)lines, "intact", r == 0, "first_bad_line", (json_int_t)bad,
		    "result", r == 0 ? "SUCCESS" : "FAILURE"));
		if (r == 0)
			r = jr;
	}
	fprintf(msg_stream(), "Result: %s\n", r == 0 ? "SUCCESS" : "FAILURE");
	return r;
}

static const struct opt_doc opts[] = { { NULL, NULL, NULL } };

const struct command cmd_audit = {
	"audit", "verify [FILE]",
	"check the audit log's hash chain (default: KMDATA/audit.log)",
	"Every command that changes the token or writes a file appends a JSON line to "
	"KMDATA/audit.log: time, command, token serial, world hash, key ident, KEK fingerprint, "
	"output files with their SHA-256, result, and 'prev', the SHA-256 of the line before. "
	"KMDATA/audit.head records the line count and the last line's SHA-256. 'audit verify' "
	"recomputes the chain and reports the first line where it breaks (exit 1); an intact "
	"log exits 0. The log never holds a secret. --json fields: log, lines, intact, "
	"first_bad_line, result.",
	opts, run,
};
