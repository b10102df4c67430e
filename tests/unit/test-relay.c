/*
 * Unit tests: one relay direction over UNIX socketpairs: byte-exact
 * transfer, bounded buffer and backpressure, EOF turned into a half-close
 * after the drain, lazy buffers, read and write failures, and the buffer
 * budget (a relay waits for it, first come first served, and is woken
 * when a buffer comes back; nothing is lost).
 *
 * Each runs twice: through the copy relay, then through the zero-copy
 * one (a pipe and splice(2)), where the same must hold with the pipe in
 * the buffer's place; then the pipe's own cases: reuse, a burst through
 * a buffer when no pipe can be had (a pool's share used up, no
 * descriptor left) and back, a pipe with bytes in it never reused.
 *
 * SIGPIPE is left at its default for the copy relay, so that a send
 * without MSG_NOSIGNAL kills the test; splice(2) into a socket has no
 * such flag, so for the zero-copy group it is ignored, as the daemon
 * does.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <signal.h>
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

static int zc;		/* the test under way is a zero-copy one */
static int woken;
static int setup(void **);

static int
setup_copy(void **state)
{

	zc = 0;
	return (setup(state));
}

static int
setup_zc(void **state)
{

	zc = 1;
	return (setup(state));
}

/* Make r (of f's pool) what the group tests. */
static void
mode(struct fixture *f, struct relay *r)
{

	if (!zc)
		return;
	relay_pool_set_zero_copy(&f->pool, 1);
	relay_set_splice(r);
}

/* What r holds its bytes in: its capacity; whether it holds one. */
static size_t
cap(const struct relay *r)
{

	return (r->pipe.rd != -1 ? r->held : r->size);
}

static int
holds(const struct relay *r)
{

	return (r->buf != NULL || r->pipe.rd != -1);
}

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

	woken = 0;
	(void)signal(SIGPIPE, zc ? SIG_IGN : SIG_DFL);
	pair(f->src);
	pair(f->dst);
	relay_pool_init(&f->pool, 0);
	relay_init(&f->r, f->src[0], AF_UNIX, f->dst[0], 4096, &f->pool,
	    no_wake, NULL);
	mode(f, &f->r);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	relay_fini(&f->r);
	assert_int_equal(f->pool.used, 0);
	relay_pool_fini(&f->pool);
	assert_int_equal(f->pool.pipes, 0);
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
		assert_true(f->r.len <= cap(&f->r));
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
	assert_false(holds(&f->r));
	assert_int_equal(shuttle(f, in, n, out, n + 1), n);
	assert_memory_equal(in, out, n);
	assert_int_equal(f->r.bytes, n);
	/* Every byte went the group's way. */
	assert_int_equal(f->pool.spliced, zc ? n : 0);
	/* Drained and the source idle: no buffer held. */
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_false(holds(&f->r));
	assert_int_equal(f->pool.used, 0);
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

	/* Nobody reads dst: the relay may buffer at most its size (a pipe
	 * may be out of slots a little short of it). */
	fill(chunk, sizeof(chunk), 1);
	for (i = 0; i < 64; i++) {
		k = write(f->src[1], chunk, sizeof(chunk));
		if (k > 0)
			total += (size_t)k;
		assert_int_equal(relay_pump(&f->r), RELAY_OK);
		assert_true(f->r.len <= cap(&f->r));
	}
	assert_true(f->r.len == cap(&f->r) || (zc && f->r.pipe_full));
	assert_true(f->r.len > (zc ? cap(&f->r) / 2 : 0));
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
	assert_false(holds(&f->r));
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
	mode(f, &b);
	/* The first relay's destination is full: it keeps its buffer. */
	while (write(f->dst[0], out, sizeof(out)) > 0)
		;
	assert_int_equal(write(f->src[1], "first", 5), 5);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(f->pool.used, 4096);
	assert_true(relay_wants_read(&b));
	assert_int_equal(write(src[1], "second", 6), 6);
	assert_int_equal(relay_pump(&b), RELAY_OK);
	assert_false(holds(&b));
	assert_false(relay_wants_read(&b));
	assert_int_equal(f->pool.waits, 1);
	assert_int_equal(read(dst[1], out, sizeof(out)), -1);
	assert_int_equal(woken, 0);
	/* It drains: the buffer goes back and the waiter is woken. */
	while (read(f->dst[1], out, sizeof(out)) > 0)
		;
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_false(holds(&f->r));
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
	mode(f, &f->r);
	relay_fini(&b);
	assert_int_equal(f->pool.used, 0);
	close(src[0]);
	close(src[1]);
	close(dst[0]);
	close(dst[1]);
}

/* Move n bytes through f's relay (n within the sockets' buffers). */
static void
burst(struct fixture *f, size_t n, unsigned seed)
{
	unsigned char in[65536], out[65536];

	assert_true(n <= sizeof(in));
	fill(in, n, seed);
	assert_int_equal(write(f->src[1], in, n), (ssize_t)n);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(read(f->dst[1], out, sizeof(out)), (ssize_t)n);
	assert_memory_equal(in, out, n);
	/* The source is empty now: the pipe or buffer goes back. */
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_false(holds(&f->r));
}

/* One pipe serves burst after burst: it goes back empty, and is reused. */
static void
test_pipe_reuse(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 5; i++)
		burst(f, 20000, (unsigned)i);
	assert_int_equal(f->pool.pipes, 1);
	assert_int_equal(f->pool.nspare, 1);
	assert_int_equal(f->pool.spliced, 5 * 20000);
	assert_true(f->pool.peak >= 256 * 1024);
	/* Turned off: the spares are closed, and a relay made now copies. */
	relay_pool_set_zero_copy(&f->pool, 0);
	assert_int_equal(f->pool.pipes, 0);
	relay_init(&f->r, f->src[0], AF_UNIX, f->dst[0], 4096, &f->pool,
	    no_wake, NULL);
	relay_set_splice(&f->r);
	burst(f, 20000, 9);
	assert_int_equal(f->pool.spliced, 5 * 20000);
}

/* The lowest descriptor free now (the next one a call would get). */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return (fd);
}

/*
 * No pipe to be had, from the pool's share or from the kernel (no
 * descriptor left): that burst goes through a buffer, the next one
 * through a pipe again, every byte in order.
 */
static void
test_pipe_fallback(void **state)
{
	struct fixture *f = *state;
	struct rlimit rl, low;
	unsigned int max = f->pool.pipes_max;

	f->pool.pipes_max = 0;
	burst(f, 30000, 1);
	assert_int_equal(f->pool.spliced, 0);
	assert_int_equal(f->pool.pipes, 0);
	f->pool.pipes_max = max;
	burst(f, 30000, 2);
	assert_int_equal(f->pool.spliced, 30000);
	/* Out of descriptors: pipe2() fails, the burst is copied. */
	relay_pool_set_zero_copy(&f->pool, 0);	/* no spare to take */
	relay_pool_set_zero_copy(&f->pool, 1);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = (rlim_t)lowest_free_fd();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	burst(f, 30000, 3);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(f->pool.spliced, 30000);
	assert_int_equal(f->pool.pipes, 0);
	burst(f, 30000, 4);
	assert_int_equal(f->pool.spliced, 60000);
	assert_false(f->pool.pipes_failed);
}

/* A pipe that still holds bytes when its relay ends is closed, never
 * handed to another relay. */
static void
test_pipe_not_reused_full(void **state)
{
	struct fixture *f = *state;
	char out[64];

	memset(out, 'x', sizeof(out));
	while (write(f->dst[0], out, sizeof(out)) > 0)
		;
	assert_int_equal(write(f->src[1], "stuck", 5), 5);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(f->r.len, 5);
	assert_int_equal(f->pool.pipes, 1);
	relay_fini(&f->r);
	assert_int_equal(f->pool.pipes, 0);
	assert_int_equal(f->pool.nspare, 0);
	assert_int_equal(f->pool.used, 0);
}

/*
 * A pipe is filled to its size while the budget has room, to buffer-size
 * under pressure, and gives back the rest when others wait.
 */
static void
test_pipe_pressure(void **state)
{
	struct fixture *f = *state;
	struct relay b, c;
	int sb[2], db[2], sc[2], dc[2];
	char out[64];

	memset(out, 'x', sizeof(out));
	pair(sb);
	pair(db);
	pair(sc);
	pair(dc);
	relay_pool_set_limit(&f->pool, 4 * f->pool.pipe_size);
	/* a: room, its full size; its destination full, 5 bytes stuck. */
	while (write(f->dst[0], out, sizeof(out)) > 0)
		;
	assert_int_equal(write(f->src[1], "stuck", 5), 5);
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(f->r.held, f->pool.pipe_size);
	assert_int_equal(f->r.len, 5);
	/* b: a quarter of the budget is used: buffer-size only. */
	relay_init(&b, sb[0], AF_UNIX, db[0], 4096, &f->pool, count_wake,
	    (void *)1);
	mode(f, &b);
	while (write(db[0], out, sizeof(out)) > 0)
		;
	assert_int_equal(write(sb[1], "held", 4), 4);
	assert_int_equal(relay_pump(&b), RELAY_OK);
	assert_int_equal(b.held, 4096);
	assert_int_equal(f->pool.used, f->pool.pipe_size + 4096);
	/* c waits once the budget is spent... */
	relay_pool_set_limit(&f->pool, f->pool.used);
	relay_init(&c, sc[0], AF_UNIX, dc[0], 4096, &f->pool, count_wake,
	    (void *)10);
	mode(f, &c);
	assert_int_equal(write(sc[1], "third", 5), 5);
	assert_int_equal(relay_pump(&c), RELAY_OK);
	assert_false(holds(&c));
	assert_int_equal(woken, 0);
	/* ... and a, with 5 bytes in its pipe, gives back all but 4096. */
	assert_int_equal(relay_pump(&f->r), RELAY_OK);
	assert_int_equal(f->r.held, 4096);
	assert_int_equal(woken, 10);
	assert_int_equal(relay_pump(&c), RELAY_OK);
	assert_int_equal(read(dc[1], out, sizeof(out)), 5);
	assert_memory_equal(out, "third", 5);
	relay_fini(&b);
	relay_fini(&c);
	close(sb[0]);
	close(sb[1]);
	close(db[0]);
	close(db[1]);
	close(sc[0]);
	close(sc[1]);
	close(dc[0]);
	close(dc[1]);
}

int
main(void)
{
#define BOTH_WAYS(s) \
		cmocka_unit_test_setup_teardown(test_transfer, s, teardown), \
		cmocka_unit_test_setup_teardown(test_backpressure, s,	\
		    teardown),						\
		cmocka_unit_test_setup_teardown(test_eof_after_drain, s, \
		    teardown),						\
		cmocka_unit_test_setup_teardown(test_write_failure, s,	\
		    teardown),						\
		cmocka_unit_test_setup_teardown(test_read_failure, s,	\
		    teardown),						\
		cmocka_unit_test_setup_teardown(test_budget, s, teardown)
	const struct CMUnitTest tests[] = {
		BOTH_WAYS(setup_copy),
		BOTH_WAYS(setup_zc),
		cmocka_unit_test_setup_teardown(test_pipe_reuse, setup_zc,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipe_fallback, setup_zc,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipe_not_reused_full,
		    setup_zc, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_pressure, setup_zc,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
