/*
 * relay: one direction of a connection, a one-way pipe from a source
 * socket to a destination socket through a bounded buffer.
 *
 * The buffer exists only while data is in flight: it is allocated on the
 * first read and released when it drains and the source has nothing more
 * for now, so an idle connection holds no buffer at all.  A full buffer
 * stops reads from the source (backpressure).  At EOF the buffered bytes
 * are delivered, then the destination is shut down for writing.
 *
 * All buffers come out of one relay_pool, a budget for the whole
 * process.  A relay that finds it spent waits, first come first served,
 * without reading (backpressure again: nothing is dropped); when buffers
 * are given back, the first waiters get theirs reserved and their owners
 * are told through the wake callback handed to relay_init().  While
 * others wait, a relay gives its buffer back whenever it drains, so that
 * streams take turns.  When no buffer is out at all, one may always be
 * taken, whatever the budget: there is always progress.
 *
 * A message relay (relay_set_message(), for SOCK_SEQPACKET) moves whole
 * messages instead: one recvmsg() into the buffer is one message, sent
 * on with one send(), never split, merged or cut.  The buffer holds one
 * message at a time, so a message that cannot be sent yet stops reads
 * as a full buffer does.  A message longer than the buffer (MSG_TRUNC),
 * or than the destination takes (EMSGSIZE), fails the relay with
 * EMSGSIZE.  A zero-length message is relayed as one: on AF_UNIX it is
 * told from EOF by its credentials (sock_message()).  MSG_EOR on a
 * received message is set on its send (vsock carries it end to end).
 *
 * Toward a vsock seqpacket socket a non-blocking send may split a
 * message, so such a relay is handed a sender (relay_set_sender()): the
 * message goes out through its thread, and counts as queued (no reads)
 * until the sender reports it done.
 */
#ifndef VSOCKPROXY_RELAY_H
#define VSOCKPROXY_RELAY_H

#include <stddef.h>
#include <stdint.h>

enum relay_state {
	RELAY_OPEN,	/* reading from the source */
	RELAY_EOF,	/* source at EOF: draining the buffer */
	RELAY_DONE	/* drained, destination shut down for writing */
};

struct relay;
struct sender;

struct relay_pool {
	size_t limit;		/* bytes; 0: no limit */
	size_t used;		/* taken or reserved */
	size_t peak;
	uint64_t waits;		/* times a relay had to wait */
	struct relay *waiting;	/* FIFO */
	struct relay **tail;
};

struct relay {
	int src, dst;
	int src_family;
	enum relay_state state;
	int peer_closed;	/* vsock source close()d, not just shut down */
	int err;		/* errno of a failure */
	int werr;		/* ... and it was writing that failed */
	char *buf;
	size_t size, off, len;
	uint64_t bytes;		/* delivered to the destination */
	int msg;		/* moves messages, not bytes */
	int have;		/* message mode: buf holds one (len may be 0) */
	uint64_t msgs;		/* message mode: messages delivered */
	int eor;		/* message mode: it came with MSG_EOR */
	struct sender *snd;	/* message mode: sends go through it */
	struct relay_pool *pool;
	int reserved;		/* a buffer's worth is set aside for us */
	/* Queued for a buffer (prev_wait set): not reading. */
	struct relay *next_wait, **prev_wait;
	void (*wake)(void *);	/* a waiting relay may go on */
	void *cookie;
};

enum relay_status {
	RELAY_OK,	/* nothing wrong; maybe more later */
	RELAY_CLOSE,	/* the vsock source closed: close both sides now */
	RELAY_FAIL	/* read or write error (err says which) */
};

void relay_pool_init(struct relay_pool *, size_t limit);
/* A new budget; waiters that now fit are woken. */
void relay_pool_set_limit(struct relay_pool *, size_t limit);

void relay_init(struct relay *, int src, int src_family, int dst,
    size_t size, struct relay_pool *, void (*wake)(void *), void *cookie);
/* Make r a message relay (see above); before the first pump. */
void relay_set_message(struct relay *);
/* Send r's messages through snd (the caller's; it outlives r's use). */
void relay_set_sender(struct relay *, struct sender *snd);
/* Give back the buffer (and its place in the queue, or its reserve);
 * a send under way in the sender is abandoned first (sender_stop()). */
void relay_fini(struct relay *);

/* Move what can be moved now, without blocking. */
enum relay_status relay_pump(struct relay *);

/* What the relay waits for: the source readable, the destination
 * writable. */
int relay_wants_read(const struct relay *);
int relay_wants_write(const struct relay *);

#endif
