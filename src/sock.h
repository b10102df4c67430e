/*
 * sock: socket set-up shared by listeners and connections.  Every socket
 * is SOCK_NONBLOCK | SOCK_CLOEXEC.
 */
#ifndef VSOCKPROXY_SOCK_H
#define VSOCKPROXY_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * A listening socket on a, of a's socket type; -1 (logged) on failure.  A UNIX path is taken
 * over only from a stale socket (sock_unlink_stale()).
 */
int sock_listen(const struct addr *a, int backlog);

/*
 * Remove the UNIX socket file at a's path if it is a socket that nothing
 * answers on (one left by a previous run, or ours once closed).  Returns
 * 0 if it did, if the path is free, or if a live socket is there (for
 * bind() to report); -1, logged with the path, if anything but a socket
 * is there: that is never removed.
 */
int sock_unlink_stale(const struct addr *a);

/*
 * Start a non-blocking connect to a, to be given up after timeout_ms (the
 * caller's timer does that; vsock's own timer is set to match).  A
 * vsock SOCK_SEQPACKET socket gets a buffer of msgbuf bytes first
 * (sock_vsock_buffer()).  Returns the socket and sets
 * *inprogress when the result comes later (writable, then SO_ERROR);
 * returns -1 with errno set if it failed at once.
 */
int sock_connect(const struct addr *a, uint64_t timeout_ms, size_t msgbuf,
    int *inprogress);

/*
 * Set up a connected SOCK_SEQPACKET socket of a message rule whose
 * buffer holds size bytes.  On AF_UNIX: SO_PASSCRED, so that a
 * zero-length message can be told from EOF (relay.c), and a send
 * buffer that takes a message of size bytes.  On AF_VSOCK:
 * sock_vsock_buffer().  -1 with errno on failure.
 */
int sock_message(int fd, int family, size_t size);

/*
 * Make a vsock socket's buffer (SO_VM_SOCKETS_BUFFER_SIZE, and the
 * largest it may be) size bytes, if it is not: a seqpacket message is
 * bounded on each hop by the smaller of both ends' buffers, so this lets
 * any message that fits a relay buffer of size bytes pass, and no longer
 * one arrive.  An accepted socket takes its listener's.  -1 with errno
 * on failure.
 */
int sock_vsock_buffer(int fd, size_t size);

/* Turn off Nagle's algorithm on TCP sockets. */
void sock_nodelay(int fd, int family);

/* The pending error of a socket after a non-blocking connect, or 0. */
int sock_error(int fd);

/*
 * After EOF on a vsock socket: nonzero if the peer close()d it, zero if it
 * only shut down writing.  Always zero for other families, where the two
 * cannot be told apart.
 */
int sock_peer_closed(int fd, int family);

#endif
