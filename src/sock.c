/*
 * sock: socket set-up shared by listeners and connections.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "sock.h"
#include "vsock.h"

/* What is at a path, for a message. */
static const char *
file_kind(mode_t mode)
{

	if (S_ISREG(mode))
		return ("a regular file");
	if (S_ISDIR(mode))
		return ("a directory");
	if (S_ISLNK(mode))
		return ("a symbolic link");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return ("a device");
	return ("not a socket");
}

/*
 * Only a socket file is ever removed, and only one that nothing answers
 * on.  Connecting cannot tell: a regular file or a FIFO refuses too, and
 * a symbolic link leads elsewhere.  Anything but a socket at the path
 * was put there by someone else, and removing it as root could destroy
 * anything, so it stays and the listener fails, naming it.  The socket
 * is looked at again before the unlink, so that one swapped in between
 * is left alone too.
 */
int
sock_unlink_stale(const struct addr *a)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;
	const char *path = sun->sun_path;
	struct stat sb, again;
	int fd, rc, saved;

	/* Nothing there, or nothing we may look at: bind() says which. */
	if (lstat(path, &sb) == -1)
		return (0);
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("unix:%s: %s, not a socket: left alone (only a "
		    "stale socket is ever removed)", path,
		    file_kind(sb.st_mode));
		return (-1);
	}
	/* Non-blocking: a live socket with a full backlog says EAGAIN
	 * rather than making us wait. */
	fd = socket(AF_UNIX, a->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("unix:%s: socket", path);
		return (-1);
	}
	rc = connect(fd, (const struct sockaddr *)&a->sa, a->salen);
	saved = errno;
	close(fd);
	/* Anything else, it is alive or not ours to judge: bind() says. */
	if (rc == 0 || saved != ECONNREFUSED)
		return (0);
	if (lstat(path, &again) == -1 || !S_ISSOCK(again.st_mode) ||
	    again.st_dev != sb.st_dev || again.st_ino != sb.st_ino)
		return (0);
	/* After -u, in a directory only root may write to: bind() or the
	 * next start says what matters. */
	if (unlink(path) == -1)
		log_debug("unix:%s: stale socket: unlink: %s", path,
		    strerror(errno));
	return (0);
}

int
sock_listen(const struct addr *a, int backlog)
{
	char name[ADDR_STRLEN];
	int fd, one = 1;

	addr_format(a, name, sizeof(name));
	fd = socket(addr_family(a), a->type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("%s: socket", name);
		return (-1);
	}
	if (a->kind == ADDR_TCP &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		log_warn("%s: SO_REUSEADDR", name);
	if (a->kind == ADDR_UNIX && sock_unlink_stale(a) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) == -1) {
		log_warn("%s: bind", name);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		log_warn("%s: listen", name);
		goto fail;
	}
	return (fd);
fail:
	close(fd);
	return (-1);
}

/*
 * af_vsock arms its own timer on a non-blocking connect (2 s unless told
 * otherwise) and fails the socket with ETIMEDOUT when it fires: give it
 * our deadline, so that --connect-timeout is what decides.
 */
static void
vsock_connect_timeout(int fd, uint64_t ms)
{
#ifdef SO_VM_SOCKETS_CONNECT_TIMEOUT
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv,
	    sizeof(tv)) == -1)
		log_debug("SO_VM_SOCKETS_CONNECT_TIMEOUT: %s",
		    strerror(errno));
#else
	(void)fd;
	(void)ms;
#endif
}

int
sock_connect(const struct addr *a, uint64_t timeout_ms, size_t msgbuf,
    int *inprogress)
{
	int fd, saved;

	*inprogress = 0;
	fd = socket(addr_family(a), a->type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return (-1);
	sock_nodelay(fd, addr_family(a));
	if (a->kind == ADDR_VSOCK)
		vsock_connect_timeout(fd, timeout_ms);
	if (a->kind == ADDR_VSOCK && a->type == SOCK_SEQPACKET &&
	    sock_vsock_buffer(fd, msgbuf) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) == 0)
		return (fd);
	/* A UNIX socket's EAGAIN (backlog full) is a failure, not pending. */
	if (errno == EINPROGRESS) {
		*inprogress = 1;
		return (fd);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

void
sock_nodelay(int fd, int family)
{
	int one = 1;

	/* A relay forwards what it has at once: Nagle only adds latency. */
	if (family == AF_INET || family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

int
sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return (errno);
	return (err);
}

int
sock_peer_closed(int fd, int family)
{

	/*
	 * af_vsock checks the peer's receive shutdown before the length: a
	 * zero-byte send fails with EPIPE only if the peer closed.
	 */
	if (family != AF_VSOCK)
		return (0);
	return (send(fd, "", 0, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 &&
	    errno == EPIPE);
}

int
sock_vsock_buffer(int fd, size_t size)
{
#ifdef SO_VM_SOCKETS_BUFFER_SIZE
	unsigned long long cur, want = size;
	socklen_t len = sizeof(cur);

	if (getsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &cur,
	    &len) == 0 && cur == want)
		return (0);
	/* The size is clamped to the maximum: that one first. */
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &want,
	    sizeof(want)) == -1 ||
	    setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &want,
	    sizeof(want)) == -1)
		return (-1);
#else
	(void)fd;
	(void)size;
#endif
	return (0);
}

int
sock_message(int fd, int family, size_t size)
{
	int one = 1, sndbuf;

	if (family == AF_VSOCK)
		return (sock_vsock_buffer(fd, size));
	if (family != AF_UNIX)
		return (0);
	/* A message of length 0 then carries credentials; EOF none. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1)
		return (-1);
	/*
	 * af_unix refuses (EMSGSIZE) a message longer than the sender's
	 * sk_sndbuf less 32 bytes, 212,960 with the default wmem_default:
	 * as the kernel doubles what it is told, size is enough for a
	 * whole buffer.  Capped at wmem_max: then buffer-size is more
	 * than can be sent, and such a message is msg-too-big.
	 */
	sndbuf = size > INT_MAX / 2 ? INT_MAX / 2 : (int)size;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) == -1)
		return (-1);
	return (0);
}
