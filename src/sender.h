/*
 * sender: whole-message sends toward a vsock SOCK_SEQPACKET socket, each
 * one a blocking send in a thread of its own, so that the event loop
 * never waits and a message is never split.
 *
 * A non-blocking vsock seqpacket send that meets a receiver with less
 * free credit than the message queues the part that fits, with no end of
 * message, and fails with EAGAIN; a signal or SO_SNDTIMEO cuts a
 * blocking one the same way, and nothing tells how much credit the peer
 * has (DESIGN.md, "The vsock sender thread").  So the message is handed
 * to a thread that has every signal blocked and sends it with a blocking
 * send(); the loop learns of the end through a pipe it watches, and
 * calls done(cookie).
 *
 * The thread and the pipe are made on the first message.  From then on
 * the socket's file description is blocking: every other call on it must
 * pass MSG_DONTWAIT.  Between sender_start() and the result, the caller
 * must not touch the message's buffer.
 */
#ifndef VSOCKPROXY_SENDER_H
#define VSOCKPROXY_SENDER_H

#include <sys/types.h>
#include <stddef.h>

struct event_loop;
struct sender;

enum sender_status {
	SENDER_IDLE,	/* nothing handed over: sender_start() may */
	SENDER_BUSY,	/* a message is being sent */
	SENDER_DONE	/* its result is in *n, *err (then idle again) */
};

/* A sender for fd (not yet a thread); NULL (logged) if out of memory. */
struct sender *sender_new(struct event_loop *, int fd,
    void (*done)(void *), void *cookie);

/* Send buf[0..len) with flags (MSG_NOSIGNAL is added); -1 with errno if
 * the thread or its pipe cannot be made.  Only when idle. */
int sender_start(struct sender *, const void *buf, size_t len, int flags);

/* Where the message is; SENDER_DONE hands over send()'s result once. */
enum sender_status sender_poll(struct sender *, ssize_t *n, int *err);

/* Nonzero while a message is in the thread's hands. */
int sender_busy(struct sender *);

/*
 * Abandon a send under way: shutdown(fd, SHUT_WR) wakes the thread out
 * of its send (it fails with EPIPE), then the thread is joined.  After
 * it, the buffer is the caller's again and the sender is idle, without a
 * thread.
 */
void sender_stop(struct sender *);

/* sender_stop(), then free it all; NULL does nothing. */
void sender_free(struct sender *);

#endif
