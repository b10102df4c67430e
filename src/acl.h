/*
 * acl: who may connect, for each kind of listener: vsock peers by CID
 * (lists of single CIDs or inclusive ranges, "3,5,10-20"), TCP peers by
 * address prefix, UNIX peers by uid.  An empty list allows everyone.
 * The configuration holds the lists; matching a peer against them is
 * done here only.
 */
#ifndef VSOCKPROXY_ACL_H
#define VSOCKPROXY_ACL_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stddef.h>

struct acl;

/* An address prefix; IPv4 is stored as family AF_INET. */
struct acl_prefix {
	int family;			/* AF_INET or AF_INET6 */
	unsigned int len;		/* prefix length in bits */
	unsigned char addr[16];		/* network byte order */
};

struct acl *acl_new(void);
void acl_free(struct acl *);

/* Add "3", "10-20" or a comma-separated list of them.  -1 on bad input,
 * with a reason in err. */
int acl_add(struct acl *, const char *spec, char *err, size_t errlen);
int acl_add_range(struct acl *, uint32_t lo, uint32_t hi);

/*
 * The i-th range of the list, for printing it back (conf_print()): 0
 * with *lo and *hi set, -1 past the end.
 */
int acl_range(const struct acl *, size_t i, uint32_t *lo, uint32_t *hi);
/* "ADDR/LENGTH", as acl_prefix_parse() reads it; returns buf. */
const char *acl_prefix_format(const struct acl_prefix *, char *buf,
    size_t len);

/* Nonzero if the list has no entries, i.e. allows everyone. */
int acl_is_any(const struct acl *);

/* Nonzero if cid may connect. */
int acl_allows(const struct acl *, uint32_t cid);
/* Nonzero if allow lets cid in and deny (NULL or empty: no one) does
 * not refuse it. */
int acl_allows_unless(const struct acl *allow, const struct acl *deny,
    uint32_t cid);

/*
 * Parse "ADDR" or "ADDR/LENGTH", IPv4 or IPv6.  An IPv4-mapped IPv6
 * prefix becomes the IPv4 one.  -1 with a reason in why if s is not a
 * prefix, or has address bits set past its length.
 */
int acl_prefix_parse(const char *s, struct acl_prefix *, char *why,
    size_t whylen);
/* Nonzero if sa is in one of the n prefixes, or n is 0.  IPv4-mapped
 * IPv6 peers match IPv4 prefixes. */
int acl_addr_allows(const struct acl_prefix *, size_t n,
    const struct sockaddr *sa, socklen_t salen);

/* Nonzero if uid is one of the n uids, or n is 0. */
int acl_uid_allows(const uid_t *uids, size_t n, uid_t uid);


#endif
