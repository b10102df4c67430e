/*
 * peervmm: vsp-peer listen --hybrid-vmm MODE stands in for a Firecracker
 * or Cloud Hypervisor hybrid vsock socket.  Each accepted connection
 * first gets the VMM's side of the handshake: read "CONNECT PORT\n",
 * then answer "OK N\n" and hand the connection to the usual exchange
 * (peerconn.c), or fail the request in one of the ways a VMM can and
 * wait for the relay to close.
 */
#ifndef PEERVMM_H
#define PEERVMM_H

#include <stdint.h>

#include "peerconn.h"

/* After poll(): REVENTS on a connection still in the handshake. */
void peervmm_io(struct peerconn *c, short revents, int64_t now);

#endif /* PEERVMM_H */
