/*
 * argv.h: command lines for the unit tests.  ARGV("-x", "y") is the
 * argument vector a shell would pass, built from string literals;
 * opts_parse() never writes to it.  argv_count() is its argc.
 */
#ifndef TESTS_UNIT_ARGV_H
#define TESTS_UNIT_ARGV_H

#ifdef __clang__
#pragma clang diagnostic ignored \
    "-Wincompatible-pointer-types-discards-qualifiers"
#else
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"
#endif
#define ARGV(...) ((char *[]){ "vsockproxy", __VA_ARGS__, NULL })

static inline int
argv_count(char **v)
{
	int n = 0;

	while (v[n] != NULL)
		n++;
	return (n);
}

#endif
