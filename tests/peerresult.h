/*
 * peerresult: how a vsp-peer connection ends.  Its first failure is kept
 * (later ones are consequences); at the end the socket is closed, the
 * checks that only the end can make are made (too short, too long, the
 * probe's outcome, a refusal that did not come), and the connection's one
 * result line is printed: "conn=I ... ok" or "... FAIL error=WHY".
 */
#ifndef PEERRESULT_H
#define PEERRESULT_H

#include "peer.h"

/* Record a failure, WHY, with ERR its errno or 0; the first one stays. */
void peerresult_fail(struct peerconn *c, int err, const char *why);

/* End the connection and print its result line; once only. */
void peerresult_finish(struct peerconn *c);

/*
 * The name of errno value E ("EPIPE"), not its message: the result lines
 * are key=value.
 */
const char *peerresult_errname(int e);

#endif /* PEERRESULT_H */
