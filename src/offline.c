/* offline.c: warn or refuse when the workstation is on a network; see offline.h. */
#include "config.h"
#include "offline.h"
#include "msg.h"
#include "netstate.h"

#include <string.h>

int
offline_parse(const char *text, enum offline_policy *out)
{
	static const char *const names[] = { "warn", "require", "off" };
	for (int i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum offline_policy)i;
			return 0;
		}
	return -1;
}

const char *
offline_name(enum offline_policy policy)
{
	return policy == OFFLINE_REQUIRE ? "require" : policy == OFFLINE_OFF ? "off" : "warn";
}

int
offline_check(enum offline_policy policy, const char *command)
{
	char names[512];
	int up;

	if (policy == OFFLINE_OFF)
		return 0;
	if ((up = net_interfaces_up(names, sizeof names)) == 0)
		return 0;
	if (up < 0)
		snprintf(names, sizeof names, "(cannot list the network interfaces)");
	if (policy == OFFLINE_REQUIRE) {
		msg_err("%s refused: this workstation is on a network (%s up) and the offline "
		    "policy is 'require': disconnect it, or run with --offline=warn", command, names);
		return P11BYOK_EENV;
	}
	msg_warn("%s on a workstation with a network interface up (%s): BYOK keys should be "
	    "made offline (--offline=require makes this fatal)", command, names);
	return 0;
}
