#!/bin/sh
# e2e-daemon: daemon mode and the pid file.  -d returns only once the
# daemon serves, with its pid (and a newline) in the pid file; start-up
# failures reach the caller's stderr with a non-zero status; a second
# instance is refused and told the running pid; a stale pid file is taken
# over; a symlink, a file with a second hard link and another user's file
# are refused and left alone; SIGTERM removes the file, but not one that
# took its place.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
require_proxy

pidof_file() { head -n 1 "$1" 2>/dev/null; }

# detach OUT PIDFILE LISTEN [OPTION...]: vsockproxy -d for LISTEN, to
# $target, its output in $T/$b.OUT; its exit status in rc.
detach() {
	local out=$1 pidf=$2 listen=$3
	shift 3
	"$VSOCKPROXY" -d -p "$pidf" "$@" --listen "$listen" \
	    --connect "$target" >"$T/$b.$out" 2>&1
	rc=$?
}

scenario() {
	local b=$1 pf=$T/$1.pid addr target pid rc pid2

	start_peer "$b-srv" tcp:127.0.0.1:0 --conns 0 --send 1000 \
	    --expect 3000 || bail_out "no test server"
	target=$PEER_ADDR
	new_addr tcp
	addr=$NEW_ADDR
	detach d.out "$pf" "$addr" --event-backend "$b"
	pid=$(pidof_file "$pf")
	T_PIDS="$T_PIDS $pid"
	is "$rc" 0 "$b: -d exits 0 once started"
	check "$b: pid file names the running daemon" is_vsockproxy "$pid"
	is "$(od -An -c "$pf" | tr -d ' ')" "${pid}\\n" \
	    "$b: pid file holds the pid and a newline"
	# Listening before the parent returned: no wait here.
	check "$b: listening when -d returns" is_listening "$addr"
	check "$b: session leader, cwd /, stdio on /dev/null" sh -c "
	    [ \"\$(ps -o sid= -p $pid | tr -d ' ')\" = $pid ] &&
	    [ \"\$(readlink /proc/$pid/cwd)\" = / ] &&
	    [ \"\$(readlink /proc/$pid/fd/0)\" = /dev/null ] &&
	    [ \"\$(readlink /proc/$pid/fd/2)\" = /dev/null ]"
	run_peer "$b-c" "$addr" --send 3000 --expect 1000
	check "$b: the daemon relays" peer_passed "$b-c"

	new_addr tcp
	detach second "$pf" "$NEW_ADDR"
	check "$b: second instance refused (status $rc)" [ "$rc" -ne 0 ]
	check "$b: ... naming the running pid" \
	    grep -q "already running as pid $pid" "$T/$b.second"
	is "$(pidof_file "$pf")" "$pid" "$b: ... and the pid file is intact"

	kill -TERM "$pid"
	wait_until "$VSP_WAIT" not_alive "$pid"
	check "$b: SIGTERM stops the daemon" not_alive "$pid"
	wait_until "$VSP_WAIT" test ! -e "$pf"
	check "$b: ... and removes the pid file" test ! -e "$pf"

	# A stale file (no lock holder) is taken over.
	echo 999999 >"$pf"
	detach stale "$pf" "$addr"
	pid2=$(pidof_file "$pf")
	T_PIDS="$T_PIDS $pid2"
	check "$b: stale pid file taken over" sh -c \
	    "[ $rc -eq 0 ] && [ '$pid2' != 999999 ] && [ -n '$pid2' ]"
	kill -TERM "$pid2" 2>/dev/null
	wait_until "$VSP_WAIT" not_alive "$pid2"

	# Start-up failures reach the caller, with a non-zero status.
	start_peer "$b-busy" tcp:127.0.0.1:0 --conns 0
	detach inuse "$pf" "$PEER_ADDR"
	check "$b: -d with the port in use exits non-zero ($rc)" [ "$rc" -ne 0 ]
	check "$b: ... saying why on stderr" \
	    grep -q "Address already in use" "$T/$b.inuse"
	check "$b: ... and leaves no pid file" test ! -e "$pf"
	new_addr tcp
	detach badpf "$T/no/such/dir/x.pid" "$NEW_ADDR"
	check "$b: -d with a bad pid file path exits non-zero" \
	    sh -c "[ $rc -ne 0 ] && grep -q 'No such file' '$T/$b.badpf'"
	ln -sf "$T/victim" "$T/$b.link"
	new_addr tcp
	"$VSOCKPROXY" -p "$T/$b.link" --listen "$NEW_ADDR" \
	    --connect "$target" >"$T/$b.symlink" 2>&1
	rc=$?
	check "$b: a symlinked pid file is refused, nothing created" \
	    sh -c "[ $rc -ne 0 ] && [ ! -e '$T/victim' ]"

	# A file put in the pid file's place while the daemon runs is not
	# its to remove at exit.
	detach swap "$pf" "$addr" --event-backend "$b"
	pid=$(pidof_file "$pf")
	T_PIDS="$T_PIDS $pid"
	rm -f "$pf" && echo "someone else's" >"$pf"
	kill -TERM "$pid"
	wait_until "$VSP_WAIT" not_alive "$pid"
	is "$(cat "$pf" 2>/dev/null)" "someone else's" \
	    "$b: a file that replaced the pid file is left at exit"
	rm -f "$pf"

	# A pid file with a second name (a hard link to a file someone else
	# cares about), or one owned by another user: refused, untouched.
	echo "precious" >"$T/$b.victim"
	ln "$T/$b.victim" "$T/$b.hardlink.pid"
	refused_pidfile "$b" "$T/$b.hardlink.pid" "$target" "hard links"
	if [ "$(id -u)" = 0 ]; then
		echo "precious" >"$T/$b.nobody.pid"
		chown 65534 "$T/$b.nobody.pid"
		refused_pidfile "$b" "$T/$b.nobody.pid" "$target" \
		    "owned by uid 65534"
	else
		skip "$b: a pid file owned by another user is refused" \
		    "not root: cannot give a file away"
	fi

	# The pid file works in the foreground as well.
	"$VSOCKPROXY" -p "$pf" --event-backend "$b" --listen "$addr" \
	    --connect "$target" 2>"$T/$b.fg" &
	pid=$!
	T_PIDS="$T_PIDS $pid"
	wait_for_listen "$addr" "$pid"
	is "$(pidof_file "$pf")" "$pid" "$b: foreground -p writes the pid"
	stop "$pid"
	is "$?" 0 "$b: foreground daemon exits 0 on SIGTERM"
	check "$b: ... and removes the pid file" test ! -e "$pf"
	stop "$PEER_PID"
}

# refused_pidfile BACKEND PATH TARGET WHY: -d -p PATH must fail, saying
# WHY and naming PATH, and leave the file as it was.
refused_pidfile() {
	local b=$1 pf=$2 target=$3 why=$4 rc before pid
	before=$(stat -c '%h %u %i' "$pf"; cat "$pf")
	new_addr tcp
	detach refused "$pf" "$NEW_ADDR" --event-backend "$b"
	if [ "$rc" = 0 ]; then
		# Started after all: stop it.
		pid=$(pidof_file "$pf")
		T_PIDS="$T_PIDS $pid"
		is_vsockproxy "$pid" && kill -TERM "$pid"
	fi
	check "$b: a pid file ($why) is refused (status $rc)" \
	    sh -c "[ $rc -ne 0 ] && grep -q 'pidfile $pf: .*$why' \
	    '$T/$b.refused'"
	is "$(stat -c '%h %u %i' "$pf"; cat "$pf")" "$before" \
	    "$b: ... and left as it was"
}

for_each_backend scenario
done_testing
