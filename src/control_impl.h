/*
 * control_impl: what the two files of the control socket share and no
 * other file sees: control.c (the socket, who may come) and
 * control_client.c (one client's session: its buffers, its lines, the
 * framing of its replies).
 */
#ifndef VSOCKPROXY_CONTROL_IMPL_H
#define VSOCKPROXY_CONTROL_IMPL_H

#include <sys/types.h>

#include <stddef.h>

#include "addr.h"
#include "control.h"
#include "event.h"
#include "ratelim.h"

struct control_client {
	struct control *ctl;
	int fd;
	struct event_watch *w;
	struct event_timer idle;
	char in[CONTROL_LINE_MAX];
	size_t inlen;
	char *out;			/* NULL while nothing is pending */
	size_t outlen, outoff, outcap;
	size_t reply_start;		/* where the reply being built is */
	int overflow;			/* it passed CONTROL_REPLY_MAX */
	int errored;			/* control_error() answered */
	int eof;			/* the client sent all it will */
	int closing;			/* close once the output is out */
	struct control_client *next, **prevp;
};

struct control {
	struct control_env env;
	struct event_loop *loop;
	struct addr addr;
	int fd;
	struct event_watch *w;
	struct control_client *clients;
	unsigned int nclients;
	uid_t uid;			/* ours: who may come, with root */
	struct ratelim refusals;
	struct event_timer quiet;
	struct event_timer rest;	/* out of descriptors: a pause */
	int warned;			/* ... said, until an accept works */
};

/*
 * Serve the accepted socket fd, which the client takes over: 0, or -1
 * (logged, fd closed) if out of memory.
 */
int control_client_start(struct control *, int fd);
/* Close a client, now; freed after the batch. */
void control_client_close(struct control_client *, const char *why);

#endif
