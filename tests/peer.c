/*
 * vsp-peer: both far ends of a vsockproxy test.
 *
 * A server ("listen") and a client ("connect") that exchange deterministic
 * pseudo-random byte streams and check, byte for byte, that what arrives is
 * what the other end was told to send.  The point is to test a relay from
 * the outside: the relay cannot tell these peers from real ones, and the
 * peers do not need to trust it.
 *
 * The parts: peeropts.c reads the command line, stream.c makes and checks
 * the streams, peerconn.c runs one connection (peermsg.c its messages
 * for a seqpacket address), peervmm.c its hybrid vsock
 * handshake when the server stands in for a VMM (--hybrid-vmm), and
 * peerloop.c drives them all from one poll() loop.  This file sets up and
 * tears down what they share.
 *
 * libc only: no project headers, so that vmtest's guests can run it as
 * built, and "cc -O2 -static -o vsp-peer tests/peer*.c tests/stream.c
 * tests/tool.c" builds it by hand.  Host names are numeric (or
 * "localhost") so that no NSS module is needed; AF_VSOCK addresses are
 * supported for use inside virtual machines.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn.h"
#include "peerloop.h"
#include "peermsg.h"
#include "peeropts.h"
#include "tool.h"

/* Many connections need many descriptors. */
static void
raise_nofile(unsigned long conns)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <
	    (rlim_t)conns + 64 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A command word, or the help or version, which exit here. */
static void
command(int argc, char **argv)
{
	if (argc < 2) {
		peeropts_usage(stderr);
		exit(EX_USAGE);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		peeropts_usage(stdout);
		exit(EX_OK);
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		peeropts_version();
		exit(EX_OK);
	}
	if (strcmp(argv[1], "listen") != 0 && strcmp(argv[1], "connect") != 0)
		tool_usage_error("unknown command '%s'", argv[1]);
}

int
main(int argc, char **argv)
{
	struct peer_opts o;
	struct peer p;
	size_t sendsize, recvsize;
	int rc = EX_OSERR;

	command(argc, argv);
	peeropts_parse(&o, argc - 1, argv + 1);
	memset(&p, 0, sizeof(p));
	p.o = &o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (peerloop_signals() == -1)
		return (EX_OSERR);
	raise_nofile(o.conns);
	sendsize = o.chunk;
	recvsize = o.chunk;
	if (o.msg) {
		if (peermsg_max(&o) > sendsize)
			sendsize = peermsg_max(&o);
		recvsize = PEERMSG_RECV_MAX;
	}
	p.sendbuf = malloc(sendsize == 0 ? 1 : sendsize);
	p.recvbuf = malloc(recvsize);
	/* The first 8 bytes are checked at once, even with --chunk < 8. */
	p.wantbuf = malloc(o.chunk < 8 ? 8 : o.chunk);
	if (p.sendbuf == NULL || p.recvbuf == NULL || p.wantbuf == NULL)
		warnx("out of memory");
	else
		rc = peerloop_run(&p);

	free(p.sendbuf);
	free(p.recvbuf);
	free(p.wantbuf);
	free(o.msg_sizes);
	peerloop_signals_close();
	PEER_DEBUG(&p, "%lu ok, %lu failed, exit %d", p.n_ok, p.n_failed,
	    rc);
	return (rc);
}
