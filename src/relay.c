/*
 * relay: move bytes (or messages) one way, with backpressure and
 * half-close.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "relay_pool.h"
#include "sender.h"
#include "sock.h"

/* Rounds of read+write per pump: enough to drain a burst, bounded so one
 * busy connection cannot starve the others; and bytes per pump, so that
 * a large buffer-size does not undo that bound. */
#define PUMP_ROUNDS 8
#define PUMP_QUANTUM (2 * 1024 * 1024)

void
relay_init(struct relay *r, int src, int src_family, int dst, size_t size,
    struct relay_pool *pool, void (*wake)(void *), void *cookie)
{

	memset(r, 0, sizeof(*r));
	r->src = src;
	r->src_family = src_family;
	r->dst = dst;
	r->size = size;
	r->state = RELAY_OPEN;
	r->pool = pool;
	r->wake = wake;
	r->cookie = cookie;
	r->pipe.rd = r->pipe.wr = -1;
}

void
relay_set_message(struct relay *r)
{

	r->msg = 1;
	r->splice = 0;
}

void
relay_set_splice(struct relay *r)
{

	r->splice = !r->msg && r->pool->zero_copy;
}

void
relay_set_sender(struct relay *r, struct sender *snd)
{

	r->snd = snd;
}

void
relay_fini(struct relay *r)
{

	if (r->snd != NULL)
		sender_stop(r->snd);	/* before its buffer goes */
	relay_leave_pool(r);
	if (r->buf != NULL)
		relay_put_buffer(r);
	if (r->pipe.rd != -1)
		relay_put_pipe(r);	/* bytes still in it: closed */
	r->len = r->off = 0;
	r->have = 0;
}

int
relay_wants_read(const struct relay *r)
{

	if (r->state != RELAY_OPEN || r->have || relay_queued(r))
		return (0);
	if (r->pipe.rd != -1)
		return (r->len < r->held && !r->pipe_full);
	return (r->len < r->size);
}

int
relay_wants_write(const struct relay *r)
{

	/* A message in the sender's hands: its end wakes us, not EV_WRITE. */
	if (r->snd != NULL && sender_busy(r->snd))
		return (0);
	return (r->len > 0 || r->have);
}

static enum relay_status
fail(struct relay *r, int err, int writing)
{

	r->err = err;
	r->werr = writing;
	return (RELAY_FAIL);
}

/*
 * After a pump: with nothing in flight, an idle or finished relay holds
 * no buffer, nor does a busy one while others wait for one; at EOF the
 * destination is shut down for writing.
 */
static enum relay_status
drained(struct relay *r, int idle)
{

	if (r->len > 0 || r->have)
		return (RELAY_OK);
	if (idle || r->state != RELAY_OPEN || r->pool->waiting != NULL) {
		if (r->buf != NULL)
			relay_put_buffer(r);
		if (r->pipe.rd != -1)
			relay_put_pipe(r);
	}
	if (r->state == RELAY_EOF) {
		if (r->peer_closed)
			return (RELAY_CLOSE);
		if (shutdown(r->dst, SHUT_WR) == -1 && errno != ENOTCONN)
			return (fail(r, errno, 1));
		r->state = RELAY_DONE;
	}
	return (RELAY_OK);
}

/*
 * One message from the source into the empty buffer.  A message that
 * did not fit was cut by the kernel (MSG_TRUNC; the rest is gone), so
 * it fails the relay.  recv() returns 0 for a zero-length message and
 * for EOF alike; on AF_UNIX (sock_message()) a message carries
 * credentials and EOF carries nothing, and the control buffer has room
 * for the credentials only, so that no descriptor a peer sends
 * (SCM_RIGHTS) is ever installed here.  Elsewhere 0 is EOF.
 */
static int
recv_message(struct relay *r, int *idle)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov;
	struct msghdr m;
	ssize_t n;

	iov.iov_base = r->buf;
	iov.iov_len = r->size;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = sizeof(ctl.b);
	n = recvmsg(r->src, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			*idle = 1;
		else if (errno != EINTR)
			return (fail(r, errno, 0), -1);
		return (0);
	}
	if (m.msg_flags & MSG_TRUNC)
		return (fail(r, EMSGSIZE, 0), -1);
	if (n == 0 && CMSG_FIRSTHDR(&m) == NULL) {
		r->state = RELAY_EOF;
		r->peer_closed = sock_peer_closed(r->src, r->src_family);
		return (0);
	}
	r->off = 0;
	r->len = (size_t)n;
	r->have = 1;
	r->eor = (m.msg_flags & MSG_EOR) != 0;
	return (1);
}

/*
 * The result of a message's send: 1 sent, 0 to try again later, -1
 * failed.  A message the destination cannot take at all is EMSGSIZE;
 * vsock on 6.1 says ENOMEM for it (every transport error is ENOMEM
 * there), and nothing of it was sent.
 */
static int
message_sent(struct relay *r, ssize_t n, int err)
{

	if (n == -1) {
		if (r->snd == NULL && (err == EAGAIN || err == EWOULDBLOCK ||
		    err == EINTR))
			return (0);
		if (r->snd != NULL && err == ENOMEM)
			err = EMSGSIZE;
		return (fail(r, err, 1), -1);
	}
	/* All or nothing on SOCK_SEQPACKET; a short count is a cut. */
	if ((size_t)n != r->len)
		return (fail(r, EMSGSIZE, 1), -1);
	r->bytes += (uint64_t)n;
	r->msgs++;
	r->len = 0;
	r->have = 0;
	return (1);
}

/*
 * Send the buffered message whole: 1 sent, 0 not yet, -1 failed.
 * Through the sender, one call hands it over and a later one (after
 * its done callback) takes the result.
 */
static int
send_message(struct relay *r)
{
	int flags = r->eor ? MSG_EOR : 0, err = 0;
	ssize_t n = -1;

	if (r->snd == NULL) {
		n = send(r->dst, r->buf, r->len,
		    flags | MSG_NOSIGNAL | MSG_DONTWAIT);
		return (message_sent(r, n, n == -1 ? errno : 0));
	}
	switch (sender_poll(r->snd, &n, &err)) {
	case SENDER_BUSY:
		return (0);
	case SENDER_DONE:
		return (message_sent(r, n, err));
	case SENDER_IDLE:
		break;
	}
	if (sender_start(r->snd, r->buf, r->len, flags) == -1)
		return (fail(r, errno, 0), -1);
	return (0);
}

/* relay_pump() for a message relay: one message in flight at most. */
static enum relay_status
pump_messages(struct relay *r)
{
	uint64_t before = r->bytes;
	int round, idle = 0, moved, rc;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = 0;
		if (r->state == RELAY_OPEN && !r->have) {
			if (r->buf == NULL && relay_get_buffer(r) == -1) {
				if (relay_queued(r))
					break;
				return (fail(r, ENOMEM, 0));
			}
			if ((rc = recv_message(r, &idle)) == -1)
				return (RELAY_FAIL);
			moved = rc;
		}
		if (r->have) {
			if ((rc = send_message(r)) == -1)
				return (RELAY_FAIL);
			moved = rc;
		}
		if (!moved || r->bytes - before >= PUMP_QUANTUM)
			break;
	}
	return (drained(r, idle));
}

/*
 * What a read into the buffer or pipe returned: 1 bytes came, 0 none
 * (EOF, or nothing now: *idle), -1 failed.
 */
static int
read_done(struct relay *r, ssize_t n, int *idle)
{

	if (n > 0) {
		r->len += (size_t)n;
		return (1);
	}
	if (n == 0) {
		r->state = RELAY_EOF;
		r->peer_closed = sock_peer_closed(r->src, r->src_family);
	} else if (errno == EAGAIN || errno == EWOULDBLOCK)
		*idle = 1;
	else if (errno != EINTR)
		return (fail(r, errno, 0), -1);
	return (0);
}

/* What a write out of the buffer or pipe returned: 1 bytes went, 0 none
 * now, -1 failed. */
static int
write_done(struct relay *r, ssize_t n, size_t *sent)
{

	if (n > 0) {
		r->len -= (size_t)n;
		r->bytes += (uint64_t)n;
		*sent += (size_t)n;
		return (1);
	}
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		return (fail(r, errno, 1), -1);
	return (0);
}

/*
 * relay_pump() through the pipe: socket to pipe, pipe to socket, with
 * len counting the bytes in the pipe.  A splice into it that finds
 * nothing to do (EAGAIN) does not say whether the socket is empty or the
 * pipe has no free slot (a slot holds a page or a part of one, so a
 * pipe may be full short of its size): with bytes in the pipe, FIONREAD
 * tells, and if the socket has bytes, reads wait until a write has taken
 * some from the pipe (pipe_full).  splice() into a socket has no
 * MSG_NOSIGNAL: SIGPIPE is ignored (proxy.c).
 */
static enum relay_status
pump_splice(struct relay *r)
{
	ssize_t n;
	size_t sent = 0;
	int round, idle = 0, moved, rc, avail;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = 0;
		relay_pipe_ease(r);
		if (r->state == RELAY_OPEN && !r->pipe_full &&
		    r->len < r->held) {
			n = splice(r->src, NULL, r->pipe.wr, NULL,
			    r->held - r->len, SPLICE_F_NONBLOCK);
			if ((moved = read_done(r, n, &idle)) == -1)
				return (RELAY_FAIL);
			if (idle && r->len > 0 && ioctl(r->src, FIONREAD,
			    &avail) == 0 && avail > 0) {
				r->pipe_full = 1;
				idle = 0;
			}
		}
		if (r->len > 0) {
			n = splice(r->pipe.rd, NULL, r->dst, NULL, r->len,
			    SPLICE_F_NONBLOCK);
			if ((rc = write_done(r, n, &sent)) == -1)
				return (RELAY_FAIL);
			if (rc == 1) {
				r->pool->spliced += (uint64_t)n;
				r->pipe_full = 0;
				moved = 1;
			}
		}
		if (!moved || sent >= PUMP_QUANTUM)
			break;
	}
	return (drained(r, idle));
}

enum relay_status
relay_pump(struct relay *r)
{
	ssize_t n;
	size_t space, sent = 0;
	int round, idle = 0, moved, rc;

	if (r->msg)
		return (pump_messages(r));
	if (r->splice && r->state == RELAY_OPEN && r->buf == NULL &&
	    r->pipe.rd == -1) {
		/* 1: none to be had, a buffer this time. */
		if (relay_get_pipe(r) == -1)
			return (drained(r, 0));	/* waits for the budget */
	}
	if (r->pipe.rd != -1)
		return (pump_splice(r));
	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = 0;
		if (r->state == RELAY_OPEN && r->len < r->size) {
			if (r->buf == NULL && relay_get_buffer(r) == -1) {
				if (relay_queued(r))
					break;
				return (fail(r, ENOMEM, 0));
			}
			if (r->off > 0 && r->off + r->len == r->size) {
				memmove(r->buf, r->buf + r->off, r->len);
				r->off = 0;
			}
			space = r->size - r->off - r->len;
			n = recv(r->src, r->buf + r->off + r->len, space,
			    MSG_DONTWAIT);
			if ((moved = read_done(r, n, &idle)) == -1)
				return (RELAY_FAIL);
		}
		if (r->len > 0) {
			n = send(r->dst, r->buf + r->off, r->len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if ((rc = write_done(r, n, &sent)) == -1)
				return (RELAY_FAIL);
			if (rc == 1) {
				r->off = r->len == 0 ? 0 : r->off + (size_t)n;
				moved = 1;
			}
		}
		if (!moved || sent >= PUMP_QUANTUM)
			break;
	}
	return (drained(r, idle));
}
