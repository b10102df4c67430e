/*
 * Unit tests: the configuration file parser (conf.c).  Fixture files are
 * under tests/unit/conf/, found through $top_srcdir as `make check` sets
 * it, or from the current directory, and copied to a temporary directory
 * first: the parser refuses files that others may write, and a checkout
 * may be group-writable (umask 002) or another user's (sudo make check).
 * Files that must be made at run time (include depth, FIFOs) go in
 * temporary directories too.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "acl.h"
#include "addr.h"
#include "conf.h"
#include "settings.h"

#define MAX_ERRS 200

struct errs {
	char *msg[MAX_ERRS];
	int n;
};

static char fixtures[PATH_MAX];

static void
collect(void *cookie, const char *msg)
{
	struct errs *e = cookie;

	if (e->n < MAX_ERRS)
		e->msg[e->n++] = strdup(msg);
}

static void
errs_free(struct errs *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	e->n = 0;
}

/* Copy s to buf with each "@" replaced by the fixture directory. */
static void
subst(char *buf, size_t len, const char *s)
{
	size_t n = 0, f = strlen(fixtures);

	for (; *s != '\0' && n + f + 1 < len; s++) {
		if (*s == '@') {
			memcpy(buf + n, fixtures, f);
			n += f;
		} else
			buf[n++] = *s;
	}
	buf[n] = '\0';
}

/*
 * Compare the errors with want, NULL-terminated; "@" in an expected line
 * stands for the fixture directory.
 */
static void
expect_errs(struct errs *e, const char *const *want)
{
	char buf[PATH_MAX + 512];
	int i;

	for (i = 0; want[i] != NULL; i++) {
		subst(buf, sizeof(buf), want[i]);
		if (i >= e->n)
			fail_msg("missing error %d: %s", i + 1, buf);
		assert_string_equal(e->msg[i], buf);
	}
	if (e->n > i)
		fail_msg("unexpected error: %s", e->msg[i]);
}

/* Parse a string that must be valid. */
static struct conf *
good(const char *text)
{
	struct errs e = { .n = 0 };
	struct conf *c;

	c = conf_parse_string(text, "t.conf", CONF_NO_INCLUDE, collect, &e);
	if (e.n > 0)
		fail_msg("unexpected error: %s\nin: %s", e.msg[0], text);
	assert_non_null(c);
	return (c);
}

/* Parse a string that must fail with exactly these errors. */
static void
bad(const char *text, ...)
{
	const char *want[32];
	struct errs e = { .n = 0 };
	va_list ap;
	int n = 0;

	va_start(ap, text);
	while ((want[n] = va_arg(ap, const char *)) != NULL && n < 31)
		n++;
	va_end(ap);
	want[n] = NULL;
	assert_null(conf_parse_string(text, "t.conf", CONF_NO_INCLUDE,
	    collect, &e));
	expect_errs(&e, want);
	errs_free(&e);
}

static struct sockaddr_storage ss;

static const struct sockaddr *
ip(const char *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return ((const struct sockaddr *)&ss);
}

static void
test_good_file(void **state)
{
	char path[PATH_MAX + 32], a[ADDR_STRLEN];
	struct errs e = { .n = 0 };
	const struct conf_rule *r;
	struct conf *c;

	snprintf(path, sizeof(path), "%s/good/main.conf", fixtures);
	c = conf_load(path, collect, &e);
	if (e.n > 0)
		fail_msg("unexpected error: %s", e.msg[0]);
	assert_non_null(c);
	assert_int_equal(c->nrules, 5);
	assert_int_equal(c->settings.set, SETTINGS_SET_STATS_INTERVAL |
	    SETTINGS_SET_SHUTDOWN_TIMEOUT | SETTINGS_SET_EVENT_BACKEND);
	assert_int_equal(c->settings.stats_interval_ms, 30000);
	assert_int_equal(c->settings.shutdown_timeout_ms, 2500);
	assert_int_equal(c->settings.backend, EVENT_POLL);

	/* Drop-ins in byte order, where the include stands. */
	r = c->rules;
	assert_string_equal(r->name, "vm5-audio");
	snprintf(path, sizeof(path), "%s/good/vm.d/10-vm5.conf", fixtures);
	assert_string_equal(r->file, path);
	assert_int_equal(r->line, 2);
	assert_string_equal(addr_format(&r->listen, a, sizeof(a)),
	    "vsock:12005");
	assert_string_equal(addr_format(&r->connect, a, sizeof(a)),
	    "unix:/run/audio/vm5.sock");
	assert_true(conf_rule_allows_cid(r, 5));
	assert_false(conf_rule_allows_cid(r, 6));
	/* Inherited from the defaults block, or built in. */
	assert_int_equal(r->connect_timeout_ms, 3000);
	assert_int_equal(r->bufsize, 65536);
	assert_int_equal(r->idle_timeout_ms, 600000);
	assert_int_equal(r->max_conns, 0);
	assert_int_equal(r->max_per_peer, 0);

	r = r->next;
	assert_string_equal(r->name, "vm6-audio");
	assert_int_equal(r->max_conns, 4);
	assert_true(conf_rule_allows_cid(r, 6));
	assert_false(conf_rule_allows_cid(r, 5));

	r = r->next;
	assert_string_equal(r->name, "gui");
	assert_int_equal(r->line, 16);
	assert_string_equal(addr_format(&r->listen, a, sizeof(a)),
	    "vsock:11105");
	assert_string_equal(addr_format(&r->connect, a, sizeof(a)),
	    "vsock:3:11100");
	assert_true(conf_rule_allows_cid(r, 5));
	assert_true(conf_rule_allows_cid(r, 7));
	assert_true(conf_rule_allows_cid(r, 10));
	assert_true(conf_rule_allows_cid(r, 20));
	assert_true(conf_rule_allows_cid(r, 30));
	assert_false(conf_rule_allows_cid(r, 12));	/* deny wins */
	assert_false(conf_rule_allows_cid(r, 6));
	assert_false(conf_rule_allows_cid(r, 21));
	assert_int_equal(r->max_conns, 100);
	assert_int_equal(r->max_per_peer, 10);
	assert_int_equal(r->idle_timeout_ms, 0);
	assert_int_equal(r->connect_timeout_ms, 500);
	assert_int_equal(r->bufsize, 1024 * 1024);

	r = r->next;
	assert_string_equal(r->name, "web");
	assert_string_equal(addr_format(&r->listen, a, sizeof(a)),
	    "tcp:127.0.0.1:8080");
	assert_string_equal(addr_format(&r->connect, a, sizeof(a)),
	    "unix:/run/my\\x20app/sock");
	assert_int_equal(r->nprefixes, 4);
	assert_true(conf_rule_allows_addr(r, ip("127.1.2.3"),
	    sizeof(struct sockaddr_in)));
	assert_true(conf_rule_allows_addr(r, ip("::1"),
	    sizeof(struct sockaddr_in6)));
	assert_true(conf_rule_allows_addr(r, ip("10.1.255.1"),
	    sizeof(struct sockaddr_in)));
	assert_true(conf_rule_allows_addr(r, ip("fd12::1"),
	    sizeof(struct sockaddr_in6)));
	assert_false(conf_rule_allows_addr(r, ip("10.2.0.1"),
	    sizeof(struct sockaddr_in)));
	assert_false(conf_rule_allows_addr(r, ip("::2"),
	    sizeof(struct sockaddr_in6)));
	assert_int_equal(r->connect_timeout_ms, 3000);

	r = r->next;
	assert_string_equal(r->name, "local");
	assert_string_equal(addr_format(&r->connect, a, sizeof(a)),
	    "tcp:[::1]:80");
	assert_int_equal(r->nuids, 3);
	assert_true(conf_rule_allows_uid(r, 0));	/* root */
	assert_true(conf_rule_allows_uid(r, 1000));
	assert_true(conf_rule_allows_uid(r, 1001));
	assert_false(conf_rule_allows_uid(r, 1002));
	assert_null(r->next);

	assert_ptr_equal(conf_find_rule(c, "gui"), c->rules->next->next);
	assert_null(conf_find_rule(c, "nope"));
	conf_unref(c);
}

static void
test_bad_file(void **state)
{
	static const char *const want[] = {
		"@/bad/main.conf:3: unknown keyword 'bogus'",
		"@/bad/main.conf:4: 'listen' belongs in a rule block",
		"@/bad/main.conf:5: 'stats-interval' needs a value",
		"@/bad/main.conf:6: 'stats-interval' takes one value",
		"@/bad/main.conf:8: duplicate 'stats-interval' (first at "
		    "@/bad/main.conf:7)",
		"@/bad/main.conf:9: bad event-backend 'select': expected "
		    "epoll or poll",
		"@/bad/main.conf:10: bad shutdown-timeout '-1': expected "
		    "seconds, at most 86400",
		"@/bad/main.conf:11: '}' without an open block",
		"@/bad/main.conf:12: unexpected '{': it ends the "
		    "'rule NAME' or 'defaults' line",
		"@/bad/main.conf:13: 'include' needs a value",
		"@/bad/drop.d/b.conf:1: rule 'f' is not closed: missing '}'",
		"@/bad/main.conf:18: duplicate 'listen' (first at "
		    "@/bad/main.conf:16)",
		"@/bad/main.conf:19: 'stats-interval' is a global setting: "
		    "it cannot be inside a block",
		"@/bad/main.conf:20: bad connect-timeout '0': expected "
		    "seconds, more than 0 and at most 86400",
		"@/bad/main.conf:21: bad buffer-size '10': expected 1024 to "
		    "67108864 bytes (k and M suffixes allowed)",
		"@/bad/main.conf:22: bad max-conns '-1': expected 0 to "
		    "1000000 (0 = no limit)",
		"@/bad/main.conf:23: bad max-conns-per-peer '1000001': "
		    "expected 0 to 1000000 (0 = no limit)",
		"@/bad/main.conf:24: bad idle-timeout '1e3': expected "
		    "seconds, at most 86400 (0 = none)",
		"@/bad/main.conf:25: allow: bad CID 'x' (0-4294967295 or "
		    "LO-HI)",
		"@/bad/main.conf:26: allow: empty CID range '9-3'",
		"@/bad/main.conf:27: deny: 'any' would refuse everyone; "
		    "list CIDs",
		"@/bad/main.conf:30: 'include' cannot be inside a block",
		"@/bad/main.conf:31: unterminated quoted string",
		"@/bad/main.conf:32: unknown keyword 'colour'",
		"@/bad/main.conf:28: 'allow-uid' needs a unix listen "
		    "address, but rule 'a' listens on vsock:100",
		"@/bad/main.conf:29: 'allow-addr' needs a tcp listen "
		    "address, but rule 'a' listens on vsock:100",
		"@/bad/main.conf:16: listen address vsock:100 clashes with "
		    "rule 'e' (@/bad/drop.d/a.conf:1)",
		"@/bad/main.conf:34: duplicate rule name 'a' (first at "
		    "@/bad/main.conf:15)",
		"@/bad/main.conf:35: listen address vsock:3:100 clashes "
		    "with rule 'e' (@/bad/drop.d/a.conf:1)",
		"@/bad/main.conf:40: bad connect address 'tcp:127.0.0.1:0': "
		    "bad tcp port '0' (1-65535)",
		"@/bad/main.conf:42: expected 'rule c {'",
		"@/bad/main.conf:43: bad listen address 'bogus:1': unknown "
		    "address type: use vsock:, tcp:, unix:, hybrid-vsock:, "
		    "vsock-seqpacket: or unix-seqpacket:",
		"@/bad/main.conf:45: bad rule name 'bad name': use letters, "
		    "digits, '.', '-' and '_', at most 64",
		"@/bad/main.conf:47: rule 'n' has no listen address",
		"@/bad/main.conf:47: rule 'n' has no connect address",
		"@/bad/main.conf:50: 'listen' cannot have a default: set it "
		    "in each rule",
		"@/bad/main.conf:52: duplicate 'max-conns' (first at "
		    "@/bad/main.conf:51)",
		"@/bad/main.conf:53: 'allow' cannot have a default: set it "
		    "in each rule",
		"@/bad/main.conf:54: unexpected 'trailing' after '}'",
		"@/bad/main.conf:58: allow-addr: bad prefix length in "
		    "'1.2.3.4/33' (0-32)",
		"@/bad/main.conf:59: allow-uid: unknown user "
		    "'nosuchuser-vsockproxy'",
		"@/bad/main.conf:60: allow-uid: bad uid '4294967295' "
		    "(0-4294967294 or a user name)",
		"@/bad/main.conf:59: 'allow-uid' needs a unix listen "
		    "address, but rule 'self' listens on tcp:127.0.0.1:9000",
		"@/bad/main.conf:57: rule 'self' connects to its own listen "
		    "address",
		"@/bad/main.conf:62: rule 'd' is not closed: missing '}'",
		NULL
	};
	char path[PATH_MAX + 32];
	struct errs e = { .n = 0 };

	snprintf(path, sizeof(path), "%s/bad/main.conf", fixtures);
	assert_null(conf_load(path, collect, &e));
	expect_errs(&e, want);
	errs_free(&e);
}

static void
test_file_errors(void **state)
{
	static const char *const loop[] = {
		"@/bad/loop.conf:1: include '@/bad/loop.conf': include "
		    "loop: the file is already being read",
		NULL
	};
	static const char *const missing[] = {
		"@/nonexistent.conf: No such file or directory", NULL
	};
	static const char *const dir[] = {
		"@/good: not a regular file", NULL
	};
	char path[PATH_MAX + 32];
	struct errs e = { .n = 0 };

	snprintf(path, sizeof(path), "%s/bad/loop.conf", fixtures);
	assert_null(conf_load(path, collect, &e));
	expect_errs(&e, loop);
	errs_free(&e);

	snprintf(path, sizeof(path), "%s/nonexistent.conf", fixtures);
	assert_null(conf_load(path, collect, &e));
	expect_errs(&e, missing);
	errs_free(&e);

	snprintf(path, sizeof(path), "%s/good", fixtures);
	assert_null(conf_load(path, collect, &e));
	expect_errs(&e, dir);
	errs_free(&e);

	/* A NULL callback discards the messages. */
	assert_null(conf_load(path, NULL, NULL));
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A fresh directory under $TMPDIR (or /tmp) into dir. */
static void
scratch(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/test-conf.XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
}

/* Remove dir/name, a file or (isdir) an empty directory. */
static void
remove_in(const char *dir, const char *name, int isdir)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(isdir ? rmdir(path) : unlink(path), 0);
}

static void
test_includes(void **state)
{
	static const char *const made[] = {
		"top.conf", "fifo", "big.conf", "r.conf"
	};
	char dir[PATH_MAX], path[PATH_MAX + 64], text[128];
	char want[PATH_MAX * 2 + 256];
	struct errs e = { .n = 0 };
	struct conf *c;
	FILE *f;
	int i;

	scratch(dir, sizeof(dir));

	/* d0 includes d1 ... d9: depth 8 is the last allowed. */
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "d%d.conf", i);
		snprintf(text, sizeof(text), "include d%d.conf\n", i + 1);
		write_file(dir, path, i < 9 ? text : "");
	}
	snprintf(path, sizeof(path), "%s/d1.conf", dir);
	c = conf_load(path, collect, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	conf_unref(c);
	snprintf(path, sizeof(path), "%s/d0.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s/d8.conf:1: includes nested more "
	    "than 8 deep", dir);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);

	/* A pattern matching nothing is an empty drop-in directory; a
	 * plain name must exist; a FIFO is refused without blocking. */
	write_file(dir, "top.conf", "include none.d/*.conf\n"
	    "include *.none\ninclude fifo\ninclude missing.conf\n");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 2);
	snprintf(want, sizeof(want), "%s/top.conf:3: include '%s/fifo': "
	    "not a regular file", dir, dir);
	assert_string_equal(e.msg[0], want);
	snprintf(want, sizeof(want), "%s/top.conf:4: include "
	    "'%s/missing.conf': No such file or directory", dir, dir);
	assert_string_equal(e.msg[1], want);
	errs_free(&e);

	/* Files bigger than the limit are refused. */
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	for (i = 0; i <= CONF_FILE_MAX / 64; i++)
		fputs("# a comment line that is 64 bytes long, with its "
		    "newline ......\n", f);
	assert_int_equal(fclose(f), 0);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s: larger than %d bytes", path,
	    CONF_FILE_MAX);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);

	/* Relative includes of a string resolve against its name. */
	write_file(dir, "r.conf", "rule r {\n listen vsock:9\n"
	    " connect vsock:3:9\n}\n");
	snprintf(path, sizeof(path), "%s/string.conf", dir);
	c = conf_parse_string("include r.conf\n", path, 0, collect, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_string_equal(c->rules->name, "r");
	conf_unref(c);

	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "%s/d%d.conf", dir, i);
		unlink(path);
	}
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made[i]);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* A file name a glob found is shown escaped: it cannot forge a line. */
static void
test_include_names(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX * 2 + 256];
	struct errs e = { .n = 0 };

	scratch(dir, sizeof(dir));
	write_file(dir, "top.conf", "include d/*.conf\n");
	snprintf(path, sizeof(path), "%s/d", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(dir, "d/a\nFORGED: x\\.conf", "bogus\n");
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s/d/a\\nFORGED: x\\\\.conf:1: "
	    "unknown keyword 'bogus'", dir);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);

	remove_in(dir, "d/a\nFORGED: x\\.conf", 0);
	remove_in(dir, "d", 1);
	remove_in(dir, "top.conf", 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A tree of includes ten wide and four deep is 11,111 files: reading
 * stops at the 1025th, with one error at the include that names it.
 */
static void
test_include_count(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], text[PATH_MAX + 64];
	char want[PATH_MAX * 2 + 256];
	struct errs e = { .n = 0 };
	int k, i;

	scratch(dir, sizeof(dir));
	for (k = 1; k <= 4; k++) {
		snprintf(path, sizeof(path), "%s/L%d", dir, k);
		assert_int_equal(mkdir(path, 0755), 0);
		for (i = 0; i < 10; i++) {
			snprintf(path, sizeof(path), "L%d/%d.conf", k, i);
			snprintf(text, sizeof(text),
			    "include %s/L%d/*.conf\n", dir, k + 1);
			write_file(dir, path, k < 4 ? text : "");
		}
	}
	snprintf(text, sizeof(text), "include %s/L1/*.conf\n", dir);
	write_file(dir, "main.conf", text);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	/* 1 + L1/0 + 9 * 111 for L2/0-8, L2/9, 2 * 11 for L3/0-1. */
	snprintf(want, sizeof(want), "%s/L2/9.conf:1: include "
	    "'%s/L3/2.conf': more than %d files in all, includes of "
	    "includes counted: giving up", dir, dir, CONF_FILES_MAX);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);

	/* One level less, 1,111 files: still too many. */
	snprintf(text, sizeof(text), "include %s/L2/*.conf\n", dir);
	write_file(dir, "main.conf", text);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	errs_free(&e);
	/* Two less, 111: fine. */
	snprintf(text, sizeof(text), "include %s/L3/*.conf\n", dir);
	write_file(dir, "main.conf", text);
	conf_unref(conf_load(path, collect, &e));
	assert_int_equal(e.n, 0);

	for (k = 1; k <= 4; k++) {
		for (i = 0; i < 10; i++) {
			snprintf(path, sizeof(path), "%s/L%d/%d.conf", dir, k,
			    i);
			assert_int_equal(unlink(path), 0);
		}
		snprintf(path, sizeof(path), "%s/L%d", dir, k);
		assert_int_equal(rmdir(path), 0);
	}
	remove_in(dir, "main.conf", 0);
	assert_int_equal(rmdir(dir), 0);
}

/* What is a wildcard: a '[' needs its ']' in the same component. */
static void
test_include_patterns(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX * 2 + 256];
	struct errs e = { .n = 0 };
	struct conf *c;

	scratch(dir, sizeof(dir));
	/* Wildcards that match nothing: fine.  Plain names: must exist,
	 * unquoted as glob(3) would. */
	write_file(dir, "top.conf", "include [ab].conf\ninclude *.none\n"
	    "include x?y\ninclude [!]].none\ninclude [.conf\n"
	    "include x[]\ninclude d[/x]\ninclude \"a\\\\*b.conf\"\n"
	    "include \"q\\\\[.conf\"\n");
	write_file(dir, "a*b.conf", "rule ab {\nlisten unix:/ab\n"
	    "connect unix:/x\n}\n");
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 4);
	snprintf(want, sizeof(want), "%s/top.conf:5: include '%s/[.conf': "
	    "No such file or directory", dir, dir);
	assert_string_equal(e.msg[0], want);
	snprintf(want, sizeof(want), "%s/top.conf:6: include '%s/x[]': "
	    "No such file or directory", dir, dir);
	assert_string_equal(e.msg[1], want);
	snprintf(want, sizeof(want), "%s/top.conf:7: include '%s/d[/x]': "
	    "No such file or directory", dir, dir);
	assert_string_equal(e.msg[2], want);
	snprintf(want, sizeof(want), "%s/top.conf:9: include '%s/q[.conf': "
	    "No such file or directory", dir, dir);
	assert_string_equal(e.msg[3], want);
	errs_free(&e);
	/* The plain names, there: read. */
	write_file(dir, "[.conf", "");
	write_file(dir, "x[]", "");
	write_file(dir, "q[.conf", "");
	snprintf(path, sizeof(path), "%s/d[", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(dir, "d[/x]", "");
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	c = conf_load(path, collect, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_int_equal(c->nrules, 1);
	assert_string_equal(c->rules->name, "ab");
	conf_unref(c);

	remove_in(dir, "d[/x]", 0);
	remove_in(dir, "d[", 1);
	remove_in(dir, "[.conf", 0);
	remove_in(dir, "x[]", 0);
	remove_in(dir, "q[.conf", 0);
	remove_in(dir, "a*b.conf", 0);
	remove_in(dir, "top.conf", 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Files that others could have written are refused (sshd StrictModes). */
static void
test_file_perms(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX * 2 + 256];
	struct errs e = { .n = 0 };
	struct conf *c;

	scratch(dir, sizeof(dir));
	write_file(dir, "top.conf", "include inc.conf\n");
	write_file(dir, "inc.conf", "");
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	c = conf_load(path, collect, &e);
	assert_int_equal(e.n, 0);
	conf_unref(c);

	assert_int_equal(chmod(path, 0646), 0);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s: writable by group or others "
	    "(mode 0646): refused", path);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);
	assert_int_equal(chmod(path, 0600), 0);

	snprintf(path, sizeof(path), "%s/inc.conf", dir);
	assert_int_equal(chmod(path, 02660), 0);
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	assert_null(conf_load(path, collect, &e));
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof(want), "%s/top.conf:1: include '%s/inc.conf': "
	    "writable by group or others (mode 2660): refused", dir, dir);
	assert_string_equal(e.msg[0], want);
	errs_free(&e);
	snprintf(path, sizeof(path), "%s/inc.conf", dir);
	assert_int_equal(chmod(path, 0444), 0);

	/* Owners: root, or this process's user.  Only root can give a file
	 * away (e2e-conf-perms.sh says SKIP when not root; cmocka's skip
	 * is a failure to automake's TAP driver). */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 0), 0);
		snprintf(path, sizeof(path), "%s/top.conf", dir);
		assert_null(conf_load(path, collect, &e));
		assert_int_equal(e.n, 1);
		snprintf(want, sizeof(want), "%s/top.conf:1: include "
		    "'%s/inc.conf': owned by uid 65534, not by root: refused",
		    dir, dir);
		assert_string_equal(e.msg[0], want);
		errs_free(&e);
		snprintf(path, sizeof(path), "%s/inc.conf", dir);
		assert_int_equal(chown(path, 0, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/top.conf", dir);
	c = conf_load(path, collect, &e);
	assert_int_equal(e.n, 0);
	conf_unref(c);

	assert_int_equal(unlink(path), 0);
	remove_in(dir, "inc.conf", 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_syntax(void **state)
{
	struct conf *c;
	char a[ADDR_STRLEN];

	/* Nothing at all is a valid, empty configuration. */
	c = good("");
	assert_null(c->rules);
	assert_int_equal(c->settings.set, 0);
	assert_int_equal(c->settings.stats_interval_ms,
	    SETTINGS_DEFAULT_STATS_INTERVAL_MS);
	assert_int_equal(c->settings.shutdown_timeout_ms,
	    SETTINGS_DEFAULT_SHUTDOWN_TIMEOUT_MS);
	conf_unref(c);
	conf_unref(NULL);

	/* CRLF, tabs, no final newline, quotes, '#' in quotes. */
	c = good("# x\r\n\trule  q.-_Z9 {\r\n listen \"unix:/a b#c\"  "
	    "# and a comment\r\n\tconnect unix:\"/x\\\"y\\\\z\"\r\n}");
	assert_string_equal(c->rules->name, "q.-_Z9");
	assert_string_equal(addr_format(&c->rules->listen, a, sizeof(a)),
	    "unix:/a\\x20b#c");
	/* Shown escaped: the path holds one backslash. */
	assert_string_equal(addr_format(&c->rules->connect, a, sizeof(a)),
	    "unix:/x\\x22y\\\\z");
	assert_int_equal(c->rules->connect_timeout_ms,
	    SETTINGS_DEFAULT_CONNECT_TIMEOUT_MS);
	assert_int_equal(c->rules->bufsize, SETTINGS_DEFAULT_BUFSIZE);
	conf_unref(c);

	/* Defaults apply wherever they stand, split or not. */
	c = good("rule a {\n listen vsock:1\n connect vsock:3:1\n"
	    " max-conns 7\n}\ndefaults {\n max-conns 3\n}\n"
	    "defaults {\n max-conns-per-peer 2\n}\n"
	    "rule b {\n listen vsock:2\n connect vsock:3:2\n}\n");
	assert_int_equal(c->rules->max_conns, 7);
	assert_int_equal(c->rules->max_per_peer, 2);
	assert_int_equal(c->rules->next->max_conns, 3);
	assert_int_equal(c->rules->next->max_per_peer, 2);
	conf_unref(c);

	/* 64 bytes of name are fine, 65 are not. */
	c = good("rule aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa {\nlisten vsock:1\nconnect vsock:2:3\n}\n");
	conf_unref(c);
	bad("rule aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaa {\nlisten vsock:1\nconnect vsock:2:3\n}\n",
	    "t.conf:1: bad rule name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa': use letters, digits, '.', '-' and "
	    "'_', at most 64", NULL);

	bad("rule a {\nlisten vsock:1\nconnect vsock:2:3\nrule b {\n"
	    "listen vsock:2\nconnect vsock:2:3\n}\n",
	    "t.conf:4: 'rule' inside rule 'a' (line 1): missing '}'", NULL);
	bad("defaults {\nrule b {\nlisten vsock:2\nconnect vsock:2:3\n}\n",
	    "t.conf:2: 'rule' inside the defaults block (line 1): "
	    "missing '}'", NULL);
	bad("defaults\n}\n", "t.conf:1: expected 'defaults {'", NULL);
	bad("rule\n}\n", "t.conf:1: 'rule' needs a name: rule NAME {",
	    NULL);
	bad("rule a { x\n}\n", "t.conf:1: expected 'rule a {'", NULL);
	bad("rule a {\nlisten vsock:1\nconnect vsock:1:2\n",
	    "t.conf:1: rule 'a' is not closed: missing '}'", NULL);
	bad("defaults {\n", "t.conf:1: the defaults block is not closed: "
	    "missing '}'", NULL);
	bad("include /etc/*.conf\n",
	    "t.conf:1: 'include' is not allowed here", NULL);
	bad("include a b\n", "t.conf:1: 'include' takes one value", NULL);
	bad("rule a {\nlisten vsock:1\nconnect vsock:1:2\nallow\n}\n",
	    "t.conf:4: 'allow' needs a value", NULL);
	bad("rule a {\nlisten vsock:1 vsock:2\nconnect vsock:1:2\n}\n",
	    "t.conf:2: 'listen' takes one value",
	    "t.conf:1: rule 'a' has no listen address", NULL);
	bad("rule a {\nlisten tcp:127.0.0.1:1\nconnect vsock:1:2\n"
	    "allow-addr 10.0.0.0/8,,10.0.0.1\n}\n",
	    "t.conf:4: allow-addr: empty list entry", NULL);
	bad("rule a {\nlisten tcp:127.0.0.1:1\nconnect vsock:1:2\n"
	    "allow-addr ::1/129 nonsense\nallow-addr nonsense\n"
	    "allow-addr 10.0.0.1/8\nallow-addr ::1/x\n"
	    "allow-addr 10.0.0.0/8,1.1.1.1/33\n}\n",
	    "t.conf:4: allow-addr: bad prefix length in '::1/129' (0-128)",
	    "t.conf:5: allow-addr: bad address 'nonsense' (IPv4 or IPv6, "
	    "optionally /LENGTH)",
	    "t.conf:6: allow-addr: '10.0.0.1/8' has address bits set past "
	    "/8",
	    "t.conf:7: allow-addr: bad prefix length in '::1/x' (0-128)",
	    "t.conf:8: allow-addr: bad prefix length in '1.1.1.1/33' "
	    "(0-32)", NULL);
	bad("rule a {\nlisten unix:/a\nconnect unix:/b\nallow 3\n"
	    "deny 4\n}\n",
	    "t.conf:4: 'allow' needs a vsock listen address, but rule 'a' "
	    "listens on unix:/a",
	    "t.conf:5: 'deny' needs a vsock listen address, but rule 'a' "
	    "listens on unix:/a", NULL);
	bad("rule a {\nlisten unix:/a\nconnect unix:/a\n}\n",
	    "t.conf:3: rule 'a' connects to its own listen address", NULL);
	bad("rule a {\nlisten unix:/a\nconnect hybrid-vsock:/a:5\n}\n"
	    "rule b {\nlisten tcp:0.0.0.0:7\nconnect tcp:127.0.0.2:7\n}\n"
	    "rule c {\nlisten tcp:[::]:8\nconnect tcp:[::1]:8\n}\n"
	    "rule d {\nlisten tcp:[::]:9\nconnect tcp:127.0.0.1:9\n}\n",
	    "t.conf:3: rule 'a' connects to its own listen address",
	    "t.conf:7: rule 'b' connects to its own listen address",
	    "t.conf:11: rule 'c' connects to its own listen address",
	    "t.conf:15: rule 'd' connects to its own listen address", NULL);
	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	bad("rule a {\nlisten tcp:127.0.0.1:7\n"
	    "connect tcp:[::ffff:127.0.0.1]:7\n}\n"
	    "rule b {\nlisten tcp:[::ffff:127.0.0.1]:8\n"
	    "connect tcp:127.0.0.1:8\n}\n"
	    "rule c {\nlisten tcp:0.0.0.0:9\n"
	    "connect tcp:[::ffff:127.0.0.2]:9\n}\n"
	    "rule d {\nlisten tcp:[::ffff:0.0.0.0]:10\n"
	    "connect tcp:127.0.0.1:10\n}\n"
	    "rule e {\nlisten tcp:[::]:11\n"
	    "connect tcp:[::ffff:127.0.0.1]:11\n}\n",
	    "t.conf:3: rule 'a' connects to its own listen address",
	    "t.conf:7: rule 'b' connects to its own listen address",
	    "t.conf:11: rule 'c' connects to its own listen address",
	    "t.conf:15: rule 'd' connects to its own listen address",
	    "t.conf:19: rule 'e' connects to its own listen address", NULL);
	conf_unref(good(
	    "rule a {\nlisten tcp:[::ffff:127.0.0.1]:7\n"
	    "connect tcp:[::1]:7\n}\n"
	    "rule b {\nlisten tcp:[::ffff:0.0.0.0]:8\n"
	    "connect tcp:[::1]:8\n}\n"));
	/* Near misses: another path, port or family, a concrete address. */
	conf_unref(good(
	    "rule a {\nlisten unix:/a\nconnect hybrid-vsock:/b:5\n}\n"
	    "rule b {\nlisten tcp:0.0.0.0:7\nconnect tcp:127.0.0.1:8\n}\n"
	    "rule c {\nlisten tcp:0.0.0.0:9\nconnect tcp:[::1]:9\n}\n"
	    "rule d {\nlisten tcp:127.0.0.1:10\n"
	    "connect tcp:127.0.0.2:10\n}\n"
	    "rule e {\nlisten unix:/e\nconnect unix:/f\n}\n"));
	bad("\"a\n", "t.conf:1: unterminated quoted string", NULL);
}

/* Lines that could upset a parser: bytes, lengths, counts. */
static void
test_limits(void **state)
{
	char *text, *p;
	struct errs e = { .n = 0 };
	struct conf *c;
	size_t n;
	int i;

	/* The longest line allowed, then one byte more. */
	n = CONF_LINE_MAX - 1;
	assert_non_null(text = malloc(2 * CONF_LINE_MAX + 8));
	memset(text, '#', n);
	text[n] = '\n';
	memset(text + n + 1, '#', n + 1);
	strcpy(text + 2 * n + 2, "\n");
	bad(text, "t.conf:2: line longer than 1023 bytes", NULL);
	free(text);

	/* Control characters and NUL are refused, line by line. */
	assert_null(conf_parse_buffer("a\0b\nrule\x01\nok\x7f\n", 14,
	    "t.conf", CONF_NO_INCLUDE, collect, &e));
	assert_int_equal(e.n, 3);
	assert_string_equal(e.msg[0], "t.conf:1: control character 0x00");
	assert_string_equal(e.msg[1], "t.conf:2: control character 0x01");
	assert_string_equal(e.msg[2], "t.conf:3: control character 0x7f");
	errs_free(&e);

	/* Bytes past len are not read. */
	c = conf_parse_buffer("stats-interval 5 junk", 16, "t.conf",
	    CONF_NO_INCLUDE, collect, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_int_equal(c->settings.stats_interval_ms, 5000);
	conf_unref(c);

	/* Too many words. */
	assert_non_null(text = malloc(65 * 2 + 2));
	for (p = text, i = 0; i < 65; i++) {
		*p++ = 'x';
		*p++ = ' ';
	}
	strcpy(p, "\n");
	bad(text, "t.conf:1: more than 64 words on a line", NULL);
	free(text);

	/* The error count is bounded, and says so. */
	assert_non_null(text = malloc(200 * 4 + 1));
	for (p = text, i = 0; i < 200; i++) {
		memcpy(p, "xx\n", 3);
		p += 3;
	}
	*p = '\0';
	assert_null(conf_parse_string(text, "t.conf", 0, collect, &e));
	assert_int_equal(e.n, CONF_MAX_ERRORS + 1);
	assert_string_equal(e.msg[CONF_MAX_ERRORS - 1],
	    "t.conf:100: unknown keyword 'xx'");
	assert_string_equal(e.msg[CONF_MAX_ERRORS],
	    "t.conf:101: more than 100 errors, giving up");
	errs_free(&e);
	free(text);
}

static void
test_acls(void **state)
{
	const struct conf_rule *r;
	struct conf *c;

	/* No allow list: any CID, minus deny. */
	c = good("rule a {\n listen vsock:1\n connect vsock:3:1\n"
	    " deny 4-6\n}\n");
	r = c->rules;
	assert_true(conf_rule_allows_cid(r, 3));
	assert_true(conf_rule_allows_cid(r, 7));
	assert_false(conf_rule_allows_cid(r, 4));
	assert_false(conf_rule_allows_cid(r, 6));
	conf_unref(c);

	/* "any" wins over a list. */
	c = good("rule a {\n listen vsock:1\n connect vsock:3:1\n"
	    " allow 5\n allow any\n deny 9\n}\n");
	r = c->rules;
	assert_null(r->allow);
	assert_true(conf_rule_allows_cid(r, 6));
	assert_false(conf_rule_allows_cid(r, 9));
	assert_true(conf_rule_allows_cid(r, 4294967295U));
	conf_unref(c);

	/* No uid list: any uid. */
	c = good("rule a {\n listen unix:/a\n connect vsock:3:1\n}\n");
	assert_true(conf_rule_allows_uid(c->rules, 0));
	assert_true(conf_rule_allows_uid(c->rules, 12345));
	assert_true(conf_rule_allows_addr(c->rules, ip("1.2.3.4"),
	    sizeof(struct sockaddr_in)));
	conf_unref(c);

	/* Prefixes: odd lengths, /0, v4-mapped both ways. */
	c = good("rule a {\n listen tcp:[::]:1\n connect vsock:3:1\n"
	    " allow-addr 192.168.16.0/20 2001:db8::/33 ::ffff:10.9.0.0/112"
	    "\n}\nrule b {\n listen tcp:127.0.0.1:2\n connect vsock:3:1\n"
	    " allow-addr 0.0.0.0/0\n}\n");
	r = c->rules;
	assert_true(conf_rule_allows_addr(r, ip("192.168.31.255"),
	    sizeof(struct sockaddr_in)));
	assert_false(conf_rule_allows_addr(r, ip("192.168.32.0"),
	    sizeof(struct sockaddr_in)));
	assert_true(conf_rule_allows_addr(r, ip("::ffff:192.168.16.1"),
	    sizeof(struct sockaddr_in6)));
	assert_true(conf_rule_allows_addr(r, ip("10.9.200.1"),
	    sizeof(struct sockaddr_in)));
	assert_true(conf_rule_allows_addr(r, ip("2001:db8:7fff::1"),
	    sizeof(struct sockaddr_in6)));
	assert_false(conf_rule_allows_addr(r, ip("2001:db8:8000::1"),
	    sizeof(struct sockaddr_in6)));
	/* A short address length is never allowed. */
	assert_false(conf_rule_allows_addr(r, ip("10.9.200.1"), 4));
	r = r->next;
	assert_true(conf_rule_allows_addr(r, ip("8.8.8.8"),
	    sizeof(struct sockaddr_in)));
	assert_false(conf_rule_allows_addr(r, ip("::1"),
	    sizeof(struct sockaddr_in6)));
	conf_unref(c);
}

static void
test_listen(void **state)
{
	struct conf *c, *d;
	const struct conf_rule *r;

	/* Addresses that cannot both be bound. */
	bad("rule a {\nlisten vsock:5\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten vsock:2:5\nconnect vsock:3:1\n}\n",
	    "t.conf:6: listen address vsock:2:5 clashes with rule 'a' "
	    "(t.conf:1)", NULL);
	bad("rule a {\nlisten tcp:127.0.0.1:80\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten tcp:0.0.0.0:80\nconnect vsock:3:1\n}\n",
	    "t.conf:6: listen address tcp:0.0.0.0:80 clashes with rule 'a' "
	    "(t.conf:1)", NULL);
	bad("rule a {\nlisten tcp:127.0.0.1:80\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten tcp:[::]:80\nconnect vsock:3:1\n}\n",
	    "t.conf:6: listen address tcp:[::]:80 clashes with rule 'a' "
	    "(t.conf:1)", NULL);
	bad("rule a {\nlisten unix:/s\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten unix:/s\nconnect vsock:3:1\n}\n",
	    "t.conf:6: listen address unix:/s clashes with rule 'a' "
	    "(t.conf:1)", NULL);
	/* IPv4-mapped IPv6 addresses are their IPv4 addresses. */
	bad("rule a {\nlisten tcp:127.0.0.1:80\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten tcp:[::ffff:127.0.0.1]:80\n"
	    "connect vsock:3:1\n}\n"
	    "rule c {\nlisten tcp:0.0.0.0:81\nconnect vsock:3:1\n}\n"
	    "rule d {\nlisten tcp:[::ffff:10.0.0.1]:81\n"
	    "connect vsock:3:1\n}\n"
	    "rule e {\nlisten tcp:[::ffff:0.0.0.0]:82\n"
	    "connect vsock:3:1\n}\n"
	    "rule f {\nlisten tcp:10.0.0.1:82\nconnect vsock:3:1\n}\n",
	    "t.conf:6: listen address tcp:[::ffff:127.0.0.1]:80 clashes "
	    "with rule 'a' (t.conf:1)",
	    "t.conf:14: listen address tcp:[::ffff:10.0.0.1]:81 clashes "
	    "with rule 'c' (t.conf:9)",
	    "t.conf:22: listen address tcp:10.0.0.1:82 clashes with rule "
	    "'e' (t.conf:17)", NULL);

	/* And addresses that can. */
	conf_unref(good(
	    "rule a {\nlisten tcp:[::ffff:127.0.0.1]:80\n"
	    "connect vsock:3:1\n}\n"
	    "rule b {\nlisten tcp:[::1]:80\nconnect vsock:3:1\n}\n"
	    "rule c {\nlisten tcp:127.0.0.2:80\nconnect vsock:3:1\n}\n"
	    "rule d {\nlisten tcp:[::ffff:127.0.0.3]:80\n"
	    "connect vsock:3:1\n}\n"));
	c = good("rule a {\nlisten vsock:2:5\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten vsock:3:5\nconnect vsock:3:1\n}\n"
	    "rule c {\nlisten tcp:127.0.0.1:80\nconnect vsock:3:1\n}\n"
	    "rule d {\nlisten tcp:[::1]:80\nconnect vsock:3:1\n}\n"
	    "rule e {\nlisten tcp:127.0.0.1:0\nconnect vsock:3:1\n}\n"
	    "rule f {\nlisten tcp:127.0.0.1:0\nconnect vsock:3:1\n}\n"
	    "rule g {\nlisten tcp:127.0.0.2:80\nconnect vsock:3:1\n}\n"
	    "rule h {\nlisten unix:/s\nconnect vsock:3:1\n}\n");
	assert_int_equal(c->nrules, 8);

	/* For reload: same address, not just compatible. */
	d = good("rule x {\nlisten tcp:127.0.0.1:80\nconnect unix:/z\n}\n"
	    "rule y {\nlisten unix:/s\nconnect vsock:3:1\n}\n"
	    "rule z {\nlisten vsock:5\nconnect vsock:3:1\n}\n");
	r = d->rules;
	assert_true(conf_rule_same_listen(r, conf_find_rule(c, "c")));
	assert_false(conf_rule_same_listen(r, conf_find_rule(c, "d")));
	assert_false(conf_rule_same_listen(r, conf_find_rule(c, "g")));
	assert_true(conf_rule_same_listen(r->next, conf_find_rule(c, "h")));
	assert_false(conf_rule_same_listen(r->next->next,
	    conf_find_rule(c, "a")));
	assert_true(conf_rule_same_listen(r->next->next, r->next->next));
	conf_unref(c);
	conf_unref(d);
	/* A socket keeps its family: a mapped address is another one. */
	c = good("rule a {\nlisten tcp:[::ffff:127.0.0.1]:80\n"
	    "connect vsock:3:1\n}\n");
	d = good("rule a {\nlisten tcp:127.0.0.1:80\nconnect vsock:3:1\n}\n"
	    "rule b {\nlisten tcp:[::ffff:127.0.0.1]:81\n"
	    "connect vsock:3:1\n}\n");
	assert_false(conf_rule_same_listen(c->rules, d->rules));
	assert_false(conf_rule_same_listen(c->rules, d->rules->next));
	assert_true(conf_rule_same_listen(c->rules, c->rules));
	conf_unref(c);
	conf_unref(d);

	/* hybrid-vsock: a target, never a listen address. */
	c = good("rule fc {\nlisten vsock:5000\n"
	    "connect hybrid-vsock:/run/fc/v.sock:5000\nallow 3\n}\n");
	r = c->rules;
	assert_int_equal(r->connect.kind, ADDR_HVSOCK);
	assert_int_equal(r->connect.hvport, 5000);
	conf_unref(c);
	bad("rule fc {\nlisten hybrid-vsock:/run/fc/v.sock:5000\n"
	    "connect vsock:3:1\n}\n",
	    "t.conf:2: bad listen address "
	    "'hybrid-vsock:/run/fc/v.sock:5000': "
	    "hybrid-vsock: is a connect address only", NULL);
}

/*
 * Random damage to a valid text must never crash or leak (run under
 * valgrind or ASan to see leaks).  The text avoids tcp: and user names,
 * which would reach the resolver.
 */
static void
test_mutations(void **state)
{
	static const char base[] =
	    "stats-interval 30\ndefaults {\n connect-timeout 2\n"
	    " buffer-size 64k\n}\nrule vm5 {\n listen vsock:11105\n"
	    " connect vsock:3:11100\n allow 5,7,10-20 any\n deny 12\n"
	    " max-conns 100\n max-conns-per-peer 10\n idle-timeout 300\n"
	    "}\nrule u {\n listen \"unix:/run/a b\"\n connect unix:/x\n"
	    " allow-uid 0,1000\n}\n";
	static const char alphabet[] = "{}#\"\\\n ,-:/.09az\r\t";
	char buf[sizeof(base) * 2];
	uint32_t x = 2463534242U;
	struct conf *c;
	size_t len, pos;
	int i, j, nok = 0;

	for (i = 0; i < 5000; i++) {
		memcpy(buf, base, sizeof(base) - 1);
		len = sizeof(base) - 1;
		for (j = 0; j < 1 + i % 8; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			pos = x % len;
			switch (x >> 29) {
			case 0:		/* delete a byte */
				memmove(buf + pos, buf + pos + 1,
				    len - pos - 1);
				len--;
				break;
			case 1:		/* any byte */
				buf[pos] = (char)(x >> 8);
				break;
			default:	/* a byte that means something */
				buf[pos] = alphabet[(x >> 8) %
				    (sizeof(alphabet) - 1)];
				break;
			}
		}
		c = conf_parse_buffer(buf, len, "m.conf", CONF_NO_INCLUDE,
		    NULL, NULL);
		nok += c != NULL;
		conf_unref(c);
	}
	/* Some mutations must survive, or the test tests nothing. */
	assert_true(nok > 0);
	assert_true(nok < 5000);
}

/* user and group: global, checked when read, kept as written. */
static void
test_user_group(void **state)
{
	struct conf *c;

	c = good("user root\ngroup 0\nrule a {\n\tlisten tcp:127.0.0.1:1\n"
	    "\tconnect tcp:127.0.0.1:2\n}\n");
	assert_string_equal(c->settings.user, "root");
	assert_string_equal(c->settings.group, "0");
	conf_unref(c);
	c = good("user 0\nrule a {\n\tlisten tcp:127.0.0.1:1\n"
	    "\tconnect tcp:127.0.0.1:2\n}\n");
	assert_string_equal(c->settings.user, "0");
	assert_null(c->settings.group);
	conf_unref(c);
	/* A number needs no passwd entry. */
	c = good("user 4000000\ngroup 4000000\n");
	conf_unref(c);
	bad("user no-such-user-vsp\n",
	    "t.conf:1: user: unknown user 'no-such-user-vsp'", NULL);
	bad("group no-such-group-vsp\n",
	    "t.conf:1: group: unknown group 'no-such-group-vsp'", NULL);
	bad("user 12x\n", "t.conf:1: user: bad user '12x': expected a name "
	    "or a uid from 0 to 4294967294", NULL);
	bad("user root\nuser root\n",
	    "t.conf:2: duplicate 'user' (first at t.conf:1)", NULL);
	bad("user root root\n", "t.conf:1: 'user' takes one value", NULL);
	bad("rule a {\n\tuser root\n}\n",
	    "t.conf:2: 'user' is a global setting: it cannot be inside a "
	    "block", "t.conf:1: rule 'a' has no listen address",
	    "t.conf:1: rule 'a' has no connect address", NULL);
}

/* Copy the tree at src to dst (which exists), as this user's. */
static int
copy_tree(const char *src, const char *dst)
{
	char s[PATH_MAX], d[PATH_MAX], buf[4096];
	struct dirent *de;
	struct stat sb;
	DIR *dir;
	ssize_t n;
	int in, out, rc = 0;

	if ((dir = opendir(src)) == NULL)
		return (-1);
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
		if (lstat(s, &sb) == -1)
			rc = -1;
		else if (S_ISDIR(sb.st_mode))
			rc = mkdir(d, 0755) == -1 ? -1 : copy_tree(s, d);
		else {
			if ((in = open(s, O_RDONLY)) == -1)
				rc = -1;
			else if ((out = open(d, O_WRONLY | O_CREAT | O_EXCL,
			    0644)) == -1) {
				close(in);
				rc = -1;
			} else {
				while ((n = read(in, buf, sizeof(buf))) > 0)
					if (write(out, buf, (size_t)n) != n)
						n = -1;
				if (n == -1)
					rc = -1;
				close(in);
				if (close(out) == -1)
					rc = -1;
			}
		}
	}
	closedir(dir);
	return (rc);
}

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{

	(void)sb;
	(void)type;
	(void)ftw;
	return (remove(path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_include_names),
		cmocka_unit_test(test_include_count),
		cmocka_unit_test(test_include_patterns),
		cmocka_unit_test(test_file_perms),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_acls),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_user_group),
	};
	const char *top = getenv("top_srcdir");
	const char *tmp = getenv("TMPDIR");
	char src[PATH_MAX];
	int rc;

	/* Files written here are this user's and not group-writable. */
	umask(022);
	snprintf(src, sizeof(src), "%s/tests/unit/conf",
	    top != NULL && *top != '\0' ? top : ".");
	snprintf(fixtures, sizeof(fixtures), "%s/test-conf-fixtures.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(fixtures) == NULL || copy_tree(src, fixtures) == -1) {
		fprintf(stderr, "cannot copy %s to %s\n", src, fixtures);
		return (1);
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)nftw(fixtures, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return (rc);
}
