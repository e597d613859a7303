/* netstate.c: non-loopback interfaces that are up, from getifaddrs(3). */
#include "config.h"
#include "netstate.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>

static bool
counts(const struct ifaddrs *i)
{
	return (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK);
}

int
net_interfaces_up(char *buf, size_t len)
{
	struct ifaddrs *ifs = NULL, *i, *j;
	int count = 0;

	buf[0] = '\0';
	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (!counts(i))
			continue;
		/* getifaddrs lists an interface once per address family: count it once. */
		for (j = ifs; j != i; j = j->ifa_next)
			if (counts(j) && strcmp(j->ifa_name, i->ifa_name) == 0)
				break;
		if (j != i)
			continue;
		if (strlen(buf) + strlen(i->ifa_name) + 3 < len) {
			strcat(buf, count ? ", " : "");
			strcat(buf, i->ifa_name);
		}
		count++;
	}
	freeifaddrs(ifs);
	return count;
}
