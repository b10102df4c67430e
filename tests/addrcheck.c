/*
 * vsp-addr: parses addresses in the syntax of the test tools (peeraddr.h)
 * and prints them back, opening nothing, so that tests/e2e-peer.sh can
 * check the parser, vsock forms included, on a host without vsock.
 *
 *   vsp-addr [--listen] ADDR...
 *
 * One line per address, in the form the tools print (tcp:localhost:9 is
 * tcp:127.0.0.1:9; vsock:CID:PORT with CID -1 is the listening
 * vsock:PORT); --listen allows vsock:PORT.  A bad address is a warning
 * naming it.  Exit status: 0 all parsed, 64 one did not or usage.
 *
 * libc only, like vsp-peer.
 */
#include <sys/socket.h>

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "peeraddr.h"
#include "tool.h"

int
main(int argc, char **argv)
{
	struct peeraddr a;
	const char *err;
	char buf[160];
	int i = 1, listening = 0, rc = EX_OK;

	if (i < argc && (strcmp(argv[i], "-h") == 0 ||
	    strcmp(argv[i], "--help") == 0)) {
		printf("usage: vsp-addr [--listen] ADDR...\n");
		return (EX_OK);
	}
	if (i < argc && strcmp(argv[i], "--listen") == 0) {
		listening = 1;
		i++;
	}
	if (i == argc)
		tool_usage_error("no address given");
	for (; i < argc; i++) {
		if (peeraddr_parse(argv[i], listening, &a, &err) == -1) {
			warnx("%s: %s", argv[i], err);
			rc = EX_USAGE;
			continue;
		}
		printf("%s\n", peeraddr_format_type((struct sockaddr *)&a.ss,
		    a.type, buf, sizeof(buf)));
	}
	return (rc);
}
