#!/bin/sh
# e2e-unix-path: a unix: listen path is taken over only from a stale
# socket; whatever else is there is never removed.
#
# Connecting to a regular file or a FIFO is refused just like connecting
# to a stale socket, so "refused" alone proves nothing.  At the listen
# path of a new rule, at start-up and on reload, there is in turn:
#   - a regular file, a FIFO, a directory, a symbolic link to a stale
#     socket and one to a regular file: the daemon refuses (start-up:
#     exit 1; reload: rejected as a whole, the old rule serves on), its
#     log names the path, and the thing is untouched (type, inode,
#     contents, link target, and what a link points to);
#   - a stale socket (its listener was killed): replaced, the rule serves;
#   - a live socket: left listening, the daemon refuses.
# Last, the daemon's own socket file replaced by a regular file while it
# runs: on SIGTERM the regular file stays.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# stale_socket PATH: a socket file that nothing listens on (vsp-peer
# removes its socket when it exits, but not when it is killed).
NSTALE=0
stale_socket() {
	NSTALE=$((NSTALE + 1))
	start_peer "stale$NSTALE" "unix:$1" || return 1
	kill -KILL "$PEER_PID"
	reap "$PEER_PID"
	[ -S "$1" ] && ! is_listening "unix:$1"
}

# obstacle KIND PATH: put a KIND at PATH.
obstacle() {
	case $1 in
	file)	echo "precious data" >"$2" ;;
	fifo)	mkfifo "$2" ;;
	dir)	mkdir "$2" && echo inside >"$2/keep" ;;
	link-socket)
		stale_socket "$2.target" && ln -s "$2.target" "$2" ;;
	link-file)
		echo "precious target" >"$2.target" &&
		    ln -s "$2.target" "$2" ;;
	*)	bail_out "obstacle: unknown kind $1" ;;
	esac
}
KINDS="file fifo dir link-socket link-file"

# fingerprint PATH: what must not change about PATH.
fingerprint() {
	stat -c '%F %i' "$1" 2>/dev/null || echo missing
	if [ -L "$1" ]; then
		readlink "$1"
		stat -L -c '%F %i' "$1" 2>/dev/null
	fi
	[ -f "$1" ] && cat "$1"
	[ -d "$1" ] && ls "$1"
}

# start_fails NAME ADDR ARGS...: start the daemon with ARGS; it must exit
# rather than listen on ADDR.  RC is its exit status, or "listening".
start_fails() {
	local name="$1" addr="$2" pid
	shift 2
	"$VSOCKPROXY" --event-backend "$BACKEND" "$@" >"$T/$name.log" 2>&1 &
	pid=$!
	T_PIDS="$T_PIDS $pid"
	wait_until "$VSP_WAIT" exited_or_listening "$pid" "$addr"
	if alive "$pid"; then
		RC=listening
		kill -TERM "$pid"
		reap "$pid"
	else
		wait "$pid"
		RC=$?
	fi
}
exited_or_listening() {
	! alive "$1" || is_listening "$2"
}

startup() {
	local be="$1" kind path before tgt
	new_addr tcp; tgt=$NEW_ADDR
	for kind in $KINDS; do
		path="$T/$be.start.$kind"
		obstacle "$kind" "$path" ||
		    { not_ok "$be: start-up, $kind: set up"; continue; }
		before=$(fingerprint "$path")
		start_fails "$be.start.$kind" "unix:$path" \
		    --listen "unix:$path" --connect "$tgt"
		is "$RC" 1 "$be: start-up, $kind at the listen path: exit 1"
		check "$be: ... the log names the path, not a socket" \
		    grep -q "unix:$path: .*not a socket" \
		    "$T/$be.start.$kind.log"
		is "$(fingerprint "$path")" "$before" \
		    "$be: ... and it is untouched"
	done

	path="$T/$be.start.stale"
	stale_socket "$path" || { not_ok "$be: make a stale socket"; return; }
	start_peer "$be.start.srv" "$tgt" --conns 1 --send 1k --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	"$VSOCKPROXY" --event-backend "$be" --listen "unix:$path" \
	    --connect "$tgt" >"$T/$be.start.stale.log" 2>&1 &
	PROXY_PID=$!
	T_PIDS="$T_PIDS $PROXY_PID"
	check "$be: start-up, a stale socket at the listen path is replaced" \
	    wait_for_listen "unix:$path" "$PROXY_PID"
	run_peer "$be.start.cli" "unix:$path" --send 1k --expect 1k
	check "$be: ... and the rule serves" peer_passed "$be.start.cli" 1
	reap "$PEER_PID"

	# Its own file, replaced while it runs: not removed at exit.
	rm -f "$path" && echo "not yours" >"$path"
	before=$(fingerprint "$path")
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
	is "$(fingerprint "$path")" "$before" \
	    "$be: a file that replaced its socket is left at exit"

	path="$T/$be.start.live"
	start_peer "$be.start.live" "unix:$path" --conns 0 ||
	    { not_ok "$be: live socket starts"; return; }
	start_fails "$be.start.live" "" --listen "unix:$path" \
	    --connect "$tgt"
	is "$RC" 1 "$be: start-up, a live socket at the listen path: exit 1"
	check "$be: ... and it still listens" is_listening "unix:$path"
	kill "$PEER_PID"
	reap "$PEER_PID"
}

reload() {
	local be="$1" conf="$T/$1.conf" keep tgt kind path before
	keep_rule_proxy "$be" "$conf" || return
	keep=$KEEP tgt=$KEEP_TARGET
	for kind in $KINDS; do
		path="$T/$be.reload.$kind"
		obstacle "$kind" "$path" ||
		    { not_ok "$be: reload, $kind: set up"; continue; }
		before=$(fingerprint "$path")
		{
			rule keep "$keep" "$tgt"
			rule new "unix:$path" "$tgt"
		} >"$conf"
		check "$be: reload, $kind at a new listen path: rejected" \
		    hup "rule new: cannot listen: the running configuration"
		check "$be: ... the log names the path, not a socket" \
		    grep -q "unix:$path: .*not a socket" "$PROXY_LOG"
		is "$(fingerprint "$path")" "$before" \
		    "$be: ... and it is untouched"
		run_peer "$be.reload.$kind" "$keep" --send 1k --expect 1k
		check "$be: ... the old rule serves" \
		    peer_passed "$be.reload.$kind" 1
	done

	path="$T/$be.reload.live"
	start_peer "$be.reload.live" "unix:$path" --conns 0 ||
	    { not_ok "$be: live socket starts"; return; }
	local live=$PEER_PID
	{
		rule keep "$keep" "$tgt"
		rule new "unix:$path" "$tgt"
	} >"$conf"
	check "$be: reload, a live socket at a new listen path: rejected" \
	    hup "rule new: cannot listen: the running configuration"
	check "$be: ... and it still listens" is_listening "unix:$path"
	kill "$live"
	reap "$live"

	path="$T/$be.reload.stale"
	stale_socket "$path" || { not_ok "$be: make a stale socket"; return; }
	{
		rule keep "$keep" "$tgt"
		rule new "unix:$path" "$tgt"
	} >"$conf"
	check "$be: reload, a stale socket at a new listen path: replaced" \
	    hup "reloaded .*: 2 rule\(s\): 1 kept, 1 added, 0 removed"
	run_peer "$be.reload.stale" "unix:$path" --send 1k --expect 1k
	check "$be: ... and the new rule serves" \
	    peer_passed "$be.reload.stale" 1
	stop "$PROXY_PID"
	is "$?" 0 "$be: exit 0 on SIGTERM"
	check "$be: its socket file is removed at exit" test ! -e "$path"
}

scenario() {
	startup "$1"
	reload "$1"
}

for_each_backend scenario
done_testing
