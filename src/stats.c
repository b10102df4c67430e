/*
 * stats: format the statistics line and the service manager's summary.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "notify.h"
#include "relay.h"
#include "stats.h"

void
stats_mark(const struct stats *s, struct stats_mark *m)
{

	m->ms = event_clock_ms();
	m->up = s->bytes_up;
	m->down = s->bytes_down;
}

const char *
stats_format(const struct stats *s, uint64_t rate_up, uint64_t rate_down,
    const struct relay_pool *buffers, char *buf, size_t len)
{

	snprintf(buf, len, "stats active=%u accepted=%" PRIu64
	    " denied=%" PRIu64 " connect_failed=%" PRIu64 " closed=%" PRIu64
	    " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 " rate_up=%" PRIu64
	    " rate_down=%" PRIu64 " abandoned=%" PRIu64 " buffer_bytes=%zu"
	    " buffer_peak=%zu buffer_waits=%" PRIu64 " pipes=%u"
	    " bytes_spliced=%" PRIu64, s->active, s->accepted, s->denied,
	    s->connect_failed, s->closed, s->bytes_up, s->bytes_down,
	    rate_up, rate_down, s->abandoned, buffers->used, buffers->peak,
	    buffers->waits, buffers->pipes, buffers->spliced);
	return (buf);
}

void
stats_report(const struct stats *s, struct stats_mark *m,
    const struct relay_pool *buffers)
{
	struct stats_mark now;
	uint64_t ms, rate_up = 0, rate_down = 0;
	char buf[512];

	stats_mark(s, &now);
	if ((ms = now.ms - m->ms) > 0) {
		rate_up = (now.up - m->up) * 1000 / ms;
		rate_down = (now.down - m->down) * 1000 / ms;
	}
	*m = now;
	log_always("%s", stats_format(s, rate_up, rate_down, buffers, buf,
	    sizeof(buf)));
}

void
stats_report_rule(const struct stats *s, const char *rule)
{

	log_always("stats rule=%s active=%u accepted=%" PRIu64
	    " denied=%" PRIu64 " connect_failed=%" PRIu64 " closed=%" PRIu64
	    " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 " abandoned=%" PRIu64,
	    rule, s->active, s->accepted, s->denied, s->connect_failed,
	    s->closed, s->bytes_up, s->bytes_down, s->abandoned);
}

void
stats_notify(const struct stats *s, const char *note, const char *rules)
{

	if (!notify_active())
		return;
	notify_send("STATUS=%s%s%u active, %" PRIu64 " accepted, %" PRIu64
	    " denied, %" PRIu64 " connect-failed%s", note,
	    note[0] != '\0' ? "; " : "", s->active, s->accepted, s->denied,
	    s->connect_failed, rules);
}

void
stats_rule_summary(const struct stats *s, const char *rule, char *buf,
    size_t len)
{
	static const char more[] = "; ...";
	char one[160];
	size_t n = strlen(buf), k;

	if (n >= sizeof(more) - 1 &&
	    strcmp(buf + n - (sizeof(more) - 1), more) == 0)
		return;		/* already cut */
	snprintf(one, sizeof(one), "; %s: %u active, %" PRIu64 " accepted, %"
	    PRIu64 " denied", rule, s->active, s->accepted, s->denied);
	k = strlen(one);
	/* Whole rules only, and room left for the mark of a cut. */
	if (n + k + sizeof(more) <= len)
		memcpy(buf + n, one, k + 1);
	else if (n + sizeof(more) <= len)
		memcpy(buf + n, more, sizeof(more));
}
