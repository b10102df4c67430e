/*
 * control: the control socket's clients, their buffers and the framing
 * of the line protocol (control.h); the commands are control_cmd.c's.
 *
 * A client is served one command at a time: its next line is looked at
 * only once the reply to the last one has gone out, so that a client
 * costs at most a line buffer and one reply, whatever it sends, and one
 * that never reads stops being read from (and is closed once idle for
 * CONTROL_IDLE_MS).  Lines already buffered when a reply goes out are
 * taken up on the next round of the loop (by watching for writability),
 * at most CMDS_PER_WAKE per round, so a client that sends a thousand
 * commands in one write shares the loop with the relays.
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
#include "event.h"
#include "log.h"
#include "ratelim.h"
#include "sock.h"

#define ACCEPT_BATCH	4	/* clients accepted per wake-up */
#define CMDS_PER_WAKE	8	/* commands answered per wake-up */
#define MAX_WORDS	8

struct control_client {
	struct control *ctl;
	int fd;
	struct event_watch *w;
	struct event_timer idle;
	char in[CONTROL_LINE_MAX];
	size_t inlen;
	char *out;			/* NULL while nothing is pending */
	size_t outlen, outoff, outcap;
	size_t reply_start;		/* where the reply being built is */
	int overflow;			/* it passed CONTROL_REPLY_MAX */
	int errored;			/* control_error() answered */
	int eof;			/* the client sent all it will */
	int closing;			/* close once the output is out */
	struct control_client *next, **prevp;
};

struct control {
	struct control_env env;
	struct event_loop *loop;
	struct addr addr;
	int fd;
	struct event_watch *w;
	struct control_client *clients;
	unsigned int nclients;
	uid_t uid;			/* ours: who may come, with root */
	struct ratelim refusals;
	struct event_timer quiet;
};

static void client_cb(void *, int);

/* Words. */

int
control_split(char *line, char **av, int max)
{
	int ac = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (ac == max)
			return (-1);
		av[ac++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return (ac);
}

/* Output. */

static int
reserve(struct control_client *cl, size_t more)
{
	size_t cap;
	char *n;

	if (cl->outlen + more <= cl->outcap)
		return (0);
	cap = cl->outcap > 0 ? cl->outcap : 4096;
	while (cap < cl->outlen + more)
		cap *= 2;
	if ((n = realloc(cl->out, cap)) == NULL) {
		log_warn("control: realloc");
		return (-1);
	}
	cl->out = n;
	cl->outcap = cap;
	return (0);
}

/*
 * Append len bytes of text as lines, each with its "\n", dot-stuffed
 * unless it is the terminator.
 */
static void
append_lines(struct control_client *cl, const char *s, size_t len,
    int stuff)
{
	const char *nl, *end = s + len;
	size_t n;

	if (cl->overflow || cl->closing)
		return;
	for (;;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl != NULL ? nl : end) - s);
		if (cl->outlen - cl->reply_start + n + 2 > CONTROL_REPLY_MAX) {
			cl->overflow = 1;
			return;
		}
		if (reserve(cl, n + 2) == -1) {
			cl->closing = 1;
			return;
		}
		if (stuff && n > 0 && s[0] == '.')
			cl->out[cl->outlen++] = '.';
		memcpy(cl->out + cl->outlen, s, n);
		cl->outlen += n;
		cl->out[cl->outlen++] = '\n';
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

static void
append(struct control_client *cl, const char *s, size_t len)
{

	append_lines(cl, s, len, 1);
}

/* The end of a reply: a line with a single ".". */
static void
terminate(struct control_client *cl)
{

	cl->overflow = 0;
	append_lines(cl, ".", 1, 0);
}

static void
vappend(struct control_client *cl, const char *prefix, const char *fmt,
    va_list ap)
{
	char buf[1024], *big = NULL;
	size_t pl = strlen(prefix);
	va_list aq;
	int n;

	va_copy(aq, ap);
	memcpy(buf, prefix, pl);
	n = vsnprintf(buf + pl, sizeof(buf) - pl, fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(buf) - pl &&
	    (big = malloc(pl + (size_t)n + 1)) != NULL) {
		memcpy(big, prefix, pl);
		(void)vsnprintf(big + pl, (size_t)n + 1, fmt, aq);
	}
	va_end(aq);
	if (n >= 0)
		append(cl, big != NULL ? big : buf, big != NULL ?
		    pl + (size_t)n : strlen(buf));
	free(big);
}

void
control_printf(struct control_client *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->errored)
		return;
	va_start(ap, fmt);
	vappend(cl, "", fmt, ap);
	va_end(ap);
}

void
control_error(struct control_client *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->errored)
		return;
	cl->outlen = cl->reply_start;
	cl->overflow = 0;
	cl->errored = 1;
	va_start(ap, fmt);
	vappend(cl, "error: ", fmt, ap);
	va_end(ap);
}

/* Clients. */

static void
client_close(struct control_client *cl, const char *why)
{
	struct control *ctl = cl->ctl;

	log_debug("control: client closed (%s)", why);
	event_timer_stop(ctl->loop, &cl->idle);
	event_watch_del(ctl->loop, cl->w);
	close(cl->fd);
	if ((*cl->prevp = cl->next) != NULL)
		cl->next->prevp = cl->prevp;
	ctl->nclients--;
	free(cl->out);
	/* Its watch may still have an event in this batch. */
	if (event_defer(ctl->loop, free, cl) == -1)
		free(cl);
}

static void
idle_cb(void *cookie)
{

	client_close(cookie, "idle");
}

static void
touch(struct control_client *cl)
{

	event_timer_stop(cl->ctl->loop, &cl->idle);
	if (event_timer_start(cl->ctl->loop, &cl->idle, CONTROL_IDLE_MS) ==
	    -1)
		cl->closing = 1;
}

/* One command line, answered into the output buffer. */
static void
run_line(struct control_client *cl, char *line)
{
	char *av[MAX_WORDS];
	int ac;

	cl->reply_start = cl->outlen;
	cl->overflow = cl->errored = 0;
	if ((ac = control_split(line, av, MAX_WORDS)) == -1)
		control_error(cl, "too many words");
	else if (ac > 0)
		control_command(&cl->ctl->env, cl, ac, av);
	else
		return;		/* an empty line: no reply */
	if (cl->overflow && !cl->errored)
		control_error(cl, "reply longer than %d bytes: not sent",
		    CONTROL_REPLY_MAX);
	terminate(cl);
}

/*
 * The next whole line in the input, handed to run_line(); 0 if there
 * was none.  A line that cannot fit the buffer, or that has a NUL byte,
 * gets an error and ends the session: the rest of it is no command.
 */
static int
next_line(struct control_client *cl)
{
	char *nl, line[CONTROL_LINE_MAX + 1];
	size_t n;

	nl = memchr(cl->in, '\n', cl->inlen);
	if (nl == NULL && !(cl->eof && cl->inlen > 0)) {
		if (cl->inlen == sizeof(cl->in)) {
			cl->reply_start = cl->outlen;
			cl->errored = 0;
			control_error(cl, "line longer than %d bytes",
			    CONTROL_LINE_MAX - 1);
			terminate(cl);
			cl->closing = 1;
			cl->inlen = 0;
			return (1);
		}
		return (0);
	}
	n = nl != NULL ? (size_t)(nl - cl->in) : cl->inlen;
	memcpy(line, cl->in, n);
	line[n] = '\0';
	cl->inlen -= nl != NULL ? n + 1 : n;
	memmove(cl->in, cl->in + (nl != NULL ? n + 1 : n), cl->inlen);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (strlen(line) != n) {
		cl->reply_start = cl->outlen;
		cl->errored = 0;
		control_error(cl, "NUL byte in a command");
		terminate(cl);
		cl->closing = 1;
		return (1);
	}
	run_line(cl, line);
	return (1);
}

/* Send what is pending; -1 if the client is gone. */
static int
flush(struct control_client *cl)
{
	ssize_t n;

	while (cl->outoff < cl->outlen) {
		n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n == -1)
			return (-1);
		cl->outoff += (size_t)n;
		touch(cl);
	}
	/* Drained: an idle client holds no output buffer. */
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = cl->outcap = 0;
	cl->reply_start = 0;
	return (0);
}

static int
has_line(const struct control_client *cl)
{

	return (memchr(cl->in, '\n', cl->inlen) != NULL ||
	    cl->inlen == sizeof(cl->in) || (cl->eof && cl->inlen > 0));
}

/* Read what fits the line buffer; -1 on an error. */
static int
fill(struct control_client *cl)
{
	ssize_t n;

	if (cl->eof || cl->inlen == sizeof(cl->in))
		return (0);
	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen,
	    MSG_DONTWAIT);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1);
	if (n == 0)
		cl->eof = 1;
	cl->inlen += (size_t)n;
	touch(cl);
	return (0);
}

/*
 * Serve a client as far as it goes now: read only while no reply is
 * pending, answer at most CMDS_PER_WAKE lines, send.  Then watch for
 * what comes next: writability while a reply or a buffered line waits
 * (a line is taken up on the next round), readability otherwise.
 */
static void
serve(struct control_client *cl)
{
	int i, ev;

	for (i = 0; i < CMDS_PER_WAKE && !cl->closing; i++) {
		if (cl->outoff < cl->outlen)
			break;
		if (!has_line(cl) && fill(cl) == -1) {
			client_close(cl, "read error");
			return;
		}
		if (!next_line(cl))
			break;
		if (flush(cl) == -1) {
			client_close(cl, "write error");
			return;
		}
	}
	if (flush(cl) == -1) {
		client_close(cl, "write error");
		return;
	}
	if (cl->outoff >= cl->outlen && (cl->closing ||
	    (cl->eof && !has_line(cl)))) {
		client_close(cl, cl->closing ? "error" : "done");
		return;
	}
	ev = cl->outoff < cl->outlen || has_line(cl) ? EV_WRITE : EV_READ;
	if (event_watch_set(cl->ctl->loop, cl->w, ev) == -1)
		client_close(cl, "out of memory");
}

static void
client_cb(void *cookie, int revents)
{
	struct control_client *cl = cookie;

	if ((revents & EV_ERROR) && cl->outoff >= cl->outlen &&
	    !(revents & EV_READ)) {
		client_close(cl, "hangup");
		return;
	}
	serve(cl);
}

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

/* Root or our own user; others are told nothing and logged. */
static int
allowed(struct control *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint64_t now = event_now(ctl->loop);
	char who[64];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		return (0);
	}
	if (cred.uid == 0 || cred.uid == ctl->uid)
		return (1);
	snprintf(who, sizeof(who), "uid %lu", (unsigned long)cred.uid);
	if (ratelim_allow(&ctl->refusals, now, who))
		log_info("control: refused %s (pid %ld): only root and uid "
		    "%lu may use the control socket", who, (long)cred.pid,
		    (unsigned long)ctl->uid);
	else if (ctl->refusals.held == 1 && event_timer_start(ctl->loop,
	    &ctl->quiet, ratelim_due(&ctl->refusals) - now) == -1)
		summary(ctl);
	return (0);
}

static void
client_new(struct control *ctl, int fd)
{
	static const char busy[] = "error: too many control clients\n.\n";
	struct control_client *cl;

	if (ctl->nclients >= CONTROL_CLIENTS) {
		(void)send(fd, busy, sizeof(busy) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		log_info("control: %u clients already: one more turned away",
		    ctl->nclients);
		close(fd);
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		log_warn("control: calloc");
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->fd = fd;
	event_timer_init(&cl->idle, idle_cb, cl);
	if ((cl->w = event_watch_add(ctl->loop, fd, EV_READ, client_cb,
	    cl)) == NULL || event_timer_start(ctl->loop, &cl->idle,
	    CONTROL_IDLE_MS) == -1) {
		event_watch_del(ctl->loop, cl->w);
		close(fd);
		free(cl);
		return;
	}
	if ((cl->next = ctl->clients) != NULL)
		cl->next->prevp = &cl->next;
	ctl->clients = cl;
	cl->prevp = &ctl->clients;
	ctl->nclients++;
	log_debug("control: client %u connected", ctl->nclients);
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
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
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
		client_close(ctl->clients, "shutdown");
	summary(ctl);
	event_watch_del(ctl->loop, ctl->w);
	if (ctl->fd != -1) {
		close(ctl->fd);
		/* Ours, unless replaced meanwhile (sock_unlink_stale()). */
		(void)sock_unlink_stale(&ctl->addr);
	}
	free(ctl);
}
