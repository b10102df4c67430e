#!/bin/sh
# e2e-failmalloc: allocations fail during a burst of connections.
#
# The daemon runs with tests/failmalloc.so preloaded: once the test
# creates the trigger file, every 7th malloc/calloc/realloc fails (the
# shim says so on stderr, the daemon's log).  During a burst of 64
# connections some are dropped and some get through; the daemon must
# log the failures (errno text), stay alive and not leak descriptors.
# Once the trigger is gone it must serve 20 new connections byte-exact,
# and exit 0.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
SHIM="$top_builddir/tests/failmalloc.so"
[ -f "$SHIM" ] || skip_all "no $SHIM"
# An ASan runtime must come first in the process: no preloading then.
grep -q __asan_init "$VSOCKPROXY" 2>/dev/null &&
    skip_all "sanitizer build (the shim cannot be preloaded)"
case $VSP_WRAPPER in
*valgrind*)	skip_all "under valgrind (it replaces malloc itself)" ;;
esac

ok_lines() {
	grep -c ' ok$' "$T/$1.out" 2>/dev/null
}
ok_lines_at_least() {
	[ "$(ok_lines "$1")" -ge "$2" ]
}

failmalloc() {
	local be="$1" tr="$2" name="fm-$1-$2" base rc before
	new_addr "$tr"
	start_peer "$name.srv" "$NEW_ADDR" --conns 0 --send 64k \
	    --expect 64k --timeout 120 ||
	    { not_ok "$be $tr: target starts"; return; }
	VSP_WRAPPER="env LD_PRELOAD=$SHIM \
VSP_FAILMALLOC=file=$T/$name.fail,every=7" \
	    start_proxy "px-$name" "$tr" -v --connect "$PEER_ADDR" ||
	    { not_ok "$be $tr: proxy starts (shim preloaded)"; return; }
	run_peer "$name.pre" "$PROXY_ADDR" --send 64k --expect 64k
	check "$be $tr: no faults before the trigger" \
	    peer_passed "$name.pre" 1
	base=$(nsockets "$PROXY_PID")

	touch "$T/$name.fail"
	run_peer "$name.burst" "$PROXY_ADDR" --conns 64 --send 64k \
	    --expect 64k
	rc=$?
	rm -f "$T/$name.fail"
	check "$be $tr: faults were injected" \
	    grep -q '^failmalloc: ' "$PROXY_LOG"
	diag "$be $tr: $(log_count "$PROXY_LOG" '^failmalloc: ') failed" \
	    "allocations, $(grep -c ' ok$' "$T/$name.burst.out")/64" \
	    "connections intact, client exit $rc"
	is "$rc" 1 "$be $tr: some connections of the burst are dropped" \
	    "(not hung)"
	check "$be $tr: ... while others get through intact" \
	    grep -q ' ok$' "$T/$name.burst.out"
	check "$be $tr: ... and the daemon says why" grep -q -E \
	    '(calloc|malloc|realloc|relay): Cannot allocate memory' \
	    "$PROXY_LOG"
	check "$be $tr: the daemon lives" alive "$PROXY_PID"
	check "$be $tr: no socket leaked (back to $base)" \
	    wait_until 5 sockets_at_most "$PROXY_PID" "$base"

	before=$(ok_lines "$name.srv")
	run_peer "$name.post" "$PROXY_ADDR" --conns 20 --send 64k \
	    --expect 64k
	check "$be $tr: after the fault, 20 connections byte-exact" \
	    peer_passed "$name.post" 20
	check "$be $tr: ... also as the target saw them" wait_until 5 \
	    ok_lines_at_least "$name.srv" $((before + 20))
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
	kill "$PEER_PID" 2>/dev/null
}

scenario() {
	failmalloc "$1" tcp
	failmalloc "$1" unix
}

for_each_backend scenario
done_testing
