/*
 * vsockproxyctl: the client of vsockproxy's control socket (control.h
 * has the protocol): send one command, print the reply without its
 * framing.  libc only, on purpose: none of the daemon's code, so that
 * it stays a small tool that cannot share the daemon's bugs.
 *
 * Exit status: 0 when the command succeeded, 1 when the daemon answered
 * "error: ...", 64 on bad usage, 69 (EX_UNAVAILABLE) when the daemon
 * cannot be reached or ends the session without a whole reply.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
#define DEFAULT_SOCKET	RUNSTATEDIR "/vsockproxy/control.sock"

#define EXIT_ERROR	1
#define EXIT_USAGE	64
#define EXIT_UNAVAIL	69
#define LINE_MAX_	1024	/* the daemon's CONTROL_LINE_MAX */
#define TIMEOUT_S	30

static const char usage[] =
"usage: vsockproxyctl [-s PATH] COMMAND [ARG...]\n"
"\n"
"Commands (see vsockproxyctl(8)):\n"
"  show connections   open connections: id rule peer target age bytes state\n"
"  show rules         the rules in force, their limits and counters\n"
"  show config        the effective configuration, as vsockproxy -T\n"
"  show stats         the statistics line's counters\n"
"  metrics            counters in the Prometheus text format\n"
"  close ID           close connection ID\n"
"  reload             reload the configuration file\n"
"  help               the daemon's list of commands\n"
"\n"
"Options:\n"
"  -s PATH            the control socket (" DEFAULT_SOCKET ")\n"
"  -h                 show this help\n"
"\n"
"Exit status: 0 on success, 1 if the daemon answered an error, 64 on\n"
"bad usage, 69 if the daemon cannot be reached.\n";

static int
bad_usage(const char *msg)
{

	fprintf(stderr, "vsockproxyctl: %s (see 'vsockproxyctl -h')\n", msg);
	return (EXIT_USAGE);
}

/* The words as one command line, with its newline; -1 if it cannot be. */
static int
build(int argc, char **argv, char *line, size_t len)
{
	size_t used = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (n == 0 || strpbrk(argv[i], " \t\r\n") != NULL)
			return (-1);
		if (used + n + 2 > len)
			return (-1);
		if (i > 0)
			line[used++] = ' ';
		memcpy(line + used, argv[i], n);
		used += n;
	}
	line[used++] = '\n';
	line[used] = '\0';
	return (0);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { TIMEOUT_S, 0 };
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "vsockproxyctl: %s: path too long\n", path);
		return (-1);
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "vsockproxyctl: socket: %s\n",
		    strerror(errno));
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "vsockproxyctl: %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
send_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		s += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Print the reply's lines up to the "." that ends it, unstuffed; an
 * "error: " reply goes to stderr.  The exit status.
 */
static int
read_reply(FILE *in, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int first = 1, failed = 0;

	while ((n = getline(&line, &cap, in)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strcmp(line, ".") == 0) {
			free(line);
			return (failed ? EXIT_ERROR : 0);
		}
		if (first && strncmp(line, "error: ", 7) == 0)
			failed = 1;
		first = 0;
		fprintf(failed ? stderr : stdout, "%s%s\n",
		    failed ? "vsockproxyctl: " : "",
		    line[0] == '.' ? line + 1 : line);
	}
	free(line);
	/* A refused client is closed unanswered, maybe with a reset. */
	fprintf(stderr, "vsockproxyctl: %s: %s before the end of the reply "
	    "(only root and the daemon's user may use the socket)\n", path,
	    ferror(in) ? strerror(errno) : "connection closed");
	return (EXIT_UNAVAIL);
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	char line[LINE_MAX_];
	FILE *in;
	int ch, fd, rc;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+:s:h")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return (0);
		case ':':
			return (bad_usage("-s needs a path"));
		default:
			return (bad_usage("unknown option"));
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return (bad_usage("no command"));
	if (build(argc, argv, line, sizeof(line)) == -1)
		return (bad_usage("bad command: words without blanks, at "
		    "most 1023 bytes in all"));
	if ((fd = connect_to(path)) == -1)
		return (EXIT_UNAVAIL);
	if (send_all(fd, line, strlen(line)) == -1) {
		fprintf(stderr, "vsockproxyctl: %s: send: %s\n", path,
		    strerror(errno));
		close(fd);
		return (EXIT_UNAVAIL);
	}
	/* One command: the daemon closes after answering it. */
	(void)shutdown(fd, SHUT_WR);
	if ((in = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (EXIT_UNAVAIL);
	}
	rc = read_reply(in, path);
	fclose(in);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "vsockproxyctl: stdout: %s\n",
		    strerror(errno));
		return (EXIT_ERROR);
	}
	return (rc);
}
