#!/bin/sh
# e2e-contrib: contrib/.  The generated service files carry the
# configured paths; the systemd units pass `systemd-analyze verify` (the
# socket unit with the service it starts) and are Type=notify services
# that reload with SIGHUP; the sysvinit script starts a real daemon (pid
# file names it), reports its status and stops it (pid file gone).  When
# an init-script check fails, the script's output (which holds the
# daemon's start-up errors: -d reports them before it detaches) is shown.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

b=$top_builddir
plan 11

make -C "$b" -s contrib/systemd/vsockproxy.service \
    contrib/systemd/vsockproxy@.service contrib/systemd/vsockproxy.socket \
    contrib/sysvinit/vsockproxy contrib/openrc/vsockproxy >/dev/null ||
    bail_out "cannot make the contrib files"

# installdir NAME: an installation directory from the build's Makefile,
# its ${prefix}, ${exec_prefix} and ${localstatedir} expanded.
installdir() {
	sed -n "s/^$1 = //p" "$b/Makefile" | sed \
	    -e "s|\${exec_prefix}|$exec_prefix|g" \
	    -e "s|\${localstatedir}|$localstatedir|g" \
	    -e "s|\${prefix}|$prefix|g"
}
prefix=$(installdir prefix)
exec_prefix=$(installdir exec_prefix)
localstatedir=$(installdir localstatedir)
sbindir=$(installdir sbindir)
runstatedir=$(installdir runstatedir)

units=$b/contrib/systemd
files="$units/vsockproxy.service $units/vsockproxy@.service
$b/contrib/sysvinit/vsockproxy $b/contrib/openrc/vsockproxy"

no_placeholders() {
	local left
	# shellcheck disable=SC2086 # a list of paths
	left=$(grep -n '@[a-z]*@' $files "$units/vsockproxy.socket")
	[ -z "$left" ] || { diag "$left"; return 1; }
}
name_sbindir() {
	local f
	for f in $files; do
		grep -q "$sbindir/vsockproxy" "$f" ||
		    { diag "$f does not name $sbindir/vsockproxy"; return 1; }
	done
}
notify_services() {
	local u
	for u in vsockproxy.service vsockproxy@.service; do
		grep -qx 'Type=notify' "$units/$u" &&
		    grep -qx 'NotifyAccess=main' "$units/$u" &&
		    grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" \
		    "$units/$u" || { diag "in $u"; return 1; }
	done
}
check "no @variable@ left in the generated files" no_placeholders
check "generated files name the configured sbindir ($sbindir)" name_sbindir
check "the socket unit listens under the configured runstatedir \
($runstatedir)" grep -q "^ListenStream=$runstatedir/vsockproxy/" \
    "$units/vsockproxy.socket"
check "both services are Type=notify, NotifyAccess=main, reload with SIGHUP" \
    notify_services

# systemd-analyze wants ExecStart and EnvironmentFile to exist: point
# copies of the units at the built daemon and a scratch environment file.
if [ -z "${SYSTEMD_ANALYZE:-}" ]; then
	for u in vsockproxy.service vsockproxy@vm1.service vsockproxy.socket
	do
		skip "systemd-analyze verify $u" \
		    "systemd-analyze is not installed"
	done
else
	printf 'VSOCKPROXY_ARGS="%s"\n' \
	    "--listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2" \
	    >"$T/args.env"
	# The socket unit last: it needs the service next to it.
	for u in vsockproxy.service vsockproxy@.service vsockproxy.socket; do
		name=$u
		[ "$u" = vsockproxy@.service ] && name=vsockproxy@vm1.service
		# A UNIX socket path has 108 bytes at most, and the
		# configured runstatedir of a deep build tree (make distcheck
		# in a long directory) may not fit: the copy listens on a
		# short path of the same name in $T instead (test 3 checks
		# the configured one).
		sed -e "s|^ExecStart=[^ ]*|ExecStart=$VSOCKPROXY|" \
		    -e "s|^EnvironmentFile=.*|EnvironmentFile=$T/args.env|" \
		    -e "s|^\(ListenStream=\)/.*/\([^/]*\)$|\1$T/\2|" \
		    "$units/$u" >"$T/$u"
		long=$(sed -n 's/^ListenStream=//p' "$T/$u" |
		    awk 'length($0) > 107')
		if [ -n "$long" ]; then
			skip "systemd-analyze verify $name" \
			    "$long is too long for a UNIX socket path"
			continue
		fi
		out=$(cd "$T" && SYSTEMD_LOG_LEVEL=warning \
		    "$SYSTEMD_ANALYZE" verify --man=no "$T/$name" 2>&1)
		rc=$?
		# Unknown keys and bad values are only warnings to it: any
		# output at all fails the test.
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "systemd-analyze verify $name"
		else
			not_ok "systemd-analyze verify $name"
			diag "$out"
		fi
	done
fi

# The LSB script, with DAEMON and PIDFILE overridden from its defaults
# file, drives a real daemon on a free loopback TCP port.
if ! command -v start-stop-daemon >/dev/null 2>&1; then
	for what in start status "second start" stop; do
		skip "init script $what" "start-stop-daemon is not installed"
	done
	done_testing
fi
free_port || bail_out "no free TCP port"
pf=$T/vp.pid
cat >"$T/defaults" <<EOT
DAEMON=$VSOCKPROXY
PIDFILE=$pf
VSOCKPROXY_ARGS="--listen tcp:127.0.0.1:$FREE_PORT --connect tcp:127.0.0.1:1"
EOT
VSOCKPROXY_DEFAULTS=$T/defaults
export VSOCKPROXY_DEFAULTS
init=$b/contrib/sysvinit/vsockproxy

# run_init ACTION NAME: run the init script, its output (with the
# daemon's stderr until it detaches) in $T/NAME; sets RC.  The daemon it
# names in the pid file is killed at exit if still running.
run_init() {
	sh "$init" "$1" >"$T/$2" 2>&1
	RC=$?
	[ -s "$pf" ] && T_PIDS="$T_PIDS $(cat "$pf")"
}
# init_diag NAME...: what the init script runs said, and the pid file.
init_diag() {
	local name
	for name in "$@"; do
		diag_file "$T/$name"
	done
	diag "pid file: $(cat "$pf" 2>&1)"
}
same_daemon() {
	[ "$(cat "$pf" 2>/dev/null)" = "$pid" ] && is_vsockproxy "$pid"
}
stopped() {
	not_alive "$pid" && [ ! -e "$pf" ]
}

run_init start start
pid=$(cat "$pf" 2>/dev/null)
check "init script start: pid file names a live vsockproxy" \
    is_vsockproxy "$pid" || { diag "exit status $RC"; init_diag start; }
run_init status status
check "init script status says running" \
    grep -q "running (pid $pid)" "$T/status" || init_diag start status
run_init start start2
check "second start leaves the same daemon" same_daemon ||
    init_diag start start2
run_init stop stop
check "init script stop: daemon gone and pid file removed" stopped ||
    init_diag stop
done_testing
