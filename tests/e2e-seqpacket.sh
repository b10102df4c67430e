#!/bin/sh
# e2e-seqpacket: message rules (unix-seqpacket: to unix-seqpacket:) relay
# whole messages, their boundaries intact.
#
# vsp-peer in message mode hashes every message as its length and its
# bytes, in order, so a message that the proxy splits, merges, cuts,
# drops or reorders changes the receiver's hash; each test compares the
# sender's sent_hash with the receiver's recv_hash.  For each backend:
#   - sizes 0, 1, 4095, 4096, 64k and 256k (the largest that fits the
#     default buffer), both ways at once; zero-length messages arrive as
#     zero-length messages, not as EOF; the close line counts them;
#   - 262145 bytes (one more than fits) closes that connection with
#     reason=msg-too-big, while another connection, open throughout,
#     completes intact;
#   - 10,000 messages of random sizes each way at once;
#   - 20 connections at once;
#   - half-close: an EOF after the last message reaches the other side
#     after exactly the messages sent before it, in both directions, and
#     the other direction goes on.
# What every rule has, on message rules (both backends): allow-uid
# refuses a UNIX peer (logged, counted), `vsockproxyctl show connections`
# lists the open connection with its rule, idle-timeout closes it
# (reason=idle), and the rule's statistics line counts all of it.
# Then, once: a rule that mixes a message end with a stream end is an
# error on the command line (exit 64), in a file (file:line, -t) and in
# a reload (rejected); a kept message rule serves across a reload.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

SIZES=0,1,4095,4096,65536,262144,0
# Peers of 256k messages need a send buffer above the default (a UNIX
# seqpacket message may be at most sk_sndbuf - 32 bytes).
BIG="--sockbuf 1M"

# same_hash A KEY_A B KEY_B: the first result lines of vsp-peer runs A
# and B agree on those hashes.
same_hash() {
	local a b
	a=$(peer_field "$1" "$2")
	b=$(peer_field "$3" "$4")
	[ -n "$a" ] && [ "$a" = "$b" ] && return 0
	diag "$1 $2=$a but $3 $4=$b"
	return 1
}

# both_ways NAME: hashes agree in both directions for exchange NAME.
both_ways() {
	same_hash "$1.cli" sent_hash "$1.srv" recv_hash &&
	    same_hash "$1.srv" sent_hash "$1.cli" recv_hash
}

# hashes NAME FILE KEY: the sorted KEY values of every line of NAME.
hashes() {
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" "$T/$1.out" | sort
}

# all_pairs NAME: each connection's hashes have a partner on the other
# side (connections arrive in any order).
all_pairs() {
	[ "$(hashes "$1.cli" sent_hash)" = "$(hashes "$1.srv" recv_hash)" ] &&
	    [ "$(hashes "$1.srv" sent_hash)" = \
	    "$(hashes "$1.cli" recv_hash)" ]
}

sizes() {
	local be="$1" n="sz-$1"
	check "$be: sizes $SIZES both ways at once, whole" \
	    exchange "$n" "$TARGET" "--msg-sizes $SIZES --expect-msgs 7 $BIG" \
	    "--msg-sizes $SIZES --expect-msgs 7 $BIG"
	check "$be: sizes: hashes agree both ways" both_ways "$n"
	is "$(peer_field "$n.srv" recv)" 335872 "$be: sizes: payload bytes"
	wait_until "$VSP_WAIT" log_at_least "$PROXY_LOG" 'event=close ' 1
	check "$be: the close line counts bytes and messages" grep -q \
	    'bytes_up=335872 bytes_down=335872 msgs_up=7 msgs_down=7 reason=eof' \
	    "$PROXY_LOG"
}

too_big() {
	local be="$1" n="big-$1" srv
	# A target that takes any number of connections and reports what
	# each got; one connection is held open throughout.
	start_peer "$n.srv" "$TARGET" --conns 2 --order recv-first $BIG ||
	    { not_ok "$be: too big: target starts"; return; }
	srv=$PEER_PID
	spawn "$n.hold" "$VSP_PEER" connect "$PROXY_ADDR" --msgs 100 \
	    --msg-size 0-8k --conn-file "$T/$n.up" --wait-file "$T/$n.go" \
	    --timeout "$VSP_WAIT"
	local hold=$SPAWNED
	wait_for_file "$T/$n.up"
	run_peer "$n.cli" "$PROXY_ADDR" --msg-sizes 1,262145,1 \
	    --expect-msgs 1 --expect-closed $BIG
	is "$?" 0 "$be: a 262145-byte message closes its connection"
	check "$be: too big: the client saw the close" \
	    grep -q ' closed=[a-z]* .*ok$' "$T/$n.cli.out"
	check "$be: too big: logged as reason=msg-too-big" wait_until \
	    "$VSP_WAIT" log_at_least "$PROXY_LOG" 'reason=msg-too-big' 1
	check "$be: too big: the message before it was delivered, no more" \
	    wait_until "$VSP_WAIT" grep -q ' msgs_recv=1 recv=1 ' \
	    "$T/$n.srv.out"
	release "$T/$n.go" "$hold"
	reap "$srv"
	check "$be: too big: the other connection was not disturbed" eval \
	    'peer_passed "$n.hold" 1 && grep -q " msgs_recv=100 " \
	     "$T/$n.srv.out"'
	is "$(hashes "$n.hold" sent_hash)" \
	    "$(grep ' msgs_recv=100 ' "$T/$n.srv.out" |
	    sed 's/.* recv_hash=\([^ ]*\).*/\1/')" \
	    "$be: too big: the other connection's messages are intact"
}

random_both() {
	local be="$1" n="rnd-$1" m="--msgs 10000 --msg-size 0-64k"
	check "$be: 10000 random-sized messages each way at once" \
	    exchange "$n" "$TARGET" "$m --expect-msgs 10000" \
	    "$m --expect-msgs 10000"
	check "$be: random: hashes agree both ways" both_ways "$n"
}

many() {
	local be="$1" n="many-$1" m="--conns 20 --msgs 200 --msg-size 0-16k"
	check "$be: 20 connections at once" exchange "$n" "$TARGET" \
	    "$m --expect-msgs 200" "$m --expect-msgs 200"
	is "$(grep -c ' ok$' "$T/$n.cli.out")" 20 "$be: 20 clients ok"
	check "$be: 20 connections: every hash has its partner" all_pairs "$n"
}

halfclose() {
	local be="$1" n="hc-$1"
	check "$be: client shuts down after 3 messages, then reads 5" \
	    exchange "$n-c" "$TARGET" \
	    "--order recv-first --expect-msgs 3 --msgs 5" \
	    "--order send-first --end shutdown --msg-sizes 1,0,100
	     --expect-msgs 5"
	check "$be: half-close from the client: hashes agree" both_ways "$n-c"
	check "$be: target shuts down after 4 messages, then reads 2" \
	    exchange "$n-s" "$TARGET" \
	    "--order send-first --end shutdown --msg-sizes 0,7,0,9
	     --expect-msgs 2" \
	    "--order recv-first --expect-msgs 4 --msgs 2"
	check "$be: half-close from the target: hashes agree" both_ways "$n-s"
	check "$be: target close()s after its messages" \
	    exchange "$n-x" "$TARGET" \
	    "--order recv-first --expect-msgs 1 --msgs 3 --end close" \
	    "--order send-first --end shutdown --msgs 1 --expect-msgs 3"
}

scenario() {
	local be="$1"
	if ! start_relay "px-$be" unix-seqpacket -v; then
		not_ok "$be: proxy starts"
		return
	fi
	sizes "$be"
	too_big "$be"
	random_both "$be"
	many "$be"
	halfclose "$be"
	check "$be: proxy still running" alive "$PROXY_PID"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
}

for_each_backend scenario

# ---- what every rule has, on a message rule ----------------------------

: "${VSOCKPROXYCTL:=$top_builddir/src/vsockproxyctl}"

features() {
	local be="$1" conf="$T/f-$1.conf" open shut tgt ctl=$T/f-$1.ctl
	new_addrs open=unix-seqpacket shut=unix-seqpacket tgt=unix-seqpacket
	{
		echo "control unix:$ctl"
		rule open "$open" "$tgt" "idle-timeout 1"
		rule shut "$shut" "$tgt" "allow-uid 1"
	} >"$conf"
	if ! start_conf_proxy "pf-$be" "$conf" "$open" "$shut" -- -v; then
		not_ok "$be: features: proxy starts"
		return
	fi
	start_peer "$be.ftgt" "$tgt" --conns 0 --msg-sizes 1 --expect-msgs 2 \
	    --wait-file "$T/never" ||
	    { not_ok "$be: features: target starts"; return; }
	local tpid=$PEER_PID
	run_peer "$be.denied" "$shut" --msgs 1 --expect-closed
	is "$?" 0 "$be: allow-uid: root's connection is closed at once"
	check "$be: allow-uid: the refusal is logged" wait_until "$VSP_WAIT" \
	    grep -q 'event=denied rule=shut .*reason=uid-not-allowed' \
	    "$PROXY_LOG"
	# Two messages up, one down, then silence: held open (neither end
	# ends), the proxy's to close.
	spawn "$be.idle" "$VSP_PEER" connect "$open" --msg-sizes 5,0 \
	    --expect-msgs 2 --expect-closed --conn-file "$T/$be.idle.up" \
	    --wait-file "$T/never" --timeout "$VSP_WAIT"
	local idle=$SPAWNED
	wait_for_file "$T/$be.idle.up"
	if [ -x "$VSOCKPROXYCTL" ]; then
		check "$be: show connections lists it, with its rule" \
		    eval '"$VSOCKPROXYCTL" -s "$ctl" show connections |
		    grep -q "^id=[0-9]* rule=open .* target=$tgt "'
	else
		skip "$be: show connections lists it" "no $VSOCKPROXYCTL"
	fi
	check "$be: idle-timeout 1 closes it (reason=idle)" wait_until \
	    "$VSP_WAIT" grep -q 'event=close rule=open .* msgs_up=2 msgs_down=1 reason=idle' \
	    "$PROXY_LOG"
	reap "$idle"
	check "$be: the client saw the close after the target's message" \
	    grep -q ' msgs_recv=1 .* closed=[a-z]* .*ok$' "$T/$be.idle.out"
	usr1
	is "$(grep ' stats rule=open ' "$PROXY_LOG" | tail -n 1 |
	    sed 's/.* stats //' | cut -d' ' -f1-8)" \
	    "rule=open active=0 accepted=1 denied=0 connect_failed=0 closed=1 bytes_up=5 bytes_down=1" \
	    "$be: the message rule's statistics line"
	check "$be: ... and the refusing rule's" grep -q \
	    ' stats rule=shut active=0 accepted=0 denied=1 ' "$PROXY_LOG"
	kill "$tpid" 2>/dev/null
	reap "$tpid"
	stop "$PROXY_PID"
	is "$?" 0 "$be: features: proxy exits 0 on SIGTERM"
}

for_each_backend features

# ---- configuration -----------------------------------------------------

new_addrs ML=unix-seqpacket MT=unix-seqpacket SL=unix
"$VSOCKPROXY" --listen "$ML" --connect "${SL}" >"$T/mix.out" 2>"$T/mix.err"
is "$?" 64 "--listen seqpacket --connect stream: exit 64"
check "... saying why" grep -q 'relays messages (seqpacket) to messages' \
    "$T/mix.err"
"$VSOCKPROXY" --listen "$SL" --connect "$MT" >"$T/mix2.out" 2>"$T/mix2.err"
is "$?" 64 "--listen stream --connect seqpacket: exit 64"

rule mixed "$ML" "$SL" >"$T/mixed.conf"
timeout 5 "$VSOCKPROXY" -t -c "$T/mixed.conf" >"$T/t.out" 2>"$T/t.err"
is "$?" 1 "-t: a rule mixing seqpacket and stream is an error"
check "-t: ... reported as file:line" grep -q \
    "^$T/mixed.conf:3: rule 'mixed' listens on a seqpacket socket but connects to a stream one" \
    "$T/t.err"

# -T writes the seqpacket forms back as they were given.
rule msg "$ML" "$MT" >"$T/msg.conf"
timeout 5 "$VSOCKPROXY" -T -c "$T/msg.conf" >"$T/T.out" 2>"$T/T.err"
check "-T: the seqpacket forms round-trip" eval \
    'grep -q "^	listen $ML\$" "$T/T.out" &&
     grep -q "^	connect $MT\$" "$T/T.out"'

reload() {
	local be="$1" conf="$T/r-$be.conf" keep ktgt gone new ntgt
	new_addrs keep=unix-seqpacket ktgt=unix-seqpacket \
	    gone=unix-seqpacket new=unix-seqpacket ntgt=unix-seqpacket
	{
		rule keep "$keep" "$ktgt"
		rule gone "$gone" "$ktgt"
	} >"$conf"
	if ! start_conf_proxy "pr-$be" "$conf" "$keep" "$gone" -- -v; then
		not_ok "$be: reload: proxy starts"
		return
	fi
	start_peer "$be.ktgt" "$ktgt" --conns 0 --msgs 3 --expect-msgs 3 ||
	    { not_ok "$be: reload: target starts"; return; }
	local ktpid=$PEER_PID
	{
		rule keep "$keep" "$ktgt"
		rule new "$new" "$ntgt"
	} >"$conf"
	check "$be: reload: 1 kept, 1 added, 1 removed" \
	    hup "reloaded .*: 2 rule\(s\): 1 kept, 1 added, 1 removed"
	check "$be: reload: the removed rule stops listening" \
	    wait_for_unlisten "$gone"
	run_peer "$be.k1" "$keep" --msgs 3 --expect-msgs 3
	check "$be: reload: the kept message rule relays" peer_passed "$be.k1" 1
	PROXY_ADDR=$new
	check "$be: reload: the new message rule relays" \
	    exchange "$be.n1" "$ntgt" "--msg-sizes 0,5 --expect-msgs 1" \
	    "--msgs 1 --expect-msgs 2"
	rule bad "$(echo "$gone" | sed 's/-seqpacket//')" "$ntgt" >>"$conf"
	check "$be: reload: a rule mixing stream and seqpacket is rejected" \
	    hup "has errors: the running configuration stays in force"
	check "$be: reload: ... with file:line" grep -q \
	    "reload: $conf:11: rule 'bad' listens on a stream socket" \
	    "$PROXY_LOG"
	run_peer "$be.k2" "$keep" --msgs 3 --expect-msgs 3
	check "$be: reload: the kept rule still relays" peer_passed "$be.k2" 1
	kill "$ktpid" 2>/dev/null
	reap "$ktpid"
	stop "$PROXY_PID"
	is "$?" 0 "$be: reload: proxy exits 0 on SIGTERM"
}

for_each_backend reload
done_testing
