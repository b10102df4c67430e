/*
 * control: the control socket, a UNIX socket that vsockproxyctl(8) (or
 * socat, or a monitoring agent) talks to in lines, as to haproxy's stats
 * socket or OpenBSD's relayctl: what the daemon is doing now, its
 * effective configuration, its counters in the Prometheus text format,
 * and two actions, closing a connection and reloading.
 *
 * The protocol: one command per line (at most CONTROL_LINE_MAX bytes,
 * newline included); the reply is zero or more lines, then a line with
 * a single "."; a reply line that starts with "." gets one more in front
 * (SMTP's dot-stuffing), so a reply line is never the terminator.  A
 * failed command's reply is one line "error: WHY".  Commands are
 * answered in order, one at a time.
 *
 * Only root and the daemon's own user may use it (SO_PEERCRED on each
 * accept; the socket file is mode 0600 too); others are closed at once,
 * with a rate-limited log line.  The owner (proxy.c) hands down what the
 * commands read (struct control_env) and a callback for the reload; the
 * module calls nothing above it.
 *
 * Everything a client can make the daemon keep is bounded: a line
 * buffer, one reply at a time (at most CONTROL_REPLY_MAX bytes, else an
 * error instead), at most CONTROL_CLIENTS clients, and a client that
 * makes no progress for CONTROL_IDLE_MS is closed.  Work per wake-up is
 * bounded too, so the relays never wait on a control client.
 */
#ifndef VSOCKPROXY_CONTROL_H
#define VSOCKPROXY_CONTROL_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct control;
struct control_client;
struct event_loop;
struct listener;
struct relay_pool;
struct settings;
struct stats;

#define CONTROL_LINE_MAX	1024
#define CONTROL_REPLY_MAX	(4 * 1024 * 1024)
#define CONTROL_CLIENTS		16
#define CONTROL_IDLE_MS		30000

/* What the commands read and do; the owner's, valid while it runs. */
struct control_env {
	struct event_loop *loop;
	struct listener *const *listeners;	/* the owner's list */
	struct conf *const *conf;		/* the one in force */
	const struct settings *cli;		/* the command line's */
	const struct stats *stats;
	const struct relay_pool *buffers;
	/* Reload as SIGHUP does: 0, or -1 with why (and logged). */
	int (*reload)(void *cookie, char *why, size_t whylen);
	void *cookie;
};

/*
 * Listen on the UNIX socket path, mode 0600, owned by the process's
 * user (so: bound after privileges are dropped), taking over a stale
 * socket there as listeners do.  NULL (logged) on failure.
 */
struct control *control_new(const struct control_env *, const char *path);
/* Close the clients and the socket, remove its file; NULL is ignored. */
void control_free(struct control *);

/* Split a command line into at most max words; -1 if it has more. */
int control_split(char *line, char **av, int max);

/* The commands (control_cmd.c): answer one command line's words. */
void control_command(const struct control_env *, struct control_client *,
    int ac, char **av);

/*
 * Append one or more lines (fmt's text, newlines between them, none at
 * the end) to the reply being built for cl.
 */
void control_printf(struct control_client *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The reply is an error: "error: " and fmt's text, one line. */
void control_error(struct control_client *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
