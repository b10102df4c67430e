#!/bin/sh
# e2e-halfclose-client: the client half-closes, then reads the reply.
#
# The client sends its request and calls shutdown(SHUT_WR); the target
# reads to EOF and only then sends its reply; the client must get the
# whole reply and then EOF.  A proxy that closes both directions on the
# first EOF (the classic relay bug) loses the reply; one that does not
# pass the EOF on leaves the target waiting until the deadline.  Also: an
# empty request (EOF first thing), and a slow target, so that the EOF
# arrives while the proxy still holds request bytes that must go first.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

halfclose() {
	# Each case: what it checks, the target's arguments, the client's.
	relay_exchanges "$1" "$2" "hc-$1-$2" \
	    "1M request, shutdown, 8M reply after EOF" \
	    "--order recv-first --expect 1M --send 8M" \
	    "--order send-first --end shutdown --send 1M --expect 8M" \
	    "empty request, shutdown, 1M reply" \
	    "--order recv-first --expect 0 --send 1M" \
	    "--order send-first --end shutdown --send 0 --expect 1M" \
	    "target close()s after its reply" \
	    "--order recv-first --expect 1 --send 1M --end close" \
	    "--order send-first --end shutdown --send 1 --expect 1M" \
	    "slow target gets all 4M buffered before EOF" \
	    "--order recv-first --expect 4M --send 1k
	     --read-delay-ms 1 --chunk 64k" \
	    "--order send-first --end shutdown --send 4M --expect 1k"
}

scenario() {
	halfclose "$1" tcp
	halfclose "$1" unix
}

for_each_backend scenario
done_testing
