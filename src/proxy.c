/*
 * proxy: the daemon's main loop and its shutdown.
 *
 * Signal handlers only write the signal number into a self-pipe; the loop
 * reads it and acts.  SIGTERM/SIGINT close the listeners and let open
 * connections finish for up to --shutdown-timeout; a second one, or the
 * deadline, closes whatever is left.
 *
 * SIGHUP reloads the configuration file.  The new file is read and every
 * new listen address bound before anything changes, so that a reload
 * either happens as a whole or not at all: a file with errors, or a new
 * address that cannot be bound, leaves the running configuration as it
 * was.  Rules are matched by listen address; a kept listener switches to
 * its new rule, a removed one is retired and freed once its last
 * connection ends.  Each listener and connection holds a reference to the
 * configuration its rule came from.
 *
 * A listener on a socket passed by the service manager (socket
 * activation) is matched by rule name instead: the rule's listen address
 * was never bound, and the socket cannot be bound again.  The service
 * manager hears of every step (notify.h): READY=1 once serving,
 * RELOADING=1 and READY=1 around a reload, whatever its outcome,
 * STOPPING=1 when the drain starts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "addr.h"
#include "conf.h"
#include "conn.h"
#include "event.h"
#include "htab.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "opts.h"
#include "proxy.h"
#include "settings.h"
#include "stats.h"

/* -1 once the loop is gone: a late signal is then dropped, not fatal. */
static volatile sig_atomic_t sigpipe_w = -1;

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno, fd = sigpipe_w;

	if (fd != -1)
		(void)write(fd, &b, 1);
	errno = saved;
}

struct proxy_gen *
proxy_gen_ref(struct proxy_gen *g)
{

	g->refs++;
	return (g);
}

void
proxy_gen_unref(struct proxy_gen *g)
{

	if (g == NULL || --g->refs > 0)
		return;
	conf_unref(g->conf);
	free(g);
}

static struct proxy_gen *
gen_new(struct conf *conf)
{
	struct proxy_gen *g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		log_warn("calloc");
		conf_unref(conf);
		return (NULL);
	}
	g->conf = conf;
	g->refs = 1;
	return (g);
}

/* Global settings: the command line wins over the file. */
static void
apply_globals(struct proxy *px, const struct conf *conf)
{
	struct settings s;

	settings_merge(&s, &px->opts->settings, &conf->settings);
	px->shutdown_timeout_ms = s.shutdown_timeout_ms;
	px->stats_interval_ms = s.stats_interval_ms;
	relay_pool_set_limit(&px->buffers, s.max_buffer_memory);
}

static void
close_all(struct proxy *px, const char *reason)
{

	while (px->conns != NULL)
		conn_abort(px->conns, reason);
}

static void
drain_cb(void *cookie)
{
	struct proxy *px = cookie;

	log_info("shutdown timeout: closing %u connection(s)", px->nconns);
	close_all(px, "shutdown");
	px->done = 1;
}

static void
begin_stop(struct proxy *px, int sig)
{
	struct listener *l;

	if (px->stopping) {
		log_info("signal %d again: exiting now", sig);
		close_all(px, "shutdown");
		px->done = 1;
		return;
	}
	px->stopping = 1;
	notify_send("STOPPING=1");
	for (l = px->listeners; l != NULL; l = listener_next(l))
		listener_close(l);
	if (px->nconns == 0) {
		px->done = 1;
		return;
	}
	log_info("signal %d: draining %u connection(s), up to %llu ms", sig,
	    px->nconns, (unsigned long long)px->shutdown_timeout_ms);
	if (event_timer_start(px->loop, &px->drain_timer,
	    px->shutdown_timeout_ms) == -1)
		drain_cb(px);
}

static void sweep(struct proxy *);

static void
conf_error(void *cookie, const char *msg)
{

	log_warnx("reload: %s", msg);
}

/*
 * The running listeners, indexed for a reload, so that matching the new
 * rules costs constant time per rule: a walk over every listener for
 * every rule held the loop 9 s for 15,000 rules.  Passed sockets by rule
 * name (their address is the service manager's), others by listen
 * address; the first in list order of each.
 */
struct running {
	struct htab *byname, *byaddr;
};

static uint64_t
name_hash(const char *name)
{

	return (htab_hash(HTAB_HASH_INIT, name, strlen(name)));
}

static int
name_eq(const void *rule, const void *l)
{

	return (strcmp(((const struct conf_rule *)rule)->name,
	    listener_rule(l)->name) == 0);
}

static int
listen_eq(const void *rule, const void *l)
{

	return (conf_rule_same_listen(listener_rule(l), rule));
}

/* Listeners by address in memory, to look the kept ones up. */
static int
by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct listener *const *)a;
	uintptr_t y = (uintptr_t)*(struct listener *const *)b;

	return (x < y ? -1 : x > y);
}

static void
running_free(struct running *ix)
{

	htab_free(ix->byname);
	htab_free(ix->byaddr);
}

static int
running_index(struct proxy *px, struct running *ix)
{
	const struct conf_rule *r;
	struct listener *l;
	struct htab *t;
	uint64_t h;
	htab_eq_fn *eq;

	ix->byname = htab_new();
	ix->byaddr = htab_new();
	if (ix->byname == NULL || ix->byaddr == NULL)
		return (-1);
	for (l = px->listeners; l != NULL; l = listener_next(l)) {
		if (listener_retired(l))
			continue;
		r = listener_rule(l);
		if (listener_activated(l)) {
			t = ix->byname;
			h = name_hash(r->name);
			eq = name_eq;
		} else {
			t = ix->byaddr;
			h = addr_hash(&r->listen);
			eq = listen_eq;
		}
		if (htab_find(t, h, eq, r) == NULL && htab_add(t, h, l) == -1)
			return (-1);
	}
	return (0);
}

/* The running listener a new rule takes over, or NULL. */
static struct listener *
find_listener(const struct running *ix, const struct conf_rule *r)
{
	struct listener *l;

	if ((l = htab_find(ix->byname, name_hash(r->name), name_eq, r)) !=
	    NULL)
		return (l);
	return (htab_find(ix->byaddr, addr_hash(&r->listen), listen_eq, r));
}

static int
same_name(const char *a, const char *b)
{

	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/*
 * Load the file again and switch to it, or change nothing; -1 (logged,
 * and said in px->status_note) if the file is rejected.
 */
static int
reload_conf(struct proxy *px)
{
	int who_changed;
	struct settings now, was;
	struct conf *conf;
	struct proxy_gen *g, *old = px->gen;
	struct conf_rule *r;
	struct listener *l, *fresh = NULL, **tail;
	struct listener **kept, **sorted;
	struct running ix = { NULL, NULL };
	unsigned int nkept = 0, nnew = 0, nremoved = 0, i;
	size_t n, nsorted = 0;

	log_info("SIGHUP: reloading %s", px->opts->config);
	if ((conf = conf_load(px->opts->config, conf_error, px)) == NULL) {
		log_warnx("reload: %s has errors: the running configuration "
		    "stays in force", px->opts->config);
		snprintf(px->status_note, sizeof(px->status_note),
		    "reload failed: %s has errors", px->opts->config);
		return (-1);
	}
	/*
	 * An empty file is valid, but as a reload it is far more often a
	 * rewrite in place caught half-way, or a drop-in directory emptied
	 * by mistake, than a wish to take every guest offline.
	 */
	if (conf->nrules == 0 && old->conf->nrules > 0) {
		log_warnx("reload: %s has no rule: rejected, the running "
		    "configuration (%zu rule(s)) stays in force; a reload "
		    "never removes the last rule, stopping the daemon does",
		    px->opts->config, old->conf->nrules);
		snprintf(px->status_note, sizeof(px->status_note),
		    "reload failed: %s has no rule", px->opts->config);
		conf_unref(conf);
		return (-1);
	}
	/* The process switched (or not) at start-up, for good. */
	settings_merge(&now, &px->opts->settings, &conf->settings);
	settings_merge(&was, &px->opts->settings, &old->conf->settings);
	who_changed = !same_name(now.user, was.user) ||
	    !same_name(now.group, was.group);
	if ((g = gen_new(conf)) == NULL)
		goto nomem;
	kept = calloc(conf->nrules + 1, sizeof(*kept));
	sorted = calloc(conf->nrules + 1, sizeof(*sorted));
	if (kept == NULL || sorted == NULL ||
	    running_index(px, &ix) == -1) {
		log_warnx("reload: out of memory");
		running_free(&ix);
		free(kept);
		free(sorted);
		proxy_gen_unref(g);
		goto nomem;
	}
	/* Bind the new addresses first: nothing changes if one fails. */
	for (r = conf->rules, n = 0; r != NULL; r = r->next, n++) {
		if ((kept[n] = find_listener(&ix, r)) != NULL) {
			if (listener_family(kept[n]) ==
			    addr_family(&r->listen))
				continue;
			/* Only a passed socket, kept by name, can differ. */
			log_warnx("reload: rule %s: its socket-activated "
			    "listener is of another address family: the "
			    "running configuration stays in force", r->name);
			goto undo;
		}
		if ((l = listener_new(px, g, r, -1)) == NULL) {
			log_warnx("reload: rule %s: cannot listen: the "
			    "running configuration stays in force", r->name);
			goto undo;
		}
		*listener_next_ptr(l) = fresh;
		fresh = l;
		nnew++;
	}
	/* Retire what the new file dropped, retarget what it kept. */
	for (i = 0; i < n; i++)
		if (kept[i] != NULL)
			sorted[nsorted++] = kept[i];
	qsort(sorted, nsorted, sizeof(*sorted), by_ptr);
	for (l = px->listeners; l != NULL; l = listener_next(l))
		if (!listener_retired(l) && bsearch(&l, sorted, nsorted,
		    sizeof(*sorted), by_ptr) == NULL) {
			listener_retire(l);
			nremoved++;
		}
	for (r = conf->rules, i = 0; r != NULL; r = r->next, i++)
		if (kept[i] != NULL) {
			listener_retarget(kept[i], g, r);
			nkept++;
		}
	free(kept);
	free(sorted);
	running_free(&ix);
	tail = &px->listeners;
	while (*tail != NULL)
		tail = listener_next_ptr(*tail);
	*tail = fresh;
	px->gen = g;
	proxy_gen_unref(old);
	apply_globals(px, conf);
	if (now.backend != px->opts->backend)
		log_warnx("reload: event-backend changes only on a restart");
	if (who_changed)
		log_warnx("reload: user and group change only on a restart");
	event_timer_stop(px->loop, &px->stats_timer);
	if (px->stats_interval_ms > 0)
		(void)event_timer_start(px->loop, &px->stats_timer,
		    px->stats_interval_ms);
	sweep(px);
	log_info("reloaded %s: %zu rule(s): %u kept, %u added, %u removed",
	    px->opts->config, conf->nrules, nkept, nnew, nremoved);
	px->status_note[0] = '\0';
	return (0);
undo:
	/* r belongs to g: name it before g goes. */
	snprintf(px->status_note, sizeof(px->status_note),
	    "reload failed: rule %s cannot listen", r->name);
	while ((l = fresh) != NULL) {
		fresh = listener_next(l);
		listener_free(l);
	}
	free(kept);
	free(sorted);
	running_free(&ix);
	proxy_gen_unref(g);
	return (-1);
nomem:
	snprintf(px->status_note, sizeof(px->status_note),
	    "reload failed: out of memory");
	return (-1);
}

/*
 * The service manager learns that a reload runs and, whatever its
 * outcome, that the daemon serves again (with the old rules if the new
 * ones were rejected: the status says so).
 */
static void
reload(struct proxy *px)
{

	if (px->stopping)
		return;
	notify_reloading();
	(void)reload_conf(px);
	notify_send("READY=1");
	stats_notify(px);
}

static void
signal_cb(void *cookie, int revents)
{
	struct proxy *px = cookie;
	unsigned char sigs[16];
	ssize_t n, i;

	while ((n = read(px->sigpipe[0], sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGTERM:
			case SIGINT:
				begin_stop(px, sigs[i]);
				break;
			case SIGUSR1:
				stats_report(px);
				break;
			case SIGHUP:
				if (px->opts->config != NULL)
					reload(px);
				else
					log_info("SIGHUP: no configuration "
					    "file to reload");
				break;
			default:
				break;
			}
		}
	}
}

/* Free retired listeners whose last connection has ended. */
static void
sweep(struct proxy *px)
{
	struct listener *l, **lp;

	for (lp = &px->listeners; (l = *lp) != NULL; ) {
		if (listener_finished(l)) {
			*lp = listener_next(l);
			/* Nothing reaches it now: its socket and timer are
			 * gone, and so are its connections. */
			listener_free(l);
		} else
			lp = listener_next_ptr(l);
	}
}

void
proxy_conn_gone(struct proxy *px)
{

	sweep(px);
	if (px->stopping && px->nconns == 0)
		px->done = 1;
}

static void stats_cb(void *);

static int
signals_init(struct proxy *px)
{
	struct sigaction sa;

	if (pipe2(px->sigpipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("pipe2");
		return (-1);
	}
	sigpipe_w = px->sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	px->sigwatch = event_watch_add(px->loop, px->sigpipe[0], EV_READ,
	    signal_cb, px);
	return (px->sigwatch == NULL ? -1 : 0);
}

static int
proxy_init(struct proxy *px, const struct opts *o, struct conf *conf,
    struct activation *act)
{
	struct listener *l, **tail;
	struct conf_rule *r;

	px->sigpipe[0] = px->sigpipe[1] = -1;
	px->opts = o;
	relay_pool_init(&px->buffers, 0);
	if ((px->gen = gen_new(conf)) == NULL)
		return (-1);
	apply_globals(px, conf);
	event_timer_init(&px->drain_timer, drain_cb, px);
	event_timer_init(&px->stats_timer, stats_cb, px);
	px->stats_last_ms = event_clock_ms();
	if ((px->loop = event_loop_new(o->backend)) == NULL)
		return (-1);
	if (signals_init(px) == -1)
		return (-1);
	if (act != NULL && activation_match(act, conf) == -1)
		return (-1);
	tail = &px->listeners;
	for (r = conf->rules; r != NULL; r = r->next) {
		if ((l = listener_new(px, px->gen, r,
		    activation_take(act, r))) == NULL)
			return (-1);
		*tail = l;
		tail = listener_next_ptr(l);
	}
	log_debug("event backend: %s", event_backend_name(o->backend));
	return (0);
}

struct proxy *
proxy_new(const struct opts *o, struct conf *conf, struct activation *act)
{
	struct proxy *px;

	if ((px = calloc(1, sizeof(*px))) == NULL) {
		log_warn("calloc");
		conf_unref(conf);
		return (NULL);
	}
	if (proxy_init(px, o, conf, act) == -1) {
		proxy_free(px);
		return (NULL);
	}
	return (px);
}

static void
stats_cb(void *cookie)
{
	struct proxy *px = cookie;

	stats_report(px);
	if (event_timer_start(px->loop, &px->stats_timer,
	    px->stats_interval_ms) == -1)
		log_warnx("statistics timer: not rescheduled");
}

void
proxy_ready(struct proxy *px)
{

	if (px->stats_interval_ms > 0)
		(void)event_timer_start(px->loop, &px->stats_timer,
		    px->stats_interval_ms);
	log_info("ready (%s backend)", event_backend_name(px->opts->backend));
	/* A daemon's parent has exited: say who the service is now. */
	if (px->opts->daemonize)
		notify_send("READY=1\nMAINPID=%ld", (long)getpid());
	else
		notify_send("READY=1");
	stats_notify(px);
}

int
proxy_run(struct proxy *px)
{

	while (!px->done)
		if (event_loop_run_once(px->loop, -1) == -1)
			return (-1);
	return (0);
}

static void
proxy_fini(struct proxy *px)
{
	struct listener *l;

	close_all(px, "shutdown");
	while ((l = px->listeners) != NULL) {
		px->listeners = listener_next(l);
		listener_free(l);
	}
	if (px->loop != NULL) {
		event_timer_stop(px->loop, &px->drain_timer);
		event_timer_stop(px->loop, &px->stats_timer);
		event_watch_del(px->loop, px->sigwatch);
		event_loop_free(px->loop);
		px->loop = NULL;
	}
	proxy_gen_unref(px->gen);
	px->gen = NULL;
	/*
	 * The handlers stay until the process is gone: restoring the
	 * default actions here would let a SIGUSR1 or SIGHUP that comes
	 * during the rest of the exit (a burst of them after SIGTERM, or a
	 * slow exit under a sanitizer) kill a daemon that was stopping
	 * cleanly.  From now on on_signal() drops what comes.
	 */
	sigpipe_w = -1;
	if (px->sigpipe[0] != -1) {
		close(px->sigpipe[0]);
		close(px->sigpipe[1]);
	}
}

void
proxy_free(struct proxy *px)
{

	if (px == NULL)
		return;
	proxy_fini(px);
	free(px);
}
