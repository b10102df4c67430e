/*
 * stream: the byte streams vsp-peer sends and the checks of what arrives.
 *
 * Stream j of seed s is a counter-mode sequence of 64-bit words
 * (splitmix64 finalizer), so that any byte can be generated from its
 * offset alone: a sender needs no buffer of what it sent, a receiver none
 * of what it expects.  A receiver does not know which connection of the
 * far end it is talking to (a relay may deliver connections in any
 * order), so it identifies the stream from its first bytes among streams
 * 0..STREAM_WINDOW-1 of the far end's seed, trying its own index first,
 * and then checks every byte against it.
 *
 * libc only, like vsp-peer.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_NONE	UINT64_MAX	/* no offset: no check, no mismatch */
#define STREAM_HASH_INIT 0xcbf29ce484222325ULL	/* FNV-1a offset basis */

/* One splitmix64 step: the words of the streams, --vary's draws. */
uint64_t stream_mix(uint64_t z);

/* The key of stream J of SEED. */
uint64_t stream_key(uint64_t seed, uint64_t j);

/* Bytes [OFF, OFF + N) of the stream of KEY into BUF. */
void stream_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t n);

/* H extended by N bytes at P: 64-bit FNV-1a, whatever the read sizes. */
uint64_t stream_hash(uint64_t h, const uint8_t *p, size_t n);

/* What a receiver has learnt about the stream it is getting. */
struct stream_rx {
	uint64_t seed;			/* the far end's */
	uint64_t expect;		/* bytes that must arrive */
	unsigned long own;		/* the index tried first */
	long stream;			/* identified stream, -1 not yet */
	uint64_t key;			/* its key, once identified */
	uint8_t head[8];		/* bytes kept until identified */
	size_t headlen;
	uint64_t bad_at;		/* first mismatch, STREAM_NONE */
};

/*
 * Start checking for EXPECT bytes of a stream of SEED, trying stream OWN
 * first.
 */
void stream_rx_init(struct stream_rx *rx, uint64_t seed, uint64_t expect,
    unsigned long own);

/*
 * Check N bytes at P that arrived at offset OFF of the stream.  A byte
 * past EXPECT is a mismatch at EXPECT (too long).  SCRATCH holds at least
 * max(8, N) bytes.
 */
void stream_rx_data(struct stream_rx *rx, uint64_t off, const uint8_t *p,
    size_t n, uint8_t *scratch);

#endif /* STREAM_H */
