/*
 * event_backend: a backend's name, both ways.  Only the backends this
 * build has are known by name.
 */
#include "config.h"

#include <string.h>

#include "event_backend.h"

int
event_backend_parse(const char *name, enum event_backend *out)
{

	if (strcmp(name, "poll") == 0) {
		*out = EVENT_POLL;
		return (0);
	}
#ifdef HAVE_EPOLL_CREATE1
	if (strcmp(name, "epoll") == 0) {
		*out = EVENT_EPOLL;
		return (0);
	}
#endif
	return (-1);
}

const char *
event_backend_name(enum event_backend b)
{

	return (b == EVENT_EPOLL ? "epoll" : "poll");
}
