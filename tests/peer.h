/*
 * peer: the types every part of vsp-peer shares: the state of one run
 * (struct peer, owned by main) and of one connection (struct peerconn,
 * owned by the loop).  The parts are the modules peerconn (a
 * connection's exchange), peervmm (its hybrid vsock handshake),
 * peerresult (its end and result line) and peerloop (the poll() loop);
 * peer.c is main.  The structs are open because the parts are one
 * program split by job, not libraries.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>
#include <stdint.h>

#include "peeropts.h"
#include "stream.h"
#include "tool.h"

/* What all connections of one run share, owned by main. */
struct peer {
	const struct peer_opts *o;
	uint8_t *sendbuf;		/* a chunk of a stream, to send */
	uint8_t *recvbuf;		/* a chunk as it arrived */
	uint8_t *wantbuf;		/* a chunk as it should have */
	unsigned long n_ok;		/* result lines that passed */
	unsigned long n_failed;		/* ... and that failed */
	int conn_file_made;		/* --conn-file is written */
	int gate_seen;			/* --wait-file has existed */
};

/* -v: progress on stderr. */
#define PEER_DEBUG(p, ...)	tool_debug((p)->o->verbose, __VA_ARGS__)

/* Where a connection is in the --hybrid-vmm handshake. */
enum peer_vmm_phase {
	VP_NONE,		/* not a stand-in: the usual exchange */
	VP_REQUEST,		/* reading "CONNECT PORT\n" */
	VP_REPLY,		/* sending the reply */
	VP_HOLD,		/* failed the request: wait for the EOF */
	VP_PASS			/* replied OK: the usual exchange */
};

struct peerconn {
	struct peer *p;
	unsigned long idx;		/* connect or accept order */
	enum peer_order order;		/* --order, or drawn for random */
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
	struct stream_rx rx;		/* which stream, where it differs */

	int probing;
	int probed;
	int64_t probe_t0;
	int64_t probe_until;
	int64_t probe_took;
	int probe_err;			/* 0: no error before deadline */
	uint64_t probe_sent;

	const char *refused_how;	/* --expect-refused outcome */

	uint64_t msgs_sent;		/* message mode (peermsg.c) */
	uint64_t msgs_recvd;
	const char *closed_how;		/* --expect-closed outcome */
	int msg_blocking;		/* vsock: sends block (peermsg.c) */

	enum peer_vmm_phase vmm;	/* --hybrid-vmm progress */
	char vmm_line[64];		/* the request as read */
	size_t vmm_linelen;
	uint64_t vmm_port;		/* its port, PEER_NONE: not yet */
	uint64_t vmm_off;		/* reply bytes sent */

	int err;			/* errno of the failure, or 0 */
	const char *why;		/* failure, or NULL */
	int done;
};

#endif /* PEER_H */
