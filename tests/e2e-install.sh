#!/bin/sh
# e2e-install: what "make install DESTDIR=..." puts where, as a packager
# gets it.  The configure line is the build's (make check cannot run
# another), so the expected places come from the build's Makefile; the
# init scripts, which configure installs only when asked for, are asked
# for on make's command line when it did not.  Every file is there, the
# programs and scripts are executable, no @variable@ is left, every path
# to the pid file or the runtime directory is under the configured
# runstatedir, the pages and units name the configured paths, the
# installed example configuration passes the installed daemon's -t, and
# "make uninstall" takes it all away again.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

b=$top_builddir
plan 8

# mk ARGS: make in the build tree as a packager runs it, not as a
# sub-make of "make -j2 check" (whose MAKEFLAGS would add "Entering
# directory" lines to the output and a jobserver it cannot use).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory \
	    -C "$b" "$@"
}

# dir VAR: the build's installation directory VAR, fully expanded by make.
printf 'show-dir:\n\t@echo $(%s)\n' '$(VAR)' >"$T/show.mk"
dir() {
	mk -f Makefile -f "$T/show.mk" show-dir VAR="$1"
}
for v in sbindir sysconfdir runstatedir docdir mandir \
    systemdsystemunitdir sysvinitdir openrcdir; do
	eval "$v=\$(dir $v)"
done
[ -n "$sbindir" ] && [ -n "$runstatedir" ] ||
    bail_out "cannot read the installation directories from $b/Makefile"
# Not configured: where a packager would put them.
asked=
[ -n "$sysvinitdir" ] || { sysvinitdir=$sysconfdir/init.d
	asked="$asked sysvinitdir=$sysvinitdir"; }
[ -n "$openrcdir" ] || { openrcdir=$sysconfdir/openrc/init.d
	asked="$asked openrcdir=$openrcdir"; }

R=$T/root
# shellcheck disable=SC2086 # $asked: make's variable assignments
mk install DESTDIR="$R" $asked >"$T/install.out" 2>&1
check "make install DESTDIR=...$asked" test $? -eq 0 ||
    diag_file "$T/install.out"

expect="$sbindir/vsockproxy $mandir/man8/vsockproxy.8
$mandir/man5/vsockproxy.conf.5 $docdir/vsockproxy.conf.example
$sysvinitdir/vsockproxy $openrcdir/vsockproxy"
units=
if [ -n "$systemdsystemunitdir" ]; then
	for u in vsockproxy.service vsockproxy@.service vsockproxy.socket; do
		units="$units $systemdsystemunitdir/$u"
	done
fi
all_there() {
	local f
	for f in $expect $units; do
		[ -f "$R$f" ] || { diag "missing: $f"; return 1; }
	done
}
check "every file is installed" all_there ||
    diag "installed: $(cd "$R" && find . -type f | sort)"

executable() {
	local f
	for f in "$sbindir/vsockproxy" "$sysvinitdir/vsockproxy" \
	    "$openrcdir/vsockproxy"; do
		[ -x "$R$f" ] || { diag "not executable: $f"; return 1; }
	done
}
check "the daemon and the init scripts are executable" executable

# The text files: everything but the daemon.
texts() {
	find "$R" -type f ! -path "$R$sbindir/*"
}
no_placeholders() {
	local left
	left=$(texts | xargs grep -n '@[a-z_]*@' /dev/null)
	[ -z "$left" ] || { diag "$left"; return 1; }
}
check "no @variable@ left in any installed file" no_placeholders

# Every path to the pid file or into the runtime directory, in any file,
# starts with the configured runstatedir (e.g. never /usr/var/run when it
# is /run); the others are the configuration's and the documentation's.
runtime_paths() {
	local bad
	bad=$(texts | xargs grep -ohE \
	    '[^[:space:]"(=:]*/vsockproxy(\.pid|/[^[:space:]]*|-web\.sock)' |
	    sort -u | grep -v -e "^$runstatedir/" -e "^$sysconfdir/" \
	    -e "^$docdir/")
	[ -z "$bad" ] || { diag "not under $runstatedir: $bad"; return 1; }
}
check "runtime paths are under $runstatedir" runtime_paths

# names FILE STRING...: FILE (installed) names each STRING.
names() {
	local f="$R$1" s
	shift
	for s; do
		grep -qF -- "$s" "$f" || { diag "$f lacks $s"; return 1; }
	done
}
configured_paths() {
	names "$mandir/man8/vsockproxy.8" "$sbindir/vsockproxy" \
	    "$sysconfdir/vsockproxy.conf" "$runstatedir/vsockproxy.pid" \
	    "$docdir/vsockproxy.conf.example" &&
	names "$mandir/man5/vsockproxy.conf.5" "$sysconfdir/vsockproxy.conf" \
	    "$sysconfdir/vsockproxy.d/" &&
	names "$sysvinitdir/vsockproxy" "DAEMON=$sbindir/vsockproxy" \
	    "PIDFILE=$runstatedir/vsockproxy.pid" \
	    "$sysconfdir/default/vsockproxy" &&
	names "$openrcdir/vsockproxy" "$sbindir/vsockproxy" \
	    "$runstatedir/" &&
	for u in $units; do
		case $u in *.socket) continue ;; esac
		names "$u" "$sbindir/vsockproxy" || return 1
	done
}
check "pages, scripts and units name the configured paths" configured_paths

# The example as shipped, checked by the daemon as shipped (a copy: -t
# wants a file only root or the daemon's user may write, and DESTDIR's
# directories may be anyone's).
cp "$R$docdir/vsockproxy.conf.example" "$T/example.conf" &&
    chmod 600 "$T/example.conf"
"$R$sbindir/vsockproxy" -t -c "$T/example.conf" >"$T/example.out" 2>&1
check "the installed example passes the installed daemon's -t" \
    test $? -eq 0 || diag_file "$T/example.out"

# shellcheck disable=SC2086
mk uninstall DESTDIR="$R" $asked >"$T/uninstall.out" 2>&1
left=$(find "$R" -type f)
check "make uninstall removes every file" test -z "$left" ||
    { diag "left: $left"; diag_file "$T/uninstall.out"; }
done_testing
