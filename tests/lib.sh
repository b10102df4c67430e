# tests/lib.sh: helpers for vsockproxy's end-to-end TAP tests.
#
# A test script sources this file, then writes TAP through the helpers:
#
#	. "${top_srcdir:-.}/tests/lib.sh"
#	require_proxy			# or skip_all when there is no daemon
#	for_each_backend my_scenario	# runs my_scenario BACKEND for each
#	done_testing			# the plan; exit 1 on failures
#
# Environment (exported by "make check"; direct runs fall back to the
# build tree the script sits in):
#	VSOCKPROXY	the daemon		VSP_PEER	tests/vsp-peer
#	VSP_NOTIFY	tests/vsp-notify	VSP_ADDR	tests/vsp-addr
#	top_srcdir	source tree		top_builddir	build tree
#	VSP_BACKEND	run only this event backend (epoll or poll)
#	VSP_KEEP	non-empty: keep the scratch directory for a look
#	VSP_VERBOSE	non-empty: copy logs of failed checks as diagnostics
#	VSP_WRAPPER	a command the daemon is started under, split on
#			blanks (e.g. "valgrind --error-exitcode=99"); see
#			"make check-valgrind"
#
# Rules the helpers make easy: nothing waits with a fixed sleep for
# readiness (wait_for_* poll with a deadline), every process started
# through spawn/start_proxy/start_peer is killed on exit, and all files go
# into one scratch directory, $T, that is removed on exit.
#
# Everything here, and every script that sources it, is POSIX sh plus
# "local", and plus one thing POSIX leaves open: "VAR=VALUE function"
# exports VAR to what the function runs, and only while it runs (dash,
# busybox sh and bash all do; e.g. "NOTIFY_SOCKET=... start_proxy ...").
# /proc is used for liveness, listening sockets and memory use, so the
# tests are Linux-only, like vsock.

# ---- environment -------------------------------------------------------

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${VSOCKPROXY:=$top_builddir/src/vsockproxy}"
: "${VSP_PEER:=$top_builddir/tests/vsp-peer}"
: "${VSP_NOTIFY:=$top_builddir/tests/vsp-notify}"
: "${VSP_ADDR:=$top_builddir/tests/vsp-addr}"

# Bound for anything a test waits on, in whole seconds.  Generous: a
# loaded machine is slow, a hung one is not.
: "${VSP_WAIT:=30}"

# ---- TAP ---------------------------------------------------------------

T_N=0		# tests run so far
T_FAILED=0	# of which failed
T_PLANNED=	# plan printed up front, if any

# plan N: announce N tests up front (or use done_testing instead).
plan() {
	T_PLANNED=$1
	echo "1..$1"
}

# skip_all REASON: the whole script cannot run here.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# bail_out REASON: stop everything (the harness marks the script failed).
bail_out() {
	echo "Bail out! $*"
	exit 99
}

# diag MESSAGE...: a TAP comment, one per line.
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# diag_file FILE [LINES]: show the end of a log as diagnostics.
diag_file() {
	[ -s "$1" ] || return 0
	diag "--- $(basename "$1") (last ${2:-15} lines)"
	tail -n "${2:-15}" "$1" | sed 's/^/#   /'
}

# ok DESCRIPTION / not_ok DESCRIPTION: record a result.
ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}
not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}

# skip DESCRIPTION REASON: a test that cannot run here.
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	local desc="$1"
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "failed: $*"
		return 1
	fi
}

# is GOT WANT DESCRIPTION: ok when the strings are equal.
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got '$1', want '$2'"
		return 1
	fi
}

# lt GOT LIMIT DESCRIPTION: ok when the integer GOT < LIMIT.
lt() {
	if [ -n "$1" ] && [ "$1" -lt "$2" ] 2>/dev/null; then
		ok "$3"
	else
		not_ok "$3"
		diag "got '$1', want less than $2"
		return 1
	fi
}

# done_testing: print the plan if none was given; exit 1 on failures.
done_testing() {
	if [ -z "$T_PLANNED" ]; then
		echo "1..$T_N"
	elif [ "$T_PLANNED" != "$T_N" ]; then
		diag "planned $T_PLANNED tests but ran $T_N"
		T_FAILED=$((T_FAILED + 1))
	fi
	[ "$T_FAILED" -eq 0 ]
	exit
}

# ---- scratch directory and clean-up ------------------------------------

T_PIDS=		# every background process we started

T=$(mktemp -d "${TMPDIR:-/tmp}/vsp-test.XXXXXX") ||
	bail_out "cannot create a scratch directory"
# The daemon refuses configuration files that group or others may write,
# whatever umask the caller has.
umask 022

# Kill what is still running (TERM, then KILL after a grace period) and
# remove the scratch directory.  Runs on any exit.
cleanup() {
	local pid left end
	trap - EXIT INT TERM HUP PIPE
	for pid in $T_PIDS; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	deadline 2
	end=$DEADLINE
	while :; do
		left=
		for pid in $T_PIDS; do
			alive "$pid" && left="$left $pid"
		done
		[ -z "$left" ] && break
		expired "$end" && break
		sleep 0.01
	done
	for pid in $left; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $T_PIDS; do
		wait "$pid" 2>/dev/null
	done
	if [ -n "$VSP_KEEP" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# ---- processes ---------------------------------------------------------

# now_ms: monotonic enough wall-clock milliseconds.
now_ms() {
	date +%s%3N
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
# (Builtins only: it runs in polling loops.)
alive() {
	local stat state
	case "$1" in
	''|*[!0-9]*)	return 1 ;;
	esac
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	# The state follows the parenthesised command name.
	state=${stat##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# deadline SECONDS: set DEADLINE, in centiseconds of uptime, SECONDS
# (whole) from now; expired: true once it has passed.  Wall-clock based,
# so that slow iterations on a loaded machine do not stretch a wait.
uptime_cs() {
	local up rest
	read -r up rest </proc/uptime
	UPTIME_CS=${up%.*}${up#*.}
}
deadline() {
	uptime_cs
	DEADLINE=$((UPTIME_CS + $1 * 100))
}
expired() {
	uptime_cs
	[ "$UPTIME_CS" -ge "$1" ]
}

# spawn NAME COMMAND...: run COMMAND in the background, stdout to
# $T/NAME.out and stderr to $T/NAME.err; the pid is left in $SPAWNED.
spawn() {
	local name="$1"
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	SPAWNED=$!
	T_PIDS="$T_PIDS $SPAWNED"
}

# reap PID [SECONDS]: wait for PID with a deadline; prints nothing and
# returns its exit status, or 124 after killing it when the deadline
# passed.
reap() {
	local pid="$1" end
	deadline "${2:-$VSP_WAIT}"
	end=$DEADLINE
	while alive "$pid"; do
		if expired "$end"; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.01
	done
	wait "$pid"
}

# release FILE PID...: touch the file that held peers wait for
# (--wait-file), then reap each of them.
release() {
	local go="$1" pid
	shift
	touch "$go"
	for pid; do
		reap "$pid"
	done
}

# not_alive PID: the process is gone (or a zombie).
not_alive() {
	! alive "$1"
}

# is_vsockproxy PID: PID is alive and runs $VSOCKPROXY (a detached
# daemon, or one that a service manager's stand-in exec'd).
is_vsockproxy() {
	alive "$1" &&
	    [ "$(readlink "/proc/$1/exe")" = "$(readlink -f "$VSOCKPROXY")" ]
}

# stop PID: SIGTERM, then reap with the usual deadline.
stop() {
	kill -TERM "$1" 2>/dev/null
	reap "$1"
}

# wait_for_file PATH [SECONDS]: poll until PATH exists.
wait_for_file() {
	wait_until "${2:-$VSP_WAIT}" test -e "$1"
}

# wait_until SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
	local end
	deadline "$1"
	end=$DEADLINE
	shift
	until "$@"; do
		expired "$end" && return 1
		sleep 0.01
	done
}

# ---- addresses and listeners -------------------------------------------

# is_listening ADDR: a tcp:, unix: or unix-seqpacket: address has a
# listening socket
# (read from /proc/net, so it does not connect and disturb anyone).
is_listening() {
	local port hex
	case "$1" in
	tcp:*)
		port=${1##*:}
		hex=$(printf '%04X' "$port")
		# local_address is field 2, state 0A is LISTEN.
		awk -v p=":$hex" '$4 == "0A" &&
		    substr($2, length($2) - 4) == p { found = 1 }
		    END { exit !found }' /proc/net/tcp /proc/net/tcp6 \
		    2>/dev/null
		;;
	unix:*|unix-seqpacket:*)
		# Flags 00010000 is __SO_ACCEPTCON: a listening socket.
		awk -v p="${1#*:}" '$4 == "00010000" && $NF == p \
		    { found = 1 } END { exit !found }' /proc/net/unix
		;;
	*)
		return 1
		;;
	esac
}

# backlog ADDR: how many connections wait in the accept queue of the
# listener at a tcp: or unix: address: connected, not yet accepted.
# (TCP from /proc/net, rx_queue of the listening socket; UNIX from ss.)
backlog() {
	local hex
	case "$1" in
	tcp:*)
		hex=$(awk -v p="$(printf ':%04X' "${1##*:}")" '$4 == "0A" &&
		    substr($2, length($2) - 4) == p {
		    sub(/.*:/, "", $5); print $5; exit }' \
		    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
		echo $((0x${hex:-0}))
		;;
	unix:*)
		ss -Hxl src "${1#unix:}" 2>/dev/null |
		    awk '{ print $3; exit }'
		;;
	esac
}
backlog_is() {	# addr n
	[ "$(backlog "$1")" = "$2" ]
}

# wait_for_listen ADDR [PID [SECONDS]]: poll until ADDR listens; fail
# early if PID (the process that should listen) has died.
wait_for_listen() {
	local end
	deadline "${3:-$VSP_WAIT}"
	end=$DEADLINE
	until is_listening "$1"; do
		[ -n "$2" ] && ! alive "$2" && return 1
		expired "$end" && return 1
		sleep 0.01
	done
}

# wait_for_unlisten ADDR [SECONDS]: poll until nothing listens on ADDR.
wait_for_unlisten() {
	wait_until "${2:-$VSP_WAIT}" not_listening "$1"
}
not_listening() {
	! is_listening "$1"
}

# free_port: set FREE_PORT to a TCP port that no socket uses, below the
# ephemeral range so that outgoing connections cannot take it before we
# bind it.  (The helpers that allocate set variables rather than print,
# because their counters would not survive a $(...) subshell.)
free_port() {
	local lo hi port i=0
	read -r lo hi 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range ||
		lo=32768
	[ "$lo" -gt 11000 ] || lo=32768
	while [ $i -lt 100 ]; do
		# 10000 .. lo-1, from the pid and a counter to spread
		# concurrent test scripts.
		port=$(( 10000 + ( $$ * 131 + T_PORTS * 7919 + i * 613 ) % \
		    (lo - 10000) ))
		T_PORTS=$((T_PORTS + 1))
		if ! port_in_use "$port"; then
			FREE_PORT=$port
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}
T_PORTS=0
T_SOCKS=0

# port_in_use PORT: a TCP socket of any state (TIME_WAIT too) has PORT
# as its local port.
port_in_use() {
	awk -v p="$(printf ':%04X' "$1")" '
	    substr($2, length($2) - 4) == p { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# new_addr tcp|tcp6|unix|unix-seqpacket: set NEW_ADDR to a fresh address
# to listen on.
new_addr() {
	case "$1" in
	tcp)	free_port || bail_out "no free TCP port"
		NEW_ADDR="tcp:127.0.0.1:$FREE_PORT" ;;
	tcp6)	free_port || bail_out "no free TCP port"
		NEW_ADDR="tcp:[::1]:$FREE_PORT" ;;
	unix)	T_SOCKS=$((T_SOCKS + 1))
		NEW_ADDR="unix:$T/sock$T_SOCKS" ;;
	unix-seqpacket)
		T_SOCKS=$((T_SOCKS + 1))
		NEW_ADDR="unix-seqpacket:$T/sock$T_SOCKS" ;;
	*)	bail_out "new_addr: unknown transport $1" ;;
	esac
}

# new_addrs VAR=TRANSPORT...: a fresh address of each transport, as
# new_addr makes them, in each VAR.
new_addrs() {
	local a
	for a; do
		new_addr "${a#*=}"
		eval "${a%%=*}=\$NEW_ADDR"
	done
}

# have_ipv6: the loopback has ::1.
have_ipv6() {
	[ -r /proc/net/if_inet6 ] &&
	    grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# ---- the daemon and the peer -------------------------------------------

# require_proxy: skip the script unless the daemon and the peer exist.
require_proxy() {
	[ -x "$VSOCKPROXY" ] || skip_all "no daemon at $VSOCKPROXY"
	require_peer
}

# require_peer: skip the script unless tests/vsp-peer exists.
require_peer() {
	[ -x "$VSP_PEER" ] || skip_all "no test peer at $VSP_PEER"
}

# backends: the event backends to run: $VSP_BACKEND, or both.
backends() {
	echo "${VSP_BACKEND:-epoll poll}"
}

# for_each_backend FUNCTION [ARGS...]: run FUNCTION BACKEND ARGS... for
# each backend, with $BACKEND set.
for_each_backend() {
	local fn="$1"
	shift
	for BACKEND in $(backends); do
		"$fn" "$BACKEND" "$@"
	done
}

# start_proxy NAME TRANSPORT ARGS...: start the daemon listening on a new
# TRANSPORT address (tcp, tcp6, unix) with ARGS (e.g. --connect ADDR) and
# --event-backend $BACKEND; wait until it listens.  Sets PROXY_PID,
# PROXY_ADDR and PROXY_LOG ($T/NAME.log, stdout and stderr).  A TCP port
# that turns out to be taken is retried with another.  Returns 1 (with
# diagnostics) if the daemon does not come up.
start_proxy() {
	local name="$1" transport="$2" try=0
	shift 2
	while [ $try -lt 3 ]; do
		new_addr "$transport"
		PROXY_ADDR=$NEW_ADDR
		# shellcheck disable=SC2086 # the wrapper is split on blanks
		$VSP_WRAPPER "$VSOCKPROXY" \
		    ${BACKEND:+--event-backend "$BACKEND"} \
		    --listen "$PROXY_ADDR" "$@" >"$T/$name.log" 2>&1 &
		PROXY_PID=$!
		PROXY_LOG="$T/$name.log"
		T_PIDS="$T_PIDS $PROXY_PID"
		if wait_for_listen "$PROXY_ADDR" "$PROXY_PID"; then
			return 0
		fi
		if alive "$PROXY_PID"; then
			diag "proxy did not listen on $PROXY_ADDR in time"
			break
		fi
		wait "$PROXY_PID" 2>/dev/null
		grep -qi 'in use' "$T/$name.log" || break
		try=$((try + 1))
	done
	diag "cannot start: $VSOCKPROXY --listen $PROXY_ADDR $*"
	diag_file "$T/$name.log"
	return 1
}

# start_relay NAME TRANSPORT ARGS...: start_proxy NAME TRANSPORT --connect
# TARGET ARGS..., TARGET a new TRANSPORT address that nothing listens on
# yet, left in $TARGET for the test's server.  Returns as start_proxy; the
# caller reports the failure, in its own words.
start_relay() {
	local name="$1" transport="$2"
	shift 2
	new_addr "$transport"
	TARGET=$NEW_ADDR
	start_proxy "$name" "$transport" --connect "$TARGET" "$@"
}

# start_peer NAME ADDR ARGS...: start "vsp-peer listen ADDR ARGS" and wait
# until it listens.  Sets PEER_PID and PEER_ADDR (the real address, with
# the port chosen when ADDR says port 0).  Output: $T/NAME.out, .err.
start_peer() {
	local name="$1" addr="$2"
	shift 2
	rm -f "$T/$name.ready"
	# The peer's own deadline is a last resort (reap has the real one),
	# long enough for a server that outlives several steps; a later
	# --timeout in ARGS wins.
	spawn "$name" "$VSP_PEER" listen "$addr" \
	    --ready-file "$T/$name.ready" --timeout $((VSP_WAIT * 6)) "$@"
	PEER_PID=$SPAWNED
	wait_until "$VSP_WAIT" file_or_dead "$T/$name.ready" "$PEER_PID"
	if [ ! -e "$T/$name.ready" ]; then
		diag "vsp-peer listen $addr did not come up"
		diag_file "$T/$name.err"
		return 1
	fi
	PEER_ADDR=$(cat "$T/$name.ready")
}
file_or_dead() {
	[ -e "$1" ] || ! alive "$2"
}

# blackhole NAME SECONDS: start a TCP target that never answers, for
# SECONDS at most; sets HOLE (its address).  A vsp-peer listens with a
# backlog of 0 and never accepts, its queue filled by one connection;
# Linux then drops further SYNs, so a connect() to it neither succeeds
# nor fails.  Fails unless a direct connection does time out.
blackhole() {
	start_peer "$1.hole" "tcp:127.0.0.1:0" --no-accept --backlog 0 \
	    --timeout "$2" || return 1
	HOLE=$PEER_ADDR
	# Fill the queue.  This client waits for an EOF that never comes
	# and is killed at the end.
	spawn "$1.fill" "$VSP_PEER" connect "$HOLE" --order recv-first \
	    --timeout "$2"
	# Proof that it is a black hole: a direct connection times out.
	"$VSP_PEER" connect "$HOLE" --expect-refused --timeout 0.3 \
	    >/dev/null 2>&1
	[ $? -eq 2 ]
}

# run_peer NAME ARGS...: run "vsp-peer connect ARGS" in the foreground
# with a deadline; output in $T/NAME.out and .err; returns its status.
run_peer() {
	local name="$1"
	shift
	"$VSP_PEER" connect --timeout "$VSP_WAIT" "$@" \
	    >"$T/$name.out" 2>"$T/$name.err"
}

# peer_passed NAME [CONNS]: NAME's output has CONNS (default: at least
# one) result lines, every one "ok"; diagnostics otherwise.
peer_passed() {
	local n bad
	n=$(grep -c '^conn=' "$T/$1.out" 2>/dev/null)
	bad=$(grep -c -v ' ok$' "$T/$1.out" 2>/dev/null)
	if [ "$bad" = 0 ] && { [ "$n" = "${2:-$n}" ] && [ "$n" -gt 0 ]; }
	then
		return 0
	fi
	diag "$1: $n result lines (want ${2:-some}), $bad not ok"
	diag_file "$T/$1.out" 5
	diag_file "$T/$1.err" 5
	return 1
}

# exchange NAME TARGET "SERVER ARGS" "CLIENT ARGS": start a vsp-peer
# server on TARGET, run a vsp-peer client through the proxy at
# $PROXY_ADDR, and succeed when both exit 0 with every connection "ok".
# The ARGS strings are split on blanks.  On failure the peers' and the
# proxy's logs ($PROXY_LOG) become diagnostics.
exchange() {
	local name="$1" target="$2" srv="$3" cli="$4" rc src
	# shellcheck disable=SC2086 # splitting is the point
	start_peer "$name.srv" "$target" $srv || return 1
	# shellcheck disable=SC2086
	run_peer "$name.cli" "$PROXY_ADDR" $cli
	rc=$?
	reap "$PEER_PID"
	src=$?
	if [ $rc -eq 0 ] && [ $src -eq 0 ] && peer_passed "$name.cli" &&
	    peer_passed "$name.srv"; then
		return 0
	fi
	diag "$name: client exit $rc, server exit $src"
	diag_file "$T/$name.cli.out" 3
	diag_file "$T/$name.cli.err" 3
	diag_file "$T/$name.srv.out" 3
	diag_file "$T/$name.srv.err" 3
	[ -n "$PROXY_LOG" ] && diag_file "$PROXY_LOG" 5
	return 1
}

# relay_exchanges BACKEND TRANSPORT NAME DESCRIPTION "SERVER ARGS"
# "CLIENT ARGS" [DESCRIPTION "SERVER ARGS" "CLIENT ARGS"]...: a proxy
# on TRANSPORT to a new TRANSPORT target (start_relay), one checked
# exchange through it per triple (files NAME-1, NAME-2, ...), in order,
# then a check that it exits 0 on SIGTERM.  Every description starts
# "BACKEND TRANSPORT: "; a proxy that does not start is one "not ok".
relay_exchanges() {
	local what="$1 $2" tr="$2" name="$3" n=0
	shift 3
	start_relay "px-$name" "$tr" ||
		{ not_ok "$what: proxy starts"; return; }
	while [ $# -ge 3 ]; do
		n=$((n + 1))
		check "$what: $1" exchange "$name-$n" "$TARGET" "$2" "$3"
		shift 3
	done
	[ $# -eq 0 ] || bail_out "relay_exchanges: $# arguments left over"
	stop "$PROXY_PID"
	is "$?" 0 "$what: proxy exits 0 on SIGTERM"
}

# peer_field NAME KEY: the value of KEY=... in the first result line of
# vsp-peer NAME.
peer_field() {
	sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" "$T/$1.out" | head -n 1
}

# peer_accepts NAME: how many connections vsp-peer listen NAME, run with
# -v, has accepted so far (it logs each on stderr);
# peer_accepts_at_least NAME N: at least N.
peer_accepts() {
	grep -c ' accepted' "$T/$1.err"
}
peer_accepts_at_least() {
	[ "$(peer_accepts "$1")" -ge "$2" ]
}

# vm_kb PID FIELD: a /proc/PID/status memory figure (VmRSS, VmHWM) in kB.
vm_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# start_conf_proxy NAME CONF ADDR... [-- ARGS...]: start the daemon with
# "-c CONF" (and --event-backend $BACKEND) and wait until it listens on
# every ADDR.  Sets PROXY_PID and PROXY_LOG ($T/NAME.log).  Returns 1
# (with diagnostics) if it does not come up.
start_conf_proxy() {
	local name="$1" conf="$2" a addrs=
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		addrs="$addrs $1"
		shift
	done
	[ "$1" = -- ] && shift
	# shellcheck disable=SC2086
	$VSP_WRAPPER "$VSOCKPROXY" ${BACKEND:+--event-backend "$BACKEND"} \
	    -c "$conf" "$@" >"$T/$name.log" 2>&1 &
	PROXY_PID=$!
	PROXY_LOG="$T/$name.log"
	T_PIDS="$T_PIDS $PROXY_PID"
	for a in $addrs; do
		if ! wait_for_listen "$a" "$PROXY_PID"; then
			diag "proxy -c $conf did not listen on $a"
			diag_file "$PROXY_LOG"
			return 1
		fi
	done
}

# keep_rule_proxy NAME CONF: write CONF with one TCP rule "keep" to a new
# TCP target, start the daemon on it (start_conf_proxy NAME) and a
# vsp-peer target that serves any number of 1k exchanges; KEEP and
# KEEP_TARGET are the two addresses, for tests that reload CONF and
# check the rule still serves.  Reports "not ok" and returns 1 if either
# does not start.
keep_rule_proxy() {
	new_addrs KEEP=tcp KEEP_TARGET=tcp
	rule keep "$KEEP" "$KEEP_TARGET" >"$2"
	if ! start_conf_proxy "px-$1" "$2" "$KEEP"; then
		not_ok "$1: proxy starts"
		return 1
	fi
	start_peer "$1.srv" "$KEEP_TARGET" --conns 0 --send 1k --expect 1k ||
	    { not_ok "$1: target starts"; return 1; }
}

# rule NAME LISTEN CONNECT [SETTING...]: print a rule block for a
# configuration file; each SETTING is one line, e.g. "max-conns 2".
rule() {
	local name="$1" l="$2" c="$3" s
	shift 3
	printf 'rule %s {\n\tlisten %s\n\tconnect %s\n' "$name" "$l" "$c"
	for s in "$@"; do
		printf '\t%s\n' "$s"
	done
	printf '}\n'
}

# log_count FILE PATTERN: how many lines of FILE match the ERE PATTERN.
log_count() {
	grep -c -E -e "$2" "$1" 2>/dev/null
}

# log_at_least FILE PATTERN N: at least N lines of FILE match the ERE
# PATTERN (for wait_until).
log_at_least() {
	local n
	n=$(log_count "$1" "$2")
	[ "${n:-0}" -ge "$3" ]
}

# nsockets PID: PID's open sockets (not all descriptors: valgrind, when
# the daemon runs under it, opens and closes files of its own).
nsockets() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:'
}
sockets_at_most() {	# pid n
	[ "$(nsockets "$1")" -le "$2" ]
}
sockets_at_least() {	# pid n
	[ "$(nsockets "$1")" -ge "$2" ]
}

# reloads PATTERN: how many lines of the proxy's log match PATTERN.
reloads() {
	log_count "$PROXY_LOG" "$1"
}

# hup PATTERN: send the proxy SIGHUP and wait for one more line of its log
# matching PATTERN.
hup() {
	HUP_PAT=$1
	HUP_N=$(reloads "$HUP_PAT")
	kill -HUP "$PROXY_PID"
	wait_until "$VSP_WAIT" hup_done
}
hup_done() {
	[ "$(reloads "$HUP_PAT")" -gt "$HUP_N" ]
}

# ---- statistics --------------------------------------------------------

# usr1 [PID [LOG]]: SIGUSR1 the daemon (default $PROXY_PID, logging to
# $PROXY_LOG) and wait until LOG has one more statistics line.  The line
# also proves that the daemon's loop has gone round since the signal.
usr1() {
	local pid="${1:-$PROXY_PID}" log="${2:-$PROXY_LOG}" n
	n=$(log_count "$log" ' stats active=')
	kill -USR1 "$pid" || return 1
	wait_until "$VSP_WAIT" log_at_least "$log" ' stats active=' \
	    $((${n:-0} + 1))
}

# last_stats [LOG]: the key=value part of LOG's newest statistics line.
last_stats() {
	grep ' stats active=' "${1:-$PROXY_LOG}" | tail -n 1 |
	    sed 's/.* stats //'
}

# zero_copy_default: on or off, as the daemon was built (--help says).
zero_copy_default() {
	"$VSOCKPROXY" --help | sed -n 's/.*instead of copying (\(o[nf]*\)).*/\1/p'
}

# stat_of KEY [LOG]: one value of LOG's newest statistics line.
stat_of() {
	last_stats "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
