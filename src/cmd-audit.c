/* cmd-audit.c: p11byok audit verify [FILE] [--head FILE] — check the audit log's hash chain. */
#include "config.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { OPT_HEAD = OPT_COMMAND_BASE };

/* The head file for the log at PATH: --head, else the audit.head beside it.  Beside an
 * explicit FILE it may be missing (a copy handed to an auditor): NULL then, after a
 * warning.  */
static const char *
head_for(const char *path, const char *given, bool explicit_log, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (given != NULL)
		return given;
	snprintf(buf, len, "%.*saudit.head", slash ? (int)(slash - path + 1) : 0, path);
	if (explicit_log && access(buf, F_OK) != 0 && errno == ENOENT) {
		msg_warn("no audit.head beside %s: every line is checked but not the end (a "
		    "deleted last line is not seen); give --head FILE to check it", path);
		return NULL;
	}
	return buf;
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "head", required_argument, NULL, OPT_HEAD },
		CLI_GLOBAL_OPTIONS
	};
	char path[4096], headbuf[4200];
	const char *head, *given_head = NULL;
	struct audit_verdict v;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_HEAD)
			given_head = optarg;
		else if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	}
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
	head = head_for(path, given_head, argc - optind == 2, headbuf, sizeof headbuf);

	if ((r = audit_verify(path, head, &v)) == P11BYOK_EUSAGE)
		return r;
	msg_out("Log:       %s\n", path);
	msg_out("Lines:     %zu\n", v.lines);
	if (r == 0) {
		msg_out("Last line: SHA-256 %s (keep it apart from the log: a copy of it shows a "
		    "log rewritten whole)\n", v.last_hash[0] ? v.last_hash : "(empty log)");
		if (v.unended)
			msg_warn("the last line of %s has no line end (a write cut short after "
			    "it, or an editor); the line is whole and the next audit line ends it",
			    path);
		if (v.head_behind)
			msg_warn("%s is one line behind the log (a write cut short between the "
			    "two); the chain is intact and the next audit line updates it", head);
		msg_out("Chain:     intact%s%s\n", v.head_checked ? ", and its end matches " : "",
		    v.head_checked ? head : ", end unchecked (no head file)");
	} else if (v.bad_line > v.lines) {
		msg_err("%s: %s (%s): restore the log from a backup and investigate", path, v.why,
		    head);
	} else {
		msg_err("%s:%zu: %s: restore the log from a backup and investigate", path,
		    v.bad_line, v.why);
	}
	if (msg_json()) {
		int jr = json_emit(json_pack("{s:s, s:I, s:b, s:I, s:s?, s:b, s:s, s:s}", "log",
		    path, "lines", (json_int_t)v.lines, "intact", r == 0,
		    "first_bad_line", (json_int_t)v.bad_line, "reason", v.why,
		    "head_checked", v.head_checked, "last_line_sha256", v.last_hash,
		    "result", r == 0 ? "SUCCESS" : "FAILURE"));
		if (r == 0)
			r = jr;
	}
	fprintf(msg_stream(), "Result: %s\n", r == 0 ? "SUCCESS" : "FAILURE");
	return r;
}

static const struct opt_doc opts[] = {
	{ "--head", "FILE", "the head file to check the log's end against (default: audit.head "
	    "beside the log; without one beside an explicit FILE, the end is not checked)" },
	{ NULL, NULL, NULL },
};

const struct command cmd_audit = {
	"audit", "verify [FILE] [--head FILE]",
	"check the audit log's hash chain (default: KMDATA/audit.log)",
	"Every command that changes the token or writes a file appends a JSON line to "
	"KMDATA/audit.log: time, command, token serial, world hash, key ident, KEK fingerprint, "
	"output files with their SHA-256, result (SUCCESS; FAILURE with exit_code and error for "
	"a command that failed once it could change things; RECOVERED for a step a crash left "
	"unlogged, logged by the rerun); then 'seq' (its line number), 'prev' (the "
	"SHA-256 of the line before) and 'hash' (the SHA-256 of the line up to that field). "
	"KMDATA/audit.head records the line count and the last line's SHA-256. 'audit verify' "
	"checks every line and reports the first broken one as FILE:LINE (exit 1): a line "
	"edited in place, a line missing, a line out of place, or a line rewritten whole with "
	"its hash recomputed; lines missing at the end are caught by the head. An intact log "
	"exits 0 and prints its last line's SHA-256: the chain has no key, so whoever can write "
	"kmdata can rewrite log and head together; keep that hash apart from the workstation "
	"(in the change ticket) to catch that. The log never holds a secret. --json fields: log, "
	"lines, intact, first_bad_line, reason, head_checked, last_line_sha256, result.",
	opts, run,
};
