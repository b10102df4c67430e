/*
 * reload: switch the running listeners to a new configuration, as a
 * whole or not at all (see reload.c).
 */
#ifndef VSOCKPROXY_RELOAD_H
#define VSOCKPROXY_RELOAD_H

#include <stddef.h>

#include "listener.h"

struct conf;
struct conn_env;

struct reload_counts {
	unsigned int kept, added, removed;
};

/*
 * Make the listeners on *list serve conf's rules: keep the ones whose
 * address (or, passed by the service manager, rule name) a rule still
 * has, bind new ones (with env, gone and cookie, as listener_new()
 * takes them) for the others, retire the rest.  0 with the counts in n;
 * -1 (logged, and said in note) if a new address cannot be bound or
 * memory runs out: then nothing has changed.
 */
int reload_listeners(struct listener **list, struct conf *conf,
    const struct conn_env *env, listener_gone_fn *gone, void *cookie,
    struct reload_counts *n, char *note, size_t notelen);

#endif
