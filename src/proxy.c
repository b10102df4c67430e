/*
 * proxy: the daemon's main loop and its shutdown.
 *
 * Signal handlers only write the signal number into a self-pipe; the loop
 * reads it and acts.  SIGTERM/SIGINT close the listeners and let open
 * connections finish for up to --shutdown-timeout; a second one, or the
 * deadline, closes whatever is left.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "event.h"
#include "listener.h"
#include "log.h"
#include "opts.h"
#include "proxy.h"
#include "stats.h"

static int sigpipe_w = -1;

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	(void)write(sigpipe_w, &b, 1);
	errno = saved;
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
	for (l = px->listeners; l != NULL; l = listener_next(l))
		listener_close(l);
	if (px->nconns == 0) {
		px->done = 1;
		return;
	}
	log_info("signal %d: draining %u connection(s), up to %llu ms", sig,
	    px->nconns, (unsigned long long)px->opts->shutdown_timeout_ms);
	if (event_timer_start(px->loop, &px->drain_timer,
	    px->opts->shutdown_timeout_ms) == -1)
		drain_cb(px);
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
			default:
				break;
			}
		}
	}
}

void
proxy_conn_gone(struct proxy *px)
{

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
	px->sigwatch = event_watch_add(px->loop, px->sigpipe[0], EV_READ,
	    signal_cb, px);
	return (px->sigwatch == NULL ? -1 : 0);
}

int
proxy_init(struct proxy *px, const struct opts *o)
{
	struct listener *l;

	memset(px, 0, sizeof(*px));
	px->sigpipe[0] = px->sigpipe[1] = -1;
	px->opts = o;
	event_timer_init(&px->drain_timer, drain_cb, px);
	event_timer_init(&px->stats_timer, stats_cb, px);
	px->stats_last_ms = event_clock_ms();
	if ((px->loop = event_loop_new(o->backend)) == NULL)
		return (-1);
	if (signals_init(px) == -1)
		return (-1);
	if ((l = listener_new(px, &o->rule)) == NULL)
		return (-1);
	px->listeners = l;
	log_debug("event backend: %s", event_backend_name(o->backend));
	return (0);
}

static void
stats_cb(void *cookie)
{
	struct proxy *px = cookie;

	stats_report(px);
	if (event_timer_start(px->loop, &px->stats_timer,
	    px->opts->stats_interval_ms) == -1)
		log_warnx("statistics timer: not rescheduled");
}

void
proxy_ready(struct proxy *px)
{

	if (px->opts->stats_interval_ms > 0)
		(void)event_timer_start(px->loop, &px->stats_timer,
		    px->opts->stats_interval_ms);
	log_info("ready (%s backend)", event_backend_name(px->opts->backend));
}

int
proxy_run(struct proxy *px)
{

	while (!px->done)
		if (event_loop_run_once(px->loop, -1) == -1)
			return (-1);
	return (0);
}

void
proxy_fini(struct proxy *px)
{
	struct listener *l;
	struct sigaction sa;

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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	sigpipe_w = -1;
	if (px->sigpipe[0] != -1) {
		close(px->sigpipe[0]);
		close(px->sigpipe[1]);
	}
}
