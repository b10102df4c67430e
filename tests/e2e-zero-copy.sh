#!/bin/sh
# e2e-zero-copy: the splice(2) relay and the copy relay, each asked for by
# name (--zero-copy on, off), whatever the build's default.
#
# The rest of the suite runs on the build's default path (on, unless
# configured with --disable-zero-copy; .ci/run builds both); here both
# paths run side by side, and what tells them apart is checked: the
# bytes_spliced counter says which way every byte went (all of them on
# a TCP or UNIX relay with it on, none with it off), and the pipes that
# stay open are the spares, at most the pool's share of the descriptors.
#
#   - TCP->TCP, UNIX->UNIX, TCP->UNIX: 16 MiB each way at once, then
#     1 MiB one way and a half-close, byte-exact, in both modes;
#   - 16 connections at once to a slow reader with only 8 pipes to be
#     had (RLIMIT_NOFILE 64: a pipe is two descriptors, pipes take at
#     most a quarter): every byte arrives, some through pipes and some
#     through buffers, and no more than 8 pipes are ever open;
#   - as nobody, with fs.pipe-user-pages-soft lowered to 4 MiB (root
#     only; restored at exit): past 4 pipes the kernel will not enlarge
#     one, the daemon says so once and copies the other bursts, and still
#     splices with the pipes it has (not the permanent fallback);
#   - the setting in the file: -T prints it, a reload turns it off (the
#     spare pipes are closed, the next connection copies), a bad value is
#     an error with file and line, on the command line exit 64.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

require_proxy

SIZE=16M
TOTAL=$((2 * 16 * 1048576 + 1048576))

# modes BACKEND LISTEN TARGET MODE
modes() {
	local be="$1" lt="$2" tr="$3" zc="$4" what want
	what="$be $lt->$tr zero-copy $zc"
	new_addr "$tr"
	TARGET=$NEW_ADDR
	if ! start_proxy "zc-$be-$lt-$tr-$zc" "$lt" --connect "$TARGET" \
	    --zero-copy "$zc" --stats-interval 0; then
		not_ok "$what: proxy starts"
		return
	fi
	check "$what: $SIZE each way at once, byte-exact" \
	    exchange "x-$be-$lt-$tr-$zc-1" "$TARGET" \
	    "--send $SIZE --expect $SIZE" "--send $SIZE --expect $SIZE"
	check "$what: 1M one way, then a half-close, byte-exact" \
	    exchange "x-$be-$lt-$tr-$zc-2" "$TARGET" \
	    "--send 0 --expect 1M" "--send 1M --expect 0"
	usr1
	[ "$zc" = on ] && want=$TOTAL || want=0
	is "$(stat_of bytes_spliced)" "$want" \
	    "$what: bytes_spliced $want (every byte that way)"
	is "$(stat_of bytes_up) $(stat_of bytes_down)" \
	    "$((17 * 1048576)) $((16 * 1048576))" \
	    "$what: the byte counts do not depend on the path"
	if [ "$zc" = on ]; then
		check "$what: the pipes are kept as spares (1 to 16)" \
		    test "$(stat_of pipes)" -ge 1 -a "$(stat_of pipes)" -le 16
	else
		is "$(stat_of pipes)" 0 "$what: no pipe"
	fi
	is "$(stat_of buffer_bytes)" 0 "$what: the budget is all given back"
	stop "$PROXY_PID"
	is "$?" 0 "$what: exits 0 on SIGTERM"
}

# slow_clients WHAT NAME N PIPES: N clients at once through the proxy
# at $PROXY_ADDR send 1 MiB each to a slow reader at $TARGET (started
# under the current umask): every byte arrives, some bytes through pipes
# and some copied, never more than PIPES pipes open.  Returns 1 if the
# target does not start.
slow_clients() {
	local what="$1" name="$2" n="$3" max="$4" rc src spliced
	start_peer "$name.srv" "$TARGET" --conns "$n" --send 0 \
	    --expect 1M --read-delay-ms 10 --chunk 16k --sockbuf 4k ||
	    { not_ok "$what: target starts"; return 1; }
	run_peer "$name.cli" "$PROXY_ADDR" --conns "$n" --send 1M --expect 0
	rc=$?
	reap "$PEER_PID"
	src=$?
	check "$what: every connection byte-exact" eval \
	    '[ $rc -eq 0 ] && [ $src -eq 0 ] && peer_passed "$name.cli" "$n" &&
	    peer_passed "$name.srv" "$n"'
	usr1
	spliced=$(stat_of bytes_spliced)
	check "$what: some through pipes, some copied ($spliced of $((n * 1048576)) spliced)" \
	    test "$spliced" -gt 0 -a "$spliced" -lt $((n * 1048576))
	check "$what: never more than $max pipes open" eval \
	    "! grep ' stats active=' '$PROXY_LOG' |
	    sed 's/.* pipes=\\([0-9]*\\).*/\\1/' | awk '\$1 > $max' | grep -q ."
}

# capped BACKEND: 16 slow connections, 8 pipes.
capped() {
	local be="$1" what="$1 8 pipes for 16 connections" old rc
	new_addr unix
	TARGET=$NEW_ADDR
	old=$(ulimit -S -n)
	ulimit -S -n 64
	start_proxy "cap-$be" tcp --connect "$TARGET" --zero-copy on \
	    --stats-interval 0.05
	rc=$?
	ulimit -S -n "$old"
	[ $rc -eq 0 ] || { not_ok "$what: proxy starts"; return; }
	slow_clients "$what" "cap-$be" 16 8 || return
	check "$what: no error logged" eval \
	    "! grep -q 'event=error\\|reason=error' '$PROXY_LOG'"
	stop "$PROXY_PID"
}

# user_pages: the per-user limit on pipe pages, met as nobody.
SOFT=/proc/sys/fs/pipe-user-pages-soft
OLD_SOFT=
restore_soft() {
	[ -n "$OLD_SOFT" ] && echo "$OLD_SOFT" >"$SOFT"
	OLD_SOFT=
}
user_pages() {
	local what="nobody, 4 MiB of pipes" rc
	if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1 ||
	    ! [ -w "$SOFT" ]; then
		skip "$what" "needs root, a user nobody and $SOFT"
		return
	fi
	# A UNIX target (small socket buffers: the bytes wait in the
	# daemon's pipes) that nobody may connect to, outside $T.
	PUB=$(mktemp -d "${TMPDIR:-/tmp}/vsp-zc.XXXXXX") &&
	    chmod 755 "$PUB" || bail_out "cannot make a directory"
	TARGET=unix:$PUB/target.sock
	OLD_SOFT=$(cat "$SOFT")
	trap 'restore_soft; rm -rf "$PUB"; cleanup' EXIT
	echo 1024 >"$SOFT"
	start_proxy "soft" tcp --connect "$TARGET" --zero-copy on \
	    -u nobody --stats-interval 0.05 ||
	    { not_ok "$what: proxy starts"; restore_soft; return; }
	umask 000
	slow_clients "$what" soft 12 4
	rc=$?
	umask 022
	restore_soft
	[ $rc -eq 0 ] || return
	check "$what: the limit is logged once" eval \
	    '[ "$(grep -c "will not enlarge more pipes" "$PROXY_LOG")" = 1 ]'
	check "$what: not taken for a kernel without big pipes" eval \
	    "! grep -q 'copying instead' '$PROXY_LOG'"
	stop "$PROXY_PID"
}

# setting BACKEND: the file's zero-copy, -T, reload, bad values.
setting() {
	local be="$1" conf="$T/zc-$1.conf" out
	new_addrs L=tcp C=tcp
	{ echo "zero-copy on"; rule zc "$L" "$C"; } >"$conf"
	is "$("$VSOCKPROXY" -T -c "$conf" | grep '^zero-copy')" \
	    "zero-copy on" "$be: -T prints the file's zero-copy on"
	is "$("$VSOCKPROXY" -T -c "$conf" --zero-copy off |
	    grep '^zero-copy')" "zero-copy off" \
	    "$be: ... and the command line's off over it"
	start_conf_proxy "zcconf-$be" "$conf" "$L" -- --stats-interval 0 ||
	    { not_ok "$be: proxy starts"; return; }
	start_peer "zcconf-$be.srv" "$C" --conns 0 --send 1M --expect 1M ||
	    { not_ok "$be: target starts"; return; }
	PROXY_ADDR=$L
	run_peer "zcconf-$be.c1" "$L" --send 1M --expect 1M
	check "$be: zero-copy on from the file: spliced" eval \
	    'peer_passed "zcconf-$be.c1" && usr1 &&
	    [ "$(stat_of bytes_spliced)" = 2097152 ]'
	{ echo "zero-copy off"; rule zc "$L" "$C"; } >"$conf"
	hup 'reload'
	usr1
	is "$(stat_of pipes)" 0 "$be: reloaded with off: the spares are closed"
	run_peer "zcconf-$be.c2" "$L" --send 1M --expect 1M
	check "$be: ... and the next connection copies" eval \
	    'peer_passed "zcconf-$be.c2" && usr1 &&
	    [ "$(stat_of bytes_spliced)" = 2097152 ] &&
	    [ "$(stat_of bytes_up)" = 2097152 ]'
	stop "$PROXY_PID"
	stop "$PEER_PID"
	{ echo "zero-copy maybe"; rule zc "$L" "$C"; } >"$conf"
	out=$("$VSOCKPROXY" -t -c "$conf" 2>&1)
	is "$?" 1 "$be: zero-copy maybe in the file: -t fails"
	check "$be: ... naming the file and line" eval \
	    'echo "$out" | grep -q "$conf:1: bad zero-copy .maybe.: expected on or off"'
	out=$("$VSOCKPROXY" --zero-copy maybe --listen "$L" --connect "$C" 2>&1)
	is "$?" 64 "$be: --zero-copy maybe: exit 64"
	check "$be: ... with its reason" eval \
	    'echo "$out" | grep -q "bad --zero-copy .maybe.: expected on or off"'
}

scenario() {
	local zc
	for zc in on off; do
		modes "$1" tcp tcp "$zc"
		modes "$1" unix unix "$zc"
		modes "$1" tcp unix "$zc"
	done
	capped "$1"
	setting "$1"
}

for_each_backend scenario
user_pages
done_testing
