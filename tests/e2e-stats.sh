#!/bin/sh
# e2e-stats: after known transfers the SIGUSR1 line's counters and byte
# totals are exactly right (open connections included), the per-connection
# summary lines carry the right bytes and reasons, and --stats-interval
# repeats the line on its own.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
require_proxy

scenario() {
	local b=$1 log i

	start_peer "$b-srv" tcp:127.0.0.1:0 --conns 0 --send 70000 \
	    --expect 12345
	start_proxy "$b-px" tcp -v --stats-interval 0 --connect "$PEER_ADDR"
	log=$T/$b-px.log
	usr1 "$PROXY_PID" "$log"
	is "$(last_stats "$log")" "active=0 accepted=0 denied=0 connect_failed=0 closed=0 bytes_up=0 bytes_down=0 rate_up=0 rate_down=0 abandoned=0 buffer_bytes=0 buffer_peak=0 buffer_waits=0 pipes=0 bytes_spliced=0" \
	    "$b: a fresh daemon's line is all zeroes"
	for i in 1 2 3; do
		run_peer "$b-c$i" "$PROXY_ADDR" --send 12345 --expect 70000
	done
	check "$b: three transfers pass" eval 'peer_passed "$b-c1" 1 &&
	    peer_passed "$b-c2" 1 && peer_passed "$b-c3" 1'
	# The server may still be closing the last one: wait for the log.
	wait_until "$VSP_WAIT" log_at_least "$log" 'reason=eof' 3
	usr1 "$PROXY_PID" "$log"
	is "$(last_stats "$log" | cut -d' ' -f1-7)" \
	    "active=0 accepted=3 denied=0 connect_failed=0 closed=3 bytes_up=37035 bytes_down=210000" \
	    "$b: SIGUSR1 line after three transfers is exact"
	# TCP to TCP: every byte through a pipe, or none (--zero-copy off).
	is "$(stat_of bytes_spliced "$log")" \
	    "$([ "$(zero_copy_default)" = on ] && echo 247035 || echo 0)" \
	    "$b: bytes_spliced counts them all with zero-copy $(zero_copy_default)"
	is "$(grep ' stats rule=' "$log" | tail -n 1 | sed 's/.* stats //')" \
	    "rule=command-line active=0 accepted=3 denied=0 connect_failed=0 closed=3 bytes_up=37035 bytes_down=210000 abandoned=0" \
	    "$b: ... and so is the rule's line before it"
	is "$(grep -c 'event=close rule=[^ ]* peer=tcp:127.0.0.1:[0-9]* target=tcp:127.0.0.1:[0-9]* duration=[0-9.]* bytes_up=12345 bytes_down=70000 reason=eof' "$log")" 3 \
	    "$b: three summary lines with peer, target, bytes and reason"

	# An open connection counts as active, with its bytes so far.
	rm -f "$T/$b.go"
	spawn "$b-hold" "$VSP_PEER" connect "$PROXY_ADDR" --send 12345 \
	    --expect 70000 --wait-file "$T/$b.go" --timeout "$VSP_WAIT"
	wait_until "$VSP_WAIT" log_at_least "$log" 'event=open ' 4
	# Wait until its bytes have gone through, then ask.
	wait_until "$VSP_WAIT" sh -c "kill -USR1 $PROXY_PID;
	    grep ' stats ' '$log' | tail -n 1 | grep -q 'bytes_up=49380 bytes_down=280000'"
	is "$(last_stats "$log" | cut -d' ' -f1-7)" \
	    "active=1 accepted=4 denied=0 connect_failed=0 closed=3 bytes_up=49380 bytes_down=280000" \
	    "$b: an open connection is active and its bytes count"
	release "$T/$b.go" "$SPAWNED"
	is "$?" 0 "$b: the held connection completes"
	stop "$PROXY_PID"
	stop "$PEER_PID"

	# Connect failures: a target nobody listens on (port 1, tcpmux; a
	# free port could turn out to be the proxy's own).
	start_proxy "$b-dead" tcp -v --stats-interval 0 \
	    --connect tcp:127.0.0.1:1
	log=$T/$b-dead.log
	run_peer "$b-r1" "$PROXY_ADDR" --expect-refused
	run_peer "$b-r2" "$PROXY_ADDR" --expect-refused
	wait_until "$VSP_WAIT" log_at_least "$log" 'reason=connect-failed' 2
	usr1 "$PROXY_PID" "$log"
	is "$(last_stats "$log" | cut -d' ' -f1-7)" \
	    "active=0 accepted=2 denied=0 connect_failed=2 closed=2 bytes_up=0 bytes_down=0" \
	    "$b: refused targets count as connect_failed"
	check "$b: the failure is logged with its reason" \
	    grep -q "event=connect-failed .* target=tcp:127.0.0.1:[0-9]* error=\"Connection refused\"" "$log"
	stop "$PROXY_PID"

	# The timer repeats the line by itself.
	start_proxy "$b-timer" tcp --stats-interval 0.1 \
	    --connect tcp:127.0.0.1:1
	check "$b: --stats-interval 0.1 logs repeatedly" wait_until \
	    "$VSP_WAIT" log_at_least "$T/$b-timer.log" ' stats active=' 3
	stop "$PROXY_PID"
	# -q silences info, not the statistics asked for.
	start_proxy "$b-quiet" tcp -q --stats-interval 0 \
	    --connect tcp:127.0.0.1:1
	usr1 "$PROXY_PID" "$T/$b-quiet.log"
	is "$(grep -c . "$T/$b-quiet.log") $(grep -c ' stats rule=' \
	    "$T/$b-quiet.log") $(grep -c ' stats active=' "$T/$b-quiet.log")" \
	    "2 1 1" "$b: with -q the statistics (the rule's, the total) are the only output"
	stop "$PROXY_PID"
}

for_each_backend scenario
done_testing
