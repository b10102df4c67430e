/*
 * main: parse the command line, take what the service manager passed
 * (sockets, the notification socket), start the proxy (detached if
 * asked), serve, clean up.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "addr.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "opts.h"
#include "pidfile.h"
#include "privdrop.h"
#include "proxy.h"
#include "settings.h"

/* Errors of -t go to stderr as they are, one per line. */
static void
print_error(void *cookie, const char *msg)
{

	fprintf(stderr, "%s\n", msg);
}

static void
log_error(void *cookie, const char *msg)
{

	log_warnx("%s", msg);
}

/*
 * The command line's names, checked before anything else happens: an
 * unknown one is a usage error, whatever the file says.
 */
static int
check_cli_names(const struct opts *o, char *err, size_t errlen)
{
	const struct settings *s = &o->settings;
	struct privdrop pd;
	char why[256];

	memset(&pd, 0, sizeof(pd));
	if (s->user != NULL &&
	    privdrop_set_user(&pd, s->user, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--user: %s", why);
		return (-1);
	}
	if (s->group != NULL &&
	    privdrop_set_group(&pd, s->group, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--group: %s", why);
		return (-1);
	}
	if (s->group != NULL && s->user == NULL && o->conf != NULL) {
		snprintf(err, errlen, "--group needs --user");
		return (-1);
	}
	return (0);
}

/*
 * Who to run as: -u and -g each win over the file's user and group.
 * Returns 0 with *drop set if there is someone to become, or an exit
 * status after saying what is wrong: a usage error if the culprit is on
 * the command line.
 */
static int
identity(const struct opts *o, const struct conf *conf, struct privdrop *pd,
    int *drop)
{
	const char *cli_user = o->settings.user;
	const char *cli_group = o->settings.group;
	struct settings s;
	char why[256];

	*drop = 0;
	memset(pd, 0, sizeof(*pd));
	settings_merge(&s, &o->settings, &conf->settings);
	if (s.user == NULL && s.group == NULL)
		return (0);
	if (s.user == NULL) {
		if (cli_group != NULL)
			log_warnx("--group needs a user (--user, or 'user' "
			    "in %s): not starting", o->config);
		else
			log_warnx("%s: 'group' needs a user ('user', or "
			    "--user): not starting", o->config);
		return (cli_group != NULL ? EXIT_USAGE : EXIT_STARTUP);
	}
	if (privdrop_set_user(pd, s.user, why, sizeof(why)) == -1) {
		log_warnx("%s: %s: not starting", cli_user != NULL ?
		    "--user" : o->config, why);
		return (cli_user != NULL ? EXIT_USAGE : EXIT_STARTUP);
	}
	if (s.group != NULL &&
	    privdrop_set_group(pd, s.group, why, sizeof(why)) == -1) {
		log_warnx("%s: %s: not starting", cli_group != NULL ?
		    "--group" : o->config, why);
		return (cli_group != NULL ? EXIT_USAGE : EXIT_STARTUP);
	}
	if (!pd->have_gid) {
		log_warnx("user %s has no passwd entry: name a group "
		    "(--group or 'group'): not starting", s.user);
		return (cli_user != NULL ? EXIT_USAGE : EXIT_STARTUP);
	}
	/* Refuse now, not after binding, if the switch is impossible. */
	if (privdrop_check(pd) == -1)
		return (EXIT_STARTUP);
	*drop = 1;
	return (0);
}

/*
 * The command line, checked: -1 to go on, else the exit status, after
 * printing the help, the version or what is wrong.
 */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	char cwd[PATH_MAX], err[512];
	const char *dir;
	enum opts_result res;

	res = opts_parse(argc, argv, o, err, sizeof(err));
	if (res == OPTS_RUN && check_cli_names(o, err, sizeof(err)) == -1)
		res = OPTS_ERROR;
	/* Before anything can change the directory (-d runs in /). */
	dir = getcwd(cwd, sizeof(cwd));
	/* -T prints paths: absolute, as the daemon would keep them. */
	if (res == OPTS_RUN && (!o->check_config || o->print_config) &&
	    opts_absolute(o, dir, err, sizeof(err)) == -1)
		res = OPTS_ERROR;
	switch (res) {
	case OPTS_RUN:
		return (-1);
	case OPTS_HELP:
		fputs(opts_usage(), stdout);
		return (0);
	case OPTS_VERSION:
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return (0);
	case OPTS_ERROR:
	default:
		/* One line, so that it reads well in a journal. */
		fprintf(stderr, "vsockproxy: %s (see 'vsockproxy --help')\n",
		    err);
		return (EXIT_USAGE);
	}
}

static void
print_line(void *cookie, const char *line)
{

	printf("%s\n", line);
}

/* -t and -T: the exit status, after printing each error. */
static int
check_config(const struct opts *o)
{
	struct conf *conf;

	if ((conf = conf_load(o->config, print_error, NULL)) == NULL)
		return (EXIT_BADCONF);
	if (o->print_config)
		conf_print(conf, &o->settings, print_line, NULL);
	else if (o->verbosity > LOG_LEVEL_INFO)
		printf("%s: %zu rule(s)\n", o->config, conf->nrules);
	conf_unref(conf);
	return (0);
}

/*
 * The configuration to start with: the command line's rule, or the
 * file's rules, whose event backend is the loop's unless the command
 * line chose one.  NULL (logged) if the file has errors.
 */
static struct conf *
load_conf(struct opts *o)
{
	struct settings s;
	struct conf *conf;
	char buf[ADDR_STRLEN];

	if (o->conf != NULL) {
		/* Said once, at start, where the journal keeps it. */
		if (o->three_numbers)
			log_warnx("any CID may connect to %s: the "
			    "three-number form is deprecated, give "
			    "ALLOWED_CID as a fourth number (0 for any CID)",
			    addr_format(&o->conf->rules->listen, buf,
			    sizeof(buf)));
		return (conf_ref(o->conf));
	}
	if ((conf = conf_load(o->config, log_error, NULL)) == NULL) {
		log_warnx("%s: not starting", o->config);
		return (NULL);
	}
	settings_merge(&s, &o->settings, &conf->settings);
	o->backend = s.backend;
	/* Allowed (drop-ins may come later), but most likely a mistake. */
	if (conf->nrules == 0)
		log_warnx("%s has no rule: listening on nothing until a "
		    "reload adds one", o->config);
	return (conf);
}

/*
 * Detach if asked, take the pid file, start the proxy on conf (which it
 * takes over) and the passed sockets, become pd's user if pd is not
 * NULL, and serve until a signal ends it.  The exit status.
 */
static int
serve(const struct opts *o, struct conf *conf, struct activation **act,
    struct privdrop *pd)
{
	struct pidfile *pf = NULL;
	struct proxy *px = NULL;
	int rc = EXIT_STARTUP;

	/* -s: syslog from here on; errors before went to stderr. */
	if (!o->daemonize && o->syslog_facility != NULL)
		(void)log_syslog(o->syslog_facility);
	if (o->daemonize && daemon_start() == -1)
		goto out;
	/* The pid file first: a second instance learns who runs, rather
	 * than that the port is taken. */
	if (o->pidfile != NULL && (pf = pidfile_open(o->pidfile)) == NULL)
		goto out;
	px = proxy_new(o, conf, *act);
	conf = NULL;			/* the proxy's, even on failure */
	if (px == NULL)
		goto out;
	activation_free(*act);	/* every socket is taken or closed by now */
	*act = NULL;
	if (pf != NULL && pidfile_write(pf) == -1)
		goto out;
	/* Everything that needs root is done.  Before the parent hears
	 * "ready", so that a failed switch fails the start. */
	if (pd != NULL && privdrop_apply(pd) == -1)
		goto out;
	if (proxy_control(px) == -1)
		goto out;
	if (o->daemonize) {
		if (daemon_ready() == -1)
			goto out;
		(void)log_syslog(o->syslog_facility);
	}
	proxy_ready(px);
	rc = proxy_run(px) == 0 ? 0 : EXIT_STARTUP;
	log_info("exiting");
out:
	conf_unref(conf);
	proxy_free(px);
	pidfile_remove(pf);
	return (rc);
}

/* Everything but -t: the exit status. */
static int
run(struct opts *o)
{
	struct activation *act;
	struct privdrop pd;
	struct conf *conf;
	int rc = EXIT_STARTUP, drop = 0;

	log_init(o->verbosity, "vsockproxy");
	/* A daemon's start-up goes to syslog, and to stderr for the parent
	 * to report errors with, until it detaches (serve()). */
	if (o->daemonize)
		(void)log_syslog_tee(o->syslog_facility);
	/* Before the fork of -d: LISTEN_PID names this process. */
	act = activation_init();
	notify_init();
	if ((conf = load_conf(o)) != NULL &&
	    (rc = identity(o, conf, &pd, &drop)) == 0)
		rc = serve(o, conf, &act, drop ? &pd : NULL);
	else
		conf_unref(conf);
	activation_free(act);
	notify_close();
	log_close();
	return (rc);
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc;

	if ((rc = parse_args(argc, argv, &o)) == -1)
		rc = o.check_config ? check_config(&o) : run(&o);
	opts_free(&o);
	return (rc);
}
