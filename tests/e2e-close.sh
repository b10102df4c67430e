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
	local be="$1" tr="$2" target name
	name="cl-$be-$tr"
	new_addr "$tr"
	target=$NEW_ADDR
	if ! start_proxy "px-$name" "$tr" --connect "$target"; then
		not_ok "$be $tr: proxy starts"
		return
	fi
	check "$be $tr: target close()s: the client's later sends fail" \
	    exchange "$name-a" "$target" \
	    "--order send-first --send 1k --end close" \
	    "--order recv-first --expect 1k --probe-epipe 2000
	     --expect-epipe yes"
	check "$be $tr: client close()s: the target's later sends fail" \
	    exchange "$name-b" "$target" \
	    "--order recv-first --expect 1k --probe-epipe 2000
	     --expect-epipe yes" \
	    "--order send-first --send 1k --end close"
	check "$be $tr: target shuts down: the client can still send" \
	    exchange "$name-c" "$target" \
	    "--order send-first --send 1k --end shutdown" \
	    "--order recv-first --expect 1k --probe-epipe 300
	     --expect-epipe no"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

scenario() {
	closing "$1" tcp
	closing "$1" unix
}

for_each_backend scenario
done_testing
