/*
 * conf_block: the blocks of vsockproxy.conf(5), "rule NAME { ... }" and
 * "defaults { ... }".  A rule is checked as a whole when its block
 * closes (a listen and a connect address, ACLs that suit the listen
 * address, no loop to itself, no clash with an earlier rule), so that
 * its errors come out near its lines; the defaults block only fills in,
 * once everything is read, what each rule left unset.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "clash.h"
#include "conf.h"
#include "conf_parser.h"
#include "escape.h"
#include "htab.h"

static const char *
block_desc(struct parser *p, char *buf, size_t len)
{

	if (p->block == B_DEFAULTS)
		snprintf(buf, len, "the defaults block");
	else
		snprintf(buf, len, "rule '%s'", p->cur->rule->name);
	return (buf);
}

static void
check_acl_kind(struct parser *p, struct prule *r, enum setting s,
    const char *kw, enum addr_kind want, const char *wantname)
{
	char a[ADDR_STRLEN];

	if (r->at[s].line == 0 || r->rule->listen.kind == want)
		return;
	conf_err_at(p, r->at[s].file, r->at[s].line, "'%s' needs a %s listen "
	    "address, but rule '%s' listens on %s", kw, wantname,
	    r->rule->name, addr_format(&r->rule->listen, a, sizeof(a)));
}

/* Whole-rule checks, when its block closes. */
static void
check_rule(struct parser *p, struct prule *r)
{
	struct conf_rule *q;
	char a[ADDR_STRLEN], f[SHOWN_MAX];

	if (r->at[S_LISTEN].line == 0)
		conf_err_at(p, r->rule->file, r->rule->line, "rule '%s' has "
		    "no listen address", r->rule->name);
	if (r->at[S_CONNECT].line == 0)
		conf_err_at(p, r->rule->file, r->rule->line, "rule '%s' has "
		    "no connect address", r->rule->name);
	/* A bad listen line was reported already. */
	if (r->rule->listen.kind == 0)
		return;
	check_acl_kind(p, r, S_ALLOW, "allow", ADDR_VSOCK, "vsock");
	check_acl_kind(p, r, S_DENY, "deny", ADDR_VSOCK, "vsock");
	check_acl_kind(p, r, S_ALLOW_UID, "allow-uid", ADDR_UNIX, "unix");
	check_acl_kind(p, r, S_ALLOW_ADDR, "allow-addr", ADDR_TCP, "tcp");
	if (r->rule->connect.kind != 0 &&
	    r->rule->connect.type != r->rule->listen.type)
		conf_err_at(p, r->at[S_CONNECT].file, r->at[S_CONNECT].line,
		    "rule '%s' listens on a %s socket but connects to a %s "
		    "one: a rule relays messages (seqpacket) to messages "
		    "only", r->rule->name,
		    addr_type_name(r->rule->listen.type),
		    addr_type_name(r->rule->connect.type));
	else if (r->rule->connect.kind != 0 &&
	    addr_leads_to(&r->rule->connect, &r->rule->listen))
		conf_err_at(p, r->at[S_CONNECT].file, r->at[S_CONNECT].line,
		    "rule '%s' connects to its own listen address",
		    r->rule->name);
	if (p->listens != NULL &&
	    (q = clash_find(p->listens, &r->rule->listen)) != NULL)
		conf_err_at(p, r->at[S_LISTEN].file, r->at[S_LISTEN].line,
		    "listen address %s clashes with rule '%s' (%s:%d)",
		    addr_format(&r->rule->listen, a, sizeof(a)), q->name,
		    escape_str(q->file, f, sizeof(f)), q->line);
}

/*
 * A closed rule's listen address, for the clash checks of later rules;
 * also a rule that was not checked (its file ended first), as every
 * earlier rule with a good listen line counts.
 */
static void
add_listen(struct parser *p, struct prule *r)
{

	if (r->bad || r->rule->listen.kind == 0)
		return;
	if ((p->listens == NULL && (p->listens = clash_new()) == NULL) ||
	    clash_add(p->listens, &r->rule->listen, r->rule) == -1)
		conf_oom(p);
}

static void
close_block(struct parser *p, int check)
{

	if (p->block == B_RULE && check && !p->cur->bad)
		check_rule(p, p->cur);
	if (p->block == B_RULE)
		add_listen(p, p->cur);
	p->block = B_NONE;
	p->cur = NULL;
}

/* A block opened inside another: say so, and close the old one. */
static void
close_unfinished(struct parser *p, const char *what)
{
	char d[CONF_NAME_MAX + 32];

	if (p->block == B_NONE)
		return;
	conf_err(p, "'%s' inside %s (line %d): missing '}'", what,
	    block_desc(p, d, sizeof(d)), p->block_at.line);
	close_block(p, 1);
}

static uint64_t
name_hash(const char *name)
{

	return (htab_hash(HTAB_HASH_INIT, name, strlen(name)));
}

static int
name_eq(const void *name, const void *rule)
{

	return (strcmp(name, ((const struct conf_rule *)rule)->name) == 0);
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX)
		return (0);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
}

void
conf_block_open_rule(struct parser *p, char **av, int ac)
{
	struct conf_rule *q = NULL;
	struct prule *r;
	char f[SHOWN_MAX];
	int bad = 0;

	close_unfinished(p, "rule");
	if (ac < 2) {
		conf_err(p, "'rule' needs a name: rule NAME {");
		bad = 1;
	} else if (!name_ok(av[1])) {
		conf_err(p, "bad rule name '%s': use letters, digits, '.', "
		    "'-' and '_', at most %d", av[1], CONF_NAME_MAX);
		bad = 1;
	} else if (ac != 3 || strcmp(av[2], "{") != 0) {
		conf_err(p, "expected 'rule %s {'", av[1]);
		bad = 1;
	}
	if (!bad && (q = htab_find(p->names, name_hash(av[1]), name_eq,
	    av[1])) != NULL)
		conf_err(p, "duplicate rule name '%s' (first at %s:%d)",
		    av[1], escape_str(q->file, f, sizeof(f)), q->line);
	/* Open a block even so, so the lines that follow make sense. */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rule = conf_add_rule(p->conf, ac < 2 ? "?" : av[1])) ==
	    NULL) {
		free(r);
		conf_oom(p);
		return;
	}
	r->bad = bad;
	r->rule->file = p->file;
	r->rule->line = p->line;
	/* The first of a name is the one a duplicate is told about. */
	if (!bad && q == NULL &&
	    ((p->names == NULL && (p->names = htab_new()) == NULL) ||
	    htab_add(p->names, name_hash(r->rule->name), r->rule) == -1))
		conf_oom(p);
	*p->rules_tail = r;
	p->rules_tail = &r->next;
	p->cur = r;
	p->block = B_RULE;
	p->block_at.file = p->file;
	p->block_at.line = p->line;
}

void
conf_block_open_defaults(struct parser *p, char **av, int ac)
{

	close_unfinished(p, "defaults");
	if (ac != 2 || strcmp(av[1], "{") != 0)
		conf_err(p, "expected 'defaults {'");
	p->cur = &p->defaults;
	p->block = B_DEFAULTS;
	p->block_at.file = p->file;
	p->block_at.line = p->line;
}

static void
inherit(struct prule *pr, const struct conf_rule *d)
{
	struct conf_rule *r = pr->rule;

	if (pr->at[S_MAX_CONNS].line == 0)
		r->max_conns = d->max_conns;
	if (pr->at[S_MAX_PER_PEER].line == 0)
		r->max_per_peer = d->max_per_peer;
	if (pr->at[S_MAX_CONN_RATE].line == 0)
		r->max_conn_rate = d->max_conn_rate;
	if (pr->at[S_IDLE_TIMEOUT].line == 0)
		r->idle_timeout_ms = d->idle_timeout_ms;
	if (pr->at[S_CONNECT_TIMEOUT].line == 0)
		r->connect_timeout_ms = d->connect_timeout_ms;
	if (pr->at[S_BUFSIZE].line == 0)
		r->bufsize = d->bufsize;
}

void
conf_block_end(struct parser *p, char **av, int ac)
{

	if (p->block == B_NONE) {
		conf_err(p, "'}' without an open block");
		return;
	}
	if (ac > 1)
		conf_err(p, "unexpected '%s' after '}'", av[1]);
	close_block(p, 1);
}

/* Blocks do not span files: a drop-in cannot break its includer. */
void
conf_block_eof(struct parser *p)
{
	char d[CONF_NAME_MAX + 32];

	if (p->block == B_NONE)
		return;
	conf_err_at(p, p->block_at.file, p->block_at.line, "%s is not "
	    "closed: missing '}'", block_desc(p, d, sizeof(d)));
	close_block(p, 0);
}

/* The control socket cannot be a rule's listen socket too. */
static void
check_control(struct parser *p)
{
	const char *path = p->conf->settings.control;
	const struct sockaddr_un *sun;
	const struct prule *pr;

	if (path == NULL)
		return;
	for (pr = p->rules; pr != NULL; pr = pr->next) {
		sun = (const struct sockaddr_un *)&pr->rule->listen.sa;
		if (pr->rule->listen.kind == ADDR_UNIX &&
		    strncmp(sun->sun_path, path, sizeof(sun->sun_path)) == 0)
			conf_err_at(p, p->global[S_CONTROL].file,
			    p->global[S_CONTROL].line, "the control socket is "
			    "listen address of rule '%s' too", pr->rule->name);
	}
}

void
conf_block_finish(struct parser *p)
{
	struct prule *pr, *next;

	check_control(p);

	htab_free(p->names);
	clash_free(p->listens);
	p->names = NULL;
	p->listens = NULL;
	for (pr = p->rules; pr != NULL; pr = next) {
		next = pr->next;
		if (p->nerrors == 0) {
			inherit(pr, &p->defaults_rule);
			/* "any" wins over a list, and no list means any. */
			if (pr->allow_any) {
				acl_free(pr->rule->allow);
				pr->rule->allow = NULL;
			}
		}
		free(pr);
	}
	p->rules = NULL;
}
