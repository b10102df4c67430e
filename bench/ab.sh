#!/bin/bash
# bench/ab.sh: before/after of one change, in one run.  Two vsockproxy
# instances with different settings in front of the same vsp-bench
# server on TCP loopback; the workloads alternate between them round by
# round, so both see the same machine load.  Each cell is the median.
#
#   bench/ab.sh NAME_A "SPEC_A" NAME_B "SPEC_B"
#
# A SPEC is words: VAR=VALUE ones go to the environment of that proxy,
# an absolute path is the binary to run instead of $VSOCKPROXY (another
# build: before and after a change), the others are its options.
# Examples (BENCHMARKS.md):
#   bench/ab.sh copy VSOCKPROXY_SPLICE=0 splice ""
#   bench/ab.sh 64k "--buffer-size 64k" 256k ""
#   bench/ab.sh before /tmp/old/vsockproxy after ""
#
# Environment: AB_REPEAT (rounds, default 5), AB_BYTES (bulk, default
# 1G), AB_PORT (default 17400), VSOCKPROXY, VSP_BENCH.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
[ $# -eq 4 ] || { echo "usage: $0 NAME_A SPEC_A NAME_B SPEC_B" >&2; exit 64; }
top_builddir=${top_builddir:-$(pwd)}
VSOCKPROXY=${VSOCKPROXY:-$top_builddir/src/vsockproxy}
VSP_BENCH=${VSP_BENCH:-$top_builddir/bench/vsp-bench}
REPEAT=${AB_REPEAT:-5}
BYTES=${AB_BYTES:-1G}
P=${AB_PORT:-17400}
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done' EXIT
declare -A R
# value_of, median, wait_tcp
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy() {	# port spec
	local envs=() args=() bin=$VSOCKPROXY w
	for w in $2; do
		case $w in -*) args+=("$w") ;; *=*) envs+=("$w") ;;
		/*) bin=$w ;; *) args+=("$w") ;; esac
	done
	env "${envs[@]}" "$bin" -q --stats-interval 0 \
	    --listen "tcp:127.0.0.1:$1" --connect "tcp:127.0.0.1:$P" \
	    "${args[@]}" &
	PIDS="$PIDS $!"
	LAST=$!
}

"$VSP_BENCH" server "tcp:127.0.0.1:$P" & PIDS="$PIDS $!"
declare -A port_of=([a]=$((P + 1)) [b]=$((P + 2))) pid_of
start_proxy "${port_of[a]}" "$2"; pid_of[a]=$LAST
start_proxy "${port_of[b]}" "$4"; pid_of[b]=$LAST
for p in $P "${port_of[a]}" "${port_of[b]}"; do
	wait_tcp "$p" || { echo "ab: nothing on port $p" >&2; exit 1; }
done

run() {	# side key fields -- cmd
	local side=$1 key=$2 out f
	shift 2
	local fields=()
	while [ "$1" != -- ]; do fields+=("$1"); shift; done
	shift
	out=$("$@") || { echo "ab: $side $key failed" >&2; exit 1; }
	echo "ab: $side $key: $out" >&2
	for f in "${fields[@]}"; do
		R[$side.$key.$f]="${R[$side.$key.$f]:-} $(value_of "$f" \
		    "$out")"
	done
}

for _ in $(seq "$REPEAT"); do
	for side in a b; do
		port=${port_of[$side]} pid=${pid_of[$side]}
		run $side up mibps cpu_s_per_gib -- "$VSP_BENCH" bulk \
		    "tcp:127.0.0.1:$port" --up --bytes "$BYTES" --cpu-pid "$pid"
		run $side down mibps cpu_s_per_gib -- "$VSP_BENCH" bulk \
		    "tcp:127.0.0.1:$port" --down --bytes "$BYTES" \
		    --cpu-pid "$pid"
		run $side up8 mibps -- "$VSP_BENCH" bulk \
		    "tcp:127.0.0.1:$port" --up --streams 8 --bytes 128M
		run $side pp median_us p99_us -- "$VSP_BENCH" pingpong \
		    "tcp:127.0.0.1:$port" --iters 5000
		run $side conn conn_per_s -- "$VSP_BENCH" connrate \
		    "tcp:127.0.0.1:$port" --seconds 1
	done
done

echo
echo "A = $1 ($2), B = $3 ($4); median of $REPEAT rounds, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | $1 | $3 | B/A |"
echo "|---|---|---|---|"
for k in up.mibps down.mibps up8.mibps up.cpu_s_per_gib down.cpu_s_per_gib \
    pp.median_us pp.p99_us conn.conn_per_s; do
	# shellcheck disable=SC2086 # the rounds' values, one word each
	a=$(median ${R[a.$k]}) b=$(median ${R[b.$k]})
	echo "| $k | $a | $b | $(awk -v a="$a" -v b="$b" \
	    'BEGIN { printf "%.2f", a ? b / a : 0 }') |"
done
