/*
 * listener: accept connections for one rule.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "conn.h"
#include "event.h"
#include "listener.h"
#include "log.h"
#include "opts.h"
#include "proxy.h"
#include "sock.h"
#include "vsock.h"

/* How long to stop accepting after running out of descriptors. */
#define BACKOFF_MS 250

struct listener {
	struct proxy *px;
	const struct rule *rule;
	int fd;
	struct event_watch *w;
	struct event_timer backoff;
	int paused;		/* by pause(): limit or shutdown */
	int resting;		/* by the back-off timer */
	int warned;		/* the back-off was logged */
	unsigned int nconns;
	char name[ADDR_STRLEN];
	struct listener *next;
};

static void accept_cb(void *, int);

struct listener *
listener_next(struct listener *l)
{

	return (l->next);
}

static void
update(struct listener *l)
{
	int want = !l->paused && !l->resting;

	if (l->fd == -1)
		return;
	if (want && l->w == NULL)
		l->w = event_watch_add(l->px->loop, l->fd, EV_READ, accept_cb,
		    l);
	else if (!want && l->w != NULL) {
		event_watch_del(l->px->loop, l->w);
		l->w = NULL;
	}
}

static void
backoff_cb(void *cookie)
{
	struct listener *l = cookie;

	l->resting = 0;
	update(l);
}

static int
full(const struct listener *l)
{

	return (l->rule->max_conns != 0 && l->nconns >= l->rule->max_conns);
}

/* The vsock CID of an accepted peer is checked before anything else. */
static int
denied(struct listener *l, const struct sockaddr_storage *ss)
{
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)ss;

	if (ss->ss_family != AF_VSOCK || acl_allows(l->rule->allow,
	    svm->svm_cid))
		return (0);
	l->px->stats.denied++;
	log_info("%s: denied peer vsock:%u:%u (CID %u not allowed)",
	    l->name, svm->svm_cid, svm->svm_port, svm->svm_cid);
	return (1);
}

static void
accept_cb(void *cookie, int revents)
{
	struct listener *l = cookie;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	while (!l->paused && !l->resting) {
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				if (!l->warned)
					log_warn("%s: accept (pausing %d ms "
					    "until resources free up)",
					    l->name, BACKOFF_MS);
				l->warned = 1;
				l->resting = 1;
				if (event_timer_start(l->px->loop,
				    &l->backoff, BACKOFF_MS) == -1)
					l->resting = 0;
				update(l);
				return;
			default:
				log_warn("%s: accept", l->name);
				return;
			}
		}
		l->warned = 0;
		if (denied(l, &ss)) {
			close(fd);
			continue;
		}
		l->nconns++;
		(void)conn_start(l->px, l, l->rule, fd,
		    (struct sockaddr *)&ss, len);
		if (full(l)) {
			log_debug("%s: at --max-conns %u: not accepting",
			    l->name, l->rule->max_conns);
			l->paused = 1;
			update(l);
		}
	}
}

struct listener *
listener_new(struct proxy *px, const struct rule *rule)
{
	struct listener *l;
	char target[ADDR_STRLEN];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("calloc");
		return (NULL);
	}
	l->px = px;
	l->rule = rule;
	addr_format(&rule->listen, l->name, sizeof(l->name));
	event_timer_init(&l->backoff, backoff_cb, l);
	if ((l->fd = sock_listen(&rule->listen, SOMAXCONN)) == -1) {
		free(l);
		return (NULL);
	}
	update(l);
	if (l->w == NULL) {
		close(l->fd);
		free(l);
		return (NULL);
	}
	log_info("listening on %s, forwarding to %s", l->name,
	    addr_format(&rule->connect, target, sizeof(target)));
	return (l);
}

void
listener_close(struct listener *l)
{
	const struct sockaddr_un *sun;

	event_timer_stop(l->px->loop, &l->backoff);
	event_watch_del(l->px->loop, l->w);
	l->w = NULL;
	if (l->fd == -1)
		return;
	close(l->fd);
	l->fd = -1;
	/* The socket file is ours: a later start must not find it stale. */
	if (l->rule->listen.kind == ADDR_UNIX) {
		sun = (const struct sockaddr_un *)&l->rule->listen.sa;
		(void)unlink(sun->sun_path);
	}
}

void
listener_free(struct listener *l)
{

	if (l == NULL)
		return;
	listener_close(l);
	free(l);
}

void
listener_pause(struct listener *l)
{

	l->paused = 1;
	update(l);
}

void
listener_resume(struct listener *l)
{

	l->paused = full(l);
	update(l);
}

void
listener_conn_gone(struct listener *l)
{

	l->nconns--;
	if (l->paused && !l->px->stopping && !full(l))
		listener_resume(l);
}
