#!/bin/sh
# e2e-relpaths: relative paths mean the directory the daemon was started
# in, also after -d has changed to /.
#
# From a scratch directory S as the working directory:
#   - "-d -p NAME.pid --listen unix:NAME.sock --connect unix:./tgt.sock":
#     the pid file and the socket land in S (not in /), the start-up log
#     names S/NAME.sock and S/tgt.sock, the rule relays, SIGTERM removes
#     both files;
#   - "-d --connect hybrid-vsock:vmm.sock:PORT": the VMM socket in S is
#     dialled, and the log names it so;
#   - "-d -p NAME.pid -c vsp.conf", the file including "vm.d/*.conf": a
#     drop-in added later is found by a SIGHUP reload (the daemon runs
#     in / by then);
#   - a configuration file with a relative unix: listen path or
#     hybrid-vsock: path is an error naming file:line, at start-up (exit
#     1, and with -t) and on reload (rejected, the old rule serves): it
#     is read again on every reload, so only absolute paths have a fixed
#     meaning.
# Names are unique to this run, and anything of that name in / is an
# error (and removed).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

N="vsp-relpaths-$$"
STRAY=
GPORT=5000

is_our_daemon() {
	alive "$1" && [ "$(readlink "/proc/$1/exe")" = \
	    "$(readlink -f "$VSOCKPROXY")" ]
}
not_alive() { ! alive "$1"; }

# nothing_in_root WHAT: no file of this run's names in /.
nothing_in_root() {
	local f left=
	for f in /"$N"*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		left="$left $f"
		rm -f "$f"
	done
	[ -z "$left" ] || { diag "created in /:$left"; return 1; }
}

# daemon_in DIR NAME ARGS...: run "vsockproxy -d ARGS" from DIR, output
# in $T/NAME.log; RC is its status, DPID the daemon's pid (from the pid
# file DIR/$N.NAME.pid, which ARGS must name).
daemon_in() {
	local dir="$1" name="$2"
	shift 2
	(cd "$dir" && exec "$VSOCKPROXY" -d --event-backend "$BACKEND" "$@") \
	    >"$T/$name.log" 2>&1
	RC=$?
	DPID=$(head -n 1 "$dir/$N.$name.pid" 2>/dev/null)
	# A daemon that put it in / must still be stopped.
	[ -n "$DPID" ] || STRAY=$(head -n 1 "/$N.$name.pid" 2>/dev/null)
	T_PIDS="$T_PIDS $DPID $STRAY"
	PROXY_LOG=$T/$name.log
}

# stop_daemon PID: SIGTERM, wait until it is gone.
stop_daemon() {
	kill -TERM "$1" 2>/dev/null
	wait_until "$VSP_WAIT" not_alive "$1"
}

cli_rule() {
	local be="$1" s="$T/$1.cli" name="$1-cli"
	mkdir "$s"
	start_peer "$be.cli.tgt" "unix:$s/tgt.sock" --conns 1 --send 1k \
	    --expect 1k || { not_ok "$be: target starts"; return; }
	daemon_in "$s" "$name" -p "$N.$name.pid" \
	    --listen "unix:$N.sock" --connect unix:./tgt.sock
	is "$RC" 0 "$be: -d with relative paths starts"
	check "$be: ... its pid file is in the start directory" \
	    is_our_daemon "$DPID"
	check "$be: ... its socket too" is_listening "unix:$s/$N.sock"
	check "$be: ... nothing is created in /" nothing_in_root
	check "$be: ... the log names the absolute paths" grep -q -F \
	    "listening on unix:$s/$N.sock, forwarding to unix:$s/tgt.sock" \
	    "$PROXY_LOG"
	run_peer "$be.cli" "unix:$s/$N.sock" --send 1k --expect 1k
	check "$be: ... and it relays to the relative target" \
	    peer_passed "$be.cli" 1
	reap "$PEER_PID"
	stop_daemon "$DPID"
	check "$be: SIGTERM removes the pid file and the socket" \
	    eval '[ ! -e "$s/$N.$name.pid" ] && [ ! -e "$s/$N.sock" ]'
}

cli_hybrid() {
	local be="$1" s="$T/$1.hv" name="$1-hv" addr
	mkdir "$s"
	new_addr tcp; addr=$NEW_ADDR
	start_peer "$be.hv.vmm" "unix:$s/vmm.sock" --hybrid-vmm ok \
	    --hybrid-port "$GPORT" --conns 1 --send 1k --expect 1k ||
	    { not_ok "$be: VMM starts"; return; }
	daemon_in "$s" "$name" -p "$N.$name.pid" --listen "$addr" \
	    --connect "hybrid-vsock:vmm.sock:$GPORT"
	is "$RC" 0 "$be: -d with a relative hybrid-vsock path starts"
	check "$be: ... the log names the absolute path" grep -q -F \
	    "forwarding to hybrid-vsock:$s/vmm.sock:$GPORT" "$PROXY_LOG"
	run_peer "$be.hv" "$addr" --send 1k --expect 1k
	check "$be: ... and it reaches the VMM" peer_passed "$be.hv" 1
	reap "$PEER_PID"
	stop_daemon "$DPID"
	check "$be: ... nothing is created in /" nothing_in_root
}

conf_include() {
	local be="$1" s="$T/$1.conf" name="$1-conf" tgt
	mkdir -p "$s/vm.d"
	new_addr tcp; tgt=$NEW_ADDR
	printf 'include vm.d/*.conf\n' >"$s/vsp.conf"
	rule a "unix:$s/a.sock" "$tgt" >"$s/vm.d/10-a.conf"
	daemon_in "$s" "$name" -p "$N.$name.pid" -c vsp.conf
	is "$RC" 0 "$be: -d with a relative -c starts"
	check "$be: ... the included rule listens" \
	    is_listening "unix:$s/a.sock"
	check "$be: ... cwd is /" \
	    eval '[ "$(readlink "/proc/$DPID/cwd")" = / ]'
	rule b "unix:$s/b.sock" "$tgt" >"$s/vm.d/20-b.conf"
	kill -HUP "$DPID"
	check "$be: a SIGHUP reload finds the relative -c file and its \
include" wait_for_listen "unix:$s/b.sock" "$DPID"
	check "$be: ... and it still runs" is_our_daemon "$DPID"
	stop_daemon "$DPID"
	check "$be: ... nothing is created in /" nothing_in_root
}

conf_relative() {
	local be="$1" s="$T/$1.rel" keep tgt conf
	mkdir "$s"
	new_addrs keep=tcp tgt=tcp
	conf="$s/vsp.conf"
	{
		rule l "unix:rel.sock" "$tgt"
		rule h "$keep" "hybrid-vsock:vmm.sock:$GPORT"
	} >"$conf"
	(cd "$s" && exec "$VSOCKPROXY" -t -c vsp.conf) >"$T/$be.t.out" 2>&1
	is "$?" 1 "$be: -t: relative paths in the file are errors"
	check "$be: ... naming file:line for the listen path" grep -q \
	    "^vsp.conf:2: bad listen address 'unix:rel.sock': relative" \
	    "$T/$be.t.out"
	check "$be: ... and for the hybrid-vsock path" grep -q \
	    "^vsp.conf:7: bad connect address 'hybrid-vsock:vmm.sock:" \
	    "$T/$be.t.out"
	(cd "$s" && exec "$VSOCKPROXY" --event-backend "$be" -c vsp.conf) \
	    >"$T/$be.rel.log" 2>&1 &
	local pid=$!
	T_PIDS="$T_PIDS $pid"
	reap "$pid"
	is "$?" 1 "$be: ... and the daemon does not start"
	check "$be: ... nothing is created in the start directory" \
	    test ! -e "$s/rel.sock"

	# On reload: rejected, with the absolute file name in the log.
	rule keep "$keep" "$tgt" >"$conf"
	(cd "$s" && exec "$VSOCKPROXY" --event-backend "$be" -c vsp.conf) \
	    >"$T/$be.rel2.log" 2>&1 &
	PROXY_PID=$!
	PROXY_LOG=$T/$be.rel2.log
	T_PIDS="$T_PIDS $PROXY_PID"
	wait_for_listen "$keep" "$PROXY_PID" ||
	    { not_ok "$be: proxy starts"; return; }
	{
		rule keep "$keep" "$tgt"
		rule l "unix:rel.sock" "$tgt"
	} >"$conf"
	check "$be: a reload with a relative path is rejected" \
	    hup "has errors: the running configuration stays in force"
	check "$be: ... naming the file by its absolute path" grep -q \
	    "reload: $conf:6: bad listen address 'unix:rel.sock'" "$PROXY_LOG"
	check "$be: ... and nothing listens at the relative path" \
	    test ! -e "$s/rel.sock"
	start_peer "$be.rel.tgt" "$tgt" --conns 1 --send 1k --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	run_peer "$be.rel" "$keep" --send 1k --expect 1k
	check "$be: ... the old rule serves" peer_passed "$be.rel" 1
	reap "$PEER_PID"
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
}

scenario() {
	cli_rule "$1"
	cli_hybrid "$1"
	conf_include "$1"
	conf_relative "$1"
}

# Names this run uses must be free in /, or the checks would blame it.
for f in /"$N"*; do
	[ -e "$f" ] && skip_all "$f exists"
done
for_each_backend scenario
done_testing
