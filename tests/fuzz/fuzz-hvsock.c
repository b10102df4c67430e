/*
 * fuzz-hvsock: the reply parser of the hybrid vsock handshake,
 * hvsock_reply_parse() (src/hvsock.c).  The bytes are what a VMM, or a
 * guest behind it, sends back after "CONNECT P\n".  The parser must
 * never read past len, must not look beyond the reply's newline, and
 * must keep its promise for each status: OK has a whole "OK N\n" line
 * at the start, MORE is a proper prefix of one, BAD says why.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hvsock.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL, *why2;
	uint32_t port = 0, port2;
	uint64_t v = 0;
	size_t used = SIZE_MAX, used2, k;
	char *buf;
	enum hvsock_status st;

	/* An exact copy, without a NUL, so ASan catches a read past len. */
	if ((buf = calloc(size > 0 ? size : 1, 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	st = hvsock_reply_parse(buf, size, &port, &used, &why);
	switch (st) {
	case HVSOCK_OK:
		FUZZ_CHECK(used >= 5 && used <= size &&
		    used <= HVSOCK_REPLY_MAX);
		FUZZ_CHECK(memcmp(buf, "OK ", 3) == 0);
		FUZZ_CHECK(buf[used - 1] == '\n');
		for (k = 3; k < used - 1; k++) {
			FUZZ_CHECK(buf[k] >= '0' && buf[k] <= '9');
			v = v * 10 + (uint64_t)(buf[k] - '0');
			FUZZ_CHECK(v <= UINT32_MAX);
		}
		FUZZ_CHECK(v == port);
		/* The line alone gives the same answer... */
		FUZZ_CHECK(hvsock_reply_parse(buf, used, &port2, &used2,
		    &why2) == HVSOCK_OK && port2 == port && used2 == used);
		/* ...and each proper prefix of it asks for more. */
		for (k = 0; k < used; k++)
			FUZZ_CHECK(hvsock_reply_parse(buf, k, &port2, &used2,
			    &why2) == HVSOCK_MORE);
		break;
	case HVSOCK_MORE:
		FUZZ_CHECK(size < HVSOCK_REPLY_MAX);
		FUZZ_CHECK(memchr(buf, '\n', size) == NULL);
		break;
	case HVSOCK_BAD:
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		break;
	default:
		FUZZ_CHECK(!"unknown hvsock_status");
	}
	free(buf);
	return (0);
}
