/*
 * conf: parse vsockproxy.conf(5).
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
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "clash.h"
#include "conf.h"
#include "escape.h"
#include "event_backend.h"
#include "htab.h"
#include "parse.h"
#include "privdrop.h"
#include "settings.h"
#include "vsock.h"

/* Enough words for any sane allow list on one line. */
#define MAX_WORDS	64
/*
 * A file name in a message, escaped (escape.h): a glob finds names that
 * whoever may write to a drop-in directory chose.  Longer ones are cut.
 */
#define SHOWN_MAX	1024
/* An error message: a line's worth of text and two file names. */
#define MSG_MAX		(CONF_LINE_MAX + 2 * SHOWN_MAX + 256)

/* Settings, to catch duplicates and to know what a rule left unset. */
enum setting {
	S_LISTEN,
	S_CONNECT,
	S_ALLOW,
	S_DENY,
	S_ALLOW_UID,
	S_ALLOW_ADDR,
	S_MAX_CONNS,
	S_MAX_PER_PEER,
	S_MAX_CONN_RATE,
	S_IDLE_TIMEOUT,
	S_CONNECT_TIMEOUT,
	S_BUFSIZE,
	S_STATS_INTERVAL,
	S_SHUTDOWN_TIMEOUT,
	S_EVENT_BACKEND,
	S_MAX_BUFFER_MEMORY,
	S_USER,
	S_GROUP,
	S_N
};

/* File names live as long as the conf, since rules point at them. */
struct conf_name {
	struct conf_name *next;
	char name[];
};

struct where {
	const char *file;
	int line;			/* 0 = not set */
};

/* What the parser knows of a rule, until the file is read. */
struct prule {
	struct conf_rule *rule;		/* in the conf, or the defaults */
	struct where at[S_N];
	int allow_any;
	int bad;			/* its opening line was wrong */
	struct prule *next;
};

enum block {
	B_NONE,
	B_RULE,
	B_DEFAULTS
};

struct parser {
	struct conf *conf;
	struct prule *rules;		/* the conf's, in the same order */
	struct prule **rules_tail;
	conf_error_fn *errfn;
	void *cookie;
	int flags;
	int nerrors;
	int stop;			/* out of memory, too many errors */
	/* Files being read, for include loops. */
	struct {
		dev_t dev;
		ino_t ino;
	} open[CONF_INCLUDE_DEPTH + 1];
	int nopen;
	int depth;
	int nfiles;			/* read so far, for CONF_FILES_MAX */
	const char *root;		/* for errors before a file is open */
	const char *file;		/* NULL before the first file */
	int line;
	enum block block;
	struct where block_at;
	struct prule *cur;		/* the open rule, or &defaults */
	struct prule defaults;
	struct conf_rule defaults_rule;	/* defaults.rule */
	struct where global[S_N];
	/* The rules so far, to check a new one in constant time: by name
	 * (not bad ones), and by listen address (closed ones). */
	struct htab *names;
	struct clash *listens;
};

/* Where a keyword may appear. */
#define K_GLOBAL	0x1
#define K_RULE		0x2
#define K_DEFAULTS	0x4

typedef int kw_fn(struct parser *, struct prule *, char **, int);

struct keyword {
	const char *name;
	int where;
	enum setting setting;
	int list;			/* repeatable, one or more values */
	kw_fn *fn;
};

static void rule_defaults(struct conf_rule *);
static void perr_at(struct parser *, const char *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static void perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A file name as messages show it. */
static const char *
shown(const char *file, char *buf, size_t len)
{

	return (escape_str(file, buf, len));
}

static void
perr_at(struct parser *p, const char *file, int line, const char *fmt, ...)
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
	shown(file, f, sizeof(f));
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", f, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", f, msg);
	if (p->errfn != NULL)
		p->errfn(p->cookie, full);
}

/* An error on the line being parsed. */
static void
perr(struct parser *p, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	perr_at(p, p->file != NULL ? p->file : p->root, p->line, "%s", msg);
}

static void
oom(struct parser *p)
{

	perr(p, "out of memory");
	p->stop = 1;
}

static const char *
intern(struct parser *p, const char *s)
{
	struct conf_name *n;
	size_t len = strlen(s);

	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		return (NULL);
	memcpy(n->name, s, len + 1);
	n->next = p->conf->names;
	p->conf->names = n;
	return (n->name);
}

/* Keywords. */

/*
 * Socket paths are absolute: the file is read again on every reload, by
 * a daemon that may have changed to / since (-d), so a relative one
 * would have no fixed meaning.
 */
static int
addr_flags(const struct parser *p)
{

	return (ADDR_ABSOLUTE |
	    ((p->flags & CONF_NO_RESOLVE) ? ADDR_NUMERIC : 0));
}

static int
kw_listen(struct parser *p, struct prule *r, char **av, int ac)
{
	char why[256];

	(void)ac;
	if (addr_parse_flags(av[1], ADDR_LISTEN, addr_flags(p),
	    &r->rule->listen, why, sizeof(why)) == -1) {
		memset(&r->rule->listen, 0, sizeof(r->rule->listen));
		perr(p, "bad listen address '%s': %s", av[1], why);
		return (-1);
	}
	return (0);
}

static int
kw_connect(struct parser *p, struct prule *r, char **av, int ac)
{
	char why[256];

	(void)ac;
	if (addr_parse_flags(av[1], ADDR_CONNECT, addr_flags(p),
	    &r->rule->connect, why, sizeof(why)) == -1) {
		memset(&r->rule->connect, 0, sizeof(r->rule->connect));
		perr(p, "bad connect address '%s': %s", av[1], why);
		return (-1);
	}
	return (0);
}

static int
add_cids(struct parser *p, struct acl **aclp, const char *kw,
    const char *spec)
{
	char why[256];

	if (*aclp == NULL && (*aclp = acl_new()) == NULL) {
		oom(p);
		return (-1);
	}
	if (acl_add(*aclp, spec, why, sizeof(why)) == -1) {
		perr(p, "%s: %s", kw, why);
		return (-1);
	}
	return (0);
}

static int
kw_allow(struct parser *p, struct prule *r, char **av, int ac)
{
	int i;

	for (i = 1; i < ac; i++) {
		if (strcmp(av[i], "any") == 0)
			r->allow_any = 1;
		else if (add_cids(p, &r->rule->allow, "allow", av[i]) == -1)
			return (-1);
	}
	return (0);
}

static int
kw_deny(struct parser *p, struct prule *r, char **av, int ac)
{
	int i;

	for (i = 1; i < ac; i++) {
		if (strcmp(av[i], "any") == 0) {
			perr(p, "deny: 'any' would refuse everyone; list "
			    "CIDs");
			return (-1);
		}
		if (add_cids(p, &r->rule->deny, "deny", av[i]) == -1)
			return (-1);
	}
	return (0);
}

/* Call fn on each comma-separated item of each value; stop at an error. */
static int
each_item(struct parser *p, struct prule *r, char **av, int ac,
    const char *kw, int (*fn)(struct parser *, struct prule *, char *))
{
	char *item, *rest;
	int i;

	for (i = 1; i < ac; i++) {
		rest = av[i];
		do {
			item = rest;
			if ((rest = strchr(item, ',')) != NULL)
				*rest++ = '\0';
			if (*item == '\0') {
				perr(p, "%s: empty list entry", kw);
				return (-1);
			}
			if (fn(p, r, item) == -1)
				return (-1);
		} while (rest != NULL);
	}
	return (0);
}

static int
add_uid(struct parser *p, struct prule *r, char *item)
{
	struct passwd *pw;
	uid_t *nu, uid;
	uint64_t v;

	if (item[0] >= '0' && item[0] <= '9') {
		/* (uid_t)-1 means "no uid" to the kernel. */
		if (parse_uint(item, 0, UINT32_MAX - 1, &v) == -1) {
			perr(p, "allow-uid: bad uid '%s' (0-%u or a user "
			    "name)", item, UINT32_MAX - 1);
			return (-1);
		}
		uid = (uid_t)v;
	} else if (p->flags & CONF_NO_RESOLVE) {
		perr(p, "allow-uid: user names are not looked up here");
		return (-1);
	} else {
		errno = 0;
		if ((pw = getpwnam(item)) == NULL) {
			if (errno == ENOMEM) {
				oom(p);
				return (-1);
			}
			perr(p, "allow-uid: unknown user '%s'", item);
			return (-1);
		}
		uid = pw->pw_uid;
	}
	if ((nu = reallocarray(r->rule->uids, r->rule->nuids + 1,
	    sizeof(*nu))) == NULL) {
		oom(p);
		return (-1);
	}
	nu[r->rule->nuids++] = uid;
	r->rule->uids = nu;
	return (0);
}

static int
kw_allow_uid(struct parser *p, struct prule *r, char **av, int ac)
{

	return (each_item(p, r, av, ac, "allow-uid", add_uid));
}

static int
add_prefix(struct parser *p, struct prule *r, char *item)
{
	struct acl_prefix pf, *np;
	char why[256];

	if (acl_prefix_parse(item, &pf, why, sizeof(why)) == -1) {
		perr(p, "allow-addr: %s", why);
		return (-1);
	}
	if ((np = reallocarray(r->rule->prefixes, r->rule->nprefixes + 1,
	    sizeof(*np))) == NULL) {
		oom(p);
		return (-1);
	}
	np[r->rule->nprefixes++] = pf;
	r->rule->prefixes = np;
	return (0);
}

static int
kw_allow_addr(struct parser *p, struct prule *r, char **av, int ac)
{

	return (each_item(p, r, av, ac, "allow-addr", add_prefix));
}

static int
kw_max_conns(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_conns(av[1], strcmp(av[0], "max-conns") == 0 ?
	    &r->rule->max_conns : &r->rule->max_per_peer) == -1) {
		perr(p, "bad %s '%s': expected 0 to %d (0 = no limit)",
		    av[0], av[1], SETTINGS_CONNS_MAX);
		return (-1);
	}
	return (0);
}

static int
kw_max_conn_rate(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_conn_rate(av[1], &r->rule->max_conn_rate) == -1) {
		perr(p, "bad max-conn-rate '%s': expected connections per "
		    "second, 0 to %d (0 = no limit)", av[1],
		    SETTINGS_CONN_RATE_MAX);
		return (-1);
	}
	return (0);
}

static int
kw_idle_timeout(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_timeout(av[1], &r->rule->idle_timeout_ms) == -1) {
		perr(p, "bad idle-timeout '%s': expected seconds, at most "
		    "%.0f (0 = none)", av[1], SETTINGS_TIMEOUT_MAX_S);
		return (-1);
	}
	return (0);
}

static int
kw_connect_timeout(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_connect_timeout(av[1],
	    &r->rule->connect_timeout_ms) == -1) {
		perr(p, "bad connect-timeout '%s': expected seconds, more "
		    "than 0 and at most %.0f", av[1], SETTINGS_TIMEOUT_MAX_S);
		return (-1);
	}
	return (0);
}

static int
kw_buffer_size(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_bufsize(av[1], &r->rule->bufsize) == -1) {
		perr(p, "bad buffer-size '%s': expected %d to %d bytes (k "
		    "and M suffixes allowed)", av[1], SETTINGS_BUFSIZE_MIN,
		    SETTINGS_BUFSIZE_MAX);
		return (-1);
	}
	return (0);
}

static int
kw_stats_interval(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (settings_parse_timeout(av[1],
	    &p->conf->settings.stats_interval_ms) == -1) {
		perr(p, "bad stats-interval '%s': expected seconds, at most "
		    "%.0f (0 = off)", av[1], SETTINGS_TIMEOUT_MAX_S);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_STATS_INTERVAL;
	return (0);
}

static int
kw_shutdown_timeout(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (settings_parse_timeout(av[1],
	    &p->conf->settings.shutdown_timeout_ms) == -1) {
		perr(p, "bad shutdown-timeout '%s': expected seconds, at "
		    "most %.0f", av[1], SETTINGS_TIMEOUT_MAX_S);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_SHUTDOWN_TIMEOUT;
	return (0);
}

static int
kw_max_buffer_memory(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (settings_parse_buffer_memory(av[1],
	    &p->conf->settings.max_buffer_memory) == -1) {
		perr(p, "bad max-buffer-memory '%s': expected 0 (no limit) "
		    "or %d to %llu bytes (k, M and G suffixes allowed)",
		    av[1], SETTINGS_BUFSIZE_MIN,
		    (unsigned long long)SETTINGS_BUFFER_MEMORY_MAX);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_MAX_BUFFER_MEMORY;
	return (0);
}

static int
kw_event_backend(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (event_backend_parse(av[1], &p->conf->settings.backend) == -1) {
		perr(p, "bad event-backend '%s': expected epoll or poll",
		    av[1]);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_EVENT_BACKEND;
	return (0);
}

/*
 * The names are checked now, so that -t finds a typo, and kept as text:
 * the command line may override one of them, and the pair is resolved
 * at start-up.
 */
static int
set_name(struct parser *p, char **dst, const char *kw, const char *name,
    int (*check)(struct privdrop *, const char *, char *, size_t))
{
	struct privdrop pd;
	char why[128];

	memset(&pd, 0, sizeof(pd));
	if ((p->flags & CONF_NO_RESOLVE) == 0 &&
	    check(&pd, name, why, sizeof(why)) == -1) {
		perr(p, "%s: %s", kw, why);
		return (-1);
	}
	if ((*dst = strdup(name)) == NULL) {
		oom(p);
		return (-1);
	}
	return (0);
}

static int
kw_user(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	return (set_name(p, &p->conf->settings.user, "user", av[1],
	    privdrop_set_user));
}

static int
kw_group(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	return (set_name(p, &p->conf->settings.group, "group", av[1],
	    privdrop_set_group));
}

static const struct keyword keywords[] = {
	{ "listen", K_RULE, S_LISTEN, 0, kw_listen },
	{ "connect", K_RULE, S_CONNECT, 0, kw_connect },
	{ "allow", K_RULE, S_ALLOW, 1, kw_allow },
	{ "deny", K_RULE, S_DENY, 1, kw_deny },
	{ "allow-uid", K_RULE, S_ALLOW_UID, 1, kw_allow_uid },
	{ "allow-addr", K_RULE, S_ALLOW_ADDR, 1, kw_allow_addr },
	{ "max-conns", K_RULE | K_DEFAULTS, S_MAX_CONNS, 0, kw_max_conns },
	{ "max-conns-per-peer", K_RULE | K_DEFAULTS, S_MAX_PER_PEER, 0,
	    kw_max_conns },
	{ "max-conn-rate", K_RULE | K_DEFAULTS, S_MAX_CONN_RATE, 0,
	    kw_max_conn_rate },
	{ "idle-timeout", K_RULE | K_DEFAULTS, S_IDLE_TIMEOUT, 0,
	    kw_idle_timeout },
	{ "connect-timeout", K_RULE | K_DEFAULTS, S_CONNECT_TIMEOUT, 0,
	    kw_connect_timeout },
	{ "buffer-size", K_RULE | K_DEFAULTS, S_BUFSIZE, 0, kw_buffer_size },
	{ "stats-interval", K_GLOBAL, S_STATS_INTERVAL, 0,
	    kw_stats_interval },
	{ "shutdown-timeout", K_GLOBAL, S_SHUTDOWN_TIMEOUT, 0,
	    kw_shutdown_timeout },
	{ "event-backend", K_GLOBAL, S_EVENT_BACKEND, 0, kw_event_backend },
	{ "max-buffer-memory", K_GLOBAL, S_MAX_BUFFER_MEMORY, 0,
	    kw_max_buffer_memory },
	{ "user", K_GLOBAL, S_USER, 0, kw_user },
	{ "group", K_GLOBAL, S_GROUP, 0, kw_group },
};

/* Rules and blocks. */

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
	perr_at(p, r->at[s].file, r->at[s].line, "'%s' needs a %s listen "
	    "address, but rule '%s' listens on %s", kw, wantname, r->rule->name,
	    addr_format(&r->rule->listen, a, sizeof(a)));
}

/* Whole-rule checks, when its block closes. */
static void
check_rule(struct parser *p, struct prule *r)
{
	struct conf_rule *q;
	char a[ADDR_STRLEN], f[SHOWN_MAX];

	if (r->at[S_LISTEN].line == 0)
		perr_at(p, r->rule->file, r->rule->line, "rule '%s' has no listen "
		    "address", r->rule->name);
	if (r->at[S_CONNECT].line == 0)
		perr_at(p, r->rule->file, r->rule->line, "rule '%s' has no connect "
		    "address", r->rule->name);
	/* A bad listen line was reported already. */
	if (r->rule->listen.kind == 0)
		return;
	check_acl_kind(p, r, S_ALLOW, "allow", ADDR_VSOCK, "vsock");
	check_acl_kind(p, r, S_DENY, "deny", ADDR_VSOCK, "vsock");
	check_acl_kind(p, r, S_ALLOW_UID, "allow-uid", ADDR_UNIX, "unix");
	check_acl_kind(p, r, S_ALLOW_ADDR, "allow-addr", ADDR_TCP, "tcp");
	if (r->rule->connect.kind != 0 &&
	    addr_leads_to(&r->rule->connect, &r->rule->listen))
		perr_at(p, r->at[S_CONNECT].file, r->at[S_CONNECT].line,
		    "rule '%s' connects to its own listen address",
		    r->rule->name);
	if (p->listens != NULL &&
	    (q = clash_find(p->listens, &r->rule->listen)) != NULL)
		perr_at(p, r->at[S_LISTEN].file, r->at[S_LISTEN].line,
		    "listen address %s clashes with rule '%s' (%s:%d)",
		    addr_format(&r->rule->listen, a, sizeof(a)), q->name,
		    shown(q->file, f, sizeof(f)), q->line);
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
		oom(p);
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
	perr(p, "'%s' inside %s (line %d): missing '}'", what,
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

static void
open_rule(struct parser *p, char **av, int ac)
{
	struct conf_rule *q = NULL;
	struct prule *r;
	char f[SHOWN_MAX];
	int bad = 0;

	close_unfinished(p, "rule");
	if (ac < 2) {
		perr(p, "'rule' needs a name: rule NAME {");
		bad = 1;
	} else if (!name_ok(av[1])) {
		perr(p, "bad rule name '%s': use letters, digits, '.', '-' "
		    "and '_', at most %d", av[1], CONF_NAME_MAX);
		bad = 1;
	} else if (ac != 3 || strcmp(av[2], "{") != 0) {
		perr(p, "expected 'rule %s {'", av[1]);
		bad = 1;
	}
	if (!bad && (q = htab_find(p->names, name_hash(av[1]), name_eq,
	    av[1])) != NULL)
		perr(p, "duplicate rule name '%s' (first at %s:%d)", av[1],
		    shown(q->file, f, sizeof(f)), q->line);
	/* Open a block even so, so the lines that follow make sense. */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rule = conf_add_rule(p->conf, ac < 2 ? "?" : av[1])) ==
	    NULL) {
		free(r);
		oom(p);
		return;
	}
	r->bad = bad;
	r->rule->file = p->file;
	r->rule->line = p->line;
	/* The first of a name is the one a duplicate is told about. */
	if (!bad && q == NULL &&
	    ((p->names == NULL && (p->names = htab_new()) == NULL) ||
	    htab_add(p->names, name_hash(r->rule->name), r->rule) == -1))
		oom(p);
	*p->rules_tail = r;
	p->rules_tail = &r->next;
	p->cur = r;
	p->block = B_RULE;
	p->block_at.file = p->file;
	p->block_at.line = p->line;
}

static void
open_defaults(struct parser *p, char **av, int ac)
{

	close_unfinished(p, "defaults");
	if (ac != 2 || strcmp(av[1], "{") != 0)
		perr(p, "expected 'defaults {'");
	p->cur = &p->defaults;
	p->block = B_DEFAULTS;
	p->block_at.file = p->file;
	p->block_at.line = p->line;
}

static void
do_keyword(struct parser *p, char **av, int ac)
{
	const struct keyword *k = NULL;
	struct where *at;
	char f[SHOWN_MAX];
	size_t i;
	int here;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(av[0], keywords[i].name) == 0) {
			k = &keywords[i];
			break;
		}
	if (k == NULL) {
		perr(p, "unknown keyword '%s'", av[0]);
		return;
	}
	here = p->block == B_NONE ? K_GLOBAL : p->block == B_RULE ? K_RULE :
	    K_DEFAULTS;
	if ((k->where & here) == 0) {
		if (k->where == K_GLOBAL)
			perr(p, "'%s' is a global setting: it cannot be "
			    "inside a block", k->name);
		else if (here == K_GLOBAL)
			perr(p, "'%s' belongs in a rule%s block", k->name,
			    k->where & K_DEFAULTS ? " or defaults" : "");
		else
			perr(p, "'%s' cannot have a default: set it in each "
			    "rule", k->name);
		return;
	}
	if (ac < 2) {
		perr(p, "'%s' needs a value", k->name);
		return;
	}
	if (!k->list && ac > 2) {
		perr(p, "'%s' takes one value", k->name);
		return;
	}
	at = here == K_GLOBAL ? &p->global[k->setting] :
	    &p->cur->at[k->setting];
	if (at->line != 0 && !k->list) {
		perr(p, "duplicate '%s' (first at %s:%d)", k->name,
		    shown(at->file, f, sizeof(f)), at->line);
		return;
	}
	/* Set even if the value is bad: "no listen address" would be
	 * noise after "bad listen address". */
	if (at->line == 0) {
		at->file = p->file;
		at->line = p->line;
	}
	(void)k->fn(p, p->cur, av, ac);
}

/* Files and includes. */

static void parse_file(struct parser *, const char *);

static int
by_name(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* glob(3) gives its error callback no cookie. */
static int glob_errno;
static char glob_errpath[PATH_MAX];

static int
glob_error(const char *path, int error)
{

	/* A drop-in directory that does not exist is an empty one. */
	if (error == ENOENT || error == ENOTDIR)
		return (0);
	glob_errno = error;
	snprintf(glob_errpath, sizeof(glob_errpath), "%s", path);
	return (1);
}

/*
 * Nonzero if a pattern has a wildcard that glob(3) expands: '*', '?', or
 * a bracket expression closed within its path component.  Otherwise it
 * is a plain name, even with a '[' (glob(3) takes "[.conf" literally),
 * and must exist, instead of matching nothing in silence.  A backslash
 * quotes the next character, as in glob(7).
 */
static int
has_wildcard(const char *s)
{
	const char *t;

	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			if (*++s == '\0')
				break;
		} else if (*s == '*' || *s == '?')
			return (1);
		else if (*s == '[') {
			t = s + 1;
			if (*t == '!' || *t == '^')
				t++;
			/* A ']' first is a member, not the end. */
			if (*t == ']')
				t++;
			t += strcspn(t, "]/");
			if (*t == ']')
				return (1);
		}
	}
	return (0);
}

static void
do_include(struct parser *p, char **av, int ac)
{
	char path[PATH_MAX], pattern[PATH_MAX * 2], *o, f[SHOWN_MAX];
	const char *slash, *s;
	glob_t g;
	size_t i, dirlen = 0;
	int rc;

	if (p->block != B_NONE) {
		perr(p, "'include' cannot be inside a block");
		return;
	}
	if (ac != 2) {
		perr(p, ac < 2 ? "'include' needs a value" :
		    "'include' takes one value");
		return;
	}
	if (p->flags & CONF_NO_INCLUDE) {
		perr(p, "'include' is not allowed here");
		return;
	}
	if (p->depth >= CONF_INCLUDE_DEPTH) {
		perr(p, "includes nested more than %d deep",
		    CONF_INCLUDE_DEPTH);
		return;
	}
	/* Relative to the including file, so that a tree of files can be
	 * moved as a whole. */
	if (av[1][0] != '/' && (slash = strrchr(p->file, '/')) != NULL)
		dirlen = (size_t)(slash - p->file) + 1;
	if (dirlen + strlen(av[1]) >= sizeof(path)) {
		perr(p, "include path too long");
		return;
	}
	memcpy(path, p->file, dirlen);
	if (!has_wildcard(av[1])) {
		/* A plain name: it must exist.  Unquoted, as glob(3)
		 * would match it. */
		for (o = path + dirlen, s = av[1]; *s != '\0'; s++)
			if (*s != '\\' || *++s != '\0')
				*o++ = *s;
			else
				break;
		*o = '\0';
		parse_file(p, path);
		return;
	}
	/* Only the user's pattern is a glob, not the directory's name. */
	for (o = pattern, s = p->file; s < p->file + dirlen; s++) {
		if (strchr("*?[\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	strcpy(o, av[1]);

	memset(&g, 0, sizeof(g));
	glob_errno = 0;
	rc = glob(pattern, GLOB_NOSORT, glob_error, &g);
	if (rc == GLOB_NOMATCH)
		goto done;
	if (rc == GLOB_NOSPACE) {
		oom(p);
		goto done;
	}
	if (rc != 0) {
		perr(p, "include '%s': %s: %s", av[1],
		    shown(glob_errpath, f, sizeof(f)),
		    strerror(glob_errno != 0 ? glob_errno : EIO));
		goto done;
	}
	/* In byte order whatever the locale: drop-ins are named 10-x.conf
	 * to be read in a chosen order. */
	qsort(g.gl_pathv, g.gl_pathc, sizeof(g.gl_pathv[0]), by_name);
	for (i = 0; i < g.gl_pathc && !p->stop; i++)
		parse_file(p, g.gl_pathv[i]);
done:
	globfree(&g);
}

/* Lines. */

static int
is_space(int c)
{

	return (c == ' ' || c == '\t' || c == '\r');
}

/*
 * Split a line into words, in place.  '#' outside quotes starts a
 * comment; "..." keeps spaces and '#', with \" and \\ inside.
 */
static int
split(struct parser *p, char *s, char **av, int *acp)
{
	char *o;
	int ac = 0, c;

	for (;;) {
		while (is_space(*s))
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (ac == MAX_WORDS) {
			perr(p, "more than %d words on a line", MAX_WORDS);
			return (-1);
		}
		av[ac++] = o = s;
		while (*s != '\0' && !is_space(*s) && *s != '#') {
			if (*s != '"') {
				*o++ = *s++;
				continue;
			}
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					perr(p, "unterminated quoted string");
					return (-1);
				}
				if (*s == '\\' &&
				    (s[1] == '"' || s[1] == '\\'))
					s++;
				*o++ = *s;
			}
			s++;
		}
		/* o may have caught up with s: look before writing. */
		c = *s;
		*o = '\0';
		if (c == '\0' || c == '#')
			break;
		s++;
	}
	*acp = ac;
	return (0);
}

static void
do_line(struct parser *p, char *line)
{
	char *av[MAX_WORDS];
	int ac;

	if (split(p, line, av, &ac) == -1 || ac == 0)
		return;
	if (strcmp(av[0], "}") == 0) {
		if (p->block == B_NONE) {
			perr(p, "'}' without an open block");
			return;
		}
		if (ac > 1)
			perr(p, "unexpected '%s' after '}'", av[1]);
		close_block(p, 1);
	} else if (strcmp(av[0], "{") == 0)
		perr(p, "unexpected '{': it ends the 'rule NAME' or "
		    "'defaults' line");
	else if (strcmp(av[0], "rule") == 0)
		open_rule(p, av, ac);
	else if (strcmp(av[0], "defaults") == 0)
		open_defaults(p, av, ac);
	else if (strcmp(av[0], "include") == 0)
		do_include(p, av, ac);
	else
		do_keyword(p, av, ac);
}

static void
parse_buffer(struct parser *p, const char *name, const char *buf,
    size_t len)
{
	char line[CONF_LINE_MAX];
	const char *s = buf, *end = buf + len, *nl;
	const char *ofile = p->file;
	char d[CONF_NAME_MAX + 32];
	int oline = p->line;
	size_t n, i;
	unsigned char c;

	p->file = name;
	p->line = 0;
	while (s < end && !p->stop) {
		p->line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		n = (size_t)(nl - s);
		if (n >= sizeof(line)) {
			perr(p, "line longer than %zu bytes",
			    sizeof(line) - 1);
			goto next;
		}
		for (i = 0; i < n; i++) {
			c = (unsigned char)s[i];
			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				break;
		}
		if (i < n) {
			perr(p, "control character 0x%02x", c);
			goto next;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		do_line(p, line);
next:
		s = nl + 1;
	}
	/* Blocks do not span files: a drop-in cannot break its includer. */
	if (p->block != B_NONE) {
		perr_at(p, p->block_at.file, p->block_at.line, "%s is not "
		    "closed: missing '}'", block_desc(p, d, sizeof(d)));
		close_block(p, 0);
	}
	p->file = ofile;
	p->line = oline;
}

/* An error about a file as a whole: at the include line, if any. */
static void
file_error(struct parser *p, const char *path, const char *why)
{
	char f[SHOWN_MAX];

	if (p->file == NULL)
		perr_at(p, path, 0, "%s", why);
	else
		perr(p, "include '%s': %s", shown(path, f, sizeof(f)), why);
}

/*
 * Nonzero, with the reason, if someone other than root or this process's
 * user could have written the file (sshd's StrictModes, logrotate): the
 * rules say who reaches what, and a daemon started as root keeps its
 * privileged sockets after -u.  Checked on the open descriptor, so the
 * file judged is the file read.
 */
static int
file_unsafe(const struct stat *sb, char *why, size_t whylen)
{
	uid_t me = geteuid();

	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "writable by group or others (mode "
		    "%04o): refused", (unsigned int)(sb->st_mode & 07777));
		return (1);
	}
	if (sb->st_uid != 0 && sb->st_uid != me) {
		if (me == 0)
			snprintf(why, whylen, "owned by uid %lu, not by "
			    "root: refused", (unsigned long)sb->st_uid);
		else
			snprintf(why, whylen, "owned by uid %lu, not by root "
			    "or uid %lu (this process): refused",
			    (unsigned long)sb->st_uid, (unsigned long)me);
		return (1);
	}
	return (0);
}

static void
parse_file(struct parser *p, const char *path)
{
	struct stat sb;
	char *buf = NULL, why[128];
	const char *name;
	size_t len = 0;
	ssize_t n;
	int fd, i;

	if (++p->nfiles > CONF_FILES_MAX) {
		snprintf(why, sizeof(why), "more than %d files in all, "
		    "includes of includes counted: giving up",
		    CONF_FILES_MAX);
		file_error(p, path, why);
		p->stop = 1;
		return;
	}
	/* O_NONBLOCK: a FIFO named by mistake must not hang a reload. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		file_error(p, path, strerror(errno));
		return;
	}
	if (fstat(fd, &sb) == -1) {
		file_error(p, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		file_error(p, path, "not a regular file");
		goto out;
	}
	if (file_unsafe(&sb, why, sizeof(why))) {
		file_error(p, path, why);
		goto out;
	}
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].dev == sb.st_dev &&
		    p->open[i].ino == sb.st_ino) {
			file_error(p, path, "include loop: the file is "
			    "already being read");
			goto out;
		}
	if (sb.st_size > CONF_FILE_MAX)
		goto toolarge;
	/* One byte more than allowed, to see a file that grew. */
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		oom(p);
		goto out;
	}
	while (len <= CONF_FILE_MAX) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			file_error(p, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX)
		goto toolarge;
	if ((name = intern(p, path)) == NULL) {
		oom(p);
		goto out;
	}
	p->open[p->nopen].dev = sb.st_dev;
	p->open[p->nopen].ino = sb.st_ino;
	p->nopen++;
	if (p->file != NULL)
		p->depth++;
	parse_buffer(p, name, buf, len);
	if (p->file != NULL)
		p->depth--;
	p->nopen--;
	goto out;
toolarge:
	snprintf(why, sizeof(why), "larger than %d bytes", CONF_FILE_MAX);
	file_error(p, path, why);
out:
	free(buf);
	close(fd);
}

/* The interface. */

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

static int
parser_init(struct parser *p, int flags, conf_error_fn *err, void *cookie)
{

	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->errfn = err;
	p->cookie = cookie;
	p->rules_tail = &p->rules;
	rule_defaults(&p->defaults_rule);
	p->defaults.rule = &p->defaults_rule;
	if ((p->conf = conf_new()) == NULL)
		return (-1);
	return (0);
}

static struct conf *
parser_finish(struct parser *p)
{
	struct prule *pr, *next;

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
		perr_at(&p, path, 0, "out of memory");
		return (NULL);
	}
	p.root = path;
	parse_file(&p, path);
	return (parser_finish(&p));
}

struct conf *
conf_parse_buffer(const char *buf, size_t len, const char *name, int flags,
    conf_error_fn *err, void *cookie)
{
	struct parser p;
	const char *iname;

	if (parser_init(&p, flags, err, cookie) == -1) {
		perr_at(&p, name, 0, "out of memory");
		return (NULL);
	}
	p.root = name;
	if ((iname = intern(&p, name)) == NULL)
		perr_at(&p, name, 0, "out of memory");
	else
		parse_buffer(&p, iname, buf, len);
	return (parser_finish(&p));
}

struct conf *
conf_parse_string(const char *text, const char *name, int flags,
    conf_error_fn *err, void *cookie)
{

	return (conf_parse_buffer(text, strlen(text), name, flags, err,
	    cookie));
}

static void
rule_defaults(struct conf_rule *r)
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
	rule_defaults(r);
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
