/*
 * ratelim: log lines about other people's mistakes (a peer that is
 * denied, or at its limit) without letting them write the log.  At most
 * RATELIM_BURST lines per interval are let through; the rest are counted,
 * and the owner says how many in one summary line when the interval
 * ends (it arms a timer for ratelim_due() when ratelim_allow() first
 * holds a line back).  Counters in the statistics are not affected.
 */
#ifndef VSOCKPROXY_RATELIM_H
#define VSOCKPROXY_RATELIM_H

#include <stdint.h>

#define RATELIM_BURST		5
#define RATELIM_INTERVAL_MS	5000

struct ratelim {
	uint64_t start;		/* ms: the current interval began */
	unsigned int logged;	/* lines let through in it */
	uint64_t held;		/* lines held back in it */
	int several;		/* ... about more than one peer */
	char from[160];		/* the peer of the first one held back */
};

void ratelim_init(struct ratelim *);

/*
 * A line about peer is due at now (ms): 1 to log it, 0 if it is held
 * back and counted.
 */
int ratelim_allow(struct ratelim *, uint64_t now, const char *peer);

/* When the summary of the held-back lines is due (ms). */
uint64_t ratelim_due(const struct ratelim *);

/*
 * Start a new interval at now.  Returns how many lines were held back
 * (0: nothing to say) and, in *from, who they were about: one peer's
 * name, or the first one's and "+others" (one word: a log value).
 */
uint64_t ratelim_flush(struct ratelim *, uint64_t now, char *from,
    size_t len);

#endif
