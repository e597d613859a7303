/* offline.h: the offline-workstation policy (DESIGN.md §2): generate, modify-acls and package
 * check for a non-loopback interface that is up, and warn or refuse.  */
#ifndef P11BYOK_OFFLINE_H
#define P11BYOK_OFFLINE_H

enum offline_policy { OFFLINE_WARN = 0, OFFLINE_REQUIRE, OFFLINE_OFF };

/* Parses "require", "warn" or "off"; returns 0, or -1 for anything else. */
int offline_parse(const char *text, enum offline_policy *out);
const char *offline_name(enum offline_policy policy);

/* Applies POLICY before COMMAND: returns 0 (offline, or warned), or P11BYOK_EENV after one
 * line when POLICY is require and an interface is up.  */
int offline_check(enum offline_policy policy, const char *command);

#endif
