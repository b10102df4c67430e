/*
 * Unit tests: the sender (sender.c), a thread per destination that sends
 * whole messages with a blocking send() and tells the event loop when it
 * is done.  vsock cannot be used on the build machine, so the
 * destination here is a UNIX SOCK_SEQPACKET socketpair with a small send
 * buffer and a slow reader: the thread's sends block, and every message
 * must still arrive whole and in order, through a message relay, with
 * each event backend.  Then: abandoning a blocked send (shutdown wakes
 * the thread, which is joined), and a sender that never sent anything.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "event.h"
#include "relay.h"
#include "sender.h"

#define NMSGS 200
#define MAXMSG 6000

static int done_calls;

static void
on_done(void *cookie)
{

	(void)cookie;
	done_calls++;
}

static void
no_wake(void *cookie)
{

	(void)cookie;
}

static void
seqpair(int sv[2], int sndbuf)
{

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK,
	    0, sv), 0);
	if (sndbuf > 0)
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof(sndbuf)), 0);
}

/* Message i: its size and a byte pattern that names it. */
static size_t
msg_size(unsigned i)
{

	return (1 + (i * 7919u + 13u) % MAXMSG);
}

static void
msg_fill(unsigned i, unsigned char *b, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		b[k] = (unsigned char)(i * 31u + k);
}

/*
 * A writer that sends all it can, a relay with a sender toward a
 * destination whose buffer holds about two messages, and a reader that
 * takes one message every fourth turn.
 */
static void
slow_reader(enum event_backend be)
{
	static unsigned char out[MAXMSG], in[MAXMSG + 1];
	struct event_loop *loop;
	struct relay_pool pool;
	struct relay r;
	struct sender *s;
	int src[2], dst[2], turn = 0, busy_seen = 0;
	unsigned sent = 0, got = 0;
	ssize_t n;

	loop = event_loop_new(be);
	assert_non_null(loop);
	seqpair(src, 0);
	seqpair(dst, 4096);
	relay_pool_init(&pool, 0);
	relay_init(&r, src[0], AF_UNIX, dst[0], 64 * 1024, &pool, no_wake,
	    NULL);
	relay_set_message(&r);
	s = sender_new(loop, dst[0], on_done, NULL);
	assert_non_null(s);
	relay_set_sender(&r, s);
	done_calls = 0;
	while (got < NMSGS) {
		assert_true(++turn < 200000);
		if (sent < NMSGS) {
			msg_fill(sent, out, msg_size(sent));
			if (send(src[1], out, msg_size(sent),
			    MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
				sent++;
			else
				assert_int_equal(errno, EAGAIN);
		}
		if (sent == NMSGS && r.state == RELAY_OPEN)
			(void)shutdown(src[1], SHUT_WR);
		assert_int_equal(relay_pump(&r), RELAY_OK);
		if (sender_busy(s)) {
			busy_seen++;
			assert_false(relay_wants_write(&r));
			assert_false(relay_wants_read(&r));
		}
		assert_int_equal(event_loop_run_once(loop, 1), 0);
		if (turn % 4 != 0)
			continue;
		n = recv(dst[1], in, sizeof(in), MSG_DONTWAIT);
		if (n == -1) {
			assert_int_equal(errno, EAGAIN);
			continue;
		}
		assert_int_equal((size_t)n, msg_size(got));
		msg_fill(got, out, (size_t)n);
		assert_memory_equal(in, out, (size_t)n);
		got++;
	}
	/* Drained: the EOF went on as a half-close. */
	while (r.state != RELAY_DONE) {
		assert_true(++turn < 400000);
		assert_int_equal(relay_pump(&r), RELAY_OK);
		assert_int_equal(event_loop_run_once(loop, 1), 0);
	}
	assert_int_equal(recv(dst[1], in, sizeof(in), MSG_DONTWAIT), 0);
	assert_int_equal(r.msgs, NMSGS);
	assert_true(busy_seen > 0);	/* the thread did wait for room */
	assert_true(done_calls > 0);	/* the loop heard of results */
	relay_fini(&r);
	sender_free(s);
	event_loop_free(loop);
	close(src[0]);
	close(src[1]);
	close(dst[0]);
	close(dst[1]);
}

static void
test_slow_reader_epoll(void **state)
{

	(void)state;
	slow_reader(EVENT_EPOLL);
}

static void
test_slow_reader_poll(void **state)
{

	(void)state;
	slow_reader(EVENT_POLL);
}

/*
 * A send blocked on a reader that never reads: sender_stop() shuts the
 * socket down for writing, which ends the send, and joins the thread.
 * The destination's file description was made blocking.
 */
static void
test_stop_blocked(void **state)
{
	static unsigned char big[MAXMSG];
	struct event_loop *loop;
	struct sender *s;
	ssize_t n = 0;
	int dst[2], err = 0, i;

	(void)state;
	loop = event_loop_new(EVENT_POLL);
	assert_non_null(loop);
	seqpair(dst, 4096);
	s = sender_new(loop, dst[0], on_done, NULL);
	assert_non_null(s);
	/* Fill it up, then one more that must wait. */
	while (send(dst[0], big, sizeof(big), MSG_DONTWAIT) != -1)
		continue;
	assert_int_equal(sender_poll(s, &n, &err), SENDER_IDLE);
	assert_int_equal(sender_start(s, big, sizeof(big), 0), 0);
	assert_false(fcntl(dst[0], F_GETFL) & O_NONBLOCK);
	for (i = 0; i < 20; i++)
		assert_int_equal(event_loop_run_once(loop, 5), 0);
	assert_int_equal(sender_poll(s, &n, &err), SENDER_BUSY);
	assert_true(sender_busy(s));
	sender_stop(s);
	assert_false(sender_busy(s));
	assert_int_equal(sender_poll(s, &n, &err), SENDER_IDLE);
	assert_int_equal(send(dst[0], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL),
	    -1);
	assert_int_equal(errno, EPIPE);
	sender_free(s);
	sender_free(NULL);
	event_loop_free(loop);
	close(dst[0]);
	close(dst[1]);
}

/* One result per message, handed over once, then idle again. */
static void
test_result_once(void **state)
{
	struct event_loop *loop;
	struct sender *s;
	char in[8];
	ssize_t n = 0;
	int dst[2], err = -1, i;

	(void)state;
	loop = event_loop_new(EVENT_EPOLL);
	assert_non_null(loop);
	seqpair(dst, 0);
	s = sender_new(loop, dst[0], on_done, NULL);
	assert_non_null(s);
	done_calls = 0;
	assert_int_equal(sender_start(s, "hello", 5, 0), 0);
	for (i = 0; i < 1000 && done_calls == 0; i++)
		assert_int_equal(event_loop_run_once(loop, 10), 0);
	assert_int_equal(done_calls, 1);
	assert_int_equal(sender_poll(s, &n, &err), SENDER_DONE);
	assert_int_equal(n, 5);
	assert_int_equal(err, 0);
	assert_int_equal(sender_poll(s, &n, &err), SENDER_IDLE);
	assert_int_equal(recv(dst[1], in, sizeof(in), MSG_DONTWAIT), 5);
	assert_memory_equal(in, "hello", 5);
	sender_free(s);
	event_loop_free(loop);
	close(dst[0]);
	close(dst[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_reader_epoll),
		cmocka_unit_test(test_slow_reader_poll),
		cmocka_unit_test(test_stop_blocked),
		cmocka_unit_test(test_result_once),
	};

	/* A send stuck for good must fail the test, not hang it. */
	alarm(120);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
