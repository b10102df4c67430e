#!/bin/sh
# e2e-close: a close() at one end reaches the other end; a shutdown()
# does not end the other direction.
#
# After the target close()s, the client's further sends must fail
# (EPIPE or ECONNRESET) within 2 s: the proxy noticed that nobody will
# read them and closed the client's connection, instead of swallowing
# the data.  The same the other way round.  After the target merely
# shuts down its writing side, the client must be able to keep sending
# for a while (the target still reads).  This is the TCP and UNIX
# counterpart of vmtest's vsock close-versus-shutdown check.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

closing() {
	# Each case: what it checks, the target's arguments, the client's.
	relay_exchanges "$1" "$2" "cl-$1-$2" \
	    "target close()s: the client's later sends fail" \
	    "--order send-first --send 1k --end close" \
	    "--order recv-first --expect 1k --probe-epipe 2000
	     --expect-epipe yes" \
	    "client close()s: the target's later sends fail" \
	    "--order recv-first --expect 1k --probe-epipe 2000
	     --expect-epipe yes" \
	    "--order send-first --send 1k --end close" \
	    "target shuts down: the client can still send" \
	    "--order send-first --send 1k --end shutdown" \
	    "--order recv-first --expect 1k --probe-epipe 300
	     --expect-epipe no"
}

scenario() {
	closing "$1" tcp
	closing "$1" unix
}

for_each_backend scenario
done_testing
