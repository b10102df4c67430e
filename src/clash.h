/*
 * clash: listen addresses that cannot both be bound, found in constant
 * time.  Two listen addresses clash if they are the same, if one is a
 * vsock port on any CID and the other the same port on some CID, or if
 * one is a TCP wildcard address (0.0.0.0, or [::], which takes IPv4
 * too) and the other the same port on an address of its family.  TCP
 * port 0 asks for a fresh port and never clashes.  IPv4-mapped IPv6
 * addresses are their IPv4 ones (addr_tcp_ip()).
 *
 * Each address added leaves a few keys (the port, the family and port,
 * the exact address...); a new address asks for the keys that an
 * address it clashes with would have left, and the earliest of those
 * wins, so that the answer is the first clashing address added, as a
 * walk over all of them in order would find.
 */
#ifndef VSOCKPROXY_CLASH_H
#define VSOCKPROXY_CLASH_H

#include "addr.h"

struct clash;

struct clash *clash_new(void);
void clash_free(struct clash *);

/*
 * Remember a listen address with a cookie for clash_find().  The address
 * is referred to, not copied: it must outlive the set.  0, or -1 with
 * errno ENOMEM.
 */
int clash_add(struct clash *, const struct addr *a, void *cookie);

/* The cookie of the first address added that a clashes with, or NULL. */
void *clash_find(const struct clash *, const struct addr *a);

#endif
