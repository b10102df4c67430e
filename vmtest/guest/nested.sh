# Topology "nested", run in the first-level guest (L1).  L1 loads
# vhost_vsock and so becomes the vsock host, CID 2, for its own guests; it
# mounts the build machine's / read-only over 9p to borrow its QEMU, runs
# vsockproxy and starts three second-level guests (l2.sh):
#
#   CID 3 (allowed) --vsock--> L1 vsockproxy :9000 --vsock--> CID 4 :9001
#   CID 5 (denied)  --vsock--> L1 vsockproxy :9000  (closed, CID 4 untouched)
#
# Kernel command line: vt_l2_kernel, vt_l2_initrd, vt_l2_qemu, vt_l2_bios
# (paths on the build machine), vt_mode=test|demo.
#
# Every step has its own deadline (L2_STEP seconds for a command to an L2
# guest): a step that sticks ends the run at once with its evidence
# (l1_stuck), as an emulator fault when the guest stopped answering and
# no vsockproxy is busy, else as a failure.

L1_PROXY=9000
L2_TARGET=9001
L1_MSG_PROXY=9004	# the message rule (vsock-seqpacket) in L1
L2_MSG_TARGET=9003	# to CID 4's seqpacket server
L2_CTL=9100
HOST=/host		# the build machine's /, read-only
L2_CIDS="4 3 5"

# native.sh runs these scenarios on the build machine itself and sets:
: "${L2_EXEC=chroot $HOST}"	# how to run the build machine's QEMU
: "${L2_QDIR:=/run}"		# the L2 guests' files, as QEMU sees them
: "${L2_DIR:=$HOST/run}"	# and as we see them
# TCG inside TCG: qemu64 boots an L2 guest faster than max, and a quiet
# serial console matters most (every byte is an exit in both levels).
: "${L2_ACCEL:=-accel tcg,tb-size=128 -cpu qemu64}"
# Seconds one command to an L2 guest may take, all included: a 256 KiB
# exchange takes well under a second with KVM in L1, up to a minute
# under TCG inside TCG (l1_kvm lowers it).  The guest's own deadline
# for the command is shorter, so that it reports first.
: "${L2_STEP:=300}"

l1_bail() {
	echo "Bail out! $*" >&3
	return 1
}

# The build machine's root over 9p, with what a QEMU needs to run in it.
# Its /run becomes L1's writable place for the L2 guests' files (its /tmp
# stays: the kernel and image of the L2 guests may be there).
l1_mount_host() {
	mkdir -p "$HOST"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
	    host "$HOST" || return 1
	mount --bind /dev "$HOST/dev" &&
	mount -t proc proc "$HOST/proc" &&
	mount -t sysfs sysfs "$HOST/sys" &&
	mount -t tmpfs tmpfs "$HOST/run"
}

# Start the L2 guest with CID $1 in role $2.  Its serial ports are files
# in L1's /host/run; its QEMU's pid is in /host/run/l2-CID.pid.
l2_start() {	# cid role
	local cid=$1 role=$2
	$L2_EXEC timeout -k 5 3600 "${vt_l2_qemu:-qemu-system-x86_64}" \
	    $L2_ACCEL -smp 1 -m 256 \
	    -nodefaults -no-user-config -display none -no-reboot \
	    -bios "${vt_l2_bios:-/usr/share/qemu/qboot.rom}" \
	    -kernel "$vt_l2_kernel" -initrd "$vt_l2_initrd" \
	    -append "console=ttyS0 quiet panic=-1 rdinit=/init vt_suite=l2 vt_role=$role vt_cid=$cid vt_mode=${vt_mode:-test} vt_name=l2-cid$cid vt_deadline=$((L2_STEP * 2 / 3))" \
	    -serial "file:$L2_QDIR/l2-$cid.console" \
	    -serial "file:$L2_QDIR/l2-$cid.tap" \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -device "vhost-vsock-pci,guest-cid=$cid" \
	    -pidfile "$L2_QDIR/l2-$cid.pid" \
	    -monitor "unix:$L2_QDIR/l2-$cid.mon,server=on,wait=off" \
	    < /dev/null > "$L2_DIR/l2-$cid.qemu" 2>&1 &
	eval "l2_pid_$cid=\$!"
	eval "l2_line_$cid=1"
}

l2_tap() {
	echo "$L2_DIR/l2-$1.tap"
}

# Send a command to the agent in an L2 guest, wait until it is done and
# relay its results.  A refused connect (the agent not listening yet) is
# retried until the deadline.  A command that does not finish in time
# ends the run (l1_stuck).
l2_cmd() {	# cid command [seconds]
	local cid=$1 cmd=$2 s=${3:-$L2_STEP} limit n
	limit=$(( $(vt_now_ms) + s * 1000 ))
	# (A serial line may end in \r\n.)
	n=$(grep -c "^# DONE $cmd[[:space:]]*\$" "$(l2_tap "$cid")")
	until l2_send "$cid" "$cmd"; do
		[ "$(vt_now_ms)" -lt "$limit" ] ||
		    l1_stuck "$cid" "send '$cmd' to CID $cid within ${s}s"
		usleep 200000
	done
	until [ "$(grep -c "^# DONE $cmd[[:space:]]*\$" "$(l2_tap "$cid")")" -gt "$n" ]
	do
		[ "$(vt_now_ms)" -lt "$limit" ] ||
		    l1_stuck "$cid" "CID $cid finishes '$cmd' within ${s}s"
		usleep 200000
	done
	l2_relay "$cid"
}

l2_send() {	# cid command
	echo "$2" | timeout 10 socat -u - "VSOCK-CONNECT:$1:$L2_CTL" 2>/dev/null
}

# CPU ticks (user + system) a process has used.
l1_ticks() {	# pid
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# A step stuck past its deadline: say which, show the evidence, and end
# the run at once.  If the L2 guest no longer answers (its QEMU gone, or
# no connection to its agent within 10 s) and no vsockproxy is busy, it
# is the emulator's fault: "# EMULATOR FAULT" tells the host to boot L1
# again.  Anything else is a failure, never retried: a vsockproxy that
# spins or a guest that answers while the step still waits.
l1_stuck() {	# cid step
	local cid=$1 qpid p t0 t1 busy= answers=yes out=$L2_DIR/stuck.txt
	eval "qpid=\$l2_pid_$cid"
	kill -0 "$qpid" 2>/dev/null && l2_send "$cid" ping || answers=no
	{
	echo "--- stuck: $2"
	echo "--- CID $cid answers: $answers"
	for p in $(pidof vsockproxy); do
		t0=$(l1_ticks "$p")
		sleep 2
		t1=$(l1_ticks "$p")
		# Half of one CPU or more for two seconds: busy.
		[ $((t1 - t0)) -lt 100 ] || busy="$busy $p"
		echo "--- vsockproxy $p: $((t1 - t0)) ticks in 2 s," \
		    "state $(awk '{ sub(/.*\) /, ""); print $1 }' \
		    "/proc/$p/stat"), wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
		ls -l "/proc/$p/fd" 2>/dev/null | tail -n +2 | wc -l |
		    sed 's/^/    descriptors: /'
	done
	for p in "$L2_DIR"/proxy-*.log; do
		[ -f "$p" ] || continue
		echo "--- $p (end)"
		tail -n 8 "$p"
	done
	echo "--- vsock sockets in L1"
	ss -Han --vsock 2>/dev/null | head -n 20
	echo "--- L1's kernel log (end)"
	dmesg | tail -n 15
	} > "$out" 2>&1
	if [ "$answers" = no ] && [ -z "$busy" ]; then
		echo "# EMULATOR FAULT: CID $cid stopped answering ($2)" >&3
	fi
	vt_result 1 "$2"
	vt_diag "$out"
	l1_show_console "$cid"
	l1_why_gone "$cid"
	l1_abort
}

# End the run now, with a failed verdict (native.sh: end the script).
l1_abort() {
	vt_kernel_marks_check
	vt_plan
	vt_exit 1
}

l2_relay() {	# cid
	local first
	eval "first=\$l2_line_$1"
	vt_relay "$(l2_tap "$1")" "[L2 CID $1]" "$first"
	eval "l2_line_$1=$vt_relay_next"
}

l1_show_console() {	# cid
	{ echo "--- CID $1: console, QEMU, TAP"
	  tail -n 25 "$L2_DIR/l2-$1.console"
	  tail -n 5 "$L2_DIR/l2-$1.qemu"
	  tail -n 10 "$L2_DIR/l2-$1.tap"; } > "$L2_DIR/console.tail" 2>/dev/null
	vt_diag "$L2_DIR/console.tail"
}

# What ended an L2 guest's QEMU before it was ready (seen in CI: status 0
# at once, nothing on its console or its stderr: the guest reset).
l1_why_gone() {	# cid
	local pid st
	eval "pid=\$l2_pid_$1"
	if kill -0 "$pid" 2>/dev/null; then
		echo "# CID $1: its QEMU is still running" >&3
		return
	fi
	wait "$pid"
	st=$?
	# With -no-reboot a guest that resets (a triple fault) ends its
	# QEMU with status 0, silently.
	{ echo "--- CID $1: its QEMU ended with status $st" \
	    "$([ "$st" = 0 ] && echo "(the guest reset)"); files:"
	  ls -l "$L2_DIR"
	  echo "--- L1's kernel log:"
	  dmesg | tail -n 15; } > "$L2_DIR/gone.txt" 2>&1
	vt_diag "$L2_DIR/gone.txt"
}

l2_role() {	# cid
	if [ "$1" = 4 ]; then echo server; else echo client; fi
}

# Wait until the L2 guest with CID $1 says READY.
l2_wait_ready() {	# cid t0-ms limit-ms
	local cid=$1
	until grep -q "^# READY" "$(l2_tap "$cid")" 2>/dev/null; do
		if [ "$(vt_now_ms)" -gt "$3" ] ||
		    ! kill -0 "$(eval echo "\$l2_pid_$cid")" 2>/dev/null
		then
			vt_result 1 "L2 guest CID $cid booted"
			l1_show_console "$cid"
			l1_why_gone "$cid"
			return 1
		fi
		usleep 500000
	done
	echo "# L2 guest CID $cid ($(l2_role "$cid")) ready after $(( ($(vt_now_ms) - $2) / 1000 ))s" >&3
}

# Start the L2 guests.  With KVM in L1 all at once; with TCG inside TCG
# one after the other, each once the one before is ready: booting three at
# once there took about eight times as long as one, in turn about three
# times one.
l2_boot_all() {	# seconds per guest
	local cid t0
	t0=$(vt_now_ms)
	if [ -n "${L2_PARALLEL:-}" ]; then
		for cid in $L2_CIDS; do
			l2_start "$cid" "$(l2_role "$cid")"
		done
		for cid in $L2_CIDS; do
			l2_wait_ready "$cid" "$t0" $(( t0 + $1 * 1000 )) ||
			    return 1
		done
	else
		for cid in $L2_CIDS; do
			t0=$(vt_now_ms)
			l2_start "$cid" "$(l2_role "$cid")"
			l2_wait_ready "$cid" "$t0" $(( t0 + $1 * 1000 )) ||
			    return 1
		done
	fi
	vt_result 0 "L2 guests with CIDs $L2_CIDS booted"
}

# A command to the QEMU monitor of the L2 guest with CID $1; its answer
# on stdout.
l2_monitor() {	# cid command
	echo "$2" | timeout 10 socat -t 2 - "UNIX-CONNECT:$L2_DIR/l2-$1.mon" |
	    tr -d '\r'
}

# Pause or resume the L2 guest with CID $1 and check that it did.
l2_pause() {	# cid stop|cont
	local want=paused
	[ "$2" = cont ] && want=running
	l2_monitor "$1" "$2" > /dev/null
	l2_monitor "$1" "info status" | grep -q "VM status: $want" || {
		echo "CID $1: the monitor's '$2' did not leave it $want"
		return 1
	}
}

# --connect-timeout against a guest that does not answer: L1 pauses CID
# 5 through its QEMU's monitor (which stops its vhost-vsock device too),
# so a connect to it neither succeeds nor fails.  (A SIGSTOP of its QEMU
# did the same, but under KVM on the emulated SVM the guest sometimes
# reset once it went on.)  L1 itself is the client (over
# vsock_loopback); a second proxy allows any CID.
t_connect_timeout() {	# seconds
	local s=$1 ms st lo hi
	[ -d /sys/module/vsock_loopback ] ||
	    vt_skip "no vsock_loopback here to be the proxy's client" ||
	    return
	vsockproxy -v --listen vsock:9010 --connect vsock:5:9200 \
	    --connect-timeout "$s" > proxy.log 2>&1 &
	PROXY=$!
	vt_wait_listen 9010 20 || return 1
	l2_pause 5 stop || return 1
	vsp-peer connect vsock:1:9010 --expect-refused --timeout 60 > cli.out 2>&1
	st=$?
	l2_pause 5 cont || return 1
	cat cli.out
	kill -TERM "$PROXY"
	vt_wait_pid "$PROXY" 10
	cat proxy.log
	[ "$st" -eq 0 ] || return 1
	ms=$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' cli.out)
	# Not before the timeout; well before the peer's own 60 s (a loaded
	# emulator may add a second or two to the proxy's timer).
	lo=$((s * 1000 - 200))
	hi=$((s * 1000 + 4000))
	[ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ] || {
		echo "FAIL: closed after $ms ms; --connect-timeout $s wants" \
		    "$lo..$hi ms"
		return 1
	}
}

# QEMU's TCG emulates AMD's SVM, nested paging included: L1 can load
# kvm_amd and run its guests with KVM, at about L1's own speed, where TCG
# inside TCG takes minutes per boot.  vt_l2_accel=tcg (VMTEST_L2_ACCEL)
# forces TCG.
l1_kvm() {
	case ${vt_l2_accel:-auto} in
	tcg)	return 1 ;;
	esac
	if grep -qw svm /proc/cpuinfo; then
		# shellcheck disable=SC2086
		modprobe kvm_amd $(echo "${vt_kvm_amd:-}" | tr ',' ' ')
	elif grep -qw vmx /proc/cpuinfo; then
		vt_modprobe kvm_intel
	fi 2>/dev/null
	[ -c /dev/kvm ] || return 1
	L2_ACCEL="-accel kvm -cpu ${vt_l2_cpu:-host}"
	L2_PARALLEL=1
	L2_STEP=60
	L2_BOOT=120
}

suite() {
	vt_modprobe virtio_pci 9pnet_virtio 9p vhost_vsock vsock_loopback \
	    vsock_diag || { l1_bail "cannot load modules"; return 1; }
	if l1_kvm; then
		echo "# L2 guests run with KVM in L1 ($L2_ACCEL)" >&3
	else
		echo "# L2 guests run with TCG inside TCG ($L2_ACCEL)" >&3
	fi
	l1_mount_host || { l1_bail "cannot mount the host's / over 9p"; return 1; }
	[ -c /dev/vhost-vsock ] || { l1_bail "no /dev/vhost-vsock"; return 1; }
	$L2_EXEC "${vt_l2_qemu:-qemu-system-x86_64}" --version \
	    > /tmp/qemu.version 2>&1 ||
	    { l1_bail "cannot run the host's QEMU"; return 1; }
	echo "# L1: $(uname -r), L2 QEMU $(head -n 1 /tmp/qemu.version)" >&3
	# A sign of life on the console: the host takes a long silence for
	# an L1 that stopped (vt_boot's watchdog).
	(while :; do
		sleep 10
		echo "vmtest: alive $(cut -d' ' -f1 /proc/uptime)"
	done) > /dev/console 2>&1 &
	l1_run
}

# The L2 guests' kernel and image in L1's memory: reading them over 9p
# once per guest was slower, and L1's page cache is worth keeping.
l2_stage_images() {
	[ -n "$L2_EXEC" ] || return 0
	cp "$HOST$vt_l2_kernel" "$L2_DIR/vmlinux" &&
	cp "$HOST$vt_l2_initrd" "$L2_DIR/initrd" || return 1
	vt_l2_kernel=$L2_QDIR/vmlinux
	vt_l2_initrd=$L2_QDIR/initrd
}

# Start the proxy of one round in L1: vsock:9000 to CID 4, only CID 3
# allowed.  TCG inside TCG answers slowly: give the connect to CID 4 time
# (the proxy sets SO_VM_SOCKETS_CONNECT_TIMEOUT from --connect-timeout;
# the kernel's own default is 2 s).
l1_proxy_start() {	# backend
	vsockproxy -v --event-backend "$1" --stats-interval 0 \
	    --listen "vsock:$L1_PROXY" --connect "vsock:4:$L2_TARGET" \
	    --allow 3 --connect-timeout 60 > "$L2_DIR/proxy-$1.log" 2>&1 &
	proxy=$!
	vt_wait_listen "$L1_PROXY" 30 > "$L2_DIR/wait.out"
	vt_result $? "$1: L1 proxy listens on vsock:$L1_PROXY, forwarding to CID 4"
}

# Statistics on SIGUSR1, then SIGTERM: exit 0.
l1_proxy_stop() {	# backend accepted denied
	local log=$L2_DIR/proxy-$1.log
	kill -USR1 "$proxy"
	vt_wait_grep "stats active=0 accepted=$2 denied=$3 connect_failed=0 closed=$2 " \
	    "$log" 30 > "$L2_DIR/wait.out"
	vt_result $? "$1: statistics count $2 accepted and $3 denied"
	kill -TERM "$proxy"
	vt_wait_pid "$proxy" 15 > "$L2_DIR/wait.out"
	vt_result $? "$1: L1 proxy exits 0 on SIGTERM"
	echo "# the proxy's log in L1 (CID 2), $1:" >&3
	sed 's/^/#   /' "$log" >&3
}

# A message rule: vsock-seqpacket:9004 to CID 4's seqpacket server, only
# CID 3 allowed.  CID 3 sends the sizes 1, 4096, 65536 and then 300 of
# random sizes; CID 4 checks counts and hashes against what CID 3 says it
# sent; CID 5 is refused, and the refusal logged.  $2: message
# connections CID 4 has seen before this round.
l1_seqpacket() {	# backend n
	local b=$1 log=$L2_DIR/proxy-seq-$1.log h p
	vsockproxy -v --event-backend "$b" --stats-interval 0 \
	    --listen "vsock-seqpacket:$L1_MSG_PROXY" \
	    --connect "vsock-seqpacket:4:$L2_MSG_TARGET" \
	    --allow 3 --connect-timeout 60 > "$log" 2>&1 &
	proxy=$!
	vt_wait_listen "$L1_MSG_PROXY" 30 > "$L2_DIR/wait.out"
	vt_result $? "$b: L1 message rule listens on vsock-seqpacket:$L1_MSG_PROXY, to CID 4"
	l2_cmd 3 "c_msgs $b $L1_MSG_PROXY"
	l2_cmd 5 "c_msgs_denied $b $L1_MSG_PROXY"
	# What CID 3 sent: "HASH MSGS" of its last two connections.
	h=$(tr -d '\r' < "$(l2_tap 3)" | grep '^# msgs-result conn=' |
	    tail -n 2 | sed 's/.* msgs_sent=\([0-9]*\) .* sent_hash=\([0-9a-f]*\) .*/\2 \1/' |
	    tr '\n' ' ')
	l2_cmd 4 "s_msgs_report $(($2 + 2)) ${h:-none 0 none 0}"
	grep -qE "event=close .*peer=vsock:3:[0-9]+ .*bytes_up=69633 bytes_down=0 msgs_up=3 msgs_down=0 reason=eof" \
	    "$log" &&
	    grep -qE "event=close .*peer=vsock:3:[0-9]+ .* msgs_up=300 msgs_down=0 reason=eof" \
	    "$log"
	vt_result $? "$b: message rule: the close lines count CID 3's messages (3, then 300)"
	grep "event=denied" "$log" |
	    grep -q "peer=vsock:5:[0-9]* reason=cid-not-allowed"
	vt_result $? "$b: message rule: the denied peer vsock:5:PORT is logged"
	kill -TERM "$proxy"
	vt_wait_pid "$proxy" 15 > "$L2_DIR/wait.out"
	vt_result $? "$b: message rule: L1 proxy exits 0 on SIGTERM"
	echo "# the message rule's log in L1, $b:" >&3
	sed 's/^/#   /' "$log" >&3
}

# One daemon for two app VMs, from a configuration file: rule app-vm-3
# (vsock:9000, CID 3 only) and rule app-vm-5 (vsock:9002, CID 5 only),
# both to the server in CID 4.  Then a reload while CID 3 has a connection
# open: app-vm-5 goes, app-vm-3 lets CID 5 in too.  $1: connections the
# server in CID 4 has seen so far.
l1_two_rules() {	# n
	local n=$1 log=$L2_DIR/proxy-rules.log conf=/tmp/vsockproxy.conf
	cat > "$conf" <<-EOF
	# One rule per app VM; both reach the service in CID 4.
	rule app-vm-3 {
		listen vsock:$L1_PROXY
		connect vsock:4:$L2_TARGET
		allow 3
	}
	rule app-vm-5 {
		listen vsock:$((L1_PROXY + 2))
		connect vsock:4:$L2_TARGET
		allow 5
	}
	EOF
	echo "# $conf:" >&3
	sed 's/^/#   /' "$conf" >&3
	vsockproxy -v --stats-interval 0 -c "$conf" \
	    --control /tmp/vsp-ctl.sock > "$log" 2>&1 &
	proxy=$!
	vt_wait_listen "$L1_PROXY" 30 > "$L2_DIR/wait.out" &&
	    vt_wait_listen $((L1_PROXY + 2)) 30 > "$L2_DIR/wait.out"
	vt_result $? "rules: one daemon listens for CID 3 (vsock:$L1_PROXY) and CID 5 (vsock:$((L1_PROXY + 2)))"
	l2_cmd 3 "c_allowed rules $L1_PROXY"
	l2_cmd 5 "c_allowed rules $((L1_PROXY + 2))"
	l2_cmd 3 "c_denied rules $((L1_PROXY + 2))"
	l2_cmd 5 "c_denied rules $L1_PROXY"
	grep -q "event=denied .* listen=vsock:$((L1_PROXY + 2)) peer=vsock:3:" \
	    "$log" &&
	    grep -q "event=denied .* listen=vsock:$L1_PROXY peer=vsock:5:" "$log"
	vt_result $? "rules: each CID is denied on the other's rule, and logged"

	# The reload, with CID 3's connection open and being read slowly.
	l2_cmd 3 "bg_start reload $L1_PROXY"
	# The control socket lists it, with its rule, while it is open.
	vsockproxyctl -s /tmp/vsp-ctl.sock show connections \
	    > "$L2_DIR/ctl.out" 2>&1
	sed 's/^/#   /' "$L2_DIR/ctl.out" >&3
	grep -qE "^id=[0-9]+ rule=app-vm-3 peer=vsock:3:[0-9]+ \
target=vsock:4:$L2_TARGET .* state=(relaying|half-closed)$" "$L2_DIR/ctl.out"
	vt_result $? "rules: vsockproxyctl show connections lists CID 3's open connection, rule app-vm-3"
	cat > "$conf" <<-EOF
	# app-vm-5 removed; app-vm-3 now serves CID 5 too.
	rule app-vm-3 {
		listen vsock:$L1_PROXY
		connect vsock:4:$L2_TARGET
		allow 3,5
	}
	EOF
	echo "# $conf after the change:" >&3
	sed 's/^/#   /' "$conf" >&3
	kill -HUP "$proxy"
	vt_wait_grep "reloaded .*1 kept, 0 added, 1 removed" "$log" 30 \
	    > "$L2_DIR/wait.out"
	vt_result $? "reload: app-vm-3 kept, app-vm-5 removed"
	l2_cmd 3 "bg_finish reload"
	l2_cmd 5 "c_allowed reload $L1_PROXY"
	l2_cmd 5 "c_denied reload $((L1_PROXY + 2))"
	l2_cmd 4 "s_report $((n + 4))"
	l1_proxy_stop rules 4 2
}

# Everything after the set-up; native.sh calls this on the build machine.
# The scenarios run once per event backend, against the same guests.
l1_run() {
	local cid st proxy b n=0 m=0 log
	l2_stage_images || { l1_bail "cannot copy the L2 kernel and image"; return 1; }
	if ! l2_boot_all "${vt_l2_boot:-${L2_BOOT:-600}}"; then
		for cid in $L2_CIDS; do l2_relay "$cid"; done
		return 1
	fi
	l2_relay 4

	if [ "${vt_mode:-}" = demo ]; then
		l1_proxy_start epoll
		l2_cmd 3 demo_send
		l2_cmd 5 demo_denied
		l2_cmd 4 demo_report
		l1_proxy_stop epoll 1 1
	fi
	for b in $(echo "${vt_backends:-epoll,poll}" | tr ',' ' '); do
		[ "${vt_mode:-}" != demo ] || break
		log=$L2_DIR/proxy-$b.log
		l1_proxy_start "$b"
		l2_cmd 3 "c_allowed $b"
		n=$((n + 1))
		l2_cmd 5 "c_denied $b"
		l2_cmd 5 "c_spoof $b"
		l2_cmd 4 "s_report $n"
		grep -qE "event=open .*peer=vsock:3:[0-9]+ .*target=vsock:4:$L2_TARGET" \
		    "$log"
		vt_result $? "$b: log names CID 3's connection vsock:3:PORT -> vsock:4:$L2_TARGET"
		grep -qE "event=close .*peer=vsock:3:[0-9]+ .*bytes_up=262144 bytes_down=131072 reason=eof" \
		    "$log"
		vt_result $? "$b: log counts CID 3's bytes each way, reason eof"
		grep "event=denied" "$log" |
		    grep -q "peer=vsock:5:[0-9]* reason=cid-not-allowed"
		vt_result $? "$b: log names the denied peer vsock:5:PORT, CID 5"
		l1_proxy_stop "$b" 1 1
		l1_seqpacket "$b" "$m"
		m=$((m + 2))
	done

	if [ "${vt_mode:-}" != demo ]; then
		l1_two_rules "$n"
		vt_test "--connect-timeout 1 to a stopped guest" \
		    t_connect_timeout 1
		vt_test "--connect-timeout 4 to a stopped guest (beyond vsock's 2 s default)" \
		    t_connect_timeout 4
	fi

	for cid in $L2_CIDS; do
		l2_cmd "$cid" stop 60
	done
	for cid in $L2_CIDS; do
		vt_wait_pid "$(eval echo "\$l2_pid_$cid")" 60 > "$L2_DIR/wait.out"
		st=$?
		l2_relay "$cid"
		# 33: the L2 guest reported success through isa-debug-exit.
		[ "$st" -eq 33 ] || l1_show_console "$cid"
		vt_result $((st != 33)) "L2 guest CID $cid finished cleanly"
	done
}
