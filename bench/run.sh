#!/bin/bash
# bench/run.sh: `make bench`.  The same workloads direct, through
# vsockproxy and through socat, in one invocation, and one table with the
# ratios and the targets of issue #6:
#
#   (a) TCP loopback on this machine: bulk throughput 1 and 8 streams each
#       way, 1-byte ping-pong, connection setup rate, the proxy's CPU per
#       GiB, its RSS with many idle and 100 busy connections;
#   (b) vsock loopback inside a QEMU guest (vmtest/lib.sh, suite
#       vmtest/guest/bench.sh): bulk 1 stream each way and CPU per GiB.
#       TCG: only the ratios mean anything.
#
# The load generator is bench/vsp-bench.c.  Nothing here passes or fails on
# speed: the exit status says whether every component ran.
#
# Environment:
#   BENCH_QUICK=1       tiny sizes, every code path (make bench-smoke)
#   BENCH_PARTS         "tcp vsock" (default), or one of them
#   BENCH_REPEAT        rounds of the throughput workloads; each cell is
#                       the median (default 3, quick 1)
#   BENCH_PROXY_ARGS    more vsockproxy options (e.g. --buffer-size 64k)
#   BENCH_PORT          first TCP port (default 17300; uses 10)
#   VSOCKPROXY, VSP_BENCH, top_srcdir, top_builddir: set by make.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
VSOCKPROXY=${VSOCKPROXY:-$top_builddir/src/vsockproxy}
VSP_BENCH=${VSP_BENCH:-$top_builddir/bench/vsp-bench}
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_PARTS=${BENCH_PARTS:-tcp vsock}
BENCH_PROXY_ARGS=${BENCH_PROXY_ARGS:-}
P0=${BENCH_PORT:-17300}
# value_of, median, wait_tcp
. "$top_srcdir/bench/lib.sh"

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

for f in "$VSOCKPROXY" "$VSP_BENCH"; do
	[ -x "$f" ] || { echo "bench: $f is not built" >&2; exit 99; }
done

# ---- results ----------------------------------------------------------

# R[key] holds the values of every round, space-separated; a cell is
# their median.
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

# ratio A B [digits]: A/B, or - when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
	    if (a == "-" || b == "-" || b + 0 == 0) print "-";
	    else printf "%.*f\n", d, a / b }'
}

# verdict EXPR VALUES...: "met" or "not met" (awk expression over a, b, c).
verdict() {
	local e=$1
	shift
	case " $* " in *" - "*) echo "n/a"; return ;; esac
	awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" \
	    "BEGIN { print (($e) ? \"met\" : \"NOT met\") }"
}

# ---- processes --------------------------------------------------------

start() {	# name cmd...: background, remembered for cleanup
	local name=$1
	shift
	"$@" > "$WORK/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$name=$!"
}

stop() {	# name
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $pid / /")
}

# ---- (a) TCP loopback --------------------------------------------------

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576

part_tcp() {
	local S=$P0 PX=$((P0 + 1)) SO=$((P0 + 2)) S8=$((P0 + 3)) r v port
	local idle busy_k=100
	start server "$VSP_BENCH" server "tcp:127.0.0.1:$S"
	# The proxy needs two descriptors per connection.
	# shellcheck disable=SC2086
	start proxy prlimit --nofile="$nofile:$nofile" "$VSOCKPROXY" -q --stats-interval 0 \
	    --listen "tcp:127.0.0.1:$PX" --connect "tcp:127.0.0.1:$S" \
	    $BENCH_PROXY_ARGS
	start socat socat -b 262144 "TCP-LISTEN:$SO,fork,reuseaddr" \
	    "TCP:127.0.0.1:$S"
	start socat8k socat "TCP-LISTEN:$S8,fork,reuseaddr" "TCP:127.0.0.1:$S"
	for port in $S $PX $SO $S8; do
		wait_tcp "$port" ||
		    { fail "nothing listening on TCP port $port"; return 1; }
	done
	# prlimit runs the proxy in its own process (exec).
	declare -A via=([direct]=$S [proxy]=$PX [socat]=$SO [socat8k]=$S8)
	declare -A cpu=([direct]= [proxy]=$PID_proxy [socat]=$PID_socat
	    [socat8k]=$PID_socat8k)
	for r in $(seq "$REPEAT"); do
		log "TCP round $r of $REPEAT"
		for v in direct proxy socat socat8k; do
			measure "tcp.bulk1.up.$v" mibps cpu_s_per_gib -- \
			    "$VSP_BENCH" bulk "tcp:127.0.0.1:${via[$v]}" --up \
			    --bytes "$BULK1" --cpu-pid "${cpu[$v]:-$PID_server}"
			measure "tcp.bulk1.down.$v" mibps cpu_s_per_gib -- \
			    "$VSP_BENCH" bulk "tcp:127.0.0.1:${via[$v]}" \
			    --down --bytes "$BULK1" \
			    --cpu-pid "${cpu[$v]:-$PID_server}"
		done
		for v in direct proxy socat; do
			measure "tcp.bulk8.up.$v" mibps -- "$VSP_BENCH" bulk \
			    "tcp:127.0.0.1:${via[$v]}" --up --streams 8 \
			    --bytes "$BULK8"
			measure "tcp.bulk8.down.$v" mibps -- "$VSP_BENCH" bulk \
			    "tcp:127.0.0.1:${via[$v]}" --down --streams 8 \
			    --bytes "$BULK8"
			measure "tcp.pp.$v" median_us p99_us -- "$VSP_BENCH" \
			    pingpong "tcp:127.0.0.1:${via[$v]}" \
			    --iters "$PP_ITERS"
			measure "tcp.conn.$v" conn_per_s -- "$VSP_BENCH" \
			    connrate "tcp:127.0.0.1:${via[$v]}" \
			    --seconds "$CONN_SECS"
		done
	done
	# Idle connections: as many as the descriptor limit allows, up to
	# 10,000 (the proxy holds two per connection).
	idle=$(( (nofile - 64) / 2 ))
	[ "$idle" -le "$IDLE_MAX" ] || idle=$IDLE_MAX
	IDLE_CONNS=$idle
	measure tcp.idle.proxy kib_per_conn rss0_kib rss1_kib -- \
	    "$VSP_BENCH" idle "tcp:127.0.0.1:$PX" --conns "$idle" \
	    --rss-pid "$PID_proxy"
	measure tcp.busy.proxy mibps rss_peak_kib rss0_kib -- \
	    "$VSP_BENCH" busy "tcp:127.0.0.1:$PX" --conns "$busy_k" \
	    --seconds "$BUSY_SECS" --rss-pid "$PID_proxy"
	measure tcp.busy.direct mibps -- "$VSP_BENCH" busy \
	    "tcp:127.0.0.1:$S" --conns "$busy_k" --seconds "$BUSY_SECS" \
	    --rss-pid "$PID_server"
	for v in proxy socat socat8k server; do
		eval "kill -0 \$PID_$v" 2>/dev/null ||
		    fail "$v died: $(tail -n 3 "$WORK/$v.log")"
	done
	stop proxy
	stop socat
	stop socat8k
	stop server
	# -q: only errors are logged.
	grep -q . "$WORK/proxy.log" &&
	    fail "the proxy logged errors: $(tail -n 3 "$WORK/proxy.log")"
	return 0
}

# ---- (b) vsock loopback in a QEMU guest --------------------------------

part_vsock() {
	local out=$WORK/vsock.tap line key rest f v rc
	(
		# vmtest/lib.sh sets its own traps: keep them in here.
		. "$top_srcdir/vmtest/lib.sh"
		vt_setup bench
		why=$(vt_need_host_tools) || vt_skip_all "$why"
		vt_kernel 6.12 || vt_skip_all "no 6.12 kernel: $VT_WHY"
		VT_EXTRA_PROGRAMS="$VSP_BENCH:/usr/bin/vsp-bench"
		vt_initramfs || vt_skip_all "cannot build the initramfs"
		vt_accel
		vt_boot bench "${VMTEST_DEADLINE:-900}" "vt_suite=bench \
vt_bench_bytes=$VSOCK_BYTES vt_bench_repeat=$REPEAT \
vt_bench_proxy_args=${BENCH_PROXY_ARGS// /,}"
		rc=$?
		cat "$VT_RUN/bench.tap" 2>/dev/null
		[ $rc -eq 0 ] || { echo "not ok - guest: ${VT_BOOT_WHY:-failed}";
		    vt_console_tail bench 20; }
		exit 0
	) > "$out"
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"1..0 # SKIP"*)
			VSOCK_SKIP=${line#*SKIP }
			log "vsock part skipped: $VSOCK_SKIP" ;;
		"not ok"*)
			fail "vsock guest: $line" ;;
		"# bench-note "*)
			VSOCK_SPLICE_NOTE=${line#\# bench-note }
			log "$VSOCK_SPLICE_NOTE" ;;
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
	done < "$out"
}

# ---- the table ----------------------------------------------------------

row() {	# name direct proxy socat [socat8k] [unit]
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
	    "${5:--}" "$(ratio "$3" "$2")" "$(ratio "$3" "$4")"
}

report() {
	local d p s s8 k
	echo
	echo "vsockproxy benchmark ($(date -u +%Y-%m-%d), $(uname -r)," \
	    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
	    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg));"
	echo "median of $REPEAT round(s)${BENCH_PROXY_ARGS:+, proxy options: $BENCH_PROXY_ARGS}"
	[ "$BENCH_QUICK" = 1 ] && echo "QUICK RUN (BENCH_QUICK=1): sizes too small to mean anything"
	if [[ " $BENCH_PARTS " == *" tcp "* ]]; then
		echo
		echo "(a) TCP loopback"
		echo
		echo "| workload | direct | vsockproxy | socat -b 256k | socat (8k) | proxy/direct | proxy/socat |"
		echo "|---|---|---|---|---|---|---|"
		for k in bulk1.up bulk1.down bulk8.up bulk8.down; do
			row "$k MiB/s" "$(cell tcp.$k.direct.mibps)" \
			    "$(cell tcp.$k.proxy.mibps)" \
			    "$(cell tcp.$k.socat.mibps)" \
			    "$(cell tcp.$k.socat8k.mibps)"
		done
		for k in bulk1.up bulk1.down; do
			row "$k CPU s/GiB (relay's own)" "(sink $(cell tcp.$k.direct.cpu_s_per_gib))" \
			    "$(cell tcp.$k.proxy.cpu_s_per_gib)" \
			    "$(cell tcp.$k.socat.cpu_s_per_gib)" \
			    "$(cell tcp.$k.socat8k.cpu_s_per_gib)"
		done
		row "ping-pong median us" "$(cell tcp.pp.direct.median_us)" \
		    "$(cell tcp.pp.proxy.median_us)" \
		    "$(cell tcp.pp.socat.median_us)"
		row "ping-pong p99 us" "$(cell tcp.pp.direct.p99_us)" \
		    "$(cell tcp.pp.proxy.p99_us)" "$(cell tcp.pp.socat.p99_us)"
		row "conn/s (connect, 1 byte echo, close)" \
		    "$(cell tcp.conn.direct.conn_per_s)" \
		    "$(cell tcp.conn.proxy.conn_per_s)" \
		    "$(cell tcp.conn.socat.conn_per_s)"
		echo
		echo "| memory (vsockproxy) | value |"
		echo "|---|---|"
		echo "| RSS before / with ${IDLE_CONNS:-?} idle connections (KiB) | $(cell tcp.idle.proxy.rss0_kib) / $(cell tcp.idle.proxy.rss1_kib) |"
		echo "| per idle connection (KiB) | $(cell tcp.idle.proxy.kib_per_conn) |"
		echo "| peak RSS with 100 busy connections, 50 up 50 down (KiB) | $(cell tcp.busy.proxy.rss_peak_kib) |"
		echo "| 100 busy connections, MiB/s direct / proxied | $(cell tcp.busy.direct.mibps) / $(cell tcp.busy.proxy.mibps) |"
	fi
	if [[ " $BENCH_PARTS " == *" vsock "* ]]; then
		echo
		if [ -n "${VSOCK_SKIP:-}" ]; then
			echo "(b) vsock loopback in a QEMU guest: skipped ($VSOCK_SKIP)"
		else
			echo "(b) vsock loopback in a QEMU guest (6.12, TCG: ratios only)"
			echo
			echo "| workload | direct | vsockproxy | socat -b 256k | socat (8k) | proxy/direct | proxy/socat |"
			echo "|---|---|---|---|---|---|---|"
			for k in up down; do
				row "bulk1.$k MiB/s" \
				    "$(cell vsock.bulk1.$k.direct.mibps)" \
				    "$(cell vsock.bulk1.$k.proxy.mibps)" \
				    "$(cell vsock.bulk1.$k.socat.mibps)" \
				    "$(cell vsock.bulk1.$k.socat8k.mibps)"
			done
			for k in up down; do
				row "bulk1.$k CPU s/GiB" \
				    "(sink $(cell vsock.bulk1.$k.direct.cpu_s_per_gib))" \
				    "$(cell vsock.bulk1.$k.proxy.cpu_s_per_gib)" \
				    "$(cell vsock.bulk1.$k.socat.cpu_s_per_gib)" \
				    "$(cell vsock.bulk1.$k.socat8k.cpu_s_per_gib)"
			done
			echo
			echo "Sink on the direct stream down: recv" \
			    "$(cell vsock.sink.recv.direct.mibps) MiB/s," \
			    "splice(2) into a pipe" \
			    "$(cell vsock.sink.splice.direct.mibps) MiB/s" \
			    "${VSOCK_SPLICE_NOTE:+($VSOCK_SPLICE_NOTE)}"
		fi
	fi
	echo
	echo "| target (issue #6) | measured | |"
	echo "|---|---|---|"
	if [[ " $BENCH_PARTS " == *" tcp "* ]]; then
		for k in bulk1.up bulk1.down bulk8.up bulk8.down; do
			d=$(cell tcp.$k.direct.mibps) p=$(cell tcp.$k.proxy.mibps)
			s=$(cell tcp.$k.socat.mibps)
			echo "| TCP $k: proxied/direct >= 0.9 | $(ratio "$p" "$d") | $(verdict 'a / b >= 0.9' "$p" "$d") |"
			echo "| TCP $k: proxied >= 3x socat | $(ratio "$p" "$s")x | $(verdict 'a >= 3 * b' "$p" "$s") |"
		done
		d=$(cell tcp.pp.direct.median_us) p=$(cell tcp.pp.proxy.median_us)
		s=$(cell tcp.pp.socat.median_us)
		echo "| added round trip <= half of socat's (median) | +$(awk -v a="$p" -v b="$d" 'BEGIN { printf "%.1f", a - b }') us vs +$(awk -v a="$s" -v b="$d" 'BEGIN { printf "%.1f", a - b }') us | $(verdict '(a - c) <= (b - c) / 2' "$p" "$s" "$d") |"
		p=$(cell tcp.conn.proxy.conn_per_s) s=$(cell tcp.conn.socat.conn_per_s)
		echo "| connection setup >= 5x socat | $(ratio "$p" "$s" 1)x | $(verdict 'a >= 5 * b' "$p" "$s") |"
		p=$(cell tcp.idle.proxy.kib_per_conn)
		echo "| idle connection <= 4 KiB RSS | $p KiB | $(verdict 'a <= 4' "$p") |"
	fi
	if [[ " $BENCH_PARTS " == *" vsock "* ]] && [ -z "${VSOCK_SKIP:-}" ]; then
		for k in up down; do
			d=$(cell vsock.bulk1.$k.direct.mibps)
			p=$(cell vsock.bulk1.$k.proxy.mibps)
			echo "| vsock bulk1.$k: proxied/direct >= 0.9 | $(ratio "$p" "$d") | $(verdict 'a / b >= 0.9' "$p" "$d") |"
			p=$(cell vsock.bulk1.$k.proxy.cpu_s_per_gib)
			s=$(cell vsock.bulk1.$k.socat.cpu_s_per_gib)
			echo "| vsock bulk1.$k: CPU/GiB <= 0.75x socat | $(ratio "$p" "$s")x | $(verdict 'a <= 0.75 * b' "$p" "$s") |"
		done
	fi
}

for part in $BENCH_PARTS; do
	case $part in
	tcp)	part_tcp || fail "TCP part" ;;
	vsock)	part_vsock ;;
	*)	fail "unknown part $part" ;;
	esac
done
report
[ "$failed" -eq 0 ] || { echo "bench: some components failed (above)" >&2; exit 1; }
exit 0
