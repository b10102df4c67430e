/*
 * relay: move bytes one way, with backpressure and half-close.
 *
 * Two ways to move them.  Between two stream sockets that are not vsock
 * (TCP, UNIX), splice(2) through a pipe: the kernel hands the pages from
 * one socket to the other and the proxy never copies a byte (measured in
 * BENCHMARKS.md: about half the CPU per GiB on TCP loopback).  vsock has
 * no splice_read, so vsock relays, and any relay whose pipe cannot be had,
 * use recv/send through a user-space buffer.  Either way the relay holds
 * its pipe or its buffer only while bytes are in flight: drained pipes go
 * back to a small shared pool, so an idle connection costs no descriptor
 * and no memory beyond its struct.  splice(2) has no MSG_NOSIGNAL: a
 * splice into a socket whose peer left raises SIGPIPE, which the daemon
 * ignores (proxy.c), and fails with EPIPE like a send.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"
#include "sock.h"
#include "vsock.h"

/* Rounds of read+write per pump: enough to drain a burst, bounded so one
 * busy connection cannot starve the others. */
#define PUMP_ROUNDS 8

/* Empty pipes kept for reuse: creating one costs three system calls per
 * burst otherwise.  Only relays with bytes in flight hold a pipe. */
#define POOL_MAX 32

struct pipe_fds {
	int rd, wr;
	size_t cap;
};

static struct pipe_fds pool[POOL_MAX];
static int pool_n;
static int splice_off = -1;	/* VSOCKPROXY_SPLICE=0: benchmarks only */

static int
splice_enabled(void)
{
	const char *e;

	if (splice_off == -1)
		splice_off = (e = getenv("VSOCKPROXY_SPLICE")) != NULL &&
		    strcmp(e, "0") == 0;
	return (!splice_off);
}

static int
can_splice(int family)
{

	return (family == AF_INET || family == AF_INET6 || family == AF_UNIX);
}

void
relay_init(struct relay *r, int src, int src_family, int dst,
    int dst_family, size_t size)
{

	memset(r, 0, sizeof(*r));
	r->src = src;
	r->src_family = src_family;
	r->dst = dst;
	r->size = size;
	r->state = RELAY_OPEN;
	r->splice = splice_enabled() && can_splice(src_family) &&
	    can_splice(dst_family);
	r->prd = r->pwr = -1;
}

/* A pipe for a splice relay; 0, or -1 to fall back to a buffer. */
static int
pipe_get(struct relay *r)
{
	int fds[2], sz;

	if (pool_n > 0) {
		pool_n--;
		r->prd = pool[pool_n].rd;
		r->pwr = pool[pool_n].wr;
		r->pcap = pool[pool_n].cap;
		return (0);
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);
	/* As much as the buffer size would hold, where the system allows;
	 * the pipe's own size otherwise. */
	sz = r->size > (size_t)(1 << 30) ? 1 << 30 : (int)r->size;
	(void)fcntl(fds[1], F_SETPIPE_SZ, sz);
	if ((sz = fcntl(fds[1], F_GETPIPE_SZ)) <= 0)
		sz = 65536;
	r->prd = fds[0];
	r->pwr = fds[1];
	r->pcap = (size_t)sz;
	return (0);
}

/* Give back an empty pipe (a pipe with bytes in it is closed). */
static void
pipe_put(struct relay *r)
{

	if (r->prd == -1)
		return;
	if (r->len == 0 && pool_n < POOL_MAX) {
		pool[pool_n].rd = r->prd;
		pool[pool_n].wr = r->pwr;
		pool[pool_n].cap = r->pcap;
		pool_n++;
	} else {
		close(r->prd);
		close(r->pwr);
	}
	r->prd = r->pwr = -1;
}

void
relay_pool_free(void)
{

	while (pool_n > 0) {
		pool_n--;
		close(pool[pool_n].rd);
		close(pool[pool_n].wr);
	}
}

void
relay_fini(struct relay *r)
{

	free(r->buf);
	r->buf = NULL;
	pipe_put(r);
	r->len = r->off = 0;
}

int
relay_wants_read(const struct relay *r)
{

	return (r->state == RELAY_OPEN && r->len < r->size && !r->pfull);
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

static void
got_eof(struct relay *r)
{

	r->state = RELAY_EOF;
	r->peer_closed = sock_peer_closed(r->src, r->src_family);
}

/* One round through the pipe: -1 with errno on failure (r->werr set for
 * a write), else 1 if bytes moved, 0 if not. */
static int
splice_round(struct relay *r, int *idle)
{
	size_t space;
	ssize_t n;
	int moved = 0;

	if (r->state == RELAY_OPEN && r->len < r->size && !r->pfull) {
		space = r->pcap - r->len;
		if (r->size - r->len < space)
			space = r->size - r->len;
		n = space == 0 ? -1 : splice(r->src, NULL, r->pwr, NULL,
		    space, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (space == 0)
			r->pfull = 1;
		else if (n > 0) {
			r->len += (size_t)n;
			moved = 1;
		} else if (n == 0)
			got_eof(r);
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* The socket is empty, or the pipe has no free slot
			 * (small segments): with bytes in the pipe, wait
			 * for the write side instead of spinning. */
			if (r->len > 0)
				r->pfull = 1;
			else
				*idle = 1;
		} else if (errno != EINTR) {
			r->werr = 0;
			return (-1);
		}
	}
	if (r->len > 0) {
		n = splice(r->prd, NULL, r->dst, NULL, r->len,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			r->len -= (size_t)n;
			r->bytes += (uint64_t)n;
			r->pfull = 0;
			moved = 1;
		} else if (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR) {
			r->werr = 1;
			return (-1);
		}
	}
	return (moved);
}

/* One round through the buffer; the same contract. */
static int
copy_round(struct relay *r, int *idle)
{
	size_t space;
	ssize_t n;
	int moved = 0;

	if (r->state == RELAY_OPEN && r->len < r->size) {
		if (r->buf == NULL && (r->buf = malloc(r->size)) == NULL) {
			errno = ENOMEM;
			r->werr = 0;
			return (-1);
		}
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
		} else if (n == 0)
			got_eof(r);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			*idle = 1;
		else if (errno != EINTR) {
			r->werr = 0;
			return (-1);
		}
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
		    errno != EWOULDBLOCK && errno != EINTR) {
			r->werr = 1;
			return (-1);
		}
	}
	return (moved);
}

enum relay_status
relay_pump(struct relay *r)
{
	int round, idle = 0, moved;

	if (r->splice && r->prd == -1 && (r->state == RELAY_OPEN ||
	    r->len > 0) && pipe_get(r) == -1)
		r->splice = 0;		/* out of descriptors: copy */
	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = r->splice ? splice_round(r, &idle) :
		    copy_round(r, &idle);
		if (moved == -1)
			return (fail(r, errno, r->werr));
		if (!moved)
			break;
	}
	if (r->len == 0) {
		/* Nothing in flight: an idle or finished relay holds no
		 * buffer and no pipe. */
		if (idle || r->state != RELAY_OPEN) {
			free(r->buf);
			r->buf = NULL;
			pipe_put(r);
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
