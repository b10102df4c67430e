/*
 * settings: defaults, limits and the precedence of the command line, in
 * one place for both parsers.
 */
#include "config.h"

#include <string.h>

#include "parse.h"
#include "settings.h"

void
settings_init(struct settings *s)
{

	memset(s, 0, sizeof(*s));
	s->stats_interval_ms = SETTINGS_DEFAULT_STATS_INTERVAL_MS;
	s->shutdown_timeout_ms = SETTINGS_DEFAULT_SHUTDOWN_TIMEOUT_MS;
	s->max_buffer_memory = SETTINGS_DEFAULT_MAX_BUFFER_MEMORY;
	(void)event_backend_parse(DEFAULT_EVENT_BACKEND, &s->backend);
	s->zero_copy = DEFAULT_ZERO_COPY;
}

void
settings_merge(struct settings *out, const struct settings *cli,
    const struct settings *file)
{

	*out = *file;
	out->set = cli->set | file->set;
	if (cli->set & SETTINGS_SET_STATS_INTERVAL)
		out->stats_interval_ms = cli->stats_interval_ms;
	if (cli->set & SETTINGS_SET_SHUTDOWN_TIMEOUT)
		out->shutdown_timeout_ms = cli->shutdown_timeout_ms;
	if (cli->set & SETTINGS_SET_MAX_BUFFER_MEMORY)
		out->max_buffer_memory = cli->max_buffer_memory;
	if (cli->set & SETTINGS_SET_EVENT_BACKEND)
		out->backend = cli->backend;
	if (cli->set & SETTINGS_SET_ZERO_COPY)
		out->zero_copy = cli->zero_copy;
	if (cli->user != NULL)
		out->user = cli->user;
	if (cli->group != NULL)
		out->group = cli->group;
	if (cli->control != NULL)
		out->control = cli->control;
}

int
settings_parse_timeout(const char *s, uint64_t *ms)
{

	return (parse_seconds(s, SETTINGS_TIMEOUT_MAX_S, ms));
}

int
settings_parse_connect_timeout(const char *s, uint64_t *ms)
{
	uint64_t v;

	/* 0 would give up before trying. */
	if (parse_seconds(s, SETTINGS_TIMEOUT_MAX_S, &v) == -1 || v == 0)
		return (-1);
	*ms = v;
	return (0);
}

int
settings_parse_bufsize(const char *s, size_t *out)
{

	return (parse_size(s, SETTINGS_BUFSIZE_MIN, SETTINGS_BUFSIZE_MAX,
	    out));
}

int
settings_parse_buffer_memory(const char *s, size_t *out)
{
	size_t v;

	/* Less than the smallest buffer would stall every connection. */
	if (parse_size(s, 0, SETTINGS_BUFFER_MEMORY_MAX, &v) == -1 ||
	    (v > 0 && v < SETTINGS_BUFSIZE_MIN))
		return (-1);
	*out = v;
	return (0);
}

static int
count(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_uint(s, 0, max, &v) == -1)
		return (-1);
	*out = (unsigned int)v;
	return (0);
}

int
settings_parse_conns(const char *s, unsigned int *out)
{

	return (count(s, SETTINGS_CONNS_MAX, out));
}

int
settings_parse_conn_rate(const char *s, unsigned int *out)
{

	return (count(s, SETTINGS_CONN_RATE_MAX, out));
}

int
settings_parse_onoff(const char *s, int *out)
{

	if (strcmp(s, "on") == 0)
		*out = 1;
	else if (strcmp(s, "off") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}
