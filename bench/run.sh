#!/bin/bash
# bench/run.sh: `make bench`.  The same workloads direct, through
# vsockproxy (its copy path and its zero-copy path, side by side) and
# through socat, in one invocation; one table with the ratios and the
# goals of issue #13 (zero-copy), a results file and a chart:
#
#   (a) on this machine, TCP loopback: bulk throughput 1 and 8 streams
#       each way, 1-byte ping-pong, connection setup rate, the relay's
#       CPU per GiB, the proxy's RSS with many idle and 100 busy
#       connections; UNIX stream sockets: bulk 1 stream each way and the
#       relay's CPU per GiB;
#   (b) vsock loopback inside a QEMU guest (vmtest/lib.sh, suite
#       vmtest/guest/bench.sh, always Debian's 6.12 kernel, whatever
#       VMTEST_KERNELS says): bulk 1 stream each way and CPU per GiB.
#       vsock never splices, so one vsockproxy stands for both paths
#       there.  TCG: only the ratios mean anything.
#
# The load generator is bench/vsp-bench.c, the table bench/report.sh,
# the chart bench/chart.sh (gnuplot; skipped without it).  Nothing here passes or fails on speed:
# the exit status says whether every component ran.
#
# Environment:
#   BENCH_QUICK=1       tiny sizes, every code path (make bench-smoke)
#   BENCH_PARTS         "tcp unix vsock" (default), or some of them
#   BENCH_REPEAT        rounds of the throughput workloads; each cell is
#                       the median (default 3, quick 1)
#   BENCH_PROXY_ARGS    more vsockproxy options (e.g. --buffer-size 64k),
#                       for both paths
#   BENCH_PORT          first TCP port (default 17300; uses 5)
#   BENCH_RESULTS       the results file (default bench/bench-results.tsv
#                       in the build tree): one line per cell
#   BENCH_CHART         the chart (default bench/zero-copy.svg in the
#                       build tree)
#   VSOCKPROXY, VSOCKPROXYCTL, VSP_BENCH, top_srcdir, top_builddir: set
#   by make.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
VSOCKPROXY=${VSOCKPROXY:-$top_builddir/src/vsockproxy}
VSOCKPROXYCTL=${VSOCKPROXYCTL:-$top_builddir/src/vsockproxyctl}
VSP_BENCH=${VSP_BENCH:-$top_builddir/bench/vsp-bench}
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_PARTS=${BENCH_PARTS:-tcp unix vsock}
BENCH_PROXY_ARGS=${BENCH_PROXY_ARGS:-}
BENCH_RESULTS=${BENCH_RESULTS:-$top_builddir/bench/bench-results.tsv}
BENCH_CHART=${BENCH_CHART:-$top_builddir/bench/zero-copy.svg}
P0=${BENCH_PORT:-17300}
# value_of, median, wait_tcp, wait_unix
. "$top_srcdir/bench/lib.sh"
# report: the table
. "$top_srcdir/bench/report.sh"

if [ "$BENCH_QUICK" = 1 ]; then
	REPEAT=${BENCH_REPEAT:-1}
	BULK1=16M BULK8=2M PP_ITERS=200 CONN_SECS=0.3 IDLE_MAX=200
	BUSY_SECS=0.3 VSOCK_BYTES=4M
else
	REPEAT=${BENCH_REPEAT:-3}
	BULK1=2G BULK8=256M PP_ITERS=20000 CONN_SECS=3 IDLE_MAX=10000
	BUSY_SECS=3 VSOCK_BYTES=128M
fi

failed=0
PIDS=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsp-bench.XXXXXX") || exit 99
CHART_SH=$top_srcdir/bench/chart.sh
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() {
	local p
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "bench: $*" >&2; }
fail() { echo "bench: FAILED: $*" >&2; failed=1; }

for f in "$VSOCKPROXY" "$VSOCKPROXYCTL" "$VSP_BENCH"; do
	[ -x "$f" ] || { echo "bench: $f is not built" >&2; exit 99; }
done
mkdir -p "$(dirname "$BENCH_RESULTS")" "$(dirname "$BENCH_CHART")" ||
    exit 99

# The paths, by the names of the results (R's keys, the results file).
# On vsock the one vsockproxy is "proxy".
declare -A LABEL=([direct]="direct" [copy]="vsockproxy copy"
    [zc]="vsockproxy zero-copy" [socat]="socat -b 256k"
    [socat8k]="socat (8k)"
    [proxy]="vsockproxy (copy = zero-copy: vsock never splices)")
declare -A PORT=([direct]=$P0 [copy]=$((P0 + 1)) [socat]=$((P0 + 2))
    [socat8k]=$((P0 + 3)) [zc]=$((P0 + 4)))

# ---- results ----------------------------------------------------------

# R[transport.workload.path.field] holds the values of every round,
# space-separated; a cell is their median.
declare -A R

# measure KEY FIELDS -- CMD...: run a client, keep the named fields.
measure() {
	local key=$1 fields=() out f v
	shift
	while [ "$1" != -- ]; do fields+=("$1"); shift; done
	shift
	if ! out=$("$@" 2>"$WORK/err"); then
		fail "$key: $* ($(tail -n 3 "$WORK/err" | tr '\n' ' '))"
		return 1
	fi
	log "$key: $out"
	for f in "${fields[@]}"; do
		v=$(value_of "$f" "$out")
		[ -n "$v" ] || { fail "$key: no $f in '$out'"; return 1; }
		R[$key.$f]="${R[$key.$f]:-} $v"
	done
}

cell() {	# key.field
	local v=${R[$1]:-}
	# shellcheck disable=SC2086
	[ -n "$v" ] && median $v || echo -
}

# The cells, one a line, for bench/chart.sh and for comparing runs:
# transport, workload, path, field, median, every round's value.
write_results() {
	local k t w p f
	{
		printf '# vsockproxy bench %s, %s, %s CPUs, load average %s,' \
		    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" \
		    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
		printf ' %s round(s)%s%s\n' "$REPEAT" \
		    "${BENCH_PROXY_ARGS:+, proxy options: $BENCH_PROXY_ARGS}" \
		    "$([ "$BENCH_QUICK" = 1 ] && echo ", QUICK RUN")"
		printf 'transport\tworkload\tpath\tfield\tmedian\trounds\n'
		for k in "${!R[@]}"; do
			# The workload may hold dots (bulk1.up), nothing else.
			t=${k%%.*} w=${k#*.}
			f=${w##*.} w=${w%.*}
			p=${w##*.} w=${w%.*}
			# shellcheck disable=SC2086
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$w" "$p" "$f" \
			    "$(cell "$k")" "$(echo ${R[$k]} | tr ' ' ,)"
		done | sort
	} > "$BENCH_RESULTS" || fail "cannot write $BENCH_RESULTS"
}

# ---- processes --------------------------------------------------------

start() {	# name cmd...: background, remembered for cleanup
	local name=$1
	shift
	"$@" > "$WORK/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$name=$!"
}

pid_of() {	# name
	eval "echo \"\${PID_$1:-}\""
}

stop() {	# name
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $pid / /")
	eval "PID_$1="
}

# rotate N WORD...: the words turned left N times.  Each round starts
# with another path, so that none always runs right after the same one.
rotate() {
	local n=$1
	shift
	n=$((n % $#))
	echo "${@:n+1}" "${@:1:n}"
}

# ---- (a) TCP and UNIX on this machine ----------------------------------

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576

addr() {	# transport path: what the clients connect to
	case $1 in
	tcp)	echo "tcp:127.0.0.1:${PORT[$2]}" ;;
	unix)	echo "unix:$WORK/$2.sock" ;;
	esac
}

socat_listen() {	# transport path
	case $1 in
	tcp)	echo "TCP-LISTEN:${PORT[$2]},fork,reuseaddr" ;;
	unix)	echo "UNIX-LISTEN:$WORK/$2.sock,fork" ;;
	esac
}

socat_target() {	# transport
	case $1 in
	tcp)	echo "TCP:127.0.0.1:${PORT[direct]}" ;;
	unix)	echo "UNIX-CONNECT:$WORK/direct.sock" ;;
	esac
}

wait_listen() {	# transport path
	case $1 in
	tcp)	wait_tcp "${PORT[$2]}" ;;
	unix)	wait_unix "$WORK/$2.sock" ;;
	esac
}

# start_proxy TRANSPORT copy|zc: the zero-copy option last, so that
# BENCH_PROXY_ARGS cannot make the two paths one.  The proxy needs two
# descriptors per connection; prlimit runs it in its own process (exec).
start_proxy() {
	local zc=off
	[ "$2" = zc ] && zc=on
	# shellcheck disable=SC2086
	start "$2" prlimit --nofile="$nofile:$nofile" "$VSOCKPROXY" -q \
	    --stats-interval 0 --control "$WORK/$2.ctl" \
	    --listen "$(addr "$1" "$2")" --connect "$(addr "$1" direct)" \
	    $BENCH_PROXY_ARGS --zero-copy "$zc"
}

part_stream() {	# tcp or unix
	local t=$1 r v dir relays=(copy zc socat) paths
	paths=(direct copy zc socat)
	[ "$t" = tcp ] && relays+=(socat8k) paths+=(socat8k)
	start direct "$VSP_BENCH" server "$(addr "$t" direct)"
	start_proxy "$t" copy
	start_proxy "$t" zc
	start socat socat -b 262144 "$(socat_listen "$t" socat)" \
	    "$(socat_target "$t")"
	[ "$t" = tcp ] && start socat8k socat "$(socat_listen tcp socat8k)" \
	    "$(socat_target tcp)"
	for v in "${paths[@]}"; do
		wait_listen "$t" "$v" ||
		    { fail "$t: nothing listening for $v"; return 1; }
	done
	# The CPU of direct is the server's own (sink up, source down).
	for r in $(seq "$REPEAT"); do
		log "$t round $r of $REPEAT"
		for v in $(rotate $((r - 1)) "${paths[@]}"); do
			for dir in up down; do
				measure "$t.bulk1.$dir.$v" mibps cpu_s_per_gib \
				    -- "$VSP_BENCH" bulk "$(addr "$t" "$v")" \
				    "--$dir" --bytes "$BULK1" \
				    --cpu-pid "$(pid_of "$v")"
			done
		done
		[ "$t" = tcp ] || continue
		for v in $(rotate $((r - 1)) direct copy zc socat); do
			tcp_round "$v"
		done
	done
	[ "$t" = tcp ] && tcp_memory
	proxy_stats "$t"
	for v in direct "${relays[@]}"; do
		kill -0 "$(pid_of "$v")" 2>/dev/null ||
		    fail "$t: $v died: $(tail -n 3 "$WORK/$v.log")"
		stop "$v"
	done
	# -q: only errors are logged.
	for v in copy zc; do
		grep -q . "$WORK/$v.log" &&
		    fail "$t: the $v proxy logged errors: $(tail -n 3 "$WORK/$v.log")"
	done
	return 0
}

tcp_round() {	# path: the workloads other than bulk1, TCP only
	local a
	a=$(addr tcp "$1")
	measure "tcp.bulk8.up.$1" mibps -- "$VSP_BENCH" bulk "$a" --up \
	    --streams 8 --bytes "$BULK8"
	measure "tcp.bulk8.down.$1" mibps -- "$VSP_BENCH" bulk "$a" --down \
	    --streams 8 --bytes "$BULK8"
	measure "tcp.pp.$1" median_us p99_us -- "$VSP_BENCH" pingpong "$a" \
	    --iters "$PP_ITERS"
	measure "tcp.conn.$1" conn_per_s -- "$VSP_BENCH" connrate "$a" \
	    --seconds "$CONN_SECS"
}

# Idle connections: as many as the descriptor limit allows, up to
# 10,000 (the proxy holds two per connection); then 100 busy ones.
tcp_memory() {
	local v idle busy_k=100
	idle=$(( (nofile - 64) / 2 ))
	[ "$idle" -le "$IDLE_MAX" ] || idle=$IDLE_MAX
	IDLE_CONNS=$idle
	for v in copy zc; do
		measure "tcp.idle.$v" kib_per_conn rss0_kib rss1_kib -- \
		    "$VSP_BENCH" idle "$(addr tcp "$v")" --conns "$idle" \
		    --rss-pid "$(pid_of "$v")"
		measure "tcp.busy.$v" mibps rss_peak_kib rss0_kib -- \
		    "$VSP_BENCH" busy "$(addr tcp "$v")" --conns "$busy_k" \
		    --seconds "$BUSY_SECS" --rss-pid "$(pid_of "$v")"
	done
	measure tcp.busy.direct mibps -- "$VSP_BENCH" busy \
	    "$(addr tcp direct)" --conns "$busy_k" --seconds "$BUSY_SECS" \
	    --rss-pid "$(pid_of direct)"
}

# What each proxy says it did: bytes_spliced > 0 shows that the
# zero-copy column went through pipes, 0 that the copy one did not.
proxy_stats() {	# transport
	local v out f
	for v in copy zc; do
		if ! out=$("$VSOCKPROXYCTL" -s "$WORK/$v.ctl" show stats 2>&1)
		then
			fail "$1: vsockproxyctl show stats ($v): $out"
			continue
		fi
		log "$1 $v proxy: $out"
		for f in bytes_up bytes_down bytes_spliced; do
			R[$1.stats.$v.$f]=$(value_of "$f" "$out")
		done
	done
}

# ---- (b) vsock loopback in a QEMU guest --------------------------------

part_vsock() {
	local tap=$WORK/vsock.tap line key rest f v rc
	(
		# vmtest/lib.sh sets its own traps: keep them in here.
		. "$top_srcdir/vmtest/lib.sh"
		vt_setup bench
		why=$(vt_need_host_tools) || vt_skip_all "$why"
		# The goal is stated for the 6.12 guest: never VMTEST_KERNELS.
		vt_kernel 6.12 || vt_skip_all "no 6.12 kernel: $VT_WHY"
		VT_EXTRA_PROGRAMS="$VSP_BENCH:/usr/bin/vsp-bench"
		vt_initramfs || vt_skip_all "cannot build the initramfs"
		vt_accel
		echo "# bench-guest Linux $VT_KREL, QEMU ${VT_ACCEL_OPTS[1]}"
		vt_boot bench "${VMTEST_DEADLINE:-900}" "vt_suite=bench \
vt_bench_bytes=$VSOCK_BYTES vt_bench_repeat=$REPEAT \
vt_bench_proxy_args=${BENCH_PROXY_ARGS// /,}"
		rc=$?
		cat "$VT_RUN/bench.tap" 2>/dev/null
		[ $rc -eq 0 ] || { echo "not ok - guest: ${VT_BOOT_WHY:-failed}";
		    vt_console_tail bench 20; }
		exit 0
	) > "$tap"
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"1..0 # SKIP"*)
			VSOCK_SKIP=${line#*SKIP }
			log "vsock part skipped: $VSOCK_SKIP" ;;
		"not ok"*)
			fail "vsock guest: $line" ;;
		"# bench-guest "*)
			VSOCK_GUEST=${line#\# bench-guest } ;;
		"# bench-note "*)
			VSOCK_SPLICE_NOTE=${line#\# bench-note }
			log "$VSOCK_SPLICE_NOTE" ;;
		"# bench-stats "*)
			rest=${line#\# bench-stats }
			log "vsock proxy: $rest"
			for f in bytes_up bytes_down bytes_spliced; do
				R[vsock.stats.proxy.$f]=$(value_of "$f" "$rest")
			done ;;
		"# bench "*)
			rest=${line#\# bench }
			key=${rest%% *}
			rest=${rest#* }
			log "$key: $rest"
			for f in mibps cpu_s_per_gib; do
				v=$(value_of "$f" "$rest")
				[ -n "$v" ] && R[$key.$f]="${R[$key.$f]:-} $v"
			done ;;
		"#"*)	log "guest: $line" ;;
		esac
	done < "$tap"
}

for part in $BENCH_PARTS; do
	case $part in
	tcp | unix) part_stream "$part" || fail "$part part" ;;
	vsock)	part_vsock ;;
	*)	fail "unknown part $part" ;;
	esac
done
report
write_results
echo
echo "results: $BENCH_RESULTS"
title="vsockproxy, one stream each way, median of $REPEAT round(s),"
title="$title $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
[ "$BENCH_QUICK" = 1 ] && title="SMOKE RUN, meaningless sizes: $title"
bash "$CHART_SH" "$BENCH_RESULTS" "$BENCH_CHART" "$title" || fail "chart"
[ "$failed" -eq 0 ] || { echo "bench: some components failed (above)" >&2; exit 1; }
exit 0
