/*
 * event: the backend-independent half of the loop: watches' lifetime,
 * timers (a binary heap on deadline) and deferred frees.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "event.h"
#include "event_impl.h"
#include "log.h"

struct deferred {
	void (*fn)(void *);
	void *ptr;
	struct deferred *next;
};

struct event_loop {
	const struct event_ops *ops;
	void *be;
	uint64_t now;
	struct event_timer **heap;
	size_t nheap, heapcap;
	struct event_watch *dead;	/* freed after the batch */
	struct deferred *defer;		/* run after the batch, in order */
	struct deferred **defer_tail;
};

uint64_t
event_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

struct event_loop *
event_loop_new(enum event_backend b)
{
	struct event_loop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("calloc");
		return (NULL);
	}
#ifdef HAVE_EPOLL_CREATE1
	l->ops = (b == EVENT_EPOLL) ? &event_epoll_ops : &event_poll_ops;
#else
	l->ops = &event_poll_ops;
#endif
	if ((l->be = l->ops->init()) == NULL) {
		free(l);
		return (NULL);
	}
	l->defer_tail = &l->defer;
	l->now = event_clock_ms();
	return (l);
}

static void
reap(struct event_loop *l)
{
	struct event_watch *w;
	struct deferred *d;

	/* Deferred work may delete more watches or defer more work. */
	while (l->defer != NULL || l->dead != NULL) {
		while ((w = l->dead) != NULL) {
			l->dead = w->next_dead;
			free(w);
		}
		while ((d = l->defer) != NULL) {
			l->defer = d->next;
			if (l->defer == NULL)
				l->defer_tail = &l->defer;
			d->fn(d->ptr);
			free(d);
		}
	}
}

void
event_loop_free(struct event_loop *l)
{

	if (l == NULL)
		return;
	reap(l);
	l->ops->fini(l->be);
	free(l->heap);
	free(l);
}

struct event_watch *
event_watch_add(struct event_loop *l, int fd, int events, event_cb *cb,
    void *cookie)
{
	struct event_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("calloc");
		return (NULL);
	}
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->cookie = cookie;
	if (l->ops->add(l->be, w) == -1) {
		free(w);
		return (NULL);
	}
	return (w);
}

int
event_watch_set(struct event_loop *l, struct event_watch *w, int events)
{

	if (w->events == events)
		return (0);
	if (l->ops->mod(l->be, w, events) == -1)
		return (-1);
	w->events = events;
	return (0);
}

void
event_watch_del(struct event_loop *l, struct event_watch *w)
{

	if (w == NULL || w->dead)
		return;
	l->ops->del(l->be, w);
	w->dead = 1;
	w->next_dead = l->dead;
	l->dead = w;
}

void
event_woke(struct event_loop *l)
{

	l->now = event_clock_ms();
}

void
event_dispatch(struct event_watch *w, int revents)
{

	if (!w->dead)
		w->cb(w->cookie, revents);
}

int
event_defer(struct event_loop *l, void (*fn)(void *), void *ptr)
{
	struct deferred *d;

	if ((d = malloc(sizeof(*d))) == NULL) {
		log_warn("malloc");
		return (-1);
	}
	d->fn = fn;
	d->ptr = ptr;
	d->next = NULL;
	*l->defer_tail = d;
	l->defer_tail = &d->next;
	return (0);
}

/* Timers: a min-heap on deadline; each timer knows its slot. */

void
event_timer_init(struct event_timer *t, void (*cb)(void *), void *cookie)
{

	t->deadline = 0;
	t->slot = SIZE_MAX;
	t->cb = cb;
	t->cookie = cookie;
}

static void
heap_set(struct event_loop *l, size_t i, struct event_timer *t)
{

	l->heap[i] = t;
	t->slot = i;
}

static void
heap_up(struct event_loop *l, size_t i)
{
	struct event_timer *t = l->heap[i];

	while (i > 0 && l->heap[(i - 1) / 2]->deadline > t->deadline) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct event_loop *l, size_t i)
{
	struct event_timer *t = l->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < l->nheap) {
		if (c + 1 < l->nheap &&
		    l->heap[c + 1]->deadline < l->heap[c]->deadline)
			c++;
		if (l->heap[c]->deadline >= t->deadline)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void
event_timer_stop(struct event_loop *l, struct event_timer *t)
{
	struct event_timer *m;
	size_t i = t->slot;

	if (i == SIZE_MAX)
		return;
	t->slot = SIZE_MAX;
	if (i == --l->nheap)
		return;
	m = l->heap[l->nheap];
	heap_set(l, i, m);
	heap_up(l, i);
	heap_down(l, m->slot);
}

int
event_timer_start(struct event_loop *l, struct event_timer *t, uint64_t ms)
{
	struct event_timer **nh;
	size_t ncap;

	event_timer_stop(l, t);
	if (l->nheap == l->heapcap) {
		ncap = l->heapcap ? l->heapcap * 2 : 64;
		if ((nh = realloc(l->heap, ncap * sizeof(*nh))) == NULL) {
			log_warn("realloc");
			return (-1);
		}
		l->heap = nh;
		l->heapcap = ncap;
	}
	t->deadline = event_clock_ms() + ms;
	heap_set(l, l->nheap++, t);
	heap_up(l, t->slot);
	return (0);
}

uint64_t
event_now(struct event_loop *l)
{

	return (l->now);
}

int
event_loop_run_once(struct event_loop *l, int max_ms)
{
	struct event_timer *t;
	uint64_t wait;
	int ms = max_ms;

	if (l->nheap > 0) {
		l->now = event_clock_ms();
		wait = l->heap[0]->deadline > l->now ?
		    l->heap[0]->deadline - l->now : 0;
		if (ms < 0 || wait < (uint64_t)ms)
			ms = wait > INT32_MAX ? INT32_MAX : (int)wait;
	}
	/* The backend reads the clock between its wait and the first
	 * callback: an activity stamp from before the wait would make a
	 * busy connection look idle. */
	if (l->ops->wait(l->be, ms, l) == -1)
		return (-1);
	reap(l);
	while (l->nheap > 0 && l->heap[0]->deadline <= l->now) {
		t = l->heap[0];
		event_timer_stop(l, t);
		t->cb(t->cookie);
		reap(l);
	}
	return (0);
}
