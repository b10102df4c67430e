#!/bin/sh
# e2e-contrib: contrib/.  The generated service files carry the
# configured paths; the systemd units pass `systemd-analyze verify` (the
# socket unit with the service it starts), are Type=notify services that
# reload with SIGHUP, and start on a fresh install (optional environment
# file, a runtime directory for UNIX listeners) with their hardening; the
# daemon without arguments (an empty VSOCKPROXY_ARGS) reads the configured
# configuration file; the OpenRC script parses and reloads with SIGHUP.
# The sysvinit script drives a real daemon as the LSB wants it: start and
# stop succeed when there is nothing to do, reload and force-reload apply
# a new configuration file to the same process, status says 0, 1 or 3.
# When an init-script check fails, the script's output (which holds the
# daemon's start-up errors: -d reports them before it detaches) is shown.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

b=$top_builddir
plan 22

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
sysconfdir=$(installdir sysconfdir)
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
		    grep -qx "ExecReload=/bin/sh -c 'kill -HUP \${MAINPID}'" \
		    "$units/$u" || { diag "in $u"; return 1; }
	done
}
check "no @variable@ left in the generated files" no_placeholders
check "generated files name the configured sbindir ($sbindir)" name_sbindir
check "the socket unit listens under the configured runstatedir \
($runstatedir)" grep -q "^ListenStream=$runstatedir/vsockproxy-web.sock$" \
    "$units/vsockproxy.socket"
check "both services are Type=notify, NotifyAccess=main, reload with SIGHUP" \
    notify_services

# A fresh install has no environment file for the host-wide service; the
# runtime directory is what ProtectSystem=strict leaves writable for
# unix: listeners (one per instance for the template, since stopping an
# instance removes its own); the hardening stays.
fresh_install() {
	local u keys
	keys="DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes
UMask=0077 RuntimeDirectoryMode=0755 SystemCallFilter=@system-service"
	grep -qx "EnvironmentFile=-$sysconfdir/default/vsockproxy" \
	    "$units/vsockproxy.service" ||
	    { diag "vsockproxy.service: no optional EnvironmentFile"; return 1; }
	grep -qx "RuntimeDirectory=vsockproxy" "$units/vsockproxy.service" &&
	    grep -qx "RuntimeDirectory=vsockproxy/%i" \
	    "$units/vsockproxy@.service" ||
	    { diag "no RuntimeDirectory="; return 1; }
	for u in vsockproxy.service vsockproxy@.service; do
		for k in $keys; do
			grep -qx "$k" "$units/$u" ||
			    { diag "$u: no $k"; return 1; }
		done
	done
}
check "units start on a fresh install, hardened" fresh_install
# ExecStart with an empty $VSOCKPROXY_ARGS: the configured file.
"$VSOCKPROXY" -t -v >"$T/noargs" 2>&1
check "without arguments the daemon reads $sysconfdir/vsockproxy.conf" \
    grep -q "^$sysconfdir/vsockproxy.conf" "$T/noargs" ||
    diag_file "$T/noargs"
openrc=$b/contrib/openrc/vsockproxy
check "the OpenRC script parses (sh -n) and has a SIGHUP reload" \
    sh -c "sh -n '$openrc' && grep -q '^extra_started_commands=.*reload' \
    '$openrc' && grep -q 'signal HUP' '$openrc'"

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
# file, drives a real daemon serving a configuration file of TCP rules on
# free loopback ports; a reload adds a rule, so the new listener shows
# that the same process read the new file.
init_checks="start status second-start reload force-reload restart stop
second-stop status-stopped status-dead reload-stopped usage"
if ! command -v start-stop-daemon >/dev/null 2>&1; then
	for what in $init_checks; do
		skip "init script $what" "start-stop-daemon is not installed"
	done
	done_testing
fi
[ -x "$VSOCKPROXY" ] || bail_out "no daemon at $VSOCKPROXY"
new_addrs A1=tcp A2=tcp A3=tcp
conf=$T/vp.conf
# write_conf ADDR...: the configuration, one rule per address, replaced
# atomically.
write_conf() {
	local a n=0
	for a; do
		n=$((n + 1))
		rule "r$n" "$a" tcp:127.0.0.1:1
	done >"$conf.new"
	chmod 600 "$conf.new" && mv "$conf.new" "$conf"
}
write_conf "$A1"
pf=$T/vp.pid
cat >"$T/defaults" <<EOT
DAEMON=$VSOCKPROXY
PIDFILE=$pf
VSOCKPROXY_ARGS="-c $conf"
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
	diag "exit status $RC"
	for name in "$@"; do
		diag_file "$T/$name"
	done
	diag "pid file: $(cat "$pf" 2>&1)"
}
same_daemon() {
	[ "$RC" = 0 ] && [ "$(cat "$pf" 2>/dev/null)" = "$pid" ] &&
	    is_vsockproxy "$pid"
}
stopped() {
	[ "$RC" = 0 ] && not_alive "$pid" && [ ! -e "$pf" ]
}
# reloaded ACTION NAME ADDR...: the init script's ACTION exits 0, the
# same daemon then listens on every ADDR of the new file.
reloaded() {
	local a
	run_init "$1" "$2"
	shift 2
	for a; do
		wait_for_listen "$a" "$pid" || { diag "not on $a"; return 1; }
	done
	same_daemon
}

started() {
	[ "$RC" = 0 ] && is_vsockproxy "$pid"
}
run_init start start
pid=$(cat "$pf" 2>/dev/null)
check "init script start: pid file names a live vsockproxy" started ||
    init_diag start
run_init status status
check "init script status: running, exit 0" \
    sh -c "[ $RC = 0 ] && grep -q 'running (pid $pid)' '$T/status'" ||
    init_diag start status
run_init start start2
check "second start exits 0 and leaves the same daemon" same_daemon ||
    init_diag start start2
write_conf "$A1" "$A2"
check "reload: exit 0, the same daemon serves the new file" \
    reloaded reload reload "$A1" "$A2" || init_diag reload
write_conf "$A1" "$A2" "$A3"
check "force-reload reloads too (the same daemon)" \
    reloaded force-reload freload "$A1" "$A2" "$A3" || init_diag freload
old=$pid
run_init restart restart
pid=$(cat "$pf" 2>/dev/null)
restarted() {
	started && [ "$pid" != "$old" ] && wait_for_listen "$A3" "$pid"
}
check "restart: a new daemon, listening" restarted || init_diag restart
run_init stop stop
check "init script stop: daemon gone and pid file removed" stopped ||
    init_diag stop
run_init stop stop2
check "second stop exits 0" stopped || init_diag stop2
run_init status status2
is "$RC" 3 "status of a stopped service: 3"

# A daemon killed without a chance to remove its pid file.
run_init start start3
pid=$(cat "$pf" 2>/dev/null)
if is_vsockproxy "$pid"; then
	kill -KILL "$pid"
	wait_until "$VSP_WAIT" not_alive "$pid"
	run_init status status3
	is "$RC" 1 "status of a dead daemon with its pid file left: 1"
else
	not_ok "status of a dead daemon with its pid file left: 1"
	init_diag start3
fi
rm -f "$pf"
run_init reload reload2
is "$RC" 7 "reload of a stopped service: 7 (not running)"
run_init bogus usage
check "an unknown action: exit 3, usage names every action" \
    sh -c "[ $RC = 3 ] && grep -q \
    'start|stop|restart|reload|force-reload|status' '$T/usage'"
done_testing
