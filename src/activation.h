/*
 * activation: listening sockets passed by the service manager (socket
 * activation, sd_listen_fds(3)), without libsystemd.
 *
 * If LISTEN_PID is this process, fds 3 .. 3+LISTEN_FDS-1 are listening
 * sockets, named by the colon-separated LISTEN_FDNAMES (systemd's
 * FileDescriptorName=).  Each is given to a rule, which then serves it
 * instead of binding its own listen address:
 *
 *   - a socket named like a rule is that rule's;
 *   - a configuration of one rule (the command line's, say) takes a lone
 *     socket that carries one of systemd's default names: "unknown" (no
 *     names were passed) or the socket unit's name ("vsockproxy.socket");
 *   - any other socket is logged and closed.
 *
 * The socket must be a listening SOCK_STREAM socket of the family of the
 * rule's listen address (the address itself is the service manager's
 * business); anything else, or two sockets for one rule, is a start-up
 * error.
 */
#ifndef VSOCKPROXY_ACTIVATION_H
#define VSOCKPROXY_ACTIVATION_H

struct conf;
struct conf_rule;
struct activation;

/* First descriptor passed by the service manager (SD_LISTEN_FDS_START). */
#define ACTIVATION_FD_START	3

/*
 * Take the passed sockets, make them close-on-exec and non-blocking, and
 * unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES.  NULL if there are
 * none (or the variables are not for this process, or are invalid:
 * logged).  Call before forking.
 */
struct activation *activation_init(void);

/*
 * Give each socket to its rule of conf, as described above; close (with a
 * warning) those for no rule.  -1 (logged) if one cannot serve its rule.
 */
int activation_match(struct activation *, const struct conf *);

/* The socket given to rule, which the caller now owns; -1 if none. */
int activation_take(struct activation *, const struct conf_rule *);

/* Close the sockets nobody took. */
void activation_free(struct activation *);

#endif
