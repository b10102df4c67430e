/*
 * proxy: the running daemon: its event loop, its listeners and
 * connections, its counters, and the signal-driven shutdown.  The
 * listener and conn modules reach their owner through this struct.
 */
#ifndef VSOCKPROXY_PROXY_H
#define VSOCKPROXY_PROXY_H

#include <stdint.h>

#include "event.h"

struct opts;
struct conn;
struct listener;

struct proxy_stats {
	uint64_t accepted;	/* connections accepted and allowed */
	uint64_t denied;	/* refused by the ACL */
	uint64_t connect_failed;
	uint64_t closed;	/* finished after relaying */
	uint64_t bytes_up;	/* client to target */
	uint64_t bytes_down;	/* target to client */
};

struct proxy {
	struct event_loop *loop;
	const struct opts *opts;
	struct listener *listeners;
	struct conn *conns;		/* all live connections */
	unsigned int nconns;
	struct proxy_stats stats;
	int stopping;			/* SIGTERM seen: draining */
	int done;			/* leave the loop */
	int sigpipe[2];			/* self-pipe from signal handlers */
	struct event_watch *sigwatch;
	struct event_timer drain_timer;
	struct event_timer stats_timer;
	uint64_t stats_last_ms;		/* for the rates */
	uint64_t stats_last_up, stats_last_down;
};

/* Bind every listener; -1 (logged) if any cannot start. */
int proxy_init(struct proxy *, const struct opts *);
/* Start-up is over: arm the statistics timer. */
void proxy_ready(struct proxy *);
/* Serve until a signal ends it; 0 on a clean stop. */
int proxy_run(struct proxy *);
void proxy_fini(struct proxy *);

/* A connection ended: resume listeners paused by a limit; finish a drain. */
void proxy_conn_gone(struct proxy *);

#endif
