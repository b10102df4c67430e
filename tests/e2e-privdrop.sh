#!/bin/sh
# e2e-privdrop: -u/--user and -g/--group, and "user"/"group" in the file.
#
# For each event backend:
#   - "-u nobody": once ready, every uid and gid of the process (real,
#     effective, saved, filesystem) is nobody's, the supplementary groups
#     are just nobody's group, no capability is left, and a 1 MiB
#     transfer both ways is byte-exact;
#   - with -d and -p, the daemon runs as nobody; on SIGTERM a pid file in
#     a directory nobody may write to is removed, one in a root-only
#     directory is emptied (vsockproxy(8) says so);
#   - "user nobody" in the file, a held transfer in progress: reloads that
#     add a listener on a privileged port, a UNIX socket in a root-only
#     directory, or that need a root-only file are rejected as a whole,
#     with a log line naming the listener or file and the error; an
#     ACL-only reload still works as nobody; the held transfer finishes
#     byte-exact; a reload asking for another user only warns.
# Once: a numeric --group; -g on the command line over the file's user
# and group; unknown user or group: exit 64, one line naming it; not
# root: already that user is fine, another user is refused (exit 1).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
[ "$(id -u)" = 0 ] || skip_all "not running as root"
NUID=$(id -u nobody 2>/dev/null) || skip_all "no user 'nobody'"
NGID=$(id -g nobody)
# nobody must reach the configuration files and the pid file directory.
chmod 0711 "$T" || bail_out "chmod $T"

# ids PID: the Uid:, Gid: and Groups: lines of PID, values only.
ids() {
	awk '$1 == "Uid:" || $1 == "Gid:" || $1 == "Groups:" {
	    $1 = ""; sub(/^ +/, ""); sub(/ +$/, ""); printf "%s;", $0 }
	    $1 == "CapEff:" || $1 == "CapPrm:" { printf "%s;", $2 }' \
	    "/proc/$1/status" 2>/dev/null
}
# want_ids UID GID: what ids prints for a process fully switched.
want_ids() {
	echo "$1 $1 $1 $1;$2 $2 $2 $2;$2;0000000000000000;0000000000000000;"
}
ready() {
	grep -q 'ready (' "$PROXY_LOG"
}

not_alive() {
	! alive "$1"
}

# A TCP port below ip_unprivileged_port_start that nothing uses, in
# LOW_PORT; fails if unprivileged users may bind every port.
low_port() {
	local start port
	read -r start 2>/dev/null \
	    </proc/sys/net/ipv4/ip_unprivileged_port_start || start=1024
	port=$((start - 1))
	while [ "$port" -ge 600 ]; do
		if ! port_in_use "$port"; then
			LOW_PORT=$port
			return 0
		fi
		port=$((port - 1))
	done
	return 1
}

run_as_nobody() {
	local b=$1 tgt
	new_addr tcp; tgt=$NEW_ADDR
	if ! start_proxy "$b.px" tcp -u nobody --connect "$tgt"; then
		not_ok "$b: -u nobody starts"
		return
	fi
	wait_until "$VSP_WAIT" ready
	is "$(ids "$PROXY_PID")" "$(want_ids "$NUID" "$NGID")" \
	    "$b: -u nobody: uids, gids, groups are nobody's, no capability"
	check "$b: ... says so in its log" grep -q \
	    "running as user nobody (uid $NUID), group .* (gid $NGID)" \
	    "$PROXY_LOG"
	check "$b: ... and relays 1 MiB both ways byte-exact" \
	    exchange "$b.x" "$tgt" "--send 1M --expect 1M" \
	    "--send 1M --expect 1M"
	stop "$PROXY_PID"
	is "$?" 0 "$b: ... and exits 0 on SIGTERM"
}

daemon_pidfile() {
	local b=$1 tgt dir pf pid rc
	start_peer "$b.dsrv" tcp:127.0.0.1:0 --conns 0 --send 1k --expect 1k ||
	    { not_ok "$b: target starts"; return; }
	tgt=$PEER_ADDR
	for dir in root nobody; do
		mkdir -p "$T/$b.$dir"
		[ "$dir" = nobody ] && chown nobody "$T/$b.$dir"
		pf="$T/$b.$dir/vsockproxy.pid"
		new_addr tcp
		"$VSOCKPROXY" -d -p "$pf" -u nobody --event-backend "$b" \
		    --listen "$NEW_ADDR" --connect "$tgt" >"$T/$b.d.out" 2>&1
		rc=$?
		pid=$(head -n 1 "$pf" 2>/dev/null)
		T_PIDS="$T_PIDS $pid"
		is "$rc" 0 "$b: -d -u nobody -p ($dir's directory) exits 0"
		# -d returns once the switch is done: no wait.
		is "$(ids "$pid")" "$(want_ids "$NUID" "$NGID")" \
		    "$b: ... the daemon runs as nobody"
		run_peer "$b.d.$dir" "$NEW_ADDR" --send 1k --expect 1k
		check "$b: ... and relays" peer_passed "$b.d.$dir"
		kill -TERM "$pid"
		wait_until "$VSP_WAIT" not_alive "$pid"
		check "$b: ... SIGTERM stops it" not_alive "$pid"
		if [ "$dir" = nobody ]; then
			check "$b: ... and removes the pid file" test ! -e "$pf"
		else
			check "$b: ... and, unable to remove it, empties it" \
			    sh -c "[ -e '$pf' ] && [ ! -s '$pf' ]"
		fi
	done
	stop "$PEER_PID"
}

reload_as_nobody() {
	local b=$1 keep hold tgt conf low sock holdpid h1
	new_addrs keep=tcp hold=tcp tgt=tcp
	conf="$T/$b.conf"
	{
		echo "user nobody"
		rule keep "$keep" "$hold"
	} >"$conf"
	chmod 0644 "$conf"
	if ! start_conf_proxy "$b.rpx" "$conf" "$keep" -- -v; then
		not_ok "$b: proxy with 'user nobody' starts"
		return
	fi
	wait_until "$VSP_WAIT" ready
	is "$(ids "$PROXY_PID")" "$(want_ids "$NUID" "$NGID")" \
	    "$b: 'user nobody' in the file: runs as nobody"

	# A transfer in progress across all the reloads below.
	start_peer "$b.hold" "$hold" --conns 1 --send 2M --expect 2M \
	    --chunk 16k --read-delay-ms 5 ||
	    { not_ok "$b: target starts"; return; }
	holdpid=$PEER_PID
	spawn "$b.h1" "$VSP_PEER" connect "$keep" --send 2M --expect 2M \
	    --conn-file "$T/$b.h1.up" --wait-file "$T/$b.go" \
	    --timeout "$VSP_WAIT"
	h1=$SPAWNED
	wait_for_file "$T/$b.h1.up"

	# A privileged port: root could bind it at start-up, nobody cannot.
	if low_port; then
		low="tcp:127.0.0.1:$LOW_PORT"
		{
			echo "user nobody"
			rule keep "$keep" "$hold"
			rule low "$low" "$tgt"
		} >"$conf"
		check "$b: reload adding privileged $low is rejected" \
		    hup "rule low: cannot listen: the running configuration"
		check "$b: ... the log names the listener and the error" \
		    grep -q "$low: bind: Permission denied" "$PROXY_LOG"
		check "$b: ... and it does not listen" not_listening "$low"
	else
		skip "$b: reload adding a privileged port is rejected" \
		    "unprivileged users may bind any port here"
		skip "$b: ... the log names the listener and the error" \
		    "see above"
		skip "$b: ... and it does not listen" "see above"
	fi

	# A UNIX socket in a directory only root may enter.
	mkdir -m 0700 "$T/$b.rootonly"
	sock="unix:$T/$b.rootonly/s"
	{
		echo "user nobody"
		rule keep "$keep" "$hold"
		rule sock "$sock" "$tgt"
	} >"$conf"
	check "$b: reload adding $sock in a root-only directory is rejected" \
	    hup "rule sock: cannot listen: the running configuration"
	check "$b: ... the log names the socket and the error" \
	    grep -q "$sock: bind: Permission denied" "$PROXY_LOG"

	# A file only root may read.
	{
		echo "user nobody"
		rule keep "$keep" "$hold"
	} >"$conf"
	chmod 0600 "$conf"
	check "$b: reload of a root-only file is rejected" \
	    hup "has errors: the running configuration stays in force"
	check "$b: ... the log names the file and the error" \
	    grep -q "reload: $conf.*Permission denied" "$PROXY_LOG"
	chmod 0644 "$conf"

	check "$b: the held connection is still open" alive "$h1"
	PROXY_ADDR=$keep
	check "$b: the running rule serves new connections" \
	    exchange "$b.after" "$hold" "--send 64k --expect 64k" \
	    "--send 64k --expect 64k"

	# An ACL-only change needs no privilege.
	{
		echo "user nobody"
		rule keep "$keep" "$hold" "allow-addr 10.0.0.0/8"
	} >"$conf"
	check "$b: ACL-only reload as nobody is applied" \
	    hup "reloaded .*: 1 rule\(s\): 1 kept, 0 added, 0 removed"
	run_peer "$b.denied" "$keep" --expect-refused
	is "$?" 0 "$b: ... the new allow-addr refuses 127.0.0.1"

	release "$T/$b.go" "$h1" "$holdpid"
	check "$b: the transfer held across the reloads is byte-exact" eval \
	    'peer_passed "$b.h1" 1 && peer_passed "$b.hold" 1'
	# The user is set once: a file asking for root now only warns.
	{
		echo "user root"
		rule keep "$keep" "$hold" "allow-addr 10.0.0.0/8"
	} >"$conf"
	check "$b: a reload changing the user warns that it needs a restart" \
	    hup "reload: user and group change only on a restart"
	is "$(ids "$PROXY_PID")" "$(want_ids "$NUID" "$NGID")" \
	    "$b: still nobody after the reloads"
	stop "$PROXY_PID"
	is "$?" 0 "$b: exits 0 on SIGTERM"
}

scenario() {
	run_as_nobody "$1"
	daemon_pidfile "$1"
	reload_as_nobody "$1"
}
for_each_backend scenario

# ---- once ---------------------------------------------------------------
BACKEND=
new_addr tcp; tgt=$NEW_ADDR

if start_proxy num tcp -u nobody --group 4242 --connect "$tgt"; then
	wait_until "$VSP_WAIT" ready
	is "$(ids "$PROXY_PID")" "$(want_ids "$NUID" 4242)" \
	    "--group 4242 (numeric, no entry): gids and groups are 4242"
	check "... and relays" exchange num "$tgt" "--send 64k --expect 64k" \
	    "--send 64k --expect 64k"
	stop "$PROXY_PID"
else
	not_ok "-u nobody --group 4242 starts"
fi

new_addr tcp; a=$NEW_ADDR
{
	echo "user nobody"
	echo "group 4243"
	rule r "$a" "$tgt"
} >"$T/cli.conf"
if start_conf_proxy cli "$T/cli.conf" "$a" -- -g 4244; then
	wait_until "$VSP_WAIT" ready
	is "$(ids "$PROXY_PID")" "$(want_ids "$NUID" 4244)" \
	    "the file's user with -g 4244 over the file's group 4243"
	stop "$PROXY_PID"
else
	not_ok "the file's user with -g starts"
fi

# usage NAME ARGS...: the daemon must exit 64 at once, one line on stderr.
usage() {
	local name=$1 rc
	shift
	new_addr tcp
	"$VSOCKPROXY" "$@" --listen "$NEW_ADDR" --connect "$tgt" \
	    >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	is "$rc" 64 "$*: exit 64"
	is "$(wc -l <"$T/$name.err" | tr -d ' ')" 1 "... one line on stderr"
	check "... naming it" grep -q "$NAME" "$T/$name.err"
	check "... nothing started" not_listening "$NEW_ADDR"
}
NAME="unknown user 'no-such-user-vsp'"
usage baduser -u no-such-user-vsp
NAME="unknown group 'no-such-group-vsp'"
usage badgroup -u nobody -g no-such-group-vsp

{
	echo "user no-such-user-vsp"
	rule r "$a" "$tgt"
} >"$T/bad.conf"
"$VSOCKPROXY" -c "$T/bad.conf" >"$T/badconf.out" 2>"$T/badconf.err"
is "$?" 1 "unknown user in the file: exit 1"
check "... the error names it, as file:line" grep -q \
    "bad.conf:1: user: unknown user 'no-such-user-vsp'" "$T/badconf.err"

# Not root.
if command -v setpriv >/dev/null 2>&1; then
	new_addr tcp; a=$NEW_ADDR
	setpriv --reuid="$NUID" --regid="$NGID" --clear-groups \
	    "$VSOCKPROXY" -u nobody --listen "$a" --connect "$tgt" \
	    >"$T/already.log" 2>&1 &
	PROXY_PID=$!
	PROXY_LOG="$T/already.log"
	T_PIDS="$T_PIDS $PROXY_PID"
	if wait_for_listen "$a" "$PROXY_PID" && wait_until "$VSP_WAIT" ready
	then
		ok "not root, already nobody: -u nobody starts"
		stop "$PROXY_PID"
	else
		not_ok "not root, already nobody: -u nobody starts"
		diag_file "$T/already.log"
	fi
	new_addr tcp; a=$NEW_ADDR
	setpriv --reuid="$NUID" --regid="$NGID" --clear-groups \
	    "$VSOCKPROXY" -u root --listen "$a" --connect "$tgt" \
	    >"$T/notroot.out" 2>"$T/notroot.err"
	is "$?" 1 "not root: -u root is refused with exit 1"
	check "... saying why" grep -q \
	    "cannot switch to user root.*not running as root" \
	    "$T/notroot.err"
	check "... before binding" not_listening "$a"
else
	skip "not root, already nobody: -u nobody starts" "no setpriv"
	skip "not root: -u root is refused with exit 1" "no setpriv"
	skip "... saying why" "no setpriv"
	skip "... before binding" "no setpriv"
fi

done_testing
