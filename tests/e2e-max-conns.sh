#!/bin/sh
# e2e-max-conns: --max-conns N holds connection N+1 back until one ends.
#
# With --max-conns 2, three clients connect and hold their connections
# open.  The target must see exactly two of them, the third waiting in
# the listener's queue, and the daemon must not take it from there
# (checked after its loop has gone round twice); once the clients
# finish, the third is served too and all three transfers are intact.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

maxconns() {
	local be="$1" tr="$2" target name
	name="mc-$be-$tr"
	start_relay "px-$name" "$tr" --max-conns 2 ||
		{ not_ok "$be $tr: proxy starts"; return; }
	target=$TARGET
	# -v: the target logs each accept on stderr.
	start_peer "$name.srv" "$target" --conns 3 --order recv-first \
	    --expect 1k -v || { not_ok "$be $tr: target starts"; return; }
	spawn "$name.cli" "$VSP_PEER" connect "$PROXY_ADDR" --conns 3 \
	    --order send-first --send 1k --wait-file "$T/$name.go" \
	    --timeout "$VSP_WAIT"
	check "$be $tr: two connections reach the target" \
	    wait_until 5 peer_accepts_at_least "$name.srv" 2
	# A negative check.  The client opened all three at once: the
	# third waits in the listener's queue.  Once the daemon's loop has
	# gone round with it there, a wrong accept would have happened:
	# two statistics round trips prove that (a signal and a pending
	# connection may share a wake-up, the line written first).
	check "$be $tr: the third waits in the listener's queue" \
	    wait_until 5 backlog_is "$PROXY_ADDR" 1
	usr1 && usr1
	is "$(stat_of accepted) $(backlog "$PROXY_ADDR") \
$(peer_accepts "$name.srv")" "2 1 2" \
	    "$be $tr: the third is held back (accepted, queued, at target)"
	release "$T/$name.go" "$SPAWNED"
	reap "$PEER_PID"
	check "$be $tr: then all three are served, intact" eval \
	    'peer_passed "$name.cli" 3 && peer_passed "$name.srv" 3'
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

scenario() {
	maxconns "$1" tcp
	maxconns "$1" unix
}

for_each_backend scenario
done_testing
