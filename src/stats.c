/*
 * stats: sum the counters and format the statistics line.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "conn.h"
#include "event.h"
#include "log.h"
#include "notify.h"
#include "proxy.h"
#include "stats.h"

const char *
stats_format(struct proxy *px, char *buf, size_t len)
{
	const struct proxy_stats *s = &px->stats;
	struct conn *c;
	uint64_t up = s->bytes_up, down = s->bytes_down, cu, cd, now, ms;
	uint64_t rate_up = 0, rate_down = 0;

	for (c = px->conns; c != NULL; c = conn_next(c)) {
		conn_bytes(c, &cu, &cd);
		up += cu;
		down += cd;
	}
	now = event_clock_ms();
	ms = now - px->stats_last_ms;
	if (ms > 0) {
		rate_up = (up - px->stats_last_up) * 1000 / ms;
		rate_down = (down - px->stats_last_down) * 1000 / ms;
	}
	px->stats_last_ms = now;
	px->stats_last_up = up;
	px->stats_last_down = down;
	snprintf(buf, len, "stats active=%u accepted=%" PRIu64
	    " denied=%" PRIu64 " connect_failed=%" PRIu64 " closed=%" PRIu64
	    " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 " rate_up=%" PRIu64
	    " rate_down=%" PRIu64 " abandoned=%" PRIu64 " buffer_bytes=%zu"
	    " buffer_peak=%zu buffer_waits=%" PRIu64, px->nconns,
	    s->accepted, s->denied, s->connect_failed, s->closed, up, down,
	    rate_up, rate_down, s->abandoned, px->buffers.used,
	    px->buffers.peak, px->buffers.waits);
	return (buf);
}

void
stats_report(struct proxy *px)
{
	char buf[512];

	log_always("%s", stats_format(px, buf, sizeof(buf)));
	stats_notify(px);
}

void
stats_notify(struct proxy *px)
{
	const struct proxy_stats *s = &px->stats;

	if (!notify_active())
		return;
	notify_send("STATUS=%s%s%u active, %" PRIu64 " accepted, %" PRIu64
	    " denied, %" PRIu64 " connect-failed", px->status_note,
	    px->status_note[0] != '\0' ? "; " : "", px->nconns, s->accepted,
	    s->denied, s->connect_failed);
}
