/*
 * test-addr: the socket-type forms of addresses (vsock-seqpacket:,
 * vsock-stream:, unix-seqpacket:): parsed, written back the same way,
 * compared, and a rule that mixes a message end with a stream end
 * refused on the command line and in a file.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "addr.h"
#include "argv.h"
#include "conf.h"
#include "opts.h"
#include "vsock.h"

/* s parses for use, has type, and addr_format() gives want back. */
static void
parses(const char *s, enum addr_use use, int type, const char *want)
{
	struct addr a, b;
	char err[256], buf[ADDR_STRLEN];

	if (addr_parse(s, use, &a, err, sizeof(err)) != 0)
		fail_msg("%s: %s", s, err);
	assert_int_equal(a.type, type);
	assert_int_equal(addr_is_message(&a), type == SOCK_SEQPACKET);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), want);
	/* What is written reads back to the same address. */
	assert_int_equal(addr_parse(buf, use, &b, err, sizeof(err)), 0);
	assert_true(addr_equal(&a, &b));
	assert_int_equal(addr_hash(&a), addr_hash(&b));
}

static void
refused(const char *s, enum addr_use use, const char *needle)
{
	struct addr a;
	char err[256];

	assert_int_equal(addr_parse(s, use, &a, err, sizeof(err)), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("%s: error '%s' lacks '%s'", s, err, needle);
}

static void
test_forms(void **state)
{
	struct addr a;
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&a.sa;
	char err[128];

	(void)state;
	parses("vsock-seqpacket:5000", ADDR_LISTEN, SOCK_SEQPACKET,
	    "vsock-seqpacket:5000");
	parses("vsock-seqpacket:3:5000", ADDR_CONNECT, SOCK_SEQPACKET,
	    "vsock-seqpacket:3:5000");
	parses("vsock-seqpacket:4294967295:0", ADDR_LISTEN, SOCK_SEQPACKET,
	    "vsock-seqpacket:0");	/* CID any, as vsock: writes it */
	parses("vsock-stream:3:5000", ADDR_CONNECT, SOCK_STREAM,
	    "vsock:3:5000");
	parses("vsock-stream:5000", ADDR_LISTEN, SOCK_STREAM, "vsock:5000");
	parses("vsock:3:5000", ADDR_CONNECT, SOCK_STREAM, "vsock:3:5000");
	parses("unix-seqpacket:/run/a,b.sock", ADDR_LISTEN, SOCK_SEQPACKET,
	    "unix-seqpacket:/run/a,b.sock");
	parses("unix-seqpacket:/run/m.sock", ADDR_CONNECT, SOCK_SEQPACKET,
	    "unix-seqpacket:/run/m.sock");
	parses("unix:/run/m.sock", ADDR_CONNECT, SOCK_STREAM,
	    "unix:/run/m.sock");
	parses("tcp:127.0.0.1:80", ADDR_CONNECT, SOCK_STREAM,
	    "tcp:127.0.0.1:80");
	parses("hybrid-vsock:/run/fc.sock:5", ADDR_CONNECT, SOCK_STREAM,
	    "hybrid-vsock:/run/fc.sock:5");

	assert_int_equal(addr_parse("vsock-seqpacket:7:8", ADDR_CONNECT, &a,
	    err, sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_VSOCK);
	assert_int_equal(addr_family(&a), AF_VSOCK);
	assert_int_equal(svm->svm_cid, 7);
	assert_int_equal(svm->svm_port, 8);

	/* The same rules as the stream forms. */
	refused("vsock-seqpacket:5000", ADDR_CONNECT, "CID");
	refused("vsock-seqpacket:", ADDR_LISTEN, "port");
	refused("vsock-seqpacket:x:1", ADDR_CONNECT, "CID");
	refused("unix-seqpacket:", ADDR_LISTEN, "empty");
	assert_int_equal(addr_parse_flags("unix-seqpacket:rel.sock",
	    ADDR_LISTEN, ADDR_ABSOLUTE, &a, err, sizeof(err)), -1);
	/* No message form for byte streams, nor a made-up one. */
	refused("tcp-seqpacket:127.0.0.1:80", ADDR_CONNECT, "unknown");
	refused("hybrid-vsock-seqpacket:/x:1", ADDR_CONNECT, "unknown");
	refused("unix-stream:/x", ADDR_CONNECT, "unknown");
	refused("vsock-dgram:3:1", ADDR_CONNECT, "unknown");
	refused("seqpacket:3:1", ADDR_CONNECT, "unknown");
}

static void
test_equal(void **state)
{
	struct addr s, m, m2;
	char err[128];

	(void)state;
	assert_int_equal(addr_parse("unix:/run/x", ADDR_LISTEN, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_parse("unix-seqpacket:/run/x", ADDR_LISTEN, &m,
	    err, sizeof(err)), 0);
	assert_int_equal(addr_parse("unix-seqpacket:/run/x", ADDR_LISTEN,
	    &m2, err, sizeof(err)), 0);
	/* Not the same listener (a reload must make a new socket)... */
	assert_false(addr_equal(&s, &m));
	assert_true(addr_equal(&m, &m2));
	/* ...and relative paths are made absolute as unix: ones are. */
	assert_int_equal(addr_parse("unix-seqpacket:r.sock", ADDR_LISTEN, &m,
	    err, sizeof(err)), 0);
	assert_int_equal(addr_absolute(&m, "/run", err, sizeof(err)), 0);
	assert_int_equal(addr_parse("unix-seqpacket:/run/r.sock",
	    ADDR_LISTEN, &m2, err, sizeof(err)), 0);
	assert_true(addr_equal(&m, &m2));
	assert_string_equal(addr_type_name(SOCK_STREAM), "stream");
	assert_string_equal(addr_type_name(SOCK_SEQPACKET), "seqpacket");
}

static void
test_opts_mixing(void **state)
{
	struct opts o;
	char err[256];
	char **v;

	(void)state;
	v = ARGV("--listen", "unix-seqpacket:/run/l", "--connect",
	    "vsock-seqpacket:3:5");
	assert_int_equal(opts_parse(argv_count(v), v, &o, err, sizeof(err)),
	    OPTS_RUN);
	assert_true(addr_is_message(&o.conf->rules->listen));
	assert_true(addr_is_message(&o.conf->rules->connect));
	opts_free(&o);

	v = ARGV("--listen", "unix-seqpacket:/run/l", "--connect",
	    "vsock:3:5");
	assert_int_equal(opts_parse(argv_count(v), v, &o, err, sizeof(err)),
	    OPTS_ERROR);
	assert_non_null(strstr(err, "messages (seqpacket) to messages"));
	opts_free(&o);
	v = ARGV("--listen", "tcp:127.0.0.1:80", "--connect",
	    "unix-seqpacket:/run/t");
	assert_int_equal(opts_parse(argv_count(v), v, &o, err, sizeof(err)),
	    OPTS_ERROR);
	assert_non_null(strstr(err, "is stream but"));
	opts_free(&o);
}

static void
collect(void *cookie, const char *msg)
{
	char *first = cookie;

	if (first[0] == '\0')
		snprintf(first, 256, "%s", msg);
}

static void
test_conf_mixing(void **state)
{
	char first[256] = "";
	struct conf *c;

	(void)state;
	c = conf_parse_string("rule a {\n listen unix-seqpacket:/run/a\n"
	    " connect vsock-seqpacket:3:1\n allow-uid 0\n}\n", "/t.conf",
	    CONF_NO_INCLUDE | CONF_NO_RESOLVE, collect, first);
	assert_non_null(c);
	assert_true(addr_is_message(&c->rules->listen));
	conf_unref(c);

	c = conf_parse_string("rule a {\n listen vsock-seqpacket:1\n"
	    "\n connect unix:/run/b\n}\n", "/t.conf",
	    CONF_NO_INCLUDE | CONF_NO_RESOLVE, collect, first);
	assert_null(c);
	if (strstr(first, "/t.conf:4: rule 'a' listens on a seqpacket "
	    "socket but connects to a stream one") == NULL)
		fail_msg("error: %s", first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_opts_mixing),
		cmocka_unit_test(test_conf_mixing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
