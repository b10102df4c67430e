/*
 * peeropts: vsp-peer's command line, "listen|connect ADDR [options]",
 * read into one struct that the rest of the program only reads.  Every
 * mistake is a usage error (exit 64) naming the option, before anything
 * is opened.
 */
#ifndef PEEROPTS_H
#define PEEROPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peeraddr.h"

#define PEER_NONE	UINT64_MAX	/* an offset or port: not given */
#define PEER_MSG_DEFAULT_MAX	(64 * 1024)	/* --msg-size 0-64k */

enum peer_order {
	ORDER_DUPLEX,		/* send and receive at the same time */
	ORDER_SEND_FIRST,	/* send all, end, then read to EOF */
	ORDER_RECV_FIRST,	/* read to EOF, then send all, end */
	ORDER_RANDOM		/* one of the above per connection */
};

enum peer_end {
	END_SHUTDOWN,		/* shutdown(SHUT_WR), then read to EOF */
	END_CLOSE		/* close() at once */
};

/* How the --hybrid-vmm stand-in answers "CONNECT PORT\n". */
enum peer_vmm {
	VMM_NONE,		/* not a stand-in */
	VMM_OK,			/* "OK N\n", then the usual exchange */
	VMM_OK_DATA,		/* ... sent with the first stream bytes */
	VMM_WRONG,		/* "FAILURE\n", then wait for EOF */
	VMM_SILENT,		/* no reply, wait for EOF */
	VMM_HUGE,		/* 1 MiB of "OK 000...", no newline */
	VMM_CLOSE,		/* close without a reply */
	VMM_PARTIAL		/* "OK 12", then close */
};

/* The port the stand-in's "OK" names, as the VMMs' do. */
#define VMM_HOSTPORT	"1073741824"

struct peer_opts {
	int listen;			/* listen or connect */
	struct peeraddr addr;
	const char *addrstr;
	const char *bindstr;		/* connect: bind to this first */
	struct peeraddr bind;
	uint64_t send;			/* bytes to send per connection */
	uint64_t seed;
	uint64_t expect;		/* PEER_NONE: do not check */
	uint64_t expect_seed;
	enum peer_order order;
	enum peer_end end;
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
	uint64_t corrupt;		/* flip a bit here, or PEER_NONE */
	enum peer_vmm vmm;		/* --hybrid-vmm */
	uint64_t vmm_port;		/* --hybrid-port, PEER_NONE: any */
	uint64_t reset_after;		/* reset once received, PEER_NONE */
	uint64_t vary;			/* random chunks and orders, 0: no */
	int64_t timeout_ms;		/* 0: none */
	/* Message mode: a SOCK_SEQPACKET address (peermsg.c). */
	int msg;
	uint64_t msgs;			/* --msgs: messages to send */
	uint64_t msg_min, msg_max;	/* --msg-size: their sizes */
	uint64_t *msg_sizes;		/* --msg-sizes: exact sizes, or NULL */
	size_t nmsg_sizes;
	uint64_t expect_msgs;		/* PEER_NONE: do not check */
	int expect_closed;		/* the far end must cut it short */
	int verbose;
	int quiet;
};

/*
 * Fill O from the command line after the command word (ARGV[0] is
 * "listen" or "connect").  Exits on a usage error, and after -h or -V.
 */
void peeropts_parse(struct peer_opts *o, int argc, char **argv);

/* The help text. */
void peeropts_usage(FILE *f);

/* "vsp-peer 1.0" */
void peeropts_version(void);

#endif /* PEEROPTS_H */
