/*
 * tool: what the test tools (vsp-peer, vsp-notify, vsp-addr) share beyond
 * the address syntax of peeraddr.h: their exit statuses, their messages,
 * numbers from their command lines, the clock, and the files by which
 * they tell a test that something has happened.
 *
 * libc only, like the tools: no project headers, so that vmtest's guests
 * can run them as built (and "cc -static" builds them by hand).  Messages
 * start with the program's name as libc's err(3) has it, so that each tool
 * names itself without a variable of its own.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdint.h>

#define EX_OK		0	/* every check passed */
#define EX_FAIL		1	/* some check failed */
#define EX_TIMEOUT	2	/* --timeout expired first */
#define EX_USAGE	64	/* bad command line */
#define EX_OSERR	71	/* could not set up (socket, bind, ...) */

/* "PROG: MESSAGE (try --help)" on stderr, then exit EX_USAGE. */
void tool_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* "PROG[PID]: MESSAGE" on stderr if ON (-v), else nothing. */
void tool_debug(int on, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The value of option NAME, a decimal up to MAX, or a usage error. */
uint64_t tool_u64(const char *name, const char *arg, uint64_t max);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t tool_now_ms(void);

/*
 * Create PATH holding TEXT atomically (written aside, then renamed), so
 * that a test polling for PATH never reads it half written.  Returns 0,
 * or -1 after a warning.
 */
int tool_publish(const char *path, const char *text);

#endif /* TOOL_H */
