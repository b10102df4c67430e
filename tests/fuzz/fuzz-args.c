/*
 * fuzz-args: the command line.  The input is split at NUL bytes into
 * arguments after argv[0]; opts_parse() must answer with a result and,
 * on an error, a one-line message, and never print or exit (-h and -V
 * are results too).  Addresses are numeric only (OPTS_NUMERIC).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "opts.h"

/* More arguments than any real command line, few enough to stay fast. */
#define MAX_ARGS 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strdup(data, size), *argv[MAX_ARGS + 2];
	char err[512];
	struct opts o;
	enum opts_result res;
	size_t i, start = 0;
	int argc = 0;

	argv[argc++] = (char *)"vsockproxy";
	/* buf[size] is a NUL too: the last piece ends there. */
	for (i = 0; i <= size && argc <= MAX_ARGS; i++)
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	memset(err, 0, sizeof(err));
	res = opts_parse_flags(argc, argv, OPTS_NUMERIC, &o, err,
	    sizeof(err));
	switch (res) {
	case OPTS_RUN:
		/* A rule from the command line is complete. */
		if (o.conf != NULL) {
			FUZZ_CHECK(o.config == NULL);
			FUZZ_CHECK(o.conf->nrules == 1);
			FUZZ_CHECK(o.conf->rules->listen.kind != 0);
			FUZZ_CHECK(o.conf->rules->connect.kind != 0);
		} else
			FUZZ_CHECK(o.config != NULL);
		FUZZ_CHECK(!o.daemonize || o.syslog_facility != NULL);
		break;
	case OPTS_HELP:
	case OPTS_VERSION:
		break;
	case OPTS_ERROR:
		FUZZ_CHECK(err[0] != '\0');
		break;
	default:
		FUZZ_CHECK(!"unknown opts_result");
	}
	opts_free(&o);
	free(buf);
	return (0);
}
