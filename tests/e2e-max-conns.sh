#!/bin/sh
# e2e-max-conns: --max-conns N holds connection N+1 back until one ends.
#
# With --max-conns 2, three clients connect and hold their connections
# open.  The target must see exactly two of them (checked again after a
# short grace period, so that a late third would be caught); once the
# clients finish, the third is served too and all three transfers are
# intact.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

accepted() {
	grep -c ' accepted' "$T/$1.err"
}

accepted_at_least() {
	[ "$(accepted "$1")" -ge "$2" ]
}

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
	    wait_until 5 accepted_at_least "$name.srv" 2
	# A negative: give a wrong third connection time to show up.
	sleep 0.3
	is "$(accepted "$name.srv")" 2 "$be $tr: the third is held back"
	touch "$T/$name.go"
	reap "$SPAWNED"
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
