#!/bin/sh
# e2e-args: bad command lines exit 64 with a message naming the culprit;
# -h and -V exit 0; Ghaf's older three-number form starts, with a warning.
#
# Each bad command line must make the daemon exit 64 at once, print
# nothing on stdout, and say on stderr which argument is wrong (the
# argument's text or its option's name must appear).  The specification
# also asks for a single line on stderr; that is checked once for all.
#
# Safety: a daemon that wrongly accepted a Ghaf-form command line would
# bind an AF_VSOCK socket, which must not happen on a build machine whose
# vsock device leads to the real hypervisor.  So every bad command line
# runs under strace with socket() failing (a correct daemon rejects its
# arguments before it creates any socket), and under timeout(1).  When
# strace is missing on a machine with AF_VSOCK, the vsock-form cases are
# skipped.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

[ -x "$VSOCKPROXY" ] || skip_all "no daemon at $VSOCKPROXY"

SANDBOX=
if strace -f -qq -o /dev/null -e trace=socket \
    -e inject=socket:error=EACCES true >/dev/null 2>&1; then
	SANDBOX="strace -f -qq -o /dev/null -e trace=socket
	    -e inject=socket:error=EACCES"
elif grep -q AF_VSOCK /proc/net/protocols 2>/dev/null; then
	SANDBOX=none
fi
command -v timeout >/dev/null 2>&1 || skip_all "no timeout(1)"
# LeakSanitizer cannot run under ptrace: in a sanitizer build, leaks are
# the other scripts' business.
if [ "$SANDBOX" != none ] && [ -n "$SANDBOX" ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi

MULTILINE=

# The sandbox must really keep sockets closed, or it protects nothing.
if [ -n "$SANDBOX" ] && [ "$SANDBOX" != none ]; then
	# shellcheck disable=SC2086
	timeout 3 $SANDBOX "$VSOCKPROXY" --listen "unix:$T/sandbox" \
	    --connect "unix:$T/nowhere" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ ! -e "$T/sandbox" ]; then
		ok "sandbox: a valid command line cannot open a socket"
	else
		not_ok "sandbox: a valid command line cannot open a socket"
		diag "exit $rc"
		diag_file "$T/out" 3
		SANDBOX=none
	fi
fi

# bad vsock|tcp "NAME..." ARGS...: the daemon rejects ARGS; its message
# contains one of the blank-separated NAMEs (as a word, not as part of a
# longer one).  vsock marks command lines that could touch AF_VSOCK.
bad() {
	local kind="$1" names="$2" n rc desc found= sandbox="$SANDBOX"
	shift 2
	desc="rejects '$*'"
	if [ "$kind" = vsock ] && [ "$SANDBOX" = none ]; then
		skip "$desc" "no strace to keep AF_VSOCK closed"
		return
	fi
	[ "$sandbox" = none ] && sandbox=
	# shellcheck disable=SC2086 # sandbox is a command line
	timeout 3 $sandbox "$VSOCKPROXY" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	for n in $names; do
		grep -q -w -F -e "$n" "$T/err" && found=$n
	done
	if [ "$rc" = 64 ] && [ -n "$found" ] && [ ! -s "$T/out" ]; then
		ok "$desc: exit 64, names $found"
	else
		not_ok "$desc"
		diag "exit $rc (want 64), stderr should name one of: $names"
		diag_file "$T/err" 3
		diag_file "$T/out" 3
	fi
	if [ "$(wc -l <"$T/err")" -ne 1 ]; then
		MULTILINE="${MULTILINE:+$MULTILINE
}'$*' gave $(wc -l <"$T/err") lines"
	fi
}

# The Ghaf form: four 32-bit decimal numbers.
bad vsock "abc"			abc 3 4 0
bad vsock "4294967296"		4294967296 3 4 0
bad vsock "4294967296"		1 2 3 4294967296
bad vsock "5x"			5x 3 4 0
bad vsock "x"			1 x 3 4
bad vsock "-1"			-- -1 2 3 4
bad vsock "REMOTE_CID"		1
bad vsock "REMOTE_PORT"		1 2
bad vsock "5"			1 2 3 4 5
bad vsock "--bogus"		--bogus 1 2 3 4
bad vsock "--buffer-size 12q"	--buffer-size 12q 1 2 3 4
bad vsock "--buffer-size 100"	--buffer-size 100 1 2 3 4
bad vsock "--connect-timeout -1" --connect-timeout -1 1 2 3 4
bad vsock "--shutdown-timeout 1s" --shutdown-timeout 1s 1 2 3 4
bad vsock "--max-conns x"	--max-conns x 1 2 3 4
bad vsock "--event-backend kqueue" --event-backend kqueue 1 2 3 4
bad vsock "1 --listen"		--listen vsock:1 --connect tcp:127.0.0.1:2 \
				    1 2 3 4
bad vsock "--connect vsock:5"	--listen tcp:127.0.0.1:1 --connect vsock:5

# Ghaf's older form, three numbers, starts as if ALLOWED_CID were 0, and
# warns.  Only where no vsock socket can be opened: in the sandbox it gets
# as far as the listener's socket() and fails there (exit 1, not 64).
if [ "$SANDBOX" = none ]; then
	skip "starts with three numbers" "no strace to keep AF_VSOCK closed"
else
	# shellcheck disable=SC2086 # SANDBOX is a command line
	timeout 3 $SANDBOX "$VSOCKPROXY" 2000 4 5000 >"$T/out" 2>"$T/err"
	rc=$?
	want="any CID may connect to vsock:2000: the three-number form"
	want="$want is deprecated, give ALLOWED_CID as a fourth number"
	desc="starts with three numbers, warning that any CID may connect"
	if [ "$rc" = 1 ] && [ ! -s "$T/out" ] &&
	    grep -q -F -e "$want" "$T/err"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "exit $rc (want 1: the sandbox refuses the socket)"
		diag_file "$T/err" 3
	fi
fi

# The --listen/--connect form.
bad tcp "--listen tcp:127.0.0.1:x" \
    --listen tcp:127.0.0.1:x --connect tcp:127.0.0.1:1
bad tcp "--listen tcp:127.0.0.1:65536" \
    --listen tcp:127.0.0.1:65536 --connect tcp:127.0.0.1:1
bad tcp "--connect tcp:[::1:80" \
    --listen tcp:127.0.0.1:1 --connect 'tcp:[::1:80'
bad tcp "--listen unix:" --listen unix: --connect tcp:127.0.0.1:1
bad tcp "--listen udp:1" --listen udp:1 --connect tcp:127.0.0.1:1
bad tcp "--allow" \
    --allow 3 --listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2
bad tcp "--connect" --listen tcp:127.0.0.1:1
bad tcp "--listen" --listen
# Relative paths are made absolute at start: 107 bytes fit a socket
# address, but not with the current directory in front.
LONG=$(printf '%107s' '' | tr ' ' x)
bad tcp "--listen" --listen "unix:$LONG" --connect tcp:127.0.0.1:1
bad tcp "--connect" --listen tcp:127.0.0.1:1 \
    --connect "hybrid-vsock:$LONG:5"
bad tcp "--control" --listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2 \
    --control "$LONG"
bad tcp "--control" --listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2 \
    --control ""
bad tcp "--control" --listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2 \
    --control "unix:"

# An option that holds one value, given twice: one of the two would be
# dropped without a word.  (--allow is a list: it may be repeated.)
L="--listen tcp:127.0.0.1:1"
C="--connect tcp:127.0.0.1:2"
# shellcheck disable=SC2086 # $L and $C are two words each
{
bad tcp "--listen" $L --listen tcp:127.0.0.1:3 $C
bad tcp "--connect" $L $C --connect tcp:127.0.0.1:3
bad tcp "--connect-timeout" $L $C --connect-timeout 1 --connect-timeout 2
bad tcp "--buffer-size" $L $C --buffer-size 64k --buffer-size 64k
bad tcp "--max-conns" $L $C --max-conns 1 --max-conns 2
bad tcp "--shutdown-timeout" $L $C --shutdown-timeout 1 \
    --shutdown-timeout 2
bad tcp "--event-backend" $L $C --event-backend poll --event-backend epoll
bad tcp "--stats-interval" $L $C --stats-interval 1 --stats-interval 0
bad tcp "--pidfile" $L $C -p "$T/a.pid" --pidfile "$T/b.pid"
bad tcp "--user" $L $C -u root -u root
bad tcp "--group" $L $C -u root -g root --group root
bad tcp "--syslog" $L $C --syslog=local0 -s
bad tcp "--config" -c "$T/a.conf" --config "$T/b.conf"
bad tcp "--control" $L $C --control "$T/a.sock" --control "$T/b.sock"
bad tcp "--config" -t -c "$T/a.conf" -c "$T/b.conf"
}
check "a repeated pid file was not created" \
    eval '[ ! -e "$T/a.pid" ] && [ ! -e "$T/b.pid" ]'

if [ -z "$MULTILINE" ]; then
	ok "every usage error is one line on stderr"
else
	not_ok "every usage error is one line on stderr"
	diag "$MULTILINE"
fi

# Help and version: exit 0, on stdout.
for opt in -h:usage --help:usage -V:version --version:version; do
	case ${opt#*:} in
	usage)	what="a usage message" want=usage ;;
	*)	what="a version" want='[0-9]\.[0-9]' ;;
	esac
	opt=${opt%%:*}
	"$VSOCKPROXY" "$opt" >"$T/out" 2>"$T/err"
	rc=$?
	check "$opt exits 0 and prints $what on stdout" \
	    eval '[ "$rc" = 0 ] && grep -qi "$want" "$T/out"'
done

done_testing
