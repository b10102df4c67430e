#!/bin/bash
# contrib/: the generated service files carry the configured paths, the
# systemd units pass `systemd-analyze verify` (the socket unit with the
# service it starts) and are Type=notify services that reload with SIGHUP,
# and the sysvinit script
# starts a real daemon (pid file names it), reports its status and stops
# it (pid file gone).
set -u
b=${top_builddir:?}
tmp=$(mktemp -d)
pids=()
cleanup() {
	[ -f "$tmp/vp.pid" ] && kill "$(cat "$tmp/vp.pid")" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# A detached daemon's parent is init, which may not reap it here: a zombie
# counts as gone.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
export -f alive

echo "1..11"
make -C "$b" -s contrib/systemd/vsockproxy.service \
    contrib/systemd/vsockproxy@.service contrib/systemd/vsockproxy.socket \
    contrib/sysvinit/vsockproxy \
    contrib/openrc/vsockproxy >/dev/null
sbindir=$(sed -n 's/^sbindir = //p' "$b/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$b/Makefile")
sbindir=${sbindir//\$\{exec_prefix\}/$prefix}
files="$b/contrib/systemd/vsockproxy.service
$b/contrib/systemd/vsockproxy@.service $b/contrib/sysvinit/vsockproxy
$b/contrib/openrc/vsockproxy"
# shellcheck disable=SC2086
check "no @variable@ left in the generated files" \
    sh -c "! grep -n '@[a-z]*@' $(echo $files) $b/contrib/systemd/vsockproxy.socket"
# shellcheck disable=SC2086
check "generated files name the configured sbindir ($sbindir)" \
    sh -c "for f in $(echo $files); do grep -q '$sbindir/vsockproxy' \$f || exit 1; done"

runstatedir=$(sed -n 's/^runstatedir = //p' "$b/Makefile")
runstatedir=${runstatedir//\$\{localstatedir\}/$(sed -n 's/^localstatedir = //p' "$b/Makefile")}
runstatedir=${runstatedir//\$\{prefix\}/$prefix}
check "the socket unit listens under the configured runstatedir ($runstatedir)" \
    grep -q "^ListenStream=$runstatedir/vsockproxy/" \
    "$b/contrib/systemd/vsockproxy.socket"
check "both services are Type=notify, NotifyAccess=main, reload with SIGHUP" \
    sh -c "for u in vsockproxy.service vsockproxy@.service; do
	f=$b/contrib/systemd/\$u
	grep -qx 'Type=notify' \$f && grep -qx 'NotifyAccess=main' \$f &&
	grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' \$f || exit 1
    done"

# systemd-analyze wants ExecStart and EnvironmentFile to exist: point
# copies of the units at the built daemon and a scratch environment file.
if [ -z "${SYSTEMD_ANALYZE:-}" ]; then
	skip "systemd-analyze is not installed"
	skip "systemd-analyze is not installed"
	skip "systemd-analyze is not installed"
else
	echo 'VSOCKPROXY_ARGS="--listen tcp:127.0.0.1:1 --connect tcp:127.0.0.1:2"' \
	    > "$tmp/args.env"
	# The socket unit last: it needs the service next to it.
	for u in vsockproxy.service vsockproxy@.service vsockproxy.socket; do
		name=$u
		[ "$u" = vsockproxy@.service ] && name=vsockproxy@vm1.service
		# A UNIX socket path has 108 bytes at most, and the
		# configured runstatedir of a deep build tree (make distcheck
		# in a long directory) may not fit: the copy listens on a
		# short path of the same name in $tmp instead (test 3 checks
		# the configured one).
		sed -e "s|^ExecStart=[^ ]*|ExecStart=$VSOCKPROXY|" \
		    -e "s|^EnvironmentFile=.*|EnvironmentFile=$tmp/args.env|" \
		    -e "s|^\(ListenStream=\)/.*/\([^/]*\)$|\1$tmp/\2|" \
		    "$b/contrib/systemd/$u" > "$tmp/$u"
		long=$(sed -n 's/^ListenStream=//p' "$tmp/$u" |
		    awk 'length($0) > 107')
		if [ -n "$long" ]; then
			skip "systemd-analyze verify $name: $long is too long for a UNIX socket path"
			continue
		fi
		out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=warning \
		    "$SYSTEMD_ANALYZE" verify --man=no "$tmp/$name" 2>&1)
		rc=$?
		# Unknown keys and bad values are only warnings to it: any
		# output at all fails the test.
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "systemd-analyze verify $name"
		else
			printf '%s\n' "$out" | sed 's/^/# /'
			nok "systemd-analyze verify $name"
		fi
	done
fi

# The LSB script, with DAEMON and PIDFILE overridden from its defaults
# file, drives a real daemon on a loopback TCP port.
if ! command -v start-stop-daemon >/dev/null 2>&1; then
	for i in 1 2 3 4; do skip "start-stop-daemon is not installed"; done
	exit 0
fi
port=$(( 20000 + RANDOM % 20000 ))
cat > "$tmp/defaults" <<EOT
DAEMON=$VSOCKPROXY
PIDFILE=$tmp/vp.pid
VSOCKPROXY_ARGS="--listen tcp:127.0.0.1:$port --connect tcp:127.0.0.1:1"
EOT
init=$b/contrib/sysvinit/vsockproxy
export VSOCKPROXY_DEFAULTS=$tmp/defaults
out=$(sh "$init" start 2>&1)
pid=$(cat "$tmp/vp.pid" 2>/dev/null)
check "init script start: pid file names a live vsockproxy" \
    sh -c "[ -n '$pid' ] && [ \"\$(readlink /proc/$pid/exe)\" = '$(readlink -f "$VSOCKPROXY")' ]"
check "init script status says running" sh -c "sh '$init' status | grep -q 'running (pid $pid)'"
check "second start leaves the same daemon" sh -c "sh '$init' start >/dev/null 2>&1; [ \"\$(cat '$tmp/vp.pid')\" = '$pid' ]"
sh "$init" stop >/dev/null 2>&1
check "init script stop: daemon gone and pid file removed" \
    bash -c "! alive $pid && [ ! -e '$tmp/vp.pid' ]"
