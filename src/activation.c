/*
 * activation: take over the sockets of socket activation.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "addr.h"
#include "conf.h"
#include "log.h"

/* Far more than any socket unit passes; bounds a corrupt LISTEN_FDS. */
#define ACTIVATION_MAX_FDS	1024

struct activation_fd {
	int num;			/* its number, for messages */
	int fd;				/* -1 once taken or closed */
	char *name;
	const struct conf_rule *rule;	/* given to, by activation_match() */
};

struct activation {
	struct activation_fd *fds;
	size_t nfds;
};

static int
parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return (-1);
	*out = v;
	return (0);
}

static void
unset_all(void)
{

	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}

void
activation_free(struct activation *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nfds; i++) {
		if (a->fds[i].fd != -1)
			close(a->fds[i].fd);
		free(a->fds[i].name);
	}
	free(a->fds);
	free(a);
}

/* Names missing from LISTEN_FDNAMES are "unknown", as in libsystemd. */
static int
set_names(struct activation *a, const char *names)
{
	const char *p = names, *colon;
	size_t i, len;

	for (i = 0; i < a->nfds; i++) {
		if (p != NULL) {
			colon = strchr(p, ':');
			len = colon != NULL ? (size_t)(colon - p) : strlen(p);
			a->fds[i].name = strndup(p, len);
			p = colon != NULL ? colon + 1 : NULL;
		} else
			a->fds[i].name = strdup("unknown");
		if (a->fds[i].name == NULL) {
			log_warn("socket activation: strdup");
			return (-1);
		}
	}
	if (p != NULL)
		log_warnx("socket activation: LISTEN_FDNAMES has more names "
		    "than the %zu socket(s): the rest are ignored", a->nfds);
	return (0);
}

struct activation *
activation_init(void)
{
	struct activation *a = NULL;
	const char *pidstr, *fdstr;
	long pid, n;
	size_t i;
	int fl;

	pidstr = getenv("LISTEN_PID");
	fdstr = getenv("LISTEN_FDS");
	if (pidstr == NULL || fdstr == NULL)
		goto out;
	if (parse_num(pidstr, LONG_MAX, &pid) == -1 ||
	    parse_num(fdstr, ACTIVATION_MAX_FDS, &n) == -1) {
		log_warnx("socket activation: LISTEN_PID=%s LISTEN_FDS=%s: "
		    "invalid: ignored", pidstr, fdstr);
		goto out;
	}
	/* Inherited from a parent that was activated: not ours. */
	if (pid != (long)getpid() || n == 0)
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->fds = calloc((size_t)n, sizeof(*a->fds))) == NULL) {
		log_warn("socket activation: calloc");
		goto fail;
	}
	a->nfds = (size_t)n;
	for (i = 0; i < a->nfds; i++)
		a->fds[i].fd = a->fds[i].num = ACTIVATION_FD_START + (int)i;
	if (set_names(a, getenv("LISTEN_FDNAMES")) == -1)
		goto fail;
	for (i = 0; i < a->nfds; i++) {
		if ((fl = fcntl(a->fds[i].fd, F_GETFD)) == -1 ||
		    fcntl(a->fds[i].fd, F_SETFD, fl | FD_CLOEXEC) == -1 ||
		    (fl = fcntl(a->fds[i].fd, F_GETFL)) == -1 ||
		    fcntl(a->fds[i].fd, F_SETFL, fl | O_NONBLOCK) == -1) {
			log_warn("socket activation: fd %d (name %s)",
			    a->fds[i].num, a->fds[i].name);
			/* Not ours to close: it may not even be open. */
			a->fds[i].fd = -1;
		}
	}
	log_debug("socket activation: %zu socket(s)", a->nfds);
	goto out;
fail:
	/* The descriptors stay open: nothing here knows what they are. */
	if (a != NULL) {
		for (i = 0; i < a->nfds; i++)
			a->fds[i].fd = -1;
		activation_free(a);
		a = NULL;
	}
out:
	unset_all();
	return (a);
}

/* A name systemd gives when the unit sets no FileDescriptorName=. */
static int
default_name(const char *name)
{
	size_t len = strlen(name);

	return (len == 0 || strcmp(name, "unknown") == 0 ||
	    (len > 7 && strcmp(name + len - 7, ".socket") == 0));
}

/* The socket can serve rule r: listening, of its family and type. */
static int
check_socket(const struct activation_fd *f, const struct conf_rule *r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char have[ADDR_STRLEN], want[ADDR_STRLEN];
	int type, listening;
	socklen_t olen;

	addr_format(&r->listen, want, sizeof(want));
	memset(&ss, 0, sizeof(ss));
	if (f->fd == -1 ||
	    getsockname(f->fd, (struct sockaddr *)&ss, &len) == -1) {
		log_warn("socket-activated fd %d (name %s) for rule %s: "
		    "not a socket", f->num, f->name, r->name);
		return (-1);
	}
	addr_format_sa((struct sockaddr *)&ss, len, have, sizeof(have));
	if (ss.ss_family != addr_family(&r->listen)) {
		log_warnx("socket-activated fd %d (name %s) is %s, but rule "
		    "%s listens on %s: wrong address family", f->num, f->name,
		    have, r->name, want);
		return (-1);
	}
	olen = sizeof(type);
	if (getsockopt(f->fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1)
		type = -1;
	if (type != r->listen.type) {
		log_warnx("socket-activated fd %d (name %s, %s) for rule %s: "
		    "a %s socket, but the rule listens on %s (a %s socket)",
		    f->num, f->name, have, r->name, addr_type_name(type),
		    want, addr_type_name(r->listen.type));
		return (-1);
	}
	olen = sizeof(listening);
	if (getsockopt(f->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &olen) == -1 || !listening) {
		log_warnx("socket-activated fd %d (name %s, %s) for rule %s: "
		    "not listening", f->num, f->name, have, r->name);
		return (-1);
	}
	return (0);
}

int
activation_match(struct activation *a, const struct conf *conf)
{
	struct activation_fd *f;
	const struct conf_rule *r;
	size_t i, j;

	for (i = 0; i < a->nfds; i++) {
		f = &a->fds[i];
		r = conf_find_rule(conf, f->name);
		if (r == NULL && a->nfds == 1 && conf->nrules == 1 &&
		    default_name(f->name))
			r = conf->rules;
		if (r == NULL) {
			log_warnx("socket-activated fd %d (name %s): no rule "
			    "of that name: closed", f->num, f->name);
			if (f->fd != -1)
				close(f->fd);
			f->fd = -1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (a->fds[j].rule == r) {
				log_warnx("socket-activated fd %d (name %s): "
				    "rule %s already has fd %d", f->num,
				    f->name, r->name, a->fds[j].num);
				return (-1);
			}
		if (check_socket(f, r) == -1)
			return (-1);
		f->rule = r;
	}
	return (0);
}

int
activation_take(struct activation *a, const struct conf_rule *r)
{
	size_t i;
	int fd;

	if (a == NULL)
		return (-1);
	for (i = 0; i < a->nfds; i++)
		if (a->fds[i].rule == r && a->fds[i].fd != -1) {
			fd = a->fds[i].fd;
			a->fds[i].fd = -1;
			return (fd);
		}
	return (-1);
}
