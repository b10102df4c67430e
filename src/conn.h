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
struct proxy;
struct rule;
struct listener;

/*
 * Take over the accepted socket fd from peer and start connecting to the
 * rule's target.  On failure fd is closed and the failure counted.
 */
int conn_start(struct proxy *, struct listener *, const struct rule *,
    int fd, const struct sockaddr *peer, socklen_t peerlen);

/* Close a connection at once (shutdown deadline). */
void conn_abort(struct conn *, const char *reason);

struct conn *conn_next(struct conn *);

/* Bytes delivered so far: client to target, target to client. */
void conn_bytes(const struct conn *, uint64_t *up, uint64_t *down);

#endif
