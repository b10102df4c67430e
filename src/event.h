/*
 * event: a small readiness loop with two interchangeable backends, epoll
 * and poll, chosen at run time.
 *
 * A watch ties a file descriptor to a callback and a cookie.  Watches are
 * owned by the loop: event_watch_del() unhooks one at once but frees it only
 * after the current batch of events has been dispatched, so a callback may
 * delete any watch (its own included) and later events of the same batch
 * for that watch are dropped, never delivered to freed memory.  Objects
 * that callbacks can reach are freed the same way, with event_defer().
 *
 * Timers are embedded in their owner and cost no allocation.
 */
#ifndef VSOCKPROXY_EVENT_H
#define VSOCKPROXY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "event_backend.h"

#define EV_READ		0x1	/* readable, or EOF */
#define EV_WRITE	0x2	/* writable */
#define EV_ERROR	0x4	/* error or hangup: reported even if not asked */

struct event_loop;
struct event_watch;

typedef void event_cb(void *cookie, int revents);

struct event_timer {
	uint64_t deadline;	/* ms, monotonic */
	size_t slot;		/* place in the heap, or SIZE_MAX */
	void (*cb)(void *);
	void *cookie;
};

struct event_loop *event_loop_new(enum event_backend);
void event_loop_free(struct event_loop *);

struct event_watch *event_watch_add(struct event_loop *, int fd, int events,
    event_cb *cb, void *cookie);
/* Change the events a watch waits for; cheap when nothing changes. */
int event_watch_set(struct event_loop *, struct event_watch *, int events);
void event_watch_del(struct event_loop *, struct event_watch *);

void event_timer_init(struct event_timer *, void (*cb)(void *), void *);
int event_timer_start(struct event_loop *, struct event_timer *,
    uint64_t ms);
void event_timer_stop(struct event_loop *, struct event_timer *);

/* Call fn(ptr) once the current batch has been dispatched. */
int event_defer(struct event_loop *, void (*fn)(void *), void *ptr);

/* Wait for events (at most max_ms, -1 = until the next timer) and dispatch
 * them, then expired timers, then deferred frees.  -1 on a loop error. */
int event_loop_run_once(struct event_loop *, int max_ms);

/* Monotonic milliseconds, read when the current batch's wait ended. */
uint64_t event_now(struct event_loop *);
uint64_t event_clock_ms(void);

#endif
