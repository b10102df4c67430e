#!/bin/sh
# e2e-conf-perms: a configuration file that someone other than root (or
# the daemon's own user) could have written is refused, like sshd's
# StrictModes: the main file and every included one, under -t, at
# start-up and on a reload.
#
#   - -t: a main file of mode 0666, an included file of mode 0664 and,
#     as root, a main file and an included file owned by nobody: each
#     exits 1 with one error that names the file (file:line of the
#     include for an included one), the mode or owner, and "refused";
#     the same files with mode 0644 and our ownership pass (the test
#     suite's own files, made with umask 022, stay accepted); run as
#     nobody, a file of nobody's is accepted, one of uid 4242 is not;
#   - for each event backend: starting with a 0666 file fails at once,
#     serving nothing; a running daemon whose included file becomes
#     0666, then (as root) nobody's, rejects each reload, logs why and
#     goes on serving; put right, the next reload is applied.
# The owner checks need root (chown) and are skipped otherwise.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

if [ "$(id -u)" = 0 ]; then
	NOBODY=$(id -u nobody 2>/dev/null) || NOBODY=65534
	ROOT=1
else
	ROOT=
fi

check_config() {
	local name="$1"
	shift
	timeout 5 "$VSOCKPROXY" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}

# one_error NAME PATTERN: NAME's stderr is one line matching the ERE.
one_error() {
	[ "$(wc -l <"$T/$1.err")" = 1 ] && grep -q -E -e "$2" "$T/$1.err"
}

mkdir "$T/t"
new_addr tcp
rule main "$NEW_ADDR" tcp:127.0.0.1:1 >"$T/t/main.conf"
echo "include inc.d/*.conf" >>"$T/t/main.conf"
mkdir "$T/t/inc.d"
new_addr tcp
rule inc "$NEW_ADDR" tcp:127.0.0.1:1 >"$T/t/inc.d/a.conf"

check_config ok -t -c "$T/t/main.conf"
is "$RC" 0 "-t: files of mode 0644, ours: accepted"

chmod 0666 "$T/t/main.conf"
check_config world -t -c "$T/t/main.conf"
is "$RC" 1 "-t: a main file of mode 0666: exits 1"
check "-t: ... one error naming the file and its mode" one_error world \
    "^$T/t/main.conf: writable by group or others \(mode 0666\): refused\$"
chmod 0644 "$T/t/main.conf"

chmod 0664 "$T/t/inc.d/a.conf"
check_config group -t -c "$T/t/main.conf"
is "$RC" 1 "-t: an included file of mode 0664: exits 1"
check "-t: ... one error at the include line, naming the file" \
    one_error group "^$T/t/main.conf:5: include '$T/t/inc.d/a.conf': \
writable by group or others \(mode 0664\): refused\$"
chmod 0644 "$T/t/inc.d/a.conf"

if [ -n "$ROOT" ]; then
	chown "$NOBODY" "$T/t/main.conf"
	check_config owner -t -c "$T/t/main.conf"
	is "$RC" 1 "-t: a main file owned by uid $NOBODY: exits 1"
	check "-t: ... one error naming the file and its owner" \
	    one_error owner "^$T/t/main.conf: owned by uid $NOBODY, not by \
root: refused\$"
	chown 0 "$T/t/main.conf"
	chown "$NOBODY" "$T/t/inc.d/a.conf"
	check_config inc-owner -t -c "$T/t/main.conf"
	is "$RC" 1 "-t: an included file owned by uid $NOBODY: exits 1"
	check "-t: ... one error at the include line" \
	    one_error inc-owner "^$T/t/main.conf:5: include \
'$T/t/inc.d/a.conf': owned by uid $NOBODY, not by root: refused\$"
	chown 0 "$T/t/inc.d/a.conf"
else
	skip "-t: a main file owned by nobody: exits 1" "not root"
	skip "-t: ... one error naming the file and its owner" "not root"
	skip "-t: an included file owned by nobody: exits 1" "not root"
	skip "-t: ... one error at the include line" "not root"
fi

# Not root: files of root and of the daemon's own user are fine, another
# user's are not.  Root makes the files and runs -t as nobody.
if [ -n "$ROOT" ] && command -v setpriv >/dev/null 2>&1; then
	chmod 0711 "$T"
	chmod 0755 "$T/t" "$T/t/inc.d"
	as_nobody() {
		local name="$1"
		shift
		setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		    timeout 5 "$VSOCKPROXY" "$@" >"$T/$name.out" \
		    2>"$T/$name.err"
		RC=$?
	}
	chown "$NOBODY" "$T/t/inc.d/a.conf"
	as_nobody nobody-own -t -c "$T/t/main.conf"
	is "$RC" 0 "-t as nobody: root's file including nobody's: accepted"
	chown 4242 "$T/t/inc.d/a.conf"
	as_nobody nobody-other -t -c "$T/t/main.conf"
	is "$RC" 1 "-t as nobody: an included file of uid 4242: exits 1"
	check "-t as nobody: ... the error names who may own the file" \
	    one_error nobody-other "^$T/t/main.conf:5: include \
'$T/t/inc.d/a.conf': owned by uid 4242, not by root or uid $NOBODY \
\(this process\): refused\$"
	chown 0 "$T/t/inc.d/a.conf"
	chmod 0700 "$T"
else
	why="not root, or no setpriv"
	skip "-t as nobody: root's file including nobody's: accepted" "$why"
	skip "-t as nobody: an included file of uid 4242: exits 1" "$why"
	skip "-t as nobody: ... the error names who may own the file" "$why"
fi
check_config ok-again -t -c "$T/t/main.conf"
is "$RC" 0 "-t: put right: accepted"

scenario() {
	local be="$1" keep tgt conf inc
	new_addrs keep=tcp tgt=tcp
	mkdir "$T/$be.d"
	conf="$T/$be.conf"
	inc="$T/$be.d/keep.conf"
	echo "include $be.d/*.conf" >"$conf"
	rule keep "$keep" "$tgt" >"$inc"

	# Start-up: refused at once, nothing served.
	chmod 0666 "$conf"
	check_config "$be.start" --event-backend "$be" -c "$conf"
	is "$RC" 1 "$be: starting with a main file of mode 0666: exit 1"
	check "$be: ... the error is logged, naming the file" \
	    grep -q "$conf: writable by group or others (mode 0666)" \
	    "$T/$be.start.err"
	check "$be: ... nothing listens" not_listening "$keep"
	chmod 0644 "$conf"

	if ! start_conf_proxy "px-$be" "$conf" "$keep" -- -v; then
		not_ok "$be: proxy starts with files of mode 0644"
		return
	fi
	chmod 0666 "$inc"
	echo "# changed" >>"$inc"
	check "$be: reload with an included file of mode 0666 is rejected" \
	    hup "has errors: the running configuration stays in force"
	check "$be: ... the log names file:line, the file and the mode" \
	    grep -q "reload: $conf:1: include '$inc': writable by group or \
others (mode 0666): refused" "$PROXY_LOG"
	chmod 0644 "$inc"
	if [ -n "$ROOT" ]; then
		chown "$NOBODY" "$inc"
		check "$be: reload with an included file owned by nobody is \
rejected" hup "has errors: the running configuration stays in force"
		check "$be: ... the log names the file and its owner" \
		    grep -q "reload: $conf:1: include '$inc': owned by uid \
$NOBODY, not by root: refused" "$PROXY_LOG"
		chown 0 "$inc"
	else
		skip "$be: reload with an included file owned by nobody is \
rejected" "not root"
		skip "$be: ... the log names the file and its owner" \
		    "not root"
	fi
	check "$be: the running rule still listens" is_listening "$keep"
	PROXY_ADDR=$keep
	check "$be: ... and relays" exchange "$be.x" "$tgt" \
	    "--send 64k --expect 64k" "--send 64k --expect 64k"
	check "$be: put right, the reload is applied" \
	    hup "reloaded .*: 1 rule\(s\): 1 kept, 0 added, 0 removed"
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0"
}

for_each_backend scenario
done_testing
