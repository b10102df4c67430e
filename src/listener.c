/*
 * listener: accept connections for one rule.
 *
 * A listener owns its connections: a list that conn_start() links each
 * one into, and their count, which max-conns and max-conns-per-peer are
 * checked against.  When one ends, the listener hears it first (to
 * resume accepting below max-conns), then tells its owner.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "conf.h"
#include "conn.h"
#include "connrate.h"
#include "event.h"
#include "listener.h"
#include "log.h"
#include "ratelim.h"
#include "sock.h"
#include "stats.h"
#include "vsock.h"

/* How long to stop accepting after running out of descriptors. */
#define BACKOFF_MS 250

_Static_assert(sizeof(((struct conn_peer *)0)->id) == CONNRATE_IDLEN,
    "connrate keys are conn_peer ids");

/* Connections accepted per wake-up (haproxy's tune.maxaccept). */
#define ACCEPT_BATCH 64

struct listener {
	const struct conn_env *env;
	struct event_loop *loop;	/* env->loop */
	listener_gone_fn *gone;		/* tells the owner of a conn's end */
	void *cookie;
	struct conf *conf;		/* owner of rule */
	const struct conf_rule *rule;
	int fd;
	int activated;			/* fd came from the service manager */
	int family;
	int retired;			/* its rule was reloaded away */
	struct event_watch *w;
	struct event_timer backoff;
	int paused;		/* at max-conns */
	int resting;		/* by the back-off timer */
	int warned;		/* the back-off was logged */
	struct ratelim denials;	/* "denied peer" lines */
	struct connrate *rate;	/* max-conn-rate, once needed */
	struct event_timer quiet;	/* ... their summary is due */
	struct conn_owner own;		/* its connections and counters */
	unsigned int nconns;
	char name[ADDR_STRLEN];
	struct listener *next;
};

static void accept_cb(void *, int);

/* Say how many denial lines were held back, and start a new interval. */
static void
summary(struct listener *l)
{
	char from[sizeof(l->denials.from) + 16];
	uint64_t n;

	event_timer_stop(l->loop, &l->quiet);
	n = ratelim_flush(&l->denials, event_now(l->loop), from,
	    sizeof(from));
	if (n > 0)
		log_info("event=denied-suppressed rule=%s listen=%s peer=%s "
		    "count=%llu", l->rule->name, l->name, from,
		    (unsigned long long)n);
}

static void
quiet_cb(void *cookie)
{

	summary(cookie);
}

/*
 * A refusal is logged at most RATELIM_BURST times per interval: a peer
 * that is turned away in a loop must not fill the disk.
 */
static void
log_denial(struct listener *l, const char *peer, const char *host,
    const char *why)
{
	uint64_t now = event_now(l->loop);

	if (ratelim_allow(&l->denials, now, host)) {
		log_info("event=denied rule=%s listen=%s peer=%s %s",
		    l->rule->name, l->name, peer, why);
		return;
	}
	if (l->denials.held == 1 && event_timer_start(l->loop,
	    &l->quiet, ratelim_due(&l->denials) - now) == -1)
		summary(l);
}

struct listener *
listener_next(struct listener *l)
{

	return (l->next);
}

struct listener **
listener_next_ptr(struct listener *l)
{

	return (&l->next);
}

const struct conf_rule *
listener_rule(const struct listener *l)
{

	return (l->rule);
}

struct conn *
listener_conns(const struct listener *l)
{

	return (l->own.conns);
}

unsigned int
listener_nconns(const struct listener *l)
{

	return (l->nconns);
}

const char *
listener_name(const struct listener *l)
{

	return (l->name);
}

static void
update(struct listener *l)
{
	int want = !l->paused && !l->resting;

	if (l->fd == -1)
		return;
	if (want && l->w == NULL) {
		l->w = event_watch_add(l->loop, l->fd, EV_READ, accept_cb,
		    l);
		/* Out of memory: try again after a rest, or the listener
		 * would stay deaf for good. */
		if (l->w == NULL && event_timer_start(l->loop,
		    &l->backoff, BACKOFF_MS) == 0)
			l->resting = 1;
	} else if (!want && l->w != NULL) {
		event_watch_del(l->loop, l->w);
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

/*
 * Who the peer is, and whether the rule lets it in: by CID for vsock, by
 * address for TCP, by uid (SO_PEERCRED) for UNIX.  A refusal is logged
 * and counted here.
 */
static int
admit(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t len, struct conn_peer *id)
{
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int have_cred = 0;
	char peer[ADDR_STRLEN], host[ADDR_STRLEN], why[96], uid[32];
	struct conn *c;
	unsigned int n;

	memset(id, 0, sizeof(*id));
	why[0] = uid[0] = '\0';
	switch (ss->ss_family) {
	case AF_VSOCK:
		id->id[0] = AF_VSOCK;
		memcpy(id->id + 4, &svm->svm_cid, sizeof(svm->svm_cid));
		if (!conf_rule_allows_cid(l->rule, svm->svm_cid))
			snprintf(why, sizeof(why), "reason=cid-not-allowed");
		break;
	case AF_INET:
		id->id[0] = AF_INET;
		memcpy(id->id + 4, &sin->sin_addr, sizeof(sin->sin_addr));
		if (!conf_rule_allows_addr(l->rule,
		    (const struct sockaddr *)ss, len))
			snprintf(why, sizeof(why), "reason=address-not-allowed");
		break;
	case AF_INET6:
		id->id[0] = AF_INET6;
		memcpy(id->id + 4, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
		if (!conf_rule_allows_addr(l->rule,
		    (const struct sockaddr *)ss, len))
			snprintf(why, sizeof(why), "reason=address-not-allowed");
		break;
	case AF_UNIX:
		id->id[0] = AF_UNIX;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &clen) == -1) {
			if (l->rule->nuids == 0 && l->rule->max_per_peer == 0 &&
			    l->rule->max_conn_rate == 0)
				break;
			log_warn("%s: SO_PEERCRED", l->name);
			snprintf(why, sizeof(why), "reason=peer-unknown");
			break;
		}
		have_cred = 1;
		snprintf(uid, sizeof(uid), "uid=%u ", (unsigned int)cred.uid);
		memcpy(id->id + 4, &cred.uid, sizeof(cred.uid));
		if (!conf_rule_allows_uid(l->rule, cred.uid))
			snprintf(why, sizeof(why), "uid=%u reason=uid-not-allowed",
			    (unsigned int)cred.uid);
		break;
	default:
		break;
	}
	if (why[0] == '\0' && l->rule->max_per_peer > 0) {
		n = 0;
		for (c = l->own.conns; c != NULL; c = conn_next(c))
			if (conn_same_peer(c, id))
				n++;
		if (n >= l->rule->max_per_peer)
			snprintf(why, sizeof(why), "%slimit=%u "
			    "reason=max-conns-per-peer", uid,
			    l->rule->max_per_peer);
	}
	if (why[0] == '\0' && l->rule->max_conn_rate > 0) {
		if (l->rate == NULL)
			l->rate = connrate_new();
		/* Out of memory: the limit waits for a later connection. */
		if (l->rate != NULL && !connrate_allow(l->rate, id->id,
		    l->rule->max_conn_rate, event_now(l->loop)))
			snprintf(why, sizeof(why), "%slimit=%u "
			    "reason=max-conn-rate", uid, l->rule->max_conn_rate);
	}
	if (why[0] == '\0')
		return (1);
	STATS_ADD(&l->own.stats, denied, 1);
	addr_format_sa((const struct sockaddr *)ss, len, peer, sizeof(peer));
	/* A UNIX client is told from others by its credentials. */
	if (have_cred)
		snprintf(host, sizeof(host), "unix:uid=%u",
		    (unsigned int)cred.uid);
	else
		addr_host_sa(ss, peer, host, sizeof(host));
	log_denial(l, peer, host, why);
	return (0);
}

/*
 * Out of descriptors (or memory): stop polling the socket for a while
 * instead of spinning on a readable listener.  Logged once per episode.
 */
static void
rest(struct listener *l)
{

	if (!l->warned)
		log_warn("%s: accept (pausing %d ms until resources free up)",
		    l->name, BACKOFF_MS);
	l->warned = 1;
	l->resting = 1;
	if (event_timer_start(l->loop, &l->backoff, BACKOFF_MS) == -1)
		l->resting = 0;
	update(l);
}

static int
out_of_resources(int err)
{

	return (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM);
}

/*
 * One of our connections ended: below max-conns again, accept again.
 * (A closed or retired listener has no socket to watch: update() does
 * nothing then.)
 */
static void
conn_gone(void *cookie)
{
	struct listener *l = cookie;

	l->nconns--;
	if (l->paused && !full(l)) {
		l->paused = 0;
		update(l);
	}
	l->gone(l->cookie, l);
}

/*
 * Accept at most ACCEPT_BATCH connections per wake-up: a peer that
 * connects in a tight loop must not keep the loop from everyone else's
 * events (level-triggered: what is left is reported again at once).
 *
 * A connection takes two descriptors, and the second one is only asked
 * for after the accept: a spare is held across accept(2) and given back
 * just before the target's socket is made, so that a client is accepted
 * only when its connection can be completed.  Otherwise it waits in the
 * backlog.
 */
static void
accept_cb(void *cookie, int revents)
{
	struct listener *l = cookie;
	struct sockaddr_storage ss;
	struct conn_peer id;
	socklen_t len;
	int fd, n, spare;

	(void)revents;
	for (n = 0; n < ACCEPT_BATCH && !l->paused && !l->resting; n++) {
		if ((spare = fcntl(l->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			if (out_of_resources(errno))
				rest(l);
			else
				log_warn("%s: dup", l->name);
			return;
		}
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		close(spare);
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
			default:
				if (out_of_resources(errno))
					rest(l);
				else
					log_warn("%s: accept", l->name);
				return;
			}
		}
		l->warned = 0;
		if (!admit(l, fd, &ss, len, &id)) {
			close(fd);
			continue;
		}
		l->nconns++;
		conn_start(l->env, &l->own, l->conf, l->rule, fd,
		    (struct sockaddr *)&ss, len, &id);
		if (full(l)) {
			log_verbose("event=limit rule=%s listen=%s limit=%u "
			    "reason=max-conns", l->rule->name, l->name,
			    l->rule->max_conns);
			l->paused = 1;
			update(l);
		}
	}
}

/* A passed socket is named by its real address, not the rule's. */
static void
name_socket(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format_sa((struct sockaddr *)&ss, len, l->name,
		    sizeof(l->name));
}

/*
 * The listening line says who may connect.  A vsock rule open to every
 * CID is most likely a mistake (Ghaf's ALLOWED_CID 0, or a forgotten
 * "allow"): warned about.
 */
static void
log_listening(const struct listener *l)
{
	const struct conf_rule *r = l->rule;
	char target[ADDR_STRLEN], fd[48], who[600];

	addr_format(&r->connect, target, sizeof(target));
	conf_rule_access(r, who, sizeof(who));
	fd[0] = '\0';
	if (l->activated)
		snprintf(fd, sizeof(fd), " (socket-activated fd %d)", l->fd);
	log_info("listening on %s%s, forwarding to %s (rule %s; %s)",
	    l->name, fd, target, r->name, who);
	if (r->listen.kind == ADDR_VSOCK && acl_is_any(r->allow))
		log_warnx("rule %s: any CID may connect to %s: give an "
		    "allow list", r->name, l->name);
}

struct listener *
listener_new(const struct conn_env *env, struct conf *conf,
    const struct conf_rule *rule, int fd, listener_gone_fn *gone,
    void *cookie)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("calloc");
		if (fd != -1)
			close(fd);
		return (NULL);
	}
	l->env = env;
	l->loop = env->loop;
	l->gone = gone;
	l->cookie = cookie;
	l->own.stats.parent = env->stats;
	l->own.gone = conn_gone;
	l->own.cookie = l;
	l->rule = rule;
	l->fd = fd;
	l->activated = fd != -1;
	l->family = addr_family(&rule->listen);
	addr_format(&rule->listen, l->name, sizeof(l->name));
	event_timer_init(&l->backoff, backoff_cb, l);
	event_timer_init(&l->quiet, quiet_cb, l);
	ratelim_init(&l->denials);
	if (l->activated)
		name_socket(l);
	else if ((l->fd = sock_listen(&rule->listen, SOMAXCONN)) == -1)
		goto fail;
	/* Accepted sockets inherit it: big messages from the first one. */
	if (l->family == AF_VSOCK && rule->listen.type == SOCK_SEQPACKET &&
	    sock_vsock_buffer(l->fd, rule->bufsize) == -1)
		log_warn("%s: vsock buffer size", l->name);
	update(l);
	if (l->w == NULL)
		goto fail;
	l->conf = conf_ref(conf);
	log_listening(l);
	return (l);
fail:
	event_timer_stop(l->loop, &l->backoff);
	if (l->fd != -1)
		close(l->fd);
	free(l);
	return (NULL);
}

void
listener_close(struct listener *l)
{

	event_timer_stop(l->loop, &l->backoff);
	event_watch_del(l->loop, l->w);
	l->w = NULL;
	if (l->fd == -1)
		return;
	summary(l);
	close(l->fd);
	l->fd = -1;
	/*
	 * The socket file is ours: a later start must not find it stale.
	 * Whatever replaced it meanwhile is not (sock_unlink_stale()).
	 * A passed socket's file is the service manager's, and so is the
	 * address in the rule, which was never bound.
	 */
	if (l->rule->listen.kind == ADDR_UNIX && !l->activated)
		(void)sock_unlink_stale(&l->rule->listen);
}

void
listener_close_conns(struct listener *l, const char *reason)
{

	while (l->own.conns != NULL)
		conn_close(l->own.conns, reason);
}

void
listener_free(struct listener *l)
{

	if (l == NULL)
		return;
	listener_close(l);
	listener_close_conns(l, "shutdown");
	conf_unref(l->conf);
	connrate_free(l->rate);
	free(l);
}

void
listener_retarget(struct listener *l, struct conf *conf,
    const struct conf_rule *rule)
{
	struct conf *old = l->conf;

	l->conf = conf_ref(conf);
	l->rule = rule;
	conf_unref(old);
	/* A new max-conns may pause or free the listener. */
	l->paused = full(l);
	update(l);
}

void
listener_retire(struct listener *l)
{

	l->retired = 1;
	log_info("%s: rule %s removed: not accepting; %u connection(s) "
	    "finish on their own", l->name, l->rule->name, l->nconns);
	if (l->activated)
		log_info("%s: the socket was passed by the service manager, "
		    "which still holds it: connections to it wait unanswered "
		    "until a restart", l->name);
	listener_close(l);
}

const struct stats *
listener_stats(const struct listener *l)
{

	return (&l->own.stats);
}

int
listener_activated(const struct listener *l)
{

	return (l->activated);
}

int
listener_family(const struct listener *l)
{

	return (l->family);
}

int
listener_retired(const struct listener *l)
{

	return (l->retired);
}

int
listener_finished(const struct listener *l)
{

	return (l->retired && l->nconns == 0);
}
