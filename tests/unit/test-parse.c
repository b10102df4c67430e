/*
 * Unit tests: number, address and ACL parsing, and the command line.
 */
#include "config.h"

#include <float.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <sys/un.h>

#include "acl.h"
#include "addr.h"
#include "argv.h"
#include "conf.h"
#include "escape.h"
#include "opts.h"
#include "parse.h"
#include "settings.h"
#include "vsock.h"

static void
test_uint(void **state)
{
	uint64_t v;
	uint32_t u;

	assert_int_equal(parse_uint("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_uint("11", 0, 10, &v), -1);
	assert_int_equal(parse_uint("", 0, 10, &v), -1);
	assert_int_equal(parse_uint(" 1", 0, 10, &v), -1);
	assert_int_equal(parse_uint("+1", 0, 10, &v), -1);
	assert_int_equal(parse_uint("-1", 0, 10, &v), -1);
	assert_int_equal(parse_uint("5x", 0, 10, &v), -1);
	assert_int_equal(parse_uint("0x5", 0, 10, &v), -1);
	assert_int_equal(parse_uint("99999999999999999999999", 0, UINT64_MAX,
	    &v), -1);
	assert_int_equal(parse_u32("4294967295", &u), 0);
	assert_int_equal(u, 4294967295U);
	assert_int_equal(parse_u32("4294967296", &u), -1);
	assert_int_equal(parse_u32("70000", &u), 0);
	assert_int_equal(u, 70000);
}

static void
test_seconds(void **state)
{
	uint64_t ms;

	assert_int_equal(parse_seconds("2", 100, &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(parse_seconds("0.25", 100, &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(parse_seconds(".5", 100, &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_seconds("0", 100, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(parse_seconds("101", 100, &ms), -1);
	assert_int_equal(parse_seconds("1e3", 10000, &ms), -1);
	assert_int_equal(parse_seconds("-1", 100, &ms), -1);
	assert_int_equal(parse_seconds("1..2", 100, &ms), -1);
	assert_int_equal(parse_seconds(".", 100, &ms), -1);
	assert_int_equal(parse_seconds("", 100, &ms), -1);
	/* Milliseconds past uint64_t: refused, not converted (fuzz-parse). */
	assert_int_equal(parse_seconds("18446744073709551615", DBL_MAX, &ms),
	    -1);
	assert_int_equal(parse_seconds("18446744073709551", DBL_MAX, &ms), -1);
	assert_int_equal(parse_seconds("18446744073709500", DBL_MAX, &ms), 0);
	assert_int_equal(parse_seconds("nan", 100, &ms), -1);
	assert_int_equal(parse_seconds("2s", 100, &ms), -1);
}

static void
test_size(void **state)
{
	size_t v;

	assert_int_equal(parse_size("4096", 1024, 1 << 30, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("64k", 1024, 1 << 30, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("2M", 1024, 1 << 30, &v), 0);
	assert_int_equal(v, 2 * 1024 * 1024);
	assert_int_equal(parse_size("1023", 1024, 1 << 30, &v), -1);
	assert_int_equal(parse_size("2G", 1024, 1 << 30, &v), -1);
	assert_int_equal(parse_size("k", 1024, 1 << 30, &v), -1);
	assert_int_equal(parse_size("1kk", 1024, 1 << 30, &v), -1);
	assert_int_equal(parse_size("2048M", 1024, 1 << 30, &v), -1);
	assert_int_equal(parse_size("99999999999999999999M", 0, SIZE_MAX,
	    &v), -1);
}

static void
test_addr_vsock(void **state)
{
	struct addr a;
	struct sockaddr_vm *svm = (struct sockaddr_vm *)&a.sa;
	char err[128], buf[ADDR_STRLEN];

	assert_int_equal(addr_parse("vsock:70000", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_VSOCK);
	assert_int_equal(svm->svm_family, AF_VSOCK);
	assert_int_equal(svm->svm_cid, VMADDR_CID_ANY);
	assert_int_equal(svm->svm_port, 70000);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "vsock:70000");

	assert_int_equal(addr_parse("vsock:4:1234", ADDR_CONNECT, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(svm->svm_cid, 4);
	assert_int_equal(svm->svm_port, 1234);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "vsock:4:1234");

	/* A target needs a CID; numbers are 32-bit and strict. */
	assert_int_equal(addr_parse("vsock:1234", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "CID"));
	assert_int_equal(addr_parse("vsock:4:4294967296", ADDR_CONNECT, &a,
	    err, sizeof(err)), -1);
	assert_int_equal(addr_parse("vsock:x:1", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("vsock:3:1:2", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("vsock:", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
}

static void
test_addr_tcp_unix(void **state)
{
	struct addr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.sa;
	char err[128], buf[ADDR_STRLEN], longpath[200];

	assert_int_equal(addr_parse("tcp:127.0.0.1:8080", ADDR_CONNECT, &a,
	    err, sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_TCP);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 8080);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "tcp:127.0.0.1:8080");
	assert_int_equal(addr_parse("tcp:[::1]:22", ADDR_CONNECT, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_INET6);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "tcp:[::1]:22");
	assert_int_equal(addr_parse("tcp:127.0.0.1:0", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_parse("tcp:127.0.0.1:0", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("tcp:127.0.0.1:65536", ADDR_CONNECT, &a,
	    err, sizeof(err)), -1);
	assert_int_equal(addr_parse("tcp:127.0.0.1:x", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("tcp:127.0.0.1", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("tcp:::1:22", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("tcp:[::1]22", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);

	assert_int_equal(addr_parse("unix:/run/x.sock", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_UNIX);
	assert_string_equal(sun->sun_path, "/run/x.sock");
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "unix:/run/x.sock");
	assert_int_equal(addr_parse("unix:", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("unix:/run/a\nb", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "newline"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = 'u'; longpath[1] = 'n'; longpath[2] = 'i';
	longpath[3] = 'x'; longpath[4] = ':';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(addr_parse(longpath, ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("udp:1.2.3.4:5", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("5000", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
}

static void
test_addr_hvsock(void **state)
{
	struct addr a;
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.sa;
	char err[128], buf[ADDR_STRLEN], longpath[200];
	size_t max = sizeof(sun->sun_path) - 1;

	assert_int_equal(addr_parse("hybrid-vsock:/run/fc/v.sock:5000",
	    ADDR_CONNECT, &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_HVSOCK);
	assert_int_equal(addr_family(&a), AF_UNIX);
	assert_string_equal(sun->sun_path, "/run/fc/v.sock");
	assert_int_equal(a.hvport, 5000);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "hybrid-vsock:/run/fc/v.sock:5000");
	/* The path ends at the last colon. */
	assert_int_equal(addr_parse("hybrid-vsock:/a:b/c:4294967295",
	    ADDR_CONNECT, &a, err, sizeof(err)), 0);
	assert_string_equal(sun->sun_path, "/a:b/c");
	assert_int_equal(a.hvport, 4294967295U);
	assert_int_equal(addr_parse("hybrid-vsock:rel.sock:0", ADDR_CONNECT,
	    &a, err, sizeof(err)), 0);
	assert_string_equal(sun->sun_path, "rel.sock");
	assert_int_equal(a.hvport, 0);

	/* Connect only, with a clear reason. */
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:5",
	    ADDR_LISTEN, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "connect address only"));
	/* Empty path, no port, bad ports. */
	assert_int_equal(addr_parse("hybrid-vsock::5", ADDR_CONNECT, &a,
	    err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:", ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock", ADDR_CONNECT,
	    &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:x",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:-1",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:4294967296",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:5 ",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid-vsock:/run/v.sock:5:",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse("hybrid_vsock:/run/v.sock:5",
	    ADDR_CONNECT, &a, err, sizeof(err)), -1);

	/* The longest path that fits sun_path, and one byte more; the
	 * longest name still formats whole. */
	memcpy(longpath, "hybrid-vsock:", 13);
	memset(longpath + 13, 'p', max);
	strcpy(longpath + 13 + max, ":4294967295");
	assert_int_equal(addr_parse(longpath, ADDR_CONNECT, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(sun->sun_path), max);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), longpath);
	memset(longpath + 13, 'p', max + 1);
	strcpy(longpath + 13 + max + 1, ":1");
	assert_int_equal(addr_parse(longpath, ADDR_CONNECT, &a, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
}

/* Outside bytes made fit for one log line. */
static void
test_escape(void **state)
{
	char buf[64], small[8];
	const unsigned char all[] = { 'a', '\n', '\r', '\t', '\\', 0, 0x1b,
	    0x7f, 0x80, 0xff, '~', ' ' };

	assert_string_equal(escape_str("/run/a b.sock", buf, sizeof(buf)),
	    "/run/a b.sock");
	assert_string_equal(escape_mem(all, sizeof(all), buf, sizeof(buf)),
	    "a\\n\\r\\t\\\\\\x00\\x1b\\x7f\\x80\\xff~ ");
	assert_string_equal(escape_str("", buf, sizeof(buf)), "");
	/* The worst case fits ESCAPE_SIZE. */
	assert_int_equal(strlen(escape_mem("\x01\x02", 2, buf,
	    ESCAPE_SIZE(2))), 8);
	/* Cut between escapes, and said to be cut. */
	assert_string_equal(escape_str("abcdefgh", small, sizeof(small)),
	    "abcd...");
	assert_string_equal(escape_str("abcdefg", small, sizeof(small)),
	    "abcdefg");
	assert_string_equal(escape_str("a\nbcdefg", small, sizeof(small)),
	    "a\\nb...");
	assert_string_equal(escape_str("abc\ndefg", small, sizeof(small)),
	    "abc...");
	assert_string_equal(escape_str("abc", small, 2), ".");
	assert_string_equal(escape_str("a", small, 2), "a");
	small[0] = 'x';
	escape_str("abc", small, 0);
	assert_int_equal(small[0], 'x');
}

/* A peer's UNIX name is its own choice of bytes: shown escaped. */
static void
test_addr_format_unix(void **state)
{
	struct sockaddr_un sun;
	struct addr a;
	char buf[ADDR_STRLEN], err[128], path[sizeof(sun.sun_path)];
	socklen_t base = offsetof(struct sockaddr_un, sun_path);
	size_t max = sizeof(sun.sun_path) - 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/c\nFORGED\tline\\");
	assert_string_equal(addr_format_sa((struct sockaddr *)&sun,
	    (socklen_t)(base + strlen(sun.sun_path) + 1), buf, sizeof(buf)),
	    "unix:/tmp/c\\nFORGED\\tline\\\\");
	/* Without the NUL the kernel may leave out. */
	assert_string_equal(addr_format_sa((struct sockaddr *)&sun,
	    (socklen_t)(base + 6), buf, sizeof(buf)), "unix:/tmp/c");
	/* Abstract names: any bytes, NULs too, up to the length. */
	memcpy(sun.sun_path, "\0ab\n\0c", 6);
	assert_string_equal(addr_format_sa((struct sockaddr *)&sun,
	    (socklen_t)(base + 6), buf, sizeof(buf)),
	    "unix:@ab\\n\\x00c");
	assert_string_equal(addr_format_sa((struct sockaddr *)&sun,
	    (socklen_t)(base + 1), buf, sizeof(buf)), "unix:(unnamed)");
	assert_string_equal(addr_format_sa((struct sockaddr *)&sun,
	    (socklen_t)sizeof(sa_family_t), buf, sizeof(buf)),
	    "unix:(unnamed)");
	/* The longest path of bytes that each take four: whole. */
	memset(sun.sun_path, 0x01, max);
	sun.sun_path[max] = '\0';
	addr_format_sa((struct sockaddr *)&sun, (socklen_t)sizeof(sun), buf,
	    sizeof(buf));
	assert_int_equal(strlen(buf), 5 + 4 * max);
	assert_null(strchr(buf, '.'));
	/* hybrid-vsock: the same for its path. */
	memset(path, 0, sizeof(path));
	strcpy(path, "hybrid-vsock:/run/\x01\t:5");
	assert_int_equal(addr_parse(path, ADDR_CONNECT, &a, err,
	    sizeof(err)), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)),
	    "hybrid-vsock:/run/\\x01\\t:5");
	/* An error's reason is one line too. */
	assert_int_equal(addr_parse("vsock:\n1", ADDR_LISTEN, &a, err,
	    sizeof(err)), -1);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "'\\n1'"));
}

static void
test_addr_absolute(void **state)
{
	struct addr a;
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.sa;
	char err[256], longpath[200];
	size_t max = sizeof(sun->sun_path) - 1;

	/* ADDR_ABSOLUTE (the configuration file): relative is an error. */
	assert_int_equal(addr_parse_flags("unix:rel.sock", ADDR_LISTEN,
	    ADDR_ABSOLUTE, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "relative path"));
	assert_int_equal(addr_parse_flags("hybrid-vsock:v.sock:5",
	    ADDR_CONNECT, ADDR_ABSOLUTE, &a, err, sizeof(err)), -1);
	assert_int_equal(addr_parse_flags("unix:/abs.sock", ADDR_LISTEN,
	    ADDR_ABSOLUTE, &a, err, sizeof(err)), 0);

	/* The command line: relative to the start directory, "./" gone. */
	assert_int_equal(addr_parse("unix:./rel.sock", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, "/srv/x", err, sizeof(err)), 0);
	assert_string_equal(sun->sun_path, "/srv/x/rel.sock");
	assert_int_equal(a.salen, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/srv/x/rel.sock") + 1);
	assert_int_equal(addr_parse("hybrid-vsock:v.sock:5", ADDR_CONNECT,
	    &a, err, sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, "/", err, sizeof(err)), 0);
	assert_string_equal(sun->sun_path, "/v.sock");
	assert_int_equal(a.kind, ADDR_HVSOCK);
	assert_int_equal(a.hvport, 5);
	/* Absolute paths and other kinds are left alone, even without a
	 * directory. */
	assert_int_equal(addr_parse("unix:/a", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, NULL, err, sizeof(err)), 0);
	assert_string_equal(sun->sun_path, "/a");
	assert_int_equal(addr_parse("tcp:127.0.0.1:1", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, NULL, err, sizeof(err)), 0);
	/* No directory, or a result too long for sun_path. */
	assert_int_equal(addr_parse("unix:r", ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "current directory is unknown"));
	memcpy(longpath, "unix:", 5);
	memset(longpath + 5, 'p', max - 1);
	longpath[5 + max - 1] = '\0';
	assert_int_equal(addr_parse(longpath, ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, "/", err, sizeof(err)), 0);
	assert_int_equal(strlen(sun->sun_path), max);
	memset(longpath + 5, 'p', max);
	longpath[5 + max] = '\0';
	assert_int_equal(addr_parse(longpath, ADDR_LISTEN, &a, err,
	    sizeof(err)), 0);
	assert_int_equal(addr_absolute(&a, "/", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
}

static void
test_acl(void **state)
{
	struct acl *a = acl_new();
	char err[128];

	assert_non_null(a);
	assert_true(acl_is_any(a));
	assert_true(acl_allows(a, 12345));
	assert_int_equal(acl_add(a, "3,5,10-20", err, sizeof(err)), 0);
	assert_false(acl_is_any(a));
	assert_true(acl_allows(a, 3));
	assert_false(acl_allows(a, 4));
	assert_true(acl_allows(a, 5));
	assert_false(acl_allows(a, 9));
	assert_true(acl_allows(a, 10));
	assert_true(acl_allows(a, 20));
	assert_false(acl_allows(a, 21));
	assert_int_equal(acl_add(a, "7-6", err, sizeof(err)), -1);
	assert_int_equal(acl_add(a, "3,,4", err, sizeof(err)), -1);
	assert_int_equal(acl_add(a, "x", err, sizeof(err)), -1);
	assert_int_equal(acl_add(a, "4294967296", err, sizeof(err)), -1);
	assert_int_equal(acl_add(a, "1-", err, sizeof(err)), -1);
	assert_false(acl_allows(a, 7));
	acl_free(a);
	acl_free(NULL);
}

static enum opts_result
run(char **argv, struct opts *o, char *err, size_t errlen)
{

	err[0] = '\0';
	return (opts_parse(argv_count(argv), argv, o, err, errlen));
}

/* The rule of the command line. */
static const struct conf_rule *
cli_rule(const struct opts *o)
{

	assert_non_null(o->conf);
	assert_int_equal(o->conf->nrules, 1);
	return (o->conf->rules);
}

#define EXPECT_ERROR(needle, ...) do {					\
	char **v_ = ARGV(__VA_ARGS__);					\
									\
	assert_int_equal(run(v_, &o, err, sizeof(err)),	\
	    OPTS_ERROR);						\
	assert_non_null(strstr(err, needle));				\
	opts_free(&o);							\
} while (0)

static void
test_opts_ghaf(void **state)
{
	struct opts o;
	const struct sockaddr_vm *l, *c;
	char err[256];
	char **v;

	v = ARGV("2000", "4", "70000", "3", "-v");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	l = (const struct sockaddr_vm *)&cli_rule(&o)->listen.sa;
	c = (const struct sockaddr_vm *)&cli_rule(&o)->connect.sa;
	assert_int_equal(l->svm_cid, VMADDR_CID_ANY);
	assert_int_equal(l->svm_port, 2000);
	assert_int_equal(c->svm_cid, 4);
	assert_int_equal(c->svm_port, 70000);
	assert_true(acl_allows(cli_rule(&o)->allow, 3));
	assert_false(acl_allows(cli_rule(&o)->allow, 5));
	assert_int_equal(o.verbosity, 2);
	assert_int_equal(cli_rule(&o)->connect_timeout_ms, 2000);
	assert_int_equal(o.settings.shutdown_timeout_ms, 5000);
	opts_free(&o);

	/* allowed_cid 0 lets anyone in. */
	v = ARGV("-q", "2000", "4", "5000", "0");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_true(acl_is_any(cli_rule(&o)->allow));
	assert_int_equal(o.verbosity, 0);
	opts_free(&o);

	EXPECT_ERROR("LOCAL_PORT 'abc'", "abc", "3", "4", "0");
	EXPECT_ERROR("REMOTE_CID '3x'", "1", "3x", "4", "0");
	EXPECT_ERROR("REMOTE_PORT '4294967296'", "1", "3", "4294967296", "0");
	EXPECT_ERROR("ALLOWED_CID '1.5'", "1", "3", "4", "1.5");
	EXPECT_ERROR("unknown option '-1'", "1", "3", "4", "-1");
	EXPECT_ERROR("missing REMOTE_CID", "1");
	EXPECT_ERROR("missing REMOTE_PORT", "1", "3");
	EXPECT_ERROR("unexpected argument '5'", "1", "3", "4", "0", "5");
	/* No rule: the default configuration file. */
	v = ARGV("-v");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_string_equal(o.config, DEFAULT_CONFIG);
	assert_null(o.conf);
	opts_free(&o);
	v = ARGV("-t", "-c", "x.conf");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_string_equal(o.config, "x.conf");
	assert_true(o.check_config);
	opts_free(&o);
	EXPECT_ERROR("--config", "-c", "x.conf", "1", "2", "3", "0");
	EXPECT_ERROR("--max-conns", "-c", "x.conf", "--max-conns", "3");
	EXPECT_ERROR("--buffer-size", "--buffer-size", "64k");
	EXPECT_ERROR("--check-config", "-t", "--listen", "tcp:127.0.0.1:1",
	    "--connect", "tcp:127.0.0.1:2");
	EXPECT_ERROR("needs --listen/--connect", "--allow", "3", "1", "2",
	    "3", "0");
}

/* Two parses of the command line gave the same rule. */
static void
assert_same_rule(const struct conf_rule *a, const struct conf_rule *b)
{

	assert_true(addr_equal(&a->listen, &b->listen));
	assert_true(addr_equal(&a->connect, &b->connect));
	assert_int_equal(acl_is_any(a->allow), acl_is_any(b->allow));
	assert_null(a->deny);
	assert_null(b->deny);
	assert_int_equal(a->max_conns, b->max_conns);
	assert_int_equal(a->max_per_peer, b->max_per_peer);
	assert_int_equal(a->max_conn_rate, b->max_conn_rate);
	assert_int_equal(a->idle_timeout_ms, b->idle_timeout_ms);
	assert_int_equal(a->connect_timeout_ms, b->connect_timeout_ms);
	assert_int_equal(a->bufsize, b->bufsize);
}

/* Ghaf's older modules: three numbers, as if ALLOWED_CID were 0. */
static void
test_opts_ghaf_three(void **state)
{
	struct opts o, o4;
	char err[256];
	char **v;

	v = ARGV("2000", "4", "70000");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_true(o.three_numbers);
	assert_true(acl_is_any(cli_rule(&o)->allow));
	v = ARGV("2000", "4", "70000", "0");
	assert_int_equal(run(v, &o4, err, sizeof(err)), OPTS_RUN);
	assert_false(o4.three_numbers);
	assert_same_rule(cli_rule(&o), cli_rule(&o4));
	assert_null(o.config);
	opts_free(&o);
	opts_free(&o4);
	/* Options before, between and after, as with four numbers. */
	v = ARGV("--max-conns", "8", "2000", "-v", "4", "70000", "-d");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	v = ARGV("--max-conns", "8", "2000", "-v", "4", "70000", "0", "-d");
	assert_int_equal(run(v, &o4, err, sizeof(err)), OPTS_RUN);
	assert_true(o.three_numbers);
	assert_same_rule(cli_rule(&o), cli_rule(&o4));
	assert_int_equal(cli_rule(&o)->max_conns, 8);
	assert_int_equal(o.verbosity, o4.verbosity);
	assert_int_equal(o.daemonize, 1);
	opts_free(&o);
	opts_free(&o4);

	/* Every number still checked; the errors of four numbers. */
	EXPECT_ERROR("LOCAL_PORT 'abc'", "abc", "3", "4");
	EXPECT_ERROR("REMOTE_CID '3x'", "1", "3x", "4");
	EXPECT_ERROR("REMOTE_PORT '4294967296'", "1", "3", "4294967296");
	EXPECT_ERROR("needs --listen/--connect", "--allow", "3", "1", "2",
	    "3");
	EXPECT_ERROR("unexpected argument '1' with --listen/--connect",
	    "--listen", "vsock:1", "--connect", "vsock:2:2", "1", "2", "3");
	EXPECT_ERROR("--config", "-c", "x.conf", "1", "2", "3");
	EXPECT_ERROR("--check-config", "-t", "1", "2", "3");
	v = ARGV("1", "2", "3", "--help");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_HELP);
	opts_free(&o);
}

static void
test_opts_general(void **state)
{
	struct opts o;
	char err[256];
	char **v;

	v = ARGV("--listen", "vsock:5000", "--connect", "tcp:127.0.0.1:22",
	    "--allow", "3,7-9", "--connect-timeout", "0.5", "--buffer-size",
	    "64k", "--max-conns", "100", "--shutdown-timeout", "0",
	    "--event-backend", "poll");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(cli_rule(&o)->listen.kind, ADDR_VSOCK);
	assert_int_equal(cli_rule(&o)->connect.kind, ADDR_TCP);
	assert_true(acl_allows(cli_rule(&o)->allow, 8));
	assert_false(acl_allows(cli_rule(&o)->allow, 4));
	assert_int_equal(cli_rule(&o)->connect_timeout_ms, 500);
	assert_int_equal(cli_rule(&o)->bufsize, 65536);
	assert_int_equal(cli_rule(&o)->max_conns, 100);
	assert_int_equal(o.settings.shutdown_timeout_ms, 0);
	assert_int_equal(o.settings.backend, EVENT_POLL);
	opts_free(&o);

	v = ARGV("-s=local3", "1", "2", "3", "0");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_string_equal(o.syslog_facility, "local3");
	opts_free(&o);
	v = ARGV("-d", "1", "2", "3", "0");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_string_equal(o.syslog_facility, "daemon");
	opts_free(&o);
	/* Names are kept as given; main() resolves them. */
	v = ARGV("-u", "nobody", "--group", "4242", "1", "2", "3", "0");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_string_equal(o.settings.user, "nobody");
	assert_string_equal(o.settings.group, "4242");
	opts_free(&o);
	EXPECT_ERROR("bad --user: empty name", "--user=", "1", "2", "3", "0");
	EXPECT_ERROR("bad --group: empty name", "-g", "", "1", "2", "3", "0");
	EXPECT_ERROR("bad --syslog facility 'kern'", "--syslog=kern", "1",
	    "2", "3", "0");
	EXPECT_ERROR("bad --stats-interval 'x'", "--stats-interval", "x",
	    "1", "2", "3", "0");

	v = ARGV("--help");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_HELP);
	opts_free(&o);
	v = ARGV("-V");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_VERSION);
	opts_free(&o);

	EXPECT_ERROR("--allow filters vsock", "--listen", "tcp:127.0.0.1:1",
	    "--connect", "tcp:127.0.0.1:2", "--allow", "3");
	/* A rule that would connect to itself. */
	EXPECT_ERROR("--connect 'unix:/a' leads back to --listen 'unix:/a'",
	    "--listen", "unix:/a", "--connect", "unix:/a");
	EXPECT_ERROR("leads back", "--listen", "tcp:0.0.0.0:7",
	    "--connect", "tcp:127.0.0.1:7");
	EXPECT_ERROR("leads back", "--listen", "unix:/a",
	    "--connect", "hybrid-vsock:/a:5");
	v = ARGV("--listen", "tcp:127.0.0.1:7", "--connect",
	    "tcp:127.0.0.2:7");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	opts_free(&o);
	EXPECT_ERROR("bad --listen 'tcp:127.0.0.1:x'", "--listen",
	    "tcp:127.0.0.1:x", "--connect", "tcp:127.0.0.1:2");
	EXPECT_ERROR("bad --connect 'vsock:5'", "--listen", "vsock:1",
	    "--connect", "vsock:5");
	EXPECT_ERROR("--listen needs --connect", "--listen", "vsock:1");
	EXPECT_ERROR("--connect needs --listen", "--connect", "vsock:1:1");
	EXPECT_ERROR("unexpected argument '7'", "--listen", "vsock:1",
	    "--connect", "vsock:2:2", "7");
	EXPECT_ERROR("bad --connect-timeout '0'", "--connect-timeout", "0",
	    "1", "2", "3", "0");
	EXPECT_ERROR("bad --connect-timeout '2x'", "--connect-timeout", "2x",
	    "1", "2", "3", "0");
	EXPECT_ERROR("bad --buffer-size '10'", "--buffer-size", "10", "1",
	    "2", "3", "0");
	EXPECT_ERROR("bad --max-conns '-3'", "--max-conns", "-3", "1", "2",
	    "3", "0");
	EXPECT_ERROR("bad --event-backend 'select'", "--event-backend",
	    "select", "1", "2", "3", "0");
	EXPECT_ERROR("unknown option '--bogus'", "--bogus", "1", "2", "3",
	    "0");
	EXPECT_ERROR("needs a value", "1", "2", "3", "0", "--max-conns");
	/* The Firecracker example of vsockproxy(8). */
	v = ARGV("--listen", "vsock:5000", "--connect",
	    "hybrid-vsock:/run/fc/v.sock:5000", "--allow", "3");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(cli_rule(&o)->connect.kind, ADDR_HVSOCK);
	assert_int_equal(cli_rule(&o)->connect.hvport, 5000);
	opts_free(&o);
	EXPECT_ERROR("connect address only", "--listen",
	    "hybrid-vsock:/run/fc/v.sock:5000", "--connect",
	    "tcp:127.0.0.1:1");
	EXPECT_ERROR("bad --connect", "--listen", "vsock:5000", "--connect",
	    "hybrid-vsock:/run/fc/v.sock");
}

/* A value option holds one value: a repeat is an error; --allow adds. */
static void
test_opts_repeat(void **state)
{
	struct opts o;
	char err[256];
	char **v;

	EXPECT_ERROR("--listen given twice", "--listen", "tcp:127.0.0.1:1",
	    "--listen", "tcp:127.0.0.1:2", "--connect", "tcp:127.0.0.1:3");
	EXPECT_ERROR("--connect given twice", "--listen", "tcp:127.0.0.1:1",
	    "--connect", "tcp:127.0.0.1:2", "--connect", "tcp:127.0.0.1:3");
	EXPECT_ERROR("-p/--pidfile given twice", "-p", "/a", "--pidfile",
	    "/a", "1", "2", "3", "0");
	EXPECT_ERROR("-c/--config given twice", "-c", "/a", "-c", "/b");
	/* Nothing -T prints may break its line. */
	EXPECT_ERROR("bad --control: newline in the path", "--control",
	    "/run/a\nb", "1", "2", "3", "0");
	EXPECT_ERROR("bad --user: newline in the name", "-u", "a\nb", "1",
	    "2", "3", "0");
	EXPECT_ERROR("bad --group: empty name", "-g", "", "1", "2", "3",
	    "0");
	EXPECT_ERROR("--max-conns given twice", "--max-conns", "1",
	    "--max-conns=1", "1", "2", "3", "0");
	EXPECT_ERROR("-s/--syslog given twice", "-s", "--syslog=local0", "1",
	    "2", "3", "0");
	v = ARGV("--listen", "vsock:1", "--connect", "vsock:2:2", "--allow",
	    "3", "--allow", "5", "-v", "-v", "-d", "-d");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_true(acl_allows(cli_rule(&o)->allow, 3));
	assert_true(acl_allows(cli_rule(&o)->allow, 5));
	assert_false(acl_allows(cli_rule(&o)->allow, 4));
	opts_free(&o);
	/* A second parse starts afresh. */
	v = ARGV("--listen", "vsock:1", "--connect", "vsock:2:2");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	opts_free(&o);
}

/* Every path becomes absolute, relative to the start directory. */
static void
test_opts_absolute(void **state)
{
	struct opts o;
	char err[256];
	char **v;
	const struct sockaddr_un *l, *c;

	v = ARGV("-p", "./run/x.pid", "--listen", "unix:l.sock",
	    "--connect", "hybrid-vsock:vm/v.sock:5");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(opts_absolute(&o, "/srv/", err, sizeof(err)), 0);
	l = (const struct sockaddr_un *)&cli_rule(&o)->listen.sa;
	c = (const struct sockaddr_un *)&cli_rule(&o)->connect.sa;
	assert_string_equal(o.pidfile, "/srv/run/x.pid");
	assert_string_equal(l->sun_path, "/srv/l.sock");
	assert_string_equal(c->sun_path, "/srv/vm/v.sock");
	assert_null(o.config);
	opts_free(&o);

	v = ARGV("-c", "vsp.conf", "-p", "/run/x.pid");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(opts_absolute(&o, "/etc", err, sizeof(err)), 0);
	assert_string_equal(o.config, "/etc/vsp.conf");
	assert_string_equal(o.pidfile, "/run/x.pid");
	opts_free(&o);

	/* Nothing relative: no directory needed. */
	v = ARGV("-c", "/etc/vsp.conf");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(opts_absolute(&o, NULL, err, sizeof(err)), 0);
	opts_free(&o);
	v = ARGV("-p", "x.pid", "1", "2", "3", "0");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(opts_absolute(&o, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--pidfile 'x.pid' is relative"));
	opts_free(&o);
	v = ARGV("--listen", "unix:l", "--connect", "tcp:127.0.0.1:1");
	assert_int_equal(run(v, &o, err, sizeof(err)), OPTS_RUN);
	assert_int_equal(opts_absolute(&o, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad --listen: relative path 'l'"));
	opts_free(&o);
}

/* The command line wins over the file, setting by setting. */
static void
test_settings_merge(void **state)
{
	struct settings cli, file, s;
	char user[] = "nobody", fuser[] = "root", fgroup[] = "0";

	settings_init(&cli);
	settings_init(&file);
	settings_merge(&s, &cli, &file);
	assert_int_equal(s.set, 0);
	assert_int_equal(s.stats_interval_ms,
	    SETTINGS_DEFAULT_STATS_INTERVAL_MS);
	assert_int_equal(s.max_buffer_memory,
	    SETTINGS_DEFAULT_MAX_BUFFER_MEMORY);
	assert_null(s.user);

	file.stats_interval_ms = 5000;
	file.shutdown_timeout_ms = 1000;
	file.set = SETTINGS_SET_STATS_INTERVAL |
	    SETTINGS_SET_SHUTDOWN_TIMEOUT;
	file.user = fuser;
	file.group = fgroup;
	cli.shutdown_timeout_ms = 0;
	cli.max_buffer_memory = 0;
	cli.set = SETTINGS_SET_SHUTDOWN_TIMEOUT |
	    SETTINGS_SET_MAX_BUFFER_MEMORY;
	cli.user = user;
	settings_merge(&s, &cli, &file);
	assert_int_equal(s.stats_interval_ms, 5000);
	assert_int_equal(s.shutdown_timeout_ms, 0);
	assert_int_equal(s.max_buffer_memory, 0);
	assert_string_equal(s.user, "nobody");
	assert_string_equal(s.group, "0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_addr_vsock),
		cmocka_unit_test(test_addr_tcp_unix),
		cmocka_unit_test(test_addr_hvsock),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_addr_format_unix),
		cmocka_unit_test(test_addr_absolute),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_opts_ghaf),
		cmocka_unit_test(test_opts_ghaf_three),
		cmocka_unit_test(test_opts_general),
		cmocka_unit_test(test_opts_repeat),
		cmocka_unit_test(test_opts_absolute),
		cmocka_unit_test(test_settings_merge),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
