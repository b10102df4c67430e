/*
 * conn: one proxied connection, from accept to the last byte: the
 * non-blocking connect to the target with its timeout, then two relays,
 * one per direction, until both are done or one fails.  Every close
 * carries a reason, logged with the connection's totals.
 *
 * A conn knows nothing of who accepted it: its owner hands it what it
 * shares with every other connection (struct conn_env), a list to live
 * in, and a callback for its end.
 */
#ifndef VSOCKPROXY_CONN_H
#define VSOCKPROXY_CONN_H

#include <sys/socket.h>
#include <stdint.h>

#include "stats.h"

struct conf;
struct conf_rule;
struct conn;
struct event_loop;
struct relay_pool;

/* What every connection of the daemon shares; the daemon owns it. */
struct conn_env {
	struct event_loop *loop;
	struct stats *stats;		/* counted into as things happen */
	struct relay_pool *buffers;	/* every relay's buffer */
};

/* Who a peer is for max-conns-per-peer: a CID, an address or a uid. */
struct conn_peer {
	unsigned char id[20];
};

/*
 * A connection ended (closed, or failed to start): called once, after it
 * left its list, from inside whatever callback closed it.  The conn is
 * gone by then.
 */
typedef void conn_gone_fn(void *cookie);

/*
 * Who a connection belongs to (a listener): the list it lives in, the
 * counters it counts into (and so into their parent, the total), and
 * the callback for its end.
 */
struct conn_owner {
	struct conn *conns;		/* open ones, newest first */
	struct stats stats;
	conn_gone_fn *gone;
	void *cookie;
};

/*
 * Take over the accepted socket fd from peer and start connecting to
 * rule's target.  The conn links itself into own's list (its close
 * unlinks it) and holds a reference to conf, the rule's owner, until it
 * is freed.  On failure fd is closed and own's gone called, as for any
 * other end.
 */
void conn_start(const struct conn_env *, struct conn_owner *own,
    struct conf *conf, const struct conf_rule *rule, int fd,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_peer *id);

/*
 * What a connection is doing, derived from its relays (the control
 * socket's "show connections"): connecting (to the target, or its
 * hybrid vsock handshake); relaying both ways; half-closed, one
 * direction finished (EOF delivered, destination shut down for
 * writing) while the other still flows; draining, a side at EOF still
 * delivering what it buffered, or a side gone and the other delivering
 * its last bytes before the close.
 */
enum conn_state {
	CONN_CONNECTING,
	CONN_RELAYING,
	CONN_HALF_CLOSED,
	CONN_DRAINING
};

/* A read-only view of a connection; the strings are the conn's. */
struct conn_info {
	uint64_t id;			/* unique for the daemon's life */
	const char *rule;		/* its rule's name */
	const char *peer;		/* escaped for a log line */
	const char *target;
	uint64_t start_ms;		/* event_clock_ms() at accept */
	uint64_t bytes_up, bytes_down;	/* delivered so far */
	enum conn_state state;
};

void conn_info(const struct conn *, struct conn_info *);
const char *conn_state_name(enum conn_state);

/* Close a connection at once (shutdown, drain deadline, admin). */
void conn_close(struct conn *, const char *reason);

/* The next connection in its list, or NULL. */
struct conn *conn_next(const struct conn *);

/* Nonzero if c came from the peer id. */
int conn_same_peer(const struct conn *c, const struct conn_peer *id);

#endif
