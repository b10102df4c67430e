/*
 * listener: one listening socket and the rule it serves.  Accepts until
 * EAGAIN, applies the ACL and the connection limit, and hands each
 * accepted socket to a new conn.  On EMFILE and friends it stops watching
 * the socket for a short back-off instead of spinning.
 */
#ifndef VSOCKPROXY_LISTENER_H
#define VSOCKPROXY_LISTENER_H

struct proxy;
struct rule;

struct listener *listener_new(struct proxy *, const struct rule *);
void listener_free(struct listener *);

/* Stop listening for good (shutdown); connections keep their listener. */
void listener_close(struct listener *);

/* Stop or resume accepting (connection limit, shutdown). */
void listener_pause(struct listener *);
void listener_resume(struct listener *);

/* Connection count of this listener's rule changed. */
void listener_conn_gone(struct listener *);

struct listener *listener_next(struct listener *);

#endif
