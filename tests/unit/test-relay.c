/*
 * Unit tests: one relay direction over UNIX socketpairs: byte-exact
 * transfer, bounded buffer and backpressure, EOF turned into a half-close
 * after the drain, lazy buffers, read and write failures, and the buffer
 * budget (a relay waits for it, first come first served, and is woken
 * when a buffer comes back; nothing is lost).  SIGPIPE is left
 * at its default so that a send without MSG_NOSIGNAL kills the test.
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

#include "relay.h"

/* src[0] is the relay's source, src[1] the peer writing into it; dst[0]
 * the relay's destination, dst[1] the peer reading from it. */
struct fixture {
	int src[2], dst[2];
	struct relay_pool pool;
	struct relay r;
};

static void
no_wake(void *cookie)
{

	(void)cookie;
	fail_msg("woken without a budget");
}

static void
pair(int sv[2])
{

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	pair(f->src);
	pair(f->dst);
	relay_pool_init(&f->pool, 0);
	relay_init(&f->r, f->src[0], AF_UNIX, f->dst[0], 4096, &f->pool,
	    no_wake, NULL);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	relay_fini(&f->r);
	assert_int_equal(f->pool.used, 0);
	close(f->src[0]);
	if (f->src[1] != -1)
		close(f->src[1]);
	close(f->dst[0]);
	if (f->dst[1] != -1)
		close(f->dst[1]);
	free(f);
	return (0);
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed) ^ (i >> 8));
}

/* Write everything, pumping the relay and reading the far end as we go. */
static size_t
shuttle(struct fixture *f, const unsigned char *in, size_t n,
    unsigned char *out, size_t outcap)
{
	size_t sent = 0, got = 0;
	ssize_t k;
	int rounds = 0;

	while ((sent < n || got < n) && rounds++ < 100000) {
		if (sent < n) {
			k = write(f->src[1], in + sent, n - sent);
			if (k > 0)
				sent += (size_t)k;
		}
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
		assert_true(f->r.len <= f->r.size);
		k = read(f->dst[1], out + got, outcap - got);
		if (k > 0)
			got += (size_t)k;
	}
	return (got);
}

static void
test_transfer(void **state)
{
	struct fixture *f = *state;
	size_t n = 1 << 20;
	unsigned char *in = malloc(n), *out = malloc(n + 1);

	fill(in, n, 7);
	assert_null(f->r.buf);
	assert_int_equal(shuttle(f, in, n, out, n + 1), n);
	assert_memory_equal(in, out, n);
	assert_int_equal(f->r.bytes, n);
	/* Drained and the source idle: no buffer held. */
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_null(f->r.buf);
	free(in);
	free(out);
}

static void
test_backpressure(void **state)
{
	struct fixture *f = *state;
	unsigned char chunk[65536], out[65536];
	size_t total = 0, got = 0;
	ssize_t k;
	int i;

	/* Nobody reads dst: the relay may buffer at most its size. */
	fill(chunk, sizeof(chunk), 1);
	for (i = 0; i < 64; i++) {
		k = write(f->src[1], chunk, sizeof(chunk));
		if (k > 0)
			total += (size_t)k;
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
		assert_true(f->r.len <= 4096);
	}
	assert_int_equal(f->r.len, 4096);
	assert_false(relay_wants_read(&f->r));
	assert_true(relay_wants_write(&f->r));
	/* Reading resumes the flow; every byte arrives. */
	while (got < total) {
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
		k = read(f->dst[1], out, sizeof(out));
		if (k > 0)
			got += (size_t)k;
		else
			assert_int_equal(errno, EAGAIN);
	}
	assert_int_equal(got, total);
	assert_int_equal(f->r.bytes, total);
}

static void
test_eof_after_drain(void **state)
{
	struct fixture *f = *state;
	unsigned char big[300000], out[65536];
	size_t sent = 0, got = 0;
	ssize_t k;

	/* More than the destination socket holds, then EOF. */
	fill(big, sizeof(big), 3);
	while (sent < sizeof(big)) {
		k = write(f->src[1], big + sent, sizeof(big) - sent);
		if (k > 0)
			sent += (size_t)k;
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
		if (k <= 0) {
			k = read(f->dst[1], out, sizeof(out));
			if (k > 0)
				got += (size_t)k;
		}
	}
	assert_int_equal(shutdown(f->src[1], SHUT_WR), 0);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	/* Data still queued: not shut down yet. */
	assert_int_not_equal(f->r.state, RELAY_DONE);
	for (;;) {
		k = read(f->dst[1], out, sizeof(out));
		if (k == 0)
			break;
		if (k > 0)
			got += (size_t)k;
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
	}
	assert_int_equal(got, sizeof(big));
	assert_int_equal(f->r.state, RELAY_DONE);
	assert_false(relay_wants_read(&f->r));
	assert_null(f->r.buf);
	/* Half-close only: the reverse direction still works. */
	assert_int_equal(write(f->dst[1], "back", 4), 4);
	assert_int_equal(read(f->dst[0], out, sizeof(out)), 4);
}

static void
test_write_failure(void **state)
{
	struct fixture *f = *state;

	close(f->dst[1]);
	f->dst[1] = -1;
	assert_int_equal(write(f->src[1], "hello", 5), 5);
	assert_int_equal(relay_pump(&f->r), RELAY_FAIL);
	assert_int_equal(f->r.err, EPIPE);
	assert_true(f->r.werr);
}

static void
test_read_failure(void **state)
{
	struct fixture *f = *state;

	/* Closing a UNIX socket with unread data resets its peer. */
	assert_int_equal(write(f->src[0], "unread", 6), 6);
	close(f->src[1]);
	f->src[1] = -1;
	assert_int_equal(relay_pump(&f->r), RELAY_FAIL);
	assert_int_equal(f->r.err, ECONNRESET);
	assert_false(f->r.werr);
}

static int woken;

static void
count_wake(void *cookie)
{

	woken += (int)(intptr_t)cookie;
}

/*
 * A budget of one buffer, two relays: the second waits without reading
 * until the first gives its buffer back, then moves its bytes intact.
 */
static void
test_budget(void **state)
{
	struct fixture *f = *state;
	struct relay b;
	int src[2], dst[2];
	char out[64];

	memset(out, 0, sizeof(out));
	pair(src);
	pair(dst);
	relay_pool_set_limit(&f->pool, 4096);
	relay_init(&b, src[0], AF_UNIX, dst[0], 4096, &f->pool, count_wake,
	    (void *)1);
	/* The first relay's destination is full: it keeps its buffer. */
	while (write(f->dst[0], out, sizeof(out)) > 0)
		;
	assert_int_equal(write(f->src[1], "first", 5), 5);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(f->pool.used, 4096);
	assert_true(relay_wants_read(&b));
	assert_int_equal(write(src[1], "second", 6), 6);
	assert_int_equal(relay_pump(&b), RELAY_OK);
	assert_null(b.buf);
	assert_false(relay_wants_read(&b));
	assert_int_equal(f->pool.waits, 1);
	assert_int_equal(read(dst[1], out, sizeof(out)), -1);
	assert_int_equal(woken, 0);
	/* It drains: the buffer goes back and the waiter is woken. */
	while (read(f->dst[1], out, sizeof(out)) > 0)
		;
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_null(f->r.buf);
	assert_int_equal(woken, 1);
	assert_int_equal(read(f->dst[1], out, sizeof(out)), 5);
	assert_memory_equal(out, "first", 5);
	relay_fini(&f->r);
	assert_int_equal(f->pool.used, 4096);	/* reserved for b */
	assert_true(relay_wants_read(&b));
	assert_int_equal(relay_pump(&b), RELAY_OK);
	assert_int_equal(read(dst[1], out, sizeof(out)), 6);
	assert_memory_equal(out, "second", 6);
	assert_int_equal(f->pool.peak, 4096);
	/* A waiter that goes away leaves the queue. */
	relay_init(&f->r, f->src[0], AF_UNIX, f->dst[0], 4096, &f->pool,
	    no_wake, NULL);
	relay_fini(&b);
	assert_int_equal(f->pool.used, 0);
	close(src[0]);
	close(src[1]);
	close(dst[0]);
	close(dst[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transfer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eof_after_drain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
