# Topology "systemd": a Debian guest whose PID 1 is systemd, with
# vsockproxy installed by `make install DESTDIR=` and the units of
# contrib/systemd in /etc/systemd/system.  Every scenario starts the units
# for real with systemctl; all vsock traffic stays on CID 1
# (vsock_loopback).  Runs under dash (see systemd-run).
#
# Paths are not assumed: the environment files are where the units say
# (systemctl show -p EnvironmentFiles), the default configuration file is
# where the daemon's --help says, so the suite works for any --prefix.

PEER_TIMEOUT=30
SVC=vsockproxy.service

ports() {
	P=$((20000 + vt_num * 10))
}

# Show the scenario's logs and the unit's journal, then fail.
fail() {
	local f
	echo "FAIL: $*"
	for f in *.out; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 8 "$f"
	done
	echo "--- systemctl status"
	systemctl status --no-pager -l "${UNIT:-$SVC}" 2>&1 | tail -n 15
	return 1
}

# Every unit of ours stopped, failures forgotten, drop-ins gone: each
# scenario starts from the installed state.
sd_clean() {
	systemctl stop vsockproxy.socket "$SVC" 'vsockproxy@*.service' \
	    2>/dev/null
	systemctl reset-failed 'vsockproxy*' 2>/dev/null
	if [ -d /etc/systemd/system/vsockproxy.socket.d ]; then
		rm -rf /etc/systemd/system/vsockproxy.socket.d
		systemctl daemon-reload
	fi
	return 0
}

# The environment file a unit reads.
envfile() {	# unit
	systemctl show -p EnvironmentFiles --value "$1" |
	    sed -n 's/^\([^ ]*\) .*/\1/p' | head -n 1
}

# The configuration file the daemon reads without -c.
default_conf() {
	vsockproxy --help 2>&1 |
	    sed -n 's/.*configuration file (\([^)]*\)).*/\1/p' | head -n 1
}

write_env() {	# unit args...
	local f u=$1
	shift
	f=$(envfile "$u")
	[ -n "$f" ] || { echo "no EnvironmentFile= in $u"; return 1; }
	mkdir -p "$(dirname "$f")"
	echo "VSOCKPROXY_ARGS=\"$*\"" > "$f"
}

# One rule NAME from vsock:LPORT to vsock:1:TPORT, in the default file.
write_conf() {	# name lport tport
	local f
	f=$(default_conf)
	mkdir -p "$(dirname "$f")"
	printf 'rule %s {\n\tlisten vsock:%s\n\tconnect vsock:1:%s\n}\n' \
	    "$1" "$2" "$3" > "$f"
}

# systemctl start, bounded (Type=notify: it returns once READY=1).
start() {	# unit
	UNIT=$1
	timeout 30 systemctl start "$1"
}

status_has() {	# text
	systemctl show -p StatusText --value "$SVC" | grep -q "$1"
}

mainpid() {	# unit
	systemctl show -p MainPID --value "$1"
}

# The journal of the unit's current (or last) run, message text only.
journal() {	# unit
	local id
	id=$(systemctl show -p InvocationID --value "$1")
	journalctl -q --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$id"
}
journal_has() {	# unit regex
	journal "$1" | grep -qE "$2"
}
wait_journal() {	# unit regex [seconds]
	vt_wait_until "${3:-20}" "no journal line of $1 matching '$2'" \
	    journal_has "$1" "$2"
}

# A connection through the proxy on vsock:1:$P to a server on $P + 1,
# connected and then held until the file "go" appears; the client's pid
# in held.
held_connection() {
	server srv "vsock:$((P + 1))" --conns 1 --send 300k --expect 200k ||
	    return
	vsp-peer connect "vsock:1:$P" --send 200k --expect 300k \
	    --conn-file up --wait-file go --timeout "$PEER_TIMEOUT" \
	    > cli.out 2>&1 &
	held=$!
	vt_wait_file up 20 || fail "client never connected"
}

# One byte-exact round trip through the proxy on vsock:1:LPORT to a fresh
# server on TPORT.
relay_once() {	# lport tport
	server srv "vsock:$2" --conns 1 --send 200k --expect 100k || return
	client cli "vsock:1:$1" --send 100k --expect 200k || return
	peer_done srv || return
	same_hashes cli.out srv.out
}

# The service as shipped, with the rule in the default configuration file.
service_up() {	# rule lport tport
	write_env "$SVC" -v || return
	write_conf "$1" "$2" "$3"
	start "$SVC" || fail "systemctl start $SVC failed" || return
	vt_wait_listen "$2" 20 || fail "not listening on $2"
}

# ---- scenarios ----------------------------------------------------------

# A fresh install has no environment file: the unit must start without
# one (EnvironmentFile=-).
t_fresh_install() {
	local f
	sd_clean; ports
	f=$(envfile "$SVC")
	[ -n "$f" ] || { echo "no EnvironmentFile= in $SVC"; return 0; }
	rm -f "$f"
	write_conf fresh "$P" "$((P + 1))"
	if start "$SVC"; then
		vt_wait_listen "$P" 20 || fail "not listening on $P"
		return
	fi
	systemctl status --no-pager -l "$SVC" 2>&1 | tail -n 8
	fail "systemctl start $SVC failed without $f"
}

# systemctl start with a configuration file; a client relays through it;
# the journal has the daemon's lines.
t_service() {
	sd_clean; ports
	service_up main "$P" "$((P + 1))" || return
	relay_once "$P" "$((P + 1))" || return
	wait_journal "$SVC" "listening on vsock:$P" || fail "journal" ||
	    return
	wait_journal "$SVC" "^event=open .* peer=vsock:1:" || fail "journal" || return
	wait_journal "$SVC" "^event=close .* peer=vsock:1:" || fail "journal" || return
	journal "$SVC"
}

# Connection lines in the journal name their rule.
t_journal_rule() {
	local lines
	sd_clean; ports
	service_up byrule "$P" "$((P + 1))" || return
	relay_once "$P" "$((P + 1))" || return
	wait_journal "$SVC" "^event=close " || fail "no close line" || return
	lines=$(journal "$SVC" | grep -E '^event=(open|close) ')
	echo "$lines"
	[ -n "$lines" ] || fail "no open or close line" || return
	! echo "$lines" | grep -v -q ' rule=byrule ' ||
	    fail "a connection line without rule=byrule"
}

# systemctl status shows the STATUS= counters (after SIGUSR1, which
# refreshes them).
t_status() {
	local st
	sd_clean; ports
	service_up counted "$P" "$((P + 1))" || return
	relay_once "$P" "$((P + 1))" || return
	wait_journal "$SVC" "^event=close " || fail "no close line" || return
	systemctl kill -s SIGUSR1 --kill-who=main "$SVC" ||
	    fail "systemctl kill -s SIGUSR1" || return
	vt_wait_until 20 "no '1 accepted' in StatusText" status_has \
	    '1 accepted' || fail "STATUS=" || return
	st=$(systemctl status --no-pager "$SVC" | grep 'Status:')
	echo "$st"
	echo "$st" | grep -qE \
	    'Status: "0 active, 1 accepted, 0 denied, 0 connect-failed' ||
	    fail "systemctl status: $st"
}

# systemctl reload (SIGHUP, RELOADING=1 .. READY=1) with a connection
# open: the same process, a new rule listening, the open connection
# byte-exact to its end.
t_reload() {
	local pid1 pid2 cpid
	sd_clean; ports
	service_up held "$P" "$((P + 1))" || return
	pid1=$(mainpid "$SVC")
	held_connection || return
	cpid=$held
	write_conf held "$P" "$((P + 1))"
	printf 'rule added {\n\tlisten vsock:%s\n\tconnect vsock:1:%s\n}\n' \
	    "$((P + 2))" "$((P + 1))" >> "$(default_conf)"
	timeout 30 systemctl reload "$SVC" || fail "systemctl reload" ||
	    return
	wait_journal "$SVC" "reloaded .*1 kept, 1 added, 0 removed" ||
	    fail "reload" || return
	vt_wait_listen "$((P + 2))" 20 || fail "new rule not listening" ||
	    return
	touch go
	vt_wait_pid "$cpid" 30 || fail "client failed after the reload" ||
	    return
	peer_done srv || return
	same_hashes cli.out srv.out || return
	pid2=$(mainpid "$SVC")
	[ "$pid1" = "$pid2" ] || fail "MainPID $pid1 became $pid2" || return
	[ "$(systemctl is-active "$SVC")" = active ] || fail "not active" ||
	    return
}

# systemctl stop with a connection open: the listener goes at once, the
# connection finishes byte for byte, the daemon exits 0.
t_stop_drains() {
	local cpid spid
	sd_clean; ports
	service_up drained "$P" "$((P + 1))" || return
	held_connection || return
	cpid=$held
	timeout 30 systemctl stop "$SVC" &
	spid=$!
	vt_wait_unlisten "$P" 20 || fail "still listening after stop" ||
	    return
	wait_journal "$SVC" "draining 1 connection" || fail "no drain" ||
	    return
	touch go
	vt_wait_pid "$cpid" 30 || fail "client failed during the stop" ||
	    return
	peer_done srv || return
	same_hashes cli.out srv.out || return
	vt_wait_pid "$spid" 30 || fail "systemctl stop failed" || return
	systemctl show -p Result -p ExecMainCode -p ExecMainStatus "$SVC"
	[ "$(systemctl show -p Result --value "$SVC")" = success ] ||
	    fail "Result is not success" || return
	[ "$(systemctl show -p ExecMainStatus --value "$SVC")" = 0 ] ||
	    fail "exit status is not 0"
}

# The template, Ghaf's way: one instance per VM, the four numbers in
# NAME.env.  Instance "ghaf" admits CID 1, instance "other" only CID 3.
t_template() {
	local u=vsockproxy@ghaf.service d=vsockproxy@other.service
	sd_clean; ports
	write_env "$u" -v "$P" 1 "$((P + 1))" 1 || return
	write_env "$d" -v "$((P + 2))" 1 "$((P + 1))" 3 || return
	start "$u" || fail "systemctl start $u failed" || return
	UNIT=$d
	start "$d" || fail "systemctl start $d failed" || return
	UNIT=$u
	vt_wait_listen "$P" 20 || fail "not listening on $P" || return
	vt_wait_listen "$((P + 2))" 20 || fail "not listening on $P" ||
	    return
	relay_once "$P" "$((P + 1))" || return
	vsp-peer connect "vsock:1:$((P + 2))" --expect-refused \
	    --timeout 10 > refused.out 2>&1 ||
	    fail "CID 1 not refused by $d" || return
	wait_journal "$u" "^event=close .* peer=vsock:1:" || fail "journal" || return
	UNIT=$d
	wait_journal "$d" "^event=denied .* peer=vsock:1:" || fail "journal" || return
	journal "$u"
	journal "$d"
}

# Socket activation over real vsock: systemd binds vsock::PORT
# (a drop-in replaces the example's UNIX ListenStream=), the first client
# starts the service, which serves the passed socket as rule "web" (the
# FileDescriptorName=).
t_socket() {
	local d=/etc/systemd/system/vsockproxy.socket.d
	sd_clean; ports
	write_env "$SVC" -v || return
	write_conf web "$P" "$((P + 1))"
	mkdir -p "$d"
	printf '[Socket]\nListenStream=\nListenStream=vsock::%s\n' "$P" \
	    > "$d/vmtest.conf"
	systemctl daemon-reload
	UNIT=vsockproxy.socket
	start vsockproxy.socket || fail "systemctl start failed" || return
	vt_wait_listen "$P" 20 || fail "systemd not listening on $P" || return
	[ "$(systemctl is-active "$SVC")" = inactive ] ||
	    fail "$SVC started before any client" || return
	UNIT=$SVC
	relay_once "$P" "$((P + 1))" || return
	[ "$(systemctl is-active "$SVC")" = active ] ||
	    fail "$SVC not active" || return
	wait_journal "$SVC" "listening on .*socket-activated" ||
	    fail "the passed socket was not used" || return
	journal "$SVC"
}

# A UNIX listener in /run/vsockproxy (as in the man page): the sandbox
# makes / read-only, so the unit needs RuntimeDirectory=.
t_runtime_dir() {
	local s=/run/vsockproxy/admin.sock
	sd_clean; ports
	write_env "$SVC" -v || return
	printf 'rule admin {\n\tlisten unix:%s\n\tconnect vsock:1:%s\n}\n' \
	    "$s" "$((P + 1))" > "$(default_conf)"
	if ! start "$SVC"; then
		systemctl status --no-pager -l "$SVC" 2>&1 | tail -n 8
		fail "systemctl start $SVC failed"
		return
	fi
	server srv "vsock:$((P + 1))" --conns 1 --send 200k --expect 100k ||
	    return
	client cli "unix:$s" --send 100k --expect 200k || return
	peer_done srv || return
	same_hashes cli.out srv.out
}

# The sandbox of the unit is in force on the running daemon.
t_hardening() {
	local pid st
	sd_clean; ports
	service_up sandboxed "$P" "$((P + 1))" || return
	pid=$(mainpid "$SVC")
	st=/proc/$pid/status
	grep -E '^(Uid|NoNewPrivs|Seccomp|CapEff|CapBnd|CapAmb):' "$st"
	awk '$1 == "Uid:" { exit $2 == 0 }' "$st" ||
	    fail "runs as root (DynamicUser=)" || return
	grep -qE '^NoNewPrivs:[[:space:]]+1' "$st" ||
	    fail "NoNewPrivs not set" || return
	grep -qE '^Seccomp:[[:space:]]+2' "$st" ||
	    fail "no seccomp filter (SystemCallFilter=)" || return
	grep -qE '^CapBnd:[[:space:]]+0000000000000400' "$st" ||
	    fail "bounding set is not CAP_NET_BIND_SERVICE alone"
}

suite() {
	local score
	modprobe -a vsock_loopback vsock_diag >/dev/null 2>&1 || {
		depmod -a 2>/dev/null
		modprobe -a vsock_loopback vsock_diag
	} || vt_tap "# modprobe vsock_loopback vsock_diag failed"
	vt_tap "# $(systemctl --version | head -n 1), $(uname -r)"
	vt_test "start $SVC on a fresh install (no environment file)" \
	    t_fresh_install
	vt_test "start $SVC with a configuration file: relays; journal" \
	    t_service
	vt_test "journal: connection lines name their rule" t_journal_rule
	vt_test "systemctl status shows the STATUS= counters" t_status
	vt_test "systemctl reload keeps an open connection, byte-exact" \
	    t_reload
	vt_test "systemctl stop drains an open connection, exit 0" \
	    t_stop_drains
	vt_test "vsockproxy@NAME.service, NAME.env (Ghaf form), two at once" \
	    t_template
	vt_test "vsockproxy.socket with ListenStream=vsock::PORT activates" \
	    t_socket
	vt_test "UNIX listener in /run/vsockproxy under the sandbox" \
	    t_runtime_dir
	vt_test "the sandbox is in force on the running daemon" t_hardening
	(sd_clean)
	for u in "$SVC" vsockproxy@ghaf.service; do
		score=$(systemd-analyze security --no-pager "$u" 2>&1 |
		    grep -o 'Overall exposure level[^:]*: [0-9.]* [A-Z]*')
		vt_tap "# systemd-analyze security: ${score:-no score for $u}"
	done
}
