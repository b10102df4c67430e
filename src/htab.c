/*
 * htab: open addressing with linear probing, at most half full, so a
 * probe ends soon at an empty slot (see htab.h).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "htab.h"

struct slot {
	uint64_t hash;
	void *item;			/* NULL: empty */
};

struct htab {
	struct slot *slots;
	size_t cap;			/* a power of two, or 0 */
	size_t n;
};

uint64_t
htab_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return (h);
}

struct htab *
htab_new(void)
{

	return (calloc(1, sizeof(struct htab)));
}

void
htab_free(struct htab *t)
{

	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

void *
htab_find(const struct htab *t, uint64_t hash, htab_eq_fn *eq,
    const void *key)
{
	size_t i;

	if (t == NULL || t->cap == 0)
		return (NULL);
	for (i = hash & (t->cap - 1); t->slots[i].item != NULL;
	    i = (i + 1) & (t->cap - 1))
		if (t->slots[i].hash == hash && eq(key, t->slots[i].item))
			return (t->slots[i].item);
	return (NULL);
}

static void
put(struct slot *slots, size_t cap, uint64_t hash, void *item)
{
	size_t i;

	for (i = hash & (cap - 1); slots[i].item != NULL;
	    i = (i + 1) & (cap - 1))
		;
	slots[i].hash = hash;
	slots[i].item = item;
}

int
htab_add(struct htab *t, uint64_t hash, void *item)
{
	struct slot *ns;
	size_t ncap, i;

	if ((t->n + 1) * 2 > t->cap) {
		ncap = t->cap == 0 ? 64 : t->cap * 2;
		if (ncap < t->cap ||
		    (ns = calloc(ncap, sizeof(*ns))) == NULL) {
			errno = ENOMEM;
			return (-1);
		}
		for (i = 0; i < t->cap; i++)
			if (t->slots[i].item != NULL)
				put(ns, ncap, t->slots[i].hash,
				    t->slots[i].item);
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	put(t->slots, t->cap, hash, item);
	t->n++;
	return (0);
}
