/*
 * reload: switch the running listeners to a new configuration, as a
 * whole or not at all.  Every new listen address is bound before
 * anything changes; rules are matched to the running listeners by listen
 * address (a socket passed by the service manager by rule name: its
 * address was never bound, and it cannot be bound again); a kept
 * listener switches to its new rule, a dropped one is retired and lives
 * on until its last connection ends.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "htab.h"
#include "listener.h"
#include "log.h"
#include "reload.h"

/*
 * The running listeners, indexed for a reload, so that matching the new
 * rules costs constant time per rule: a walk over every listener for
 * every rule held the loop 9 s for 15,000 rules.  Passed sockets by rule
 * name (their address is the service manager's), others by listen
 * address; the first in list order of each.
 */
struct running {
	struct htab *byname, *byaddr;
};

static uint64_t
name_hash(const char *name)
{

	return (htab_hash(HTAB_HASH_INIT, name, strlen(name)));
}

static int
name_eq(const void *rule, const void *l)
{

	return (strcmp(((const struct conf_rule *)rule)->name,
	    listener_rule(l)->name) == 0);
}

static int
listen_eq(const void *rule, const void *l)
{

	return (conf_rule_same_listen(listener_rule(l), rule));
}

/* Listeners by address in memory, to look the kept ones up. */
static int
by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct listener *const *)a;
	uintptr_t y = (uintptr_t)*(struct listener *const *)b;

	return (x < y ? -1 : x > y);
}

static void
running_free(struct running *ix)
{

	htab_free(ix->byname);
	htab_free(ix->byaddr);
}

static int
running_index(struct listener *list, struct running *ix)
{
	const struct conf_rule *r;
	struct listener *l;
	struct htab *t;
	uint64_t h;
	htab_eq_fn *eq;

	ix->byname = htab_new();
	ix->byaddr = htab_new();
	if (ix->byname == NULL || ix->byaddr == NULL)
		return (-1);
	for (l = list; l != NULL; l = listener_next(l)) {
		if (listener_retired(l))
			continue;
		r = listener_rule(l);
		if (listener_activated(l)) {
			t = ix->byname;
			h = name_hash(r->name);
			eq = name_eq;
		} else {
			t = ix->byaddr;
			h = addr_hash(&r->listen);
			eq = listen_eq;
		}
		if (htab_find(t, h, eq, r) == NULL && htab_add(t, h, l) == -1)
			return (-1);
	}
	return (0);
}

/* The running listener a new rule takes over, or NULL. */
static struct listener *
find_listener(const struct running *ix, const struct conf_rule *r)
{
	struct listener *l;

	if ((l = htab_find(ix->byname, name_hash(r->name), name_eq, r)) !=
	    NULL)
		return (l);
	return (htab_find(ix->byaddr, addr_hash(&r->listen), listen_eq, r));
}

/* What a reload is about: every listener made goes the same way. */
struct reload {
	struct listener **list;
	struct conf *conf;
	const struct conn_env *env;
	listener_gone_fn *gone;
	void *cookie;
	char *note;
	size_t notelen;
};

/*
 * For each rule of conf, in order, the running listener it keeps
 * (kept[i]) or, if none, a new one bound now, put on *fresh.  -1 (logged,
 * said in the note) if one cannot be had: the new ones are freed, and
 * nothing has changed.
 */
static int
bind_new(const struct reload *rl, const struct running *ix,
    struct listener **kept, struct listener **fresh, unsigned int *nnew)
{
	struct conf_rule *r;
	struct listener *l;
	size_t n;

	for (r = rl->conf->rules, n = 0; r != NULL; r = r->next, n++) {
		if ((kept[n] = find_listener(ix, r)) != NULL) {
			if (listener_family(kept[n]) ==
			    addr_family(&r->listen))
				continue;
			/* Only a passed socket, kept by name, can differ. */
			log_warnx("reload: rule %s: its socket-activated "
			    "listener is of another address family: the "
			    "running configuration stays in force", r->name);
			goto undo;
		}
		if ((l = listener_new(rl->env, rl->conf, r, -1, rl->gone,
		    rl->cookie)) == NULL) {
			log_warnx("reload: rule %s: cannot listen: the "
			    "running configuration stays in force", r->name);
			goto undo;
		}
		*listener_next_ptr(l) = *fresh;
		*fresh = l;
		(*nnew)++;
	}
	return (0);
undo:
	snprintf(rl->note, rl->notelen,
	    "reload failed: rule %s cannot listen", r->name);
	while ((l = *fresh) != NULL) {
		*fresh = listener_next(l);
		listener_free(l);
	}
	return (-1);
}

/*
 * Retire the running listeners that conf dropped (those not in kept[],
 * looked up in sorted[], room for as many), switch the kept ones to their
 * new rules, add the fresh ones.  Nothing here can fail.
 */
static void
switch_over(const struct reload *rl, struct listener **kept,
    struct listener **sorted, struct listener *fresh,
    struct reload_counts *n)
{
	struct conf *conf = rl->conf;
	struct conf_rule *r;
	struct listener *l, **tail;
	size_t i, nsorted = 0;

	for (i = 0; i < conf->nrules; i++)
		if (kept[i] != NULL)
			sorted[nsorted++] = kept[i];
	qsort(sorted, nsorted, sizeof(*sorted), by_ptr);
	for (l = *rl->list; l != NULL; l = listener_next(l))
		if (!listener_retired(l) && bsearch(&l, sorted, nsorted,
		    sizeof(*sorted), by_ptr) == NULL) {
			listener_retire(l);
			n->removed++;
		}
	for (r = conf->rules, i = 0; r != NULL; r = r->next, i++)
		if (kept[i] != NULL) {
			listener_retarget(kept[i], conf, r);
			n->kept++;
		}
	tail = rl->list;
	while (*tail != NULL)
		tail = listener_next_ptr(*tail);
	*tail = fresh;
}

int
reload_listeners(struct listener **list, struct conf *conf,
    const struct conn_env *env, listener_gone_fn *gone, void *cookie,
    struct reload_counts *n, char *note, size_t notelen)
{
	struct reload rl = { list, conf, env, gone, cookie, note, notelen };
	struct running ix = { NULL, NULL };
	struct listener **kept, **sorted, *fresh = NULL;
	int rc = -1;

	memset(n, 0, sizeof(*n));
	/* All before anything is bound: nothing can fail after that. */
	kept = calloc(conf->nrules + 1, sizeof(*kept));
	sorted = calloc(conf->nrules + 1, sizeof(*sorted));
	if (kept == NULL || sorted == NULL ||
	    running_index(*list, &ix) == -1) {
		log_warnx("reload: out of memory");
		snprintf(note, notelen, "reload failed: out of memory");
	} else if (bind_new(&rl, &ix, kept, &fresh, &n->added) == 0) {
		switch_over(&rl, kept, sorted, fresh, n);
		rc = 0;
	}
	running_free(&ix);
	free(kept);
	free(sorted);
	return (rc);
}
