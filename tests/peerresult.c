/*
 * peerresult: the end of a vsp-peer connection; see peerresult.h.
 */
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "peermsg.h"
#include "peeropts.h"
#include "peerresult.h"
#include "stream.h"
#include "tool.h"

const char *
peerresult_errname(int e)
{
	static char buf[32];

	switch (e) {
	case EPIPE:		return ("EPIPE");
	case ECONNRESET:	return ("ECONNRESET");
	case ECONNREFUSED:	return ("ECONNREFUSED");
	case ECONNABORTED:	return ("ECONNABORTED");
	case ETIMEDOUT:		return ("ETIMEDOUT");
	case ENOENT:		return ("ENOENT");
	case ENOTCONN:		return ("ENOTCONN");
	case EHOSTUNREACH:	return ("EHOSTUNREACH");
	case ENETUNREACH:	return ("ENETUNREACH");
	case ENODEV:		return ("ENODEV");
	case EADDRNOTAVAIL:	return ("EADDRNOTAVAIL");
	case EACCES:		return ("EACCES");
	case EMFILE:		return ("EMFILE");
	case ENOBUFS:		return ("ENOBUFS");
	case ENOMEM:		return ("ENOMEM");
	case EMSGSIZE:		return ("EMSGSIZE");
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return (buf);
}

void
peerresult_fail(struct peerconn *c, int err, const char *why)
{
	if (c->why == NULL) {
		c->err = err;
		c->why = why;
	}
	PEER_DEBUG(c->p, "conn=%lu failed: %s%s%s", c->idx, why,
	    err ? " " : "", err ? strerror(err) : "");
}

static void
conn_print(struct peerconn *c, int64_t now)
{
	const struct peer_opts *o = c->p->o;
	char line[512];
	int failed = c->why != NULL, n = 0;

#define ADD(...) do { \
	if (n < (int)sizeof(line)) \
		n += snprintf(line + n, sizeof(line) - (size_t)n, \
		    __VA_ARGS__); \
} while (0)

	ADD("conn=%lu", c->idx);
	if (o->expect_refused) {
		if (c->refused_how != NULL)
			ADD(" refused=%s", c->refused_how);
		ADD(" recv=%" PRIu64, c->recvd);
	} else if (o->msg) {
		ADD(" msgs_sent=%" PRIu64 " sent=%" PRIu64 " sent_hash=%016"
		    PRIx64, c->msgs_sent, c->sent, c->sent_hash);
		ADD(" msgs_recv=%" PRIu64 " recv=%" PRIu64 " recv_hash=%016"
		    PRIx64, c->msgs_recvd, c->recvd, c->recv_hash);
		if (c->closed_how != NULL)
			ADD(" closed=%s", c->closed_how);
	} else {
		if (c->rx.stream >= 0)
			ADD(" stream=%ld", c->rx.stream);
		ADD(" sent=%" PRIu64 " sent_hash=%016" PRIx64, c->sent,
		    c->sent_hash);
		ADD(" recv=%" PRIu64 " recv_hash=%016" PRIx64, c->recvd,
		    c->recv_hash);
	}
	if (c->vmm_port != PEER_NONE)
		ADD(" vmm_connect=%" PRIu64, c->vmm_port);
	ADD(" ms=%" PRId64, now - c->t0);
	if (c->reset)
		ADD(" reset");
	if (c->probed) {
		ADD(" probe=%s", c->probe_err ?
		    peerresult_errname(c->probe_err) : "none");
		if (c->probe_err)
			ADD(" probe_ms=%" PRId64, c->probe_took);
		ADD(" probe_sent=%" PRIu64, c->probe_sent);
	}
	if (c->rx.bad_at != STREAM_NONE)
		ADD(" mismatch_at=%" PRIu64, c->rx.bad_at);
	if (failed) {
		ADD(" FAIL error=%s", c->why);
		if (c->err)
			ADD(" errno=%s", peerresult_errname(c->err));
	} else
		ADD(" ok");
#undef ADD
	if (failed || !o->quiet)
		printf("%s\n", line);
	if (failed)
		c->p->n_failed++;
	else
		c->p->n_ok++;
}

/* All checks that can only be made at the end. */
void
peerresult_finish(struct peerconn *c)
{
	const struct peer_opts *o = c->p->o;
	int64_t now = tool_now_ms();

	if (c->done)
		return;
	c->done = 1;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->reset) {
		conn_print(c, now);
		return;
	}
	if (c->why == NULL && o->expect_refused && c->refused_how == NULL)
		peerresult_fail(c, 0, "not-refused");
	if (o->msg)
		peermsg_finish(c);
	else if (c->why == NULL && o->expect != PEER_NONE &&
	    !o->expect_refused) {
		if (c->rx.bad_at != STREAM_NONE)
			peerresult_fail(c, 0, c->rx.bad_at == o->expect ?
			    "long" : "mismatch");
		else if (c->recvd < o->expect)
			peerresult_fail(c, 0, "short");
	}
	if (c->why == NULL && o->expect_epipe == 1 && c->probe_err == 0)
		peerresult_fail(c, 0, "no-epipe");
	if (c->why == NULL && o->expect_epipe == 0 && c->probe_err != 0)
		peerresult_fail(c, c->probe_err, "epipe");
	PEER_DEBUG(c->p, "conn=%lu done", c->idx);
	conn_print(c, now);
}
