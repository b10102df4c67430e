/*
 * parse: strict conversion of command-line and configuration values.  Every
 * function accepts the whole string or nothing: no sign where none is
 * meaningful, no trailing garbage, no silent wrap-around.  On failure they
 * return -1 and leave *out alone; the caller names the argument.
 */
#ifndef VSOCKPROXY_PARSE_H
#define VSOCKPROXY_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal unsigned integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Decimal uint32 (vsock CIDs and ports are 32-bit). */
int parse_u32(const char *s, uint32_t *out);

/* Seconds, fractions allowed ("2", "0.5"), in [0, max]; result in ms. */
int parse_seconds(const char *s, double max, uint64_t *ms);

/* Byte count with optional k/K (1024) or m/M (1024^2) suffix, in
 * [min, max]. */
int parse_size(const char *s, size_t min, size_t max, size_t *out);

#endif
