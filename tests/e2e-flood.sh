#!/bin/sh
# e2e-flood: a denied peer that connects in a tight loop cannot stall
# anyone else's traffic, nor write the log.
#
# One daemon has two rules: a TCP one that relays to an echo server, and
# a UNIX one that only uid 0 may use.  Processes running as nobody
# connect to the UNIX rule and close, in a loop, for 3 s (hundreds of
# thousands of denials).  Meanwhile a probe sends one byte at a time
# through the TCP rule on one connection (200 round trips, 10 ms apart),
# and another opens a new connection per round trip.
#
#   - the control: the same probes while the same flood hits a second,
#     identical daemon (so the machine is as busy);
#   - flooded: the slowest round trip, and the slowest new connection,
#     stay within 5x the control's slowest + 100 ms (the daemon once
#     accepted until EAGAIN: one wake-up took the whole flood, 2.7 s);
#   - the log: at most RATELIM_BURST (5) "event=denied" lines per 5 s
#     and a summary "event=denied-suppressed ... peer=unix:uid=65534 count=N";
#     the lines shown plus N equal the connections the flood made, and
#     so does the denied= counter of the statistics.
#
# The flood runs as another user: root only.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
: "${VSP_FLOOD:=$top_builddir/tests/vsp-flood}"
[ -x "$VSP_FLOOD" ] || skip_all "no $VSP_FLOOD"
[ "$(id -u)" = 0 ] || skip_all "the flood runs as nobody: needs root"
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv(1)"
case "$VSP_WRAPPER" in
*valgrind*) skip_all "latency under valgrind says nothing" ;;
esac

# The scratch directory must let nobody reach the UNIX sockets.
chmod 755 "$T"

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# field_of FILE KEY: KEY=... from the first line of FILE.
field_of() {
	sed -n "s/.*$2=\\([0-9]*\\).*/\\1/p" "$1" | head -n 1
}

# stats_say TEXT: ask the daemon for its statistics; its newest stats
# line has TEXT.
stats_say() {
	usr1 && last_stats | grep -q "$1"
}

# round NAME FLOODED-SOCKET: flood FLOODED-SOCKET for 3 s and probe the
# TCP rule of the first daemon meanwhile; results in $T/NAME.*.
round() {
	local name="$1" sock="$2" log="$3" fl p1 p2
	spawn "$name.flood" as_nobody "$VSP_FLOOD" flood "unix:$sock" \
	    --seconds 3 --procs 2
	fl=$SPAWNED
	# The flood is on once the daemon turns it away.
	wait_until 10 grep -q "event=denied " "$log" ||
	    diag "$name: no denial seen"
	spawn "$name.ping" "$VSP_FLOOD" ping "$LEGIT" --count 200 \
	    --interval-ms 10
	p1=$SPAWNED
	spawn "$name.fresh" "$VSP_FLOOD" ping "$LEGIT" --count 20 \
	    --interval-ms 50 --fresh
	p2=$SPAWNED
	reap "$p1"; reap "$p2"; reap "$fl"
}

scenario() {
	local be="$1" echo_a px2 n shown held ctl max legit2 lines0 lines
	local ctlf maxf
	new_addrs echo_a=tcp LEGIT=tcp legit2=tcp
	spawn "$be.echo" "$VSP_FLOOD" echo "$echo_a"
	wait_for_listen "$echo_a" "$SPAWNED" ||
	    { not_ok "$be: echo server starts"; return; }
	{
		rule legit "$LEGIT" "$echo_a"
		rule guarded "unix:$T/$be.a.sock" "$echo_a" "allow-uid 0"
	} >"$T/$be.1.conf"
	{
		rule legit "$legit2" "$echo_a"
		rule guarded "unix:$T/$be.b.sock" "$echo_a" "allow-uid 0"
	} >"$T/$be.2.conf"
	# umask 0: nobody may connect to the sockets (and be denied).
	umask 0
	start_conf_proxy "px2-$be" "$T/$be.2.conf" "$legit2" \
	    "unix:$T/$be.b.sock" || px2=
	px2=${px2-$PROXY_PID}
	start_conf_proxy "px-$be" "$T/$be.1.conf" "$LEGIT" \
	    "unix:$T/$be.a.sock" || PROXY_PID=
	umask 022
	if [ -z "$px2" ] || [ -z "$PROXY_PID" ]; then
		not_ok "$be: both daemons start"
		return
	fi

	round "$be.ctl" "$T/$be.b.sock" "$T/px2-$be.log"
	lines0=$(grep -c . "$PROXY_LOG")
	round "$be.fl" "$T/$be.a.sock" "$PROXY_LOG"
	lines=$(( $(grep -c . "$PROXY_LOG") - lines0 ))

	check "$be: probes pass, control and flooded" eval \
	    'grep -q "^n=200 " "$T/$be.ctl.ping.out" &&
	     grep -q "^n=20 " "$T/$be.ctl.fresh.out" &&
	     grep -q "^n=200 " "$T/$be.fl.ping.out" &&
	     grep -q "^n=20 " "$T/$be.fl.fresh.out"'
	n=$(field_of "$T/$be.fl.flood.out" connects)
	check "$be: the flood made thousands of connections (${n:-?})" \
	    eval '[ "${n:-0}" -ge 2000 ]'
	ctl=$(field_of "$T/$be.ctl.ping.out" max_us)
	max=$(field_of "$T/$be.fl.ping.out" max_us)
	check "$be: slowest round trip ${max:-?} us flooded, control ${ctl:-?}" \
	    eval \
	    '[ -n "$max" ] && [ "$max" -le $((5 * ${ctl:-0} + 100000)) ]'
	ctlf=$(field_of "$T/$be.ctl.fresh.out" max_us)
	maxf=$(field_of "$T/$be.fl.fresh.out" max_us)
	check "$be: slowest new client ${maxf:-?} us flooded, control ${ctlf:-?}" \
	    eval \
	    '[ -n "$maxf" ] && [ "$maxf" -le $((5 * ${ctlf:-0} + 100000)) ]'
	check "$be: $lines log lines during the flood (at most 10)" \
	    eval '[ "$lines" -le 10 ]'

	check "$be: the statistics count every denial (denied=${n:-?})" \
	    wait_until 10 stats_say "denied=$n "

	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
	shown=$(grep -c "event=denied rule=[^ ]* listen=unix:[^ ]*a.sock peer=.* uid=65534 " "$PROXY_LOG")
	held=$(sed -n 's/.*event=denied-suppressed .* peer=unix:uid=65534 count=\([0-9]*\)$/\1/p' "$PROXY_LOG" |
	    awk '{ s += $1 } END { print s + 0 }')
	is "$((shown + held))" "${n:-?}" \
	    "$be: $shown denials shown + $held in summaries = the flood's"
	lt "$shown" 6 "$be: ... of which at most 5 shown"
	stop "$px2"
	[ "$T_FAILED" -eq 0 ] || diag_file "$PROXY_LOG"
}

for_each_backend scenario
done_testing
