# vmtest/guest/lib.sh: helpers for the scripts that run inside the guests
# (busybox ash).  Sourced by /init and by every scenario process.
#
#   vt_test DESC FUNC ARGS...   run FUNC in its own session with a deadline
#                               (vt_deadline, seconds; vt_only=REGEX runs
#                               only the matching ones) and report TAP: FUNC
#                               returns 0 (pass), 77 (skip: reason in the
#                               file $vt_skipfile) or anything else (fail;
#                               its output becomes TAP comments)
#   vt_wait_listen PORT [S]     poll until a vsock listener on PORT exists
#   vt_wait_unlisten PORT [S]   poll until none does
#   vt_wait_file PATH [S]       poll until PATH exists
#   vt_wait_grep RE FILE [S]    poll until FILE has a line matching RE
#   vt_wait_pid PID [S]         poll until PID has ended; its status, or
#                               124 (and PID killed) after S seconds
#   vt_wait_until S WHAT CMD... the loop of all five: CMD until it
#                               succeeds; after S seconds, 1
#   vt_peer_field NAME FILE [N] NAME=... of vsp-peer's result line N
#   vt_now_ms                   monotonic milliseconds (from /proc/uptime)
#   vt_modprobe MOD...          load modules (built-in ones are fine)
#   vt_exit STATUS              report the verdict to QEMU and power off
#
# Waiting is always polling with a deadline, never a bare sleep.

vt_n=0
vt_failed=0
vt_deadline=${vt_deadline:-60}
# Where these scripts are: /vmtest in a guest; vmtest/guest of the source
# tree when native.sh runs the nested scenarios on the build machine.
vt_gdir=${vt_gdir:-/vmtest}
export vt_gdir

vt_tap() {
	echo "$*" >&3
}

vt_diag() {
	sed 's/^/# /' "$@" >&3
}

vt_plan() {
	vt_tap "1..$vt_n"
}

vt_now_ms() {
	local up
	read up _ < /proc/uptime
	echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 ))
}

# Kernel trouble during the suite fails the run: count WARN/BUG/Oops
# reports before and after.
vt_kernel_marks() {
	dmesg | grep -cE 'WARNING: |BUG: |Oops|kernel BUG|general protection|Call Trace:|UBSAN:|KASAN:'
}

vt_kernel_marks_before() {
	vt_marks0=$(vt_kernel_marks)
}

vt_kernel_marks_check() {
	local now
	now=$(vt_kernel_marks)
	if [ "$now" -gt "$vt_marks0" ]; then
		vt_n=$((vt_n + 1))
		vt_failed=$((vt_failed + 1))
		vt_tap "not ok $vt_n - guest kernel reported no WARN/BUG/Oops"
		dmesg | tail -n 60 > /tmp/dmesg.tail
		vt_diag /tmp/dmesg.tail
	else
		vt_n=$((vt_n + 1))
		vt_tap "ok $vt_n - guest kernel reported no WARN/BUG/Oops"
	fi
}

vt_modprobe() {
	local m rel
	rel=$(uname -r)
	for m in "$@"; do
		grep -q "/$m.ko" "/lib/modules/$rel/modules.builtin" 2>/dev/null &&
		    continue
		modprobe "$m" || return 1
	done
}

vt_exit() {
	local code=16
	[ "$1" -eq 0 ] || code=17
	sync
	# isa-debug-exit on port 0xf4: QEMU exits with (code << 1) | 1.
	printf "\\$(printf %03o "$code")" |
	    dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	poweroff -f
}

# Run one scenario: in its own session so that everything it started can
# be killed at once, with a deadline.
vt_test() {
	local desc=$1 pid rc st limit
	shift
	# vt_only=REGEX (VMTEST_GUEST_ARGS): only the scenarios it matches.
	if [ -n "${vt_only:-}" ] && ! echo "$desc" | grep -qE "$vt_only"; then
		return 0
	fi
	vt_n=$((vt_n + 1))
	vt_tdir=/tmp/t$vt_n
	mkdir -p "$vt_tdir"
	vt_skipfile=$vt_tdir/skip
	vt_num=$vt_n
	export vt_tdir vt_skipfile vt_num
	limit=$(( $(vt_now_ms) + vt_deadline * 1000 ))
	(cd "$vt_tdir" && exec setsid sh -c \
	    '. "$vt_gdir/lib.sh"; . "$vt_gdir/$vt_suite.sh"; [ "${vt_verbose:-0}" != 2 ] || set -x; "$@"' vt-test "$@") \
	    > "$vt_tdir/out" 2>&1 &
	pid=$!
	rc=
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(vt_now_ms)" -gt "$limit" ]; then
			echo "deadline of ${vt_deadline}s reached" >> "$vt_tdir/out"
			kill -KILL -"$pid" 2>/dev/null
			kill -KILL "$pid" 2>/dev/null
			rc=124
			break
		fi
		usleep 20000
	done
	wait "$pid"
	st=$?
	[ -n "$rc" ] || rc=$st
	# Whatever the scenario left running goes too.
	kill -KILL -"$pid" 2>/dev/null
	case $rc in
	0)	vt_tap "ok $vt_n - $desc" ;;
	77)	vt_tap "ok $vt_n - $desc # SKIP $(cat "$vt_skipfile" 2>/dev/null)" ;;
	*)	vt_failed=$((vt_failed + 1))
		vt_tap "not ok $vt_n - $desc"
		echo "exit status $rc" >> "$vt_tdir/out"
		tail -n 40 "$vt_tdir/out" > "$vt_tdir/out.tail"
		vt_diag "$vt_tdir/out.tail" ;;
	esac
	if [ "${vt_verbose:-0}" != 0 ]; then
		echo "=== $vt_n $desc (rc $rc)" > /dev/console
		cat "$vt_tdir/out" > /dev/console
	fi
	return 0
}

# Report a result the caller worked out itself.
vt_result() {	# status description
	vt_n=$((vt_n + 1))
	if [ "$1" -eq 0 ]; then
		vt_tap "ok $vt_n - $2"
	else
		vt_failed=$((vt_failed + 1))
		vt_tap "not ok $vt_n - $2"
	fi
}

# Copy the results of a lower guest's TAP file (from line $3 on) into
# ours, tagged; sets vt_relay_next to the first line not yet read.
vt_relay() {	# file tag first-line
	local line rest n=0
	while IFS= read -r line; do
		n=$((n + 1))
		[ "$n" -ge "$3" ] || continue
		line=${line%$(printf '\r')}
		case $line in
		"ok "*|"not ok "*)
			rest=${line#not }
			rest=${rest#ok }
			rest=${rest#* }
			rest=${rest#- }
			vt_n=$((vt_n + 1))
			case $line in
			"not ok "*)
				vt_failed=$((vt_failed + 1))
				vt_tap "not ok $vt_n - $2 $rest" ;;
			*)	vt_tap "ok $vt_n - $2 $rest" ;;
			esac ;;
		"# READY"*|"# DONE"*|"1.."*) ;;
		"Bail out!"*) vt_tap "# $2 $line" ;;
		"#"*)	vt_tap "$line" ;;
		esac
	done < "$1"
	vt_relay_next=$((n + 1))
}

vt_skip() {
	echo "$*" > "$vt_skipfile"
	return 77
}

vt_fail() {
	echo "FAIL: $*"
	return 1
}

# Is a vsock listener on PORT?  vsock sockets are not in /proc/net; ss
# asks vsock_diag.
vt_listening() {
	ss -Hln --vsock 2>/dev/null | grep -q ":$1[[:space:]]"
}

# The one polling loop: COMMAND until it succeeds, or until SECONDS have
# passed, then "WHAT after SECONDSs" and status 1.
vt_wait_until() {	# seconds what command...
	local s=$1 what=$2 limit
	shift 2
	limit=$(( $(vt_now_ms) + s * 1000 ))
	until "$@"; do
		[ "$(vt_now_ms)" -lt "$limit" ] || {
			echo "$what after ${s}s"
			return 1
		}
		usleep 20000
	done
}

vt_wait_listen() {	# port [seconds]
	vt_wait_until "${2:-20}" "no vsock listener on port $1" \
	    vt_listening "$1"
}

# Poll until no vsock listener is on PORT.
vt_wait_unlisten() {	# port [seconds]
	vt_wait_until "${2:-20}" "a vsock listener on port $1" \
	    vt_not_listening "$1"
}
vt_not_listening() {	# port
	! vt_listening "$1"
}

vt_wait_file() {	# path [seconds]
	vt_wait_until "${2:-20}" "no $1" test -e "$1"
}

vt_wait_grep() {	# regex file [seconds]
	vt_wait_until "${3:-20}" "no line matching '$1' in $2" \
	    vt_has_line "$1" "$2"
}
vt_has_line() {	# regex file
	grep -qE "$1" "$2" 2>/dev/null
}

# Wait for a process to end, with a deadline; its exit status is returned.
vt_wait_pid() {	# pid [seconds]
	if ! vt_wait_until "${2:-20}" "process $1 still running" \
	    vt_gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1"
		return 124
	fi
	wait "$1"
}
vt_gone() {	# pid
	! kill -0 "$1" 2>/dev/null
}

# A name=value field of vsp-peer's output: of its first line, or LINE.
vt_peer_field() {	# name file [line]
	sed -n "${3:-1}p" "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# ---- vsp-peer at both ends, for a suite that defines fail() (show its
# logs, return 1) and PEER_TIMEOUT ------------------------------------

# server NAME ADDR ARGS...: vsp-peer listen in the background, ready.
server() {
	local name=$1
	shift
	vsp-peer listen "$@" --ready-file "$name.ready" \
	    --timeout "$PEER_TIMEOUT" > "$name.out" 2>&1 &
	eval "$name=\$!"
	vt_wait_file "$name.ready" 20 || fail "$name not listening"
}

# client NAME ADDR ARGS...: vsp-peer connect in the foreground.
client() {
	local name=$1
	shift
	vsp-peer connect "$@" --timeout "$PEER_TIMEOUT" > "$name.out" 2>&1 ||
	    fail "$name: vsp-peer connect exited with status $?"
}

peer_done() {	# name
	local pid st
	eval "pid=\$$1"
	vt_wait_pid "$pid" 30
	st=$?
	[ "$st" -eq 0 ] || fail "$1: vsp-peer exited with status $st"
}

# The hashes each side printed must agree across the proxy.
same_hashes() {	# client-out server-out
	[ "$(vt_peer_field sent_hash "$1")" = \
	    "$(vt_peer_field recv_hash "$2")" ] ||
	    fail "client->server hash differs" || return
	[ "$(vt_peer_field recv_hash "$1")" = \
	    "$(vt_peer_field sent_hash "$2")" ] ||
	    fail "server->client hash differs"
}
