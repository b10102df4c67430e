/*
 * stats: the daemon's counters and the statistics line, every
 * --stats-interval and on SIGUSR1.
 *
 *   stats active=N accepted=N denied=N connect_failed=N closed=N
 *         bytes_up=N bytes_down=N rate_up=N rate_down=N abandoned=N
 *         buffer_bytes=N buffer_peak=N buffer_waits=N
 *
 * Counters are totals since start; bytes include connections still open;
 * up is client to target, down target to client; rates are bytes per
 * second since the previous report.  buffer_bytes is what relay buffers
 * take now (max-buffer-memory bounds it), buffer_peak the most they
 * took, buffer_waits how often a relay had to wait for the budget.  The
 * format is stable: fields may be added at the end, never renamed or
 * reordered.
 *
 * The service manager gets a shorter summary for "systemctl status":
 *
 *   STATUS=3 active, 120 accepted, 2 denied, 0 connect-failed;
 *     vm3: 2 active, 100 accepted, 0 denied; vm5: 1 active, ...
 *
 * after start-up, at each report and after a reload, prefixed with what
 * went wrong if the last reload was rejected.
 *
 * The counters are plain fields: the daemon owns one struct stats and
 * hands a pointer down to its listeners and connections, which count
 * what they see.  This module only reads them.
 */
#ifndef VSOCKPROXY_STATS_H
#define VSOCKPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

struct relay_pool;

struct stats {
	struct stats *parent;	/* counts there too (a rule's: the total) */
	unsigned int active;	/* connections open now */
	uint64_t accepted;	/* connections accepted and allowed */
	uint64_t denied;	/* refused: ACL, per-peer limits */
	uint64_t connect_failed;
	uint64_t closed;	/* finished after relaying */
	uint64_t bytes_up;	/* client to target, open ones included */
	uint64_t bytes_down;	/* target to client */
	uint64_t abandoned;	/* client left while connecting */
	uint64_t last_conn_id;	/* the id given to the newest connection */
};

/* Count n more in a field of s and of every stats above it. */
#define STATS_ADD(s, field, n) do {					\
	struct stats *stats_p_;						\
									\
	for (stats_p_ = (s); stats_p_ != NULL;				\
	    stats_p_ = stats_p_->parent)				\
		stats_p_->field += (n);					\
} while (0)
/* One connection fewer open. */
#define STATS_GONE(s) do {						\
	struct stats *stats_p_;						\
									\
	for (stats_p_ = (s); stats_p_ != NULL;				\
	    stats_p_ = stats_p_->parent)				\
		stats_p_->active--;					\
} while (0)

/* Where the rates of the last report started. */
struct stats_mark {
	uint64_t ms;
	uint64_t up, down;
};

/* Start counting rates from now. */
void stats_mark(const struct stats *, struct stats_mark *);

/* Format the line with these rates into buf; returns buf. */
const char *stats_format(const struct stats *, uint64_t rate_up,
    uint64_t rate_down, const struct relay_pool *, char *buf, size_t len);

/*
 * Log the line (at info level, even with -q), with the rates since mark,
 * which then moves to now.
 */
void stats_report(const struct stats *, struct stats_mark *,
    const struct relay_pool *);
/*
 * Log one rule's line (at info level, even with -q):
 *   stats rule=NAME active=N accepted=N denied=N connect_failed=N
 *         closed=N bytes_up=N bytes_down=N abandoned=N
 */
void stats_report_rule(const struct stats *, const char *rule);
/*
 * Send the summary (STATUS=), if there is a service manager: note (may
 * be empty) says why the last reload failed, rules (may be empty) is
 * what stats_rule_summary() wrote.
 */
void stats_notify(const struct stats *, const char *note,
    const char *rules);
/*
 * Append "; RULE: N active, N accepted, N denied" to the NUL-terminated
 * buf, or "; ..." once the next rule would not fit.
 */
void stats_rule_summary(const struct stats *, const char *rule,
    char *buf, size_t len);

#endif
