/*
 * htab: a set of pointers found by a hash and an equality test, so that
 * work over every rule of a configuration (duplicate names, listen
 * addresses that clash, the running listener a reloaded rule keeps)
 * costs constant time per rule instead of a walk over all the others:
 * 20,000 rules took seconds with the walks.
 *
 * The caller hashes its key (htab_hash() is FNV-1a) and says when a key
 * and an item are equal; items are never removed.  To keep the first of
 * equal items, as the checks do, add one only if htab_find() finds none.
 * The keys are the operator's (a configuration file), not a peer's, so
 * no defence against chosen collisions is needed.
 */
#ifndef VSOCKPROXY_HTAB_H
#define VSOCKPROXY_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab;

/* Nonzero if key (the caller's) and item (one that was added) match. */
typedef int htab_eq_fn(const void *key, const void *item);

#define HTAB_HASH_INIT	UINT64_C(0xcbf29ce484222325)

/* Hash len more bytes at p into h (start with HTAB_HASH_INIT). */
uint64_t htab_hash(uint64_t h, const void *p, size_t len);

struct htab *htab_new(void);
void htab_free(struct htab *);

/* An item added under hash that eq says matches key, or NULL. */
void *htab_find(const struct htab *, uint64_t hash, htab_eq_fn *eq,
    const void *key);

/* Add item under hash; 0, or -1 with errno ENOMEM. */
int htab_add(struct htab *, uint64_t hash, void *item);

#endif
