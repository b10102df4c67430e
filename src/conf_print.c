/*
 * conf_print: the effective configuration as a file that the parser
 * reads back to the same configuration (`vsockproxy -T`, the control
 * socket's `show config`), like `sshd -T`: includes inlined, the
 * defaults block and the built-in defaults applied to each rule, every
 * setting written out, the command line's global settings merged in,
 * host names as the addresses they resolved to.
 *
 * One line per call of the caller's function, without the newline, so
 * that a FILE and a control client's buffer are served alike.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "conf.h"
#include "escape.h"
#include "event_backend.h"
#include "settings.h"
#include "vsock.h"

/* A keyword line never gets near this: values are one address or a
 * short list (lists are cut into lines of LIST_WIDTH). */
#define LINE_MAX_	(2 * ADDR_STRLEN + 64)
#define LIST_WIDTH	60

struct out {
	conf_print_fn *fn;
	void *cookie;
};

static void
say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct out *o, const char *fmt, ...)
{
	char line[LINE_MAX_];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->fn(o->cookie, line);
}

/* s as one word of the file. */
static const char *
word(const char *s, char *buf, size_t len)
{

	return (escape_word(s, CONF_SPECIAL, buf, len));
}

/* A CID range as the lists have it: "3" or "10-20". */
static const char *
range(uint32_t lo, uint32_t hi, char *buf, size_t len)
{

	if (lo == hi)
		snprintf(buf, len, "%" PRIu32, lo);
	else
		snprintf(buf, len, "%" PRIu32 "-%" PRIu32, lo, hi);
	return (buf);
}

/*
 * An address as the file writes it.  A path is written as it is, not
 * escaped for a log (addr_format()), so that it reads back the same; a
 * target's vsock CID always, even the one that means "any" to a
 * listener (addr_format() leaves it out).
 */
static const char *
address(const struct addr *a, int target, char *buf, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;
	const struct sockaddr_vm *svm = (const struct sockaddr_vm *)&a->sa;
	const char *seq = addr_is_message(a) ? "-seqpacket" : "";
	char text[ADDR_STRLEN];

	if (a->kind == ADDR_VSOCK && svm->svm_cid == VMADDR_CID_ANY &&
	    target)
		snprintf(text, sizeof(text), "vsock%s:%" PRIu32 ":%" PRIu32,
		    seq, svm->svm_cid, svm->svm_port);
	else if ((a->kind == ADDR_UNIX || a->kind == ADDR_HVSOCK) &&
	    sun->sun_path[0] != '\0') {
		if (a->kind == ADDR_UNIX)
			snprintf(text, sizeof(text), "unix%s:%.*s", seq,
			    (int)sizeof(sun->sun_path), sun->sun_path);
		else
			snprintf(text, sizeof(text), "hybrid-vsock:%.*s:%u",
			    (int)sizeof(sun->sun_path), sun->sun_path,
			    a->hvport);
	} else
		addr_format(a, text, sizeof(text));
	return (word(text, buf, len));
}

/* Milliseconds as the seconds the file takes. */
static const char *
seconds(uint64_t ms, char *buf, size_t len)
{

	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64, ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ms / 1000,
		    ms % 1000);
	return (buf);
}

/* A list keyword, as few lines as fit LIST_WIDTH: "allow 3,5,10-20". */
struct list {
	struct out *o;
	const char *kw;
	char buf[LIST_WIDTH + 64];
	size_t len;
};

static void
list_add(struct list *l, const char *item)
{

	if (l->len > 0 && l->len + strlen(item) + 1 > LIST_WIDTH) {
		say(l->o, "\t%s %s", l->kw, l->buf);
		l->len = 0;
	}
	l->len += (size_t)snprintf(l->buf + l->len, sizeof(l->buf) - l->len,
	    "%s%s", l->len > 0 ? "," : "", item);
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

static void
list_end(struct list *l)
{

	if (l->len > 0)
		say(l->o, "\t%s %s", l->kw, l->buf);
	l->len = 0;
}

static void
print_cids(struct out *o, const char *kw, const struct acl *a)
{
	struct list l;
	char item[32];
	uint32_t lo, hi;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.kw = kw;
	for (i = 0; acl_range(a, i, &lo, &hi) == 0; i++)
		list_add(&l, range(lo, hi, item, sizeof(item)));
	list_end(&l);
}

static void
print_acls(struct out *o, const struct conf_rule *r)
{
	struct list l;
	char item[64];
	size_t i;

	print_cids(o, "allow", r->allow);
	print_cids(o, "deny", r->deny);
	memset(&l, 0, sizeof(l));
	l.o = o;
	l.kw = "allow-uid";
	for (i = 0; i < r->nuids; i++) {
		snprintf(item, sizeof(item), "%lu", (unsigned long)r->uids[i]);
		list_add(&l, item);
	}
	list_end(&l);
	l.kw = "allow-addr";
	for (i = 0; i < r->nprefixes; i++)
		list_add(&l, acl_prefix_format(&r->prefixes[i], item,
		    sizeof(item)));
	list_end(&l);
}

static void
print_rule(struct out *o, const struct conf_rule *r)
{
	char a[2 * ADDR_STRLEN], t[32];

	say(o, "rule %s {", r->name);
	say(o, "\tlisten %s", address(&r->listen, 0, a, sizeof(a)));
	say(o, "\tconnect %s", address(&r->connect, 1, a, sizeof(a)));
	print_acls(o, r);
	say(o, "\tmax-conns %u", r->max_conns);
	say(o, "\tmax-conns-per-peer %u", r->max_per_peer);
	say(o, "\tmax-conn-rate %u", r->max_conn_rate);
	say(o, "\tidle-timeout %s", seconds(r->idle_timeout_ms, t,
	    sizeof(t)));
	say(o, "\tconnect-timeout %s", seconds(r->connect_timeout_ms, t,
	    sizeof(t)));
	say(o, "\tbuffer-size %zu", r->bufsize);
	say(o, "}");
}

/* Access lists as words (conf_rule_access()). */
struct words {
	char *buf;
	size_t len, used;		/* len: at least 4 */
	const char *key;		/* the list's, before its first item */
	int cut;
};

static void
words_add(struct words *w, const char *item)
{
	int n;

	if (w->cut)
		return;
	n = snprintf(w->buf + w->used, w->len - w->used, "%s%s%s",
	    w->key != NULL && w->used > 0 ? " " : "",
	    w->key != NULL ? w->key : ",", item);
	w->key = NULL;
	if (n < 0 || (size_t)n >= w->len - w->used) {
		/* Cut: say so, within the buffer. */
		memcpy(w->buf + w->len - 4, "...", 4);
		w->used = w->len - 1;
		w->cut = 1;
		return;
	}
	w->used += (size_t)n;
}

const char *
conf_rule_access(const struct conf_rule *r, char *buf, size_t len)
{
	struct words w;
	char item[64];
	uint32_t lo, hi;
	size_t i;
	int k;

	if (len < 16) {
		snprintf(buf, len, "...");
		return (buf);
	}
	memset(&w, 0, sizeof(w));
	w.buf = buf;
	w.len = len;
	buf[0] = '\0';
	/* Nothing but a deny list (or nothing): everyone else may. */
	if (acl_is_any(r->allow) && r->nuids == 0 && r->nprefixes == 0) {
		w.key = "allow=";
		words_add(&w, "any");
	}
	for (k = 0; k < 2; k++) {
		w.key = k == 0 ? "allow=" : "deny=";
		for (i = 0; acl_range(k == 0 ? r->allow : r->deny, i, &lo,
		    &hi) == 0; i++)
			words_add(&w, range(lo, hi, item, sizeof(item)));
	}
	w.key = "allow_uid=";
	for (i = 0; i < r->nuids; i++) {
		snprintf(item, sizeof(item), "%lu", (unsigned long)r->uids[i]);
		words_add(&w, item);
	}
	w.key = "allow_addr=";
	for (i = 0; i < r->nprefixes; i++)
		words_add(&w, acl_prefix_format(&r->prefixes[i], item,
		    sizeof(item)));
	return (buf);
}

void
conf_print(const struct conf *conf, const struct settings *cli,
    conf_print_fn *fn, void *cookie)
{
	const struct conf_rule *r;
	struct settings s;
	struct out o;
	char t[32], a[ADDR_STRLEN], w[2 * ADDR_STRLEN];

	o.fn = fn;
	o.cookie = cookie;
	settings_merge(&s, cli, &conf->settings);
	say(&o, "# %s %s: the effective configuration", PACKAGE_NAME,
	    PACKAGE_VERSION);
	say(&o, "stats-interval %s", seconds(s.stats_interval_ms, t,
	    sizeof(t)));
	say(&o, "shutdown-timeout %s", seconds(s.shutdown_timeout_ms, t,
	    sizeof(t)));
	say(&o, "event-backend %s", event_backend_name(s.backend));
	say(&o, "max-buffer-memory %zu", s.max_buffer_memory);
	say(&o, "zero-copy %s", s.zero_copy ? "on" : "off");
	if (s.user != NULL)
		say(&o, "user %s", word(s.user, w, sizeof(w)));
	if (s.group != NULL)
		say(&o, "group %s", word(s.group, w, sizeof(w)));
	if (s.control != NULL) {
		snprintf(a, sizeof(a), "unix:%s", s.control);
		say(&o, "control %s", word(a, w, sizeof(w)));
	}
	for (r = conf->rules; r != NULL; r = r->next) {
		say(&o, "%s", "");
		print_rule(&o, r);
	}
}
