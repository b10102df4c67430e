/*
 * relay_pool: one budget for every relay's buffer or pipe, a queue of
 * those waiting for it, and the spare pipes.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"
#include "relay_pool.h"

/*
 * Pipes are asked for at 1 MiB: measured against 64 KiB and 256 KiB
 * (BENCHMARKS.md), it takes a quarter of 64 KiB's splice
 * calls and about half the copy relay's CPU per byte.  A kernel that
 * will not give 256 KiB (fs.pipe-max-size, for a daemon without
 * CAP_SYS_RESOURCE) gets the copy relay: smaller pipes cost more calls
 * than they save.
 */
#define PIPE_SIZE	(1024 * 1024)
#define PIPE_MIN	(256 * 1024)

void
relay_pool_init(struct relay_pool *p, size_t limit)
{
	struct rlimit rl;

	memset(p, 0, sizeof(*p));
	p->limit = limit;
	p->tail = &p->waiting;
	p->pipe_size = PIPE_SIZE;
	/* A pipe is two descriptors: pipes take at most a quarter of
	 * them, so that clients and targets are not refused for them. */
	p->pipes_max = 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		p->pipes_max = (unsigned int)(rl.rlim_cur < 8 * 65536 ?
		    rl.rlim_cur / 8 : 65536);
}

static void
pipe_close(struct relay_pipe *pp)
{

	(void)close(pp->rd);
	(void)close(pp->wr);
	pp->rd = pp->wr = -1;
}

void
relay_pool_set_zero_copy(struct relay_pool *p, int on)
{

	p->zero_copy = on;
	while (!on && p->nspare > 0) {
		pipe_close(&p->spare[--p->nspare]);
		p->pipes--;
	}
}

void
relay_pool_fini(struct relay_pool *p)
{

	relay_pool_set_zero_copy(p, 0);
}

int
relay_family_splices(int family)
{

	return (family == AF_INET || family == AF_INET6 || family == AF_UNIX);
}

static int
fits(const struct relay_pool *p, size_t size)
{

	return (p->limit == 0 || p->used == 0 || p->used + size <= p->limit);
}

static void
take(struct relay_pool *p, size_t size)
{

	p->used += size;
	if (p->used > p->peak)
		p->peak = p->used;
}

static void
dequeue(struct relay *r)
{
	struct relay_pool *p = r->pool;

	if (r->prev_wait == NULL)	/* not queued */
		return;
	if ((*r->prev_wait = r->next_wait) != NULL)
		r->next_wait->prev_wait = r->prev_wait;
	else
		p->tail = r->prev_wait;
	r->next_wait = NULL;
	r->prev_wait = NULL;
}

int
relay_queued(const struct relay *r)
{

	return (r->prev_wait != NULL);
}

/* Reserve for the first waiters that fit, and tell their owners. */
static void
wake_waiters(struct relay_pool *p)
{
	struct relay *r;

	while ((r = p->waiting) != NULL && fits(p, r->size)) {
		dequeue(r);
		take(p, r->size);
		r->reserved = r->size;
		r->wake(r->cookie);
	}
}

void
relay_pool_set_limit(struct relay_pool *p, size_t limit)
{

	p->limit = limit;
	wake_waiters(p);
}

/* Let r hold n bytes of the budget instead of what it holds. */
static void
hold(struct relay *r, size_t n)
{

	if (n >= r->held) {
		take(r->pool, n - r->held);
		r->held = n;
		return;
	}
	r->pool->used -= r->held - n;
	r->held = n;
	wake_waiters(r->pool);
}

/*
 * n bytes of the budget for r: 0, or -1 when it is spent and r waits in
 * the queue.  A reservation made while r waited may be for another size
 * (a pipe's, a buffer's): it is evened out.
 */
static int
charge(struct relay *r, size_t n)
{
	struct relay_pool *p = r->pool;

	if (r->reserved > 0) {
		r->held = r->reserved;
		r->reserved = 0;
		hold(r, n);
		return (0);
	}
	if (relay_queued(r) || !fits(p, n)) {
		if (!relay_queued(r)) {
			p->waits++;
			r->next_wait = NULL;
			r->prev_wait = p->tail;
			*p->tail = r;
			p->tail = &r->next_wait;
		}
		return (-1);
	}
	take(p, n);
	r->held = n;
	return (0);
}

/* A buffer for r, if the budget allows; else r waits in the queue. */
int
relay_get_buffer(struct relay *r)
{

	if (charge(r, r->size) == -1)
		return (-1);
	if ((r->buf = malloc(r->size)) == NULL) {
		hold(r, 0);
		return (-1);
	}
	return (0);
}

void
relay_put_buffer(struct relay *r)
{

	free(r->buf);
	r->buf = NULL;
	hold(r, 0);
}

/* A spare pipe, or a new one of at least PIPE_MIN bytes: 0, or -1. */
static int
pipe_open(struct relay_pool *p, struct relay_pipe *pp)
{
	int fds[2], got = -1;
	size_t sz;

	if (p->nspare > 0) {
		*pp = p->spare[--p->nspare];
		return (0);
	}
	if (p->pipes >= p->pipes_max)
		return (-1);
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);	/* out of descriptors: copy this time */
	for (sz = p->pipe_size; sz >= PIPE_MIN; sz /= 2)
		if ((got = fcntl(fds[1], F_SETPIPE_SZ, (int)sz)) != -1)
			break;
	if (got < PIPE_MIN) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		if (p->pipes > 0) {
			/* The user's share of pipe pages is spent
			 * (fs.pipe-user-pages-soft, without
			 * CAP_SYS_RESOURCE): no more pipes than now. */
			if (p->pipes_max > p->pipes)
				log_info("zero-copy: the kernel will not "
				    "enlarge more pipes for this user "
				    "(fs.pipe-user-pages-soft): %u at most, "
				    "other bursts are copied", p->pipes);
			p->pipes_max = p->pipes;
			return (-1);
		}
		log_warnx("zero-copy: the kernel will not make a pipe of "
		    "%d KiB (fs.pipe-max-size): copying instead",
		    PIPE_MIN / 1024);
		p->pipes_failed = 1;
		return (-1);
	}
	pp->rd = fds[0];
	pp->wr = fds[1];
	pp->size = (size_t)got;
	p->pipes++;
	return (0);
}

/*
 * Whether the budget is under pressure: someone waits, or a pipe's full
 * size would take it past a quarter of its limit.  Under pressure a
 * pipe is filled (and charged) only up to the relay's buffer-size, as a
 * buffer would be, so that the budget serves as many streams at once
 * whichever way they go; a pipe filled to its size takes about half the
 * CPU per byte of one filled to 256 KiB (BENCHMARKS.md), which is what
 * a stream gets while there is room.
 */
static int
pressed(const struct relay_pool *p)
{

	return (p->waiting != NULL ||
	    (p->limit != 0 && p->used + p->pipe_size > p->limit / 4));
}

/*
 * A pipe for r's next burst: 0; 1 if there is none to be had (the burst
 * goes through a buffer); -1 if the budget is spent (r waits).  What r
 * may put in it is what it holds of the budget (held).
 */
int
relay_get_pipe(struct relay *r)
{
	struct relay_pool *p = r->pool;
	size_t want;

	if (p->pipes_failed)
		return (1);
	want = pressed(p) || r->reserved > 0 ? r->size : p->pipe_size;
	if (charge(r, want) == -1)
		return (-1);
	if (pipe_open(p, &r->pipe) == -1) {
		hold(r, 0);
		return (1);
	}
	if (r->pipe.size < want)
		hold(r, r->pipe.size);
	r->pipe_full = 0;
	return (0);
}

/* While others wait, a pipe charged beyond buffer-size gives the rest
 * back as soon as what is in it fits. */
void
relay_pipe_ease(struct relay *r)
{

	if (r->held > r->size && r->len <= r->size &&
	    r->pool->waiting != NULL)
		hold(r, r->size);
}

/* Back to the spares if it is empty and there is room, else closed. */
void
relay_put_pipe(struct relay *r)
{
	struct relay_pool *p = r->pool;

	if (r->len == 0 && p->zero_copy && p->nspare < RELAY_SPARE_PIPES) {
		p->spare[p->nspare++] = r->pipe;
		r->pipe.rd = r->pipe.wr = -1;
	} else {
		pipe_close(&r->pipe);
		p->pipes--;
	}
	r->len = 0;
	hold(r, 0);
}

void
relay_leave_pool(struct relay *r)
{

	dequeue(r);
	if (r->reserved > 0) {
		r->pool->used -= r->reserved;
		r->reserved = 0;
		wake_waiters(r->pool);
	}
}
