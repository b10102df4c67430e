/*
 * daemon: detach from the terminal without hiding a failed start.
 *
 * daemon_start() forks; the parent waits on a pipe until the child calls
 * daemon_ready() (listening, pidfile written, fds 0-2 on /dev/null) and
 * then exits 0, or until the child dies, and then exits with its status.
 * Until it is ready the child still logs to the caller's stderr, so start-up
 * errors reach whoever started the daemon.
 */
#ifndef VSOCKPROXY_DAEMON_H
#define VSOCKPROXY_DAEMON_H

/* In the child: 0.  The parent never returns.  -1 if fork failed. */
int daemon_start(void);
/* Tell the waiting parent that start-up succeeded; detach stdio. */
int daemon_ready(void);

#endif
