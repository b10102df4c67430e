/*
 * fuzz: what every fuzz target shares.  Each target is one
 * LLVMFuzzerTestOneInput(); with --enable-fuzzer it links libFuzzer,
 * otherwise replay.c's main(), which runs the files named on its command
 * line through it (make check replays the seed corpora that way).
 *
 * A target must not open files or sockets, look names up, print, or
 * exit: it feeds bytes to a parser and checks what the parser promises,
 * calling abort() (via FUZZ_CHECK) when a promise is broken.
 */
#ifndef VSOCKPROXY_FUZZ_H
#define VSOCKPROXY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, for libFuzzer to save the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/* The input as a C string (it ends at its first NUL); free() it. */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return (s);
}

#endif
