#!/bin/sh
# e2e-halfclose-server: the target half-closes first, the client goes on.
#
# The target sends everything and calls shutdown(SHUT_WR) before reading;
# the client reads to EOF and only then sends its own data, which must
# still reach the target.  A proxy that tears the whole connection down
# when the target's side ends makes the client's send fail or the
# target's read come up short.  Also: a target that says nothing and
# half-closes at once, and a slow client, so that the target's EOF
# arrives while the proxy still holds bytes for the client.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

halfclose() {
	# Each case: what it checks, the target's arguments, the client's.
	relay_exchanges "$1" "$2" "hs-$1-$2" \
	    "target sends 8M, shutdown; client then sends 1M" \
	    "--order send-first --end shutdown --send 8M --expect 1M" \
	    "--order recv-first --expect 8M --send 1M" \
	    "target half-closes at once; client sends 1M" \
	    "--order send-first --end shutdown --send 0 --expect 1M" \
	    "--order recv-first --expect 0 --send 1M" \
	    "client close()s after its answer" \
	    "--order send-first --end shutdown --send 1 --expect 1M" \
	    "--order recv-first --expect 1 --send 1M --end close" \
	    "slow client gets all 4M buffered before EOF" \
	    "--order send-first --end shutdown --send 4M --expect 1k" \
	    "--order recv-first --expect 4M --send 1k
	     --read-delay-ms 1 --chunk 64k"
}

scenario() {
	halfclose "$1" tcp
	halfclose "$1" unix
}

for_each_backend scenario
done_testing
