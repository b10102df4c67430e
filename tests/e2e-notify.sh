#!/bin/sh
# e2e-notify: the daemon speaks systemd's readiness protocol on
# NOTIFY_SOCKET.
#
# A sink (vsp-notify) stands in for systemd: it prints each
# datagram as one line "pid=SENDER MESSAGE" and stops the sender of
# READY=1 with SIGSTOP, so that the test sees what the daemon had done
# when it said it was ready:
#   - READY=1 comes from the daemon's pid, once all of its 401
#     listeners listen (checked while it is stopped), then STATUS=;
#   - STATUS= carries the counters after a connection and SIGUSR1;
#   - SIGHUP: RELOADING=1 with a rising MONOTONIC_USEC=, then READY=1
#     and STATUS=; a broken file ends in READY=1 too, with the error in
#     STATUS=; SIGTERM: STOPPING=1;
#   - an abstract "@name" socket works; -d sends READY=1 with MAINPID= of
#     the detached daemon, from that daemon;
#   - a NOTIFY_SOCKET nobody listens on changes nothing, and its error is
#     logged once, at debug level only.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# start_sink NAME SOCKET [ARGS...]: start a sink on SOCKET, wait until it
# is bound; its lines go to $T/NAME.out.  Sets SINK_PID and SINK.
start_sink() {
	local name="$1" sock="$2"
	shift 2
	spawn "$name" "$VSP_NOTIFY" "$sock" \
	    --ready-file "$T/$name.ready" --timeout $((VSP_WAIT * 6)) "$@"
	SINK_PID=$SPAWNED
	SINK="$T/$name.out"
	wait_until "$VSP_WAIT" file_or_dead "$T/$name.ready" "$SINK_PID" &&
	    [ -e "$T/$name.ready" ]
}

# wait_msgs MATCH N: until at least N lines match.
wait_msgs() {
	wait_until "$VSP_WAIT" log_at_least "$SINK" "$1" "$2"
}
# after N: the sink's lines after the first N, without the pid.
# The rules' part of STATUS= (after the totals) is left out: see
# rules_status.
after() {
	tail -n +$(($1 + 1)) "$SINK" |
	    sed -e 's/^pid=[0-9-]* //' -e 's/\(connect-failed\); .*/\1/'
}
# rules_status: the rules' part of the newest STATUS=.
rules_status() {
	grep 'STATUS=' "$SINK" | tail -n 1 | sed -n 's/.*connect-failed; //p'
}
# usec LINE: the MONOTONIC_USEC of a RELOADING line.
usec() {
	sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p'
}
# reload_msgs: SIGHUP the daemon and wait for the STATUS= that ends the
# reload.  Sets RELOAD_MSGS, the sink's lines since the signal joined
# with '#' (the MONOTONIC_USEC= value as N), and RELOAD_USEC, that value.
reload_msgs() {
	local n
	n=$(grep -c . "$SINK")
	kill -HUP "$PROXY_PID"
	wait_until "$VSP_WAIT" sh -c "tail -n +$((n + 1)) '$SINK' |
	    grep -q STATUS="
	RELOAD_MSGS=$(after "$n" |
	    sed 's/MONOTONIC_USEC=[0-9][0-9]*/MONOTONIC_USEC=N/' |
	    tr '\n' '#')
	RELOAD_USEC=$(after "$n" | head -n 1 | usec)
}
# unix_listeners PREFIX: how many listening UNIX sockets' paths start so.
unix_listeners() {
	awk -v p="$1" '$4 == "00010000" && index($NF, p) == 1 { n++ }
	    END { print n + 0 }' /proc/net/unix
}

scenario() {
	local be="$1" conf addrs= i n tgt u1 u2
	start_sink "$be.sink" "$T/$be.notify" --stop-on-ready ||
	    { not_ok "$be: the sink starts"; return; }
	# exchange starts a server there for each transfer.
	new_addr tcp; tgt=$NEW_ADDR
	conf=$T/$be.conf
	# Many listeners, so that binding them takes longer than the sink
	# takes to stop a daemon that said READY=1 too early.
	new_addr tcp
	addrs=$NEW_ADDR
	rule r0 "$NEW_ADDR" "$tgt" >"$conf"
	i=1
	while [ $i -le 400 ]; do
		rule "r$i" "unix:$T/$be-s$i" "$tgt" >>"$conf"
		i=$((i + 1))
	done
	NOTIFY_SOCKET=$T/$be.notify "$VSOCKPROXY" --event-backend "$be" \
	    -c "$conf" --stats-interval 0 >"$T/$be.log" 2>&1 &
	PROXY_PID=$!
	PROXY_LOG=$T/$be.log
	T_PIDS="$T_PIDS $PROXY_PID"
	if ! wait_msgs 'READY=1' 1; then
		not_ok "$be: READY=1 arrives"
		diag_file "$PROXY_LOG"
		return
	fi
	# The sink has stopped the daemon: it cannot bind anything now.
	check "$be: at READY=1 the TCP listener listens" is_listening "$addrs"
	is "$(unix_listeners "$T/$be-s")" 400 \
	    "$be: at READY=1 all 400 UNIX listeners listen"
	kill -CONT "$PROXY_PID"
	is "$(grep -m1 'READY=1' "$SINK" | sed 's/ .*//')" "pid=$PROXY_PID" \
	    "$be: READY=1 comes from the daemon's pid"
	wait_msgs '^pid=[0-9]+ STATUS=' 1
	is "$(after 0 | head -n 2 | tr '\n' '#')" \
	    "READY=1#STATUS=0 active, 0 accepted, 0 denied, 0 connect-failed#" \
	    "$be: READY=1, then STATUS= with zero counters"
	rs=$(rules_status)
	check "$be: ... then rule by rule, cut with '...' ($(echo "$rs" |
	    cut -c1-60)...)" eval \
	    'case $rs in "r0: 0 active, 0 accepted, 0 denied; r1: 0 active, "*"; ...") true ;; *) false ;; esac'

	PROXY_ADDR=$addrs
	check "$be: a transfer through the proxy" \
	    exchange "$be.x1" "$tgt" "--conns 1 --send 4k --expect 4k" \
	    "--send 4k --expect 4k"
	# The connection may still be closing: ask until it is counted.
	check "$be: SIGUSR1: STATUS= counts the connection" \
	    wait_until "$VSP_WAIT" sh -c "kill -USR1 $PROXY_PID;
	    grep -q 'STATUS=0 active, 1 accepted, 0 denied, 0 connect-failed' \
	    '$SINK'"

	# A good reload: one rule less.
	sed -e '/^rule r400 /,/^}/d' "$conf" >"$conf.new" &&
	    mv "$conf.new" "$conf"
	reload_msgs
	is "$RELOAD_MSGS" \
	    "RELOADING=1|MONOTONIC_USEC=N#READY=1#STATUS=0 active, 1 accepted, 0 denied, 0 connect-failed#" \
	    "$be: SIGHUP: RELOADING=1 with MONOTONIC_USEC=, READY=1, STATUS="
	check "$be: the reload happened" grep -q 'reloaded .* 400 rule' \
	    "$PROXY_LOG"
	u1=$RELOAD_USEC

	# A broken file: still READY=1, the error in STATUS=.
	printf 'rule broken {\n\tlisten tcp:127.0.0.1:1\n}\n' >>"$conf"
	reload_msgs
	is "$RELOAD_MSGS" \
	    "RELOADING=1|MONOTONIC_USEC=N#READY=1#STATUS=reload failed: $conf has errors; 0 active, 1 accepted, 0 denied, 0 connect-failed#" \
	    "$be: a rejected reload ends in READY=1, the error in STATUS="
	u2=$RELOAD_USEC
	check "$be: MONOTONIC_USEC rises from reload to reload" \
	    test "${u2:-0}" -gt "${u1:-0}"
	check "$be: the old rules go on serving" \
	    exchange "$be.x2" "$tgt" "--conns 1 --send 4k --expect 4k" \
	    "--send 4k --expect 4k"

	n=$(grep -c . "$SINK")
	stop "$PROXY_PID"
	is "$?" 0 "$be: SIGTERM: exit 0"
	wait_msgs 'STOPPING=1' 1
	is "$(after "$n" | tr '\n' '#')" "STOPPING=1#" \
	    "$be: SIGTERM: STOPPING=1, and nothing after it"
	kill "$SINK_PID" 2>/dev/null
}

abstract() {
	local be="$1" name="@vsp-notify-$$-$1"
	start_sink "$be.abs" "$name" || { not_ok "$be: abstract sink"; return; }
	NOTIFY_SOCKET=$name start_proxy "$be.abs-px" unix \
	    --connect tcp:127.0.0.1:1 ||
	    { not_ok "$be: proxy starts"; return; }
	check "$be: abstract @name: READY=1 arrives" \
	    wait_msgs "^pid=$PROXY_PID READY=1\$" 1
	stop "$PROXY_PID"
	check "$be: abstract @name: STOPPING=1 arrives" \
	    wait_msgs "^pid=$PROXY_PID STOPPING=1\$" 1
	kill "$SINK_PID" 2>/dev/null
}

nowhere() {
	local be="$1" tgt
	new_addr tcp; tgt=$NEW_ADDR
	NOTIFY_SOCKET=$T/nobody.sock start_proxy "$be.nw" tcp -vv \
	    --connect "$tgt" || { not_ok "$be: NOTIFY_SOCKET nowhere: starts"; return; }
	check "$be: NOTIFY_SOCKET nowhere: relays" \
	    exchange "$be.nw" "$tgt" "--conns 1 --send 4k --expect 4k" \
	    "--send 4k --expect 4k"
	usr1
	stop "$PROXY_PID"
	is "$?" 0 "$be: NOTIFY_SOCKET nowhere: exits 0 on SIGTERM"
	is "$(log_count "$PROXY_LOG" 'NOTIFY_SOCKET: send: .*not logged again')" 1 \
	    "$be: NOTIFY_SOCKET nowhere: the error is logged once (debug)"
	# Without -vv it is not logged at all.
	NOTIFY_SOCKET=$T/nobody.sock start_proxy "$be.nwq" tcp \
	    --connect "$tgt" || { not_ok "$be: proxy starts"; return; }
	usr1
	stop "$PROXY_PID"
	is "$(log_count "$PROXY_LOG" 'NOTIFY')" 0 \
	    "$be: NOTIFY_SOCKET nowhere: nothing logged by default"
}

for_each_backend scenario
for_each_backend abstract
for_each_backend nowhere

# -d: the detached daemon says READY=1 with its own pid as MAINPID.
start_sink daemon "$T/d.notify" || bail_out "sink does not start"
new_addr tcp
NOTIFY_SOCKET=$T/d.notify "$VSOCKPROXY" -d -p "$T/d.pid" --listen "$NEW_ADDR" \
    --connect tcp:127.0.0.1:1 >"$T/d.log" 2>&1
is "$?" 0 "-d: the parent exits 0"
dpid=$(cat "$T/d.pid" 2>/dev/null)
T_PIDS="$T_PIDS $dpid"
check "-d: READY=1 with MAINPID= of the daemon, sent by it" \
    wait_msgs "^pid=$dpid READY=1\\|MAINPID=$dpid\$" 1
kill -TERM "$dpid" 2>/dev/null
wait_until "$VSP_WAIT" test ! -e "$T/d.pid"
done_testing
