#!/bin/sh
# e2e-soak: an integrity soak, bounded in time.
#
# Two daemons run for the whole soak: epoll, from TCP clients to a UNIX
# target, and poll, from UNIX clients to a TCP target.  Round after
# round, alternating between them until SOAK_SECONDS have passed (at
# least two rounds), SOAK_CONNS connections are opened at once through
# one of them.  Each carries its own stream both ways, of a size that
# changes from round to round, with random read and send sizes at both
# ends (vsp-peer --vary, seeded by the round) and a random order per
# connection (send first and half-close, receive first, or both at
# once), so the half-closes come in every order.  Every byte is checked
# at both ends (vsp-peer identifies each stream and compares it), so a
# round passes only if all SOAK_CONNS connections arrive intact on both
# sides, each a different stream: none lost, crossed or stuck (a stuck
# one hits the peers' deadline).  After each round the daemon must be
# back to its idle descriptors.  At the end each daemon's counters must
# add up (accepted = closed = connections sent through it, nothing
# failed), its resident memory is reported, and it must exit 0.
#
#	SOAK_SECONDS	time to keep starting rounds (default 120; 40 in
#			a sanitizer build)
#	SOAK_CONNS	connections per round (default 1000)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

if grep -q __asan_init "$VSOCKPROXY" 2>/dev/null; then
	: "${SOAK_SECONDS:=40}"
else
	: "${SOAK_SECONDS:=120}"
fi
: "${SOAK_CONNS:=1000}"
N=$SOAK_CONNS

# Each connection costs the daemon two descriptors and each peer one.
want=$((2 * N + 64))
[ "$(ulimit -n)" -ge "$want" ] 2>/dev/null || ulimit -n "$want" 2>/dev/null ||
    skip_all "cannot raise the descriptor limit to $want (ulimit -n)"

# Sizes per round, in turn (at least 8 bytes, so that every receiver
# can tell the streams apart): small streams stress the set-up and
# tear-down, large ones the relaying.
SIZES="100 4k 64k 200k 1M 16k 512k"
size_of() {
	local i=$(($1 % 7 + 1))
	echo "$SIZES" | cut -d' ' -f"$i"
}
bytes_of() {
	case $1 in
	*k)	echo $((${1%k} * 1024)) ;;
	*M)	echo $((${1%M} * 1048576)) ;;
	*)	echo "$1" ;;
	esac
}

# Two daemons, one per backend, each in front of its own target address.
# soak_proxy BACKEND LISTEN TARGET: a daemon of that backend listening
# on a LISTEN address (tcp, unix), its target a TARGET one; its pid,
# addresses, log and idle socket count in PX_BACKEND, ADDR_, TGT_, LOG_
# and BASE_BACKEND.
soak_proxy() {
	BACKEND=$1
	new_addr "$3"
	eval "TGT_$1=\$NEW_ADDR"
	start_proxy "px-$1" "$2" --connect "$NEW_ADDR" --stats-interval 0 ||
	    bail_out "the $1 daemon does not start"
	eval "PX_$1=\$PROXY_PID ADDR_$1=\$PROXY_ADDR LOG_$1=\$PROXY_LOG"
	eval "BASE_$1=\$(nsockets \"\$PROXY_PID\")"
}
soak_proxy epoll tcp unix
soak_proxy poll unix tcp
CONNS_epoll=0; CONNS_poll=0

# round I BACKEND: one round; returns 1 if it failed.
round() {
	local i="$1" be="$2" size tgt addr px base name crc src streams side
	size=$(size_of "$i")
	eval "tgt=\$TGT_$be addr=\$ADDR_$be px=\$PX_$be base=\$BASE_$be"
	name="r$i"
	start_peer "$name.srv" "$tgt" --conns "$N" --send "$size" \
	    --expect "$size" --vary $((2 * i + 1)) --chunk 128k \
	    --timeout $((VSP_WAIT * 4)) || return 1
	run_peer "$name.cli" "$addr" --conns "$N" --send "$size" \
	    --expect "$size" --vary $((2 * i + 2)) --chunk 128k \
	    --order random --timeout $((VSP_WAIT * 4))
	crc=$?
	reap "$PEER_PID" $((VSP_WAIT * 4))
	src=$?
	eval "CONNS_$be=\$((CONNS_$be + N))"
	if ! peer_passed "$name.cli" "$N" || ! peer_passed "$name.srv" "$N"
	then
		not_ok "round $i ($be, $N x $size each way): client exit" \
		    "$crc, target exit $src"
		return 1
	fi
	for side in cli srv; do
		streams=$(sed -n 's/.* stream=\([0-9]*\) .*/\1/p' \
		    "$T/$name.$side.out" | sort -u | wc -l)
		if [ "$streams" -ne "$N" ]; then
			not_ok "round $i ($be): $side saw $streams distinct" \
			    "streams, not $N"
			return 1
		fi
	done
	if ! wait_until 10 sockets_at_most "$px" "$base"; then
		not_ok "round $i ($be): daemon not back to $base" \
		    "sockets ($(nsockets "$px"))"
		return 1
	fi
	ok "round $i ($be, $N x $size each way, exits $crc $src):" \
	    "intact, distinct streams, back to $base sockets"
	BYTES=$((BYTES + 2 * N * $(bytes_of "$size")))
	rm -f "$T/$name".*
}

BYTES=0
i=0
fails=0
start=$(now_ms)
deadline "$SOAK_SECONDS"
end=$DEADLINE
while [ $i -lt 2 ] || ! expired "$end"; do
	if [ $((i % 2)) -eq 0 ]; then be=epoll; else be=poll; fi
	round "$i" "$be" || fails=$((fails + 1))
	i=$((i + 1))
	# A broken daemon would fail every round: stop early.
	[ $fails -ge 3 ] && break
done
secs=$(( ($(now_ms) - start) / 1000 ))
diag "soak: $i rounds, $((CONNS_epoll + CONNS_poll)) connections," \
    "$((BYTES / 1048576)) MiB relayed and checked, in $secs s"

for be in epoll poll; do
	eval "px=\$PX_$be log=\$LOG_$be conns=\$CONNS_$be"
	diag "$be daemon: VmRSS $(vm_kb "$px" VmRSS) kB," \
	    "VmHWM $(vm_kb "$px" VmHWM) kB after $conns connections"
	if usr1 "$px" "$log"; then
		is "$(stat_of accepted "$log")/$(stat_of closed "$log")" \
		    "$conns/$conns" "$be: accepted = closed = $conns"
		is "$(stat_of connect_failed "$log")/$(stat_of active \
		    "$log")" "0/0" "$be: no failed connect, none left open"
	else
		not_ok "$be: statistics line on SIGUSR1"
	fi
	stop "$px"
	is "$?" 0 "$be: daemon exits 0 on SIGTERM"
done
done_testing
