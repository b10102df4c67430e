/*
 * stats: the statistics line, every --stats-interval and on SIGUSR1.
 *
 *   stats active=N accepted=N denied=N connect_failed=N closed=N
 *         bytes_up=N bytes_down=N rate_up=N rate_down=N
 *
 * Counters are totals since start; bytes include connections still open;
 * up is client to target, down target to client; rates are bytes per
 * second since the previous report.  The format is stable: fields may be
 * added at the end, never renamed or reordered.
 */
#ifndef VSOCKPROXY_STATS_H
#define VSOCKPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

struct proxy;

/* Format the line into buf and log it (at info level, even with -q). */
void stats_report(struct proxy *);
/* Format only; returns buf. */
const char *stats_format(struct proxy *, char *buf, size_t len);

#endif
