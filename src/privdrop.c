/*
 * privdrop: resolve the user and group, and switch to them for good.
 *
 * The order is the OpenBSD daemons': setgroups() while still root, then
 * setresgid() (a gid change needs root too), and setresuid() last.  The
 * real, effective and saved ids all change, so nothing is kept to return
 * to, and the kernel clears the capabilities of a process that leaves
 * uid 0 this way.  Then the result is read back, and setuid(0) must fail.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "privdrop.h"

/* Numbers start with a digit, like allow-uid in the file. */
static int
is_number(const char *s)
{

	return (s[0] >= '0' && s[0] <= '9');
}

int
privdrop_set_user(struct privdrop *pd, const char *user, char *err,
    size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	uint64_t v;

	if (is_number(user)) {
		/* (uid_t)-1 means "unchanged" to setresuid(). */
		if (parse_uint(user, 0, UINT32_MAX - 1, &v) == -1) {
			snprintf(err, errlen, "bad user '%s': expected a "
			    "name or a uid from 0 to %u", user,
			    UINT32_MAX - 1);
			return (-1);
		}
		pd->uid = (uid_t)v;
		pw = getpwuid(pd->uid);
	} else {
		if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "unknown user '%s'", user);
			return (-1);
		}
		pd->uid = pw->pw_uid;
	}
	/* A uid without a passwd entry has no primary group: the caller
	 * must name one. */
	pd->have_gid = pw != NULL;
	if (pw != NULL)
		pd->gid = pw->pw_gid;
	snprintf(pd->user, sizeof(pd->user), "%s", user);
	if (!pd->have_gid)
		return (0);
	if ((gr = getgrgid(pd->gid)) != NULL)
		snprintf(pd->group, sizeof(pd->group), "%s", gr->gr_name);
	else
		snprintf(pd->group, sizeof(pd->group), "%lu",
		    (unsigned long)pd->gid);
	return (0);
}

int
privdrop_set_group(struct privdrop *pd, const char *group, char *err,
    size_t errlen)
{
	struct group *gr;
	uint64_t v;

	if (is_number(group)) {
		if (parse_uint(group, 0, UINT32_MAX - 1, &v) == -1) {
			snprintf(err, errlen, "bad group '%s': expected a "
			    "name or a gid from 0 to %u", group,
			    UINT32_MAX - 1);
			return (-1);
		}
		pd->gid = (gid_t)v;
	} else {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "unknown group '%s'", group);
			return (-1);
		}
		pd->gid = gr->gr_gid;
	}
	pd->have_gid = 1;
	snprintf(pd->group, sizeof(pd->group), "%s", group);
	return (0);
}

/* The process runs as pd already: every uid and gid is the target. */
static int
already(const struct privdrop *pd)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return (0);
	return (ru == pd->uid && eu == pd->uid && su == pd->uid &&
	    rg == pd->gid && eg == pd->gid && sg == pd->gid);
}

int
privdrop_check(const struct privdrop *pd)
{

	if (geteuid() == 0 || already(pd))
		return (0);
	log_warnx("cannot switch to user %s (uid %lu), group %s (gid %lu): "
	    "not running as root (uid %lu, gid %lu)", pd->user,
	    (unsigned long)pd->uid, pd->group, (unsigned long)pd->gid,
	    (unsigned long)geteuid(), (unsigned long)getegid());
	return (-1);
}

int
privdrop_apply(const struct privdrop *pd)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (geteuid() != 0) {
		/* privdrop_check() let us start: we are pd already. */
		if (!already(pd)) {
			log_warnx("cannot switch to user %s: not running as "
			    "root", pd->user);
			return (-1);
		}
		log_debug("already running as uid %lu, gid %lu",
		    (unsigned long)pd->uid, (unsigned long)pd->gid);
		return (0);
	}
	if (setgroups(1, &pd->gid) == -1) {
		log_warn("setgroups %s", pd->group);
		return (-1);
	}
	if (setresgid(pd->gid, pd->gid, pd->gid) == -1) {
		log_warn("setresgid %s", pd->group);
		return (-1);
	}
	if (setresuid(pd->uid, pd->uid, pd->uid) == -1) {
		log_warn("setresuid %s", pd->user);
		return (-1);
	}
	/* Trust, but verify. */
	if (getresuid(&ru, &eu, &su) == -1 ||
	    getresgid(&rg, &eg, &sg) == -1 ||
	    (n = getgroups(2, groups)) == -1) {
		log_warn("privileges: reading them back");
		return (-1);
	}
	if (ru != pd->uid || eu != pd->uid || su != pd->uid ||
	    rg != pd->gid || eg != pd->gid || sg != pd->gid ||
	    n != 1 || groups[0] != pd->gid) {
		log_warnx("privileges: the switch to user %s, group %s did "
		    "not stick", pd->user, pd->group);
		return (-1);
	}
	if (pd->uid != 0 && setuid(0) != -1) {
		log_warnx("privileges: root can be regained after the switch "
		    "to user %s", pd->user);
		return (-1);
	}
	log_info("running as user %s (uid %lu), group %s (gid %lu)",
	    pd->user, (unsigned long)pd->uid, pd->group,
	    (unsigned long)pd->gid);
	return (0);
}
