#!/bin/sh
# e2e-slowloris: clients that trickle their request one byte at a time.
#
# Twenty clients at once each send 200 bytes as single-byte writes 10 ms
# apart (at least 2 s), then half-close; the target reads everything
# and only then answers with 4 KiB.  Both directions must be
# byte-exact, and the daemon must not burn CPU on the trickle: its
# user+system time over the whole exchange (from /proc/PID/stat) is
# reported and must stay under a fifth of the wall-clock time, a bound
# that only a daemon busy-polling its sockets comes near (it needs 3 to
# 5%; one that always waits for writability took 40 to 55%).  In a
# sanitizer build the figure is only reported.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# cpu_ticks PID: user+system clock ticks so far.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

SANITIZED=
grep -q __asan_init "$VSOCKPROXY" 2>/dev/null && SANITIZED=yes

slowloris() {
	local be="$1" tr="$2" name="sl-$1-$2" t0 t1 w0 wall cpu hz
	new_addr "$tr"
	start_peer "$name.srv" "$NEW_ADDR" --conns 20 --order recv-first \
	    --expect 200 --send 4k ||
	    { not_ok "$be $tr: target starts"; return; }
	start_proxy "px-$name" "$tr" --connect "$PEER_ADDR" ||
	    { not_ok "$be $tr: proxy starts"; return; }
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$PROXY_PID")
	w0=$(now_ms)
	run_peer "$name.cli" "$PROXY_ADDR" --conns 20 --send 200 --chunk 1 \
	    --send-delay-ms 10 --order send-first --expect 4k
	wall=$(( $(now_ms) - w0 ))
	t1=$(cpu_ticks "$PROXY_PID")
	reap "$PEER_PID"
	check "$be $tr: 20 trickling clients, byte-exact both ways" eval \
	    'peer_passed "$name.cli" 20 && peer_passed "$name.srv" 20'
	cpu=$(( (t1 - t0) * 1000 / hz ))
	check "$be $tr: it took a while ($wall ms >= 2000)" \
	    test "$wall" -ge 2000
	if [ -n "$SANITIZED" ]; then
		# ASan+UBSan's own work is most of it (about 1.7 s of
		# CPU here): a figure, not a check.
		diag "$be $tr: daemon CPU $cpu ms over $wall ms (sanitizers)"
	else
		lt "$cpu" $((wall / 5)) \
		    "$be $tr: daemon CPU $cpu ms over $wall ms (under a fifth)"
	fi
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

scenario() {
	slowloris "$1" tcp
	slowloris "$1" unix
}

for_each_backend scenario
done_testing
