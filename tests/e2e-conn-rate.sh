#!/bin/sh
# e2e-conn-rate: max-conn-rate N lets each peer open N connections per
# second (a second's worth at once), and turns the rest away.
#
#   - 12 connections from 127.0.0.1 in quick succession through a rule
#     with max-conn-rate 5: 5 (or 6, if a fifth of a second passed) are
#     relayed, the rest closed at once and logged as denied
#     "over max-conn-rate 5/s";
#   - meanwhile another peer (127.0.0.2) is not held back;
#   - a second later the first peer may connect again;
#   - the denials are counted (denied= in the statistics) and logged
#     (five lines, then a summary of the rest).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
: "${VSP_FLOOD:=$top_builddir/tests/vsp-flood}"
[ -x "$VSP_FLOOD" ] || skip_all "no $VSP_FLOOD"

# one NAME [ARGS]: one connection with a byte there and back; 0 if it
# came back.
one() {
	local name="$1"
	shift
	"$VSP_PEER" connect "$LISTEN" --send 1 --expect 1 --expect-seed 1 \
	    --timeout 10 "$@" >"$T/$name.out" 2>&1
}

scenario() {
	local be="$1" echo_a i ok=0 den
	new_addrs echo_a=tcp LISTEN=tcp
	spawn "$be.echo" "$VSP_FLOOD" echo "$echo_a"
	wait_for_listen "$echo_a" "$SPAWNED" ||
	    { not_ok "$be: echo server starts"; return; }
	rule limited "$LISTEN" "$echo_a" "max-conn-rate 5" >"$T/$be.conf"
	start_conf_proxy "px-$be" "$T/$be.conf" "$LISTEN" -- \
	    --stats-interval 0 || { not_ok "$be: proxy starts"; return; }
	i=0
	while [ $i -lt 12 ]; do
		one "$be.a$i" && ok=$((ok + 1))
		i=$((i + 1))
	done
	check "$be: $ok of 12 quick connections relayed (5 or 6)" \
	    eval '[ "$ok" -ge 5 ] && [ "$ok" -le 6 ]'
	check "$be: another peer is not held back" \
	    one "$be.b" --bind tcp:127.0.0.2:0
	sleep 1.2	# the rate is what is tested: time must pass
	check "$be: a second later the first peer may connect again" \
	    one "$be.a-later"
	usr1
	is "$(stat_of denied)" $((12 - ok)) "$be: counted as denied"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
	# Five lines, the rest summed up (at the latest when it stops).
	den=$(grep -c "event=denied .* limit=5 reason=max-conn-rate$" "$PROXY_LOG")
	den=$((den + $(sed -n 's/.*event=denied-suppressed .* peer=tcp:127.0.0.1 count=\([0-9]*\)$/\1/p' \
	    "$PROXY_LOG" | awk '{ s += $1 } END { print s + 0 }')))
	is "$den" $((12 - ok)) \
	    "$be: the others were denied, logged (\"over max-conn-rate 5/s\")"
	[ "$T_FAILED" -eq 0 ] || diag_file "$PROXY_LOG"
}

for_each_backend scenario
done_testing
