/*
 * relay: move bytes one way, with backpressure and half-close.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "sock.h"

/* Rounds of read+write per pump: enough to drain a burst, bounded so one
 * busy connection cannot starve the others. */
#define PUMP_ROUNDS 8

void
relay_init(struct relay *r, int src, int src_family, int dst, size_t size)
{

	memset(r, 0, sizeof(*r));
	r->src = src;
	r->src_family = src_family;
	r->dst = dst;
	r->size = size;
	r->state = RELAY_OPEN;
}

void
relay_fini(struct relay *r)
{

	free(r->buf);
	r->buf = NULL;
	r->len = r->off = 0;
}

int
relay_wants_read(const struct relay *r)
{

	return (r->state == RELAY_OPEN && r->len < r->size);
}

int
relay_wants_write(const struct relay *r)
{

	return (r->len > 0);
}

static enum relay_status
fail(struct relay *r, int err, int writing)
{

	r->err = err;
	r->werr = writing;
	return (RELAY_FAIL);
}

enum relay_status
relay_pump(struct relay *r)
{
	ssize_t n;
	size_t space;
	int round, idle = 0, moved;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = 0;
		if (r->state == RELAY_OPEN && r->len < r->size) {
			if (r->buf == NULL &&
			    (r->buf = malloc(r->size)) == NULL)
				return (fail(r, ENOMEM, 0));
			if (r->off > 0 && r->off + r->len == r->size) {
				memmove(r->buf, r->buf + r->off, r->len);
				r->off = 0;
			}
			space = r->size - r->off - r->len;
			n = recv(r->src, r->buf + r->off + r->len, space,
			    MSG_DONTWAIT);
			if (n > 0) {
				r->len += (size_t)n;
				moved = 1;
			} else if (n == 0) {
				r->state = RELAY_EOF;
				r->peer_closed = sock_peer_closed(r->src,
				    r->src_family);
			} else if (errno == EAGAIN || errno == EWOULDBLOCK)
				idle = 1;
			else if (errno != EINTR)
				return (fail(r, errno, 0));
		}
		if (r->len > 0) {
			n = send(r->dst, r->buf + r->off, r->len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				r->off += (size_t)n;
				r->len -= (size_t)n;
				r->bytes += (uint64_t)n;
				if (r->len == 0)
					r->off = 0;
				moved = 1;
			} else if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR)
				return (fail(r, errno, 1));
		}
		if (!moved)
			break;
	}
	if (r->len == 0) {
		/* Nothing in flight: an idle or finished relay holds no
		 * buffer. */
		if (r->buf != NULL && (idle || r->state != RELAY_OPEN)) {
			free(r->buf);
			r->buf = NULL;
		}
		if (r->state == RELAY_EOF) {
			if (r->peer_closed)
				return (RELAY_CLOSE);
			if (shutdown(r->dst, SHUT_WR) == -1 &&
			    errno != ENOTCONN)
				return (fail(r, errno, 1));
			r->state = RELAY_DONE;
		}
	}
	return (RELAY_OK);
}
