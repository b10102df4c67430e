#!/bin/sh
# e2e-peer: the test peer itself, without the proxy.
#
# Every other test trusts vsp-peer to notice bad bytes, short or long
# streams, hangs and refusals, so this one makes sure it does: peers talk
# directly (no proxy) and each way a transfer can go wrong must turn into
# a FAIL line and a non-zero exit, while the good cases pass.  Also the
# address parser, including the vsock forms (parsed only: AF_VSOCK
# sockets are never opened here).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_peer

# pair NAME "SERVER ARGS" "CLIENT ARGS": a server on tcp port 0 and a
# client to it; sets SRC and CRC to their exit statuses.
pair() {
	# shellcheck disable=SC2086 # splitting is the point
	if ! start_peer "$1.srv" "tcp:127.0.0.1:0" $2; then
		SRC=99 CRC=99
		return
	fi
	# shellcheck disable=SC2086
	run_peer "$1.cli" "$PEER_ADDR" $3
	CRC=$?
	reap "$PEER_PID"
	SRC=$?
}

# failed NAME ERROR: NAME's first result line is a FAIL with ERROR.
failed() {
	grep -q "FAIL error=$2\( \|$\)" "$T/$1.out" && return 0
	diag_file "$T/$1.out" 3
	return 1
}

pair ok "--send 1M --expect 1M" "--send 1M --expect 1M"
check "good exchange passes both ways" \
    eval '[ $SRC = 0 ] && [ $CRC = 0 ] && peer_passed ok.srv 1 &&
    peer_passed ok.cli 1'
is "$(peer_field ok.cli sent_hash)" "$(peer_field ok.srv recv_hash)" \
    "sender's and receiver's hashes agree"

pair seed "--send 64k --expect 64k" "--send 64k --expect 64k --expect-seed 7"
check "wrong stream: FAIL error=mismatch, exit 1" \
    eval '[ $CRC = 1 ] && failed seed.cli mismatch'

pair short "--send 1000" "--expect 1001"
check "one byte short: FAIL error=short, exit 1" \
    eval '[ $CRC = 1 ] && failed short.cli short'

pair long "--send 1001" "--expect 1000"
check "one byte too many: FAIL error=long at 1000, exit 1" \
    eval '[ $CRC = 1 ] && failed long.cli long &&
    [ "$(peer_field long.cli mismatch_at)" = 1000 ]'

pair corrupt "--send 1M --corrupt 777777" "--expect 1M"
check "one flipped bit: FAIL error=mismatch at its offset, exit 1" \
    eval '[ $CRC = 1 ] && failed corrupt.cli mismatch &&
    [ "$(peer_field corrupt.cli mismatch_at)" = 777777 ]'

pair echo "--send 1k --expect 1k --seed 1" "--send 1k --expect 1k"
check "own bytes echoed back are not the far end's: FAIL" \
    eval '[ $CRC = 1 ] && failed echo.cli mismatch'

pair many "--conns 5 --send 10k --expect 20k" \
    "--conns 5 --send 20k --expect 10k"
check "5 connections, each with its own stream" \
    eval '[ $SRC = 0 ] && [ $CRC = 0 ] && peer_passed many.srv 5 &&
    [ "$(sed -n "s/.* stream=\([0-9]*\) .*/\1/p" "$T/many.srv.out" |
    sort -u | wc -l)" = 5 ]'

pair hang "--order recv-first" "--order recv-first --timeout 0.3"
check "both waiting for EOF: client times out, exit 2" \
    eval '[ $CRC = 2 ] && failed hang.cli timeout'

pair slow "--expect 10k --read-delay-ms 50 --chunk 1k" "--send 10k"
check "slow reader is slow (>= 400 ms for 10 reads)" \
    eval '[ $SRC = 0 ] && [ "$(peer_field slow.srv ms)" -ge 400 ]'

pair data "--send 1" "--expect-refused"
check "--expect-refused fails when data arrives" \
    eval '[ $CRC = 1 ] && failed data.cli got-data'

new_addr unix
run_peer refused "$NEW_ADDR" --expect-refused
check "--expect-refused passes when nothing listens" \
    eval 'peer_passed refused 1 && grep -q refused=connect "$T/refused.out"'

pair closed "--order send-first --send 1k --end close" \
    "--order recv-first --expect 1k --probe-epipe 2000 --expect-epipe yes"
check "probe: send fails after the far end close()s" \
    eval '[ $CRC = 0 ] && grep -q "probe=E" "$T/closed.cli.out"'

pair halfclosed "--order send-first --send 1k --end shutdown" \
    "--order recv-first --expect 1k --probe-epipe 200 --expect-epipe no"
check "probe: send goes on after the far end only shuts down" \
    eval '[ $CRC = 0 ] && grep -q "probe=none" "$T/halfclosed.cli.out"'

pair noepipe "--order send-first --send 1k --end shutdown" \
    "--order recv-first --expect 1k --probe-epipe 200 --expect-epipe yes"
check "probe: --expect-epipe yes fails when send goes on" \
    eval '[ $CRC = 1 ] && failed noepipe.cli no-epipe'

# The gate: the client holds its connection until told.
start_peer gate.srv "tcp:127.0.0.1:0" --order recv-first --expect 1k \
    --conn-file "$T/gate.up"
spawn gate.cli "$VSP_PEER" connect "$PEER_ADDR" --send 1k \
    --order send-first --wait-file "$T/gate.go" --timeout "$VSP_WAIT"
wait_for_file "$T/gate.up"
check "--wait-file holds the connection open" alive "$PEER_PID"
release "$T/gate.go" "$SPAWNED"
reap "$PEER_PID"
check "and lets it finish once the file exists" \
    eval 'peer_passed gate.cli 1 && peer_passed gate.srv 1'

start_peer ready "tcp:127.0.0.1:0" --timeout 1
case "$PEER_ADDR" in
tcp:127.0.0.1:0|'') not_ok "ready file holds the bound port ($PEER_ADDR)" ;;
tcp:127.0.0.1:*) ok "ready file holds the bound port ($PEER_ADDR)" ;;
*) not_ok "ready file holds the bound port ($PEER_ADDR)" ;;
esac
kill -TERM "$PEER_PID"
reap "$PEER_PID"
is "$?" 0 "SIGTERM with nothing in progress: exit 0"

# Addresses: parsed and printed back, never opened.
is "$("$VSP_ADDR" --listen vsock:5 vsock:3:1234 \
    vsock:4294967295:4294967295 'tcp:[::1]:80' tcp:localhost:9 unix:/x/y |
    tr '\n' ' ')" \
    "vsock:5 vsock:3:1234 vsock:4294967295 tcp:[::1]:80 tcp:127.0.0.1:9 \
unix:/x/y " \
    "addresses parse, vsock included"
for a in vsock:5 vsock:4294967296:1 vsock:3:4294967296 vsock:3:x \
    tcp:127.0.0.1 tcp:127.0.0.1:65536 'tcp:[::1:80' tcp:example.com:80 \
    unix: udp:1 5x; do
	"$VSP_ADDR" "$a" >/dev/null 2>"$T/err"
	is "$?" 64 "address '$a' is rejected with exit 64"
done

# Command lines.
for args in "connect" "connect tcp:127.0.0.1:1 --send 1x" \
    "connect tcp:127.0.0.1:1 --bogus" "listen tcp:127.0.0.1:0 extra" \
    "connect tcp:127.0.0.1:1 --order sideways" "frobnicate"; do
	# shellcheck disable=SC2086
	"$VSP_PEER" $args >/dev/null 2>"$T/err"
	is "$?" 64 "'vsp-peer $args' is a usage error (64)"
done
"$VSP_PEER" --help >"$T/out"
rc=$?
check "--help exits 0 and fits in 78 columns" \
    eval '[ $rc = 0 ] && [ -s "$T/out" ] &&
    [ "$(awk "length > 78" "$T/out" | wc -l)" = 0 ]'

done_testing
