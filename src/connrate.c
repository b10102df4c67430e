/*
 * connrate: GCRA in microseconds.  A peer's tat is when its bucket will
 * be full again; a connection is allowed when tat is at most a second
 * minus one interval ahead, and moves tat one interval on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connrate.h"
#include "log.h"

/* Slots looked at per peer, from its hash on. */
#define PROBES 8

struct slot {
	unsigned char id[CONNRATE_IDLEN];
	uint64_t tat;			/* us; 0 = free */
};

struct connrate {
	struct slot slot[CONNRATE_SLOTS];
};

struct connrate *
connrate_new(void)
{
	struct connrate *cr;

	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		log_warn("calloc");
	return (cr);
}

void
connrate_free(struct connrate *cr)
{

	free(cr);
}

/* FNV-1a: the ids are not chosen by the peer beyond its own address. */
static size_t
hash(const unsigned char *id)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < CONNRATE_IDLEN; i++)
		h = (h ^ id[i]) * 16777619u;
	return (h % CONNRATE_SLOTS);
}

/* The peer's slot, or a free one, or the one idle longest. */
static struct slot *
find(struct connrate *cr, const unsigned char *id, uint64_t now)
{
	struct slot *s, *spare = NULL;
	size_t i, h = hash(id);

	for (i = 0; i < PROBES; i++) {
		s = &cr->slot[(h + i) % CONNRATE_SLOTS];
		if (s->tat != 0 && memcmp(s->id, id, CONNRATE_IDLEN) == 0)
			return (s);
		/* A full bucket is as good as no bucket. */
		if (s->tat <= now)
			s->tat = 0;
		if (spare == NULL || s->tat < spare->tat)
			spare = s;
	}
	memcpy(spare->id, id, CONNRATE_IDLEN);
	spare->tat = 0;
	return (spare);
}

int
connrate_allow(struct connrate *cr, const unsigned char *id,
    unsigned int rate, uint64_t now_ms)
{
	uint64_t now = now_ms * 1000, step, tat;
	struct slot *s;

	if (rate == 0)
		return (1);
	step = 1000000 / rate;
	s = find(cr, id, now);
	tat = s->tat > now ? s->tat : now;
	/* A second's worth of connections may come at once. */
	if (tat + step > now + 1000000)
		return (0);
	s->tat = tat + step;
	return (1);
}
