/*
 * daemon: fork, setsid, report readiness through a pipe.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static int ready_fd = -1;

int
daemon_start(void)
{
	int p[2], status;
	pid_t pid;
	char ok;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe2");
		return (-1);
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		close(p[0]);
		ready_fd = p[1];
		if (setsid() == -1)
			fatal("setsid");
		if (chdir("/") == -1)
			fatal("chdir /");
		return (0);
	default:
		break;
	}
	/* Parent: exit 0 only on the child's word. */
	close(p[1]);
	do
		n = read(p[0], &ok, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(0);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		_exit(WEXITSTATUS(status));
	_exit(1);
}

int
daemon_ready(void)
{
	int fd;

	if (ready_fd == -1)
		return (0);
	if ((fd = open("/dev/null", O_RDWR)) == -1) {
		log_warn("/dev/null");
		return (-1);
	}
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		log_warn("dup2");
		close(fd);
		return (-1);
	}
	if (fd > STDERR_FILENO)
		close(fd);
	if (write(ready_fd, "", 1) != 1) {
		log_warn("daemon: telling the parent");
		return (-1);
	}
	close(ready_fd);
	ready_fd = -1;
	return (0);
}
