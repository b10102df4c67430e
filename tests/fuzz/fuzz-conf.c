/*
 * fuzz-conf: the configuration parser, from memory, with no includes
 * and no name look-ups (CONF_NO_INCLUDE | CONF_NO_RESOLVE), so that it
 * opens no file or socket.  Loading is all or nothing: a configuration
 * comes back exactly when no error was reported, every error is one
 * line, and a configuration's rules are complete and can be queried.
 * And what conf_print() makes of it (vsockproxy -T) parses back to a
 * configuration that prints the same.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "fuzz.h"
#include "settings.h"

/* conf_print()'s lines, joined. */
struct text {
	char *buf;
	size_t len, cap;
};

static void
collect(void *cookie, const char *line)
{
	struct text *t = cookie;
	size_t n = strlen(line) + 1;

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		FUZZ_CHECK((t->buf = realloc(t->buf, t->cap)) != NULL);
	}
	memcpy(t->buf + t->len, line, n - 1);
	t->buf[t->len + n - 1] = '\n';
	t->len += n;
	t->buf[t->len] = '\0';
}

static void
print(const struct conf *c, struct text *t)
{
	struct settings none;

	settings_init(&none);
	memset(t, 0, sizeof(*t));
	conf_print(c, &none, collect, t);
}

/* What conf_print() wrote must read back without an error. */
static void
no_error(void *cookie, const char *msg)
{

	(void)cookie;
	(void)msg;
	FUZZ_CHECK(msg == NULL);
}

static void
check_round_trip(const struct conf *c)
{
	struct text a, b;
	struct conf *again;

	print(c, &a);
	again = conf_parse_buffer(a.buf, a.len, "fuzz.conf",
	    CONF_NO_INCLUDE | CONF_NO_RESOLVE, no_error, NULL);
	FUZZ_CHECK(again != NULL && again->nrules == c->nrules);
	print(again, &b);
	FUZZ_CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	conf_unref(again);
	free(a.buf);
	free(b.buf);
}

static void
count_error(void *cookie, const char *msg)
{
	int *n = cookie;

	FUZZ_CHECK(msg[0] != '\0');
	FUZZ_CHECK(strchr(msg, '\n') == NULL);
	/* "fuzz.conf:LINE: message" or "fuzz.conf: message" */
	FUZZ_CHECK(strncmp(msg, "fuzz.conf:", 10) == 0);
	(*n)++;
}

static void
check_rules(const struct conf *c)
{
	const struct conf_rule *r;
	struct sockaddr_in sin;
	char a[ADDR_STRLEN];
	size_t n = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (r = c->rules; r != NULL; r = r->next) {
		n++;
		FUZZ_CHECK(r->name != NULL && r->name[0] != '\0');
		FUZZ_CHECK(conf_find_rule(c, r->name) == r);
		FUZZ_CHECK(r->listen.kind != 0 && r->connect.kind != 0);
		FUZZ_CHECK(r->bufsize > 0);
		FUZZ_CHECK(r->connect_timeout_ms > 0);
		FUZZ_CHECK(conf_rule_same_listen(r, r));
		(void)addr_format(&r->listen, a, sizeof(a));
		(void)addr_format(&r->connect, a, sizeof(a));
		(void)conf_rule_allows_cid(r, 3);
		(void)conf_rule_allows_cid(r, UINT32_MAX);
		(void)conf_rule_allows_uid(r, 0);
		(void)conf_rule_allows_addr(r, (struct sockaddr *)&sin,
		    sizeof(sin));
	}
	FUZZ_CHECK(n == c->nrules);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	int nerr = 0;

	c = conf_parse_buffer((const char *)data, size, "fuzz.conf",
	    CONF_NO_INCLUDE | CONF_NO_RESOLVE, count_error, &nerr);
	FUZZ_CHECK((c == NULL) == (nerr > 0));
	if (c != NULL) {
		check_rules(c);
		check_round_trip(c);
	}
	conf_unref(c);
	return (0);
}
