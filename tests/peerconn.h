/*
 * peerconn: the exchange of one connection of vsp-peer, from connect()
 * or accept() to its end.
 *
 * Connection i sends stream i of --seed (stream.h) and checks what
 * arrives against a stream of --expect-seed, in the order --order says;
 * it ends its sending side as --end says, once --wait-file exists, and
 * after an optional probe of whether sending still works; --reset-after
 * aborts it with an RST instead.  It ends (peerresult.h) when both
 * directions are done or it failed.
 */
#ifndef PEERCONN_H
#define PEERCONN_H

#include <stdint.h>

#include "peer.h"

/* Connection IDX of the run P, begun at NOW, with no socket yet. */
void peerconn_init(struct peerconn *c, struct peer *p, unsigned long idx,
    int64_t now);

/* Open the socket and start connecting (or retrying, or failing). */
void peerconn_connect(struct peerconn *c, int64_t now);

/* The socket is connected or accepted: the exchange begins. */
void peerconn_ready(struct peerconn *c, int64_t now);

/*
 * Before each poll(): run the connection's timers, and return the poll
 * events it waits for (0: none), lowering *WAKE (0: none) to its next
 * timer.
 */
short peerconn_events(struct peerconn *c, int64_t now, int64_t *wake);

/* After poll(): REVENTS on the connection's socket. */
void peerconn_io(struct peerconn *c, short revents, int64_t now);

/*
 * Move the connection along after progress: end the sending side once
 * everything is sent, finish once both directions are done.
 */
void peerconn_step(struct peerconn *c, int64_t now);

/*
 * --sockbuf: small socket buffers keep the kernel from hiding how much a
 * relay buffers.  Set before connect() or listen(), so that TCP's window
 * and accepted sockets follow.
 */
void peerconn_sockbuf(const struct peer_opts *o, int fd);

/* The handshake of the stand-in still owns the connection. */
int peerconn_handshaking(const struct peerconn *c);

#endif /* PEERCONN_H */
