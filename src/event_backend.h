/*
 * event_backend: the names of the event loop's backends, for the command
 * line and the configuration file, which choose one without needing the
 * loop itself.
 */
#ifndef VSOCKPROXY_EVENT_BACKEND_H
#define VSOCKPROXY_EVENT_BACKEND_H

enum event_backend {
	EVENT_EPOLL,
	EVENT_POLL
};

/* Parse "epoll" or "poll"; -1 if unknown or not built in. */
int event_backend_parse(const char *name, enum event_backend *out);
const char *event_backend_name(enum event_backend);

#endif
