#!/bin/sh
# e2e-log-output: where log lines go and how they look.  On stderr, lines
# carry a timestamp, ident and pid, or "<N>" priorities when stderr is the
# journal; -s sends to syslog with ident vsockproxy, the pid and the right
# facility and priority (a test socket stands in for /dev/log inside a
# private mount namespace); -d logs to syslog by default, its start-up
# lines (what it listens on, or why it cannot start) too, while they
# also reach the caller's stderr.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
require_proxy

plan 12

# on_stderr NAME [VAR=VALUE...]: run the daemon with VAR=VALUE in its
# environment and its stderr in $T/NAME.err until it says it listens;
# sets pid.
on_stderr() {
	local name="$1"
	shift
	new_addr tcp
	spawn "$name" env "$@" "$VSOCKPROXY" --listen "$NEW_ADDR" \
	    --connect tcp:127.0.0.1:1
	pid=$SPAWNED
	wait_until "$VSP_WAIT" grep -qs 'listening on' "$T/$name.err"
	stop "$pid"
}

# Plain stderr: ISO timestamp, ident and pid.
on_stderr plain
check "stderr lines have a timestamp, ident and pid" grep -Eq \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ vsockproxy\\[$pid\\]: listening on" \
    "$T/plain.err"

# stderr is the journal when JOURNAL_STREAM names its device:inode (spawn
# truncates the file, which keeps its inode).
: >"$T/journal.err"
on_stderr journal "JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.err")"
check "journal stderr: <6> prefix, no timestamp" \
    grep -q '^<6>listening on tcp:127.0.0.1' "$T/journal.err"
# A JOURNAL_STREAM naming another file is not the journal.
on_stderr notjournal JOURNAL_STREAM=1:1
check "a JOURNAL_STREAM of another file is ignored" \
    grep -Eq '^[0-9]{4}-.* listening on' "$T/notjournal.err"

# syslog: needs a private mount namespace to put a socket at /dev/log.
if ! command -v unshare >/dev/null 2>&1 || ! command -v socat \
    >/dev/null 2>&1 || ! unshare --mount true 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9; do
		skip "syslog" "needs unshare --mount (root) and socat"
	done
	done_testing
fi

sock=$T/log.sock
spawn syslogd socat -u "UNIX-RECV:$sock" "OPEN:$T/syslog.txt,creat,append"
wait_until "$VSP_WAIT" test -S "$sock"

# in_ns COMMAND...: run COMMAND with our socket as /dev/log (and the real
# /dev/null, which -d needs) in a private mount namespace.  It execs:
# run it in the background or in a subshell.
in_ns() {
	exec unshare --mount --propagation private sh -c '
	    sock=$1; shift
	    mkdir -p "$T/olddev" && mount --bind /dev "$T/olddev" &&
	    mount -t tmpfs none /dev && touch /dev/null &&
	    mount --bind "$T/olddev/null" /dev/null &&
	    ln -s "$sock" /dev/log && umount "$T/olddev" && exec "$@"' \
	    sh "$sock" "$@"
}
export T

new_addr tcp
addr=$NEW_ADDR
spawn s in_ns "$VSOCKPROXY" --syslog=local3 -v --listen "$addr" \
    --connect tcp:127.0.0.1:1
pid=$SPAWNED
wait_for_listen "$addr" "$pid"
run_peer refused "$addr" --expect-refused
wait_until "$VSP_WAIT" grep -q 'failed: Connection refused' "$T/syslog.txt"
stop "$pid"
# Each datagram starts with <PRI>; split them onto lines.
sed 's/<\([0-9]*\)>/\n<\1>/g' "$T/syslog.txt" >"$T/syslog.lines"
# local3 = 19: info = 19*8+6 = 158, err = 19*8+3 = 155.
check "--syslog=local3: info at <158> with ident and pid" grep -Eq \
    "^<158>.*vsockproxy\\[$pid\\]: listening on $addr" "$T/syslog.lines"
check "--syslog=local3: a connect failure at <155> (err)" grep -Eq \
    "^<155>.*vsockproxy\\[$pid\\]: event=connect-failed .* target=tcp:127.0.0.1:1 " \
    "$T/syslog.lines"
check "-v per-connection lines at <158>" grep -Eq \
    "^<158>.*vsockproxy\\[$pid\\]: event=close .* reason=connect-failed" \
    "$T/syslog.lines"
check "nothing on stderr with -s" test ! -s "$T/s.err"

# -d: syslog, facility daemon (3): info = 30.
: >"$T/syslog.txt"
new_addr tcp
addr=$NEW_ADDR
(in_ns "$VSOCKPROXY" -d -p "$T/d.pid" --listen "$addr" \
    --connect tcp:127.0.0.1:1) >"$T/d.out" 2>&1
rc=$?
dpid=$(cat "$T/d.pid" 2>/dev/null)
T_PIDS="$T_PIDS $dpid"
is "$rc" 0 "-d inside the namespace starts"
kill -USR1 "$dpid" 2>/dev/null
wait_until "$VSP_WAIT" grep -q 'stats active=' "$T/syslog.txt"
kill -TERM "$dpid" 2>/dev/null
wait_until "$VSP_WAIT" test ! -e "$T/d.pid"
sed 's/<\([0-9]*\)>/\n<\1>/g' "$T/syslog.txt" >"$T/syslog.lines"
check "-d logs to syslog, facility daemon (<30>)" grep -Eq \
    "^<30>.*vsockproxy\\[$dpid\\]: stats active=0 " "$T/syslog.lines"
check "-d: the daemon's SIGTERM exit is logged too" grep -Eq \
    "^<30>.*vsockproxy\\[$dpid\\]: exiting" "$T/syslog.lines"
check "-d: the start-up line 'listening on' reaches syslog" grep -Eq \
    "^<30>.*vsockproxy\\[$dpid\\]: listening on $addr" "$T/syslog.lines"

# -d that cannot start (its address is taken): the error on the caller's
# stderr, as ever, and in syslog.
: >"$T/syslog.txt"
spawn taken "$VSOCKPROXY" --listen "$addr" --connect tcp:127.0.0.1:1
wait_for_listen "$addr" "$SPAWNED"
(in_ns "$VSOCKPROXY" -d --listen "$addr" --connect tcp:127.0.0.1:1) \
    >"$T/fail.out" 2>&1
rc=$?
stop "$SPAWNED"
wait_until "$VSP_WAIT" grep -q 'in use' "$T/syslog.txt"
both() {
	[ "$rc" = 1 ] && grep -q "$addr.*in use" "$T/fail.out" &&
	    grep -q "$addr.*in use" "$T/syslog.txt"
}
check "-d: a start-up error goes to stderr and to syslog" both ||
    { diag "exit status $rc"; diag_file "$T/fail.out"
      diag_file "$T/syslog.txt"; }
done_testing
