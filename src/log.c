/*
 * log: stderr with a timestamp, stderr in the journal's "<N>" form, or
 * syslog (with stderr too while a daemon starts up).  Priorities: errors LOG_ERR, fatal LOG_CRIT, info and the
 * per-connection verbose lines LOG_INFO (so default syslog setups keep
 * them), debug LOG_DEBUG.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_dest {
	DEST_STDERR,
	DEST_JOURNAL,
	DEST_SYSLOG
};

static int verbosity = LOG_LEVEL_INFO;
static enum log_dest dest = DEST_STDERR;
/* Until a daemon detaches: syslog and stderr both (log_syslog_tee()). */
static int tee;
static const char *ident = "vsockproxy";

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int
facility_value(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return (facilities[i].value);
	return (-1);
}

int
log_facility_valid(const char *name)
{

	return (facility_value(name) != -1);
}

/*
 * stderr is the journal when JOURNAL_STREAM names its device and inode
 * (systemd.exec(5)); then the journal adds timestamps and reads "<N>".
 */
static int
stderr_is_journal(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat sb;

	if ((js = getenv("JOURNAL_STREAM")) == NULL)
		return (0);
	if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return (0);
	if (fstat(STDERR_FILENO, &sb) == -1)
		return (0);
	return ((unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino);
}

void
log_init(int level, const char *progname)
{

	verbosity = level;
	if (progname != NULL)
		ident = progname;
	log_stderr();
}

void
log_stderr(void)
{

	if (dest == DEST_SYSLOG)
		closelog();
	dest = stderr_is_journal() ? DEST_JOURNAL : DEST_STDERR;
	tee = 0;
}

int
log_syslog(const char *facility)
{
	int f;

	if ((f = facility_value(facility ? facility : "daemon")) == -1)
		return (-1);
	if (dest != DEST_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, f);
	dest = DEST_SYSLOG;
	tee = 0;
	return (0);
}

/*
 * A daemon's start-up: the lines that say what it listens on belong in
 * syslog, with everything after, but its errors must still reach the
 * terminal of whoever started it, since the parent waits on stderr.  So
 * both, until log_syslog() once it has detached.  A journal on stderr
 * already is the system log: nothing to add.
 */
int
log_syslog_tee(const char *facility)
{

	if (dest == DEST_JOURNAL)
		return (facility_value(facility ? facility : "daemon") == -1 ?
		    -1 : 0);
	if (log_syslog(facility) == -1)
		return (-1);
	tee = 1;
	return (0);
}

void
log_close(void)
{

	if (dest == DEST_SYSLOG)
		closelog();
	dest = DEST_STDERR;
	tee = 0;
}

static void vlog(int, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024], ts[32];
	int saved = errno;
	struct timespec now;
	struct tm tm;
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
	}
	if (dest == DEST_SYSLOG)
		syslog(pri, "%s", msg);
	if (dest == DEST_JOURNAL)
		fprintf(stderr, "<%d>%s\n", pri, msg);
	else if (dest == DEST_STDERR || tee) {
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%ld]: %s\n", ts,
		    now.tv_nsec / 1000000, ident, (long)getpid(), msg);
	}
	errno = saved;
}

#define LOGFN(name, minlevel, pri, with_errno)			\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (verbosity < (minlevel))				\
		return;						\
	va_start(ap, fmt);					\
	vlog((pri), fmt, ap, (with_errno));			\
	va_end(ap);						\
}

LOGFN(log_warn, LOG_LEVEL_ERROR, LOG_ERR, 1)
LOGFN(log_warnx, LOG_LEVEL_ERROR, LOG_ERR, 0)
LOGFN(log_info, LOG_LEVEL_INFO, LOG_INFO, 0)
LOGFN(log_always, LOG_LEVEL_ERROR, LOG_INFO, 0)
LOGFN(log_verbose, LOG_LEVEL_VERBOSE, LOG_INFO, 0)
LOGFN(log_debug, LOG_LEVEL_DEBUG, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}
