/*
 * opts: parse the command line into settings, strictly.
 */
#include "config.h"

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
	{ "config",		required_argument, NULL, 'c' },
	{ "check-config",	no_argument,	   NULL, 't' },
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

const char *
opts_usage(void)
{

	return (
"usage: vsockproxy [options] LOCAL_PORT REMOTE_CID REMOTE_PORT ALLOWED_CID\n"
"       vsockproxy [options] --listen ADDR --connect ADDR [--allow CIDS]\n"
"       vsockproxy [options] [-c FILE]\n"
"       vsockproxy -t [-c FILE]\n"
"\n"
"Relay connections from a listening endpoint to a target endpoint.\n"
"The first form listens on vsock port LOCAL_PORT and forwards to\n"
"vsock:REMOTE_CID:REMOTE_PORT; ALLOWED_CID 0 lets any CID connect.\n"
"Without a rule on the command line, the rules come from the\n"
"configuration file (" DEFAULT_CONFIG "); SIGHUP reloads it.\n"
"\n"
"Addresses:\n"
"  vsock:PORT  vsock:CID:PORT  tcp:HOST:PORT  tcp:[IPV6]:PORT  unix:PATH\n"
"  hybrid-vsock:PATH:PORT    connect only: guest vsock PORT through the\n"
"                            Firecracker / Cloud Hypervisor socket PATH\n"
"\n"
"Options:\n"
"  -c, --config FILE         read the rules from FILE\n"
"  -t, --check-config        check the configuration file and exit\n"
"  --listen ADDR             accept connections on ADDR\n"
"  --connect ADDR            forward each connection to ADDR\n"
"  --allow CID[,CID|LO-HI..] vsock peers that may connect (default any)\n"
"  --connect-timeout SECS    give up on the target after SECS (2)\n"
"  --buffer-size BYTES       buffer per direction, k/M suffixes (256k)\n"
"  --max-conns N             stop accepting at N connections (0 = no limit)\n"
"  --shutdown-timeout SECS   on SIGTERM, wait SECS for connections (5)\n"
"  --event-backend NAME      epoll or poll (" DEFAULT_EVENT_BACKEND ")\n"
"  --stats-interval SECS     log statistics every SECS, 0 = off (60)\n"
"  --max-buffer-memory BYTES all relay buffers together, 0 = no limit\n"
"                            (256M)\n"
"  -d, --daemon              detach; log to syslog\n"
"  -p, --pidfile PATH        write and lock a pid file\n"
"  -u, --user USER           once started, run as USER (name or uid)\n"
"  -g, --group GROUP         with -u: the group (default: USER's group)\n"
"  -s, --syslog[=FACILITY]   log to syslog (facility daemon)\n"
"  -v, --verbose             log each connection; twice for debug\n"
"  -q, --quiet               log errors only\n"
"  -h, --help                show this help\n"
"  -V, --version             show the version\n"
"\n"
"Under systemd: NOTIFY_SOCKET (Type=notify) and LISTEN_FDS/LISTEN_FDNAMES\n"
"(socket activation, sockets matched to rules by name) are honoured.\n"
"\n"
"Exit status: 0 on a clean stop, 1 if start-up failed, 64 on bad usage;\n"
"with -t, 0 if the configuration is valid, 1 if not.\n"
"See vsockproxy(8).\n");
}

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

/*
 * An option that takes a value holds one setting (sshd, socat): given
 * twice, one of the two would be dropped without a word, so a repeat is
 * a usage error.  --allow is the exception, a list that each use adds
 * to.  Flags (-d, -t, -q) may be repeated, and -v counts.  Returns the
 * option if this use of ch is a repeat, else NULL.
 */
static const struct option *
repeated(int ch, unsigned char *seen)
{
	const struct option *lo;

	if (ch <= 0 || ch >= OPT_MAX || ch == OPT_ALLOW)
		return (NULL);
	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val == ch)
			break;
	if (lo->name == NULL || lo->has_arg == no_argument)
		return (NULL);
	return (seen[ch]++ == 0 ? NULL : lo);
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

/* The rule's CID list, made on first use; NULL if out of memory. */
static struct acl *
rule_acl(struct conf_rule *r)
{

	if (r->allow == NULL)
		r->allow = acl_new();
	return (r->allow);
}

/* Ghaf's form: LOCAL_PORT REMOTE_CID REMOTE_PORT ALLOWED_CID. */
static enum opts_result
parse_positional(char **av, struct conf_rule *r, char *err, size_t errlen)
{
	static const char *names[] = {
		"LOCAL_PORT", "REMOTE_CID", "REMOTE_PORT", "ALLOWED_CID"
	};
	uint32_t v[4];
	int i;

	for (i = 0; i < 4; i++)
		if (parse_u32(av[i], &v[i]) == -1)
			return (bad(err, errlen,
			    "bad %s '%s': expected a number 0-4294967295",
			    names[i], av[i]));
	addr_vsock(&r->listen, (uint32_t)-1, v[0]);
	addr_vsock(&r->connect, v[1], v[2]);
	if (v[3] != 0 && (rule_acl(r) == NULL ||
	    acl_add_range(r->allow, v[3], v[3]) == -1))
		return (bad(err, errlen, "out of memory"));
	return (OPTS_RUN);
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
	char aerr[128];
	int aflags = (flags & OPTS_NUMERIC) ? ADDR_NUMERIC : 0;
	const char *lopt = NULL, *copt = NULL, *allow = NULL;
	const char *ruleopt = NULL;	/* a setting of the cli rule */
	const struct option *again;
	unsigned char seen[OPT_MAX];
	struct settings *s = &o->settings;
	struct conf_rule *r;
	int ch, npos;

	memset(o, 0, sizeof(*o));
	o->verbosity = LOG_LEVEL_INFO;
	settings_init(s);
	if ((o->conf = conf_new()) == NULL ||
	    (r = conf_add_rule(o->conf, "command-line")) == NULL)
		return (bad(err, errlen, "out of memory"));
	r->file = "command line";

	optind = 0;	/* full reset: parse may run more than once */
	opterr = 0;
	memset(seen, 0, sizeof(seen));
	while ((ch = getopt_long(argc, argv, ":vqhVdp:s::c:tu:g:", longopts,
	    NULL)) != -1) {
		if ((again = repeated(ch, seen)) != NULL && ch < 256)
			return (bad(err, errlen, "-%c/--%s given twice: it "
			    "takes one value", ch, again->name));
		if (again != NULL)
			return (bad(err, errlen, "--%s given twice: it takes "
			    "one value", again->name));
		switch (ch) {
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = LOG_LEVEL_ERROR;
			break;
		case 'h':
			return (OPTS_HELP);
		case 'V':
			return (OPTS_VERSION);
		case 'd':
			o->daemonize = 1;
			break;
		case 'c':
			if (empty(optarg))
				return (bad(err, errlen,
				    "bad --config: empty path"));
			o->config = optarg;
			break;
		case 't':
			o->check_config = 1;
			break;
		case 'p':
			if (empty(optarg))
				return (bad(err, errlen,
				    "bad --pidfile: empty path"));
			o->pidfile = optarg;
			break;
		case 'u':
			if (empty(optarg))
				return (bad(err, errlen,
				    "bad --user: empty name"));
			s->user = optarg;
			break;
		case 'g':
			if (empty(optarg))
				return (bad(err, errlen,
				    "bad --group: empty name"));
			s->group = optarg;
			break;
		case 's':
			/* "-s=local3" reads like "--syslog=local3". */
			if (optarg != NULL && optarg[0] == '=')
				optarg++;
			o->syslog_facility = optarg ? optarg : "daemon";
			if (!log_facility_valid(o->syslog_facility))
				return (bad(err, errlen, "bad --syslog "
				    "facility '%s': expected daemon, user, "
				    "auth, authpriv or local0-7", optarg));
			break;
		case OPT_STATS_INTERVAL:
			if (settings_parse_timeout(optarg,
			    &s->stats_interval_ms) == -1)
				return (bad(err, errlen,
				    "bad --stats-interval '%s': expected "
				    "seconds (0 = off)", optarg));
			s->set |= SETTINGS_SET_STATS_INTERVAL;
			break;
		case OPT_MAX_BUFFER_MEMORY:
			if (settings_parse_buffer_memory(optarg,
			    &s->max_buffer_memory) == -1)
				return (bad(err, errlen,
				    "bad --max-buffer-memory '%s': expected "
				    "0 (no limit) or %d to %llu bytes (k, M "
				    "and G suffixes allowed)", optarg,
				    SETTINGS_BUFSIZE_MIN, (unsigned long long)
				    SETTINGS_BUFFER_MEMORY_MAX));
			s->set |= SETTINGS_SET_MAX_BUFFER_MEMORY;
			break;
		case OPT_LISTEN:
			lopt = optarg;
			if (addr_parse_flags(optarg, ADDR_LISTEN, aflags,
			    &r->listen, aerr, sizeof(aerr)) == -1)
				return (bad(err, errlen,
				    "bad --listen '%s': %s", optarg, aerr));
			break;
		case OPT_CONNECT:
			copt = optarg;
			if (addr_parse_flags(optarg, ADDR_CONNECT, aflags,
			    &r->connect, aerr, sizeof(aerr)) == -1)
				return (bad(err, errlen,
				    "bad --connect '%s': %s", optarg, aerr));
			break;
		case OPT_ALLOW:
			allow = optarg;
			if (rule_acl(r) == NULL)
				return (bad(err, errlen, "out of memory"));
			if (acl_add(r->allow, optarg, aerr,
			    sizeof(aerr)) == -1)
				return (bad(err, errlen,
				    "bad --allow '%s': %s", optarg, aerr));
			break;
		case OPT_CONNECT_TIMEOUT:
			ruleopt = "--connect-timeout";
			if (settings_parse_connect_timeout(optarg,
			    &r->connect_timeout_ms) == -1)
				return (bad(err, errlen,
				    "bad --connect-timeout '%s': expected "
				    "seconds, more than 0", optarg));
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			if (settings_parse_timeout(optarg,
			    &s->shutdown_timeout_ms) == -1)
				return (bad(err, errlen,
				    "bad --shutdown-timeout '%s': expected "
				    "seconds", optarg));
			s->set |= SETTINGS_SET_SHUTDOWN_TIMEOUT;
			break;
		case OPT_BUFFER_SIZE:
			ruleopt = "--buffer-size";
			if (settings_parse_bufsize(optarg, &r->bufsize) == -1)
				return (bad(err, errlen,
				    "bad --buffer-size '%s': expected %d to "
				    "%d bytes (k and M suffixes allowed)",
				    optarg, SETTINGS_BUFSIZE_MIN,
				    SETTINGS_BUFSIZE_MAX));
			break;
		case OPT_MAX_CONNS:
			ruleopt = "--max-conns";
			if (settings_parse_conns(optarg, &r->max_conns) == -1)
				return (bad(err, errlen,
				    "bad --max-conns '%s': expected 0 to "
				    "%d", optarg, SETTINGS_CONNS_MAX));
			break;
		case OPT_EVENT_BACKEND:
			if (event_backend_parse(optarg, &s->backend) == -1)
				return (bad(err, errlen,
				    "bad --event-backend '%s': expected "
				    "epoll or poll", optarg));
			s->set |= SETTINGS_SET_EVENT_BACKEND;
			break;
		case ':':
			return (bad(err, errlen, "option '%s' needs a value",
			    argv[optind - 1]));
		default:
			return (bad(err, errlen, "unknown option '%s'",
			    argv[optind - 1]));
		}
	}

	npos = argc - optind;
	if ((o->config != NULL || o->check_config) &&
	    (lopt != NULL || copt != NULL || npos > 0))
		return (bad(err, errlen, "%s takes the rules from the "
		    "configuration file: no rule on the command line",
		    o->check_config ? "--check-config" : "--config"));
	if (o->config == NULL && lopt == NULL && copt == NULL && npos == 0) {
		if (allow != NULL)
			return (bad(err, errlen, "--allow needs --listen/"
			    "--connect"));
		o->config = DEFAULT_CONFIG;
	}
	if (o->config != NULL && ruleopt != NULL)
		return (bad(err, errlen, "%s sets the command-line rule; in "
		    "the configuration file, set '%s' per rule or in "
		    "'defaults'", ruleopt, ruleopt + 2));
	if (o->config != NULL) {
		if (allow != NULL)
			return (bad(err, errlen, "--allow needs --listen/"
			    "--connect; in the configuration file, use "
			    "'allow'"));
	} else if (lopt != NULL || copt != NULL) {
		if (lopt == NULL)
			return (bad(err, errlen, "--connect needs --listen"));
		if (copt == NULL)
			return (bad(err, errlen, "--listen needs --connect"));
		if (npos > 0)
			return (bad(err, errlen, "unexpected argument '%s' "
			    "with --listen/--connect", argv[optind]));
		if (allow != NULL && r->listen.kind != ADDR_VSOCK)
			return (bad(err, errlen, "--allow filters vsock peers "
			    "by CID: it needs a vsock --listen address"));
		if (addr_leads_to(&r->connect, &r->listen))
			return (bad(err, errlen, "--connect '%s' leads back "
			    "to --listen '%s'", copt, lopt));
	} else {
		if (allow != NULL)
			return (bad(err, errlen, "--allow needs --listen/"
			    "--connect; the four-number form gives "
			    "ALLOWED_CID"));
		if (npos < 4)
			return (bad(err, errlen, "missing %s", npos == 1 ?
			    "REMOTE_CID" : npos == 2 ? "REMOTE_PORT" :
			    "ALLOWED_CID"));
		if (npos > 4)
			return (bad(err, errlen, "unexpected argument '%s'",
			    argv[optind + 4]));
		if (parse_positional(argv + optind, r, err, errlen) ==
		    OPTS_ERROR)
			return (OPTS_ERROR);
	}
	o->backend = s->backend;
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
	o->abs_config = o->abs_pidfile = NULL;
}
