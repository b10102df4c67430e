/*
 * vsp-bench: the load generator of `make bench` (bench/run.sh).
 *
 * One program, both ends.  "vsp-bench server ADDR" is an epoll server
 * for every workload; the first byte a client sends picks what it does
 * with that connection:
 *
 *   'E'  echo every byte back, that first one included (ping-pong,
 *        connection setup, idle connections);
 *   'S'  sink: read and discard until EOF, then answer with the byte
 *        count (8 bytes, little endian) and close (bulk client->server);
 *   'D'  source: write 256 KiB blocks until the client goes away (bulk
 *        server->client).
 *
 * The client modes each print one line of name=value fields:
 *
 *   bulk     N parallel streams (one process each, started together),
 *            up or down, BLOCK-sized writes and reads, a byte count or a
 *            duration: mibps; with --cpu-pid, the CPU time (user+sys, its
 *            reaped children included, so a forking socat counts) that
 *            process spent, in seconds and per GiB moved
 *   pingpong 1-byte round trips: median and p99 in microseconds
 *   connrate connect, 1 byte, its echo, close, for a duration: conn/s
 *   idle     K connections opened (each with a 1-byte echo) and held;
 *            --rss-pid's VmRSS before and after, KiB per connection
 *   busy     K connections moving data (half up, half down) for a
 *            duration: mibps and the peak VmRSS of --rss-pid
 *
 * The client and the server raise RLIMIT_NOFILE to the hard limit.
 * Addresses: tcp:HOST:PORT (numeric or [IPv6]), unix:PATH, vsock:PORT
 * (server), vsock:CID:PORT; tests/peeraddr.c parses them, as it does
 * for vsp-peer.  libc only, so that vmtest can copy it into a guest;
 * vsock is meant to be used only inside the test guests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4 */
#endif

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/vm_sockets.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peeraddr.h"

#define BLOCK_MAX	(4u << 20)
#define MAXEV		256

static char *blk;		/* the I/O block, BLOCK_MAX bytes */

static struct {
	struct peeraddr addr;
	uint64_t bytes;		/* bulk: per stream; 0 = use seconds */
	double seconds;
	size_t block;
	int streams;
	int down;
	int splice;
	long iters;
	long conns;
	int cpu_pid;
	int rss_pid;
	const char *ready_file;
} o = { .block = 256 << 10, .streams = 1, .iters = 10000, .conns = 100,
	.seconds = 0 };

static void
die(const char *what)
{

	fprintf(stderr, "vsp-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
diex(const char *what)
{

	fprintf(stderr, "vsp-bench: %s\n", what);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* ---- addresses and sockets -------------------------------------------- */

static void
nodelay(int fd, int family)
{
	int one = 1;

	if (family == AF_INET || family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

static int
dial(void)
{
	int fd;

	if ((fd = socket(o.addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&o.addr.ss, o.addr.len) == -1)
		die("connect");
	nodelay(fd, o.addr.family);
	return (fd);
}

static void
writen(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, c, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		c += n;
		len -= (size_t)n;
	}
}

static void
readn(int fd, void *p, size_t len)
{
	char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = recv(fd, c, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (n == 0)
			diex("recv: unexpected EOF");
		c += n;
		len -= (size_t)n;
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- /proc ------------------------------------------------------------- */

/* user+sys of PID and of its reaped children, in seconds. */
static double
proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, cut, cst;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		diex("cannot read /proc/PID/stat");
	buf[n] = '\0';
	/* Fields after the command name: state is field 3, utime 14. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %llu %llu", &ut, &st, &cut, &cst) != 4)
		diex("cannot parse /proc/PID/stat");
	return ((double)(ut + st + cut + cst) / (double)sysconf(_SC_CLK_TCK));
}

/* Does PID have children?  (a forking socat's are still running) */
static int
has_children(int pid)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int fd, ppid, found = 0;

	if ((d = opendir("/proc")) == NULL)
		return (0);
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == pid)
			found = 1;
	}
	closedir(d);
	return (found);
}

static long
proc_rss_kib(int pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	size_t fl = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		die(path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	fclose(f);
	return (v);
}

/* ---- server ------------------------------------------------------------ */

struct sconn {
	int fd;
	char mode;
	uint64_t n;		/* sink: bytes read */
	char *pend;		/* echo: bytes not yet sent back */
	size_t plen;
	int out;		/* ... so EPOLLOUT is wanted */
};

static void
sconn_close(int ep, struct sconn *c)
{

	(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
}

static int
sconn_events(int ep, struct sconn *c, uint32_t ev)
{
	struct epoll_event e;

	e.events = ev;
	e.data.ptr = c;
	return (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e));
}

/* Echo N bytes of DATA (none: flush what is pending); -1 to close. */
static int
serve_echo(int ep, struct sconn *c, const char *data, size_t n)
{
	ssize_t w;
	char *p;
	int out;

	if (c->plen == 0 && n > 0) {
		w = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && errno != EAGAIN)
			return (-1);
		if (w > 0) {
			data += w;
			n -= (size_t)w;
		}
	} else if (c->plen > 0 && n == 0) {
		w = send(c->fd, c->pend, c->plen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && errno != EAGAIN)
			return (-1);
		if (w > 0) {
			memmove(c->pend, c->pend + w, c->plen - (size_t)w);
			c->plen -= (size_t)w;
		}
	}
	if (n > 0) {
		if ((p = realloc(c->pend, c->plen + n)) == NULL)
			return (-1);
		memcpy(p + c->plen, data, n);
		c->pend = p;
		c->plen += n;
	}
	out = c->plen > 0;
	if (out == c->out)
		return (0);
	c->out = out;
	return (sconn_events(ep, c, EPOLLIN | (out ? EPOLLOUT : 0)));
}

static void
serve_conn(int ep, struct sconn *c, uint32_t ev)
{
	ssize_t n;
	int rounds;

	if (c->mode == 'D') {
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
			n = recv(c->fd, blk, o.block, MSG_DONTWAIT);
			if (n == 0 || (n == -1 && errno != EAGAIN)) {
				sconn_close(ep, c);
				return;
			}
		}
		for (rounds = 0; rounds < 8; rounds++) {
			n = send(c->fd, blk, o.block,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n == -1) {
				if (errno != EAGAIN)
					sconn_close(ep, c);
				return;
			}
		}
		return;
	}
	if (c->mode == 'E' && (ev & EPOLLOUT) &&
	    serve_echo(ep, c, NULL, 0) == -1) {
		sconn_close(ep, c);
		return;
	}
	for (rounds = 0; rounds < 8; rounds++) {
		n = recv(c->fd, blk, o.block, MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (n == 0 && c->mode == 'S') {
				unsigned char le[8];
				int i;

				for (i = 0; i < 8; i++)
					le[i] = (unsigned char)
					    (c->n >> 8 * i);
				(void)send(c->fd, le, 8, MSG_NOSIGNAL);
			}
			sconn_close(ep, c);
			return;
		}
		if (c->mode == 0) {
			c->mode = blk[0];
			if (c->mode == 'D') {
				if (sconn_events(ep, c, EPOLLIN | EPOLLOUT))
					sconn_close(ep, c);
				return;
			}
			if (c->mode == 'S') {
				c->n += (uint64_t)n - 1;
				continue;
			}
			if (c->mode != 'E') {
				sconn_close(ep, c);
				return;
			}
		} else if (c->mode == 'S') {
			c->n += (uint64_t)n;
			continue;
		}
		if (serve_echo(ep, c, blk, (size_t)n) == -1) {
			sconn_close(ep, c);
			return;
		}
	}
}

static void __attribute__((noreturn))
do_server(void)
{
	struct epoll_event ev[MAXEV], e;
	struct sconn *c;
	int ls, ep, fd, i, n, one = 1;

	if ((ls = socket(o.addr.family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	(void)setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o.addr.family == AF_UNIX)
		(void)unlink(((struct sockaddr_un *)&o.addr.ss)->sun_path);
	if (bind(ls, (struct sockaddr *)&o.addr.ss, o.addr.len) == -1)
		die("bind");
	if (listen(ls, 4096) == -1)
		die("listen");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	e.events = EPOLLIN;
	e.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &e) == -1)
		die("epoll_ctl");
	if (o.ready_file != NULL) {
		FILE *f = fopen(o.ready_file, "w");

		if (f == NULL)
			die(o.ready_file);
		fclose(f);
	}
	for (;;) {
		if ((n = epoll_wait(ep, ev, MAXEV, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr != NULL) {
				serve_conn(ep, ev[i].data.ptr, ev[i].events);
				continue;
			}
			while ((fd = accept4(ls, NULL, NULL,
			    SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1) {
				if ((c = calloc(1, sizeof(*c))) == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				nodelay(fd, o.addr.family);
				e.events = EPOLLIN;
				e.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd,
				    &e) == -1) {
					close(fd);
					free(c);
				}
			}
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				perror("vsp-bench: accept");
		}
	}
}

/* ---- bulk -------------------------------------------------------------- */

struct result {
	uint64_t bytes;
	double end;
};

/* --splice: the sink takes the bytes with splice(2) into a pipe and on
 * to /dev/null instead of recv, to see whether a socket family supports
 * splice_read and what it costs (vsock: does it?). */
static void
bulk_splice_sink(int fd, uint64_t want, double deadline, uint64_t *got)
{
	ssize_t n, m, k;
	int p[2], null;

	if (pipe(p) == -1)
		die("pipe");
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		die("/dev/null");
	while (want == 0 || *got < want) {
		size_t len = o.block;

		if (want != 0 && want - *got < len)
			len = (size_t)(want - *got);
		n = splice(fd, NULL, p[1], NULL, len, SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("splice from the socket");
		if (n == 0)
			diex("splice: unexpected EOF");
		for (m = n; m > 0; m -= k)
			if ((k = splice(p[0], NULL, null, NULL, (size_t)m,
			    SPLICE_F_MOVE)) <= 0)
				die("splice to /dev/null");
		*got += (uint64_t)n;
		if (want == 0 && now() >= deadline)
			break;
	}
	close(p[0]);
	close(p[1]);
	close(null);
}

/* One stream, in a child: connected, waits for the start, then moves
 * bytes until the count or the deadline. */
static void
bulk_stream(int gofd, int resfd)
{
	struct result r = { 0, 0 };
	uint64_t want = o.bytes, got;
	unsigned char le[8];
	double deadline;
	ssize_t n;
	char c = o.down ? 'D' : 'S';
	int fd, i;

	fd = dial();
	writen(fd, &c, 1);
	if (read(gofd, &c, 1) != 0)
		_exit(1);
	deadline = now() + o.seconds;
	if (!o.down) {
		while (want == 0 || r.bytes < want) {
			size_t len = o.block;

			if (want != 0 && want - r.bytes < len)
				len = (size_t)(want - r.bytes);
			if ((n = send(fd, blk, len, MSG_NOSIGNAL)) == -1) {
				if (errno == EINTR)
					continue;
				die("send");
			}
			r.bytes += (uint64_t)n;
			if (want == 0 && now() >= deadline)
				break;
		}
		if (shutdown(fd, SHUT_WR) == -1)
			die("shutdown");
		readn(fd, le, 8);
		for (got = 0, i = 7; i >= 0; i--)
			got = got << 8 | le[i];
		if (got != r.bytes)
			diex("the sink did not get every byte");
	} else if (o.splice) {
		bulk_splice_sink(fd, want, deadline, &r.bytes);
	} else {
		while (want == 0 || r.bytes < want) {
			size_t len = o.block;

			if (want != 0 && want - r.bytes < len)
				len = (size_t)(want - r.bytes);
			if ((n = recv(fd, blk, len, 0)) == -1) {
				if (errno == EINTR)
					continue;
				die("recv");
			}
			if (n == 0)
				diex("recv: unexpected EOF");
			r.bytes += (uint64_t)n;
			if (want == 0 && now() >= deadline)
				break;
		}
	}
	r.end = now();
	close(fd);
	if (write(resfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	_exit(0);
}

static int
do_bulk(void)
{
	struct result r;
	uint64_t total = 0;
	double t0, end = 0, cpu0 = 0, cpu1, secs, limit;
	int go[2], res[2], i, st, failed = 0;
	pid_t pid;

	if (pipe(go) == -1 || pipe(res) == -1)
		die("pipe");
	for (i = 0; i < o.streams; i++) {
		if ((pid = fork()) == -1)
			die("fork");
		if (pid == 0) {
			close(go[1]);
			close(res[0]);
			bulk_stream(go[0], res[1]);
		}
	}
	close(go[0]);
	close(res[1]);
	if (o.cpu_pid > 0)
		cpu0 = proc_cpu(o.cpu_pid);
	/* The streams connect, then all start when the pipe closes.  A
	 * stream that is not yet connected simply starts a little late. */
	t0 = now();
	close(go[1]);
	while (read(res[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		total += r.bytes;
		if (r.end > end)
			end = r.end;
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	if (failed || end == 0)
		diex("a stream failed");
	secs = end - t0;
	printf("streams=%d dir=%s bytes=%llu secs=%.3f mibps=%.1f",
	    o.streams, o.down ? "down" : "up", (unsigned long long)total,
	    secs, (double)total / secs / 1048576);
	if (o.cpu_pid > 0) {
		/* A forking relay's CPU time is counted once it has reaped
		 * its children: wait for them (bounded). */
		limit = now() + 5;
		while (has_children(o.cpu_pid) && now() < limit)
			usleep(10000);
		cpu1 = proc_cpu(o.cpu_pid);
		printf(" cpu_s=%.2f cpu_s_per_gib=%.3f", cpu1 - cpu0,
		    (cpu1 - cpu0) / ((double)total / (1 << 30)));
	}
	printf("\n");
	return (0);
}

/* ---- ping-pong, connection rate ---------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static int
do_pingpong(void)
{
	double *t, t0;
	long i, warm = o.iters / 10 + 1;
	char c = 'E';
	int fd;

	if ((t = calloc((size_t)o.iters, sizeof(*t))) == NULL)
		die("calloc");
	fd = dial();
	for (i = -warm; i < o.iters; i++) {
		t0 = now();
		writen(fd, &c, 1);
		readn(fd, &c, 1);
		if (i >= 0)
			t[i] = (now() - t0) * 1e6;
	}
	close(fd);
	qsort(t, (size_t)o.iters, sizeof(*t), cmp_double);
	printf("iters=%ld median_us=%.1f p99_us=%.1f\n", o.iters,
	    t[o.iters / 2], t[o.iters * 99 / 100]);
	free(t);
	return (0);
}

static int
do_connrate(void)
{
	double t0, end;
	long n = 0;
	char c;
	int fd;

	t0 = now();
	end = t0 + o.seconds;
	do {
		fd = dial();
		c = 'E';
		writen(fd, &c, 1);
		readn(fd, &c, 1);
		close(fd);
		n++;
	} while (now() < end);
	printf("conns=%ld secs=%.3f conn_per_s=%.0f\n", n, now() - t0,
	    (double)n / (now() - t0));
	return (0);
}

/* ---- many connections ------------------------------------------------ */

static int
do_idle(void)
{
	long rss0, rss1, i;
	int *fds;
	char c;

	if ((fds = calloc((size_t)o.conns, sizeof(*fds))) == NULL)
		die("calloc");
	rss0 = proc_rss_kib(o.rss_pid, "VmRSS");
	for (i = 0; i < o.conns; i++) {
		fds[i] = dial();
		c = 'E';
		writen(fds[i], &c, 1);
		readn(fds[i], &c, 1);
	}
	rss1 = proc_rss_kib(o.rss_pid, "VmRSS");
	printf("conns=%ld rss0_kib=%ld rss1_kib=%ld kib_per_conn=%.2f\n",
	    o.conns, rss0, rss1, (double)(rss1 - rss0) / (double)o.conns);
	for (i = 0; i < o.conns; i++)
		close(fds[i]);
	free(fds);
	return (0);
}

static int
do_busy(void)
{
	struct pollfd *p;
	uint64_t total = 0;
	double t0, end, next = 0;
	long i, rss0, rss, peak = 0;
	ssize_t n;
	char c;

	if ((p = calloc((size_t)o.conns, sizeof(*p))) == NULL)
		die("calloc");
	rss0 = proc_rss_kib(o.rss_pid, "VmRSS");
	for (i = 0; i < o.conns; i++) {
		p[i].fd = dial();
		c = i % 2 ? 'D' : 'S';
		writen(p[i].fd, &c, 1);
		if (fcntl(p[i].fd, F_SETFL, O_NONBLOCK) == -1)
			die("fcntl");
		p[i].events = i % 2 ? POLLIN : POLLOUT;
	}
	t0 = now();
	end = t0 + o.seconds;
	while (now() < end) {
		if (poll(p, (nfds_t)o.conns, 100) == -1 && errno != EINTR)
			die("poll");
		for (i = 0; i < o.conns; i++) {
			if (p[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				diex("busy: a connection failed");
			if (p[i].revents & POLLOUT)
				n = send(p[i].fd, blk, o.block, MSG_NOSIGNAL);
			else if (p[i].revents & POLLIN)
				n = recv(p[i].fd, blk, o.block, 0);
			else
				continue;
			if (n == 0)
				diex("busy: unexpected EOF");
			if (n == -1 && errno != EAGAIN)
				die("busy");
			if (n > 0)
				total += (uint64_t)n;
		}
		if (now() >= next) {
			if ((rss = proc_rss_kib(o.rss_pid, "VmRSS")) > peak)
				peak = rss;
			next = now() + 0.05;
		}
	}
	printf("conns=%ld secs=%.3f mibps=%.1f rss0_kib=%ld "
	    "rss_peak_kib=%ld\n", o.conns, now() - t0,
	    (double)total / (now() - t0) / 1048576, rss0, peak);
	for (i = 0; i < o.conns; i++)
		close(p[i].fd);
	free(p);
	return (0);
}

/* ---- main -------------------------------------------------------------- */

static uint64_t
size_arg(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	}
	if (*s < '0' || *s > '9' || *end != '\0')
		diex("bad size");
	return (v);
}

static void
usage(void)
{

	fprintf(stderr,
"usage: vsp-bench server ADDR [--ready-file F] [--block N]\n"
"       vsp-bench bulk ADDR [--up|--down] [--streams N] [--bytes N |\n"
"                 --seconds S] [--block N] [--cpu-pid PID] [--splice]\n"
"       vsp-bench pingpong ADDR [--iters N]\n"
"       vsp-bench connrate ADDR --seconds S\n"
"       vsp-bench idle ADDR --conns K --rss-pid PID\n"
"       vsp-bench busy ADDR --conns K --seconds S --rss-pid PID\n"
"ADDR: tcp:HOST:PORT | unix:PATH | vsock:[CID:]PORT\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "up", no_argument, NULL, 'u' },
		{ "splice", no_argument, NULL, 'S' },
		{ "down", no_argument, NULL, 'd' },
		{ "streams", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 's' },
		{ "block", required_argument, NULL, 'B' },
		{ "iters", required_argument, NULL, 'i' },
		{ "conns", required_argument, NULL, 'k' },
		{ "cpu-pid", required_argument, NULL, 'c' },
		{ "rss-pid", required_argument, NULL, 'r' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode, *err;
	int ch;

	if (argc < 3)
		usage();
	mode = argv[1];
	if (peeraddr_parse(argv[2], strcmp(mode, "server") == 0, &o.addr,
	    &err) == -1) {
		fprintf(stderr, "vsp-bench: %s: %s\n", argv[2], err);
		exit(1);
	}
	optind = 3;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.down = 0; break;
		case 'd': o.down = 1; break;
		case 'S': o.splice = 1; break;
		case 'n': o.streams = atoi(optarg); break;
		case 'b': o.bytes = size_arg(optarg); break;
		case 's': o.seconds = atof(optarg); break;
		case 'B': o.block = (size_t)size_arg(optarg); break;
		case 'i': o.iters = atol(optarg); break;
		case 'k': o.conns = atol(optarg); break;
		case 'c': o.cpu_pid = atoi(optarg); break;
		case 'r': o.rss_pid = atoi(optarg); break;
		case 'R': o.ready_file = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || o.block == 0 || o.block > BLOCK_MAX ||
	    o.streams < 1 || o.iters < 1 || o.conns < 1)
		usage();
	if ((blk = calloc(1, BLOCK_MAX)) == NULL)
		die("calloc");
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (strcmp(mode, "server") == 0)
		do_server();
	if (strcmp(mode, "bulk") == 0) {
		if (o.bytes == 0 && o.seconds <= 0)
			usage();
		return (do_bulk());
	}
	if (strcmp(mode, "pingpong") == 0)
		return (do_pingpong());
	if (strcmp(mode, "connrate") == 0 && o.seconds > 0)
		return (do_connrate());
	if (strcmp(mode, "idle") == 0 && o.rss_pid > 0)
		return (do_idle());
	if (strcmp(mode, "busy") == 0 && o.rss_pid > 0 && o.seconds > 0)
		return (do_busy());
	usage();
	return (64);
}
