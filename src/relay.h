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
 * A stream relay whose two ends are TCP or UNIX stream sockets
 * (relay_set_splice()), in a pool with zero_copy on, moves its bytes
 * with splice(2) through a pipe instead of a buffer: the kernel hands
 * the pages from socket to pipe to socket and nothing is copied into
 * the process.  The pipe plays the buffer's part in everything above:
 * it is taken from the pool when data comes, its fill is len, a full
 * pipe stops reads, EOF waits until it is empty, and an empty pipe goes
 * back to the pool, which keeps a few for reuse.  It is filled up to
 * what it is charged: its whole size (1 MiB) while the budget has room,
 * buffer-size when it is under pressure (relay_pool.c).  When no pipe can be had (the pool's
 * share of the descriptors is used, or the kernel says no), that burst
 * goes through a buffer instead; the two never hold bytes at once, so
 * the order of the stream is kept.
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

/* Pipes kept for reuse, empty. */
#define RELAY_SPARE_PIPES	16

struct relay_pipe {
	int rd, wr;
	size_t size;		/* F_GETPIPE_SZ */
};

struct relay_pool {
	size_t limit;		/* bytes; 0: no limit */
	size_t used;		/* taken or reserved */
	size_t peak;
	uint64_t waits;		/* times a relay had to wait */
	struct relay *waiting;	/* FIFO */
	struct relay **tail;
	/* splice(2) for stream relays that allow it (relay_set_splice()). */
	int zero_copy;
	int pipes_failed;	/* the kernel would not size one: copy */
	size_t pipe_size;	/* asked of F_SETPIPE_SZ */
	unsigned int pipes;	/* open: in relays and spare */
	unsigned int pipes_max;	/* a share of RLIMIT_NOFILE */
	unsigned int nspare;
	struct relay_pipe spare[RELAY_SPARE_PIPES];
	uint64_t spliced;	/* bytes that went through a pipe */
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
	int splice;		/* both ends TCP or UNIX streams */
	struct relay_pipe pipe;	/* rd -1: none; else holds len bytes */
	int pipe_full;		/* it took no more: wait for a write */
	size_t held;		/* budget taken; a pipe is filled up to it */
	size_t reserved;	/* set aside for us while we waited */
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
/* Splice (for relays made from now on), or copy; off closes the spares. */
void relay_pool_set_zero_copy(struct relay_pool *, int on);
/* Close the spare pipes; the relays must be gone. */
void relay_pool_fini(struct relay_pool *);
/* Whether a socket of this family can be spliced (TCP, UNIX). */
int relay_family_splices(int family);

void relay_init(struct relay *, int src, int src_family, int dst,
    size_t size, struct relay_pool *, void (*wake)(void *), void *cookie);
/* Make r a message relay (see above); before the first pump. */
void relay_set_message(struct relay *);
/* Both of r's ends are stream sockets of a family that splices: use a
 * pipe if the pool says so; before the first pump. */
void relay_set_splice(struct relay *);
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
