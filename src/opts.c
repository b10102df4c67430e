/*
 * opts: parse the command line, strictly, into the global settings and
 * a rule of its own, with the same checks of each value as the file's
 * (settings.h).  Each step of the parse returns OPTS_RUN to go on.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "opts.h"
#include "parse.h"
#include "settings.h"

enum {
	OPT_LISTEN = 256,
	OPT_CONNECT,
	OPT_ALLOW,
	OPT_CONNECT_TIMEOUT,
	OPT_BUFFER_SIZE,
	OPT_MAX_CONNS,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_EVENT_BACKEND,
	OPT_STATS_INTERVAL,
	OPT_MAX_BUFFER_MEMORY,
	OPT_ZERO_COPY,
	OPT_CONTROL,
	OPT_MAX			/* one past the last */
};

static const struct option longopts[] = {
	{ "listen",		required_argument, NULL, OPT_LISTEN },
	{ "connect",		required_argument, NULL, OPT_CONNECT },
	{ "allow",		required_argument, NULL, OPT_ALLOW },
	{ "connect-timeout",	required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "buffer-size",	required_argument, NULL, OPT_BUFFER_SIZE },
	{ "max-conns",		required_argument, NULL, OPT_MAX_CONNS },
	{ "shutdown-timeout",	required_argument, NULL,
	    OPT_SHUTDOWN_TIMEOUT },
	{ "event-backend",	required_argument, NULL, OPT_EVENT_BACKEND },
	{ "stats-interval",	required_argument, NULL, OPT_STATS_INTERVAL },
	{ "max-buffer-memory",	required_argument, NULL,
	    OPT_MAX_BUFFER_MEMORY },
	{ "zero-copy",		required_argument, NULL, OPT_ZERO_COPY },
	{ "config",		required_argument, NULL, 'c' },
	{ "check-config",	no_argument,	   NULL, 't' },
	{ "print-config",	no_argument,	   NULL, 'T' },
	{ "control",		required_argument, NULL, OPT_CONTROL },
	{ "daemon",		no_argument,	   NULL, 'd' },
	{ "pidfile",		required_argument, NULL, 'p' },
	{ "user",		required_argument, NULL, 'u' },
	{ "group",		required_argument, NULL, 'g' },
	{ "syslog",		optional_argument, NULL, 's' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static enum opts_result
bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum opts_result
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return (OPTS_ERROR);
}

/* One run of the parser: what its steps share. */
struct cli {
	struct opts *o;
	struct conf_rule *r;		/* the command line's rule */
	int aflags;			/* for addr_parse_flags() */
	const char *lopt, *copt;	/* --listen, --connect as given */
	const char *allow;		/* an --allow given */
	const char *ruleopt;		/* a setting of the rule given */
	char *err;
	size_t errlen;
};

#define BAD(c, ...)	bad((c)->err, (c)->errlen, __VA_ARGS__)

/*
 * An option that takes a value holds one setting (sshd, socat): given
 * twice, one of the two would be dropped without a word, so a repeat is
 * a usage error.  --allow is the exception, a list that each use adds
 * to.  Flags (-d, -t, -q) may be repeated, and -v counts.
 */
static enum opts_result
once(struct cli *c, int ch, unsigned char *seen)
{
	const struct option *lo;

	if (ch <= 0 || ch >= OPT_MAX || ch == OPT_ALLOW)
		return (OPTS_RUN);
	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val == ch)
			break;
	if (lo->name == NULL || lo->has_arg == no_argument ||
	    seen[ch]++ == 0)
		return (OPTS_RUN);
	if (ch < 256)
		return (BAD(c, "-%c/--%s given twice: it takes one value", ch,
		    lo->name));
	return (BAD(c, "--%s given twice: it takes one value", lo->name));
}

/*
 * getopt_long() sets optarg for every required_argument option, but the
 * static analyzer cannot know that: NULL counts as empty.
 */
static int
empty(const char *s)
{

	return (s == NULL || s[0] == '\0');
}

/* -c, -p, -u, -g, --control: a path or a name, kept as given. */
static enum opts_result
opt_string(struct cli *c, int ch, char *arg)
{

	/* --control unix:PATH reads as the file's "control unix:PATH". */
	if (ch == OPT_CONTROL && arg != NULL && strncmp(arg, "unix:", 5) == 0)
		arg += 5;
	/* A newline could not be written in the file, nor printed by -T. */
	if (empty(arg) || strchr(arg, '\n') != NULL)
		return (BAD(c, "bad --%s: %s %s", ch == 'c' ? "config" :
		    ch == 'p' ? "pidfile" : ch == 'u' ? "user" : ch == 'g' ?
		    "group" : "control", empty(arg) ? "empty" : "newline in the",
		    ch == 'u' || ch == 'g' ? "name" : "path"));
	if (ch == OPT_CONTROL)
		c->o->settings.control = arg;
	else if (ch == 'c')
		c->o->config = arg;
	else if (ch == 'p')
		c->o->pidfile = arg;
	else if (ch == 'u')
		c->o->settings.user = arg;
	else
		c->o->settings.group = arg;
	return (OPTS_RUN);
}

static enum opts_result
opt_syslog(struct cli *c, const char *arg)
{

	/* "-s=local3" reads like "--syslog=local3". */
	if (arg != NULL && arg[0] == '=')
		arg++;
	c->o->syslog_facility = arg ? arg : "daemon";
	if (!log_facility_valid(c->o->syslog_facility))
		return (BAD(c, "bad --syslog facility '%s': expected daemon, "
		    "user, auth, authpriv or local0-7", arg));
	return (OPTS_RUN);
}

/* The global settings, which win over the file's. */
static enum opts_result
opt_global(struct cli *c, int ch, const char *arg)
{
	struct settings *s = &c->o->settings;

	switch (ch) {
	case OPT_STATS_INTERVAL:
		if (settings_parse_timeout(arg, &s->stats_interval_ms) == -1)
			return (BAD(c, "bad --stats-interval '%s': expected "
			    "seconds (0 = off)", arg));
		s->set |= SETTINGS_SET_STATS_INTERVAL;
		break;
	case OPT_SHUTDOWN_TIMEOUT:
		if (settings_parse_timeout(arg,
		    &s->shutdown_timeout_ms) == -1)
			return (BAD(c, "bad --shutdown-timeout '%s': "
			    "expected seconds", arg));
		s->set |= SETTINGS_SET_SHUTDOWN_TIMEOUT;
		break;
	case OPT_MAX_BUFFER_MEMORY:
		if (settings_parse_buffer_memory(arg,
		    &s->max_buffer_memory) == -1)
			return (BAD(c, "bad --max-buffer-memory '%s': "
			    "expected 0 (no limit) or %d to %llu bytes (k, M "
			    "and G suffixes allowed)", arg,
			    SETTINGS_BUFSIZE_MIN,
			    (unsigned long long)SETTINGS_BUFFER_MEMORY_MAX));
		s->set |= SETTINGS_SET_MAX_BUFFER_MEMORY;
		break;
	case OPT_ZERO_COPY:
		if (settings_parse_onoff(arg, &s->zero_copy) == -1)
			return (BAD(c, "bad --zero-copy '%s': expected on or "
			    "off", arg));
		s->set |= SETTINGS_SET_ZERO_COPY;
		break;
	default:
		if (event_backend_parse(arg, &s->backend) == -1)
			return (BAD(c, "bad --event-backend '%s': expected "
			    "epoll or poll", arg));
		s->set |= SETTINGS_SET_EVENT_BACKEND;
		break;
	}
	return (OPTS_RUN);
}

/* The rule's CID list, made on first use; NULL if out of memory. */
static struct acl *
rule_acl(struct conf_rule *r)
{

	if (r->allow == NULL)
		r->allow = acl_new();
	return (r->allow);
}

/* --listen, --connect, --allow: who the rule serves. */
static enum opts_result
opt_rule_ends(struct cli *c, int ch, const char *arg)
{
	char aerr[128];

	if (ch == OPT_ALLOW) {
		c->allow = arg;
		if (rule_acl(c->r) == NULL)
			return (BAD(c, "out of memory"));
		if (acl_add(c->r->allow, arg, aerr, sizeof(aerr)) == -1)
			return (BAD(c, "bad --allow '%s': %s", arg, aerr));
	} else if (ch == OPT_LISTEN) {
		c->lopt = arg;
		if (addr_parse_flags(arg, ADDR_LISTEN, c->aflags,
		    &c->r->listen, aerr, sizeof(aerr)) == -1)
			return (BAD(c, "bad --listen '%s': %s", arg, aerr));
	} else {
		c->copt = arg;
		if (addr_parse_flags(arg, ADDR_CONNECT, c->aflags,
		    &c->r->connect, aerr, sizeof(aerr)) == -1)
			return (BAD(c, "bad --connect '%s': %s", arg, aerr));
	}
	return (OPTS_RUN);
}

/* The rule's settings, which the file sets per rule instead. */
static enum opts_result
opt_rule_value(struct cli *c, int ch, const char *arg)
{
	struct conf_rule *r = c->r;

	if (ch == OPT_CONNECT_TIMEOUT) {
		c->ruleopt = "--connect-timeout";
		if (settings_parse_connect_timeout(arg,
		    &r->connect_timeout_ms) == -1)
			return (BAD(c, "bad --connect-timeout '%s': expected "
			    "seconds, more than 0", arg));
	} else if (ch == OPT_BUFFER_SIZE) {
		c->ruleopt = "--buffer-size";
		if (settings_parse_bufsize(arg, &r->bufsize) == -1)
			return (BAD(c, "bad --buffer-size '%s': expected %d "
			    "to %d bytes (k and M suffixes allowed)", arg,
			    SETTINGS_BUFSIZE_MIN, SETTINGS_BUFSIZE_MAX));
	} else {
		c->ruleopt = "--max-conns";
		if (settings_parse_conns(arg, &r->max_conns) == -1)
			return (BAD(c, "bad --max-conns '%s': expected 0 to "
			    "%d", arg, SETTINGS_CONNS_MAX));
	}
	return (OPTS_RUN);
}

/* One option from getopt_long(), with its value in optarg. */
static enum opts_result
one_option(struct cli *c, int ch, char **argv)
{

	switch (ch) {
	case 'v':
		c->o->verbosity++;
		return (OPTS_RUN);
	case 'q':
		c->o->verbosity = LOG_LEVEL_ERROR;
		return (OPTS_RUN);
	case 'd':
		c->o->daemonize = 1;
		return (OPTS_RUN);
	case 'T':
		c->o->print_config = 1;
		/* FALLTHROUGH */
	case 't':
		c->o->check_config = 1;
		return (OPTS_RUN);
	case 'h':
		return (OPTS_HELP);
	case 'V':
		return (OPTS_VERSION);
	case 'c':
	case 'p':
	case 'u':
	case 'g':
	case OPT_CONTROL:
		return (opt_string(c, ch, optarg));
	case 's':
		return (opt_syslog(c, optarg));
	case OPT_STATS_INTERVAL:
	case OPT_SHUTDOWN_TIMEOUT:
	case OPT_MAX_BUFFER_MEMORY:
	case OPT_ZERO_COPY:
	case OPT_EVENT_BACKEND:
		return (opt_global(c, ch, optarg));
	case OPT_LISTEN:
	case OPT_CONNECT:
	case OPT_ALLOW:
		return (opt_rule_ends(c, ch, optarg));
	case OPT_CONNECT_TIMEOUT:
	case OPT_BUFFER_SIZE:
	case OPT_MAX_CONNS:
		return (opt_rule_value(c, ch, optarg));
	case ':':
		return (BAD(c, "option '%s' needs a value",
		    argv[optind - 1]));
	default:
		return (BAD(c, "unknown option '%s'", argv[optind - 1]));
	}
}

/*
 * Ghaf's form: LOCAL_PORT REMOTE_CID REMOTE_PORT ALLOWED_CID.  Its older
 * modules, from before ALLOWED_CID, give only the first three: that still
 * starts, as ALLOWED_CID 0 (any CID), so that an old image keeps working
 * after an update; main() warns that it is deprecated.
 */
static enum opts_result
form_positional(struct cli *c, int npos, char **pos)
{
	static const char *names[] = {
		"LOCAL_PORT", "REMOTE_CID", "REMOTE_PORT", "ALLOWED_CID"
	};
	uint32_t v[4] = { 0, 0, 0, 0 };
	int i;

	if (c->allow != NULL)
		return (BAD(c, "--allow needs --listen/--connect; the "
		    "four-number form gives ALLOWED_CID"));
	if (npos < 3)
		return (BAD(c, "missing %s", npos == 1 ? "REMOTE_CID" :
		    "REMOTE_PORT"));
	if (npos > 4)
		return (BAD(c, "unexpected argument '%s'", pos[4]));
	c->o->three_numbers = npos == 3;
	for (i = 0; i < npos; i++)
		if (parse_u32(pos[i], &v[i]) == -1)
			return (BAD(c, "bad %s '%s': expected a number "
			    "0-4294967295", names[i], pos[i]));
	addr_vsock(&c->r->listen, (uint32_t)-1, v[0]);
	addr_vsock(&c->r->connect, v[1], v[2]);
	if (v[3] != 0 && (rule_acl(c->r) == NULL ||
	    acl_add_range(c->r->allow, v[3], v[3]) == -1))
		return (BAD(c, "out of memory"));
	return (OPTS_RUN);
}

/* --listen ADDR --connect ADDR [--allow CIDS]. */
static enum opts_result
form_general(struct cli *c, int npos, char **pos)
{

	if (c->lopt == NULL)
		return (BAD(c, "--connect needs --listen"));
	if (c->copt == NULL)
		return (BAD(c, "--listen needs --connect"));
	if (npos > 0)
		return (BAD(c, "unexpected argument '%s' with "
		    "--listen/--connect", pos[0]));
	if (c->allow != NULL && c->r->listen.kind != ADDR_VSOCK)
		return (BAD(c, "--allow filters vsock peers by CID: it needs "
		    "a vsock --listen address"));
	if (c->r->listen.type != c->r->connect.type)
		return (BAD(c, "--listen '%s' is %s but --connect '%s' is %s: "
		    "a rule relays messages (seqpacket) to messages only",
		    c->lopt, addr_type_name(c->r->listen.type), c->copt,
		    addr_type_name(c->r->connect.type)));
	if (addr_leads_to(&c->r->connect, &c->r->listen))
		return (BAD(c, "--connect '%s' leads back to --listen '%s'",
		    c->copt, c->lopt));
	return (OPTS_RUN);
}

/* The options are read: which form is it, and is it whole? */
static enum opts_result
form(struct cli *c, int npos, char **pos)
{
	struct opts *o = c->o;
	int rule = c->lopt != NULL || c->copt != NULL;

	if ((o->config != NULL || o->check_config) && (rule || npos > 0))
		return (BAD(c, "%s takes the rules from the configuration "
		    "file: no rule on the command line", o->check_config ?
		    "--check-config" : "--config"));
	if (o->config == NULL && !rule && npos == 0) {
		if (c->allow != NULL)
			return (BAD(c, "--allow needs --listen/--connect"));
		o->config = DEFAULT_CONFIG;
	}
	if (o->config != NULL && c->ruleopt != NULL)
		return (BAD(c, "%s sets the command-line rule; in the "
		    "configuration file, set '%s' per rule or in "
		    "'defaults'", c->ruleopt, c->ruleopt + 2));
	if (o->config != NULL && c->allow != NULL)
		return (BAD(c, "--allow needs --listen/--connect; in the "
		    "configuration file, use 'allow'"));
	if (o->config != NULL)
		return (OPTS_RUN);
	return (rule ? form_general(c, npos, pos) :
	    form_positional(c, npos, pos));
}

enum opts_result
opts_parse(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{

	return (opts_parse_flags(argc, argv, 0, o, err, errlen));
}

enum opts_result
opts_parse_flags(int argc, char **argv, int flags, struct opts *o, char *err,
    size_t errlen)
{
	struct cli c;
	unsigned char seen[OPT_MAX];
	enum opts_result res;
	int ch;

	memset(o, 0, sizeof(*o));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.aflags = (flags & OPTS_NUMERIC) ? ADDR_NUMERIC : 0;
	c.err = err;
	c.errlen = errlen;
	o->verbosity = LOG_LEVEL_INFO;
	settings_init(&o->settings);
	if ((o->conf = conf_new()) == NULL ||
	    (c.r = conf_add_rule(o->conf, "command-line")) == NULL)
		return (BAD(&c, "out of memory"));
	c.r->file = "command line";

	optind = 0;	/* full reset: parse may run more than once */
	opterr = 0;
	memset(seen, 0, sizeof(seen));
	while ((ch = getopt_long(argc, argv, ":vqhVdp:s::c:tTu:g:", longopts,
	    NULL)) != -1)
		if ((res = once(&c, ch, seen)) != OPTS_RUN ||
		    (res = one_option(&c, ch, argv)) != OPTS_RUN)
			return (res);
	if ((res = form(&c, argc - optind, argv + optind)) != OPTS_RUN)
		return (res);
	o->backend = o->settings.backend;
	/* The rules come from the file. */
	if (o->config != NULL) {
		conf_unref(o->conf);
		o->conf = NULL;
	}
	/* A daemon has no stderr: syslog unless told otherwise. */
	if (o->daemonize && o->syslog_facility == NULL)
		o->syslog_facility = "daemon";
	return (OPTS_RUN);
}

/* dir/path, without path's leading "./"; NULL (err set) on failure. */
static char *
absolute(const char *opt, const char *path, const char *dir, char *err,
    size_t errlen)
{
	char *abs;
	const char *rel = path;

	if (dir == NULL || dir[0] == '\0') {
		(void)bad(err, errlen, "%s '%s' is relative, and the current "
		    "directory is unknown", opt, path);
		return (NULL);
	}
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (asprintf(&abs, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ?
	    "" : "/", rel) == -1) {
		(void)bad(err, errlen, "out of memory");
		return (NULL);
	}
	return (abs);
}

int
opts_absolute(struct opts *o, const char *dir, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct conf_rule *r;
	char aerr[256];

	if (o->config != NULL && o->config[0] != '/') {
		if ((o->abs_config = absolute("--config", o->config, dir, err,
		    errlen)) == NULL)
			return (-1);
		o->config = o->abs_config;
	}
	if (o->pidfile != NULL && o->pidfile[0] != '/') {
		if ((o->abs_pidfile = absolute("--pidfile", o->pidfile, dir,
		    err, errlen)) == NULL)
			return (-1);
		o->pidfile = o->abs_pidfile;
	}
	if (o->settings.control != NULL && o->settings.control[0] != '/') {
		if ((o->abs_control = absolute("--control",
		    o->settings.control, dir, err, errlen)) == NULL)
			return (-1);
		o->settings.control = o->abs_control;
	}
	if (o->settings.control != NULL &&
	    strlen(o->settings.control) >= sizeof(sun.sun_path)) {
		(void)bad(err, errlen, "bad --control: path longer than %zu "
		    "bytes", sizeof(sun.sun_path) - 1);
		return (-1);
	}
	if (o->conf == NULL)
		return (0);
	r = o->conf->rules;
	if (addr_absolute(&r->listen, dir, aerr, sizeof(aerr)) == -1) {
		(void)bad(err, errlen, "bad --listen: %s", aerr);
		return (-1);
	}
	if (addr_absolute(&r->connect, dir, aerr, sizeof(aerr)) == -1) {
		(void)bad(err, errlen, "bad --connect: %s", aerr);
		return (-1);
	}
	return (0);
}

void
opts_free(struct opts *o)
{

	conf_unref(o->conf);
	o->conf = NULL;
	free(o->abs_config);
	free(o->abs_pidfile);
	free(o->abs_control);
	o->abs_config = o->abs_pidfile = o->abs_control = NULL;
}
