#!/bin/sh
# e2e-slow-reader: a slow reader does not make the proxy buffer without
# bound.
#
# A client sends 64 MiB as fast as it can to a target that reads at most
# 128 KiB per millisecond (in practice well under a second per 64 MiB).
# The proxy must push back (stop reading from the client while its buffer
# is full) rather than hold the difference in memory.  Both peers use
# small socket buffers, so that the kernel cannot absorb the difference
# in their sockets instead (loopback TCP buffers can grow to 32 MiB).
# Checked three ways: the proxy's peak RSS (VmHWM, /proc/PID/status) and
# the largest VmRSS sampled during the transfer stay under 32 MiB; the
# client cannot finish long before the reader (it would, if the proxy
# soaked the data up); and the bytes arrive intact.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

LIMIT_KB=32768

# Sanitizer runtimes keep freed memory in quarantine: RSS means nothing.
if grep -q __asan_init "$VSOCKPROXY" 2>/dev/null; then
	SKIP_RSS="AddressSanitizer build"
fi

slow() {
	local be="$1" tr="$2" target name rss max=0 hwm cms sms
	name="sr-$be-$tr"
	new_addr "$tr"
	target=$NEW_ADDR
	if ! start_proxy "px-$name" "$tr" --connect "$target"; then
		not_ok "$be $tr: proxy starts"
		return
	fi
	start_peer "$name.srv" "$target" --expect 64M --read-delay-ms 1 \
	    --chunk 128k --sockbuf 64k ||
		{ not_ok "$be $tr: target starts"; return; }
	spawn "$name.cli" "$VSP_PEER" connect "$PROXY_ADDR" --send 64M \
	    --sockbuf 64k --timeout "$VSP_WAIT"
	# Sample while the data flows (sampling, not waiting for readiness).
	while alive "$SPAWNED"; do
		rss=$(vm_kb "$PROXY_PID" VmRSS)
		[ -n "$rss" ] && [ "$rss" -gt "$max" ] && max=$rss
		sleep 0.05
	done
	reap "$SPAWNED"
	reap "$PEER_PID"
	hwm=$(vm_kb "$PROXY_PID" VmHWM)
	check "$be $tr: 64M reach the slow reader intact" eval \
	    'peer_passed "$name.cli" 1 && peer_passed "$name.srv" 1'
	if [ -n "$SKIP_RSS" ]; then
		skip "$be $tr: proxy peak RSS < $LIMIT_KB kB" "$SKIP_RSS"
		skip "$be $tr: sampled RSS < $LIMIT_KB kB" "$SKIP_RSS"
	else
		lt "${hwm:-99999999}" "$LIMIT_KB" \
		    "$be $tr: proxy peak RSS < $LIMIT_KB kB (VmHWM $hwm kB)"
		lt "$max" "$LIMIT_KB" \
		    "$be $tr: sampled RSS < $LIMIT_KB kB (max VmRSS $max kB)"
	fi
	# Back-pressure reached the sender: it finished no sooner than
	# half-way through the reader's time.
	cms=$(peer_field "$name.cli" ms)
	sms=$(peer_field "$name.srv" ms)
	check "$be $tr: sender held back (sender $cms ms, reader $sms ms)" \
	    test "$(( ${cms:-0} * 2 ))" -ge "${sms:-1}"
	stop "$PROXY_PID"
	is "$?" 0 "$be $tr: proxy exits 0 on SIGTERM"
}

scenario() {
	slow "$1" tcp
	slow "$1" unix
}

for_each_backend scenario
done_testing
