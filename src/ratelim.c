/*
 * ratelim: a fixed window per owner, which is enough here: the point is
 * a bound on lines per second that an outsider can cause, not a smooth
 * rate.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ratelim.h"

void
ratelim_init(struct ratelim *r)
{

	memset(r, 0, sizeof(*r));
}

int
ratelim_allow(struct ratelim *r, uint64_t now, const char *peer)
{

	/* The first line starts an interval; while lines are held back
	 * the summary ends it. */
	if (r->held == 0 &&
	    (r->logged == 0 || now - r->start >= RATELIM_INTERVAL_MS)) {
		r->start = now;
		r->logged = 0;
	}
	if (r->logged < RATELIM_BURST) {
		r->logged++;
		return (1);
	}
	if (r->held++ == 0)
		snprintf(r->from, sizeof(r->from), "%s", peer);
	else if (!r->several && strcmp(r->from, peer) != 0)
		r->several = 1;
	return (0);
}

uint64_t
ratelim_due(const struct ratelim *r)
{

	return (r->start + RATELIM_INTERVAL_MS);
}

uint64_t
ratelim_flush(struct ratelim *r, uint64_t now, char *from, size_t len)
{
	uint64_t n = r->held;

	if (n > 0)
		snprintf(from, len, "%s%s", r->from,
		    r->several ? "+others" : "");
	r->start = now;
	r->logged = 0;
	r->held = 0;
	r->several = 0;
	return (n);
}
