/*
 * peervmm: the hybrid vsock VMM stand-in of vsp-peer; see peervmm.h.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>

#include "peeraddr.h"
#include "peerconn.h"
#include "peeropts.h"
#include "peerresult.h"
#include "peervmm.h"
#include "stream.h"

#define VMM_EARLY	4096	/* ok-data: stream bytes sent with OK */
#define VMM_HUGE_BYTES	(1024 * 1024)	/* huge: reply size */

/* A failed or refused request: the connection is done. */
static void
vmm_fail(struct peerconn *c, int err, const char *why)
{
	peerresult_fail(c, err, why);
	peerresult_finish(c);
}

/* The request is in: check it and choose what comes next by the mode. */
static void
vmm_request(struct peerconn *c, char *nl)
{
	const struct peer_opts *o = c->p->o;

	/* Nothing may come before the reply: the relay has not begun. */
	if ((size_t)(nl - c->vmm_line) + 1 != c->vmm_linelen) {
		vmm_fail(c, 0, "vmm-data-before-ok");
		return;
	}
	*nl = '\0';
	if (strncmp(c->vmm_line, "CONNECT ", 8) != 0 ||
	    peeraddr_u64(c->vmm_line + 8, 0, UINT32_MAX,
	    &c->vmm_port) == -1) {
		c->vmm_port = PEER_NONE;
		vmm_fail(c, 0, "vmm-request");
		return;
	}
	PEER_DEBUG(c->p, "conn=%lu CONNECT %" PRIu64, c->idx, c->vmm_port);
	if (o->vmm_port != PEER_NONE && c->vmm_port != o->vmm_port) {
		vmm_fail(c, 0, "vmm-port");
		return;
	}
	if (o->vmm == VMM_SILENT)
		c->vmm = VP_HOLD;
	else if (o->vmm == VMM_CLOSE)
		peerresult_finish(c);
	else
		c->vmm = VP_REPLY;
}

static void
vmm_read_request(struct peerconn *c)
{
	char *nl;
	ssize_t r;

	r = recv(c->fd, c->vmm_line + c->vmm_linelen,
	    sizeof(c->vmm_line) - c->vmm_linelen - 1, 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		vmm_fail(c, errno, "vmm-recv");
		return;
	}
	if (r == 0) {
		vmm_fail(c, 0, "vmm-no-request");
		return;
	}
	c->vmm_linelen += (size_t)r;
	c->vmm_line[c->vmm_linelen] = '\0';
	if ((nl = memchr(c->vmm_line, '\n', c->vmm_linelen)) == NULL) {
		if (c->vmm_linelen == sizeof(c->vmm_line) - 1)
			vmm_fail(c, 0, "vmm-request");
		return;
	}
	vmm_request(c, nl);
}

static const char *
vmm_reply(const struct peer_opts *o)
{
	switch (o->vmm) {
	case VMM_WRONG:		return ("FAILURE\n");
	case VMM_PARTIAL:	return ("OK 12");
	default:		return ("OK " VMM_HOSTPORT "\n");
	}
}

/* The stream bytes that go out with the reply (ok-data). */
static uint64_t
vmm_early(const struct peer_opts *o)
{
	if (o->vmm != VMM_OK_DATA)
		return (0);
	return (o->send < VMM_EARLY ? o->send : VMM_EARLY);
}

/*
 * The next piece of the reply into BUF (of SIZE bytes): *N bytes of it,
 * then *EARLY stream bytes.  Returns the reply's whole length.
 */
static uint64_t
vmm_reply_piece(struct peerconn *c, uint8_t *buf, size_t size,
    uint64_t *n, uint64_t *early)
{
	const struct peer_opts *o = c->p->o;
	const char *reply = vmm_reply(o);
	uint64_t total, i;

	*early = 0;
	if (o->vmm == VMM_HUGE) {
		total = VMM_HUGE_BYTES;
		*n = total - c->vmm_off < size ? total - c->vmm_off : size;
		memset(buf, '0', (size_t)*n);
		for (i = 0; c->vmm_off + i < 3 && i < *n; i++)
			buf[i] = (uint8_t)"OK "[c->vmm_off + i];
		return (total);
	}
	total = strlen(reply);
	*n = total - c->vmm_off;
	memcpy(buf, reply + c->vmm_off, (size_t)*n);
	if (c->sent < vmm_early(o)) {
		*early = vmm_early(o) - c->sent;
		stream_fill(c->send_key, c->sent, buf + *n, (size_t)*early);
	}
	return (total);
}

/* The whole reply is out: on to the exchange, or wait, or close. */
static void
vmm_replied(struct peerconn *c)
{
	PEER_DEBUG(c->p, "conn=%lu replied", c->idx);
	switch (c->p->o->vmm) {
	case VMM_OK:
	case VMM_OK_DATA:
		c->vmm = VP_PASS;
		break;
	case VMM_PARTIAL:
		peerresult_finish(c);
		break;
	default:
		c->vmm = VP_HOLD;
		break;
	}
}

static void
vmm_send_reply(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;
	uint8_t buf[64 + VMM_EARLY];
	uint64_t total, n, early;
	ssize_t r;

	total = vmm_reply_piece(c, buf, sizeof(buf), &n, &early);
	/* One send(): the reply and the early bytes in one segment. */
	r = send(c->fd, buf, (size_t)(n + early), MSG_NOSIGNAL);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* The relay gave up on an endless reply: as it should. */
		if (o->vmm != VMM_HUGE ||
		    (errno != EPIPE && errno != ECONNRESET))
			peerresult_fail(c, errno, "vmm-send");
		peerresult_finish(c);
		return;
	}
	if ((uint64_t)r <= n)
		c->vmm_off += (uint64_t)r;
	else {
		c->vmm_off += n;
		c->sent_hash = stream_hash(c->sent_hash, buf + n,
		    (size_t)((uint64_t)r - n));
		c->sent += (uint64_t)r - n;
	}
	if (c->vmm_off < total || c->sent < vmm_early(o))
		return;
	vmm_replied(c);
}

/* After a failed request the relay must close the connection. */
static void
vmm_hold(struct peerconn *c)
{
	ssize_t r;

	r = recv(c->fd, c->p->recvbuf, c->p->o->chunk, 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno != ECONNRESET)
			peerresult_fail(c, errno, "vmm-recv");
		peerresult_finish(c);
		return;
	}
	if (r > 0)
		peerresult_fail(c, 0, "vmm-data-before-ok");
	else
		PEER_DEBUG(c->p, "conn=%lu EOF from the relay", c->idx);
	peerresult_finish(c);
}

void
peervmm_io(struct peerconn *c, short revents, int64_t now)
{
	short in = POLLIN | POLLHUP | POLLERR;

	if (c->vmm == VP_REQUEST && (revents & in))
		vmm_read_request(c);
	else if (c->vmm == VP_REPLY && (revents & (POLLOUT | POLLHUP |
	    POLLERR)))
		vmm_send_reply(c);
	else if (c->vmm == VP_HOLD && (revents & in))
		vmm_hold(c);
	if (!c->done && c->vmm == VP_PASS)
		peerconn_step(c, now);
}
