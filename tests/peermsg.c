/*
 * peermsg: vsp-peer's message mode; see peermsg.h.
 */
#define _GNU_SOURCE	/* MSG_CMSG_CLOEXEC */
#include <sys/types.h>
#include <sys/socket.h>

#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "peermsg.h"
#include "peeropts.h"
#include "peerresult.h"
#include "stream.h"

uint64_t
peermsg_count(const struct peer_opts *o)
{
	return (o->msg_sizes != NULL ? (uint64_t)o->nmsg_sizes : o->msgs);
}

size_t
peermsg_max(const struct peer_opts *o)
{
	uint64_t m = 0;
	size_t i;

	if (o->msg_sizes == NULL)
		return (o->msgs > 0 ? (size_t)o->msg_max : 0);
	for (i = 0; i < o->nmsg_sizes; i++)
		if (o->msg_sizes[i] > m)
			m = o->msg_sizes[i];
	return ((size_t)m);
}

void
peermsg_socket(const struct peer_opts *o, int fd)
{
	int one = 1;

	if (o->addr.family == AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
		    sizeof(one));
}

/* Message k's size: listed, or drawn log-uniform in MIN..MAX. */
static size_t
msg_size(const struct peerconn *c, uint64_t k)
{
	const struct peer_opts *o = c->p->o;
	uint64_t span = o->msg_max - o->msg_min, r, lim;
	unsigned int bits = 0;

	if (o->msg_sizes != NULL)
		return ((size_t)o->msg_sizes[k]);
	if (span == 0)
		return ((size_t)o->msg_min);
	while (bits < 63 && (span >> bits) != 0)
		bits++;
	r = stream_mix(c->send_key ^ stream_mix(k + 0x6d73677300ULL));
	lim = (uint64_t)1 << (r % (bits + 1));
	if (lim > span + 1)
		lim = span + 1;
	return ((size_t)(o->msg_min + (r >> 8) % lim));
}

/* A message into the running hash: its length, then its bytes. */
static uint64_t
msg_hash(uint64_t h, const uint8_t *p, size_t n)
{
	uint8_t len[8];
	int i;

	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (8 * i));
	h = stream_hash(h, len, sizeof(len));
	return (stream_hash(h, p, n));
}

/* The far end cut the connection: fine with --expect-closed. */
static int
cut(struct peerconn *c, const char *how)
{
	const struct peer_opts *o = c->p->o;

	if (!o->expect_closed)
		return (0);
	if (c->closed_how == NULL)
		c->closed_how = how;
	peerresult_finish(c);
	return (1);
}

/*
 * A vsock seqpacket send must not stop half way: a non-blocking send of
 * a message longer than the peer's free credit queues its head with no
 * end of message and fails EAGAIN, so the next send (a retry, or the
 * next message) is glued to it (DESIGN.md, "vsock and UNIX
 * SOCK_SEQPACKET, as measured"), and nothing tells how much credit is
 * free.  So on vsock the sends block, until the whole message is queued
 * or --timeout has passed; reads stay non-blocking (MSG_DONTWAIT).  A
 * peer blocked in a send does not read: both ends sending large
 * messages at once to ends that do the same can stall, which is why the
 * VM tests send the largest messages one way at a time.
 */
static int
blocking_sends(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;
	struct timeval tv;
	int fl;

	if (o->addr.family != AF_VSOCK || c->msg_blocking)
		return (0);
	tv.tv_sec = (time_t)(o->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(o->timeout_ms % 1000) * 1000;
	if ((fl = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1)
		return (-1);
	c->msg_blocking = 1;
	return (0);
}

void
peermsg_send(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;
	uint8_t *buf = c->p->sendbuf;
	size_t n = msg_size(c, c->msgs_sent);
	ssize_t r;

	if (blocking_sends(c) == -1) {
		peerresult_fail(c, errno, "blocking");
		peerresult_finish(c);
		return;
	}
	stream_fill(c->send_key, c->sent, buf, n);
	if (o->corrupt >= c->sent && o->corrupt - c->sent < n)
		buf[o->corrupt - c->sent] ^= 0x10;
	r = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (r == -1) {
		if (c->msg_blocking && (errno == EAGAIN ||
		    errno == EWOULDBLOCK)) {
			/* SO_SNDTIMEO: the head may be queued already. */
			peerresult_fail(c, 0, "timeout");
			peerresult_finish(c);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if ((errno == EPIPE && cut(c, "epipe")) ||
		    (errno == ECONNRESET && cut(c, "reset")))
			return;
		peerresult_fail(c, errno, "send");
		peerresult_finish(c);
		return;
	}
	if ((size_t)r != n) {
		peerresult_fail(c, 0, "short-send");
		peerresult_finish(c);
		return;
	}
	c->sent_hash = msg_hash(c->sent_hash, buf, n);
	c->sent += n;
	c->msgs_sent++;
	if (o->send_delay_ms > 0)
		c->next_send = now + o->send_delay_ms;
}

/* recv() said 0: EOF unless the message had credentials (AF_UNIX). */
static int
is_eof(ssize_t r, struct msghdr *m)
{
	return (r == 0 && CMSG_FIRSTHDR(m) == NULL);
}

static void
got_eof(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;

	c->rd_eof = 1;
	PEER_DEBUG(c->p, "conn=%lu EOF after %" PRIu64 " messages", c->idx,
	    c->msgs_recvd);
	if (o->expect_closed && (o->expect_msgs == PEER_NONE ||
	    c->msgs_recvd < o->expect_msgs))
		(void)cut(c, "eof");
}

void
peermsg_recv(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov;
	struct msghdr m;
	ssize_t r;

	iov.iov_base = c->p->recvbuf;
	iov.iov_len = PEERMSG_RECV_MAX;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = sizeof(ctl.b);
	r = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* vsock: a reset connection reads as ENOTCONN. */
		if ((errno == ECONNRESET || errno == ENOTCONN) &&
		    cut(c, "reset"))
			return;
		peerresult_fail(c, errno, "recv");
		peerresult_finish(c);
		return;
	}
	if (is_eof(r, &m)) {
		got_eof(c);
		return;
	}
	if (m.msg_flags & MSG_TRUNC) {
		peerresult_fail(c, 0, "truncated");
		peerresult_finish(c);
		return;
	}
	c->recv_hash = msg_hash(c->recv_hash, c->p->recvbuf, (size_t)r);
	c->recvd += (uint64_t)r;
	c->msgs_recvd++;
	if (o->read_delay_ms > 0)
		c->next_read = now + o->read_delay_ms;
}

void
peermsg_finish(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;

	if (c->why != NULL)
		return;
	if (o->expect_closed) {
		if (c->closed_how == NULL)
			peerresult_fail(c, 0, "not-closed");
		return;
	}
	if (o->expect_msgs != PEER_NONE && c->msgs_recvd != o->expect_msgs)
		peerresult_fail(c, 0, c->msgs_recvd < o->expect_msgs ?
		    "short" : "long");
	else if (o->expect != PEER_NONE && c->recvd != o->expect)
		peerresult_fail(c, 0, c->recvd < o->expect ? "short" :
		    "long");
}
