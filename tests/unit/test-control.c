/*
 * Unit tests: what the control socket prints and parses without a
 * socket: the command line splitter (control.c), the configuration
 * printer (conf_print.c, which "show config" and -T share) and the
 * access words of "show rules", and the building of a reply: lines
 * dot-stuffed, an error replacing what was built, the size cap.
 *
 * The printer's contract is a round trip: what it prints parses back to
 * a configuration it prints the same way, every setting explicit.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "conf.h"
#include "control.h"
#include "control_impl.h"
#include "settings.h"

struct text {
	char buf[16384];
	size_t len;
};

static void
collect(void *cookie, const char *line)
{
	struct text *t = cookie;
	int n;

	n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", line);
	assert_true(n > 0 && (size_t)n < sizeof(t->buf) - t->len);
	t->len += (size_t)n;
}

static void
show_error(void *cookie, const char *msg)
{

	(void)cookie;
	print_message("conf: %s\n", msg);
}

static struct conf *
parse(const char *text)
{

	return (conf_parse_string(text, "/test.conf", CONF_NO_INCLUDE |
	    CONF_NO_RESOLVE, show_error, NULL));
}

/* Print conf (with cli's settings) into t. */
static void
print(const struct conf *conf, const struct settings *cli, struct text *t)
{

	memset(t, 0, sizeof(*t));
	conf_print(conf, cli, collect, t);
}

static void
round_trip(const char *text, const struct settings *cli, struct text *out)
{
	struct text again;
	struct settings none;
	struct conf *a, *b;

	settings_init(&none);
	assert_non_null(a = parse(text));
	print(a, cli, out);
	assert_non_null(b = parse(out->buf));
	/* The command line's settings are in the text now. */
	print(b, &none, &again);
	assert_string_equal(out->buf, again.buf);
	conf_unref(a);
	conf_unref(b);
}

static void
test_print_round_trip(void **state)
{
	static const char text[] =
	    "stats-interval 2.5\n"
	    "control \"unix:/run/a dir/ctl.sock\"\n"
	    "defaults {\n idle-timeout 30\n max-conn-rate 7\n}\n"
	    "rule vm3 {\n listen vsock:5000\n"
	    " connect \"unix:/run/x \\\"y\\\" #z\"\n"
	    " allow 3,5,10-20\n deny 12\n max-conns 4\n}\n"
	    "rule admin {\n listen unix:/run/a.sock\n"
	    " connect hybrid-vsock:/run/fc.sock:5000\n"
	    " allow-uid 0,1000\n max-conns-per-peer 2\n"
	    " connect-timeout 0.25\n buffer-size 64k\n}\n"
	    "rule web {\n listen tcp:0.0.0.0:8080\n connect tcp:[::1]:80\n"
	    " allow-addr 10.0.0.0/8,::1 192.168.0.0/16\n}\n"
	    "rule msg {\n listen vsock-seqpacket:5001\n"
	    " connect vsock-seqpacket:3:5001\n allow 3\n}\n"
	    "rule umsg {\n listen unix-seqpacket:/run/m.sock\n"
	    " connect vsock-seqpacket:4:7\n allow-uid 0\n}\n";
	struct settings cli;
	struct text t;

	(void)state;
	settings_init(&cli);
	round_trip(text, &cli, &t);
	assert_non_null(strstr(t.buf, "\nstats-interval 2.500\n"));
	assert_non_null(strstr(t.buf,
	    "\ncontrol \"unix:/run/a dir/ctl.sock\"\n"));
	assert_non_null(strstr(t.buf, "\nrule vm3 {\n\tlisten vsock:5000\n"));
	assert_non_null(strstr(t.buf, "\tconnect \"unix:/run/x \\\"y\\\" "
	    "#z\"\n"));
	assert_non_null(strstr(t.buf, "\tallow 3,5,10-20\n\tdeny 12\n"));
	assert_non_null(strstr(t.buf, "\tallow-uid 0,1000\n"));
	assert_non_null(strstr(t.buf,
	    "\tallow-addr 10.0.0.0/8,::1/128,192.168.0.0/16\n"));
	assert_non_null(strstr(t.buf, "\tconnect-timeout 0.250\n"));
	assert_non_null(strstr(t.buf, "\tbuffer-size 65536\n"));
	assert_non_null(strstr(t.buf, "\n\tlisten vsock-seqpacket:5001\n"
	    "\tconnect vsock-seqpacket:3:5001\n"));
	assert_non_null(strstr(t.buf, "\n\tlisten unix-seqpacket:/run/m.sock"
	    "\n\tconnect vsock-seqpacket:4:7\n"));
	/* The defaults block, applied where the rule said nothing. */
	assert_non_null(strstr(t.buf, "\tmax-conns 4\n\tmax-conns-per-peer "
	    "0\n\tmax-conn-rate 7\n\tidle-timeout 30\n"));
}

/* The command line's global settings win, as in the daemon. */
static void
test_print_cli(void **state)
{
	struct settings cli;
	struct text t;
	char path[] = "/run/cli.sock";

	(void)state;
	settings_init(&cli);
	cli.stats_interval_ms = 0;
	cli.set |= SETTINGS_SET_STATS_INTERVAL;
	cli.control = path;
	round_trip("stats-interval 9\ncontrol unix:/run/file.sock\n", &cli,
	    &t);
	assert_non_null(strstr(t.buf, "\nstats-interval 0\n"));
	assert_non_null(strstr(t.buf, "\ncontrol unix:/run/cli.sock\n"));
	assert_null(strstr(t.buf, "file.sock"));
}

/*
 * Every byte a line of the file can hold (no control character but tab
 * and carriage return: conf_read.c), inside the
 * string values -T prints: a UNIX path, user, group, the control path.
 * A value must come back as itself, so the printer must quote it
 * wherever the reader would split, cut or unquote (a '\r' was once
 * printed bare, and read back as the end of the word).
 */
static void
test_print_every_byte(void **state)
{
	char text[512], q[8];
	struct text t;
	struct settings none;
	struct conf *c;
	int b;

	(void)state;
	settings_init(&none);
	for (b = 1; b < 256; b++) {
		if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f)
			continue;
		if (b == '"' || b == '\\')
			snprintf(q, sizeof(q), "\\%c", b);
		else
			snprintf(q, sizeof(q), "%c", b);
		snprintf(text, sizeof(text),
		    "user \"u%sv\"\ngroup \"%s\"\n"
		    "control \"unix:/run/c%s\"\n"
		    "rule r {\n listen \"unix:/run/a%sb\"\n"
		    " connect \"unix:/run/%s\"\n}\n", q, q, q, q, q);
		round_trip(text, &none, &t);
		assert_non_null(c = parse(t.buf));
		assert_int_equal((unsigned char)c->settings.user[1], b);
		assert_int_equal((unsigned char)c->settings.group[0], b);
		assert_int_equal((unsigned char)c->settings.control[6], b);
		assert_int_equal((unsigned char)((const struct sockaddr_un *)
		    &c->rules->listen.sa)->sun_path[6], b);
		assert_int_equal((unsigned char)((const struct sockaddr_un *)
		    &c->rules->connect.sa)->sun_path[5], b);
		conf_unref(c);
	}
	/* An empty value cannot be printed bare; it is not a name. */
	assert_null(parse("user \"\"\n"));
	assert_null(parse("group \"\"\n"));
}

static void
test_control_keyword(void **state)
{
	struct conf *c;

	(void)state;
	assert_null(parse("control /run/x.sock\n"));
	assert_null(parse("control unix:run/x.sock\n"));
	assert_null(parse("control tcp:127.0.0.1:1\n"));
	assert_null(parse("control unix:/a\ncontrol unix:/b\n"));
	assert_null(parse("rule a {\n control unix:/a\n}\n"));
	assert_null(parse("control unix:/run/a.sock\nrule a {\n"
	    " listen unix:/run/a.sock\n connect vsock:3:1\n}\n"));
	assert_non_null(c = parse("control unix:/run/v/c.sock\n"));
	assert_string_equal(c->settings.control, "/run/v/c.sock");
	conf_unref(c);
}

static void
test_access(void **state)
{
	struct conf *c;
	char buf[128];

	(void)state;
	assert_non_null(c = parse(
	    "rule a {\n listen vsock:1\n connect vsock:3:1\n}\n"
	    "rule b {\n listen vsock:2\n connect vsock:3:1\n deny 4,7-9\n}\n"
	    "rule c {\n listen vsock:3\n connect vsock:3:1\n allow 3\n"
	    " deny 4\n}\n"
	    "rule d {\n listen unix:/a\n connect vsock:3:1\n allow-uid 0\n}\n"
	    "rule e {\n listen tcp:127.0.0.1:1\n connect vsock:3:1\n"
	    " allow-addr 127.0.0.0/8\n}\n"));
	assert_string_equal(conf_rule_access(conf_find_rule(c, "a"), buf,
	    sizeof(buf)), "allow=any");
	assert_string_equal(conf_rule_access(conf_find_rule(c, "b"), buf,
	    sizeof(buf)), "allow=any deny=4,7-9");
	assert_string_equal(conf_rule_access(conf_find_rule(c, "c"), buf,
	    sizeof(buf)), "allow=3 deny=4");
	assert_string_equal(conf_rule_access(conf_find_rule(c, "d"), buf,
	    sizeof(buf)), "allow_uid=0");
	assert_string_equal(conf_rule_access(conf_find_rule(c, "e"), buf,
	    sizeof(buf)), "allow_addr=127.0.0.0/8");
	/* Cut, and said to be. */
	conf_rule_access(conf_find_rule(c, "b"), buf, 16);
	assert_string_equal(buf, "allow=any de...");
	conf_rule_access(conf_find_rule(c, "b"), buf, 8);
	assert_string_equal(buf, "...");
	conf_unref(c);
}

static void
test_split(void **state)
{
	char line[64], *av[4];

	(void)state;
	strcpy(line, "  show \t connections ");
	assert_int_equal(control_split(line, av, 4), 2);
	assert_string_equal(av[0], "show");
	assert_string_equal(av[1], "connections");
	strcpy(line, "");
	assert_int_equal(control_split(line, av, 4), 0);
	strcpy(line, " \t ");
	assert_int_equal(control_split(line, av, 4), 0);
	strcpy(line, "a b c d e");
	assert_int_equal(control_split(line, av, 4), -1);
	strcpy(line, "a b c d");
	assert_int_equal(control_split(line, av, 4), 4);
	assert_string_equal(av[3], "d");
}

/* A client with no socket: only its reply buffer is used. */
static void
test_reply(void **state)
{
	struct control_client *cl;
	int i;

	(void)state;
	assert_non_null(cl = calloc(1, sizeof(*cl)));
	control_printf(cl, ".hidden\nplain\n..two");
	assert_int_equal(cl->outlen, strlen("..hidden\nplain\n...two\n"));
	assert_memory_equal(cl->out, "..hidden\nplain\n...two\n",
	    cl->outlen);
	/* An error replaces the reply so far, and nothing follows it. */
	control_error(cl, "bad %d", 7);
	control_printf(cl, "ignored");
	assert_int_equal(cl->outlen, strlen("error: bad 7\n"));
	assert_memory_equal(cl->out, "error: bad 7\n", cl->outlen);
	/* Past the cap, the reply stops growing and says so. */
	cl->outlen = cl->reply_start = 0;
	cl->errored = 0;
	for (i = 0; i < CONTROL_REPLY_MAX / 100 + 10; i++)
		control_printf(cl, "%0*d", 99, i);
	assert_true(cl->overflow);
	assert_true(cl->outlen <= CONTROL_REPLY_MAX);
	/* Longer than the formatting buffer: still whole. */
	cl->outlen = cl->reply_start = 0;
	cl->overflow = 0;
	control_printf(cl, "%0*d", 5000, 1);
	assert_int_equal(cl->outlen, 5001);
	free(cl->out);
	free(cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_print_cli),
		cmocka_unit_test(test_print_every_byte),
		cmocka_unit_test(test_control_keyword),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_reply),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
