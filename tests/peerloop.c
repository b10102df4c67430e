/*
 * peerloop: vsp-peer's poll() loop; see peerloop.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, pipe2 */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peeraddr.h"
#include "peerconn.h"
#include "peerloop.h"
#include "peermsg.h"
#include "peeropts.h"
#include "peerresult.h"
#include "peervmm.h"
#include "tool.h"

struct loop {
	struct peer *p;
	const struct peer_opts *o;
	struct peerconn **conns;
	size_t nconns;
	size_t cap;
	int lfd;			/* listening socket or -1 */
	unsigned long accepted;
	struct pollfd *pfds;
	struct peerconn **pconn;	/* conn behind each pollfd */
	char bound_unix[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/*
 * The signal handler's state: the only file-scope variables of vsp-peer,
 * because a handler can reach nothing else.  It records the signal and
 * writes to the pipe, whose reading end the loop polls, so that a signal
 * between the check of sig_caught and poll() still wakes the loop.
 */
static volatile sig_atomic_t sig_caught;
static int sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	sig_caught = sig;
	(void)write(sig_pipe[1], &c, 1);
	errno = saved;
}

int
peerloop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		warnx("pipe2: %s", strerror(errno));
		return (-1);
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return (0);
}

void
peerloop_signals_close(void)
{
	close(sig_pipe[0]);
	close(sig_pipe[1]);
}

static struct peerconn *
loop_add(struct loop *l, unsigned long idx, int64_t now)
{
	struct peerconn *c;

	if (l->nconns == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		void *p;

		if ((p = realloc(l->conns, ncap * sizeof(*l->conns))) == NULL)
			return (NULL);
		l->conns = p;
		if ((p = realloc(l->pfds, (ncap + 2) * sizeof(*l->pfds))) ==
		    NULL)
			return (NULL);
		l->pfds = p;
		if ((p = realloc(l->pconn, (ncap + 2) *
		    sizeof(*l->pconn))) == NULL)
			return (NULL);
		l->pconn = p;
		l->cap = ncap;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return (NULL);
	peerconn_init(c, l->p, idx, now);
	l->conns[l->nconns++] = c;
	return (c);
}

/* Forget finished connections (their result line is printed). */
static void
loop_reap(struct loop *l)
{
	size_t i, j;

	for (i = j = 0; i < l->nconns; i++) {
		if (l->conns[i]->done)
			free(l->conns[i]);
		else
			l->conns[j++] = l->conns[i];
	}
	l->nconns = j;
}

static void
loop_accept(struct loop *l, int64_t now)
{
	const struct peer_opts *o = l->o;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct peerconn *c;
	char buf[128];
	int fd;

	while (l->lfd != -1 && (o->conns == 0 || l->accepted < o->conns)) {
		sslen = sizeof(ss);
		fd = accept4(l->lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				warnx("accept: %s", strerror(errno));
			break;
		}
		if ((c = loop_add(l, l->accepted, now)) == NULL) {
			warnx("out of memory");
			close(fd);
			break;
		}
		c->fd = fd;
		/* An accepted UNIX socket has its own buffers; a message
		 * must fit the sender's. */
		if (o->msg)
			peerconn_sockbuf(o, fd);
		if (o->vmm != VMM_NONE)
			c->vmm = VP_REQUEST;
		if (sslen > 0 && ss.ss_family != AF_UNIX)
			PEER_DEBUG(l->p, "conn=%lu accepted from %s", c->idx,
			    peeraddr_format((struct sockaddr *)&ss, buf,
			    sizeof(buf)));
		else
			PEER_DEBUG(l->p, "conn=%lu accepted", c->idx);
		l->accepted++;
		peerconn_ready(c, now);
	}
	if (o->conns != 0 && l->accepted == o->conns && l->lfd != -1) {
		/* Served enough: further connections are refused. */
		close(l->lfd);
		l->lfd = -1;
	}
}

/* Nothing left to do: every connection done, none more to accept. */
static int
loop_over(const struct loop *l)
{
	return (l->nconns == 0 && (l->lfd == -1 ||
	    (l->o->conns != 0 && l->accepted == l->o->conns)));
}

/* End every connection with WHY as its failure. */
static void
loop_abort(struct loop *l, const char *why)
{
	size_t i;

	for (i = 0; i < l->nconns; i++) {
		peerresult_fail(l->conns[i], 0, why);
		peerresult_finish(l->conns[i]);
	}
}

static void
loop_timed_out(struct loop *l)
{
	loop_abort(l, "timeout");
	if (l->o->no_accept)
		warnx("timeout (--no-accept)");
	else if (l->lfd != -1 && l->o->conns != 0)
		warnx("timeout: accepted %lu of %lu connections",
		    l->accepted, l->o->conns);
	else
		warnx("timeout");
}

/*
 * The poll set: the signal pipe, the listener, and every connection that
 * waits for something (running their timers on the way).  Returns its
 * size and lowers *WAKE (0: none) to the earliest timer.
 */
static size_t
loop_pollset(struct loop *l, int64_t now, int64_t *wake)
{
	size_t i, n = 0;
	short ev;

	l->pfds[n].fd = sig_pipe[0];
	l->pfds[n].events = POLLIN;
	l->pconn[n++] = NULL;
	if (l->lfd != -1 && !l->o->no_accept) {
		l->pfds[n].fd = l->lfd;
		l->pfds[n].events = POLLIN;
		l->pconn[n++] = NULL;
	}
	for (i = 0; i < l->nconns; i++) {
		struct peerconn *c = l->conns[i];

		if ((ev = peerconn_events(c, now, wake)) == 0)
			continue;
		l->pfds[n].fd = c->fd;
		l->pfds[n].events = ev;
		l->pconn[n++] = c;
	}
	return (n);
}

/* What poll() found in the first N entries of the set. */
static void
loop_dispatch(struct loop *l, size_t n, int64_t now)
{
	struct peerconn *c;
	int acceptable = 0;
	char drain[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (l->pfds[i].revents == 0)
			continue;
		c = l->pconn[i];
		if (l->pfds[i].fd == sig_pipe[0])
			(void)read(sig_pipe[0], drain, sizeof(drain));
		else if (c == NULL)
			acceptable = 1;
		else if (c->done)
			continue;
		else if (peerconn_handshaking(c))
			peervmm_io(c, l->pfds[i].revents, now);
		else
			peerconn_io(c, l->pfds[i].revents, now);
	}
	/* After the loop: accepting grows the arrays. */
	if (acceptable)
		loop_accept(l, now);
}

/* Returns the exit status. */
static int
loop_run(struct loop *l)
{
	int64_t deadline = 0, now, wake;
	int timeout;
	size_t n;

	if (l->o->timeout_ms > 0)
		deadline = tool_now_ms() + l->o->timeout_ms;
	for (;;) {
		now = tool_now_ms();
		loop_reap(l);
		if (loop_over(l))
			break;
		if (sig_caught) {
			PEER_DEBUG(l->p, "signal %d: stopping",
			    (int)sig_caught);
			loop_abort(l, "signal");
			break;
		}
		if (deadline != 0 && now >= deadline) {
			loop_timed_out(l);
			return (EX_TIMEOUT);
		}
		wake = deadline;
		n = loop_pollset(l, now, &wake);
		loop_reap(l);
		if (loop_over(l))
			break;
		if (wake == 0)
			timeout = -1;
		else if (wake <= now)
			timeout = 0;
		else
			timeout = wake - now > INT_MAX ? INT_MAX :
			    (int)(wake - now);
		if (poll(l->pfds, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			warnx("poll: %s", strerror(errno));
			return (EX_OSERR);
		}
		loop_dispatch(l, n, tool_now_ms());
	}
	return (l->p->n_failed > 0 ? EX_FAIL : EX_OK);
}

/* Bind and listen, and tell the test where by the --ready-file. */
static int
loop_listen(struct loop *l)
{
	const struct peer_opts *o = l->o;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char text[160];
	int one = 1, fd;

	fd = socket(o->addr.family, o->addr.type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		warnx("socket: %s", strerror(errno));
		return (-1);
	}
	/* Accepted sockets inherit it. */
	if (o->msg)
		peermsg_socket(o, fd);
	if (o->addr.family == AF_INET || o->addr.family == AF_INET6)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	peerconn_sockbuf(o, fd);
	if (bind(fd, (const struct sockaddr *)&o->addr.ss,
	    o->addr.len) == -1) {
		warnx("bind %s: %s", o->addrstr, strerror(errno));
		goto fail;
	}
	if (o->addr.family == AF_UNIX)
		strcpy(l->bound_unix,
		    ((const struct sockaddr_un *)&o->addr.ss)->sun_path);
	if (listen(fd, o->backlog) == -1) {
		warnx("listen %s: %s", o->addrstr, strerror(errno));
		goto fail;
	}
	/* With port 0 the ready file says which port was chosen. */
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    o->addr.family == AF_UNIX)
		memcpy(&ss, &o->addr.ss, sizeof(ss));
	peeraddr_format_type((struct sockaddr *)&ss, o->addr.type, text,
	    sizeof(text) - 1);
	PEER_DEBUG(l->p, "listening on %s", text);
	strcat(text, "\n");
	if (o->ready_file != NULL && tool_publish(o->ready_file, text) == -1)
		goto fail;
	l->lfd = fd;
	return (0);

fail:
	close(fd);
	return (-1);
}

/* Open --conns connections at once. */
static int
loop_connect(struct loop *l)
{
	int64_t now = tool_now_ms();
	unsigned long i;
	struct peerconn *c;

	for (i = 0; i < l->o->conns; i++) {
		if ((c = loop_add(l, i, now)) == NULL) {
			warnx("out of memory");
			return (-1);
		}
		peerconn_connect(c, now);
	}
	return (0);
}

int
peerloop_run(struct peer *p)
{
	struct loop l;
	int rc = EX_OSERR;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.o = p->o;
	l.lfd = -1;
	if ((l.pfds = malloc(2 * sizeof(*l.pfds))) == NULL ||
	    (l.pconn = malloc(2 * sizeof(*l.pconn))) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if ((p->o->listen ? loop_listen(&l) : loop_connect(&l)) == 0)
		rc = loop_run(&l);
out:
	if (l.lfd != -1)
		close(l.lfd);
	if (l.bound_unix[0] != '\0')
		(void)unlink(l.bound_unix);
	loop_reap(&l);
	free(l.conns);
	free(l.pfds);
	free(l.pconn);
	return (rc);
}
