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

struct conf_rule;
struct proxy;
struct proxy_gen;

/*
 * Listen for rule, which belongs to gen (the listener holds a reference):
 * on fd, a listening socket passed by the service manager, which the
 * listener takes over (also on failure), or, if fd is -1, on a socket
 * bound to the rule's listen address.
 */
struct listener *listener_new(struct proxy *, struct proxy_gen *,
    const struct conf_rule *, int fd);
void listener_free(struct listener *);

/* Stop listening for good (shutdown); connections keep their listener. */
void listener_close(struct listener *);

/* Stop or resume accepting (connection limit, shutdown). */
void listener_pause(struct listener *);
void listener_resume(struct listener *);

/* Connection count of this listener's rule changed. */
void listener_conn_gone(struct listener *);

struct listener *listener_next(struct listener *);
struct listener **listener_next_ptr(struct listener *);

const struct conf_rule *listener_rule(const struct listener *);

/* A reload kept this listener: new connections follow the new rule. */
void listener_retarget(struct listener *, struct proxy_gen *,
    const struct conf_rule *);

/* A reload removed the rule: close the socket; connections finish. */
void listener_retire(struct listener *);
/* Nonzero once retired with no connection left: free it. */
int listener_finished(const struct listener *);
int listener_retired(const struct listener *);

/* Nonzero if its socket was passed by the service manager. */
int listener_activated(const struct listener *);
/* The socket family of its listen address. */
int listener_family(const struct listener *);

#endif
