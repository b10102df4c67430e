#!/bin/sh
# e2e-client-gone: the client leaves while the target's connect is in
# progress.
#
# The target is a black hole (blackhole in tests/lib.sh) and
# --connect-timeout is 30 s, so only the client can end these
# connections.  Three clients connect and wait until the daemon holds
# both sockets of each (so the connects are in flight), then leave:
#   - over UNIX by closing (the daemon sees a hangup);
#   - over TCP by resetting (SO_LINGER 0).
# The daemon must drop each one and cancel its connect at once (its
# descriptors back to the idle count within 5 s, not 30), log
# reason=client-gone and count them as abandoned=3 (SIGUSR1), and still
# relay afterwards.  A TCP client that only closes (a FIN) cannot be
# told from a half-close that waits for its reply, so there the connect
# goes on until it times out (3 s here): checked as such, and the
# descriptors are freed then.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# leave BACKEND TRANSPORT TIMEOUT NAME OPTIONS...: three clients that
# leave as OPTIONS (vsp-peer's) say once their connects are in flight.
leave() {
	local be="$1" tr="$2" secs="$3" name="cg-$1-$2-$4" base
	shift 4
	if ! start_proxy "px-$name" "$tr" -v --connect "$HOLE" \
	    --connect-timeout "$secs" --stats-interval 0; then
		not_ok "$be $tr: proxy starts"
		return 1
	fi
	base=$(nsockets "$PROXY_PID")
	spawn "$name.cli" "$VSP_PEER" connect "$PROXY_ADDR" --conns 3 \
	    --wait-file "$T/$name.go" --timeout "$VSP_WAIT" "$@"
	CLI=$SPAWNED
	NAME=$name
	BASE=$base
	if ! wait_until "$VSP_WAIT" sockets_at_least "$PROXY_PID" \
	    $((base + 6)); then
		not_ok "$be $tr: three connects in flight"
		return 1
	fi
	touch "$T/$name.go"
}

gone() {
	local be="$1" tr="$2" how="$3" opts="$4" t0 ms
	# shellcheck disable=SC2086 # opts: options, split on blanks
	leave "$be" "$tr" 30 "$how" $opts || return
	t0=$(now_ms)
	check "$be $tr: clients that $how are dropped, connects cancelled" \
	    wait_until 5 sockets_at_most "$PROXY_PID" "$BASE"
	ms=$(( $(now_ms) - t0 ))
	lt "$ms" 5000 "$be $tr: ... at once ($ms ms; the timeout is 30 s)"
	check "$be $tr: ... logged as reason=client-gone" \
	    wait_until 5 log_at_least "$PROXY_LOG" 'reason=client-gone' 3
	reap "$CLI"
	kill -USR1 "$PROXY_PID"
	check "$be $tr: ... counted (abandoned=3)" wait_until 5 \
	    grep -q ' stats .*closed=3 .* abandoned=3 ' "$PROXY_LOG"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

fin() {
	local be="$1"
	leave "$be" tcp 3 close --send 0 --end close || return
	check "$be tcp: clients that close (FIN): the connects time out" \
	    wait_until "$VSP_WAIT" log_at_least "$PROXY_LOG" \
	    'reason=timeout' 3
	is "$(log_count "$PROXY_LOG" 'reason=client-gone')" 0 \
	    "$be tcp: ... and are not taken for gone"
	check "$be tcp: ... their descriptors are freed then" \
	    wait_until 5 sockets_at_most "$PROXY_PID" "$BASE"
	reap "$CLI"
	stop "$PROXY_PID"
	is "$?" 0 "$be tcp: proxy exits 0 on SIGTERM"
}

scenario() {
	gone "$1" unix close "--send 0 --end close"
	gone "$1" tcp reset "--send 0 --reset-after 0"
	fin "$1"
}

blackhole bh 120 ||
    skip_all "no black hole here (SYNs to a full backlog are answered)"
for_each_backend scenario
done_testing
