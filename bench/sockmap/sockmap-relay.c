/*
 * sockmap-relay: a throw-away prototype, not part of the daemon (see
 * README.md here and DESIGN.md, "BPF sockmap: measured, stays out").
 *
 * It answers one question: can a relay take itself out of the byte path
 * by putting both sockets of a connection into BPF sockmaps whose
 * sk_skb stream verdict programs redirect each socket's incoming data to
 * the egress of the other?  It serves one connection at a time: accept,
 * connect to the target, insert both sockets, then only watch them for
 * EOF, which a redirect does not carry, and pass EOF on with
 * shutdown(SHUT_WR).  Anything a socket received before it joined its
 * map, or that the verdict program left on its queue, shows up as
 * readable data and is copied here ("user" bytes in the close line), so
 * that the line tells how much of the stream the kernel really moved.
 *
 * Usage: sockmap-relay [-e MS] [-n CONNS] [-c] LISTEN CONNECT
 *   LISTEN   vsock:PORT | tcp:PORT (127.0.0.1)
 *   CONNECT  vsock:CID:PORT | tcp:PORT (127.0.0.1)
 *   -e MS    wait MS ms after an EOF before passing it on (0: at once)
 *   -n N     exit after N connections (default: run until killed)
 *   -c       copy mode: no BPF, a plain poll + recv/send relay
 *   -v       say on stderr what every recv and EOF did
 * One line per connection on stdout:
 *   close up=B down=B bpf_up=B bpf_down=B user_up=B user_down=B
 *         skbs_up=N skbs_down=N redir_fail_up=N redir_fail_down=N
 *         cookie_up=C cookie_down=C ms=T
 *
 * vsock is meant to be used only inside the vmtest guests.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/vm_sockets.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sockmap-relay.skel.h"

struct side {
	int fd;
	int eof;		/* read 0 */
	uint64_t user;		/* bytes copied here, not by BPF */
};

static long eof_delay_ms;
static int copy_mode;
static int verbose;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
parse(const char *s, int listen_side, struct sockaddr_storage *ss,
    socklen_t *len)
{
	unsigned cid, port;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(s, "tcp:", 4) == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(atoi(s + 4));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);
		return 0;
	}
	if (strncmp(s, "vsock:", 6) == 0) {
		struct sockaddr_vm *vm = (struct sockaddr_vm *)ss;

		vm->svm_family = AF_VSOCK;
		if (listen_side && sscanf(s + 6, "%u", &port) == 1) {
			vm->svm_cid = VMADDR_CID_ANY;
		} else if (sscanf(s + 6, "%u:%u", &cid, &port) == 2) {
			vm->svm_cid = cid;
		} else {
			return -1;
		}
		vm->svm_port = port;
		*len = sizeof(*vm);
		return 0;
	}
	return -1;
}

/*
 * Copy what is readable on a to b; 0 at EOF, -1 on error, else 1.
 * rdhup: poll said the peer has shut down.  On a vsock socket in a
 * sockmap a non-blocking recv() at EOF fails with EAGAIN instead of
 * returning 0 (vsock_bpf_recvmsg), so POLLRDHUP with nothing to read is
 * the EOF.
 */
static int
copy_some(struct side *a, struct side *b, int rdhup)
{
	char buf[262144];
	ssize_t n, off, w;

	n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (verbose)
		fprintf(stderr, "sockmap-relay: recv fd %d: %zd %s%s\n", a->fd,
		    n, n < 0 ? strerror(errno) : "", rdhup ? " (rdhup)" : "");
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN ? (rdhup ? 0 : 1) : -1;
	for (off = 0; off < n; off += w) {
		w = send(b->fd, buf + off, n - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct pollfd p = { b->fd, POLLOUT, 0 };

				poll(&p, 1, 1000);
				w = 0;
				continue;
			}
			return -1;
		}
	}
	a->user += n;
	return 1;
}

/*
 * Pass an EOF read on "from" on to "to".  Returns 1 when "from" was
 * closed rather than shut down for writing (on vsock a zero-length send
 * to it fails with EPIPE, DESIGN.md): the relay then ends both.
 */
static int
pass_eof(struct side *from, struct side *to)
{
	int closed;

	if (eof_delay_ms > 0)
		usleep(eof_delay_ms * 1000);
	shutdown(to->fd, SHUT_WR);
	closed = send(from->fd, "", 0, MSG_NOSIGNAL) < 0 && errno == EPIPE;
	if (verbose)
		fprintf(stderr, "sockmap-relay: EOF on fd %d passed to fd %d;"
		    " %s\n", from->fd, to->fd, closed ? "closed (EPIPE)" :
		    "half-closed");
	return closed;
}

static void
relay(struct smr *skel, int cfd, int tfd)
{
	struct side c = { cfd, 0, 0 }, t = { tfd, 0, 0 };
	uint64_t v[8] = { 0 };
	uint32_t k, zero = 0;
	double t0 = now_ms();
	int mc = -1, mt = -1, i;

	if (!copy_mode) {
		mc = bpf_map__fd(skel->maps.map_c);
		mt = bpf_map__fd(skel->maps.map_t);
		for (k = 0; k < 8; k++)
			bpf_map_update_elem(bpf_map__fd(skel->maps.counters),
			    &k, &v[k], BPF_ANY);
		/* The maps' values are 8 bytes: the fd as a u64. */
		uint64_t tv = tfd, cv = cfd;

		if (bpf_map_update_elem(mt, &zero, &tv, BPF_ANY) < 0 ||
		    bpf_map_update_elem(mc, &zero, &cv, BPF_ANY) < 0) {
			fprintf(stderr, "sockmap-relay: map update: %s\n",
			    strerror(errno));
			return;
		}
	}
	while (!(c.eof && t.eof)) {
		struct pollfd p[2] = {
			{ cfd, c.eof ? 0 : POLLIN | POLLRDHUP, 0 },
			{ tfd, t.eof ? 0 : POLLIN | POLLRDHUP, 0 },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) {
			i = copy_some(&c, &t, p[0].revents & POLLRDHUP);
			if (i <= 0) {
				c.eof = 1;
				if (pass_eof(&c, &t))
					break;
			}
		}
		if (p[1].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) {
			i = copy_some(&t, &c, p[1].revents & POLLRDHUP);
			if (i <= 0) {
				t.eof = 1;
				if (pass_eof(&t, &c))
					break;
			}
		}
	}
	if (!copy_mode) {
		for (k = 0; k < 8; k++)
			bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters),
			    &k, &v[k]);
		bpf_map_delete_elem(mc, &zero);
		bpf_map_delete_elem(mt, &zero);
	}
	printf("close up=%llu down=%llu bpf_up=%llu bpf_down=%llu "
	    "user_up=%llu user_down=%llu skbs_up=%llu skbs_down=%llu "
	    "redir_fail_up=%llu redir_fail_down=%llu cookie_up=%llu "
	    "cookie_down=%llu ms=%.0f\n",
	    (unsigned long long)(v[0] + c.user),
	    (unsigned long long)(v[1] + t.user),
	    (unsigned long long)v[0], (unsigned long long)v[1],
	    (unsigned long long)c.user, (unsigned long long)t.user,
	    (unsigned long long)v[2], (unsigned long long)v[3],
	    (unsigned long long)v[4], (unsigned long long)v[5],
	    (unsigned long long)v[6], (unsigned long long)v[7],
	    now_ms() - t0);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage la, ta;
	socklen_t ll, tl;
	struct smr *skel = NULL;
	long conns = 0, served = 0;
	int opt, lfd, one = 1;

	while ((opt = getopt(argc, argv, "ce:n:v")) != -1) {
		switch (opt) {
		case 'c': copy_mode = 1; break;
		case 'e': eof_delay_ms = atol(optarg); break;
		case 'n': conns = atol(optarg); break;
		case 'v': verbose = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || parse(argv[optind], 1, &la, &ll) < 0 ||
	    parse(argv[optind + 1], 0, &ta, &tl) < 0)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	if (!copy_mode) {
		skel = smr__open_and_load();
		if (skel == NULL) {
			fprintf(stderr, "sockmap-relay: cannot load BPF: %s\n",
			    strerror(errno));
			return 1;
		}
		if (bpf_prog_attach(bpf_program__fd(skel->progs.up),
		    bpf_map__fd(skel->maps.map_c),
		    BPF_SK_SKB_STREAM_VERDICT, 0) < 0 ||
		    bpf_prog_attach(bpf_program__fd(skel->progs.down),
		    bpf_map__fd(skel->maps.map_t),
		    BPF_SK_SKB_STREAM_VERDICT, 0) < 0) {
			fprintf(stderr, "sockmap-relay: attach: %s\n",
			    strerror(errno));
			return 1;
		}
	}
	lfd = socket(la.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, ll) < 0 ||
	    listen(lfd, 64) < 0) {
		fprintf(stderr, "sockmap-relay: listen %s: %s\n",
		    argv[optind], strerror(errno));
		return 1;
	}
	fprintf(stderr, "sockmap-relay: listening on %s (%s)\n",
	    argv[optind], copy_mode ? "copy" : "sockmap");
	while (conns == 0 || served < conns) {
		int cfd, tfd;

		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		tfd = socket(ta.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (tfd < 0 || connect(tfd, (struct sockaddr *)&ta, tl) < 0) {
			fprintf(stderr, "sockmap-relay: connect %s: %s\n",
			    argv[optind + 1], strerror(errno));
			close(cfd);
			if (tfd >= 0)
				close(tfd);
			continue;
		}
		relay(skel, cfd, tfd);
		close(cfd);
		close(tfd);
		served++;
	}
	close(lfd);
	smr__destroy(skel);
	return 0;
usage:
	fprintf(stderr, "usage: sockmap-relay [-cv] [-e MS] [-n CONNS] "
	    "LISTEN CONNECT\n");
	return 64;
}
