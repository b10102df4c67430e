/*
 * vsp-seqprobe: what the kernel itself does with SOCK_SEQPACKET, and
 * whether a relay can learn that its peer shut down reading, measured
 * directly between two sockets of one process, with no relay between
 * them (so that a difference seen through vsockproxy is vsockproxy's).
 *
 *   vsp-seqprobe unix
 *	AF_UNIX socket pairs: safe anywhere.
 *   vsp-seqprobe vsock --in-guest [--port N]
 *	AF_VSOCK over vsock_loopback, CID 1 to CID 1, listeners on ports
 *	N and up (default 30000).  Only inside a vmtest guest: a build
 *	machine that is itself a guest must never open vsock sockets (its
 *	CID 2 is the hypervisor's channel), hence the explicit flag.
 *
 * Output is TAP: every measured value as a comment "# key=value" (the
 * keys are listed in DESIGN.md, "vsock and UNIX SOCK_SEQPACKET, as
 * measured"), and an "ok"/"not ok" line for each fact a SOCK_SEQPACKET
 * relay depends on, so that a kernel that changes one shows up.  Exit
 * status: 0 all held, 1 one did not, 64 usage, 71 set-up error.
 *
 * libc only, like vsp-peer, so that the guests run it as built.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include <linux/vm_sockets.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KIB 1024UL
#define MIB (1024UL * 1024)
#define BIG (2 * MIB + 64)
#define TIMEOUT_S 10

static int fam;			/* AF_UNIX or AF_VSOCK */
static const char *pfx;		/* "vsock" or "unix": the keys' prefix */
static unsigned int next_port = 30000;
static int tests, failed;
static unsigned char *sbuf, *rbuf;

/* ---- output ----------------------------------------------------------- */

static void fact(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fact(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("# %s.%s=", pfx, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!ok)
		failed++;
	printf("%s %d - %s: ", ok ? "ok" : "not ok", tests, pfx);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(71);
}

/* A result as text: "N" or "-1/ENAME". */
static const char *
res(ssize_t r, int err)
{
	static char b[8][48];
	static int i;
	char *s = b[i++ % 8];
	const char *n;

	if (r >= 0) {
		snprintf(s, sizeof(b[0]), "%zd", r);
	} else {
		n = strerrorname_np(err);
		snprintf(s, sizeof(b[0]), "-1/%s", n ? n : "?");
	}
	return s;
}

/* Event bits as text, "0" for none. */
static const char *
evs(uint32_t e)
{
	static char b[8][96];
	static int i;
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLRDHUP, "RDHUP" }, { EPOLLHUP, "HUP" },
		{ EPOLLERR, "ERR" },
	};
	char *s = b[i++ % 8];
	size_t k;

	s[0] = 0;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (e & names[k].bit)
			snprintf(s + strlen(s), sizeof(b[0]) - strlen(s),
			    "%s%s", s[0] ? "|" : "", names[k].name);
	return s[0] ? s : "0";
}

static uint32_t
poll_to_ep(short r)
{
	uint32_t e = 0;

	e |= r & POLLIN ? EPOLLIN : 0;
	e |= r & POLLPRI ? EPOLLPRI : 0;
	e |= r & POLLOUT ? EPOLLOUT : 0;
	e |= r & POLLRDHUP ? EPOLLRDHUP : 0;
	e |= r & POLLHUP ? EPOLLHUP : 0;
	e |= r & POLLERR ? EPOLLERR : 0;
	return e;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- sockets ---------------------------------------------------------- */

static void
timeouts(int fd)
{
	struct timeval tv = { TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void
vsock_bufsize(int fd, uint64_t v)
{
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &v,
	    sizeof(v)) < 0 ||
	    setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &v,
	    sizeof(v)) < 0)
		die("SO_VM_SOCKETS_BUFFER_SIZE");
}

/*
 * A connected pair: *c the connecting side (the sender, or the relay's
 * socket), *a the accepted one (the receiver, or the server).  For vsock,
 * rbuf and sbuf (if not 0) are the SO_VM_SOCKETS_BUFFER_SIZE of the
 * receiver (set on the listener before the connection, so that the
 * sender learns it from the first packet) and of the sender; for UNIX,
 * sbuf is the sender's SO_SNDBUF (what bounds a UNIX message) and rbuf
 * is not used.
 */
static void
mkpair(int type, uint64_t rbufsz, uint64_t sbufsz, int *c, int *a)
{
	struct sockaddr_vm sa;
	int sv[2], l;

	if (fam == AF_UNIX) {
		if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair");
		*c = sv[0];
		*a = sv[1];
		if (sbufsz) {
			int v = (int)sbufsz;

			setsockopt(*c, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		}
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.svm_family = AF_VSOCK;
		sa.svm_cid = VMADDR_CID_ANY;
		sa.svm_port = next_port++;
		l = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
		if (l < 0)
			die("socket(AF_VSOCK)");
		if (rbufsz)
			vsock_bufsize(l, rbufsz);
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(l, 4) < 0)
			die("bind/listen");
		*c = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
		sa.svm_cid = VMADDR_CID_LOCAL;
		if (*c >= 0 && sbufsz)
			vsock_bufsize(*c, sbufsz);
		if (*c < 0 || connect(*c, (struct sockaddr *)&sa,
		    sizeof(sa)) < 0)
			die("connect to CID 1");
		*a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (*a < 0)
			die("accept");
		close(l);
	}
	timeouts(*c);
	timeouts(*a);
}

static ssize_t
rmsg(int fd, void *buf, size_t len, int flags, int *mflags)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	r = recvmsg(fd, &m, flags);
	*mflags = r >= 0 ? m.msg_flags : 0;
	return r;
}

static void
pattern(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + seed);
}

static int
is_pattern(const unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + seed))
			return 0;
	return 1;
}

/* ---- a sender in a thread ---------------------------------------------- */

struct job {
	int fd;
	size_t len;
	int flags;
	long delay_ms;
	int shut;	/* -1: send len bytes then "END"; else shutdown(fd, shut) */
	ssize_t r;
	int err;
	pthread_t t;
};

static void *
job_run(void *p)
{
	struct job *j = p;

	sleep_ms(j->delay_ms);
	if (j->shut >= 0) {
		j->r = shutdown(j->fd, j->shut);
		j->err = errno;
		return NULL;
	}
	j->r = send(j->fd, sbuf, j->len, j->flags | MSG_NOSIGNAL);
	j->err = errno;
	send(j->fd, "END", 3, MSG_NOSIGNAL);
	return NULL;
}

static void
job_start(struct job *j)
{
	if (pthread_create(&j->t, NULL, job_run, j) != 0)
		die("pthread_create");
}

/* ---- 1: message boundaries and the largest message --------------------- */

struct sized {
	ssize_t sent;	/* send's result */
	int serr;
	ssize_t got;	/* the first recvmsg's result: the message, or END */
	int mflags;
	int whole;	/* got == size, content intact */
	int lost;	/* the first message received was END */
};

/* One message of `size` bytes to a receiver with a buffer of 2 MiB. */
static struct sized
one_message(size_t size, uint64_t rbufsz, uint64_t sbufsz,
    const char *key)
{
	struct job j = { .len = size, .shut = -1 };
	struct sized s = { 0 };
	int c, a, fl, ge;

	mkpair(SOCK_SEQPACKET, rbufsz, sbufsz, &c, &a);
	pattern(sbuf, size, (unsigned int)size);
	j.fd = c;
	job_start(&j);
	s.got = rmsg(a, rbuf, BIG, 0, &s.mflags);
	ge = errno;
	if (s.got == 3 && size != 3 && memcmp(rbuf, "END", 3) == 0) {
		s.lost = 1;
	} else if (s.got >= 0) {
		s.whole = (size_t)s.got == size &&
		    is_pattern(rbuf, size, (unsigned int)size);
		rmsg(a, rbuf, BIG, 0, &fl);	/* END */
	}
	pthread_join(j.t, NULL);
	s.sent = j.r;
	s.serr = j.err;
	fact(key, "send=%s recv=%s eor=%d trunc=%d whole=%d",
	    res(s.sent, s.serr), res(s.got, ge), !!(s.mflags & MSG_EOR),
	    !!(s.mflags & MSG_TRUNC), s.whole);
	close(c);
	close(a);
	return s;
}

/*
 * A message over the limit: EMSGSIZE from the transport, which 6.1's
 * vsock_connectible_sendmsg reports as ENOMEM (6.12 passes it on).
 */
static int
too_big(int e)
{
	return e == EMSGSIZE || (fam == AF_VSOCK && e == ENOMEM);
}

static void
t_sizes(void)
{
	static const size_t sizes[] = { 1, 4095, 4096, 65536, 262144,
	    262145, MIB };
	size_t k, lim = fam == AF_VSOCK ? 262144 : 0;
	struct sized s;
	char key[64];
	int all_whole = 1, all_eor = 1;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		snprintf(key, sizeof(key), "size.%zu", sizes[k]);
		s = one_message(sizes[k], 0, 0, key);
		if (s.sent < 0)
			continue;
		all_whole &= s.whole;
		all_eor &= !!(s.mflags & MSG_EOR);
		if (fam == AF_VSOCK && sizes[k] > lim)
			check(0, "a %zu-byte message is refused by a default "
			    "receiver", sizes[k]);
	}
	check(all_whole, "every message sent arrives whole in one recvmsg");
	if (fam == AF_VSOCK) {
		s = one_message(262144, 0, 0, "limit.default_262144");
		check(s.whole, "262144 bytes (the default buffer) go through");
		s = one_message(262145, 0, 0, "limit.default_262145");
		check(s.sent < 0 && too_big(s.serr) && s.lost, "262145 "
		    "bytes fail with EMSGSIZE (6.1: ENOMEM), nothing "
		    "delivered");
		s = one_message(MIB, 2 * MIB, 2 * MIB, "limit.both2M_1M");
		check(s.whole, "1 MiB goes through when both ends' "
		    "SO_VM_SOCKETS_BUFFER_SIZE are 2 MiB");
		s = one_message(MIB, 2 * MIB, 0, "limit.rcv2M_1M");
		check(s.sent < 0 && too_big(s.serr), "1 MiB fails when only "
		    "the receiver's buffer is 2 MiB");
		s = one_message(MIB, 0, 2 * MIB, "limit.snd2M_1M");
		check(s.sent < 0 && too_big(s.serr), "1 MiB fails when only "
		    "the sender's buffer is 2 MiB");
		s = one_message(65536, 4096, 0, "limit.rcv4k_65536");
		check(s.sent < 0 && too_big(s.serr) && s.lost,
		    "65536 bytes fail to a 4 KiB receiver");
		s = one_message(4096, 4096, 0, "limit.rcv4k_4096");
		check(s.whole, "4096 bytes go through to a 4 KiB receiver");
		s = one_message(65536, 0, 4096, "limit.snd4k_65536");
		check(s.sent < 0 && too_big(s.serr) && s.lost, "65536 bytes "
		    "fail from a 4 KiB sender: the sender's own buffer "
		    "bounds its messages too");
	}
	fact("size.all_eor", "%d", all_eor);
}

/* UNIX: the largest message, by bisection, for a given SO_SNDBUF. */
static void
unix_limit(int sndbuf, const char *key)
{
	size_t lo = 1, hi = 4 * MIB, mid;
	int c, a, v = 0;
	socklen_t vl = sizeof(v);
	ssize_t r;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		mkpair(SOCK_SEQPACKET, 0, (uint64_t)sndbuf, &c, &a);
		r = send(c, sbuf, mid, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r == (ssize_t)mid)
			lo = mid;
		else
			hi = mid;
		getsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, &vl);
		close(c);
		close(a);
	}
	/* hi failed: with what? */
	mkpair(SOCK_SEQPACKET, 0, (uint64_t)sndbuf, &c, &a);
	r = send(c, sbuf, hi, MSG_DONTWAIT | MSG_NOSIGNAL);
	fact(key, "SO_SNDBUF_set=%d SO_SNDBUF_got=%d largest=%zu "
	    "largest_plus_1=%s", sndbuf, v, lo, res(r, errno));
	check(lo == (size_t)v - 32 && r < 0 && errno == EMSGSIZE,
	    "largest message is SO_SNDBUF - 32 (%d - 32), one more is "
	    "EMSGSIZE", v);
	close(c);
	close(a);
}

/*
 * vsock: a non-blocking send of a message larger than the room left at
 * the receiver (but within its buffer).
 */
static void
t_nonblocking_partial(void)
{
	int c, a, fl;
	ssize_t r1, r2, g1, g2, r3, g3;
	int e2, e3, eg2;

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	pattern(sbuf, 200000, 1);
	r1 = send(c, sbuf, 200000, MSG_DONTWAIT | MSG_NOSIGNAL);
	r2 = send(c, sbuf, 200000, MSG_DONTWAIT | MSG_NOSIGNAL);
	e2 = errno;
	g1 = rmsg(a, rbuf, BIG, 0, &fl);
	g2 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	eg2 = errno;
	r3 = send(c, "xyz", 3, MSG_NOSIGNAL);
	e3 = errno;
	g3 = rmsg(a, rbuf, BIG, 0, &fl);
	fact("nonblock.overfill", "send1=%s send2=%s recv1=%s "
	    "recv2_dontwait=%s send3(3B)=%s recv3=%s", res(r1, 0),
	    res(r2, e2), res(g1, 0), res(g2, eg2), res(r3, e3), res(g3, 0));
	/*
	 * Measured on 6.1 and 6.12: the send fails with EAGAIN after
	 * queueing as much as the receiver had room for, without an end of
	 * message; the next message sent completes it.  A relay must not
	 * let a SOCK_SEQPACKET send stop half way (DESIGN.md).
	 */
	check(r1 == 200000 && r2 < 0 && e2 == EAGAIN && g1 == 200000 &&
	    g2 < 0 && eg2 == EAGAIN && r3 == 3 && g3 == 262144 - 200000 + 3,
	    "a non-blocking send that fails with EAGAIN leaves the head of "
	    "its message queued, and the next message is glued to it");
	close(c);
	close(a);
}

/* ---- 2: MSG_EOR ---------------------------------------------------------- */

static void
t_eor(void)
{
	int c, a, f0, f1, f2;
	ssize_t g0, g1, g2;

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	send(c, "a", 1, MSG_NOSIGNAL);
	send(c, "bb", 2, MSG_EOR | MSG_NOSIGNAL);
	send(c, "ccc", 3, MSG_NOSIGNAL);
	g0 = rmsg(a, rbuf, BIG, 0, &f0);
	g1 = rmsg(a, rbuf, BIG, 0, &f1);
	g2 = rmsg(a, rbuf, BIG, 0, &f2);
	fact("eor", "without_MSG_EOR=%s:%d with_MSG_EOR=%s:%d after=%s:%d "
	    "(length:EOR-in-msg_flags)", res(g0, 0), !!(f0 & MSG_EOR),
	    res(g1, 0), !!(f1 & MSG_EOR), res(g2, 0), !!(f2 & MSG_EOR));
	check(g0 == 1 && g1 == 2 && g2 == 3,
	    "MSG_EOR on send does not change message boundaries");
	if (fam == AF_VSOCK)
		check(!(f0 & MSG_EOR) && (f1 & MSG_EOR) && !(f2 & MSG_EOR),
		    "msg_flags has MSG_EOR exactly when the sender passed it "
		    "(a relay must pass it on)");
	close(c);
	close(a);
}

/* ---- 3: MSG_TRUNC, MSG_PEEK ----------------------------------------------- */

/* One recvmsg: result, errno, msg_flags. */
struct rr {
	ssize_t r;
	int e;
	int fl;
};

static struct rr
rx(int fd, size_t len, int flags)
{
	struct rr x;

	x.r = rmsg(fd, rbuf, len, flags, &x.fl);
	x.e = errno;
	return x;
}

static const char *
rs(struct rr x)
{
	return res(x.r, x.e);
}

static void
t_trunc(void)
{
	static const size_t lens[] = { 100, 50, 100, 30, 20, 40 };
	struct rr g1, g2, g3, g4, g5, g6, g7;
	int c, a;
	size_t k;

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		pattern(sbuf, lens[k], (unsigned int)k);
		send(c, sbuf, lens[k], MSG_NOSIGNAL);
	}
	g1 = rx(a, 10, 0);			/* 100 into 10 */
	g2 = rx(a, BIG, 0);			/* the 50 */
	g3 = rx(a, 10, MSG_TRUNC);		/* 100, MSG_TRUNC */
	g4 = rx(a, 10, MSG_PEEK | MSG_TRUNC);	/* the 30 */
	g5 = rx(a, BIG, 0);			/* 30 if not consumed */
	g6 = rx(a, BIG, MSG_PEEK);		/* the 20 */
	g7 = rx(a, BIG, MSG_DONTWAIT);		/* 20 again? */
	fact("trunc.small_buffer", "recv=%s MSG_TRUNC=%d next=%s", rs(g1),
	    !!(g1.fl & MSG_TRUNC), rs(g2));
	fact("trunc.flag_MSG_TRUNC", "recv=%s MSG_TRUNC=%d", rs(g3),
	    !!(g3.fl & MSG_TRUNC));
	fact("trunc.peek_trunc", "recv=%s MSG_TRUNC=%d then_recv=%s",
	    rs(g4), !!(g4.fl & MSG_TRUNC), rs(g5));
	fact("trunc.peek", "recv=%s then_recv=%s", rs(g6), rs(g7));
	check(g1.r == 10 && (g1.fl & MSG_TRUNC) && g2.r == 50,
	    "a short buffer gets the head, MSG_TRUNC, the rest is dropped");
	check(g3.r == 100 && (g3.fl & MSG_TRUNC),
	    "recv(MSG_TRUNC) returns the real length (100)");
	/* 6.1: MSG_PEEK is refused (EOPNOTSUPP, reported as ENOMEM). */
	check(g5.r == 30 && g7.r == 20 &&
	    (g4.r == 30 || (g4.r < 0 && g4.e == ENOMEM)) &&
	    (g6.r == 20 || (g6.r < 0 && g6.e == ENOMEM)),
	    "MSG_PEEK(|MSG_TRUNC) never consumes: it gives the (real) "
	    "length, or fails (6.1: ENOMEM)");
	close(c);
	close(a);
}

/* ---- 4: zero-length messages ------------------------------------------------ */

/* UNIX: recvmsg with SO_PASSCRED; *cred = SCM_CREDENTIALS came with it. */
static ssize_t
recv_cred(int fd, int *cred)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { rbuf, BIG };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	ssize_t r;

	*cred = 0;
	r = recvmsg(fd, &m, MSG_DONTWAIT);
	if (r >= 0)
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_CREDENTIALS)
				*cred = 1;
	return r;
}

static void
t_zero(void)
{
	int c, a, fl, cr0, cr1, cr2, one = 1, k;
	ssize_t s0, s1, g0, g1, g2, z;
	int e0, eg0, ez;

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	/* recv with a zero-length buffer while a message waits */
	send(c, "q", 1, MSG_NOSIGNAL);
	sleep_ms(50);
	z = rmsg(a, rbuf, 0, MSG_DONTWAIT, &fl);
	ez = errno;
	g0 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	fact("zero.recv_len0", "recv(len 0)=%s then_recv=%s", res(z, ez),
	    res(g0, errno));

	s0 = send(c, sbuf, 0, MSG_NOSIGNAL);
	e0 = errno;
	s1 = send(c, sbuf, 0, MSG_EOR | MSG_NOSIGNAL);
	sleep_ms(50);
	g0 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	eg0 = errno;
	send(c, "hello", 5, MSG_NOSIGNAL);
	g1 = rmsg(a, rbuf, BIG, 0, &fl);
	fact("zero.send", "send(0)=%s send(0,MSG_EOR)=%s "
	    "recv_dontwait=%s next=%s", res(s0, e0), res(s1, errno),
	    res(g0, eg0), res(g1, 0));
	if (fam == AF_VSOCK) {
		check(s0 == 0 && g0 < 0 && eg0 == EAGAIN && g1 == 5,
		    "send of 0 bytes returns 0 and delivers nothing");
	} else {
		check(s0 == 0 && g0 == 0, "send of 0 bytes delivers an "
		    "empty message (recv returns 0)");
		for (k = 0; k < 10 && rmsg(a, rbuf, BIG, MSG_DONTWAIT,
		    &fl) >= 0; k++)
			;	/* the second empty message, "hello" */
		setsockopt(a, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		send(c, sbuf, 0, MSG_NOSIGNAL);
		g0 = recv_cred(a, &cr0);
		shutdown(c, SHUT_WR);
		g1 = recv_cred(a, &cr1);
		g2 = recv_cred(a, &cr2);
		fact("zero.passcred", "empty_message=%s:cred=%d "
		    "eof=%s:cred=%d eof_again=%s:cred=%d", res(g0, 0), cr0,
		    res(g1, 0), cr1, res(g2, 0), cr2);
		check(g0 == 0 && cr0 && g1 == 0 && !cr1, "with SO_PASSCRED an "
		    "empty message carries SCM_CREDENTIALS, EOF does not");
	}
	close(c);
	close(a);
}

/* ---- 5: shutdown and close ------------------------------------------------------- */

/* Wait (up to 3 s) until fd shows one of `want`; the events then. */
static uint32_t
wait_events(int fd, short want, long *ms)
{
	struct pollfd p = { fd, want, 0 };
	long t0 = now_ms();

	if (poll(&p, 1, 3000) <= 0)
		p.revents = 0;
	*ms = now_ms() - t0;
	p.events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP;
	poll(&p, 1, 0);
	return poll_to_ep((short)p.revents);
}

static void
t_shut_wr(int use_close)
{
	int c, a, fl;
	ssize_t g1, g2, g3, g4, b;
	uint32_t ev;
	long ms;
	const char *how = use_close ? "close" : "shut_wr";

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	send(c, "one", 3, MSG_NOSIGNAL);
	send(c, "two!", 4, MSG_NOSIGNAL);
	if (use_close)
		close(c);
	else
		shutdown(c, SHUT_WR);
	ev = wait_events(a, POLLRDHUP, &ms);
	g1 = rmsg(a, rbuf, BIG, 0, &fl);
	g2 = rmsg(a, rbuf, BIG, 0, &fl);
	g3 = rmsg(a, rbuf, BIG, 0, &fl);
	g4 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	b = send(a, "back", 4, MSG_NOSIGNAL);
	fact(how, "reader_events=%s recv=%s,%s,%s,%s reader_sends_back=%s",
	    evs(ev), res(g1, 0), res(g2, 0), res(g3, errno), res(g4, errno),
	    res(b, errno));
	check(g1 == 3 && g2 == 4 && g3 == 0 && g4 == 0 && (ev & EPOLLRDHUP),
	    "after the peer's %s: EPOLLRDHUP, the queued messages, then 0",
	    use_close ? "close()" : "shutdown(SHUT_WR)");
	if (!use_close) {
		g1 = rmsg(c, rbuf, BIG, 0, &fl);
		check(b == 4 && g1 == 4, "SHUT_WR is a half-close: the other "
		    "way still works");
		close(c);
	}
	close(a);
}

static void
t_shut_rd_receiver(void)
{
	int c, a, fl;
	ssize_t s0, s1, g0, g1;
	int e0, e1;

	mkpair(SOCK_SEQPACKET, 0, 0, &c, &a);
	send(c, "early", 5, MSG_NOSIGNAL);
	sleep_ms(50);
	shutdown(a, SHUT_RD);
	s0 = send(c, "now", 3, MSG_NOSIGNAL);
	e0 = errno;
	sleep_ms(300);
	s1 = send(c, "late", 4, MSG_NOSIGNAL);
	e1 = errno;
	g0 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	g1 = rmsg(a, rbuf, BIG, MSG_DONTWAIT, &fl);
	fact("shut_rd", "send_at_once=%s send_300ms_later=%s "
	    "receiver_recv=%s,%s (a message was queued before)",
	    res(s0, e0), res(s1, e1), res(g0, errno), res(g1, errno));
	check(s1 < 0 && e1 == EPIPE, "after the receiver's shutdown(SHUT_RD) "
	    "the sender's send fails with EPIPE");
	if (fam == AF_VSOCK)
		check(g0 == 0, "after its own shutdown(SHUT_RD) recv returns "
		    "0, queued messages or not");
	close(c);
	close(a);
}

/* ---- 6: can a relay learn that its peer shut down reading? --------------------- */

static int
ep_new(int fd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
		die("epoll");
	return ep;
}

static uint32_t
ep_wait(int ep, int ms, long *took)
{
	struct epoll_event e;
	long t0 = now_ms();
	int n;

	n = epoll_wait(ep, &e, 1, ms);
	if (took)
		*took = now_ms() - t0;
	return n > 0 ? e.events : 0;
}

static uint32_t
poll_all(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLPRI | POLLOUT | POLLRDHUP, 0 };

	poll(&p, 1, 0);
	return poll_to_ep((short)p.revents);
}

static const char *
probe0(int fd)
{
	ssize_t r = send(fd, "", 0, MSG_NOSIGNAL | MSG_DONTWAIT);

	return res(r, errno);
}

/*
 * r is the relay's socket, s the server; the server shuts down reading
 * after 300 ms while the relay waits in epoll_wait (3 s) on `waitev`.
 */
static void
shut_rd_seen(int type, const char *tname)
{
	static const char *const names[] = { "lt_in_rdhup_pri",
	    "et_in_rdhup_pri", "et_out" };
	static const uint32_t sets[] = { EPOLLIN | EPOLLRDHUP | EPOLLPRI,
	    EPOLLET | EPOLLIN | EPOLLRDHUP | EPOLLPRI,
	    EPOLLET | EPOLLOUT };
	struct job j = { .delay_ms = 300, .shut = SHUT_RD };
	uint32_t ev0, ev1, evlt_out, pl0, pl1;
	const char *z0, *z1;
	char key[64];
	int r, s, ep, ep_out, k;
	long took;
	ssize_t one;

	for (k = 0; k < 3; k++) {
		mkpair(type, 0, 0, &r, &s);
		ep = ep_new(r, sets[k]);
		ep_out = ep_new(r, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
		ev0 = ep_wait(ep, 0, NULL);	/* an ET edge is used up here */
		pl0 = poll_all(r);
		z0 = probe0(r);
		j.fd = s;
		job_start(&j);
		ev1 = ep_wait(ep, 3000, &took);
		pthread_join(j.t, NULL);
		sleep_ms(100);
		evlt_out = ep_wait(ep_out, 0, NULL);
		pl1 = poll_all(r);
		z1 = probe0(r);
		one = send(r, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		snprintf(key, sizeof(key), "%s.peer_shut_rd.%s", tname,
		    names[k]);
		fact(key, "before=%s wait=%s after_%ldms (server shut down at "
		    "300ms) poll_before=%s poll_after=%s epoll_lt_out_after=%s "
		    "send0_before=%s send0_after=%s send1_after=%s",
		    evs(ev0), evs(ev1), took, evs(pl0), evs(pl1),
		    evs(evlt_out), z0, z1, res(one, errno));
		if (k == 0) {
			check(ev1 == 0 && took >= 2900, "%s: the peer's "
			    "SHUT_RD wakes no epoll_wait for "
			    "IN|RDHUP|PRI", tname);
			check((pl0 & ~EPOLLOUT) == (pl1 & ~EPOLLOUT), "%s: "
			    "poll() shows nothing new after the peer's "
			    "SHUT_RD (%s, then %s)", tname, evs(pl0),
			    evs(pl1));
			check(strcmp(z0, "0") == 0 &&
			    strcmp(z1, "-1/EPIPE") == 0, "%s: a 0-byte send "
			    "returns 0 before the peer's SHUT_RD, EPIPE "
			    "after", tname);
		}
		if (k == 2)
			check(ev1 == EPOLLOUT && took < 2900, "%s: an "
			    "edge-triggered EPOLLOUT registration is woken "
			    "(EPOLLOUT again) by the peer's SHUT_RD", tname);
		close(ep);
		close(ep_out);
		close(r);
		close(s);
	}
}

/* ---- main ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: vsp-seqprobe unix\n"
	    "       vsp-seqprobe vsock --in-guest [--port N]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct utsname u;
	int i, in_guest = 0;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "unix") == 0) {
		fam = AF_UNIX;
		pfx = "unix";
	} else if (strcmp(argv[1], "vsock") == 0) {
		fam = AF_VSOCK;
		pfx = "vsock";
	} else {
		usage();
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--in-guest") == 0)
			in_guest = 1;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			next_port = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			usage();
	}
	if (fam == AF_VSOCK && !in_guest)
		usage();
	sbuf = malloc(BIG);
	rbuf = malloc(BIG);
	if (!sbuf || !rbuf)
		die("malloc");
	uname(&u);
	printf("# %s.kernel=%s\n", pfx, u.release);

	t_sizes();
	if (fam == AF_UNIX) {
		unix_limit(0, "limit.default");
		unix_limit(65536, "limit.sndbuf_64k");
	} else {
		t_nonblocking_partial();
	}
	t_eor();
	t_trunc();
	t_zero();
	t_shut_wr(0);
	t_shut_wr(1);
	t_shut_rd_receiver();
	shut_rd_seen(SOCK_STREAM, "stream");
	shut_rd_seen(SOCK_SEQPACKET, "seqpacket");
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
