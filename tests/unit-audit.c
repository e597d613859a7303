/* unit-audit.c: the audit chain detects an edited, deleted or moved line at that line. */
#include "config.h"
#include "audit.h"
#include "msg.h"
#include "tap.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/p11byok-audit-XXXXXX";
static char log_path[256], head_path[256], saved[8][512];
static int nsaved;

static void
load(void)
{
	FILE *f = fopen(log_path, "r");
	nsaved = 0;
	while (nsaved < 8 && fgets(saved[nsaved], sizeof saved[0], f) != NULL)
		nsaved++;
	fclose(f);
}

/* Rewrites the log from the saved lines, in the order ORDER gives (-1 ends). */
static void
rewrite(const int *order)
{
	FILE *f = fopen(log_path, "w");
	for (; *order >= 0; order++)
		fputs(saved[*order], f);
	fclose(f);
}

static struct audit_verdict v;

static int
first_bad(void)
{
	return audit_verify(log_path, head_path, &v) == 0 ? 0 : (int)v.bad_line;
}

/* Line NO of the saved log with its ident changed to IDENT_TO and its own hash recomputed:
 * a rewrite by someone who knows the format.  */
static void
reseal(int no, const char *ident_to)
{
	json_t *ev = json_loads(saved[no], 0, NULL);
	json_object_set_new(ev, "ident", json_string(ident_to));
	json_object_del(ev, "hash");
	{
		/* Seal it as audit_append does: dump, hash, append the hash field. */
		char *body = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		unsigned char d[32];
		char hex[65];
		unsigned int dl = 0;
		EVP_Digest(body, strlen(body), d, &dl, EVP_sha256(), NULL);
		for (int i = 0; i < 32; i++)
			sprintf(hex + 2 * i, "%02x", d[i]);
		body[strlen(body) - 1] = '\0';
		snprintf(saved[no], sizeof saved[0], "%s,\"hash\":\"%s\"}\n", body, hex);
		free(body);
	}
	json_decref(ev);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(log_path, sizeof log_path, "%s/audit.log", dir);
	snprintf(head_path, sizeof head_path, "%s/audit.head", dir);
	for (int i = 0; i < 5; i++) {
		json_t *ev = audit_event("generate");
		char ident[16];
		snprintf(ident, sizeof ident, "key-%d", i);
		json_object_set_new(ev, "ident", json_string(ident));
		ok(audit_append(dir, ev) == 0, "append event %d", i);
		json_decref(ev);
	}
	ok(audit_verify(log_path, head_path, &v) == 0 && v.lines == 5, "5 lines verify");
	load();
	{
		int order[] = { 0, 1, 2, 3, 4, -1 };
		char *p = strstr(saved[2], "key-2");
		p[4] = '9';
		rewrite(order);
		ok(first_bad() == 3, "editing line 3 is caught at line 3 (its own hash)");
		p[4] = '2';
		rewrite(order);
		ok(first_bad() == 0, "undoing the edit verifies again");
	}
	{
		int order[] = { 0, 1, 2, 3, 4, -1 };
		char keep[512];
		memcpy(keep, saved[1], sizeof keep);
		reseal(1, "key-X");
		rewrite(order);
		ok(first_bad() == 2, "line 2 rewritten with its hash recomputed is caught at line 2");
		memcpy(saved[1], keep, sizeof keep);
	}
	{
		int order[] = { 0, 1, 3, 4, -1 };
		rewrite(order);
		ok(first_bad() == 3, "deleting line 3 is caught at line 3");
	}
	{
		int order[] = { 0, 2, 1, 3, 4, -1 };
		rewrite(order);
		ok(first_bad() == 2, "swapping lines 2 and 3 is caught at line 2");
	}
	{
		int order[] = { 1, 2, 3, 4, -1 };
		rewrite(order);
		ok(first_bad() == 1, "deleting the first line is caught at line 1");
	}
	{
		int order[] = { 0, 1, 2, 3, -1 };
		rewrite(order);
		ok(first_bad() == 5, "deleting the last line is caught by audit.head (line 5 missing)");
	}
	{
		int order[] = { 0, 1, 2, 3, 4, -1 };
		char *p = strstr(saved[4], "key-4");
		p[4] = '7';
		rewrite(order);
		ok(first_bad() == 5, "editing the last line is caught at line 5");
		p[4] = '4';
		{
			char keep[512];
			memcpy(keep, saved[4], sizeof keep);
			reseal(4, "key-7");
			rewrite(order);
			ok(first_bad() == 5, "the last line rewritten whole is caught by audit.head");
			memcpy(saved[4], keep, sizeof keep);
		}
	}
	{
		/* A crash after the line was appended, before audit.head was replaced. */
		int order[] = { 0, 1, 2, 3, 4, -1 };
		char old_head[256] = "";
		FILE *f;
		json_t *ev = audit_event("package");
		rewrite(order);
		if ((f = fopen(head_path, "r")) != NULL) {
			(void)!fgets(old_head, sizeof old_head, f);
			fclose(f);
		}
		ok(audit_append(dir, ev) == 0, "append a sixth event");
		json_decref(ev);
		if ((f = fopen(head_path, "w")) != NULL) {
			fputs(old_head, f);
			fclose(f);
		}
		ok(first_bad() == 0, "audit.head one line behind (interrupted write) still verifies");
		ev = audit_event("package");
		ok(audit_append(dir, ev) == 0, "the next append brings audit.head up to date");
		json_decref(ev);
		ok(audit_verify(log_path, head_path, &v) == 0 && v.lines == 7,
		    "7 lines verify after it");
		if ((f = fopen(head_path, "w")) != NULL) {
			fputs(old_head, f);
			fclose(f);
		}
		ok(first_bad() == 6, "audit.head two lines behind is caught at the first line it does not count");
	}
	{
		/* The end of the log: a line without its line end is whole or cut off. */
		struct stat st;
		off_t size;
		json_t *ev;
		unlink(log_path);
		unlink(head_path);
		for (int i = 0; i < 2; i++) {
			ev = audit_event("generate");
			ok(audit_append(dir, ev) == 0, "a fresh log: line %d", i + 1);
			json_decref(ev);
		}
		stat(log_path, &st);
		(void)!truncate(log_path, st.st_size - 1);
		ok(audit_verify(log_path, head_path, &v) == 0 && v.lines == 2 && v.unended,
		    "a whole last line without its line end verifies, marked unended");
		ok(audit_check_writable(dir) == 0, "... and a command may go on");
		ev = audit_event("package");
		ok(audit_append(dir, ev) == 0, "the next append ends that line first");
		json_decref(ev);
		ok(audit_verify(log_path, head_path, &v) == 0 && v.lines == 3 && !v.unended,
		    "... and the three lines verify, the head matching");
		stat(log_path, &st);
		(void)!truncate(log_path, size = st.st_size - 20);
		ok(audit_verify(log_path, head_path, &v) != 0 && v.bad_line == 3 && v.why != NULL &&
		    strstr(v.why, "cut off") != NULL, "a line cut off mid-way is reported at it");
		ok(audit_check_writable(dir) == P11BYOK_EFAIL,
		    "a command refuses to start on a log that ends cut off");
		ev = audit_event("package");
		ok(audit_append(dir, ev) == P11BYOK_EFAIL && stat(log_path, &st) == 0 &&
		    st.st_size == size, "nothing is chained to the cut-off line");
		json_decref(ev);
	}
	{
		/* Which transfer key on the token a log accounts for: made after the last
		 * package line of its key.  */
		static const char *const steps[][3] = {	/* command, ident, result */
			{ "run", NULL, "SUCCESS" }, { "package", "a", "SUCCESS" },
			{ "modify-acls", "a", "SUCCESS" }, { "package", "a", "FAILURE" },
			{ "modify-acls", "a", "FAILURE" },
		};
		static const bool want_a[] = { true, false, true, false, false };
		unlink(log_path);
		unlink(head_path);
		for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
			struct audit_log *log = NULL;
			json_t *ev = audit_event(steps[i][0]);
			if (steps[i][1] != NULL)
				json_object_set_new(ev, "ident", json_string(steps[i][1]));
			else
				json_object_set_new(ev, "transfer_keys_for", json_pack("[s]", "a"));
			json_object_set_new(ev, "result", json_string(steps[i][2]));
			audit_append(dir, ev);
			json_decref(ev);
			audit_log_load(dir, &log);
			ok(audit_log_has_transfer_key(log, "a") == want_a[i] &&
			    !audit_log_has_transfer_key(log, "b"), "after %s %s (%s): a transfer key of "
			    "'a' is %saccounted for, one of 'b' not", steps[i][0], steps[i][1] ?
			    steps[i][1] : "quorum", steps[i][2], want_a[i] ? "" : "not ");
			audit_log_free(log);
		}
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
