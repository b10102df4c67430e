/*
 * tcp-blast: a TCP loopback throughput probe for quick comparisons (the
 * full benchmark suite is issue #6).  It listens on LPORT as the sink,
 * forks a sender that connects to CPORT and writes MIB mebibytes in
 * 256 KiB blocks, and prints the sink's rate.  CPORT == LPORT measures the
 * direct path; CPORT pointing at a relay to LPORT measures the relay.
 *
 *   cc -O2 -o tcp-blast bench/tcp-blast.c
 *   ./tcp-blast 7101 7101 2048                      # direct
 *   vsockproxy --listen tcp:127.0.0.1:7100 --connect tcp:127.0.0.1:7101 &
 *   ./tcp-blast 7101 7100 2048                      # through the proxy
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static char buf[262144];
int main(int argc, char **argv) {
	int lport = atoi(argv[1]), cport = atoi(argv[2]);
	long long total = atoll(argv[3]) << 20, got = 0, sent = 0;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_port = htons(lport); if (bind(ls, (void *)&a, sizeof a) || listen(ls, 1)) { perror("bind"); return 1; }
	if (fork() == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0); a.sin_port = htons(cport);
		if (connect(c, (void *)&a, sizeof a)) { perror("connect"); _exit(1); }
		while (sent < total) { ssize_t n = write(c, buf, sizeof buf); if (n <= 0) _exit(1); sent += n; }
		close(c); _exit(0);
	}
	int s = accept(ls, NULL, NULL); struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) { ssize_t n = read(s, buf, sizeof buf); if (n <= 0) break; got += n; }
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f MiB/s\n", got / dt / 1048576); return got != total;
}
