/* unit-audit.c: the audit chain detects an edited, deleted or moved line at that line. */
#include "config.h"
#include "audit.h"
#include "msg.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
first_bad(void)
{
	size_t lines, bad;
	return audit_verify(log_path, head_path, &lines, &bad) == 0 ? 0 : (int)bad;
}

int
main(void)
{
	size_t lines = 0, bad = 0;
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
	ok(audit_verify(log_path, head_path, &lines, &bad) == 0 && lines == 5, "5 lines verify");
	load();
	{
		int order[] = { 0, 1, 2, 3, 4, -1 };
		char *p = strstr(saved[2], "key-2");
		p[4] = '9';
		rewrite(order);
		ok(first_bad() == 4, "editing line 3 is caught at line 4 (its hash is in line 4)");
		p[4] = '2';
		rewrite(order);
		ok(first_bad() == 0, "undoing the edit verifies again");
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
		ok(first_bad() == 5, "editing the last line is caught by audit.head");
		p[4] = '4';
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
		ok(audit_verify(log_path, head_path, &lines, &bad) == 0 && lines == 7,
		    "7 lines verify after it");
		if ((f = fopen(head_path, "w")) != NULL) {
			fputs(old_head, f);
			fclose(f);
		}
		ok(first_bad() == 7, "audit.head two lines behind is caught");
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
