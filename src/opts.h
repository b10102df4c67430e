/*
 * opts: the command line.  Two forms, Ghaf's four numbers (or the three
 * of its older modules) and --listen/--connect, both filling one rule, a
 * struct conf_rule like each of the file's (conf.h), and the global
 * settings (settings.h), checked against the same limits as the file.
 * Parsing is pure: it prints nothing and never exits, so the unit tests
 * can drive it.
 */
#ifndef VSOCKPROXY_OPTS_H
#define VSOCKPROXY_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "event_backend.h"
#include "settings.h"

struct conf;

struct opts {
	int verbosity;
	int daemonize;
	const char *pidfile;
	const char *syslog_facility;	/* NULL = log to stderr */
	const char *config;		/* -c, or the default if no rule */
	int check_config;		/* -t: check the file, no start */
	int print_config;		/* -T: and print it (with -t set) */
	/*
	 * Ghaf's older form, three numbers without ALLOWED_CID: any CID
	 * may connect.  Parsing prints nothing, so main() warns at start.
	 */
	int three_numbers;
	/*
	 * The global settings given on the command line (settings.set
	 * and user, group say which: -u, -g); they win over the file's.
	 */
	struct settings settings;
	/* The event loop's, chosen once: settings.backend if given, else
	 * the file's (main() decides). */
	enum event_backend backend;
	/* The rule of the command line, a configuration of its own; NULL
	 * if the rules come from the file. */
	struct conf *conf;
	char *abs_config;		/* private: opts_absolute()'s */
	char *abs_pidfile;
	char *abs_control;
};

/* Exit statuses (sysexits.h values where one fits). */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_STARTUP	1	/* could not start (bind, resources) */
#define EXIT_BADCONF	1	/* -t: the configuration has errors */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG		SYSCONFDIR "/vsockproxy.conf"

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
 * path is an error): -c, -p, --control and the command-line rule's unix:
 * and hybrid-vsock: paths.  A daemon changes to / when it detaches and
 * reads the file again on reload, and its log should say which file it
 * means.  -1 with err set (a usage error) if a path cannot be made
 * absolute, or --control's is too long for a socket address.
 */
int opts_absolute(struct opts *o, const char *dir, char *err,
    size_t errlen);
void opts_free(struct opts *o);
const char *opts_usage(void);

#endif
