/*
 * Unit tests: listen address clashes in constant time (clash.c, htab.c)
 * against the pairwise definition they replace, over random sequences of
 * addresses from a small set chosen so that every kind of clash happens.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "clash.h"
#include "htab.h"
#include "vsock.h"

/*
 * The definition: the same address, a vsock port on any CID and the
 * same port on a CID, a TCP wildcard and the same port on its family
 * ([::] on both); port 0 never.  The walk conf.c did before clash.c.
 */
static int
ref_clash(const struct addr *a, const struct addr *b)
{
	const struct sockaddr_vm *va, *vb;
	struct addr_ip ia, ib;

	if (a->kind != b->kind)
		return (0);
	switch (a->kind) {
	case ADDR_VSOCK:
		va = (const struct sockaddr_vm *)&a->sa;
		vb = (const struct sockaddr_vm *)&b->sa;
		return (va->svm_port == vb->svm_port &&
		    (va->svm_cid == vb->svm_cid ||
		    va->svm_cid == VMADDR_CID_ANY ||
		    vb->svm_cid == VMADDR_CID_ANY));
	case ADDR_TCP:
		addr_tcp_ip(a, &ia);
		addr_tcp_ip(b, &ib);
		if (ia.port == 0 || ia.port != ib.port)
			return (0);
		if (addr_equal(a, b))
			return (1);
		if (ia.family == AF_INET6 && addr_tcp_wildcard(a))
			return (1);
		if (ib.family == AF_INET6 && addr_tcp_wildcard(b))
			return (1);
		return (ia.family == ib.family &&
		    (addr_tcp_wildcard(a) || addr_tcp_wildcard(b)));
	default:
		return (addr_equal(a, b));
	}
}

static const char *const pool[] = {
	"vsock:1", "vsock:2", "vsock:2:1", "vsock:3:1", "vsock:3:2",
	"vsock:4294967295:1",
	"tcp:0.0.0.0:1", "tcp:127.0.0.1:1", "tcp:10.0.0.1:1",
	"tcp:[::]:1", "tcp:[::1]:1", "tcp:[::ffff:127.0.0.1]:1",
	"tcp:[::ffff:0.0.0.0]:1", "tcp:[fe80::1%1]:1", "tcp:[fe80::1%2]:1",
	"tcp:0.0.0.0:2", "tcp:[::1]:2", "tcp:127.0.0.1:2",
	"tcp:0.0.0.0:0", "tcp:127.0.0.1:0", "tcp:[::]:0",
	"unix:/a", "unix:/b", "unix:/a/",
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))
#define NSEQ 60

static void
test_against_definition(void **state)
{
	struct addr pa[NPOOL], seq[NSEQ];
	char err[128];
	uint32_t x = 2463534242U;
	struct clash *c;
	void *got;
	size_t i, j, want, round, nclash = 0;

	/* Numeric hosts: a %scope that is a number needs no lookup. */
	for (i = 0; i < NPOOL; i++)
		assert_int_equal(addr_parse(pool[i], ADDR_LISTEN, &pa[i], err,
		    sizeof(err)), 0);
	for (round = 0; round < 2000; round++) {
		assert_non_null(c = clash_new());
		for (i = 0; i < NSEQ; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			seq[i] = pa[x % NPOOL];
			for (j = 0; j < i; j++)
				if (ref_clash(&seq[j], &seq[i]))
					break;
			want = j;
			got = clash_find(c, &seq[i]);
			if (want == i)
				assert_null(got);
			else {
				assert_ptr_equal(got, &seq[want]);
				nclash++;
			}
			/* The definition is symmetric; so is the index. */
			for (j = 0; j < i; j++)
				assert_int_equal(ref_clash(&seq[j], &seq[i]),
				    ref_clash(&seq[i], &seq[j]));
			assert_int_equal(clash_add(c, &seq[i], &seq[i]), 0);
		}
		clash_free(c);
	}
	/* Enough of both answers for the test to mean something. */
	assert_true(nclash > 2000 * NSEQ / 4);
	assert_true(nclash < 2000 * NSEQ);
	clash_free(NULL);
}

/* Many distinct addresses: the table grows and still finds each. */
static void
test_many(void **state)
{
	static struct addr a[20000];
	char s[64], err[128];
	struct clash *c;
	size_t i;

	assert_non_null(c = clash_new());
	for (i = 0; i < 20000; i++) {
		if (i % 3 == 0)
			snprintf(s, sizeof(s), "tcp:127.0.%zu.%zu:%zu",
			    i / 250 % 250, i % 250, 1 + i % 60000);
		else if (i % 3 == 1)
			snprintf(s, sizeof(s), "vsock:%zu:%zu", i % 7, i);
		else
			snprintf(s, sizeof(s), "unix:/run/s%zu", i);
		assert_int_equal(addr_parse_flags(s, ADDR_LISTEN,
		    ADDR_NUMERIC, &a[i], err, sizeof(err)), 0);
		assert_null(clash_find(c, &a[i]));
		assert_int_equal(clash_add(c, &a[i], &a[i]), 0);
	}
	for (i = 0; i < 20000; i++)
		assert_ptr_equal(clash_find(c, &a[i]), &a[i]);
	clash_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_definition),
		cmocka_unit_test(test_many),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
