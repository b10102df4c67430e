/*
 * notify: tell the service manager how the daemon is doing, with the
 * sd_notify(3) datagram protocol and without libsystemd: READY=1 once
 * every listener is bound, RELOADING=1 and READY=1 around a SIGHUP
 * reload, STOPPING=1 when the drain starts, STATUS= with a summary.
 *
 * NOTIFY_SOCKET is read once, at start, and removed from the environment.
 * Without it (or with a form other than a UNIX path or "@abstract" name)
 * every call does nothing.  Sending never blocks and never fails the
 * caller: the protocol is advisory, so an error is logged once, at debug
 * level.
 */
#ifndef VSOCKPROXY_NOTIFY_H
#define VSOCKPROXY_NOTIFY_H

/* Read and unset NOTIFY_SOCKET; open the socket if it names one. */
void notify_init(void);
/* Nonzero if messages go somewhere. */
int notify_active(void);
/* One message (assignments separated by newlines) in one datagram. */
void notify_send(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC= (Type=notify-reload needs both). */
void notify_reloading(void);
void notify_close(void);

#endif
