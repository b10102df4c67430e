#!/bin/sh
# e2e-hybrid: hybrid-vsock targets (Firecracker, Cloud Hypervisor).
#
# The VMM is vsp-peer --hybrid-vmm on a unix socket: it reads the
# proxy's "CONNECT PORT\n" (vmm_connect=PORT in its result line, and
# --hybrid-port fails any other port), then answers by mode.  For each
# event backend and each client transport:
#   ok       bytes cross byte-exact both ways, after the handshake;
#   ok-data  the guest's first bytes, sent in the same write as "OK N\n",
#            reach the client (a proxy that reads past the newline and
#            drops the surplus fails the byte check);
#   wrong, huge, close, partial
#            the client is closed without data well before the 5 s
#            connect timeout (the stand-in holds "wrong" and "huge" open:
#            only the proxy's own check can close them promptly), the
#            failure is logged and counted, and the proxy then serves a
#            good connection;
#   silent   the client is closed after --connect-timeout 0.5, not
#            before: the timer covers the handshake.
# Then a configuration file rule with a hybrid-vsock: target, and the
# rejection of hybrid-vsock: as a listen address (file:line with -t, exit
# 64 on the command line).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

GPORT=5000		# the guest's vsock port the proxy asks for
LIMIT_MS=1000		# "promptly": well under the 5 s connect timeout

# slowest NAME / fastest NAME: the largest / smallest ms= of NAME's lines.
slowest() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T/$1.out" | sort -n | tail -n 1
}
fastest() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T/$1.out" | sort -n | head -n 1
}

# same_hashes NAME: what the client sent is what the VMM got, and back.
same_hashes() {
	[ -n "$(peer_field "$1.cli" sent_hash)" ] &&
	[ "$(peer_field "$1.cli" sent_hash)" = \
	    "$(peer_field "$1.srv" recv_hash)" ] &&
	[ "$(peer_field "$1.srv" sent_hash)" = \
	    "$(peer_field "$1.cli" recv_hash)" ]
}

# vmm_saw NAME N: N result lines of the stand-in NAME saw our CONNECT.
vmm_saw() {
	[ "$(grep -c " vmm_connect=$GPORT " "$T/$1.out")" = "$2" ]
}

# hybrid_proxy NAME TRANSPORT TIMEOUT: start the proxy (-v,
# --connect-timeout TIMEOUT) on a new TRANSPORT address with the target
# hybrid-vsock:VMM:$GPORT, VMM a new unix socket left in $VMM for the
# stand-in.  Returns as start_proxy.
hybrid_proxy() {
	new_addr unix
	VMM=$NEW_ADDR
	start_proxy "px-$1" "$2" -v --connect-timeout "$3" \
	    --connect "hybrid-vsock:${VMM#unix:}:$GPORT"
}

# vmm_fails NAME WHAT MODE: a stand-in VMM ($PEER_PID, output
# $T/NAME.vmm.out) that answers 3 connections by MODE, and 3 clients
# through the proxy (output $T/NAME.out) that must each be closed
# without data.  Returns 1 only when the VMM does not start (not ok).
vmm_fails() {
	start_peer "$1.vmm" "$VMM" --hybrid-vmm "$3" \
	    --hybrid-port "$GPORT" --conns 3 || {
		not_ok "$2: VMM starts"
		return 1
	}
	run_peer "$1" "$PROXY_ADDR" --expect-refused --conns 3
	check "$2: 3 clients closed without data" peer_passed "$1" 3
	return 0	# a failed check is a result, not a reason to stop
}

# serves_then_exits NAME WHAT: after the failures the proxy still relays
# a good connection, then exits 0 on SIGTERM.
serves_then_exits() {
	check "$2: then a good connection is served" exchange \
	    "$1-after" "$VMM" \
	    "--hybrid-vmm ok --hybrid-port $GPORT --send 64k --expect 64k" \
	    "--send 64k --expect 64k"
	stop "$PROXY_PID"
	is "$?" 0 "$2: proxy exits 0 on SIGTERM"
}

# good BACKEND TRANSPORT: the ok and ok-data exchanges.
good() {
	local be="$1" tr="$2" vmm name what
	name="hv-$be-$tr"
	hybrid_proxy "$name" "$tr" 5 ||
		{ not_ok "$be $tr: proxy starts"; return; }
	vmm=$VMM
	what="$be $tr: ok, 1M each way"
	check "$what, byte-exact" exchange "$name-ok" "$vmm" \
	    "--hybrid-vmm ok --hybrid-port $GPORT --send 1M --expect 1M" \
	    "--send 1M --expect 1M"
	check "$what, hashes match" same_hashes "$name-ok"
	check "$what, the VMM saw CONNECT $GPORT" vmm_saw "$name-ok.srv" 1
	check "$be $tr: ok, 0 bytes, clean close" exchange "$name-ok0" \
	    "$vmm" "--hybrid-vmm ok --hybrid-port $GPORT --send 0 \
	    --expect 0" "--send 0 --expect 0"
	# The early bytes alone (the guest speaks first, the client
	# never), then with a stream after them.
	what="$be $tr: ok-data, 100 bytes with the OK"
	check "$what arrive byte-exact" exchange "$name-okd" "$vmm" \
	    "--hybrid-vmm ok-data --hybrid-port $GPORT --send 100 \
	    --expect 0" "--send 0 --expect 100"
	check "$what, hashes match" same_hashes "$name-okd"
	what="$be $tr: ok-data, 4k with the OK and 1M in all, each way"
	check "$what, byte-exact" exchange "$name-okd1m" "$vmm" \
	    "--hybrid-vmm ok-data --hybrid-port $GPORT --send 1M \
	    --expect 1M" "--send 1M --expect 1M"
	check "$what, hashes match" same_hashes "$name-okd1m"
	check "$be $tr: opens logged with the hybrid-vsock target" \
	    test "$(log_count "$PROXY_LOG" "event=open .* \
target=hybrid-vsock:${vmm#unix:}:$GPORT\$")" -eq 4
	usr1
	is "$(stat_of connect_failed)" 0 \
	    "$be $tr: no connect failures counted"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

# failing BACKEND TRANSPORT MODE WHY: a VMM that fails the handshake.
failing() {
	local be="$1" tr="$2" mode="$3" why="$4" vmm name ms rc what
	name="hv-$be-$tr-$mode"
	what="$be $tr: $mode"
	hybrid_proxy "$name" "$tr" 5 ||
		{ not_ok "$what: proxy starts"; return; }
	vmm=$VMM
	vmm_fails "$name" "$what" "$mode" || return
	ms=$(slowest "$name")
	lt "${ms:-99999}" "$LIMIT_MS" \
	    "$what: all closed within $LIMIT_MS ms (slowest $ms)"
	reap "$PEER_PID"
	rc=$?
	check "$what: the VMM saw 3 CONNECT $GPORT and was let go" sh -c \
	    "[ $rc -eq 0 ] && grep -q . '$T/$name.vmm.out' &&
	    ! grep -v ' ok\$' '$T/$name.vmm.out' >/dev/null &&
	    [ \$(grep -c ' vmm_connect=$GPORT ' '$T/$name.vmm.out') = 3 ]"
	is "$(log_count "$PROXY_LOG" "event=connect-failed .* \
target=hybrid-vsock:${vmm#unix:}:$GPORT error=\"$why")" 3 \
	    "$what: 3 failures logged ($why)"
	is "$(log_count "$PROXY_LOG" "reason=connect-failed\$")" 3 \
	    "$what: closed with reason connect-failed"
	usr1
	is "$(stat_of connect_failed)" 3 \
	    "$what: stats count 3 connect failures"
	check "$what: proxy still running" alive "$PROXY_PID"
	serves_then_exits "$name" "$what"
}

# silent BACKEND TRANSPORT: a VMM that never replies.
silent() {
	local be="$1" tr="$2" name ms what
	name="hv-$be-$tr-silent"
	what="$be $tr: silent, --connect-timeout 0.5"
	hybrid_proxy "$name" "$tr" 0.5 ||
		{ not_ok "$what: proxy starts"; return; }
	vmm_fails "$name" "$what" silent || return
	ms=$(fastest "$name")
	check "$what: not before 400 ms ($ms ms)" test "${ms:-0}" -ge 400
	ms=$(slowest "$name")
	lt "${ms:-99999}" 2000 "$what: within 2000 ms ($ms ms)"
	reap "$PEER_PID"
	is "$?" 0 "$what: the VMM's connections were closed too"
	check "$what: the VMM saw CONNECT $GPORT" vmm_saw "$name.vmm" 3
	is "$(log_count "$PROXY_LOG" "event=connect-failed .* \
target=hybrid-vsock:.* error=\"timed out\"")" 3 "$what: 3 time-outs logged"
	is "$(log_count "$PROXY_LOG" "reason=timeout\$")" 3 \
	    "$what: closed with reason timeout"
	usr1
	is "$(stat_of connect_failed)" 3 \
	    "$what: stats count 3 connect failures"
	serves_then_exits "$name" "$what"
}

# config BACKEND: a configuration file rule with a hybrid-vsock target.
config() {
	local be="$1" vmm listen name="hv-$1-conf"
	new_addr unix
	vmm=$NEW_ADDR
	new_addr tcp
	listen=$NEW_ADDR
	rule hv "$listen" "hybrid-vsock:${vmm#unix:}:$GPORT" \
	    "connect-timeout 5" >"$T/$name.conf"
	if ! start_conf_proxy "px-$name" "$T/$name.conf" "$listen"; then
		not_ok "$be: configuration file rule: proxy starts"
		return
	fi
	PROXY_ADDR=$listen
	check "$be: configuration file rule: transfer byte-exact" \
	    exchange "$name" "$vmm" \
	    "--hybrid-vmm ok --hybrid-port $GPORT --send 1M --expect 1M" \
	    "--send 1M --expect 1M"
	check "$be: configuration file rule: the VMM saw CONNECT $GPORT" \
	    vmm_saw "$name.srv" 1
	stop "$PROXY_PID"
	is "$?" 0 "$be: configuration file rule: proxy exits 0 on SIGTERM"
}

scenario() {
	local tr mode
	for tr in tcp unix; do
		good "$1" "$tr"
		for mode in wrong:"VMM reply is not" \
		    huge:"VMM reply too long" \
		    close:"VMM closed the connection without a reply" \
		    partial:"VMM closed the connection in mid-reply"; do
			failing "$1" "$tr" "${mode%%:*}" "${mode#*:}"
		done
		silent "$1" "$tr"
	done
	config "$1"
}

for_each_backend scenario

# A listen address it cannot be: -t names file and line, and the command
# line is a usage error.
{
	echo "# a VMM socket is not something to listen on"
	rule bad "hybrid-vsock:$T/v.sock:$GPORT" tcp:127.0.0.1:1
} >"$T/bad.conf"
timeout 5 "$VSOCKPROXY" -t -c "$T/bad.conf" >"$T/bad.out" 2>"$T/bad.err"
is "$?" 1 "-t: listen hybrid-vsock: is an error (exit 1)"
check "-t: reported as file:line, connect address only" \
    grep -q "^$T/bad.conf:3: .*connect address only" "$T/bad.err"
timeout 5 "$VSOCKPROXY" --listen "hybrid-vsock:$T/v.sock:$GPORT" \
    --connect tcp:127.0.0.1:1 >"$T/cli.out" 2>"$T/cli.err"
is "$?" 64 "--listen hybrid-vsock: exits 64"
check "--listen hybrid-vsock: says it is a connect address only" \
    grep -q "connect address only" "$T/cli.err"
check "-t and --listen hybrid-vsock: start nothing" \
    test ! -e "$T/v.sock"

done_testing
