#!/bin/sh
# e2e-log-level: -v logs one line per connection open and close; -q only
# errors.
#
# Three connections go through the proxy in each mode.  With -v the log
# (stderr) must have exactly one "open" and one "close" line per
# connection; at the default level, no per-connection lines; with -q
# nothing at all (start-up, connections and a clean SIGTERM are not
# errors).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

N=3

count() {
	grep -c -w "$1" "$PROXY_LOG"
}

logging() {
	local be="$1" mode="$2" target name
	name="lg-$be-${mode:-default}"
	new_addr unix
	target=$NEW_ADDR
	# shellcheck disable=SC2086 # mode is empty or one option
	if ! start_proxy "px-$name" unix --connect "$target" $mode; then
		not_ok "$be ${mode:-default}: proxy starts"
		return
	fi
	check "$be ${mode:-default}: $N transfers" \
	    exchange "$name" "$target" "--conns $N --send 1k --expect 1k" \
	    "--conns $N --send 1k --expect 1k"
	stop "$PROXY_PID"
	is "$?" 0 "$be ${mode:-default}: proxy exits 0 on SIGTERM"
	case "$mode" in
	-v)
		is "$(count open)" "$N" \
		    "$be -v: one 'open' line per connection"
		is "$(count close)" "$N" \
		    "$be -v: one 'close' line per connection"
		;;
	-q)
		is "$(wc -c <"$PROXY_LOG")" 0 "$be -q: nothing logged"
		;;
	*)
		is "$(( $(count open) + $(count close) ))" 0 \
		    "$be default: no per-connection lines"
		;;
	esac
	[ -n "$VSP_VERBOSE" ] && diag_file "$PROXY_LOG" 20
	return 0
}

scenario() {
	logging "$1" -v
	logging "$1" ""
	logging "$1" -q
}

for_each_backend scenario
done_testing
