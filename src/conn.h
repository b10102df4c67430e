/*
 * conn: one proxied connection, from accept to the last byte: the
 * non-blocking connect to the target with its timeout, then two relays,
 * one per direction, until both are done or one fails.  Every close
 * carries a reason, logged with the connection's totals.
 */
#ifndef VSOCKPROXY_CONN_H
#define VSOCKPROXY_CONN_H

#include <sys/socket.h>
#include <stdint.h>

struct conn;
struct conf_rule;
struct proxy;
struct proxy_gen;
struct listener;

/* Who a peer is for max-conns-per-peer: a CID, an address or a uid. */
struct conn_peer {
	unsigned char id[20];
};

/*
 * Take over the accepted socket fd from peer and start connecting to the
 * rule's target; the conn holds a reference to gen, the rule's owner.  On
 * failure fd is closed and the failure counted.
 */
int conn_start(struct proxy *, struct listener *, struct proxy_gen *,
    const struct conf_rule *, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct conn_peer *);

/* Nonzero if c came through l from the peer id. */
int conn_same_peer(const struct conn *c, const struct listener *l,
    const struct conn_peer *id);

/* Close a connection at once (shutdown deadline). */
void conn_abort(struct conn *, const char *reason);

struct conn *conn_next(struct conn *);

/* Bytes delivered so far: client to target, target to client. */
void conn_bytes(const struct conn *, uint64_t *up, uint64_t *down);

#endif
