/*
 * vsp-peer: both far ends of a vsockproxy test.
 *
 * A server ("listen") and a client ("connect") that exchange deterministic
 * pseudo-random byte streams and check, byte for byte, that what arrives is
 * what the other end was told to send.  The point is to test a relay from
 * the outside: the relay cannot tell these peers from real ones, and the
 * peers do not need to trust it.
 *
 * Streams.  Stream j of seed s is a counter-mode sequence of 64-bit words
 * (splitmix64 finalizer), so any byte can be generated from its offset
 * alone.  Connection i sends stream i of --seed.  A receiver does not know
 * which connection of the far end it is talking to (a relay may deliver
 * connections in any order), so it identifies the stream from its first
 * bytes among streams 0..MATCH_WINDOW-1 of --expect-seed, trying its own
 * index first, and then checks every byte against it.
 *
 * With --hybrid-vmm the server stands in for a Firecracker or Cloud
 * Hypervisor hybrid vsock socket: each connection starts with the
 * "CONNECT PORT\n" request and the VMM's reply ("OK N\n"), or with one of
 * the ways a VMM can fail it.
 *
 * One poll() loop drives every connection; sockets are nonblocking,
 * SIGPIPE is ignored and every send() has MSG_NOSIGNAL.  The program uses
 * libc only and builds with "cc -O2 -static -o vsp-peer peer.c
 * peeraddr.c tool.c" (peeraddr.c: the addresses, shared with
 * bench/vsp-bench; tool.c: what the test tools share):
 * host names are numeric (or "localhost") so that no NSS module is
 * needed, and AF_VSOCK addresses are supported for use inside virtual
 * machines.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, pipe2 */
#endif

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/vm_sockets.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peeraddr.h"
#include "tool.h"

#define PROGNAME	"vsp-peer"
#define PEER_VERSION	"1.0"

#define DEFAULT_CHUNK	(256 * 1024)
#define DEFAULT_TIMEOUT	60	/* seconds */
#define DEFAULT_PROBE	2000	/* --expect-epipe without --probe-epipe, ms */
#define MATCH_WINDOW	65536	/* streams a receiver considers */
#define RETRY_MS	2	/* unix connect() got EAGAIN: retry after */
#define GATE_POLL_MS	10	/* how often --wait-file is looked for */
#define VMM_EARLY	4096	/* ok-data: stream bytes sent with OK */
#define VMM_HUGE_BYTES	(1024 * 1024)	/* huge: reply size */
#define VMM_HOSTPORT	"1073741824"	/* the port OK names */
#define NONE		UINT64_MAX

enum order {
	ORDER_DUPLEX,		/* send and receive at the same time */
	ORDER_SEND_FIRST,	/* send all, end, then read to EOF */
	ORDER_RECV_FIRST,	/* read to EOF, then send all, end */
	ORDER_RANDOM		/* one of the above per connection */
};

/* How the --hybrid-vmm stand-in answers "CONNECT PORT\n". */
enum vmm {
	VMM_NONE,		/* not a stand-in */
	VMM_OK,			/* "OK N\n", then the usual exchange */
	VMM_OK_DATA,		/* ... sent with the first stream bytes */
	VMM_WRONG,		/* "FAILURE\n", then wait for EOF */
	VMM_SILENT,		/* no reply, wait for EOF */
	VMM_HUGE,		/* 1 MiB of "OK 000...", no newline */
	VMM_CLOSE,		/* close without a reply */
	VMM_PARTIAL		/* "OK 12", then close */
};

/* Where a stand-in connection is. */
enum vmm_phase {
	VP_NONE,		/* not a stand-in: the usual exchange */
	VP_REQUEST,		/* reading "CONNECT PORT\n" */
	VP_REPLY,		/* sending the reply */
	VP_HOLD,		/* failed the request: wait for the EOF */
	VP_PASS			/* replied OK: the usual exchange */
};

enum endmode {
	END_SHUTDOWN,		/* shutdown(SHUT_WR), then read to EOF */
	END_CLOSE		/* close() at once */
};

struct opts {
	int listen;			/* listen or connect */
	struct peeraddr addr;
	const char *addrstr;
	const char *bindstr;		/* connect: bind to this first */
	struct peeraddr bind;
	uint64_t send;			/* bytes to send per connection */
	uint64_t seed;
	uint64_t expect;		/* NONE: do not check */
	uint64_t expect_seed;
	enum order order;
	enum endmode end;
	int64_t probe_ms;		/* 0: no probe */
	int expect_epipe;		/* -1 no check, 0 must not, 1 must */
	unsigned long conns;		/* 0: serve forever */
	const char *ready_file;
	const char *conn_file;
	const char *wait_file;
	int64_t read_delay_ms;
	int64_t send_delay_ms;
	size_t chunk;
	int expect_refused;
	int backlog;
	int no_accept;			/* listen, never accept */
	int sockbuf;			/* SO_SNDBUF/SO_RCVBUF, 0: default */
	uint64_t corrupt;		/* flip a bit here, NONE: never */
	enum vmm vmm;			/* --hybrid-vmm */
	uint64_t vmm_port;		/* --hybrid-port, NONE: any */
	uint64_t reset_after;		/* reset once received, NONE: never */
	uint64_t vary;			/* random chunks and orders, 0: no */
	int64_t timeout_ms;		/* 0: none */
	int verbose;
	int quiet;
};

struct conn {
	unsigned long idx;		/* connect or accept order */
	enum order order;		/* o.order, or drawn for --order random */
	uint64_t rng;			/* --vary: this connection's draws */
	int reset;			/* --reset-after: reset done */
	int fd;
	int connecting;			/* nonblocking connect in flight */
	int64_t retry_at;		/* reconnect after EAGAIN, or 0 */
	int64_t t0;			/* connect() or accept() time */
	int64_t next_read;		/* slow reader: not before */
	int64_t next_send;		/* slow sender: not before */

	uint64_t send_key;
	uint64_t sent;
	uint64_t sent_hash;
	int gate_passed;		/* --wait-file seen */
	int ended;			/* shutdown() or close() done */

	uint64_t recvd;
	uint64_t recv_hash;
	int rd_eof;
	long stream;			/* identified stream, -1 not yet */
	uint64_t recv_key;
	uint8_t head[8];		/* bytes kept until identified */
	size_t headlen;
	uint64_t bad_at;		/* first mismatch offset or NONE */

	int probing;
	int probed;
	int64_t probe_t0;
	int64_t probe_until;
	int64_t probe_took;
	int probe_err;			/* 0: no error before deadline */
	uint64_t probe_sent;

	const char *refused_how;	/* --expect-refused outcome */

	enum vmm_phase vmm;		/* --hybrid-vmm progress */
	char vmm_line[64];		/* the request as read */
	size_t vmm_linelen;
	uint64_t vmm_port;		/* its port, NONE: not seen yet */
	uint64_t vmm_off;		/* reply bytes sent */

	int err;			/* errno of the failure, or 0 */
	const char *why;		/* failure, or NULL */
	int done;
};

static struct opts o;
static uint8_t *sendbuf, *recvbuf, *wantbuf;
static int sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;
static unsigned long n_ok, n_failed;
static int conn_file_made;
static char bound_unix[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* ---- small helpers ---------------------------------------------------- */

static void __attribute__((format(printf, 1, 2)))
warnx_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(EX_USAGE);
}

static void __attribute__((format(printf, 1, 2)))
debug(const char *fmt, ...)
{
	va_list ap;

	if (!o.verbose)
		return;
	fprintf(stderr, "%s[%ld]: ", PROGNAME, (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Errno names, not messages: the result lines are key=value. */
static const char *
errname(int e)
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
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return (buf);
}

/* ---- streams and hashes ----------------------------------------------- */

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/*
 * The key of stream j of a seed.  Two dimensions rather than seed + j, so
 * that the streams of two different seeds never coincide: a relay that
 * echoes a peer's own bytes back cannot pass for the far end.
 */
static uint64_t
stream_key(uint64_t seed, uint64_t j)
{
	return (mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) + j));
}

/* Bytes [off, off + n) of a stream; byte order fixed (little endian). */
static void
stream_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t k = off / 8, w;
	unsigned b = off % 8;
	size_t i = 0;

	while (i < n) {
		w = mix64(key + k * 0x9e3779b97f4a7c15ULL);
		if (b == 0 && n - i >= 8) {
			for (b = 0; b < 8; b++)
				buf[i + b] = (uint8_t)(w >> (8 * b));
			i += 8;
		} else {
			for (; b < 8 && i < n; b++)
				buf[i++] = (uint8_t)(w >> (8 * b));
		}
		b = 0;
		k++;
	}
}

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

/* 64-bit FNV-1a, so that a hash does not depend on read sizes. */
static uint64_t
hash_update(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return (h);
}

/* ---- parsing ---------------------------------------------------------- */

/* A byte count with an optional k, M or G suffix (powers of 1024). */
static int
parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	uint64_t v, mul = 1;

	if (len == 0 || len >= sizeof(num))
		return (-1);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': mul = 1ULL << 10; break;
	case 'm': case 'M': mul = 1ULL << 20; break;
	case 'g': case 'G': mul = 1ULL << 30; break;
	}
	if (mul != 1)
		num[len - 1] = '\0';
	if (peeraddr_u64(num, 0, UINT64_MAX / mul, &v) == -1)
		return (-1);
	*out = v * mul;
	return (0);
}

/* Seconds with an optional fraction ("2", "0.25"), as milliseconds. */
static int
parse_secs(const char *s, int64_t *ms)
{
	char *end;
	double d;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || d < 0 || d > 86400.0 * 365)
		return (-1);
	*ms = (int64_t)(d * 1000 + 0.5);
	return (0);
}

/* ---- files used as signals between a test and its peers -------------- */

/* Once the --wait-file has been seen the gate stays open. */
static int
gate_open(void)
{
	static int seen;

	if (!seen && (o.wait_file == NULL || access(o.wait_file, F_OK) == 0))
		seen = 1;
	return (seen);
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	got_signal = sig;
	(void)write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

/*
 * Small socket buffers keep the kernel from hiding how much a relay
 * buffers.  Set before connect() or listen(), so that TCP's window and
 * accepted sockets follow.
 */
static void
sock_bufsize(int fd)
{
	if (o.sockbuf == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o.sockbuf,
	    sizeof(o.sockbuf)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o.sockbuf,
	    sizeof(o.sockbuf)) == -1)
		warnx_("setsockopt SO_SNDBUF/SO_RCVBUF: %s", strerror(errno));
}

/* ---- one connection --------------------------------------------------- */

static void
conn_fail(struct conn *c, int err, const char *why)
{
	if (c->why == NULL) {
		c->err = err;
		c->why = why;
	}
	debug("conn=%lu failed: %s%s%s", c->idx, why, err ? " " : "",
	    err ? strerror(err) : "");
}

static void
conn_print(struct conn *c, int64_t now)
{
	char line[512];
	int failed = c->why != NULL, n = 0;

#define ADD(...) do { \
	if (n < (int)sizeof(line)) \
		n += snprintf(line + n, sizeof(line) - (size_t)n, \
		    __VA_ARGS__); \
} while (0)

	ADD("conn=%lu", c->idx);
	if (o.expect_refused) {
		if (c->refused_how != NULL)
			ADD(" refused=%s", c->refused_how);
		ADD(" recv=%" PRIu64, c->recvd);
	} else {
		if (c->stream >= 0)
			ADD(" stream=%ld", c->stream);
		ADD(" sent=%" PRIu64 " sent_hash=%016" PRIx64, c->sent,
		    c->sent_hash);
		ADD(" recv=%" PRIu64 " recv_hash=%016" PRIx64, c->recvd,
		    c->recv_hash);
	}
	if (c->vmm_port != NONE)
		ADD(" vmm_connect=%" PRIu64, c->vmm_port);
	ADD(" ms=%" PRId64, now - c->t0);
	if (c->reset)
		ADD(" reset");
	if (c->probed) {
		ADD(" probe=%s", c->probe_err ? errname(c->probe_err) :
		    "none");
		if (c->probe_err)
			ADD(" probe_ms=%" PRId64, c->probe_took);
		ADD(" probe_sent=%" PRIu64, c->probe_sent);
	}
	if (c->bad_at != NONE)
		ADD(" mismatch_at=%" PRIu64, c->bad_at);
	if (failed) {
		ADD(" FAIL error=%s", c->why);
		if (c->err)
			ADD(" errno=%s", errname(c->err));
	} else
		ADD(" ok");
#undef ADD
	if (failed || !o.quiet)
		printf("%s\n", line);
	if (failed)
		n_failed++;
	else
		n_ok++;
}

/* All checks that can only be made at the end. */
static void
conn_finish(struct conn *c)
{
	int64_t now = now_ms();

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
	if (c->why == NULL && o.expect_refused && c->refused_how == NULL)
		conn_fail(c, 0, "not-refused");
	if (c->why == NULL && o.expect != NONE && !o.expect_refused) {
		if (c->bad_at != NONE)
			conn_fail(c, 0, c->bad_at == o.expect ? "long" :
			    "mismatch");
		else if (c->recvd < o.expect)
			conn_fail(c, 0, "short");
	}
	if (c->why == NULL && o.expect_epipe == 1 && c->probe_err == 0)
		conn_fail(c, 0, "no-epipe");
	if (c->why == NULL && o.expect_epipe == 0 && c->probe_err != 0)
		conn_fail(c, c->probe_err, "epipe");
	debug("conn=%lu done", c->idx);
	conn_print(c, now);
}

/* Which streams the receiver will consider, own index first. */
static int
conn_identify(struct conn *c)
{
	uint8_t want[8];
	uint64_t j, key;

	for (j = 0; j <= MATCH_WINDOW; j++) {
		/* j == 0 tries our own index, then 0, 1, ... in turn. */
		uint64_t cand = j == 0 ? c->idx : j - 1;

		if (j > 0 && cand == c->idx)
			continue;
		key = stream_key(o.expect_seed, cand);
		stream_fill(key, 0, want, c->headlen);
		if (memcmp(want, c->head, c->headlen) == 0) {
			c->stream = (long)cand;
			c->recv_key = key;
			return (0);
		}
	}
	return (-1);
}

/* Compare received bytes at offset off with the expected stream. */
static void
conn_check(struct conn *c, const uint8_t *p, uint64_t off, size_t n)
{
	size_t m, i;

	if (c->bad_at != NONE || n == 0)
		return;
	if (off + n > o.expect) {
		if (off >= o.expect) {
			c->bad_at = off;
			return;
		}
		m = (size_t)(o.expect - off);
	} else
		m = n;
	stream_fill(c->recv_key, off, wantbuf, m);
	if (memcmp(p, wantbuf, m) != 0) {
		for (i = 0; p[i] == wantbuf[i]; i++)
			;
		c->bad_at = off + i;
		return;
	}
	if (m < n)
		c->bad_at = o.expect;
}

static void
conn_received(struct conn *c, const uint8_t *p, size_t n)
{
	uint64_t off = c->recvd;
	size_t need, take;

	c->recv_hash = hash_update(c->recv_hash, p, n);
	c->recvd += n;
	if (o.expect == NONE)
		return;
	if (c->stream < 0 && off < o.expect) {
		need = o.expect < 8 ? (size_t)o.expect : 8;
		take = need - c->headlen < n ? need - c->headlen : n;
		memcpy(c->head + c->headlen, p, take);
		c->headlen += take;
		p += take;
		n -= take;
		if (c->headlen < need)
			return;
		if (conn_identify(c) == -1) {
			c->bad_at = 0;
			return;
		}
		conn_check(c, c->head, 0, c->headlen);
		off = c->headlen;
	}
	conn_check(c, p, off, n);
}

static int
conn_may_read(const struct conn *c)
{
	if (c->done || c->connecting || c->fd == -1 || c->rd_eof)
		return (0);
	if (c->vmm != VP_NONE && c->vmm != VP_PASS)
		return (c->vmm == VP_REQUEST || c->vmm == VP_HOLD);
	if (o.expect_refused || c->order != ORDER_SEND_FIRST)
		return (1);
	/* send-first: after the end, or while waiting to probe. */
	return (c->ended || (o.probe_ms > 0 && c->sent == o.send &&
	    c->gate_passed));
}

static int
conn_may_send(const struct conn *c)
{
	if (c->done || c->connecting || c->fd == -1 || c->ended ||
	    o.expect_refused)
		return (0);
	if (c->vmm != VP_NONE && c->vmm != VP_PASS)
		return (c->vmm == VP_REPLY);
	if (c->probing)
		return (!c->probed);
	if (c->sent == o.send)
		return (0);
	return (c->order != ORDER_RECV_FIRST || c->rd_eof);
}

/*
 * --reset-after: once that much has arrived (so that a relay in between
 * is surely past its connect and relaying), abort the connection with an
 * RST (SO_LINGER 0; a UNIX socket has no RST, its peer gets ECONNRESET
 * only if we leave unread data behind, which a duplex transfer usually
 * does).  What this end
 * received is not checked: the point is what the far end sees.
 */
static void
conn_reset(struct conn *c)
{
	struct linger lg = { 1, 0 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		conn_fail(c, errno, "linger");
	debug("conn=%lu reset after %" PRIu64 " bytes in", c->idx,
	    c->recvd);
	c->reset = 1;
	conn_finish(c);
}

/* --vary: the next read or send size, log-uniform in 1 .. --chunk. */
static size_t
conn_chunk(struct conn *c)
{
	uint64_t r;
	size_t n;

	if (o.vary == 0)
		return (o.chunk);
	r = mix64(c->rng++);
	n = (size_t)1 + (size_t)((r >> 8) % ((uint64_t)1 << (r % 19)));
	return (n < o.chunk ? n : o.chunk);
}

/*
 * Move a connection along after progress: end the write side once
 * everything is sent (after the gate and the probe), and finish once both
 * directions are done.
 */
static void
conn_step(struct conn *c, int64_t now)
{
	if (c->done || c->connecting || c->fd == -1)
		return;
	if (o.expect_refused || (c->vmm != VP_NONE && c->vmm != VP_PASS))
		return;
	if (o.reset_after != NONE && c->recvd >= o.reset_after &&
	    gate_open()) {
		conn_reset(c);
		return;
	}
	if (!c->ended && c->sent == o.send &&
	    (c->order != ORDER_RECV_FIRST || c->rd_eof)) {
		if (!c->gate_passed) {
			if (!gate_open())
				return;
			c->gate_passed = 1;
			debug("conn=%lu gate open", c->idx);
		}
		if (o.probe_ms > 0 && !c->probed) {
			if (!c->rd_eof)
				return;
			if (!c->probing) {
				c->probing = 1;
				c->probe_t0 = now;
				c->probe_until = now + o.probe_ms;
				debug("conn=%lu probing", c->idx);
			}
			return;
		}
		c->ended = 1;
		if (o.end == END_CLOSE) {
			debug("conn=%lu close", c->idx);
			conn_finish(c);
			return;
		}
		debug("conn=%lu shutdown", c->idx);
		if (shutdown(c->fd, SHUT_WR) == -1 && !c->probe_err) {
			conn_fail(c, errno, "shutdown");
			conn_finish(c);
			return;
		}
	}
	if (c->ended && c->rd_eof)
		conn_finish(c);
}

static void
conn_probe_done(struct conn *c, int err, int64_t now)
{
	c->probed = 1;
	c->probing = 0;
	c->probe_err = err;
	c->probe_took = now - c->probe_t0;
	debug("conn=%lu probe: %s after %" PRId64 " ms", c->idx,
	    err ? errname(err) : "no error", c->probe_took);
}

static void
conn_send(struct conn *c, int64_t now)
{
	uint64_t off, left;
	size_t n;
	ssize_t r;

	if (c->probing) {
		off = o.send + c->probe_sent;
		n = o.chunk;
	} else {
		off = c->sent;
		left = o.send - c->sent;
		n = conn_chunk(c);
		if (left < n)
			n = (size_t)left;
	}
	stream_fill(c->send_key, off, sendbuf, n);
	if (o.corrupt >= off && o.corrupt - off < n)
		sendbuf[o.corrupt - off] ^= 0x10;
	r = send(c->fd, sendbuf, n, MSG_NOSIGNAL);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (c->probing) {
			conn_probe_done(c, errno, now);
			return;
		}
		conn_fail(c, errno, "send");
		conn_finish(c);
		return;
	}
	if (c->probing) {
		c->probe_sent += (uint64_t)r;
		return;
	}
	c->sent_hash = hash_update(c->sent_hash, sendbuf, (size_t)r);
	c->sent += (uint64_t)r;
	if (o.send_delay_ms > 0)
		c->next_send = now + o.send_delay_ms;
}

static void
conn_recv(struct conn *c, int64_t now)
{
	ssize_t r;

	r = recv(c->fd, recvbuf, conn_chunk(c), 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (o.expect_refused && c->recvd == 0 &&
		    (errno == ECONNRESET || errno == EPIPE)) {
			c->refused_how = "reset";
			conn_finish(c);
			return;
		}
		conn_fail(c, errno, "recv");
		conn_finish(c);
		return;
	}
	if (r == 0) {
		c->rd_eof = 1;
		debug("conn=%lu EOF after %" PRIu64 " bytes", c->idx,
		    c->recvd);
		if (o.expect_refused) {
			if (c->recvd == 0)
				c->refused_how = "eof";
			conn_finish(c);
		}
		return;
	}
	conn_received(c, recvbuf, (size_t)r);
	if (o.expect_refused) {
		conn_fail(c, 0, "got-data");
		conn_finish(c);
		return;
	}
	if (o.read_delay_ms > 0)
		c->next_read = now + o.read_delay_ms;
}

static void
conn_established(struct conn *c)
{
	char text[64];

	if (o.conn_file != NULL && !conn_file_made) {
		snprintf(text, sizeof(text), "%lu\n", c->idx);
		if (tool_publish(o.conn_file, text) == 0)
			conn_file_made = 1;
	}
}

static int
is_refusal(int e)
{
	return (e == ECONNREFUSED || e == ECONNRESET || e == ENOENT ||
	    e == EPIPE);
}

static void
conn_connect_failed(struct conn *c, int e)
{
	if (o.expect_refused && is_refusal(e)) {
		c->refused_how = "connect";
		debug("conn=%lu connect refused: %s", c->idx, strerror(e));
	} else
		conn_fail(c, e, "connect");
	conn_finish(c);
}

static void
conn_connect(struct conn *c, int64_t now)
{
	c->retry_at = 0;
	c->fd = socket(o.addr.family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(c, errno, "socket");
		conn_finish(c);
		return;
	}
	sock_bufsize(c->fd);
	if (o.bindstr != NULL && bind(c->fd, (struct sockaddr *)&o.bind.ss,
	    o.bind.len) == -1) {
		conn_fail(c, errno, "bind");
		conn_finish(c);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&o.addr.ss, o.addr.len) == 0) {
		c->connecting = 0;
		conn_established(c);
		conn_step(c, now);
		return;
	}
	if (errno == EINPROGRESS) {
		c->connecting = 1;
		return;
	}
	if (errno == EAGAIN && o.addr.family == AF_UNIX) {
		/* A full unix backlog: try again shortly. */
		close(c->fd);
		c->fd = -1;
		c->connecting = 1;
		c->retry_at = now + RETRY_MS;
		return;
	}
	conn_connect_failed(c, errno);
}

/* ---- the hybrid vsock stand-in ---------------------------------------- */

static void
vmm_read_request(struct conn *c)
{
	char *nl;
	ssize_t r;

	r = recv(c->fd, c->vmm_line + c->vmm_linelen,
	    sizeof(c->vmm_line) - c->vmm_linelen - 1, 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_fail(c, errno, "vmm-recv");
		conn_finish(c);
		return;
	}
	if (r == 0) {
		conn_fail(c, 0, "vmm-no-request");
		conn_finish(c);
		return;
	}
	c->vmm_linelen += (size_t)r;
	c->vmm_line[c->vmm_linelen] = '\0';
	if ((nl = memchr(c->vmm_line, '\n', c->vmm_linelen)) == NULL) {
		if (c->vmm_linelen == sizeof(c->vmm_line) - 1) {
			conn_fail(c, 0, "vmm-request");
			conn_finish(c);
		}
		return;
	}
	/* Nothing may come before the reply: the relay has not begun. */
	if ((size_t)(nl - c->vmm_line) + 1 != c->vmm_linelen) {
		conn_fail(c, 0, "vmm-data-before-ok");
		conn_finish(c);
		return;
	}
	*nl = '\0';
	if (strncmp(c->vmm_line, "CONNECT ", 8) != 0 ||
	    peeraddr_u64(c->vmm_line + 8, 0, UINT32_MAX,
	    &c->vmm_port) == -1) {
		c->vmm_port = NONE;
		conn_fail(c, 0, "vmm-request");
		conn_finish(c);
		return;
	}
	debug("conn=%lu CONNECT %" PRIu64, c->idx, c->vmm_port);
	if (o.vmm_port != NONE && c->vmm_port != o.vmm_port) {
		conn_fail(c, 0, "vmm-port");
		conn_finish(c);
		return;
	}
	if (o.vmm == VMM_SILENT)
		c->vmm = VP_HOLD;
	else if (o.vmm == VMM_CLOSE)
		conn_finish(c);
	else
		c->vmm = VP_REPLY;
}

static const char *
vmm_reply(void)
{
	switch (o.vmm) {
	case VMM_WRONG:		return ("FAILURE\n");
	case VMM_PARTIAL:	return ("OK 12");
	default:		return ("OK " VMM_HOSTPORT "\n");
	}
}

/* The stream bytes that go out with the reply (ok-data). */
static uint64_t
vmm_early(void)
{
	if (o.vmm != VMM_OK_DATA)
		return (0);
	return (o.send < VMM_EARLY ? o.send : VMM_EARLY);
}

static void
vmm_send_reply(struct conn *c)
{
	static uint8_t buf[64 + VMM_EARLY];
	const char *reply = vmm_reply();
	uint64_t total, n, early = 0;
	ssize_t r;

	if (o.vmm == VMM_HUGE) {
		total = VMM_HUGE_BYTES;
		n = total - c->vmm_off < sizeof(buf) ? total - c->vmm_off :
		    sizeof(buf);
		memset(buf, '0', (size_t)n);
		for (r = 0; c->vmm_off + (uint64_t)r < 3 &&
		    (uint64_t)r < n; r++)
			buf[r] = (uint8_t)"OK "[c->vmm_off + (uint64_t)r];
	} else {
		total = strlen(reply);
		n = total - c->vmm_off;
		memcpy(buf, reply + c->vmm_off, (size_t)n);
		if (c->sent < vmm_early()) {
			early = vmm_early() - c->sent;
			stream_fill(c->send_key, c->sent, buf + n,
			    (size_t)early);
		}
	}
	/* One send(): the reply and the early bytes in one segment. */
	r = send(c->fd, buf, (size_t)(n + early), MSG_NOSIGNAL);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* The relay gave up on an endless reply: as it should. */
		if (o.vmm != VMM_HUGE ||
		    (errno != EPIPE && errno != ECONNRESET))
			conn_fail(c, errno, "vmm-send");
		conn_finish(c);
		return;
	}
	if ((uint64_t)r <= n)
		c->vmm_off += (uint64_t)r;
	else {
		c->vmm_off += n;
		c->sent_hash = hash_update(c->sent_hash, buf + n,
		    (size_t)((uint64_t)r - n));
		c->sent += (uint64_t)r - n;
	}
	if (c->vmm_off < total || c->sent < vmm_early())
		return;
	debug("conn=%lu replied", c->idx);
	switch (o.vmm) {
	case VMM_OK:
	case VMM_OK_DATA:
		c->vmm = VP_PASS;
		break;
	case VMM_PARTIAL:
		conn_finish(c);
		break;
	default:
		c->vmm = VP_HOLD;
		break;
	}
}

/* After a failed request the relay must close the connection. */
static void
vmm_hold(struct conn *c)
{
	ssize_t r;

	r = recv(c->fd, recvbuf, o.chunk, 0);
	if (r == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno != ECONNRESET)
			conn_fail(c, errno, "vmm-recv");
		conn_finish(c);
		return;
	}
	if (r > 0)
		conn_fail(c, 0, "vmm-data-before-ok");
	else
		debug("conn=%lu EOF from the relay", c->idx);
	conn_finish(c);
}

static void
vmm_io(struct conn *c, short revents, int64_t now)
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
		conn_step(c, now);
}

static void
conn_io(struct conn *c, short revents, int64_t now)
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
		debug("conn=%lu connected", c->idx);
		conn_established(c);
		conn_step(c, now);
		return;
	}
	if (c->vmm != VP_NONE && c->vmm != VP_PASS) {
		vmm_io(c, revents, now);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && conn_may_read(c) &&
	    now >= c->next_read)
		conn_recv(c, now);
	if (!c->done && (revents & (POLLOUT | POLLHUP | POLLERR)) &&
	    conn_may_send(c) && now >= c->next_send)
		conn_send(c, now);
	conn_step(c, now);
}

static void
conn_init(struct conn *c, unsigned long idx, int64_t now)
{
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->fd = -1;
	c->t0 = now;
	c->send_key = stream_key(o.seed, idx);
	c->sent_hash = FNV_OFFSET;
	c->recv_hash = FNV_OFFSET;
	c->stream = -1;
	c->bad_at = NONE;
	c->vmm_port = NONE;
	c->rng = mix64(o.vary ^ mix64(idx + 1));
	c->order = o.order;
	if (o.order == ORDER_RANDOM)
		c->order = (enum order)(mix64(c->rng ^ 0x0123) % 3);
}

/* ---- the loop --------------------------------------------------------- */

struct loop {
	struct conn **conns;
	size_t nconns;
	size_t cap;
	int lfd;			/* listening socket or -1 */
	unsigned long accepted;
	struct pollfd *pfds;
	struct conn **pconn;		/* conn behind each pollfd */
};

static struct conn *
loop_add(struct loop *l, unsigned long idx, int64_t now)
{
	struct conn *c;

	if (l->nconns == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		void *p;

		if ((p = realloc(l->conns, ncap * sizeof(*l->conns))) == NULL)
			return (NULL);
		l->conns = p;
		if ((p = realloc(l->pfds, (ncap + 2) * sizeof(*l->pfds))) ==
		    NULL)
			return (NULL);
		l->pfds = p;
		if ((p = realloc(l->pconn, (ncap + 2) *
		    sizeof(*l->pconn))) == NULL)
			return (NULL);
		l->pconn = p;
		l->cap = ncap;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return (NULL);
	conn_init(c, idx, now);
	l->conns[l->nconns++] = c;
	return (c);
}

/* Forget finished connections (their result line is printed). */
static void
loop_reap(struct loop *l)
{
	size_t i, j;

	for (i = j = 0; i < l->nconns; i++) {
		if (l->conns[i]->done)
			free(l->conns[i]);
		else
			l->conns[j++] = l->conns[i];
	}
	l->nconns = j;
}

static void
loop_accept(struct loop *l, int64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct conn *c;
	char buf[128];
	int fd;

	while (l->lfd != -1 && (o.conns == 0 || l->accepted < o.conns)) {
		sslen = sizeof(ss);
		fd = accept4(l->lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				warnx_("accept: %s", strerror(errno));
			break;
		}
		if ((c = loop_add(l, l->accepted, now)) == NULL) {
			warnx_("out of memory");
			close(fd);
			break;
		}
		c->fd = fd;
		if (o.vmm != VMM_NONE)
			c->vmm = VP_REQUEST;
		if (sslen > 0 && ss.ss_family != AF_UNIX)
			debug("conn=%lu accepted from %s", c->idx,
			    peeraddr_format((struct sockaddr *)&ss, buf,
			    sizeof(buf)));
		else
			debug("conn=%lu accepted", c->idx);
		l->accepted++;
		conn_established(c);
		conn_step(c, now);
	}
	if (o.conns != 0 && l->accepted == o.conns && l->lfd != -1) {
		/* Served enough: further connections are refused. */
		close(l->lfd);
		l->lfd = -1;
	}
}

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return (b);
	if (b == 0)
		return (a);
	return (a < b ? a : b);
}

/* Returns the exit status. */
static int
loop_run(struct loop *l)
{
	int64_t start = now_ms(), deadline = 0, now, wake;
	size_t i, n;
	int timeout, timed_out = 0, acceptable;
	char drain[16];

	if (o.timeout_ms > 0)
		deadline = start + o.timeout_ms;
	for (;;) {
		now = now_ms();
		loop_reap(l);
		if (l->nconns == 0 && (l->lfd == -1 ||
		    (o.conns != 0 && l->accepted == o.conns)))
			break;
		if (got_signal) {
			debug("signal %d: stopping", (int)got_signal);
			for (i = 0; i < l->nconns; i++) {
				conn_fail(l->conns[i], 0, "signal");
				conn_finish(l->conns[i]);
			}
			break;
		}
		if (deadline != 0 && now >= deadline) {
			timed_out = 1;
			for (i = 0; i < l->nconns; i++) {
				conn_fail(l->conns[i], 0, "timeout");
				conn_finish(l->conns[i]);
			}
			if (o.no_accept)
				warnx_("timeout (--no-accept)");
			else if (l->lfd != -1 && o.conns != 0)
				warnx_("timeout: accepted %lu of %lu "
				    "connections", l->accepted, o.conns);
			else
				warnx_("timeout");
			break;
		}

		n = 0;
		wake = deadline;
		l->pfds[n].fd = sigpipe_fds[0];
		l->pfds[n].events = POLLIN;
		l->pconn[n++] = NULL;
		if (l->lfd != -1 && !o.no_accept) {
			l->pfds[n].fd = l->lfd;
			l->pfds[n].events = POLLIN;
			l->pconn[n++] = NULL;
		}
		for (i = 0; i < l->nconns; i++) {
			struct conn *c = l->conns[i];
			short ev = 0;

			/* Timers: retries, slow reads, probes, the gate. */
			if (c->retry_at != 0) {
				if (now >= c->retry_at)
					conn_connect(c, now);
				else
					wake = min_deadline(wake,
					    c->retry_at);
				if (c->done || c->fd == -1)
					continue;
			}
			if (c->probing && now >= c->probe_until)
				conn_probe_done(c, 0, now);
			conn_step(c, now);
			if (c->done)
				continue;
			if (c->probing)
				wake = min_deadline(wake, c->probe_until);
			/*
			 * conn_step() above decided on the gate: look again
			 * soon if it did not pass.  (Asking gate_open() here
			 * again raced with the file's creation: seen now but
			 * not by conn_step(), the conn then had nothing to
			 * poll for and slept until the timeout.)
			 */
			if (!c->gate_passed)
				wake = min_deadline(wake, now + GATE_POLL_MS);
			if (c->connecting)
				ev |= POLLOUT;
			if (conn_may_read(c)) {
				if (now >= c->next_read)
					ev |= POLLIN;
				else
					wake = min_deadline(wake,
					    c->next_read);
			}
			if (conn_may_send(c)) {
				if (now >= c->next_send)
					ev |= POLLOUT;
				else
					wake = min_deadline(wake,
					    c->next_send);
			}
			if (ev == 0)
				continue;
			l->pfds[n].fd = c->fd;
			l->pfds[n].events = ev;
			l->pconn[n++] = c;
		}
		loop_reap(l);
		if (l->nconns == 0 && (l->lfd == -1 ||
		    (o.conns != 0 && l->accepted == o.conns)))
			break;
		if (wake == 0)
			timeout = -1;
		else if (wake <= now)
			timeout = 0;
		else
			timeout = wake - now > INT_MAX ? INT_MAX :
			    (int)(wake - now);
		if (poll(l->pfds, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			warnx_("poll: %s", strerror(errno));
			return (EX_OSERR);
		}
		now = now_ms();
		acceptable = 0;
		for (i = 0; i < n; i++) {
			if (l->pfds[i].revents == 0)
				continue;
			if (l->pfds[i].fd == sigpipe_fds[0])
				(void)read(sigpipe_fds[0], drain,
				    sizeof(drain));
			else if (l->pconn[i] == NULL)
				acceptable = 1;
			else if (!l->pconn[i]->done)
				conn_io(l->pconn[i], l->pfds[i].revents, now);
		}
		/* After the loop: accepting grows the arrays. */
		if (acceptable)
			loop_accept(l, now);
	}
	if (timed_out)
		return (EX_TIMEOUT);
	if (n_failed > 0)
		return (EX_FAIL);
	return (EX_OK);
}

static int
run_listen(struct loop *l)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char text[160];
	int one = 1, fd;

	fd = socket(o.addr.family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		warnx_("socket: %s", strerror(errno));
		return (EX_OSERR);
	}
	if (o.addr.family == AF_INET || o.addr.family == AF_INET6)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	sock_bufsize(fd);
	if (bind(fd, (struct sockaddr *)&o.addr.ss, o.addr.len) == -1) {
		warnx_("bind %s: %s", o.addrstr, strerror(errno));
		close(fd);
		return (EX_OSERR);
	}
	if (o.addr.family == AF_UNIX)
		strcpy(bound_unix,
		    ((struct sockaddr_un *)&o.addr.ss)->sun_path);
	if (listen(fd, o.backlog) == -1) {
		warnx_("listen %s: %s", o.addrstr, strerror(errno));
		close(fd);
		return (EX_OSERR);
	}
	/* With port 0 the ready file says which port was chosen. */
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    o.addr.family == AF_UNIX)
		memcpy(&ss, &o.addr.ss, sizeof(ss));
	peeraddr_format((struct sockaddr *)&ss, text, sizeof(text) - 1);
	debug("listening on %s", text);
	strcat(text, "\n");
	if (o.ready_file != NULL && tool_publish(o.ready_file, text) == -1) {
		close(fd);
		return (EX_OSERR);
	}
	l->lfd = fd;
	return (loop_run(l));
}

static int
run_connect(struct loop *l)
{
	int64_t now = now_ms();
	unsigned long i;
	struct conn *c;

	for (i = 0; i < o.conns; i++) {
		if ((c = loop_add(l, i, now)) == NULL) {
			warnx_("out of memory");
			return (EX_OSERR);
		}
		conn_connect(c, now);
	}
	return (loop_run(l));
}

/* ---- command line ----------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: vsp-peer listen ADDR [options]    serve --conns connections\n"
"       vsp-peer connect ADDR [options]   open --conns connections\n"
"(addresses alone: vsp-addr; a NOTIFY_SOCKET: vsp-notify)\n"
"\n"
"ADDR: vsock:PORT (listen only) | vsock:CID:PORT | tcp:HOST:PORT |\n"
"      tcp:[IPV6]:PORT | unix:PATH    (HOST: numeric or localhost)\n"
"\n"
"Every connection i sends stream i of --seed and checks what it receives\n"
"against a stream of --expect-seed (found from the first bytes, so the\n"
"order in which connections arrive does not matter).\n"
"\n"
"  --send BYTES          bytes to send per connection (default 0;\n"
"                        suffixes k, M, G are powers of 1024)\n"
"  --seed N              seed of the sent streams (default: 1 for\n"
"                        connect, 2 for listen)\n"
"  --expect BYTES        bytes that must arrive (default: not checked)\n"
"  --expect-seed N       seed the far end sends with (default: the far\n"
"                        end's default, 2 for connect, 1 for listen)\n"
"  --order ORDER         duplex: send and read at once (default);\n"
"                        send-first: send all, end, then read to EOF;\n"
"                        recv-first: read to EOF, then send all and end;\n"
"                        random: one of these per connection (--vary)\n"
"  --end shutdown|close  end the sending side with shutdown(SHUT_WR) and\n"
"                        read on to EOF (default), or close() at once\n"
"  --probe-epipe MS      after sending all and reading EOF, keep sending\n"
"                        (more of the stream: the far end sees it) for\n"
"                        up to MS ms; report whether send() fails\n"
"                        (probe=EPIPE|ECONNRESET|none); then end\n"
"  --expect-epipe yes|no fail unless the probe did (not) fail; probes\n"
"                        for 2 s unless --probe-epipe says otherwise\n"
"  --conns N             connect: open N connections at once (default\n"
"                        1); listen: serve N, then exit (0: forever)\n"
"  --ready-file PATH     listen: create PATH, holding the bound address,\n"
"                        once listening\n"
"  --conn-file PATH      create PATH once the first connection is up\n"
"  --wait-file PATH      after sending all, wait for PATH to exist before\n"
"                        ending (lets a test hold a connection open)\n"
"  --read-delay-ms MS    slow reader: wait MS ms after each read\n"
"  --send-delay-ms MS    slow sender: wait MS ms after each send (with\n"
"                        --chunk 1, a slowloris)\n""  --chunk BYTES         largest read and send (default 256k)\n"
"  --sockbuf BYTES       SO_SNDBUF and SO_RCVBUF of our sockets, so that\n"
"                        kernel buffers cannot hide a relay's buffering\n"
"  --expect-refused      connect: pass iff each connection is refused or\n"
"                        closed without any data; refused=connect|eof|\n"
"                        reset and ms= say how and how fast\n"
"  --backlog N           listen: listen(2) backlog (default SOMAXCONN)\n"
"  --no-accept           listen: never accept; with --backlog 0 and one\n"
"                        queued connection, further SYNs go unanswered\n"
"                        (a target that times out); ends on a signal\n"
"  --hybrid-vmm MODE     listen: stand in for a Firecracker / Cloud\n"
"                        Hypervisor hybrid vsock socket: read\n"
"                        \"CONNECT PORT\\n\" (vmm_connect=PORT in the\n"
"                        result), then answer by MODE:\n"
"                        ok: \"OK " VMM_HOSTPORT "\\n\", then the usual\n"
"                          exchange; ok-data: the same, the reply and\n"
"                          the first 4k of --send in one write;\n"
"                        wrong: \"FAILURE\\n\"; huge: 1M of \"OK 000...\"\n"
"                          with no newline; silent: no reply (these\n"
"                          three wait for the relay to close: ok);\n"
"                        close: close at once; partial: \"OK 12\",\n"
"                          then close\n"
"  --hybrid-port N       with --hybrid-vmm: fail a request for another\n"
"                        port (error=vmm-port)\n"
"  --bind ADDR           connect: bind to ADDR first (e.g. vsock:3:0 to\n"
"                        claim a CID; a failure is error=bind)\n"
"  --timeout SECONDS     give up after this long (default 60, 0: never)\n"
"  --corrupt OFFSET      flip a bit of the byte sent at OFFSET (to test\n"
"                        the checker itself)\n"
"  --reset-after BYTES   once BYTES have arrived, abort the connection\n"
"                        with an RST (SO_LINGER 0, then close); the line\n"
"                        says \"reset\" and this end checks nothing;\n"
"                        with --wait-file, only once that file exists\n"
"  --vary SEED           random read and send sizes (1 .. --chunk,\n"
"                        log-uniform), drawn per connection from SEED;\n"
"                        --order random draws each connection's order\n"
"  -v, --verbose         log progress to stderr\n"
"  -q, --quiet           print only failed connections\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"One line per connection on stdout, e.g.\n"
"  conn=0 stream=0 sent=1024 sent_hash=... recv=0 recv_hash=... ms=1 ok\n"
"with \"FAIL error=short|long|mismatch|timeout|send|recv|...\" (and\n"
"mismatch_at=OFFSET) instead of \"ok\" on failure.  Hashes are 64-bit\n"
"FNV-1a of the bytes.  Exit status: 0 all passed, 1 a connection failed,\n"
"2 timeout, 64 usage, 71 set-up error.\n");
}

static uint64_t
opt_size(const char *name, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v) == -1)
		usage_error("%s: invalid byte count '%s'", name, arg);
	return (v);
}

enum {
	OPT_SEND = 256, OPT_SEED, OPT_EXPECT, OPT_EXPECT_SEED, OPT_ORDER,
	OPT_END, OPT_PROBE, OPT_EXPECT_EPIPE, OPT_CONNS, OPT_READY,
	OPT_CONNFILE, OPT_WAITFILE, OPT_DELAY, OPT_CHUNK, OPT_REFUSED,
	OPT_TIMEOUT, OPT_BACKLOG, OPT_NO_ACCEPT, OPT_SOCKBUF, OPT_CORRUPT,
	OPT_HYBRID_VMM, OPT_HYBRID_PORT, OPT_BIND, OPT_RESET, OPT_VARY,
	OPT_SEND_DELAY
};

static const struct option longopts[] = {
	{ "send",		required_argument, NULL, OPT_SEND },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "expect",		required_argument, NULL, OPT_EXPECT },
	{ "expect-seed",	required_argument, NULL, OPT_EXPECT_SEED },
	{ "order",		required_argument, NULL, OPT_ORDER },
	{ "end",		required_argument, NULL, OPT_END },
	{ "probe-epipe",	required_argument, NULL, OPT_PROBE },
	{ "expect-epipe",	required_argument, NULL, OPT_EXPECT_EPIPE },
	{ "conns",		required_argument, NULL, OPT_CONNS },
	{ "ready-file",		required_argument, NULL, OPT_READY },
	{ "conn-file",		required_argument, NULL, OPT_CONNFILE },
	{ "wait-file",		required_argument, NULL, OPT_WAITFILE },
	{ "read-delay-ms",	required_argument, NULL, OPT_DELAY },
	{ "send-delay-ms",	required_argument, NULL, OPT_SEND_DELAY },
	{ "chunk",		required_argument, NULL, OPT_CHUNK },
	{ "expect-refused",	no_argument,	   NULL, OPT_REFUSED },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "backlog",		required_argument, NULL, OPT_BACKLOG },
	{ "no-accept",		no_argument,	   NULL, OPT_NO_ACCEPT },
	{ "sockbuf",		required_argument, NULL, OPT_SOCKBUF },
	{ "corrupt",		required_argument, NULL, OPT_CORRUPT },
	{ "hybrid-vmm",		required_argument, NULL, OPT_HYBRID_VMM },
	{ "hybrid-port",	required_argument, NULL, OPT_HYBRID_PORT },
	{ "bind",		required_argument, NULL, OPT_BIND },
	{ "reset-after",	required_argument, NULL, OPT_RESET },
	{ "vary",		required_argument, NULL, OPT_VARY },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static enum vmm
vmm_mode(const char *s)
{
	static const struct {
		const char *name;
		enum vmm mode;
	} modes[] = {
		{ "ok", VMM_OK }, { "ok-data", VMM_OK_DATA },
		{ "wrong", VMM_WRONG }, { "silent", VMM_SILENT },
		{ "huge", VMM_HUGE }, { "close", VMM_CLOSE },
		{ "partial", VMM_PARTIAL }
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(s, modes[i].name) == 0)
			return (modes[i].mode);
	usage_error("--hybrid-vmm: expected ok, ok-data, wrong, silent, "
	    "huge, close or partial, not '%s'", s);
}

static void
parse_args(int argc, char **argv)
{
	const char *err;
	int ch, seed_set = 0, eseed_set = 0, conns_set = 0;
	uint64_t v;

	o.expect = NONE;
	o.corrupt = NONE;
	o.vmm_port = NONE;
	o.reset_after = NONE;
	o.chunk = DEFAULT_CHUNK;
	o.timeout_ms = DEFAULT_TIMEOUT * 1000;
	o.expect_epipe = -1;
	o.order = ORDER_DUPLEX;
	o.end = END_SHUTDOWN;
	o.conns = 1;
	o.backlog = SOMAXCONN;

	while ((ch = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SEND:
			o.send = opt_size("--send", optarg);
			break;
		case OPT_SEED:
			o.seed = tool_u64("--seed", optarg, UINT64_MAX);
			seed_set = 1;
			break;
		case OPT_EXPECT:
			o.expect = opt_size("--expect", optarg);
			if (o.expect == NONE)
				usage_error("--expect: too large");
			break;
		case OPT_EXPECT_SEED:
			o.expect_seed = tool_u64("--expect-seed", optarg,
			    UINT64_MAX);
			eseed_set = 1;
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "duplex") == 0)
				o.order = ORDER_DUPLEX;
			else if (strcmp(optarg, "send-first") == 0)
				o.order = ORDER_SEND_FIRST;
			else if (strcmp(optarg, "recv-first") == 0)
				o.order = ORDER_RECV_FIRST;
			else if (strcmp(optarg, "random") == 0)
				o.order = ORDER_RANDOM;
			else
				usage_error("--order: expected duplex, "
				    "send-first, recv-first or random, not "
				    "'%s'", optarg);
			break;
		case OPT_END:
			if (strcmp(optarg, "shutdown") == 0)
				o.end = END_SHUTDOWN;
			else if (strcmp(optarg, "close") == 0)
				o.end = END_CLOSE;
			else
				usage_error("--end: expected shutdown or "
				    "close, not '%s'", optarg);
			break;
		case OPT_PROBE:
			o.probe_ms = (int64_t)tool_u64("--probe-epipe",
			    optarg, 3600 * 1000);
			if (o.probe_ms == 0)
				usage_error("--probe-epipe: must be > 0");
			break;
		case OPT_EXPECT_EPIPE:
			if (strcmp(optarg, "yes") == 0)
				o.expect_epipe = 1;
			else if (strcmp(optarg, "no") == 0)
				o.expect_epipe = 0;
			else
				usage_error("--expect-epipe: expected yes "
				    "or no, not '%s'", optarg);
			break;
		case OPT_CONNS:
			o.conns = (unsigned long)tool_u64("--conns", optarg,
			    1000000);
			conns_set = 1;
			break;
		case OPT_READY:
			o.ready_file = optarg;
			break;
		case OPT_CONNFILE:
			o.conn_file = optarg;
			break;
		case OPT_WAITFILE:
			o.wait_file = optarg;
			break;
		case OPT_DELAY:
			o.read_delay_ms = (int64_t)tool_u64("--read-delay-ms",
			    optarg, 3600 * 1000);
			break;
		case OPT_SEND_DELAY:
			o.send_delay_ms = (int64_t)tool_u64("--send-delay-ms",
			    optarg, 3600 * 1000);
			break;
		case OPT_CHUNK:
			v = opt_size("--chunk", optarg);
			if (v == 0 || v > (64ULL << 20))
				usage_error("--chunk: must be 1 to 64M");
			o.chunk = (size_t)v;
			break;
		case OPT_REFUSED:
			o.expect_refused = 1;
			break;
		case OPT_BACKLOG:
			o.backlog = (int)tool_u64("--backlog", optarg, 65535);
			break;
		case OPT_NO_ACCEPT:
			o.no_accept = 1;
			break;
		case OPT_RESET:
			o.reset_after = opt_size("--reset-after", optarg);
			break;
		case OPT_VARY:
			o.vary = tool_u64("--vary", optarg, UINT64_MAX);
			if (o.vary == 0)
				usage_error("--vary: the seed must be > 0");
			break;
		case OPT_CORRUPT:
			o.corrupt = tool_u64("--corrupt", optarg,
			    UINT64_MAX - 1);
			break;
		case OPT_HYBRID_VMM:
			o.vmm = vmm_mode(optarg);
			break;
		case OPT_BIND:
			o.bindstr = optarg;
			break;
		case OPT_HYBRID_PORT:
			o.vmm_port = tool_u64("--hybrid-port", optarg,
			    UINT32_MAX);
			break;
		case OPT_SOCKBUF:
			v = opt_size("--sockbuf", optarg);
			if (v == 0 || v > (64ULL << 20))
				usage_error("--sockbuf: must be 1 to 64M");
			o.sockbuf = (int)v;
			break;
		case OPT_TIMEOUT:
			if (parse_secs(optarg, &o.timeout_ms) == -1)
				usage_error("--timeout: invalid seconds "
				    "'%s'", optarg);
			break;
		case 'v':
			o.verbose++;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V':
			printf("%s %s\n", PROGNAME, PEER_VERSION);
			exit(EX_OK);
		default:
			fprintf(stderr, "%s: bad option (try --help)\n",
			    PROGNAME);
			exit(EX_USAGE);
		}
	}
	if (optind == argc)
		usage_error("no address given");
	if (optind != argc - 1)
		usage_error("one address only, '%s' is extra",
		    argv[optind + 1]);
	o.addrstr = argv[optind];
	if (peeraddr_parse(o.addrstr, o.listen, &o.addr, &err) == -1)
		usage_error("%s: %s", o.addrstr, err);
	if (o.bindstr != NULL) {
		if (o.listen)
			usage_error("--bind: connect only");
		if (peeraddr_parse(o.bindstr, 1, &o.bind, &err) == -1)
			usage_error("--bind %s: %s", o.bindstr, err);
		if (o.bind.family != o.addr.family)
			usage_error("--bind %s: not the family of %s",
			    o.bindstr, o.addrstr);
	}
	if (!seed_set)
		o.seed = o.listen ? 2 : 1;
	if (!eseed_set)
		o.expect_seed = o.listen ? 1 : 2;
	if (o.expect_epipe != -1 && o.probe_ms == 0)
		o.probe_ms = DEFAULT_PROBE;
	if (o.expect_refused) {
		if (o.listen)
			usage_error("--expect-refused: connect only");
		if (o.send != 0 || o.expect != NONE || o.probe_ms != 0)
			usage_error("--expect-refused: no --send, --expect "
			    "or probe with it");
	}
	if (!o.listen && conns_set && o.conns == 0)
		usage_error("--conns: connect needs at least 1");
	if (!o.listen && (o.ready_file != NULL || o.no_accept))
		usage_error("--ready-file and --no-accept: listen only");
	if (!o.listen && o.vmm != VMM_NONE)
		usage_error("--hybrid-vmm: listen only");
	if (o.vmm == VMM_NONE && o.vmm_port != NONE)
		usage_error("--hybrid-port: only with --hybrid-vmm");
}

int
main(int argc, char **argv)
{
	struct loop l;
	struct sigaction sa;
	struct rlimit rl;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return (EX_USAGE);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return (EX_OK);
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", PROGNAME, PEER_VERSION);
		return (EX_OK);
	}
	if (strcmp(argv[1], "listen") == 0)
		o.listen = 1;
	else if (strcmp(argv[1], "connect") != 0)
		usage_error("unknown command '%s'", argv[1]);
	parse_args(argc - 1, argv + 1);

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (pipe2(sigpipe_fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		warnx_("pipe2: %s", strerror(errno));
		return (EX_OSERR);
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* Many connections need many descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <
	    (rlim_t)o.conns + 64 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	sendbuf = malloc(o.chunk);
	recvbuf = malloc(o.chunk);
	/* The first 8 bytes are checked at once, even with --chunk < 8. */
	wantbuf = malloc(o.chunk < 8 ? 8 : o.chunk);
	if (sendbuf == NULL || recvbuf == NULL || wantbuf == NULL) {
		warnx_("out of memory");
		return (EX_OSERR);
	}
	memset(&l, 0, sizeof(l));
	l.lfd = -1;
	if ((l.pfds = malloc(2 * sizeof(*l.pfds))) == NULL ||
	    (l.pconn = malloc(2 * sizeof(*l.pconn))) == NULL) {
		warnx_("out of memory");
		return (EX_OSERR);
	}

	rc = o.listen ? run_listen(&l) : run_connect(&l);

	if (l.lfd != -1)
		close(l.lfd);
	if (bound_unix[0] != '\0')
		(void)unlink(bound_unix);
	loop_reap(&l);
	free(l.conns);
	free(l.pfds);
	free(l.pconn);
	free(sendbuf);
	free(recvbuf);
	free(wantbuf);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	debug("%lu ok, %lu failed, exit %d", n_ok, n_failed, rc);
	return (rc);
}
