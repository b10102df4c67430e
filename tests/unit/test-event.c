/*
 * Unit tests: the event loop, run against each backend.  Watches fire with
 * their cookie, interest changes take effect, a watch deleted by an earlier
 * callback of the same batch is not called (its memory stays valid until
 * the batch ends: ASan would see a use-after-free), timers fire in
 * deadline order, deferred work runs after the batch, and a callback sees
 * the time it runs at, not the time the loop went to sleep.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "event.h"

static enum event_backend backends[2];
static int nbackends;

struct obj {
	struct event_loop *loop;
	struct event_watch *w;
	struct obj *victim;	/* deleted and freed by our callback */
	int fd;
	int calls;
	int *log, *nlog, id;
};

static void
obj_free(void *p)
{

	free(p);
}

static void
cb(void *cookie, int revents)
{
	struct obj *o = cookie;

	assert_true(revents & EV_READ);
	o->calls++;
	if (o->log != NULL)
		o->log[(*o->nlog)++] = o->id;
	if (o->victim != NULL) {
		event_watch_del(o->loop, o->victim->w);
		assert_int_equal(event_defer(o->loop, obj_free, o->victim), 0);
		o->victim = NULL;
	}
}

static void
test_watch(void **state)
{
	int i, p[2];

	for (i = 0; i < nbackends; i++) {
		struct event_loop *l = event_loop_new(backends[i]);
		struct obj o = { 0 };

		assert_non_null(l);
		assert_int_equal(pipe2(p, O_NONBLOCK), 0);
		o.w = event_watch_add(l, p[0], EV_READ, cb, &o);
		assert_non_null(o.w);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(o.calls, 0);
		assert_int_equal(write(p[1], "x", 1), 1);
		assert_int_equal(event_loop_run_once(l, 1000), 0);
		assert_int_equal(o.calls, 1);
		/* Level-triggered until read; silent without interest. */
		assert_int_equal(event_watch_set(l, o.w, 0), 0);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(o.calls, 1);
		assert_int_equal(event_watch_set(l, o.w, EV_READ), 0);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(o.calls, 2);
		event_watch_del(l, o.w);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(o.calls, 2);
		event_loop_free(l);
		close(p[0]);
		close(p[1]);
	}
}

static void
test_delete_in_batch(void **state)
{
	int i, k, p[2][2], order[4], norder;

	for (i = 0; i < nbackends; i++) {
		struct event_loop *l = event_loop_new(backends[i]);
		struct obj *o[2];

		for (k = 0; k < 2; k++) {
			assert_int_equal(pipe2(p[k], O_NONBLOCK), 0);
			o[k] = calloc(1, sizeof(*o[k]));
			o[k]->loop = l;
			o[k]->id = k;
			o[k]->log = order;
			o[k]->nlog = &norder;
			o[k]->w = event_watch_add(l, p[k][0], EV_READ, cb,
			    o[k]);
			assert_int_equal(write(p[k][1], "x", 1), 1);
		}
		/* Whichever fires first deletes and frees the other. */
		o[0]->victim = o[1];
		o[1]->victim = o[0];
		norder = 0;
		assert_int_equal(event_loop_run_once(l, 1000), 0);
		assert_int_equal(norder, 1);
		k = order[0];
		assert_int_equal(o[k]->calls, 1);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(norder, 2);
		assert_int_equal(order[1], k);
		event_watch_del(l, o[k]->w);
		free(o[k]);
		event_loop_free(l);
		for (k = 0; k < 2; k++) {
			close(p[k][0]);
			close(p[k][1]);
		}
	}
}

static int fired[8], nfired;

static void
timer_cb(void *cookie)
{

	fired[nfired++] = (int)(intptr_t)cookie;
}

static void
test_timers(void **state)
{
	struct event_timer t[4];
	uint64_t start;
	int i, k;

	for (i = 0; i < nbackends; i++) {
		struct event_loop *l = event_loop_new(backends[i]);

		nfired = 0;
		for (k = 0; k < 4; k++)
			event_timer_init(&t[k], timer_cb, (void *)(intptr_t)k);
		assert_int_equal(event_timer_start(l, &t[0], 60), 0);
		assert_int_equal(event_timer_start(l, &t[1], 20), 0);
		assert_int_equal(event_timer_start(l, &t[2], 40), 0);
		assert_int_equal(event_timer_start(l, &t[3], 30), 0);
		/* Stopped: it must not fire (fired[] would show 3). */
		event_timer_stop(l, &t[3]);
		start = event_clock_ms();
		while (nfired < 3 && event_clock_ms() - start < 5000)
			assert_int_equal(event_loop_run_once(l, -1), 0);
		assert_int_equal(nfired, 3);
		assert_int_equal(fired[0], 1);
		assert_int_equal(fired[1], 2);
		assert_int_equal(fired[2], 0);
		assert_true(event_clock_ms() - start >= 60);
		event_loop_free(l);
	}
}

static int deferred[4], ndeferred;

static void
defer_cb(void *p)
{

	deferred[ndeferred++] = (int)(intptr_t)p;
}

static void
test_defer(void **state)
{
	int i;

	for (i = 0; i < nbackends; i++) {
		struct event_loop *l = event_loop_new(backends[i]);

		ndeferred = 0;
		assert_int_equal(event_defer(l, defer_cb, (void *)1), 0);
		assert_int_equal(event_defer(l, defer_cb, (void *)2), 0);
		assert_int_equal(ndeferred, 0);
		assert_int_equal(event_loop_run_once(l, 0), 0);
		assert_int_equal(ndeferred, 2);
		assert_int_equal(deferred[0], 1);
		assert_int_equal(deferred[1], 2);
		event_loop_free(l);
	}
}

static uint64_t seen_now;

static void
clock_cb(void *cookie, int revents)
{
	struct event_loop *l = cookie;

	(void)revents;
	seen_now = event_now(l);
}

/*
 * A child writes to a pipe 150 ms into the loop's wait; with a timer
 * pending (the loop reads the clock before waiting, to size the wait)
 * the callback must still see a time after the write: an idle timeout
 * stamps activity with it.
 */
static void
test_clock_after_wait(void **state)
{
	struct event_timer t;
	struct timespec ts = { 0, 150 * 1000000 };
	struct event_watch *w;
	uint64_t wrote;
	int i, p[2], st;
	pid_t pid;

	for (i = 0; i < nbackends; i++) {
		struct event_loop *l = event_loop_new(backends[i]);

		assert_int_equal(pipe(p), 0);
		event_timer_init(&t, timer_cb, NULL);
		assert_int_equal(event_timer_start(l, &t, 5000), 0);
		w = event_watch_add(l, p[0], EV_READ, clock_cb, l);
		assert_non_null(w);
		seen_now = 0;
		if ((pid = fork()) == 0) {
			nanosleep(&ts, NULL);
			_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
		}
		assert_true(pid > 0);
		/* The earliest the byte can have been written. */
		wrote = event_clock_ms() + 150;
		assert_int_equal(event_loop_run_once(l, -1), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(seen_now >= wrote);
		assert_true(seen_now <= event_clock_ms());
		event_watch_del(l, w);
		event_timer_stop(l, &t);
		close(p[0]);
		close(p[1]);
		event_loop_free(l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_delete_in_batch),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_clock_after_wait),
	};

	if (event_backend_parse("epoll", &backends[nbackends]) == 0)
		nbackends++;
	assert_int_equal(event_backend_parse("poll", &backends[nbackends]),
	    0);
	nbackends++;
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
