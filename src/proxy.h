/*
 * proxy: the running daemon: its event loop, its listeners (which own
 * their connections), its counters and buffer budget, reload and the
 * signal-driven shutdown.  Opaque: listeners and connections get what
 * they need handed down (struct conn_env) and report back through
 * callbacks, never through this struct.
 */
#ifndef VSOCKPROXY_PROXY_H
#define VSOCKPROXY_PROXY_H

struct activation;
struct conf;
struct opts;
struct proxy;

/*
 * Start a listener for every rule of conf, which the proxy takes over
 * (also on failure): on the socket the service manager passed for the
 * rule, if act (which may be NULL) has one, else by binding its listen
 * address.  -1 (logged) if any cannot start.
 */
struct proxy *proxy_new(const struct opts *, struct conf *,
    struct activation *act);
/*
 * Open the control socket, if the command line or the file asks for one
 * (control.h).  After privileges are dropped, so that the socket is the
 * daemon's user's, as it would be with a chown but with no moment
 * where it is root's, and the daemon can remove it at exit.  -1
 * (logged) if it cannot.
 */
int proxy_control(struct proxy *);
/* Start-up is over: arm the statistics timer, tell the service manager. */
void proxy_ready(struct proxy *);
/* Serve until a signal ends it; 0 on a clean stop. */
int proxy_run(struct proxy *);
/* Close everything (connections at once), free it; NULL is ignored. */
void proxy_free(struct proxy *);

#endif
