#!/bin/sh
# e2e-socket-activation: the daemon serves sockets passed by the service
# manager (LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES), with
# systemd-socket-activate standing in for systemd.  It binds the socket,
# and starts the daemon on the first connection, which the daemon then
# accepts from the passed socket.
#   - a TCP socket named like a rule serves that rule (byte-exact), and
#     the rule's own listen address is never bound; a reload keeps it by
#     name (even with a new listen address), a reload that drops the rule
#     closes it;
#   - the same for a UNIX socket, whose file the daemon leaves alone;
#   - an unnamed socket, or one with the unit's default name, serves the
#     command line's rule instead of its --listen address;
#   - a socket of the wrong family is a start-up error (exit 1) naming
#     the fd and the rule; one named for no rule is logged and closed;
#   - a stream socket for a message (seqpacket) rule is a start-up error
#     naming both types; a passed seqpacket socket serves one;
#   - LISTEN_* variables meant for another pid are ignored.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
command -v systemd-socket-activate >/dev/null 2>&1 ||
    skip_all "systemd-socket-activate is not installed (package systemd)"

# sa_addr ADDR: ADDR as systemd-socket-activate -l wants it.
sa_addr() {
	case "$1" in
	tcp:*)	echo "${1#tcp:}" ;;
	unix:*|unix-seqpacket:*)	echo "${1#*:}" ;;
	esac
}

# activate NAME ADDR... -- ARGS...: run "systemd-socket-activate -l ADDR
# ... -- vsockproxy --event-backend $BACKEND ARGS", wait until the first
# ADDR listens.  ARGS may start with --fdname=... for the activator.
# Sets PROXY_PID (the activator, which becomes the daemon: it execs),
# PROXY_LOG and PROXY_ADDR (the first ADDR).
activate() {
	local name="$1" first= sa=
	shift
	while [ "$1" != -- ]; do
		[ -z "$first" ] && first=$1
		sa="$sa -l $(sa_addr "$1")"
		shift
	done
	shift
	case "$1" in
	--fdname=*) sa="$sa $1"; shift ;;
	esac
	PROXY_LOG=$T/$name.log
	PROXY_ADDR=$first
	# shellcheck disable=SC2086 # the -l options
	systemd-socket-activate $sa -- "$VSOCKPROXY" \
	    --event-backend "$BACKEND" "$@" >"$PROXY_LOG" 2>&1 &
	PROXY_PID=$!
	T_PIDS="$T_PIDS $PROXY_PID"
	if ! wait_for_listen "$first" "$PROXY_PID"; then
		diag "systemd-socket-activate did not listen on $first"
		diag_file "$PROXY_LOG"
		return 1
	fi
}

# activate_rule NAME RULE LISTEN TARGET ADDR... -- ARGS...: write
# $T/NAME.conf, one rule RULE from LISTEN to TARGET, and activate NAME
# ADDR... -- ARGS... -c $T/NAME.conf.  Returns as activate.
activate_rule() {
	local name="$1"
	rule "$2" "$3" "$4" >"$T/$name.conf"
	shift 4
	activate "$name" "$@" -c "$T/$name.conf"
}

xfer() {
	exchange "$1" "$2" "--conns 1 --send 100k --expect 60k" \
	    "--send 60k --expect 100k"
}
named_tcp() {
	local be="$1" passed unbound other extra tgt conf
	new_addrs passed=tcp unbound=tcp other=tcp extra=tcp tgt=tcp
	activate_rule "$be.tcp" web "$unbound" "$tgt" "$passed" -- \
	    --fdname=web -v || { not_ok "$be: activator starts"; return; }
	conf=$T/$be.tcp.conf	# its file, rewritten for the reloads below
	check "$be: a socket named web serves rule web (byte-exact)" \
	    xfer "$be.tcp1" "$tgt"
	check "$be: the daemon is vsockproxy, started by the first client" \
	    is_vsockproxy "$PROXY_PID"
	check "$be: its log names the passed socket and fd" grep -q \
	    "listening on $passed (socket-activated fd 3), forwarding to $tgt (rule web; " \
	    "$PROXY_LOG"
	check "$be: the rule's own listen address is not bound" \
	    not_listening "$unbound"

	# Reload: web keeps its socket by name, though its address changed.
	{
		rule web "$other" "$tgt"
		rule extra "$extra" "$tgt"
	} >"$conf"
	check "$be: reload: web kept, extra added" \
	    hup 'reloaded .*: 2 rule\(s\): 1 kept, 1 added, 0 removed'
	check "$be: reload: the passed socket still serves web" \
	    xfer "$be.tcp2" "$tgt"
	check "$be: reload: web's new address is not bound" \
	    not_listening "$other"
	check "$be: reload: the new rule listens" is_listening "$extra"
	# A rule of another family cannot keep the socket: rejected.
	{
		rule web "unix:$T/$be.web.sock" "$tgt"
		rule extra "$extra" "$tgt"
	} >"$conf"
	check "$be: reload: web turned UNIX is rejected as a whole" \
	    hup 'rule web: its socket-activated listener is of another address family'
	check "$be: ... and the passed socket still serves" \
	    xfer "$be.tcp3" "$tgt"
	# Dropping the rule closes our copy of the socket.
	rule extra "$extra" "$tgt" >"$conf"
	check "$be: reload without web: logged" \
	    hup 'passed by the service manager, which still holds it'
	check "$be: reload without web: the daemon's copy is closed" \
	    wait_for_unlisten "$passed"
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
}

named_unix() {
	local be="$1" passed unbound tgt
	new_addrs passed=unix unbound=unix tgt=tcp
	activate_rule "$be.unix" uweb "$unbound" "$tgt" "$passed" -- \
	    --fdname=uweb || { not_ok "$be: activator starts"; return; }
	check "$be: a UNIX socket named uweb serves rule uweb (byte-exact)" \
	    xfer "$be.unix1" "$tgt"
	check "$be: the rule's own socket file is not created" \
	    test ! -e "${unbound#unix:}"
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
	check "$be: the passed socket's file is left to its owner" \
	    test -S "${passed#unix:}"
}

unnamed() {
	local be="$1" fdname="$2" passed unbound tgt what
	new_addrs passed=tcp unbound=tcp tgt=tcp
	what=${fdname:-no name}
	activate "$be.cli" "$passed" -- ${fdname:+--fdname=$fdname} \
	    --listen "$unbound" --connect "$tgt" ||
	    { not_ok "$be: activator starts"; return; }
	check "$be: a socket with $what serves the command-line rule" \
	    xfer "$be.cli" "$tgt"
	check "$be: ... instead of its --listen address" \
	    not_listening "$unbound"
	stop "$PROXY_PID"
}

mismatch() {
	local be="$1" passed tgt
	new_addrs passed=unix tgt=tcp
	activate_rule "$be.mm" web tcp:127.0.0.1:1 "$tgt" "$passed" -- \
	    --fdname=web || { not_ok "$be: activator starts"; return; }
	# The first client starts the daemon, which must refuse to run.
	run_peer "$be.mm" "$passed" --expect-refused
	reap "$PROXY_PID"
	is "$?" 1 "$be: a UNIX socket for a TCP rule: exit 1"
	check "$be: ... with an error naming the fd and the rule" grep -q \
	    "socket-activated fd 3 (name web) is $passed, but rule web listens on tcp:127.0.0.1:1: wrong address family" \
	    "$PROXY_LOG"
}

# Socket types: a passed stream socket cannot serve a message rule, and
# a passed seqpacket one (systemd's ListenSequentialPacket=) serves one.
types() {
	local be="$1" passed tgt path
	new_addrs passed=unix tgt=unix-seqpacket
	activate_rule "$be.ty" msg "unix-seqpacket:${passed#unix:}" "$tgt" \
	    "$passed" -- --fdname=msg ||
	    { not_ok "$be: activator starts"; return; }
	run_peer "$be.ty" "$passed" --expect-refused
	reap "$PROXY_PID"
	is "$?" 1 "$be: a stream socket for a seqpacket rule: exit 1"
	check "$be: ... with an error naming both types" grep -q \
	    "socket-activated fd 3 (name msg, $passed) for rule msg: a stream socket, but the rule listens on unix-seqpacket:${passed#unix:} (a seqpacket socket)" \
	    "$PROXY_LOG"

	new_addrs passed=unix-seqpacket
	path=${passed#unix-seqpacket:}
	rule msg "$passed" "$tgt" >"$T/$be.sq.conf"
	PROXY_LOG=$T/$be.sq.log
	PROXY_ADDR=$passed
	systemd-socket-activate --seqpacket -l "$path" --fdname=msg -- \
	    "$VSOCKPROXY" --event-backend "$BACKEND" -c "$T/$be.sq.conf" \
	    >"$PROXY_LOG" 2>&1 &
	PROXY_PID=$!
	T_PIDS="$T_PIDS $PROXY_PID"
	wait_for_listen "$passed" "$PROXY_PID" ||
	    { not_ok "$be: seqpacket activator starts"; return; }
	check "$be: a passed seqpacket socket serves a message rule" \
	    exchange "$be.sq" "$tgt" "--msg-sizes 0,9 --expect-msgs 1" \
	    "--msgs 1 --expect-msgs 2"
	stop "$PROXY_PID"
}

stray() {
	local be="$1" passed spare tgt
	new_addrs passed=tcp spare=tcp tgt=tcp
	activate_rule "$be.stray" web "$passed" "$tgt" "$passed" "$spare" \
	    -- --fdname=web:stray ||
	    { not_ok "$be: activator starts"; return; }
	check "$be: with a stray socket, web still serves" \
	    xfer "$be.stray" "$tgt"
	check "$be: the stray socket is logged" grep -q \
	    "socket-activated fd 4 (name stray): no rule of that name: closed" \
	    "$PROXY_LOG"
	check "$be: ... and closed" wait_for_unlisten "$spare"
	stop "$PROXY_PID"
}

# Variables for another process (a parent that was activated) are not
# ours: the daemon binds as usual and leaves fd 3 alone.
foreign() {
	local be="$1"
	LISTEN_PID=1 LISTEN_FDS=1 LISTEN_FDNAMES=command-line \
	    start_proxy "$be.foreign" tcp --connect tcp:127.0.0.1:1
	check "$be: LISTEN_PID of another process: binds --listen" \
	    is_listening "$PROXY_ADDR"
	stop "$PROXY_PID"
}

for BACKEND in $(backends); do
	named_tcp "$BACKEND"
	named_unix "$BACKEND"
	unnamed "$BACKEND" ""
	unnamed "$BACKEND" vsockproxy.socket
	mismatch "$BACKEND"
	types "$BACKEND"
	stray "$BACKEND"
	foreign "$BACKEND"
done
done_testing
