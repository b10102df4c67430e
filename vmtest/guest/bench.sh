# Guest suite "bench" (bench/run.sh, part b): vsock loopback throughput,
# one stream each way, direct to a vsp-bench server, through vsockproxy,
# and through socat with 256 KiB and with its default 8 KiB buffer; with
# the relay's CPU time per GiB.  Results are TAP comments
# "# bench KEY FIELDS" that the host turns into a table; a component that
# fails is a "not ok".  Never a verdict on speed.
#
# One vsockproxy, with --zero-copy on (the default): vsock has no
# splice_read, so the daemon takes the copy path for vsock whatever the
# option says, and a second instance would measure the same code.  Its
# statistics ("# bench-stats", bytes_spliced=0) show it.
#
#   vt_bench_bytes        bytes per run (default 256M)
#   vt_bench_repeat       rounds (default 1)
#   vt_bench_proxy_args   more vsockproxy options, comma-separated

BP=20000

bench_start() {	# name cmd...
	local name=$1
	shift
	"$@" > "/tmp/$name.log" 2>&1 &
	eval "pid_$name=\$!"
}

suite() {
	local r v dir port pid out args
	if ! vt_modprobe vsock_loopback vsock_diag; then
		echo "Bail out! cannot load vsock_loopback" >&3
		return 1
	fi
	for f in vsockproxy vsp-bench socat; do
		if ! command -v "$f" >/dev/null; then
			vt_result 1 "$f in the image"
			return 1
		fi
	done
	args=$(echo "${vt_bench_proxy_args:-}" | tr ',' ' ')
	bench_start server vsp-bench server "vsock:$BP" \
	    --ready-file /tmp/server.ready
	vt_wait_file /tmp/server.ready 20 > /tmp/wait.log
	vt_result $? "vsp-bench server listening"
	# --allow 1: the loopback guest is its own peer (and a rule open to
	# every CID is warned about, which the last check would count).
	# shellcheck disable=SC2086
	bench_start proxy vsockproxy -q --stats-interval 0 --allow 1 \
	    --control /tmp/proxy.ctl --listen "vsock:$((BP + 1))" \
	    --connect "vsock:1:$BP" $args --zero-copy on
	bench_start socat socat -b 262144 "VSOCK-LISTEN:$((BP + 2)),fork,reuseaddr" \
	    "VSOCK-CONNECT:1:$BP"
	bench_start socat8k socat "VSOCK-LISTEN:$((BP + 3)),fork,reuseaddr" \
	    "VSOCK-CONNECT:1:$BP"
	for port in $((BP + 1)) $((BP + 2)) $((BP + 3)); do
		vt_wait_listen "$port" 20 > /tmp/wait.log
		vt_result $? "relay listening on vsock port $port"
	done
	r=0
	while [ "$r" -lt "${vt_bench_repeat:-1}" ]; do
		r=$((r + 1))
		for dir in up down; do
			for v in direct proxy socat socat8k; do
				case $v in
				direct)	port=$BP pid=$pid_server ;;
				proxy)	port=$((BP + 1)) pid=$pid_proxy ;;
				socat)	port=$((BP + 2)) pid=$pid_socat ;;
				socat8k) port=$((BP + 3)) pid=$pid_socat8k ;;
				esac
				if out=$(vsp-bench bulk "vsock:1:$port" \
				    "--$dir" --bytes "${vt_bench_bytes:-256M}" \
				    --cpu-pid "$pid" 2>&1); then
					vt_tap "# bench vsock.bulk1.$dir.$v $out"
				else
					vt_result 1 "bulk $dir via $v: $out"
				fi
			done
		done
	done
	# Does vsock have splice_read?  The direct stream once more, the sink
	# reading with recv and then with splice(2); an error is a finding,
	# not a failure.
	for m in recv splice; do
		flag=
		[ "$m" = splice ] && flag=--splice
		# shellcheck disable=SC2086
		if out=$(vsp-bench bulk "vsock:1:$BP" --down $flag \
		    --bytes "${vt_bench_bytes:-256M}" 2>&1); then
			vt_tap "# bench vsock.sink.$m.direct $out"
		else
			vt_tap "# bench-note vsock sink with $m: $out"
		fi
	done
	if out=$(vsockproxyctl -s /tmp/proxy.ctl show stats 2>&1); then
		vt_tap "# bench-stats $out"
	else
		vt_result 1 "vsockproxyctl show stats: $out"
	fi
	for v in server proxy socat socat8k; do
		eval "pid=\$pid_$v"
		kill -0 "$pid" 2>/dev/null
		vt_result $? "$v still running at the end"
		kill "$pid" 2>/dev/null
	done
	[ ! -s /tmp/proxy.log ]
	vt_result $? "the proxy logged no errors"
	[ -s /tmp/proxy.log ] && vt_diag /tmp/proxy.log
	return 0
}
