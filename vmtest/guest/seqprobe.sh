# Guest suite "seqprobe" (vmtest/seqprobe.sh): vsp-seqprobe over
# vsock_loopback, CID 1 to CID 1, no relay; its TAP relayed, one round
# after another (vt_repeat, default 1), each on its own ports.

suite() {
	local r=0 st
	if ! vt_modprobe vsock_loopback; then
		echo "Bail out! cannot load vsock_loopback" >&3
		return 1
	fi
	if ! command -v vsp-seqprobe >/dev/null; then
		vt_result 1 "vsp-seqprobe in the image"
		return 1
	fi
	while [ "$r" -lt "${vt_repeat:-1}" ]; do
		r=$((r + 1))
		timeout 150 vsp-seqprobe vsock --in-guest \
		    --port $((30000 + 100 * r)) > "/tmp/probe$r.tap" 2>&1
		st=$?
		vt_relay "/tmp/probe$r.tap" "round $r:" 1
		[ "$st" -le 1 ] ||
		    vt_result 1 "round $r: vsp-seqprobe exited with status $st"
	done
}
