#!/bin/sh
# e2e-log-escape: a peer's address cannot forge a log line.
#
# A UNIX client may bind its socket to any path it likes, newlines and
# all.  For each event backend a daemon listens on a unix: address with
# -v, and a client bound to a path holding a newline, a carriage return,
# a tab and a backslash connects through it.  The transfer must work;
# every line of the log must be one of the daemon's (a timestamp and
# "vsockproxy[PID]: "), so the text after the newline never starts a line
# of its own; the open and close lines show the path escaped (\n, \r, \t,
# \\).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# A line of the daemon's own on stderr (see log.c).
D='[0-9]'
LINE_RE="^$D{4}-$D{2}-$D{2}T$D{2}:$D{2}:$D{2}\\.$D{3} vsockproxy\\[$D+\\]: "

# forged_lines LOG: lines that are not the daemon's.
forged_lines() {
	grep -c -v -E "$LINE_RE" "$1"
}

# The path a hostile client binds: the forged text follows a newline.
# shellcheck disable=SC1003 # a literal backslash, on purpose
evil_path() {
	printf '%s/c-%s\\\r\t\nFORGED vsockproxy[1]: rule x: owned' "$T" "$1"
}
# ... and how the daemon must show it.
# shellcheck disable=SC1003
escaped_path() {
	printf '%s/c-%s\\\\\\r\\t\\nFORGED\\x20vsockproxy[1]:\\x20rule\\x20x:\\x20owned' \
	    "$T" "$1"
}

scenario() {
	local be="$1" target path esc name
	name="esc-$be"
	path=$(evil_path "$be")
	esc=$(escaped_path "$be")
	new_addr unix
	target=$NEW_ADDR
	if ! start_proxy "$name" unix --connect "$target" -v; then
		not_ok "$be: proxy starts"
		return
	fi
	start_peer "$name.srv" "$target" --send 1k --expect 1k ||
	    { not_ok "$be: target starts"; return; }
	run_peer "$name.cli" "$PROXY_ADDR" --bind "unix:$path" \
	    --send 1k --expect 1k
	check "$be: a client bound to a path with a newline is served" \
	    peer_passed "$name.cli"
	reap "$PEER_PID"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0"
	is "$(forged_lines "$PROXY_LOG")" 0 \
	    "$be: -v: every log line is the daemon's (none forged)"
	is "$(grep -F "event=open " "$PROXY_LOG" |
	    grep -c -F " peer=unix:$esc target=")" 1 \
	    "$be: -v: the open line shows the path escaped"
	is "$(grep -F "event=close " "$PROXY_LOG" |
	    grep -c -F " peer=unix:$esc target=")" 1 \
	    "$be: -v: the close line shows the path escaped"
	[ -n "$VSP_VERBOSE" ] && diag_file "$PROXY_LOG" 10
	return 0
}

for_each_backend scenario
done_testing
