/*
 * connrate: max-conn-rate, new connections per second per peer (a CID,
 * an address, a uid), for one listener.
 *
 * Each peer has a token bucket that holds a second's worth of
 * connections and refills at the rate (GCRA: one "theoretical arrival
 * time" per peer).  The peers are kept in a fixed table of
 * CONNRATE_SLOTS: a peer whose bucket is full again needs no slot, so
 * the table only has to hold the peers that connected within the last
 * second.  When more than that are busy at once, the one idle longest is
 * forgotten (it starts again with a full bucket): memory stays bounded
 * whoever connects.
 */
#ifndef VSOCKPROXY_CONNRATE_H
#define VSOCKPROXY_CONNRATE_H

#include <stddef.h>
#include <stdint.h>

#define CONNRATE_SLOTS	1024
#define CONNRATE_IDLEN	20

struct connrate;

struct connrate *connrate_new(void);
void connrate_free(struct connrate *);

/*
 * A connection from peer id (CONNRATE_IDLEN bytes) at now (ms): 1 if
 * it is within rate per second (and counted), 0 if over it.
 */
int connrate_allow(struct connrate *, const unsigned char *id,
    unsigned int rate, uint64_t now);

#endif
