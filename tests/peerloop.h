/*
 * peerloop: the one poll() loop of vsp-peer.  It listens and accepts
 * (--conns of them, then closes the listener) or opens --conns
 * connections at once, drives every connection (peerconn.c, and
 * peervmm.c for the stand-in's handshake) until all are done, and ends
 * them all on --timeout, SIGTERM or SIGINT.
 */
#ifndef PEERLOOP_H
#define PEERLOOP_H

#include "peerconn.h"

/*
 * Ignore SIGPIPE; SIGTERM and SIGINT stop the loop (through a self-pipe,
 * so that a poll() in progress wakes).  Returns 0, or -1 after a warning.
 */
int peerloop_signals(void);

/* Close the self-pipe. */
void peerloop_signals_close(void);

/*
 * Listen or connect as P's options say, until every connection is done.
 * Returns the exit status: EX_OK, EX_FAIL, EX_TIMEOUT or EX_OSERR.
 */
int peerloop_run(struct peer *p);

#endif /* PEERLOOP_H */
