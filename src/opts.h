/*
 * opts: the command line.  Two forms, Ghaf's four numbers and
 * --listen/--connect, both filling the same settings.  Parsing is pure:
 * it prints nothing and never exits, so the unit tests can drive it.
 */
#ifndef VSOCKPROXY_OPTS_H
#define VSOCKPROXY_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "event_backend.h"

struct acl;

/* One forwarding rule: where to listen, where to connect, who may come. */
struct rule {
	struct addr listen;
	struct addr connect;
	struct acl *allow;		/* vsock peers by CID; NULL = any */
	uint64_t connect_timeout_ms;
	size_t bufsize;
	unsigned int max_conns;		/* 0 = no limit */
};

struct opts {
	int verbosity;
	enum event_backend backend;
	uint64_t shutdown_timeout_ms;
	uint64_t stats_interval_ms;	/* 0 = only on SIGUSR1 */
	size_t max_buffer_memory;	/* 0 = no limit */
	int daemonize;
	const char *pidfile;
	const char *syslog_facility;	/* NULL = log to stderr */
	const char *user;		/* -u: run as; NULL = the file's */
	const char *group;		/* -g: NULL = the file's, or the
					   user's primary group */
	const char *config;		/* -c, or the default if no rule */
	int check_config;		/* -t: check the file, no start */
	int cli_rule;			/* the rule is on the command line */
	unsigned int set;		/* OPTS_SET_*: on the command line */
	struct rule rule;
	char *abs_config;		/* private: opts_absolute()'s */
	char *abs_pidfile;
};

/* Global settings given on the command line win over the file's. */
#define OPTS_SET_STATS_INTERVAL		0x1
#define OPTS_SET_SHUTDOWN_TIMEOUT	0x2
#define OPTS_SET_EVENT_BACKEND		0x4
#define OPTS_SET_MAX_BUFFER_MEMORY	0x8

/* Exit statuses (sysexits.h values where one fits). */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_STARTUP	1	/* could not start (bind, resources) */
#define EXIT_BADCONF	1	/* -t: the configuration has errors */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG		SYSCONFDIR "/vsockproxy.conf"

#define DEFAULT_CONNECT_TIMEOUT_MS	2000
#define DEFAULT_SHUTDOWN_TIMEOUT_MS	5000
#define DEFAULT_STATS_INTERVAL_MS	60000
#define DEFAULT_MAX_BUFFER_MEMORY	((size_t)256 * 1024 * 1024)
#define DEFAULT_BUFSIZE			(256 * 1024)
#define MIN_BUFSIZE			1024
#define MAX_BUFSIZE			(64 * 1024 * 1024)
#define MAX_BUFFER_MEMORY		((size_t)1 << 40)

enum opts_result {
	OPTS_RUN = 0,		/* settings are complete: start */
	OPTS_HELP,		/* -h: print opts_usage() to stdout, exit 0 */
	OPTS_VERSION,		/* -V: print the version, exit 0 */
	OPTS_ERROR		/* err says what; exit EXIT_USAGE */
};

enum opts_result opts_parse(int argc, char **argv, struct opts *o,
    char *err, size_t errlen);
/* OPTS_NUMERIC: addresses as with ADDR_NUMERIC (for the fuzzer). */
#define OPTS_NUMERIC	0x1
enum opts_result opts_parse_flags(int argc, char **argv, int flags,
    struct opts *o, char *err, size_t errlen);
/*
 * Make every path in the settings absolute, relative to dir, the
 * directory the daemon was started in (NULL if unknown: then a relative
 * path is an error): -c, -p and the command-line rule's unix: and
 * hybrid-vsock: paths.  A daemon changes to / when it detaches and reads
 * the file again on reload, and its log should say which file it means.
 * -1 with err set (a usage error) if a path cannot be made absolute.
 */
int opts_absolute(struct opts *o, const char *dir, char *err,
    size_t errlen);
void opts_free(struct opts *o);
const char *opts_usage(void);

#endif
