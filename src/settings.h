/*
 * settings: the one table of defaults and limits, with the checks of a
 * value against them, and the settings global to the daemon.  The
 * command line (opts) and the configuration file (conf) both check a
 * value with the same settings_parse_*(), so that they accept exactly
 * the same values; each words its own message, in its own terms.
 *
 * A global setting may come from both: the command line wins over the
 * file, setting by setting (settings_merge()).
 */
#ifndef VSOCKPROXY_SETTINGS_H
#define VSOCKPROXY_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "event_backend.h"

/* Defaults, documented in vsockproxy(8) and vsockproxy.conf(5). */
#define SETTINGS_DEFAULT_CONNECT_TIMEOUT_MS	2000
#define SETTINGS_DEFAULT_SHUTDOWN_TIMEOUT_MS	5000
#define SETTINGS_DEFAULT_STATS_INTERVAL_MS	60000
#define SETTINGS_DEFAULT_BUFSIZE		(256 * 1024)
#define SETTINGS_DEFAULT_MAX_BUFFER_MEMORY	((size_t)256 * 1024 * 1024)

/* Limits. */
#define SETTINGS_TIMEOUT_MAX_S		86400.0	/* every timeout: a day */
#define SETTINGS_BUFSIZE_MIN		1024	/* also of a buffer budget */
#define SETTINGS_BUFSIZE_MAX		(64 * 1024 * 1024)
#define SETTINGS_BUFFER_MEMORY_MAX	((size_t)1 << 40)
#define SETTINGS_CONNS_MAX		1000000	/* in all, or per peer */
#define SETTINGS_CONN_RATE_MAX		1000000	/* per peer and second */

/* Which global settings were given, rather than left at the default. */
#define SETTINGS_SET_STATS_INTERVAL	0x1
#define SETTINGS_SET_SHUTDOWN_TIMEOUT	0x2
#define SETTINGS_SET_EVENT_BACKEND	0x4
#define SETTINGS_SET_MAX_BUFFER_MEMORY	0x8
#define SETTINGS_SET_ZERO_COPY		0x10

struct settings {
	unsigned int set;		/* SETTINGS_SET_* */
	uint64_t stats_interval_ms;	/* 0 = only on SIGUSR1 */
	uint64_t shutdown_timeout_ms;
	size_t max_buffer_memory;	/* 0 = no limit */
	enum event_backend backend;
	int zero_copy;			/* splice TCP/UNIX streams */
	/* Run as; NULL if not given (stay root, or the user's group).
	 * The strings belong to whoever filled the struct. */
	char *user;
	char *group;
	/* The control socket's path (absolute), NULL if there is none;
	 * owned like user and group. */
	char *control;
};

/* The defaults, none of them set. */
void settings_init(struct settings *);
/*
 * The settings in force: each one that cli has set, else file's (which
 * is the default if file has not set it either).  out's names point to
 * cli's or file's.
 */
void settings_merge(struct settings *out, const struct settings *cli,
    const struct settings *file);

/*
 * Parse and check a value; -1, leaving *out alone, if it is out of its
 * limits.  Seconds in ms: any timeout or interval (0 to a day), a
 * connect timeout (more than 0); bytes: a buffer size, a buffer budget
 * (0 = no limit); counts: of connections, of connections per second.
 */
int settings_parse_timeout(const char *s, uint64_t *ms);
int settings_parse_connect_timeout(const char *s, uint64_t *ms);
int settings_parse_bufsize(const char *s, size_t *out);
int settings_parse_buffer_memory(const char *s, size_t *out);
int settings_parse_conns(const char *s, unsigned int *out);
int settings_parse_conn_rate(const char *s, unsigned int *out);
/* on or off. */
int settings_parse_onoff(const char *s, int *out);

#endif
