/*
 * control_client: one client of the control socket: its line buffer, the
 * framing of its replies (control.h) and its pace.
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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "control_impl.h"
#include "event.h"
#include "log.h"

#define CMDS_PER_WAKE	8	/* commands answered per wake-up */
#define MAX_WORDS	8

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

void
control_client_close(struct control_client *cl, const char *why)
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

	control_client_close(cookie, "idle");
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
			control_client_close(cl, "read error");
			return;
		}
		if (!next_line(cl))
			break;
		if (flush(cl) == -1) {
			control_client_close(cl, "write error");
			return;
		}
	}
	if (flush(cl) == -1) {
		control_client_close(cl, "write error");
		return;
	}
	if (cl->outoff >= cl->outlen && (cl->closing ||
	    (cl->eof && !has_line(cl)))) {
		control_client_close(cl, cl->closing ? "error" : "done");
		return;
	}
	ev = cl->outoff < cl->outlen || has_line(cl) ? EV_WRITE : EV_READ;
	if (event_watch_set(cl->ctl->loop, cl->w, ev) == -1)
		control_client_close(cl, "out of memory");
}

static void
client_cb(void *cookie, int revents)
{
	struct control_client *cl = cookie;

	if ((revents & EV_ERROR) && cl->outoff >= cl->outlen &&
	    !(revents & EV_READ)) {
		control_client_close(cl, "hangup");
		return;
	}
	serve(cl);
}

int
control_client_start(struct control *ctl, int fd)
{
	struct control_client *cl;

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		log_warn("control: calloc");
		close(fd);
		return (-1);
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
		return (-1);
	}
	if ((cl->next = ctl->clients) != NULL)
		cl->next->prevp = &cl->next;
	ctl->clients = cl;
	cl->prevp = &ctl->clients;
	ctl->nclients++;
	return (0);
}
