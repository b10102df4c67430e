#!/bin/sh
# e2e-connect-timeout: a target that never answers is given up on after
# --connect-timeout, and the client is closed.
#
# The black hole: a vsp-peer that listens with a backlog of 0 and never
# accepts, its queue filled by one connection; Linux then drops further
# SYNs, so the proxy's connect() neither succeeds nor fails.  With
# --connect-timeout 0.5 three clients must be closed without data after
# roughly half a second (not at once: the proxy did wait; not after 1 s:
# the timeout worked), and with the default (2 s) after about two.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

# slowest NAME: the largest ms= of NAME's result lines.
slowest() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T/$1.out" | sort -n | tail -n 1
}

fastest() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T/$1.out" | sort -n | head -n 1
}

# launch BACKEND TRANSPORT SECONDS LO HI: start a proxy in front of the
# black hole and three clients in the background; check_case checks them.
# All cases run at the same time, so the suite waits about 2 s in all.
CASES=
launch() {
	local be="$1" tr="$2" secs="$3" name opt
	name="ct-$be-$tr-${secs:-default}"
	opt=${secs:+--connect-timeout $secs}
	BACKEND=$be
	# shellcheck disable=SC2086 # opt is empty or an option and value
	if ! start_proxy "px-$name" "$tr" --connect "$HOLE" $opt; then
		not_ok "$be $tr: proxy starts"
		return
	fi
	spawn "$name" "$VSP_PEER" connect "$PROXY_ADDR" --conns 3 \
	    --expect-refused --timeout "$VSP_WAIT"
	CASES="$CASES $name:$SPAWNED:$PROXY_PID:$4:$5"
}

check_case() {
	local name pid ppid lo hi what ms secs
	# name:pid:proxy-pid:lo:hi, name ct-BACKEND-TRANSPORT-SECONDS
	name=${1%%:*} lo=${1#*:*:*:} hi=${lo#*:} lo=${lo%%:*}
	pid=${1#*:} ppid=${pid#*:} pid=${pid%%:*} ppid=${ppid%%:*}
	what=${name#ct-}
	secs=${what#*-*-}
	what=$(echo "${what%-*}" | tr - ' ')
	if [ "$secs" = default ]; then
		what="$what, default timeout"
	else
		what="$what, --connect-timeout $secs"
	fi
	reap "$pid"
	check "$what: 3 clients closed without data" peer_passed "$name" 3
	ms=$(fastest "$name")
	check "$what: not before $lo ms ($ms ms)" test "${ms:-0}" -ge "$lo"
	ms=$(slowest "$name")
	lt "${ms:-99999}" "$hi" "$what: within $hi ms ($ms ms)"
	stop "$ppid"
	is "$?" 0 "$what: proxy exits 0 on SIGTERM"
}

scenario() {
	launch "$1" tcp 0.5 400 1500
	launch "$1" unix 0.5 400 1500
	launch "$1" unix "" 1800 3500
}

if ! blackhole bh 30; then
	skip_all "cannot make a black-hole TCP target here"
fi
for_each_backend scenario
for c in $CASES; do
	check_case "$c"
done
done_testing
