/*
 * relay_pool: the budget and the pipes behind relay.c (see relay.h):
 * what a relay takes to hold its bytes in, and gives back.
 */
#ifndef VSOCKPROXY_RELAY_POOL_H
#define VSOCKPROXY_RELAY_POOL_H

struct relay;

/* r waits in its pool's queue for the budget. */
int relay_queued(const struct relay *);
/* A buffer for r: 0, or -1 (r waits in the queue, or out of memory). */
int relay_get_buffer(struct relay *);
void relay_put_buffer(struct relay *);
/* A pipe for r's next burst: 0; 1 if none is to be had (use a buffer);
 * -1 if r waits for the budget. */
int relay_get_pipe(struct relay *);
/* Give back the part of the budget beyond buffer-size that r's pipe
 * does not need now, if others need it. */
void relay_pipe_ease(struct relay *);
/* Back to the spares if empty, else closed. */
void relay_put_pipe(struct relay *);
/* Out of the queue, and any reservation given back. */
void relay_leave_pool(struct relay *);

#endif
