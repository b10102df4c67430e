/*
 * conf: the configuration as the daemon holds it: a reference-counted
 * list of rules and the global settings, the queries on a rule, and the
 * entry points of the parser (conf_parser.h), with its error reports.
 *
 * The parser reads a file at a time, a line at a time, and never stops at
 * the first error: each bad line is reported and skipped, so that one run
 * of `vsockproxy -t` lists everything to fix.  Checks that need a whole
 * rule (listen address kind against its ACLs, clashes with earlier rules)
 * run when the rule's block closes, so that errors still come out near
 * their lines, file by file.  Defaults are applied last, which lets a
 * defaults block sit anywhere, e.g. in its own drop-in file.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "conf.h"
#include "conf_parser.h"
#include "escape.h"
#include "settings.h"

/* An error message: a line's worth of text and two file names. */
#define MSG_MAX		(CONF_LINE_MAX + 2 * SHOWN_MAX + 256)

/* File names live as long as the conf, since rules point at them. */
struct conf_name {
	struct conf_name *next;
	char name[];
};

/* The parser's errors. */

void
conf_err_at(struct parser *p, const char *file, int line, const char *fmt,
    ...)
{
	char msg[MSG_MAX], full[MSG_MAX + SHOWN_MAX + 32], f[SHOWN_MAX];
	va_list ap;

	if (p->stop)
		return;
	if (++p->nerrors > CONF_MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "more than %d errors, giving up",
		    CONF_MAX_ERRORS);
		p->stop = 1;
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	escape_str(file, f, sizeof(f));
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", f, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", f, msg);
	if (p->errfn != NULL)
		p->errfn(p->cookie, full);
}

void
conf_err(struct parser *p, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err_at(p, p->file != NULL ? p->file : p->root, p->line, "%s",
	    msg);
}

void
conf_oom(struct parser *p)
{

	conf_err(p, "out of memory");
	p->stop = 1;
}

const char *
conf_intern(struct conf *c, const char *s)
{
	struct conf_name *n;
	size_t len = strlen(s);

	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		return (NULL);
	memcpy(n->name, s, len + 1);
	n->next = c->names;
	c->names = n;
	return (n->name);
}

/* The parser's entry points. */

static int
parser_init(struct parser *p, int flags, conf_error_fn *err, void *cookie)
{

	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->errfn = err;
	p->cookie = cookie;
	p->rules_tail = &p->rules;
	conf_rule_defaults(&p->defaults_rule);
	p->defaults.rule = &p->defaults_rule;
	if ((p->conf = conf_new()) == NULL)
		return (-1);
	return (0);
}

static struct conf *
parser_finish(struct parser *p)
{

	conf_block_finish(p);
	if (p->nerrors > 0) {
		conf_unref(p->conf);
		return (NULL);
	}
	return (p->conf);
}

struct conf *
conf_load(const char *path, conf_error_fn *err, void *cookie)
{
	struct parser p;

	if (parser_init(&p, 0, err, cookie) == -1) {
		conf_err_at(&p, path, 0, "out of memory");
		return (NULL);
	}
	p.root = path;
	conf_read_file(&p, path);
	return (parser_finish(&p));
}

struct conf *
conf_parse_buffer(const char *buf, size_t len, const char *name, int flags,
    conf_error_fn *err, void *cookie)
{
	struct parser p;
	const char *iname;

	if (parser_init(&p, flags, err, cookie) == -1) {
		conf_err_at(&p, name, 0, "out of memory");
		return (NULL);
	}
	p.root = name;
	if ((iname = conf_intern(p.conf, name)) == NULL)
		conf_err_at(&p, name, 0, "out of memory");
	else
		conf_read_buffer(&p, iname, buf, len);
	return (parser_finish(&p));
}

struct conf *
conf_parse_string(const char *text, const char *name, int flags,
    conf_error_fn *err, void *cookie)
{

	return (conf_parse_buffer(text, strlen(text), name, flags, err,
	    cookie));
}

/* The data model. */

void
conf_rule_defaults(struct conf_rule *r)
{

	r->connect_timeout_ms = SETTINGS_DEFAULT_CONNECT_TIMEOUT_MS;
	r->bufsize = SETTINGS_DEFAULT_BUFSIZE;
}

struct conf *
conf_new(void)
{
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->refs = 1;
	settings_init(&c->settings);
	return (c);
}

struct conf_rule *
conf_add_rule(struct conf *c, const char *name)
{
	struct conf_rule *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	if ((r->name = strdup(name)) == NULL) {
		free(r);
		return (NULL);
	}
	conf_rule_defaults(r);
	if (c->last != NULL)
		c->last->next = r;
	else
		c->rules = r;
	c->last = r;
	c->nrules++;
	return (r);
}

struct conf *
conf_ref(struct conf *c)
{

	c->refs++;
	return (c);
}

void
conf_unref(struct conf *c)
{
	struct conf_rule *r, *rnext;
	struct conf_name *n, *nnext;

	if (c == NULL || --c->refs > 0)
		return;
	for (r = c->rules; r != NULL; r = rnext) {
		rnext = r->next;
		free(r->name);
		acl_free(r->allow);
		acl_free(r->deny);
		free(r->uids);
		free(r->prefixes);
		free(r);
	}
	for (n = c->names; n != NULL; n = nnext) {
		nnext = n->next;
		free(n);
	}
	free(c->settings.user);
	free(c->settings.group);
	free(c->settings.control);
	free(c);
}

const struct conf_rule *
conf_find_rule(const struct conf *c, const char *name)
{
	const struct conf_rule *r;

	for (r = c->rules; r != NULL; r = r->next)
		if (strcmp(r->name, name) == 0)
			return (r);
	return (NULL);
}

int
conf_rule_allows_cid(const struct conf_rule *r, uint32_t cid)
{

	return (acl_allows_unless(r->allow, r->deny, cid));
}

int
conf_rule_allows_uid(const struct conf_rule *r, uid_t uid)
{

	return (acl_uid_allows(r->uids, r->nuids, uid));
}

int
conf_rule_allows_addr(const struct conf_rule *r, const struct sockaddr *sa,
    socklen_t salen)
{

	return (acl_addr_allows(r->prefixes, r->nprefixes, sa, salen));
}

int
conf_rule_same_listen(const struct conf_rule *a, const struct conf_rule *b)
{

	/* A socket cannot change its family: [::ffff:127.0.0.1] is not
	 * 127.0.0.1 here, though the two clash. */
	return (a->listen.sa.ss_family == b->listen.sa.ss_family &&
	    addr_equal(&a->listen, &b->listen));
}
