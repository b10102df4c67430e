/*
 * conf_keyword: the keywords of vsockproxy.conf(5), in one table that
 * says where each may stand (global, in a rule, in the defaults block)
 * and whether it takes a list, and their handlers, which check a value
 * (with settings.h's limits, as the command line does) and store it.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "conf.h"
#include "conf_parser.h"
#include "escape.h"
#include "event_backend.h"
#include "parse.h"
#include "privdrop.h"
#include "settings.h"

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
		conf_err(p, "bad listen address '%s': %s", av[1], why);
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
		conf_err(p, "bad connect address '%s': %s", av[1], why);
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
		conf_oom(p);
		return (-1);
	}
	if (acl_add(*aclp, spec, why, sizeof(why)) == -1) {
		conf_err(p, "%s: %s", kw, why);
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
			conf_err(p, "deny: 'any' would refuse everyone; list "
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
				conf_err(p, "%s: empty list entry", kw);
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
			conf_err(p, "allow-uid: bad uid '%s' (0-%u or a user "
			    "name)", item, UINT32_MAX - 1);
			return (-1);
		}
		uid = (uid_t)v;
	} else if (p->flags & CONF_NO_RESOLVE) {
		conf_err(p, "allow-uid: user names are not looked up here");
		return (-1);
	} else {
		errno = 0;
		if ((pw = getpwnam(item)) == NULL) {
			if (errno == ENOMEM) {
				conf_oom(p);
				return (-1);
			}
			conf_err(p, "allow-uid: unknown user '%s'", item);
			return (-1);
		}
		uid = pw->pw_uid;
	}
	if ((nu = reallocarray(r->rule->uids, r->rule->nuids + 1,
	    sizeof(*nu))) == NULL) {
		conf_oom(p);
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
		conf_err(p, "allow-addr: %s", why);
		return (-1);
	}
	if ((np = reallocarray(r->rule->prefixes, r->rule->nprefixes + 1,
	    sizeof(*np))) == NULL) {
		conf_oom(p);
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
		conf_err(p, "bad %s '%s': expected 0 to %d (0 = no limit)",
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
		conf_err(p, "bad max-conn-rate '%s': expected connections "
		    "per second, 0 to %d (0 = no limit)", av[1],
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
		conf_err(p, "bad idle-timeout '%s': expected seconds, at "
		    "most %.0f (0 = none)", av[1], SETTINGS_TIMEOUT_MAX_S);
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
		conf_err(p, "bad connect-timeout '%s': expected seconds, "
		    "more than 0 and at most %.0f", av[1],
		    SETTINGS_TIMEOUT_MAX_S);
		return (-1);
	}
	return (0);
}

static int
kw_buffer_size(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)ac;
	if (settings_parse_bufsize(av[1], &r->rule->bufsize) == -1) {
		conf_err(p, "bad buffer-size '%s': expected %d to %d bytes "
		    "(k and M suffixes allowed)", av[1], SETTINGS_BUFSIZE_MIN,
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
		conf_err(p, "bad stats-interval '%s': expected seconds, at "
		    "most %.0f (0 = off)", av[1], SETTINGS_TIMEOUT_MAX_S);
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
		conf_err(p, "bad shutdown-timeout '%s': expected seconds, at "
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
		conf_err(p, "bad max-buffer-memory '%s': expected 0 (no "
		    "limit) or %d to %llu bytes (k, M and G suffixes "
		    "allowed)", av[1], SETTINGS_BUFSIZE_MIN,
		    (unsigned long long)SETTINGS_BUFFER_MEMORY_MAX);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_MAX_BUFFER_MEMORY;
	return (0);
}

static int
kw_zero_copy(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (settings_parse_onoff(av[1], &p->conf->settings.zero_copy) == -1) {
		conf_err(p, "bad zero-copy '%s': expected on or off", av[1]);
		return (-1);
	}
	p->conf->settings.set |= SETTINGS_SET_ZERO_COPY;
	return (0);
}

static int
kw_event_backend(struct parser *p, struct prule *r, char **av, int ac)
{

	(void)r;
	(void)ac;
	if (event_backend_parse(av[1], &p->conf->settings.backend) == -1) {
		conf_err(p, "bad event-backend '%s': expected epoll or poll",
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
	if (name[0] == '\0') {
		conf_err(p, "%s: empty name", kw);
		return (-1);
	}
	if ((p->flags & CONF_NO_RESOLVE) == 0 &&
	    check(&pd, name, why, sizeof(why)) == -1) {
		conf_err(p, "%s: %s", kw, why);
		return (-1);
	}
	if ((*dst = strdup(name)) == NULL) {
		conf_oom(p);
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

/*
 * The control socket (control.h): a UNIX path, absolute like every path
 * the daemon keeps; kept as the path alone, as --control gives it.
 */
static int
kw_control(struct parser *p, struct prule *r, char **av, int ac)
{
	struct addr a;
	char why[256];

	(void)r;
	(void)ac;
	if (strncmp(av[1], "unix:", 5) != 0) {
		conf_err(p, "bad control address '%s': expected unix:PATH",
		    av[1]);
		return (-1);
	}
	if (addr_parse_flags(av[1], ADDR_LISTEN, ADDR_ABSOLUTE, &a, why,
	    sizeof(why)) == -1) {
		conf_err(p, "bad control address '%s': %s", av[1], why);
		return (-1);
	}
	if ((p->conf->settings.control = strdup(av[1] + 5)) == NULL) {
		conf_oom(p);
		return (-1);
	}
	return (0);
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
	{ "zero-copy", K_GLOBAL, S_ZERO_COPY, 0, kw_zero_copy },
	{ "user", K_GLOBAL, S_USER, 0, kw_user },
	{ "group", K_GLOBAL, S_GROUP, 0, kw_group },
	{ "control", K_GLOBAL, S_CONTROL, 0, kw_control },
};

void
conf_keyword(struct parser *p, char **av, int ac)
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
		conf_err(p, "unknown keyword '%s'", av[0]);
		return;
	}
	here = p->block == B_NONE ? K_GLOBAL : p->block == B_RULE ? K_RULE :
	    K_DEFAULTS;
	if ((k->where & here) == 0) {
		if (k->where == K_GLOBAL)
			conf_err(p, "'%s' is a global setting: it cannot be "
			    "inside a block", k->name);
		else if (here == K_GLOBAL)
			conf_err(p, "'%s' belongs in a rule%s block", k->name,
			    k->where & K_DEFAULTS ? " or defaults" : "");
		else
			conf_err(p, "'%s' cannot have a default: set it in "
			    "each rule", k->name);
		return;
	}
	if (ac < 2) {
		conf_err(p, "'%s' needs a value", k->name);
		return;
	}
	if (!k->list && ac > 2) {
		conf_err(p, "'%s' takes one value", k->name);
		return;
	}
	at = here == K_GLOBAL ? &p->global[k->setting] :
	    &p->cur->at[k->setting];
	if (at->line != 0 && !k->list) {
		conf_err(p, "duplicate '%s' (first at %s:%d)", k->name,
		    escape_str(at->file, f, sizeof(f)), at->line);
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
