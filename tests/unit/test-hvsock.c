/*
 * Unit tests: the hybrid vsock reply parser, and the handshake on a
 * socket pair (the request sent, the reply consumed exactly).
 */
#include "config.h"

#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hvsock.h"

/* Parse a literal (embedded NULs included) and return the status. */
#define PARSE(lit, port, used, why) \
	hvsock_reply_parse((lit), sizeof(lit) - 1, (port), (used), (why))

static void
test_good(void **state)
{
	const char *why = NULL;
	uint32_t port = 7;
	size_t used = 0;

	(void)state;
	assert_int_equal(PARSE("OK 1073741824\n", &port, &used, &why),
	    HVSOCK_OK);
	assert_int_equal(port, 1073741824U);
	assert_int_equal(used, 14);
	assert_int_equal(PARSE("OK 4294967295\n", &port, &used, &why),
	    HVSOCK_OK);
	assert_int_equal(port, 4294967295U);
	/* Port 0 is accepted: the number is informational only. */
	assert_int_equal(PARSE("OK 0\n", &port, &used, &why), HVSOCK_OK);
	assert_int_equal(port, 0);
	assert_int_equal(used, 5);
	assert_int_equal(PARSE("OK 007\n", &port, &used, &why), HVSOCK_OK);
	assert_int_equal(port, 7);
	/* The guest's first bytes after the line are not the parser's. */
	assert_int_equal(PARSE("OK 52\nhello\n", &port, &used, &why),
	    HVSOCK_OK);
	assert_int_equal(port, 52);
	assert_int_equal(used, 6);
	assert_int_equal(PARSE("OK 1\nOK 2\n", &port, &used, &why),
	    HVSOCK_OK);
	assert_int_equal(port, 1);
	assert_int_equal(used, 5);
}

static void
test_more(void **state)
{
	static const char full[] = "OK 1073741824\n";
	const char *why = NULL;
	uint32_t port = 99;
	size_t used = 99, n;

	(void)state;
	/* Every proper prefix of a good reply asks for more. */
	for (n = 0; n < sizeof(full) - 1; n++)
		assert_int_equal(hvsock_reply_parse(full, n, &port, &used,
		    &why), HVSOCK_MORE);
	assert_int_equal(port, 99);
	assert_int_equal(used, 99);
	assert_int_equal(hvsock_reply_parse(NULL, 0, &port, &used, &why),
	    HVSOCK_MORE);
	/* Zeros up to the limit are still a number in progress. */
	assert_int_equal(PARSE("OK 0000000000000000000000000000", &port,
	    &used, &why), HVSOCK_MORE);
}

/* A reply that must fail, with a reason. */
static void
bad(const char *buf, size_t len)
{
	const char *why = NULL;
	uint32_t port;
	size_t used;

	assert_int_equal(hvsock_reply_parse(buf, len, &port, &used, &why),
	    HVSOCK_BAD);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
}
#define BAD(lit) bad((lit), sizeof(lit) - 1)

static void
test_bad(void **state)
{
	char big[HVSOCK_REPLY_MAX + 8];

	(void)state;
	/* Not "OK": told at the first wrong byte, newline or not. */
	BAD("FAILURE\n");
	BAD("F");
	BAD("NOPE 5\n");
	BAD("ok 5\n");
	BAD("OK5\n");
	BAD("O 5\n");
	BAD("\n");
	BAD(" OK 5\n");
	/* No number, or not digits. */
	BAD("OK \n");
	BAD("OK x\n");
	BAD("OK  5\n");
	BAD("OK -5\n");
	BAD("OK +5\n");
	BAD("OK 0x10\n");
	/* Out of range, seen before the newline arrives. */
	BAD("OK 4294967296\n");
	BAD("OK 4294967296");
	BAD("OK 99999999999999999999");
	BAD("OK 18446744073709551616\n");
	/* Garbage after the number, CRLF included. */
	BAD("OK 5 \n");
	BAD("OK 5x\n");
	BAD("OK 5\r\n");
	BAD("OK 5\r");
	/* Embedded NULs. */
	BAD("OK \0005\n");
	BAD("OK 5\0\n");
	BAD("\0K 5\n");
	/* No newline within the limit. */
	memset(big, '0', sizeof(big));
	memcpy(big, "OK ", 3);
	bad(big, HVSOCK_REPLY_MAX);
	bad(big, sizeof(big));
	big[HVSOCK_REPLY_MAX] = '\n';
	bad(big, sizeof(big));
	/* ... while a line of exactly the limit is fine. */
	big[HVSOCK_REPLY_MAX - 1] = '\n';
	{
		const char *why = NULL;
		uint32_t port = 1;
		size_t used = 0;

		assert_int_equal(hvsock_reply_parse(big, sizeof(big), &port,
		    &used, &why), HVSOCK_OK);
		assert_int_equal(port, 0);
		assert_int_equal(used, HVSOCK_REPLY_MAX);
	}
}

/* Every byte value at every position: never a crash, never a read
 * beyond len (ASan checks the latter). */
static void
test_any_bytes(void **state)
{
	char buf[HVSOCK_REPLY_MAX + 4], *p;
	const char *why;
	uint32_t port;
	size_t used, pos, len;
	int b;
	enum hvsock_status st;

	(void)state;
	for (pos = 0; pos < sizeof(buf); pos++)
		for (b = 0; b < 256; b++)
			for (len = pos + 1; len <= sizeof(buf); len += 5) {
				memcpy(buf, "OK 123456789\n", 13);
				memset(buf + 13, '\n', sizeof(buf) - 13);
				buf[pos] = (char)b;
				/* A heap copy of exactly len bytes. */
				p = test_malloc(len);
				memcpy(p, buf, len);
				used = 0;
				why = NULL;
				st = hvsock_reply_parse(p, len, &port, &used,
				    &why);
				if (st == HVSOCK_OK)
					assert_true(used > 0 && used <= len &&
					    p[used - 1] == '\n');
				else if (st == HVSOCK_BAD)
					assert_non_null(why);
				else
					assert_true(len < HVSOCK_REPLY_MAX);
				test_free(p);
			}
}

static void
test_handshake(void **state)
{
	struct hvsock h;
	const char *why = NULL;
	char buf[64];
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hvsock_init(&h, 5000);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_MORE);
	assert_false(hvsock_sending(&h));
	n = read(sv[1], buf, sizeof(buf));
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "CONNECT 5000\n", 13);
	/* A reply in pieces, the last with the guest's first bytes. */
	assert_int_equal(write(sv[1], "OK 10", 5), 5);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_MORE);
	assert_int_equal(write(sv[1], "24\nguest", 8), 8);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_OK);
	assert_int_equal(h.hostport, 1024);
	/* Nothing beyond the newline was consumed. */
	n = read(sv[0], buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "guest", 5);
	close(sv[0]);
	close(sv[1]);
}

static void
test_handshake_fail(void **state)
{
	struct hvsock h;
	const char *why = NULL;
	char buf[64];
	int sv[2];

	(void)state;
	/* EOF in mid-reply. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hvsock_init(&h, 4294967295U);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_MORE);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 19);
	assert_memory_equal(buf, "CONNECT 4294967295\n", 19);
	assert_int_equal(write(sv[1], "OK 12", 5), 5);
	close(sv[1]);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_BAD);
	assert_string_equal(why, "VMM closed the connection in mid-reply: "
	    "\"OK 12\"");
	close(sv[0]);

	/* What a VMM says is quoted, escaped: it cannot forge a line. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hvsock_init(&h, 7);
	assert_int_equal(write(sv[1], "FAIL\r\x1b[2J\n", 10), 10);
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_BAD);
	assert_string_equal(why, "VMM reply is not \"OK PORT\": "
	    "\"FAIL\\r\\x1b[2J\\n\"");
	close(sv[0]);
	close(sv[1]);

	/* An endless reply: refused at the limit, not read beyond. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	hvsock_init(&h, 1);
	memcpy(buf, "OK ", 3);
	memset(buf + 3, '0', sizeof(buf) - 3);
	assert_int_equal(write(sv[1], buf, sizeof(buf)), sizeof(buf));
	why = NULL;
	assert_int_equal(hvsock_step(&h, sv[0], &why), HVSOCK_BAD);
	assert_non_null(strstr(why, "too long"));
	assert_int_equal(read(sv[0], buf, sizeof(buf)),
	    sizeof(buf) - HVSOCK_REPLY_MAX);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_more),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_any_bytes),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_handshake_fail),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
