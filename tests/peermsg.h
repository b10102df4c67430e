/*
 * peermsg: vsp-peer's message mode, for SOCK_SEQPACKET addresses
 * (vsock-seqpacket:, unix-seqpacket:).
 *
 * A connection sends a plan of whole messages (--msgs with sizes drawn
 * from --msg-size, or the exact --msg-sizes), each filled from its
 * stream (stream.c) at the running byte offset, with one send() each,
 * and receives whole messages.  Both ends hash every message as its
 * length (8 bytes, little-endian) followed by its bytes, so a relay that
 * splits, merges, cuts or reorders messages changes the hash; a test
 * compares the sender's sent_hash with the receiver's recv_hash.
 *
 * A zero-length message reads as recv() == 0, like EOF: on AF_UNIX the
 * sockets have SO_PASSCRED, and a message (even an empty one) comes with
 * credentials while EOF comes with none.  On vsock, 0 is EOF.
 */
#ifndef PEERMSG_H
#define PEERMSG_H

#include <stddef.h>
#include <stdint.h>

#include "peer.h"

/* The largest message received whole; longer ones are error=truncated. */
#define PEERMSG_RECV_MAX	(8 * 1024 * 1024)

/* Messages a connection sends. */
uint64_t peermsg_count(const struct peer_opts *);

/* The largest of them (for the send buffer). */
size_t peermsg_max(const struct peer_opts *);

/* A new socket of a message-mode peer: SO_PASSCRED on AF_UNIX. */
void peermsg_socket(const struct peer_opts *, int fd);

/* Send the next message if the socket takes it; read one. */
void peermsg_send(struct peerconn *c, int64_t now);
void peermsg_recv(struct peerconn *c, int64_t now);

/* The end-of-connection checks of message mode (peerresult.c). */
void peermsg_finish(struct peerconn *c);

#endif /* PEERMSG_H */
