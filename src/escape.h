/*
 * escape: bytes from outside (a peer's socket path, a VMM's reply, a
 * file name that a glob found) made fit for one log line, in the manner
 * of vis(3) with VIS_CSTYLE: printable ASCII stays as it is except the
 * backslash, which is doubled; newline, carriage return and tab become
 * \n, \r and \t; every other byte, 8-bit ones included, becomes \xHH.
 * So a newline can never start a forged line, a terminal sees no
 * control sequence, and two different strings never print the same.
 */
#ifndef VSOCKPROXY_ESCAPE_H
#define VSOCKPROXY_ESCAPE_H

#include <stddef.h>

/* Bytes of buffer that always hold the escape of n bytes, NUL included. */
#define ESCAPE_SIZE(n)	(4 * (n) + 1)

/*
 * Write the escape of the len bytes at s to buf and return buf.  If it
 * does not fit, it is cut between two escapes and ends in "...", so that
 * a cut is never mistaken for the whole.
 */
const char *escape_mem(const void *s, size_t len, char *buf,
    size_t buflen);

/*
 * The same, with the space and the double quote as \xHH too: the result
 * is one field of a key=value log line (addresses: peer=, target=).
 */
const char *escape_field(const void *s, size_t len, char *buf,
    size_t buflen);

/* The same for a NUL-terminated string. */
const char *escape_str(const char *s, char *buf, size_t buflen);

/*
 * s as one word of a line split at blanks (the configuration file, a
 * key=value reply): s itself unless it is empty or has a byte of
 * special, else in double quotes with '"' and '\\' escaped by a
 * backslash.  Text that does not fit buf (2 * strlen(s) + 3 always does)
 * is cut.
 */
const char *escape_word(const char *s, const char *special, char *buf,
    size_t buflen);

#endif
