/*
 * control: the control socket (control.h): a UNIX socket bound with mode
 * 0600, and who may come in: root and the daemon's own user, by their
 * credentials (SO_PEERCRED), at most CONTROL_CLIENTS at once.  Anyone
 * else is closed at once, in a log line of at most RATELIM_BURST per
 * interval; the sessions are control_client.c's, the commands
 * control_cmd.c's.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "control.h"
#include "control_impl.h"
#include "event.h"
#include "log.h"
#include "ratelim.h"
#include "sock.h"

#define ACCEPT_BATCH	4	/* clients accepted per wake-up */
#define REST_MS		250	/* no accept after running out of fds */

/* Refusals. */

static void
summary(struct control *ctl)
{
	char from[sizeof(ctl->refusals.from) + 16];
	uint64_t n;

	event_timer_stop(ctl->loop, &ctl->quiet);
	n = ratelim_flush(&ctl->refusals, event_now(ctl->loop), from,
	    sizeof(from));
	if (n > 0)
		log_info("control: %llu more refusal(s) of %s suppressed",
		    (unsigned long long)n, from);
}

static void
quiet_cb(void *cookie)
{

	summary(cookie);
}

/* A refusal's log line, at most RATELIM_BURST per interval. */
static void
refusal(struct control *ctl, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refusal(struct control *ctl, const char *who, const char *fmt, ...)
{
	uint64_t now = event_now(ctl->loop);
	char line[256];
	va_list ap;

	if (!ratelim_allow(&ctl->refusals, now, who)) {
		if (ctl->refusals.held == 1 && event_timer_start(ctl->loop,
		    &ctl->quiet, ratelim_due(&ctl->refusals) - now) == -1)
			summary(ctl);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("control: %s", line);
}

/* Root or our own user; others are told nothing and logged. */
static int
allowed(struct control *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char who[64];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		return (0);
	}
	if (cred.uid == 0 || cred.uid == ctl->uid)
		return (1);
	snprintf(who, sizeof(who), "uid %lu", (unsigned long)cred.uid);
	refusal(ctl, who, "refused %s (pid %ld): only root and uid %lu may "
	    "use the control socket", who, (long)cred.pid,
	    (unsigned long)ctl->uid);
	return (0);
}


static void
client_new(struct control *ctl, int fd)
{
	static const char busy[] = "error: too many control clients\n.\n";

	if (ctl->nclients >= CONTROL_CLIENTS) {
		(void)send(fd, busy, sizeof(busy) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		refusal(ctl, "clients over the limit", "%u clients already: "
		    "one more turned away", ctl->nclients);
		close(fd);
		return;
	}
	if (control_client_start(ctl, fd) == 0)
		log_debug("control: client %u connected", ctl->nclients);
}

static void accept_cb(void *, int);

/* The pause is over: watch the socket again. */
static void
rest_cb(void *cookie)
{
	struct control *ctl = cookie;

	if (event_watch_set(ctl->loop, ctl->w, EV_READ) == -1)
		log_warnx("control: not accepting: out of memory");
}

/*
 * Out of descriptors (the relays may have taken them all): a waiting
 * client would make the socket readable forever, so stop watching it
 * for a while, as listeners do, and say so once per episode.
 */
static void
rest(struct control *ctl)
{

	if (!ctl->warned)
		log_warn("control: accept (pausing %d ms until descriptors "
		    "free up)", REST_MS);
	ctl->warned = 1;
	if (event_watch_set(ctl->loop, ctl->w, 0) == -1 ||
	    event_timer_start(ctl->loop, &ctl->rest, REST_MS) == -1)
		rest_cb(ctl);
}

static void
accept_cb(void *cookie, int revents)
{
	struct control *ctl = cookie;
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				rest(ctl);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		ctl->warned = 0;
		if (!allowed(ctl, fd)) {
			close(fd);
			continue;
		}
		client_new(ctl, fd);
	}
}

struct control *
control_new(const struct control_env *env, const char *path)
{
	struct control *ctl;
	char spec[ADDR_STRLEN], why[256];
	mode_t old;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		log_warn("control: calloc");
		return (NULL);
	}
	ctl->env = *env;
	ctl->loop = env->loop;
	ctl->fd = -1;
	ctl->uid = geteuid();
	ratelim_init(&ctl->refusals);
	event_timer_init(&ctl->quiet, quiet_cb, ctl);
	event_timer_init(&ctl->rest, rest_cb, ctl);
	snprintf(spec, sizeof(spec), "unix:%s", path);
	if (addr_parse_flags(spec, ADDR_LISTEN, ADDR_ABSOLUTE, &ctl->addr,
	    why, sizeof(why)) == -1) {
		log_warnx("control socket %s: %s", path, why);
		goto fail;
	}
	/* 0600 from the start: no moment where others could connect. */
	old = umask(0177);
	ctl->fd = sock_listen(&ctl->addr, 16);
	umask(old);
	if (ctl->fd == -1)
		goto fail;
	if ((ctl->w = event_watch_add(ctl->loop, ctl->fd, EV_READ, accept_cb,
	    ctl)) == NULL)
		goto fail;
	log_info("control socket on unix:%s (root and uid %lu)", path,
	    (unsigned long)ctl->uid);
	return (ctl);
fail:
	control_free(ctl);
	return (NULL);
}

void
control_free(struct control *ctl)
{

	if (ctl == NULL)
		return;
	while (ctl->clients != NULL)
		control_client_close(ctl->clients, "shutdown");
	summary(ctl);
	event_timer_stop(ctl->loop, &ctl->rest);
	event_watch_del(ctl->loop, ctl->w);
	if (ctl->fd != -1) {
		close(ctl->fd);
		/* Ours, unless replaced meanwhile (sock_unlink_stale()). */
		(void)sock_unlink_stale(&ctl->addr);
	}
	free(ctl);
}
