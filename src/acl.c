/*
 * acl: lists of who may connect, and the matching of a peer against them.
 * Lists are short (a handful of VMs, a few networks or users), so a
 * linear scan is the right data structure.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "log.h"
#include "parse.h"

struct range {
	uint32_t lo, hi;
};

struct acl {
	struct range *r;
	size_t n, cap;
};

struct acl *
acl_new(void)
{
	struct acl *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		log_warn("calloc");
	return (a);
}

void
acl_free(struct acl *a)
{

	if (a == NULL)
		return;
	free(a->r);
	free(a);
}

int
acl_add_range(struct acl *a, uint32_t lo, uint32_t hi)
{
	struct range *nr;
	size_t ncap;

	if (a->n == a->cap) {
		ncap = a->cap ? a->cap * 2 : 4;
		if ((nr = realloc(a->r, ncap * sizeof(*nr))) == NULL) {
			log_warn("realloc");
			return (-1);
		}
		a->r = nr;
		a->cap = ncap;
	}
	a->r[a->n].lo = lo;
	a->r[a->n].hi = hi;
	a->n++;
	return (0);
}

static int
add_one(struct acl *a, char *item, char *err, size_t errlen)
{
	char *dash;
	uint32_t lo, hi;

	if ((dash = strchr(item, '-')) != NULL)
		*dash = '\0';
	if (parse_u32(item, &lo) == -1 ||
	    (dash != NULL && parse_u32(dash + 1, &hi) == -1)) {
		if (dash != NULL)
			*dash = '-';
		snprintf(err, errlen, "bad CID '%s' (0-4294967295 or LO-HI)",
		    item);
		return (-1);
	}
	if (dash == NULL)
		hi = lo;
	else if (hi < lo) {
		*dash = '-';
		snprintf(err, errlen, "empty CID range '%s'", item);
		return (-1);
	}
	if (acl_add_range(a, lo, hi) == -1) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}

int
acl_add(struct acl *a, const char *spec, char *err, size_t errlen)
{
	char *copy, *item, *rest;
	int rc = -1;

	if ((copy = strdup(spec)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	rest = copy;
	do {
		item = rest;
		if ((rest = strchr(item, ',')) != NULL)
			*rest++ = '\0';
		if (add_one(a, item, err, errlen) == -1)
			goto out;
	} while (rest != NULL);
	rc = 0;
out:
	free(copy);
	return (rc);
}

int
acl_range(const struct acl *a, size_t i, uint32_t *lo, uint32_t *hi)
{

	if (a == NULL || i >= a->n)
		return (-1);
	*lo = a->r[i].lo;
	*hi = a->r[i].hi;
	return (0);
}

int
acl_is_any(const struct acl *a)
{

	return (a == NULL || a->n == 0);
}

int
acl_allows(const struct acl *a, uint32_t cid)
{
	size_t i;

	if (acl_is_any(a))
		return (1);
	for (i = 0; i < a->n; i++)
		if (cid >= a->r[i].lo && cid <= a->r[i].hi)
			return (1);
	return (0);
}

int
acl_allows_unless(const struct acl *allow, const struct acl *deny,
    uint32_t cid)
{

	/* acl_allows() treats an empty or NULL list as "everyone". */
	if (!acl_allows(allow, cid))
		return (0);
	if (!acl_is_any(deny) && acl_allows(deny, cid))
		return (0);
	return (1);
}

/* Address prefixes. */

static int
is_v4mapped(const unsigned char *a)
{
	static const unsigned char pfx[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return (memcmp(a, pfx, sizeof(pfx)) == 0);
}

int
acl_prefix_parse(const char *s, struct acl_prefix *pf, char *why,
    size_t whylen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned int max, i, bit;
	uint64_t len;

	memset(pf, 0, sizeof(*pf));
	if (n == 0 || n >= sizeof(buf))
		goto badaddr;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, pf->addr) == 1) {
		pf->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, pf->addr) == 1) {
		pf->family = AF_INET6;
		max = 128;
	} else
		goto badaddr;
	len = max;
	if (slash != NULL && parse_uint(slash + 1, 0, max, &len) == -1) {
		snprintf(why, whylen, "bad prefix length in '%s' (0-%u)", s,
		    max);
		return (-1);
	}
	pf->len = (unsigned int)len;
	/* Peers arrive v4-mapped on a [::] listener: compare as IPv4. */
	if (pf->family == AF_INET6 && is_v4mapped(pf->addr) &&
	    pf->len >= 96) {
		pf->family = AF_INET;
		memmove(pf->addr, pf->addr + 12, 4);
		memset(pf->addr + 4, 0, 12);
		pf->len -= 96;
		max = 32;
	}
	/* Bits past the prefix are almost always a typo for another net. */
	for (i = pf->len; i < max; i++) {
		bit = 0x80U >> (i % 8);
		if (pf->addr[i / 8] & bit) {
			snprintf(why, whylen, "'%s' has address bits set "
			    "past /%u", s, pf->len);
			return (-1);
		}
	}
	return (0);
badaddr:
	snprintf(why, whylen, "bad address '%s' (IPv4 or IPv6, optionally "
	    "/LENGTH)", s);
	return (-1);
}

static int
prefix_match(const struct acl_prefix *pf, int family,
    const unsigned char *a)
{
	unsigned int full = pf->len / 8, rest = pf->len % 8;
	unsigned int mask;

	if (family != pf->family || memcmp(pf->addr, a, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (0xffU << (8 - rest)) & 0xffU;
	return ((pf->addr[full] & mask) == (a[full] & mask));
}

int
acl_addr_allows(const struct acl_prefix *pfx, size_t n,
    const struct sockaddr *sa, socklen_t salen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const unsigned char *a;
	int family;
	size_t i;

	if (n == 0)
		return (1);
	/* Copies: a struct sockaddr may be less aligned than these. */
	if (sa->sa_family == AF_INET && salen >= sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		family = AF_INET;
		a = (const unsigned char *)&sin.sin_addr;
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(sin6)) {
		memcpy(&sin6, sa, sizeof(sin6));
		a = (const unsigned char *)&sin6.sin6_addr;
		family = AF_INET6;
		if (is_v4mapped(a)) {
			family = AF_INET;
			a += 12;
		}
	} else
		return (0);
	for (i = 0; i < n; i++)
		if (prefix_match(&pfx[i], family, a))
			return (1);
	return (0);
}

/* UNIX peers. */

int
acl_uid_allows(const uid_t *uids, size_t n, uid_t uid)
{
	size_t i;

	if (n == 0)
		return (1);
	for (i = 0; i < n; i++)
		if (uids[i] == uid)
			return (1);
	return (0);
}

const char *
acl_prefix_format(const struct acl_prefix *pf, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(pf->family, pf->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, pf->len);
	return (buf);
}
