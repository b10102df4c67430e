#!/bin/sh
# e2e-concurrent: 200 connections at once, each with its own bytes.
#
# One client opens 200 connections together (one poll loop); each sends
# 64 KiB and then holds its write side open until the test says go, so
# that all 200 are proxied at the same moment: the proxy must then hold
# 400 more descriptors than when idle.  After go, each half-closes and
# gets 32 KiB back.  Every connection carries a different stream and
# each receiver works out which one it got, so the test fails if the
# proxy drops, stalls or crosses connections (each side must see 200
# different streams, each intact).  Afterwards the proxy must be back to
# its idle socket count: every socket was closed.  (Sockets, not all
# descriptors: under valgrind the daemon's process also holds valgrind's
# own files, some only for a moment, which once made an idle count taken
# at start one too high.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

N=200

concurrent() {
	local be="$1" tr="$2" target name base streams side crc src
	name="cc-$be-$tr"
	new_addr "$tr"
	target=$NEW_ADDR
	if ! start_proxy "px-$name" "$tr" --connect "$target"; then
		not_ok "$be $tr: proxy starts"
		return
	fi
	base=$(nsockets "$PROXY_PID")
	start_peer "$name.srv" "$target" --conns "$N" --send 32k \
	    --expect 64k || { not_ok "$be $tr: target starts"; return; }
	spawn "$name.cli" "$VSP_PEER" connect "$PROXY_ADDR" --conns "$N" \
	    --send 64k --expect 32k --wait-file "$T/$name.go" \
	    --timeout "$VSP_WAIT"
	check "$be $tr: $N connections open at once ($base + 2 x $N sockets)" \
	    wait_until "$VSP_WAIT" sockets_at_least "$PROXY_PID" \
	    $((base + 2 * N))
	release "$T/$name.go" "$SPAWNED"
	crc=$?
	reap "$PEER_PID"
	src=$?
	check "$be $tr: all $N byte-exact (exit $crc, $src)" eval \
	    'peer_passed "$name.cli" $N && peer_passed "$name.srv" $N'
	for side in srv cli; do
		streams=$(sed -n 's/.* stream=\([0-9]*\) .*/\1/p' \
		    "$T/$name.$side.out" | sort -u | wc -l)
		is "$streams" "$N" "$be $tr: $side saw $N distinct streams"
	done
	check "$be $tr: proxy closed every socket (back to $base)" \
	    wait_until "$VSP_WAIT" sockets_at_most "$PROXY_PID" "$base"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

scenario() {
	concurrent "$1" tcp
	concurrent "$1" unix
}

for_each_backend scenario
done_testing
