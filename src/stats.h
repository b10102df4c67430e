/*
 * stats: the statistics line, every --stats-interval and on SIGUSR1.
 *
 *   stats active=N accepted=N denied=N connect_failed=N closed=N
 *         bytes_up=N bytes_down=N rate_up=N rate_down=N abandoned=N
 *         buffer_bytes=N buffer_peak=N buffer_waits=N
 *
 * Counters are totals since start; bytes include connections still open;
 * up is client to target, down target to client; rates are bytes per
 * second since the previous report.  buffer_bytes is what relay buffers
 * take now (max-buffer-memory bounds it), buffer_peak the most they took,
 * buffer_waits how often a relay had to wait for the budget.  The format is stable: fields may be
 * added at the end, never renamed or reordered.
 *
 * The service manager gets a shorter summary for "systemctl status":
 *
 *   STATUS=3 active, 120 accepted, 2 denied, 0 connect-failed
 *
 * after start-up, at each report and after a reload, prefixed with what
 * went wrong if the last reload was rejected.
 */
#ifndef VSOCKPROXY_STATS_H
#define VSOCKPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

struct proxy;

/*
 * Format the line into buf and log it (at info level, even with -q); send
 * the summary too.
 */
void stats_report(struct proxy *);
/* Send only the summary (STATUS=), if there is a service manager. */
void stats_notify(struct proxy *);
/* Format only; returns buf. */
const char *stats_format(struct proxy *, char *buf, size_t len);

#endif
