#!/bin/sh
# e2e-reset: one end aborts its connection mid-stream (an RST: SO_LINGER
# 0, then close; over UNIX, a close that leaves unread data, which is
# what a UNIX peer sees as ECONNRESET).
#
# One daemon, two rules: "a" to a target that plays fair, "b" to a
# target that resets each connection once 1 MiB of 8 MiB has arrived
# (so the daemon is surely relaying by then).
#   - client resets: through "a", a client resets once it has received
#     1 MiB of 8 MiB, while a second client on the same rule is in the
#     middle of its own 8 MiB each way (held open);
#   - target resets: through "b", the target resets after 1 MiB in, while
#     a client on "a" is mid-transfer.
# The resetting peers read first (--order recv-first) and so never send a
# FIN before their RST: after a FIN the proxy's socket is in CLOSE_WAIT,
# where Linux reports the reset as EPIPE, not ECONNRESET.
# Each time the far end must see its connection end (an error or a short
# EOF, not its 20 s timeout), the daemon must log reason=reset (TCP;
# for UNIX the reason is reported), the parallel transfer must finish
# byte-exact, and the daemon must be back to its idle descriptors.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy


# ended NAME: NAME (a peer that was reset on) printed one FAIL line
# that is an error or a short stream, not a timeout; sets ENDED_MS.
ended() {
	local line
	line=$(grep '^conn=' "$T/$1.out" | grep FAIL)
	ENDED_MS=$(echo "$line" | sed -n 's/.* ms=\([0-9]*\).*/\1/p')
	case $line in
	*error=short*|*error=recv*|*error=send*) return 0 ;;
	esac
	diag "$1: $line"
	diag_file "$T/$1.err" 3
	return 1
}

# logged WHAT TARGET: the first connection to TARGET to close was logged
# with reason=reset (TCP); over UNIX the reason is only reported.  The
# daemon logs just after closing, so the line is waited for.
logged() {
	local reason
	wait_until "$VSP_WAIT" grep -q "event=close .* target=$2 " "$PROXY_LOG"
	reason=$(grep "event=close .* target=$2 " "$PROXY_LOG" | head -n 1 |
	    sed 's/.* reason=//')
	if [ "$tr" = tcp ]; then
		is "$reason" reset "$1: the daemon logs reason=reset"
	else
		diag "$1: logged as reason=$reason"
	fi
}

# neighbour N ADDR: a client of 8 MiB each way, connected, then held
# until $T/$name.goN appears (name is reset_case's); its pid in good.
neighbour() {
	spawn "$name.good$1" "$VSP_PEER" connect "$2" --send 8M \
	    --expect 8M --chunk 64k --wait-file "$T/$name.go$1" \
	    --conn-file "$T/$name.good$1.up" --timeout "$VSP_WAIT"
	good=$SPAWNED
	wait_for_file "$T/$name.good$1.up"
}

reset_case() {
	local be="$1" tr="$2" name la lb ta tb conf good base
	name="rst-$be-$tr"
	new_addrs la="$tr" lb="$tr" ta="$tr" tb="$tr"
	conf="$T/$name.conf"
	{ rule a "$la" "$ta"; rule b "$lb" "$tb"; } >"$conf"
	start_conf_proxy "px-$name" "$conf" "$la" "$lb" -- -v ||
	    { not_ok "$be $tr: proxy starts"; return; }
	base=$(nsockets "$PROXY_PID")
	# The fair target serves the held client and the resetting one
	# (in either order); the other target resets after 1 MiB.
	start_peer "$name.ta" "$ta" --conns 0 --send 8M --expect 8M \
	    --chunk 64k || { not_ok "$be $tr: target a starts"; return; }
	local tapid=$PEER_PID
	start_peer "$name.tb" "$tb" --conns 1 --send 8M --expect 8M \
	    --chunk 64k --reset-after 1M --order recv-first --timeout 20 ||
	    { not_ok "$be $tr: target b starts"; return; }
	local tbpid=$PEER_PID

	# 1. The client resets; a neighbour on the same rule is mid-way.
	neighbour 1 "$la"
	run_peer "$name.rcli" "$la" --send 8M --expect 8M --chunk 64k \
	    --reset-after 1M --order recv-first
	check "$be $tr: client reset: the client did reset" \
	    grep -q ' reset ok$' "$T/$name.rcli.out"
	check "$be $tr: ... the target sees its connection end" \
	    wait_until "$VSP_WAIT" ended "$name.ta"
	lt "${ENDED_MS:-99999}" 10000 \
	    "$be $tr: ... promptly (${ENDED_MS} ms after it began)"
	logged "$be $tr: client reset" "$ta"
	release "$T/$name.go1" "$good"
	check "$be $tr: ... the neighbour's 8 MiB each way is byte-exact" \
	    peer_passed "$name.good1" 1
	check "$be $tr: ... also as its target saw it" \
	    wait_until "$VSP_WAIT" \
	    sh -c "[ \$(grep -c ' ok\$' '$T/$name.ta.out') -ge 1 ]"

	# 2. The target resets; a client on the other rule is mid-way.
	neighbour 2 "$la"
	run_peer "$name.vict" "$lb" --send 8M --expect 8M --chunk 64k \
	    --timeout 20
	check "$be $tr: target reset: the client sees its connection end" \
	    ended "$name.vict"
	lt "${ENDED_MS:-99999}" 10000 \
	    "$be $tr: ... promptly (${ENDED_MS} ms after it began)"
	reap "$tbpid"
	check "$be $tr: ... the target did reset" \
	    grep -q ' reset ok$' "$T/$name.tb.out"
	logged "$be $tr: target reset" "$tb"
	release "$T/$name.go2" "$good"
	check "$be $tr: ... the neighbour's 8 MiB each way is byte-exact" \
	    peer_passed "$name.good2" 1
	check "$be $tr: ... also as its target saw it" \
	    wait_until "$VSP_WAIT" \
	    sh -c "[ \$(grep -c ' ok\$' '$T/$name.ta.out') -ge 2 ]"
	check "$be $tr: back to the idle $base sockets" \
	    wait_until "$VSP_WAIT" sockets_at_most "$PROXY_PID" "$base"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
	kill "$tapid" 2>/dev/null
}

scenario() {
	reset_case "$1" tcp
	reset_case "$1" unix
}

for_each_backend scenario
done_testing
