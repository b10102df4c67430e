#!/bin/sh
# e2e-memory: max-buffer-memory bounds what all relay buffers take
# together, and nothing is lost when it is reached.
#
# 32 clients send 768 KiB each at once through a daemon with
# --buffer-size 256k and --max-buffer-memory 2M (eight buffers) to a
# UNIX target that reads slowly (4 KiB every 10 ms per connection), so
# that every relay would fill its buffer (8 MiB without a budget: the
# daemon's peak RSS grew by that much before there was one).
#
#   - every stream arrives byte-exact, both ends;
#   - the daemon's peak RSS (VmHWM) stays under its RSS before the load
#     plus the budget plus 1.5 MiB (allocator slack and the connections'
#     own state, as the man page documents);
#   - the statistics show the budget at work: buffer_peak at most 2M,
#     buffer_waits above 0, and buffer_bytes back at 0 afterwards.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy
case "$VSP_WRAPPER" in
*valgrind*) skip_all "RSS under valgrind is valgrind's" ;;
esac

BUDGET_KB=2048
SLACK_KB=1536

# Sanitizer runtimes keep freed memory in quarantine: RSS means nothing
# (the statistics still show the budget at work).
if grep -q __asan_init "$VSOCKPROXY" 2>/dev/null; then
	SKIP_RSS="AddressSanitizer build"
fi

scenario() {
	local be="$1" base hwm line peak
	new_addr unix
	start_peer "$be.srv" "$NEW_ADDR" --conns 32 --expect 768k \
	    --sockbuf 16k --chunk 4k --read-delay-ms 10 ||
	    { not_ok "$be: target starts"; return; }
	start_proxy "px-$be" tcp --connect "$PEER_ADDR" --buffer-size 256k \
	    --max-buffer-memory 2M --stats-interval 0 ||
	    { not_ok "$be: proxy starts"; return; }
	base=$(vm_kb "$PROXY_PID" VmRSS)
	run_peer "$be.cli" "$PROXY_ADDR" --conns 32 --send 768k \
	    --sockbuf 16k
	reap "$PEER_PID"
	check "$be: 32 streams of 768 KiB through 8 buffers, byte-exact" \
	    eval 'peer_passed "$be.cli" 32 && peer_passed "$be.srv" 32'
	hwm=$(vm_kb "$PROXY_PID" VmHWM)
	if [ -n "$SKIP_RSS" ]; then
		skip "$be: peak RSS within the budget" "$SKIP_RSS"
	else
		lt "$((hwm - base))" $((BUDGET_KB + SLACK_KB)) \
		    "$be: peak RSS $hwm kB, $((hwm - base)) kB over the start"
	fi
	usr1
	line=$(last_stats)
	peak=$(echo "$line" | sed -n 's/.* buffer_peak=\([0-9]*\).*/\1/p')
	check "$be: buffer_peak=$peak, within the budget" \
	    eval '[ -n "$peak" ] && [ "$peak" -le $((BUDGET_KB * 1024)) ]'
	check "$be: relays waited for the budget (buffer_waits > 0)" \
	    eval 'echo "$line" | grep -q " buffer_waits=[1-9]"'
	check "$be: all buffers given back (buffer_bytes=0)" \
	    eval 'echo "$line" | grep -q " buffer_bytes=0 "'
	stop "$PROXY_PID"
	is "$?" 0 "$be: proxy exits 0 on SIGTERM"
}

for_each_backend scenario
done_testing
