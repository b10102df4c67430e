#!/bin/sh
# e2e-emfile: running out of descriptors.  Four connections are held open,
# then the daemon's descriptor limit is set to one more than it uses: the
# next client is accepted but its target cannot be dialled, and it is
# closed cleanly.  With the limit at exactly what it uses, accept(2)
# fails with EMFILE: the daemon logs once, stops polling the
# listener for a back-off instead of spinning (its CPU time over two
# seconds of exhaustion is reported and stays under 0.5 s), and the held
# connections are untouched.
# Once they finish, the waiting clients are served, intact.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
command -v prlimit >/dev/null 2>&1 || skip_all "no prlimit(1)"

# cpu_ticks PID: user+system clock ticks so far.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# limit_for PID FREE: the descriptor limit that leaves PID exactly FREE
# descriptor numbers to allocate (inherited descriptors leave holes).
limit_for() {
	ls "/proc/$1/fd" | sort -n | awk -v want="$2" '
	    { used[$1] = 1 }
	    END { for (i = 0; ; i++) if (!(i in used) && free++ == want) {
		print i; exit } }'
}

emfile() {
	local be="$1" name="emf-$1" t0 t1 hz nfd ms
	start_peer "$name.srv" tcp:127.0.0.1:0 --conns 0 --send 64k \
	    --expect 64k || { not_ok "$be: target starts"; return; }
	start_proxy "px-$name" tcp -v --connect "$PEER_ADDR" || {
		not_ok "$be: proxy starts"; return; }
	spawn "$name.held" "$VSP_PEER" connect "$PROXY_ADDR" --conns 4 \
	    --send 64k --expect 64k --wait-file "$T/$name.go" \
	    --timeout "$VSP_WAIT"
	check "$be: four connections open" wait_until 5 sh -c \
	    "[ \$(grep -c 'open peer' '$T/px-$name.log') -ge 4 ]"
	nfd=$(limit_for "$PROXY_PID" 1)
	prlimit --pid "$PROXY_PID" --nofile="$nfd:$nfd"
	run_peer "$name.turned" "$PROXY_ADDR" --expect-refused
	check "$be: the fifth is closed cleanly (target not dialled)" \
	    peer_passed "$name.turned"
	check "$be: ... and the reason is logged" grep -q \
	    'failed: Too many open files' "$T/px-$name.log"
	nfd=$(limit_for "$PROXY_PID" 0)
	prlimit --pid "$PROXY_PID" --nofile="$nfd:$nfd"
	spawn "$name.wait" "$VSP_PEER" connect "$PROXY_ADDR" --conns 3 \
	    --send 64k --expect 64k --timeout "$VSP_WAIT"
	check "$be: accept hits EMFILE and backs off, logged" wait_until 5 \
	    grep -q 'accept (pausing' "$T/px-$name.log"
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$PROXY_PID")
	sleep 2		# a measurement, not a wait
	t1=$(cpu_ticks "$PROXY_PID")
	ms=$(( (t1 - t0) * 1000 / hz ))
	lt "$ms" 500 \
	    "$be: $ms ms of CPU in 2 s of exhaustion (under 500: no spinning)"
	check "$be: the daemon is alive" alive "$PROXY_PID"
	is "$(grep -c 'accept (pausing' "$T/px-$name.log")" 1 \
	    "$be: the exhaustion is logged once"
	touch "$T/$name.go"
	reap "$SPAWNED"
	check "$be: waiting clients are served once descriptors free up" \
	    peer_passed "$name.wait" 3
	wait_until "$VSP_WAIT" sh -c "[ \$(grep -c . '$T/$name.held.out') -ge 4 ]"
	check "$be: the held connections complete intact" \
	    peer_passed "$name.held" 4
	stop "$PROXY_PID"
	stop "$PEER_PID"
}

for_each_backend emfile
done_testing
