/*
 * Unit tests: the limits that face outsiders.  connrate: a peer gets a
 * second's worth of connections at once, then one per interval; peers
 * do not share buckets; a crowd of other peers cannot make the table
 * grow.  ratelim: at most RATELIM_BURST lines per interval, the rest
 * counted and summed up with who they were about.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "connrate.h"
#include "ratelim.h"

static void
peer(unsigned char *id, unsigned int n)
{

	memset(id, 0, CONNRATE_IDLEN);
	memcpy(id + 4, &n, sizeof(n));
}

static void
test_connrate(void **state)
{
	struct connrate *cr = connrate_new();
	unsigned char a[CONNRATE_IDLEN], b[CONNRATE_IDLEN];
	unsigned int i, n;

	assert_non_null(cr);
	peer(a, 1);
	peer(b, 2);
	for (i = 0; i < 5; i++)
		assert_true(connrate_allow(cr, a, 5, 1000));
	assert_false(connrate_allow(cr, a, 5, 1000));
	assert_false(connrate_allow(cr, a, 5, 1150));
	/* Another peer has its own bucket. */
	assert_true(connrate_allow(cr, b, 5, 1150));
	/* One more every 200 ms. */
	assert_true(connrate_allow(cr, a, 5, 1200));
	assert_false(connrate_allow(cr, a, 5, 1300));
	/* A second of silence refills it. */
	for (i = 0; i < 5; i++)
		assert_true(connrate_allow(cr, a, 5, 2300));
	assert_false(connrate_allow(cr, a, 5, 2300));
	/* 0 is no limit. */
	for (i = 0; i < 100; i++)
		assert_true(connrate_allow(cr, a, 0, 2300));
	/* A crowd: each new peer gets its burst, none more, and the
	 * table does not grow (the allocation is fixed). */
	for (n = 10; n < 20000; n++) {
		peer(b, n);
		assert_true(connrate_allow(cr, b, 1, 3000));
	}
	for (n = 19990; n < 20000; n++) {
		peer(b, n);
		assert_false(connrate_allow(cr, b, 1, 3000));
	}
	connrate_free(cr);
	connrate_free(NULL);
}

static void
test_ratelim(void **state)
{
	struct ratelim r;
	char from[200];
	int i;

	ratelim_init(&r);
	for (i = 0; i < RATELIM_BURST; i++)
		assert_true(ratelim_allow(&r, 10, "vsock:5"));
	assert_false(ratelim_allow(&r, 11, "vsock:5"));
	assert_false(ratelim_allow(&r, 12, "vsock:5"));
	assert_int_equal(ratelim_due(&r), 10 + RATELIM_INTERVAL_MS);
	/* Held lines keep the interval open past its end... */
	assert_false(ratelim_allow(&r, 10 + RATELIM_INTERVAL_MS, "vsock:5"));
	/* ... until the summary, which names the one peer. */
	assert_int_equal(ratelim_flush(&r, 6000, from, sizeof(from)), 3);
	assert_string_equal(from, "vsock:5");
	assert_int_equal(ratelim_flush(&r, 6000, from, sizeof(from)), 0);
	for (i = 0; i < RATELIM_BURST; i++)
		assert_true(ratelim_allow(&r, 6001, "vsock:5"));
	assert_false(ratelim_allow(&r, 6002, "vsock:5"));
	assert_false(ratelim_allow(&r, 6003, "vsock:7"));
	assert_int_equal(ratelim_flush(&r, 7000, from, sizeof(from)), 2);
	assert_string_equal(from, "vsock:5+others");
	/* Nothing held: a new interval starts by itself. */
	for (i = 0; i < RATELIM_BURST; i++)
		assert_true(ratelim_allow(&r, 7001, "x"));
	for (i = 0; i < RATELIM_BURST; i++)
		assert_true(ratelim_allow(&r, 7001 + RATELIM_INTERVAL_MS,
		    "x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connrate),
		cmocka_unit_test(test_ratelim),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
