/*
 * main: parse the command line, start the proxy (detached if asked),
 * serve, clean up.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "log.h"
#include "opts.h"
#include "pidfile.h"
#include "proxy.h"

int
main(int argc, char **argv)
{
	struct opts o;
	struct proxy px;
	struct pidfile *pf = NULL;
	char err[512];
	int rc = EXIT_STARTUP;

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
		/* One line, so that it reads well in a journal. */
		fprintf(stderr, "vsockproxy: %s (see 'vsockproxy --help')\n",
		    err);
		opts_free(&o);
		return (EXIT_USAGE);
	}
	log_init(o.verbosity, "vsockproxy");
	/* A daemon reports start-up errors on stderr, then uses syslog. */
	if (!o.daemonize && o.syslog_facility != NULL)
		(void)log_syslog(o.syslog_facility);
	if (o.daemonize && daemon_start() == -1)
		goto out;
	/* The pid file first: a second instance learns who runs, rather
	 * than that the port is taken. */
	if (o.pidfile != NULL && (pf = pidfile_open(o.pidfile)) == NULL)
		goto out;
	if (proxy_init(&px, &o) == -1)
		goto fail;
	if (pf != NULL && pidfile_write(pf) == -1)
		goto fail;
	if (o.daemonize) {
		if (daemon_ready() == -1)
			goto fail;
		(void)log_syslog(o.syslog_facility);
	}
	proxy_ready(&px);
	rc = proxy_run(&px) == 0 ? 0 : EXIT_STARTUP;
	log_info("exiting");
fail:
	proxy_fini(&px);
	pidfile_remove(pf);
out:
	log_close();
	opts_free(&o);
	return (rc);
}
