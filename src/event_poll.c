/*
 * event_poll: the poll(2) backend.  A pollfd array with a parallel array
 * of watches; a deleted watch's slot is blanked at once (fd -1) and the
 * arrays are compacted only between batches, so indices stay valid while
 * events are dispatched.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "event_impl.h"
#include "log.h"

struct poll_be {
	struct pollfd *pfd;
	struct event_watch **w;
	size_t n, cap;
	int holes;
};

static short
to_poll(int events)
{

	return ((events & EV_READ ? POLLIN : 0) |
	    (events & EV_WRITE ? POLLOUT : 0));
}

static void *
pl_init(void)
{
	struct poll_be *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		log_warn("calloc");
	return (b);
}

static void
pl_fini(void *p)
{
	struct poll_be *b = p;

	free(b->pfd);
	free(b->w);
	free(b);
}

static int
pl_add(void *p, struct event_watch *w)
{
	struct poll_be *b = p;
	struct pollfd *npfd;
	struct event_watch **nw;
	size_t ncap;

	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 64;
		if ((npfd = realloc(b->pfd, ncap * sizeof(*npfd))) == NULL) {
			log_warn("realloc");
			return (-1);
		}
		b->pfd = npfd;
		if ((nw = realloc(b->w, ncap * sizeof(*nw))) == NULL) {
			log_warn("realloc");
			return (-1);
		}
		b->w = nw;
		b->cap = ncap;
	}
	b->pfd[b->n].fd = w->fd;
	b->pfd[b->n].events = to_poll(w->events);
	b->pfd[b->n].revents = 0;
	b->w[b->n] = w;
	w->slot = b->n++;
	return (0);
}

static int
pl_mod(void *p, struct event_watch *w, int events)
{
	struct poll_be *b = p;

	b->pfd[w->slot].events = to_poll(events);
	return (0);
}

static void
pl_del(void *p, struct event_watch *w)
{
	struct poll_be *b = p;

	b->pfd[w->slot].fd = -1;
	b->pfd[w->slot].revents = 0;
	b->w[w->slot] = NULL;
	b->holes = 1;
}

static void
compact(struct poll_be *b)
{
	size_t i, j;

	for (i = j = 0; i < b->n; i++) {
		if (b->w[i] == NULL)
			continue;
		b->pfd[j] = b->pfd[i];
		b->w[j] = b->w[i];
		b->w[j]->slot = j;
		j++;
	}
	b->n = j;
	b->holes = 0;
}

static int
pl_wait(void *p, int ms, struct event_loop *l)
{
	struct poll_be *b = p;
	size_t i, n;
	short e;
	int rc, rev;

	if (b->holes)
		compact(b);
	rc = poll(b->pfd, b->n, ms);
	event_woke(l);
	if (rc == -1) {
		if (errno == EINTR)
			return (0);
		log_warn("poll");
		return (-1);
	}
	/* Watches added by callbacks wait for the next round. */
	n = b->n;
	for (i = 0; i < n; i++) {
		if ((e = b->pfd[i].revents) == 0 || b->w[i] == NULL)
			continue;
		b->pfd[i].revents = 0;
		rev = ((e & POLLIN) ? EV_READ : 0) |
		    ((e & POLLOUT) ? EV_WRITE : 0) |
		    ((e & (POLLERR | POLLHUP | POLLNVAL)) ? EV_ERROR : 0);
		event_dispatch(b->w[i], rev);
	}
	return (0);
}

const struct event_ops event_poll_ops = {
	"poll", pl_init, pl_fini, pl_add, pl_mod, pl_del, pl_wait
};
