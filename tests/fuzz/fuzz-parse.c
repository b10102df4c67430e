/*
 * fuzz-parse: the number, duration and size parsers of parse.c.  The
 * input is the string; each parser runs with the bounds its callers use
 * and with the widest ones, and a success must respect the bounds and
 * agree with the other parsers.
 */
#include "config.h"

#include <float.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse.h"
#include "settings.h"

/* The bounds of parse_seconds()'s callers, and the widest. */
static const double seconds_max[] = { 0.0, 1.0, 86400.0, 1e15, DBL_MAX };

static void
check_uint(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = 12345;
	char back[32];

	if (parse_uint(s, min, max, &v) == -1) {
		FUZZ_CHECK(v == 12345);		/* *out left alone */
		return;
	}
	FUZZ_CHECK(v >= min && v <= max);
	/* Digits only, so printing it back gives s without leading
	 * zeros. */
	snprintf(back, sizeof(back), "%" PRIu64, v);
	while (s[0] == '0' && s[1] != '\0')
		s++;
	FUZZ_CHECK(strcmp(back, s) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	uint64_t v, ms;
	uint32_t u;
	size_t sz, i;
	int rc;

	check_uint(s, 0, UINT64_MAX);
	check_uint(s, 1, 65535);
	check_uint(s, 0, 1000000);
	check_uint(s, 10, 5);			/* empty range */

	rc = parse_u32(s, &u);
	FUZZ_CHECK(rc == parse_uint(s, 0, UINT32_MAX, &v));
	FUZZ_CHECK(rc == -1 || u == v);

	for (i = 0; i < sizeof(seconds_max) / sizeof(seconds_max[0]); i++) {
		ms = 7;
		if (parse_seconds(s, seconds_max[i], &ms) == -1) {
			FUZZ_CHECK(ms == 7);
			continue;
		}
		/* Rounded to the nearest millisecond, within the bound. */
		FUZZ_CHECK((double)ms <= seconds_max[i] * 1000.0 + 1.0);
		/* Whole numbers of seconds are exact. */
		if (strchr(s, '.') == NULL && strlen(s) < 10)
			FUZZ_CHECK(ms == strtoull(s, NULL, 10) * 1000);
	}

	sz = 3;
	if (parse_size(s, SETTINGS_BUFSIZE_MIN, SETTINGS_BUFSIZE_MAX,
	    &sz) == 0)
		FUZZ_CHECK(sz >= SETTINGS_BUFSIZE_MIN &&
		    sz <= SETTINGS_BUFSIZE_MAX);
	else
		FUZZ_CHECK(sz == 3);
	if (parse_size(s, 0, SIZE_MAX, &sz) == 0 &&
	    parse_uint(s, 0, UINT64_MAX, &v) == 0)
		FUZZ_CHECK(sz == v);		/* no suffix: plain bytes */
	free(s);
	return (0);
}
