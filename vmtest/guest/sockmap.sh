# Guest suite "sockmap" (bench/sockmap/run.sh): the BPF sockmap relay
# prototype (bench/sockmap/) against the copy path, in one 6.12 guest
# with vsock_loopback.  First what the relay guarantees (byte-exact both
# ways, half-close, EOF after the last byte, a slow reader), each checked
# by vsp-peer through the prototype with its BPF redirect; then bulk
# throughput and CPU per GiB, one stream each way, over vsock and TCP
# loopback: direct, vsockproxy, the prototype copying (-c) and the
# prototype with sockmap.  CPU is the relay process's own (vsp-bench
# --cpu-pid) and the whole guest's (/proc/stat busy time), since with
# sockmap the copying moves into kernel workers that no process is
# charged for.  Results are TAP comments "# sm KEY FIELDS"; findings
# are comments too, never a verdict on speed.
#
#   vt_sm_bytes     bytes per bulk run (default 128M)
#   vt_sm_repeat    rounds (default 3)
#   vt_sm_eof_ms    the prototype's -e (wait before passing an EOF on)

SP=21000	# vsp-peer server; relays on SP+1 (sockmap), SP+2 (proxy)
BP=22000	# vsp-bench server; relays on BP+1..BP+3

# Addresses of family $fam (vsock or tcp): for vsp-peer and vsp-bench
# (peer_l listen, peer_c connect), for the prototype (smr_l, smr_c) and
# for vsockproxy (px_l, px_c).
peer_l() { [ "$fam" = vsock ] && echo "vsock:$1" || echo "tcp:127.0.0.1:$1"; }
peer_c() { [ "$fam" = vsock ] && echo "vsock:1:$1" || echo "tcp:127.0.0.1:$1"; }
smr_l() { [ "$fam" = vsock ] && echo "vsock:$1" || echo "tcp:$1"; }
smr_c() { [ "$fam" = vsock ] && echo "vsock:1:$1" || echo "tcp:$1"; }

sm_relay() {	# name listen connect [options]: start the prototype
	local name=$1 l=$2 c=$3
	shift 3
	sockmap-relay "$@" "$l" "$c" > "$name.out" 2> "$name.err" &
	eval "pid_$name=\$!"
	vt_wait_grep "listening" "$name.err" 20 ||
	    { echo "$name did not start:"; cat "$name.err"; return 1; }
}

# The first line of vsp-peer's result; "ok" at the end when it passed.
sm_peer_ok() {	# file
	tail -n 1 "$1" | grep -q ' ok$'
}

# /proc/stat: busy jiffies of all CPUs (user nice system irq softirq
# steal), then softirq alone.
sm_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $8; exit }' \
	    /proc/stat
}

sm_meminfo() {	# field (kB)
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}

# ---- semantics, through the prototype (sockmap mode) --------------------

t_exact() {	# family: 6 MiB up and 3 MiB down at once, checked by vsp-peer
	local eof=${vt_sm_eof_ms:-0} fam=$1
	vsp-peer listen "$(peer_l $SP)" --timeout 20 --conns 1 --send 3M --expect 6M \
	    --ready-file srv.ready > srv.out 2>&1 &
	vt_wait_file srv.ready 20 || return 1
	sm_relay relay "$(smr_l $((SP + 1)))" "$(smr_c $SP)" -n 1 -e "$eof" -v ||
	    return 1
	vsp-peer connect "$(peer_c $((SP + 1)))" --timeout 20 --send 6M --expect 3M \
	    > cli.out 2>&1
	vt_wait_pid "$pid_relay" 20
	sed 's/^/# exact: /' cli.out srv.out relay.out relay.err >&3
	sm_peer_ok cli.out && sm_peer_ok srv.out
}

t_halfclose() {	# family: the client sends, shuts down, reads the answer
	local eof=${vt_sm_eof_ms:-0} fam=$1
	vsp-peer listen "$(peer_l $SP)" --timeout 20 --conns 1 --order recv-first \
	    --send 1M --expect 1M --ready-file srv.ready > srv.out 2>&1 &
	vt_wait_file srv.ready 20 || return 1
	sm_relay relay "$(smr_l $((SP + 1)))" "$(smr_c $SP)" -n 1 -e "$eof" -v ||
	    return 1
	vsp-peer connect "$(peer_c $((SP + 1)))" --timeout 20 --order send-first \
	    --send 1M --expect 1M > cli.out 2>&1
	vt_wait_pid "$pid_relay" 20
	sed 's/^/# halfclose: /' cli.out srv.out relay.out relay.err >&3
	sm_peer_ok cli.out && sm_peer_ok srv.out
}

# 16 MiB up then EOF, 10 times: does the EOF ever overtake the last
# bytes still queued in the kernel for the redirect?
t_eofrace() {	# family
	local eof=${vt_sm_eof_ms:-0} i=0 bad=0 fam=$1
	sm_relay relay "$(smr_l $((SP + 1)))" "$(smr_c $SP)" -e "$eof" -v || return 1
	vsp-peer listen "$(peer_l $SP)" --timeout 20 --conns 10 --expect 16M \
	    --ready-file srv.ready > srv.out 2>&1 &
	vt_wait_file srv.ready 20 || return 1
	while [ $i -lt 10 ]; do
		i=$((i + 1))
		vsp-peer connect "$(peer_c $((SP + 1)))" --timeout 20 --order send-first \
		    --send 16M > cli.$i 2>&1 || bad=$((bad + 1))
	done
	kill "$pid_relay"
	sed 's/^/# eofrace: /' relay.out srv.out >&3
	vt_tap "# sm-finding eofrace.$fam eof_ms=$eof clients_failed=$bad" \
	    "server_ok=$(grep -c ' ok$' srv.out)/10"
	[ "$bad" -eq 0 ] && [ "$(grep -c ' ok$' srv.out)" -eq 10 ]
}

# A reader at about 3 MiB/s, a sender of 24 MiB: how far does the sender
# get ahead, and where do the bytes wait?  The copy path holds a bounded
# buffer and the sender blocks; the redirect returns the sender's credit
# as soon as the verdict program has run.
t_slowreader() {	# family sockmap|proxy
	local fam=$1 how=$2 port m0 m min t0 t1 tc= allow=
	vsp-peer listen "$(peer_l $SP)" --conns 1 --expect 24M --chunk 64k \
	    --read-delay-ms 20 --timeout 40 --ready-file srv.ready > srv.out 2>&1 &
	srv=$!
	vt_wait_file srv.ready 20 || return 1
	if [ "$how" = sockmap ]; then
		port=$((SP + 1))
		sm_relay relay "$(smr_l $port)" "$(smr_c $SP)" -n 1 -e 0 || return 1
	else
		port=$((SP + 2))
		[ "$fam" = vsock ] && allow="--allow 1"
		# shellcheck disable=SC2086
		vsockproxy -q --stats-interval 0 $allow \
		    --listen "$(peer_l $port)" --connect "$(peer_c $SP)" \
		    > relay.out 2>&1 &
		if [ "$fam" = vsock ]; then
			vt_wait_listen "$port" 20 || return 1
		else
			vt_wait_until 20 "proxy" sh -c \
			    "ss -ltn | grep -q ':$port '" || return 1
		fi
	fi
	sync
	echo 1 > /proc/sys/vm/drop_caches 2>/dev/null
	m0=$(sm_meminfo MemAvailable)
	min=$m0
	t0=$(vt_now_ms)
	vsp-peer connect "$(peer_c $port)" --timeout 20 --send 24M --end close \
	    > cli.out 2>&1 &
	cli=$!
	while kill -0 "$srv" 2>/dev/null; do
		m=$(sm_meminfo MemAvailable)
		[ "$m" -lt "$min" ] && min=$m
		if [ -z "$tc" ] && ! kill -0 "$cli" 2>/dev/null; then
			tc=$(( $(vt_now_ms) - t0 ))
		fi
		usleep 100000
	done
	t1=$(( $(vt_now_ms) - t0 ))
	[ -n "$tc" ] || { wait "$cli"; tc=$(( $(vt_now_ms) - t0 )); }
	sed 's/^/# slowreader: /' cli.out srv.out relay.out >&3
	vt_tap "# sm-finding slowreader.$fam.$how sender_done_ms=$tc" \
	    "reader_done_ms=$t1" \
	    "memavailable_drop_kib=$((m0 - min))"
	sm_peer_ok srv.out
}

# ---- throughput and CPU ---------------------------------------------------

sm_bulk() {	# key addr dir cpu-pid
	local key=$1 addr=$2 dir=$3 pid=$4 b0 s0 b1 s1 out gib
	set -- $(sm_busy)
	b0=$1 s0=$2
	if ! out=$(vsp-bench bulk "$addr" "--$dir" \
	    --bytes "${vt_sm_bytes:-128M}" --cpu-pid "$pid" 2>&1); then
		vt_tap "# sm-fail $key $out"
		return 1
	fi
	set -- $(sm_busy)
	b1=$1 s1=$2
	# bytes= is in vsp-bench's line; system CPU per GiB from jiffies.
	vt_tap "# sm $key $out $(echo "$out" | awk -v b=$((b1 - b0)) \
	    -v s=$((s1 - s0)) '{ for (i = 1; i <= NF; i++)
	    if ($i ~ /^bytes=/) { split($i, a, "="); g = a[2] / 1073741824 }
	    printf "sys_cpu_s_per_gib=%.2f softirq_s_per_gib=%.2f",
	    b / 100 / g, s / 100 / g }')"
}

bench_family() {	# vsock|tcp
	local fam=$1 a r v dir port pid
	if [ "$fam" = vsock ]; then
		a=vsock:1: srvaddr="vsock:$BP" tgt="vsock:1:$BP"
		lis() { echo "vsock:$1"; }
	else
		a=tcp:127.0.0.1: srvaddr="tcp:127.0.0.1:$BP" tgt="tcp:$BP"
		lis() { echo "tcp:$1"; }
	fi
	vsp-bench server "$srvaddr" --ready-file srv.ready > srv.log 2>&1 &
	psrv=$!
	vt_wait_file srv.ready 20 || return 1
	# shellcheck disable=SC2046
	vsockproxy -q --stats-interval 0 $([ "$fam" = vsock ] && echo --allow 1) \
	    --listen "$(lis $((BP + 1)) | sed 's/^tcp:/tcp:127.0.0.1:/')" \
	    --connect "$(echo "$tgt" | sed 's/^tcp:/tcp:127.0.0.1:/')" \
	    > proxy.log 2>&1 &
	pproxy=$!
	sm_relay copy "$(lis $((BP + 2)))" "$tgt" -c || return 1
	sm_relay smap "$(lis $((BP + 3)))" "$tgt" \
	    -e "${vt_sm_eof_ms:-0}" || return 1
	[ "$fam" = vsock ] && vt_wait_listen $((BP + 1)) 20
	r=0
	while [ "$r" -lt "${vt_sm_repeat:-3}" ]; do
		r=$((r + 1))
		for dir in up down; do
			for v in direct proxy copy sockmap; do
				case $v in
				direct)	port=$BP pid=$psrv ;;
				proxy)	port=$((BP + 1)) pid=$pproxy ;;
				copy)	port=$((BP + 2)) pid=$pid_copy ;;
				sockmap) port=$((BP + 3)) pid=$pid_smap ;;
				esac
				sm_bulk "$fam.$dir.$v" "$a$port" "$dir" "$pid"
			done
		done
	done
	sed 's/^/# smap: /' smap.out | tail -n 4 >&3
	kill "$psrv" "$pproxy" "$pid_copy" "$pid_smap" 2>/dev/null
	wait 2>/dev/null
	[ ! -s proxy.log ] || vt_diag proxy.log
	return 0
}

t_bench_vsock() { bench_family vsock; }
t_bench_tcp() { bench_family tcp; }

suite() {
	if ! vt_modprobe vsock_loopback vsock_diag; then
		echo "Bail out! cannot load vsock_loopback" >&3
		return 1
	fi
	for f in vsockproxy vsp-bench vsp-peer sockmap-relay; do
		if ! command -v "$f" >/dev/null; then
			vt_result 1 "$f in the image"
			return 1
		fi
	done
	vt_tap "# loadavg in the guest: $(cat /proc/loadavg)"
	vt_deadline=120
	for fam in vsock tcp; do
		vt_test "sockmap $fam: 6M up, 3M down at once, byte-exact" \
		    t_exact $fam
		vt_test "sockmap $fam: half-close, the answer after EOF" \
		    t_halfclose $fam
		vt_test "sockmap $fam: EOF never overtakes the last bytes (10 x 16M)" \
		    t_eofrace $fam
		vt_test "sockmap $fam: slow reader, 24M (where the bytes wait)" \
		    t_slowreader $fam sockmap
		vt_test "vsockproxy $fam: slow reader, 24M (the copy path)" \
		    t_slowreader $fam proxy
	done
	vt_deadline=900
	vt_test "bench vsock: direct, vsockproxy, copy, sockmap" t_bench_vsock
	vt_test "bench tcp: direct, vsockproxy, copy, sockmap" t_bench_tcp
	return 0
}
