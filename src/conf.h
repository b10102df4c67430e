/*
 * conf: the configuration file, vsockproxy.conf(5).  One daemon serves a
 * whole host from named rules, each a listen address, a target and who
 * may come, so that every VM can get its own drop-in file.
 *
 * Loading is all or nothing: a file with any error yields no
 * configuration, so a reload with a broken file keeps the old one.  Every
 * error is reported, not just the first, as one "file:line: message" line
 * through a callback (sshd -t style); the module itself prints nothing.
 */
#ifndef VSOCKPROXY_CONF_H
#define VSOCKPROXY_CONF_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "settings.h"

struct acl;
struct acl_prefix;
struct conf_name;

struct conf_rule {
	char *name;
	const char *file;		/* where the rule starts, for logs */
	int line;
	struct addr listen;
	struct addr connect;
	/* Who may connect.  An empty or NULL list allows everyone. */
	struct acl *allow;		/* vsock listeners: peer CIDs */
	struct acl *deny;		/* vsock: refused even if allowed */
	uid_t *uids;			/* unix listeners: peer uids */
	size_t nuids;
	struct acl_prefix *prefixes;	/* tcp listeners: peer addresses */
	size_t nprefixes;
	unsigned int max_conns;		/* 0 = no limit */
	unsigned int max_per_peer;	/* per CID, address, uid; 0 = none */
	unsigned int max_conn_rate;	/* per peer and second; 0 = none */
	uint64_t idle_timeout_ms;	/* 0 = none */
	uint64_t connect_timeout_ms;
	size_t bufsize;
	struct conf_rule *next;
};

struct conf {
	struct conf_rule *rules;	/* in file order, includes inlined */
	size_t nrules;
	struct settings settings;	/* global; owns user and group */
	struct conf_rule *last;		/* private: see conf_add_rule() */
	struct conf_name *names;	/* private: the file names */
	unsigned int refs;		/* private: see conf_ref() */
};

/* Called once per error with "file:line: message" (no newline). */
typedef void conf_error_fn(void *cookie, const char *msg);

/* Flags for conf_parse_buffer(). */
#define CONF_NO_INCLUDE	0x1	/* "include" is an error (for the fuzzer) */
/* Look nothing up (for the fuzzer): tcp hosts must be numeric
 * (ADDR_NUMERIC), allow-uid takes numbers only, and user/group are kept
 * unchecked, since NSS may open sockets. */
#define CONF_NO_RESOLVE	0x2

/* The bytes that end an unquoted word (conf_read.c), and those the
 * printer quotes a value for (conf_print.c): with these in the same
 * place, what -T prints always reads back as the same value. */
#define CONF_BLANKS		" \t\r"
#define CONF_SPECIAL		CONF_BLANKS "#\"\\"

/* Limits, documented in vsockproxy.conf(5). */
#define CONF_LINE_MAX		1024	/* bytes per line, newline included */
#define CONF_FILE_MAX		(1024 * 1024)
#define CONF_INCLUDE_DEPTH	8
/* Files read in all, the main one included: a tree of includes ten wide
 * and six deep is a million opens, and a reload runs in the event loop. */
#define CONF_FILES_MAX		1024
#define CONF_NAME_MAX		64	/* bytes in a rule name */
#define CONF_MAX_ERRORS		100

/*
 * Read and check the file at path and everything it includes.  Returns
 * NULL after reporting each error to err (which may be NULL to discard
 * them).
 */
struct conf *conf_load(const char *path, conf_error_fn *err, void *cookie);

/*
 * The same from memory; name is used in messages and its directory as
 * the base of relative includes.  buf need not be NUL-terminated and may
 * hold any bytes.
 */
struct conf *conf_parse_buffer(const char *buf, size_t len,
    const char *name, int flags, conf_error_fn *err, void *cookie);
struct conf *conf_parse_string(const char *text, const char *name,
    int flags, conf_error_fn *err, void *cookie);

/*
 * An empty configuration with the defaults, and a rule added to its end
 * with the defaults: how the command line builds its one rule.  NULL if
 * out of memory.
 */
struct conf *conf_new(void);
struct conf_rule *conf_add_rule(struct conf *, const char *name);

/*
 * A configuration starts with one reference, its loader's.
 * Listeners and connections take one each on the configuration their
 * rule comes from, so that a reload never frees a rule still in use;
 * the last conf_unref() frees it.  conf_unref(NULL) does nothing.
 */
struct conf *conf_ref(struct conf *);
void conf_unref(struct conf *);

/*
 * The effective configuration as a file the parser reads back to the
 * same rules and settings (conf_print.c): conf's, with cli's global
 * settings (the command line's) winning, one line (no newline) per call
 * of fn.
 */
typedef void conf_print_fn(void *cookie, const char *line);
void conf_print(const struct conf *, const struct settings *cli,
    conf_print_fn *fn, void *cookie);

/*
 * Who may connect to a rule, as key=value words: "allow=any" when
 * everyone may, else those of allow=3,5,10-20 deny=12 allow_uid=0,1000
 * allow_addr=10.0.0.0/8 that it has.  Cut with "..." if len is short.
 */
const char *conf_rule_access(const struct conf_rule *, char *buf,
    size_t len);

/* The rule called name, or NULL. */
const struct conf_rule *conf_find_rule(const struct conf *,
    const char *name);

/* Nonzero if the rule lets this peer in: allowed and not denied
 * (acl.h does the matching). */
int conf_rule_allows_cid(const struct conf_rule *, uint32_t cid);
int conf_rule_allows_uid(const struct conf_rule *, uid_t uid);
/* IPv4-mapped IPv6 peers match IPv4 prefixes. */
int conf_rule_allows_addr(const struct conf_rule *,
    const struct sockaddr *sa, socklen_t salen);

/*
 * Nonzero if both rules listen on exactly the same address, so that a
 * reload can keep the listening socket and its connections.
 */
int conf_rule_same_listen(const struct conf_rule *,
    const struct conf_rule *);

#endif
