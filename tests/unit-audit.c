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
		/* What a rerun relies on comes only from an intact chain: an edited line, an
		 * unsealed line appended, or a line deleted at the end (the head says more) makes
		 * audit_log_load refuse, and finding a line gives it back with its fields.  */
		struct audit_log *log = NULL;
		const json_t *found;
		struct stat st;
		off_t size;
		FILE *f;
		unlink(log_path);
		unlink(head_path);
		for (int i = 0; i < 2; i++) {
			json_t *ev = audit_event("package");
			json_object_set_new(ev, "ident", json_string(i ? "b" : "a"));
			json_object_set_new(ev, "proof", json_string(i ? "p-b" : "p-a"));
			json_object_set_new(ev, "result", json_string("SUCCESS"));
			audit_append(dir, ev);
			json_decref(ev);
		}
		ok(audit_log_load(dir, &log) == 0 &&
		    (found = audit_log_find(log, "package", "b", NULL)) != NULL &&
		    strcmp(json_string_value(json_object_get(found, "proof")), "p-b") == 0 &&
		    audit_log_find(log, "package", "c", NULL) == NULL,
		    "an intact log is loaded, and a line found with its fields");
		audit_log_free(log);
		log = NULL;
		stat(log_path, &st);
		size = st.st_size;
		f = fopen(log_path, "a");
		fputs("{\"command\":\"package\",\"ident\":\"c\",\"result\":\"SUCCESS\"}\n", f);
		fclose(f);
		ok(audit_log_load(dir, &log) == P11BYOK_EFAIL && log == NULL,
		    "a log with an unsealed line appended is refused");
		(void)!truncate(log_path, size);
		ok(audit_verify(log_path, head_path, &v) == 0, "... (the line taken off again)");
		(void)!truncate(log_path, size - 20);
		ok(audit_log_load(dir, &log) == P11BYOK_EFAIL && log == NULL,
		    "a log whose last line was cut short is refused");
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
