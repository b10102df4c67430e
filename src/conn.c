/*
 * conn: one proxied connection's life.
 *
 * Sides and relays: "up" carries client to target, "down" target to
 * client.  A side is "gone" when writing to it failed or it hung up: the
 * relay toward it is abandoned (its bytes have nowhere to go), while the
 * relay from it still delivers what the peer sent before it left; then
 * the whole connection is closed.  A read error closes everything at once.
 *
 * A hybrid-vsock target is "connecting" until its VMM has answered the
 * handshake (hvsock.c): the connect timeout covers both.
 *
 * The conn is freed through event_defer(), never while a later event of
 * the same batch can still reach it.
 *
 * Bytes are counted into the daemon's statistics as they are delivered
 * (after each pump), so that the statistics line needs no walk over the
 * open connections.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "conn.h"
#include "event.h"
#include "hvsock.h"
#include "log.h"
#include "relay.h"
#include "sender.h"
#include "sock.h"
#include "stats.h"
#include "vsock.h"

struct side {
	int fd;
	int family;
	int gone;
	struct event_watch *w;
};

struct conn {
	const struct conn_env *env;
	struct event_loop *loop;	/* env->loop */
	struct conn_owner *own;		/* its list, counters, callback */
	struct conf *conf;		/* keeps rule alive on reloads */
	const struct conf_rule *rule;
	struct conn_peer id;
	uint64_t serial;		/* conn_info()'s id */
	uint64_t last_active;		/* ms: for the idle timeout */
	uint64_t last_total;		/* bytes moved at last_active */
	struct stats *stats;		/* &own->stats */
	uint64_t counted_up;		/* bytes in stats so far */
	uint64_t counted_down;
	struct side cl, sv;
	struct relay up, down;
	struct event_timer timer;
	int connecting;			/* not relaying yet */
	int handshake;			/* connected, hvsock under way */
	struct hvsock hv;
	int closed;
	int reset;			/* a side reset: log it so */
	uint64_t start;
	char peer[ADDR_STRLEN];
	char target[ADDR_STRLEN];
	struct conn *next, **prevp;
};

static void client_cb(void *, int);
static void server_cb(void *, int);
static void conn_wake(void *);
static void conn_sent(void *);

struct conn *
conn_next(const struct conn *c)
{

	return (c->next);
}

/* Add what the relays delivered since the last time to the counters. */
static void
count_bytes(struct conn *c)
{
	STATS_ADD(c->stats, bytes_up, c->up.bytes - c->counted_up);
	STATS_ADD(c->stats, bytes_down, c->down.bytes - c->counted_down);
	c->counted_up = c->up.bytes;
	c->counted_down = c->down.bytes;
}

static void
conn_free(void *p)
{
	struct conn *c = p;

	relay_fini(&c->up);
	relay_fini(&c->down);
	sender_free(c->up.snd);
	sender_free(c->down.snd);
	conf_unref(c->conf);
	free(c);
}

void
conn_info(const struct conn *c, struct conn_info *ci)
{

	ci->id = c->serial;
	ci->rule = c->rule->name;
	ci->peer = c->peer;
	ci->target = c->target;
	ci->start_ms = c->start;
	ci->bytes_up = c->up.bytes;
	ci->bytes_down = c->down.bytes;
	if (c->connecting)
		ci->state = CONN_CONNECTING;
	else if (c->cl.gone || c->sv.gone || c->up.state == RELAY_EOF ||
	    c->down.state == RELAY_EOF)
		ci->state = CONN_DRAINING;
	else if (c->up.state == RELAY_DONE || c->down.state == RELAY_DONE)
		ci->state = CONN_HALF_CLOSED;
	else
		ci->state = CONN_RELAYING;
}

const char *
conn_state_name(enum conn_state s)
{

	switch (s) {
	case CONN_CONNECTING:
		return ("connecting");
	case CONN_RELAYING:
		return ("relaying");
	case CONN_HALF_CLOSED:
		return ("half-closed");
	case CONN_DRAINING:
	default:
		return ("draining");
	}
}

int
conn_same_peer(const struct conn *c, const struct conn_peer *id)
{

	return (!c->closed && memcmp(&c->id, id, sizeof(*id)) == 0);
}

void
conn_close(struct conn *c, const char *reason)
{
	char msgs[64];
	uint64_t ms;

	if (c->closed)
		return;
	c->closed = 1;
	/* A sender thread may be in a send on a socket about to close. */
	relay_fini(&c->up);
	relay_fini(&c->down);
	event_timer_stop(c->loop, &c->timer);
	event_watch_del(c->loop, c->cl.w);
	event_watch_del(c->loop, c->sv.w);
	close(c->cl.fd);
	if (c->sv.fd != -1)
		close(c->sv.fd);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	count_bytes(c);
	STATS_GONE(c->stats);
	STATS_ADD(c->stats, closed, 1);
	ms = event_clock_ms() - c->start;
	msgs[0] = '\0';
	if (c->up.msg)
		snprintf(msgs, sizeof(msgs), " msgs_up=%llu msgs_down=%llu",
		    (unsigned long long)c->up.msgs,
		    (unsigned long long)c->down.msgs);
	log_verbose("event=close rule=%s peer=%s target=%s "
	    "duration=%llu.%03llu bytes_up=%llu bytes_down=%llu%s reason=%s",
	    c->rule->name, c->peer, c->target,
	    (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
	    (unsigned long long)c->up.bytes,
	    (unsigned long long)c->down.bytes, msgs, reason);
	c->own->gone(c->own->cookie);
	if (event_defer(c->loop, conn_free, c) == -1)
		conn_free(c);	/* only its own callbacks could still see it */
}

/* Watch a side for what its relays need; a gone side only for reading. */
static int
side_watch(struct conn *c, struct side *s, const struct relay *from,
    const struct relay *to, event_cb *cb)
{
	int ev;

	ev = (relay_wants_read(from) ? EV_READ : 0) |
	    (!s->gone && relay_wants_write(to) ? EV_WRITE : 0);
	if (s->gone && !(ev & EV_READ)) {
		/* A hung-up socket reports HUP forever: stop watching it. */
		event_watch_del(c->loop, s->w);
		s->w = NULL;
		return (0);
	}
	if (s->w == NULL) {
		s->w = event_watch_add(c->loop, s->fd, ev, cb, c);
		return (s->w == NULL ? -1 : 0);
	}
	return (event_watch_set(c->loop, s->w, ev));
}

static void
side_gone(struct side *s, struct relay *to)
{

	s->gone = 1;
	relay_fini(to);
	to->state = RELAY_DONE;
}

/*
 * An error or hangup on a side.  The pending error is taken here (a later
 * read then sees the EOF) so that a reset is logged as one, whichever
 * relay would have met it first.
 */
static void
side_error(struct conn *c, struct side *s, struct relay *to)
{

	if (sock_error(s->fd) == ECONNRESET)
		c->reset = 1;
	side_gone(s, to);
}

/* Pump one relay; returns 0 to go on, -1 if the conn was closed. */
static int
pump(struct conn *c, struct relay *r, struct side *dst)
{

	switch (relay_pump(r)) {
	case RELAY_OK:
		return (0);
	case RELAY_CLOSE:
		conn_close(c, "eof");
		return (-1);
	case RELAY_FAIL:
		break;
	}
	if (r->msg && r->err == EMSGSIZE) {
		log_warnx("event=error rule=%s peer=%s target=%s error=\"%s "
		    "message longer than %s\"", c->rule->name, c->peer,
		    c->target, r == &c->up ? "client's" : "target's",
		    r->werr ? "the receiving socket takes" : "buffer-size");
		conn_close(c, "msg-too-big");
		return (-1);
	}
	if (r->err == ECONNRESET)
		c->reset = 1;
	if (r->werr) {
		/* The destination left; what it sent may still be due. */
		side_gone(dst, r);
		return (0);
	}
	if (r->err == ECONNRESET) {
		conn_close(c, "reset");
		return (-1);
	}
	log_warnx("event=error rule=%s peer=%s target=%s error=\"%s\"",
	    c->rule->name, c->peer, c->target, strerror(r->err));
	conn_close(c, "error");
	return (-1);
}

static void
conn_pump(struct conn *c)
{
	uint64_t total;

	if (pump(c, &c->up, &c->sv) == -1 || pump(c, &c->down, &c->cl) == -1)
		return;
	count_bytes(c);
	if ((c->up.state == RELAY_DONE && c->down.state == RELAY_DONE) ||
	    (c->cl.gone && c->up.state == RELAY_DONE) ||
	    (c->sv.gone && c->down.state == RELAY_DONE)) {
		conn_close(c, c->reset ? "reset" : "eof");
		return;
	}
	/* Messages too: a zero-length one is activity. */
	total = c->up.bytes + c->down.bytes + c->up.msgs + c->down.msgs;
	if (total != c->last_total) {
		c->last_total = total;
		c->last_active = event_now(c->loop);
	}
	if (side_watch(c, &c->cl, &c->up, &c->down, client_cb) == -1 ||
	    side_watch(c, &c->sv, &c->down, &c->up, server_cb) == -1)
		conn_close(c, "error");
}

/*
 * The buffer budget has room for a relay that was waiting: watch its
 * source again (it was readable when it had to wait, so the loop calls
 * back at once).  Called from another connection's pump or close.
 */
static void
conn_wake(void *cookie)
{
	struct conn *c = cookie;

	if (c->closed)
		return;
	if (side_watch(c, &c->cl, &c->up, &c->down, client_cb) == -1 ||
	    side_watch(c, &c->sv, &c->down, &c->up, server_cb) == -1)
		conn_close(c, "error");
}

static void
connect_failed(struct conn *c, const char *why, const char *reason)
{

	log_warnx("event=connect-failed rule=%s peer=%s target=%s "
	    "error=\"%s\"", c->rule->name, c->peer, c->target, why);
	STATS_ADD(c->stats, connect_failed, 1);
	conn_close(c, reason);
}

static void
established(struct conn *c)
{

	c->connecting = 0;
	event_timer_stop(c->loop, &c->timer);
	c->last_active = event_now(c->loop);
	if (c->rule->idle_timeout_ms > 0 && event_timer_start(c->loop,
	    &c->timer, c->rule->idle_timeout_ms) == -1) {
		conn_close(c, "error");
		return;
	}
	log_verbose("event=open rule=%s peer=%s target=%s", c->rule->name,
	    c->peer, c->target);
	conn_pump(c);
}

/* Go on with the hybrid vsock handshake, as far as the socket allows. */
static void
handshake(struct conn *c)
{
	const char *why = "";
	int ev;

	switch (hvsock_step(&c->hv, c->sv.fd, &why)) {
	case HVSOCK_MORE:
		ev = hvsock_sending(&c->hv) ? EV_WRITE : EV_READ;
		if (event_watch_set(c->loop, c->sv.w, ev) == -1)
			conn_close(c, "error");
		break;
	case HVSOCK_OK:
		log_debug("%s: %s: VMM assigned host port %u", c->peer,
		    c->target, c->hv.hostport);
		established(c);
		break;
	case HVSOCK_BAD:
		connect_failed(c, why, "connect-failed");
		break;
	}
}

/* The target's socket is connected. */
static void
connected(struct conn *c)
{

	if (c->rule->connect.kind != ADDR_HVSOCK) {
		established(c);
		return;
	}
	c->handshake = 1;
	hvsock_init(&c->hv, c->rule->connect.hvport);
	handshake(c);
}

static void
timeout_cb(void *cookie)
{
	struct conn *c = cookie;
	uint64_t idle;

	if (c->connecting) {
		connect_failed(c, "timed out", "timeout");
		return;
	}
	/* Idle timeout: rearm for the rest unless nothing moved at all. */
	idle = event_now(c->loop) - c->last_active;
	if (idle >= c->rule->idle_timeout_ms) {
		conn_close(c, "idle");
		return;
	}
	if (event_timer_start(c->loop, &c->timer,
	    c->rule->idle_timeout_ms - idle) == -1)
		conn_close(c, "error");
}

static void
client_cb(void *cookie, int revents)
{
	struct conn *c = cookie;

	if (c->connecting) {
		/*
		 * Nothing is read until the target answers.  A client that
		 * leaves meanwhile (a reset, or a UNIX close: a hangup) is
		 * dropped and the connect cancelled at once.  A TCP FIN
		 * cannot be told from a half-close that still wants the
		 * reply, so it waits for the target like any data would.
		 */
		if (revents & EV_ERROR) {
			STATS_ADD(c->stats, abandoned, 1);
			conn_close(c, "client-gone");
		}
		return;
	}
	if (revents & EV_ERROR)
		side_error(c, &c->cl, &c->down);
	conn_pump(c);
}

static void
server_cb(void *cookie, int revents)
{
	struct conn *c = cookie;
	int err;

	if (c->connecting) {
		if (c->handshake)
			handshake(c);
		else if ((err = sock_error(c->sv.fd)) != 0)
			connect_failed(c, strerror(err), "connect-failed");
		else if (revents & (EV_WRITE | EV_ERROR))
			connected(c);
		return;
	}
	if (revents & EV_ERROR)
		side_error(c, &c->sv, &c->up);
	conn_pump(c);
}

/* A message the sender thread took is out (or failed): go on. */
static void
conn_sent(void *cookie)
{
	struct conn *c = cookie;

	if (!c->closed)
		conn_pump(c);
}

/*
 * A message rule's sockets: see sock_message().  Sends toward a vsock
 * socket go through a sender (sender.h): its thread comes with the
 * first message.
 */
static int
message_sockets(struct conn *c)
{

	if (sock_message(c->cl.fd, c->cl.family, c->rule->bufsize) == -1 ||
	    sock_message(c->sv.fd, c->sv.family, c->rule->bufsize) == -1) {
		log_warn("%s: %s: message socket set-up", c->peer, c->target);
		conn_close(c, "error");
		return (-1);
	}
	if ((c->sv.family == AF_VSOCK && (c->up.snd = sender_new(c->loop,
	    c->sv.fd, conn_sent, c)) == NULL) ||
	    (c->cl.family == AF_VSOCK && (c->down.snd = sender_new(c->loop,
	    c->cl.fd, conn_sent, c)) == NULL)) {
		conn_close(c, "error");
		return (-1);
	}
	return (0);
}

void
conn_start(const struct conn_env *env, struct conn_owner *own,
    struct conf *conf, const struct conf_rule *rule, int fd,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_peer *id)
{
	struct conn *c;
	int inprogress;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("accept: calloc");
		close(fd);
		own->gone(own->cookie);
		return;
	}
	c->env = env;
	c->loop = env->loop;
	c->own = own;
	c->stats = &own->stats;
	c->conf = conf_ref(conf);
	c->rule = rule;
	c->id = *id;
	c->serial = ++env->stats->last_conn_id;
	c->start = event_clock_ms();
	c->cl.fd = fd;
	c->cl.family = peer->sa_family;
	c->sv.family = addr_family(&rule->connect);
	addr_format_sa(peer, peerlen, c->peer, sizeof(c->peer));
	addr_format(&rule->connect, c->target, sizeof(c->target));
	sock_nodelay(fd, c->cl.family);
	event_timer_init(&c->timer, timeout_cb, c);
	c->sv.fd = sock_connect(&rule->connect, rule->connect_timeout_ms,
	    rule->bufsize, &inprogress);
	relay_init(&c->up, c->cl.fd, c->cl.family, c->sv.fd, rule->bufsize,
	    env->buffers, conn_wake, c);
	relay_init(&c->down, c->sv.fd, c->sv.family, c->cl.fd,
	    rule->bufsize, env->buffers, conn_wake, c);
	if (addr_is_message(&rule->listen)) {
		relay_set_message(&c->up);
		relay_set_message(&c->down);
	} else if (relay_family_splices(c->cl.family) &&
	    relay_family_splices(c->sv.family)) {
		relay_set_splice(&c->up);
		relay_set_splice(&c->down);
	}
	c->connecting = 1;
	STATS_ADD(c->stats, accepted, 1);
	STATS_ADD(c->stats, active, 1);

	/* Linked in before any failure path: conn_close() unlinks. */
	if ((c->next = own->conns) != NULL)
		c->next->prevp = &c->next;
	own->conns = c;
	c->prevp = &own->conns;

	if (c->sv.fd == -1) {
		connect_failed(c, strerror(errno), "connect-failed");
		return;
	}
	if (c->up.msg && message_sockets(c) == -1)
		return;
	c->cl.w = event_watch_add(c->loop, c->cl.fd, 0, client_cb, c);
	c->sv.w = event_watch_add(c->loop, c->sv.fd,
	    inprogress ? EV_WRITE : 0, server_cb, c);
	if (c->cl.w == NULL || c->sv.w == NULL ||
	    event_timer_start(c->loop, &c->timer,
	    rule->connect_timeout_ms) == -1) {
		conn_close(c, "error");
		return;
	}
	if (!inprogress)
		connected(c);
}
