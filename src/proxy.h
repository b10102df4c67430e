/*
 * proxy: the running daemon: its event loop, its listeners and
 * connections, its counters, and the signal-driven shutdown.  The
 * listener and conn modules reach their owner through this struct.
 */
#ifndef VSOCKPROXY_PROXY_H
#define VSOCKPROXY_PROXY_H

#include <stdint.h>

#include "event.h"
#include "relay.h"

struct activation;
struct conf;
struct opts;
struct conn;
struct listener;

/*
 * One loaded configuration.  Listeners and connections each hold a
 * reference to the one their rule comes from, so that a reload never frees
 * a rule that an open connection still reads.
 */
struct proxy_gen {
	struct conf *conf;
	unsigned int refs;
};

struct proxy_gen *proxy_gen_ref(struct proxy_gen *);
void proxy_gen_unref(struct proxy_gen *);

struct proxy_stats {
	uint64_t accepted;	/* connections accepted and allowed */
	uint64_t denied;	/* refused by the ACL */
	uint64_t connect_failed;
	uint64_t closed;	/* finished after relaying */
	uint64_t bytes_up;	/* client to target */
	uint64_t bytes_down;	/* target to client */
	uint64_t abandoned;	/* client left while connecting */
};

struct proxy {
	struct event_loop *loop;
	const struct opts *opts;
	struct proxy_gen *gen;		/* the configuration in force */
	uint64_t shutdown_timeout_ms;	/* from opts or the file */
	uint64_t stats_interval_ms;
	struct listener *listeners;	/* incl. retired ones in use */
	struct conn *conns;		/* all live connections */
	unsigned int nconns;
	struct proxy_stats stats;
	struct relay_pool buffers;	/* every relay's buffer */
	int stopping;			/* SIGTERM seen: draining */
	int done;			/* leave the loop */
	int sigpipe[2];			/* self-pipe from signal handlers */
	struct event_watch *sigwatch;
	struct event_timer drain_timer;
	struct event_timer stats_timer;
	uint64_t stats_last_ms;		/* for the rates */
	uint64_t stats_last_up, stats_last_down;
	char status_note[160];		/* why the last reload failed */
};

/*
 * Start a listener for every rule of conf, which the proxy takes over
 * (also on failure): on the socket the service manager passed for the
 * rule, if act (which may be NULL) has one, else by binding its listen
 * address.  -1 (logged) if any cannot start.
 */
struct proxy *proxy_new(const struct opts *, struct conf *,
    struct activation *act);
/* Start-up is over: arm the statistics timer, tell the service manager. */
void proxy_ready(struct proxy *);
/* Serve until a signal ends it; 0 on a clean stop. */
int proxy_run(struct proxy *);
/* Close everything (connections at once), free it; NULL is ignored. */
void proxy_free(struct proxy *);

/* A connection ended: resume listeners paused by a limit; finish a drain. */
void proxy_conn_gone(struct proxy *);

#endif
