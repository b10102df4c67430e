/*
 * sender: one thread per sender, made on the first message, that sends
 * what it is handed with a blocking send(); see sender.h.
 *
 * Shared state is the job (what to send, then its result), under one
 * mutex, with a condition variable for the thread to wait on.  The
 * thread touches nothing else but the socket, and writes one byte to
 * the pipe per result; the loop reads the pipe and calls done().
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "sender.h"

/* The thread calls send() and little else. */
#define SENDER_STACK (64 * 1024)

enum job {
	JOB_NONE,
	JOB_QUEUED,	/* handed over, not yet taken */
	JOB_SENDING,	/* in send() */
	JOB_DONE	/* n and err hold the result */
};

struct sender {
	struct event_loop *loop;
	int fd;
	void (*done)(void *);
	void *cookie;
	int running;		/* tid is a thread to join */
	pthread_t tid;
	int wake[2];		/* thread -> loop: a result is there */
	struct event_watch *w;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu. */
	enum job job;
	int quit;
	const void *buf;
	size_t len;
	int flags;
	ssize_t n;
	int err;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	const void *buf;
	size_t len;
	ssize_t n;
	int flags, err;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->job != JOB_QUEUED && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit)
			break;
		s->job = JOB_SENDING;
		buf = s->buf;
		len = s->len;
		flags = s->flags;
		pthread_mutex_unlock(&s->mu);
		n = send(s->fd, buf, len, flags);
		err = n == -1 ? errno : 0;
		pthread_mutex_lock(&s->mu);
		s->n = n;
		s->err = err;
		s->job = JOB_DONE;
		if (write(s->wake[1], "", 1) == -1) {
			/* Never full: one byte per result, read before the
			 * next.  (warn_unused_result ignores a void cast.) */
		}
	}
	pthread_mutex_unlock(&s->mu);
	return (NULL);
}

/* The loop's side of the pipe. */
static void
wake_cb(void *cookie, int revents)
{
	struct sender *s = cookie;
	char b[16];
	ssize_t n;

	(void)revents;
	do
		n = read(s->wake[0], b, sizeof(b));
	while (n > 0);
	s->done(s->cookie);
}

struct sender *
sender_new(struct event_loop *loop, int fd, void (*done)(void *),
    void *cookie)
{
	struct sender *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("calloc");
		return (NULL);
	}
	s->loop = loop;
	s->fd = fd;
	s->done = done;
	s->cookie = cookie;
	s->wake[0] = s->wake[1] = -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return (NULL);
	}
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return (NULL);
	}
	return (s);
}

/*
 * The pipe, its watch, a blocking socket and the thread.  The thread
 * starts with every signal blocked (it inherits the mask), so that no
 * signal ever cuts its send short.
 */
static int
spawn(struct sender *s)
{
	pthread_attr_t attr;
	sigset_t all, old;
	size_t stack = SENDER_STACK;
	int fl, rc;

	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);
	if ((s->w = event_watch_add(s->loop, s->wake[0], EV_READ, wake_cb,
	    s)) == NULL)
		goto fail;
	if ((fl = fcntl(s->fd, F_GETFL)) == -1 ||
	    fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	if ((rc = pthread_attr_init(&attr)) != 0)
		goto fail_errno;
#ifdef PTHREAD_STACK_MIN
	if (stack < (size_t)PTHREAD_STACK_MIN)
		stack = PTHREAD_STACK_MIN;
#endif
	(void)pthread_attr_setstacksize(&attr, stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->tid, &attr, sender_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		goto fail_errno;
	s->running = 1;
	return (0);
fail_errno:
	errno = rc;
fail:
	rc = errno;
	event_watch_del(s->loop, s->w);
	s->w = NULL;
	close(s->wake[0]);
	close(s->wake[1]);
	s->wake[0] = s->wake[1] = -1;
	errno = rc;
	return (-1);
}

int
sender_start(struct sender *s, const void *buf, size_t len, int flags)
{

	if (!s->running && spawn(s) == -1)
		return (-1);
	pthread_mutex_lock(&s->mu);
	s->buf = buf;
	s->len = len;
	s->flags = flags | MSG_NOSIGNAL;
	s->job = JOB_QUEUED;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return (0);
}

enum sender_status
sender_poll(struct sender *s, ssize_t *n, int *err)
{
	enum sender_status st;

	if (!s->running)
		return (SENDER_IDLE);
	pthread_mutex_lock(&s->mu);
	switch (s->job) {
	case JOB_NONE:
		st = SENDER_IDLE;
		break;
	case JOB_DONE:
		*n = s->n;
		*err = s->err;
		s->job = JOB_NONE;
		st = SENDER_DONE;
		break;
	default:
		st = SENDER_BUSY;
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return (st);
}

int
sender_busy(struct sender *s)
{
	int busy;

	if (!s->running)
		return (0);
	pthread_mutex_lock(&s->mu);
	busy = s->job == JOB_QUEUED || s->job == JOB_SENDING;
	pthread_mutex_unlock(&s->mu);
	return (busy);
}

void
sender_stop(struct sender *s)
{

	if (!s->running)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	/* af_vsock's send loop ends with EPIPE once we shut down writing. */
	if (s->job == JOB_SENDING)
		(void)shutdown(s->fd, SHUT_WR);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->tid, NULL);
	s->running = 0;
	s->quit = 0;
	s->job = JOB_NONE;
	event_watch_del(s->loop, s->w);
	s->w = NULL;
	close(s->wake[0]);
	close(s->wake[1]);
	s->wake[0] = s->wake[1] = -1;
}

void
sender_free(struct sender *s)
{

	if (s == NULL)
		return;
	sender_stop(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
