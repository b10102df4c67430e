#!/bin/sh
# e2e-signal-exit: a signal that arrives while the daemon exits does not
# kill it.
#
# An idle proxy gets SIGTERM and at once a burst of SIGUSR1 and SIGHUP,
# pairs sent by the shell as fast as it goes until the daemon is gone.
# It must exit 0 every time: its handlers stay installed until the
# process is done, so a late signal is dropped, never fatal.
#
# The window a daemon that restores the default actions in its clean-up
# leaves open is a few microseconds in a plain build, but milliseconds
# under a sanitizer's leak check or valgrind.  So half the runs preload
# tests/slowexit.so, whose destructor makes the exit 30 ms slower (after
# main() has returned); there such a daemon dies by SIGUSR1 or SIGHUP
# (exit status 138 or 129) in nearly every run.
#
# RUNS (default 20) runs of each kind per backend, each a fresh daemon;
# the count of runs that did not exit 0 is reported.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

: "${RUNS:=20}"
SHIM="$top_builddir/tests/slowexit.so"

# burst PID: SIGTERM, then SIGUSR1/SIGHUP pairs until PID is gone (a
# zombie counts as gone), for VSP_WAIT seconds at most.
burst() {
	local pid="$1" i=0 end
	deadline "$VSP_WAIT"
	end=$DEADLINE
	kill -TERM "$pid"
	while :; do
		kill -USR1 "$pid" 2>/dev/null || break
		kill -HUP "$pid" 2>/dev/null || break
		i=$((i + 1))
		# Every tenth pair: stop once it has exited.
		case $i in
		*0)	alive "$pid" || break
			expired "$end" && break ;;
		esac
	done
}

# runs BACKEND KIND: RUNS runs; KIND is "plain" or "slow exit".
runs() {
	local be="$1" kind="$2" n=0 bad=0 rc statuses=
	while [ $n -lt "$RUNS" ]; do
		n=$((n + 1))
		if ! start_relay "px-$be" tcp; then
			not_ok "$be, $kind: proxy starts (run $n)"
			return
		fi
		burst "$PROXY_PID"
		reap "$PROXY_PID"
		rc=$?
		if [ "$rc" != 0 ]; then
			bad=$((bad + 1))
			statuses="$statuses $rc"
			[ "$rc" = 124 ] && diag_file "$PROXY_LOG" 5
		fi
	done
	diag "$be, $kind: $bad of $RUNS runs did not exit 0\
${statuses:+ (status$statuses)}"
	is "$bad" 0 "$be, $kind: SIGTERM, then a burst of SIGUSR1 and SIGHUP \
during the exit: exit 0 in each of $RUNS runs"
}

scenario() {
	runs "$1" plain
	if [ -n "$SKIP_SHIM" ]; then
		skip "$1, slow exit" "$SKIP_SHIM"
		return
	fi
	VSP_WRAPPER="env LD_PRELOAD=$SHIM VSP_SLOWEXIT_MS=30" \
	    runs "$1" "slow exit"
}

SKIP_SHIM=
if [ ! -f "$SHIM" ]; then
	SKIP_SHIM="no $SHIM"
elif grep -q __asan_init "$VSOCKPROXY" 2>/dev/null; then
	# An ASan runtime must come first: no preloading; its own leak
	# check at exit is the slow exit then.
	SKIP_SHIM="sanitizer build (the shim cannot be preloaded)"
elif [ -n "$VSP_WRAPPER" ]; then
	SKIP_SHIM="under $VSP_WRAPPER (its exit is slow already)"
fi

for_each_backend scenario
done_testing
