/*
 * log: the daemon's one way of saying things.  Messages go to stderr (with
 * a timestamp, or with sd-daemon "<N>" prefixes when stderr is the
 * journal) or to syslog, or to both while a daemon starts up (its parent
 * waits on stderr for the errors).  The API follows the OpenBSD daemons:
 * log_warn* append strerror(errno), the *x variants do not; fatal() exits
 * and is only for start-up.
 */
#ifndef VSOCKPROXY_LOG_H
#define VSOCKPROXY_LOG_H

#include <stdarg.h>

/* Verbosity: each level includes the ones before it. */
enum log_level {
	LOG_LEVEL_ERROR = 0,	/* errors only (-q) */
	LOG_LEVEL_INFO = 1,	/* default: start, stop, warnings, refusals */
	LOG_LEVEL_VERBOSE = 2,	/* -v: one line per connection */
	LOG_LEVEL_DEBUG = 3	/* -vv: everything */
};

void log_init(int level, const char *progname);
int log_syslog(const char *facility);
int log_syslog_tee(const char *facility);
void log_stderr(void);
int log_facility_valid(const char *facility);
void log_close(void);

void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Info that -q does not silence (statistics asked for). */
void log_always(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_verbose(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
