# A second-level guest of the nested topology: a small agent that the L1
# guest (its vsock host, CID 2) drives.  Its role comes from the kernel
# command line:
#   vt_role=server   CID 4: the target behind the proxy, started at boot
#   vt_role=client   CIDs 3 and 5: connect to the proxy on command
#   vt_mode=demo     socat with readable messages instead of vsp-peer
# Commands arrive one per connection on vsock port 9100 (sent by L1 with
# socat) and are appended to a queue file by one long-lived listener; each
# runs as a TAP test and ends with "# DONE COMMAND" on the TAP port, which
# L1 watches.  "stop" ends the suite.

L2_CTL=9100		# control port in every L2 guest
L2_TARGET=9001		# the server's port in CID 4
L1_PROXY=9000		# the proxy's port in L1 (CID 2)
L2_MSG_TARGET=9003	# the seqpacket server's port in CID 4

# ---- scenarios run on command --------------------------------------

# Through the proxy (port $2, default 9000) to the server in CID 4; bytes
# checked both ways.
c_allowed() {	# label [port]
	vsp-peer connect "vsock:2:${2:-$L1_PROXY}" --send 256k --expect 128k \
	    --timeout 120 > cli.out 2>&1
	local st=$?
	cat cli.out
	[ "$st" -eq 0 ]
}

# Closed without a byte, or refused (nothing listens on the port).
c_denied() {	# label [port]
	vsp-peer connect "vsock:2:${2:-$L1_PROXY}" --expect-refused \
	    --timeout 60 > cli.out 2>&1
	local st=$?
	cat cli.out
	[ "$st" -eq 0 ]
}

# Claim CID 3's address: the guest's own kernel refuses to bind a CID that
# is not its own (EADDRNOTAVAIL), so no connection with a forged CID
# leaves this guest.  (Below the socket API, vhost_vsock in L1 drops any
# packet whose source CID is not the guest's; see SECURITY.md.)
c_spoof() {	# label [port]
	vsp-peer connect "vsock:2:${2:-$L1_PROXY}" --bind vsock:3:40000 \
	    --send 1k --timeout 30 > cli.out 2>&1
	local st=$?
	cat cli.out
	[ "$st" -ne 0 ] && grep -q 'error=bind errno=EADDRNOTAVAIL' cli.out
}

# Open a connection through the proxy on port $2 and hold it open: it
# reads slowly and ends only once bg_finish says so.  It runs in a session
# of its own, so it outlives this command.
bg_start() {	# label port
	rm -f /tmp/bg.go /tmp/bg.conn /tmp/bg.status
	setsid sh -c 'vsp-peer connect "vsock:2:$1" --send 256k --expect 128k \
	    --chunk 4k --read-delay-ms 50 --wait-file /tmp/bg.go \
	    --conn-file /tmp/bg.conn --timeout 120 > /tmp/bg.out 2>&1
	    echo $? > /tmp/bg.status' bg "$2" < /dev/null > /dev/null 2>&1 &
	vt_wait_file /tmp/bg.conn 30
}

# Let the held connection end; it must have been byte-exact both ways.
bg_finish() {	# label
	touch /tmp/bg.go
	vt_wait_file /tmp/bg.status 120 || return 1
	cat /tmp/bg.out
	[ "$(cat /tmp/bg.status)" = 0 ]
}

# Messages through the proxy's message rule on port $2: the sizes 1,
# 4096 and 65536, then 300 of random sizes (1 byte to 64 KiB), one
# connection each.  The result lines go to L1 ("# msgs-result ..."),
# which hands the hashes to CID 4 (s_msgs_report).  No zero-length
# messages: vsock does not send them.
c_msgs() {	# label port
	vsp-peer connect "vsock-seqpacket:2:$2" --msg-sizes 1,4096,65536 \
	    --timeout 120 > m1.out 2>&1 || { cat m1.out; return 1; }
	vsp-peer connect "vsock-seqpacket:2:$2" --msgs 300 --msg-size 1-64k \
	    --timeout 120 > m2.out 2>&1 || { cat m1.out m2.out; return 1; }
	cat m1.out m2.out
	sed 's/^/# msgs-result /' m1.out m2.out >&3
}

# The message rule refuses us: closed before any message (in message
# mode a close after the accept is --expect-closed; --expect-refused
# covers only a refused connect there).
c_msgs_denied() {	# label port
	vsp-peer connect "vsock-seqpacket:2:$2" --expect-msgs 1 \
	    --expect-closed --timeout 30 > cli.out 2>&1
	local st=$?
	cat cli.out
	[ "$st" -eq 0 ]
}

# The seqpacket server has seen N connections in all; the last two got
# exactly the messages sent (MSGS messages, recv_hash = the sender's
# sent_hash), all whole.
s_msgs_report() {	# n hash1 msgs1 hash2 msgs2
	local n
	cat /tmp/msrv.out
	n=$(grep -c '^conn=' /tmp/msrv.out)
	[ "$n" -eq "$1" ] ||
	    vt_fail "the message server saw $n connections, not $1" || return
	grep '^conn=' /tmp/msrv.out | tail -n 2 > last2
	sed -n 1p last2 | grep -q " msgs_recv=$3 .* recv_hash=$2 .* ok\$" &&
	    sed -n 2p last2 | grep -q " msgs_recv=$5 .* recv_hash=$4 .* ok\$" ||
	    vt_fail "the messages that arrived are not the ones sent ($2 $3, $4 $5)"
}

# The server has seen exactly N connections (the allowed ones, relayed:
# none that the proxy denied), and the bytes of each were right.
s_report() {	# n
	local n
	cat /tmp/srv.out
	n=$(grep -c '^conn=' /tmp/srv.out)
	[ "$n" -eq "$1" ] ||
	    vt_fail "the server saw $n connections, not $1" || return
	[ "$(grep '^conn=' /tmp/srv.out | grep -c ' ok$')" -eq "$1" ] ||
	    vt_fail "a connection failed"
}

demo_send() {
	local msg="hello from guest CID $vt_cid"
	echo "[cid $vt_cid] sending: $msg"
	echo "$msg" | timeout 60 socat -t 30 - "VSOCK-CONNECT:2:$L1_PROXY" \
	    > reply 2>&1
	echo "[cid $vt_cid] reply: $(cat reply)"
	[ -s reply ]
}

demo_denied() {
	echo "[cid $vt_cid] sending: hello from guest CID $vt_cid"
	echo "hello from guest CID $vt_cid" | timeout 60 socat -t 30 - \
	    "VSOCK-CONNECT:2:$L1_PROXY" > reply 2> socat.err
	echo "[cid $vt_cid] reply: '$(cat reply)' (connection closed by the proxy)"
	[ ! -s socat.err ] || echo "[cid $vt_cid] socat: $(sed 's/.* E //' socat.err)"
	[ ! -s reply ]
}

# What the server received: one message, CID 3's (relayed by the proxy,
# so it came from CID 2), nothing from CID 5.
demo_report() {
	echo "[cid $vt_cid] the server received:"
	sed "s/^/[cid $vt_cid]   /" /tmp/received
	[ "$(wc -l < /tmp/received)" -eq 1 ] &&
	    grep -q 'hello from guest CID 3' /tmp/received
}

# ---- the agent ------------------------------------------------------

l2_server_start() {
	if [ "${vt_mode:-}" = demo ]; then
		# Answer each connection with what arrived, and from whom.
		socat "VSOCK-LISTEN:$L2_TARGET,fork" \
		    SYSTEM:'read l; echo "from CID $SOCAT_PEERADDR: $l" >> /tmp/received; echo "CID 4 got \"$l\" from CID $SOCAT_PEERADDR"' \
		    > /tmp/srv.log 2>&1 &
	else
		vsp-peer listen "vsock:$L2_TARGET" --conns 0 --send 128k \
		    --expect 256k --timeout 0 > /tmp/srv.out 2>&1 &
		vsp-peer listen "vsock-seqpacket:$L2_MSG_TARGET" --conns 0 \
		    --timeout 0 > /tmp/msrv.out 2>&1 &
		vt_wait_listen "$L2_MSG_TARGET" 60 || return 1
	fi
	vt_wait_listen "$L2_TARGET" 60
}

suite() {
	local cmd desc i=0
	vt_modprobe virtio_pci vmw_vsock_virtio_transport vsock_diag || {
		echo "Bail out! cannot load the vsock modules" >&3
		return 1
	}
	if [ "${vt_role:-}" = server ] && ! l2_server_start; then
		echo "Bail out! the server in CID $vt_cid did not start" >&3
		return 1
	fi
	# Each command's deadline comes from L1 (vt_deadline), shorter
	# than L1's own for the command.
	: > /tmp/cmds
	socat -u "VSOCK-LISTEN:$L2_CTL,fork" OPEN:/tmp/cmds,append \
	    2>/dev/null &
	if ! vt_wait_listen "$L2_CTL" 60 >/dev/null; then
		echo "Bail out! no control listener on vsock port $L2_CTL" >&3
		return 1
	fi
	echo "# READY" >&3
	while :; do
		# The next complete line of the queue.
		until [ "$(wc -l < /tmp/cmds)" -gt "$i" ]; do
			usleep 50000
		done
		i=$((i + 1))
		cmd=$(sed -n "${i}p" /tmp/cmds)
		# A command is a word and its arguments.
		set -- $cmd
		case ${1:-} in
		stop)	echo "# DONE stop" >&3
			return 0 ;;
		ping)	echo "# DONE ping" >&3	# L1 asks whether we answer
			continue ;;
		c_allowed) desc="$2: CID $vt_cid reaches CID 4 through the proxy${3:+ on port $3}, bytes match" ;;
		c_denied) desc="$2: CID $vt_cid is refused by the proxy${3:+ on port $3}" ;;
		c_spoof) desc="$2: CID $vt_cid cannot bind to CID 3 (EADDRNOTAVAIL): nothing reaches the proxy" ;;
		bg_start) desc="$2: CID $vt_cid opens a connection on port $3 and holds it" ;;
		bg_finish) desc="$2: CID $vt_cid's held connection completes, bytes match" ;;
		c_msgs) desc="$2: CID $vt_cid sends messages through the proxy's message rule on port $3" ;;
		c_msgs_denied) desc="$2: CID $vt_cid is refused by the message rule on port $3" ;;
		s_msgs_report) desc="CID 4's message server has seen $2 connection(s), the last two whole ($4 and $6 messages, hashes match)" ;;
		s_report) desc="CID 4 has seen $2 connection(s) in all, only the allowed ones, bytes ok" ;;
		demo_send) desc="CID $vt_cid sends a message through the proxy" ;;
		demo_denied) desc="CID $vt_cid is refused by the proxy" ;;
		demo_report) desc="CID 4 shows what it received" ;;
		*)	echo "# unknown command '$cmd'" >&3
			echo "# DONE $cmd" >&3
			continue ;;
		esac
		vt_test "$desc" "$@"
		if [ "${vt_mode:-}" = demo ] || [ "$1" = bg_finish ]; then
			sed 's/^/# /' "$vt_tdir/out" >&3
		fi
		echo "# DONE $cmd" >&3
	done
}
