/*
 * tool: what the test tools share; see tool.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* program_invocation_short_name */
#endif

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peeraddr.h"
#include "tool.h"

void
tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(EX_USAGE);
}

void
tool_debug(int on, const char *fmt, ...)
{
	va_list ap;

	if (!on)
		return;
	fprintf(stderr, "%s[%ld]: ", program_invocation_short_name,
	    (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t
tool_u64(const char *name, const char *arg, uint64_t max)
{
	uint64_t v;

	if (peeraddr_u64(arg, 0, max, &v) == -1)
		tool_usage_error("%s: invalid number '%s'", name, arg);
	return (v);
}

int64_t
tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
tool_publish(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp)) {
		warnx("%s: path too long", path);
		return (-1);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		warnx("%s: %s", tmp, strerror(errno));
		return (-1);
	}
	if (write(fd, text, len) != (ssize_t)len || close(fd) == -1) {
		warnx("%s: write: %s", tmp, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		warnx("rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	return (0);
}
