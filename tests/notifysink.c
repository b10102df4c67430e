/*
 * vsp-notify: stands in for the service manager's NOTIFY_SOCKET in
 * tests/notify.sh.
 *
 *   vsp-notify PATH|@NAME [--ready-file F] [--timeout S] [--stop-on-ready]
 *
 * Each datagram sent to the socket becomes one line on stdout, "pid=SENDER
 * MESSAGE", with newlines inside as '|' (the sender from SCM_CREDENTIALS,
 * as systemd checks it), so that a test can tell messages apart and see
 * their order.  --ready-file appears once the socket is bound.
 * --stop-on-ready stops the sender of the first READY=1 with SIGSTOP
 * before the line is printed, so that a test can look at what the sender
 * had done when it said it was ready.  After --timeout seconds (default
 * 60) SIGALRM ends it: a forgotten sink must not outlive its test.
 *
 * libc only, like vsp-peer.  Exit status: 64 usage, 71 set-up error;
 * otherwise it runs until killed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* struct ucred */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define DEFAULT_TIMEOUT	60	/* seconds */

struct sink {
	const char *path;		/* PATH, or @NAME: abstract */
	const char *ready;		/* --ready-file */
	unsigned int timeout;		/* --timeout, seconds */
	int stop;			/* --stop-on-ready, until done */
};

static void
usage(void)
{
	printf("usage: vsp-notify PATH|@NAME [--ready-file PATH] "
	    "[--timeout SECONDS]\n"
	    "                  [--stop-on-ready]\n"
	    "print each datagram sent to a UNIX socket (a NOTIFY_SOCKET) "
	    "as\n"
	    "\"pid=SENDER MESSAGE\", newlines inside as '|'\n");
}

static void
sink_args(struct sink *s, int argc, char **argv)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->timeout = DEFAULT_TIMEOUT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage();
			exit(EX_OK);
		} else if (strcmp(argv[i], "--ready-file") == 0 &&
		    i + 1 < argc)
			s->ready = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			s->timeout = (unsigned int)tool_u64("--timeout",
			    argv[++i], 86400);
		else if (strcmp(argv[i], "--stop-on-ready") == 0)
			s->stop = 1;
		else if (s->path == NULL && argv[i][0] != '-')
			s->path = argv[i];
		else
			tool_usage_error("unexpected '%s'", argv[i]);
	}
}

/* The socket, bound, passing credentials; -1 after a warning. */
static int
sink_bind(const char *path)
{
	struct sockaddr_un sun;
	socklen_t len;
	size_t plen;
	int fd, one = 1;

	if (path == NULL || (plen = strlen(path)) < 2 ||
	    plen >= sizeof(sun.sun_path))
		tool_usage_error("a socket PATH or @NAME is needed");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, len) == -1) {
		warnx("%s: %s", path, strerror(errno));
		return (-1);
	}
	return (fd);
}

/* The sender's pid from the credentials, or -1. */
static long
sink_sender(struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct ucred cred;
	long pid = -1;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
			pid = (long)cred.pid;
		}
	return (pid);
}

/* One datagram, one line.  Returns 0, or -1 after a warning. */
static int
sink_one(struct sink *s, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	char buf[4096];
	ssize_t n, i;
	long pid;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf) - 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	if ((n = recvmsg(fd, &mh, 0)) == -1) {
		if (errno == EINTR)
			return (0);
		warnx("recvmsg: %s", strerror(errno));
		return (-1);
	}
	buf[n] = '\0';
	pid = sink_sender(&mh);
	if (s->stop && pid > 0 && (strncmp(buf, "READY=1", 7) == 0 ||
	    strstr(buf, "\nREADY=1") != NULL)) {
		(void)kill((pid_t)pid, SIGSTOP);
		s->stop = 0;	/* the first one only */
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = '|';
	printf("pid=%ld %s\n", pid, buf);
	return (0);
}

int
main(int argc, char **argv)
{
	struct sink s;
	int fd;

	sink_args(&s, argc, argv);
	if ((fd = sink_bind(s.path)) == -1)
		return (EX_OSERR);
	if (s.ready != NULL && tool_publish(s.ready, s.path) == -1)
		return (EX_OSERR);
	alarm(s.timeout);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (sink_one(&s, fd) == 0)
		;
	close(fd);
	return (EX_OSERR);
}
