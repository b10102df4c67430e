#!/bin/sh
# e2e-sigterm: SIGTERM drains open connections, then cuts stragglers.
#
# Drain: a connection is open (the client has sent 1 MiB and holds its
# write side open) when the proxy gets SIGTERM.  The proxy must stop
# listening at once (a new client is refused) but keep running, let the
# open connection finish (the client then half-closes and gets the
# target's 1 MiB reply, byte-exact), and exit 0 as soon as it is idle,
# well before --shutdown-timeout (5 s).
#
# Mid-flight: SIGTERM while the client's 4 MiB are on their way (the
# target reads slowly: 16 KiB reads 5 ms apart, at least 1.3 s, and only
# then sends its 4 MiB reply, so the client cannot be done before that,
# however much the socket buffers hold): the transfer goes on to the end
# byte-exact at both ends, the reply included, then the proxy exits 0.
#
# Cut: a connection that stays open past --shutdown-timeout (0.5 s) is
# closed: the proxy exits 0 after about 0.5 s, not at once nor never,
# and both ends see their connection end.  Also: an idle proxy exits 0
# at once on SIGINT.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# open_conn BACKEND TRANSPORT NAME TIMEOUT "SERVER ARGS" "CLIENT ARGS": a
# proxy with --shutdown-timeout TIMEOUT, a vsp-peer server behind it
# ($PEER_PID) and a client ($CPID) whose connection has reached the
# server, so that a signal now finds it open.  The ARGS strings are split
# on blanks.  A failure is a result (not ok) and returns 1.
open_conn() {
	local what="$1 $2" tr="$2" name="$3" timeout="$4" srv="$5" cli="$6"
	start_relay "px-$name" "$tr" --shutdown-timeout "$timeout" ||
		{ not_ok "$what: proxy starts"; return 1; }
	# shellcheck disable=SC2086 # splitting is the point
	start_peer "$name.srv" "$TARGET" $srv --conn-file "$T/$name.up" ||
		{ not_ok "$what: target starts"; return 1; }
	# shellcheck disable=SC2086
	spawn "$name.cli" "$VSP_PEER" connect "$PROXY_ADDR" $cli \
	    --timeout "$VSP_WAIT"
	CPID=$SPAWNED
	if ! wait_for_file "$T/$name.up"; then
		not_ok "$what: connection reaches the target"
		return 1
	fi
}

# proxy_exit T0 SECONDS: reap the proxy within SECONDS; RC is its exit
# status, MS the milliseconds from T0 (from now_ms) until it was gone.
proxy_exit() {
	reap "$PROXY_PID" "$2"
	RC=$?
	MS=$(( $(now_ms) - $1 ))
}

drain() {
	local be="$1" tr="$2" name="dr-$1-$2" t0
	open_conn "$be" "$tr" "$name" 5 \
	    "--order recv-first --expect 1M --send 1M" \
	    "--order send-first --send 1M --expect 1M
	     --wait-file $T/$name.go" || return
	kill -TERM "$PROXY_PID"
	check "$be $tr: stops listening on SIGTERM" \
	    wait_for_unlisten "$PROXY_ADDR" 5
	run_peer "$name.late" "$PROXY_ADDR" --expect-refused --timeout 3
	check "$be $tr: a new client is refused while draining" \
	    peer_passed "$name.late" 1
	check "$be $tr: still running with a connection open" \
	    alive "$PROXY_PID"
	t0=$(now_ms)
	release "$T/$name.go" "$CPID"
	reap "$PEER_PID"
	check "$be $tr: the open connection completes byte-exact" eval \
	    'peer_passed "$name.cli" 1 && peer_passed "$name.srv" 1'
	proxy_exit "$t0" 8
	is "$RC" 0 "$be $tr: proxy exits 0 after draining"
	lt "$MS" 3000 \
	    "$be $tr: and without waiting out the timeout ($MS ms)"
}

midflight() {
	local be="$1" tr="$2" name="mf-$1-$2" rc
	open_conn "$be" "$tr" "$name" 20 \
	    "--order recv-first --expect 4M --send 4M --chunk 16k
	     --read-delay-ms 5" \
	    "--send 4M --expect 4M" || return
	kill -TERM "$PROXY_PID"
	check "$be $tr: SIGTERM arrived mid-transfer (client still busy)" \
	    alive "$CPID"
	reap "$CPID"
	reap "$PEER_PID"
	check "$be $tr: the transfer in flight completes byte-exact" eval \
	    'peer_passed "$name.cli" 1 && peer_passed "$name.srv" 1'
	reap "$PROXY_PID"
	rc=$?
	is "$rc" 0 "$be $tr: then the proxy exits 0"
}

cut() {
	local be="$1" tr="$2" name="cut-$1-$2" t0
	# Both ends wait for the other to finish: only the proxy can end
	# this connection.
	open_conn "$be" "$tr" "$name" 0.5 "--order recv-first" \
	    "--expect-refused" || return
	t0=$(now_ms)
	kill -TERM "$PROXY_PID"
	proxy_exit "$t0" 8
	is "$RC" 0 "$be $tr: proxy exits 0 after --shutdown-timeout"
	check "$be $tr: it waited for the connection ($MS ms >= 400)" \
	    test "$MS" -ge 400
	lt "$MS" 2500 "$be $tr: and then cut it (--shutdown-timeout 0.5)"
	reap "$CPID" 3
	check "$be $tr: the client saw its connection closed" \
	    peer_passed "$name.cli" 1
	reap "$PEER_PID" 3
	check "$be $tr: the target saw its connection end" \
	    test "$?" -ne 124
}

sigint() {
	local be="$1" tr="$2" t0
	if ! start_proxy "px-int-$be-$tr" "$tr" \
	    --connect "tcp:127.0.0.1:1"; then
		not_ok "$be $tr: proxy starts"
		return
	fi
	t0=$(now_ms)
	kill -INT "$PROXY_PID"
	proxy_exit "$t0" 5
	is "$RC" 0 "$be $tr: idle proxy exits 0 on SIGINT"
	lt "$MS" 1000 "$be $tr: at once ($MS ms)"
}

scenario() {
	drain "$1" tcp
	drain "$1" unix
	midflight "$1" tcp
	midflight "$1" unix
	cut "$1" tcp
	cut "$1" unix
	sigint "$1" unix
}

for_each_backend scenario
done_testing
