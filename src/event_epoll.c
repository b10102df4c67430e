/*
 * event_epoll: the epoll backend, level-triggered.  Each watch's pointer
 * rides in epoll_event.data; event.c keeps deleted watches alive until the
 * batch is over, so a stale pointer later in the batch is harmless.
 */
#include "config.h"

#ifdef HAVE_EPOLL_CREATE1

#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "event_impl.h"
#include "log.h"

#define MAXEVENTS 256

struct epoll_be {
	int fd;
	struct epoll_event ev[MAXEVENTS];
};

static uint32_t
to_epoll(int events)
{

	return ((events & EV_READ ? EPOLLIN : 0) |
	    (events & EV_WRITE ? EPOLLOUT : 0));
}

static void *
ep_init(void)
{
	struct epoll_be *b;

	if ((b = malloc(sizeof(*b))) == NULL) {
		log_warn("malloc");
		return (NULL);
	}
	if ((b->fd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("epoll_create1");
		free(b);
		return (NULL);
	}
	return (b);
}

static void
ep_fini(void *p)
{
	struct epoll_be *b = p;

	close(b->fd);
	free(b);
}

static int
ep_ctl(struct epoll_be *b, int op, struct event_watch *w, int events)
{
	struct epoll_event ev;

	ev.events = to_epoll(events);
	ev.data.ptr = w;
	if (epoll_ctl(b->fd, op, w->fd, &ev) == -1) {
		log_warn("epoll_ctl(%d)", w->fd);
		return (-1);
	}
	return (0);
}

static int
ep_add(void *p, struct event_watch *w)
{

	return (ep_ctl(p, EPOLL_CTL_ADD, w, w->events));
}

static int
ep_mod(void *p, struct event_watch *w, int events)
{

	return (ep_ctl(p, EPOLL_CTL_MOD, w, events));
}

static void
ep_del(void *p, struct event_watch *w)
{
	struct epoll_be *b = p;

	/* The fd may already be closed by its owner: that removed it. */
	(void)epoll_ctl(b->fd, EPOLL_CTL_DEL, w->fd, NULL);
}

static int
ep_wait(void *p, int ms, struct event_loop *l)
{
	struct epoll_be *b = p;
	uint32_t e;
	int i, n, rev;

	n = epoll_wait(b->fd, b->ev, MAXEVENTS, ms);
	event_woke(l);
	if (n == -1) {
		if (errno == EINTR)
			return (0);
		log_warn("epoll_wait");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		e = b->ev[i].events;
		rev = ((e & EPOLLIN) ? EV_READ : 0) |
		    ((e & EPOLLOUT) ? EV_WRITE : 0) |
		    ((e & (EPOLLERR | EPOLLHUP)) ? EV_ERROR : 0);
		event_dispatch(b->ev[i].data.ptr, rev);
	}
	return (0);
}

const struct event_ops event_epoll_ops = {
	"epoll", ep_init, ep_fini, ep_add, ep_mod, ep_del, ep_wait
};

#endif /* HAVE_EPOLL_CREATE1 */
