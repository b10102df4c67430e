# Topology "loopback": one guest with vsock_loopback; the proxy, its
# clients and its targets all live on CID 1.  Every scenario runs once per
# event backend (vt_backends, comma-separated).
#
# Each scenario gets its own folder (the current directory) and its own
# ports, 10000 + 10 * test number and up; a scenario's output is shown
# only when it fails.

PEER_TIMEOUT=30

# ---- helpers (run inside a scenario) ----------------------------------

ports() {
	P=$((10000 + vt_num * 10))
}

# Show every log of the scenario, then fail.
fail() {
	local f
	echo "FAIL: $*"
	for f in *.log *.out; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 12 "$f"
	done
	return 1
}

# proxy ARGS...: start vsockproxy -v with this scenario's backend.
proxy() {
	vsockproxy -v --event-backend "$B" "$@" > proxy.log 2>&1 &
	PROXY=$!
}

proxy_ready() {	# port
	vt_wait_listen "$1" 20 || fail "proxy not listening on $1"
}

# SIGTERM the proxy; it must exit 0 (a crash or a sanitizer report
# would not).
proxy_stop() {
	local st
	kill -TERM "$PROXY" 2>/dev/null
	vt_wait_pid "$PROXY" 15
	st=$?
	[ "$st" -eq 0 ] || fail "proxy exited with status $st"
}

# ---- scenarios (each gets the backend as $1) --------------------------

t_ghaf_form() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --send 100k --expect 50k || return
	proxy "$P" 1 "$((P + 1))" 0
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --send 50k --expect 100k || return
	peer_done srv || return
	same_hashes cli.out srv.out || return
	proxy_stop
}

t_transfer() {	# backend client-bytes server-bytes
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --send "$3" --expect "$2" ||
	    return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --send "$2" --expect "$3" || return
	peer_done srv || return
	same_hashes cli.out srv.out || return
	cat cli.out srv.out
	grep -qE "event=open .*peer=vsock:1:[0-9]+" proxy.log ||
	    fail "no 'event=open ... peer=vsock:1:PORT' line in the log" ||
	    return
	grep -q "any CID may connect to vsock:$P" proxy.log ||
	    fail "a rule without an allow list was not warned about" ||
	    return
	proxy_stop
}

# The client sends, then shutdown(SHUT_WR); the server reads to EOF and
# only then answers: the proxy must keep the way back open.
t_halfclose_client() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --order recv-first \
	    --send 300k --expect 200k || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --order send-first --end shutdown \
	    --send 200k --expect 300k || return
	peer_done srv || return
	proxy_stop
}

# The mirror image: the server sends and half-closes first.
t_halfclose_server() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --order send-first \
	    --end shutdown --send 300k --expect 200k || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --order recv-first --send 200k \
	    --expect 300k || return
	peer_done srv || return
	proxy_stop
}

# A client's close() is a full close: once the server has read EOF, its
# sends must start failing (EPIPE or ECONNRESET) instead of vanishing.
t_close_is_full_close() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --expect 64k \
	    --probe-epipe 3000 --expect-epipe yes || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --order send-first --end close --send 64k ||
	    return
	peer_done srv || return
	cat srv.out
	proxy_stop
}

# A client's shutdown(SHUT_WR) stays a half-close: the server can go on
# sending after EOF and nothing fails.
t_shutdown_is_half_close() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --expect 64k \
	    --probe-epipe 1000 --expect-epipe no || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --order send-first --end shutdown \
	    --send 64k || return
	peer_done srv || return
	cat srv.out cli.out
	[ "$(vt_peer_field probe_sent srv.out)" = \
	    "$(vt_peer_field recv cli.out)" ] ||
	    fail "the client did not get all the server sent after EOF"
	proxy_stop
}

# A denied CID: the client is closed without data and the target never
# sees a connection.  $2: ghaf to use the positional form.
t_denied() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --conn-file srv.conn || return
	if [ "${2:-}" = ghaf ]; then
		proxy "$P" 1 "$((P + 1))" 3
	else
		proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))" \
		    --allow 3,5-9
	fi
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --expect-refused || return
	cat cli.out
	# Once the proxy has stopped it can no longer open anything late.
	proxy_stop || return
	[ ! -e srv.conn ] || fail "the target saw a connection" || return
	grep -E "event=denied" proxy.log | grep -qE "peer=vsock:1:[0-9]+" ||
	    fail "the log does not name the denied peer as vsock:1:PORT" ||
	    return
	grep "event=denied" proxy.log | grep -qE "reason=cid-not-allowed" ||
	    fail "the log does not say the CID is not allowed"
}

# No listener behind the proxy: the client is closed at once (vsock
# refuses at once on loopback; nothing should wait for a timeout).
t_target_down() {
	local ms
	B=$1; ports
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))" \
	    --connect-timeout 20
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --expect-refused || return
	cat cli.out
	# Prompt: the kernel's refusal, not the connect timeout (a loaded
	# emulator may take a second or two; the timeout would take 20).
	ms=$(vt_peer_field ms cli.out)
	[ -n "$ms" ] && [ "$ms" -lt 10000 ] ||
	    fail "client closed after ${ms:-?} ms, not promptly" || return
	grep -q "event=connect-failed .* target=vsock:1:$((P + 1)) " proxy.log ||
	    fail "no 'event=connect-failed' line in the log" || return
	! grep "event=connect-failed .* target=vsock:1:$((P + 1)) " proxy.log |
	    grep -qi "time" ||
	    fail "the connect timed out instead of being refused" || return
	proxy_stop
}

t_connect_timeout() {
	vt_skip "a vsock connect on loopback completes or fails at once;" \
	    "see vmcheck (stopped L2 guest)"
}

t_many() {	# backend conns
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns "$2" --send 16k --expect 16k ||
	    return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock:1:$P" --conns "$2" --send 16k --expect 16k || return
	peer_done srv || return
	[ "$(grep -c ' ok$' cli.out)" -eq "$2" ] ||
	    fail "not all $2 client connections passed" || return
	proxy_stop
}

# SIGTERM with a connection open: the listener goes away at once, the
# open connection finishes byte for byte, then the proxy exits 0.
t_sigterm_drain() {
	local st
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --send 256k --expect 256k \
	    --conn-file srv.conn || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))" \
	    --shutdown-timeout 20
	proxy_ready "$P" || return
	vsp-peer connect "vsock:1:$P" --send 256k --expect 256k \
	    --wait-file go --timeout "$PEER_TIMEOUT" > cli.out 2>&1 &
	cli=$!
	# Wait for both ends of the proxy's connection: the client's
	# connect() completes when the kernel queues it, before the proxy
	# has accepted it, and the target's accept() before the proxy has
	# seen its connect complete.  A SIGTERM before the proxy logs the
	# connection open would test something else.
	vt_wait_file srv.conn 20 || fail "connection did not reach the" \
	    "target" || return
	vt_wait_grep "event=open .* peer=vsock:1:" proxy.log 20 ||
	    fail "the proxy did not log the connection open" || return
	kill -TERM "$PROXY"
	vt_wait_grep "draining 1 connection" proxy.log 10 ||
	    fail "proxy did not drain" || return
	# The listener is gone: a new client is refused.
	vt_wait_unlisten "$P" 10 || fail "still listening" || return
	client late "vsock:1:$P" --expect-refused || return
	kill -0 "$PROXY" 2>/dev/null || fail "proxy exited before the" \
	    "connection was done" || return
	touch go
	peer_done cli || return
	peer_done srv || return
	vt_wait_pid "$PROXY" 15
	st=$?
	[ "$st" -eq 0 ] || fail "proxy exited with status $st"
}

# SIGTERM to a proxy started with --shutdown-timeout 2 and holding a
# connection that will not end: it exits 0, not before the timeout, and
# long before the client's own (30 s); a loaded emulator may add seconds.
gives_up_after_2s() {
	local st t0 ms
	t0=$(vt_now_ms)
	kill -TERM "$PROXY"
	vt_wait_pid "$PROXY" 15
	st=$?
	ms=$(( $(vt_now_ms) - t0 ))
	echo "proxy exited $ms ms after SIGTERM"
	[ "$st" -eq 0 ] || fail "proxy exited with status $st" || return
	[ "$ms" -ge 1900 ] && [ "$ms" -lt 12000 ] ||
	    fail "exit after $ms ms, --shutdown-timeout was 2 s"
}

# SIGTERM with a connection that never ends: the proxy gives up after
# --shutdown-timeout and still exits 0.
t_sigterm_timeout() {
	B=$1; ports
	server srv "vsock:$((P + 1))" --conns 1 --expect 1k \
	    --conn-file srv.conn || return
	proxy --listen "vsock:$P" --connect "vsock:1:$((P + 1))" \
	    --shutdown-timeout 2
	proxy_ready "$P" || return
	vsp-peer connect "vsock:1:$P" --send 1k --wait-file never \
	    --timeout "$PEER_TIMEOUT" > cli.out 2>&1 &
	vt_wait_file srv.conn 20 || fail "connection did not reach the" \
	    "target" || return
	gives_up_after_2s
}

# Ports are 32-bit on vsock.
t_port_above_65535() {
	B=$1
	server srv vsock:70001 --conns 1 --send 20k --expect 30k || return
	proxy --listen vsock:70000 --connect vsock:1:70001
	proxy_ready 70000 || return
	client cli vsock:1:70000 --send 30k --expect 20k || return
	peer_done srv || return
	proxy_stop || return
	# and the positional form
	server srv2 vsock:70003 --conns 1 --send 1k --expect 1k || return
	proxy 70002 1 70003 0
	proxy_ready 70002 || return
	client cli2 vsock:1:70002 --send 1k --expect 1k || return
	peer_done srv2 || return
	proxy_stop
}

# ---- seqpacket slow reader (issue 14) ----------------------------------
# A non-blocking vsock seqpacket send that meets a receiver with less
# room than the message queues the part that fits, with no end of
# message, and fails with EAGAIN: a relay that retries it later splits
# the message.  These scenarios put a slow reader behind the proxy, so
# that its sends keep meeting a full receiver; the hashes run over each
# message's length and bytes, so a split or merged message fails them.
# vsp-peer's own vsock sends block (tests/peermsg.c).

# Random sizes: $2 up (client sends, the target reads slowly) or down
# (the target sends, the client reads slowly); $3 messages of 1 to $4
# bytes.
t_seq_slow() {	# backend up|down msgs max-size
	local snd rcv
	B=$1; ports
	snd="--msgs $3 --msg-size 1-$4"
	rcv="--expect-msgs $3 --read-delay-ms 1"
	if [ "$2" = up ]; then
		# shellcheck disable=SC2086
		server srv "vsock-seqpacket:$((P + 1))" --conns 1 $rcv || return
	else
		# shellcheck disable=SC2086
		server srv "vsock-seqpacket:$((P + 1))" --conns 1 $snd || return
	fi
	proxy --listen "vsock-seqpacket:$P" \
	    --connect "vsock-seqpacket:1:$((P + 1))"
	proxy_ready "$P" || return
	if [ "$2" = up ]; then
		# shellcheck disable=SC2086
		client cli "vsock-seqpacket:1:$P" $snd --end shutdown || return
	else
		# shellcheck disable=SC2086
		client cli "vsock-seqpacket:1:$P" $rcv || return
	fi
	peer_done srv || return
	cat cli.out srv.out
	same_hashes cli.out srv.out || return
	grep -q "reason=eof" proxy.log || fail "no clean close" || return
	proxy_stop
}

# The largest message vsock takes with default buffers, 262144 bytes,
# again and again after smaller ones, to a slow reader: each one meets
# a receiver that has room for only part of it.
t_seq_slow_largest() {
	local sizes="" i=0
	B=$1; ports
	while [ "$i" -lt 24 ]; do
		sizes="$sizes${sizes:+,}100000,262144,1,262144"
		i=$((i + 1))
	done
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 \
	    --expect-msgs 96 --read-delay-ms 20 || return
	proxy --listen "vsock-seqpacket:$P" \
	    --connect "vsock-seqpacket:1:$((P + 1))"
	proxy_ready "$P" || return
	client cli "vsock-seqpacket:1:$P" --msg-sizes "$sizes" || return
	peer_done srv || return
	cat cli.out srv.out
	same_hashes cli.out srv.out || return
	proxy_stop
}

# One byte more than the target's vsock socket takes: it arrives from a
# UNIX client into a 512 KiB buffer, and the vsock send fails at once
# (6.1: ENOMEM, 6.12: EMSGSIZE): msg-too-big, the connection closed,
# logged; the message before it (262144) was delivered.
t_seq_slow_too_big() {
	B=$1; ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 --expect-msgs 1 ||
	    return
	proxy --listen "unix-seqpacket:$PWD/px.sock" \
	    --connect "vsock-seqpacket:1:$((P + 1))" --buffer-size 512k
	vt_wait_file px.sock 20 || fail "proxy not listening" || return
	client cli "unix-seqpacket:$PWD/px.sock" --sockbuf 1M \
	    --msg-sizes 262144,262145 --expect-msgs 0 || return
	peer_done srv || return
	cat cli.out srv.out
	vt_wait_grep "reason=msg-too-big" proxy.log 10 ||
	    fail "not closed as msg-too-big" || return
	grep -q "event=error .*client's message longer than the receiving" \
	    proxy.log || fail "no event=error line for it" || return
	grep "reason=msg-too-big" proxy.log | grep -q "msgs_up=1 " ||
	    fail "the 262144-byte message was not delivered" || return
	proxy_stop
}

# A reader that never reads (never accepted): the proxy's sender thread
# stays in its send; on SIGTERM the drain deadline closes the connection,
# which must wake the thread (shutdown) and join it: the proxy exits 0,
# on time.
t_seq_stuck_send() {
	B=$1; ports
	vsp-peer listen "vsock-seqpacket:$((P + 1))" --backlog 1 --no-accept \
	    --ready-file srv.ready > srv.out 2>&1 &
	vt_wait_file srv.ready 20 || fail "srv not listening" || return
	proxy --listen "vsock-seqpacket:$P" \
	    --connect "vsock-seqpacket:1:$((P + 1))" --shutdown-timeout 2
	proxy_ready "$P" || return
	vsp-peer connect "vsock-seqpacket:1:$P" \
	    --msg-sizes 200000,200000,200000,200000 --expect-closed \
	    --timeout "$PEER_TIMEOUT" > cli.out 2>&1 &
	cli=$!
	vt_wait_grep "event=open " proxy.log 20 ||
	    fail "the proxy did not log the connection open" || return
	gives_up_after_2s || return
	peer_done cli
}

seqpacket_slow_reader() {	# backend
	vt_test "$1: seqpacket slow reader 3000 messages up to 64k, up" \
	    t_seq_slow "$1" up 3000 64k
	vt_test "$1: seqpacket slow reader 400 messages up to 256k, down" \
	    t_seq_slow "$1" down 400 256k
	vt_test "$1: seqpacket slow reader 262144-byte messages" \
	    t_seq_slow_largest "$1"
	vt_test "$1: seqpacket slow reader 262145 bytes is msg-too-big" \
	    t_seq_slow_too_big "$1"
	vt_test "$1: seqpacket slow reader never reads, SIGTERM drain ends" \
	    t_seq_stuck_send "$1"
}

# ---- message rules (SOCK_SEQPACKET) ------------------------------------
#
# vsp-peer hashes every message as its length and its bytes, in order,
# so a message split, merged, cut, dropped or reordered on the way
# changes the receiver's recv_hash against the sender's sent_hash.
# No zero-length messages: on vsock a send of 0 bytes enqueues nothing
# (DESIGN.md, "vsock and UNIX SOCK_SEQPACKET, as measured"), so the
# sender would count one that never arrives.  Readers never pause: a
# reader that falls behind can show a kernel limit (a non-blocking send
# larger than the peer's free credit queues its head and fails EAGAIN)
# that is not what these scenarios test; vsp-peer's own vsock sends
# block for that reason.

# 1 + 4095 + 4096 + 65536 + 262144 (the largest message with default
# buffers) bytes.
SEQ_SIZES=1,4095,4096,65536,262144
SEQ_BYTES=335872

# seq_proxy ARGS...: a message rule from vsock-seqpacket:$P to the
# target on $P + 1, CID 1 allowed.
seq_proxy() {
	proxy --listen "vsock-seqpacket:$P" \
	    --connect "vsock-seqpacket:1:$((P + 1))" --allow 1 "$@"
	proxy_ready "$P"
}

# hashes FILE KEY: the sorted KEY values of every result line of FILE.
hashes() {
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" "$1" | sort
}

# Every connection's hashes have a partner at the other end
# (connections are accepted in any order).
all_pairs() {	# client-out server-out
	[ "$(hashes "$1" sent_hash)" = "$(hashes "$2" recv_hash)" ] ||
	    fail "client->server: the hashes differ" || return
	[ "$(hashes "$2" sent_hash)" = "$(hashes "$1" recv_hash)" ] ||
	    fail "server->client: the hashes differ"
}

# The kernel alone, no proxy, so that a difference through the proxy is
# the proxy's: the client sends its messages and shuts down, then the
# server answers with the same sizes.  One way at a time: a message as
# large as the peer's buffer needs all of its credit, and a sender
# blocked on credit does not read (tests/peermsg.c, blocking_sends()).
t_seq_direct() {
	ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 --order recv-first \
	    --msg-sizes "$SEQ_SIZES" --expect-msgs 5 || return
	client cli "vsock-seqpacket:1:$((P + 1))" --order send-first \
	    --msg-sizes "$SEQ_SIZES" --expect-msgs 5 || return
	peer_done srv || return
	cat cli.out srv.out
	same_hashes cli.out srv.out || return
	[ "$(vt_peer_field recv srv.out)" = "$SEQ_BYTES" ] ||
	    fail "the server got $(vt_peer_field recv srv.out) bytes"
}

# The same through a message rule; the close line counts payload bytes
# and messages both ways.
t_seq_sizes() {
	B=$1; ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 --order recv-first \
	    --msg-sizes "$SEQ_SIZES" --expect-msgs 5 || return
	seq_proxy || return
	client cli "vsock-seqpacket:1:$P" --order send-first \
	    --msg-sizes "$SEQ_SIZES" --expect-msgs 5 || return
	peer_done srv || return
	cat cli.out srv.out
	same_hashes cli.out srv.out || return
	[ "$(vt_peer_field recv srv.out)" = "$SEQ_BYTES" ] ||
	    fail "the server got $(vt_peer_field recv srv.out) bytes" ||
	    return
	vt_wait_grep "event=close .* bytes_up=$SEQ_BYTES bytes_down=$SEQ_BYTES msgs_up=5 msgs_down=5 reason=eof" \
	    proxy.log 20 || fail "no close line with the right counts" ||
	    return
	proxy_stop
}

# A message longer than the rule's buffer (64k) never reaches the proxy:
# the proxy's vsock sockets take buffer-size as their
# SO_VM_SOCKETS_BUFFER_SIZE, and a vsock message is bounded by both
# ends' buffers, so the client's own kernel refuses 65537 bytes
# (EMSGSIZE; 6.1: ENOMEM), as it would talking to a peer with that
# buffer directly.  The message before it arrives, and a connection held
# open alongside completes intact.  (From a UNIX client the proxy itself
# refuses it, reason=msg-too-big: "slow reader 262145 bytes" above and
# the host's e2e-seqpacket.)
t_seq_too_big() {
	local hold
	B=$1; ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 2 \
	    --order recv-first || return
	seq_proxy --buffer-size 64k || return
	vsp-peer connect "vsock-seqpacket:1:$P" --msgs 100 --msg-size 1-8k \
	    --conn-file hold.up --wait-file go --timeout "$PEER_TIMEOUT" \
	    > hold.out 2>&1 &
	hold=$!
	vt_wait_file hold.up 20 || fail "the held connection did not open" ||
	    return
	vsp-peer connect "vsock-seqpacket:1:$P" --msg-sizes 1,65537 \
	    --timeout "$PEER_TIMEOUT" > cli.out 2>&1
	cat cli.out
	grep -Eq 'msgs_sent=1 .*FAIL error=send errno=(EMSGSIZE|ENOMEM)$' \
	    cli.out || fail "the client's kernel did not refuse it" || return
	vt_wait_grep ' msgs_recv=1 recv=1 ' srv.out 20 ||
	    fail "the target did not get exactly the message before it" ||
	    return
	grep -q "reason=msg-too-big" proxy.log &&
	    fail "the proxy saw the message it should never get" && return
	touch go
	peer_done hold || return
	peer_done srv || return
	cat hold.out srv.out
	[ "$(vt_peer_field sent_hash hold.out)" = \
	    "$(grep ' msgs_recv=100 ' srv.out | tr ' ' '\n' |
	    sed -n 's/^recv_hash=//p')" ] ||
	    fail "the held connection's messages did not arrive intact" ||
	    return
	proxy_stop
}

# 10,000 messages of random sizes each way, one way at a time (the
# client sends all and shuts down, then the target answers); B=direct:
# the kernel alone.  Not both ways at once: a single-threaded peer
# blocked in a send does not read, so two such peers sending to each
# other at once stall once both buffers are full, proxy or not
# (measured with the kernel alone; see t_seq_direct).
t_seq_random() {
	local m="--msgs 10000 --msg-size 1-16k --expect-msgs 10000" port
	B=$1; ports
	# shellcheck disable=SC2086
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 --order recv-first \
	    $m || return
	port=$((P + 1))
	if [ "$B" != direct ]; then
		seq_proxy || return
		port=$P
	fi
	# shellcheck disable=SC2086
	client cli "vsock-seqpacket:1:$port" --order send-first $m || return
	peer_done srv || return
	cat cli.out srv.out
	same_hashes cli.out srv.out || return
	[ "$B" != direct ] || return 0
	vt_wait_grep "event=close .* msgs_up=10000 msgs_down=10000 reason=eof" \
	    proxy.log 20 || fail "no close line counting 10000 each way"
	proxy_stop
}

# Several connections at once, each verified, both ways at once: each
# connection's messages (100 of 1 byte to 8 KiB, some 60 KiB) fit the
# far end's 256 KiB buffer, so no send waits for a reader.
t_seq_many() {	# backend conns
	local m="--conns $2 --msgs 100 --msg-size 1-8k --expect-msgs 100"
	B=$1; ports
	# shellcheck disable=SC2086
	server srv "vsock-seqpacket:$((P + 1))" $m || return
	seq_proxy || return
	# shellcheck disable=SC2086
	client cli "vsock-seqpacket:1:$P" $m || return
	peer_done srv || return
	[ "$(grep -c ' ok$' cli.out)" -eq "$2" ] ||
	    fail "not all $2 client connections passed" || return
	all_pairs cli.out srv.out || return
	proxy_stop
}

# Half-close: the client shuts down after 3 messages and then reads the
# target's 5; then the mirror image.  The EOF arrives after exactly the
# messages sent before it, and the other direction goes on.
t_seq_halfclose() {
	B=$1; ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 1 --order recv-first \
	    --expect-msgs 3 --msgs 5 || return
	seq_proxy || return
	client cli "vsock-seqpacket:1:$P" --order send-first --end shutdown \
	    --msg-sizes 1,2,100 --expect-msgs 5 || return
	peer_done srv || return
	same_hashes cli.out srv.out || return
	# The mirror image: a second target, sending first.
	server srv2 "vsock-seqpacket:$((P + 2))" --conns 1 --order send-first \
	    --end shutdown --msg-sizes 3,7,5,9 --expect-msgs 2 || return
	proxy_stop || return
	proxy --listen "vsock-seqpacket:$P" \
	    --connect "vsock-seqpacket:1:$((P + 2))" --allow 1
	proxy_ready "$P" || return
	client cli2 "vsock-seqpacket:1:$P" --order recv-first \
	    --expect-msgs 4 --msgs 2 || return
	peer_done srv2 || return
	same_hashes cli2.out srv2.out || return
	proxy_stop
}

# Not a verdict on speed: 4 KiB messages one way, direct and through
# the proxy, as a TAP comment (messages/s and MiB/s); the hashes are
# checked all the same.
t_seq_rate() {	# backend messages
	local v port ms line=
	B=$1; ports
	server srv "vsock-seqpacket:$((P + 1))" --conns 2 \
	    --expect-msgs "$2" || return
	seq_proxy || return
	for v in direct proxy; do
		port=$((P + 1))
		[ "$v" = proxy ] && port=$P
		client "cli-$v" "vsock-seqpacket:1:$port" --msgs "$2" \
		    --msg-size 4096 || return
		ms=$(vt_peer_field ms "cli-$v.out")
		[ "${ms:-0}" -gt 0 ] || ms=1
		line="$line $v $(awk -v n="$2" -v ms="$ms" 'BEGIN {
		    printf "%d msg/s %.1f MiB/s (%d ms)",
		    n * 1000 / ms, n * 4096 / 1048576 * 1000 / ms, ms }');"
	done
	peer_done srv || return
	cat cli-direct.out cli-proxy.out srv.out
	cat cli-direct.out cli-proxy.out > cli.out
	[ "$(hashes srv.out recv_hash)" = "$(hashes cli.out sent_hash)" ] ||
	    fail "the hashes differ" || return
	vt_tap "# seqpacket $B, $(uname -r), $2 messages of 4 KiB one way:${line%;}"
	proxy_stop
}

# ---- the suite ---------------------------------------------------------

suite() {
	local b
	if ! vt_modprobe vsock_loopback vsock_diag; then
		echo "Bail out! cannot load vsock_loopback" >&3
		return 1
	fi
	for f in vsockproxy vsp-peer; do
		if ! command -v "$f" >/dev/null; then
			vt_n=$((vt_n + 1))
			vt_tap "ok $vt_n - loopback suite # SKIP $f not built"
			return 0
		fi
	done
	# vt_repeat=N (VMTEST_GUEST_ARGS): the suite N times, to measure
	# a flake rate.
	local r=0
	while [ "$r" -lt "${vt_repeat:-1}" ]; do
		r=$((r + 1))
		suite_once
	done
}

suite_once() {
	vt_test "seqpacket: the kernel alone, sizes 1..262144 both ways" \
	    t_seq_direct
	vt_test "seqpacket: the kernel alone, 10000 random-sized messages each way, in order" \
	    t_seq_random direct
	for b in $(echo "${vt_backends:-epoll,poll}" | tr ',' ' '); do
		vt_test "$b: Ghaf form LOCAL_PORT REMOTE_CID REMOTE_PORT 0" \
		    t_ghaf_form "$b"
		vt_test "$b: small transfer both ways, hashes match" \
		    t_transfer "$b" 1000 777
		vt_test "$b: 6 MiB up and 3 MiB down, hashes match" \
		    t_transfer "$b" 6M 3M
		vt_test "$b: client half-close, answer after EOF" \
		    t_halfclose_client "$b"
		vt_test "$b: server half-close, request after EOF" \
		    t_halfclose_server "$b"
		vt_test "$b: client close() -> server's sends fail (EPIPE)" \
		    t_close_is_full_close "$b"
		vt_test "$b: client shutdown(SHUT_WR) -> server can still send" \
		    t_shutdown_is_half_close "$b"
		vt_test "$b: --allow without CID 1 denies, target untouched" \
		    t_denied "$b"
		vt_test "$b: Ghaf form ALLOWED_CID 3 denies CID 1" \
		    t_denied "$b" ghaf
		vt_test "$b: target not listening -> client closed promptly" \
		    t_target_down "$b"
		vt_test "$b: --connect-timeout" t_connect_timeout "$b"
		vt_test "$b: 120 concurrent connections" t_many "$b" 120
		vt_test "$b: SIGTERM drains an open connection" \
		    t_sigterm_drain "$b"
		vt_test "$b: SIGTERM gives up after --shutdown-timeout" \
		    t_sigterm_timeout "$b"
		vt_test "$b: ports above 65535" t_port_above_65535 "$b"
		seqpacket_slow_reader "$b"
		vt_test "$b: seqpacket: sizes 1..262144 both ways, whole" \
		    t_seq_sizes "$b"
		vt_test "$b: seqpacket: a message over buffer-size is refused at its sender" \
		    t_seq_too_big "$b"
		vt_test "$b: seqpacket: 10000 random-sized messages each way, in order" \
		    t_seq_random "$b"
		vt_test "$b: seqpacket: 10 connections at once" \
		    t_seq_many "$b" 10
		vt_test "$b: seqpacket: half-close either way" \
		    t_seq_halfclose "$b"
		# One figure per guest: the first backend only.
		[ "$b" != "${vt_backends%%,*}" ] ||
		vt_test "$b: seqpacket: 4 KiB messages, direct vs proxy (rate)" \
		    t_seq_rate "$b" 10000
	done
}
