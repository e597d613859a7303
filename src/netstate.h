/* netstate.h: does this workstation look offline (DESIGN.md §2, the offline workstation)? */
#ifndef P11BYOK_NETSTATE_H
#define P11BYOK_NETSTATE_H

#include <stddef.h>

/* Writes the names of the non-loopback interfaces that are up into BUF, comma-separated
 * ("" when the machine looks offline).  Returns how many there are, or -1 when the
 * interfaces cannot be listed (errno set).  */
int net_interfaces_up(char *buf, size_t len);

#endif
