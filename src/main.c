/*
 * main: parse the command line, start the proxy, serve, clean up.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "opts.h"
#include "proxy.h"

int
main(int argc, char **argv)
{
	struct opts o;
	struct proxy px;
	char err[512];
	int rc;

	switch (opts_parse(argc, argv, &o, err, sizeof(err))) {
	case OPTS_RUN:
		break;
	case OPTS_HELP:
		fputs(opts_usage(), stdout);
		opts_free(&o);
		return (0);
	case OPTS_VERSION:
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		opts_free(&o);
		return (0);
	case OPTS_ERROR:
		fprintf(stderr, "vsockproxy: %s\n"
		    "Try 'vsockproxy --help' for more information.\n", err);
		opts_free(&o);
		return (EXIT_USAGE);
	}
	log_init(o.verbosity, "vsockproxy");
	if (proxy_init(&px, &o) == -1) {
		proxy_fini(&px);
		opts_free(&o);
		return (EXIT_STARTUP);
	}
	rc = proxy_run(&px);
	proxy_fini(&px);
	log_info("exiting");
	opts_free(&o);
	return (rc == 0 ? 0 : EXIT_STARTUP);
}
