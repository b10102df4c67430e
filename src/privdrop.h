/*
 * privdrop: give up root for good once start-up is done (-u/--user,
 * -g/--group, or "user"/"group" in the configuration file).  Names are
 * resolved early, before anything is bound, so that a typo fails at once;
 * the switch itself happens after the listeners, the pid file and the
 * daemonizing are done, and is checked: if root could come back, start-up
 * fails.  The supplementary groups become just the target group, as in
 * the OpenBSD daemons.
 */
#ifndef VSOCKPROXY_PRIVDROP_H
#define VSOCKPROXY_PRIVDROP_H

#include <sys/types.h>

#include <stddef.h>

#define PRIVDROP_NAME_MAX	64	/* for messages; longer is cut */

struct privdrop {
	uid_t uid;
	gid_t gid;
	int have_gid;			/* gid is set (user's or given) */
	char user[PRIVDROP_NAME_MAX];	/* name, or the number given */
	char group[PRIVDROP_NAME_MAX];
};

/*
 * Set the user from a name, or a number if it starts with a digit; the
 * group becomes the user's primary group when the user has a passwd
 * entry.  -1 with a message in err (e.g. "unknown user 'x'").
 */
int privdrop_set_user(struct privdrop *, const char *user, char *err,
    size_t errlen);
/* Set the group, a name or a number, overriding the user's. */
int privdrop_set_group(struct privdrop *, const char *group, char *err,
    size_t errlen);
/*
 * Before binding: 0 if the switch can be made, as root or because the
 * process already runs as that user and group (then nothing changes);
 * -1 (logged) otherwise.
 */
int privdrop_check(const struct privdrop *);
/*
 * Switch: supplementary groups, then the gids, then the uids; then check
 * that all of them stuck and that root cannot be regained.  -1 (logged)
 * on any failure, and start-up must not go on.
 */
int privdrop_apply(const struct privdrop *);

#endif
