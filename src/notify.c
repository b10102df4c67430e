/*
 * notify: the sd_notify(3) protocol in a few lines, as lldpd does it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_sun;
static socklen_t notify_len;
static int notify_failed;	/* the error has been logged */

void
notify_init(void)
{
	const char *path;
	size_t len;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	len = strlen(path);
	/*
	 * Only UNIX sockets: newer systemd can also name a vsock address
	 * here (for a service inside a VM), which a host relay has no
	 * business opening.
	 */
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(notify_sun.sun_path)) {
		log_debug("NOTIFY_SOCKET=%s: not a UNIX socket: ignored",
		    path);
		goto out;
	}
	memset(&notify_sun, 0, sizeof(notify_sun));
	notify_sun.sun_family = AF_UNIX;
	memcpy(notify_sun.sun_path, path, len);
	if (path[0] == '@')
		notify_sun.sun_path[0] = '\0';	/* abstract namespace */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (notify_fd == -1)
		log_debug("NOTIFY_SOCKET: socket: %s", strerror(errno));
out:
	/* Our children, if any, are not the service. */
	(void)unsetenv("NOTIFY_SOCKET");
}

int
notify_active(void)
{

	return (notify_fd != -1);
}

void
notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (sendto(notify_fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_sun, notify_len) == -1 &&
	    !notify_failed) {
		notify_failed = 1;
		log_debug("NOTIFY_SOCKET: send: %s (not logged again)",
		    strerror(errno));
	}
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
notify_close(void)
{

	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
