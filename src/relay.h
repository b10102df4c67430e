/*
 * relay: one direction of a connection, a one-way pipe from a source
 * socket to a destination socket through a bounded buffer.
 *
 * Between TCP or UNIX sockets the bytes go through a pipe with splice(2)
 * instead of a buffer (no copy through user space); vsock, which has no
 * splice_read, always uses the buffer.
 *
 * The buffer exists only while data is in flight: it is allocated on the
 * first read and released when it drains and the source has nothing more
 * for now, so an idle connection holds no buffer at all.  A full buffer
 * stops reads from the source (backpressure).  At EOF the buffered bytes
 * are delivered, then the destination is shut down for writing.
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

struct relay {
	int src, dst;
	int src_family;
	enum relay_state state;
	int peer_closed;	/* vsock source close()d, not just shut down */
	int err;		/* errno of a failure */
	int werr;		/* ... and it was writing that failed */
	int splice;		/* through a pipe, not a buffer */
	int prd, pwr;		/* the pipe, while bytes are in flight */
	size_t pcap;		/* its capacity */
	int pfull;		/* the pipe took no more: wait for a write */
	char *buf;
	size_t size, off, len;
	uint64_t bytes;		/* delivered to the destination */
};

enum relay_status {
	RELAY_OK,	/* nothing wrong; maybe more later */
	RELAY_CLOSE,	/* the vsock source closed: close both sides now */
	RELAY_FAIL	/* read or write error (err says which) */
};

void relay_init(struct relay *, int src, int src_family, int dst,
    int dst_family, size_t size);
void relay_fini(struct relay *);
/* Close the pipes kept for reuse (at exit). */
void relay_pool_free(void);

/* Move what can be moved now, without blocking. */
enum relay_status relay_pump(struct relay *);

/* What the relay waits for: the source readable, the destination
 * writable. */
int relay_wants_read(const struct relay *);
int relay_wants_write(const struct relay *);

#endif
