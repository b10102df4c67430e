#!/bin/sh
# e2e-refused: a target that refuses gets the client closed at once.
#
# When the target's connect() fails at once (ECONNREFUSED on a TCP port
# with no listener, ENOENT for a missing unix socket, ECONNREFUSED for a
# unix socket file nobody listens on), the proxy must close the client
# without sending it anything, well before the 2 s --connect-timeout: a
# proxy that ignores the error waits for the timeout (or forever) and
# fails the time limit.  Then a target appears on the same address and a
# transfer must work: the refusals left the proxy healthy.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# Closed "well under" the 2 s connect timeout: 1 s leaves room for a
# loaded machine while still failing a proxy that waits for the timeout.
LIMIT_MS=1000

refused() {
	local be="$1" tr="$2" how="$3" target name ms
	name="rf-$be-$tr-$how"
	new_addr "$tr"
	target=$NEW_ADDR
	if [ "$how" = stale ]; then
		# A socket file with no listener behind it: vsp-peer removes
		# its socket when it exits, but not when it is killed.
		start_peer "$name-stale" "$target" || return
		kill -KILL "$PEER_PID"
		reap "$PEER_PID"
		if [ ! -S "${target#unix:}" ] || is_listening "$target"; then
			not_ok "$be $tr ($how): make a stale socket file"
			return
		fi
	fi
	if ! start_proxy "px-$name" "$tr" --connect "$target" \
	    --connect-timeout 2; then
		not_ok "$be $tr ($how): proxy starts"
		return
	fi
	run_peer "$name" "$PROXY_ADDR" --expect-refused --conns 5
	check "$be $tr ($how): 5 clients closed without data" \
	    peer_passed "$name" 5
	ms=$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T/$name.out" |
	    sort -n | tail -n 1)
	lt "${ms:-99999}" "$LIMIT_MS" \
	    "$be $tr ($how): all closed within $LIMIT_MS ms (slowest $ms)"
	[ "$how" = stale ] && rm -f "${target#unix:}"
	check "$be $tr ($how): then a transfer through the same proxy works" \
	    exchange "$name-after" "$target" \
	    "--send 64k --expect 64k" "--send 64k --expect 64k"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr ($how): proxy exits 0 on SIGTERM"
}

scenario() {
	refused "$1" tcp nolistener
	refused "$1" unix missing
	refused "$1" unix stale
}

for_each_backend scenario
done_testing
