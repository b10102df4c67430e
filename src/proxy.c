/*
 * proxy: the daemon's main loop, its reload and its shutdown.
 *
 * Signal handlers only write the signal number into a self-pipe; the loop
 * reads it and acts.  SIGTERM/SIGINT close the listeners and let open
 * connections finish for up to --shutdown-timeout; a second one, or the
 * deadline, closes whatever is left.
 *
 * SIGHUP reloads the configuration file: a file with errors changes
 * nothing, and reload.c switches the listeners over as a whole or not at
 * all.  Each listener and connection holds a reference to the
 * configuration its rule came from.  The service manager hears of every
 * step (notify.h): READY=1 once serving, RELOADING=1 and READY=1 around a
 * reload, whatever its outcome, STOPPING=1 when the drain starts.
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
#include "conf.h"
#include "conn.h"
#include "control.h"
#include "event.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "opts.h"
#include "proxy.h"
#include "relay.h"
#include "reload.h"
#include "settings.h"
#include "stats.h"

struct proxy {
	struct event_loop *loop;
	const struct opts *opts;
	struct conf *conf;		/* the configuration in force */
	uint64_t shutdown_timeout_ms;	/* from opts or the file */
	uint64_t stats_interval_ms;
	struct listener *listeners;	/* incl. retired ones in use */
	struct stats stats;
	struct stats_mark mark;		/* where the reported rates start */
	struct relay_pool buffers;	/* every relay's buffer */
	struct conn_env env;		/* what the connections share */
	int sweep_due;			/* a retired listener may be done */
	int stopping;			/* SIGTERM seen: draining */
	int done;			/* leave the loop */
	int sigpipe[2];			/* self-pipe from signal handlers */
	struct event_watch *sigwatch;
	struct event_timer drain_timer;
	struct event_timer stats_timer;
	char status_note[160];		/* why the last reload failed */
	struct control *control;	/* the control socket, if any */
	struct control_env control_env;	/* what its commands read */
};

/* -1 once the loop is gone: a late signal is then dropped, not fatal. */
static volatile sig_atomic_t sigpipe_w = -1;

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno, fd = sigpipe_w;

	if (fd != -1 && write(fd, &b, 1) == -1) {
		/* A full pipe already holds a wake-up: nothing is lost.
		 * (FORTIFY's warn_unused_result ignores a cast to void.) */
	}
	errno = saved;
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
	relay_pool_set_zero_copy(&px->buffers, s.zero_copy);
}

static void
close_all(struct proxy *px, const char *reason)
{
	struct listener *l;

	/* No listener is freed meanwhile: the sweep is deferred. */
	for (l = px->listeners; l != NULL; l = listener_next(l))
		listener_close_conns(l, reason);
}

static void
drain_cb(void *cookie)
{
	struct proxy *px = cookie;

	log_info("shutdown timeout: closing %u connection(s)", px->stats.active);
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
	if (px->stats.active == 0) {
		px->done = 1;
		return;
	}
	log_info("signal %d: draining %u connection(s), up to %llu ms", sig,
	    px->stats.active, (unsigned long long)px->shutdown_timeout_ms);
	if (event_timer_start(px->loop, &px->drain_timer,
	    px->shutdown_timeout_ms) == -1)
		drain_cb(px);
}

static void sweep(struct proxy *);

/* The service manager's STATUS=: the totals, then rule by rule. */
static void
notify(struct proxy *px)
{
	struct listener *l;
	char rules[256];	/* with the rest, within notify's 512 */

	rules[0] = '\0';
	if (notify_active())
		for (l = px->listeners; l != NULL; l = listener_next(l))
			if (!listener_retired(l))
				stats_rule_summary(listener_stats(l),
				    listener_rule(l)->name, rules,
				    sizeof(rules));
	stats_notify(&px->stats, px->status_note, rules);
}

/* The statistics: a line per rule, then the total. */
static void
report(struct proxy *px)
{
	struct listener *l;

	for (l = px->listeners; l != NULL; l = listener_next(l))
		stats_report_rule(listener_stats(l), listener_rule(l)->name);
	stats_report(&px->stats, &px->mark, &px->buffers);
	notify(px);
}
static void listener_gone(void *, struct listener *);

static void
conf_error(void *cookie, const char *msg)
{

	log_warnx("reload: %s", msg);
}

static int
same_name(const char *a, const char *b)
{

	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* The file again, or NULL (logged, said in status_note) if rejected. */
static struct conf *
reload_load(struct proxy *px)
{
	const char *path = px->opts->config;
	struct conf *conf;

	log_info("SIGHUP: reloading %s", path);
	if ((conf = conf_load(path, conf_error, px)) == NULL) {
		log_warnx("reload: %s has errors: the running configuration "
		    "stays in force", path);
		snprintf(px->status_note, sizeof(px->status_note),
		    "reload failed: %s has errors", path);
		return (NULL);
	}
	/*
	 * An empty file is valid, but as a reload it is far more often a
	 * rewrite in place caught half-way, or a drop-in directory emptied
	 * by mistake, than a wish to take every guest offline.
	 */
	if (conf->nrules == 0 && px->conf->nrules > 0) {
		log_warnx("reload: %s has no rule: rejected, the running "
		    "configuration (%zu rule(s)) stays in force; a reload "
		    "never removes the last rule, stopping the daemon does",
		    path, px->conf->nrules);
		snprintf(px->status_note, sizeof(px->status_note),
		    "reload failed: %s has no rule", path);
		conf_unref(conf);
		return (NULL);
	}
	return (conf);
}

/*
 * Load the file again and switch to it, or change nothing; -1 (logged,
 * and said in px->status_note) if the file is rejected.
 */
static int
reload_conf(struct proxy *px)
{
	struct conf *conf, *old = px->conf;
	struct reload_counts n;
	struct settings now, was;
	int who_changed, control_changed;

	if ((conf = reload_load(px)) == NULL)
		return (-1);
	/* The process switched (or not) at start-up, for good. */
	settings_merge(&now, &px->opts->settings, &conf->settings);
	settings_merge(&was, &px->opts->settings, &old->settings);
	who_changed = !same_name(now.user, was.user) ||
	    !same_name(now.group, was.group);
	control_changed = !same_name(now.control, was.control);
	if (reload_listeners(&px->listeners, conf, &px->env, listener_gone, px,
	    &n, px->status_note, sizeof(px->status_note)) == -1) {
		conf_unref(conf);
		return (-1);
	}
	px->conf = conf;
	conf_unref(old);
	apply_globals(px, conf);
	if (now.backend != px->opts->backend)
		log_warnx("reload: event-backend changes only on a restart");
	if (who_changed)
		log_warnx("reload: user and group change only on a restart");
	if (control_changed)
		log_warnx("reload: the control socket changes only on a "
		    "restart");
	event_timer_stop(px->loop, &px->stats_timer);
	if (px->stats_interval_ms > 0)
		(void)event_timer_start(px->loop, &px->stats_timer,
		    px->stats_interval_ms);
	sweep(px);
	log_info("reloaded %s: %zu rule(s): %u kept, %u added, %u removed",
	    px->opts->config, conf->nrules, n.kept, n.added, n.removed);
	px->status_note[0] = '\0';
	return (0);
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
	notify(px);
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
				report(px);
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

static void
sweep_cb(void *cookie)
{
	struct proxy *px = cookie;

	px->sweep_due = 0;
	sweep(px);
}

/*
 * A connection of l ended.  We are inside l's own call, so a retired
 * listener left empty is freed later, after the batch.  (If even that
 * cannot be arranged, out of memory, the next reload frees it.)
 */
static void
listener_gone(void *cookie, struct listener *l)
{
	struct proxy *px = cookie;

	if (listener_finished(l) && !px->sweep_due &&
	    event_defer(px->loop, sweep_cb, px) == 0)
		px->sweep_due = 1;
	if (px->stopping && px->stats.active == 0)
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
	px->conf = conf;
	relay_pool_init(&px->buffers, 0);
	apply_globals(px, conf);
	event_timer_init(&px->drain_timer, drain_cb, px);
	event_timer_init(&px->stats_timer, stats_cb, px);
	stats_mark(&px->stats, &px->mark);
	if ((px->loop = event_loop_new(o->backend)) == NULL)
		return (-1);
	px->env.loop = px->loop;
	px->env.stats = &px->stats;
	px->env.buffers = &px->buffers;
	if (signals_init(px) == -1)
		return (-1);
	if (act != NULL && activation_match(act, conf) == -1)
		return (-1);
	tail = &px->listeners;
	for (r = conf->rules; r != NULL; r = r->next) {
		if ((l = listener_new(&px->env, conf, r,
		    activation_take(act, r), listener_gone, px)) == NULL)
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

	report(px);
	if (event_timer_start(px->loop, &px->stats_timer,
	    px->stats_interval_ms) == -1)
		log_warnx("statistics timer: not rescheduled");
}

/* The control socket's "reload": as SIGHUP, with the outcome. */
static int
control_reload(void *cookie, char *why, size_t whylen)
{
	struct proxy *px = cookie;

	if (px->opts->config == NULL) {
		snprintf(why, whylen, "reload failed: no configuration "
		    "file (the rule is on the command line)");
		return (-1);
	}
	if (px->stopping) {
		snprintf(why, whylen, "reload failed: stopping");
		return (-1);
	}
	reload(px);
	if (px->status_note[0] != '\0') {
		snprintf(why, whylen, "%s", px->status_note);
		return (-1);
	}
	return (0);
}

int
proxy_control(struct proxy *px)
{
	struct control_env *env = &px->control_env;
	struct settings s;

	settings_merge(&s, &px->opts->settings, &px->conf->settings);
	if (s.control == NULL)
		return (0);
	env->loop = px->loop;
	env->listeners = &px->listeners;
	env->conf = &px->conf;
	env->cli = &px->opts->settings;
	env->stats = &px->stats;
	env->buffers = &px->buffers;
	env->reload = control_reload;
	env->cookie = px;
	px->control = control_new(env, s.control);
	return (px->control == NULL ? -1 : 0);
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
	notify(px);
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

	control_free(px->control);
	px->control = NULL;
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
	relay_pool_fini(&px->buffers);	/* the spare pipes */
	conf_unref(px->conf);
	px->conf = NULL;
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
