/*
 * acl: a list of allowed CID ranges.  Lists are short (a handful of VMs),
 * so a linear scan is the right data structure.
 */
#include "config.h"

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
