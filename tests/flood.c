/*
 * vsp-flood: the hostile peer and the latency probe of the flood test
 * (tests/e2e-flood.sh), plus the echo server they talk to.
 *
 *   vsp-flood flood ADDR [--bind IPV4] [--seconds S] [--procs N]
 *	connect and close in a tight loop for S seconds (from IPV4, so
 *	that an allow-addr rule turns it away), in N processes at once;
 *	print "connects=N failed=N".
 *   vsp-flood ping ADDR [--count N] [--interval-ms MS] [--fresh]
 *	one connection (or, with --fresh, a new one per probe): send one
 *	byte, wait for it to come back, N times; print "n=N p50_us=...
 *	p99_us=... max_us=..." (with --fresh the time includes the
 *	connect, so it measures how long a new client waits).
 *   vsp-flood echo ADDR [--ready-file PATH]
 *	serve any number of connections, sending back what arrives.
 *
 * libc only, like vsp-peer, and sharing its address syntax.  Exit
 * status: 0 done, 1 a probe failed, 64 usage, 71 set-up error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peeraddr.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAXCONNS 1024

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static void
usage(void)
{

	fprintf(stderr, "usage: vsp-flood flood ADDR [--bind IPV4] "
	    "[--seconds S] [--procs N]\n"
	    "       vsp-flood ping ADDR [--count N] [--interval-ms MS] "
	    "[--fresh]\n"
	    "       vsp-flood echo ADDR [--ready-file PATH]\n");
	exit(64);
}

static int
dial(const struct peeraddr *a, const struct sockaddr_in *from)
{
	int fd, one = 1;

	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (from != NULL) {
		/* The port is picked at connect(2), where a TIME_WAIT one
		 * can be reused: a loop of binds would run out of them. */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		if (bind(fd, (const struct sockaddr *)from,
		    sizeof(*from)) == -1)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	if (a->family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return (fd);
fail:
	close(fd);
	return (-1);
}

static int
flood(const struct peeraddr *a, const char *bindto, uint64_t seconds,
    uint64_t procs)
{
	struct sockaddr_in from, *fp = NULL;
	uint64_t end, n = 0, failed = 0, i;
	unsigned long long cn, cf;
	int fd, p[2];
	FILE *f;

	if (bindto != NULL) {
		memset(&from, 0, sizeof(from));
		from.sin_family = AF_INET;
		if (inet_pton(AF_INET, bindto, &from.sin_addr) != 1)
			usage();
		fp = &from;
	}
	/* Several processes, so that the flood can outrun one daemon. */
	if (pipe(p) == -1)
		return (71);
	for (i = 0; i < procs; i++) {
		if (fork() != 0)
			continue;
		close(p[0]);
		end = now_us() + seconds * 1000000;
		while (now_us() < end) {
			if ((fd = dial(a, fp)) == -1) {
				failed++;
				continue;
			}
			close(fd);
			n++;
		}
		dprintf(p[1], "%llu %llu\n", (unsigned long long)n,
		    (unsigned long long)failed);
		_exit(0);
	}
	close(p[1]);
	if ((f = fdopen(p[0], "r")) == NULL)
		return (71);
	while (fscanf(f, "%llu %llu", &cn, &cf) == 2) {
		n += cn;
		failed += cf;
	}
	fclose(f);
	while (wait(NULL) > 0)
		;
	printf("connects=%llu failed=%llu\n", (unsigned long long)n,
	    (unsigned long long)failed);
	return (0);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a < b ? -1 : a > b);
}

/* One byte there and back; -1 if it did not come back whole. */
static int
probe(int fd, int i)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c = (char)('a' + i % 26), r;

	if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
		return (-1);
	if (poll(&p, 1, 30000) != 1 || recv(fd, &r, 1, 0) != 1 || r != c)
		return (-1);
	return (0);
}

static int
ping(const struct peeraddr *a, uint64_t count, uint64_t interval_ms,
    int fresh)
{
	struct timespec gap = { (time_t)(interval_ms / 1000),
	    (long)(interval_ms % 1000) * 1000000 };
	uint64_t *us, t0, i;
	int fd = -1;

	if (count == 0 || (us = calloc(count, sizeof(*us))) == NULL)
		return (71);
	for (i = 0; i < count; i++) {
		t0 = now_us();
		if (fd == -1 && (fd = dial(a, NULL)) == -1) {
			printf("FAIL connect: %s\n", strerror(errno));
			return (1);
		}
		if (probe(fd, (int)i) == -1) {
			printf("FAIL probe %llu\n", (unsigned long long)i);
			return (1);
		}
		us[i] = now_us() - t0;
		if (fresh) {
			close(fd);
			fd = -1;
		}
		nanosleep(&gap, NULL);
	}
	qsort(us, count, sizeof(*us), cmp_u64);
	printf("n=%llu p50_us=%llu p99_us=%llu max_us=%llu\n",
	    (unsigned long long)count, (unsigned long long)us[count / 2],
	    (unsigned long long)us[count - 1 - count / 100],
	    (unsigned long long)us[count - 1]);
	free(us);
	return (0);
}

static int
echo(const struct peeraddr *a, const char *ready)
{
	struct pollfd p[MAXCONNS];
	char buf[16384];
	ssize_t n;
	nfds_t np = 1, i;
	int fd, rfd, one = 1;

	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		perror("vsp-flood: listen");
		return (71);
	}
	if (ready != NULL && (rfd = open(ready,
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != -1)
		close(rfd);
	p[0].fd = fd;
	p[0].events = POLLIN;
	for (;;) {
		if (poll(p, np, -1) == -1)
			continue;
		if ((p[0].revents & POLLIN) && np < MAXCONNS &&
		    (fd = accept(p[0].fd, NULL, NULL)) != -1) {
			p[np].fd = fd;
			p[np].events = POLLIN;
			p[np++].revents = 0;
		}
		for (i = 1; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			/* Blocking sends: the probes are one byte. */
			if ((n = recv(p[i].fd, buf, sizeof(buf), 0)) <= 0 ||
			    send(p[i].fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
				close(p[i].fd);
				p[i--] = p[--np];
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct peeraddr a;
	const char *err, *bindto = NULL, *ready = NULL;
	uint64_t seconds = 2, count = 100, interval = 10, procs = 1;
	int i, fresh = 0;

	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (peeraddr_parse(argv[2], strcmp(argv[1], "echo") == 0, &a,
	    &err) == -1) {
		fprintf(stderr, "vsp-flood: %s: %s\n", argv[2], err);
		return (64);
	}
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--fresh") == 0)
			fresh = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--bind") == 0)
			bindto = argv[++i];
		else if (strcmp(argv[i], "--ready-file") == 0)
			ready = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0) {
			if (peeraddr_u64(argv[++i], 1, 3600, &seconds) == -1)
				usage();
		} else if (strcmp(argv[i], "--procs") == 0) {
			if (peeraddr_u64(argv[++i], 1, 64, &procs) == -1)
				usage();
		} else if (strcmp(argv[i], "--count") == 0) {
			if (peeraddr_u64(argv[++i], 1, 1000000, &count) == -1)
				usage();
		} else if (strcmp(argv[i], "--interval-ms") == 0) {
			if (peeraddr_u64(argv[++i], 0, 60000, &interval) == -1)
				usage();
		} else
			usage();
	}
	if (strcmp(argv[1], "flood") == 0)
		return (flood(&a, bindto, seconds, procs));
	if (strcmp(argv[1], "ping") == 0)
		return (ping(&a, count, interval, fresh));
	if (strcmp(argv[1], "echo") == 0)
		return (echo(&a, ready));
	usage();
	return (64);
}
