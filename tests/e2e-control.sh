#!/bin/sh
# e2e-control: the control socket and vsockproxyctl (issue #13).
#
# One daemon with a TCP and a UNIX rule and "control unix:...", one
# connection held open through each rule (the client reads to EOF, the
# target waits for a file before it ends):
#
#   - the socket is mode 0600; "show connections" lists both, with
#     rule=, peer=, target=, bytes and state=relaying; "show rules" lists
#     both rules with active=1; "show stats", "help" work; an unknown
#     command exits 1 with "error: ...";
#   - "show config" is accepted by "vsockproxy -t" and is the text
#     "vsockproxy -T" prints for the same file and command line;
#   - "metrics" parses: every line a comment or "name{labels} value",
#     every name TYPEd, the gauges right;
#   - a client that has shut down its side shows state=half-closed, one
#     whose target does not answer state=connecting (and "close" ends
#     it too);
#   - "close ID" ends the TCP connection: its client sees EOF, the log
#     says reason=admin, the other connection stays;
#   - "reload" takes a new rule, and reports a broken file as an error;
#   - another user (nobody) is kept out by the mode, and, with the mode
#     opened up, by the SO_PEERCRED check, which logs it (root only);
#   - with -u nobody, the socket is made once the daemon is nobody: it
#     is nobody's, and nobody and root may use it; a directory nobody
#     cannot write to fails the start;
#   - a stale socket at the control path is taken over, a regular file
#     there fails the start and is left alone;
#   - out of descriptors, a waiting client makes the daemon pause
#     accepting (logged once, no CPU burnt), not spin; it is served once
#     descriptors are back;
#   - hostile clients (a 2 kB and a 1 MB line, 1 MB of junk with NUL
#     bytes, 1000 "show connections" from a client that never reads, 20 idle
#     clients) while a slow 16 MiB transfer runs through the TCP rule:
#     the transfer arrives intact, the daemon stays up, answers, and
#     does not grow.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
# Sanitizer runtimes keep freed memory in quarantine: RSS means nothing.
SKIP_RSS=
if grep -q __asan_init "$VSOCKPROXY" 2>/dev/null; then
	SKIP_RSS="AddressSanitizer build"
fi
: "${VSOCKPROXYCTL:=$top_builddir/src/vsockproxyctl}"
[ -x "$VSOCKPROXYCTL" ] || skip_all "no vsockproxyctl at $VSOCKPROXYCTL"

# ctl ARGS...: vsockproxyctl on this scenario's socket.
ctl() {
	"$VSOCKPROXYCTL" -s "$CTL" "$@"
}

# control_up: the daemon of $PROXY_LOG has made its control socket
# (after its listeners: start_proxy waits only for those).
control_up() {
	wait_until "$VSP_WAIT" grep -q 'control socket on ' "$PROXY_LOG"
}

# conns_are N: "show connections" lists N connections.
conns_are() {
	[ "$(ctl show connections | grep -c '^id=')" = "$1" ]
}

# held_relaying: both held connections relay, the target's 1k delivered.
held_relaying() {
	[ "$(ctl show connections | grep -c \
	    'bytes_up=0 bytes_down=1024 state=relaying$')" = 2 ]
}

# has FILE WORDS: a line of FILE has WORDS, between "id=N " or the
# start and "active=1" or " age=N ".
has() {
	grep -Eq "^(id=[0-9]+ )?$2( age=[0-9]+ | .* active=1$)" "$1"
}

# metrics_parse FILE: each line a comment or "name{labels} value", each
# name with a TYPE line.
metrics_parse() {
	local name='[a-zA-Z_:][a-zA-Z0-9_:]*'
	local label='[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
	awk -v sample="^$name([{]$label(,$label)*[}])? [0-9][0-9.e+]*\$" '
	/^# (HELP|TYPE) / { if ($2 == "TYPE") typed[$3] = 1; next }
	$0 ~ sample {
		m = $1; sub(/\{.*/, "", m); seen[m] = 1; n++; next }
	{ print "bad line: " $0; bad = 1 }
	END {
		for (m in seen)
			if (!(m in typed)) { print "untyped: " m; bad = 1 }
		exit bad || n == 0 }' "$1"
}

# metric FILE NAME: the value of one sample.
metric() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

setup() {
	local be="$1"
	new_addrs TL=tcp UL=unix TT=tcp UT=unix BL=tcp BT=tcp NL=tcp HL=tcp
	CTL=$T/$be.ctl
	CONF=$T/$be.conf
	{
		echo "control unix:$CTL"
		rule tr "$TL" "$TT"
		rule ur "$UL" "$UT"
		rule bulk "$BL" "$BT"
		rule hole "$HL" "${HOLE:-tcp:127.0.0.1:1}" "connect-timeout 60"
	} >"$CONF"
	start_conf_proxy "px-$be" "$CONF" "$TL" "$UL" "$BL" "$HL" -- -v ||
		return 1
	control_up || return 1
	# The targets send 1k and wait for the go file before ending.
	start_peer "$be.tt" "$TT" --conns 0 --send 1k \
	    --wait-file "$T/$be.go" || return 1
	TT_PID=$PEER_PID
	start_peer "$be.ut" "$UT" --conns 0 --send 1k \
	    --wait-file "$T/$be.go" || return 1
	UT_PID=$PEER_PID
	# The clients read to EOF: only a close ends them early.
	spawn "$be.tc" "$VSP_PEER" connect "$TL" --order recv-first \
	    --expect 1k --timeout "$VSP_WAIT"
	TC_PID=$SPAWNED
	spawn "$be.uc" "$VSP_PEER" connect "$UL" --order recv-first \
	    --expect 1k --timeout "$VSP_WAIT"
	UC_PID=$SPAWNED
}

show_commands() {
	local be="$1"
	is "$(stat -c %a "$CTL")" 600 "$be: the control socket is mode 0600"
	check "$be: show connections: both held connections, relaying" \
	    wait_until 10 held_relaying
	ctl show connections >"$T/$be.conns"
	check "$be: show connections: id, rule, peer, target, age" eval \
	    "has '$T/$be.conns' 'rule=tr peer=tcp:127.0.0.1:[0-9]+ target=$TT' &&
	     has '$T/$be.conns' 'rule=ur peer=unix:[^ ]* target=$UT'"
	ctl show rules >"$T/$be.rules"
	check "$be: show rules: each rule, its access list and active=1" \
	    eval "has '$T/$be.rules' 'rule=tr listen=$TL connect=$TT allow=any' &&
	     has '$T/$be.rules' 'rule=ur listen=$UL connect=$UT allow=any' &&
	     grep -q '^rule=bulk .* active=0$' '$T/$be.rules'"
	check "$be: show stats" eval \
	    "ctl show stats | grep -q '^active=2 accepted=2 '"
	check "$be: help lists the commands" eval \
	    "ctl help | grep -q '^close ID'"
	ctl frobnicate >/dev/null 2>"$T/$be.bad.err"
	is "$? $(cat "$T/$be.bad.err")" \
	    "1 vsockproxyctl: error: unknown command 'frobnicate' (try 'help')" \
	    "$be: an unknown command: exit 1, error: on stderr"
}

show_config() {
	local be="$1"
	ctl show config >"$T/$be.shown.conf"
	check "$be: show config is a valid configuration (vsockproxy -t)" \
	    "$VSOCKPROXY" -t -c "$T/$be.shown.conf"
	"$VSOCKPROXY" -T --event-backend "$be" -c "$CONF" >"$T/$be.T.conf"
	check "$be: show config is what vsockproxy -T prints" \
	    cmp "$T/$be.shown.conf" "$T/$be.T.conf"
	"$VSOCKPROXY" -T -c "$T/$be.shown.conf" >"$T/$be.TT.conf"
	check "$be: vsockproxy -T of it prints it again" \
	    cmp "$T/$be.shown.conf" "$T/$be.TT.conf"
	{ cat "$CONF"; echo "max-conns 1"; } >"$T/$be.broken.conf"
	"$VSOCKPROXY" -T -c "$T/$be.broken.conf" >"$T/$be.broken.out" \
	    2>"$T/$be.broken.err"
	is "$? $(wc -c <"$T/$be.broken.out") $(wc -l <"$T/$be.broken.err")" \
	    "1 0 1" "$be: vsockproxy -T of a broken file: exit 1, the error only"
}

metrics() {
	local be="$1" m="$T/$be.metrics"
	ctl metrics >"$m"
	check "$be: metrics parse (Prometheus text format)" metrics_parse "$m"
	is "$(metric "$m" vsockproxy_connections_active) \
$(metric "$m" vsockproxy_connections_accepted_total) \
$(metric "$m" 'vsockproxy_rule_connections_active{rule="tr"}') \
$(metric "$m" 'vsockproxy_rule_connections_active{rule="bulk"}')" \
	    "2 2 1 0" "$be: metrics: active, accepted, per rule"
}

close_one() {
	local be="$1" id
	id=$(ctl show connections | sed -n 's/^id=\([0-9]*\) rule=tr .*/\1/p')
	is "$(ctl close "$id")" "closed id=$id" "$be: close $id"
	reap "$TC_PID"
	is "$? $(peer_field "$be.tc" recv)" "0 1024" \
	    "$be: its client sees EOF after the 1k (the target still waits)"
	check "$be: the log says reason=admin" \
	    wait_until 5 log_at_least "$PROXY_LOG" 'close .*reason=admin' 1
	check "$be: the other connection stays" eval \
	    "conns_are 1 && ctl show connections | grep -q ' rule=ur '"
	ctl close "$id" >/dev/null 2>&1
	is "$?" 1 "$be: closing it again is an error"
}

# The other states: a client that has sent all and shut down its side
# while the target still sends is half-closed; one whose target does
# not answer is connecting (and "close" ends that one too).
states() {
	local be="$1" hc cc id
	spawn "$be.hc" "$VSP_PEER" connect "$TL" --order send-first \
	    --send 1k --timeout "$VSP_WAIT"
	hc=$SPAWNED
	check "$be: a client that has shut down its side: half-closed" \
	    wait_until 10 eval "ctl show connections | grep -q \
	    ' rule=tr .* bytes_up=1024 bytes_down=1024 state=half-closed$'"
	if [ -z "$HOLE" ]; then
		skip "$be: a target that does not answer: connecting" \
		    "no black hole here"
	else
		spawn "$be.cc" "$VSP_PEER" connect "$HL" --expect-refused \
		    --timeout "$VSP_WAIT"
		cc=$SPAWNED
		check "$be: a target that does not answer: connecting" \
		    wait_until 10 eval "ctl show connections |
		    grep -q ' rule=hole .* state=connecting$'"
		id=$(ctl show connections |
		    sed -n 's/^id=\([0-9]*\) rule=hole .*/\1/p')
		ctl close "$id" >/dev/null
		reap "$cc"
		is "$?" 0 "$be: close $id while connecting: its client sees EOF"
	fi
	HC_PID=$hc
}

reload_cmd() {
	local be="$1"
	rule nr "$NL" "$TT" >>"$CONF"
	is "$(ctl reload)" reloaded "$be: reload takes a new rule"
	check "$be: ... which listens, and show rules has it" eval \
	    "wait_for_listen '$NL' && ctl show rules | grep -q '^rule=nr '"
	echo "bogus line" >>"$CONF"
	ctl reload >/dev/null 2>"$T/$be.reload.err"
	check "$be: a broken file: reload exits 1 with the reason" eval \
	    "[ $? = 1 ] && grep -q 'error: reload failed: .*has errors' '$T/$be.reload.err'"
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

permissions() {
	local be="$1" rc
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
		skip "$be: another user is refused" "needs root and setpriv"
		return
	fi
	chmod 755 "$T"
	as_nobody "$VSOCKPROXYCTL" -s "$CTL" show stats >/dev/null 2>&1
	is "$?" 69 "$be: nobody: the mode (0600) keeps it out (exit 69)"
	# Past the mode: the daemon's own check.
	chmod 666 "$CTL"
	as_nobody "$VSOCKPROXYCTL" -s "$CTL" show stats >"$T/$be.nobody.out" \
	    2>&1
	rc=$?
	chmod 600 "$CTL"
	is "$rc $(grep -c '^active=' "$T/$be.nobody.out")" "69 0" \
	    "$be: nobody, with the mode opened: refused (SO_PEERCRED)"
	check "$be: ... and logged" wait_until 5 log_at_least "$PROXY_LOG" \
	    'control: refused uid 65534' 1
}

# as_user BACKEND: a daemon started as root with -u nobody makes its
# control socket once it is nobody: the socket is nobody's, mode 0600,
# and both nobody and root may use it; one in a directory nobody may
# not write to fails the start, naming it.
as_user() {
	local be="$1" d="$T/$be.nobody" pid rc l c
	local main_pid="$PROXY_PID" main_log="$PROXY_LOG"
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
	    ! id nobody >/dev/null 2>&1; then
		skip "$be: -u nobody: the socket is nobody's" \
		    "needs root, setpriv and a user nobody"
		return
	fi
	mkdir "$d" && chown nobody "$d" && chmod 700 "$d"
	start_relay "px-$be-nobody" tcp -u nobody --control "$d/ctl.sock" ||
		{ not_ok "$be: -u nobody --control: starts"; return; }
	pid=$PROXY_PID
	control_up
	is "$(stat -c '%U %a' "$d/ctl.sock")" "nobody 600" \
	    "$be: -u nobody: the socket is nobody's, mode 0600"
	check "$be: ... root may use it" eval \
	    "'$VSOCKPROXYCTL' -s '$d/ctl.sock' show stats | grep -q '^active='"
	check "$be: ... and so may nobody" eval \
	    "as_nobody '$VSOCKPROXYCTL' -s '$d/ctl.sock' show stats |
	     grep -q '^active='"
	stop "$pid"
	check "$be: ... and it is removed at exit" test ! -e "$d/ctl.sock"
	PROXY_PID=$main_pid
	PROXY_LOG=$main_log
	new_addrs l=tcp c=tcp
	mkdir -p "$T/$be.rootonly"
	"$VSOCKPROXY" --event-backend "$be" --listen "$l" --connect "$c" \
	    -u nobody --control "$T/$be.rootonly/ctl.sock" \
	    >"$T/$be.rootonly.log" 2>&1 &
	pid=$!
	T_PIDS="$T_PIDS $pid"
	reap "$pid"
	rc=$?
	check "$be: a directory nobody cannot write to: exit 1, said" eval \
	    "[ $rc = 1 ] && grep -q 'rootonly/ctl.sock: bind: Permission denied' \
	     '$T/$be.rootonly.log'"
}

hostile() {
	local be="$1" rss0 rss1 bulk i idle noread
	if ! command -v socat >/dev/null 2>&1; then
		skip "$be: hostile control clients" "no socat"
		return
	fi
	start_peer "$be.bt" "$BT" --send 16M --expect 16M ||
		{ not_ok "$be: bulk target starts"; return; }
	rss0=$(vm_kb "$PROXY_PID" VmRSS)
	spawn "$be.bc" "$VSP_PEER" connect "$BL" --send 16M --expect 16M \
	    --chunk 16k --read-delay-ms 2 --timeout "$VSP_WAIT"
	bulk=$SPAWNED
	wait_until 10 eval "ctl show connections | grep -q ' rule=bulk '"
	# A line too long: an error, then the daemon hangs up (on a 1 MB
	# one, socat meets the hang-up while still sending: no reply).
	head -c 2000 /dev/zero | tr '\0' a |
	    socat -t 5 - "unix:$CTL" >"$T/$be.long.out" 2>/dev/null
	head -c 1048576 /dev/zero | tr '\0' a |
	    socat -t 5 - "unix:$CTL" >/dev/null 2>&1
	# 1 MB of junk (NUL bytes among it).
	head -c 1048576 /dev/urandom |
	    socat -t 5 - "unix:$CTL" >/dev/null 2>&1
	# A thousand commands from a client that never reads.
	i=0
	while [ $i -lt 1000 ]; do
		echo "show connections"
		i=$((i + 1))
	done >"$T/$be.many"
	# (socat leaves 3 s after its input ends, or after 3 s idle: no
	# kill needed, so no pid that may have been reused is signalled.)
	spawn "$be.noread" socat -u -t 3 "OPEN:$T/$be.many" "unix:$CTL"
	noread=$SPAWNED
	check "$be: ... while it waits, the daemon answers others" eval \
	    "ctl show stats | grep -q '^active='"
	# Idle clients, beyond the limit of 16: the last are turned away.
	idle=
	i=0
	while [ $i -lt 20 ]; do
		spawn "$be.idle$i" socat -u -T 3 "unix:$CTL" STDOUT
		idle="$idle $SPAWNED"
		i=$((i + 1))
	done
	check "$be: 20 idle clients: those past 16 are turned away" \
	    wait_until 10 log_at_least "$PROXY_LOG" \
	    'control: 16 clients already' 1
	for i in $idle $noread; do
		reap "$i"
	done
	check "$be: once they leave, the daemon answers again" \
	    wait_until 10 eval "ctl show stats 2>/dev/null | grep -q '^active='"
	check "$be: a line too long: an error, then the end" \
	    grep -q '^error: line longer than 1023 bytes$' "$T/$be.long.out"
	reap "$bulk"
	check "$be: the transfer meanwhile arrives intact" \
	    peer_passed "$be.bc" 1
	reap "$PEER_PID"
	check "$be: the daemon stays up" alive "$PROXY_PID" ||
	    diag_file "$PROXY_LOG"
	rss1=$(vm_kb "$PROXY_PID" VmRSS)
	if [ -n "$SKIP_RSS" ]; then
		skip "$be: and does not grow" "$SKIP_RSS"
	else
		check "$be: and does not grow (${rss0:-?} kB -> ${rss1:-?} kB)" \
		    eval '[ -n "$rss1" ] && [ "$rss1" -lt $((rss0 + 20000)) ]'
	fi
}

# stale BACKEND: a stale socket at the control path (its server killed)
# is taken over, as a listener's is; a regular file there fails the
# start, named, and is left alone.
stale() {
	local be="$1" p="$T/$be.stale.sock" pid rc l c
	start_peer "$be.stale" "unix:$p" ||
		{ not_ok "$be: a stale socket's server starts"; return; }
	kill -KILL "$PEER_PID"
	reap "$PEER_PID"
	start_relay "px-$be-stale" tcp --control "$p" ||
		{ not_ok "$be: a stale control socket is taken over"; return; }
	pid=$PROXY_PID
	control_up
	check "$be: a stale control socket is taken over" eval \
	    "'$VSOCKPROXYCTL' -s '$p' show stats | grep -q '^active=0 '"
	stop "$pid"
	echo keep >"$p"
	new_addrs l=tcp c=tcp
	"$VSOCKPROXY" --event-backend "$be" --listen "$l" --connect "$c" \
	    --control "$p" >"$T/$be.file.log" 2>&1 &
	pid=$!
	T_PIDS="$T_PIDS $pid"
	reap "$pid"
	rc=$?
	check "$be: a regular file there: exit 1, named, left alone" eval \
	    "[ $rc = 1 ] && [ \"\$(cat '$p')\" = keep ] &&
	     grep -q 'stale.sock: a regular file, not a socket' \
	     '$T/$be.file.log'"
}

# cpu_ticks PID: user+system clock ticks so far.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# no_fds BACKEND: out of descriptors, a control client waits in the
# backlog while the daemon pauses accepting (logged once) instead of
# spinning on the readable socket; with descriptors back, it is served.
no_fds() {
	local be="$1" p="$T/$be.nofd.sock" pid nfd t0 t1 ms cl hard
	if ! command -v prlimit >/dev/null 2>&1; then
		skip "$be: out of descriptors: no spinning" "no prlimit(1)"
		return
	fi
	start_relay "px-$be-nofd" tcp --control "$p" ||
		{ not_ok "$be: out of descriptors: daemon starts"; return; }
	pid=$PROXY_PID
	control_up
	nfd=$(ls "/proc/$pid/fd" | sort -n | awk '
	    { used[$1] = 1 } END { for (i = 0; ; i++) if (!(i in used)) {
		print i; exit } }')
	# The soft limit only: raising it back needs no privilege.
	hard=$(prlimit --pid "$pid" --nofile --noheadings --output HARD)
	prlimit --pid "$pid" --nofile="$nfd:"
	spawn "$be.nofd.ctl" "$VSOCKPROXYCTL" -s "$p" show stats
	cl=$SPAWNED
	check "$be: out of descriptors: the control socket pauses, logged" \
	    wait_until 5 grep -q 'control: accept (pausing' "$PROXY_LOG"
	t0=$(cpu_ticks "$pid")
	sleep 1		# a measurement, not a wait
	t1=$(cpu_ticks "$pid")
	ms=$(( (t1 - t0) * 1000 / $(getconf CLK_TCK) ))
	lt "$ms" 250 "$be: $ms ms of CPU in 1 s of it (no spinning)"
	prlimit --pid "$pid" --nofile="$hard:"
	reap "$cl"
	is "$? $(grep -c 'control: accept (pausing' "$PROXY_LOG")" "0 1" \
	    "$be: descriptors back: the client is served; logged once"
	stop "$pid"
}

scenario() {
	local be="$1"
	if ! setup "$be"; then
		not_ok "$be: daemon, targets and held clients start"
		return
	fi
	show_commands "$be"
	show_config "$be"
	metrics "$be"
	close_one "$be"
	states "$be"
	reload_cmd "$be"
	permissions "$be"
	as_user "$be"
	hostile "$be"
	touch "$T/$be.go"
	reap "$UC_PID"
	is "$?" 0 "$be: the other held connection ends cleanly"
	reap "$HC_PID"
	is "$?" 0 "$be: so does the half-closed one"
	stop "$PROXY_PID"
	is "$?" 0 "$be: the daemon exits 0 on SIGTERM"
	check "$be: and removes its control socket" test ! -e "$CTL"
	stale "$be"
	no_fds "$be"
	kill "$TT_PID" "$UT_PID" 2>/dev/null
}

# A target that never answers, for the "connecting" state.
HOLE=
blackhole bh 120 || HOLE=

# The client alone: usage, and no daemon to talk to.
"$VSOCKPROXYCTL" >/dev/null 2>"$T/usage.err"
is "$? $(wc -l <"$T/usage.err")" "64 1" \
    "vsockproxyctl without a command: exit 64, one line"
"$VSOCKPROXYCTL" -s >/dev/null 2>&1
is "$?" 64 "vsockproxyctl -s without a path: exit 64"
"$VSOCKPROXYCTL" -s "$T/none.sock" show stats >/dev/null 2>"$T/none.err"
is "$?" 69 "vsockproxyctl with no daemon there: exit 69"
check "... naming the socket" grep -q "none.sock: No such file" \
    "$T/none.err"
check "vsockproxyctl -h: the usage, the default socket" eval \
    "'$VSOCKPROXYCTL' -h | grep -q 'control.sock'"

for_each_backend scenario
done_testing
