/*
 * hvsock: the hybrid vsock handshake (see hvsock.h).
 *
 * Reading the reply: peek at what has arrived, then take exactly the
 * bytes up to and including the first newline (or all of them if there
 * is none yet).  What follows the newline stays in the socket for the
 * relay, and a partial line is never peeked at twice (a level-triggered
 * loop would spin on it).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "hvsock.h"

static const char reply_prefix[] = "OK ";

enum hvsock_status
hvsock_reply_parse(const char *buf, size_t len, uint32_t *port,
    size_t *used, const char **why)
{
	uint64_t v = 0;
	size_t i, pfx = sizeof(reply_prefix) - 1, ndigits = 0;
	unsigned char ch;

	for (i = 0; i < len && i < HVSOCK_REPLY_MAX; i++) {
		ch = (unsigned char)buf[i];
		if (i < pfx) {
			if (ch != (unsigned char)reply_prefix[i]) {
				*why = "VMM reply is not \"OK PORT\"";
				return (HVSOCK_BAD);
			}
		} else if (ch >= '0' && ch <= '9') {
			v = v * 10 + (uint64_t)(ch - '0');
			if (v > UINT32_MAX) {
				*why = "VMM reply port out of range";
				return (HVSOCK_BAD);
			}
			ndigits++;
		} else if (ndigits == 0) {
			*why = "VMM reply has no port number";
			return (HVSOCK_BAD);
		} else if (ch != '\n') {
			*why = "VMM reply has garbage after the port";
			return (HVSOCK_BAD);
		} else {
			*port = (uint32_t)v;
			*used = i + 1;
			return (HVSOCK_OK);
		}
	}
	if (i == HVSOCK_REPLY_MAX) {
		*why = "VMM reply too long";
		return (HVSOCK_BAD);
	}
	return (HVSOCK_MORE);
}

void
hvsock_init(struct hvsock *h, uint32_t guest_port)
{
	int n;

	memset(h, 0, sizeof(*h));
	n = snprintf(h->req, sizeof(h->req), "CONNECT %u\n", guest_port);
	h->reqlen = (size_t)n;	/* at most 19 bytes: it fits */
}

int
hvsock_sending(const struct hvsock *h)
{

	return (h->reqoff < h->reqlen);
}

static enum hvsock_status
send_request(struct hvsock *h, int fd, const char **why)
{
	ssize_t n;

	while (h->reqoff < h->reqlen) {
		n = send(fd, h->req + h->reqoff, h->reqlen - h->reqoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			h->reqoff += (size_t)n;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (HVSOCK_MORE);
		if (errno != EINTR) {
			*why = strerror(errno);
			return (HVSOCK_BAD);
		}
	}
	return (HVSOCK_OK);
}

/* The reason, then what the VMM said: it may be hostile, so escaped. */
static const char *
with_reply(struct hvsock *h, const char *why)
{
	char esc[ESCAPE_SIZE(HVSOCK_REPLY_MAX)];

	snprintf(h->why, sizeof(h->why), "%s: \"%s\"", why,
	    escape_mem(h->reply, h->replylen, esc, sizeof(esc)));
	return (h->why);
}

/* recv() into the reply buffer: the byte count, or -1 and *st set. */
static ssize_t
reply_recv(struct hvsock *h, int fd, size_t room, int flags,
    enum hvsock_status *st, const char **why)
{
	ssize_t n;

	do
		n = recv(fd, h->reply + h->replylen, room,
		    flags | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		return (n);
	if (n == 0) {
		*why = h->replylen == 0 ?
		    "VMM closed the connection without a reply" :
		    with_reply(h, "VMM closed the connection in mid-reply");
		*st = HVSOCK_BAD;
	} else if (errno == EAGAIN || errno == EWOULDBLOCK)
		*st = HVSOCK_MORE;
	else {
		*why = strerror(errno);
		*st = HVSOCK_BAD;
	}
	return (-1);
}

enum hvsock_status
hvsock_step(struct hvsock *h, int fd, const char **why)
{
	enum hvsock_status st;
	const char *nl;
	size_t room, take, used;
	ssize_t n;

	if ((st = send_request(h, fd, why)) != HVSOCK_OK)
		return (st);
	for (;;) {
		/* The parser fails a full buffer, so there is room. */
		room = sizeof(h->reply) - h->replylen;
		if ((n = reply_recv(h, fd, room, MSG_PEEK, &st, why)) == -1)
			return (st);
		nl = memchr(h->reply + h->replylen, '\n', (size_t)n);
		take = nl == NULL ? (size_t)n :
		    (size_t)(nl - (h->reply + h->replylen)) + 1;
		if ((n = reply_recv(h, fd, take, 0, &st, why)) == -1)
			return (st);
		h->replylen += (size_t)n;
		st = hvsock_reply_parse(h->reply, h->replylen, &h->hostport,
		    &used, why);
		if (st == HVSOCK_BAD)
			*why = with_reply(h, *why);
		if (st != HVSOCK_MORE)
			return (st);
	}
}
