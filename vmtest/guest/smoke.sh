# Smoke suite: vsock loopback with socat only.

t_socat() {
	socat -u VSOCK-LISTEN:5000 CREATE:got &
	vt_wait_listen 5000 || return 1
	ss -Hln --vsock
	echo hello | socat -u STDIN VSOCK-CONNECT:1:5000 || return 1
	vt_wait_pid $! 10 || return 1
	cat got; ls -la; [ "$(cat got)" = hello ]
}

suite() {
	vt_modprobe vsock_loopback vsock_diag ||
	    echo "Bail out! modprobe failed" >&3
	vt_test "socat over vsock loopback" t_socat
}
