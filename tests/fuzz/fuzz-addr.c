/*
 * fuzz-addr: endpoint addresses, for listening and for connecting.
 * Numeric only (ADDR_NUMERIC): a tcp host name would go to DNS.  A
 * parsed address must print, and what it prints must parse again to an
 * address that prints the same.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

static void
one(const char *s, enum addr_use use)
{
	struct addr a, b;
	char err[256], fa[ADDR_STRLEN], fb[ADDR_STRLEN];

	memset(err, 0, sizeof(err));
	if (addr_parse_flags(s, use, ADDR_NUMERIC, &a, err,
	    sizeof(err)) == -1) {
		/* Every failure says why, on one line. */
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strchr(err, '\n') == NULL);
		return;
	}
	FUZZ_CHECK(a.kind == ADDR_VSOCK || a.kind == ADDR_TCP ||
	    a.kind == ADDR_UNIX || a.kind == ADDR_HVSOCK);
	/* hybrid-vsock: is a connect address only. */
	FUZZ_CHECK(a.kind != ADDR_HVSOCK || use == ADDR_CONNECT);
	FUZZ_CHECK(a.salen > 0 && a.salen <= sizeof(a.sa));
	/* Seqpacket exists for vsock and unix only. */
	FUZZ_CHECK(a.type == SOCK_STREAM || (a.type == SOCK_SEQPACKET &&
	    (a.kind == ADDR_VSOCK || a.kind == ADDR_UNIX)));
	(void)addr_family(&a);
	addr_format(&a, fa, sizeof(fa));
	/* Always whole, and one line whatever the path held. */
	FUZZ_CHECK(strlen(fa) + 1 < sizeof(fa));
	FUZZ_CHECK(strchr(fa, '\n') == NULL && strchr(fa, '\r') == NULL);
	/* An escaped unix path (escape.h) reads back as other bytes. */
	if (strchr(fa, '\\') != NULL)
		return;
	/* vsock:PORT (any CID) is a listen-only form, hybrid-vsock: a
	 * connect-only one. */
	FUZZ_CHECK(addr_parse_flags(fa, a.kind == ADDR_HVSOCK ? ADDR_CONNECT :
	    ADDR_LISTEN, ADDR_NUMERIC, &b, err, sizeof(err)) == 0);
	addr_format(&b, fb, sizeof(fb));
	FUZZ_CHECK(strcmp(fa, fb) == 0);
	FUZZ_CHECK(b.kind == a.kind);
	FUZZ_CHECK(b.type == a.type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);

	one(s, ADDR_LISTEN);
	one(s, ADDR_CONNECT);
	free(s);
	return (0);
}
