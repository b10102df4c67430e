/*
 * control_cmd: the control socket's commands (control.h for the
 * framing).  Every reply line is key=value words, as the daemon's log
 * lines are, except "show config" (a configuration file) and "metrics"
 * (the Prometheus text exposition format, version 0.0.4).
 *
 * They read the owner's state through struct control_env and the
 * read-only views of listeners and connections; "close" and "reload"
 * are the only actions.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conn.h"
#include "control.h"
#include "escape.h"
#include "event.h"
#include "listener.h"
#include "log.h"
#include "parse.h"
#include "relay.h"
#include "stats.h"

/* What a rule has counted (its listener's counters), in the order of
 * rule_metrics()'s families. */
enum { RC_ACTIVE, RC_ACCEPTED, RC_DENIED, RC_CONNECT_FAILED, RC_BYTES_UP,
    RC_BYTES_DOWN, RC_N };
struct rule_counters {
	uint64_t v[RC_N];
};

static void
rule_counters(const struct listener *l, struct rule_counters *rc)
{

	const struct stats *s = listener_stats(l);

	rc->v[RC_ACTIVE] = listener_nconns(l);
	rc->v[RC_ACCEPTED] = s->accepted;
	rc->v[RC_DENIED] = s->denied;
	rc->v[RC_CONNECT_FAILED] = s->connect_failed;
	rc->v[RC_BYTES_UP] = s->bytes_up;
	rc->v[RC_BYTES_DOWN] = s->bytes_down;
}

/* A value of a key=value word: quoted if it has a blank or a '"'. */
static const char *
kv(const char *s, char *buf, size_t len)
{

	return (escape_word(s, " \t\"", buf, len));
}

static void
show_connections(const struct control_env *env, struct control_client *cl)
{
	struct listener *l;
	const struct conn *c;
	struct conn_info ci;
	uint64_t now = event_clock_ms();
	char p[2 * ADDR_STRLEN], t[2 * ADDR_STRLEN];

	for (l = *env->listeners; l != NULL; l = listener_next(l))
		for (c = listener_conns(l); c != NULL; c = conn_next(c)) {
			conn_info(c, &ci);
			control_printf(cl, "id=%" PRIu64 " rule=%s peer=%s "
			    "target=%s age=%" PRIu64 " bytes_up=%" PRIu64
			    " bytes_down=%" PRIu64 " state=%s", ci.id,
			    ci.rule, kv(ci.peer, p, sizeof(p)),
			    kv(ci.target, t, sizeof(t)),
			    (now - ci.start_ms) / 1000, ci.bytes_up,
			    ci.bytes_down, conn_state_name(ci.state));
		}
}

static void
show_rules(const struct control_env *env, struct control_client *cl)
{
	struct listener *l;
	const struct conf_rule *r;
	struct rule_counters rc;
	char a[2 * ADDR_STRLEN], b[2 * ADDR_STRLEN], acc[512], t[ADDR_STRLEN];

	for (l = *env->listeners; l != NULL; l = listener_next(l)) {
		r = listener_rule(l);
		rule_counters(l, &rc);
		control_printf(cl, "rule=%s listen=%s connect=%s %s "
		    "max_conns=%u max_conns_per_peer=%u max_conn_rate=%u "
		    "idle_timeout_ms=%" PRIu64 " connect_timeout_ms=%" PRIu64
		    " buffer_size=%zu state=%s active=%" PRIu64, r->name,
		    kv(listener_name(l), a, sizeof(a)),
		    kv(addr_format(&r->connect, t, sizeof(t)), b, sizeof(b)),
		    conf_rule_access(r, acc, sizeof(acc)), r->max_conns,
		    r->max_per_peer, r->max_conn_rate, r->idle_timeout_ms,
		    r->connect_timeout_ms, r->bufsize,
		    listener_retired(l) ? "retired" :
		    listener_activated(l) ? "socket-activated" : "listening",
		    rc.v[RC_ACTIVE]);
		control_printf(cl, "rule=%s accepted=%" PRIu64 " denied=%"
		    PRIu64 " connect_failed=%" PRIu64 " bytes_up=%" PRIu64
		    " bytes_down=%" PRIu64, r->name, rc.v[RC_ACCEPTED],
		    rc.v[RC_DENIED], rc.v[RC_CONNECT_FAILED],
		    rc.v[RC_BYTES_UP], rc.v[RC_BYTES_DOWN]);
	}
}

static void
config_line(void *cookie, const char *line)
{

	control_printf(cookie, "%s", line);
}

/*
 * The statistics line's counters, without "stats " and without the
 * rates, which are per interval between two reports (stats.h): here
 * they would be zeros that look like an idle daemon.
 */
static void
show_stats(const struct control_env *env, struct control_client *cl)
{
	static const char rates[] = " rate_up=0 rate_down=0";
	char buf[512], *r;

	(void)stats_format(env->stats, 0, 0, env->buffers, buf, sizeof(buf));
	if ((r = strstr(buf, rates)) != NULL)
		memmove(r, r + strlen(rates), strlen(r + strlen(rates)) + 1);
	control_printf(cl, "%s", buf + strlen("stats "));
}

/* One family of per-rule samples, a rule's listeners (one retired, one
 * new, of the same name) added up so that each label set appears once. */
static void
rule_family(const struct control_env *env, struct control_client *cl,
    const char *name, const char *type, const char *help, int which)
{
	struct listener *l, *m;
	struct rule_counters rc;
	uint64_t v;

	control_printf(cl, "# HELP vsockproxy_rule_%s %s\n# TYPE "
	    "vsockproxy_rule_%s %s", name, help, name, type);
	for (l = *env->listeners; l != NULL; l = listener_next(l)) {
		for (m = *env->listeners; m != l; m = listener_next(m))
			if (strcmp(listener_rule(m)->name,
			    listener_rule(l)->name) == 0)
				break;
		if (m != l)
			continue;
		v = 0;
		for (m = l; m != NULL; m = listener_next(m)) {
			if (strcmp(listener_rule(m)->name,
			    listener_rule(l)->name) != 0)
				continue;
			rule_counters(m, &rc);
			v += rc.v[which];
		}
		control_printf(cl, "vsockproxy_rule_%s{rule=\"%s\"} %" PRIu64,
		    name, listener_rule(l)->name, v);
	}
}

static void
rule_metrics(const struct control_env *env, struct control_client *cl)
{
	static const struct {
		const char *name, *type, *help;
	} f[RC_N] = {
		{ "connections_active", "gauge",
		    "Connections open now, per rule." },
		{ "connections_accepted_total", "counter",
		    "Connections accepted and allowed, per rule." },
		{ "connections_denied_total", "counter",
		    "Connections refused, per rule." },
		{ "connections_connect_failed_total", "counter",
		    "Connections whose target could not be reached, per rule." },
		{ "bytes_up_total", "counter",
		    "Bytes delivered client to target, per rule." },
		{ "bytes_down_total", "counter",
		    "Bytes delivered target to client, per rule." },
	};
	size_t i;

	for (i = 0; i < RC_N; i++)
		rule_family(env, cl, f[i].name, f[i].type, f[i].help, (int)i);
}

/* The daemon's counters and gauges, each with its HELP and TYPE. */
static void
metrics(const struct control_env *env, struct control_client *cl)
{
	const struct stats *s = env->stats;
	const struct relay_pool *b = env->buffers;
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} m[] = {
		{ "connections_active", "gauge", "Connections open now.",
		    s->active },
		{ "connections_accepted_total", "counter",
		    "Connections accepted and allowed.", s->accepted },
		{ "connections_denied_total", "counter",
		    "Connections refused: access lists, per-peer limits.",
		    s->denied },
		{ "connections_connect_failed_total", "counter",
		    "Connections whose target could not be reached.",
		    s->connect_failed },
		{ "connections_closed_total", "counter",
		    "Connections closed, whatever the reason.", s->closed },
		{ "connections_abandoned_total", "counter", "Clients that "
		    "left while the target was being connected.",
		    s->abandoned },
		{ "buffer_bytes", "gauge",
		    "Bytes the relay buffers take now.", b->used },
		{ "buffer_peak_bytes", "gauge",
		    "The most bytes the relay buffers took.", b->peak },
		{ "buffer_limit_bytes", "gauge", "The relay buffers' budget "
		    "(max-buffer-memory), 0 = none.", b->limit },
		{ "buffer_waits_total", "counter",
		    "Times a relay had to wait for the buffer budget.",
		    b->waits },
		{ "pipes", "gauge", "Pipes open for the zero-copy relay, "
		    "in use and spare.", b->pipes },
		{ "bytes_spliced_total", "counter", "Bytes relayed through "
		    "a pipe (zero-copy), a part of bytes_total.", b->spliced },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		control_printf(cl, "# HELP vsockproxy_%s %s\n# TYPE "
		    "vsockproxy_%s %s\nvsockproxy_%s %" PRIu64, m[i].name,
		    m[i].help, m[i].name, m[i].type, m[i].name, m[i].v);
	control_printf(cl, "# HELP vsockproxy_bytes_total Bytes delivered, "
	    "up (client to target) and down, open connections included.\n"
	    "# TYPE vsockproxy_bytes_total counter\n"
	    "vsockproxy_bytes_total{direction=\"up\"} %" PRIu64 "\n"
	    "vsockproxy_bytes_total{direction=\"down\"} %" PRIu64,
	    s->bytes_up, s->bytes_down);
	rule_metrics(env, cl);
}

static void
close_conn(const struct control_env *env, struct control_client *cl,
    const char *arg)
{
	struct listener *l;
	struct conn *c;
	struct conn_info ci;
	uint64_t id;

	if (parse_uint(arg, 1, UINT64_MAX, &id) == -1) {
		control_error(cl, "close: bad connection id (see 'show "
		    "connections')");
		return;
	}
	for (l = *env->listeners; l != NULL; l = listener_next(l))
		for (c = listener_conns(l); c != NULL; c = conn_next(c)) {
			conn_info(c, &ci);
			if (ci.id != id)
				continue;
			log_info("control: closing connection %" PRIu64
			    " (peer=%s target=%s)", id, ci.peer, ci.target);
			conn_close(c, "admin");
			control_printf(cl, "closed id=%" PRIu64, id);
			return;
		}
	control_error(cl, "close: no connection with id %" PRIu64, id);
}

static void
reload(const struct control_env *env, struct control_client *cl)
{
	char why[256];

	log_info("control: reload");
	if (env->reload(env->cookie, why, sizeof(why)) == -1)
		control_error(cl, "%s", why);
	else
		control_printf(cl, "reloaded");
}

static const char help[] =
    "show connections   open connections: id rule peer target age "
    "bytes state\n"
    "show rules         the rules in force, their limits and counters\n"
    "show config        the effective configuration, as vsockproxy -T\n"
    "show stats         the statistics line's counters\n"
    "metrics            counters in the Prometheus text format\n"
    "close ID           close connection ID (reason=admin)\n"
    "reload             reload the configuration file, as SIGHUP\n"
    "help               this list";

void
control_command(const struct control_env *env, struct control_client *cl,
    int ac, char **av)
{
	char shown[ESCAPE_SIZE(32)];
	const char *what = ac > 1 ? av[1] : "";

	if (strcmp(av[0], "show") == 0 && ac == 2 &&
	    strcmp(what, "connections") == 0)
		show_connections(env, cl);
	else if (strcmp(av[0], "show") == 0 && ac == 2 &&
	    strcmp(what, "rules") == 0)
		show_rules(env, cl);
	else if (strcmp(av[0], "show") == 0 && ac == 2 &&
	    strcmp(what, "config") == 0)
		conf_print(*env->conf, env->cli, config_line, cl);
	else if (strcmp(av[0], "show") == 0 && ac == 2 &&
	    strcmp(what, "stats") == 0)
		show_stats(env, cl);
	else if (strcmp(av[0], "metrics") == 0 && ac == 1)
		metrics(env, cl);
	else if (strcmp(av[0], "close") == 0 && ac == 2)
		close_conn(env, cl, av[1]);
	else if (strcmp(av[0], "reload") == 0 && ac == 1)
		reload(env, cl);
	else if (strcmp(av[0], "help") == 0 && ac == 1)
		control_printf(cl, "%s", help);
	else
		control_error(cl, "unknown command '%s' (try 'help')",
		    escape_mem(av[0], strnlen(av[0], 32), shown,
		    sizeof(shown)));
}
