/*
 * conf_parser: the state of one run of the configuration parser, shared
 * by the files that make up the parser and included by no others:
 * conf.c (the entry points and the error reports), conf_read.c (files,
 * includes, lines), conf_block.c (rule and defaults blocks, whole-rule
 * checks) and conf_keyword.c (the keywords).
 */
#ifndef VSOCKPROXY_CONF_PARSER_H
#define VSOCKPROXY_CONF_PARSER_H

#include <sys/types.h>

#include <stddef.h>

#include "conf.h"

struct clash;
struct htab;

/*
 * A file name in a message, escaped (escape.h): a glob finds names that
 * whoever may write to a drop-in directory chose.  Longer ones are cut.
 */
#define SHOWN_MAX	1024

/* Settings, to catch duplicates and to know what a rule left unset. */
enum setting {
	S_LISTEN,
	S_CONNECT,
	S_ALLOW,
	S_DENY,
	S_ALLOW_UID,
	S_ALLOW_ADDR,
	S_MAX_CONNS,
	S_MAX_PER_PEER,
	S_MAX_CONN_RATE,
	S_IDLE_TIMEOUT,
	S_CONNECT_TIMEOUT,
	S_BUFSIZE,
	S_STATS_INTERVAL,
	S_SHUTDOWN_TIMEOUT,
	S_EVENT_BACKEND,
	S_MAX_BUFFER_MEMORY,
	S_ZERO_COPY,
	S_USER,
	S_GROUP,
	S_CONTROL,
	S_N
};

struct where {
	const char *file;
	int line;			/* 0 = not set */
};

/* What the parser knows of a rule, until the file is read. */
struct prule {
	struct conf_rule *rule;		/* in the conf, or the defaults */
	struct where at[S_N];
	int allow_any;
	int bad;			/* its opening line was wrong */
	struct prule *next;
};

enum block {
	B_NONE,
	B_RULE,
	B_DEFAULTS
};

struct parser {
	struct conf *conf;
	struct prule *rules;		/* the conf's, in the same order */
	struct prule **rules_tail;
	conf_error_fn *errfn;
	void *cookie;
	int flags;
	int nerrors;
	int stop;			/* out of memory, too many errors */
	/* Files being read, for include loops. */
	struct {
		dev_t dev;
		ino_t ino;
	} open[CONF_INCLUDE_DEPTH + 1];
	int nopen;
	int depth;
	int nfiles;			/* read so far, for CONF_FILES_MAX */
	const char *root;		/* for errors before a file is open */
	const char *file;		/* NULL before the first file */
	int line;
	enum block block;
	struct where block_at;
	struct prule *cur;		/* the open rule, or &defaults */
	struct prule defaults;
	struct conf_rule defaults_rule;	/* defaults.rule */
	struct where global[S_N];
	/* The rules so far, to check a new one in constant time: by name
	 * (not bad ones), and by listen address (closed ones). */
	struct htab *names;
	struct clash *listens;
};

/*
 * Errors, as "file:line: message" through the caller's callback: at the
 * line being parsed, or at a given one (line 0: the file as a whole).
 * Past CONF_MAX_ERRORS, one last error says so and parsing stops.
 */
void conf_err(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void conf_err_at(struct parser *, const char *file, int line,
    const char *, ...) __attribute__((format(printf, 4, 5)));
/* Out of memory: say so and stop. */
void conf_oom(struct parser *);
/* A copy of a file name that lives as long as the conf. */
const char *conf_intern(struct conf *, const char *);
/* A rule's defaults, before the file or the defaults block says more. */
void conf_rule_defaults(struct conf_rule *);

/*
 * Read the file at path, or the buffer (which need not end in a newline
 * or a NUL) under name, which must live as long as the conf
 * (conf_intern()), line by line: each line is a block's opening or end,
 * an include, or a keyword.
 */
void conf_read_file(struct parser *, const char *path);
void conf_read_buffer(struct parser *, const char *name, const char *buf,
    size_t len);

/*
 * Blocks: "rule NAME {", "defaults {" and "}".  A rule is checked as a
 * whole when its block ends; a block still open at the end of a file is
 * an error (blocks do not span files).  conf_block_finish() applies the
 * defaults to every rule once all is read, if there was no error, and
 * frees what the checks kept.
 */
void conf_block_open_rule(struct parser *, char **av, int ac);
void conf_block_open_defaults(struct parser *, char **av, int ac);
void conf_block_end(struct parser *, char **av, int ac);
void conf_block_eof(struct parser *);
void conf_block_finish(struct parser *);

/* A keyword line: where it may be, how many values, then its handler. */
void conf_keyword(struct parser *, char **av, int ac);

#endif
