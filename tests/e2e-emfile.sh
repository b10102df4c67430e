#!/bin/sh
# e2e-emfile: running out of descriptors.  A connection takes two: the
# client's and the target's.  A client is accepted only when both can be
# had; otherwise it waits in the backlog and is served later, never
# accepted and dropped.
#
#   - Four connections are held open, then the daemon's descriptor limit
#     is set to leave exactly one descriptor free, then none (two
#     adjacent limits: with one free, accept(2) used to succeed and the
#     target's socket(2) fail, and the client was closed).  Either way,
#     three new clients wait: the daemon logs once, stops polling the
#     listener for a back-off instead of spinning (its CPU time over two
#     seconds of exhaustion is reported and stays under 0.5 s), closes
#     nobody, and the held connections are untouched.  Once they finish,
#     the waiting clients are served, intact.
#   - The daemon started with nofile 64 and 65 (adjacent limits again:
#     which one used to drop clients depended on the backend's own
#     descriptors): 100 clients at once are all served, byte-exact.
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
	local be="$1, $2 free" free="$2" name="emf-$1-$2" t0 t1 hz nfd ms
	start_peer "$name.srv" tcp:127.0.0.1:0 --conns 0 --send 64k \
	    --expect 64k || { not_ok "$be: target starts"; return; }
	start_proxy "px-$name" tcp -v --connect "$PEER_ADDR" || {
		not_ok "$be: proxy starts"; return; }
	spawn "$name.held" "$VSP_PEER" connect "$PROXY_ADDR" --conns 4 \
	    --send 64k --expect 64k --wait-file "$T/$name.go" \
	    --timeout "$VSP_WAIT"
	check "$be: four connections open" wait_until 5 sh -c \
	    "[ \$(grep -c 'event=open ' '$T/px-$name.log') -ge 4 ]"
	nfd=$(limit_for "$PROXY_PID" "$free")
	prlimit --pid "$PROXY_PID" --nofile="$nfd:$nfd"
	spawn "$name.wait" "$VSP_PEER" connect "$PROXY_ADDR" --conns 3 \
	    --send 64k --expect 64k --timeout "$VSP_WAIT"
	check "$be: out of descriptors: backs off, logged" wait_until 5 \
	    grep -q 'accept (pausing' "$T/px-$name.log"
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$PROXY_PID")
	sleep 2		# a measurement, not a wait
	t1=$(cpu_ticks "$PROXY_PID")
	ms=$(( (t1 - t0) * 1000 / hz ))
	lt "$ms" 500 \
	    "$be: $ms ms of CPU in 2 s of exhaustion (under 500: no spinning)"
	check "$be: the daemon is alive" alive "$PROXY_PID"
	is "$(grep -c 'event=close ' "$T/px-$name.log")" 0 \
	    "$be: no client was accepted and closed"
	is "$(grep -c 'accept (pausing' "$T/px-$name.log")" 1 \
	    "$be: the exhaustion is logged once"
	release "$T/$name.go" "$SPAWNED"
	check "$be: waiting clients are served once descriptors free up" \
	    peer_passed "$name.wait" 3
	wait_until "$VSP_WAIT" sh -c "[ \$(grep -c . '$T/$name.held.out') -ge 4 ]"
	check "$be: the held connections complete intact" \
	    peer_passed "$name.held" 4
	stop "$PROXY_PID"
	stop "$PEER_PID"
}

# crowd BACKEND NOFILE: 100 clients at once through a daemon started
# with that descriptor limit.
crowd() {
	local be="$1, nofile $2" name="crowd-$1-$2"
	start_peer "$name.srv" tcp:127.0.0.1:0 --conns 100 --send 16k \
	    --expect 16k || { not_ok "$be: target starts"; return; }
	start_proxy "px-$name" tcp --connect "$PEER_ADDR" ||
	    { not_ok "$be: proxy starts"; return; }
	prlimit --pid "$PROXY_PID" --nofile="$2:$2"
	run_peer "$name.cli" "$PROXY_ADDR" --conns 100 --send 16k \
	    --expect 16k
	check "$be: 100 clients at once, all served intact" \
	    peer_passed "$name.cli" 100
	reap "$PEER_PID"
	check "$be: ... the target saw all 100" peer_passed "$name.srv" 100
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
}

for_each_backend emfile 1
for_each_backend emfile 0
for_each_backend crowd 64
for_each_backend crowd 65
done_testing
