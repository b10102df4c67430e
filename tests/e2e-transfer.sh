#!/bin/sh
# e2e-transfer: bytes cross the proxy exactly, in both directions at once.
#
# For each event backend and each transport (tcp, unix, and tcp6 -> unix
# when the loopback has IPv6), a client sends N bytes while the target
# sends N bytes back; each end checks every byte against the stream the
# other was told to send, so a lost, duplicated, reordered or echoed byte
# fails, and so does a connection that is not closed cleanly (each end
# reads to EOF).  N covers the edges: 0 (connect and clean close only),
# 1, 1 MiB and 64 MiB (many buffer refills), plus a one-way transfer.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# transfer BACKEND TARGET-TRANSPORT LISTEN-TRANSPORT SIZES...
transfer() {
	local be="$1" tr="$2" lt="$3" target size what
	shift 3
	new_addr "$tr"
	target=$NEW_ADDR
	if ! start_proxy "px-$be-$lt-$tr" "$lt" --connect "$target"; then
		not_ok "$be $lt->$tr: proxy starts"
		return
	fi
	for size in "$@"; do
		what="$be $lt->$tr: $size bytes each way, byte-exact"
		check "$what" exchange "x-$be-$lt-$tr-$size" "$target" \
		    "--send $size --expect $size" \
		    "--send $size --expect $size"
	done
	check "$be $lt->$tr: 1M client->target only, byte-exact" \
	    exchange "x-$be-$lt-$tr-oneway" "$target" \
	    "--send 0 --expect 1M" "--send 1M --expect 0"
	check "$be $lt->$tr: proxy still running" alive "$PROXY_PID"
	stop "$PROXY_PID"
	is "$?" 0 "$be $lt->$tr: proxy exits 0 on SIGTERM"
}

scenario() {
	transfer "$1" tcp tcp 0 1 1M 64M
	transfer "$1" unix unix 0 1 1M 64M
	# Across families; the big sizes are covered above.
	if have_ipv6; then
		transfer "$1" unix tcp6 0 1 1M
	else
		skip "$1 tcp6->unix" "no IPv6 loopback"
	fi
}

for_each_backend scenario
done_testing
