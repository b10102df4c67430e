/*
 * peerconn: one connection of vsp-peer; see peerconn.h.
 *
 * Sockets are nonblocking and every send() has MSG_NOSIGNAL (main
 * ignores SIGPIPE as well): a relay that closes early must show up as
 * EPIPE in a result line, not kill the peer.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peerconn.h"
#include "peermsg.h"
#include "peeropts.h"
#include "peerresult.h"
#include "stream.h"
#include "tool.h"

#define RETRY_MS	2	/* unix connect() got EAGAIN: retry after */
#define GATE_POLL_MS	10	/* how often --wait-file is looked for */

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return (b);
	if (b == 0)
		return (a);
	return (a < b ? a : b);
}

/* Once the --wait-file has been seen the gate stays open. */
static int
gate_open(struct peer *p)
{
	if (!p->gate_seen && (p->o->wait_file == NULL ||
	    access(p->o->wait_file, F_OK) == 0))
		p->gate_seen = 1;
	return (p->gate_seen);
}

void
peerconn_sockbuf(const struct peer_opts *o, int fd)
{
	if (o->sockbuf == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sockbuf,
	    sizeof(o->sockbuf)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->sockbuf,
	    sizeof(o->sockbuf)) == -1)
		warnx("setsockopt SO_SNDBUF/SO_RCVBUF: %s", strerror(errno));
}

int
peerconn_handshaking(const struct peerconn *c)
{
	return (c->vmm != VP_NONE && c->vmm != VP_PASS);
}

static void
conn_received(struct peerconn *c, const uint8_t *p, size_t n)
{
	uint64_t off = c->recvd;

	c->recv_hash = stream_hash(c->recv_hash, p, n);
	c->recvd += n;
	if (c->p->o->expect == PEER_NONE)
		return;
	stream_rx_data(&c->rx, off, p, n, c->p->wantbuf);
}

/* Everything this end sends is sent (not counting a probe). */
static int
conn_sent_all(const struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;

	if (o->msg)
		return (c->msgs_sent == peermsg_count(o));
	return (c->sent == o->send);
}

static int
conn_may_read(const struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;

	if (c->done || c->connecting || c->fd == -1 || c->rd_eof)
		return (0);
	if (peerconn_handshaking(c))
		return (c->vmm == VP_REQUEST || c->vmm == VP_HOLD);
	if (o->expect_refused || c->order != ORDER_SEND_FIRST)
		return (1);
	/* send-first: after the end, or while waiting to probe. */
	return (c->ended || (o->probe_ms > 0 && conn_sent_all(c) &&
	    c->gate_passed));
}

static int
conn_may_send(const struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;

	if (c->done || c->connecting || c->fd == -1 || c->ended ||
	    o->expect_refused)
		return (0);
	if (peerconn_handshaking(c))
		return (c->vmm == VP_REPLY);
	if (c->probing)
		return (!c->probed);
	if (conn_sent_all(c))
		return (0);
	return (c->order != ORDER_RECV_FIRST || c->rd_eof);
}

/*
 * --reset-after: once that much has arrived (so that a relay in between
 * is surely past its connect and relaying), abort the connection with an
 * RST (SO_LINGER 0; a UNIX socket has no RST, its peer gets ECONNRESET
 * only if we leave unread data behind, which a duplex transfer usually
 * does).  What this end received is not checked: the point is what the
 * far end sees.
 */
static void
conn_reset(struct peerconn *c)
{
	struct linger lg = { 1, 0 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		peerresult_fail(c, errno, "linger");
	PEER_DEBUG(c->p, "conn=%lu reset after %" PRIu64 " bytes in",
	    c->idx, c->recvd);
	c->reset = 1;
	peerresult_finish(c);
}

/* --vary: the next read or send size, log-uniform in 1 .. --chunk. */
static size_t
conn_chunk(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;
	uint64_t r;
	size_t n;

	if (o->vary == 0)
		return (o->chunk);
	r = stream_mix(c->rng++);
	n = (size_t)1 + (size_t)((r >> 8) % ((uint64_t)1 << (r % 19)));
	return (n < o->chunk ? n : o->chunk);
}

/*
 * All is sent (and, recv-first, read): pass the gate, probe, then end the
 * sending side.  Returns 0 once ended, -1 while waiting or when done.
 */
static int
conn_end(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;

	if (!c->gate_passed) {
		if (!gate_open(c->p))
			return (-1);
		c->gate_passed = 1;
		PEER_DEBUG(c->p, "conn=%lu gate open", c->idx);
	}
	if (o->probe_ms > 0 && !c->probed) {
		if (!c->rd_eof)
			return (-1);
		if (!c->probing) {
			c->probing = 1;
			c->probe_t0 = now;
			c->probe_until = now + o->probe_ms;
			PEER_DEBUG(c->p, "conn=%lu probing", c->idx);
		}
		return (-1);
	}
	c->ended = 1;
	if (o->end == END_CLOSE) {
		PEER_DEBUG(c->p, "conn=%lu close", c->idx);
		peerresult_finish(c);
		return (-1);
	}
	PEER_DEBUG(c->p, "conn=%lu shutdown", c->idx);
	if (shutdown(c->fd, SHUT_WR) == -1 && !c->probe_err) {
		peerresult_fail(c, errno, "shutdown");
		peerresult_finish(c);
		return (-1);
	}
	return (0);
}

void
peerconn_step(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;

	if (c->done || c->connecting || c->fd == -1)
		return;
	if (o->expect_refused || peerconn_handshaking(c))
		return;
	if (o->reset_after != PEER_NONE && c->recvd >= o->reset_after &&
	    gate_open(c->p)) {
		conn_reset(c);
		return;
	}
	if (!c->ended && conn_sent_all(c) &&
	    (c->order != ORDER_RECV_FIRST || c->rd_eof) &&
	    conn_end(c, now) == -1)
		return;
	if (c->ended && c->rd_eof)
		peerresult_finish(c);
}

static void
conn_probe_done(struct peerconn *c, int err, int64_t now)
{
	c->probed = 1;
	c->probing = 0;
	c->probe_err = err;
	c->probe_took = now - c->probe_t0;
	PEER_DEBUG(c->p, "conn=%lu probe: %s after %" PRId64 " ms", c->idx,
	    err ? peerresult_errname(err) : "no error", c->probe_took);
}

static void
conn_send(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;
	uint8_t *buf = c->p->sendbuf;
	uint64_t off, left;
	size_t n;
	ssize_t r;

	if (o->msg) {
		peermsg_send(c, now);
		return;
	}
	if (c->probing) {
		off = o->send + c->probe_sent;
		n = o->chunk;
	} else {
		off = c->sent;
		left = o->send - c->sent;
		n = conn_chunk(c);
		if (left < n)
			n = (size_t)left;
	}
	stream_fill(c->send_key, off, buf, n);
	if (o->corrupt >= off && o->corrupt - off < n)
		buf[o->corrupt - off] ^= 0x10;
	r = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (c->probing) {
			conn_probe_done(c, errno, now);
			return;
		}
		peerresult_fail(c, errno, "send");
		peerresult_finish(c);
		return;
	}
	if (c->probing) {
		c->probe_sent += (uint64_t)r;
		return;
	}
	c->sent_hash = stream_hash(c->sent_hash, buf, (size_t)r);
	c->sent += (uint64_t)r;
	if (o->send_delay_ms > 0)
		c->next_send = now + o->send_delay_ms;
}

static void
conn_recv(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;
	ssize_t r;

	if (o->msg) {
		peermsg_recv(c, now);
		return;
	}
	r = recv(c->fd, c->p->recvbuf, conn_chunk(c), 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (o->expect_refused && c->recvd == 0 &&
		    (errno == ECONNRESET || errno == EPIPE)) {
			c->refused_how = "reset";
			peerresult_finish(c);
			return;
		}
		peerresult_fail(c, errno, "recv");
		peerresult_finish(c);
		return;
	}
	if (r == 0) {
		c->rd_eof = 1;
		PEER_DEBUG(c->p, "conn=%lu EOF after %" PRIu64 " bytes",
		    c->idx, c->recvd);
		if (o->expect_refused) {
			if (c->recvd == 0)
				c->refused_how = "eof";
			peerresult_finish(c);
		}
		return;
	}
	conn_received(c, c->p->recvbuf, (size_t)r);
	if (o->expect_refused) {
		peerresult_fail(c, 0, "got-data");
		peerresult_finish(c);
		return;
	}
	if (o->read_delay_ms > 0)
		c->next_read = now + o->read_delay_ms;
}

void
peerconn_ready(struct peerconn *c, int64_t now)
{
	char text[64];

	if (c->p->o->conn_file != NULL && !c->p->conn_file_made) {
		snprintf(text, sizeof(text), "%lu\n", c->idx);
		if (tool_publish(c->p->o->conn_file, text) == 0)
			c->p->conn_file_made = 1;
	}
	peerconn_step(c, now);
}

static int
is_refusal(int e)
{
	return (e == ECONNREFUSED || e == ECONNRESET || e == ENOENT ||
	    e == EPIPE);
}

static void
conn_connect_failed(struct peerconn *c, int e)
{
	if (c->p->o->expect_refused && is_refusal(e)) {
		c->refused_how = "connect";
		PEER_DEBUG(c->p, "conn=%lu connect refused: %s", c->idx,
		    strerror(e));
	} else
		peerresult_fail(c, e, "connect");
	peerresult_finish(c);
}

void
peerconn_connect(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;

	c->retry_at = 0;
	c->fd = socket(o->addr.family, o->addr.type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		peerresult_fail(c, errno, "socket");
		peerresult_finish(c);
		return;
	}
	peerconn_sockbuf(o, c->fd);
	if (o->msg)
		peermsg_socket(o, c->fd);
	if (o->bindstr != NULL && bind(c->fd,
	    (const struct sockaddr *)&o->bind.ss, o->bind.len) == -1) {
		peerresult_fail(c, errno, "bind");
		peerresult_finish(c);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&o->addr.ss,
	    o->addr.len) == 0) {
		c->connecting = 0;
		peerconn_ready(c, now);
		return;
	}
	if (errno == EINPROGRESS) {
		c->connecting = 1;
		return;
	}
	if (errno == EAGAIN && o->addr.family == AF_UNIX) {
		/* A full unix backlog: try again shortly. */
		close(c->fd);
		c->fd = -1;
		c->connecting = 1;
		c->retry_at = now + RETRY_MS;
		return;
	}
	conn_connect_failed(c, errno);
}

void
peerconn_io(struct peerconn *c, short revents, int64_t now)
{
	int e;
	socklen_t elen = sizeof(e);

	if (c->connecting) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e == EINPROGRESS)
			return;
		if (e != 0) {
			conn_connect_failed(c, e);
			return;
		}
		c->connecting = 0;
		PEER_DEBUG(c->p, "conn=%lu connected", c->idx);
		peerconn_ready(c, now);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && conn_may_read(c) &&
	    now >= c->next_read)
		conn_recv(c, now);
	if (!c->done && (revents & (POLLOUT | POLLHUP | POLLERR)) &&
	    conn_may_send(c) && now >= c->next_send)
		conn_send(c, now);
	peerconn_step(c, now);
}

short
peerconn_events(struct peerconn *c, int64_t now, int64_t *wake)
{
	short ev = 0;

	/* Timers: retries, slow reads, probes, the gate. */
	if (c->retry_at != 0) {
		if (now >= c->retry_at)
			peerconn_connect(c, now);
		else
			*wake = min_deadline(*wake, c->retry_at);
		if (c->done || c->fd == -1)
			return (0);
	}
	if (c->probing && now >= c->probe_until)
		conn_probe_done(c, 0, now);
	peerconn_step(c, now);
	if (c->done)
		return (0);
	if (c->probing)
		*wake = min_deadline(*wake, c->probe_until);
	/*
	 * peerconn_step() above decided on the gate: look again soon if it
	 * did not pass.  (Asking gate_open() here again raced with the
	 * file's creation: seen now but not by the step, the conn then had
	 * nothing to poll for and slept until the timeout.)
	 */
	if (!c->gate_passed)
		*wake = min_deadline(*wake, now + GATE_POLL_MS);
	if (c->connecting)
		ev |= POLLOUT;
	if (conn_may_read(c)) {
		if (now >= c->next_read)
			ev |= POLLIN;
		else
			*wake = min_deadline(*wake, c->next_read);
	}
	if (conn_may_send(c)) {
		if (now >= c->next_send)
			ev |= POLLOUT;
		else
			*wake = min_deadline(*wake, c->next_send);
	}
	return (ev);
}

void
peerconn_init(struct peerconn *c, struct peer *p, unsigned long idx,
    int64_t now)
{
	const struct peer_opts *o = p->o;

	memset(c, 0, sizeof(*c));
	c->p = p;
	c->idx = idx;
	c->fd = -1;
	c->t0 = now;
	c->send_key = stream_key(o->seed, idx);
	c->sent_hash = STREAM_HASH_INIT;
	c->recv_hash = STREAM_HASH_INIT;
	stream_rx_init(&c->rx, o->expect_seed, o->expect, idx);
	c->vmm_port = PEER_NONE;
	c->rng = stream_mix(o->vary ^ stream_mix(idx + 1));
	c->order = o->order;
	if (o->order == ORDER_RANDOM)
		c->order = (enum peer_order)(stream_mix(c->rng ^ 0x0123) % 3);
}
