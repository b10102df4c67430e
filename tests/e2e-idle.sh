#!/bin/sh
# e2e-idle: idle-timeout counts from the last byte moved, measured when
# it moved.
#
#   - keepalives: a client sends one byte every 0.6 s for 4.8 s through a
#     rule with idle-timeout 1; the connection is never closed as idle,
#     every byte arrives and it ends with reason=eof (the loop once
#     stamped activity with the time it went to sleep, so a byte 0.9 s
#     into a wait counted as 0.9 s old and the connection was killed at
#     the first timeout);
#   - silence: a connection that sends one byte and then nothing is
#     closed with reason=idle after 1 s (duration= in the close line),
#     not before, and not much later.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# close_field TARGET KEY: KEY=... of the close line for TARGET.
close_field() {
	sed -n "s|.*close .*target=$1 .*$2=\\([^ ]*\\).*|\\1|p" "$PROXY_LOG" |
	    head -n 1
}

scenario() {
	local be="$1" keep quiet tk tq kpid qpid kc qc dur ms
	new_addrs keep=tcp quiet=tcp tk=tcp tq=unix
	{
		rule keepalive "$keep" "$tk" "idle-timeout 1"
		rule silent "$quiet" "$tq" "idle-timeout 1"
	} >"$T/$be.conf"
	if ! start_conf_proxy "px-$be" "$T/$be.conf" "$keep" "$quiet" -- -v
	then
		not_ok "$be: proxy starts"
		return
	fi
	start_peer "$be.tk" "$tk" --conns 1 --expect 8 ||
	    { not_ok "$be: target starts"; return; }
	kpid=$PEER_PID
	start_peer "$be.tq" "$tq" --conns 1 --order recv-first ||
	    { not_ok "$be: target starts"; return; }
	qpid=$PEER_PID
	spawn "$be.kc" "$VSP_PEER" connect "$keep" --send 8 --chunk 1 \
	    --send-delay-ms 600 --timeout "$VSP_WAIT"
	kc=$SPAWNED
	spawn "$be.qc" "$VSP_PEER" connect "$quiet" --send 1 \
	    --wait-file "$T/$be.never" --timeout "$VSP_WAIT"
	qc=$SPAWNED

	check "$be: silence: closed with reason=idle" \
	    wait_until 10 grep -q "target=$tq .*reason=idle" "$PROXY_LOG"
	dur=$(close_field "$tq" duration)
	ms=$(echo "$dur" | tr -d .)
	ms=${ms#0}; ms=${ms#0}; ms=${ms#0}
	check "$be: ... after 1 s of silence, not before (duration=$dur)" \
	    eval '[ "${ms:-0}" -ge 1000 ] && [ "${ms:-0}" -lt 1600 ]'
	kill "$qc" "$qpid" 2>/dev/null

	reap "$kc"; reap "$kpid"
	check "$be: keepalives every 0.6 s: all 8 bytes relayed, both ends ok" \
	    eval 'peer_passed "$be.kc" 1 && peer_passed "$be.tk" 1'
	check "$be: ... never closed as idle" \
	    eval '! grep -q "target=$tk .*reason=idle" "$PROXY_LOG"'
	is "$(close_field "$tk" reason)" eof "$be: ... closed at the end (eof)"
	reap "$qc"; reap "$qpid"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
	[ "$T_FAILED" -eq 0 ] || diag_file "$PROXY_LOG"
}

for_each_backend scenario
done_testing
