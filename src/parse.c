/*
 * parse: strict number parsing for arguments and configuration.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts leading space and a sign: we do not. */
	if (s == NULL || !isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_uint(s, 0, UINT32_MAX, &v) == -1)
		return (-1);
	*out = (uint32_t)v;
	return (0);
}

int
parse_seconds(const char *s, double max, uint64_t *ms)
{
	double v;
	char *end;
	const char *p;

	/* Digits with at most one '.', and at least one digit. */
	if (s == NULL || *s == '\0' || strspn(s, "0123456789.") != strlen(s))
		return (-1);
	if ((p = strchr(s, '.')) != NULL && strchr(p + 1, '.') != NULL)
		return (-1);
	if (strcmp(s, ".") == 0)
		return (-1);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > max)
		return (-1);
	/* Converting a double out of uint64_t's range is undefined: a
	 * large max must not let 1e17 seconds through.  2^64 is exact. */
	v = v * 1000.0 + 0.5;
	if (!(v < 18446744073709551616.0))
		return (-1);
	*ms = (uint64_t)v;
	return (0);
}

int
parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	char buf[32];
	uint64_t v, mult = 1;
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		buf[len - 1] = '\0';
	if (parse_uint(buf, 0, UINT64_MAX / mult, &v) == -1)
		return (-1);
	v *= mult;
	if (v < min || v > max)
		return (-1);
	*out = (size_t)v;
	return (0);
}
