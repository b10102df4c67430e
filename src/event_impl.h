/*
 * event_impl: what event.c shares with its backends.  Not for callers.
 */
#ifndef VSOCKPROXY_EVENT_IMPL_H
#define VSOCKPROXY_EVENT_IMPL_H

#include "event.h"

struct event_watch {
	int fd;
	int events;		/* what the backend is asked for */
	int dead;		/* deleted: skip, free after the batch */
	size_t slot;		/* backend's index (poll), unused by epoll */
	event_cb *cb;
	void *cookie;
	struct event_watch *next_dead;
};

struct event_ops {
	const char *name;
	void *(*init)(void);
	void (*fini)(void *);
	int (*add)(void *, struct event_watch *);
	int (*mod)(void *, struct event_watch *, int events);
	void (*del)(void *, struct event_watch *);
	/*
	 * Wait up to ms, call event_woke() as soon as the wait is over,
	 * then event_dispatch() for each ready watch.
	 */
	int (*wait)(void *, int ms, struct event_loop *);
};

extern const struct event_ops event_epoll_ops;
extern const struct event_ops event_poll_ops;

/* The wait is over: read the clock that callbacks will see. */
void event_woke(struct event_loop *);
void event_dispatch(struct event_watch *, int revents);

#endif
