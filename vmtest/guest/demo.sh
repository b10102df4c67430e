# Demo suite: inside one guest with vsock_loopback, a client sends a
# message over vsock to vsockproxy (Ghaf's four-number form), which checks
# the peer's CID and forwards it to a vsock server; then a client from a
# CID that is not allowed is refused.  The log and statistics are shown.

t_demo() {
	echo "\$ socat -u VSOCK-LISTEN:5001 STDOUT > received &   # the target"
	socat -u VSOCK-LISTEN:5001 CREATE:received &
	vt_wait_listen 5001 || return 1
	echo "\$ vsockproxy -v 5000 1 5001 1 &   # allow CID 1 only"
	vsockproxy -v --stats-interval 0 5000 1 5001 1 2> proxy.log &
	px=$!
	vt_wait_listen 5000 || return 1
	echo "\$ echo 'hello from CID 1, through vsockproxy' |" \
	    "socat -u STDIN VSOCK-CONNECT:1:5000"
	echo 'hello from CID 1, through vsockproxy' |
	    socat -u STDIN VSOCK-CONNECT:1:5000 || return 1
	vt_wait_grep 'reason=eof' proxy.log 20 || return 1
	echo "target received: $(cat received)"
	echo "\$ vsockproxy -v 5002 1 5001 3 &   # allow CID 3 only"
	vsockproxy -v --stats-interval 0 5002 1 5001 3 2> denied.log &
	px2=$!
	vt_wait_listen 5002 || return 1
	echo 'not allowed' | socat -u STDIN VSOCK-CONNECT:1:5002 2>/dev/null
	vt_wait_grep 'denied peer' denied.log 20 || return 1
	kill -USR1 "$px" "$px2"
	vt_wait_grep 'stats active' proxy.log 20 || return 1
	vt_wait_grep 'stats active' denied.log 20 || return 1
	kill -TERM "$px" "$px2"
	wait "$px" "$px2"
	echo "--- log of the allowing proxy"
	sed 's/^[^ ]* //' proxy.log
	echo "--- log of the refusing proxy"
	sed 's/^[^ ]* //' denied.log
	[ "$(cat received)" = 'hello from CID 1, through vsockproxy' ] &&
	    grep -q 'denied=0' proxy.log && grep -q 'denied=1' denied.log
}

suite() {
	vt_modprobe vsock_loopback vsock_diag ||
	    echo "Bail out! modprobe failed" >&3
	vt_test "a message goes through vsockproxy, a wrong CID is refused" \
	    t_demo
	vt_diag /tmp/t1/out
}
