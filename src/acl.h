/*
 * acl: which vsock peers may connect, by CID.  An empty list allows every
 * CID.  Entries are single CIDs or inclusive ranges ("3,5,10-20").
 */
#ifndef VSOCKPROXY_ACL_H
#define VSOCKPROXY_ACL_H

#include <stdint.h>
#include <stddef.h>

struct acl;

struct acl *acl_new(void);
void acl_free(struct acl *);

/* Add "3", "10-20" or a comma-separated list of them.  -1 on bad input,
 * with a reason in err. */
int acl_add(struct acl *, const char *spec, char *err, size_t errlen);
int acl_add_range(struct acl *, uint32_t lo, uint32_t hi);

/* Nonzero if the list has no entries, i.e. allows everyone. */
int acl_is_any(const struct acl *);

/* Nonzero if cid may connect. */
int acl_allows(const struct acl *, uint32_t cid);

#endif
