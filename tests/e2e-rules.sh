#!/bin/sh
# e2e-rules: one daemon serves several rules of a configuration file at
# once, each with its own access list and limits.
#
#   - a TCP rule and a UNIX rule relay at the same time, byte-exact;
#   - allow-addr: a TCP rule for 10.0.0.0/8 turns 127.0.0.1 away at once,
#     one for 127.0.0.0/8 lets it in;
#   - allow-uid: (the tests run as root) allow-uid 12345 turns us away,
#     allow-uid 0 lets us in; skipped unless we are root;
#   - max-conns-per-peer 1: while one connection is held open, a second
#     from the same peer (address, or uid) is closed at once; another
#     rule's connections are not counted;
#   - max-conns 1 on one rule holds its second client back, while another
#     rule without a limit serves two at once;
#   - idle-timeout 0.5: a connection on which nothing moves is closed
#     with reason=idle after about that long, not before.
# Refusals are logged and counted as denied (SIGUSR1 statistics).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

scenario() {
	local be="$1" tcp tcp2 unx unx2 deny_a ok_a uid_no uid_ok pp ppu
	local mc free idle tgt tgt2 t0 t1 ms
	new_addrs tcp=tcp unx=unix deny_a=tcp ok_a=tcp uid_no=unix \
	    uid_ok=unix pp=tcp ppu=unix mc=tcp free=tcp idle=tcp tgt=tcp \
	    tgt2=unix
	{
		rule tcp "$tcp" "$tgt"
		rule unix "$unx" "$tgt2"
		rule deny-addr "$deny_a" "$tgt" "allow-addr 10.0.0.0/8"
		rule ok-addr "$ok_a" "$tgt" "allow-addr 10.0.0.0/8,127.0.0.0/8"
		rule deny-uid "$uid_no" "$tgt" "allow-uid 12345"
		rule ok-uid "$uid_ok" "$tgt" "allow-uid 0"
		rule per-peer "$pp" "$tgt" "max-conns-per-peer 1"
		rule per-uid "$ppu" "$tgt" "max-conns-per-peer 1"
		rule limited "$mc" "$tgt2" "max-conns 1"
		rule free "$free" "$tgt2"
		rule idle "$idle" "$tgt" "idle-timeout 0.5"
	} >"$T/$be.conf"
	if ! start_conf_proxy "px-$be" "$T/$be.conf" "$tcp" "$unx" \
	    "$deny_a" "$ok_a" "$uid_no" "$uid_ok" "$pp" "$ppu" "$mc" \
	    "$free" "$idle" -- -v; then
		not_ok "$be: proxy starts with 11 rules"
		return
	fi
	ok "$be: proxy starts with 11 rules, listening on each"
	check "$be: each listening line says who may connect" eval \
	    'grep -q "(rule ok-addr; allow_addr=10.0.0.0/8,127.0.0.0/8)\$" \
	    "$PROXY_LOG" &&
	    grep -q "(rule ok-uid; allow_uid=0)\$" "$PROXY_LOG" &&
	    grep -q "(rule tcp; allow=any)\$" "$PROXY_LOG" &&
	    grep -q "(rule unix; allow=any)\$" "$PROXY_LOG"'

	# Two rules at once: a TCP and a UNIX listener, two targets.
	start_peer "$be.t1" "$tgt" --conns 2 --send 64k --expect 64k ||
	    { not_ok "$be: target starts"; return; }
	local t1pid=$PEER_PID
	start_peer "$be.t2" "$tgt2" --conns 2 --send 64k --expect 64k ||
	    { not_ok "$be: target starts"; return; }
	local t2pid=$PEER_PID
	spawn "$be.c1" "$VSP_PEER" connect "$tcp" --conns 2 --send 64k \
	    --expect 64k --timeout "$VSP_WAIT"
	local c1=$SPAWNED
	spawn "$be.c2" "$VSP_PEER" connect "$unx" --conns 2 --send 64k \
	    --expect 64k --timeout "$VSP_WAIT"
	local c2=$SPAWNED
	reap "$c1"; reap "$c2"; reap "$t1pid"; reap "$t2pid"
	check "$be: tcp rule and unix rule relay at once, byte-exact" eval \
	    'peer_passed "$be.c1" 2 && peer_passed "$be.c2" 2 &&
	     peer_passed "$be.t1" 2 && peer_passed "$be.t2" 2'

	# Access lists.  One target serves the connections let in.
	start_peer "$be.acl" "$tgt" --conns 2 --send 1k --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	local aclpid=$PEER_PID
	run_peer "$be.deny-a" "$deny_a" --expect-refused
	is "$?" 0 "$be: allow-addr 10.0.0.0/8 refuses 127.0.0.1"
	check "$be: the refusal is logged" grep -q \
	    "event=denied .* peer=tcp:127.0.0.1:[0-9]* reason=address-not-allowed" \
	    "$PROXY_LOG"
	run_peer "$be.ok-a" "$ok_a" --send 1k --expect 1k
	check "$be: allow-addr 127.0.0.0/8 lets 127.0.0.1 in" \
	    peer_passed "$be.ok-a" 1
	if [ "$(id -u)" = 0 ]; then
		run_peer "$be.deny-u" "$uid_no" --expect-refused
		is "$?" 0 "$be: allow-uid 12345 refuses uid 0"
		check "$be: the uid refusal is logged" \
		    grep -q "event=denied .* uid=0 reason=uid-not-allowed" \
		    "$PROXY_LOG"
		run_peer "$be.ok-u" "$uid_ok" --send 1k --expect 1k
		check "$be: allow-uid 0 lets uid 0 in" \
		    peer_passed "$be.ok-u" 1
	else
		skip "$be: allow-uid 12345 refuses uid 0" "not root"
		skip "$be: the uid refusal is logged" "not root"
		skip "$be: allow-uid 0 lets uid 0 in" "not root"
		"$VSP_PEER" connect "$ok_a" --send 1k --expect 1k \
		    --timeout "$VSP_WAIT" >/dev/null 2>&1
	fi
	reap "$aclpid"

	# max-conns-per-peer 1, by address and by uid.
	start_peer "$be.pp" "$tgt" --conns 2 --order recv-first -v \
	    --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	local pppid=$PEER_PID
	spawn "$be.pp1" "$VSP_PEER" connect "$pp" --send 1k \
	    --conn-file "$T/$be.pp1.up" --wait-file "$T/$be.pp.go" \
	    --timeout "$VSP_WAIT"
	local pp1=$SPAWNED
	spawn "$be.ppu1" "$VSP_PEER" connect "$ppu" --send 1k \
	    --conn-file "$T/$be.ppu1.up" --wait-file "$T/$be.pp.go" \
	    --timeout "$VSP_WAIT"
	local ppu1=$SPAWNED
	wait_until "$VSP_WAIT" peer_accepts_at_least "$be.pp" 2
	run_peer "$be.pp2" "$pp" --expect-refused
	is "$?" 0 "$be: max-conns-per-peer 1: a second from 127.0.0.1 is refused"
	run_peer "$be.ppu2" "$ppu" --expect-refused
	is "$?" 0 "$be: max-conns-per-peer 1: a second from the same uid is refused"
	check "$be: the per-peer refusals are logged" eval \
	    '[ "$(log_count "$PROXY_LOG" "event=denied .* limit=1 reason=max-conns-per-peer")" = 2 ]'
	release "$T/$be.pp.go" "$pp1" "$ppu1" "$pppid"
	check "$be: the first ones are served intact" eval \
	    'peer_passed "$be.pp1" 1 && peer_passed "$be.ppu1" 1 &&
	     peer_passed "$be.pp" 2'

	# max-conns 1 on one rule; another rule on the same target is free.
	start_peer "$be.mc" "$tgt2" --conns 4 --order recv-first \
	    --expect 1k -v || { not_ok "$be: target starts"; return; }
	local mcpid=$PEER_PID
	spawn "$be.mc1" "$VSP_PEER" connect "$mc" --conns 2 --send 1k \
	    --wait-file "$T/$be.mc.go" --timeout "$VSP_WAIT"
	local mc1=$SPAWNED
	spawn "$be.fr1" "$VSP_PEER" connect "$free" --conns 2 --send 1k \
	    --wait-file "$T/$be.mc.go" --timeout "$VSP_WAIT"
	local fr1=$SPAWNED
	check "$be: max-conns 1 and a free rule: three reach the target" \
	    wait_until 5 peer_accepts_at_least "$be.mc" 3
	# The second of the limited rule waits in its listener's queue;
	# after two statistics round trips (see e2e-max-conns) a wrong
	# accept would have taken it from there.
	check "$be: max-conns 1: the second waits in the listener's queue" \
	    wait_until 5 backlog_is "$mc" 1
	usr1 && usr1
	is "$(backlog "$mc") $(peer_accepts "$be.mc")" "1 3" \
	    "$be: max-conns 1 holds its second back (queued, at the target)"
	release "$T/$be.mc.go" "$mc1" "$fr1" "$mcpid"
	check "$be: then all four are served, intact" eval \
	    'peer_passed "$be.mc1" 2 && peer_passed "$be.fr1" 2 &&
	     peer_passed "$be.mc" 4'

	# idle-timeout 0.5: nothing moves after the first 1k.
	start_peer "$be.idle" "$tgt" --conns 1 --order recv-first \
	    --timeout "$VSP_WAIT" || { not_ok "$be: target starts"; return; }
	local idlepid=$PEER_PID
	t0=$(now_ms)
	spawn "$be.idle1" "$VSP_PEER" connect "$idle" --send 1k \
	    --wait-file "$T/$be.never" --timeout "$VSP_WAIT"
	local idle1=$SPAWNED
	check "$be: idle-timeout closes a silent connection (reason=idle)" \
	    wait_until 5 grep -q "reason=idle" "$PROXY_LOG"
	t1=$(now_ms)
	ms=$((t1 - t0))
	check "$be: ... after the timeout, not before (${ms} ms)" \
	    eval '[ "$ms" -ge 450 ] && [ "$ms" -lt 3000 ]'
	kill "$idle1" "$idlepid" 2>/dev/null
	reap "$idle1"; reap "$idlepid"

	usr1
	is "$(stat_of denied)" 4 "$be: refusals are counted as denied"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
}

for_each_backend scenario
done_testing
