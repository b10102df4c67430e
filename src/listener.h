/*
 * listener: one listening socket and the rule it serves.  Accepts a
 * bounded batch per wake-up, only while a descriptor for the target is
 * free too, applies the ACL and the connection limit, and hands each
 * accepted socket to a new conn.  Out of descriptors, it stops watching
 * the socket for a short back-off instead of spinning: clients wait in
 * the backlog.
 */
#ifndef VSOCKPROXY_LISTENER_H
#define VSOCKPROXY_LISTENER_H

struct conf;
struct conf_rule;
struct conn_env;
struct listener;
struct stats;

/*
 * One of the listener's connections ended; called from inside the
 * callback that closed it.  The owner may free the listener only later
 * (event_defer()), never from inside this call.
 */
typedef void listener_gone_fn(void *cookie, struct listener *);

/*
 * Listen for rule, which belongs to conf (the listener holds a
 * reference): on fd, a listening socket passed by the service manager,
 * which the listener takes over (also on failure), or, if fd is -1, on a
 * socket bound to the rule's listen address.  Its connections share env;
 * gone hears of each one's end.
 */
struct listener *listener_new(const struct conn_env *env, struct conf *,
    const struct conf_rule *, int fd, listener_gone_fn *gone,
    void *cookie);
/* Close its socket and its connections (at once), free it. */
void listener_free(struct listener *);

/* Stop listening for good (shutdown); connections finish on their own. */
void listener_close(struct listener *);
/* Close its connections at once, with reason. */
void listener_close_conns(struct listener *, const char *reason);

struct listener *listener_next(struct listener *);
struct listener **listener_next_ptr(struct listener *);

const struct conf_rule *listener_rule(const struct listener *);

/*
 * Read-only views for the control socket: the first of its open
 * connections (conn_next() walks on), how many there are, and its
 * name for logs (a passed socket's real address).
 */
struct conn *listener_conns(const struct listener *);
unsigned int listener_nconns(const struct listener *);
const char *listener_name(const struct listener *);

/* A reload kept this listener: new connections follow the new rule. */
void listener_retarget(struct listener *, struct conf *,
    const struct conf_rule *);

/* A reload removed the rule: close the socket; connections finish. */
void listener_retire(struct listener *);
/* Nonzero once retired with no connection left: free it. */
int listener_finished(const struct listener *);
int listener_retired(const struct listener *);

/* Its rule's counters (kept across a reload that keeps the listener). */
const struct stats *listener_stats(const struct listener *);

/* Nonzero if its socket was passed by the service manager. */
int listener_activated(const struct listener *);
/* The socket family of its listen address. */
int listener_family(const struct listener *);

#endif
